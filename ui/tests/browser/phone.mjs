// Browser test of the emulator's demo phone page (crates/reclaim-emulator/src/phone/page.rs), the
// Microsoft Authenticator stand-in a buyer plays first. Starts the emulator on its own (or uses
// one already running), puts a credential in the phone's wallet and opens requests through the
// emulator's control API, and clicks through the page as a person would:
//   empty wallet → the kiosk's QR code in view → Scan → "Add to Authenticator" with the PIN →
//   wallet → presentation request (verifier, purpose, credential) → Share → Face Check (selfie,
//   liveness, the match to report) → Shared → wallet; then a failing match and a decline.
// Every screen is checked with axe-core (serious or critical violations fail) at 390×844 and for
// horizontal scrolling at 360 px; screenshots go to ui/test-results/phone/ (copied by hand to
// docs/screenshots/phone/ once looked at). Driven in Debian's
// Chromium through playwright-core, as run.mjs does (no browser download).
//
//   node ui/tests/browser/phone.mjs [--urls '<the emulator start line>'] [--shots DIR]
//
// Without --urls it runs `cargo run -q -p reclaim-emulator --bin reclaim-emulator` (or
// $RECLAIM_EMULATOR, a built binary) and stops it at the end. Prints `phone: N passed, N failed`.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { axeViolations, describeViolation } from './axe.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const require = createRequire(import.meta.url);
const axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const TIMEOUT = 20_000;

const { values: args } = parseArgs({
  options: {
    urls: { type: 'string' },
    shots: { type: 'string', default: join(repo, 'ui', 'test-results', 'phone') },
  },
  strict: true,
});
if (!existsSync(executablePath)) {
  console.error(`${executablePath} is missing: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  console.log('phone: 0 passed, 1 failed');
  process.exit(1);
}

// The demo tenant's app registrations (crates/reclaim-emulator/fixtures/demo-tenant.toml).
const KIOSK = { id: '3a000000-0000-4000-8000-000000000001', secret: 'demo-kiosk-secret-NOT-FOR-PRODUCTION' };
const TRUEID = { id: '3a000000-0000-4000-8000-0000000000a1', secret: 'trueid-issuer-secret' };
const VC_SCOPE = '3db474b9-6a0c-4840-96ac-1fceb342124f/.default';
const TRUEID_DID = 'did:web:idv.trueid.example';
const VOUCHSAFE_DID = 'did:web:idv.vouchsafe.example';
const PHONE = 'buyer-phone';

// ── The emulator ──────────────────────────────────────────────────────────────────────────
let emulator = null;
async function startEmulator() {
  if (args.urls) return JSON.parse(args.urls);
  const [cmd, cmdArgs] = process.env.RECLAIM_EMULATOR
    ? [process.env.RECLAIM_EMULATOR, ['--listen', '127.0.0.1:0']]
    : ['cargo', ['run', '-q', '-p', 'reclaim-emulator', '--bin', 'reclaim-emulator', '--', '--listen', '127.0.0.1:0']];
  emulator = spawn(cmd, cmdArgs, { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: emulator.stdout });
  return await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the emulator printed no start line in 10 minutes')), 600_000);
    emulator.once('exit', (code) => fail(new Error(`the emulator exited (${code})`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      ok(JSON.parse(line));
    });
  });
}

// ── Callbacks: what the Request Service tells the kiosk ───────────────────────────────────
const callbacks = [];
function callbackServer() {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        callbacks.push(JSON.parse(body));
      } catch {
        callbacks.push({ unparsable: body });
      }
      res.writeHead(200);
      res.end();
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function call(method, url, { json, form, token } = {}) {
  const headers = {};
  let body;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(url, { method, headers, body });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${text.slice(0, 300)}`);
  return text.trim() ? JSON.parse(text) : null;
}

