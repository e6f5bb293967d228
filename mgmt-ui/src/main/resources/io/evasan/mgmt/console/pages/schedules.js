// Snapshot schedules: the list (name, LUN, interval and time of day, keep, next/last run, last snapshot, last error),
// the create and edit dialogs (server errors at the field they name) and delete. Live: the 'schedules' topic
// (a run, a new or deleted schedule) and 'luns' (the LUN choices of the dialog) refetch the list.

import { h, replace, fmtTime, toast } from '../dom.js';
import { api, get, post, del, seg } from '../api.js';
import { field, formDialog, confirmDialog, serial, badge } from '../ui.js';

const PERIODS = [['minutes', 60], ['hours', 3600], ['days', 86400]];

/** 5400 -> "1 h 30 min"; whole days/hours/minutes, seconds only when not whole minutes. */
export function fmtInterval(seconds) {
  const parts = [];
  let s = Number(seconds);
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['min', 60]]) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)} ${unit}`);
      s %= n;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s} s`);
  return parts.join(' ');
}

/**
 * The create dialog, or with `existing` (a schedule as GET /api/schedules shows it) the edit dialog: name and LUN fixed,
 * the other fields prefilled, sent as PATCH. Resolves to the schedule's name when saved, else null.
 */
async function scheduleDialog(lunNames, existing) {
  const editing = !!existing;
  const name = h('input', { name: 'name', required: true, autocomplete: 'off', 'data-testid': 'schedule-name', placeholder: 'e.g. db01-hourly',
    value: editing ? existing.name : '', disabled: editing });
  const lun = h('select', { name: 'lun', 'data-testid': 'schedule-lun', disabled: editing },
    editing ? h('option', { value: existing.lun }, existing.lun)
      : lunNames.length ? lunNames.map((n) => h('option', { value: n }, n)) : h('option', { value: '' }, '(no LUNs)'));
  const [unit, count] = !editing ? ['hours', 1]
    : existing.intervalSeconds % 86400 === 0 ? ['days', existing.intervalSeconds / 86400]
      : existing.intervalSeconds % 3600 === 0 ? ['hours', existing.intervalSeconds / 3600] : ['minutes', Math.round(existing.intervalSeconds / 60)];
  const every = h('input', { name: 'every', type: 'number', min: '1', step: '1', value: String(count), 'data-testid': 'schedule-every', class: 'short' });
  const period = h('select', { name: 'period', 'data-testid': 'schedule-period' },
    PERIODS.map(([p]) => h('option', { value: p, selected: p === unit }, p)));
  const at = h('input', { name: 'at', type: 'time', 'data-testid': 'schedule-at', value: editing && existing.at ? existing.at : '' });
  const keep = h('input', { name: 'keep', type: 'number', min: '1', max: '256', step: '1', value: String(editing ? existing.keep : 24),
    'data-testid': 'schedule-keep', class: 'short' });
  const snapclone = h('input', { name: 'snapclone', type: 'checkbox', 'data-testid': 'schedule-snapclone', checked: editing && existing.snapclone });
  let saved = null;
  await formDialog({
    title: editing ? `Edit schedule ${existing.name}` : 'Create snapshot schedule',
    testid: editing ? 'edit-schedule' : 'create-schedule',
    submitLabel: editing ? 'Save' : 'Create',
    content: [
      h('p', { class: 'message' }, editing
        ? 'The next run follows from the last one; a smaller "keep" deletes the surplus snapshots at the next run.'
        : 'Each run takes <name>-yyyyMMdd-HHmmss (UTC) through the cache marker, then deletes the oldest of its snapshots beyond "keep".'),
      field('Name', name, ['name'], editing ? null : 'letters, digits, . _ : - (up to 112)'),
      field('LUN', lun, ['lun']),
      field('Every', [every, period], ['intervalSeconds'], '1 minute to 365 days'),
      field('At (UTC)', at, ['at'], 'optional: the runs fall on this time of day plus whole intervals (daily at 02:00, hourly at :15)'),
      field('Keep', keep, ['keep'], 'newest snapshots kept, 1..256'),
      field('Snapclones', snapclone, ['snapclone'], 'take snapclones (full copies) instead of snapshots'),
    ],
    onSubmit: async () => {
      const n = every.value.trim() === '' ? NaN : Number(every.value);
      if (!Number.isInteger(n)) throw Object.assign(new Error('enter a whole number'), { field: 'intervalSeconds', status: 400 });
      const k = keep.value.trim() === '' ? NaN : Number(keep.value);
      if (!Number.isInteger(k)) throw Object.assign(new Error('enter a whole number 1..256'), { field: 'keep', status: 400 });
      const body = {
        intervalSeconds: n * PERIODS.find(([p]) => p === period.value)[1],
        keep: k,
        snapclone: snapclone.checked,
        at: at.value ? at.value.slice(0, 5) : null,
      };
      const s = editing ? await api('PATCH', '/api/schedules/' + seg(existing.name), body)
        : await post('/api/schedules', { name: name.value.trim(), lun: lun.value, ...body });
      saved = s.name;
      toast(`Schedule ${s.name} ${editing ? 'saved' : 'created'}: ${s.lun} every ${fmtInterval(s.intervalSeconds)}`
        + `${s.at ? ' at ' + s.at + ' UTC' : ''}, next run ${fmtTime(s.nextRunMillis)}`, 'ok');
    },
  });
  return saved;
}

