"""Kiosk start-up time and memory on the attract screen, against a bare Tauri 2 window.

Issue 5's goals: the time from exec to the attract screen being interactive ≤ 1.15× a bare Tauri
2 window's time to its page being interactive, and the memory on the attract screen (PSS of the
app plus its WebKit processes) ≤ 1.2× the bare window's. Both apps are built in the same run
(bench/startup_memory.sh) and measured alternately, round after round, on the same X screen; the
verdict compares the medians. Machines are shared and noisy: only the ratios within one run mean
anything, and nothing here is ever a test assertion.

One measurement (one app, one round):
  1. POST /session to WebKitWebDriver with the app's binary: the driver execs the app. The clock
     starts just before the request.
  2. Interactive: the first frame painted with the `.btn-start` button in it, enabled. An async
     script waits (MutationObserver) until the button exists and is enabled (the kiosk: the
     engine's first view, Attract, has arrived and the UI is not busy; the bare window: its static
     button), then until the page has recorded the frame that painted it: the bare window's first
     contentful paint (its page is that button), the kiosk's `reclaim:first-view-frame` mark (the
     animation frame that first renders its first view, timed as paint timing times the first
     contentful paint: the rendering update's start; WebKit gives both the same timestamp).
     Start-up time = that frame - the request, on the page's own clock, so how soon WebDriver gets
     to run the script does not count. The moment the button was in the DOM is kept as "DOM
     ready" (the measure of runs 1-12, which missed that the kiosk's first paint came ~250 ms
     after its DOM). WebDriver's own session overhead is in both apps' numbers alike.
  3. After --settle seconds, memory = the sum of Pss (and Rss) from /proc/PID/smaps_rollup over
     the app process and all its descendants (WebKitWebProcess, WebKitNetworkProcess, the
     bubblewrap sandbox around them...). The app is the one live child of WebKitWebDriver.
  4. DELETE the session (the driver ends the app) and wait until its processes are gone.

Modes (issue 12):
  --mode demo   the kiosk in demo mode (`--no-phone-window`: the recovery service and the emulated
                tenant in its own process, on loopback); goals ≤ 1.15× start-up, ≤ 1.2× PSS.
  --mode fleet  the kiosk as a terminal of an external recovery service (`--service-credential
                FILE`; bench/startup_memory.sh starts `reclaim-service --demo` once, outside the
                measured process tree, so its memory is not the kiosk's: it is reported apart,
                `--service-pid`); the kiosk hosts no tenant; goals ≤ 1.0× start-up, ≤ 0.9× PSS.
  --chromium BIN --chromium-dist DIR
                also measure Debian's Chromium in `--kiosk` mode showing the same UI (the mock
                build, DIR = ui/dist-mock, served over loopback HTTP with the kiosk's CSP, as the
                UI browser tests serve it): what a buyer would otherwise deploy. Chromium is
                launched directly (no driver), with a fresh profile, its processes' PSS summed
                like WebKit's; goal: the kiosk's PSS ≤ 0.6× Chromium's. A small script added to
                the served page reports when `.btn-start` is in the page, enabled, and its first
                painted frame; Chromium's start-up is not comparable with the apps started
                through WebKitWebDriver (no session overhead) and is for information only.

Python standard library only. Usage (bench/startup_memory.sh sets up the driver and the builds):
  startup_memory.py --driver URL --driver-pid PID --kiosk BIN --bare BIN [--rounds 5]
                    [--settle 3] [--warmup 1] [--variant NAME=ARGS ...] [--json-out FILE]
                    [--mode demo|fleet --service-credential FILE --service-pid PID]
                    [--chromium BIN --chromium-dist DIR]
"""

import argparse
import http.server
import json
import os
import pathlib
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests" / "e2e"))

import webdriver  # noqa: E402  (the project's stdlib WebDriver client)

