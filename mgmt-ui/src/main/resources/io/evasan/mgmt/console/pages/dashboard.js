// Dashboard: capacity per drive (SVG columns per disk group) with the drive drill buttons,
// controllers with their cache, and the background jobs with progress bars.

import { h, replace, fmtBytes, fmtInt, percent, progressBar, updateBar, toast } from '../dom.js';
import { get, post, seg, normalizeJobs, ApiError } from '../api.js';
import { capacityChart } from '../charts.js';
import { perfPanel, controllerSeries, capacityForecast } from '../perf.js';
import { confirmDialog, formDialog, field, serial, badge } from '../ui.js';
import { sizeControls, sizeBytes } from './luns.js';
import { nscFacts } from './controllers.js';
import { healthBadge } from '../health.js';

/** The create-disk-group dialog (name, 6..12 drives, drive size); resolves to the new group's name or null. */
export async function createGroupDialog() {
  const name = h('input', { name: 'name', required: true, autocomplete: 'off', 'data-testid': 'group-name', placeholder: 'e.g. dg1' });
  const drives = h('input', { name: 'drives', type: 'number', min: '6', max: '12', step: '1', value: '6', 'data-testid': 'group-drives', class: 'short' });
  const size = sizeControls('group', 1, 'GiB');
  let created = null;
  await formDialog({
    title: 'Create disk group',
    testid: 'create-group',
    submitLabel: 'Create',
    content: [
      h('p', { class: 'message' }, 'The drives are sparse files under drives/group-<name>/ of the data directory; they use disk space only as data is written.'),
      field('Name', name, ['name']),
      field('Drives', drives, ['drives'], '6 to 12'),
      field('Drive size', [size.size, size.unit], ['driveSizeBytes'], '64 MiB to 64 TiB, a multiple of 1 MiB'),
    ],
    onSubmit: async () => {
      const n = drives.value.trim() === '' ? NaN : Number(drives.value);
      if (!Number.isInteger(n)) throw new ApiError(400, { error: 'enter a whole number of drives, 6..12', field: 'drives' });
      const g = await post('/api/pool/groups', { name: name.value.trim(), drives: n, driveSizeBytes: sizeBytes(size, 'driveSizeBytes') });
      created = g.name;
      toast(`Disk group ${g.name} created: ${g.drives.length} drives, ${fmtInt(g.totalPsegs)} PSEGs`, 'ok');
    },
  });
  return created;
}

