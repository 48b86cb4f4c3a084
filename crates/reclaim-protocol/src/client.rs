//! The kiosk's client of the session API: the one way the kiosk reaches the recovery service,
//! on loopback in demo and standalone mode as on a server in fleet mode.
//!
//! [`ServiceClient::connect`] opens the station's view stream (SSE, reconnecting by itself) and
//! keeps the newest view; the commands mirror the person's actions. Every request carries a
//! fresh signed assertion of the station ([`StationCredential::assertion`]). When the service
//! cannot be reached, or refuses the station, the client shows the station out of service
//! ([`PreflightProblem::ServiceUnreachable`], [`PreflightProblem::StationNotEnrolled`]) and comes
//! back by itself when the service does.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use time::OffsetDateTime;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::api::{self, AccountBody, ApiError, ProviderBody, SessionCreated};
use crate::station::StationCredential;
use crate::view::{
    ErrorCode, ErrorView, PreflightProblem, ScanPath, Shot, StationView, View, ViewUpdate,
};

/// A refused or failed call, as the closed code the UI localises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ClientError {
    /// What the UI shows.
    pub code: ErrorCode,
    /// For the log; never personal data.
    pub message: String,
}

impl ClientError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// What crosses IPC.
    pub fn to_view(&self) -> ErrorView {
        ErrorView { code: self.code, message: self.message.clone() }
    }
}

/// A pooled connection idle longer than this is not reused (the service's header-read timeout,
/// `reclaim_service::listener::Limits::header_read_timeout`, is 5 s by default).
pub const POOL_IDLE: Duration = Duration::from_secs(3);

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// A request (other than the view stream) gives up after this long.
    pub request_timeout: Duration,
    /// After the stream drops, the station shows "out of service" if it is not back by then.
    pub grace: Duration,
    /// First and longest wait between reconnection attempts.
    pub backoff: (Duration, Duration),
    /// How long [`ServiceClient::connect`] waits for the first view.
    pub first_view_wait: Duration,
    /// The station has a camera (the service offers the camera path only then).
    pub camera: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(3),
            backoff: (Duration::from_millis(100), Duration::from_secs(5)),
            first_view_wait: Duration::from_secs(10),
            camera: false,
        }
    }
}

struct Inner {
    http: reqwest::Client,
    credential: StationCredential,
    options: ClientOptions,
    view: watch::Sender<ViewUpdate>,
    updates: broadcast::Sender<ViewUpdate>,
    session: Mutex<Option<String>>,
    /// What the station looks like while the service cannot say (its id, mode and language).
    offline_station: StationView,
    feed: Mutex<Option<JoinHandle<()>>>,
}

/// The kiosk's handle on its session at the service: cheap to clone.
#[derive(Clone)]
pub struct ServiceClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceClient")
            .field("service", &self.inner.credential.service_url)
            .field("station", &self.inner.credential.station_id)
            .finish_non_exhaustive()
    }
}

