// Shared by the console's browser tests (console.spec.mjs, controllers.spec.mjs, fabric.spec.mjs): the step log, checks,
// the environment the Java side passes and a REST client with its token, and
// Chromium through playwright-core on a fresh, empty profile, with the page's errors, console errors (other than
// expected 4xx answers) and Content-Security-Policy violations recorded in `problems`.

import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const started = Date.now();
let stepName = 'start';

/** Logs the step about to run (seconds since start) and remembers it for the failure message. */
export function step(name) {
  stepName = name;
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${name}`);
}

export function currentStep() {
  return stepName;
}

export function seconds() {
  return ((Date.now() - started) / 1000).toFixed(1);
}

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * CONSOLE_URL, CONSOLE_TOKEN (required: exit 2 without them), SCREENSHOT_DIR (made; default target) and CHROMIUM
 * (default /usr/bin/chromium), as { url, token, shots, executablePath }.
 */
export function consoleEnv() {
  const url = process.env.CONSOLE_URL;
  const token = process.env.CONSOLE_TOKEN;
  if (!url || !token) {
    console.error('CONSOLE_URL and CONSOLE_TOKEN must be set');
    process.exit(2);
  }
  const shots = process.env.SCREENSHOT_DIR || 'target';
  mkdirSync(shots, { recursive: true });
  return { url, token, shots, executablePath: process.env.CHROMIUM || '/usr/bin/chromium' };
}

/** rest(method, path, body?) against the appliance at `url` with `token`: { status, body (parsed JSON or null) }. */
export function restClient(url, token) {
  return async (method, path, body) => {
    const r = await fetch(new URL(path, url), {
      method,
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
}

/** Opens the browser: { context, page, problems, close() } (close also deletes the profile). */
export async function openBrowser(executablePath) {
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
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  const problems = [];
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404|409|400)/.test(m.text())) problems.push('console error: ' + m.text());
  });
  // a Content-Security-Policy violation is reported to the console as an error too; record it explicitly
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));
  });
  return { context, page, problems, close };
}
