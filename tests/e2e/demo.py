"""The kiosk's in-process demo tenant, steered through the emulator's control API (the same API
the engine's `reclaim_engine::demo` uses): play the phone, read the TAPs the tenant holds."""

import html
import json
import pathlib
import re
import time
import urllib.error
import urllib.parse
import urllib.request


def _call(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
    except urllib.error.HTTPError as err:
        raise AssertionError(f"{method} {url}: {err.code} {err.read().decode()[:300]}") from None
    return json.loads(text) if text.strip() else None


class Demo:
    """`--demo-info` as the kiosk wrote it, and the control API it names."""

    def __init__(self, info):
        self.info = info
        self.control = info["controlUrl"].rstrip("/")
        self.phone_id = info["phoneId"]
        self.personas = {p["key"]: p["userPrincipalName"] for p in info["personas"]}

    @classmethod
    def from_file(cls, path, seconds=60):
        """Waits for the kiosk to write the file (it does once the demo tenant is up)."""
        path = pathlib.Path(path)
        deadline = time.monotonic() + seconds
        while not path.exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"the kiosk did not write {path}")
            time.sleep(0.1)
        return cls(json.loads(path.read_text()))

    def upn(self, persona):
        return self.personas[persona]

    def complete_hosted_flow(self, provider, link, persona):
        """The person opens the provider's link on the phone, scans `persona`'s ID and takes a
        selfie; the provider issues the credential into the phone's wallet."""
        done = _call("POST", f"{self.control}/providers/{provider}/hosted/complete",
                     {"link": link, "persona": persona, "phoneId": self.phone_id})
        assert done["status"] == "issued", done
        return done

    def phone(self, action, body=None):
        return _call("POST", f"{self.control}/phones/{self.phone_id}/{action}", body or {})

    def open(self, url):
        """Authenticator scans the kiosk's QR (`request_retrieved`)."""
        return self.phone("open", {"url": url})

    def present(self, score):
        """Shares the credential with a Face Check of `score`."""
        return self.phone("present", {"score": score})

    def verified_employee(self, upn):
        """My Account's "Get my Verified ID": the work ID into the demo phone's wallet."""
        return _call("POST", f"{self.control}/myaccount/verified-id", {"user": upn, "phoneId": self.phone_id})

    def console(self, user, password):
        """A member of IT staff signed in to the kiosk's operator console."""
        url = self.info.get("consoleUrl")
        assert url, "the kiosk wrote no consoleUrl"
        return Console(url, user, password)

    def user_taps(self, upn):
        user = urllib.parse.quote(upn, safe="")
        return _call("GET", f"{self.control}/directory/users/{user}/taps") or []


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _raw(method, url, headers=None, data=None):
    """One request, redirects not followed: (status, headers, body text)."""
    opener = urllib.request.build_opener(_NoRedirect)
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


def _cookie(headers, name):
    for value in headers.get_all("Set-Cookie") or []:
        pair = value.split(";", 1)[0]
        if pair.startswith(f"{name}=") and pair != f"{name}=":
            return pair
    raise AssertionError(f"no {name} cookie")


class Console:
    """The operator console over HTTP, as a signed-in member of staff's browser would call it:
    the OpenID Connect sign-in through the emulated tenant's page, then the console's JSON API."""

    def __init__(self, url, user, password):
        self.base = url.rsplit("/console", 1)[0]
        status, headers, _ = _raw("GET", f"{self.base}/console/login")
        assert status in (302, 303), status
        login_cookie = _cookie(headers, "reclaim_console_login")
        status, _, page = _raw("GET", headers["Location"])
        assert status == 200, status
        action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))
        ctx = html.unescape(re.search(r'name="ctx" value="([^"]*)"', page).group(1))
        form = urllib.parse.urlencode({"ctx": ctx, "login": user, "passwd": password}).encode()
        status, headers, _ = _raw("POST", action, {"content-type": "application/x-www-form-urlencoded"}, form)
        assert status == 302, f"sign-in: {status}"
        status, headers, _ = _raw("GET", headers["Location"], {"cookie": login_cookie})
        assert status in (302, 303) and "error=" not in headers["Location"], headers["Location"]
        self.cookie = _cookie(headers, "reclaim_console")
        self.csrf = self.get("/console/api/me")["csrf"]

    def get(self, path):
        status, _, body = _raw("GET", f"{self.base}{path}", {"cookie": self.cookie})
        assert status == 200, f"{path}: {status} {body[:200]}"
        return json.loads(body)

    def post(self, path, body):
        headers = {"cookie": self.cookie, "x-reclaim-csrf": self.csrf, "content-type": "application/json"}
        status, _, text = _raw("POST", f"{self.base}{path}", headers, json.dumps(body).encode())
        assert status == 204, f"{path}: {status} {text[:200]}"

    def wait_for_case(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            cases = self.get("/console/api/overview")["cases"]
            if cases:
                return self.get(f"/console/api/cases/{cases[0]['sessionId']}")
            time.sleep(0.2)
        raise AssertionError("no case reached the console")
