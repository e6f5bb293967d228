// LUN list with the create dialog (name, size with units, RAID level, disk group). Server errors are
// shown next to the field they name (name, sizeBytes, raid, group). The list sorts by any column, filters by a
// search text (name, serial, WWN, RAID level, an initiator that sees it), and deletes or presents the selected LUNs
// at once (LUNs in use only after the typed confirmation the server's force guard asks for).

import { h, replace, fmtBytes, toast } from '../dom.js';
import { get, post, del, seg, ApiError } from '../api.js';
import { field, formDialog, confirmDialog, forceDialog, serial, badge } from '../ui.js';
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

/** The value a LUN row sorts by in column `key`. */
function sortValue(l, key) {
  switch (key) {
    case 'size': return l.sizeBytes;
    case 'snapshots': return l.snapshots.length;
    case 'presented': return l.presentations.length;
    case 'health': return ({ OK: 0, DEGRADED: 1, FAILED: 2 })[l.health ? l.health.state : 'OK'] ?? 0;
    case 'group': return l.group === undefined ? -1 : l.group;
    default: return String(l[key] === undefined || l[key] === null ? '' : l[key]).toLowerCase();
  }
}

/** True when the search text matches the LUN's name, serial, WWN, RAID level or an initiator that sees it. */
function matches(l, text) {
  if (!text) return true;
  const t = text.toLowerCase();
  return [l.name, l.serial, l.wwn, l.raid, l.kind].some((v) => v && String(v).toLowerCase().includes(t))
    || l.presentations.some((p) => p.initiator.toLowerCase().includes(t));
}

