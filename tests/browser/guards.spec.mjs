// Browser test of the console's guards on destructive LUN changes (issue 17 item 4): Debian's /usr/bin/chromium driven
// by playwright-core. Started by mgmt-ui's io.evasan.mgmt.ConsoleGuardBrowserTest with CONSOLE_URL, CONSOLE_TOKEN,
// SCREENSHOT_DIR, CHROMIUM as the other specs. Deleting a LUN that a registered host sees (and that has a snapshot)
// opens a dialog listing the host and the snapshot and asking for the LUN's name: a wrong name deletes nothing, the
// right one sends the forced delete. A shrink of a presented LUN is refused by the server, and the console then asks
// for the name and sends it forced. The LUN list shows RAID level and WWN, sorts, searches, and presents or deletes
// the selected LUNs (in use: only after the typed confirmation). Screenshot console-guard.png (the delete confirmation). Exit 0 = every step passed.

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

  step('the LUN list: RAID level and WWN columns, sorted by size both ways');
  await made('DELETE', '/api/luns/gsh?force=true', undefined, 204);
  await made('POST', '/api/luns', { name: 'l-a', sizeBytes: 8 * MIB, raid: 'RAID1' }, 201);
  await made('POST', '/api/luns', { name: 'l-b', sizeBytes: 16 * MIB, raid: 'RAID5' }, 201);
  await made('POST', '/api/luns', { name: 'l-c', sizeBytes: 4 * MIB, raid: 'RAID0' }, 201);
  await made('POST', '/api/luns/l-b/present', { initiator: '*', hostLun: 9 }, 200);
  await page.goto(url + '#/luns');
  const list = page.getByTestId('lun-table');
  await list.locator('tr[data-lun="l-c"]').waitFor();
  const names = async () => list.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.lun));
  const cellsOf = async (lun) => list.locator(`tr[data-lun="${lun}"] td`).allTextContents();
  const a = await cellsOf('l-a');
  check(a[4] === 'RAID1' && /^naa\.6[0-9a-f]{31}$/.test(a[8]), `RAID level and WWN of l-a: ${a}`);
  check((await cellsOf('l-c'))[4] === 'RAID0', 'RAID level of l-c');
  await page.getByTestId('lun-sort-size').click();
  check(JSON.stringify(await names()) === JSON.stringify(['l-c', 'l-a', 'l-b']), `ascending by size: ${await names()}`);
  await page.getByTestId('lun-sort-size').click();
  check(JSON.stringify(await names()) === JSON.stringify(['l-b', 'l-a', 'l-c']), `descending by size: ${await names()}`);

  step('the search keeps the matching LUNs');
  await page.getByTestId('lun-search').fill('raid1');
  check(JSON.stringify(await names()) === JSON.stringify(['l-a']), `search raid1: ${await names()}`);
  await page.getByTestId('lun-search').fill('');

  step('bulk present: l-a and l-c at consecutive host LUNs');
  await page.getByTestId('lun-select-l-a').check();
  await page.getByTestId('lun-select-l-c').check();
  check((await page.getByTestId('lun-selected').textContent()) === '2 selected', 'two selected');
  await page.getByTestId('lun-bulk-present').click();
  await page.getByTestId('bulk-initiator').fill('iqn.2026-12.test:bulk');
  await page.getByTestId('bulk-host-lun').fill('5');
  await page.getByTestId('bulk-present-submit').click();
  await page.getByTestId('bulk-present').waitFor({ state: 'detached' });
  const pa = (await rest('GET', '/api/luns/l-a')).body.presentations;
  const pc = (await rest('GET', '/api/luns/l-c')).body.presentations;
  check(pa.length === 1 && pa[0].hostLun === 5 && pc.length === 1 && pc[0].hostLun === 6, `presented: ${JSON.stringify([pa, pc])}`);

  step('bulk delete of LUNs in use asks for the typed confirmation');
  await page.getByTestId('lun-bulk-delete').click();
  const bulk = page.getByTestId('confirm-bulk-delete');
  await bulk.getByTestId('force-hosts').waitFor();
  const seers = await bulk.getByTestId('force-hosts').textContent();
  check(seers.includes('iqn.2026-12.test:bulk as host LUN 5 (LUN l-a)') && seers.includes('as host LUN 6 (LUN l-c)'), `who sees them: ${seers}`);
  await bulk.getByTestId('force-name').fill('delete 2 LUN');
  await page.getByTestId('confirm-bulk-delete-submit').click();
  await bulk.locator('.field-error', { hasText: 'exactly' }).waitFor();
  check((await rest('GET', '/api/luns/l-a')).status === 200, 'nothing deleted on a wrong confirmation');
  await bulk.getByTestId('force-name').fill('delete 2 LUNs');
  await page.getByTestId('confirm-bulk-delete-submit').click();
  await bulk.waitFor({ state: 'detached' });
  check((await rest('GET', '/api/luns/l-a')).status === 404 && (await rest('GET', '/api/luns/l-c')).status === 404, 'both deleted');
  check((await rest('GET', '/api/luns/l-b')).status === 200, 'the unselected LUN stays');
  await list.locator('tr[data-lun="l-a"]').waitFor({ state: 'detached' });

  step('the LUN page shows RAID level, disk group, allocation and WWN');
  await page.goto(url + '#/luns/l-b');
  await page.getByTestId('lun-raid-value').waitFor();
  check((await page.getByTestId('lun-raid-value').textContent()) === 'RAID5', 'RAID level');
  check((await page.getByTestId('lun-group-value').textContent()) === '0', 'disk group');
  check((await page.getByTestId('lun-allocated-value').textContent()).includes('% of its size'), 'allocation');
  check((await page.getByTestId('lun-wwn-value').textContent()).startsWith('naa.6'), 'WWN');

  step('clean up');
  await made('DELETE', '/api/luns/l-b?force=true', undefined, 204);
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