# (start-up ×bare, PSS ×bare) per mode.
GOALS = {"demo": (1.15, 1.2), "fleet": (1.0, 0.9)}
GOAL_PSS_CHROMIUM = 0.6
SELECTOR = ".btn-start"
# Answers Date.now() at the moment the button exists and is enabled (at once if it already is).
WAIT_INTERACTIVE = """
const done = arguments[arguments.length - 1];
const selector = arguments[0];
const ready = () => { const b = document.querySelector(selector); return !!b && !b.disabled; };
if (ready()) { done(Date.now()); return; }
const observer = new MutationObserver(() => {
  if (ready()) { observer.disconnect(); done(Date.now()); }
});
observer.observe(document, { subtree: true, childList: true, attributes: true });
"""
# Answers the epoch ms of the performance entry (name, type) that times the app's first frame
# with its content (see 2. above), once the page has recorded it.
WAIT_PAINTED = """
const done = arguments[arguments.length - 1];
const [name, type] = arguments;
const painted = () => {
  const entry = performance.getEntriesByName(name, type)[0];
  return entry ? performance.timeOrigin + entry.startTime : null;
};
const poll = () => { const t = painted(); if (t !== null) done(t); else setTimeout(poll, 5); };
poll();
"""


# ---------------------------------------------------------------- processes

def stat(pid):
    """(comm, state, ppid) of a process, or None if it is gone."""
    try:
        raw = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return comm, fields[0], int(fields[1])


def process_table():
    """{pid: (comm, state, ppid)} of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = stat(int(entry))
            if info is not None:
                table[int(entry)] = info
    return table


def program(pid, table):
    """The program's name (argv[0]'s base name: /proc's comm is cut at 15 characters)."""
    try:
        argv0 = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    except (OSError, UnicodeDecodeError):
        argv0 = ""
    return os.path.basename(argv0) or table[pid][0]


def live_children(pid, table):
    return [p for p, (_, state, ppid) in table.items() if ppid == pid and state not in "ZX"]


def descendants(pid, table):
    """pid and all its live descendants, parents first."""
    found, queue = [], [pid]
    while queue:
        p = queue.pop(0)
        found.append(p)
        queue.extend(sorted(live_children(p, table)))
    return found


def memory_kb(pid):
    """(Pss, Rss) in kB from /proc/PID/smaps_rollup, or None if the process is gone."""
    try:
        text = pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Pss:", "Rss:"):
            values[parts[0][:-1]] = int(parts[1])
    if "Pss" not in values:
        return None  # a zombie or a kernel thread: no memory of its own
    return values["Pss"], values["Rss"]


def app_pid(driver_pid, seconds=10):
    """The app: the one live child of WebKitWebDriver."""
    deadline = time.monotonic() + seconds
    while True:
        children = live_children(driver_pid, process_table())
        if len(children) == 1:
            return children[0]
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"WebKitWebDriver ({driver_pid}) has children {children}, want one app"
            )
        time.sleep(0.05)


def wait_gone(pids, seconds=15):
    deadline = time.monotonic() + seconds
    while True:
        alive = [p for p in pids if (s := stat(p)) is not None and s[1] not in "ZX"]
        if not alive:
            return
        if time.monotonic() > deadline:
            # Left over from a session the driver did not end: we started them, we stop them.
            for p in alive:
                try:
                    os.kill(p, 9)
                except OSError:
                    pass
            print(f"  (killed leftover processes {alive})", file=sys.stderr)
            return
        time.sleep(0.05)


# ---------------------------------------------------------------- one measurement

def mapping_kind(name):
    """A smaps mapping's group for the breakdown: the file's base name, or the anonymous kind."""
    if not name:
        return "[anon]"
    if name.startswith("["):
        return name.split(":")[0] + ("]" if ":" in name else "")
    if name.startswith("/memfd:") or name.startswith("/dev/shm"):
        return "[shared memory]"
    return os.path.basename(name.split(" (deleted)")[0])


