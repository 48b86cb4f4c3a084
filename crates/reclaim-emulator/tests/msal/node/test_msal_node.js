// MSAL interop, older client: @azure/msal-node 1.10.0 (pinned in package.json / package-lock.json)
// against the emulator binary over TLS.
//
// That release adds the OpenID Connect scopes to every request, client credentials included:
// ClientApplication.initializeBaseRequest returns `scopes: [...request.scopes,
// ...OIDC_DEFAULT_SCOPES]`, and ClientCredentialClient.createTokenRequestBody sends them
// (`addScopes(request.scopes, false)` only stops it adding them a second time). Pull request 4999
// of microsoft-authentication-library-for-js removed them later, because "AAD ignores these
// scopes". So the token request really carries `scope=<resource>/.default openid profile
// offline_access`; each test checks that it did (from the request MSAL handed to its own network
// client) and that the emulator issued the token, as Entra does.
//
// Run: node test_msal_node.js  (with NODE_PATH pointing at the node_modules holding msal-node 1.10.0;
// crates/reclaim-emulator/tests/msal/run.sh does it). Binary: $RECLAIM_EMULATOR_BIN.
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const https = require("node:https");
const path = require("node:path");
const readline = require("node:readline");
const test = require("node:test");

const msal = require("@azure/msal-node");

test("the pinned MSAL for Node is 1.10.0", () => {
  assert.equal(require("@azure/msal-node/package.json").version, "1.10.0");
});

const REPO = path.resolve(__dirname, "../../../../..");
const KIOSK = "3a000000-0000-4000-8000-000000000001";
const KIOSK_SECRET = "demo-kiosk-secret-NOT-FOR-PRODUCTION";
const TENANT = "7c0e2f9a-3b1d-4e5f-8a6b-9c0d1e2f3a4b";
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const VC_SCOPE = "3db474b9-6a0c-4840-96ac-1fceb342124f/.default";
const CREDS = path.join(REPO, "crates/reclaim-emulator/fixtures/demo-credentials");

function emulatorBin() {
  const p = process.env.RECLAIM_EMULATOR_BIN || "target/debug/reclaim-emulator";
  return path.isAbsolute(p) ? p : path.join(REPO, p);
}

/** Starts the emulator with --tls and resolves with its start line. */
function startEmulator() {
  return new Promise((resolve, reject) => {
    const proc = spawn(emulatorBin(), ["--tls"], { stdio: ["ignore", "pipe", "inherit"] });
    proc.on("error", reject);
    const lines = readline.createInterface({ input: proc.stdout });
    lines.once("line", (line) => resolve({ proc, urls: JSON.parse(line) }));
    proc.once("exit", (code) => reject(new Error(`emulator exited (${code}) before its start line`)));
  });
}

function jwtPayload(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

let emu;
// Every POST MSAL sends: {url, body}.
const posts = [];

test.before(async () => {
  emu = await startEmulator();
  // MSAL's own HTTPS code goes through Node's global agent: trust only the emulator's CA there.
  https.globalAgent.options.ca = fs.readFileSync(emu.urls.caFile);
});

test.after(() => {
  if (emu) emu.proc.kill();
});

/** A confidential client whose network client is MSAL's default one, recording each POST. */
function app(auth) {
  const host = new URL(emu.urls.login).host;
  const config = {
    auth: {
      clientId: KIOSK,
      authority: `${emu.urls.login}/${TENANT}`,
      // The emulator's host is not a Microsoft cloud: skip instance discovery, read its metadata.
      knownAuthorities: [host],
      ...auth,
    },
  };
  const inner = new msal.ConfidentialClientApplication(config).config.system.networkClient;
  config.system = {
    networkClient: {
      sendGetRequestAsync: (url, options) => inner.sendGetRequestAsync(url, options),
      sendPostRequestAsync: (url, options, cancel) => {
        posts.push({ url, body: options && options.body });
        return inner.sendPostRequestAsync(url, options, cancel);
      },
    },
  };
  return new msal.ConfidentialClientApplication(config);
}

/** The scope parameter of the last token request MSAL sent. */
function lastScopeSent() {
  const tokenPosts = posts.filter((p) => p.url.includes("/oauth2/v2.0/token"));
  assert.ok(tokenPosts.length > 0, "MSAL sent a token request");
  return new URLSearchParams(tokenPosts[tokenPosts.length - 1].body).get("scope");
}

function assertSentOidcScopes(resource) {
  const sent = lastScopeSent().split(" ");
  assert.deepEqual(sent.slice().sort(), [resource, "offline_access", "openid", "profile"].sort());
}

test("msal-node 1.10.0 with a secret gets a Graph token though it sends openid profile offline_access", async () => {
  const result = await app({ clientSecret: KIOSK_SECRET }).acquireTokenByClientCredential({
    scopes: [GRAPH_SCOPE],
  });
  assertSentOidcScopes(GRAPH_SCOPE);
  assert.ok(result && result.accessToken, "a token was issued");
  assert.equal(result.tokenType, "Bearer");
  const claims = jwtPayload(result.accessToken);
  assert.equal(claims.aud, "https://graph.microsoft.com");
  assert.equal(claims.tid, TENANT);
  assert.equal(claims.appid, KIOSK);
  assert.ok(claims.roles.includes("User.Read.All"));
  // The emulated Graph accepts it, as the real one would.
  const resp = await fetchJson(
    `${emu.urls.graph}/v1.0/users/ana.lima@contoso.example`,
    result.accessToken,
  );
  assert.equal(resp.status, 200);
  assert.equal(resp.body.userPrincipalName, "ana.lima@contoso.example");
});

test("msal-node 1.10.0 with a certificate gets a Request Service token with the extra scopes", async () => {
  const certPem = fs.readFileSync(path.join(CREDS, "kiosk-demo.cert.pem"), "utf8");
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  const thumbprint = require("node:crypto").createHash("sha1").update(der).digest("hex");
  const result = await app({
    clientCertificate: {
      thumbprint,
      privateKey: fs.readFileSync(path.join(CREDS, "kiosk-demo.key.pem"), "utf8"),
    },
  }).acquireTokenByClientCredential({ scopes: [VC_SCOPE] });
  assertSentOidcScopes(VC_SCOPE);
  assert.ok(result && result.accessToken, "a token was issued");
  const claims = jwtPayload(result.accessToken);
  assert.equal(claims.aud, "3db474b9-6a0c-4840-96ac-1fceb342124f");
  assert.deepEqual(claims.roles, ["VerifiableCredential.Create.PresentRequest"]);
});

test("two resources are still refused (400), extra scopes or not", async () => {
  await assert.rejects(
    app({ clientSecret: KIOSK_SECRET }).acquireTokenByClientCredential({
      scopes: [GRAPH_SCOPE, VC_SCOPE],
    }),
    (e) => {
      // msal-node 1.x turns any non-2xx answer into "HTTP status code 400".
      assert.match(String(e.message || e.errorMessage || e), /400/);
      return true;
    },
  );
  assert.match(lastScopeSent(), /openid/);
});

function fetchJson(url, token) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}
