// LUN list with the create dialog (name, size with units, RAID level, disk group). Server errors are
// shown next to the field they name (name, sizeBytes, raid, group).

import { h, replace, fmtBytes, toast } from '../dom.js';
import { get, post, seg } from '../api.js';
import { field, formDialog, serial, badge } from '../ui.js';
import { healthBadge } from '../health.js';

const UNITS = [['MiB', 2 ** 20], ['GiB', 2 ** 30], ['TiB', 2 ** 40]];

/** A number input and a MiB/GiB/TiB select for a byte size; testid prefixes their data-testid. */
export function sizeControls(testid, value, defaultUnit) {
  const size = h('input', { name: 'size', type: 'number', min: '1', step: 'any', required: true, value: String(value), 'data-testid': testid + '-size', class: 'size' });
  const unit = h('select', { name: 'unit', 'data-testid': testid + '-unit' },
    UNITS.map(([u]) => h('option', { value: u, selected: u === defaultUnit }, u)));
  return { size, unit };
}

/**
 * The bytes the size controls stand for; an empty or non-numeric entry throws an error naming
 * `apiField` (shown at that field like a server answer).
 */
export function sizeBytes({ size, unit }, apiField) {
  const n = Number(size.value);
  if (size.value.trim() === '' || !Number.isFinite(n)) {
    throw Object.assign(new Error('enter a size'), { field: apiField, status: 400 });
  }
  return Math.round(n * UNITS.find(([u]) => u === unit.value)[1]);
}

/** Picks the largest unit in which bytes is a whole number (for prefilled size fields). */
export function bestUnit(bytes) {
  for (let i = UNITS.length - 1; i >= 0; i--) {
    if (bytes >= UNITS[i][1] && bytes % UNITS[i][1] === 0) return { value: bytes / UNITS[i][1], unit: UNITS[i][0] };
  }
  return { value: bytes / 2 ** 20, unit: 'MiB' };
}

/** The create-LUN dialog; resolves to the created LUN's name or null. */
export async function createLunDialog() {
  const name = h('input', { name: 'name', required: true, autocomplete: 'off', 'data-testid': 'lun-name', placeholder: 'e.g. db01' });
  const size = h('input', { name: 'size', type: 'number', min: '1', step: 'any', required: true, value: '1', 'data-testid': 'lun-size', class: 'size' });
  const unit = h('select', { name: 'unit', 'data-testid': 'lun-unit' },
    UNITS.map(([u]) => h('option', { value: u, selected: u === 'GiB' }, u)));
  const raid = h('select', { name: 'raid', 'data-testid': 'lun-raid' },
    h('option', { value: '' }, 'appliance default'),
    h('option', { value: 'RAID5' }, 'RAID5 (parity)'),
    h('option', { value: 'RAID1' }, 'RAID1 (mirror)'),
    h('option', { value: 'RAID0' }, 'RAID0 (no redundancy)'));
  // disk groups as GET /api/pool lists them; without the list only the default (the first group) is offered
  let groups = [];
  try {
    groups = (await get('/api/pool')).groups || [];
  } catch (e) {
    groups = [];
  }
  const group = h('select', { name: 'group', 'data-testid': 'lun-group' },
    h('option', { value: '' }, 'first disk group (default)'),
    groups.map((g) => h('option', { value: String(g.id) }, `${g.name} (${fmtBytes(g.freePsegs * g.psegBytes)} free)`)));
  let created = null;
  await formDialog({
    title: 'Create LUN',
    testid: 'create-lun',
    submitLabel: 'Create',
    content: [
      field('Name', name, ['name'], 'letters, digits, . _ : - (up to 128)'),
      field('Size', [size, unit], ['sizeBytes'], '1 MiB to 2 TiB, in whole MiB'),
      field('RAID level', raid, ['raid']),
      field('Disk group', group, ['group'], 'the LUN and its snapshots allocate only in this group'),
    ],
    onSubmit: async (form) => {
      const n = Number(size.value);
      const mult = UNITS.find(([u]) => u === unit.value)[1];
      const bytes = Math.round(n * mult);
      const body = { name: name.value.trim(), sizeBytes: Number.isFinite(bytes) ? bytes : 0 };
      if (raid.value) body.raid = raid.value;
      if (group.value) body.group = Number(group.value);
      if (size.value.trim() === '' || !Number.isFinite(n)) {
        const err = new Error('enter a size');
        err.field = 'sizeBytes';
        throw Object.assign(err, { status: 400 });
      }
      const lun = await post('/api/luns', body);
      created = lun.name;
      toast(`LUN ${lun.name} created (${fmtBytes(lun.sizeBytes)})`, 'ok');
    },
  });
  return created;
}

export function create() {
  const table = h('div', { 'data-testid': 'lun-table' }, h('p', { class: 'muted' }, 'Loading…'));
  const createButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'create-lun-open' }, 'Create LUN');
  const el = h('div', { class: 'page luns' },
    h('div', { class: 'title-row' }, h('h1', {}, 'LUNs'), createButton),
    h('section', { class: 'panel' }, table));
  let disposed = false;
  let highlight = null;

  const refresh = serial(async () => {
    const luns = await get('/api/luns');
    if (disposed) return;
    if (luns.length === 0) {
      replace(table, h('p', { class: 'muted' }, 'No LUNs yet. Create one.'));
      return;
    }
    replace(table, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Name'), h('th', {}, 'Kind'), h('th', { class: 'num' }, 'Size'), h('th', {}, 'Presented to'),
        h('th', { class: 'num' }, 'Snapshots'), h('th', {}, 'Serial'), h('th', {}, 'Health'))),
      h('tbody', {}, luns.map((l) => h('tr', { 'data-lun': l.name, class: l.name === highlight ? 'highlight' : null },
        h('td', {}, h('a', { href: '#/luns/' + seg(l.name), 'data-testid': 'lun-link-' + l.name }, l.name)),
        h('td', {}, badge(l.kind === 'PRIMARY' ? 'LUN' : l.kind, l.kind === 'PRIMARY' ? 'lun' : 'log')),
        h('td', { class: 'num' }, fmtBytes(l.sizeBytes)),
        h('td', {}, l.presentations.length
          ? l.presentations.map((p) => h('span', { class: 'chip' }, `${p.initiator === '*' ? 'all hosts' : p.initiator} · LUN ${p.hostLun}`))
          : h('span', { class: 'muted' }, 'not presented')),
        h('td', { class: 'num' }, String(l.snapshots.length)),
        h('td', { class: 'mono' }, l.serial),
        h('td', { 'data-testid': 'lun-health-' + l.name }, healthBadge(l.health)))))));
  });

  createButton.addEventListener('click', async () => {
    const name = await createLunDialog();
    if (name) {
      highlight = name;
      refresh(null);
    }
  });

  return {
    el,
    title: 'LUNs',
    topics: ['luns', 'snapshots', 'health'],
    refresh,
    dispose: () => { disposed = true; },
  };
}
