// Browser test of the console's controller-pair views: Debian's /usr/bin/chromium driven by playwright-core.
// Needs a paired appliance (GET /api/controllers lists NSC A and B). Started by mgmt-ui's
// io.evasan.mgmt.ConsolePairBrowserTest (a paired appliance in-process) with
//   CONSOLE_URL       http://127.0.0.1:<port>/      the appliance's management server
//   CONSOLE_TOKEN     the admin token
//   SCREENSHOT_DIR    where console-*.png go
//   CHROMIUM          browser binary (default /usr/bin/chromium)
// It creates LUNs pair-a and pair-b, sets their controllers on the LUN page (dialog, field error, move), runs a kill
// drill on NSC B from the controllers page (the confirmation names the LUNs that fail over), restarts B (failback)
// and reads the drill history. Exit 0 = every step passed; otherwise the failing step is printed, exit code 1.

import { join } from 'node:path';
import { step, check, currentStep, openBrowser, consoleEnv, restClient } from './harness.mjs';

const { url, token, shots, executablePath } = consoleEnv();
const rest = restClient(url, token);

const { page, problems, close } = await openBrowser(executablePath);
try {

  step('the appliance has two controllers');
  const ctl = await rest('GET', '/api/controllers');
  check(ctl.status === 200 && ctl.body.length === 2 && ctl.body.every((c) => c.paired),
    `needs the paired appliance: GET /api/controllers lists ${ctl.body && ctl.body.length} controller(s): ${JSON.stringify(ctl.body)}`);
  for (const lun of ['pair-a', 'pair-b']) {
    const r = await rest('POST', '/api/luns', { name: lun, sizeBytes: 4 << 20 });
    check(r.status === 201, `create ${lun}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const pa = await rest('PUT', '/api/luns/pair-a/ownership', { preferred: 'A', mode: 'FAILOVER_FAILBACK' });
  check(pa.status === 200 && pa.body.owner === 'A', `pair-a on A: ${JSON.stringify(pa.body)}`);

  step('log in');
  await page.goto(url);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
  await page.locator('#live[data-state="live"]').waitFor();
  await page.getByTestId('controllers').locator('[data-controller]').nth(1).waitFor();

  step('LUN page shows the owner; the dialog refuses failover without a preferred controller at its field');
  await page.goto(url + '#/luns/pair-b');
  const owner = page.getByTestId('lun-owner');
  await owner.filter({ hasText: /NSC [AB]/ }).waitFor();
  await page.getByTestId('ownership-change').click();
  const dlg = page.getByTestId('ownership-dialog');
  await dlg.getByTestId('ownership-preferred').selectOption('none');
  await dlg.getByTestId('ownership-mode').selectOption('FAILOVER_ONLY');
  await dlg.getByTestId('ownership-dialog-submit').click();
  await dlg.locator('.field-error[data-fields="preferred"]').filter({ hasText: /preferred/ }).waitFor();

  step('pair-b prefers NSC B with failback: it moves there');
  await dlg.getByTestId('ownership-preferred').selectOption('B');
  await dlg.getByTestId('ownership-mode').selectOption('FAILOVER_FAILBACK');
  await dlg.getByTestId('ownership-dialog-submit').click();
  await dlg.waitFor({ state: 'detached' });
  await owner.filter({ hasText: /^NSC B preferred NSC B · failover failback/ }).waitFor();

  step('Move to NSC A and back');
  await page.getByTestId('ownership-move').filter({ hasText: 'Move to NSC A' }).click();
  await owner.filter({ hasText: /^NSC A / }).waitFor();
  check((await rest('GET', '/api/luns/pair-b/ownership')).body.owner === 'A', 'the API shows pair-b on A');
  await page.getByTestId('ownership-move').filter({ hasText: 'Move to NSC B' }).click();
  await owner.filter({ hasText: /^NSC B / }).waitFor();
  await page.screenshot({ path: join(shots, 'console-lun-owner.png'), fullPage: true });

  step('controllers page: both NSCs side by side, online and mirrored');
  await page.locator('#nav a[data-nav="controllers"]').click();
  for (const id of ['A', 'B']) {
    await page.getByTestId('state-' + id).filter({ hasText: 'ONLINE' }).waitFor();
    await page.getByTestId('mirror-' + id).filter({ hasText: 'MIRRORED' }).waitFor();
    await page.getByTestId('rtt-' + id).waitFor();
  }
  await page.getByTestId('owned-A').filter({ hasText: 'pair-a' }).waitFor();
  await page.getByTestId('owned-B').filter({ hasText: 'pair-b' }).waitFor();
  const boxes = await page.locator('[data-nsc]').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
  check(boxes.length === 2 && Math.abs(boxes[0] - boxes[1]) < 2, `NSC A and B side by side, tops ${JSON.stringify(boxes)}`);
  await page.getByTestId('drills').filter({ hasText: 'No drills yet.' }).waitFor();

  step('kill drill on NSC B: the confirmation names the LUNs that fail over; Cancel changes nothing');
  await page.getByTestId('drill-kill-B').click();
  const confirm = page.getByTestId('confirm-drill');
  await confirm.getByTestId('drill-luns').filter({ hasText: 'pair-b' }).waitFor();
  const named = await confirm.getByTestId('drill-luns').textContent();
  check(!named.includes('pair-a'), `only B's LUNs are named: "${named}"`);
  await page.screenshot({ path: join(shots, 'console-drill-confirm.png'), fullPage: true });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'detached' });
  check((await rest('GET', '/api/controllers')).body.every((c) => c.state === 'ONLINE'), 'cancelled: both still online');

  step('kill drill on NSC B, confirmed: A takes pair-b over');
  await page.getByTestId('drill-kill-B').click();
  await confirm.getByTestId('drill-luns').waitFor();
  await page.getByTestId('confirm-drill-submit').click();
  await confirm.waitFor({ state: 'detached', timeout: 30000 });
  await page.getByTestId('state-B').filter({ hasText: 'FAILED' }).waitFor();
  await page.getByTestId('owned-A').filter({ hasText: 'pair-b' }).waitFor();
  await page.getByTestId('takeovers-A').filter({ hasText: /^1$/ }).waitFor();
  const row = page.locator('[data-testid="drills"] tr[data-drill="1"]');
  await row.filter({ hasText: 'taken over by A' }).waitFor();
  const cells = await row.locator('td').allTextContents();
  check(cells[1].includes('kill') && cells[1].includes('B') && /ms$/.test(cells[3]) && /ms$/.test(cells[4]) && cells[6] === '1',
    `drill row: detection, takeover, units moved: ${JSON.stringify(cells)}`);

  step('restart NSC B: pair-b fails back');
  await page.getByTestId('restart-B').click();
  await page.getByTestId('state-B').filter({ hasText: 'ONLINE' }).waitFor({ timeout: 30000 });
  await page.getByTestId('owned-B').filter({ hasText: 'pair-b' }).waitFor();
  await page.getByTestId('mirror-A').filter({ hasText: 'MIRRORED' }).waitFor();
  await page.screenshot({ path: join(shots, 'console-controllers.png'), fullPage: true });

  step('clean up');
  for (const lun of ['pair-a', 'pair-b']) {
    const r = await rest('DELETE', '/api/luns/' + lun);
    check(r.status === 204, `delete ${lun}: ${r.status}`);
  }
  check(problems.length === 0, 'browser problems:\n  ' + problems.join('\n  '));
  console.log('controllers.spec.mjs: all steps passed');
} catch (e) {
  console.error(`FAILED at step "${currentStep()}": ${e.message}`);
  if (problems.length) console.error('browser problems:\n  ' + problems.join('\n  '));
  try {
    await page.screenshot({ path: join(shots, 'console-controllers-failure.png'), fullPage: true });
  } catch {
    // no screenshot
  }
  process.exitCode = 1;
} finally {
  await close();
}
