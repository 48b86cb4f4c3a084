//! The orchestrator: an actor task that owns the core [`Session`], turns its effects into port
//! calls (run concurrently as tasks that feed their answers back through the mailbox), forwards
//! relay events, ticks every second, runs the idle timer and the attempt limits, and publishes
//! the view model; and [`Engine`], the cloneable handle the kiosk shell calls.
//!
//! Lifecycle: a session starts at Attract; `begin` → … → an outcome. A failure's "could not
//! complete" screen stays until `done` (or `begin`, `cancel`, or `timeouts.result_secs`); a
//! success, a cancel or an idle timeout goes straight back to Attract. Every ending wipes: the
//! session's tasks are aborted, its relay registrations abandoned, its secrets dropped (zeroed by
//! their types), and the first update of the next session carries `reset: true`.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use reclaim_core::{
    AccountRef, AdapterFailure, AuditEvent, AuditKind, CallbackEvent, EligibilityResult, Input,
    LimitScope, ProviderEvent, ReasonCode, RefereeCase, RefereeDecision, Screen, Session, State,
    TapCleanup, Upn,
};
use reclaim_entra::Secret;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use uuid::Uuid;
use zeroize::{Zeroize, Zeroizing};

use crate::callbacks::parse_callback;
use crate::capture::{CaptureFlow, CaptureStep, await_issuance, take_shot};
use crate::error::EngineError;
use crate::limits::{Hit, LimitKey};
use crate::ports::{
    BoxFuture, CallbackTarget, CreatedPresentation, ExpectedReturn, HostedLinkRequest, IssuedTap,
    Ports, Registration, RegistrationKind, RejectionKind, StationEvent,
};
use crate::settings::{EngineSettings, TapCleanupPolicy};
use crate::view::{
    CaptureStage, PhotoQuality, PreflightProblem, ProviderCard, ScanPath, Shot, StationView, Step,
    View, ViewContext, ViewUpdate,
};

/// Largest image `capture` accepts (the capture API's limit).
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;
/// Longest UPN `submit_upn` passes on (the core refuses shorter malformed ones itself).
pub const MAX_UPN_BYTES: usize = 1024;
/// Registrations at the relay live at most this long (the relay's default `max_ttl_secs`).
const MAX_REGISTRATION_SECS: u64 = 3600;

type Reply = oneshot::Sender<Result<(), EngineError>>;

enum Command {
    Begin(Reply),
    SubmitUpn(Upn, Reply),
    ChooseProvider(String, ScanPath, Reply),
    Capture(Shot, Zeroizing<Vec<u8>>, Reply),
    Done(Reply),
    Cancel(Reply),
    AskForStaff(Reply),
    AddedToWallet(Reply),
    PresentExisting(String, Reply),
    Referee(RefereeDecision, Reply),
    Activity(Reply),
    Station(Vec<PreflightProblem>, oneshot::Sender<StationView>),
    Shutdown(oneshot::Sender<()>),
}

/// Messages to the actor from its own tasks.
enum Internal {
    Tick,
    Relay(StationEvent),
    Problems(Vec<PreflightProblem>),
    Session(u64, SessionMsg),
}

/// A session task's answer.
enum SessionMsg {
    Input(Input),
    PresentationCreated { state: String, created: CreatedPresentation },
    Tap(IssuedTap),
    Capture(CaptureStep),
}

/// Counters of the actor's own work (not the time spent waiting on services).
#[derive(Debug, Default)]
struct Metrics {
    busy_nanos: AtomicU64,
    messages: AtomicU64,
    updates: AtomicU64,
}

/// A snapshot of the engine's own work since it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineMetrics {
    /// Time the actor spent handling messages (stepping the core, starting port calls,
    /// rendering views) — excludes waiting for services, which runs in tasks.
    pub busy: Duration,
    /// Messages handled (commands, task answers, relay events, ticks).
    pub messages: u64,
    /// View updates published.
    pub updates: u64,
}

struct Shared {
    ports: Ports,
    preflight: Option<Arc<dyn Preflight>>,
    preflight_timeout: Duration,
    metrics: Metrics,
    /// The session's open referee case, if any (the console reads it; the portrait in it
    /// exists only while the case is open).
    case: watch::Sender<Option<Arc<RefereeCase>>>,
}

/// A pre-flight that replaces the ports' own probes (token endpoint, relay health) with a fuller
/// set of checks, e.g. `reclaim doctor`'s (`doctor::Doctor`, feature `production`): start the
/// engine with [`Engine::spawn_with_preflight`]. Its problems drive the attract screen's
/// out-of-service state exactly as the probes' do.
pub trait Preflight: Send + Sync + std::fmt::Debug {
    /// Runs every check; the station's problems, empty when it is ready. Never fails as a whole:
    /// a check that cannot run is a problem. The engine bounds it by `preflight_timeout` and
    /// counts a run that exceeds it as [`PreflightProblem::TenantUnreachable`].
    fn check(&self) -> BoxFuture<'_, Vec<PreflightProblem>>;
}

/// The handle the kiosk shell holds: cheap to clone; the actor stops when the last clone is
/// dropped (or on [`Engine::shutdown`]).
#[derive(Clone)]
pub struct Engine {
    commands: mpsc::Sender<Command>,
    view: watch::Receiver<ViewUpdate>,
    updates: broadcast::Sender<ViewUpdate>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("seq", &self.view.borrow().seq).finish_non_exhaustive()
    }
}

impl Engine {
    /// Starts the actor on the current tokio runtime (and a pre-flight, the ticker and the
    /// relay subscription). An invalid `settings.config` leaves the station out of service.
    pub fn spawn(ports: Ports, settings: EngineSettings) -> Engine {
        Self::start(ports, settings, None)
    }

    /// Like [`spawn`](Self::spawn), with `preflight` instead of the ports' probes for every
    /// pre-flight (at start, every `preflight_interval`, and [`preflight`](Self::preflight)).
    pub fn spawn_with_preflight(
        ports: Ports,
        settings: EngineSettings,
        preflight: Arc<dyn Preflight>,
    ) -> Engine {
        Self::start(ports, settings, Some(preflight))
    }

