//! The Reclaim kiosk shell: assembles the Tauri app (the managed [`Kiosk`], the commands the UI
//! calls, the kiosk window and its lock-down, the demo phone window).
//!
//! [`run_app`] is shared by the real app ([`run`]) and the tests (Tauri's mock runtime), so the
//! tests exercise exactly the commands, state and handlers the kiosk ships with.

pub mod camera;
pub mod commands;
pub mod demo;
pub mod error;
pub mod kiosk;
pub mod launch;
pub mod logging;
pub mod update;
pub mod window;

pub use error::CommandError;
pub use kiosk::{DemoLaunch, Kiosk};
pub use launch::Launch;

use clap::Parser;
use tauri::{Builder, Context, Manager, Runtime};

/// Registers the kiosk as managed state, the kiosk window and its lock-down (and, with
/// `phone_window` in demo mode, the demo phone beside it), and the commands the UI may call. The
/// caller picks the runtime (`tauri::Builder::default()` or `tauri::test::mock_builder()`) and
/// runs the app with [`window::on_run_event`] as the event callback.
pub fn run_app<R: Runtime>(builder: Builder<R>, kiosk: Kiosk, phone_window: bool) -> Builder<R> {
    let phone_page = kiosk.demo().filter(|_| phone_window).map(|demo| demo.info().phone_page_url);
    builder
        .manage(kiosk)
        .setup(move |app| {
            window::create_main_window(app)?;
            if let Some(url) = phone_page {
                let url: tauri::Url = url.parse()?;
                // The demo works without it (the phone page opens in any browser): log, go on.
                match window::create_phone_window(app, url.clone()) {
                    Ok(_) => {
                        let updates = app.state::<Kiosk>().engine().updates();
                        let handle = app.handle().clone();
                        tauri::async_runtime::spawn(window::follow_phone_window(
                            handle, updates, url,
                        ));
                    }
                    Err(error) => tracing::warn!(%error, "the demo phone window could not open"),
                }
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::subscribe,
            commands::begin,
            commands::submit_upn,
            commands::choose_provider,
            commands::capture,
            commands::camera_preview,
            commands::camera_stop,
            commands::done,
            commands::cancel,
            commands::activity,
            commands::station_status,
        ])
}

/// The compiled-in context: tauri.conf.json, the capabilities, the bundled UI (ui/dist), the icon.
pub fn context<R: Runtime>() -> Context<R> {
    tauri::generate_context!()
}

/// Runs the kiosk until the process is stopped.
pub fn run() {
    let launch = Launch::try_parse().unwrap_or_else(|error| error.exit());
    // The configuration first: it says where the logs go. Its errors name the key and line.
    let config = match launch.load_config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("reclaim-kiosk: {error}");
            std::process::exit(2);
        }
    };
    let (log_dir, max_files) = launch.log_target(config.as_ref());
    let _log_guard = match logging::init(log_dir.as_deref(), max_files) {
        Ok(guard) => guard,
        Err(error) => {
            eprintln!("reclaim-kiosk: {error}");
            std::process::exit(1);
        }
    };
    let kiosk = match tauri::async_runtime::block_on(launch.start(config)) {
        Ok(kiosk) => kiosk,
        Err(error) => {
            tracing::error!(%error, "the kiosk could not start");
            std::process::exit(1);
        }
    };
    let phone_window = !launch.no_phone_window;
    match run_app(Builder::default(), kiosk, phone_window).build(context()) {
        Ok(app) => {
            // Before the setup hook builds the window, which is sized to it.
            if let Some(screen) = window::KioskScreen::primary(app.handle()) {
                app.manage(screen);
            }
            app.run(|handle, event| window::on_run_event(handle, &event));
        }
        Err(error) => {
            tracing::error!(%error, "the kiosk could not start");
            std::process::exit(1);
        }
    }
}
