//! The kiosk shell through Tauri's IPC on the mock runtime (no display needed): the app's real
//! builder (`run_app`) with a real [`Kiosk`] on the in-process demo tenant, and its real compiled
//! context (tauri.conf.json, capabilities), so the commands, their error shape, the engine behind
//! them and the capability set are exactly what ships.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reclaim_engine::demo::DemoOptions;
use reclaim_engine::{View, ViewUpdate};
use reclaim_kiosk::window::MAIN_WINDOW;
use reclaim_kiosk::{CommandError, DemoLaunch, Kiosk, KioskCell};
use serde_json::{Value, json};
use tauri::async_runtime::block_on;
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, RunEvent, WebviewWindow};

/// A kiosk on a fresh demo tenant, with or without the synthetic camera.
fn kiosk(camera: bool) -> Kiosk {
    block_on(Kiosk::start_demo(DemoLaunch {
        options: DemoOptions { station_id: "shell-test".into(), ..DemoOptions::default() },
        camera,
        ..DemoLaunch::default()
    }))
    .unwrap()
}

fn app() -> App<MockRuntime> {
    started(reclaim_kiosk::run_app(mock_builder(), KioskCell::with(kiosk(true)), false))
}

/// Builds the app and runs its setup (which creates the main window), as the first turn of the
/// real event loop does.
fn started(builder: tauri::Builder<MockRuntime>) -> App<MockRuntime> {
    let mut app = builder.build(reclaim_kiosk::context()).unwrap();
    // One turn only (the deprecation warns about calling it in a loop): it runs the setup hook.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    app
}

fn main_window(app: &App<MockRuntime>) -> WebviewWindow<MockRuntime> {
    app.get_webview_window(MAIN_WINDOW).expect("setup creates the main window")
}

/// Invokes `cmd` as the bundled UI would (from `tauri://localhost`), answering the JSON the
/// UI's promise resolves with (`Ok`) or rejects with (`Err`).
fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: tauri::ipc::CallbackFn(0),
        error: tauri::ipc::CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: tauri::ipc::InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().unwrap())
}

/// Waits (bounded) until the engine behind `app` shows a view `pred` accepts.
fn wait(app: &App<MockRuntime>, what: &str, pred: impl Fn(&ViewUpdate) -> bool) -> ViewUpdate {
    common::wait(app.state::<KioskCell>().try_get().unwrap(), what, pred)
}

fn upn_of(app: &App<MockRuntime>, persona: &str) -> String {
    let cell = app.state::<KioskCell>();
    let kiosk = cell.try_get().unwrap();
    let fixture = kiosk.demo().unwrap().stack().emulator().state.fixture();
    fixture.persona(persona).unwrap().user_principal_name.clone()
}

#[test]
fn commands_wait_for_a_kiosk_that_is_still_starting() {
    // The window is built while the engine starts; the UI's first calls must wait, not fail.
    let app = started(reclaim_kiosk::run_app(mock_builder(), KioskCell::empty(), false));
    let window = main_window(&app);
    let handle = app.handle().clone();
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        handle.state::<KioskCell>().set(kiosk(false));
    });
    let answer = invoke(&window, "station_status", json!({})).unwrap();
    assert_eq!(answer["ready"], true, "{answer}");
    starter.join().unwrap();
}

#[test]
fn station_status_answers_through_ipc() {
    let app = app();
    let answer = invoke(&main_window(&app), "station_status", json!({})).unwrap();
    assert_eq!(
        answer,
        json!({
            "mode": "demo",
            "stationId": "shell-test",
            "ready": true,
            "problems": [],
            "defaultLocale": "en",
            "camera": "present"
        })
    );
}