    fn start(
        ports: Ports,
        settings: EngineSettings,
        preflight: Option<Arc<dyn Preflight>>,
    ) -> Engine {
        let (commands_tx, commands_rx) = mpsc::channel(64);
        let (tx, rx) = mpsc::unbounded_channel();
        let (updates, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            ports: ports.clone(),
            preflight,
            preflight_timeout: settings.preflight_timeout,
            metrics: Metrics::default(),
            case: watch::channel(None).0,
        });
        let mut actor = Actor::new(ports, settings, tx, updates.clone(), shared.clone());
        let first = actor.render();
        let (view_tx, view_rx) = watch::channel(first);
        actor.view_tx = Some(view_tx);
        let station_tasks = actor.station_tasks();
        tokio::spawn(actor.run(commands_rx, rx, station_tasks));
        Engine { commands: commands_tx, view: view_rx, updates, shared }
    }

    /// The latest view; `changed()` wakes on each update (intermediate ones may be skipped).
    pub fn subscribe(&self) -> watch::Receiver<ViewUpdate> {
        self.view.clone()
    }

    /// Every update in order (lossless unless the receiver falls 256 behind). Drop the receiver
    /// when not reading it: buffered updates may hold the TAP until read.
    pub fn updates(&self) -> broadcast::Receiver<ViewUpdate> {
        self.updates.subscribe()
    }

    /// The view as of now.
    pub fn current(&self) -> ViewUpdate {
        self.view.borrow().clone()
    }

    async fn call(&self, make: impl FnOnce(Reply) -> Command) -> Result<(), EngineError> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).await.map_err(|_| EngineError::EngineStopped)?;
        rx.await.map_err(|_| EngineError::EngineStopped)?
    }

    /// The person touched the attract screen.
    pub async fn begin(&self) -> Result<(), EngineError> {
        self.call(Command::Begin).await
    }

    /// The person entered their work account.
    pub async fn submit_upn(&self, upn: String) -> Result<(), EngineError> {
        if upn.len() > MAX_UPN_BYTES {
            return Err(EngineError::InvalidInput("account name too long"));
        }
        let upn = Upn::new(upn);
        self.call(|r| Command::SubmitUpn(upn, r)).await
    }

    /// The person picked a provider and how to scan their ID.
    pub async fn choose_provider(
        &self,
        provider: String,
        path: ScanPath,
    ) -> Result<(), EngineError> {
        self.call(|r| Command::ChooseProvider(provider, path, r)).await
    }

    /// Camera path: a shot (JPEG or PNG) the UI took when the view asked for it. Answers once
    /// the shot is accepted for upload; the view then shows `uploading` and the next stage
    /// (`back`, `selfie`, `retake`), or moves on to "add to Authenticator".
    pub async fn capture(&self, shot: Shot, image: Vec<u8>) -> Result<(), EngineError> {
        let image = Zeroizing::new(image);
        if image.is_empty() {
            return Err(EngineError::InvalidInput("empty image"));
        }
        if image.len() > MAX_IMAGE_BYTES {
            return Err(EngineError::InvalidInput("image larger than 8 MB"));
        }
        self.call(|r| Command::Capture(shot, image, r)).await
    }

    /// The person is done (TAP noted, evaluation result or failure read).
    pub async fn done(&self) -> Result<(), EngineError> {
        self.call(Command::Done).await
    }

    /// The person pressed Cancel.
    pub async fn cancel(&self) -> Result<(), EngineError> {
        self.call(Command::Cancel).await
    }

    /// The person asked for a member of staff on the "could not complete" screen (only when
    /// the view offers it; `NotNow` otherwise).
    pub async fn ask_for_staff(&self) -> Result<(), EngineError> {
        self.call(Command::AskForStaff).await
    }

    /// Link-only provider: the person pressed "I have added it" on its scan step (`NotNow`
    /// anywhere else).
    pub async fn added_to_wallet(&self) -> Result<(), EngineError> {
        self.call(Command::AddedToWallet).await
    }

    /// "I already have my ID in Authenticator": present the credential of `choice` (one the
    /// choose-provider view offers) instead of scanning the ID (`NotNow` anywhere else).
    pub async fn present_existing(&self, choice: String) -> Result<(), EngineError> {
        if choice.len() > 64 {
            return Err(EngineError::InvalidInput("choice too long"));
        }
        self.call(|r| Command::PresentExisting(choice, r)).await
    }

    /// A referee's decision on the open case (`NotNow` when there is none, or the approval
    /// names an account the case does not offer).
    pub async fn referee(&self, decision: RefereeDecision) -> Result<(), EngineError> {
        self.call(|r| Command::Referee(decision, r)).await
    }

    /// How many receivers follow the view updates (the service's own follower, and each
    /// kiosk stream).
    pub fn watchers(&self) -> usize {
        self.updates.receiver_count()
    }

    /// The open referee case, if the person asked for a member of staff.
    pub fn referee_case(&self) -> Option<Arc<RefereeCase>> {
        self.shared.case.borrow().clone()
    }

    /// Wakes when a referee case opens or closes.
    pub fn watch_referee_case(&self) -> watch::Receiver<Option<Arc<RefereeCase>>> {
        self.shared.case.subscribe()
    }

    /// Any touch or key: resets the idle timer (and hides "Are you still there?").
    pub async fn activity(&self) -> Result<(), EngineError> {
        self.call(Command::Activity).await
    }

    /// Runs the pre-flight now (token endpoint, relay; or the [`Preflight`] the engine was
    /// spawned with) and returns the station's state; the attract screen turns into "out of
    /// service" while problems remain.
    pub async fn preflight(&self) -> StationView {
        let problems = run_preflight(&self.shared).await;
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Station(problems.clone(), tx)).await.is_ok()
            && let Ok(view) = rx.await
        {
            return view;
        }
        let mut station = self.current().station;
        station.ready = problems.is_empty();
        station.problems = problems;
        station
    }

    /// The engine's own work so far.
    pub fn metrics(&self) -> EngineMetrics {
        let m = &self.shared.metrics;
        EngineMetrics {
            busy: Duration::from_nanos(m.busy_nanos.load(Ordering::Relaxed)),
            messages: m.messages.load(Ordering::Relaxed),
            updates: m.updates.load(Ordering::Relaxed),
        }
    }

    /// Wipes the current session and stops the actor.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

async fn run_preflight(shared: &Shared) -> Vec<PreflightProblem> {
    let (ports, timeout) = (&shared.ports, shared.preflight_timeout);
    if let Some(preflight) = &shared.preflight {
        return match tokio::time::timeout(timeout, preflight.check()).await {
            Ok(problems) => problems,
            Err(_) => {
                tracing::warn!(?timeout, "pre-flight checks did not finish in time");
                vec![PreflightProblem::TenantUnreachable]
            }
        };
    }
    let (tenant, relay) = tokio::join!(
        tokio::time::timeout(timeout, ports.directory.probe()),
        tokio::time::timeout(timeout, ports.events.probe()),
    );
    let mut problems = Vec::new();
    if !matches!(tenant, Ok(Ok(()))) {
        problems.push(PreflightProblem::TenantUnreachable);
    }
    if !matches!(relay, Ok(Ok(()))) {
        problems.push(PreflightProblem::RelayUnreachable);
    }
    problems
}

/// A presentation request registered at the relay.
#[derive(Debug)]
struct PendingPresentation {
    state: String,
    request_id: Option<String>,
}

/// A provider hand-off waiting for the phone to come back.
#[derive(Debug)]
struct PendingReturn {
    provider: String,
    state: String,
    request_id: String,
}

/// What the engine holds for one session besides the core's state; dropped (and zeroed where
/// it holds secrets) at the wipe.
#[derive(Debug, Default)]
struct SessionCtx {
    presentation: Option<PendingPresentation>,
    provider_return: Option<PendingReturn>,
    /// Every relay registration of the session, abandoned at the wipe.
    registered: Vec<String>,
    /// Callbacks that arrived before their request id was known.
    buffered: Vec<serde_json::Value>,
    photo_quality: Option<PhotoQuality>,
    tap_expires_at: Option<String>,
    capture: Option<CaptureFlow>,
    /// The identity verification this session's credential comes from (provider id, the
    /// provider's session or our hosted-flow request id): its Face Checks are counted.
    provider_session: Option<(String, String)>,
    /// The TAP creation in flight: `None` until it settles, then the created method id (or
    /// `None` when it failed). A wipe does not abort the creation: the cleanup awaits it.
    tap_in_flight: Option<watch::Receiver<Option<Option<String>>>>,
}

