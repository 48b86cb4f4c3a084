"""Whole recoveries in the real kiosk window on the in-process demo tenant: the person's side
through the UI (clicks and keys over WebDriver), the phone's side through the emulator's control
API. Each test asserts what the person at the kiosk sees."""

import glob
import time

QR = ".qr:not(.qr-small) .qr-code[data-url]"  # the code to scan, not the small install code beside it


def upn_value(s):
    """What the account field holds now (its live value, not its HTML attribute)."""
    return s.execute("return document.querySelector('#upn').value;")


def start_recovery(s, persona):
    """Attract → identify → choose provider → the phone path with the first provider."""
    d = s.demo()
    s.wait_heading("Recover your account")
    s.click(".btn-start")
    s.wait_heading("Enter your work account")
    s.type_into("#upn", d.upn(persona))
    s.click(".identify-form button[type=submit]")
    s.wait_heading("Choose how to prove who you are")
    s.click(".btn-path")  # the first provider's "Use my phone"
    s.wait_heading("Scan this code with your phone")
    return d


def to_authenticator(s, persona, provider="trueid"):
    """Scans the ID on the phone (the provider's hosted flow), then waits for the presentation QR
    and lets Authenticator scan it. Answers the demo tenant."""
    d = start_recovery(s, persona)
    link = s.wait_for(lambda: s.attr(QR, "data-url"), 30, "the provider's link")
    d.complete_hosted_flow(provider, link, persona)
    s.wait_heading("Open Microsoft Authenticator and scan")
    request = s.wait_for(lambda: s.attr(QR, "data-url"), 30, "the Authenticator QR")
    assert request != link
    s.screenshot(s.screens / f"{s.test_name}-authenticator.png")
    d.open(request)
    s.wait_heading("Face Check in progress")
    return d


def test_production_recovery_shows_the_tap_the_tenant_holds(s):
    d = to_authenticator(s, "ana")
    d.present(88)
    s.wait_heading("Face Check passed")
    s.screenshot(s.screens / f"{s.test_name}-facecheck.png")
    s.wait_heading("Your Temporary Access Pass", 30)
    hidden = s.text("[data-testid=tap-code]")
    assert "•" in hidden, f"the pass is hidden until asked for: {hidden!r}"
    s.press_enter_on(".btn-show")
    shown = s.wait_for(lambda: "•" not in (t := s.text("[data-testid=tap-code]")) and t, 5, "the pass")
    held = d.user_taps(d.upn("ana"))
    assert len(held) == 1, held
    assert "".join(shown.split()) == held[0]["temporaryAccessPass"], (shown, held)
    # The demo tenant issues VerifiedEmployee: the steps end with My Account's code.
    assert s.attr(".tap-next-qr:last-child .qr-code", "data-url") == "https://myaccount.microsoft.com/"
    assert "Get my Verified ID" in s.text(".tap-next")
    s.screenshot(s.screens / f"{s.test_name}-tap.png")
    s.click(".tap-next .btn-primary")  # "I've noted it"
    s.wait_heading("Recover your account")


def test_evaluation_mode_verifies_and_issues_no_tap(s):
    d = to_authenticator(s, "priya")
    d.present(90)
    s.wait_heading("Your identity was verified", 30)
    assert not s.exists("[data-testid=tap-code]")
    assert d.user_taps(d.upn("priya")) == [], "evaluation mode created a TAP"
    s.screenshot(s.screens / f"{s.test_name}-result.png")


def test_face_check_failure_offers_a_retry_then_ends_with_a_reference(s):
    d = to_authenticator(s, "ana")
    d.present(41)
    s.wait_heading("Face Check did not match")
    s.screenshot(s.screens / f"{s.test_name}-failed.png")
    # Every further attempt fails too, until the kiosk gives up with a helpdesk reference.
    deadline = time.monotonic() + 120
    while not s.exists(".screen-fail"):
        if s.heading() == "Open Microsoft Authenticator and scan" and s.exists(QR):
            d.open(s.attr(QR, "data-url"))
            s.wait_heading("Face Check in progress")
            d.present(41)
            s.wait_heading("Face Check did not match")
        assert time.monotonic() < deadline, f"never ended; at {s.heading()!r}"
        time.sleep(0.2)
    page = s.text("main")
    assert "RC-" in page, f"no helpdesk reference on the final screen: {page[:400]}"
    assert d.user_taps(d.upn("ana")) == [], "a TAP after a failed Face Check"
    s.screenshot(s.screens / f"{s.test_name}-ended.png")


