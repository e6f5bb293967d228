// Controllers: the cell's two NSCs side by side (state, owned LUNs, mirror, dirty cache, heartbeat, takeovers) with
// the failover drills (kill, hang: confirmed by naming the LUNs that fail over) and restart, and the drill history.

import { h, replace, fmtBytes, fmtInt, fmtTime, toast } from '../dom.js';
import { get, post, seg, ApiError } from '../api.js';
import { confirmDialog, serial, badge } from '../ui.js';

/** "1.23 ms" for a duration in ms (null or negative: did not happen, '–'). */
export function fmtMs(v) {
  if (v === null || v === undefined || v < 0) return '–';
  return (Number.isInteger(v) ? String(v) : v.toFixed(2)) + ' ms';
}

/** The facts of one controller (GET /api/controllers entry), shared with the dashboard. */
export function nscFacts(c) {
  const mirrorKind = c.mirror === 'MIRRORED' ? 'online' : c.mirror === 'LOST' ? 'warn' : undefined;
  return h('dl', { class: 'facts' },
    h('dt', {}, 'LUNs owned'),
    h('dd', { 'data-testid': 'owned-' + c.id }, c.luns && c.luns.length
      ? c.luns.map((n) => h('a', { href: '#/luns/' + seg(n), class: 'chip' }, n)) : '–'),
    c.mirror !== undefined ? [h('dt', {}, 'Cache mirror'),
      h('dd', { 'data-testid': 'mirror-' + c.id }, badge(c.mirror, mirrorKind),
        c.mirrorLost ? h('span', { class: 'hint' }, ' ' + c.mirrorLost) : null)] : null,
    c.dirtyBytes !== undefined ? [h('dt', {}, 'Dirty cache'), h('dd', {}, fmtBytes(c.dirtyBytes))] : null,
    c.paired ? [h('dt', {}, 'Heartbeat RTT'), h('dd', { 'data-testid': 'rtt-' + c.id }, fmtMs(c.heartbeatRttMs))] : null,
    c.takeovers !== undefined ? [h('dt', {}, 'Takeovers'), h('dd', { 'data-testid': 'takeovers-' + c.id }, fmtInt(c.takeovers))] : null,
    c.lease ? [h('dt', {}, 'Quorum lease'), h('dd', { 'data-testid': 'lease-' + c.id }, c.lease)] : null);
}