#[test]
fn a_whole_production_recovery_through_the_commands_shows_the_tenants_tap() {
    let app = app();
    let window = main_window(&app);
    let upn = upn_of(&app, "ana");
    invoke(&window, "begin", json!({})).unwrap();
    wait(&app, "identify", |u| matches!(u.view, View::Identify { .. }));
    invoke(&window, "submit_upn", json!({ "upn": upn })).unwrap();
    let choose = wait(&app, "choose provider", |u| matches!(u.view, View::ChooseProvider { .. }));
    let View::ChooseProvider { camera_available, .. } = choose.view else { unreachable!() };
    assert!(camera_available, "the demo camera is offered");
    invoke(&window, "choose_provider", json!({ "provider": "trueid", "path": "phone" })).unwrap();
    let scan =
        wait(&app, "the hosted link", |u| matches!(u.view, View::ScanId { link: Some(_), .. }));
    let View::ScanId { link: Some(link), .. } = scan.view else { unreachable!() };

    let cell = app.state::<KioskCell>();
    let kiosk = cell.try_get().unwrap();
    let stack = kiosk.demo().unwrap().stack();
    let phone = stack.phone();
    let issued = block_on(phone.complete_hosted_flow("trueid", &link.url, "ana")).unwrap();
    assert_eq!(issued["status"], "issued", "{issued}");
    let ask = wait(&app, "the Authenticator QR", |u| {
        matches!(u.view, View::OpenAuthenticator { qr: Some(_) })
    });
    let View::OpenAuthenticator { qr: Some(qr) } = ask.view else { unreachable!() };
    block_on(phone.open(&qr.url)).unwrap();
    block_on(phone.present(91.0)).unwrap();
    let shown = wait(&app, "the TAP", |u| matches!(u.view, View::Tap { .. }));
    let View::Tap { tap } = shown.view else { unreachable!() };
    let held = block_on(stack.tenant().user_taps(&upn)).unwrap();
    assert_eq!(held[0]["temporaryAccessPass"], tap.code().as_str(), "{held}");

    invoke(&window, "done", json!({})).unwrap();
    let attract = wait(&app, "attract after the wipe", |u| matches!(u.view, View::Attract));
    assert!(attract.reset, "the wipe is announced to the UI");
}

#[test]
fn refusals_arrive_as_code_and_message() {
    let app = app();
    let window = main_window(&app);
    // Not on the attract screen yet: a double-tapped "I've noted it" changes nothing.
    let refusal = invoke(&window, "done", json!({})).unwrap_err();
    assert_eq!(refusal["code"], "notNow", "{refusal}");
    assert!(refusal["message"].as_str().is_some_and(|m| !m.is_empty()));
    invoke(&window, "begin", json!({})).unwrap();
    let refusal = invoke(&window, "submit_upn", json!({ "upn": "a".repeat(5000) })).unwrap_err();
    assert_eq!(refusal["code"], "invalidInput", "{refusal}");
    assert!(!refusal.to_string().contains("aaaa"), "the input is not echoed back");
    // No preview running: there is nothing to take a picture with.
    let refusal = invoke(&window, "capture", json!({ "shot": "front" })).unwrap_err();
    assert_eq!(refusal["code"], "cameraUnavailable", "{refusal}");
    // The session goes on unharmed.
    wait(&app, "identify", |u| matches!(u.view, View::Identify { .. }));
}

#[test]
fn a_station_without_a_camera_hides_the_camera_path() {
    let app = started(reclaim_kiosk::run_app(mock_builder(), KioskCell::with(kiosk(false)), false));
    let window = main_window(&app);
    let refusal = invoke(&window, "camera_stop", json!({})).unwrap_err();
    assert_eq!(refusal["code"], "cameraUnavailable");
    // The station says why, and stays in service: the phone path works.
    let station = invoke(&window, "station_status", json!({})).unwrap();
    assert_eq!((&station["camera"], &station["ready"]), (&json!("absent"), &json!(true)));
    let upn = upn_of(&app, "ana");
    invoke(&window, "begin", json!({})).unwrap();
    invoke(&window, "submit_upn", json!({ "upn": upn })).unwrap();
    let choose = wait(&app, "choose provider", |u| matches!(u.view, View::ChooseProvider { .. }));
    assert!(matches!(choose.view, View::ChooseProvider { camera_available: false, .. }));
}

