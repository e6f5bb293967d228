// Hosts: the registered hosts (initiators, the LUNs presented to each, CHAP user names), the initiators
// seen in presentations that belong to no host, the create dialog (name, initiators, optional CHAP user
// and secret, optional mutual CHAP target user and secret — secrets are write-only: sent once, never shown
// again), the edit dialog (initiators, rotate or end CHAP / mutual CHAP) and delete. Live: the 'hosts'
// topic (a host created, edited or deleted) and 'luns' (presentations) refetch the list.

import { h, replace, fmtTime, toast } from '../dom.js';
import { get, post, patch, del, seg, ApiError } from '../api.js';
import { field, formDialog, confirmDialog, serial, badge } from '../ui.js';

const MAX_INITIATORS = 64;

/** The API field names an initiator list stands for: 'initiators' and each 'initiators[i]'. */
const INITIATOR_FIELDS = ['initiators', ...Array.from({ length: MAX_INITIATORS }, (_, i) => `initiators[${i}]`)];

function localError(fieldName, message) {
  return new ApiError(400, { error: message, field: fieldName });
}

/** Initiator names typed one per line (commas and spaces separate too). */
function initiatorList(textarea) {
  return textarea.value.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
}

/** The CHAP inputs both dialogs share; secrets are write-only (type=password, cleared after each request). */
function chapInputs(prefix) {
  const input = (name, testid, attrs) => h('input', { name, autocomplete: 'off', 'data-testid': prefix + testid, ...attrs });
  return {
    user: input('chapUser', '-chap-user', { placeholder: 'optional' }),
    secret: input('chapSecret', '-chap-secret', { type: 'password', autocomplete: 'new-password', placeholder: '12..255 characters' }),
    targetUser: input('targetUser', '-target-user', { placeholder: 'optional: mutual CHAP' }),
    targetSecret: input('targetSecret', '-target-secret', { type: 'password', autocomplete: 'new-password', placeholder: '12..255 characters, not the CHAP secret' }),
    clearSecrets() { this.secret.value = ''; this.targetSecret.value = ''; },
  };
}

/** The create-host dialog, optionally prefilled with initiators; resolves to the created host's name or null. */
export async function createHostDialog(initiators) {
  const name = h('input', { name: 'name', required: true, autocomplete: 'off', 'data-testid': 'host-name', placeholder: 'e.g. db-server-1' });
  const inits = h('textarea', {
    name: 'initiators', rows: '3', spellcheck: 'false', 'data-testid': 'host-initiators',
    placeholder: 'iqn.1994-05.com.redhat:db1 (one per line)',
  });
  inits.value = (initiators || []).join('\n');
  const c = chapInputs('host');
  let created = null;
  await formDialog({
    title: 'Create host',
    testid: 'create-host',
    submitLabel: 'Create',
    content: [
      field('Name', name, ['name'], 'letters, digits, . _ : -'),
      field('Initiators', inits, INITIATOR_FIELDS, 'iSCSI names (iqn., eui., naa.), one per line; each in at most one host'),
      field('CHAP user', c.user, ['chap', 'chap.userName'], 'optional: the initiators must then log in with CHAP'),
      field('CHAP secret', c.secret, ['chap.secret'], 'write-only: stored for the target, never shown again'),
      field('Mutual CHAP: target user', c.targetUser, ['chap.targetUserName'], 'optional: the name the target answers with'),
      field('Mutual CHAP: target secret', c.targetSecret, ['chap.targetSecret'], 'write-only; the initiators check the target with it'),
    ],
    onSubmit: async () => {
      const list = initiatorList(inits);
      if (list.length === 0) throw localError('initiators', 'enter at least one initiator name');
      const body = { name: name.value.trim(), initiators: list };
      const user = c.user.value.trim();
      const targetUser = c.targetUser.value.trim();
      if (user !== '' || c.secret.value !== '' || targetUser !== '' || c.targetSecret.value !== '') {
        if (user === '') throw localError('chap.userName', 'enter the CHAP user name (or clear the secrets)');
        body.chap = { userName: user, secret: c.secret.value };
        if (targetUser !== '' || c.targetSecret.value !== '') {
          body.chap.targetUserName = targetUser;
          body.chap.targetSecret = c.targetSecret.value;
        }
      }
      const host = await post('/api/hosts', body);
      c.clearSecrets();
      created = host.name;
      toast(`Host ${host.name} created with ${host.initiators.length} initiator(s)${host.chap ? (host.chap.mutual ? ', mutual CHAP on' : ', CHAP on') : ''}`, 'ok');
    },
  });
  c.clearSecrets();
  return created;
}

/**
 * The edit-host dialog (PATCH /api/hosts/{name}, merge semantics): the initiator list (the host's LUNs move
 * with it), CHAP user, a new CHAP secret (empty = keep), mutual CHAP target user and a new target secret,
 * and checkboxes that end CHAP or mutual CHAP. Resolves true when the host was changed.
 */
