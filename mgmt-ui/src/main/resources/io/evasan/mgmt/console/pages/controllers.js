// Controllers: the cell's two NSCs side by side (state, owned LUNs, mirror, dirty cache, heartbeat, takeovers) with
// the failover drills (kill, hang: confirmed by naming the LUNs that fail over; optionally verified on a scratch LUN),
// the pull-drive drill, restart, and the drill history (kept across restarts: writes acknowledged, verified, lost).

import { h, replace, fmtBytes, fmtInt, fmtTime, toast } from '../dom.js';
import { get, post, seg, ApiError } from '../api.js';
import { confirmDialog, formDialog, field, serial, badge } from '../ui.js';
import { perfPanel, controllerSeries, portPanels } from '../perf.js';

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
  const verify = h('input', { type: 'checkbox', 'data-testid': 'drill-verify' });
  const perf = perfPanel(controllerSeries, 'Performance (I/O this controller\'s SCSI target served)');
  const ports = portPanels();
  const el = h('div', { class: 'page controllers' },
    h('h1', {}, 'Controllers'),
    h('p', {}, h('label', {}, verify, ' Run the drill verifier: a scratch LUN (drill-scratch-N, 64 MiB) is written with '
      + 'known patterns through the fault and every acknowledged write is read back after it.')),
    nscs,
    h('section', { class: 'panel' }, h('div', { class: 'title-row' }, h('h2', {}, 'Drill history'),
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'small danger', 'data-testid': 'pull-drive',
        onclick: () => pullDrive() }, 'Pull a drive…'))),
      h('p', { class: 'muted legend-text' }, 'Times from the fault: detection by the partner\'s heartbeat, takeover done '
        + '(mirrored cache replayed, LUNs moved), first host I/O served after it. Acknowledged / verified / lost: the '
        + 'verifier\'s writes acknowledged during the drill, read back as written, and not read back.'),
      history),
    perf.el, ports.el);
  perf.refresh();
  ports.refresh();
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
        h('th', { class: 'num' }, 'Units moved'), h('th', { class: 'num' }, 'Acknowledged'), h('th', { class: 'num' }, 'Verified'),
        h('th', { class: 'num' }, 'Lost'), h('th', {}, 'Outcome'))),
      h('tbody', {}, [...list].reverse().map((d) => h('tr', { 'data-drill': d.id },
        h('td', { class: 'num' }, String(d.id)),
        h('td', {}, h('strong', {}, d.kind), d.target ? [' NSC ', d.target] : null),
        h('td', {}, fmtTime(d.startedAt)),
        h('td', { class: 'num' }, fmtMs(d.detectionMillis)),
        h('td', { class: 'num' }, fmtMs(d.takeoverMillis)),
        h('td', { class: 'num' }, fmtMs(d.firstIoMillis)),
        h('td', { class: 'num' }, fmtInt(d.unitsMoved)),
        h('td', { class: 'num', 'data-testid': 'acked-' + d.id }, fmtInt(d.writesAcknowledged)),
        h('td', { class: 'num', 'data-testid': 'verified-' + d.id }, fmtInt(d.writesVerified)),
        h('td', { class: 'num', 'data-testid': 'lost-' + d.id }, d.lostWrites > 0
          ? badge(fmtInt(d.lostWrites), 'failed') : fmtInt(d.lostWrites)),
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
        const r = await post(`/api/controllers/${c.id}/drills`, { kind, force: true, verify: verify.checked });
        toast(`${kind} drill on NSC ${c.id}: ${r.outcome} (takeover ${fmtMs(r.takeoverMillis)}, LUNs moved: ${r.unitsMoved})`,
          r.lostWrites > 0 ? 'error' : 'ok');
        refresh(null);
      },
    });
  }

  /** The pull-drive drill: group and drive index; refused (409 naming force) on a drive holding the last redundancy. */
  async function pullDrive() {
    const group = h('input', { type: 'number', min: '0', value: '0', 'data-testid': 'pull-group' });
    const index = h('input', { type: 'number', min: '0', value: '0', 'data-testid': 'pull-index' });
    const force = h('input', { type: 'checkbox', 'data-testid': 'pull-force' });
    await formDialog({
      title: 'Pull a drive?',
      content: [
        h('p', { class: 'message' }, 'The drive goes MISSING (as if taken out of the shelf) until it is restored on the '
          + 'Pool page; its RStores run degraded.'),
        field('Disk group', group, ['group']),
        field('Drive index', index, ['index']),
        field('Pull even the last redundancy', force, ['force'], 'data may be lost'),
      ],
      submitLabel: 'Pull drive',
      testid: 'pull-drive-dialog',
      danger: true,
      onSubmit: async () => {
        const r = await post('/api/drills/pull-drive', {
          group: Number(group.value), index: Number(index.value), verify: verify.checked, force: force.checked,
        });
        toast(`pull-drive drill: ${r.outcome}`, r.lostWrites > 0 ? 'error' : 'ok');
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
    dispose: () => { disposed = true; perf.dispose(); ports.dispose(); },
  };
}