struct Actor {
    ports: Ports,
    s: EngineSettings,
    cards: Vec<ProviderCard>,
    /// The session's QR codes, drawn once each (cleared at every wipe).
    qr_cache: Arc<reclaim_protocol::QrCache>,
    session: Option<Session>,
    generation: u64,
    ctx: SessionCtx,
    tasks: JoinSet<()>,
    tx: mpsc::UnboundedSender<Internal>,
    view_tx: Option<watch::Sender<ViewUpdate>>,
    updates: broadcast::Sender<ViewUpdate>,
    shared: Arc<Shared>,
    seq: u64,
    screen: Screen,
    hold_until: Option<OffsetDateTime>,
    reset_pending: bool,
    wiping: bool,
    dwell_until: Option<Instant>,
    deferred: bool,
    last_activity: OffsetDateTime,
    countdown: Option<u32>,
    /// The furthest wizard step this session has shown (0 on attract), for the step indicator.
    reached: u8,
    station: StationView,
    queue: VecDeque<Input>,
    /// The last billed Face Check still being counted: the next budget check waits for it.
    billing: Option<tokio::task::JoinHandle<()>>,
}

fn random_token() -> String {
    Uuid::new_v4().simple().to_string()
}

fn unix_now() -> u64 {
    u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0)
}

impl Actor {
    fn new(
        ports: Ports,
        s: EngineSettings,
        tx: mpsc::UnboundedSender<Internal>,
        updates: broadcast::Sender<ViewUpdate>,
        shared: Arc<Shared>,
    ) -> Self {
        let now = ports.clock.now();
        let cards = s.providers.iter().map(|p| p.card.clone()).collect();
        let station = StationView {
            mode: s.mode,
            station_id: s.station_id.clone(),
            ready: false,
            problems: Vec::new(),
            default_locale: s.default_locale,
            camera: crate::view::CameraStatus::from_available(s.camera_available),
        };
        let mut actor = Actor {
            ports,
            s,
            cards,
            qr_cache: Arc::default(),
            session: None,
            generation: 0,
            ctx: SessionCtx::default(),
            tasks: JoinSet::new(),
            tx,
            view_tx: None,
            updates,
            shared,
            seq: 0,
            screen: Screen::Attract,
            hold_until: None,
            reset_pending: false,
            wiping: false,
            dwell_until: None,
            deferred: false,
            last_activity: now,
            countdown: None,
            reached: 0,
            station,
            queue: VecDeque::new(),
            billing: None,
        };
        actor.new_session();
        actor
    }

    fn new_session(&mut self) {
        let providers = self.s.providers.iter().map(|p| p.core()).collect();
        match Session::new(
            Uuid::new_v4(),
            self.s.station_id.clone(),
            self.s.config.clone(),
            self.s.audit_key.clone(),
            providers,
        ) {
            Ok(s) => self.session = Some(s),
            Err(e) => {
                tracing::error!(error = %e, "invalid engine configuration: station out of service");
                self.session = None;
                self.station.ready = false;
                if !self.station.problems.contains(&PreflightProblem::ConfigInvalid) {
                    self.station.problems.push(PreflightProblem::ConfigInvalid);
                }
            }
        }
    }

    /// The ticker, the relay subscription and the periodic pre-flight.
    fn station_tasks(&self) -> Vec<tokio::task::JoinHandle<()>> {
        let clock = self.ports.clock.clone();
        let tx = self.tx.clone();
        let ticker = tokio::spawn(async move {
            loop {
                clock.sleep(Duration::from_secs(1)).await;
                if tx.send(Internal::Tick).is_err() {
                    break;
                }
            }
        });
        let events = self.ports.events.clone();
        let tx = self.tx.clone();
        let relay = tokio::spawn(async move {
            loop {
                let mut stream = events.subscribe();
                while let Some(ev) = stream.next().await {
                    if tx.send(Internal::Relay(ev)).is_err() {
                        return;
                    }
                }
                tracing::warn!("relay event stream ended; subscribing again in 5 s");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        });
        let shared = self.shared.clone();
        let tx = self.tx.clone();
        let interval = self.s.preflight_interval;
        let preflight = tokio::spawn(async move {
            loop {
                let problems = run_preflight(&shared).await;
                if tx.send(Internal::Problems(problems)).is_err() {
                    return;
                }
                match interval {
                    Some(every) => tokio::time::sleep(every).await,
                    None => return,
                }
            }
        });
        vec![ticker, relay, preflight]
    }

    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut rx: mpsc::UnboundedReceiver<Internal>,
        station_tasks: Vec<tokio::task::JoinHandle<()>>,
    ) {
        loop {
            let dwell = self.dwell_until;
            tokio::select! {
                cmd = commands.recv() => {
                    let started = Instant::now();
                    match cmd {
                        None => break,
                        Some(Command::Shutdown(reply)) => {
                            self.wipe();
                            let _ = reply.send(());
                            break;
                        }
                        Some(cmd) => self.command(cmd),
                    }
                    self.account(started);
                }
                Some(msg) = rx.recv() => {
                    let started = Instant::now();
                    self.internal(msg);
                    self.account(started);
                }
                Some(_) = self.tasks.join_next(), if !self.tasks.is_empty() => {}
                () = sleep_until(dwell), if dwell.is_some() => {
                    self.dwell_until = None;
                    if self.deferred {
                        self.publish(false);
                    }
                }
            }
        }
        self.wipe();
        for t in station_tasks {
            t.abort();
        }
    }

    fn account(&self, started: Instant) {
        let m = &self.shared.metrics;
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        m.busy_nanos.fetch_add(nanos, Ordering::Relaxed);
        m.messages.fetch_add(1, Ordering::Relaxed);
    }