export function create() {
  const capacity = h('div', { class: 'groups', 'data-testid': 'capacity' }, h('p', { class: 'muted' }, 'Loading…'));
  const controllers = h('div', { 'data-testid': 'controllers' }, h('p', { class: 'muted' }, 'Loading…'));
  const jobs = h('div', { 'data-testid': 'jobs' }, h('p', { class: 'muted' }, 'Loading…'));
  const createGroupButton = h('button', { type: 'button', class: 'small', 'data-testid': 'create-group-open' }, 'Create disk group');
  const perf = perfPanel(controllerSeries, 'Performance of this controller');
  const forecast = capacityForecast();
  const el = h('div', { class: 'page dashboard' },
    h('h1', {}, 'Dashboard'),
    h('section', { class: 'panel' },
      h('div', { class: 'title-row' }, h('h2', {}, 'Capacity per drive'), createGroupButton),
      capacity),
    h('div', { class: 'columns' },
      h('section', { class: 'panel' }, h('div', { class: 'title-row' }, h('h2', {}, 'Controllers'),
        h('a', { href: '#/controllers', 'data-testid': 'controllers-link' }, 'Drills and failover →')), controllers),
      h('section', { class: 'panel' }, h('h2', {}, 'Jobs'), jobs)),
    h('section', { class: 'panel' }, h('h2', {}, 'Capacity and forecast'), forecast.el),
    perf.el);
  perf.refresh();

  let pool = null;
  let jobList = [];
  let jobIdsFromApi = false; // GET /api/jobs lists job ids: pause/resume/cancel by id are served
  let disposed = false;

  const refresh = serial(async (topics) => {
    const want = (t) => topics === null || topics.has(t);
    const work = [];
    if (want('pool') || want('jobs')) work.push(get('/api/pool').then((p) => { pool = p; }));
    if (want('jobs') || want('pool')) {
      work.push(get('/api/jobs').then((j) => {
        jobIdsFromApi = Array.isArray(j.jobs);
        jobList = normalizeJobs(j);
      }));
    }
    if (want('pool')) work.push(forecast.refresh());
    if (want('controllers')) work.push(get('/api/controllers').then((c) => { if (!disposed) renderControllers(c); }));
    const results = await Promise.allSettled(work);
    if (disposed) return;
    if (want('pool') || want('jobs')) {
      if (pool) renderPool();
      renderJobs();
    }
    const failed = results.find((r) => r.status === 'rejected');
    if (failed && failed.reason.status !== 401) toast('Refresh failed: ' + failed.reason.message, 'error');
  });

  function rebuildOf(group) {
    return jobList.find((j) => j.type === 'rebuild' && (j.id === 'rebuild-' + group.id || j.id === 'rebuild-' + group.name));
  }

  function renderPool() {
    const blocks = pool.groups.map((g) => {
      const used = g.usedPsegs * g.psegBytes;
      const total = g.totalPsegs * g.psegBytes;
      const rb = rebuildOf(g);
      const flags = [];
      if (g.rebuildInProgress) flags.push(badge('rebuilding', 'warn'));
      if (g.resyncInProgress) flags.push(badge('resync', 'warn'));
      if (g.health && g.health.state !== 'OK') flags.push(healthBadge(g.health));
      const rows = g.drives.filter((d) => d.state !== 'REMOVED').map((d) => {
        const action = d.state === 'AVAILABLE'
          ? h('button', { type: 'button', class: 'small danger', 'data-testid': `fail-${g.id}-${d.index}`, onclick: () => failDrive(g, d) }, 'Fail')
          : h('button', { type: 'button', class: 'small', 'data-testid': `restore-${g.id}-${d.index}`, onclick: () => restoreDrive(g, d) }, 'Restore');
        return h('tr', { 'data-drive': d.index },
          h('td', {}, 'd' + d.index),
          h('td', {}, badge(d.state)),
          h('td', { class: 'num' }, fmtBytes(d.capacityBytes)),
          h('td', { class: 'num' }, `${fmtInt(d.usedPsegs)} / ${fmtInt(d.psegCount)}`),
          h('td', { class: 'num' }, `${d.rssId}.${d.rssSlot}`),
          h('td', {}, action));
      });
      return h('div', { class: 'group' },
        h('h3', {}, g.name, ' ', h('span', { class: 'muted' },
          `${fmtBytes(used)} used of ${fmtBytes(total)} (${percent(g.usedPsegs, g.totalPsegs).toFixed(1)}%) · ${fmtInt(g.freePsegs)} free PSEGs`), ' ', flags),
        rb && (rb.state === 'RUNNING' || g.rebuildInProgress)
          ? h('div', { class: 'rebuild' }, h('span', {}, `Rebuild of ${g.name}: ${fmtInt(rb.done)} / ${fmtInt(rb.total)} ${rb.unit || ''}`),
            progressBar(rb.done, rb.total, { testid: 'rebuild-' + g.id, label: 'rebuild of ' + g.name, state: rb.state }))
          : null,
        h('div', { class: 'chart-scroll' }, capacityChart(g)),
        h('details', { class: 'drives', open: true },
          h('summary', {}, 'Drives and drills'),
          h('table', { class: 'grid' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Drive'), h('th', {}, 'State'), h('th', { class: 'num' }, 'Capacity'),
              h('th', { class: 'num' }, 'Used / PSEGs'), h('th', { class: 'num' }, 'RSS.slot'), h('th', {}, 'Drill'))),
            h('tbody', {}, rows))));
    });
    // keep the open/closed state of the drive tables across redraws
    const open = [...capacity.querySelectorAll('details.drives')].map((d) => d.open);
    replace(capacity, blocks);
    [...capacity.querySelectorAll('details.drives')].forEach((d, i) => { if (i < open.length) d.open = open[i]; });
  }

  function failDrive(g, d) {
    confirmDialog({
      title: `Fail drive d${d.index}?`,
      message: `Drill: drive d${d.index} of ${g.name} stops accepting I/O. Data stays readable through redundancy (degraded) until the drive is restored and rebuilt.`,
      confirmLabel: 'Fail drive',
      testid: 'confirm-fail',
      onConfirm: async () => {
        await post(`/api/pool/groups/${g.id}/drives/${d.index}/fail`);
        toast(`Drive d${d.index} of ${g.name} failed`, 'ok');
        refresh(new Set(['pool']));
      },
    });
  }

  async function restoreDrive(g, d) {
    try {
      const r = await post(`/api/pool/groups/${g.id}/drives/${d.index}/restore`);
      toast(`Drive d${d.index} restored; rebuild of ${g.name} started (${fmtInt(r.rebuild.total)} rows)`, 'ok');
      refresh(new Set(['pool', 'jobs']));
    } catch (e) {
      toast(`Restore of d${d.index}: ${e.message}`, 'error');
    }
  }

  function renderControllers(list) {
    // the cache, destage and backup fields are the cell's (each entry repeats them): shown once, then each NSC
    const c = list[0];
    if (!c) {
      replace(controllers, h('p', { class: 'muted' }, 'No controllers.'));
      return;
    }
    replace(controllers,
      h('dl', { class: 'facts' },
        h('dt', {}, c.paired ? 'Cache dirty (both NSCs)' : 'Cache dirty'),
        h('dd', {}, `${fmtBytes(c.cacheDirtyBytes)} of ${fmtBytes(c.cacheCapacityBytes)}`,
          progressBar(c.cacheDirtyBytes, c.cacheCapacityBytes, { testid: 'dirty-' + c.name, label: 'dirty cache bytes' })),
        c.destagedBytesPerSecond !== undefined ? [h('dt', {}, 'Destage rate'), h('dd', {}, fmtBytes(c.destagedBytesPerSecond) + '/s')] : null,
        h('dt', {}, 'Snapshot backup (seed 003)'),
        h('dd', {}, h('a', { href: '#/backup', title: 'the backup page' }, badge(c.snapshotBackupState)))),
      list.map((n) => h('div', { class: 'controller', 'data-controller': n.name },
        h('h3', {}, n.id ? 'NSC ' + n.id + ' · ' : '', n.name, ' ', n.state ? badge(n.state) : null),
        nscFacts(n))));
  }

  function jobButton(j, verb, label) {
    // by job id where the API serves /api/jobs/{id}/..., else through the snapclone
    const path = jobIdsFromApi || j.type !== 'bgcopy' ? `/api/jobs/${seg(j.id)}/${verb}` : `/api/snapshots/${seg(j.snapshot)}/bgcopy/${verb}`;
    return h('button', {
      type: 'button', class: 'small', 'data-testid': `${verb}-${j.id}`,
      onclick: async () => {
        try {
          await post(path);
          refresh(new Set(['jobs']));
        } catch (e) {
          toast(`${verb} ${j.id}: ${e.message}`, 'error');
        }
      },
    }, label);
  }

  function cancelButton(j) {
    const what = j.type === 'bgcopy'
      ? `The copy stops and the unfinished snapclone ${j.snapshot} is deleted (its data is not yet independent).`
      : j.type === 'leveling'
        ? `Leveling of disk group ${j.target} stops; the move in flight is abandoned (its target freed), moves done stay.`
        : `The LOP copy to ${j.target} stops (LOP status TERMINATED BY COMMAND); the backup snapshot stays active.`;
    return h('button', {
      type: 'button', class: 'small danger', 'data-testid': `cancel-${j.id}`,
      onclick: () => confirmDialog({
        title: `Cancel ${j.id}?`,
        message: what,
        confirmLabel: 'Cancel the job',
        testid: 'confirm-cancel',
        onConfirm: async () => {
          await post(`/api/jobs/${seg(j.id)}/cancel`);
          toast(`${j.id} cancelled`, 'ok');
          refresh(new Set(['jobs', 'snapshots']));
        },
      }),
    }, 'Cancel');
  }

  function jobActions(j) {
    const out = [];
    // a rebuild restores redundancy: it is never paused or cancelled
    if (j.type !== 'bgcopy' && j.type !== 'lopcopy' && j.type !== 'leveling') return out;
    if ((j.type === 'lopcopy' || j.type === 'leveling') && !jobIdsFromApi) return out;
    if (j.state === 'RUNNING') out.push(jobButton(j, 'pause', 'Pause'));
    // a BGCOPY stalled for lack of space is FAILED and resumes once space is free
    if (j.state === 'PAUSED' || (j.state === 'FAILED' && j.type === 'bgcopy')) out.push(jobButton(j, 'resume', 'Resume'));
    if (jobIdsFromApi && (j.state === 'RUNNING' || j.state === 'PAUSED' || (j.state === 'FAILED' && j.type === 'bgcopy'))) {
      out.push(cancelButton(j));
    }
    return out;
  }

  function jobText(j) {
    return `${fmtInt(j.done)} / ${fmtInt(j.total)} ${j.unit || ''} (${percent(j.done, j.total).toFixed(1)}%)`;
  }

  function renderJobs() {
    if (jobList.length === 0) {
      replace(jobs, h('p', { class: 'muted' }, 'No background jobs.'));
      return;
    }
    const ended = (j) => j.state === 'DONE' || j.state === 'CANCELLED';
    const sorted = [...jobList].sort((a, b) => ended(a) - ended(b) || a.id.localeCompare(b.id));
    const clearable = jobList.some((j) => ended(j) || (j.state === 'FAILED' && j.type !== 'bgcopy'));
    const clear = h('button', { type: 'button', class: 'small', 'data-testid': 'jobs-clear', hidden: !clearable }, 'Clear finished');
    clear.addEventListener('click', async () => {
      try {
        const r = await post('/api/jobs/clear');
        toast(r.cleared.length ? `cleared ${r.cleared.length} finished job(s)` : 'no finished job to clear', 'ok');
        refresh(new Set(['jobs']));
      } catch (e) {
        if (e.status !== 401) toast('Clear failed: ' + e.message, 'error');
      }
    });
    replace(jobs, clear, h('table', { class: 'grid jobs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Job'), h('th', {}, 'State'), h('th', {}, 'Progress'), h('th', {}))),
      h('tbody', {}, sorted.map((j) => h('tr', { 'data-job': j.id, class: ended(j) ? 'finished' : null },
        h('td', {}, h('strong', {}, j.type), ' ', j.type === 'bgcopy' ? 'snapclone ' + j.snapshot
          : j.type === 'lopcopy' ? 'to ' + j.target + (j.incremental ? ' (incremental)' : '')
            : j.type === 'leveling' ? `disk group ${j.target} (${j.moves} of ${j.movesPlanned} moves)` : j.target),
        h('td', {}, badge(j.state), j.stalled || j.message ? h('span', { class: 'hint' }, ' ' + (j.stalled || j.message)) : null),
        h('td', { class: 'progress-cell' }, progressBar(j.done, j.total, { testid: 'job-' + j.id, label: j.id, state: j.state }),
          h('span', { class: 'progress-text' }, jobText(j))),
        h('td', { class: 'actions' }, jobActions(j)))))));
  }

  /** The 'jobs' event (every second while a job runs): bars move in place; a new or changed job redraws the table. */
  function onJobs(body) {
    const next = normalizeJobs(body);
    const rows = new Map([...jobs.querySelectorAll('tr[data-job]')].map((r) => [r.dataset.job, r]));
    const same = next.length === jobList.length && next.every((j) => {
      const old = jobList.find((o) => o.id === j.id);
      return old && old.state === j.state && rows.has(j.id);
    });
    jobList = next;
    if (!same) {
      renderJobs();
      return;
    }
    for (const j of next) {
      const row = rows.get(j.id);
      updateBar(row.querySelector('[role=progressbar]'), j.done, j.total, j.state);
      row.querySelector('.progress-text').textContent = jobText(j);
    }
    if (pool) {
      for (const g of pool.groups) {
        const rb = rebuildOf(g);
        const bar = capacity.querySelector(`[data-testid="rebuild-${g.id}"]`);
        if (rb && bar) updateBar(bar, rb.done, rb.total, rb.state);
      }
    }
  }

  createGroupButton.addEventListener('click', async () => {
    if (await createGroupDialog()) refresh(new Set(['pool']));
  });

  return {
    el,
    title: 'Dashboard',
    topics: ['pool', 'jobs', 'controllers', 'health'],
    refresh,
    onJobs,
    dispose: () => { disposed = true; perf.dispose(); },
  };
}
