//! [`Kiosk`]: a kiosk's view of a recovery: the engine runs in the recovery service (on the
//! in-process demo stack: emulator + relay on loopback), and the test drives it as the kiosk
//! does — over the service's HTTP session API with an enrolled station's signed assertions —
//! with the phone played through the emulator's control API. Waits are on view updates with a
//! bounded timeout — never fixed sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reclaim_core::{AuditEvent, AuditKind, ReasonCode};
use reclaim_engine::demo::{CardImage, DemoOptions, DemoStack, Phone, TenantControl};
use reclaim_engine::simulate::simulation_settings;
use reclaim_engine::{
    CaptureStage, EngineSettings, ManualClock, MemoryAudit, ScanPath, Shot, View, ViewUpdate,
};
use reclaim_protocol::client::{ClientOptions, ServiceClient};
use reclaim_service::listener::Limits;
use reclaim_service::local::{LocalService, OneStation};
use tokio::sync::watch;

/// How long any one screen may take to appear (generous: 2 busy cores, debug builds).
pub const STEP: Duration = Duration::from_secs(30);

/// Engine settings for tests: the simulator's (a camera, no result dwell, fast polling, no
/// periodic pre-flight) with every per-state timeout at 30 s — they never fire in a passing test
/// unless a manual clock moves — and a 60 s idle timer with a 10 s countdown.
pub fn test_settings(stack: &DemoStack) -> EngineSettings {
    let mut s = simulation_settings(stack);
    s.capture_poll_interval = Duration::from_millis(25);
    let t = &mut s.config.timeouts;
    t.identify_secs = 600;
    t.choose_provider_secs = 30;
    t.scan_id_secs = 30;
    t.issuance_secs = 30;
    t.result_secs = 30;
    t.show_tap_secs = 30;
    s.config.idle_timeout_secs = 60;
    s.idle_countdown_secs = 10;
    // Session time may be a manual clock here, which only moves when a test moves it.
    s.eligibility_answer_floor = Duration::ZERO;
    s
}

/// A station of a recovery service on a demo stack, with the engine's audit kept in memory and
/// every view update the station receives recorded.
#[derive(Debug)]
pub struct Kiosk {
    pub stack: DemoStack,
    /// The recovery service (in this process, on loopback).
    pub local: LocalService,
    /// The station's client of the service: what the kiosk shell calls.
    pub service: ServiceClient,
    pub audit: Arc<MemoryAudit>,
    /// Set when started with a manual clock.
    pub clock: Option<ManualClock>,
    rx: watch::Receiver<ViewUpdate>,
    phone: Phone,
    history: Arc<Mutex<Vec<ViewUpdate>>>,
    recorded: watch::Receiver<u64>,
}

pub use reclaim_engine::simulate::is_outcome;

impl Kiosk {
    /// The demo stack and an engine with [`test_settings`] on the system clock.
    pub async fn start() -> Kiosk {
        Self::start_with(|_| {}, false).await
    }

    /// Same, with settings adjusted and optionally a [`ManualClock`] for session time.
    pub async fn start_with(adjust: impl FnOnce(&mut EngineSettings), manual_clock: bool) -> Kiosk {
        let stack = DemoStack::start(DemoOptions { camera_available: true, ..Default::default() })
            .await
            .expect("demo stack starts");
        let audit = Arc::new(MemoryAudit::new());
        let mut ports = stack.ports();
        ports.audit = audit.clone();
        let clock = manual_clock.then(ManualClock::starting_now);
        if let Some(c) = &clock {
            ports.clock = Arc::new(c.clone());
        }
        let mut settings = test_settings(&stack);
        adjust(&mut settings);
        let offline = reclaim_engine::StationView::not_connected(
            settings.mode,
            settings.station_id.clone(),
            settings.default_locale,
        );
        let factory = Arc::new(OneStation::new(ports, settings, None));
        let local = LocalService::start(factory, None, Limits::default())
            .await
            .expect("the recovery service starts");
        let credential = local.enroll("system-test").expect("the station enrols");
        let service = ServiceClient::connect(credential, offline, ClientOptions::default())
            .await
            .expect("the station connects");
        let history = Arc::new(Mutex::new(vec![service.current()]));
        let (seen_tx, recorded) = watch::channel(service.current().seq);
        let mut updates = service.updates();
        let h = history.clone();
        tokio::spawn(async move {
            while let Ok(u) = updates.recv().await {
                let seq = u.seq;
                h.lock().unwrap_or_else(PoisonError::into_inner).push(u);
                seen_tx.send_replace(seq);
            }
        });
        let rx = service.subscribe();
        let phone = stack.phone();
        let mut kiosk = Kiosk { stack, local, service, audit, clock, rx, phone, history, recorded };
        // The first pre-flight has run: the station is ready.
        kiosk.wait("a ready station", |v| v.station.ready).await;
        kiosk
    }