export function create() {
  const table = h('div', { 'data-testid': 'schedule-table' }, h('p', { class: 'muted' }, 'Loading…'));
  const createButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'create-schedule-open' }, 'Create schedule');
  const el = h('div', { class: 'page schedules' },
    h('div', { class: 'title-row' }, h('h1', {}, 'Snapshot schedules'), createButton),
    h('section', { class: 'panel' }, table));
  let disposed = false;
  let lunNames = [];

  const refresh = serial(async (topics) => {
    const want = (t) => topics === null || topics.has(t);
    const [list, luns] = await Promise.all([
      get('/api/schedules'),
      want('luns') || lunNames.length === 0 ? get('/api/luns') : null,
    ]);
    if (disposed) return;
    if (luns) lunNames = luns.filter((l) => l.kind === 'PRIMARY').map((l) => l.name);
    if (list.length === 0) {
      replace(table, h('p', { class: 'muted' }, 'No schedules yet. Create one to take snapshots of a LUN at a fixed interval.'));
      return;
    }
    replace(table, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Name'), h('th', {}, 'LUN'), h('th', {}, 'Every'), h('th', { class: 'num' }, 'Keep'),
        h('th', {}, 'Next run'), h('th', {}, 'Last run'), h('th', {}, 'Last snapshot'), h('th', {}, 'Last error'), h('th', {}))),
      h('tbody', {}, list.map((sc) => h('tr', { 'data-schedule': sc.name },
        h('td', { class: 'mono' }, sc.name, sc.snapclone ? [' ', badge('snapclone', 'clone')] : null),
        h('td', {}, lunNames.includes(sc.lun) ? h('a', { href: '#/luns/' + seg(sc.lun) }, sc.lun) : h('span', { class: 'muted' }, sc.lun + ' (missing)')),
        h('td', {}, fmtInterval(sc.intervalSeconds) + (sc.at ? ` at ${sc.at} UTC` : '')),
        h('td', { class: 'num' }, String(sc.keep)),
        h('td', {}, fmtTime(sc.nextRunMillis)),
        h('td', {}, sc.lastRunMillis ? fmtTime(sc.lastRunMillis) : h('span', { class: 'muted' }, 'never')),
        h('td', { class: 'mono' }, sc.lastSnapshot || '–'),
        h('td', {}, sc.lastError ? h('span', { class: 'field-error', 'data-testid': 'schedule-error-' + sc.name }, sc.lastError) : '–'),
        h('td', { class: 'actions' }, h('button', {
          type: 'button', class: 'small', 'data-testid': 'edit-schedule-' + sc.name,
          onclick: async () => { if (await scheduleDialog(lunNames, sc)) refresh(new Set(['schedules'])); },
        }, 'Edit'), ' ', h('button', {
          type: 'button', class: 'small danger', 'data-testid': 'delete-schedule-' + sc.name,
          onclick: () => confirmDialog({
            title: `Delete schedule ${sc.name}?`,
            message: `No more snapshots of ${sc.lun} are taken by it; the snapshots it already took stay.`,
            confirmLabel: 'Delete schedule',
            testid: 'confirm-delete-schedule',
            onConfirm: async () => {
              await del('/api/schedules/' + seg(sc.name));
              toast(`Schedule ${sc.name} deleted`, 'ok');
              refresh(new Set(['schedules']));
            },
          }),
        }, 'Delete')))))));
  });

  createButton.addEventListener('click', async () => {
    if (lunNames.length === 0) lunNames = (await get('/api/luns')).filter((l) => l.kind === 'PRIMARY').map((l) => l.name);
    if (await scheduleDialog(lunNames, null)) refresh(new Set(['schedules']));
  });

  return {
    el,
    title: 'Schedules',
    topics: ['schedules', 'luns'],
    refresh,
    dispose: () => { disposed = true; },
  };
}