    // ── commands ────────────────────────────────────────────────────────────────────────────

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Begin(r) => {
                let out = self.begin();
                let _ = r.send(out);
            }
            Command::SubmitUpn(upn, r) => {
                self.touch();
                let out = self.apply(Input::SubmitUpn(upn));
                let _ = r.send(out);
            }
            Command::ChooseProvider(provider, path, r) => {
                self.touch();
                let out = if path == ScanPath::Camera && !self.s.camera_available {
                    Err(EngineError::CameraUnavailable)
                } else {
                    self.apply(Input::ChooseProvider { provider, path: path.into() })
                };
                let _ = r.send(out);
            }
            Command::Capture(shot, image, r) => {
                self.touch();
                let out = self.capture(shot, image);
                let _ = r.send(out);
            }
            Command::Done(r) => {
                self.touch();
                let referee = self.with_referee();
                let out = if self.hold_until.is_some() {
                    self.end_hold();
                    Ok(())
                } else {
                    self.apply(Input::Done)
                };
                if referee && self.hold_until.is_some() {
                    // The person read the failure and declined staff help: back to attract.
                    self.end_hold();
                }
                let _ = r.send(out);
            }
            Command::AskForStaff(r) => {
                self.touch();
                let _ = r.send(self.apply(Input::AskForStaff));
            }
            Command::AddedToWallet(r) => {
                self.touch();
                let _ = r.send(self.apply(Input::AddedToWallet));
            }
            Command::PresentExisting(choice, r) => {
                self.touch();
                let _ = r.send(self.apply(Input::PresentExisting { choice }));
            }
            Command::Referee(decision, r) => {
                let _ = r.send(self.apply(Input::Referee(decision)));
            }
            Command::Cancel(r) => {
                self.touch();
                let referee = self.with_referee();
                let out = if self.hold_until.is_some() {
                    self.end_hold();
                    Ok(())
                } else if self.at_attract() {
                    Err(EngineError::NotNow)
                } else {
                    self.apply(Input::Cancel)
                };
                if referee && self.hold_until.is_some() {
                    self.end_hold();
                }
                let _ = r.send(out);
            }
            Command::Activity(r) => {
                self.touch();
                let _ = r.send(Ok(()));
            }
            Command::Station(problems, r) => {
                self.set_problems(problems);
                let _ = r.send(self.station.clone());
            }
            Command::Shutdown(_) => {}
        }
    }

    /// The failure screen offers, or waits for, a member of staff.
    fn with_referee(&self) -> bool {
        self.session.as_ref().is_some_and(|s| {
            matches!(s.state(), State::RefereeOffered(_) | State::AwaitingReferee(_))
        })
    }

    fn showing_tap(&self) -> bool {
        self.session.as_ref().is_some_and(|s| matches!(s.state(), State::ShowingTap { .. }))
    }

    fn at_attract(&self) -> bool {
        self.session.as_ref().is_none_or(|s| matches!(s.state(), State::Idle))
    }

    fn begin(&mut self) -> Result<(), EngineError> {
        self.touch();
        if self.session.is_none() || (self.at_attract() && !self.station.problems.is_empty()) {
            return Err(EngineError::OutOfService);
        }
        if self.hold_until.take().is_some() {
            // The next person: the update that follows carries `reset`.
            self.screen = Screen::Attract;
        }
        self.apply(Input::Begin)
    }

    /// Feeds a command's input; `NotNow` when the core ignored it.
    fn apply(&mut self, input: Input) -> Result<(), EngineError> {
        if self.session.is_none() {
            return Err(EngineError::OutOfService);
        }
        if self.feed(input) { Ok(()) } else { Err(EngineError::NotNow) }
    }

    fn capture(&mut self, shot: Shot, image: Zeroizing<Vec<u8>>) -> Result<(), EngineError> {
        if !self.s.camera_available {
            return Err(EngineError::CameraUnavailable);
        }
        let scanning =
            self.session.as_ref().is_some_and(|s| matches!(s.state(), State::ScanningId { .. }));
        let Some(flow) = self.ctx.capture.as_mut().filter(|f| scanning && !f.busy) else {
            return Err(EngineError::NotNow);
        };
        if shot != flow.expected {
            return Err(EngineError::NotNow);
        }
        flow.busy = true;
        flow.stage = CaptureStage::Uploading;
        let (provider_id, documents, session) =
            (flow.provider.clone(), flow.documents.clone(), flow.session.clone());
        let provider = self.ports.provider.clone();
        self.spawn_session(async move {
            SessionMsg::Capture(
                take_shot(provider, provider_id, documents, session, shot, image).await,
            )
        });
        self.publish(false);
        Ok(())
    }

    fn touch(&mut self) {
        self.last_activity = self.ports.clock.now();
        if self.countdown.take().is_some() {
            self.publish(false);
        }
    }

    // ── internal messages ───────────────────────────────────────────────────────────────────

    fn internal(&mut self, msg: Internal) {
        match msg {
            Internal::Tick => self.tick(),
            Internal::Relay(ev) => self.relay_event(ev),
            Internal::Problems(p) => self.set_problems(p),
            Internal::Session(generation, msg) if generation == self.generation => {
                self.session_msg(msg);
            }
            // An answer for a wiped session: dropped (its secrets are zeroed on drop).
            Internal::Session(..) => {}
        }
    }

    fn set_problems(&mut self, mut problems: Vec<PreflightProblem>) {
        if self.session.is_none() && !problems.contains(&PreflightProblem::ConfigInvalid) {
            problems.push(PreflightProblem::ConfigInvalid);
        }
        let ready = problems.is_empty();
        if self.station.ready != ready || self.station.problems != problems {
            if !problems.is_empty() {
                tracing::warn!(?problems, "pre-flight failed");
            }
            self.station.ready = ready;
            self.station.problems = problems;
            self.publish(false);
        }
    }

    fn tick(&mut self) {
        let now = self.ports.clock.now();
        if let Some(until) = self.hold_until {
            if now >= until {
                self.end_hold();
            }
            return;
        }
        if self.at_attract() {
            return;
        }
        self.feed(Input::Tick);
        if self.at_attract() {
            return;
        }
        if self.session.as_ref().is_some_and(|s| matches!(s.state(), State::AwaitingReferee(_))) {
            // Waiting for a member of staff is not idling; `timeouts.referee_secs` bounds it.
            if self.countdown.take().is_some() {
                self.publish(false);
            }
            return;
        }
        let mut idle = u64::from(self.s.config.idle_timeout_secs);
        if self.showing_tap() {
            idle = idle.min(u64::from(self.s.tap_idle_timeout_secs));
        }
        let elapsed = u64::try_from((now - self.last_activity).whole_seconds()).unwrap_or(0);
        if elapsed < idle {
            if self.countdown.take().is_some() {
                self.publish(false);
            }
            return;
        }
        let into = elapsed - idle;
        let total = u64::from(self.s.idle_countdown_secs);
        if into >= total {
            self.countdown = None;
            self.feed(Input::IdleTimeout);
        } else {
            let left = u32::try_from(total - into).unwrap_or(u32::MAX);
            if self.countdown != Some(left) {
                self.countdown = Some(left);
                self.publish(false);
            }
        }
    }

    fn relay_event(&mut self, ev: StationEvent) {
        match ev {
            StationEvent::Callback { state, body } => {
                let Some(p) = self.ctx.presentation.as_ref().filter(|p| p.state == state) else {
                    tracing::debug!("callback for a request this session no longer waits for");
                    return;
                };
                let Some(pending_id) = p.request_id.clone() else {
                    self.ctx.buffered.push(body);
                    return;
                };
                self.callback(body, &pending_id);
            }
            StationEvent::ProviderReturn { state, query } => {
                let Some(r) = self.ctx.provider_return.as_ref().filter(|r| r.state == state) else {
                    tracing::debug!(
                        "provider return for a hand-off this session no longer waits for"
                    );
                    return;
                };
                let expected =
                    ExpectedReturn { request_id: r.request_id.clone(), state: state.clone() };
                let event = match self.ports.provider.check_return(&r.provider, &expected, &query) {
                    Ok(event) => event,
                    Err(refused) => {
                        // Refused, audited, and nothing moves: the step's deadline still holds.
                        tracing::warn!(cause = refused.code(), "provider return refused");
                        let kind = AuditKind::ProviderReturnRefused {
                            provider: r.provider.clone(),
                            cause: refused.code().to_owned(),
                        };
                        if let Some(session) = &self.session {
                            self.ports.audit.write(&AuditEvent {
                                at: self.ports.clock.now(),
                                station_id: self.s.station_id.clone(),
                                session_id: session.id(),
                                account_ref: None,
                                kind,
                            });
                        }
                        return;
                    }
                };
                // One-time: the relay forgot the registration.
                self.ctx.registered.retain(|s| *s != state);
                self.ctx.provider_return = None;
                self.feed(Input::Provider(event));
            }
            StationEvent::Expired { .. } => {
                tracing::debug!("a relay registration expired (the core's deadline decides)");
            }
            StationEvent::Gap => {
                tracing::warn!("relay reported lost events; pending steps end at their deadlines");
            }
        }
    }

    fn callback(&mut self, body: serde_json::Value, pending_id: &str) {
        let Some(parsed) = parse_callback(body) else { return };
        if parsed.photo_quality.is_some() {
            self.ctx.photo_quality = parsed.photo_quality;
        }
        let request_id = parsed.request_id.unwrap_or_else(|| pending_id.to_owned());
        let now = self.ports.clock.now();
        let face_checked = match &parsed.event {
            CallbackEvent::Verified(c) => c.face_check.is_some(),
            CallbackEvent::Error { code } => {
                let code = code.to_ascii_lowercase();
                code == "claimvalidationerror" || code.contains("facecheck")
            }
            CallbackEvent::Retrieved => false,
        };
        if face_checked && request_id == pending_id {
            self.count_face_check(now);
        }
        let document = match &parsed.event {
            CallbackEvent::Verified(c) => c.claims.get("documentNumber").filter(|d| !d.is_empty()),
            _ => None,
        };
        let Some(number) = document else {
            self.feed(Input::Callback { request_id, event: parsed.event });
            return;
        };
        // One more verified presentation of this document: refused when it had its share.
        let l = self.s.rate_limits;
        let hit = [Hit {
            scope: LimitScope::Document,
            key: LimitKey::document(&self.s.audit_key, number),
            limit: l.per_document,
            window: l.document_window,
            cost: 1,
        }];
        let limits = self.ports.limits.clone();
        let event = parsed.event;
        self.spawn_session(async move {
            match limits.admit(&hit, now).await {
                Ok(None) => SessionMsg::Input(Input::Callback { request_id, event }),
                Ok(Some(scope)) => {
                    tracing::warn!(scope = scope.as_str(), "presentation refused: limit reached");
                    SessionMsg::Input(Input::LimitReached(scope))
                }
                Err(_) => {
                    tracing::error!("the limits store cannot answer: presentation refused");
                    SessionMsg::Input(Input::LimitReached(LimitScope::Document))
                }
            }
        });
    }

    fn session_msg(&mut self, msg: SessionMsg) {
        match msg {
            SessionMsg::Input(input) => {
                self.feed(input);
            }
            SessionMsg::PresentationCreated { state, created } => {
                let Some(p) = self.ctx.presentation.as_mut().filter(|p| p.state == state) else {
                    return;
                };
                p.request_id = Some(created.request_id.clone());
                self.feed(Input::PresentationCreated {
                    request_id: created.request_id.clone(),
                    url: created.url,
                });
                for body in std::mem::take(&mut self.ctx.buffered) {
                    self.callback(body, &created.request_id);
                }
            }
            SessionMsg::Tap(tap) => {
                self.ctx.tap_expires_at = tap.expires_at().format(&Rfc3339).ok();
                self.ctx.tap_in_flight = None;
                self.feed(Input::TapCreated { code: tap.code, method_id: tap.method_id });
            }
            SessionMsg::Capture(step) => self.capture_step(step),
        }
    }

    fn capture_step(&mut self, step: CaptureStep) {
        let max_retakes = self.s.max_retakes;
        let Some(flow) = self.ctx.capture.as_mut() else { return };
        flow.busy = false;
        let event = match step {
            CaptureStep::Accepted { shot, session } => {
                flow.retakes = 0;
                flow.expected = match shot {
                    Shot::Front if session.needs_back => Shot::Back,
                    _ => Shot::Selfie,
                };
                flow.stage = match flow.expected {
                    Shot::Front => CaptureStage::Front,
                    Shot::Back => CaptureStage::Back,
                    Shot::Selfie => CaptureStage::Selfie,
                };
                self.ctx.provider_session = Some((session.provider.clone(), session.id.clone()));
                flow.session = Some(session);
                None
            }
            CaptureStep::Offered { url } => {
                if let Some(session) = flow.session.clone() {
                    let provider = self.ports.provider.clone();
                    let every = self.s.capture_poll_interval;
                    self.spawn_session(async move {
                        SessionMsg::Capture(await_issuance(provider, session, every).await)
                    });
                }
                Some(ProviderEvent::IssuanceOffered { url })
            }
            CaptureStep::Rejected { rejection, session } => {
                if session.is_some() {
                    flow.session = session;
                }
                tracing::info!(reason = %rejection.code, kind = ?rejection.kind, "provider refused a shot");
                if rejection.kind == RejectionKind::Retake && flow.retakes < max_retakes {
                    flow.retakes += 1;
                    flow.stage = CaptureStage::Retake;
                    None
                } else {
                    Some(ProviderEvent::DocumentRejected)
                }
            }
            CaptureStep::Failed(failure) => {
                tracing::warn!(?failure, "provider unavailable during the capture");
                Some(ProviderEvent::Unavailable)
            }
            CaptureStep::Issuance(status) => Some(match status {
                crate::ports::IssuanceStatus::Issued => ProviderEvent::IdentityIssued,
                _ => ProviderEvent::IssuanceFailed,
            }),
        };
        match event {
            Some(e) => {
                self.feed(Input::Provider(e));
            }
            None => self.publish(false),
        }
    }

    // ── the core ────────────────────────────────────────────────────────────────────────────

    /// Steps the core with `input` (and any input its effects queue); true if it acted.
    fn feed(&mut self, input: Input) -> bool {
        self.queue.push_back(input);
        let mut applied = false;
        while let Some(input) = self.queue.pop_front() {
            let Some(session) = self.session.take() else { return applied };
            let now = self.ports.clock.now();
            let (session, effects) = reclaim_core::step(session, input, now);
            self.session = Some(session);
            applied |= !effects.is_empty();
            self.wiping = effects.iter().any(|e| matches!(e, reclaim_core::Effect::Wipe));
            for e in effects {
                self.effect(e, now);
            }
            if self.wiping {
                self.wiping = false;
                self.new_session();
            }
        }
        applied
    }

    fn effect(&mut self, effect: reclaim_core::Effect, now: OffsetDateTime) {
        use reclaim_core::Effect;
        match effect {
            Effect::Show(screen) => self.show(screen, now),
            Effect::Audit(event) => self.ports.audit.write(&event),
            Effect::ResolveEligibility { upn } => {
                let account = AccountRef::compute(&self.s.audit_key, &upn);
                let hits = self.attempt_hits(&account, now);
                let limits = self.ports.limits.clone();
                let directory = self.ports.directory.clone();
                let clock = self.ports.clock.clone();
                let floor = self.s.eligibility_answer_floor;
                let billing = self.billing.take();
                self.spawn_session(async move {
                    if let Some(billing) = billing {
                        let _ = billing.await;
                    }
                    // The limits first: refused before any directory lookup or paid step.
                    match limits.admit(&hits, now).await {
                        Ok(None) => {}
                        Ok(Some(scope)) => {
                            tracing::warn!(
                                scope = scope.as_str(),
                                account_ref = account.as_str(),
                                "attempt refused: limit reached"
                            );
                            return SessionMsg::Input(Input::LimitReached(scope));
                        }
                        Err(f) => {
                            tracing::error!("the limits store cannot answer: attempt refused");
                            let failed = EligibilityResult::Failed(f);
                            return SessionMsg::Input(Input::Eligibility(failed));
                        }
                    }
                    let started = clock.now();
                    let result = directory.eligibility(&upn).await;
                    // Same answer, same time: an unknown, ineligible or excluded account
                    // (one lookup or six) is answered after the same padded time.
                    let took = Duration::try_from(clock.now() - started).unwrap_or_default();
                    clock.sleep(answer_padding(took, floor)).await;
                    SessionMsg::Input(Input::Eligibility(result))
                });
            }
            Effect::StartProviderLink { provider } => self.start_provider_link(provider),
            Effect::StartCameraCapture { provider } => {
                let documents = self
                    .cards
                    .iter()
                    .find(|c| c.id == provider)
                    .map(|c| c.documents.clone())
                    .unwrap_or_default();
                self.ctx.capture = Some(CaptureFlow::new(provider, documents));
            }
            Effect::CreatePresentationRequest(spec) => self.create_presentation(spec),
            Effect::FindUsersByName { queries, search } => {
                let directory = self.ports.directory.clone();
                self.spawn_session(async move {
                    let found = directory.users_by_name(&queries, &search).await;
                    SessionMsg::Input(Input::UsersByName(found))
                });
            }
            Effect::ReadFreshFacts { user_id } => {
                let directory = self.ports.directory.clone();
                self.spawn_session(async move {
                    SessionMsg::Input(Input::FreshFacts(directory.fresh_facts(&user_id).await))
                });
            }
            Effect::CheckRecords { query, user, claims } => {
                let records = self.ports.records.clone();
                let correlation =
                    self.session.as_ref().map(|s| s.id().to_string()).unwrap_or_default();
                self.spawn_session(async move {
                    let answer = records.check(&query, &user, &claims, &correlation).await;
                    drop(claims);
                    SessionMsg::Input(Input::RecordsChecked(answer))
                });
            }
            Effect::CreateTap { user_id, request } => self.create_tap(user_id, request),
            Effect::DeleteTap(cleanup) => self.delete_tap(cleanup),
            Effect::NotifyRecovery(notice) => self.notify_recovery(notice),
            Effect::OpenRefereeCase(case) => {
                self.shared.case.send_replace(Some(Arc::from(case)));
            }
            Effect::CloseRefereeCase => {
                self.shared.case.send_replace(None);
            }
            Effect::Wipe => self.wipe(),
        }
    }

    /// Creates the TAP in a task a wipe does not abort: a pass created after the session ended
    /// must still be known to the cleanup, which awaits this task's outcome.
    fn create_tap(&mut self, user_id: String, request: reclaim_core::TapRequest) {
        let directory = self.ports.directory.clone();
        let (settled_tx, settled_rx) = watch::channel(None);
        self.ctx.tap_in_flight = Some(settled_rx);
        let tx = self.tx.clone();
        let generation = self.generation;
        tokio::spawn(async move {
            let result = directory.create_tap(&user_id, request).await;
            let _ = settled_tx.send(Some(result.as_ref().ok().map(|t| t.method_id.clone())));
            let msg = match result {
                Ok(tap) => SessionMsg::Tap(tap),
                Err(f) => SessionMsg::Input(Input::TapFailed(f)),
            };
            // Dropped (the pass zeroed) when the session is gone.
            let _ = tx.send(Internal::Session(generation, msg));
        });
    }

    /// Deletes a TAP that was not confirmed noted, in a detached task that outlives the wipe.
    fn delete_tap(&mut self, cleanup: TapCleanup) {
        let job = TapCleanupJob {
            directory: self.ports.directory.clone(),
            audit: self.ports.audit.clone(),
            clock: self.ports.clock.clone(),
            station_id: self.s.station_id.clone(),
            policy: self.s.tap_cleanup,
            in_flight: self.ctx.tap_in_flight.take(),
            cleanup,
        };
        tokio::spawn(job.run());
    }

    /// Tells the owner of the recovery (and revokes their sessions if configured) in a detached
    /// task: the person never waits for it, a wipe does not stop it, failures are retried and
    /// audited.
    fn notify_recovery(&mut self, notice: reclaim_core::notify::RecoveryNotice) {
        if !self.ports.notifier.enabled() {
            return;
        }
        let job = NotifyJob {
            notifier: self.ports.notifier.clone(),
            audit: self.ports.audit.clone(),
            clock: self.ports.clock.clone(),
            policy: self.s.notify_retry,
            notice,
        };
        tokio::spawn(job.run());
    }

    fn start_provider_link(&mut self, provider: String) {
        let state = random_token();
        let request_id = Uuid::new_v4().to_string();
        self.ctx.provider_session = Some((provider.clone(), request_id.clone()));
        self.ctx.registered.push(state.clone());
        self.ctx.provider_return = Some(PendingReturn {
            provider: provider.clone(),
            state: state.clone(),
            request_id: request_id.clone(),
        });
        let secs = u64::from(self.s.config.timeouts.scan_id_secs).min(MAX_REGISTRATION_SECS);
        let (events, providers) = (self.ports.events.clone(), self.ports.provider.clone());
        let qr = self.qr_cache.clone();
        self.spawn_session(async move {
            let registration = Registration {
                state: state.clone(),
                api_key: None,
                expires_at: unix_now() + secs,
                kind: RegistrationKind::ProviderReturn,
            };
            let unavailable = SessionMsg::Input(Input::Provider(ProviderEvent::Unavailable));
            let Ok(registered) = events.register(&registration).await else { return unavailable };
            let Some(return_url) = registered.return_url else { return unavailable };
            let request = HostedLinkRequest {
                request_id,
                return_url,
                state,
                expires_at: OffsetDateTime::now_utc()
                    + time::Duration::seconds(i64::try_from(secs).unwrap_or(900)),
            };
            match providers.hosted_link(&provider, &request).await {
                Ok(url) => {
                    draw_ahead(&qr, &url).await;
                    SessionMsg::Input(Input::Provider(ProviderEvent::LinkReady { url }))
                }
                Err(_) => unavailable,
            }
        });
    }

    // ── limits ──────────────────────────────────────────────────────────────────────────────

    /// An attempt: one more for the account and the station, and room left in the station's
    /// Face Check budget (a paid step may follow).
    fn attempt_hits(&self, account: &AccountRef, now: OffsetDateTime) -> Vec<Hit> {
        let l = self.s.rate_limits;
        let station = &self.s.station_id;
        vec![
            Hit {
                scope: LimitScope::Station,
                key: LimitKey::station(station),
                limit: l.per_station,
                window: l.station_window,
                cost: 1,
            },
            Hit {
                scope: LimitScope::Account,
                key: LimitKey::account(account),
                limit: l.per_account,
                window: l.account_window,
                cost: 1,
            },
            self.face_check_hit(now, 0),
        ]
    }

    /// The station's Face Check budget today: `cost` 0 asks for room, 1 counts a billed check.
    fn face_check_hit(&self, now: OffsetDateTime, cost: u32) -> Hit {
        let limit = if cost == 0 { self.s.config.face_check_budget_per_day } else { u32::MAX };
        Hit {
            scope: LimitScope::FaceCheckBudget,
            key: LimitKey::face_checks(&self.s.station_id, now),
            limit,
            // The key names the day; a hit outlives it by a day and is then dropped.
            window: Duration::from_secs(2 * 24 * 3600),
            cost,
        }
    }

    /// The Face Checks of the session's identity verification: `cost` as above.
    fn provider_session_hit(&self, cost: u32) -> Option<Hit> {
        let (provider, session) = self.ctx.provider_session.as_ref()?;
        let l = self.s.rate_limits;
        Some(Hit {
            scope: LimitScope::ProviderSession,
            key: LimitKey::provider_session(&self.s.audit_key, provider, session),
            limit: if cost == 0 { l.per_provider_session } else { u32::MAX },
            window: l.provider_session_window,
            cost,
        })
    }

    /// A Face Check was made (a result arrived, pass or fail): it is billed, so it counts on
    /// the station's budget and on the identity verification, whatever becomes of the session.
    fn count_face_check(&mut self, now: OffsetDateTime) {
        let mut hits = vec![self.face_check_hit(now, 1)];
        hits.extend(self.provider_session_hit(1));
        let limits = self.ports.limits.clone();
        let before = self.billing.take();
        // Detached: the count must land even if the session is wiped meanwhile.
        self.billing = Some(tokio::spawn(async move {
            if let Some(before) = before {
                let _ = before.await;
            }
            if limits.admit(&hits, now).await.is_err() {
                tracing::error!("the limits store cannot count a billed Face Check");
            }
        }));
    }

    fn create_presentation(&mut self, spec: reclaim_core::PresentationSpec) {
        let now = self.ports.clock.now();
        // A presentation with Face Check is a paid step: only while the budget has room.
        let mut room = vec![self.face_check_hit(now, 0)];
        room.extend(self.provider_session_hit(0));
        let limits = self.ports.limits.clone();
        let billing = self.billing.take();
        let state = random_token();
        let api_key = Secret::new(format!("{}{}", random_token(), random_token()));
        if let Some(old) = self
            .ctx
            .presentation
            .replace(PendingPresentation { state: state.clone(), request_id: None })
        {
            self.ctx.registered.retain(|s| *s != old.state);
            self.abandon(old.state);
        }
        self.ctx.buffered.clear();
        self.ctx.registered.push(state.clone());
        let secs =
            (u64::from(self.s.config.timeouts.presentation_secs) + 60).min(MAX_REGISTRATION_SECS);
        let (events, presentations) = (self.ports.events.clone(), self.ports.presentations.clone());
        let qr = self.qr_cache.clone();
        self.spawn_session(async move {
            // The last billed check is counted before the budget is looked at.
            if let Some(billing) = billing {
                let _ = billing.await;
            }
            match limits.admit(&room, now).await {
                Ok(None) => {}
                Ok(Some(scope)) => {
                    tracing::warn!(scope = scope.as_str(), "presentation refused: limit reached");
                    return SessionMsg::Input(Input::LimitReached(scope));
                }
                Err(f) => return SessionMsg::Input(Input::PresentationCreateFailed(f)),
            }
            let registration = Registration {
                state: state.clone(),
                api_key: Some(api_key.clone()),
                expires_at: unix_now() + secs,
                kind: RegistrationKind::Presentation,
            };
            let registered = match events.register(&registration).await {
                Ok(r) => r,
                Err(f) => return SessionMsg::Input(Input::PresentationCreateFailed(f)),
            };
            let target = CallbackTarget { url: registered.callback_url, state, api_key };
            match presentations.create(&spec, &target).await {
                Ok(created) => {
                    draw_ahead(&qr, &created.url).await;
                    SessionMsg::PresentationCreated { state: target.state, created }
                }
                Err(f) => {
                    let _ = events.abandon(&target.state).await;
                    SessionMsg::Input(Input::PresentationCreateFailed(f))
                }
            }
        });
    }

    fn spawn_session<F>(&mut self, fut: F)
    where
        F: Future<Output = SessionMsg> + Send + 'static,
    {
        let tx = self.tx.clone();
        let generation = self.generation;
        self.tasks.spawn(async move {
            let msg = fut.await;
            let _ = tx.send(Internal::Session(generation, msg));
        });
    }

    fn abandon(&self, state: String) {
        let events = self.ports.events.clone();
        // Detached: must finish even though the session's own tasks are aborted.
        tokio::spawn(async move {
            let _ = events.abandon(&state).await;
        });
    }

    /// Drops everything of the session: in-flight tasks, relay registrations, secrets.
    fn wipe(&mut self) {
        self.shared.case.send_replace(None);
        self.tasks.abort_all();
        self.generation = self.generation.wrapping_add(1);
        let ctx = std::mem::take(&mut self.ctx);
        for state in ctx.registered {
            self.abandon(state);
        }
        self.countdown = None;
        self.queue.clear();
        // A new cache: a code still being drawn for the old session lands in the old one, which
        // is dropped with it.
        self.qr_cache.clear();
        self.qr_cache = Arc::default();
    }

    // ── the view ────────────────────────────────────────────────────────────────────────────

    fn show(&mut self, screen: Screen, now: OffsetDateTime) {
        self.countdown = None;
        self.last_activity = now;
        let ending = matches!(screen, Screen::Attract | Screen::CouldNotComplete { .. });
        if self.wiping && ending {
            match screen {
                Screen::CouldNotComplete { reason, .. }
                    if !matches!(reason, ReasonCode::Cancelled | ReasonCode::IdleTimeout) =>
                {
                    // The outcome stays until done/timeout; the next session's first update resets.
                    let secs = i64::from(self.s.config.timeouts.result_secs);
                    self.screen = screen;
                    self.hold_until = Some(now + time::Duration::seconds(secs));
                    self.reset_pending = true;
                    self.publish(false);
                }
                _ => {
                    self.screen = Screen::Attract;
                    self.hold_until = None;
                    self.reset_pending = true;
                    self.publish(true);
                }
            }
            return;
        }
        let face_check = matches!(screen, Screen::FaceCheckResult { .. });
        self.screen = screen;
        if face_check {
            self.publish(true);
            if !self.s.result_dwell.is_zero() {
                self.dwell_until = Some(Instant::now() + self.s.result_dwell);
            }
        } else {
            self.publish(false);
        }
    }

    fn end_hold(&mut self) {
        self.hold_until = None;
        self.screen = Screen::Attract;
        self.publish(true);
    }

    /// Publishes the current state, unless a Face Check result is still dwelling (`force`
    /// cuts the dwell short).
    fn publish(&mut self, force: bool) {
        if force {
            self.dwell_until = None;
        } else if self.dwell_until.is_some_and(|t| Instant::now() < t) {
            self.deferred = true;
            return;
        }
        self.deferred = false;
        let update = self.render();
        self.shared.metrics.updates.fetch_add(1, Ordering::Relaxed);
        let _ = self.updates.send(update.clone());
        let update = self.forget_sent_tap(update);
        if let Some(tx) = &self.view_tx {
            tx.send_replace(update);
        }
    }

    /// The TAP leaves once, in the update that first shows it (to the station's open view
    /// stream); then the engine forgets it: its screen, the current view and every later update
    /// show the TAP screen without the pass (the kiosk keeps what it received while the screen
    /// stays; a station that reconnects gets the screen without it). The dropped copies are
    /// zeroed.
    fn forget_sent_tap(&mut self, mut update: ViewUpdate) -> ViewUpdate {
        if let View::Tap { tap } = &mut update.view
            && !tap.groups.is_empty()
        {
            tap.groups.zeroize();
            tap.groups.clear();
            if let Screen::Tap { code, .. } = &mut self.screen {
                *code = reclaim_core::TapCode::new(String::new());
            }
        }
        update
    }

    fn render(&mut self) -> ViewUpdate {
        let ctx = ViewContext {
            providers: &self.cards,
            camera_available: self.s.camera_available,
            capture: self.ctx.capture.as_ref().map_or(CaptureStage::Front, |c| c.stage),
            photo_quality: self.ctx.photo_quality,
            tap_expires_at: self.ctx.tap_expires_at.clone(),
            sign_in_url: &self.s.sign_in_url,
            verified_employee_offer: self.s.config.offer_verified_employee,
            qr_cache: Some(&self.qr_cache),
        };
        let mut view = View::from_screen(&self.screen, &ctx);
        if matches!(view, View::Attract) && !self.station.problems.is_empty() {
            view = View::OutOfService { problems: self.station.problems.clone() };
        }
        let reset = self.reset_pending && self.hold_until.is_none();
        if reset {
            self.reset_pending = false;
        }
        self.seq += 1;
        let step = Step::after(&view, self.reached);
        self.reached = match (&view, step) {
            (_, None) => 0,
            (View::CouldNotComplete { .. }, _) => self.reached,
            (_, Some(step)) => self.reached.max(step.index),
        };
        ViewUpdate {
            seq: self.seq,
            step,
            view,
            idle_seconds_left: self.countdown,
            station: self.station.clone(),
            reset,
        }
    }
}