def test_a_verified_employee_credential_recovers_without_an_id_scan(s):
    """Maria holds her employer's VerifiedEmployee (from My Account): she chooses it instead of
    scanning her ID, presents it with Face Check, and gets her TAP."""
    d = s.demo()
    d.verified_employee(d.upn("maria"))
    s.wait_heading("Recover your account")
    s.click(".btn-start")
    s.wait_heading("Enter your work account")
    s.type_into("#upn", d.upn("maria"))
    s.click(".identify-form button[type=submit]")
    s.wait_heading("Choose how to prove who you are")
    assert "Already have your ID in Microsoft Authenticator?" in s.text("main")
    s.screenshot(s.screens / f"{s.test_name}-choose.png")
    s.click(".btn-existing:last-child")  # "Verified employee (Contoso)"
    s.wait_heading("Open Microsoft Authenticator and scan")
    request = s.wait_for(lambda: s.attr(QR, "data-url"), 30, "the Authenticator QR")
    d.open(request)
    s.wait_heading("Face Check in progress")
    d.present(90)
    s.wait_heading("Your Temporary Access Pass", 30)
    assert len(d.user_taps(d.upn("maria"))) == 1
    s.screenshot(s.screens / f"{s.test_name}-tap.png")
    s.click(".tap-next .btn-primary")
    s.wait_heading("Recover your account")


def test_referee_approves_at_the_console(s):
    """Ana Lima Costa typed Ana Lima's account with her own ID: refused as a duplicate name. She
    asks for a member of staff; the referee, signed in to the console, checks her ID and picks
    her own account; the kiosk shows that account's TAP."""
    d = to_authenticator(s, "namesake")
    d.present(90)
    s.wait_heading("A colleague needs to help you", 30)
    s.screenshot(s.screens / f"{s.test_name}-offered.png")
    s.click(".btn-staff")
    s.wait_heading("A member of staff is on the way")
    assert "RC-DUPLICATE_NAME-" in s.text("main")
    s.screenshot(s.screens / f"{s.test_name}-waiting.png")
    staff = d.console("it.operator@contoso.example", "operator-demo")
    case = staff.wait_for_case()
    assert case["typed"]["upn"] == d.upn("namesake")
    own = next(c for c in case["candidates"] if c["upn"] == "ana.costa@contoso.example")
    staff.post(f"/console/api/cases/{case['sessionId']}/approve", {"userId": own["id"]})
    s.wait_heading("Your Temporary Access Pass", 30)
    assert len(d.user_taps("ana.costa@contoso.example")) == 1
    assert d.user_taps(d.upn("namesake")) == [], "a TAP for the account she typed"
    s.screenshot(s.screens / f"{s.test_name}-tap.png")
    s.click(".tap-next .btn-primary")
    s.wait_heading("Recover your account")


def test_cancel_asks_then_wipes_back_to_attract(s):
    d = start_recovery(s, "ana")
    s.click(".btn-cancel")
    s.wait_for(lambda: s.exists("[role=dialog]"), 10, "the confirmation")
    assert "Stop and start over?" in s.text("[role=dialog]")
    s.screenshot(s.screens / f"{s.test_name}-confirm.png")
    s.click("[role=dialog] .btn-danger")  # "Yes, stop"
    s.wait_heading("Recover your account")
    # Nothing of the session is left: a new one starts with an empty field.
    s.click(".btn-start")
    s.wait_heading("Enter your work account")
    assert upn_value(s) == "", "the account name survived the wipe"
    assert d.user_taps(d.upn("ana")) == []


def test_idle_countdown_then_wipe_returns_to_attract(s):
    d = s.demo()
    s.wait_heading("Recover your account")
    s.click(".btn-start")
    s.wait_heading("Enter your work account")
    s.type_into("#upn", d.upn("ana")[:5])
    # No input from here on: "Are you still there?" with a countdown, then the wipe.
    s.wait_for(lambda: s.exists("[role=alertdialog]"), 30, "Are you still there?")
    assert "Are you still there?" in s.text("[role=alertdialog]")
    s.screenshot(s.screens / f"{s.test_name}-countdown.png")
    s.wait_heading("Recover your account", 30)
    assert not s.exists("[role=alertdialog]")
    s.click(".btn-start")
    s.wait_heading("Enter your work account")
    assert upn_value(s) == "", "the typed text survived the wipe"


test_idle_countdown_then_wipe_returns_to_attract.args = ["--idle-seconds", "5", "--countdown-seconds", "5"]


