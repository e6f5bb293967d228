// Events: the persistent event log (GET /api/event-log), newest first — health transitions (drive failed or
// restored, data lost, snapshot invalidated, cache unmirrored), rebuilds, capacity thresholds, takeovers, and every
// management change with who made it. Filters: severity, object, time window; "Older" pages back.

import { h, replace, toast } from '../dom.js';
import { get } from '../api.js';
import { serial, badge } from '../ui.js';

const PAGE = 100;

export function create() {
  const severity = h('select', { 'data-testid': 'events-severity' },
    ['INFO', 'WARNING', 'CRITICAL'].map((s) => h('option', { value: s }, s === 'INFO' ? 'all severities' : s + ' and above')));
  const since = h('select', { 'data-testid': 'events-since' },
    [['1h', 'last hour'], ['24h', 'last 24 hours'], ['7d', 'last 7 days'], ['', 'all']].map(([v, t]) => h('option', { value: v }, t)));
  const object = h('input', { type: 'search', placeholder: 'object, e.g. lun db1', 'data-testid': 'events-object' });
  const table = h('div', { 'data-testid': 'events' }, h('p', { class: 'muted' }, 'Loading…'));
  const older = h('button', { type: 'button', class: 'small', hidden: true, 'data-testid': 'events-older' }, 'Older');
  const el = h('div', { class: 'page events' },
    h('h1', {}, 'Events'),
    h('div', { class: 'buttons filters' }, severity, since, object),
    table, older);
  let disposed = false;
  let shown = [];
  let next = null;

  function query(before) {
    const q = [`severity=${severity.value}`, `limit=${PAGE}`];
    if (since.value) q.push('since=' + since.value);
    if (object.value.trim()) q.push('object=' + encodeURIComponent(object.value.trim()));
    if (before) q.push('before=' + before);
    return '/api/event-log?' + q.join('&');
  }

  const refresh = serial(async () => {
    try {
      const page = await get(query(null));
      if (disposed) return;
      shown = page.events;
      next = page.next;
      render();
    } catch (e) {
      if (e.status !== 401) toast('Refresh failed: ' + e.message, 'error');
    }
  });

  async function loadOlder() {
    const page = await get(query(next));
    if (disposed) return;
    shown = shown.concat(page.events);
    next = page.next;
    render();
  }

  function render() {
    older.hidden = !next;
    if (shown.length === 0) {
      replace(table, h('p', { class: 'muted' }, 'No events match.'));
      return;
    }
    replace(table, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Severity'), h('th', {}, 'Category'),
        h('th', {}, 'Object'), h('th', {}, 'Event'), h('th', {}, 'By'))),
      h('tbody', {}, shown.map((e) => h('tr', { 'data-seq': String(e.seq) },
        h('td', { class: 'mono' }, new Date(e.timeMillis).toLocaleString()),
        h('td', {}, badge(e.severity, e.severity === 'CRITICAL' ? 'failed' : e.severity === 'WARNING' ? 'warn' : 'ok')),
        h('td', {}, e.category),
        h('td', {}, e.object || '–'),
        h('td', {}, e.message),
        h('td', { class: 'mono' }, e.actor || 'system'))))));
  }

  for (const c of [severity, since]) c.addEventListener('change', () => refresh(null));
  object.addEventListener('change', () => refresh(null));
  older.addEventListener('click', () => loadOlder().catch((e) => toast('Loading older events failed: ' + e.message, 'error')));

  return {
    el,
    title: 'Events',
    topics: ['events', 'health', 'pool', 'luns', 'snapshots', 'hosts', 'schedules', 'controllers', 'ownership', 'backup'],
    refresh: () => refresh(null),
    dispose: () => { disposed = true; },
  };
}
