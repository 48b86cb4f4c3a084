//! Kiosk lock-down of the one window: built from tauri.conf.json, full screen, navigation only
//! within the bundled UI, no new windows, no downloads, no closing by the person, no devtools in
//! release builds, no context menu and no copying to the station's clipboard.

use tauri::webview::{DownloadEvent, NewWindowResponse};
use tauri::{
    AppHandle, Manager, PhysicalPosition, PhysicalSize, RunEvent, Runtime, Url, WebviewUrl,
    WebviewWindow, WebviewWindowBuilder, WindowEvent,
};

/// The label of the kiosk window (`app.windows[0].label` in tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";

/// The label of the demo phone window (demo mode only).
pub const PHONE_WINDOW: &str = "phone";

/// The demo phone window's size in logical pixels: a large phone, portrait.
const PHONE_SIZE: (f64, f64) = (430.0, 900.0);

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

/// Demo mode: the emulator's phone page (Microsoft Authenticator's and the provider's stand-in)
/// in a small window on top, at the screen's right edge, so one person at one screen can play
/// both sides. It stays on the emulator's origin and gets no IPC (the kiosk capability names only
/// the `main` window, and a remote page is never given the command bridge).
pub fn create_phone_window<R: Runtime, M: Manager<R>>(
    manager: &M,
    url: Url,
) -> Result<WebviewWindow<R>, Box<dyn std::error::Error>> {
    // The emulator's pages, and the relay's provider-return page on the same loopback host.
    let host = url.host_str().unwrap_or_default().to_owned();
    let mut builder = WebviewWindowBuilder::new(manager, PHONE_WINDOW, WebviewUrl::External(url))
        .title("Reclaim demo phone")
        .inner_size(PHONE_SIZE.0, PHONE_SIZE.1)
        .always_on_top(true)
        .focused(false);
    if let Some(screen) = manager.try_state::<KioskScreen>() {
        let size = screen.size.to_logical::<f64>(screen.scale_factor);
        let origin = screen.position.to_logical::<f64>(screen.scale_factor);
        let x = origin.x + (size.width - PHONE_SIZE.0 - 24.0).max(0.0);
        let y = origin.y + ((size.height - PHONE_SIZE.1) / 2.0).max(0.0);
        builder = builder.position(x, y);
    }
    let window = builder
        .on_navigation(move |to| is_demo_phone_url(to, &host))
        .on_new_window(|_, _| NewWindowResponse::Deny)
        .on_download(|_, _| false)
        .build()?;
    Ok(window)
}

/// Demo phone: once the kiosk asks for Microsoft Authenticator, the phone window leaves the
/// provider's pages (where the hosted flow ended) for the phone page, as a person switches apps.
pub async fn follow_phone_window<R: Runtime>(
    app: AppHandle<R>,
    mut updates: tokio::sync::broadcast::Receiver<reclaim_engine::ViewUpdate>,
    phone_page: Url,
) {
    use reclaim_engine::View;
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let view = match updates.recv().await {
            Ok(update) => update.view,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        if !matches!(view, View::OpenAuthenticator { .. } | View::AddToAuthenticator { .. }) {
            continue;
        }
        let Some(window) = app.get_webview_window(PHONE_WINDOW) else { return };
        let elsewhere = window.url().is_ok_and(|at| !at.path().starts_with(phone_page.path()));
        if elsewhere && let Err(error) = window.navigate(phone_page.clone()) {
            tracing::warn!(%error, "demo phone: could not return to the phone page");
        }
    }
}

/// Whether the demo phone window may navigate to `url`: plain HTTP on the demo tenant's own
/// loopback host (the emulator and the in-process relay), nothing else.
pub fn is_demo_phone_url(url: &Url, host: &str) -> bool {
    url.scheme() == "http" && url.host_str() == Some(host)
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
    fn the_demo_phone_stays_on_the_demo_tenants_host() {
        assert!(is_demo_phone_url(&url("http://127.0.0.1:8400/phone/p/demo-phone"), "127.0.0.1"));
        assert!(is_demo_phone_url(&url("http://127.0.0.1:40123/return?state=x"), "127.0.0.1"));
        assert!(!is_demo_phone_url(&url("https://127.0.0.1:8400/"), "127.0.0.1"));
        assert!(!is_demo_phone_url(&url("http://evil.example/"), "127.0.0.1"));
        assert!(!is_demo_phone_url(&url("tauri://localhost/"), "127.0.0.1"));
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
