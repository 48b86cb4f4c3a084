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
pub use kiosk::{DemoLaunch, Kiosk, KioskCell};
pub use launch::Launch;

use clap::Parser;
use tauri::{Builder, Context, Manager, Runtime};

/// Registers the kiosk cell as managed state, the kiosk window and its lock-down (and, with
/// `phone_window` in demo mode, the demo phone beside it once the demo tenant is up), and the
/// commands the UI may call. The caller picks the runtime (`tauri::Builder::default()` or
/// `tauri::test::mock_builder()`), puts the started [`Kiosk`] into the cell (before or after the
/// app starts), and runs the app with [`window::on_run_event`] as the event callback.
pub fn run_app<R: Runtime>(
    builder: Builder<R>,
    kiosk: KioskCell,
    phone_window: bool,
) -> Builder<R> {
    builder
        .manage(kiosk)
        // Checks and downloads for `update` (Rust only: the page is granted no updater permission).
        .plugin(update::plugin())
        .setup(move |app| {
            window::create_main_window(app)?;
            tracing::debug!("kiosk window built");
            if phone_window {
                let handle = app.handle().clone();
                tauri::async_runtime::spawn(async move {
                    let cell = handle.state::<KioskCell>();
                    let Ok(kiosk) = cell.get().await else { return };
                    let Some(demo) = kiosk.demo() else { return };
                    let Ok(url) = demo.info().phone_page_url.parse::<tauri::Url>() else { return };
                    let updates = kiosk.service().updates();
                    // The demo works without it (the phone page opens in any browser): log, go on.
                    let created = window::create_phone_window(&handle, url.clone())
                        .map(drop)
                        .map_err(|error| error.to_string());
                    match created {
                        Ok(()) => window::follow_phone_window(handle.clone(), updates, url).await,
                        Err(error) => {
                            tracing::warn!(%error, "the demo phone window could not open")
                        }
                    }
                });
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
            commands::ask_for_staff,
            commands::added_to_wallet,
            commands::present_existing,
            commands::cancel,
            commands::activity,
            commands::station_status,
        ])
}

/// The compiled-in context: tauri.conf.json, the capabilities, the bundled UI (ui/dist), the icon;
/// and the updater plugin's (empty) configuration, which [`update`] fills in at run time.
pub fn context<R: Runtime>() -> Context<R> {
    let mut context = tauri::generate_context!();
    update::configure_plugin(context.config_mut());
    context
}

/// Runs the kiosk until the process is stopped.
pub fn run() {
    let launch = Launch::try_parse().unwrap_or_else(|error| error.exit());
    // First, while this is the only thread: it sets the environment WebKit starts with.
    if !launch.gpu_compositing {
        window::paint_on_cpu();
    }
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
    if launch.check_camera {
        // What discovery decides, for the package test and the installer: no window, no display.
        let allow = config.as_ref().is_some_and(|c| c.station.allow_virtual_camera);
        let found = launch.station_camera(allow);
        let json = serde_json::to_string(&found.report).unwrap_or_default();
        let _ = std::io::Write::write_all(&mut std::io::stdout(), format!("{json}\n").as_bytes());
        std::process::exit(0);
    }
    // `[updater]`: checked now, run once the kiosk has started. A broken one only logs: the kiosk
    // still serves people, and `reclaim-config check` names the problem.
    let updates = match config.as_ref().and_then(update::UpdateSource::from_config) {
        Some(Ok(source)) => Some((source, launch.update_dir.clone())),
        Some(Err(error)) => {
            tracing::warn!(%error, "updates are off");
            None
        }
        None => None,
    };
    // Only demo mode has a demo tenant, hence a phone page to show.
    let phone_window = !launch.no_phone_window && config.is_none() && launch.is_demo();
    tracing::debug!("building the app");
    match run_app(Builder::default(), KioskCell::empty(), phone_window).build(context()) {
        Ok(app) => {
            tracing::debug!("app built");
            // Before the setup hook builds the window, which is sized to it.
            if let Some(screen) = window::KioskScreen::primary(app.handle()) {
                app.manage(screen);
            }
            if phone_window {
                app.manage(window::PhoneBeside);
            }
            // The engine (and in demo mode the emulated tenant) starts while the window is built
            // and the UI loads; commands wait for it.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                match launch.start(config).await {
                    Ok(kiosk) => {
                        tracing::debug!("kiosk started");
                        if let Some((source, dir)) = updates {
                            tauri::async_runtime::spawn(update::run(
                                handle.clone(),
                                source,
                                kiosk.service().clone(),
                                dir,
                                update::Schedule::default(),
                            ));
                        }
                        handle.state::<KioskCell>().set(kiosk)
                    }
                    Err(error) => {
                        tracing::error!(%error, "the kiosk could not start");
                        std::process::exit(1);
                    }
                }
            });
            app.run(|handle, event| window::on_run_event(handle, &event));
        }
        Err(error) => {
            tracing::error!(%error, "the kiosk could not start");
            std::process::exit(1);
        }
    }
}