    /// The phone in play: the demo phone, or the last hosted flow's persona's own phone
    /// (each person holds only their own credentials).
    pub fn phone(&self) -> Phone {
        self.phone.clone()
    }

    /// The emulator's control API.
    pub fn tenant(&self) -> TenantControl {
        self.stack.tenant()
    }

    /// The account a persona types.
    pub fn upn(&self, persona: &str) -> String {
        self.stack
            .emulator()
            .state
            .fixture()
            .persona(persona)
            .unwrap_or_else(|| panic!("no persona {persona}"))
            .user_principal_name
            .clone()
    }

    /// Waits (at most [`STEP`]) for a view matching `pred`.
    pub async fn wait(&mut self, what: &str, pred: impl FnMut(&ViewUpdate) -> bool) -> ViewUpdate {
        match tokio::time::timeout(STEP, self.rx.wait_for(pred)).await {
            Ok(Ok(v)) => v.clone(),
            Ok(Err(_)) => panic!("engine stopped while waiting for {what}"),
            Err(_) => {
                panic!("timed out waiting for {what}; last view: {:?}", self.service.current())
            }
        }
    }

    /// Every update so far, in order (after the recorder caught up with the latest).
    pub async fn history(&mut self) -> Vec<ViewUpdate> {
        let last = self.service.current().seq;
        let _ = tokio::time::timeout(STEP, self.recorded.wait_for(|s| *s >= last)).await;
        self.history.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Attract → identify → the persona's account → the provider choice (or an early outcome).
    pub async fn identify(&mut self, upn: &str) -> ViewUpdate {
        self.wait("the attract screen", |v| matches!(v.view, View::Attract)).await;
        self.service.begin().await.expect("begin");
        self.wait("identify", |v| matches!(v.view, View::Identify { .. })).await;
        self.service.submit_upn(upn.to_owned()).await.expect("submit_upn");
        self.wait("the provider choice or an outcome", |v| {
            matches!(v.view, View::ChooseProvider { .. }) || is_outcome(v)
        })
        .await
    }

    /// Phone path: picks `provider`, plays the persona through the hosted flow on their own
    /// phone (`phone-{persona}`), and waits for the Authenticator QR; returns its URL.
    pub async fn hosted_flow(&mut self, persona: &str, provider: &str) -> String {
        self.service.choose_provider(provider.to_owned(), ScanPath::Phone).await.expect("choose");
        let v = self
            .wait("the hosted link", |v| matches!(&v.view, View::ScanId { link: Some(_), .. }))
            .await;
        let View::ScanId { link: Some(qr), .. } = &v.view else { unreachable!() };
        self.phone = self.stack.phone_named(&format!("phone-{persona}"));
        let done = self.phone.complete_hosted_flow(provider, &qr.url, persona).await.unwrap();
        assert_eq!(done["status"], "issued", "hosted flow: {done}");
        self.authenticator_qr(None).await.expect("the Authenticator QR")
    }

    /// Waits for an Authenticator QR other than `previous`; `None` if an outcome came first.
    pub async fn authenticator_qr(&mut self, previous: Option<&str>) -> Option<String> {
        let v = self
            .wait("the Authenticator QR", |v| {
                matches!(&v.view, View::OpenAuthenticator { qr: Some(q) } if Some(q.url.as_str()) != previous)
                    || is_outcome(v)
            })
            .await;
        match &v.view {
            View::OpenAuthenticator { qr: Some(q) } => Some(q.url.clone()),
            _ => None,
        }
    }

    /// The phone scans the presentation QR and presents with `score`.
    pub async fn present(&mut self, url: &str, score: f64) {
        let phone = self.phone();
        phone.open(url).await.unwrap();
        phone.present(score).await.unwrap();
    }

    /// Waits for the outcome screen.
    pub async fn outcome(&mut self) -> ViewUpdate {
        self.wait("an outcome", is_outcome).await
    }

    /// A whole phone-path recovery for a persona with a Face Check score; returns the outcome.
    pub async fn recover(&mut self, persona: &str, provider: &str, score: f64) -> ViewUpdate {
        let upn = self.upn(persona);
        let v = self.identify(&upn).await;
        if is_outcome(&v) {
            return v;
        }
        let url = self.hosted_flow(persona, provider).await;
        self.present(&url, score).await;
        self.outcome().await
    }

    /// `done()` and wait for Attract with `reset: true`.
    pub async fn finish(&mut self) -> ViewUpdate {
        self.service.done().await.expect("done");
        self.wait("attract after the wipe", |v| matches!(v.view, View::Attract) && v.reset).await
    }

    /// Camera path: shows the service a persona's rendered card (and back, and selfie) as the UI
    /// would, until the provider offers the credential or refuses; returns the view reached.
    pub async fn camera(&mut self, provider: &str, persona: &str) -> ViewUpdate {
        self.service.choose_provider(provider.to_owned(), ScanPath::Camera).await.expect("choose");
        let tenant = self.tenant();
        let images = [
            tenant.card(persona, CardImage::Front).await.unwrap(),
            tenant.card(persona, CardImage::Back).await.unwrap(),
            tenant.card(persona, CardImage::Selfie).await.unwrap(),
        ];
        let mut seen = 0;
        loop {
            let v = self
                .wait("the next camera step", |v| {
                    v.seq > seen
                        && (matches!(&v.view, View::ScanId { capture: Some(s), .. } if *s != CaptureStage::Uploading)
                            || matches!(v.view, View::AddToAuthenticator { .. })
                            || is_outcome(v))
                })
                .await;
            seen = v.seq;
            let (shot, image) = match &v.view {
                View::ScanId { capture: Some(CaptureStage::Front), .. } => {
                    (Shot::Front, &images[0])
                }
                View::ScanId { capture: Some(CaptureStage::Back), .. } => (Shot::Back, &images[1]),
                View::ScanId { capture: Some(CaptureStage::Selfie), .. } => {
                    (Shot::Selfie, &images[2])
                }
                _ => return v,
            };
            self.service.capture(shot, image.clone()).await.expect("capture");
        }
    }

    /// The audit events so far.
    pub fn audit_events(&self) -> Vec<AuditEvent> {
        self.audit.events()
    }

    /// The reason of the last `ended` audit event.
    pub fn ended_reason(&self) -> Option<ReasonCode> {
        self.audit.events().iter().rev().find_map(|e| match &e.kind {
            AuditKind::Ended { reason, .. } => Some(*reason),
            _ => None,
        })
    }

    /// Waits until the relay holds no registration (the wipe abandons them in the background).
    pub async fn relay_drained(&self) -> bool {
        let relay = self.stack.relay().state().clone();
        tokio::time::timeout(STEP, async move {
            while relay.pending_registrations() > 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .is_ok()
    }
}

/// The reason on a "could not complete" view.
pub fn reason_of(v: &ViewUpdate) -> Option<ReasonCode> {
    match &v.view {
        View::CouldNotComplete { reason, .. } => Some(reason.0),
        _ => None,
    }
}