def pss_by_mapping(pid):
    """{mapping kind: Pss kB} from /proc/PID/smaps, or {} if the process is gone."""
    try:
        text = pathlib.Path(f"/proc/{pid}/smaps").read_text()
    except OSError:
        return {}
    kinds, current = {}, "[anon]"
    for line in text.splitlines():
        head = line.split(None, 5)
        if head and "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
            current = mapping_kind(head[5].strip() if len(head) > 5 else "")
        elif head and head[0] == "Pss:":
            kinds[current] = kinds.get(current, 0) + int(head[1])
    return kinds


# Each app's entry for its first painted frame: the bare page's first contentful paint (the page
# is its button), the kiosk's mark for the frame that first renders a view (its first paint could
# be a spinner).
PAINTED_BARE = ("first-contentful-paint", "paint")
PAINTED_KIOSK = ("reclaim:first-view-frame", "mark")

# The page's own timeline: navigation milestones and the UI's `reclaim:*` marks, as epoch ms.
TIMELINE = """
const origin = performance.timeOrigin;
const nav = performance.getEntriesByType('navigation')[0];
const points = {};
if (nav) {
  points.responseEnd = origin + nav.responseEnd;
  points.domContentLoaded = origin + nav.domContentLoadedEventEnd;
  if (nav.loadEventEnd > 0) points.load = origin + nav.loadEventEnd;
}
for (const p of performance.getEntriesByType('paint')) points[p.name] = origin + p.startTime;
for (const m of performance.getEntriesByType('mark')) points[m.name] = origin + m.startTime;
return points;
"""


def measure(driver, driver_pid, binary, args, painted, settle, breakdown=False):
    if live_children(driver_pid, process_table()):
        raise RuntimeError("WebKitWebDriver still has a child from an earlier session")
    t_request = time.time()
    session = webdriver.Session(driver, binary, args)
    t_session = time.time()
    pids = []
    try:
        session.call("POST", "/timeouts", {"script": 2000})
        deadline = time.monotonic() + 60
        while True:
            try:
                t_ready_page = session.execute_async(WAIT_INTERACTIVE, SELECTOR) / 1000.0
                break
            except webdriver.WebDriverError:
                # A script timeout, or the document changed under the script: try again.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        t_ready_seen = time.time()
        t_painted = session.execute_async(WAIT_PAINTED, *painted) / 1000.0
        # Every round's page timeline is kept (bench/out/startup_memory.json): a slow round
        # shows where it lost its time.
        points = session.execute(TIMELINE) or {}
        timeline_ms = {k: v - t_request * 1000.0 for k, v in points.items()}
        time.sleep(settle)
        if not session.exists(SELECTOR):
            raise RuntimeError(f"{SELECTOR} is gone after the settle time")
        table = process_table()
        app = app_pid(driver_pid)
        pids = descendants(app, table)
        processes = []
        for pid in pids:
            mem = memory_kb(pid)
            if mem is not None:
                name = "app" if pid == app else program(pid, table)
                entry = {"pid": pid, "name": name, "pss_kb": mem[0], "rss_kb": mem[1]}
                if breakdown:
                    entry["pss_kb_by_mapping"] = pss_by_mapping(pid)
                processes.append(entry)
    finally:
        session.close()
        wait_gone(pids)
    return {
        "requested_at": t_request,
        "startup_ms": (t_painted - t_request) * 1000.0,
        "dom_ready_ms": (t_ready_page - t_request) * 1000.0,
        "seen_ms": (t_ready_seen - t_request) * 1000.0,
        "session_ms": (t_session - t_request) * 1000.0,
        "pss_kb": sum(p["pss_kb"] for p in processes),
        "rss_kb": sum(p["rss_kb"] for p in processes),
        "processes": processes,
        "timeline_ms": timeline_ms,
    }


# ---------------------------------------------------------------- Chromium in kiosk mode