export function create() {
  const table = h('div', { 'data-testid': 'lun-table' }, h('p', { class: 'muted' }, 'Loading…'));
  const createButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'create-lun-open' }, 'Create LUN');
  const search = h('input', { type: 'search', placeholder: 'search name, WWN, RAID, initiator', 'aria-label': 'Search LUNs', 'data-testid': 'lun-search' });
  const selectedNote = h('span', { class: 'muted', 'data-testid': 'lun-selected' });
  const deleteSelected = h('button', { type: 'button', class: 'danger small', disabled: true, 'data-testid': 'lun-bulk-delete' }, 'Delete selected');
  const presentSelected = h('button', { type: 'button', class: 'small', disabled: true, 'data-testid': 'lun-bulk-present' }, 'Present selected…');
  const el = h('div', { class: 'page luns' },
    h('div', { class: 'title-row' }, h('h1', {}, 'LUNs'), createButton),
    h('div', { class: 'buttons filters' }, search, presentSelected, deleteSelected, selectedNote),
    h('section', { class: 'panel' }, table));
  let disposed = false;
  let highlight = null;
  let luns = [];
  let sortKey = 'name';
  let ascending = true;
  const selected = new Set();

  const refresh = serial(async () => {
    const all = await get('/api/luns');
    if (disposed) return;
    luns = all;
    for (const name of [...selected]) if (!luns.some((l) => l.name === name)) selected.delete(name);
    render();
  });

  function header(label, key, cls) {
    const current = sortKey === key;
    const button = h('button', { type: 'button', class: 'link sort', 'data-testid': 'lun-sort-' + key }, label + (current ? (ascending ? ' ▲' : ' ▼') : ''));
    button.addEventListener('click', () => {
      ascending = current ? !ascending : true;
      sortKey = key;
      render();
    });
    return h('th', { class: cls, 'aria-sort': current ? (ascending ? 'ascending' : 'descending') : 'none' }, button);
  }

  function render() {
    const n = selected.size;
    deleteSelected.disabled = presentSelected.disabled = n === 0;
    selectedNote.textContent = n ? `${n} selected` : '';
    if (luns.length === 0) {
      replace(table, h('p', { class: 'muted' }, 'No LUNs yet. Create one.'));
      return;
    }
    const shown = luns.filter((l) => matches(l, search.value.trim()));
    shown.sort((x, y) => {
      const a = sortValue(x, sortKey);
      const b = sortValue(y, sortKey);
      const c = a < b ? -1 : a > b ? 1 : x.name.localeCompare(y.name);
      return ascending ? c : -c;
    });
    if (shown.length === 0) {
      replace(table, h('p', { class: 'muted' }, `No LUN matches “${search.value.trim()}”.`));
      return;
    }
    const all = h('input', { type: 'checkbox', 'aria-label': 'Select every LUN shown', 'data-testid': 'lun-select-all',
      checked: shown.every((l) => selected.has(l.name)) });
    all.addEventListener('change', () => {
      for (const l of shown) {
        if (all.checked) selected.add(l.name);
        else selected.delete(l.name);
      }
      render();
    });
    replace(table, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {},
        h('th', {}, all), header('Name', 'name'), header('Kind', 'kind'), header('Size', 'size', 'num'), header('RAID', 'raid'),
        header('Group', 'group', 'num'), header('Presented to', 'presented'), header('Snapshots', 'snapshots', 'num'),
        header('WWN', 'wwn'), header('Health', 'health'))),
      h('tbody', {}, shown.map((l) => {
        const box = h('input', { type: 'checkbox', 'aria-label': 'Select ' + l.name, 'data-testid': 'lun-select-' + l.name, checked: selected.has(l.name) });
        box.addEventListener('change', () => {
          if (box.checked) selected.add(l.name);
          else selected.delete(l.name);
          render();
        });
        return h('tr', { 'data-lun': l.name, class: l.name === highlight ? 'highlight' : null },
          h('td', {}, box),
          h('td', {}, h('a', { href: '#/luns/' + seg(l.name), 'data-testid': 'lun-link-' + l.name }, l.name)),
          h('td', {}, badge(l.kind === 'PRIMARY' ? 'LUN' : l.kind, l.kind === 'PRIMARY' ? 'lun' : 'log')),
          h('td', { class: 'num' }, fmtBytes(l.sizeBytes)),
          h('td', {}, l.raid || '–'),
          h('td', { class: 'num' }, l.group === undefined ? '–' : String(l.group)),
          h('td', {}, l.presentations.length
            ? l.presentations.map((p) => h('span', { class: 'chip' }, `${p.initiator === '*' ? 'all hosts' : p.initiator} · LUN ${p.hostLun}`))
            : h('span', { class: 'muted' }, 'not presented')),
          h('td', { class: 'num' }, String(l.snapshots.length)),
          h('td', { class: 'mono' }, l.wwn || ''),
          h('td', { 'data-testid': 'lun-health-' + l.name }, healthBadge(l.health)));
      }))));
  }

  /** Deletes the selected LUNs; those in use (presented, with snapshots) only after their count is typed. */
  async function bulkDelete() {
    const names = luns.filter((l) => selected.has(l.name)).map((l) => l.name);
    const inUse = luns.filter((l) => selected.has(l.name) && (l.presentations.length > 0 || l.snapshots.length > 0));
    const run = async (force) => {
      const failed = [];
      for (const name of names) {
        try {
          await del('/api/luns/' + seg(name) + (force ? '?force=true' : ''));
          selected.delete(name);
        } catch (err) {
          if (err.status === 401) throw err;
          failed.push(`${name}: ${err.message}`);
        }
      }
      refresh(null);
      if (failed.length) throw new ApiError(409, { error: `${names.length - failed.length} of ${names.length} deleted; not deleted: ${failed.join('; ')}` });
      toast(`${names.length} LUN(s) deleted`, 'ok');
    };
    if (inUse.length === 0) {
      await confirmDialog({
        title: `Delete ${names.length} LUN(s)?`,
        message: `${names.join(', ')} and their data are deleted. This cannot be undone.`,
        confirmLabel: `Delete ${names.length} LUN(s)`,
        testid: 'confirm-bulk-delete',
        onConfirm: () => run(false),
      });
      return;
    }
    await forceDialog({
      title: `Delete ${names.length} LUN(s), ${inUse.length} in use?`,
      lun: `delete ${names.length} LUNs`,
      message: `${names.join(', ')} are deleted with their data and snapshots; every host that sees one loses it. This cannot be undone.`,
      presentations: inUse.flatMap((l) => l.presentations.map((p) => ({ ...p, unit: l.name, note: 'LUN ' + l.name }))),
      snapshots: inUse.flatMap((l) => l.snapshots),
      confirmLabel: `Delete ${names.length} LUN(s)`,
      testid: 'confirm-bulk-delete',
      onForce: () => run(true),
    });
  }

  /** Presents the selected LUNs to one initiator at consecutive host LUNs from the one given. */
  async function bulkPresent() {
    const names = luns.filter((l) => selected.has(l.name)).map((l) => l.name);
    const initiator = h('input', { name: 'initiator', type: 'text', required: true, placeholder: 'iqn.… or * for every initiator', 'data-testid': 'bulk-initiator' });
    const first = h('input', { name: 'hostLun', type: 'number', min: '0', max: '255', value: '1', 'data-testid': 'bulk-host-lun' });
    await formDialog({
      title: `Present ${names.length} LUN(s)`,
      testid: 'bulk-present',
      submitLabel: 'Present',
      content: [
        h('p', { class: 'message' }, `${names.join(', ')} at consecutive host LUNs.`),
        field('Initiator', initiator, ['initiator']),
        field('First host LUN', first, ['hostLun']),
      ],
      onSubmit: async () => {
        const base = Number(first.value);
        for (let i = 0; i < names.length; i++) {
          try {
            await post('/api/luns/' + seg(names[i]) + '/present', { initiator: initiator.value.trim(), hostLun: base + i });
          } catch (err) {
            refresh(null);
            if (i > 0) err.message = `${names.slice(0, i).join(', ')} presented; ${names[i]}: ${err.message}`;
            throw err;
          }
        }
        refresh(null);
        toast(`${names.length} LUN(s) presented to ${initiator.value.trim()} from host LUN ${base}`, 'ok');
      },
    });
  }

  search.addEventListener('input', () => render());
  deleteSelected.addEventListener('click', () => bulkDelete().catch((e) => toast('Delete failed: ' + e.message, 'error')));
  presentSelected.addEventListener('click', () => bulkPresent().catch((e) => toast('Present failed: ' + e.message, 'error')));
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
