// Browser test of the console's controller-pair views: Debian's /usr/bin/chromium driven by playwright-core.
// Needs a paired appliance (GET /api/controllers lists NSC A and B). Started by mgmt-ui's
// io.evasan.mgmt.ConsolePairBrowserTest (a paired appliance in-process) with
//   CONSOLE_URL       http://127.0.0.1:<port>/      the appliance's management server
//   CONSOLE_TOKEN     the admin token
//   SCREENSHOT_DIR    where console-*.png go
//   CHROMIUM          browser binary (default /usr/bin/chromium)
// It creates LUNs pair-a and pair-b, sets their controllers on the LUN page (dialog, field error, move), runs a kill
// drill on NSC B from the controllers page with the verifier (the confirmation names the LUNs that fail over),
// restarts B (failback), pulls a drive from the drill dialog (a field error first), and reads the drill history
// (acknowledged = verified, none lost). Exit 0 = every step passed; otherwise the failing step is printed, exit code 1.

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

  step('kill drill on NSC B with the verifier, confirmed: A takes pair-b over');
  await page.getByTestId('drill-verify').check();
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
  const n = (t) => Number(t.replace(/[^0-9]/g, ''));
  check(cells[1].includes('kill') && cells[1].includes('B') && /ms$/.test(cells[3]) && /ms$/.test(cells[4]) && cells[6] === '2',
    `drill row: detection, takeover, units moved (pair-b and the scratch LUN): ${JSON.stringify(cells)}`);
  check(n(cells[7]) >= 128 && n(cells[7]) === n(cells[8]) && cells[9] === '0',
    `drill row: the verifier's writes acknowledged = verified, none lost: ${JSON.stringify(cells)}`);

  step('restart NSC B: pair-b fails back');
  await page.getByTestId('restart-B').click();
  await page.getByTestId('state-B').filter({ hasText: 'ONLINE' }).waitFor({ timeout: 30000 });
  await page.getByTestId('owned-B').filter({ hasText: 'pair-b' }).waitFor();
  await page.getByTestId('mirror-A').filter({ hasText: 'MIRRORED' }).waitFor();

  step('pull-drive drill: a drive that does not exist is refused at its field; then drive 0 is pulled');
  const group = (await rest('GET', '/api/pool')).body.groups[0].id;
  await page.getByTestId('drill-verify').uncheck();
  await page.getByTestId('pull-drive').click();
  const pull = page.getByTestId('pull-drive-dialog');
  await pull.getByTestId('pull-group').fill(String(group));
  await pull.getByTestId('pull-index').fill('99');
  await pull.getByTestId('pull-drive-dialog-submit').click();
  await pull.locator('.field-error[data-fields="index"]').filter({ hasText: /no drive 99/ }).waitFor();
  await pull.getByTestId('pull-index').fill('0');
  await pull.getByTestId('pull-drive-dialog-submit').click();
  await pull.waitFor({ state: 'detached', timeout: 30000 });
  const pulled = page.locator('[data-testid="drills"] tr[data-drill="2"]');
  await pulled.filter({ hasText: 'pulled (MISSING)' }).waitFor();
  check((await pulled.locator('td').allTextContents())[1].trim() === 'pull-drive', 'the pull-drive row names no NSC');
  await page.screenshot({ path: join(shots, 'console-controllers.png'), fullPage: true });
  const restored = await rest('POST', `/api/pool/groups/${group}/drives/0/restore`);
  check(restored.status === 202, `restore drive 0: ${restored.status} ${JSON.stringify(restored.body)}`);

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
