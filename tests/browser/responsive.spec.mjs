// Browser test of the console on a phone, in the dark and without its appliance (issue 17 item 6): Debian's
// /usr/bin/chromium driven by playwright-core. Started by mgmt-ui's io.evasan.mgmt.ConsoleResponsiveBrowserTest with
// CONSOLE_URL, CONSOLE_TOKEN, SCREENSHOT_DIR, CHROMIUM as the other specs, and CONSOLE_CONTROL: a loopback URL whose
// POST /stop stops the appliance's API server and POST /start starts it again on the same port.
// At 360x740 every page (dashboard, LUNs, a LUN, hosts, schedules, backup, controllers, fabric, events) fits the width
// (document.scrollingElement.scrollWidth <= 360), the nav is collapsed behind a menu button that opens and closes by
// keyboard (aria-expanded), and a dialog fits, keeps Tab inside and closes on Escape. With colorScheme 'dark' the page
// background is dark. With the API stopped the "appliance unreachable" banner names the URL, and it goes away by itself
// when the API is back. Screenshots console-360.png, console-dark.png, console-unreachable.png. Exit 0 = every step passed.

import { join } from 'node:path';
import { step, check, currentStep, openBrowser, consoleEnv, restClient } from './harness.mjs';

const { url, token, shots, executablePath } = consoleEnv();
const control = process.env.CONSOLE_CONTROL;
if (!control) {
  console.error('CONSOLE_CONTROL must be set');
  process.exit(2);
}
const rest = restClient(url, token);
const WIDTH = 360;
const PAGES = ['#/', '#/luns', '#/luns/rsp', '#/hosts', '#/schedules', '#/backup', '#/controllers', '#/fabric', '#/events', '#/sessions'];
// what the browser reports while the API is stopped on purpose: not problems of the console
const OFFLINE = /ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING|Failed to fetch/;