impl ServiceClient {
    /// Connects to the service named in `credential` and follows the station's views; waits for
    /// the first one (at most `options.first_view_wait`: then the station shows out of service
    /// until the service answers). `offline_station` is how the attract screen describes the
    /// station while the service cannot. Needs a tokio runtime.
    pub async fn connect(
        credential: StationCredential,
        offline_station: StationView,
        options: ClientOptions,
    ) -> Result<ServiceClient, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // The service closes a connection that has not sent a whole request head within 5 s,
            // also between keep-alive requests: never reuse one idle for that long (a reused
            // connection the server just closed fails the command).
            .pool_idle_timeout(POOL_IDLE)
            .build()
            .map_err(|_| ClientError::new(ErrorCode::Internal, "cannot build the HTTP client"))?;
        let first = offline(&offline_station, 0, PreflightProblem::ServiceUnreachable);
        let (view, mut first_rx) = watch::channel(first);
        let (updates, _) = broadcast::channel(64);
        let inner = Arc::new(Inner {
            http,
            credential,
            options,
            view,
            updates,
            session: Mutex::new(None),
            offline_station,
            feed: Mutex::new(None),
        });
        let feed = tokio::spawn(follow_views(Arc::downgrade(&inner)));
        *lock(&inner.feed) = Some(feed);
        let wait = inner.options.first_view_wait;
        let _ = tokio::time::timeout(wait, first_rx.changed()).await;
        Ok(ServiceClient { inner })
    }

    /// The station's id.
    pub fn station_id(&self) -> &str {
        &self.inner.credential.station_id
    }

    /// The latest view.
    pub fn current(&self) -> ViewUpdate {
        self.inner.view.borrow().clone()
    }

    /// The latest view; `changed()` wakes on each update.
    pub fn subscribe(&self) -> watch::Receiver<ViewUpdate> {
        self.inner.view.subscribe()
    }

    /// Every update in order (lossless unless the receiver falls 64 behind).
    pub fn updates(&self) -> broadcast::Receiver<ViewUpdate> {
        self.inner.updates.subscribe()
    }

    /// The station as the attract screen shows it.
    pub fn station(&self) -> StationView {
        self.current().station
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.credential.service_url)
    }

    fn authorization(&self) -> String {
        format!("Bearer {}", self.inner.credential.assertion(OffsetDateTime::now_utc()))
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let response = request
            .header(reqwest::header::AUTHORIZATION, self.authorization())
            .header(api::CAMERA_HEADER, camera_header(&self.inner.options))
            .header(api::VERSION_HEADER, env!("CARGO_PKG_VERSION"))
            .timeout(self.inner.options.request_timeout)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "recovery service unreachable");
                ClientError::new(ErrorCode::OutOfService, "the recovery service cannot be reached")
            })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let error = response.json::<ApiError>().await.unwrap_or_else(|_| ApiError {
            code: "internal".into(),
            message: format!("the service answered {status}"),
        });
        tracing::info!(status, code = %error.code, "recovery service refused a command");
        Err(ClientError::new(error.error_code(), error.message))
    }

    fn session_url(&self, tail: &str) -> Result<String, ClientError> {
        let session = lock(&self.inner.session).clone();
        let id = session.ok_or_else(|| ClientError::new(ErrorCode::NotNow, "no session"))?;
        Ok(self.url(&format!("{}/{id}{tail}", api::SESSIONS)))
    }

    /// Start pressed: a new session at the service.
    pub async fn begin(&self) -> Result<(), ClientError> {
        let response = self.send(self.inner.http.post(self.url(api::SESSIONS))).await?;
        let created: SessionCreated = response
            .json()
            .await
            .map_err(|_| ClientError::new(ErrorCode::Internal, "unreadable session"))?;
        *lock(&self.inner.session) = Some(created.id);
        Ok(())
    }

    /// The account the person typed.
    pub async fn submit_upn(&self, upn: String) -> Result<(), ClientError> {
        let url = self.session_url("/account")?;
        self.send(self.inner.http.post(url).json(&AccountBody { upn })).await.map(drop)
    }

    /// The provider and path the person chose.
    pub async fn choose_provider(
        &self,
        provider: String,
        path: ScanPath,
    ) -> Result<(), ClientError> {
        let url = self.session_url("/provider")?;
        self.send(self.inner.http.post(url).json(&ProviderBody { provider, path })).await.map(drop)
    }

    /// A camera shot (JPEG or PNG), sent to the service, which sends it to the provider.
    pub async fn capture(&self, shot: Shot, image: Vec<u8>) -> Result<(), ClientError> {
        if image.is_empty() {
            return Err(ClientError::new(ErrorCode::InvalidInput, "empty image"));
        }
        if image.len() > api::MAX_SHOT_BYTES {
            return Err(ClientError::new(ErrorCode::InvalidInput, "image larger than 8 MB"));
        }
        let name = match shot {
            Shot::Front => "front",
            Shot::Back => "back",
            Shot::Selfie => "selfie",
        };
        let url = self.session_url(&format!("/shots/{name}"))?;
        let request = self
            .inner
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(image);
        self.send(request).await.map(drop)
    }

    /// The person is done.
    pub async fn done(&self) -> Result<(), ClientError> {
        let url = self.session_url("/done")?;
        self.send(self.inner.http.post(url)).await.map(drop)
    }

    /// "I already have my ID in Authenticator": present the credential of `choice`.
    pub async fn present_existing(&self, choice: String) -> Result<(), ClientError> {
        let url = self.session_url("/existing")?;
        let body = api::ExistingBody { choice };
        self.send(self.inner.http.post(url).json(&body)).await.map(drop)
    }

    /// Link-only provider: the person pressed "I have added it" (409 `notNow` anywhere else).
    pub async fn added_to_wallet(&self) -> Result<(), ClientError> {
        let url = self.session_url("/added-to-wallet")?;
        self.send(self.inner.http.post(url)).await.map(drop)
    }

    /// The person asks for a member of staff (the trusted referee) on the failure screen.
    pub async fn ask_for_staff(&self) -> Result<(), ClientError> {
        let url = self.session_url("/staff")?;
        self.send(self.inner.http.post(url)).await.map(drop)
    }

    /// The person cancelled.
    pub async fn cancel(&self) -> Result<(), ClientError> {
        let url = self.session_url("")?;
        self.send(self.inner.http.delete(url)).await.map(drop)
    }

    /// Any touch or key.
    pub async fn activity(&self) -> Result<(), ClientError> {
        self.send(self.inner.http.post(self.url(api::ACTIVITY))).await.map(drop)
    }

    /// Runs the pre-flight at the service now; the station as it then stands.
    pub async fn preflight(&self) -> StationView {
        match self.send(self.inner.http.post(self.url(api::PREFLIGHT))).await {
            Ok(response) => match response.json::<StationView>().await {
                Ok(station) => station,
                Err(_) => self.current().station,
            },
            Err(_) => self.current().station,
        }
    }

    /// Stops following the views.
    pub fn close(&self) {
        if let Some(feed) = lock(&self.inner.feed).take() {
            feed.abort();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(feed) = lock(&self.feed).take() {
            feed.abort();
        }
    }
}

