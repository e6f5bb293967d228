// The health banner: shown above every page while anything is not OK (GET /api/health), listing the
// objects that are not OK with their reasons and, for a LUN with lost data, its first lost LBA ranges.
// Refreshed when the live stream reports the 'health' topic, and on (re)connect.

import { h, replace } from './dom.js';
import { get } from './api.js';
import { badge } from './ui.js';

const SHOWN = 6;

/** A badge for one object's health field (OK / DEGRADED / FAILED); its title is the reason. */
export function healthBadge(health) {
  if (!health) return badge('—', 'none');
  const b = badge(health.state, health.state === 'OK' ? 'ok' : health.state === 'DEGRADED' ? 'warn' : 'failed');
  if (health.reason) b.title = health.reason;
  return b;
}

function ranges(o) {
  if (!o.lostRanges) return '';
  const shown = o.lostRanges.slice(0, 4).map((r) => `LBA ${r.firstLba}–${r.firstLba + r.blocks - 1}`);
  const more = o.lostRangeCount > shown.length ? ` (+${o.lostRangeCount - shown.length} more)` : '';
  return ` — ${o.lostBlocks} blocks lost: ${shown.join(', ')}${more}`;
}

/** Fetches /api/health and redraws {@code el}: hidden when all is OK. */
export async function refreshBanner(el) {
  let body;
  try {
    body = await get('/api/health');
  } catch (e) {
    return; // the page shows the error of its own fetch; the banner keeps its last state
  }
  const bad = body.objects.filter((o) => o.state !== 'OK');
  if (bad.length === 0) {
    el.hidden = true;
    replace(el);
    return;
  }
  el.hidden = false;
  el.dataset.state = body.state;
  const items = bad.slice(0, SHOWN).map((o) => h('li', { 'data-kind': o.kind, 'data-name': o.name },
    healthBadge(o), ' ', h('strong', {}, `${o.kind} ${o.name}`), `: ${o.reason}${ranges(o)}`));
  if (bad.length > SHOWN) items.push(h('li', {}, `… and ${bad.length - SHOWN} more (sanctl health)`));
  replace(el,
    h('p', { class: 'health-title' }, body.state === 'FAILED' ? 'Array health: FAILED' : 'Array health: DEGRADED',
      ` (${body.counts.failed} failed, ${body.counts.degraded} degraded)`),
    h('ul', {}, items));
}