/// One unconfirmed TAP to delete: waits for a creation still in flight, then deletes the known
/// pass and/or every pass of the user created since the session's attempt, retrying with a
/// doubling backoff; every outcome is audited. In memory only (a durable queue is issue 15).
struct TapCleanupJob {
    directory: Arc<dyn crate::ports::Directory>,
    audit: Arc<dyn crate::ports::AuditSink>,
    clock: Arc<dyn crate::ports::Clock>,
    station_id: String,
    policy: TapCleanupPolicy,
    in_flight: Option<watch::Receiver<Option<Option<String>>>>,
    cleanup: TapCleanup,
}

impl TapCleanupJob {
    fn audit(&self, kind: AuditKind) {
        self.audit.write(&AuditEvent {
            at: self.clock.now(),
            station_id: self.station_id.clone(),
            session_id: self.cleanup.session_id,
            account_ref: self.cleanup.account_ref.clone(),
            kind,
        });
    }

    async fn run(mut self) {
        let mut pending: Vec<String> = self.cleanup.method_id.iter().cloned().collect();
        if let Some(mut rx) = self.in_flight.take() {
            let settled =
                tokio::time::timeout(self.policy.creation_wait, rx.wait_for(Option::is_some)).await;
            match settled {
                Ok(Ok(outcome)) => {
                    if let Some(Some(id)) = outcome.clone()
                        && !pending.contains(&id)
                    {
                        pending.push(id);
                    }
                }
                _ => tracing::warn!("the TAP creation did not settle; looking its passes up"),
            }
        }
        let skew = time::Duration::try_from(self.policy.clock_skew).unwrap_or(time::Duration::ZERO);
        let since = self.cleanup.created_since.map(|t| t - skew);
        let user_id = self.cleanup.user_id.clone();
        let mut deleted: u32 = 0;
        let mut delay = self.policy.first_retry;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let result: Result<(), AdapterFailure> = async {
                if let Some(since) = since {
                    for id in self.directory.taps_created_since(&user_id, since).await? {
                        if !pending.contains(&id) {
                            pending.push(id);
                        }
                    }
                }
                while let Some(id) = pending.first().cloned() {
                    self.directory.delete_tap(&user_id, &id).await?;
                    pending.remove(0);
                    deleted += 1;
                }
                Ok(())
            }
            .await;
            match result {
                Ok(()) => {
                    tracing::info!(deleted, "unconfirmed TAP deleted");
                    self.audit(AuditKind::TapDeleted { deleted });
                    return;
                }
                Err(failure) => {
                    let gave_up = attempt >= self.policy.attempts.max(1);
                    self.audit(AuditKind::TapDeletionFailed { attempts: attempt, gave_up });
                    if gave_up {
                        tracing::error!(
                            ?failure,
                            attempts = attempt,
                            "could not delete an unconfirmed TAP: it stays valid until it expires"
                        );
                        return;
                    }
                    tracing::warn!(
                        ?failure,
                        attempt,
                        "deleting an unconfirmed TAP failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2).min(self.policy.max_retry);
                }
            }
        }
    }
}