def camera_hidden_and_explained(s, expected):
    d = s.demo()
    s.wait_heading("Recover your account")
    status = s.attr("[data-testid=station-camera]", "data-camera")
    assert status in expected, status
    station = s.invoke("station_status")["ok"]
    assert (station["camera"], station["ready"]) == (status, True), station
    if status == "present":
        return status
    assert "use your phone" in s.text("[data-testid=station-camera]")
    s.click(".btn-start")
    s.wait_heading("Enter your work account")
    s.type_into("#upn", d.upn("ana"))
    s.click(".identify-form button[type=submit]")
    s.wait_heading("Choose how to prove who you are")
    assert not s.exists(".btn-path.btn-secondary"), "the camera path is offered without a camera"
    assert s.exists(".btn-path.btn-primary"), "the phone path is not offered"
    s.screenshot(s.screens / f"{s.test_name}.png")
    return status


def test_without_a_camera_the_camera_path_is_hidden_and_the_station_says_why(s):
    """No camera: the attract screen says so, the station reports it (and stays in service), and
    only the phone path is offered."""
    camera_hidden_and_explained(s, ("absent",))


test_without_a_camera_the_camera_path_is_hidden_and_the_station_says_why.args = ["--no-camera"]


def test_device_camera_discovery_hides_the_path_without_a_device(s):
    """The station's real camera discovery (nokhwa, Video4Linux) instead of the synthetic camera:
    on a machine with no /dev/video* the camera path is hidden and the station says `absent`
    (scripts/package.sh runs this against the packaged binary). With a device, whatever discovery
    decided must match what is offered."""
    devices = glob.glob("/dev/video*")
    status = camera_hidden_and_explained(s, ("present", "refusedVirtual") if devices else ("absent",))
    assert devices or status == "absent"


test_device_camera_discovery_hides_the_path_without_a_device.args = ["--device-camera"]


def test_camera_path_films_the_id_and_reaches_the_tap(s):
    """The kiosk camera (the demo's synthetic one, filming the typed persona's test card): live
    preview, three shots uploaded to the provider, the credential added to Authenticator by QR,
    then Face Check and the TAP."""
    d = s.demo()
    s.wait_heading("Recover your account")
    s.click(".btn-start")
    s.wait_heading("Enter your work account")
    s.type_into("#upn", d.upn("ana"))
    s.click(".identify-form button[type=submit]")
    s.wait_heading("Choose how to prove who you are")
    s.click(".btn-path.btn-secondary")  # "Use this kiosk's camera"
    s.wait_heading("Scan your ID with this kiosk's camera")
    # The preview is live: frames arrive and are drawn (the canvas takes the frame's 640x360
    # instead of its default 300x150).
    s.wait_for(lambda: s.execute(
        "const c = document.querySelector('canvas'); return !!c && c.width === 640 && c.height === 360;"),
        20, "a live preview")
    # The local quality check's advice is live: the synthetic camera's sharp card passes, so
    # the advice turns to "Looks good" and "Take photo" is enabled.
    assert s.exists("[data-testid=capture-advice][aria-live=polite]"), "no live advice area"
    s.wait_for(lambda: s.attr("[data-testid=capture-advice]", "data-advice") == "ok", 20,
               "the quality check passing the synthetic card")
    assert "Looks good" in s.text("[data-testid=capture-advice]")
    s.screenshot(s.screens / f"{s.test_name}-preview.png")
    advice_seen = set()
    deadline = time.monotonic() + 90
    while s.heading() == "Scan your ID with this kiosk's camera":
        # None while the shots upload (the advice is hidden then).
        advice_seen.add(s.attr("[data-testid=capture-advice]", "data-advice"))
        if s.exists(".split-camera .btn-huge:not([disabled])"):
            s.click(".split-camera .btn-huge")
            time.sleep(0.5)
        assert time.monotonic() < deadline, "the camera path never ended"
        time.sleep(0.2)
    assert "ok" in advice_seen, advice_seen
    s.wait_heading("Add your verified ID to Microsoft Authenticator")
    offer = s.wait_for(lambda: s.attr(QR, "data-url"), 30, "the issuance QR")
    d.open(offer)  # Authenticator adds the credential
    s.wait_heading("Open Microsoft Authenticator and scan", 30)
    request = s.wait_for(lambda: (u := s.attr(QR, "data-url")) != offer and u, 30, "the request QR")
    d.open(request)
    d.present(90)
    s.wait_heading("Your Temporary Access Pass", 30)
    assert len(d.user_taps(d.upn("ana"))) == 1
