// One LUN: details with its controller ownership (owner, preferred controller, failover mode: change, move), presentations (present / unpresent), the sharing tree drawn as a graph with
// the Snapshot / Snapclone buttons, and the snapshot list (present / unpresent to a host, rollback,
// delete, BGCOPY pause/resume).

import { h, replace, fmtBytes, fmtInt, fmtTime, toast } from '../dom.js';
import { get, post, put, del, patch, seg, normalizeJobs } from '../api.js';
import { sizeControls, sizeBytes, bestUnit } from './luns.js';
import { treeGraph, updateTreeBgcopy } from '../charts.js';
import { perfPanel } from '../perf.js';
import { field, formDialog, confirmDialog, forceDialog, needsForce, serial, badge, clearErrors, showError } from '../ui.js';

function stamp() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

export function create(lunName) {
  const base = '/api/luns/' + seg(lunName);
  const details = h('div', { 'data-testid': 'lun-details' }, h('p', { class: 'muted' }, 'Loading…'));
  const presentations = h('div', { 'data-testid': 'presentations' });
  const treeBox = h('div', { class: 'chart-scroll', 'data-testid': 'tree-box' }, h('p', { class: 'muted' }, 'Loading…'));
  const snapList = h('div', { 'data-testid': 'snapshots' });
  const snapButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'snapshot' }, 'Snapshot');
  const cloneButton = h('button', { type: 'button', 'data-testid': 'snapclone' }, 'Snapclone');
  const deleteButton = h('button', { type: 'button', class: 'danger ghost', 'data-testid': 'delete-lun' }, 'Delete LUN');
  const resizeButton = h('button', { type: 'button', 'data-testid': 'resize-lun' }, 'Resize');

  // present form (static: live redraws never disturb what is being typed)
  const initiator = h('input', { name: 'initiator', value: '*', autocomplete: 'off', 'data-testid': 'present-initiator', class: 'wide' });
  const hostLun = h('input', { name: 'hostLun', type: 'number', min: '0', max: '16383', value: '1', 'data-testid': 'present-hostlun', class: 'short' });
  const presentForm = h('form', { class: 'inline-form', novalidate: true },
    field('Initiator (IQN or * for all)', initiator, ['initiator']),
    field('Host LUN', hostLun, ['hostLun']),
    h('button', { type: 'submit', 'data-testid': 'present' }, 'Present'),
    h('p', { class: 'field-error general', role: 'alert' }));

  const perf = perfPanel('lun/' + lunName, 'Performance');
  const el = h('div', { class: 'page lun' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/luns' }, 'LUNs'), ' / ', lunName),
    h('div', { class: 'title-row' }, h('h1', {}, 'LUN ', h('span', { class: 'mono' }, lunName)),
      h('div', { class: 'buttons' }, resizeButton, deleteButton)),
    h('div', { class: 'columns' },
      h('section', { class: 'panel' }, h('h2', {}, 'Details'), details),
      h('section', { class: 'panel' }, h('h2', {}, 'Presentations'), presentations, presentForm)),
    h('section', { class: 'panel' },
      h('div', { class: 'title-row' }, h('h2', {}, 'Sharing tree'),
        h('div', { class: 'buttons' }, snapButton, cloneButton)),
      h('p', { class: 'muted legend-text' },
        'Oldest disk left, the LUN right; each arrow runs from a predecessor to its successor and counts the segments the predecessor reads through it. ',
        h('span', { class: 'key shared' }), ' shared with successor ', h('span', { class: 'key private' }), ' private ',
        h('span', { class: 'key zero' }), ' zero; snapclones are dashed until their BGCOPY completes and they leave the tree.'),
      treeBox),
    h('section', { class: 'panel' }, h('h2', {}, 'Snapshots and snapclones'), snapList),
    perf.el);
  perf.refresh();

  let disposed = false;
  let lun = null;
  let tree = null;
  let snapshots = [];
  let owner = null; // GET .../ownership; null on a single-controller cell (409) or before the first answer
  let ownerNote = '';

  const refresh = serial(async () => {
    const [l, t, s, o] = await Promise.allSettled([get(base), get(base + '/tree'), get('/api/snapshots'), get(base + '/ownership')]);
    if (disposed) return;
    if (l.status === 'rejected') {
      if (l.reason.status === 404) {
        replace(details, h('p', { class: 'field-error' }, `LUN ${lunName} does not exist (any more).`));
        replace(treeBox);
        replace(presentations);
        replace(snapList);
        snapButton.disabled = cloneButton.disabled = deleteButton.disabled = resizeButton.disabled = true;
      } else if (l.reason.status !== 401) {
        toast('Refresh failed: ' + l.reason.message, 'error');
      }
      return;
    }
    lun = l.value;
    if (s.status === 'fulfilled') snapshots = s.value.filter((x) => x.lun === lunName);
    owner = o.status === 'fulfilled' ? o.value : null;
    ownerNote = o.status === 'fulfilled' ? '' : o.reason.status === 409 ? 'single controller' : 'unknown: ' + o.reason.message;
    renderDetails();
    renderPresentations();
    if (t.status === 'fulfilled') {
      tree = t.value;
      replace(treeBox, treeGraph(tree));
    } else if (t.reason.status === 400) {
      replace(treeBox, h('p', { class: 'muted' }, t.reason.message));
      snapButton.disabled = cloneButton.disabled = true;
    } else if (t.reason.status !== 401) {
      replace(treeBox, h('p', { class: 'field-error' }, 'The sharing tree could not be read: ' + t.reason.message));
    }
    renderSnapshots();
  });

  function renderDetails() {
    replace(details, h('dl', { class: 'facts' },
      h('dt', {}, 'Kind'), h('dd', {}, badge(lun.kind === 'PRIMARY' ? 'LUN' : lun.kind, 'lun')),
      h('dt', {}, 'Size'), h('dd', { 'data-testid': 'lun-size-value' }, `${fmtBytes(lun.sizeBytes)} (${fmtInt(lun.sizeBytes)} bytes)`),
      h('dt', {}, 'RAID level'), h('dd', { 'data-testid': 'lun-raid-value' }, lun.raid || '–'),
      h('dt', {}, 'Disk group'), h('dd', { 'data-testid': 'lun-group-value' }, lun.group === undefined ? '–' : String(lun.group)),
      h('dt', {}, 'Allocated'), h('dd', { 'data-testid': 'lun-allocated-value' }, lun.allocatedBytes === null || lun.allocatedBytes === undefined
        ? '–' : `${fmtBytes(lun.allocatedBytes)} (${lun.sizeBytes ? Math.round(lun.allocatedBytes * 100 / lun.sizeBytes) : 0} % of its size)`),
      h('dt', {}, 'WWN'), h('dd', { class: 'mono', 'data-testid': 'lun-wwn-value' }, lun.wwn),
      h('dt', {}, 'Serial'), h('dd', { class: 'mono' }, lun.serial),
      h('dt', {}, 'LUN id / disk'), h('dd', {}, `${lun.id} / ${lun.disk}`),
      h('dt', {}, 'Snapshots'), h('dd', {}, String(lun.snapshots.length)),
      h('dt', {}, 'Controller'), h('dd', { 'data-testid': 'lun-owner' }, owner
        ? [h('a', { href: '#/controllers' }, 'NSC ' + owner.owner), ' ',
          h('span', { class: 'muted', 'data-testid': 'lun-preference' },
            `preferred ${owner.preferred ? 'NSC ' + owner.preferred : 'none'} · ${owner.mode.toLowerCase().replaceAll('_', ' ')}`), ' ',
          h('button', { type: 'button', class: 'small', 'data-testid': 'ownership-change', onclick: changeOwnership }, 'Change…'), ' ',
          h('button', {
            type: 'button', class: 'small', 'data-testid': 'ownership-move', onclick: () => moveTo(owner.owner === 'A' ? 'B' : 'A'),
          }, `Move to NSC ${owner.owner === 'A' ? 'B' : 'A'}`)]
        : h('span', { class: 'muted' }, ownerNote || '–'))));
  }

  async function moveTo(to) {
    try {
      await post(base + '/move', { to });
      toast(`${lunName} moved to NSC ${to}`, 'ok');
      refresh(null);
    } catch (e) {
      if (e.status !== 401) toast(`Move of ${lunName}: ${e.message}`, 'error');
    }
  }

  async function changeOwnership() {
    const opt = (v, label, cur) => h('option', { value: v, selected: v === cur }, label);
    const preferred = h('select', { name: 'preferred', 'data-testid': 'ownership-preferred' },
      opt('none', 'none', owner.preferred || 'none'), opt('A', 'NSC A', owner.preferred), opt('B', 'NSC B', owner.preferred));
    const mode = h('select', { name: 'mode', 'data-testid': 'ownership-mode' },
      opt('NO_PREFERENCE', 'No preference', owner.mode), opt('FAILOVER_ONLY', 'Failover only', owner.mode),
      opt('FAILOVER_FAILBACK', 'Failover and failback', owner.mode));
    await formDialog({
      title: `Controller of ${lunName}`,
      testid: 'ownership-dialog',
      submitLabel: 'Save',
      content: [
        h('p', { class: 'message' }, `Now served by NSC ${owner.owner}. A LUN moves to its preferred controller at once when that one is online. `
          + 'On a controller failure the survivor takes the LUN; with failback it returns once the preferred controller is back.'),
        field('Preferred controller', preferred, ['preferred']),
        field('Failover mode', mode, ['mode'], 'failover only and failback need a preferred controller'),
      ],
      onSubmit: async () => {
        const r = await put(base + '/ownership', { preferred: preferred.value === 'none' ? null : preferred.value, mode: mode.value });
        toast(`${lunName}: served by NSC ${r.owner}, preferred ${r.preferred ? 'NSC ' + r.preferred : 'none'}, ${r.mode.toLowerCase().replaceAll('_', ' ')}`, 'ok');
        await refresh(null);
      },
    });
  }

  function renderPresentations() {
    if (lun.presentations.length === 0) {
      replace(presentations, h('p', { class: 'muted' }, 'Not presented to any host.'));
      return;
    }
    replace(presentations, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Initiator'), h('th', { class: 'num' }, 'Host LUN'), h('th', {}))),
      h('tbody', {}, lun.presentations.map((p) => h('tr', {},
        h('td', { class: 'mono' }, p.initiator === '*' ? '* (all hosts)' : p.initiator),
        h('td', { class: 'num' }, String(p.hostLun)),
        h('td', {}, h('button', {
          type: 'button', class: 'small', 'data-testid': `unpresent-${p.hostLun}`,
          onclick: async () => {
            try {
              await post(base + '/unpresent', { initiator: p.initiator, hostLun: p.hostLun });
              toast(`Host LUN ${p.hostLun} unpresented`, 'ok');
              refresh(null);
            } catch (e) {
              toast('Unpresent: ' + e.message, 'error');
            }
          },
        }, 'Unpresent')))))));
  }

  function renderSnapshots() {
    if (snapshots.length === 0) {
      replace(snapList, h('p', { class: 'muted' }, 'No snapshots yet.'));
      return;
    }
    const inTree = new Set((tree ? tree.disks : []).map((d) => d.disk));
    replace(snapList, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Kind'), h('th', {}, 'Taken'), h('th', {}, 'BGCOPY'),
        h('th', {}, 'Presented (read-write)'), h('th', {}))),
      h('tbody', {}, snapshots.map((sn) => {
        const bg = sn.bgcopy;
        // a copy stalled for lack of free space resumes once space is free
        const copying = bg && (bg.state === 'RUNNING' || bg.state === 'PAUSED' || bg.state === 'STALLED_NO_SPACE');
        const actions = [];
        actions.push(h('button', {
          type: 'button', class: 'small', 'data-testid': 'present-snapshot-' + sn.name,
          onclick: () => presentSnapshot(sn),
        }, 'Present'));
        if (copying) {
          const verb = bg.state === 'RUNNING' ? 'pause' : 'resume';
          actions.push(h('button', {
            type: 'button', class: 'small', 'data-testid': `${verb}-${sn.name}`,
            onclick: () => act(() => post(`/api/snapshots/${seg(sn.name)}/bgcopy/${verb}`), `BGCOPY of ${sn.name}: ${verb}d`),
          }, verb === 'pause' ? 'Pause copy' : 'Resume copy'));
        }
        if (!sn.snapclone || inTree.has(sn.disk)) {
          actions.push(h('button', {
            type: 'button', class: 'small', 'data-testid': 'rollback-' + sn.name,
            onclick: () => confirmDialog({
              title: `Roll ${lunName} back to ${sn.name}?`,
              message: `${lunName} will read exactly what ${sn.name} reads (taken ${fmtTime(sn.createdMillis)}). Writes made since are lost; other snapshots keep their data.`,
              confirmLabel: 'Roll back',
              testid: 'confirm-rollback',
              onConfirm: async () => {
                await post(base + '/rollback', { snapshot: sn.name });
                toast(`${lunName} rolled back to ${sn.name}`, 'ok');
                refresh(null);
              },
            }),
          }, 'Roll back'));
        }
        actions.push(h('button', {
          type: 'button', class: 'small danger', 'data-testid': 'delete-' + sn.name,
          onclick: () => confirmDialog({
            title: `Delete ${sn.name}?`,
            message: sn.snapclone && !inTree.has(sn.disk)
              ? `The independent snapclone ${sn.name} and its data are deleted.`
              : `Segments that older snapshots still read move to them; the rest is freed.`,
            confirmLabel: 'Delete',
            testid: 'confirm-delete',
            onConfirm: async () => {
              await del('/api/snapshots/' + seg(sn.name));
              toast(`${sn.name} deleted`, 'ok');
              refresh(null);
            },
          }),
        }, 'Delete'));
        return h('tr', { 'data-snapshot': sn.name },
          h('td', { class: 'mono' }, sn.name),
          h('td', {}, sn.snapclone ? badge('snapclone', 'clone') : badge('snapshot', 'snap'),
            sn.snapclone && !inTree.has(sn.disk) ? h('span', { class: 'hint' }, ' independent') : null),
          h('td', {}, fmtTime(sn.createdMillis)),
          h('td', { 'data-bgcopy-cell': sn.name }, bg ? `${fmtInt(bg.done)} / ${fmtInt(bg.total)} · ${bg.state.toLowerCase()}` : '–'),
          h('td', { 'data-testid': 'snapshot-presentations-' + sn.name }, (sn.presentations || []).length === 0 ? '–'
            : (sn.presentations || []).map((p) => h('span', { class: 'pres' }, h('span', { class: 'mono' }, `${p.initiator} → ${p.hostLun} `),
              h('button', {
                type: 'button', class: 'small ghost', 'data-testid': `unpresent-snapshot-${sn.name}-${p.hostLun}`,
                onclick: () => act(() => post(`/api/snapshots/${seg(sn.name)}/unpresent`, { initiator: p.initiator, hostLun: p.hostLun }),
                  `${sn.name} unpresented from host LUN ${p.hostLun}`),
              }, 'Unpresent')))),
          h('td', { class: 'actions' }, actions));
      }))));
  }

  async function act(fn, okMessage) {
    try {
      await fn();
      toast(okMessage, 'ok');
      refresh(null);
    } catch (e) {
      toast(e.message, 'error');
    }
  }

  async function presentSnapshot(sn) {
    const who = h('input', { name: 'initiator', value: '*', autocomplete: 'off', 'data-testid': 'snapshot-present-initiator', class: 'wide' });
    const num = h('input', { name: 'hostLun', type: 'number', min: '0', max: '16383', value: '', 'data-testid': 'snapshot-present-hostlun', class: 'short' });
    await formDialog({
      title: `Present ${sn.name}`,
      testid: 'present-snapshot-dialog',
      submitLabel: 'Present',
      content: [
        h('p', { class: 'message' }, `The host sees ${sn.name} as a disk of ${fmtBytes(sn.sizeBytes || 0)} holding ${lunName} as it was `
          + `when the snapshot was taken. It is read-write: the host's writes change the snapshot only, never ${lunName}.`),
        field('Initiator (IQN or * for all)', who, ['initiator']),
        field('Host LUN', num, ['hostLun'], '0..16383, not used by this initiator yet'),
      ],
      onSubmit: async () => {
        // the server checks the number (400 naming hostLun; 409 when the host LUN is taken)
        const n = num.value.trim() === '' ? null : Number(num.value);
        await post(`/api/snapshots/${seg(sn.name)}/present`, { initiator: who.value.trim(), hostLun: n });
        toast(`${sn.name} presented to ${who.value.trim()} as LUN ${n}`, 'ok');
        await refresh(null);
      },
    });
  }

  async function takeSnapshot(snapclone) {
    const name = h('input', {
      name: 'name', required: true, autocomplete: 'off', 'data-testid': 'snapshot-name',
      value: `${lunName}-${snapclone ? 'clone' : 'snap'}-${stamp()}`,
    });
    const cloneMode = h('select', { name: 'mode', 'data-testid': 'snapclone-mode' },
      h('option', { value: 'EAGER', selected: true }, 'Eager (Figs. 13-14)'), h('option', { value: 'SCALING' }, 'Scaling (Fig. 15)'));
    const quiesce = h('input', {
      name: 'quiesceThreshold', type: 'number', min: 1, max: 65535, autocomplete: 'off', 'data-testid': 'snapclone-quiesce',
    });
    await formDialog({
      title: snapclone ? `Snapclone of ${lunName}` : `Snapshot of ${lunName}`,
      testid: 'snapshot-dialog',
      submitLabel: snapclone ? 'Take snapclone' : 'Take snapshot',
      content: [
        h('p', { class: 'message' }, snapclone
          ? 'A snapclone shares everything at first; BGCOPY then copies every segment in the background and it leaves the tree as an independent LUN.'
          : 'A snapshot holds exactly the writes acknowledged before this request (cache marker) and shares data with the LUN until it is overwritten.'),
        field('Name', name, ['name', 'snapclone'], 'letters, digits, . _ : - (up to 128)'),
        snapclone ? field('Mode', cloneMode, ['mode'],
          'EAGER: a host write also copies the old data into the older snapshot; SCALING: copied once when the clone leaves (seed 004 Fig. 15)') : null,
        snapclone ? field('Quiesce threshold M', quiesce, ['quiesceThreshold'],
          'fewer than M segments left to copy when the clone leaves: brief quiesce; empty = the controller default') : null,
      ].filter((x) => x !== null),
      onSubmit: async () => {
        const body = { name: name.value.trim(), snapclone };
        if (snapclone) {
          body.mode = cloneMode.value;
          if (quiesce.value.trim() !== '') body.quiesceThreshold = Number(quiesce.value);
        }
        const r = await post(base + '/snapshots', body);
        toast(r.taken === false ? `${r.name} is queued behind cached writes; it appears once taken` : `${r.name} taken`, 'ok');
        await refresh(null);
      },
    });
  }

  async function resize() {
    if (!lun) return;
    const now = bestUnit(lun.sizeBytes);
    const ctl = sizeControls('resize', now.value, now.unit);
    await formDialog({
      title: `Resize ${lunName}`,
      testid: 'resize-dialog',
      submitLabel: 'Resize',
      content: [
        h('p', { class: 'message' }, `Now ${fmtBytes(lun.sizeBytes)}. Growing exposes zeros; shrinking discards the data beyond the new end `
          + '(snapshots keep theirs). Hosts get a CAPACITY DATA HAS CHANGED unit attention.'),
        field('New size', [ctl.size, ctl.unit], ['sizeBytes', 'name'], '1 MiB to 2 TiB, in whole MiB'),
      ],
      onSubmit: async () => {
        const bytes = sizeBytes(ctl, 'sizeBytes');
        let r;
        try {
          r = await patch(base, { sizeBytes: bytes });
        } catch (err) {
          if (!needsForce(err)) throw err;
          const forced = await forceDialog({   // a shrink under hosts or snapshots: name the LUN to go on
            title: `Shrink ${lunName} while it is in use?`, lun: lunName, message: err.message,
            presentations: err.presentations, snapshots: err.snapshots, confirmLabel: 'Shrink LUN', testid: 'force-resize',
            onForce: async () => { r = await patch(base + '?force=true', { sizeBytes: bytes }); },
          });
          if (!forced) throw err;
        }
        toast(`${lunName} is now ${fmtBytes(r.sizeBytes)}`, 'ok');
        lun = r;
        renderDetails();
        refresh(null);
      },
    });
  }

  resizeButton.addEventListener('click', resize);
  snapButton.addEventListener('click', () => takeSnapshot(false));
  cloneButton.addEventListener('click', () => takeSnapshot(true));
  async function deleteLun() {
    const deleted = () => {
      toast(`LUN ${lunName} deleted`, 'ok');
      location.hash = '#/luns';
    };
    const inUse = lun && (lun.presentations.length > 0 || lun.snapshots.length > 0);
    if (!inUse) {
      await confirmDialog({
        title: `Delete LUN ${lunName}?`,
        message: 'The LUN and its data are deleted. This cannot be undone.',
        confirmLabel: 'Delete LUN',
        testid: 'confirm-delete-lun',
        onConfirm: async () => {
          await del(base);   // refused (409) if a host was given it meanwhile: the dialog shows why
          deleted();
        },
      });
      return;
    }
    const owners = {};   // initiator -> registered host, to name the hosts that see it
    try {
      for (const host of (await get('/api/hosts')).hosts) {
        for (const i of host.initiators) owners[i.initiator.toLowerCase()] = host.name;
      }
    } catch (err) {
      if (err.status === 401) return;
    }
    await forceDialog({
      title: `Delete LUN ${lunName} while it is in use?`,
      lun: lunName,
      message: `The LUN, its data and its ${lun.snapshots.length} snapshot(s) are deleted and every host that sees it loses it. `
        + 'This cannot be undone.',
      presentations: lun.presentations.map((p) => ({ ...p, unit: lunName, host: owners[p.initiator.toLowerCase()] })),
      snapshots: lun.snapshots,
      confirmLabel: 'Delete LUN',
      testid: 'confirm-delete-lun',
      onForce: async () => {
        await del(base + '?force=true');
        deleted();
      },
    });
  }

  deleteButton.addEventListener('click', deleteLun);

  presentForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(presentForm);
    const n = hostLun.value.trim() === '' ? NaN : Number(hostLun.value);
    if (!Number.isInteger(n)) {
      showError(presentForm, 'hostLun', 'enter a whole number 0..16383');
      return;
    }
    try {
      await post(base + '/present', { initiator: initiator.value.trim(), hostLun: n });
      toast(`${lunName} presented to ${initiator.value.trim()} as LUN ${n}`, 'ok');
      refresh(null);
    } catch (err) {
      if (err.status !== 401) showError(presentForm, err.field, err.message);
    }
  });

  /** 'jobs' event: BGCOPY bars of this tree move in place, without a request. */
  function onJobs(body) {
    if (!tree) return;
    const svg = treeBox.querySelector('svg');
    if (!svg) return;
    for (const j of normalizeJobs(body)) {
      if (j.type !== 'bgcopy') continue;
      if (!tree.disks.some((d) => d.name === j.snapshot)) continue;
      const state = j.state === 'RUNNING' && j.stalled ? 'STALLED_NO_SPACE' : j.state;
      updateTreeBgcopy(svg, j.snapshot, j.done, j.total, state);
      const cell = [...snapList.querySelectorAll('td[data-bgcopy-cell]')].find((c) => c.dataset.bgcopyCell === j.snapshot);
      if (cell) cell.textContent = `${fmtInt(j.done)} / ${fmtInt(j.total)} · ${state.toLowerCase()}`;
    }
  }

  return {
    el,
    title: 'LUN ' + lunName,
    topics: ['luns', 'snapshots', 'jobs', 'ownership'],
    refresh,
    onJobs,
    dispose: () => { disposed = true; perf.dispose(); },
  };
}