/// The owner's notice after a recovery, and the session revocation, each retried with backoff.
struct NotifyJob {
    notifier: Arc<dyn crate::ports::Notifier>,
    audit: Arc<dyn crate::ports::AuditSink>,
    clock: Arc<dyn crate::ports::Clock>,
    policy: crate::settings::NotifyRetryPolicy,
    notice: reclaim_core::notify::RecoveryNotice,
}

impl NotifyJob {
    fn audit(&self, kind: AuditKind) {
        self.audit.write(&AuditEvent {
            at: self.clock.now(),
            station_id: self.notice.station_id.clone(),
            session_id: self.notice.session_id,
            account_ref: self.notice.account_ref.clone(),
            kind,
        });
    }

    async fn run(self) {
        // The revocation first (issued as soon as the pass exists), the mail alongside it.
        tokio::join!(self.revoke(), self.send());
    }

    /// Retries `call` until it succeeds, is refused (4xx: retrying cannot help) or the attempts
    /// are spent; every failure is passed to `failed(attempt, gave_up)`.
    async fn retry<T, F, Fut>(
        &self,
        what: &'static str,
        mut call: F,
        failed: impl Fn(u32, bool),
    ) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AdapterFailure>>,
    {
        let mut delay = self.policy.first_retry;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            match call().await {
                Ok(v) => return Some(v),
                Err(failure) => {
                    let gave_up = failure == AdapterFailure::Refused
                        || attempt >= self.policy.attempts.max(1);
                    failed(attempt, gave_up);
                    if gave_up {
                        tracing::error!(?failure, attempts = attempt, what, "giving up");
                        return None;
                    }
                    tracing::warn!(?failure, attempt, what, "failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2).min(self.policy.max_retry);
                }
            }
        }
    }

