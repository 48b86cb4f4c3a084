//! The kiosk shell through Tauri's IPC on the mock runtime (no display needed): the app's real
//! builder (`run_app`) and its real compiled context (tauri.conf.json, capabilities), so the
//! commands, their error shape and the capability set are exactly what ships.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failed set-up is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reclaim_kiosk::window::MAIN_WINDOW;
use reclaim_kiosk::{CommandError, ErrorCode};
use serde_json::{Value, json};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, RunEvent, WebviewWindow};

fn app() -> App<MockRuntime> {
    started(reclaim_kiosk::run_app(mock_builder()))
}

/// Builds the app and runs its setup (which creates the main window and marks the station
/// ready), as the first turn of the real event loop does.
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

#[test]
fn station_status_answers_through_ipc() {
    let app = app();
    let answer = invoke(&main_window(&app), "station_status", json!({})).unwrap();
    assert_eq!(answer, json!({ "mode": "demo", "ready": true }));
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

/// A command that fails, to see the rejection the UI gets. The shell's handler is swapped for
/// one holding only this command; the rest of `run_app` (state, window, events) is unchanged.
#[tauri::command]
fn always_fails() -> Result<(), CommandError> {
    Err(CommandError::new(ErrorCode::NotNow, "the command does not apply to the current screen"))
}

#[test]
fn command_errors_reach_the_ui_as_code_and_message() {
    let app = started(
        reclaim_kiosk::run_app(mock_builder())
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
    let app = reclaim_kiosk::run_app(mock_builder()).build(reclaim_kiosk::context()).unwrap();
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