# The kiosk window's CSP (tauri.conf.json), as ui/tests/browser/run.mjs serves the mock build.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
# Added to the served page (a deferred script, allowed by the CSP): reports the moment the start
# button is in the page, enabled, and the page's entry for its first painted frame (the UI's own
# `reclaim:first-view-frame` mark, or the first contentful paint), both as epoch ms.
READY_JS = b"""
(() => {
  const ready = () => { const b = document.querySelector('.btn-start'); return !!b && !b.disabled; };
  const painted = () => {
    const e = performance.getEntriesByName('reclaim:first-view-frame', 'mark')[0]
      || performance.getEntriesByName('first-contentful-paint', 'paint')[0];
    return e ? performance.timeOrigin + e.startTime : null;
  };
  const report = () => {
    const dom = Date.now();
    const poll = () => {
      const t = painted();
      if (t === null) { setTimeout(poll, 5); return; }
      fetch('/__bench__/ready', { method: 'POST', body: JSON.stringify({ dom, painted: t }) });
    };
    poll();
  };
  if (ready()) { report(); return; }
  const o = new MutationObserver(() => { if (ready()) { o.disconnect(); report(); } });
  o.observe(document, { subtree: true, childList: true, attributes: true });
})();
"""


class MockUi:
    """Serves the mock build of the UI on 127.0.0.1 (a thread), with the page's readiness report."""

    def __init__(self, dist):
        self.dist = pathlib.Path(dist).resolve()
        self.ready = threading.Event()
        self.report = None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send(self, status, body, kind):
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-security-policy", CSP)
                self.send_header("cache-control", "no-store")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = self.path.split("?")[0]
                if path == "/__bench__/ready.js":
                    return self.send(200, READY_JS, TYPES[".js"])
                name = "index.html" if path == "/" else path.lstrip("/")
                file = (outer.dist / name).resolve()
                if not str(file).startswith(str(outer.dist)) or not file.is_file():
                    return self.send(404, b"not found", "text/plain")
                body = file.read_bytes()
                if file.name == "index.html":
                    tag = b'<script src="/__bench__/ready.js" defer></script></head>'
                    body = body.replace(b"</head>", tag, 1)
                return self.send(200, body, TYPES.get(file.suffix, "application/octet-stream"))

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                data = self.rfile.read(length)
                if self.path == "/__bench__/ready":
                    outer.report = json.loads(data or b"{}")
                    outer.ready.set()
                self.send(204, b"", "text/plain")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def cmdline(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, UnicodeDecodeError):
        return ""


def measure_chromium(binary, ui, settle, breakdown=False):
    """Chromium in kiosk mode on the mock UI: the clock starts at the exec; interactive when the
    page reports its start button's first painted frame; then PSS of every Chromium process (its
    descendants, and anything else running with this round's profile folder)."""
    profile = tempfile.mkdtemp(prefix="reclaim-bench-chromium-")
    log = open(pathlib.Path(profile).with_suffix(".log"), "w")
    ui.ready.clear()
    args = [
        binary,
        "--kiosk",
        "--no-first-run",
        "--noerrdialogs",
        "--disable-infobars",
        "--password-store=basic",
        # Root here (as the UI browser tests run it); a deployment would run it as a user.
        "--no-sandbox",
        f"--user-data-dir={profile}",
        ui.url,
    ]
    t_request = time.time()
    proc = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
    pids = []
    try:
        if not ui.ready.wait(60):
            raise RuntimeError("Chromium did not show the attract screen within 60 s")
        report = ui.report or {}
        time.sleep(settle)
        table = process_table()
        pids = descendants(proc.pid, table)
        pids += [p for p in table if p not in pids and profile in cmdline(p)]
        processes = []
        for pid in pids:
            mem = memory_kb(pid)
            if mem is not None:
                # Chromium rewrites its children's command lines (one string, no NULs): name
                # them by their --type= (renderer, gpu-process, utility, zygote; none: browser).
                line = cmdline(pid)
                kind = [a[7:] for a in line.split() if a.startswith("--type=")]
                if kind:
                    name = f"chromium {kind[0]}"
                elif pid == proc.pid:
                    name = "chromium browser"
                else:
                    name = table[pid][0]
                entry = {"pid": pid, "name": name, "pss_kb": mem[0], "rss_kb": mem[1]}
                if breakdown:
                    entry["pss_kb_by_mapping"] = pss_by_mapping(pid)
                processes.append(entry)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            pass
        wait_gone(pids)
        log.close()
        subprocess.run(["rm", "-rf", profile], check=False)
    return {
        "requested_at": t_request,
        "startup_ms": report.get("painted", 0) - t_request * 1000.0,
        "dom_ready_ms": report.get("dom", 0) - t_request * 1000.0,
        "seen_ms": float("nan"),
        "session_ms": float("nan"),
        "pss_kb": sum(p["pss_kb"] for p in processes),
        "rss_kb": sum(p["rss_kb"] for p in processes),
        "processes": processes,
        "timeline_ms": {},
    }