impl StationView {
    /// How a station describes itself before the service has answered (its id, mode and
    /// language from its own configuration): not ready, no problem named yet, no camera.
    pub fn not_connected(
        mode: crate::view::StationMode,
        station_id: impl Into<String>,
        default_locale: crate::view::Locale,
    ) -> StationView {
        StationView {
            mode,
            station_id: station_id.into(),
            ready: false,
            problems: Vec::new(),
            default_locale,
            camera: crate::view::CameraStatus::default(),
        }
    }
}

fn camera_header(options: &ClientOptions) -> &'static str {
    if options.camera { "present" } else { "absent" }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn offline(station: &StationView, seq: u64, problem: PreflightProblem) -> ViewUpdate {
    let mut station = station.clone();
    station.ready = false;
    station.problems = vec![problem];
    ViewUpdate {
        seq,
        view: View::OutOfService { problems: vec![problem] },
        step: None,
        idle_seconds_left: None,
        station,
        reset: true,
    }
}

/// Publishes a view with the client's own sequence number (the service's restarts with a new
/// engine; the UI only needs ours to grow).
fn publish(inner: &Inner, mut update: ViewUpdate) {
    update.seq = inner.view.borrow().seq.saturating_add(1);
    keep_the_pass(&inner.view.borrow(), &mut update);
    let _ = inner.updates.send(update.clone());
    inner.view.send_replace(update);
}

/// The service sends the TAP once, in the update that first shows it, and keeps no copy; the
/// station keeps it for as long as the TAP screen stays (a countdown or an activity re-sends the
/// screen without the pass). Any other screen drops it (zeroed with the old view).
fn keep_the_pass(shown: &ViewUpdate, next: &mut ViewUpdate) {
    if let (View::Tap { tap: had }, View::Tap { tap }) = (&shown.view, &mut next.view)
        && tap.groups.is_empty()
    {
        tap.groups = had.groups.clone();
    }
}

/// Follows the view stream for as long as the client lives, reconnecting with backoff.
async fn follow_views(inner: std::sync::Weak<Inner>) {
    let mut backoff = None::<Duration>;
    let mut down_since: Option<tokio::time::Instant> = None;
    let mut shown_problem: Option<PreflightProblem> = None;
    loop {
        let Some(strong) = inner.upgrade() else { return };
        let (first, max) = strong.options.backoff;
        let grace = strong.options.grace;
        let outcome = stream_once(&strong).await;
        let problem = match outcome {
            StreamEnd::Refused => PreflightProblem::StationNotEnrolled,
            StreamEnd::Dropped { delivered } => {
                if delivered {
                    backoff = None;
                    down_since = None;
                    shown_problem = None;
                }
                PreflightProblem::ServiceUnreachable
            }
        };
        let since = *down_since.get_or_insert_with(tokio::time::Instant::now);
        // Refused is final until an administrator acts: show it at once. A dropped stream gets
        // a grace period (a replica restart, a balancer's hiccup).
        if (problem == PreflightProblem::StationNotEnrolled || since.elapsed() >= grace)
            && shown_problem != Some(problem)
        {
            let offline_view = offline(&strong.offline_station, 0, problem);
            publish(&strong, offline_view);
            shown_problem = Some(problem);
        }
        drop(strong);
        let wait = backoff.map_or(first, |b| (b * 2).min(max));
        backoff = Some(wait);
        tokio::time::sleep(wait.min(grace.max(first))).await;
    }
}

enum StreamEnd {
    /// 401: the station is not (or no longer) enrolled.
    Refused,
    /// The connection failed or ended; `delivered` when at least one view came through.
    Dropped { delivered: bool },
}

