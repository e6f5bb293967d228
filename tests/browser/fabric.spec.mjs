// Browser test of the console's Fabric page: Debian's /usr/bin/chromium driven by playwright-core. Started by mgmt-ui's
// io.evasan.mgmt.ConsoleFabricBrowserTest (an appliance in-process whose fabric is a FakeFabric: two cell target ports,
// B's served by A, and one host port) with CONSOLE_URL, CONSOLE_TOKEN, SCREENSHOT_DIR, CHROMIUM as controllers.spec.mjs.
// It reads the switch ports, creates a zone in the dialog (members prefilled with the cell's target WWPNs, a bad WWPN
// refused at its field), a zone set, activates it (confirm), sees zoning enforced, deactivates and cleans up.
// Exit 0 = every step passed; otherwise the failing step is printed, exit code 1.

import { join } from 'node:path';
import { step, check, currentStep, openBrowser, consoleEnv, restClient } from './harness.mjs';

const { url, token, shots, executablePath } = consoleEnv();
const rest = restClient(url, token);
const HOST = '10:00:00:00:c9:aa:00:01';

const { page, problems, close } = await openBrowser(executablePath);
try {
  step('log in and open the Fabric page');
  await page.goto(url);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
  await page.locator('#live[data-state="live"]').waitFor();
  await page.goto(url + '#/fabric');
  await page.getByTestId('fabric-listen').filter({ hasText: '127.0.0.1:7210' }).waitFor();
  check((await page.getByTestId('fabric-zoning').textContent()).includes('all access'), 'default zone shown');

  step('switch ports: N_Port IDs, WWPNs, the controller serving each cell port');
  const rows = page.getByTestId('fabric-ports').locator('tbody tr');
  check(await rows.count() === 3, `3 switch ports, got ${await rows.count()}`);
  check((await page.getByTestId('served-2').textContent()) === 'NSC A (for B)', 'B\'s port served by A');
  check((await rows.nth(2).textContent()).includes(HOST), 'the host port');

  step('create a zone: a bad WWPN is refused at its field, then the zone is made');
  await page.getByTestId('create-zone-open').click();
  await page.getByTestId('zone-name').fill('z_host_cell');
  const members = page.getByTestId('zone-members');
  const prefilled = await members.inputValue();
  check(prefilled.includes('50:01:fe:10:00:00:00:01'), `members prefilled with the cell's WWPNs: ${prefilled}`);
  await members.fill(prefilled + '\nnot-a-wwpn');
  await page.getByTestId('create-zone-submit').click();
  await page.getByTestId('create-zone').locator('.field-error', { hasText: 'not a WWPN' }).first().waitFor();
  await members.fill(prefilled + '\n' + HOST);
  await page.getByTestId('create-zone-submit').click();
  await page.getByTestId('fabric-zones').locator('[data-zone="z_host_cell"]').waitFor();

  step('create a zone set and activate it');
  await page.getByTestId('create-zoneset-open').click();
  await page.getByTestId('zoneset-name').fill('cfg1');
  check((await page.getByTestId('zoneset-zones').inputValue()).includes('z_host_cell'), 'zones prefilled');
  await page.getByTestId('create-zoneset-submit').click();
  await page.getByTestId('activate-cfg1').click();
  await page.getByTestId('confirm-activate-submit').click();
  await page.getByTestId('fabric-zoning').filter({ hasText: 'cfg1' }).waitFor();
  check((await page.getByTestId('fabric-zoning').textContent()).includes('enforced'), 'zoning enforced');
  const v = await rest('GET', '/api/fabric');
  check(v.body.activeZoneSet === 'cfg1', `the API agrees: ${JSON.stringify(v.body.activeZoneSet)}`);
  await page.screenshot({ path: join(shots, 'console-fabric.png'), fullPage: true });

  step('deactivate and clean up');
  await page.getByTestId('deactivate').click();
  await page.getByTestId('confirm-deactivate-submit').click();
  await page.getByTestId('fabric-zoning').filter({ hasText: 'no zone set active' }).waitFor();
  check((await rest('DELETE', '/api/fabric/zonesets/cfg1')).status === 204, 'delete cfg1');
  check((await rest('DELETE', '/api/fabric/zones/z_host_cell')).status === 204, 'delete the zone');
  check(problems.length === 0, 'browser problems:\n  ' + problems.join('\n  '));
  console.log('fabric.spec.mjs: all steps passed');
} catch (e) {
  console.error(`FAILED at step "${currentStep()}": ${e.message}`);
  if (problems.length) console.error('browser problems:\n  ' + problems.join('\n  '));
  try {
    await page.screenshot({ path: join(shots, 'console-fabric-failure.png'), fullPage: true });
  } catch {
    // no screenshot
  }
  process.exitCode = 1;
} finally {
  await close();
}