# ---------------------------------------------------------------- report

def print_breakdown(name, r):
    """The page's timeline and each process's biggest mappings (PSS), for finding where an app's
    time and memory go."""
    points = sorted(r.get("timeline_ms", {}).items(), key=lambda kv: kv[1])
    steps = ", ".join(f"{k} {v:.0f}" for k, v in [("session", r["session_ms"]), *points])
    print(f"    {name} timeline (ms after the request): {steps}, interactive {r['startup_ms']:.0f}")
    for p in r["processes"]:
        kinds = sorted(p.get("pss_kb_by_mapping", {}).items(), key=lambda kv: -kv[1])
        top = ", ".join(f"{k} {v / 1024:.1f}" for k, v in kinds[:12] if v >= 256)
        print(f"    {name} / {p['name']}: {p['pss_kb'] / 1024:.1f} MiB = {top}", flush=True)


def by_name(result):
    """PSS per process kind (app, WebKitWebProcess, ...) in kB."""
    totals = {}
    for p in result["processes"]:
        totals[p["name"]] = totals.get(p["name"], 0) + p["pss_kb"]
    return totals


def median(values):
    return statistics.median(values) if values else float("nan")


def summarize(results):
    names = set()
    for r in results:
        names.update(by_name(r))
    return {
        "startup_ms": median([r["startup_ms"] for r in results]),
        "startup_ms_min": min(r["startup_ms"] for r in results),
        "startup_ms_max": max(r["startup_ms"] for r in results),
        "dom_ready_ms": median([r["dom_ready_ms"] for r in results]),
        "session_ms": median([r["session_ms"] for r in results]),
        "pss_mib": median([r["pss_kb"] for r in results]) / 1024.0,
        "pss_mib_min": min(r["pss_kb"] for r in results) / 1024.0,
        "pss_mib_max": max(r["pss_kb"] for r in results) / 1024.0,
        "rss_mib": median([r["rss_kb"] for r in results]) / 1024.0,
        "processes": median([len(r["processes"]) for r in results]),
        "pss_mib_by_process": {
            n: median([by_name(r).get(n, 0) for r in results]) / 1024.0 for n in sorted(names)
        },
    }


