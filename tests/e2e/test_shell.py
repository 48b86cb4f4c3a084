"""The kiosk shell on a real X screen: full screen, the bundled UI, the command bridge, lock-down."""

import os
import subprocess
import time

# The X screen run.sh started.
SCREEN = tuple(int(n) for n in os.environ.get("RECLAIM_E2E_SCREEN", "1920x1080").split("x"))


def test_starts_full_screen_with_the_bundled_ui(s):
    s.wait_for(lambda: s.title() == "Reclaim", what='document title "Reclaim"')
    assert s.url().startswith("tauri://localhost"), s.url()
    # The window is built hidden and shown once its page has loaded (window.rs), well before the
    # 5 s after which it would be shown anyway.
    s.wait_for(
        lambda: s.execute("return document.visibilityState;") == "visible",
        seconds=3,
        what="the kiosk page visible on the screen",
    )

    rect = s.wait_for(
        lambda: (r := s.window_rect()) and (r["width"], r["height"]) == SCREEN and r,
        what=f"a {SCREEN[0]}x{SCREEN[1]} window",
    )
    assert (rect["x"], rect["y"]) == (0, 0), rect
    inner = s.execute("return [window.innerWidth, window.innerHeight];")
    assert tuple(inner) == SCREEN, f"viewport {inner}"
    shot = s.screenshot(s.screens / f"{s.test_name}-start.png")
    assert shot == SCREEN, f"screenshot {shot}"


def test_station_status_is_reachable(s):
    s.wait_for(lambda: s.title() == "Reclaim", what="the UI")
    answer = s.invoke("station_status")
    station = answer["ok"]
    assert (station["mode"], station["ready"], station["problems"]) == ("demo", True, []), answer
    assert station["stationId"] == s.demo().info["stationId"], answer
    # Not a command: refused by the app, with Tauri's own message.
    refused = s.invoke("no_such_command")
    assert "err" in refused, refused
    # A core command outside the kiosk capability: refused by the ACL.
    refused = s.invoke("plugin:window|close", {"label": "main"})
    assert "not allowed" in str(refused.get("err")), refused


def test_cannot_leave_the_bundled_ui(s):
    s.wait_for(lambda: s.title() == "Reclaim", what="the UI")
    start = s.url()
    away = s.elsewhere.url
    # A link to a new window and one in the same window (clicked, so WebKit's pop-up blocker is
    # not what stops them), a script navigation, then window.close().
    s.execute(
        """
        for (const [i, id, target] of [[0, "e2e-same", "_self"], [1, "e2e-new", "_blank"]]) {
          const a = document.createElement("a");
          a.id = id; a.href = arguments[0] + id; a.target = target; a.textContent = id;
          a.style.cssText = `position:fixed;top:${i * 100}px;left:0;z-index:99999;padding:20px`;
          document.body.append(a);
        }
        """,
        away,
    )
    s.click("#e2e-new")
    s.click("#e2e-same")
    s.execute("window.location.assign(arguments[0] + 'assign');", away)
    s.execute("window.close();")
    time.sleep(1.5)
    assert s.elsewhere.hits == [], f"the kiosk reached {s.elsewhere.hits}"
    assert s.url() == start, f"navigated to {s.url()}"
    assert len(s.window_handles()) == 1, "a new window opened"
    assert s.title() == "Reclaim"
    assert s.execute("return document.visibilityState;") == "visible"


def test_the_window_manager_cannot_close_it(s):
    s.wait_for(lambda: s.title() == "Reclaim", what="the UI")
    # What the close button or Alt+F4 does: the window manager asks the window to close
    # (_NET_CLOSE_WINDOW, then WM_DELETE_WINDOW).
    listed = subprocess.run(["wmctrl", "-l"], capture_output=True, text=True, check=True).stdout
    assert "Reclaim" in listed, f"wmctrl does not see the kiosk window: {listed!r}"
    subprocess.run(["wmctrl", "-c", "Reclaim"], check=True)
    time.sleep(1.5)
    listed = subprocess.run(["wmctrl", "-l"], capture_output=True, text=True, check=True).stdout
    assert "Reclaim" in listed, "the window closed"
    assert s.title() == "Reclaim"
    assert s.invoke("station_status").get("ok", {}).get("mode") == "demo"


def test_content_security_policy_is_enforced(s):
    s.wait_for(lambda: s.title() == "Reclaim", what="the UI")
    away = s.elsewhere.url
    ran = s.execute(
        """
        const script = document.createElement("script");
        script.textContent = "window.__e2eInlineRan = true;";
        document.head.append(script);
        return window.__e2eInlineRan === true;
        """
    )
    assert ran is False, "an inline script ran"
    outcome = s.execute_async(
        """
        const done = arguments[arguments.length - 1];
        const img = new Image();
        img.src = arguments[0] + "img";
        fetch(arguments[0] + "fetch").then(() => done("fetched"), () => done("refused"));
        """,
        away,
    )
    assert outcome == "refused", outcome
    time.sleep(0.5)
    assert s.elsewhere.hits == [], f"the kiosk reached {s.elsewhere.hits}"
    # The bridge to the shell still works under the same policy.
    assert s.invoke("station_status").get("ok", {}).get("ready") is True


def test_no_context_menu_copy_or_close_from_the_page(s):
    s.wait_for(lambda: s.title() == "Reclaim", what="the UI")
    prevented = s.execute(
        """
        return ["contextmenu", "copy", "cut", "dragstart"].map((type) => {
          const event = new Event(type, { bubbles: true, cancelable: true });
          document.body.dispatchEvent(event);
          return [type, event.defaultPrevented];
        });
        """
    )
    assert all(blocked for _, blocked in prevented), prevented
    assert s.execute("window.close(); return typeof window.close;") == "function"
    assert s.title() == "Reclaim"


def test_demo_mode_opens_the_demo_phone_beside_the_kiosk(s):
    d = s.demo()
    s.wait_for(lambda: s.title() == "Reclaim", what="the UI")
    handles = s.wait_for(lambda: len(h := s.window_handles()) == 2 and h, 20, "two windows")
    main = s.call("GET", "/window")
    phone = next(h for h in handles if h != main)
    s.call("POST", "/window", {"handle": phone})
    s.wait_for(lambda: s.url().startswith(d.info["phonePageUrl"]), 20, "the demo phone page")
    s.screenshot(s.screens / f"{s.test_name}-phone.png")
    s.call("POST", "/window", {"handle": main})
    assert s.title() == "Reclaim"


test_demo_mode_opens_the_demo_phone_beside_the_kiosk.phone_window = True
