// Performance history charts (GET /api/perf) and the capacity forecast (GET /api/capacity): a panel per
// object (a LUN, a controller) with IOPS, MB/s and latency p50/p99 line charts over a chosen range, a CSV
// download, and a table of disk groups with their thin overcommit and days until full. Inline SVG through
// dom.js (no markup parsing, colours from style.css classes).

import { h, s, replace, fmtBytes } from './dom.js';
import { get, token, ApiError } from './api.js';

const RANGES = [['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 24 * 3600e3], ['7d', 7 * 86400e3], ['30d', 30 * 86400e3]];
const REFRESH_MS = 10000;

function fmtNum(v) {
  if (v === null || v === undefined) return '–';
  if (v >= 100) return Math.round(v).toString();
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/**
 * A line chart of points[] (each {t, ...}) drawing one line per {key, label, cls}; null values break the line.
 * The y axis starts at 0; the x axis spans [from, to].
 */
export function lineChart(title, unit, points, lines, from, to) {
  const width = 640;
  const height = 170;
  const left = 56;
  const right = 10;
  const top = 20;
  const plotH = 110;
  const max = Math.max(1e-9, ...points.flatMap((p) => lines.map((l) => p[l.key] || 0)));
  const x = (t) => left + ((width - left - right) * (t - from)) / Math.max(1, to - from);
  const y = (v) => top + plotH - (plotH * v) / max;
  const svg = s('svg', { class: 'chart perf', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title} (${unit})`,
    'data-testid': 'perf-chart', 'data-points': points.length });
  svg.append(s('text', { class: 'legend', x: left, y: 12 }, `${title} (${unit})`));
  for (let i = 0; i <= 2; i++) {
    const v = (max * i) / 2;
    svg.append(s('line', { class: 'grid', x1: left - 4, x2: width - right, y1: y(v), y2: y(v) }),
      s('text', { class: 'tick', x: left - 8, y: y(v) + 4, 'text-anchor': 'end' }, fmtNum(v)));
  }
  [[from, 'start'], [(from + to) / 2, 'middle'], [to, 'end']].forEach(([t, anchor]) => {
    svg.append(s('text', { class: 'tick', x: x(t), y: top + plotH + 16, 'text-anchor': anchor },
      new Date(t).toISOString().slice(5, 16).replace('T', ' ') + 'Z'));
  });
  lines.forEach((l, li) => {
    let d = '';
    let pen = false;
    for (const p of points) {
      const v = p[l.key];
      if (v === null || v === undefined) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(v).toFixed(1)} `;
      pen = true;
    }
    if (d) svg.append(s('path', { class: ['line', l.cls], d, 'data-line': l.key }));
    if (points.length <= 60) { // few points: mark each one
      for (const p of points) {
        if (p[l.key] !== null && p[l.key] !== undefined) svg.append(s('circle', { class: ['key', l.cls], cx: x(p.t), cy: y(p[l.key]), r: 2 }));
      }
    }
    const lx = left + 160 + li * 90;
    svg.append(s('rect', { class: ['key', l.cls], x: lx, y: 3, width: 10, height: 10 }),
      s('text', { class: 'legend', x: lx + 14, y: 12 }, l.label));
  });
  return svg;
}

/**
 * A panel with the history of `object` ("lun/NAME", "controller/NAME", or a function resolving to one):
 * { el, refresh, dispose }. It refreshes itself every 10 s until disposed.
 */
export function perfPanel(object, heading) {
  const range = h('select', { 'data-testid': 'perf-range', 'aria-label': 'time range' },
    RANGES.map(([label]) => h('option', { value: label }, 'last ' + label)));
  const csvButton = h('button', { type: 'button', class: 'small', 'data-testid': 'perf-csv' }, 'CSV');
  const body = h('div', { class: 'perf-charts', 'data-testid': 'perf' }, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('section', { class: 'panel' },
    h('div', { class: 'title-row' }, h('h2', {}, heading), h('div', { class: 'buttons' }, range, csvButton)), body);
  let disposed = false;
  let resolved = typeof object === 'string' ? object : null;

  async function objectName() {
    if (!resolved) resolved = await object();
    return resolved;
  }

  function query(obj, csv) {
    const span = RANGES.find(([label]) => label === range.value)[1];
    return `/api/perf?object=${encodeURIComponent(obj)}&from=${Date.now() - span}${csv ? '&format=csv' : ''}`;
  }

  async function refresh() {
    try {
      const obj = await objectName();
      const r = await get(query(obj, false));
      if (disposed) return;
      const from = Date.parse(r.from);
      const to = Date.parse(r.to);
      if (!r.points.length) {
        replace(body, h('p', { class: 'muted' }, `No ${r.resolution} points for ${obj} in this range yet (a point every ${r.stepSeconds} s).`));
        return;
      }
      replace(body,
        lineChart('IOPS', 'commands/s', r.points, [{ key: 'readIops', label: 'read', cls: 'read' }, { key: 'writeIops', label: 'write', cls: 'write' }], from, to),
        lineChart('Throughput', 'MB/s', r.points, [{ key: 'readMBps', label: 'read', cls: 'read' }, { key: 'writeMBps', label: 'write', cls: 'write' }], from, to),
        lineChart('Latency', 'ms', r.points, [{ key: 'latencyP50Ms', label: 'p50', cls: 'p50' }, { key: 'latencyP99Ms', label: 'p99', cls: 'p99' }], from, to),
        h('p', { class: 'hint' }, `${r.points.length} points at ${r.resolution}; latency is the upper bound of the histogram bucket holding the quantile.`));
    } catch (e) {
      if (disposed || (e instanceof ApiError && e.status === 401)) return;
      replace(body, h('p', { class: 'muted' }, 'No history: ' + e.message));
    }
  }

  async function downloadCsv() {
    const obj = await objectName();
    const r = await fetch(query(obj, true), { headers: { Authorization: 'Bearer ' + token() }, cache: 'no-store', credentials: 'omit' });
    const a = h('a', { href: URL.createObjectURL(await r.blob()), download: obj.replace('/', '-') + '.csv' });
    document.body.append(a);
    a.click();
    a.remove();
  }

  range.addEventListener('change', refresh);
  csvButton.addEventListener('click', downloadCsv);
  const timer = setInterval(() => { if (!disposed) refresh(); }, REFRESH_MS);
  return { el, refresh, dispose: () => { disposed = true; clearInterval(timer); } };
}

/** The controller series of this appliance (GET /api/perf/series). */
export async function controllerSeries() {
  return (await get('/api/perf/series')).controller;
}

/** Disk groups with used / free / provisioned, thin overcommit and the forecast: { el, refresh }. */
export function capacityForecast() {
  const el = h('div', { 'data-testid': 'capacity-forecast' }, h('p', { class: 'muted' }, 'Loading…'));
  async function refresh() {
    try {
      const c = await get('/api/capacity');
      replace(el, h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, ['Group', 'Capacity', 'Used', 'Free', 'Provisioned', 'Overcommit', 'Forecast']
          .map((t) => h('th', {}, t)))),
        h('tbody', {}, c.groups.map((g) => h('tr', { 'data-group': g.name },
          h('td', {}, g.name), h('td', { class: 'num' }, fmtBytes(g.capacityBytes)), h('td', { class: 'num' }, fmtBytes(g.usedBytes)),
          h('td', { class: 'num' }, fmtBytes(g.freeBytes)), h('td', { class: 'num' }, fmtBytes(g.provisionedBytes)),
          h('td', { class: 'num' }, g.overcommitRatio.toFixed(2) + '×'), h('td', {}, g.forecast.text))))));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) replace(el, h('p', { class: 'muted' }, 'Capacity: ' + e.message));
    }
  }
  return { el, refresh };
}

/** One history panel per host port with history (series port/HOST:PORT): { el, refresh, dispose }. */
export function portPanels() {
  const el = h('div', { 'data-testid': 'port-perf' });
  const panels = new Map();
  let disposed = false;
  async function refresh() {
    try {
      const series = (await get('/api/perf/series')).series.filter((n) => n.startsWith('port/'));
      if (disposed) return;
      for (const n of series) {
        if (panels.has(n)) continue;
        const p = perfPanel(n, 'Host port ' + n.slice(5));
        panels.set(n, p);
        el.append(p.el);
        p.refresh();
      }
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) replace(el, h('p', { class: 'muted' }, 'Host ports: ' + e.message));
    }
  }
  return { el, refresh, dispose: () => { disposed = true; panels.forEach((p) => p.dispose()); } };
}
