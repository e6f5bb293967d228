// The console shell: login, hash routing (#/, #/luns, #/luns/<name>, #/hosts, #/schedules, #/backup, #/controllers, #/fabric, #/events, #/sessions), the live event connection,
// and dispatch of its events to the page on screen. No page ever reloads: pages re-fetch only the
// resources an event names.

import { h, replace } from './dom.js';
import { get, token, setToken, clearToken, onAuthLost, onReachability, ApiError } from './api.js';
import { LiveEvents } from './events.js';
import * as dashboard from './pages/dashboard.js';
import * as lunList from './pages/luns.js';
import * as lunPage from './pages/lun.js';
import * as schedulesPage from './pages/schedules.js';
import * as backupPage from './pages/backup.js';
import * as hostsPage from './pages/hosts.js';
import * as controllersPage from './pages/controllers.js';
import * as fabricPage from './pages/fabric.js';
import { refreshBanner } from './health.js';
import * as eventsPage from './pages/eventlog.js';
import * as sessionsPage from './pages/sessions.js';
import { navMenu } from './menu.js';
import { Reachability } from './reach.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const liveBadge = document.getElementById('live');
const logoutButton = document.getElementById('logout');
const healthBanner = document.getElementById('health-banner');
const menuButton = document.getElementById('menu');
const menu = navMenu(document.querySelector('header.top'), menuButton, nav);

let page = null;
let live = null;
let pending = new Set();
let flushTimer = null;

// the appliance stopped answering (requests without an answer, the live stream down): a banner, probes, and a reload
// of what is shown once it answers again
const reach = new Reachability({
  banner: document.getElementById('unreachable'),
  probe: () => {
    if (live) live.reconnectNow();
    return get('/api/health').catch(() => {}); // its outcome reaches `reach` through onReachability
  },
  onBack: () => {
    if (page) page.refresh(null);
    refreshBanner(healthBanner);
  },
});
onReachability((answered, reason) => {
  if (!page) return; // the login screen shows its own error
  if (answered) reach.answered();
  else reach.failed(reason);
});

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'luns' && parts.length > 1) return { name: 'lun', lun: decodeURIComponent(parts.slice(1).join('/')) };
  if (parts[0] === 'luns') return { name: 'luns' };
  if (parts[0] === 'schedules') return { name: 'schedules' };
  if (parts[0] === 'backup') return { name: 'backup' };
  if (parts[0] === 'hosts') return { name: 'hosts' };
  if (parts[0] === 'controllers') return { name: 'controllers' };
  if (parts[0] === 'fabric') return { name: 'fabric' };
  if (parts[0] === 'events') return { name: 'events' };
  if (parts[0] === 'sessions') return { name: 'sessions' };
  return { name: 'dashboard' };
}

function showPage() {
  if (page && page.dispose) page.dispose();
  const r = route();
  const pages = { lun: () => lunPage.create(r.lun), luns: lunList.create, schedules: schedulesPage.create, backup: backupPage.create,
    hosts: hostsPage.create, controllers: controllersPage.create, fabric: fabricPage.create, events: eventsPage.create,
    sessions: sessionsPage.create };
  page = (pages[r.name] || dashboard.create)();
  menu.close();
  replace(main, page.el);
  for (const a of nav.querySelectorAll('a')) {
    const current = a.dataset.nav === (r.name === 'lun' ? 'luns' : r.name);
    if (current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = (page.title || 'evasan') + ' · evasan console';
  page.refresh(null);
}

function setLive(state, info) {
  liveBadge.dataset.state = state;
  liveBadge.title = '';
  if (state === 'live') liveBadge.textContent = 'live';
  else if (state === 'connecting') liveBadge.textContent = 'connecting…';
  else if (state === 'retrying') {
    liveBadge.textContent = `reconnecting in ${Math.ceil(info.delayMs / 1000)} s`;
    liveBadge.title = 'event stream lost: ' + info.reason + ' (attempt ' + info.attempt + ')';
  } else liveBadge.textContent = 'offline';
}

function onEvent(name, data) {
  if (!page) return;
  if (name === 'changed' && data && Array.isArray(data.topics)) {
    for (const t of data.topics) pending.add(t);
    if (data.topics.includes('health')) refreshBanner(healthBanner);
    if (!flushTimer) {
      flushTimer = setTimeout(() => {
        flushTimer = null;
        const topics = pending;
        pending = new Set();
        if (page && [...topics].some((t) => page.topics.includes(t))) page.refresh(topics);
      }, 120);
    }
  } else if (name === 'jobs' && page.onJobs) {
    page.onJobs(data);
  }
}

function enter() {
  nav.hidden = false;
  menuButton.hidden = false;
  logoutButton.hidden = false;
  liveBadge.hidden = false;
  if (!live) {
    live = new LiveEvents({
      url: '/api/events',
      token,
      onOpen: () => { if (page) page.refresh(null); refreshBanner(healthBanner); }, // events may have been missed while disconnected
      onEvent,
      onState: (state, info) => {
        setLive(state, info);
        reach.stream(state, info);
      },
      onUnauthorized: () => authLost('The token was rejected by the event stream. Log in again.'),
    });
  }
  live.start();
  showPage();
  refreshBanner(healthBanner);
}

function authLost(message) {
  clearToken();
  if (live) live.stop();
  showLogin(message);
}

function showLogin(message) {
  if (page && page.dispose) page.dispose();
  page = null;
  nav.hidden = true;
  menuButton.hidden = true;
  menu.close();
  reach.reset();
  logoutButton.hidden = true;
  liveBadge.hidden = true;
  healthBanner.hidden = true;
  document.title = 'Log in · evasan console';
  const input = h('input', {
    type: 'password', name: 'token', id: 'token', autocomplete: 'off', spellcheck: 'false',
    required: true, 'data-testid': 'token', placeholder: 'admin token',
  });
  const error = h('p', { class: 'field-error general', role: 'alert', 'data-testid': 'login-error' }, message || '');
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'login' }, 'Log in');
  const form = h('form', { class: 'login panel' },
    h('h1', {}, 'evasan console'),
    h('p', {}, 'Enter the admin token the appliance printed on its first start. It is kept only in this tab (sessionStorage).'),
    h('label', { for: 'token' }, 'Admin token'),
    input,
    error,
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t = input.value.trim();
    if (!t) {
      error.textContent = 'Enter the token.';
      return;
    }
    setToken(t);
    submit.disabled = true;
    try {
      await get('/api/pool');
      enter();
    } catch (err) {
      // a 401 has already redrawn this screen through authLost with its message
      if (!(err instanceof ApiError) || err.status !== 401) {
        clearToken();
        error.textContent = err.message;
        submit.disabled = false;
      }
    }
  });
  replace(main, form);
  input.focus();
}

onAuthLost(authLost);
logoutButton.addEventListener('click', () => authLost('Logged out.'));
window.addEventListener('hashchange', () => {
  if (token() && page) showPage();
});

if (token()) enter();
else showLogin('');
