"""Runs the desktop E2E tests: every `test_*` function of every `tests/e2e/test_*.py` module.

Each test gets a fresh app (a new WebDriver session) as its one argument; `s.screens` is the
screenshot folder, `s.test_name` the test's name, `s.elsewhere` a loopback page outside the
bundled UI (`.url`, and `.hits`: the paths it was asked for), `s.demo()` the app's demo tenant
(see demo.py). The app runs in demo mode with `--no-phone-window --demo-info FILE` plus the
test's own `args` attribute (a list), or without `--no-phone-window` if the test sets
`phone_window = True`. After each test the viewport is
saved to SCREENS/<module>.<test>.png and the whole X screen to ...-screen.png.
Prints one line per test and, last, the plain line `e2e: N passed, N failed`.

Usage: runner.py DRIVER_URL APP_BINARY SCREENS_DIR [NAME_FILTER]
"""

import http.server
import importlib.util
import pathlib
import subprocess
import sys
import threading
import time
import traceback

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import demo  # noqa: E402
import webdriver  # noqa: E402


def load_tests(name_filter):
    for path in sorted(HERE.glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name in sorted(vars(module)):
            if name.startswith("test_") and callable(getattr(module, name)):
                full = f"{path.stem}.{name}"
                if not name_filter or name_filter in full:
                    yield full, getattr(module, name)


class Elsewhere(http.server.ThreadingHTTPServer):
    """A page outside the bundled UI, on loopback. The kiosk must never reach it: every request
    it receives is counted, so a test can tell a blocked navigation from one that merely failed."""

    def __init__(self):
        self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler):  # noqa: N805
                self.hits.append(handler.path)
                body = b"<!doctype html><title>Elsewhere</title><h1>Elsewhere</h1>"
                handler.send_response(200)
                handler.send_header("content-type", "text/html")
                handler.send_header("content-length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"
        threading.Thread(target=self.serve_forever, daemon=True).start()


def start_session(driver, binary, args):
    """A WebDriver session running the app. WebKitWebDriver picks the inspector's port by
    binding port 0 and letting it go; the app, starting its in-process services on ephemeral
    ports at the same moment, can take that very port ("Failed to start remote inspector
    server … Address already in use"), and the session then never starts. That is the harness,
    not the app under test: the app is stopped and started once more."""
    try:
        return webdriver.Session(driver, binary, args)
    except (TimeoutError, OSError) as err:
        print(f"  (the session did not start: {err}; starting the app again)", flush=True)
        subprocess.run(["pkill", "-f", "-x", f"{binary} .*"], check=False)
        subprocess.run(["pkill", "-x", pathlib.Path(binary).name[:15]], check=False)
        time.sleep(1)
        return webdriver.Session(driver, binary, args)


def main():
    driver, binary, screens = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    name_filter = sys.argv[4] if len(sys.argv) > 4 else ""
    screens.mkdir(parents=True, exist_ok=True)
    webdriver.wait_ready(driver)
    elsewhere = Elsewhere()
    passed = failed = 0
    for full, test in load_tests(name_filter):
        started = time.monotonic()
        session = None
        try:
            info = screens / f"{full}.demo.json"
            info.unlink(missing_ok=True)
            args = ["--demo-info", str(info), *getattr(test, "args", [])]
            if not getattr(test, "phone_window", False):
                args.append("--no-phone-window")
            session = start_session(driver, binary, args)
            session.demo = lambda info=info: demo.Demo.from_file(info)
            session.screens = screens
            session.test_name = full
            session.elsewhere = elsewhere
            elsewhere.hits.clear()
            test(session)
            passed += 1
            outcome = "ok"
        except Exception:  # a failing test, whatever the failure
            failed += 1
            outcome = "FAILED"
            traceback.print_exc()
        finally:
            if session is not None:
                try:
                    session.screenshot(screens / f"{full}.png")
                except Exception as err:
                    print(f"  (no viewport screenshot: {err})")
                subprocess.run(
                    ["import", "-window", "root", str(screens / f"{full}-screen.png")],
                    check=False,
                    stderr=subprocess.DEVNULL,
                )
                session.close()
        print(f"e2e {full} ... {outcome} ({time.monotonic() - started:.1f}s)", flush=True)
    print(f"e2e: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
