"""A small W3C WebDriver client on the Python standard library, for WebKitWebDriver.

The kiosk is driven through WebKitWebDriver directly (no tauri-driver, build-facts section 4):
WebKitWebDriver runs with TAURI_WEBVIEW_AUTOMATION=true, and a session names the app binary in
`webkitgtk:browserOptions`. Each Session starts the app; closing it ends the app.
"""

import base64
import json
import struct
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    """A WebDriver error answer: `error` code, `message`, HTTP status."""

    def __init__(self, status, error, message):
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error, self.message = status, error, message


def request(base, method, path, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        base + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.load(resp)["value"]
    except urllib.error.HTTPError as err:
        try:
            value = json.load(err)["value"]
            raise WebDriverError(err.code, value.get("error"), value.get("message")) from None
        except (ValueError, KeyError, AttributeError):
            raise WebDriverError(err.code, "http", str(err)) from None


def wait_ready(base, seconds=15):
    """Waits until the driver answers /status."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if request(base, "GET", "/status", timeout=2).get("ready", True):
                return
        except (OSError, WebDriverError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"WebDriver at {base} did not come up in {seconds}s")
        time.sleep(0.1)


# The kiosk paints on the CPU (WebKit without compositing), where WebKitWebDriver's screenshot
# waits for the page's next paint: a screen that does not change would time out. One invisible
# pixel changes for a moment, so a paint comes; it is gone again after 3 s.
REPAINT = """
let pixel = document.getElementById("__e2e_repaint");
if (!pixel) {
  pixel = document.createElement("div");
  pixel.id = "__e2e_repaint";
  pixel.setAttribute("aria-hidden", "true");
  Object.assign(pixel.style, {
    position: "fixed", left: "0", top: "0", width: "1px", height: "1px",
    pointerEvents: "none", zIndex: "2147483647",
  });
  document.documentElement.appendChild(pixel);
}
const end = performance.now() + 3000;
let n = 0;
(function tick() {
  pixel.style.background = n++ % 2 ? "rgba(0,0,0,0.004)" : "rgba(0,0,0,0.008)";
  if (performance.now() < end) requestAnimationFrame(tick);
  else pixel.remove();
})();
"""


class Session:
    """One app run under WebDriver."""

    def __init__(self, base, binary, args=()):
        self.base = base
        caps = {"webkitgtk:browserOptions": {"binary": binary, "args": list(args)}}
        value = request(base, "POST", "/session", {"capabilities": {"alwaysMatch": caps}})
        self.id = value["sessionId"]
        self.path = f"/session/{self.id}"

    def call(self, method, path, body=None):
        return request(self.base, method, self.path + path, body)

    def close(self):
        try:
            request(self.base, "DELETE", self.path, timeout=10)
        except (OSError, WebDriverError):
            pass

    # Pages and windows
    def title(self):
        return self.call("GET", "/title")

    def url(self):
        return self.call("GET", "/url")

    def window_rect(self):
        return self.call("GET", "/window/rect")

    def window_handles(self):
        return self.call("GET", "/window/handles")

    def execute(self, script, *args):
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def execute_async(self, script, *args):
        return self.call("POST", "/execute/async", {"script": script, "args": list(args)})

    def invoke(self, command, args=None):
        """Calls a Tauri command as the UI does; answers {"ok": value} or {"err": error}."""
        script = (
            "const done = arguments[arguments.length - 1];"
            "window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])"
            ".then((ok) => done({ ok }), (err) => done({ err }));"
        )
        return self.execute_async(script, command, args or {})

    def screenshot(self, path):
        """Saves the viewport as PNG; answers (width, height)."""
        self.execute(REPAINT)
        png = base64.b64decode(self.call("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return png_size(png)

    # Elements
    def find(self, css):
        return self.call("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def text(self, css):
        return self.call("GET", f"/element/{self.find(css)}/text")

    def click(self, css):
        return self.call("POST", f"/element/{self.find(css)}/click", {})

    def exists(self, css):
        return bool(self.call("POST", "/elements", {"using": "css selector", "value": css}))

    def attr(self, css, name):
        """An attribute of the first element matching `css` (None if there is none), read in one
        script so the screen changing in between cannot make the element stale."""
        script = "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;"
        return self.execute(script, css, name)

    def type_into(self, css, text):
        """Types `text` into the field as a physical keyboard would (WebDriver Element Send Keys)."""
        return self.call("POST", f"/element/{self.find(css)}/value", {"text": text})

    def press_enter_on(self, css):
        """Focuses the element, then presses and releases Enter (WebDriver key actions)."""
        self.execute("document.querySelector(arguments[0]).focus();", css)
        key = {"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": "\ue007"}, {"type": "keyUp", "value": "\ue007"}]}
        self.call("POST", "/actions", {"actions": [key]})
        self.call("DELETE", "/actions")

    def heading(self):
        """The screen's title as the person reads it (the page's one h1), read in one script so a
        screen changing between finding the element and reading it cannot make it stale."""
        return self.execute("const h = document.querySelector('h1'); return h ? h.innerText.trim() : null;")

    def wait_heading(self, text, seconds=30):
        return self.wait_for(lambda: self.heading() == text, seconds, f'the screen "{text}"')

    def wait_for(self, predicate, seconds=10, what="condition"):
        deadline = time.monotonic() + seconds
        while True:
            try:
                value = predicate()
                if value:
                    return value
            except WebDriverError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {seconds}s waiting for {what}")
            time.sleep(0.1)


def png_size(png):
    """(width, height) from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])
