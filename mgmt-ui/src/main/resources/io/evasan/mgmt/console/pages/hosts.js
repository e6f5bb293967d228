// Hosts: the registered hosts (initiators, the LUNs presented to each, CHAP user names), the initiators
// seen in presentations that belong to no host, the create dialog (name, initiators, optional CHAP user
// and secret — secrets are write-only: sent once, never shown again) and delete. Live: the 'hosts' topic
// (a host created or deleted) and 'luns' (presentations) refetch the list.

import { h, replace, fmtTime, toast } from '../dom.js';
import { get, post, del, seg, ApiError } from '../api.js';
import { field, formDialog, confirmDialog, serial, badge } from '../ui.js';

const MAX_INITIATORS = 64;

/** The API field names an initiator list stands for: 'initiators' and each 'initiators[i]'. */
const INITIATOR_FIELDS = ['initiators', ...Array.from({ length: MAX_INITIATORS }, (_, i) => `initiators[${i}]`)];

function localError(fieldName, message) {
  return new ApiError(400, { error: message, field: fieldName });
}

/** The create-host dialog, optionally prefilled with initiators; resolves to the created host's name or null. */
export async function createHostDialog(initiators) {
  const name = h('input', { name: 'name', required: true, autocomplete: 'off', 'data-testid': 'host-name', placeholder: 'e.g. db-server-1' });
  const inits = h('textarea', {
    name: 'initiators', rows: '3', spellcheck: 'false', 'data-testid': 'host-initiators',
    placeholder: 'iqn.1994-05.com.redhat:db1 (one per line)',
  });
  inits.value = (initiators || []).join('\n');
  const chapUser = h('input', { name: 'chapUser', autocomplete: 'off', 'data-testid': 'host-chap-user', placeholder: 'optional' });
  const chapSecret = h('input', { name: 'chapSecret', type: 'password', autocomplete: 'new-password', 'data-testid': 'host-chap-secret', placeholder: '12..255 characters' });
  let created = null;
  await formDialog({
    title: 'Create host',
    testid: 'create-host',
    submitLabel: 'Create',
    content: [
      field('Name', name, ['name'], 'letters, digits, . _ : -'),
      field('Initiators', inits, INITIATOR_FIELDS, 'iSCSI names (iqn., eui., naa.), one per line; each in at most one host'),
      field('CHAP user', chapUser, ['chap', 'chap.userName'], 'optional: the initiators must then log in with CHAP'),
      field('CHAP secret', chapSecret, ['chap.secret'], 'write-only: stored for the target, never shown again'),
    ],
    onSubmit: async () => {
      const list = inits.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
      if (list.length === 0) throw localError('initiators', 'enter at least one initiator name');
      const body = { name: name.value.trim(), initiators: list };
      const user = chapUser.value.trim();
      if (user !== '' || chapSecret.value !== '') {
        if (user === '') throw localError('chap.userName', 'enter the CHAP user name (or clear the secret)');
        body.chap = { userName: user, secret: chapSecret.value };
      }
      const host = await post('/api/hosts', body);
      chapSecret.value = '';
      created = host.name;
      toast(`Host ${host.name} created with ${host.initiators.length} initiator(s)${host.chap ? ', CHAP on' : ''}`, 'ok');
    },
  });
  chapSecret.value = '';
  return created;
}

function lunLinks(luns) {
  if (!luns || luns.length === 0) return h('span', { class: 'muted' }, 'none');
  return luns.map((l, i) => [i ? ', ' : null, h('a', { href: '#/luns/' + seg(l.lun) }, l.lun), ` (${l.hostLun})`]);
}