async function made(method, path, body, status) {
  const r = await rest(method, path, body);
  check(r.status === status, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** The relative luminance (0 black .. 1 white) of a CSS rgb()/rgba() colour. */
function luminance(rgb) {
  const [r, g, b] = rgb.match(/[\d.]+/g).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const { page, problems, close } = await openBrowser(executablePath);
let apiStopped = false;
try {
  step('a LUN with a presentation, a snapshot and a schedule, a host');
  await made('POST', '/api/hosts', { name: 'rsphost', initiators: ['iqn.2026-11.test.responsive:host1'] }, 201);
  await made('POST', '/api/luns', { name: 'rsp', sizeBytes: 16 << 20 }, 201);
  await made('POST', '/api/luns/rsp/present', { initiator: 'iqn.2026-11.test.responsive:host1', hostLun: 1 }, 200);
  await made('POST', '/api/luns/rsp/snapshots', { name: 'rsp-s1' }, 201);

  step('log in at 360x740');
  await page.setViewportSize({ width: WIDTH, height: 740 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(url);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
  await page.locator('#live[data-state="live"]').waitFor();

  for (const hash of PAGES) {
    step(`${hash}: loaded, no horizontal overflow at ${WIDTH} px`);
    await page.goto(url + hash);
    await page.waitForFunction(() => document.querySelector('main .page')
      && !document.querySelector('main').textContent.includes('Loading…'), null, { timeout: 15000 });
    const over = await page.evaluate((w) => ({
      scrollWidth: document.scrollingElement.scrollWidth,
      // the outermost elements reaching past the right edge, to name the culprit when this fails
      culprits: [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > w + 0.5 && !e.parentElement.closest('table.grid, .chart-scroll, .groups'))
        .filter((e) => !(e.parentElement.getBoundingClientRect().right > w + 0.5))
        .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className?.baseVal ?? e.className} right=${Math.round(e.getBoundingClientRect().right)}`),
    }), WIDTH);
    check(over.scrollWidth <= WIDTH, `${hash}: the page is ${over.scrollWidth} px wide at ${WIDTH} px: ${over.culprits.join('; ')}`);
    check(await page.locator('#nav').isHidden(), `${hash}: the nav is collapsed behind the menu button`);
  }

  step('the menu opens and closes by keyboard');
  await page.goto(url + '#/');
  await page.locator('main .page').waitFor();
  const menu = page.getByTestId('menu');
  await menu.focus();
  await page.keyboard.press('Enter');
  check(await menu.getAttribute('aria-expanded') === 'true', 'Enter opens the menu (aria-expanded)');
  await page.locator('#nav').waitFor({ state: 'visible' });
  check(await page.evaluate(() => document.activeElement.closest('#nav') !== null), 'the focus moves into the nav');
  await page.screenshot({ path: join(shots, 'console-360.png'), fullPage: true });
  await page.keyboard.press('Escape');
  check(await menu.getAttribute('aria-expanded') === 'false', 'Escape closes the menu');
  check(await page.evaluate(() => document.activeElement.id) === 'menu', 'the focus is back on the menu button');
  await page.keyboard.press('Space');
  await page.locator('#nav a[data-nav="luns"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.hash === '#/luns');
  check(await menu.getAttribute('aria-expanded') === 'false', 'following a link closes the menu');

  step('a dialog fits, keeps Tab inside and closes on Escape');
  const opener = page.getByTestId('create-lun-open');
  await opener.focus();
  await page.keyboard.press('Enter');
  const dlg = page.locator('dialog.modal[open]');
  await dlg.waitFor();
  const box = await dlg.boundingBox();
  check(box.x >= 0 && box.x + box.width <= WIDTH, `the dialog fits the width: ${JSON.stringify(box)}`);
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.closest('dialog') !== null), `Tab ${i + 1} stays in the dialog`);
  }
  await page.keyboard.press('Escape');
  await dlg.waitFor({ state: 'detached' });
  check(await page.evaluate(() => document.activeElement.dataset.testid) === 'create-lun-open', 'the focus returns to the opener');

  step('dark theme: prefers-color-scheme dark darkens the page');
  const light = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  check(luminance(light) > 0.8, `the light background is light: ${light}`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(url + '#/luns/rsp');
  await page.locator('[data-testid="tree-box"] svg').waitFor();
  const dark = await page.evaluate(() => ({
    bg: getComputedStyle(document.documentElement).backgroundColor,
    panel: getComputedStyle(document.querySelector('.panel')).backgroundColor,
    ink: getComputedStyle(document.querySelector('.panel')).color,
    badge: [...document.querySelectorAll('.badge')].map((b) => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]),
  }));
  check(luminance(dark.bg) < 0.05 && luminance(dark.panel) < 0.05, `dark backgrounds: ${JSON.stringify(dark)}`);
  check(luminance(dark.ink) > 0.6, `light text on them: ${dark.ink}`);
  for (const [bg, ink] of dark.badge) {
    const [hi, lo] = [luminance(bg), luminance(ink)].sort((a, b) => b - a);
    check((hi + 0.05) / (lo + 0.05) >= 4.5, `a badge's text is readable (contrast >= 4.5): ${bg} on ${ink}`);
  }
  await page.screenshot({ path: join(shots, 'console-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  step('the API stops: the page says the appliance is unreachable, with its URL');
  await page.goto(url + '#/');
  await page.locator('#live[data-state="live"]').waitFor();
  await page.getByTestId('capacity').locator('svg').first().waitFor();
  const before = problems.length;
  const stop = await fetch(control + 'stop', { method: 'POST' });
  check(stop.status === 204, `stop the API: ${stop.status}`);
  apiStopped = true;
  const banner = page.getByTestId('unreachable');
  await banner.waitFor({ state: 'visible', timeout: 15000 });
  check((await page.getByTestId('unreachable-url').textContent()) === new URL(url).origin + '/', 'the banner names the URL');
  check((await banner.textContent()).includes('Appliance unreachable'), 'the banner says what is wrong');
  await page.screenshot({ path: join(shots, 'console-unreachable.png'), fullPage: true });

  step('the API is back: the banner goes away by itself and the stream is live again');
  const start = await fetch(control + 'start', { method: 'POST' });
  check(start.status === 204, `start the API: ${start.status}`);
  apiStopped = false;
  await banner.waitFor({ state: 'hidden', timeout: 15000 });
  await page.locator('#live[data-state="live"]').waitFor({ timeout: 15000 });
  const kept = problems.splice(before).filter((p) => !OFFLINE.test(p));
  problems.push(...kept);
  check(problems.length === 0, 'browser problems:\n  ' + problems.join('\n  '));
  console.log('responsive.spec.mjs: all steps passed');
} catch (e) {
  console.error(`FAILED at step "${currentStep()}": ${e.message}`);
  if (problems.length) console.error('browser problems:\n  ' + problems.join('\n  '));
  try {
    await page.screenshot({ path: join(shots, 'console-responsive-failure.png'), fullPage: true });
  } catch {
    // no screenshot
  }
  process.exitCode = 1;
} finally {
  if (apiStopped) await fetch(control + 'start', { method: 'POST' }).catch(() => {});
  await close();
}
