// Browser test of the console's health banner and Events page (issue 17 items 1-2): Debian's /usr/bin/chromium driven
// by playwright-core. Started by mgmt-ui's io.evasan.mgmt.ConsoleHealthBrowserTest with CONSOLE_URL, CONSOLE_TOKEN,
// SCREENSHOT_DIR, CHROMIUM as the other specs. With every object OK the banner is hidden; a drive failed through the
// API shows the banner (DEGRADED, the drive named with its reason) on whatever page is open, without a reload; the
// Events page lists the failure and the audit line of the request that made it, and its severity filter hides the
// INFO lines; the Sessions page lists the live session and the refused login. Screenshots console-health.png (the banner) and console-events.png. Exit 0 = every step passed.

import { join } from 'node:path';
import { step, check, currentStep, openBrowser, consoleEnv, restClient } from './harness.mjs';

const { url, token, shots, executablePath } = consoleEnv();
const rest = restClient(url, token);

const { page, problems, close } = await openBrowser(executablePath);
let failed = null;
try {
  step('log in: every object OK, no banner');
  const health = await rest('GET', '/api/health');
  check(health.status === 200 && health.body.state === 'OK', `health before: ${JSON.stringify(health.body)}`);
  await page.goto(url);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
  await page.locator('#live[data-state="live"]').waitFor();
  await page.goto(url + '#/luns');
  check(await page.getByTestId('health-banner').isHidden(), 'the banner is hidden while all is OK');

  step('a drive fails: the banner shows it on the open page');
  const groups = (await rest('GET', '/api/pool')).body.groups;
  failed = groups[0].drives[groups[0].drives.length - 1].index;
  const r = await rest('POST', `/api/pool/groups/0/drives/${failed}/fail`);
  check(r.status === 200, `fail drive ${failed}: ${r.status} ${JSON.stringify(r.body)}`);
  const banner = page.getByTestId('health-banner');
  await banner.locator(`li[data-kind="drive"]`).first().waitFor({ timeout: 20000 });
  check(['DEGRADED', 'FAILED'].includes(await banner.getAttribute('data-state')), 'the banner says the state');
  const text = await banner.textContent();
  check(text.includes(`drive ${failed}`), `the failed drive is named: ${text}`);
  await page.screenshot({ path: join(shots, 'console-health.png'), fullPage: true });

  step('the Events page lists the failure and who asked for it');
  await page.locator('a[data-nav="events"]').click();
  const events = page.getByTestId('events');
  await events.locator('tbody tr', { hasText: `/drives/${failed}/fail` }).first().waitFor({ timeout: 20000 });
  await events.locator('tbody tr', { hasText: `drive ${failed}` }).first().waitFor();
  await page.screenshot({ path: join(shots, 'console-events.png'), fullPage: true });

  step('the severity filter hides the INFO lines');
  // (not by counting rows: the health transitions of one watcher tick may still be arriving while the page refreshes)
  await page.getByTestId('events-severity').selectOption('WARNING');
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('[data-testid="events"] tbody tr td:nth-child(2)')];
    return cells.length > 0 && cells.every((td) => /WARNING|CRITICAL/.test(td.textContent));
  });
  const severities = await events.locator('tbody tr td:nth-child(2)').allTextContents();
  check(severities.every((s) => s.includes('WARNING') || s.includes('CRITICAL')), `only WARNING and up: ${severities}`);
  check(await events.locator('tbody tr', { hasText: `/drives/${failed}/fail` }).count() === 0, 'the INFO audit line is hidden');
  await events.locator('tbody tr', { hasText: `drive ${failed}` }).first().waitFor();

  step('the Sessions page lists the live iSCSI session and the refused login');
  await page.locator('a[data-nav="sessions"]').click();
  const row = page.getByTestId('sessions').locator('tr[data-initiator="iqn.2026-12.test:db1"]');
  await row.waitFor({ timeout: 20000 });
  const cells = await row.locator('td').allTextContents();
  check(cells[1] === '400001370000' && cells[2] === 'A' && cells[3] === '127.0.0.1:3260' && cells[6] === 'CHAP'
    && cells[7] === 'header None, data None' && cells[8] === 'OK', `the session row: ${cells}`);
  await page.getByTestId('refused-logins').locator('tr', { hasText: 'iqn.2026-12.test:intruder' }).waitFor({ timeout: 20000 });

  step('clean up: the drive restored');
  const back = await rest('POST', `/api/pool/groups/0/drives/${failed}/restore`);
  check(back.status === 202, `restore: ${back.status} ${JSON.stringify(back.body)}`);
  failed = null;
  check(problems.length === 0, 'browser problems:\n  ' + problems.join('\n  '));
  console.log('health.spec.mjs: all steps passed');
} catch (e) {
  console.error(`FAILED at step "${currentStep()}": ${e.message}`);
  if (problems.length) console.error('browser problems:\n  ' + problems.join('\n  '));
  try {
    await page.screenshot({ path: join(shots, 'console-health-failure.png'), fullPage: true });
  } catch {
    // no screenshot
  }
  process.exitCode = 1;
} finally {
  if (failed !== null) await rest('POST', `/api/pool/groups/0/drives/${failed}/restore`);
  await close();
}
