// Fabric: the built-in Fibre Channel switch (domain, WWN, the address hosts connect to), zoning state (the active
// zone set, or the default zone), every switch port (N_Port ID, WWPN, login state, FC-4 role, for the cell's four
// target ports the controller serving it — after a takeover the partner, with the same WWPN; for a host port the LUNs
// it is presented and its paths to the cell), and zoning: zones of
// WWPNs, zone sets of zones, activate / deactivate. Live: the 'controllers' topic (a drill, a restart) refetches.

import { h, replace, toast } from '../dom.js';
import { get, post, del, seg, ApiError } from '../api.js';
import { field, formDialog, confirmDialog, serial, badge } from '../ui.js';

const MAX_ITEMS = 256;
const MEMBER_FIELDS = ['members', ...Array.from({ length: MAX_ITEMS }, (_, i) => `members[${i}]`)];
const ZONE_FIELDS = ['zones', ...Array.from({ length: MAX_ITEMS }, (_, i) => `zones[${i}]`)];

/** Items typed one per line (commas and spaces separate too). */
function items(textarea) {
  return textarea.value.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
}

export function create() {
  const summary = h('section', { class: 'panel', 'data-testid': 'fabric-summary' }, h('p', { class: 'muted' }, 'Loading…'));
  const ports = h('div', { 'data-testid': 'fabric-ports' });
  const zones = h('div', { 'data-testid': 'fabric-zones' });
  const sets = h('div', { 'data-testid': 'fabric-zonesets' });
  const el = h('div', { class: 'page fabric' },
    h('h1', {}, 'Fabric'),
    summary,
    h('section', { class: 'panel' }, h('h2', {}, 'Switch ports'), ports),
    h('section', { class: 'panel' },
      h('div', { class: 'title-row' }, h('h2', {}, 'Zones'),
        h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'small primary', 'data-testid': 'create-zone-open',
          onclick: () => createZone() }, 'Create zone'))),
      zones),
    h('section', { class: 'panel' },
      h('div', { class: 'title-row' }, h('h2', {}, 'Zone sets'),
        h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'small primary', 'data-testid': 'create-zoneset-open',
          onclick: () => createZoneSet() }, 'Create zone set'))),
      sets));
  let disposed = false;
  let known = { targetWwpns: [], zones: [] };

  const refresh = serial(async () => {
    const [f, z, s] = await Promise.allSettled([get('/api/fabric'), get('/api/fabric/zones'), get('/api/fabric/zonesets')]);
    if (disposed) return;
    if (f.status === 'fulfilled') renderFabric(f.value);
    else if (f.reason instanceof ApiError && f.reason.status === 404) {
      replace(summary, h('p', { class: 'muted' }, 'This appliance runs no Fibre Channel fabric.'));
    }
    if (z.status === 'fulfilled') renderZones(z.value);
    if (s.status === 'fulfilled') renderSets(s.value);
    const failed = [z, s].find((r) => r.status === 'rejected');
    if (failed && failed.reason.status !== 401) toast('Refresh failed: ' + failed.reason.message, 'error');
  });

  function renderFabric(f) {
    known.targetWwpns = f.targetWwpns || [];
    replace(summary, h('dl', { class: 'facts' },
      h('dt', {}, 'Switch'), h('dd', {}, `domain ${f.domain}, WWN ${f.switchWwn}`),
      h('dt', {}, 'Hosts connect to'), h('dd', { 'data-testid': 'fabric-listen' }, f.listen),
      h('dt', {}, 'Zoning'), h('dd', { 'data-testid': 'fabric-zoning' }, f.activeZoneSet
        ? [badge('enforced', 'online'), ` zone set ${f.activeZoneSet} active on every frame`]
        : [badge(f.defaultZone === 'ALL_ACCESS' ? 'default zone: all access' : 'default zone: no access'),
          ' no zone set active']),
      f.activeZoneSet ? [h('dt', {}, ''), h('dd', {}, h('button', { type: 'button', class: 'small danger',
        'data-testid': 'deactivate', onclick: () => deactivate(f.activeZoneSet) }, 'Deactivate'))] : null));
    replace(ports, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Port'), h('th', {}, 'N_Port ID'), h('th', {}, 'WWPN'),
        h('th', {}, 'State'), h('th', {}, 'Role'), h('th', {}, 'Kind'), h('th', {}, 'Served by'), h('th', { class: 'num' }, 'Rel. port'),
        h('th', {}, 'Zones'), h('th', {}, 'Sees'))),
      h('tbody', {}, f.ports.map((p) => h('tr', { 'data-port': String(p.index) },
        h('td', { class: 'num' }, String(p.index)),
        h('td', {}, p.nPortId || '–'),
        h('td', { class: 'mono' }, p.wwpn || '–'),
        h('td', {}, badge(p.loggedIn ? 'logged in' : p.linkUp ? 'link up' : 'link down', p.loggedIn ? 'online' : 'warn')),
        h('td', {}, p.role || '–'),
        h('td', {}, p.kind === 'cell' ? 'cell' : (p.symbolicName ? `host (${p.symbolicName})` : 'host')),
        h('td', { 'data-testid': 'served-' + p.index }, p.kind !== 'cell' ? '–'
          : !p.servedBy ? badge('down', 'warn') : p.servedBy === p.home ? 'NSC ' + p.servedBy : `NSC ${p.servedBy} (for ${p.home})`),
        h('td', { class: 'num' }, p.kind === 'cell' ? String(p.relativeTargetPort) : '–'),
        h('td', {}, p.zonedWith && p.zonedWith.length ? p.zonedWith.map((z) => h('span', { class: 'chip' }, z)) : '–'),
        h('td', { 'data-testid': 'sees-' + p.index }, p.paths ? [
          p.luns.length ? p.luns.map((l) => h('a', { href: '#/luns/' + seg(l.lun), class: 'chip' }, `${l.lun} (LUN ${l.hostLun})`)) : 'no LUN',
          ` via ${p.paths.length} path${p.paths.length === 1 ? '' : 's'}`] : '–'))))));
  }

  function renderZones(list) {
    known.zones = list.map((z) => z.name);
    if (list.length === 0) {
      replace(zones, h('p', { class: 'muted' }, 'No zones.'));
      return;
    }
    replace(zones, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Zone'), h('th', {}, 'Members'), h('th', {}, 'Zone sets'), h('th', {}, ''))),
      h('tbody', {}, list.map((z) => h('tr', { 'data-zone': z.name },
        h('td', {}, h('strong', {}, z.name)),
        h('td', { class: 'mono' }, z.members.map((m) => h('span', { class: 'chip' }, m))),
        h('td', {}, z.zoneSets.length ? z.zoneSets.join(', ') : '–'),
        h('td', {}, h('button', { type: 'button', class: 'small danger', disabled: z.zoneSets.length > 0,
          title: z.zoneSets.length ? 'in a zone set' : undefined, onclick: () => remove('zone', z.name) }, 'Delete')))))));
  }

  function renderSets(list) {
    if (list.length === 0) {
      replace(sets, h('p', { class: 'muted' }, 'No zone sets: the default zone holds.'));
      return;
    }
    replace(sets, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Zone set'), h('th', {}, 'Zones'), h('th', {}, 'State'), h('th', {}, ''))),
      h('tbody', {}, list.map((s) => h('tr', { 'data-zoneset': s.name },
        h('td', {}, h('strong', {}, s.name)),
        h('td', {}, s.zones.map((z) => h('span', { class: 'chip' }, z))),
        h('td', {}, s.active ? badge('active', 'online') : '–'),
        h('td', {}, s.active ? null : [
          h('button', { type: 'button', class: 'small primary', 'data-testid': 'activate-' + s.name, onclick: () => activate(s.name) },
            'Activate'), ' ',
          h('button', { type: 'button', class: 'small danger', onclick: () => remove('zone set', s.name) }, 'Delete')]))))));
  }

  async function createZone() {
    const name = h('input', { name: 'name', required: true, autocomplete: 'off', 'data-testid': 'zone-name', placeholder: 'e.g. z_db1_cell' });
    const members = h('textarea', { name: 'members', rows: '4', spellcheck: 'false', 'data-testid': 'zone-members',
      placeholder: '10:00:00:00:c9:aa:00:01 (one WWPN per line)' });
    members.value = known.targetWwpns.join('\n');
    await formDialog({
      title: 'Create zone', testid: 'create-zone', submitLabel: 'Create',
      content: [field('Name', name, ['name'], 'letters, digits, . _ : -'),
        field('Members', members, MEMBER_FIELDS, 'WWPNs: the host\'s HBA ports and the cell\'s target ports (prefilled)')],
      onSubmit: async () => {
        await post('/api/fabric/zones', { name: name.value.trim(), members: items(members) });
        toast(`Zone ${name.value.trim()} created`, 'ok');
        refresh(null);
      },
    });
  }

  async function createZoneSet() {
    const name = h('input', { name: 'name', required: true, autocomplete: 'off', 'data-testid': 'zoneset-name', placeholder: 'e.g. cfg1' });
    const list = h('textarea', { name: 'zones', rows: '3', spellcheck: 'false', 'data-testid': 'zoneset-zones' });
    list.value = known.zones.join('\n');
    await formDialog({
      title: 'Create zone set', testid: 'create-zoneset', submitLabel: 'Create',
      content: [field('Name', name, ['name'], 'letters, digits, . _ : -'), field('Zones', list, ZONE_FIELDS, 'zone names, one per line')],
      onSubmit: async () => {
        await post('/api/fabric/zonesets', { name: name.value.trim(), zones: items(list) });
        toast(`Zone set ${name.value.trim()} created`, 'ok');
        refresh(null);
      },
    });
  }

  function activate(name) {
    confirmDialog({
      title: `Activate zone set ${name}?`,
      message: 'From now on the switch delivers a frame only between ports that share one of its zones; a host in none '
        + 'of them loses its paths to the cell (every registered port gets an RSCN).',
      confirmLabel: 'Activate', testid: 'confirm-activate',
      onConfirm: async () => {
        await post(`/api/fabric/zonesets/${seg(name)}/activate`);
        toast(`Zone set ${name} is active`, 'ok');
        refresh(null);
      },
    });
  }

  function deactivate(name) {
    confirmDialog({
      title: `Deactivate zone set ${name}?`,
      message: 'No zone set will be active: the default zone holds again (on the appliance, every port reaches every other).',
      confirmLabel: 'Deactivate', testid: 'confirm-deactivate',
      onConfirm: async () => {
        await post('/api/fabric/deactivate');
        toast('No zone set active', 'ok');
        refresh(null);
      },
    });
  }

  function remove(kind, name) {
    confirmDialog({
      title: `Delete ${kind} ${name}?`, message: `The ${kind} is removed from the cell's records.`,
      confirmLabel: 'Delete', testid: 'confirm-delete',
      onConfirm: async () => {
        await del(`/api/fabric/${kind === 'zone' ? 'zones' : 'zonesets'}/${seg(name)}`);
        toast(`Deleted ${kind} ${name}`, 'ok');
        refresh(null);
      },
    });
  }

  return {
    el,
    title: 'Fabric',
    topics: ['controllers'],
    refresh,
    dispose: () => { disposed = true; },
  };
}
