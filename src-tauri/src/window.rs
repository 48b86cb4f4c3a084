//! Kiosk lock-down of the one window: built from tauri.conf.json, full screen, navigation only
//! within the bundled UI, no new windows, no downloads, no closing by the person, no devtools in
//! release builds, no context menu and no copying to the station's clipboard.

use tauri::webview::{DownloadEvent, NewWindowResponse, PageLoadEvent};
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

/// The gap around the demo phone window, in logical pixels.
const PHONE_MARGIN: f64 = 24.0;

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

/// A window's place on the screen, in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Placement {
    /// Whether the two share any pixel.
    pub fn overlaps(&self, other: &Placement) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }
}

/// Where the kiosk and, in demo mode, the demo phone go on a screen of `screen` (logical pixels):
/// without the phone the kiosk covers the screen; with it the phone stands at the right edge,
/// vertically centred, and the kiosk takes the rest of the width, so one person at one screen
/// sees both and the phone never covers the kiosk's controls. A screen too narrow to share
/// (under 1,280 px for the kiosk) keeps the kiosk full screen with the phone on top.
pub fn demo_layout(
    origin: (f64, f64),
    screen: (f64, f64),
    phone: bool,
) -> (Placement, Option<Placement>) {
    let full = Placement { x: origin.0, y: origin.1, width: screen.0, height: screen.1 };
    if !phone {
        return (full, None);
    }
    let phone_x = origin.0 + (screen.0 - PHONE_SIZE.0 - PHONE_MARGIN).max(0.0);
    let phone_y = origin.1 + ((screen.1 - PHONE_SIZE.1) / 2.0).max(0.0);
    let phone = Placement { x: phone_x, y: phone_y, width: PHONE_SIZE.0, height: PHONE_SIZE.1 };
    let kiosk_width = phone_x - PHONE_MARGIN - origin.0;
    if kiosk_width < 1280.0 {
        return (full, Some(phone));
    }
    (Placement { width: kiosk_width, ..full }, Some(phone))
}

/// Managed state: demo mode will open the demo phone window, so the kiosk leaves it room.
#[derive(Debug, Clone, Copy)]
pub struct PhoneBeside;

/// Where the kiosk's windows go (managed state): [`demo_layout`] on the [`KioskScreen`].
fn placements<R: Runtime, M: Manager<R>>(manager: &M) -> Option<(Placement, Option<Placement>)> {
    let screen = manager.try_state::<KioskScreen>()?;
    let beside = manager.try_state::<PhoneBeside>().is_some();
    let size = screen.size.to_logical::<f64>(screen.scale_factor);
    let origin = screen.position.to_logical::<f64>(screen.scale_factor);
    Some(demo_layout((origin.x, origin.y), (size.width, size.height), beside))
}

/// Makes WebKit paint the kiosk's pages on the CPU instead of compositing them with OpenGL
/// (`--gpu-compositing` skips this). Its screens are still text, buttons and one camera preview,
/// and GL compositing (Mesa's llvmpipe on a station without a GPU driver, as here) holds about
/// 110 MiB of buffers in the page's process (bench/README.md). Through the environment variable
/// WebKitGTK reads as it starts, so the web views are created that way: setting the web view's
/// hardware-acceleration policy once it was built (the first way) came after its page had started
/// loading and cost that load ~50 ms.
///
/// GLib's `g_setenv` is not thread-safe: `run` calls this first, before any other thread exists.
pub fn paint_on_cpu() {
    #[cfg(target_os = "linux")]
    if let Err(error) = glib::setenv("WEBKIT_DISABLE_COMPOSITING_MODE", "1", true) {
        // Not fatal: the kiosk works with GL compositing, it only needs more memory.
        eprintln!("reclaim-kiosk: could not turn off GL compositing: {error}");
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
    if let Some((kiosk, phone)) = placements(manager) {
        builder = builder.inner_size(kiosk.width, kiosk.height).position(kiosk.x, kiosk.y);
        if phone.is_some_and(|phone| !kiosk.overlaps(&phone)) {
            // Side by side with the demo phone: full screen would cover it.
            builder = builder.fullscreen(false);
        }
    }
    let window = builder
        // Shown once its page has loaded, not at once: when a shown view is first drawn, WebKit
        // (painting on the CPU) waits for the page's process, which in about one start in eight
        // was still starting up and answered only at WebKit's 500 ms timeout (bench/README.md).
        .visible(false)
        .on_page_load(|window, payload| {
            if payload.event() == PageLoadEvent::Finished {
                show(&window);
            }
        })
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
    // A page that never finishes loading still gets its window (an empty one says more than none).
    let late = window.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(SHOW_AT_THE_LATEST).await;
        if !late.is_visible().unwrap_or(true) {
            tracing::warn!("the kiosk page had not loaded; showing its window anyway");
            show(&late);
        }
    });
    Ok(window)
}

/// How long the kiosk window waits for its page before it is shown anyway.
const SHOW_AT_THE_LATEST: std::time::Duration = std::time::Duration::from_secs(5);

fn show<R: Runtime>(window: &WebviewWindow<R>) {
    if let Err(error) = window.show().and_then(|()| window.set_focus()) {
        tracing::warn!(%error, "the kiosk window could not be shown");
    }
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
    if let Some((_, Some(phone))) = placements(manager) {
        builder = builder.position(phone.x, phone.y);
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
    fn the_demo_phone_stands_beside_the_kiosk_not_over_it() {
        for (w, h) in [(1920.0, 1080.0), (2560.0, 1440.0), (1920.0, 1200.0)] {
            let (kiosk, phone) = demo_layout((0.0, 0.0), (w, h), true);
            let phone = phone.expect("a phone placement");
            assert!(!kiosk.overlaps(&phone), "{w}x{h}: {kiosk:?} overlaps {phone:?}");
            assert!(kiosk.width >= 1280.0 && kiosk.height == h, "{w}x{h}: {kiosk:?}");
            assert!(phone.x + phone.width <= w && phone.y >= 0.0 && phone.y + phone.height <= h);
        }
        // On a second monitor, relative to its origin.
        let (kiosk, phone) = demo_layout((1920.0, 0.0), (1920.0, 1080.0), true);
        assert_eq!(kiosk.x, 1920.0);
        assert!(!kiosk.overlaps(&phone.unwrap()));
    }

    #[test]
    fn without_the_phone_or_room_for_it_the_kiosk_covers_the_screen() {
        let full = Placement { x: 0.0, y: 0.0, width: 1920.0, height: 1080.0 };
        assert_eq!(demo_layout((0.0, 0.0), (1920.0, 1080.0), false), (full, None));
        // Portrait 1080 wide: too narrow to share; the phone goes on top at the right.
        let (kiosk, phone) = demo_layout((0.0, 0.0), (1080.0, 1920.0), true);
        assert_eq!(kiosk, Placement { x: 0.0, y: 0.0, width: 1080.0, height: 1920.0 });
        assert!(phone.is_some());
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