export function create() {
  const nscs = h('div', { class: 'columns nscs', 'data-testid': 'nscs' }, h('p', { class: 'muted' }, 'Loading…'));
  const history = h('div', { 'data-testid': 'drills' }, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('div', { class: 'page controllers' },
    h('h1', {}, 'Controllers'),
    nscs,
    h('section', { class: 'panel' }, h('h2', {}, 'Drill history'),
      h('p', { class: 'muted legend-text' }, 'Times from the fault: detection by the partner\'s heartbeat, takeover done '
        + '(mirrored cache replayed, LUNs moved), first host I/O served after it.'),
      history));
  let disposed = false;

  const refresh = serial(async () => {
    const [c, d] = await Promise.allSettled([get('/api/controllers'), get('/api/drills')]);
    if (disposed) return;
    if (c.status === 'fulfilled') renderNscs(c.value);
    if (d.status === 'fulfilled') renderDrills(d.value);
    const failed = [c, d].find((r) => r.status === 'rejected');
    if (failed && failed.reason.status !== 401) toast('Refresh failed: ' + failed.reason.message, 'error');
  });

  function renderNscs(list) {
    const paired = list.some((c) => c.paired);
    const bothOnline = paired && list.every((c) => c.state === 'ONLINE');
    replace(nscs, list.map((c) => {
      const buttons = [];
      if (paired && c.state === 'ONLINE') {
        for (const kind of ['kill', 'hang']) {
          buttons.push(h('button', {
            type: 'button', class: 'small danger', 'data-testid': `drill-${kind}-${c.id}`, disabled: !bothOnline,
            title: bothOnline ? undefined : 'a drill needs both controllers online',
            onclick: () => drill(kind, c),
          }, kind === 'kill' ? 'Kill drill' : 'Hang drill'));
        }
      } else if (paired) {
        buttons.push(h('button', { type: 'button', class: 'small primary', 'data-testid': 'restart-' + c.id, onclick: () => restart(c) },
          'Restart'));
      }
      return h('section', { class: 'panel nsc', 'data-nsc': c.id },
        h('div', { class: 'title-row' },
          h('h2', {}, 'NSC ', c.id, ' ', h('span', { class: 'muted' }, c.name), ' ',
            h('span', { 'data-testid': 'state-' + c.id }, badge(c.state))),
          h('div', { class: 'buttons' }, buttons)),
        nscFacts(c),
        paired ? null : h('p', { class: 'muted' }, 'Single controller: no partner to fail over to.'));
    }));
  }

  function renderDrills(list) {
    if (list.length === 0) {
      replace(history, h('p', { class: 'muted' }, 'No drills yet.'));
      return;
    }
    replace(history, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', { class: 'num' }, '#'), h('th', {}, 'Drill'), h('th', {}, 'Started'),
        h('th', { class: 'num' }, 'Detection'), h('th', { class: 'num' }, 'Takeover'), h('th', { class: 'num' }, 'First I/O'),
        h('th', { class: 'num' }, 'Units moved'), h('th', {}, 'Outcome'))),
      h('tbody', {}, [...list].reverse().map((d) => h('tr', { 'data-drill': d.id },
        h('td', { class: 'num' }, String(d.id)),
        h('td', {}, h('strong', {}, d.kind), ' NSC ', d.target),
        h('td', {}, fmtTime(d.startedAt)),
        h('td', { class: 'num' }, fmtMs(d.detectionMillis)),
        h('td', { class: 'num' }, fmtMs(d.takeoverMillis)),
        h('td', { class: 'num' }, fmtMs(d.firstIoMillis)),
        h('td', { class: 'num' }, fmtInt(d.unitsMoved)),
        h('td', {}, d.outcome))))));
  }

  /** Asks the appliance which LUNs would fail over (a drill without force is refused, naming them), then confirms. */
  async function drill(kind, c) {
    let luns;
    let partner;
    try {
      await post(`/api/controllers/${c.id}/drills`, { kind });
      refresh(null); // not expected: the appliance requires force
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.field !== 'force') {
        if (!(e instanceof ApiError) || e.status !== 401) toast(`${kind} drill on NSC ${c.id}: ${e.message}`, 'error');
        return;
      }
      luns = e.wouldFailOver || [];
      partner = e.takenOverBy;
    }
    const what = kind === 'kill'
      ? `NSC ${c.id} crashes: its cache stops at once and its heartbeat falls silent.`
      : `NSC ${c.id} hangs: it stops answering without exiting; its partner fences it.`;
    confirmDialog({
      title: `${kind === 'kill' ? 'Kill' : 'Hang'} NSC ${c.id}?`,
      message: [what, ' ', luns.length
        ? [`These LUNs fail over to NSC ${partner}: `, h('span', { 'data-testid': 'drill-luns' }, luns.map((n) => h('span', { class: 'chip' }, n)))]
        : h('span', { 'data-testid': 'drill-luns' }, `It owns no LUNs: nothing fails over to NSC ${partner}.`),
      ' Hosts wait for the takeover; restart the controller afterwards.'],
      confirmLabel: `${kind === 'kill' ? 'Kill' : 'Hang'} NSC ${c.id}`,
      testid: 'confirm-drill',
      onConfirm: async () => {
        const r = await post(`/api/controllers/${c.id}/drills`, { kind, force: true });
        toast(`${kind} drill on NSC ${c.id}: ${r.outcome} (takeover ${fmtMs(r.takeoverMillis)}, LUNs moved: ${r.unitsMoved})`, 'ok');
        refresh(null);
      },
    });
  }

  async function restart(c) {
    try {
      const r = await post(`/api/controllers/${c.id}/restart`);
      toast(`NSC ${c.id} restarted` + (r.failedBack.length ? `; failed back: ${r.failedBack.join(', ')}` : ''), 'ok');
      refresh(null);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) toast(`Restart of NSC ${c.id}: ${e.message}`, 'error');
    }
  }

  return {
    el,
    title: 'Controllers',
    topics: ['controllers', 'luns', 'snapshots'],
    refresh,
    dispose: () => { disposed = true; },
  };
}