// ── A tiny harness ────────────────────────────────────────────────────────────────────────
const results = [];
async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false, error: e });
    console.log(`  FAIL ${name}\n       ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n       ')}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
/** The callback matching `pred`, once the emulator has sent it (callbacks are asynchronous). */
async function callback(pred, what) {
  for (let i = 0; i < 100; i++) {
    const c = callbacks.find(pred);
    if (c) return c;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`no ${what} callback: ${JSON.stringify(callbacks.map((c) => c.requestStatus))}`);
}

async function axe(page, label) {
  // Evaluated over the DevTools protocol, which the page's CSP (script-src 'nonce-…') allows.
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const { bad, notes } = await axeViolations(page);
  for (const v of notes) console.log(`       note ${label}: ${describeViolation(v)}`);
  assert(bad.length === 0, `axe ${label}: ${bad.map(describeViolation).join(' | ')}`);
}

/** No horizontal scrolling at 360 px (and back to 390×844). */
async function narrow(page, label) {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(50);
  const r = await page.evaluate(() => ({ sw: document.scrollingElement.scrollWidth, w: window.innerWidth }));
  await page.setViewportSize({ width: 390, height: 844 });
  assert(r.sw <= r.w, `${label} scrolls sideways at 360 px: ${r.sw} > ${r.w}`);
}

/** Every button, link and field is at least 44×44 CSS px. */
async function targets(page, label) {
  const small = await page.evaluate(() =>
    [...document.querySelectorAll('button, input:not([type=hidden]), a[href], summary')]
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.width < 44 || r.height < 44))
      .map(({ el, r }) => `${el.textContent.trim().slice(0, 20) || el.getAttribute('aria-label') || el.name} ${Math.round(r.width)}x${Math.round(r.height)}`),
  );
  assert(small.length === 0, `${label}: small touch targets: ${small.join(', ')}`);
}

async function screen(page, name, label) {
  await axe(page, label);
  await targets(page, label);
  await narrow(page, label);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(args.shots, `${name}.png`) });
}

async function heading(page, text) {
  await page.getByRole('heading', { level: 1, name: text }).waitFor({ timeout: TIMEOUT });
}

// ── Run ───────────────────────────────────────────────────────────────────────────────────
await mkdir(args.shots, { recursive: true });
const cbServer = await callbackServer();
const callbackUrl = `http://127.0.0.1:${cbServer.address().port}/cb`;
let browser;
try {
  const urls = await startEmulator();
  const control = urls.control;
  const tokenUrl = `${urls.login}/${urls.tenant}/oauth2/v2.0/token`;
  const token = async (app) =>
    (await call('POST', tokenUrl, {
      form: { grant_type: 'client_credentials', client_id: app.id, client_secret: app.secret, scope: VC_SCOPE },
    })).access_token;
  const phone = (path, json) => call('POST', `${control}/phones/${PHONE}/${path}`, { json });
  const pageUrl = `${urls.phone}/p/${PHONE}`;

  // Ana's test identity (fixture persona `ana`) with the provider's portrait of her.
  const portrait = Buffer.from(await (await fetch(`${urls.provider}/cards/ana-portrait.jpg`)).arrayBuffer()).toString('base64url');
  const ana = {
    firstName: 'Ana', lastName: 'Lima', fullName: 'Ana Lima', portrait, dateOfBirth: '1988-03-14',
    documentType: 'passport', documentNumber: 'P1234567', nationality: 'PRT',
  };
  const presentationRequest = async (purpose) =>
    call('POST', `${urls.requestService}/v1.0/verifiableCredentials/createPresentationRequest`, {
      token: await token(KIOSK),
      json: {
        authority: 'did:web:verifiedid.contoso.example',
        registration: { clientName: 'Reclaim account recovery (demo)', purpose },
        callback: { url: callbackUrl, state: 'phone-test' },
        requestedCredentials: [{
          type: 'verifiedIdentity', acceptedIssuers: [TRUEID_DID, VOUCHSAFE_DID],
          configuration: { validation: { allowRevoked: false, validateLinkedDomain: false,
            faceCheck: { sourcePhotoClaimName: 'portrait', matchConfidenceThreshold: 70 } } },
        }],
      },
    });

  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--font-render-hinting=none'] });
  // The animation plays (no reduced motion), as a buyer sees it.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });

  await test('empty wallet: says what to do, offers the scanner', async () => {
    await page.goto(pageUrl);
    await heading(page, 'Verified IDs');
    await page.getByText("Scan the kiosk's QR code").waitFor();
    await screen(page, 'wallet-empty', 'empty wallet');
    // Keyboard: the first stop shows a visible focus ring.
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return `${s.outlineStyle} ${s.outlineWidth}`;
    });
    assert(!ring.startsWith('none') && !ring.endsWith(' 0px'), `focus ring: ${ring}`);
    await page.getByText('Scan a QR code').click();
    await page.getByLabel('Link from the QR code').waitFor();
    await screen(page, 'scanner', 'scanner sheet');
    await page.getByText('Scan a QR code').click();
  });

  let offer;
  await test('the kiosk shows an offer: Scan → Add to Authenticator with the PIN', async () => {
    // An older credential from another issuer, revoked, put on the phone directly.
    await phone('credentials', {
      issuer: VOUCHSAFE_DID, types: ['VerifiableCredential', 'verifiedIdentity'],
      claims: { firstName: 'Ana', lastName: 'Lima', documentNumber: 'P1234567' },
      issuanceDate: '2026-06-02T09:00:00Z', expirationDate: '2099-01-01T00:00:00Z', revoked: true,
    });
    offer = await call('POST', `${urls.requestService}/v1.0/verifiableCredentials/createIssuanceRequest`, {
      token: await token(TRUEID),
      json: {
        authority: TRUEID_DID, registration: { clientName: 'TrueIdentity' },
        callback: { url: callbackUrl, state: 'phone-issue' }, type: 'verifiedIdentity',
        manifest: `${urls.requestService}/v1.0/tenants/${urls.tenant}/verifiableCredentials/contracts/trueid-verified-identity/manifest`,
        pin: { value: '4821', length: 4 }, claims: ana,
      },
    });
    // The demo kiosk reports the code it shows; the page notices by itself.
    await phone('viewfinder', { url: offer.url });
    await page.getByRole('heading', { name: 'QR code in view at the kiosk' }).waitFor({ timeout: TIMEOUT });
    await screen(page, 'kiosk-code', 'QR code in view');
    await page.getByRole('button', { name: 'Scan', exact: true }).click();
    await heading(page, 'TrueIdentity offers you a credential');
    await page.getByText('Add your verified identity?').waitFor();
    await page.getByLabel('PIN').fill('4821');
    await screen(page, 'issuance', 'issuance');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await heading(page, 'Added to Authenticator');
    await axe(page, 'added');
    await phone('viewfinder', { url: null });
    await page.getByRole('link', { name: 'Done' }).click();
    await heading(page, 'Verified IDs');
    const cards = await page.locator('article.vc').count();
    assert(cards === 2, `${cards} cards in the wallet`);
    assert((await page.locator('article.vc').first().textContent()).includes('TrueIdentity'), 'the newest card first');
    await page.getByText('Revoked').waitFor();
    await screen(page, 'wallet', 'wallet');
    await callback((c) => c.requestStatus === 'issuance_successful', 'issuance_successful');
  });

  await test('a presentation request: verifier, purpose, credential, Face Check → Shared', async () => {
    const req = await presentationRequest('Reclaim station LOBBY-1 recovers a…@contoso.example');
    // The phone scans it (control API); the page follows.
    await phone('open', { url: req.url });
    await page.getByText('is requesting your Verified ID').waitFor({ timeout: TIMEOUT });
    await page.getByText('Reclaim station LOBBY-1 recovers a…@contoso.example').waitFor();
    await page.getByRole('heading', { name: 'Face Check required' }).waitFor();
    const share = await page.locator('section.share article.vc').textContent();
    assert(share.includes('TrueIdentity') && share.includes('Ana Lima'), `credential to share: ${share}`);
    await screen(page, 'presentation', 'presentation request');

    await page.getByRole('button', { name: 'Share' }).click();
    await heading(page, 'Take a selfie');
    await page.getByText('checking liveness').first().waitFor();
    await page.waitForFunction(() => {
      const img = document.querySelector('#camera img');
      return img.complete && img.naturalWidth > 0;
    }, null, { timeout: TIMEOUT });
    await page.getByText('Liveness confirmed').waitFor({ timeout: TIMEOUT });
    await page.getByRole('button', { name: 'Match', exact: true }).click();
    assert((await page.locator('#score-out').textContent()) === '95%', 'Match sets 95%');
    await page.getByText('Passes Face Check').waitFor();
    await screen(page, 'face-check', 'face check');
    await page.getByRole('button', { name: 'Finish and share' }).click();
    await heading(page, 'Shared');
    await page.getByRole('heading', { name: 'What you shared' }).waitFor();
    await screen(page, 'shared', 'shared');
    const verified = await callback((c) => c.requestId === req.requestId && c.requestStatus === 'presentation_verified', 'presentation_verified');
    const score = verified.verifiedCredentialsData[0].faceCheck.matchConfidenceScore;
    assert(score === 95, `reported score ${score}`);
    await page.getByRole('link', { name: 'Done' }).click();
    await heading(page, 'Verified IDs');
  });

  await test('a failing match: the verifier refuses; a decline sends nothing', async () => {
    const req = await presentationRequest('Reclaim station LOBBY-1 recovers a…@contoso.example');
    await phone('open', { url: req.url });
    await page.getByRole('button', { name: 'Share' }).click({ timeout: TIMEOUT });
    await page.getByText('Liveness confirmed').waitFor({ timeout: TIMEOUT });
    await page.getByRole('button', { name: 'No match' }).click();
    await page.getByText('Fails Face Check').waitFor();
    await page.getByRole('button', { name: 'Finish and share' }).click();
    await heading(page, 'Not verified');
    await axe(page, 'refused');
    await callback((c) => c.requestId === req.requestId && c.requestStatus === 'presentation_error', 'presentation_error');

    const next = await presentationRequest('Reclaim station LOBBY-2 recovers m…@contoso.example');
    await phone('open', { url: next.url });
    await page.getByText('LOBBY-2').waitFor({ timeout: TIMEOUT });
    await page.getByRole('button', { name: 'Decline' }).click();
    await heading(page, 'Declined');
    await axe(page, 'declined');
    await callback((c) => c.requestId === next.requestId && c.requestStatus === 'presentation_error', 'decline');
  });

  await test('desktop: the page is framed as a phone', async () => {
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    const p = await desk.newPage();
    await p.goto(pageUrl);
    await heading(p, 'Verified IDs');
    const frame = await p.locator('.phone').boundingBox();
    assert(frame.width <= 420 && frame.x > 300, `phone frame ${JSON.stringify(frame)}`);
    await axe(p, 'desktop');
    await p.screenshot({ path: join(args.shots, 'desktop.png') });
    await desk.close();
  });

  await test('reduced motion: Face Check without the animation', async () => {
    const req = await presentationRequest('Reclaim station LOBBY-3 recovers z…@contoso.example');
    await phone('open', { url: req.url });
    const calm = await browser.newContext({ viewport: { width: 390, height: 844 }, reducedMotion: 'reduce' });
    const p = await calm.newPage();
    await p.goto(pageUrl);
    await p.getByText('LOBBY-3').waitFor({ timeout: TIMEOUT });
    await p.getByRole('button', { name: 'Share' }).click();
    await heading(p, 'Take a selfie');
    // At once: no waiting, no pulsing ring.
    await p.getByText('Liveness confirmed').waitFor({ timeout: 1000 });
    const moving = await p.evaluate(() => document.querySelector('#camera').classList.contains('scanning'));
    assert(!moving, 'the camera animates under reduced motion');
    await p.getByRole('button', { name: 'Cancel' }).click();
    await heading(p, 'Declined');
    await calm.close();
  });

  await test('no CSP violations or console errors', async () => {
    assert(problems.length === 0, problems.join('; '));
  });
  await context.close();
} catch (e) {
  results.push({ name: 'setup', ok: false, error: e });
  console.log(`  FAIL setup\n       ${String(e?.stack ?? e)}`);
} finally {
  await browser?.close();
  cbServer.close();
  if (emulator) emulator.kill('SIGINT');
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`screenshots: ${args.shots}`);
console.log(`phone: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
