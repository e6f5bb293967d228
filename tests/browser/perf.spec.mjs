// Browser test of the performance charts and the capacity forecast (issue 17 item 3): Debian's /usr/bin/chromium
// driven by playwright-core. Started by mgmt-ui's io.evasan.mgmt.ConsolePerfBrowserTest with CONSOLE_URL,
// CONSOLE_TOKEN, SCREENSHOT_DIR, CHROMIUM as the other specs, after the test sampled two 10 s points of host I/O on
// LUN pl. The LUN page draws IOPS, MB/s and latency charts with both points and a line per read/write; the dashboard
// draws this controller's charts and the capacity table with the forecast; the range selector redraws. Screenshots
// console-perf-lun.png and console-perf-dashboard.png. Exit 0 = every step passed.

import { join } from 'node:path';
import { step, check, currentStep, openBrowser, consoleEnv } from './harness.mjs';

const { url, token, shots, executablePath } = consoleEnv();

const { page, problems, close } = await openBrowser(executablePath);
try {
  step('log in and open LUN pl');
  await page.goto(url);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
  await page.locator('#live[data-state="live"]').waitFor();
  await page.goto(url + '#/luns/pl');

  step('three charts with the two sampled points');
  const charts = page.locator('[data-testid="perf-chart"][data-points="2"]');
  await charts.nth(2).waitFor();
  check(await charts.count() === 3, 'IOPS, MB/s and latency charts');
  const iops = charts.nth(0);
  check(await iops.locator('path[data-line="readIops"]').count() === 1, 'a read IOPS line');
  check(await iops.locator('path[data-line="writeIops"]').count() === 1, 'a write IOPS line');
  check(await charts.nth(2).locator('path[data-line="latencyP99Ms"]').count() === 1, 'a p99 latency line');
  await charts.nth(0).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'console-perf-lun.png'), fullPage: true });

  step('the range selector redraws (last 30 days: 5 min points)');
  await page.getByTestId('perf-range').selectOption('30d');
  await page.locator('[data-testid="perf-chart"][data-points="1"]').first().waitFor();

  step('the dashboard: controller charts and the capacity forecast');
  await page.goto(url + '#/');
  await page.locator('[data-testid="capacity-forecast"] tr[data-group="dg0"]').waitFor();
  const row = await page.locator('[data-testid="capacity-forecast"] tr[data-group="dg0"]').textContent();
  check(row.includes('no growth'), `forecast of dg0: ${row}`);
  await page.locator('[data-testid="perf-chart"][data-points="2"]').first().waitFor();
  await page.screenshot({ path: join(shots, 'console-perf-dashboard.png'), fullPage: true });

  check(problems.length === 0, 'browser problems:\n  ' + problems.join('\n  '));
  console.log('perf.spec.mjs: all steps passed');
} catch (e) {
  console.error(`FAILED at step "${currentStep()}": ${e.message}`);
  if (problems.length) console.error('browser problems:\n  ' + problems.join('\n  '));
  try {
    await page.screenshot({ path: join(shots, 'console-perf-failure.png'), fullPage: true });
  } catch {
    // no screenshot
  }
  process.exitCode = 1;
} finally {
  await close();
}