def verdict(ratio, goal):
    return "PASS" if ratio <= goal else f"MISS (+{(ratio / goal - 1) * 100:.0f}% over the goal)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--driver", required=True, help="WebKitWebDriver URL")
    parser.add_argument("--driver-pid", required=True, type=int, help="WebKitWebDriver's PID")
    parser.add_argument("--kiosk", required=True, help="the kiosk binary (release)")
    parser.add_argument("--bare", required=True, help="the bare-window binary (release)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before reading memory")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted rounds first")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=ARGS",
        help="another kiosk run with extra arguments, e.g. no-camera=--no-camera (repeatable)",
    )
    parser.add_argument("--json-out", help="also write every measurement here")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="in the last round, also print each process's PSS by mapping (heap, files, ...)",
    )
    parser.add_argument(
        "--mode",
        choices=sorted(GOALS),
        default="demo",
        help="demo: the kiosk hosts the service and tenant; fleet: a terminal of an external one",
    )
    parser.add_argument("--service-credential", help="fleet: the station credential file")
    parser.add_argument(
        "--service-pid", type=int, help="fleet: the external service (its PSS, reported apart)"
    )
    parser.add_argument("--chromium", help="also measure this Chromium in --kiosk mode")
    parser.add_argument("--chromium-dist", help="the mock build of the UI (ui/dist-mock)")
    opts = parser.parse_args()
    goal_startup, goal_pss = GOALS[opts.mode]
    if opts.mode == "fleet":
        if not opts.service_credential:
            parser.error("--mode fleet needs --service-credential FILE")
        kiosk_args = ["--service-credential", opts.service_credential]
    else:
        kiosk_args = ["--no-phone-window"]
    if opts.chromium and not opts.chromium_dist:
        parser.error("--chromium needs --chromium-dist DIR")

    webdriver.wait_ready(opts.driver)
    apps = [
        ("bare", opts.bare, [], PAINTED_BARE),
        ("kiosk", opts.kiosk, kiosk_args, PAINTED_KIOSK),
    ]
    for variant in opts.variant:
        name, _, extra = variant.partition("=")
        args = [*kiosk_args, *shlex.split(extra)]
        apps.append((f"kiosk {name}", opts.kiosk, args, PAINTED_KIOSK))
    ui = None
    if opts.chromium:
        ui = MockUi(opts.chromium_dist)
        apps.append(("chromium --kiosk", opts.chromium, [], None))
    service_pss = []

    results = {app[0]: [] for app in apps}
    total = opts.warmup + opts.rounds
    for round_no in range(total):
        counted = round_no >= opts.warmup
        # Alternate the order every round, so neither app always runs right after the other.
        order = apps if round_no % 2 == 0 else list(reversed(apps))
        for name, binary, args, painted in order:
            last = round_no == total - 1
            if painted is None:
                r = measure_chromium(binary, ui, opts.settle, opts.breakdown and last)
            else:
                r = measure(
                    opts.driver,
                    opts.driver_pid,
                    binary,
                    args,
                    painted,
                    opts.settle,
                    opts.breakdown and last,
                )
            if opts.service_pid and name.startswith("kiosk"):
                # The external service, after the kiosk's settle: not part of the kiosk's PSS.
                mem = memory_kb(opts.service_pid)
                if counted and mem is not None:
                    service_pss.append(mem[0])
            label = f"round {round_no - opts.warmup + 1}" if counted else "warm-up"
            print(
                f"{label:>8} {name:<18} start-up {r['startup_ms']:7.0f} ms "
                f"(DOM ready {r['dom_ready_ms']:5.0f}, session {r['session_ms']:4.0f} ms)  "
                f"PSS {r['pss_kb'] / 1024:6.1f} MiB  "
                f"RSS {r['rss_kb'] / 1024:6.1f} MiB  {len(r['processes'])} processes",
                flush=True,
            )
            if counted:
                results[name].append(r)
            if opts.breakdown and last:
                print_breakdown(name, r)

    summary = {name: summarize(rs) for name, rs in results.items()}
    bare = summary["bare"]
    print()
    print(
        f"Mode {opts.mode}. Medians over {opts.rounds} rounds (after {opts.warmup} warm-up), "
        f"settle {opts.settle:g} s"
    )
    header = (
        f"| {'app':<18} | start-up ms (min–max) | DOM ready ms | session ms | PSS MiB (min–max) "
        f"| RSS MiB "
        f"| processes | start-up ×bare (goal ≤ {goal_startup}) "
        f"| PSS ×bare (goal ≤ {goal_pss}) |"
    )
    print(header)
    print("|" + "|".join("---" for _ in range(9)) + "|")
    for name, s in summary.items():
        if name.startswith("chromium"):
            s["startup_ratio"] = s["startup_ms"] / bare["startup_ms"]
            s["pss_ratio"] = s["pss_mib"] / bare["pss_mib"]
            ratios = (
                f"({s['startup_ratio']:.2f}×, not comparable: no driver)",
                f"{s['pss_ratio']:.2f}×",
            )
        elif name != "bare":
            s["startup_ratio"] = s["startup_ms"] / bare["startup_ms"]
            s["pss_ratio"] = s["pss_mib"] / bare["pss_mib"]
            s["startup_verdict"] = verdict(s["startup_ratio"], goal_startup)
            s["pss_verdict"] = verdict(s["pss_ratio"], goal_pss)
            ratios = (
                f"{s['startup_ratio']:.2f}× {s['startup_verdict']}",
                f"{s['pss_ratio']:.2f}× {s['pss_verdict']}",
            )
        if name == "bare":
            ratios = ("1.00×", "1.00×")
        print(
            f"| {name:<18} "
            f"| {s['startup_ms']:.0f} ({s['startup_ms_min']:.0f}–{s['startup_ms_max']:.0f}) "
            f"| {s['dom_ready_ms']:.0f} ({s['dom_ready_ms'] / bare['dom_ready_ms']:.2f}×) "
            f"| {s['session_ms']:.0f} "
            f"| {s['pss_mib']:.1f} ({s['pss_mib_min']:.1f}–{s['pss_mib_max']:.1f}) "
            f"| {s['rss_mib']:.1f} | {s['processes']:g} | {ratios[0]} | {ratios[1]} |"
        )
    print()
    print("PSS by process (medians, MiB):")
    for name, s in summary.items():
        parts = ", ".join(f"{n} {v:.1f}" for n, v in s["pss_mib_by_process"].items())
        print(f"  {name:<18} {parts}")
    print(
        "(start-up: to the first frame painted with the start button; DOM ready: to the button "
        "being in the page, enabled; session: to the driver's answer, once the app's webview is "
        "up. WebDriver's session overhead is in both apps' times alike.)"
    )
    chromium = summary.get("chromium --kiosk")
    if chromium:
        print()
        print(f"Against Chromium --kiosk on the same UI (PSS, goal ≤ {GOAL_PSS_CHROMIUM}×):")
        for name, s in summary.items():
            if name.startswith("kiosk"):
                s["pss_ratio_chromium"] = s["pss_mib"] / chromium["pss_mib"]
                s["pss_verdict_chromium"] = verdict(s["pss_ratio_chromium"], GOAL_PSS_CHROMIUM)
                print(
                    f"  {name:<18} {s['pss_mib']:.1f} MiB / {chromium['pss_mib']:.1f} MiB = "
                    f"{s['pss_ratio_chromium']:.2f}× {s['pss_verdict_chromium']}"
                )
    if service_pss:
        print()
        print(
            f"The external recovery service (pid {opts.service_pid}, not in the kiosk's PSS): "
            f"{median(service_pss) / 1024:.1f} MiB PSS (median)"
        )
    line = {
        "bench": "startup_memory",
        "mode": opts.mode,
        "rounds": opts.rounds,
        "settle_s": opts.settle,
        "goals": {
            "startup_ratio": goal_startup,
            "pss_ratio": goal_pss,
            **({"pss_ratio_chromium": GOAL_PSS_CHROMIUM} if chromium else {}),
        },
        "load_avg": os.getloadavg()[0],
    }
    if service_pss:
        line["service_pss_mib"] = round(median(service_pss) / 1024.0, 3)
    for name, s in summary.items():
        line[name] = {
            k: (round(v, 3) if isinstance(v, float) else v)
            for k, v in s.items()
            if k != "pss_mib_by_process"
        }
    print(json.dumps(line, ensure_ascii=False))
    if opts.json_out:
        everything = {"summary": line, "runs": results}
        pathlib.Path(opts.json_out).write_text(json.dumps(everything, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
