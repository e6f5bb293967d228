// Inline SVG charts: drive capacity columns and the sharing-tree graph. Colours come from CSS
// classes (style.css), sizes from attributes; nothing here uses inline style strings (CSP).

import { s, clip, fmtBytes, fmtInt, percent } from './dom.js';

/**
 * Capacity per drive of one disk group: a column per drive, height = capacity, split into used
 * (bottom) and free (top) PSEGs. Failed/missing drives are drawn in the alarm colour.
 */
export function capacityChart(group) {
  const drives = group.drives.filter((d) => d.state !== 'REMOVED');
  const psegBytes = group.psegBytes || 2 * 1024 * 1024;
  const colW = 30;
  const step = 46;
  const left = 70;
  const top = 14;
  const plotH = 170;
  const width = Math.max(360, left + drives.length * step + 20);
  const height = top + plotH + 52;
  const max = Math.max(1, ...drives.map((d) => d.psegCount));
  const y = (psegs) => top + plotH - (plotH * psegs) / max;

  const svg = s('svg', {
    class: 'chart capacity',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `capacity per drive of disk group ${group.name}`,
    'data-testid': 'capacity-' + group.name,
  });
  // axis with 5 ticks in bytes
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const ty = y(v);
    svg.append(
      s('line', { class: 'grid', x1: left - 4, x2: width - 10, y1: ty, y2: ty }),
      s('text', { class: 'tick', x: left - 8, y: ty + 4, 'text-anchor': 'end' }, fmtBytes(Math.round(v) * psegBytes)),
    );
  }
  drives.forEach((d, i) => {
    const x = left + 8 + i * step;
    const bad = d.state === 'FAILED' || d.state === 'MISSING';
    const used = Math.min(d.usedPsegs, d.psegCount);
    const free = d.psegCount - used;
    // a drive with any used PSEG shows at least a 2 px sliver of used
    const usedTop = used > 0 ? Math.min(y(used), top + plotH - 2) : y(used);
    const g = s('g', {
      class: ['drive', 'state-' + d.state.toLowerCase()],
      'data-drive': d.index,
      'data-used': used,
      'data-free': free,
    });
    g.append(
      s('title', {}, `drive ${d.index} (${d.state}) RSS ${d.rssId}: ${fmtInt(used)} used, ${fmtInt(free)} free of ${fmtInt(d.psegCount)} PSEGs, ${fmtBytes(d.capacityBytes)}`),
      s('rect', { class: bad ? 'free bad' : 'free', x, y: y(d.psegCount), width: colW, height: usedTop - y(d.psegCount) }),
      s('rect', { class: bad ? 'used bad' : 'used', x, y: usedTop, width: colW, height: top + plotH - usedTop }),
      s('text', { class: 'pct', x: x + colW / 2, y: y(d.psegCount) - 3, 'text-anchor': 'middle' },
        Math.round(percent(used, d.psegCount)) + '%'),
      s('text', { class: 'label', x: x + colW / 2, y: top + plotH + 16, 'text-anchor': 'middle' }, 'd' + d.index),
      s('text', { class: ['label', 'state', bad ? 'bad' : null], x: x + colW / 2, y: top + plotH + 30, 'text-anchor': 'middle' },
        d.state === 'AVAILABLE' ? 'ok' : d.state.toLowerCase()),
    );
    svg.append(g);
  });
  // legend
  const ly = height - 8;
  svg.append(
    s('rect', { class: 'used', x: left, y: ly - 9, width: 10, height: 10 }),
    s('text', { class: 'legend', x: left + 14, y: ly }, 'used'),
    s('rect', { class: 'free', x: left + 60, y: ly - 9, width: 10, height: 10 }),
    s('text', { class: 'legend', x: left + 74, y: ly }, 'free'),
    s('rect', { class: 'used bad', x: left + 118, y: ly - 9, width: 10, height: 10 }),
    s('text', { class: 'legend', x: left + 132, y: ly }, 'failed / missing drive'),
  );
  return svg;
}

/** An SVG progress bar (role=progressbar) at x,y inside a graph. */
function svgBar(x, y, w, hgt, done, total, attrs) {
  const g = s('g', {
    class: 'svgbar',
    role: 'progressbar',
    'aria-valuemin': 0,
    'aria-valuemax': total,
    'aria-valuenow': done,
    'data-done': done,
    'data-total': total,
    ...attrs,
  });
  g.append(
    s('rect', { class: 'track', x, y, width: w, height: hgt, rx: 3 }),
    s('rect', { class: 'fill', x, y, width: (w * percent(done, total)) / 100, height: hgt, rx: 3 }),
  );
  return g;
}

const NODE_W = 210;
const NODE_H = 168;
const GAP = 74;
const PAD = 16;

/**
 * The sharing tree of one LUN, oldest disk left, the LUN right, an arrow from each predecessor to
 * its successor labelled with the segments the predecessor reads through it. Each node shows its
 * kind (snapclones dashed), its segments split into shared-with-successor / private / zero, and a
 * snapclone's BGCOPY progress bar. names: the disk -> snapshot/LUN name map is in tree.disks[].name.
 */
