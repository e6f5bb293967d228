// Browser test of the console's guards on destructive LUN changes (issue 17 item 4): Debian's /usr/bin/chromium driven
// by playwright-core. Started by mgmt-ui's io.evasan.mgmt.ConsoleGuardBrowserTest with CONSOLE_URL, CONSOLE_TOKEN,
// SCREENSHOT_DIR, CHROMIUM as the other specs. Deleting a LUN that a registered host sees (and that has a snapshot)
// opens a dialog listing the host and the snapshot and asking for the LUN's name: a wrong name deletes nothing, the
// right one sends the forced delete. A shrink of a presented LUN is refused by the server, and the console then asks
// for the name and sends it forced. Screenshot console-guard.png (the delete confirmation). Exit 0 = every step passed.

import { join } from 'node:path';
import { step, check, currentStep, openBrowser, consoleEnv, restClient } from './harness.mjs';

const { url, token, shots, executablePath } = consoleEnv();
const rest = restClient(url, token);
const INI = 'iqn.2026-11.test.guard:db1';
const MIB = 1048576;

async function made(method, path, body, status) {
  const r = await rest(method, path, body);
  check(r.status === status, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const { page, problems, close } = await openBrowser(executablePath);
try {
  step('a host that sees LUN gdb, which has a snapshot');
  await made('POST', '/api/hosts', { name: 'dbhost', initiators: [INI] }, 201);
  await made('POST', '/api/luns', { name: 'gdb', sizeBytes: 16 * MIB }, 201);
  await made('POST', '/api/luns/gdb/present', { initiator: INI, hostLun: 2 }, 200);
  await made('POST', '/api/luns/gdb/snapshots', { name: 'gdb-s' }, 201);

  step('log in and open LUN gdb');
  await page.goto(url);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
  await page.locator('#live[data-state="live"]').waitFor();
  await page.goto(url + '#/luns/gdb');
  await page.locator('[data-testid="delete-lun"]:not([disabled])').waitFor();

  step('delete: the dialog lists the host and the snapshot and asks for the name');
  await page.getByTestId('delete-lun').click();
  const dlg = page.getByTestId('confirm-delete-lun');
  await dlg.getByTestId('force-hosts').waitFor();
  const hosts = await dlg.getByTestId('force-hosts').textContent();
  check(hosts.includes('dbhost: ' + INI + ' as host LUN 2'), `the host that sees it: ${hosts}`);
  check((await dlg.getByTestId('force-snapshots').textContent()).includes('gdb-s'), 'the snapshot is named');
  await page.screenshot({ path: join(shots, 'console-guard.png'), fullPage: true });

  step('a wrong name deletes nothing');
  await dlg.getByTestId('force-name').fill('gd');
  await page.getByTestId('confirm-delete-lun-submit').click();
  await dlg.locator('.field-error', { hasText: "type the LUN's name, gdb, exactly" }).waitFor();
  check((await rest('GET', '/api/luns/gdb')).status === 200, 'the LUN is still there');

  step('the right name sends the forced delete');
  await dlg.getByTestId('force-name').fill('gdb');
  await page.getByTestId('confirm-delete-lun-submit').click();
  await page.waitForURL((u) => u.hash === '#/luns');
  check((await rest('GET', '/api/luns/gdb')).status === 404, 'the LUN is deleted');

  step('a shrink of a presented LUN: refused, then asked for and forced');
  await made('POST', '/api/luns', { name: 'gsh', sizeBytes: 16 * MIB }, 201);
  await made('POST', '/api/luns/gsh/present', { initiator: '*', hostLun: 5 }, 200);
  await page.goto(url + '#/luns/gsh');
  await page.locator('[data-testid="resize-lun"]:not([disabled])').waitFor();
  await page.getByTestId('resize-lun').click();
  await page.getByTestId('resize-size').fill('1');
  await page.getByTestId('resize-unit').selectOption('MiB');
  await page.getByTestId('resize-dialog-submit').click();
  const force = page.getByTestId('force-resize');
  await force.waitFor();
  check((await force.textContent()).includes('shrinking LUN gsh from 16 MiB to 1 MiB'), 'the refusal is shown');
  check((await force.getByTestId('force-hosts').textContent()).includes('every initiator (*) as host LUN 5'), 'who sees it');
  check((await rest('GET', '/api/luns/gsh')).body.sizeBytes === 16 * MIB, 'nothing changed yet');
  await force.getByTestId('force-name').fill('gsh');
  await page.getByTestId('force-resize-submit').click();
  await page.getByTestId('resize-dialog').waitFor({ state: 'detached' });
  check((await rest('GET', '/api/luns/gsh')).body.sizeBytes === MIB, 'the forced shrink');

  step('clean up');
  await made('DELETE', '/api/luns/gsh?force=true', undefined, 204);
  await made('DELETE', '/api/hosts/dbhost', undefined, 204);
  check(problems.length === 0, 'browser problems:\n  ' + problems.join('\n  '));
  console.log('guards.spec.mjs: all steps passed');
} catch (e) {
  console.error(`FAILED at step "${currentStep()}": ${e.message}`);
  if (problems.length) console.error('browser problems:\n  ' + problems.join('\n  '));
  try {
    await page.screenshot({ path: join(shots, 'console-guard-failure.png'), fullPage: true });
  } catch {
    // no screenshot
  }
  process.exitCode = 1;
} finally {
  await close();
}