    async fn revoke(&self) {
        if !self.notifier.revokes_sessions() {
            return;
        }
        let user_id = self.notice.user_id.as_str();
        let done = self
            .retry(
                "revoking the recovered user's sign-in sessions",
                || self.notifier.revoke_sessions(user_id),
                |attempts, gave_up| {
                    self.audit(AuditKind::SessionRevocationFailed { attempts, gave_up });
                },
            )
            .await;
        if done.is_some() {
            tracing::info!("the recovered user's sign-in sessions were revoked");
            self.audit(AuditKind::SessionsRevoked);
        }
    }

    async fn send(&self) {
        let sent = self
            .retry(
                "notifying the owner of a recovery",
                || self.notifier.notify(&self.notice),
                |attempts, gave_up| {
                    self.audit(AuditKind::RecoveryNotificationFailed { attempts, gave_up });
                },
            )
            .await;
        if let Some(n) = sent {
            tracing::info!(recipients = n.recipients, manager = n.manager, "owner notified");
            self.audit(AuditKind::RecoveryNotified {
                recipients: n.recipients,
                manager: n.manager,
            });
        }
    }
}

/// How long to hold an eligibility answer that took `took`: until the next whole multiple of
/// `floor` (at least one), so the time says nothing about which lookups ran. A zero floor pads
/// nothing.
pub(crate) fn answer_padding(took: Duration, floor: Duration) -> Duration {
    if floor.is_zero() {
        return Duration::ZERO;
    }
    let floors = took.as_nanos().div_ceil(floor.as_nanos()).max(1);
    let until = floor.saturating_mul(u32::try_from(floors).unwrap_or(u32::MAX));
    until.saturating_sub(took)
}

/// Draws a QR code into the session's cache on a blocking thread, before the view that shows
/// it is rendered: drawing takes ~3 ms of CPU, which would otherwise hold up the station's actor
/// and an async worker that every other station's requests and view streams also need.
async fn draw_ahead(cache: &Arc<reclaim_protocol::QrCache>, text: &str) {
    let (cache, text) = (cache.clone(), text.to_owned());
    let _ = tokio::task::spawn_blocking(move || {
        cache.get(&text);
    })
    .await;
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_padded_to_whole_floors() {
        let ms = Duration::from_millis;
        let floor = ms(2000);
        assert_eq!(answer_padding(ms(3), floor), ms(1997));
        assert_eq!(answer_padding(ms(1850), floor), ms(150));
        assert_eq!(answer_padding(ms(2000), floor), Duration::ZERO);
        // A slow lookup ends on the next whole floor, not at a time that tells its length.
        assert_eq!(answer_padding(ms(2100), floor), ms(1900));
        assert_eq!(answer_padding(Duration::ZERO, floor), floor);
        assert_eq!(answer_padding(ms(40), Duration::ZERO), Duration::ZERO);
    }
}
