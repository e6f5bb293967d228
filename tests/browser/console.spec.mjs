// Browser test of the evasan web console: Debian's /usr/bin/chromium driven by playwright-core
// (no browser download). Started by io.evasan.tests.console.ConsoleBrowserTest with
//   CONSOLE_URL       http://127.0.0.1:<port>/      the appliance's management server
//   CONSOLE_TOKEN     the admin token
//   CONSOLE_LUN       a LUN holding data, so its snapclone's BGCOPY takes visible time
//   SCREENSHOT_DIR    where console-*.png go (tests/target)
//   CHROMIUM          browser binary (default /usr/bin/chromium)
// Exit 0 = every step passed; otherwise the failing step is printed and the exit code is 1.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.CONSOLE_URL;
const token = process.env.CONSOLE_TOKEN;
const dataLun = process.env.CONSOLE_LUN;
const shots = process.env.SCREENSHOT_DIR || 'target';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!url || !token || !dataLun) {
  console.error('CONSOLE_URL, CONSOLE_TOKEN and CONSOLE_LUN must be set');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

const started = Date.now();
let stepName = 'start';
function step(name) {
  stepName = name;
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${name}`);
}
function check(cond, message) {
  if (!cond) throw new Error(message);
}

const profile = mkdtempSync(join(tmpdir(), 'evasan-chromium-'));
// a persistent context on a fresh, empty profile directory = chromium's --user-data-dir
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1440, height: 1000 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync',
  ],
});
const problems = [];
let page;
try {
  page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404|409|400)/.test(m.text())) problems.push('console error: ' + m.text());
  });
  // a Content-Security-Policy violation is reported to the console as an error too; record it explicitly
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));
  });
  let loads = 0;
  page.on('load', () => { loads++; });

  step('login screen');
  await page.goto(url);
  await page.getByTestId('token').waitFor();
  step('a wrong token is refused on the login screen');
  await page.getByTestId('token').fill('not-the-token');
  await page.getByTestId('login').click();
  await page.getByTestId('login-error').filter({ hasText: /rejected/ }).waitFor();
  step('log in');
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
  await page.locator('svg[data-testid^="capacity-"]').first().waitFor();
  await page.locator('#live[data-state="live"]').waitFor();
  const columns = await page.locator('svg[data-testid^="capacity-"] g.drive').count();
  check(columns >= 6, `capacity chart draws one column per drive, saw ${columns}`);
  await page.getByTestId('controllers').locator('[data-controller]').first().waitFor();
  await page.screenshot({ path: join(shots, 'console-dashboard.png'), fullPage: true });

  step('LUN list: create dialog shows the server error next to the name field');
  await page.locator('#nav a[data-nav="luns"]').click();
  await page.getByTestId('lun-table').locator('table').waitFor();
  await page.getByTestId('create-lun-open').click();
  const dlg = page.getByTestId('create-lun');
  await dlg.getByTestId('lun-name').fill(dataLun); // exists already: 409 naming "name"
  await dlg.getByTestId('lun-size').fill('64');
  await dlg.getByTestId('lun-unit').selectOption('MiB');
  await dlg.getByTestId('create-lun-submit').click();
  const nameError = dlg.locator('.field-error[data-fields="name"]');
  await nameError.filter({ hasText: /exist/i }).waitFor();
  step('size error next to the size field');
  await dlg.getByTestId('lun-name').fill('web1');
  await dlg.getByTestId('lun-size').fill('1.5');
  await dlg.getByTestId('lun-unit').selectOption('MiB'); // 1.5 MiB is not whole MiB: 400 naming sizeBytes
  await dlg.getByTestId('create-lun-submit').click();
  await dlg.locator('.field-error[data-fields="sizeBytes"]').filter({ hasText: /MiB/ }).waitFor();
  step('create LUN web1 (64 MiB, RAID5)');
  await dlg.getByTestId('lun-size').fill('64');
  await dlg.getByTestId('lun-raid').selectOption('RAID5');
  await dlg.getByTestId('create-lun-submit').click();
  await dlg.waitFor({ state: 'detached' });
  await page.locator('tr[data-lun="web1"]').waitFor();
  const sizeText = await page.locator('tr[data-lun="web1"] td.num').first().textContent();
  check(sizeText.trim() === '64 MiB', `web1 listed with 64 MiB, saw "${sizeText}"`);

  step(`open the LUN page of ${dataLun}`);
  await page.getByTestId('lun-link-' + dataLun).click();
  await page.locator('svg[data-testid="tree"] g[data-node]').first().waitFor();
  await page.evaluate(() => { window.__noReload = 'still here'; });

  step('Snapshot button');
  await page.getByTestId('snapshot').click();
  await page.getByTestId('snapshot-dialog').getByTestId('snapshot-name').fill('snap1');
  await page.getByTestId('snapshot-dialog-submit').click();
  await page.getByTestId('snapshot-dialog').waitFor({ state: 'detached' });
  await page.locator('svg[data-testid="tree"] g[data-node="snap1"][data-kind="SNAPSHOT"]').waitFor();

  step('a duplicate snapshot name is refused next to the name field');
  await page.getByTestId('snapshot').click();
  await page.getByTestId('snapshot-dialog').getByTestId('snapshot-name').fill('snap1');
  await page.getByTestId('snapshot-dialog-submit').click();
  await page.getByTestId('snapshot-dialog').locator('.field-error[data-fields~="name"]').filter({ hasText: /exist/i }).waitFor();
  await page.getByTestId('snapshot-dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByTestId('snapshot-dialog').waitFor({ state: 'detached' });

  step('Snapclone button');
  await page.getByTestId('snapclone').click();
  await page.getByTestId('snapshot-dialog').getByTestId('snapshot-name').fill('clone1');
  await page.getByTestId('snapshot-dialog-submit').click();
  await page.getByTestId('snapshot-dialog').waitFor({ state: 'detached' });
  const cloneNode = page.locator('svg[data-testid="tree"] g[data-node="clone1"][data-kind="SNAPCLONE"]');
  await cloneNode.waitFor();

  step('both nodes and the LUN in the drawn tree, oldest first');
  const order = await page.locator('svg[data-testid="tree"] g[data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')));
  check(order.length === 3 && order[0] === 'snap1' && order[1] === 'clone1' && order[2] === dataLun,
    `tree order snap1, clone1, ${dataLun}; saw ${JSON.stringify(order)}`);
  const arrows = await page.locator('svg[data-testid="tree"] line.edge').count();
  check(arrows === 2, `two predecessor → successor arrows, saw ${arrows}`);

  step('BGCOPY progress bar of the snapclone advances live');
  const bar = page.locator('svg[data-testid="tree"] [data-testid="bgcopy-clone1"]');
  await bar.waitFor();
  const first = Number(await bar.getAttribute('aria-valuenow'));
  const total = Number(await bar.getAttribute('aria-valuemax'));
  console.log(`  BGCOPY first reading ${first} / ${total}`);
  check(total > 0 && first < total, `BGCOPY still running at the first reading (${first}/${total})`);
  await page.waitForFunction(
    (v) => {
      const b = document.querySelector('svg[data-testid="tree"] [data-testid="bgcopy-clone1"]');
      return b && Number(b.getAttribute('aria-valuenow')) > v;
    }, first, { timeout: 20000, polling: 100 });
  const second = Number(await bar.getAttribute('aria-valuenow'));
  console.log(`  BGCOPY second reading ${second} / ${total}`);
  check(second > first, `BGCOPY advanced (${first} -> ${second})`);
  check(await page.evaluate(() => window.__noReload) === 'still here', 'the page was not reloaded');
  check(loads === 1, `one page load in the whole session, saw ${loads}`);
  await page.screenshot({ path: join(shots, 'console-lun.png'), fullPage: true });

  step('dashboard lists the BGCOPY job with a progress bar');
  await page.locator('#nav a[data-nav="dashboard"]').click();
  await page.locator('[data-testid="job-bgcopy-clone1"]').waitFor();
  await page.screenshot({ path: join(shots, 'console-jobs.png'), fullPage: true });

  step('a rejected token leads back to the login screen with a message');
  await page.evaluate(() => sessionStorage.setItem('evasan.token', 'revoked-token'));
  await page.locator('#nav a[data-nav="luns"]').click();
  await page.getByTestId('login-error').filter({ hasText: /rejected/ }).waitFor();
  check(await page.evaluate(() => sessionStorage.getItem('evasan.token')) === null, 'the rejected token is forgotten');

  check(problems.length === 0, 'browser reported problems:\n  ' + problems.join('\n  '));
  step(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  console.error(`FAILED at step "${stepName}": ${e.message}`);
  if (problems.length) console.error('browser problems:\n  ' + problems.join('\n  '));
  if (page) {
    try {
      await page.screenshot({ path: join(shots, 'console-failure.png'), fullPage: true });
      console.error('screenshot: ' + join(shots, 'console-failure.png'));
    } catch {
      // the page is gone
    }
  }
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
