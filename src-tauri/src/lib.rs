//! The Reclaim kiosk shell: assembles the Tauri app (managed state, commands, kiosk lock-down).
//!
//! [`run_app`] is shared by the real app ([`run`]) and the tests (Tauri's mock runtime), so the
//! tests exercise exactly the commands, state and handlers the kiosk ships with.

pub mod commands;
pub mod error;
pub mod state;
pub mod window;

pub use error::{CommandError, ErrorCode};
pub use state::{Station, StationMode, StationStatus};

use tauri::{Builder, Context, Manager, Runtime};

/// Registers the managed state, the kiosk window and its lock-down, and the commands the UI may
/// call. The caller picks the runtime (`tauri::Builder::default()` or `tauri::test::mock_builder()`)
/// and runs the app with [`window::on_run_event`] as the event callback.
pub fn run_app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
        .manage(Station::new(StationMode::Demo))
        .setup(|app| {
            window::create_main_window(app)?;
            // Until the engine runs its pre-flight, "ready" means the shell is up.
            app.state::<Station>().set_ready(true);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![commands::station_status])
}

/// The compiled-in context: tauri.conf.json, the capabilities, the bundled UI (ui/dist), the icon.
pub fn context<R: Runtime>() -> Context<R> {
    tauri::generate_context!()
}

/// Runs the kiosk until the process is stopped.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RECLAIM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run_app(Builder::default()).build(context()) {
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
