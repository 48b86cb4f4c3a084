//! Kiosk lock-down of the one window: built from tauri.conf.json, full screen, navigation only
//! within the bundled UI, no new windows, no downloads, no closing by the person, no devtools in
//! release builds, no context menu and no copying to the station's clipboard.

use tauri::webview::{DownloadEvent, NewWindowResponse};
use tauri::{
    AppHandle, Manager, PhysicalPosition, PhysicalSize, RunEvent, Runtime, Url, WebviewWindow,
    WebviewWindowBuilder, WindowEvent,
};

/// The label of the kiosk's only window (`app.windows[0].label` in tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";

/// Runs in the page before the UI's own scripts (a WebKit user script, so the page's CSP does not
/// apply to it). No context menu (it offers Reload, "Open Link in New Window", "Download Linked
/// File", Copy), no copy or cut (the station's clipboard outlives the session, and a pass must
/// never reach it), no dragging content out, and `window.close()` cannot blank the kiosk
/// (WebKit destroys the web view of a one-page history on `close()`).
const LOCKDOWN_SCRIPT: &str = r#"(() => {
  const block = (event) => event.preventDefault();
  for (const type of ["contextmenu", "copy", "cut", "dragstart"]) {
    window.addEventListener(type, block, { capture: true });
  }
  try {
    Object.defineProperty(window, "close", { value: () => {}, writable: false, configurable: false });
  } catch (_) {}
})();"#;

/// The monitor the kiosk window covers (managed state, measured by `run` before the window
/// exists). Full screen is a request to the window manager, and a kiosk session may have none
/// (an X server started with only the kiosk), which ignores it; so the window is also made
/// exactly as large as the monitor, at its origin, and a window manager that honours full screen
/// shows the same. A non-resizable GTK window cannot be resized once built, hence before.
/// Absent under the mock runtime of the tests, which has no monitors.
#[derive(Debug, Clone, Copy)]
pub struct KioskScreen {
    /// The monitor's top-left corner.
    pub position: PhysicalPosition<i32>,
    /// The monitor's size.
    pub size: PhysicalSize<u32>,
    /// Physical pixels per logical pixel.
    pub scale_factor: f64,
}

impl KioskScreen {
    /// The primary monitor, if the runtime knows one.
    pub fn primary<R: Runtime>(app: &AppHandle<R>) -> Option<Self> {
        let monitor = app.primary_monitor().ok().flatten()?;
        Some(Self {
            position: *monitor.position(),
            size: *monitor.size(),
            scale_factor: monitor.scale_factor(),
        })
    }
}

/// Builds the `main` window from its entry in tauri.conf.json (which has `"create": false`, so
/// Tauri leaves it to this function) with the lock-down handlers attached.
pub fn create_main_window<R: Runtime, M: Manager<R>>(
    manager: &M,
) -> Result<WebviewWindow<R>, Box<dyn std::error::Error>> {
    let config = manager
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == MAIN_WINDOW)
        .ok_or("tauri.conf.json has no window labelled \"main\"")?
        .clone();
    // A dev server (`build.devUrl`) is only ever loaded by development builds.
    let dev_url = if tauri::is_dev() { manager.config().build.dev_url.clone() } else { None };
    let mut builder = WebviewWindowBuilder::from_config(manager, &config)?;
    if let Some(screen) = manager.try_state::<KioskScreen>() {
        let size = screen.size.to_logical::<f64>(screen.scale_factor);
        let origin = screen.position.to_logical::<f64>(screen.scale_factor);
        builder = builder.inner_size(size.width, size.height).position(origin.x, origin.y);
    }
    let window = builder
        .devtools(cfg!(debug_assertions))
        .initialization_script(LOCKDOWN_SCRIPT)
        .on_navigation(move |url| {
            let allowed = is_app_url(url, dev_url.as_ref());
            if !allowed {
                // Scheme and host only: a path or query could carry personal data.
                tracing::warn!(
                    scheme = url.scheme(),
                    host = url.host_str().unwrap_or(""),
                    "navigation blocked"
                );
            }
            allowed
        })
        .on_new_window(|url, _features| {
            tracing::warn!(
                scheme = url.scheme(),
                host = url.host_str().unwrap_or(""),
                "new window blocked"
            );
            NewWindowResponse::Deny
        })
        .on_download(|_webview, event| {
            if let DownloadEvent::Requested { url, .. } = event {
                tracing::warn!(
                    scheme = url.scheme(),
                    host = url.host_str().unwrap_or(""),
                    "download blocked"
                );
            }
            false
        })
        .build()?;
    Ok(window)
}

/// Whether the webview may navigate to `url`: only the bundled UI (`tauri://localhost` on Linux
/// and macOS, `http(s)://tauri.localhost` on Windows), or the dev server in development builds.
pub fn is_app_url(url: &Url, dev_url: Option<&Url>) -> bool {
    let bundled = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        // Only Windows serves the app from this host; elsewhere *.localhost is plain loopback.
        "http" | "https" => cfg!(windows) && url.host_str() == Some("tauri.localhost"),
        _ => false,
    };
    bundled || dev_url.is_some_and(|dev| dev.origin() == url.origin())
}

/// Events of the running app (the callback of `App::run`): a request to close a window (the
/// window manager, Alt+F4, a script) is refused, so the kiosk ends only when the operator stops
/// the process (a signal). Handled here rather than in `Builder::on_window_event` because the
/// run callback sees the same request on every runtime, the mock one of the tests included.
pub fn on_run_event<R: Runtime>(_app: &AppHandle<R>, event: &RunEvent) {
    if let RunEvent::WindowEvent { label, event: WindowEvent::CloseRequested { api, .. }, .. } =
        event
    {
        tracing::info!(window = %label, "close request refused (kiosk)");
        api.prevent_close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        text.parse().unwrap()
    }

    #[test]
    fn the_bundled_ui_is_allowed() {
        assert!(is_app_url(&url("tauri://localhost"), None));
        assert!(is_app_url(&url("tauri://localhost/index.html#/identify"), None));
    }

    #[test]
    fn everything_else_is_blocked() {
        for text in [
            "https://login.microsoftonline.com/",
            "http://localhost:8400/phone/p/demo-phone",
            "http://127.0.0.1/",
            "tauri://evil.example/",
            "file:///etc/passwd",
            "data:text/html,<h1>hi</h1>",
            "javascript:alert(1)",
            "about:blank",
            "ipc://localhost/station_status",
            "openid-vc://?request_uri=https://example.invalid/x",
        ] {
            assert!(!is_app_url(&url(text), None), "{text} must be blocked");
        }
    }

    #[test]
    fn windows_host_only_on_windows() {
        assert_eq!(is_app_url(&url("http://tauri.localhost/"), None), cfg!(windows));
    }

    #[test]
    fn the_dev_server_only_by_exact_origin() {
        let dev = url("http://localhost:5173");
        assert!(is_app_url(&url("http://localhost:5173/src/main.ts"), Some(&dev)));
        assert!(!is_app_url(&url("http://localhost:5174/"), Some(&dev)));
        assert!(!is_app_url(&url("https://localhost:5173/"), Some(&dev)));
        assert!(!is_app_url(&url("http://localhost:5173/"), None));
    }
}
