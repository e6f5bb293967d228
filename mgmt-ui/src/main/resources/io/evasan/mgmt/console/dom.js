// DOM helpers. Every text goes through text nodes or setAttribute (never parsed as HTML markup),
// and styles only through the CSSOM (el.style.x = ...), which the page's CSP (default-src 'self') allows.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'css') {
      Object.assign(el.style, v);
    } else if (k === 'class') {
      el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    } else if (k === 'value' && 'value' in el && el.namespaceURI !== SVG_NS) {
      el.value = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** An HTML element: h('button', {class: 'x', onclick: fn}, 'text', child, [more]). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, same calling convention as h(). */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replaces the children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 -> "1.5 KiB"; exact multiples print without decimals. */
export function fmtBytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  let v = Number(n);
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const txt = Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
  return txt + ' ' + UNITS[u];
}

export function fmtInt(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US');
}

export function fmtTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Shortens a label to at most max characters (the full text goes in a <title> or title attribute). */
export function clip(text, max) {
  const t = String(text ?? '');
  return t.length <= max ? t : t.slice(0, max - 1) + '…';
}

/** Percent 0..100 of done/total (0 when total is 0). */
export function percent(done, total) {
  if (!total) return 0;
  return Math.max(0, Math.min(100, (100 * done) / total));
}

/**
 * An HTML progress bar with role=progressbar: the inner bar's width is set through the CSSOM.
 * testid names it for tests; the current value is in aria-valuenow and data-done/data-total.
 */
export function progressBar(done, total, { testid, label, state } = {}) {
  const p = percent(done, total);
  const fill = h('div', { class: 'bar-fill' });
  fill.style.width = p.toFixed(1) + '%';
  return h('div', {
    class: ['bar', state ? 'state-' + state.toLowerCase() : null],
    role: 'progressbar',
    'aria-label': label || 'progress',
    'aria-valuemin': 0,
    'aria-valuemax': total,
    'aria-valuenow': done,
    'data-testid': testid,
    'data-done': done,
    'data-total': total,
    title: `${fmtInt(done)} / ${fmtInt(total)}`,
  }, fill);
}

/** Updates a bar made by progressBar() in place (no re-render, keeps focus and hover). */
export function updateBar(bar, done, total, state) {
  bar.setAttribute('aria-valuenow', done);
  bar.setAttribute('aria-valuemax', total);
  bar.dataset.done = done;
  bar.dataset.total = total;
  bar.title = `${fmtInt(done)} / ${fmtInt(total)}`;
  if (state) bar.setAttribute('class', 'bar state-' + state.toLowerCase());
  bar.firstChild.style.width = percent(done, total).toFixed(1) + '%';
}

/** A short notice at the bottom of the window. kind: 'ok' | 'error' | 'info'. */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const t = h('div', { class: ['toast', kind], role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 9000 : 4000);
}
