// Browser test for the operator console (crates/reclaim-service/src/console/), against a running
// service: signs in through the identity provider's page, waits for the expected referee case,
// checks the list and the case with axe-core (serious or critical violations fail), takes
// screenshots, decides the case (or not) and checks it leaves the waiting list. Driven in
// Debian's Chromium through playwright-core, as run.mjs does (no browser download).
//
//   node ui/tests/browser/console.mjs --url CONSOLE_URL --user UPN --password PW \
//     --expect-reference REF --decision approve|refuse|none --choose-upn UPN --shots DIR \
//     [--expect-denied]
//
// Prints `console: ok` on success; exits non-zero with a message on any failure.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { axeViolations, describeViolation } from './axe.mjs';

const TIMEOUT = 20_000;
const require = createRequire(import.meta.url);
const axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function fail(message) {
  console.error(`console: FAIL ${message}`);
  process.exit(1);
}

let args;
try {
  args = parseArgs({
    options: {
      url: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      'expect-reference': { type: 'string' },
      decision: { type: 'string', default: 'none' },
      'choose-upn': { type: 'string' },
      shots: { type: 'string', default: 'console-shots' },
      'expect-denied': { type: 'boolean', default: false },
      // Live: once signed in and the station list is shown, write this file and only then
      // wait for the case (the test starts the recovery when it sees the file), so the case
      // and the station's new step must arrive over the live stream.
      'ready-file': { type: 'string' },
    },
    strict: true,
  }).values;
} catch (e) {
  fail(`bad arguments: ${e.message}`);
}
const denied = args['expect-denied'];
if (!args.url) fail('--url is required');
if (!args.user || args.password === undefined) fail('--user and --password are required');
if (!denied && !args['expect-reference']) fail('--expect-reference is required (unless --expect-denied)');
if (!['approve', 'refuse', 'none'].includes(args.decision)) fail(`--decision must be approve, refuse or none, not ${args.decision}`);
if (!denied && args.decision === 'approve' && !args['choose-upn']) fail('--decision approve needs --choose-upn');
if (!existsSync(executablePath)) fail(`${executablePath} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);

const consoleUrl = new URL(args.url);
const origin = consoleUrl.origin;
const shots = resolve(args.shots);
await mkdir(shots, { recursive: true });
const reference = args['expect-reference'];
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--font-render-hinting=none'] });
let step = 'start';
try {
  await run();
  console.log('console: ok');
} catch (e) {
  // eslint-disable-next-line no-control-regex
  const text = String(e?.message ?? e).replace(/\x1b\[[0-9;]*m/g, '');
  console.error(`console: FAIL while trying to ${step}: ${text.split('\n').slice(0, 8).join('\n  ')}`);
  process.exitCode = 1;
} finally {
  await browser.close().catch(() => {});
}

async function run() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();

  // Problems on the console's own pages (the identity provider's page is not ours to judge).
  const problems = [];
  const onConsole = () => page.url().startsWith(origin + '/console');
  page.on('console', (m) => {
    if (!onConsole()) return;
    const t = m.text();
    // A 401 from /console/api/me before sign-in and the like are expected answers.
    if (/Failed to load resource/.test(t)) return;
    if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(t)) problems.push(t);
  });
  page.on('pageerror', (e) => { if (onConsole()) problems.push(String(e)); });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample ?? ''}`),
    );
  });
  // axe-core from a same-origin URL, so the console's CSP (script-src 'self') allows it.
  const axeUrl = `${origin}/__console_test__/axe.min.js`;
  await page.route(axeUrl, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: axeSource }));

  async function axe(label) {
    if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ url: axeUrl });
    const { bad, notes } = await axeViolations(page);
    for (const v of notes) console.log(`  note ${label}: ${describeViolation(v)}`);
    for (const v of bad) console.log(`  AXE ${label}: ${describeViolation(v)}`);
    if (bad.length) throw new Error(`axe ${label}: ${bad.length} serious or critical violation(s): ${bad.map((v) => v.id).join(', ')}`);
  }


  async function clean(label) {
    const csp = onConsole() ? await page.evaluate(() => window.__cspViolations ?? []) : [];
    if (csp.length) throw new Error(`${label}: CSP violations: ${csp.join('; ')}`);
    if (problems.length) throw new Error(`${label}: console errors: ${problems.join('; ')}`);
  }

  async function noSideScroll(label) {
    const r = await page.evaluate(() => ({ sw: document.scrollingElement.scrollWidth, w: window.innerWidth }));
    if (r.sw > r.w) throw new Error(`${label}: horizontal scroll (scrollWidth ${r.sw} > innerWidth ${r.w})`);
  }

  // ── Sign in ─────────────────────────────────────────────────────────────────────────────
  step = 'open the console';
  await page.goto(consoleUrl.href);
  const signIn = page.getByRole('link', { name: /sign in with your work account/i });
  await signIn.waitFor();
  await axe('sign-in view');
  await clean('sign-in view');

  step = 'sign in at the identity provider';
  await signIn.click();
  const userField = page.getByLabel(/user|email/i).first();
  await userField.waitFor();
  await userField.fill(args.user);
  await page.getByLabel(/password/i).first().fill(args.password);
  await page.getByRole('button', { name: /sign in/i }).first().click();
  await page.waitForURL((u) => u.origin === origin && u.pathname.startsWith('/console'));

  if (denied) {
    step = 'expect the not-an-operator message';
    const alert = page.locator('#signin-error[data-code="notOperator"]');
    await alert.waitFor();
    const text = await alert.innerText();
    if (!/not in the Reclaim operators group/i.test(text)) throw new Error(`denied message reads: ${text}`);
    if (await page.locator('#list-view').isVisible()) throw new Error('the list is shown to a non-operator');
    await page.screenshot({ path: join(shots, 'console-denied.png'), fullPage: true });
    await axe('denied view');
    await clean('denied view');
    return;
  }

  // ── The list ────────────────────────────────────────────────────────────────────────────
  let stationsBefore = null;
  if (args['ready-file']) {
    step = 'show the station list before any case';
    await page.locator('#stations tr').first().waitFor();
    stationsBefore = await page.locator('#stations').innerText();
    await writeFile(args['ready-file'], 'ready\n');
  }
  step = `wait for case ${reference} in the waiting list`;
  await page.getByRole('heading', { name: /waiting for a member of staff/i }).waitFor();
  const item = page.locator('#cases li').filter({ hasText: reference });
  await item.waitFor({ timeout: args['ready-file'] ? 90_000 : TIMEOUT });
  await page.locator('#stations tr').first().waitFor();
  if (stationsBefore !== null) {
    step = 'see the station list change live';
    const after = await page.locator('#stations').innerText();
    if (after === stationsBefore) throw new Error(`the station list did not change: ${after}`);
    if (!/Waiting for staff/i.test(after)) throw new Error(`the station does not show its waiting person: ${after}`);
  }
  if (!(await page.locator('#who-name').innerText()).trim()) throw new Error('the signed-in name is not shown');

  step = 'check the list view';
  await axe('list view');
  await page.screenshot({ path: join(shots, 'console-list.png'), fullPage: true });
  await noSideScroll('list view 1280 px');

  step = 'check the list at 360 px';
  await page.setViewportSize({ width: 360, height: 800 });
  await page.waitForTimeout(200);
  await noSideScroll('list view 360 px');
  await page.screenshot({ path: join(shots, 'console-narrow.png'), fullPage: true });
  await axe('list view 360 px');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.waitForTimeout(100);

  // ── The case ────────────────────────────────────────────────────────────────────────────
  step = `open case ${reference}`;
  const caseResponse = page.waitForResponse((r) => /\/console\/api\/cases\/[^/]+$/.test(new URL(r.url()).pathname) && r.request().method() === 'GET');
  await item.getByRole('button').click();
  const caseJson = await (await caseResponse).json();
  await page.getByRole('heading', { level: 2, name: new RegExp(escapeRe(reference)) }).waitFor();
  await page.getByRole('radio').first().waitFor();

  step = 'check the case view';
  await axe('case view');
  await page.screenshot({ path: join(shots, 'console-case.png'), fullPage: true });
  await noSideScroll('case view');
  if (caseJson.credential) {
    const img = page.getByRole('img', { name: 'Portrait from the presented credential' });
    if (caseJson.credential.portrait) {
      await img.waitFor();
      const loaded = await img.evaluate((i) => i.complete && i.naturalWidth > 0);
      if (!loaded) throw new Error('the portrait did not load');
    }
    for (const n of [caseJson.credential.givenName, caseJson.credential.surname].filter(Boolean)) {
      if (!(await page.locator('#case-body').innerText()).includes(n)) throw new Error(`credential name ${n} not shown`);
    }
  }
  const approveBtn = page.getByRole('button', { name: 'Approve and issue a Temporary Access Pass' });
  if (!(await approveBtn.isDisabled())) throw new Error('Approve is enabled before an account is chosen');
  const typedLabel = await page.locator('.account').first().innerText();
  if (!typedLabel.includes('Account typed at the kiosk')) throw new Error('the typed account is not first');

  // The accounts' UPNs and the portrait must leave the DOM with the case (names are not
  // checked: the operator's own name or a station's may contain the same word).
  const personal = [caseJson.typed?.upn, ...(caseJson.candidates ?? []).map((c) => c.upn)].filter(Boolean);
  async function noPersonalData(label) {
    const html = await page.evaluate(() => document.documentElement.outerHTML);
    if (/data:image\//.test(html)) throw new Error(`${label}: a portrait is still in the DOM`);
    for (const p of personal) if (html.toLowerCase().includes(p.toLowerCase())) throw new Error(`${label}: "${p}" is still in the DOM`);
  }

  if (args.decision === 'none') {
    step = 'go back without deciding';
    await page.getByRole('button', { name: /back to the list/i }).click();
    await item.waitFor();
    await noPersonalData('after closing the case');
    await clean('console');
    return;
  }

  const dialog = page.getByRole('dialog');
  let decisionResponse;
  if (args.decision === 'approve') {
    step = `approve for ${args['choose-upn']}`;
    const radio = page.getByRole('radio', { name: new RegExp(escapeRe(args['choose-upn']), 'i') });
    await radio.check();
    if (await approveBtn.isDisabled()) throw new Error('Approve is still disabled after choosing an account');
    await approveBtn.click();
    await dialog.waitFor();
    const said = await dialog.innerText();
    if (!said.toLowerCase().includes(args['choose-upn'].toLowerCase())) throw new Error(`the confirmation does not name ${args['choose-upn']}: ${said}`);
    await page.screenshot({ path: join(shots, 'console-confirm.png') });
    await axe('confirmation');
    decisionResponse = page.waitForResponse((r) => /\/approve$/.test(new URL(r.url()).pathname));
    await dialog.getByRole('button', { name: /^approve$/i }).click();
  } else {
    step = 'refuse';
    await page.getByRole('button', { name: /^refuse$/i }).click();
    await dialog.waitFor();
    decisionResponse = page.waitForResponse((r) => /\/refuse$/.test(new URL(r.url()).pathname));
    await dialog.getByRole('button', { name: /^refuse$/i }).click();
  }
  const answer = await decisionResponse;
  if (answer.status() !== 204) throw new Error(`the ${args.decision} answer was ${answer.status()}, not 204`);

  step = 'wait for the result';
  const done = page.locator('#flash');
  await page.waitForFunction(
    (word) => { const f = document.getElementById('flash'); return f && !f.hidden && f.textContent.startsWith(word); },
    args.decision === 'approve' ? 'Approved' : 'Refused',
    { timeout: TIMEOUT },
  );
  if (!(await done.innerText()).includes(reference)) throw new Error(`the result does not name ${reference}`);
  await item.waitFor({ state: 'detached' });
  await page.screenshot({ path: join(shots, 'console-decided.png'), fullPage: true });
  await noPersonalData('after the decision');
  await axe('after the decision');
  await clean('console');
}
