"""MSAL interop: Microsoft's own Python client (msal 1.39) gets tokens from the emulator, and an
older MSAL for Node (1.10.0) that sends extra OpenID Connect scopes gets them too.

The emulator binary runs with --tls (MSAL insists on https) and MSAL trusts only the emulator's
generated CA. Each test checks the token MSAL got the way a resource would: aud, tid, appid, roles,
and the Graph tokens are used at the emulated Graph.
Binary: $RECLAIM_EMULATOR_BIN, default target/debug/reclaim-emulator under the repository root.
"""

import base64
import binascii
import hashlib
import json
import os
import pathlib
import subprocess
import tempfile
import time
import unittest

import msal
import requests

REPO = pathlib.Path(__file__).resolve().parents[4]
FIXTURES = REPO / "crates" / "reclaim-emulator" / "fixtures"
CREDS = FIXTURES / "demo-credentials"
KIOSK = "3a000000-0000-4000-8000-000000000001"
KIOSK_SECRET = "demo-kiosk-secret-NOT-FOR-PRODUCTION"
READONLY = "3a000000-0000-4000-8000-000000000002"
READONLY_SECRET = "demo-readonly-secret"
TENANT = "7c0e2f9a-3b1d-4e5f-8a6b-9c0d1e2f3a4b"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
VC_SCOPE = "3db474b9-6a0c-4840-96ac-1fceb342124f/.default"
VC_AUD = "3db474b9-6a0c-4840-96ac-1fceb342124f"
KIOSK_GRAPH_ROLES = [
    "User.Read.All",
    "GroupMember.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "Policy.Read.AuthenticationMethod",
    "VerifiedId-Profile.Read.All",
    "RoleManagement.Read.Directory",
    "CustomAuthenticationExtension.Read.All",
    "Mail.Send",
    "User.RevokeSessions.All",
]
KIOSK_VC_ROLES = ["VerifiableCredential.Create.PresentRequest"]


def emulator_bin():
    path = pathlib.Path(os.environ.get("RECLAIM_EMULATOR_BIN", "target/debug/reclaim-emulator"))
    return path if path.is_absolute() else REPO / path


class Emulator:
    """The emulator binary in a child process; `start` reads its one-line JSON start line."""

    def __init__(self, fixture=None):
        args = [str(emulator_bin()), "--tls"]
        if fixture:
            args += ["--fixture", str(fixture)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("emulator exited before printing its start line")
        self.urls = json.loads(line)
        self.http = requests.Session()
        # Without this, REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE in the environment silently replace
        # `verify` (and proxy variables would route loopback traffic elsewhere).
        self.http.trust_env = False
        self.http.verify = self.urls["caFile"]

    @property
    def authority(self):
        return "{}/{}".format(self.urls["login"], self.urls["tenant"])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def jwt_payload(token):
    """The claims of a compact JWT (signature checked by the Rust contract tests)."""
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def read(name):
    return (CREDS / name).read_text()


def sha1_thumbprint_hex(cert_pem):
    der = base64.b64decode("".join(l for l in cert_pem.splitlines() if "-----" not in l))
    return binascii.hexlify(hashlib.sha1(der).digest()).decode()


class MsalAgainstEmulator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator()

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def app(self, client_id, credential, **kw):
        kw.setdefault("instance_discovery", False)
        return msal.ConfidentialClientApplication(
            client_id,
            client_credential=credential,
            authority=self.emu.authority,
            http_client=self.emu.http,
            **kw,
        )

    def assert_token(self, result, aud, client_id, roles):
        self.assertIn("access_token", result, result)
        self.assertEqual(result["token_type"], "Bearer")
        self.assertGreater(result["expires_in"], 3000)
        claims = jwt_payload(result["access_token"])
        self.assertEqual(claims["aud"], aud)
        self.assertEqual(claims["tid"], TENANT)
        self.assertEqual(claims["appid"], client_id)
        self.assertEqual(claims["roles"], roles)
        self.assertGreater(claims["exp"], time.time() + 3000)
        return claims

    def graph_get_user(self, token):
        return self.emu.http.get(
            self.emu.urls["graph"] + "/v1.0/users/ana.lima@contoso.example",
            headers={"Authorization": "Bearer " + token},
            timeout=10,
        )

    def test_secret_gets_a_graph_token(self):
        result = self.app(KIOSK, KIOSK_SECRET).acquire_token_for_client(scopes=[GRAPH_SCOPE])
        self.assert_token(result, "https://graph.microsoft.com", KIOSK, KIOSK_GRAPH_ROLES)
        # The emulated Graph accepts what MSAL got, as the real one would.
        resp = self.graph_get_user(result["access_token"])
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.json()["userPrincipalName"], "ana.lima@contoso.example")

    def test_request_service_token_is_refused_by_graph(self):
        result = self.app(KIOSK, KIOSK_SECRET).acquire_token_for_client(scopes=[VC_SCOPE])
        self.assertIn("access_token", result, result)
        resp = self.graph_get_user(result["access_token"])
        self.assertEqual(resp.status_code, 401, resp.text)

    def test_secret_with_authority_validation_via_instance_discovery(self):
        # MSAL validates the unknown authority host against our instance-discovery endpoint.
        app = self.app(
            KIOSK,
            KIOSK_SECRET,
            instance_discovery=self.emu.urls["login"] + "/common/discovery/instance",
        )
        result = app.acquire_token_for_client(scopes=[VC_SCOPE])
        self.assert_token(result, VC_AUD, KIOSK, KIOSK_VC_ROLES)

    def test_second_call_is_served_from_msal_cache(self):
        app = self.app(KIOSK, KIOSK_SECRET)
        first = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        second = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        self.assertEqual(second.get("token_source"), "cache")
        self.assertEqual(first["access_token"], second["access_token"])

    def test_app_without_request_service_roles_gets_empty_roles(self):
        result = self.app(READONLY, READONLY_SECRET).acquire_token_for_client(scopes=[VC_SCOPE])
        self.assert_token(result, VC_AUD, READONLY, [])

    def test_certificate_with_sha1_thumbprint_rs256(self):
        cert = {"private_key": read("kiosk-demo.key.pem"),
                "thumbprint": sha1_thumbprint_hex(read("kiosk-demo.cert.pem"))}
        result = self.app(KIOSK, cert).acquire_token_for_client(scopes=[GRAPH_SCOPE])
        self.assert_token(result, "https://graph.microsoft.com", KIOSK, KIOSK_GRAPH_ROLES)
        self.assertEqual(self.graph_get_user(result["access_token"]).status_code, 200)

    def test_certificate_with_public_certificate_ps256(self):
        cert = {"private_key": read("kiosk-demo.key.pem"),
                "public_certificate": read("kiosk-demo.cert.pem")}
        result = self.app(KIOSK, cert).acquire_token_for_client(scopes=[VC_SCOPE])
        self.assert_token(result, VC_AUD, KIOSK, KIOSK_VC_ROLES)

    def test_wrong_secret_is_refused_with_aadsts(self):
        result = self.app(KIOSK, "not-the-secret").acquire_token_for_client(scopes=[GRAPH_SCOPE])
        self.assertNotIn("access_token", result)
        self.assertEqual(result["error"], "invalid_client")
        self.assertEqual(result["error_codes"], [7000215])
        self.assertTrue(result["error_description"].startswith("AADSTS7000215: "))

    def test_unregistered_certificate_is_refused(self):
        # The readonly app has no certificate registered.
        cert = {"private_key": read("kiosk-demo.key.pem"),
                "public_certificate": read("kiosk-demo.cert.pem")}
        result = self.app(READONLY, cert).acquire_token_for_client(scopes=[GRAPH_SCOPE])
        self.assertEqual(result.get("error"), "invalid_client", result)
        self.assertEqual(result["error_codes"], [700027])