#[test]
fn a_station_with_only_a_virtual_camera_refuses_it_hides_the_path_and_says_why() {
    // Discovery as on a station whose only camera is v4l2loopback's "Dummy video device".
    let card = "Dummy video device (0x0000)";
    let report = reclaim_camera::ProbeReport {
        backend: Some("Video4Linux".into()),
        devices: vec![reclaim_camera::DeviceInfo {
            index: 0,
            name: card.into(),
            description: "Video4Linux Device @ /dev/video0".into(),
            driver: None,
            virtual_marker: reclaim_camera::virtual_marker(card, None, true),
        }],
        error: None,
    };
    let found = reclaim_kiosk::camera::discover(&report, false);
    let kiosk = block_on(Kiosk::start_demo(DemoLaunch {
        options: DemoOptions { station_id: "shell-test".into(), ..DemoOptions::default() },
        device_camera: Some(found),
        ..DemoLaunch::default()
    }))
    .unwrap();
    // What the UI's subscription gets says it too (the attract screen's station line).
    let (tx, rx) = std::sync::mpsc::channel();
    kiosk.subscribe(move |update| tx.send(update).is_ok());
    let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(first.station.camera, reclaim_engine::view::CameraStatus::RefusedVirtual);
    assert!(first.station.ready, "a missing camera does not put the station out of service");
    let app = started(reclaim_kiosk::run_app(mock_builder(), KioskCell::with(kiosk), false));
    let window = main_window(&app);
    let station = invoke(&window, "station_status", json!({})).unwrap();
    assert_eq!((&station["camera"], &station["ready"]), (&json!("refusedVirtual"), &json!(true)));
    let refusal = invoke(&window, "camera_stop", json!({})).unwrap_err();
    assert_eq!(refusal["code"], "cameraUnavailable");
    let upn = upn_of(&app, "ana");
    invoke(&window, "begin", json!({})).unwrap();
    invoke(&window, "submit_upn", json!({ "upn": upn })).unwrap();
    let choose = wait(&app, "choose provider", |u| matches!(u.view, View::ChooseProvider { .. }));
    assert!(matches!(choose.view, View::ChooseProvider { camera_available: false, .. }));
}

