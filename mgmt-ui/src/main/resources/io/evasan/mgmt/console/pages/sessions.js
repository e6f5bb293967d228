// Sessions: the live iSCSI sessions of the cell's portals (GET /api/iscsi/sessions) — initiator, ISID, the controller
// and portal it logged in to, where from, since when, how it authenticated, the digests, its health (a silent
// initiator whose NOP-In ping waits for an answer is DEGRADED) — and the newest refused logins, as targetcli's
// "sessions detail" and its log show them. Filter: one initiator name.

import { h, replace, toast } from '../dom.js';
import { get } from '../api.js';
import { serial, badge } from '../ui.js';

export function create() {
  const initiator = h('input', { type: 'search', placeholder: 'initiator, e.g. iqn.1994-05.com.redhat:db1', 'data-testid': 'sessions-initiator' });
  const table = h('div', { 'data-testid': 'sessions' }, h('p', { class: 'muted' }, 'Loading…'));
  const refused = h('div', { 'data-testid': 'refused-logins' });
  const el = h('div', { class: 'page sessions' },
    h('h1', {}, 'iSCSI sessions'),
    h('div', { class: 'buttons filters' }, initiator),
    table,
    h('h2', {}, 'Refused logins'),
    refused);
  let disposed = false;

  const refresh = serial(async () => {
    try {
      const who = initiator.value.trim();
      const body = await get('/api/iscsi/sessions' + (who ? '?initiator=' + encodeURIComponent(who) : ''));
      if (disposed) return;
      render(body);
    } catch (e) {
      if (e.status !== 401) toast('Refresh failed: ' + e.message, 'error');
    }
  });

  function state(s) {
    const st = s.health ? s.health.state : 'OK';
    return badge(st, st === 'OK' ? 'ok' : st === 'FAILED' ? 'failed' : 'warn');
  }

  function render(body) {
    if (body.sessions.length === 0) {
      replace(table, h('p', { class: 'muted' }, 'No iSCSI session is logged in.'));
    } else {
      replace(table, h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Initiator'), h('th', {}, 'ISID'), h('th', {}, 'Controller'),
          h('th', {}, 'Portal'), h('th', {}, 'From'), h('th', {}, 'Logged in'), h('th', {}, 'Authentication'),
          h('th', {}, 'Digests'), h('th', {}, 'Health'))),
        h('tbody', {}, body.sessions.map((s) => h('tr', { 'data-initiator': s.initiator },
          h('td', { class: 'mono' }, s.initiator),
          h('td', { class: 'mono' }, s.isid),
          h('td', {}, s.controller),
          h('td', { class: 'mono' }, s.portal),
          h('td', { class: 'mono' }, s.address),
          h('td', {}, new Date(s.loginTime).toLocaleString()),
          h('td', {}, s.authentication),
          h('td', {}, `header ${s.headerDigest}, data ${s.dataDigest}`),
          h('td', { title: s.health ? s.health.reason : '' }, state(s)))))));
    }
    if (body.failedLogins.length === 0) {
      replace(refused, h('p', { class: 'muted' }, 'No refused login.'));
    } else {
      replace(refused, h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Initiator'), h('th', {}, 'Why'))),
        h('tbody', {}, body.failedLogins.map((e) => h('tr', { 'data-seq': String(e.seq) },
          h('td', { class: 'mono' }, new Date(e.time).toLocaleString()),
          h('td', { class: 'mono' }, e.initiator || '–'),
          h('td', {}, e.message))))));
    }
  }

  initiator.addEventListener('change', () => refresh(null));

  return {
    el,
    title: 'iSCSI sessions',
    // a login or logout changes the health model (sessions are health objects); a refused login is an event
    topics: ['health', 'events', 'hosts'],
    refresh: () => refresh(null),
    dispose: () => { disposed = true; },
  };
}