export function create() {
  const hostTable = h('div', { 'data-testid': 'host-table' }, h('p', { class: 'muted' }, 'Loading…'));
  const unregTable = h('div', { 'data-testid': 'unregistered-table' }, h('p', { class: 'muted' }, 'Loading…'));
  const createButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'create-host-open' }, 'Create host');
  const el = h('div', { class: 'page hosts' },
    h('div', { class: 'title-row' }, h('h1', {}, 'Hosts'), createButton),
    h('section', { class: 'panel' }, h('h2', {}, 'Registered hosts'), hostTable),
    h('section', { class: 'panel' }, h('h2', {}, 'Initiators in presentations that belong to no host'), unregTable));
  let disposed = false;

  const refresh = serial(async () => {
    const body = await get('/api/hosts');
    if (disposed) return;
    renderHosts(body.hosts);
    renderUnregistered(body.unregistered);
  });

  function renderHosts(hosts) {
    if (hosts.length === 0) {
      replace(hostTable, h('p', { class: 'muted' }, 'No hosts yet. A host groups the initiator names of one server and can require CHAP at login.'));
      return;
    }
    replace(hostTable, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Name'), h('th', {}, 'Initiator'), h('th', {}, 'LUNs (host LUN)'), h('th', {}, 'CHAP'), h('th', {}, 'Created'), h('th', {}))),
      h('tbody', {}, hosts.flatMap((ho) => ho.initiators.map((ini, i) => h('tr', { 'data-host': ho.name },
        i === 0 ? h('td', { class: 'mono', rowspan: String(ho.initiators.length) }, ho.name) : null,
        h('td', { class: 'mono' }, ini.initiator),
        h('td', {}, lunLinks(ini.luns)),
        i === 0 ? h('td', { rowspan: String(ho.initiators.length) }, ho.chap
          ? [badge('CHAP', 'ok'), ' ', h('span', { class: 'mono' }, ho.chap.userName), ho.chap.mutual ? [' ', badge('mutual', 'ok')] : null]
          : h('span', { class: 'muted' }, 'none')) : null,
        i === 0 ? h('td', { rowspan: String(ho.initiators.length) }, fmtTime(ho.createdMillis)) : null,
        i === 0 ? h('td', { class: 'actions', rowspan: String(ho.initiators.length) }, h('button', {
          type: 'button', class: 'small danger', 'data-testid': 'delete-host-' + ho.name,
          onclick: () => confirmDialog({
            title: `Delete host ${ho.name}?`,
            message: 'Its CHAP secrets leave the target (its initiators log in without CHAP again); the LUN presentations of its initiators stay.',
            confirmLabel: 'Delete host',
            testid: 'confirm-delete-host',
            onConfirm: async () => {
              await del('/api/hosts/' + seg(ho.name));
              toast(`Host ${ho.name} deleted`, 'ok');
              refresh(new Set(['hosts']));
            },
          }),
        }, 'Delete')) : null))))));
  }

  function renderUnregistered(list) {
    if (list.length === 0) {
      replace(unregTable, h('p', { class: 'muted' }, 'None: every initiator a LUN is presented to belongs to a host.'));
      return;
    }
    replace(unregTable, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Initiator'), h('th', {}, 'LUNs (host LUN)'), h('th', {}))),
      h('tbody', {}, list.map((u) => h('tr', { 'data-initiator': u.initiator },
        h('td', { class: 'mono' }, u.initiator === '*' ? [u.initiator, ' ', h('span', { class: 'muted' }, '(every initiator)')] : u.initiator),
        h('td', {}, lunLinks(u.luns)),
        h('td', { class: 'actions' }, u.initiator === '*' ? null : h('button', {
          type: 'button', class: 'small', 'data-testid': 'register-' + u.initiator,
          onclick: async () => { if (await createHostDialog([u.initiator])) refresh(new Set(['hosts'])); },
        }, 'Register as host')))))));
  }

  createButton.addEventListener('click', async () => {
    if (await createHostDialog([])) refresh(new Set(['hosts']));
  });

  return {
    el,
    title: 'Hosts',
    topics: ['hosts', 'luns'],
    refresh,
    dispose: () => { disposed = true; },
  };
}
