"""The kiosk's in-process demo tenant, steered through the emulator's control API (the same API
the engine's `reclaim_engine::demo` uses): play the phone, read the TAPs the tenant holds."""

import json
import pathlib
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

    def user_taps(self, upn):
        user = urllib.parse.quote(upn, safe="")
        return _call("GET", f"{self.control}/directory/users/{user}/taps") or []