export async function editHostDialog(host) {
  const inits = h('textarea', { name: 'initiators', rows: '3', spellcheck: 'false', 'data-testid': 'edit-host-initiators' });
  inits.value = host.initiators.map((i) => i.initiator).join('\n');
  const c = chapInputs('edit-host');
  const had = host.chap;
  c.user.value = had ? had.userName : '';
  c.targetUser.value = had && had.targetUserName ? had.targetUserName : '';
  if (had) c.secret.placeholder = 'leave empty to keep the current secret';
  if (had && had.mutual) c.targetSecret.placeholder = 'leave empty to keep the current target secret';
  const clearChap = h('input', { type: 'checkbox', name: 'clearChap', 'data-testid': 'edit-host-clear-chap' });
  const clearMutual = h('input', { type: 'checkbox', name: 'clearMutual', 'data-testid': 'edit-host-clear-mutual' });
  const mutualOn = Boolean(had && had.mutual);
  const sync = () => {
    clearChap.disabled = !had;
    clearMutual.disabled = clearChap.checked || !mutualOn;
    for (const i of [c.user, c.secret]) i.disabled = clearChap.checked;
    for (const i of [c.targetUser, c.targetSecret]) i.disabled = clearChap.checked || (clearMutual.checked && !clearMutual.disabled);
  };
  clearChap.addEventListener('change', sync);
  clearMutual.addEventListener('change', sync);
  sync();
  let changed = false;
  await formDialog({
    title: `Edit host ${host.name}`,
    testid: 'edit-host',
    submitLabel: 'Save',
    content: [
      field('Initiators', inits, INITIATOR_FIELDS, 'one per line; the LUNs presented to the host move to the new list (removed initiators lose them)'),
      field('CHAP user', c.user, ['chap', 'chap.userName'], had ? 'CHAP is on' : 'CHAP is off: enter a user and a secret to switch it on'),
      field('New CHAP secret', c.secret, ['chap.secret'], 'write-only; the old secret stops working at the next login'),
      field('End CHAP', clearChap, [], 'the initiators log in without CHAP (mutual CHAP ends too)'),
      field('Mutual CHAP: target user', c.targetUser, ['chap.targetUserName'], had && had.mutual ? 'mutual CHAP is on' : 'optional: switch mutual CHAP on with a target secret'),
      field('Mutual CHAP: new target secret', c.targetSecret, ['chap.targetSecret'], 'write-only; must differ from the CHAP secret'),
      field('End mutual CHAP', clearMutual, [], 'the target no longer proves itself; the CHAP secret stays'),
    ],
    onSubmit: async () => {
      const list = initiatorList(inits);
      if (list.length === 0) throw localError('initiators', 'enter at least one initiator name');
      const body = {};
      if (list.join('\n') !== host.initiators.map((i) => i.initiator).join('\n')) body.initiators = list;
      if (clearChap.checked) {
        body.chap = null;
      } else {
        const chap = {};
        const user = c.user.value.trim();
        if (user !== (had ? had.userName : '')) chap.userName = user === '' ? null : user;
        if (c.secret.value !== '') chap.secret = c.secret.value;
        if (clearMutual.checked) {
          chap.targetUserName = null;
          chap.targetSecret = null;
        } else {
          const targetUser = c.targetUser.value.trim();
          if (targetUser !== (had && had.targetUserName ? had.targetUserName : '')) chap.targetUserName = targetUser === '' ? null : targetUser;
          if (c.targetSecret.value !== '') chap.targetSecret = c.targetSecret.value;
        }
        if (Object.keys(chap).length > 0) body.chap = chap;
      }
      if (Object.keys(body).length === 0) throw localError(null, 'nothing changed');
      const updated = await patch('/api/hosts/' + seg(host.name), body);
      c.clearSecrets();
      changed = true;
      toast(`Host ${updated.name} updated: ${updated.initiators.length} initiator(s), CHAP ${updated.chap ? (updated.chap.mutual ? 'mutual' : 'on') : 'off'}`, 'ok');
    },
  });
  c.clearSecrets();
  return changed;
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
          ? [badge('CHAP', 'ok'), ' ', h('span', { class: 'mono' }, ho.chap.userName),
            ho.chap.mutual ? [' ', badge('mutual', 'ok'), ' ', h('span', { class: 'mono', title: 'target user' }, ho.chap.targetUserName)] : null]
          : h('span', { class: 'muted' }, 'none')) : null,
        i === 0 ? h('td', { rowspan: String(ho.initiators.length) }, fmtTime(ho.createdMillis),
          ho.updatedMillis > ho.createdMillis ? [h('br'), h('span', { class: 'muted' }, 'edited ' + fmtTime(ho.updatedMillis))] : null) : null,
        i === 0 ? h('td', { class: 'actions', rowspan: String(ho.initiators.length) }, h('button', {
          type: 'button', class: 'small', 'data-testid': 'edit-host-' + ho.name,
          onclick: async () => { if (await editHostDialog(ho)) refresh(new Set(['hosts'])); },
        }, 'Edit'), ' ', h('button', {
          type: 'button', class: 'small danger', 'data-testid': 'delete-host-' + ho.name,
          onclick: () => confirmDialog({
            title: `Delete host ${ho.name}?`,
            message: 'Its initiators lose their LUN presentations, then its CHAP secrets leave the target.',
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