export function treeGraph(tree) {
  const disks = [...tree.disks].sort((a, b) => a.position - b.position);
  const width = PAD * 2 + disks.length * NODE_W + (disks.length - 1) * GAP;
  const height = PAD * 2 + NODE_H + 18;
  const svg = s('svg', {
    class: 'chart tree',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `sharing tree of ${tree.lun}: ${disks.map((d) => d.name).join(' → ')}`,
    'data-testid': 'tree',
  });
  svg.append(s('defs', {},
    s('marker', { id: 'arrowhead', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
      s('path', { class: 'arrowhead', d: 'M 0 0 L 10 5 L 0 10 z' }))));

  disks.forEach((d, i) => {
    const x = PAD + i * (NODE_W + GAP);
    const y = PAD;
    if (i > 0) {
      const x0 = x - GAP;
      const mid = y + NODE_H / 2;
      svg.append(
        s('line', { class: 'edge', x1: x0 + 2, y1: mid, x2: x - 4, y2: mid, 'marker-end': 'url(#arrowhead)' }),
        s('text', { class: 'edge-label strong', x: x0 + GAP / 2, y: mid - 8, 'text-anchor': 'middle' }, fmtInt(d.sharedWithPredecessor)),
        s('text', { class: 'edge-label', x: x0 + GAP / 2, y: mid + 16, 'text-anchor': 'middle' }, 'shared'),
      );
    }
    const kind = d.kind.toLowerCase();
    const g = s('g', {
      class: ['node', 'kind-' + kind, d.valid ? null : 'invalid'],
      'data-node': d.name ?? 'disk-' + d.disk,
      'data-kind': d.kind,
      'data-disk': d.disk,
      transform: `translate(${x},${y})`,
    });
    const label = d.kind === 'LUN' ? 'LUN' : d.kind === 'SNAPCLONE' ? 'snapclone' : 'snapshot';
    const policy = d.policy ? ' · ' + (d.policy === 'RESERVE_FULL' ? 'reserved' : 'on demand') : '';
    g.append(
      s('title', {}, `${d.name ?? 'disk ' + d.disk} (${label}, disk ${d.disk}, position ${d.position})`),
      s('rect', { class: 'box', x: 0, y: 0, width: NODE_W, height: NODE_H, rx: 10 }),
      s('text', { class: 'name', x: 12, y: 22 }, clip(d.name ?? 'disk ' + d.disk, 24)),
      s('text', { class: 'kind', x: 12, y: 40 }, label + policy + (d.valid ? '' : ' · INVALIDATED')),
    );
    // composition of the disk's segments
    const total = Math.max(1, d.segments);
    const bw = NODE_W - 24;
    let bx = 12;
    for (const [cls, n] of [['shared', d.sharedWithSuccessor], ['private', d.privateSegments], ['zero', d.zeroSegments]]) {
      const w = (bw * n) / total;
      if (w > 0) g.append(s('rect', { class: 'seg ' + cls, x: bx, y: 50, width: w, height: 10 }));
      bx += w;
    }
    g.append(
      s('text', { class: 'stat', x: 12, y: 78 }, `private ${fmtInt(d.privateSegments)} · shared ${fmtInt(d.sharedWithSuccessor)}`),
      s('text', { class: 'stat', x: 12, y: 94 }, `zero ${fmtInt(d.zeroSegments)} of ${fmtInt(d.segments)} segments`),
      s('text', { class: 'stat muted', x: 12, y: 110 }, `disk ${d.disk} · position ${d.position}`),
    );
    if (d.bgcopy) {
      const b = d.bgcopy;
      g.append(
        s('text', { class: 'stat bg', x: 12, y: 132, 'data-testid': 'bgcopy-text-' + d.name },
          `BGCOPY ${fmtInt(b.done)}/${fmtInt(b.total)} · ${b.state.toLowerCase()}`),
        svgBar(12, 140, NODE_W - 24, 12, b.done, b.total, {
          'data-testid': 'bgcopy-' + d.name,
          'data-job': 'bgcopy-' + d.name,
          'aria-label': 'BGCOPY of ' + d.name,
          'data-state': b.state,
        }),
      );
    } else if (d.kind === 'LUN') {
      g.append(s('text', { class: 'stat', x: 12, y: 138 }, 'newest: host I/O goes here'));
    }
    svg.append(g);
  });
  return svg;
}

/** Updates the BGCOPY bar and text of snapclone `name` in a drawn tree in place; false if not drawn. */
export function updateTreeBgcopy(svg, name, done, total, state) {
  const bar = [...svg.querySelectorAll('[data-job]')].find((e) => e.getAttribute('data-job') === 'bgcopy-' + name);
  if (!bar) return false;
  const track = bar.querySelector('.track');
  const fill = bar.querySelector('.fill');
  fill.setAttribute('width', (Number(track.getAttribute('width')) * percent(done, total)) / 100);
  bar.setAttribute('aria-valuenow', done);
  bar.setAttribute('aria-valuemax', total);
  bar.setAttribute('data-done', done);
  bar.setAttribute('data-total', total);
  bar.setAttribute('data-state', state);
  const text = [...svg.querySelectorAll('[data-testid]')].find((e) => e.getAttribute('data-testid') === 'bgcopy-text-' + name);
  if (text) text.textContent = `BGCOPY ${fmtInt(done)}/${fmtInt(total)} · ${state.toLowerCase()}`;
  return true;
}