#[test]
fn subscribers_get_the_current_view_then_every_change_and_a_new_page_replaces_the_old() {
    let kiosk = kiosk(false);
    let first = Arc::new(Mutex::new(Vec::<ViewUpdate>::new()));
    let sink = first.clone();
    block_on(async {
        kiosk.subscribe(move |u| {
            sink.lock().unwrap().push(u);
            true
        })
    });
    // The current view arrives first, before anything happens (the UI renders it at once).
    let deadline = Instant::now() + Duration::from_secs(20);
    while first.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no current view");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(matches!(first.lock().unwrap()[0].view, View::Attract), "the current view first");
    block_on(kiosk.service().begin()).unwrap();
    while !first.lock().unwrap().iter().any(|u| matches!(u.view, View::Identify { .. })) {
        assert!(Instant::now() < deadline, "no identify update");
        std::thread::sleep(Duration::from_millis(10));
    }
    // A reloaded page subscribes again: the old channel hears nothing more.
    let second = Arc::new(Mutex::new(Vec::<ViewUpdate>::new()));
    let sink = second.clone();
    block_on(async {
        kiosk.subscribe(move |u| {
            sink.lock().unwrap().push(u);
            true
        })
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while second.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no current view for the new page");
        std::thread::sleep(Duration::from_millis(10));
    }
    let before = first.lock().unwrap().len();
    block_on(kiosk.service().cancel()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !second.lock().unwrap().iter().any(|u| matches!(u.view, View::Attract) && u.reset) {
        assert!(Instant::now() < deadline, "no reset update");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(first.lock().unwrap().len(), before, "the replaced subscription still hears");
    assert!(matches!(second.lock().unwrap()[0].view, View::Identify { .. }));
}

#[test]
fn unknown_commands_are_refused() {
    let app = app();
    let refusal = invoke(&main_window(&app), "no_such_command", json!({})).unwrap_err();
    assert!(refusal.as_str().is_some_and(|text| text.contains("not found")), "{refusal}");
}

#[test]
fn the_ui_gets_no_core_api() {
    let app = app();
    let window = main_window(&app);
    for (cmd, args) in [
        ("plugin:window|close", json!({})),
        ("plugin:window|destroy", json!({})),
        ("plugin:window|set_fullscreen", json!({ "value": false })),
        ("plugin:window|set_size", json!({})),
        ("plugin:webview|create_webview_window", json!({})),
        ("plugin:app|app_hide", json!({})),
        ("plugin:app|version", json!({})),
        ("plugin:path|resolve_directory", json!({ "directory": 16 })),
        (
            "plugin:event|listen",
            json!({ "event": "reclaim://x", "target": { "kind": "Any" }, "handler": 7 }),
        ),
        ("plugin:event|emit", json!({ "event": "reclaim://x", "payload": null })),
    ] {
        let refusal = invoke(&window, cmd, args).unwrap_err();
        assert!(
            refusal.as_str().is_some_and(|text| text.contains("not allowed")),
            "{cmd} must be refused by the capability set, got {refusal}"
        );
    }
}

#[test]
fn channels_reach_the_ui_without_a_permission() {
    // The UI receives views over tauri::ipc::Channel; fetching a channel's data is the one
    // internal command Tauri lets through without a capability entry.
    let app = app();
    let refusal = invoke(&main_window(&app), "plugin:__TAURI_CHANNEL__|fetch", json!({}))
        .unwrap_err()
        .to_string();
    assert!(!refusal.contains("not allowed"), "{refusal}");
}

#[test]
fn other_origins_cannot_call_commands() {
    let app = app();
    let request = InvokeRequest {
        cmd: "station_status".into(),
        callback: tauri::ipc::CallbackFn(0),
        error: tauri::ipc::CallbackFn(1),
        url: "https://evil.example/".parse().unwrap(),
        body: tauri::ipc::InvokeBody::Json(json!({})),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    assert!(get_ipc_response(&main_window(&app), request).is_err());
}

/// A command that fails, to see the exact rejection the UI gets. The shell's handler is swapped
/// for one holding only this command; the rest of `run_app` (state, window, events) is unchanged.
#[tauri::command]
fn always_fails() -> Result<(), CommandError> {
    Err(CommandError::new(
        reclaim_engine::ErrorCode::NotNow,
        "the command does not apply to the current screen",
    ))
}

#[test]
fn command_errors_reach_the_ui_as_code_and_message() {
    let app = started(
        reclaim_kiosk::run_app(mock_builder(), KioskCell::with(kiosk(false)), false)
            .invoke_handler(tauri::generate_handler![always_fails]),
    );
    let refusal = invoke(&main_window(&app), "always_fails", json!({})).unwrap_err();
    assert_eq!(
        refusal,
        json!({ "code": "notNow", "message": "the command does not apply to the current screen" })
    );
}

#[test]
fn closing_the_window_is_refused() {
    let app = reclaim_kiosk::run_app(mock_builder(), KioskCell::with(kiosk(false)), false)
        .build(reclaim_kiosk::context())
        .unwrap();
    let close_requested = Arc::new(AtomicBool::new(false));
    // Set just before the test itself destroys the window: an exit request before that means the
    // close request closed the last window.
    let destroying = Arc::new(AtomicBool::new(false));
    let exit_before_destroy = Arc::new(AtomicBool::new(false));
    let (close_requested_, destroying_, exit_before_destroy_) =
        (close_requested.clone(), destroying.clone(), exit_before_destroy.clone());
    // The same event callback as `reclaim_kiosk::run`, then the test's own look at each event.
    app.run_return(move |handle, event| {
        reclaim_kiosk::window::on_run_event(handle, &event);
        match event {
            // The setup hook has just created the window.
            RunEvent::Ready => handle.get_webview_window(MAIN_WINDOW).unwrap().close().unwrap(),
            RunEvent::WindowEvent { event: tauri::WindowEvent::CloseRequested { .. }, .. } => {
                close_requested_.store(true, Ordering::SeqCst);
                // Once the loop has settled the request, end it the way only the process itself
                // can (from another thread, so the destroy is queued behind the request).
                let window = handle.get_webview_window(MAIN_WINDOW).unwrap();
                let destroying = destroying_.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    destroying.store(true, Ordering::SeqCst);
                    let _ = window.destroy();
                });
            }
            RunEvent::ExitRequested { .. } if !destroying_.load(Ordering::SeqCst) => {
                exit_before_destroy_.store(true, Ordering::SeqCst);
            }
            _ => {}
        }
    });
    assert!(close_requested.load(Ordering::SeqCst), "the close request was not delivered");
    assert!(!exit_before_destroy.load(Ordering::SeqCst), "the close request closed the window");
}

#[test]
fn the_compiled_config_keeps_the_kiosk_locked() {
    let context = reclaim_kiosk::context::<MockRuntime>();
    let config = context.config();
    assert_eq!(config.product_name.as_deref(), Some("Reclaim"));
    assert!(!config.app.with_global_tauri, "no window.__TAURI__ for page scripts");
    let [window] = config.app.windows.as_slice() else { panic!("exactly one window") };
    assert_eq!(window.label, MAIN_WINDOW);
    assert!(!window.create, "created by window::create_main_window, with the lock-down");
    assert!(window.fullscreen && !window.decorations && !window.resizable && !window.closable);
    let csp = config.app.security.csp.as_ref().expect("a CSP").to_string();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    assert!(!csp.contains("unsafe-"), "CSP allows something unsafe: {csp}");
    let capabilities = serde_json::to_value(&config.app.security.capabilities).unwrap();
    assert_eq!(capabilities, json!(["kiosk"]));
}