async fn stream_once(inner: &Arc<Inner>) -> StreamEnd {
    let url = format!("{}{}", inner.credential.service_url, api::VIEWS);
    let auth = format!("Bearer {}", inner.credential.assertion(OffsetDateTime::now_utc()));
    let response = match inner
        .http
        .get(url)
        .header(reqwest::header::AUTHORIZATION, auth)
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .header(api::CAMERA_HEADER, camera_header(&inner.options))
        .header(api::VERSION_HEADER, env!("CARGO_PKG_VERSION"))
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, "view stream: cannot connect");
            return StreamEnd::Dropped { delivered: false };
        }
    };
    if response.status() == reqwest::StatusCode::UNAUTHORIZED {
        tracing::warn!("the recovery service refuses this station");
        return StreamEnd::Refused;
    }
    if !response.status().is_success() {
        tracing::warn!(status = response.status().as_u16(), "view stream refused");
        return StreamEnd::Dropped { delivered: false };
    }
    let mut body = response.bytes_stream();
    let mut parser = SseParser::default();
    let mut delivered = false;
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else { break };
        for event in parser.feed(&chunk) {
            if event.event != api::VIEW_EVENT {
                continue;
            }
            match serde_json::from_str::<ViewUpdate>(&event.data) {
                Ok(update) => {
                    delivered = true;
                    publish(inner, update);
                }
                Err(e) => tracing::warn!(error = %e, "unreadable view from the service"),
            }
        }
    }
    StreamEnd::Dropped { delivered }
}

/// One server-sent event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct SseEvent {
    event: String,
    data: String,
}

/// A minimal `text/event-stream` parser (the fields this API sends: `event`, `data`, `id`;
/// comments and unknown fields are skipped; `\n`, `\r\n` and `\r` end lines).
#[derive(Debug, Default)]
struct SseParser {
    line: Vec<u8>,
    last_was_cr: bool,
    event: String,
    data: Vec<String>,
}

impl SseParser {
    fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\n' && self.last_was_cr {
                self.last_was_cr = false;
                continue;
            }
            self.last_was_cr = b == b'\r';
            if b == b'\n' || b == b'\r' {
                let line = std::mem::take(&mut self.line);
                if let Some(event) = self.line_done(&line) {
                    out.push(event);
                }
            } else {
                self.line.push(b);
            }
        }
        out
    }

    fn line_done(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            if self.data.is_empty() {
                self.event.clear();
                return None;
            }
            let event =
                if self.event.is_empty() { "message".to_owned() } else { self.event.clone() };
            let data = self.data.join("\n");
            self.event.clear();
            self.data.clear();
            return Some(SseEvent { event, data });
        }
        if line.first() == Some(&b':') {
            return None;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.split_once(':') {
            Some((f, v)) => (f.to_owned(), v.strip_prefix(' ').unwrap_or(v).to_owned()),
            None => (text.into_owned(), String::new()),
        };
        match field.as_str() {
            "event" => self.event = value,
            "data" => self.data.push(value),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_across_chunks_and_line_endings() {
        let mut p = SseParser::default();
        let mut got = p.feed(b": keep-alive\r\nevent: view\r");
        got.extend(p.feed(b"\nid: 3\ndata: {\"a\":"));
        got.extend(p.feed(b"1}\n\n"));
        got.extend(p.feed(b"data: [1,\rdata: 2]\r\r"));
        assert_eq!(
            got,
            vec![
                SseEvent { event: "view".into(), data: "{\"a\":1}".into() },
                SseEvent { event: "message".into(), data: "[1,\n2]".into() },
            ]
        );
    }

    #[test]
    fn the_station_keeps_the_pass_while_the_tap_screen_stays_and_drops_it_after() {
        let station = StationView::not_connected(
            crate::view::StationMode::Demo,
            "s",
            crate::view::Locale::En,
        );
        let tap = |code: &str| ViewUpdate {
            seq: 1,
            view: View::Tap {
                tap: crate::view::TapView::new(code, 60, "2026-12-07T12:00:00Z".into(), "u".into()),
            },
            step: None,
            idle_seconds_left: None,
            station: station.clone(),
            reset: false,
        };
        let shown = tap("k7Q+2rZa");
        let mut countdown = tap("");
        countdown.idle_seconds_left = Some(10);
        keep_the_pass(&shown, &mut countdown);
        let View::Tap { tap: kept } = &countdown.view else { unreachable!() };
        assert_eq!(kept.code(), "k7Q+2rZa");
        let mut attract = ViewUpdate { view: View::Attract, ..countdown.clone() };
        keep_the_pass(&countdown, &mut attract);
        assert_eq!(attract.view, View::Attract);
    }

    #[test]
    fn an_offline_view_names_the_problem_and_keeps_the_station() {
        let station = StationView {
            mode: crate::view::StationMode::Production,
            station_id: "lobby-1".into(),
            ready: true,
            problems: vec![],
            default_locale: crate::view::Locale::De,
            camera: Default::default(),
        };
        let v = offline(&station, 4, PreflightProblem::StationNotEnrolled);
        assert_eq!(
            v.view,
            View::OutOfService { problems: vec![PreflightProblem::StationNotEnrolled] }
        );
        assert!(!v.station.ready);
        assert_eq!(v.station.station_id, "lobby-1");
        assert_eq!(v.station.default_locale, crate::view::Locale::De);
    }
}