class MsalReusedAssertion(unittest.TestCase):
    """MSAL signs one assertion per app and reuses it for ~9 minutes across resources, so
    `reject_reused_assertion_jti = false` is what lets one certificate app get both tokens."""

    def test_one_certificate_app_gets_graph_and_request_service_tokens(self):
        text = (FIXTURES / "demo-tenant.toml").read_text()
        self.assertIn("[settings]\n", text)
        text = text.replace("[settings]\n", "[settings]\nreject_reused_assertion_jti = false\n", 1)
        with tempfile.TemporaryDirectory() as d:
            fixture = pathlib.Path(d) / "tenant.toml"
            fixture.write_text(text)
            emu = Emulator(fixture)
            try:
                app = msal.ConfidentialClientApplication(
                    KIOSK,
                    client_credential={"private_key": read("kiosk-demo.key.pem"),
                                       "public_certificate": read("kiosk-demo.cert.pem")},
                    authority=emu.authority,
                    http_client=emu.http,
                    instance_discovery=False,
                )
                for scope, aud in [(GRAPH_SCOPE, "https://graph.microsoft.com"), (VC_SCOPE, VC_AUD)]:
                    result = app.acquire_token_for_client(scopes=[scope])
                    self.assertIn("access_token", result, result)
                    self.assertEqual(jwt_payload(result["access_token"])["aud"], aud)
            finally:
                emu.stop()


class MsalNodeOlderVersion(unittest.TestCase):
    """An older MSAL that sends extra OpenID Connect scopes on client credentials: @azure/msal-node
    1.10.0 (pinned in node/package-lock.json, installed in $RECLAIM_MSAL_NODE_DIR, default
    target/msal-node-1.10) asks for `<resource>/.default openid profile offline_access`, which
    Entra ignores (MSAL for JS pull request 4999). node/test_msal_node.js checks, per token, that
    MSAL really sent those scopes and that the emulator issued the token."""

    def test_msal_node_1_10_gets_tokens_though_it_sends_openid_profile_offline_access(self):
        node_dir = pathlib.Path(os.environ.get("RECLAIM_MSAL_NODE_DIR", "target/msal-node-1.10"))
        if not node_dir.is_absolute():
            node_dir = REPO / node_dir
        modules = node_dir / "node_modules"
        self.assertTrue((modules / "@azure" / "msal-node").is_dir(),
                        "msal-node 1.10.0 is not installed in {} (scripts/setup.sh)".format(node_dir))
        env = dict(os.environ, NODE_PATH=str(modules), RECLAIM_EMULATOR_BIN=str(emulator_bin()))
        script = pathlib.Path(__file__).resolve().parent / "node" / "test_msal_node.js"
        proc = subprocess.run(
            ["node", "--test", "--test-reporter=tap", str(script)],
            env=env, cwd=str(REPO), capture_output=True, text=True, timeout=180,
        )
        report = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 0, report)
        self.assertIn("# fail 0", proc.stdout, report)
        self.assertIn("# pass 4", proc.stdout, report)


if __name__ == "__main__":
    unittest.main(verbosity=2)
