//! The orchestrator against in-memory fake ports: ordering and lifecycle rules that do not need
//! a tenant — a callback that overtakes its own request, the Face Check result's dwell, answers
//! for a wiped session, commands that do not apply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use reclaim_core::{
    AdapterFailure, AuditKey, AuditKind, DirectoryUser, EligibilityFacts, EligibilityResult,
    NameCandidates, NameQuery, NameSearch, PresentationSpec, ProviderEvent, TapCode, TapFailure,
    TapRequest, Upn,
};
use reclaim_engine::ports::{
    BoxFuture, CallbackTarget, CaptureError, CaptureSession, CreatedPresentation, Directory,
    Events, ExpectedReturn, HostedLinkRequest, IdentityProvider, IssuanceStatus, IssuedTap,
    PresentationService, Registered, Registration, ReturnRefused, StationEvent, Verdict,
};
use reclaim_engine::{
    DocumentKind, Engine, EngineError, EngineSettings, ManualClock, MemoryAudit, Ports,
    ProviderCard, ScanPath, Shot, StationMode, StationProvider, View, ViewUpdate,
};
use serde_json::json;
use tokio::sync::{Notify, mpsc, watch};

#[derive(Debug, Default)]
struct Gate(Option<Arc<Notify>>);

impl Gate {
    async fn pass(&self) {
        if let Some(n) = &self.0 {
            n.notified().await;
        }
    }
}

#[derive(Debug, Default)]
struct FakeDirectory {
    gate: Gate,
    /// The next this many deletes fail.
    delete_failures: std::sync::atomic::AtomicU32,
    /// Method ids deleted.
    deleted: Mutex<Vec<String>>,
}

fn user() -> DirectoryUser {
    serde_json::from_value(json!({"id": "u1", "userPrincipalName": "ana@x.example",
        "givenName": "Ana", "surname": "Lima", "accountEnabled": true, "userType": "Member"}))
    .unwrap()
}

fn facts() -> EligibilityFacts {
    EligibilityFacts {
        user: user(),
        member_groups: vec!["g1".into()],
        vc_policy: serde_json::from_value(json!({"state": "enabled", "includeTargets": [
            {"id": "g1", "targetType": "group", "verifiedIdProfiles": ["p1"]}]}))
        .unwrap(),
        profiles: vec![serde_json::from_value(json!({
            "id": "p1", "state": "enabled", "verifierDid": "did:web:verifier.example", "priority": 1,
            "verifiedIdProfileConfiguration": {"type": "verifiedIdentity",
                "acceptedIssuer": "did:web:idv.example", "claimBindings": [
                {"sourceAttribute": "First name", "verifiedIdClaim": "vc.credentialSubject.firstName"},
                {"sourceAttribute": "Last name", "verifiedIdClaim": "vc.credentialSubject.lastName"}]},
            "faceCheckConfiguration": {"isEnabled": true, "sourcePhotoClaimName": "portrait"},
            "verifiedIdUsageConfigurations": [{"isEnabledForTestOnly": false, "purpose": "recovery"}]
        }))
        .unwrap()],
        tap_policy: serde_json::from_value(json!({"state": "enabled", "isUsableOnce": true,
            "includeTargets": [{"id": "g1", "targetType": "group"}]}))
        .unwrap(),
        role_template_ids: Vec::new(),
    }
}

impl Directory for FakeDirectory {
    fn eligibility<'a>(&'a self, _: &'a Upn) -> BoxFuture<'a, EligibilityResult> {
        Box::pin(async move {
            self.gate.pass().await;
            EligibilityResult::Found(Box::new(facts()))
        })
    }
    fn users_by_name<'a>(
        &'a self,
        _: &'a [NameQuery],
        _: &'a NameSearch,
    ) -> BoxFuture<'a, Result<NameCandidates, AdapterFailure>> {
        Box::pin(async { Ok(vec![user()].into()) })
    }
    fn create_tap<'a>(
        &'a self,
        _: &'a str,
        r: TapRequest,
    ) -> BoxFuture<'a, Result<IssuedTap, TapFailure>> {
        Box::pin(async move {
            Ok(IssuedTap {
                code: TapCode::new("k7Q+2rZa"),
                method_id: "m1".into(),
                starts_at: time::OffsetDateTime::UNIX_EPOCH,
                lifetime_in_minutes: r.lifetime_in_minutes,
            })
        })
    }
    fn fresh_facts<'a>(&'a self, _: &'a str) -> BoxFuture<'a, EligibilityResult> {
        Box::pin(async { EligibilityResult::Found(Box::new(facts())) })
    }
    fn taps_created_since<'a>(
        &'a self,
        _: &'a str,
        _: time::OffsetDateTime,
    ) -> BoxFuture<'a, Result<Vec<String>, AdapterFailure>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn delete_tap<'a>(
        &'a self,
        _: &'a str,
        method: &'a str,
    ) -> BoxFuture<'a, Result<(), AdapterFailure>> {
        Box::pin(async move {
            use std::sync::atomic::Ordering;
            let failing = self
                .delete_failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if failing {
                return Err(AdapterFailure::Unavailable);
            }
            self.deleted.lock().unwrap().push(method.to_owned());
            Ok(())
        })
    }
    fn probe(&self) -> BoxFuture<'_, Result<(), AdapterFailure>> {
        Box::pin(async { Ok(()) })
    }
}

#[derive(Debug, Default)]
struct FakePresentations {
    gate: Gate,
    created: Mutex<u32>,
}

impl PresentationService for FakePresentations {
    fn create<'a>(
        &'a self,
        _: &'a PresentationSpec,
        _: &'a CallbackTarget,
    ) -> BoxFuture<'a, Result<CreatedPresentation, AdapterFailure>> {
        Box::pin(async move {
            self.gate.pass().await;
            let n = {
                let mut c = self.created.lock().unwrap();
                *c += 1;
                *c
            };
            Ok(CreatedPresentation {
                request_id: format!("req-{n}"),
                url: format!("openid-vc://?request_uri=https://vc.example/req-{n}"),
                expiry: 0,
            })
        })
    }
}

#[derive(Debug)]
struct FakeProvider;

impl IdentityProvider for FakeProvider {
    fn hosted_link<'a>(
        &'a self,
        _: &'a str,
        r: &'a HostedLinkRequest,
    ) -> BoxFuture<'a, Result<String, AdapterFailure>> {
        Box::pin(async move { Ok(format!("https://idv.example/start?rid={}", r.request_id)) })
    }
    fn create_capture<'a>(
        &'a self,
        _: &'a str,
        _: DocumentKind,
    ) -> BoxFuture<'a, Result<CaptureSession, CaptureError>> {
        Box::pin(async { Err(CaptureError::Failed(AdapterFailure::Unavailable)) })
    }
    fn upload<'a>(
        &'a self,
        _: &'a CaptureSession,
        _: Shot,
        _: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), CaptureError>> {
        Box::pin(async { Err(CaptureError::Failed(AdapterFailure::Unavailable)) })
    }
    fn submit<'a>(&'a self, _: &'a CaptureSession) -> BoxFuture<'a, Result<Verdict, CaptureError>> {
        Box::pin(async { Err(CaptureError::Failed(AdapterFailure::Unavailable)) })
    }
    fn status<'a>(
        &'a self,
        _: &'a CaptureSession,
    ) -> BoxFuture<'a, Result<IssuanceStatus, AdapterFailure>> {
        Box::pin(async { Ok(IssuanceStatus::Pending) })
    }
    /// Proofs are the adapter's business (`callbacks.rs`, the system tests); this fake takes a
    /// return for what it says unless it says `proof=bad`.
    fn check_return(
        &self,
        _: &str,
        _: &ExpectedReturn,
        query: &BTreeMap<String, String>,
    ) -> Result<ProviderEvent, ReturnRefused> {
        match (query.get("proof").map(String::as_str), query.get("status").map(String::as_str)) {
            (Some("bad"), _) => Err(ReturnRefused::BadProof),
            (_, Some("issued")) => Ok(ProviderEvent::IdentityIssued),
            _ => Ok(ProviderEvent::IssuanceFailed),
        }
    }
}

#[derive(Debug)]
struct FakeRelay {
    registered: Mutex<Vec<Registration>>,
    abandoned: Mutex<Vec<String>>,
    events: Mutex<Option<mpsc::UnboundedReceiver<StationEvent>>>,
}

impl Events for FakeRelay {
    fn register<'a>(
        &'a self,
        r: &'a Registration,
    ) -> BoxFuture<'a, Result<Registered, AdapterFailure>> {
        self.registered.lock().unwrap().push(r.clone());
        Box::pin(async move {
            Ok(Registered {
                callback_url: "https://relay.example/v1/callbacks/vc".into(),
                return_url: Some(format!("https://relay.example/v1/return/{}", r.state)),
            })
        })
    }
    fn abandon<'a>(&'a self, state: &'a str) -> BoxFuture<'a, Result<(), AdapterFailure>> {
        self.abandoned.lock().unwrap().push(state.to_owned());
        Box::pin(async { Ok(()) })
    }
    fn subscribe(&self) -> BoxStream<'static, StationEvent> {
        match self.events.lock().unwrap().take() {
            Some(rx) => {
                futures::stream::unfold(
                    rx,
                    |mut rx| async move { rx.recv().await.map(|e| (e, rx)) },
                )
                .boxed()
            }
            None => futures::stream::pending().boxed(),
        }
    }
    fn probe(&self) -> BoxFuture<'_, Result<(), AdapterFailure>> {
        Box::pin(async { Ok(()) })
    }
}

struct Rig {
    engine: Engine,
    rx: watch::Receiver<ViewUpdate>,
    /// Every update in order: the TAP is only in the one that first shows it.
    sent: tokio::sync::broadcast::Receiver<ViewUpdate>,
    relay: Arc<FakeRelay>,
    events: mpsc::UnboundedSender<StationEvent>,
    audit: Arc<MemoryAudit>,
    eligibility: Arc<Notify>,
    presentation: Arc<Notify>,
    directory: Arc<FakeDirectory>,
    clock: ManualClock,
}

fn rig(dwell: Duration, gated: bool) -> Rig {
    rig_with(dwell, gated, Duration::ZERO)
}

fn rig_with(dwell: Duration, gated: bool, eligibility_floor: Duration) -> Rig {
    let (events, rx) = mpsc::unbounded_channel();
    let relay = Arc::new(FakeRelay {
        registered: Mutex::new(Vec::new()),
        abandoned: Mutex::new(Vec::new()),
        events: Mutex::new(Some(rx)),
    });
    let (eligibility, presentation) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let audit = Arc::new(MemoryAudit::new());
    let clock = ManualClock::starting_now();
    let directory = Arc::new(FakeDirectory {
        gate: Gate(gated.then(|| eligibility.clone())),
        ..FakeDirectory::default()
    });
    let ports = Ports {
        directory: directory.clone(),
        presentations: Arc::new(FakePresentations {
            gate: Gate(gated.then(|| presentation.clone())),
            created: Mutex::new(0),
        }),
        provider: Arc::new(FakeProvider),
        events: relay.clone(),
        clock: Arc::new(clock.clone()),
        audit: audit.clone(),
        limits: Arc::new(reclaim_engine::MemoryLimits::new()),
        records: Arc::new(reclaim_engine::adapters::NoRecords),
        notifier: Arc::new(reclaim_engine::adapters::NoNotifier),
    };
    let mut settings = EngineSettings::new(
        "kiosk-test",
        StationMode::Demo,
        AuditKey::new(b"test-key".to_vec()),
        vec![StationProvider {
            card: ProviderCard {
                id: "idv".into(),
                display_name: "IDV".into(),
                documents: vec![DocumentKind::Passport],
                needs_phone: true,
                link_only: false,
            },
            issuer_did: "did:web:idv.example".into(),
            onboarding_url: None,
        }],
    );
    settings.preflight_interval = None;
    settings.result_dwell = dwell;
    settings.tap_cleanup.first_retry = Duration::from_millis(10);
    settings.tap_cleanup.max_retry = Duration::from_millis(20);
    // The manual clock only moves when a test moves it: no padding unless a test asks for it.
    settings.eligibility_answer_floor = eligibility_floor;
    let engine = Engine::spawn(ports, settings);
    let rx = engine.subscribe();
    let sent = engine.updates();
    Rig { engine, rx, sent, relay, events, audit, eligibility, presentation, directory, clock }
}

impl Rig {
    async fn wait(&mut self, what: &str, pred: impl FnMut(&ViewUpdate) -> bool) -> ViewUpdate {
        match tokio::time::timeout(Duration::from_secs(30), self.rx.wait_for(pred)).await {
            Ok(Ok(v)) => v.clone(),
            _ => panic!("no {what}; last view {:?}", self.engine.current()),
        }
    }

    /// The update that carried the pass: the engine sends it once and keeps no copy.
    async fn sent_tap(&mut self) -> ViewUpdate {
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                match self.sent.recv().await {
                    Ok(v) if matches!(&v.view, View::Tap { tap } if !tap.groups.is_empty()) => {
                        return v;
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(e) => panic!("the engine stopped: {e}"),
                }
            }
        });
        found.await.unwrap_or_else(|_| panic!("no TAP sent; last view {:?}", self.engine.current()))
    }

    fn state_of(&self, n: usize) -> String {
        self.relay.registered.lock().unwrap()[n].state.clone()
    }

    fn callback(&self, state: &str, body: serde_json::Value) {
        let mut body = body;
        body["state"] = json!(state);
        self.events.send(StationEvent::Callback { state: state.to_owned(), body }).unwrap();
    }

    /// Begin → UPN → provider → hosted link → the phone comes back: a presentation is asked for.
    async fn reach_the_presentation(&mut self) {
        self.engine.begin().await.unwrap();
        self.engine.submit_upn("ana@x.example".into()).await.unwrap();
        self.wait("the providers", |v| matches!(v.view, View::ChooseProvider { .. })).await;
        self.engine.choose_provider("idv".into(), ScanPath::Phone).await.unwrap();
        self.wait("the link", |v| matches!(&v.view, View::ScanId { link: Some(_), .. })).await;
        let state = self.state_of(0);
        let query: BTreeMap<String, String> =
            [("status".to_owned(), "issued".to_owned())].into_iter().collect();
        self.events.send(StationEvent::ProviderReturn { state, query }).unwrap();
        self.wait("Open Authenticator", |v| matches!(v.view, View::OpenAuthenticator { .. })).await;
    }
}

fn verified(request: &str, score: f64) -> serde_json::Value {
    json!({"requestId": request, "requestStatus": "presentation_verified",
        "verifiedCredentialsData": [{"issuer": "did:web:idv.example",
            "type": ["VerifiableCredential", "verifiedIdentity"],
            "claims": {"firstName": "Ana", "lastName": "Lima", "portrait": "AAAA"},
            "credentialState": {"revocationStatus": "VALID"},
            // Issued by the provider in this session, as the Request Service reports it.
            "issuanceDate": time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap(),
            "faceCheck": {"matchConfidenceScore": score, "sourcePhotoQuality": "HIGH"}}]})
}

#[tokio::test]
async fn a_callback_that_overtakes_its_created_request_is_not_lost() {
    let mut r = rig(Duration::ZERO, true);
    r.engine.begin().await.unwrap();
    r.engine.submit_upn("ana@x.example".into()).await.unwrap();
    r.eligibility.notify_one();
    r.wait("the providers", |v| matches!(v.view, View::ChooseProvider { .. })).await;
    r.engine.choose_provider("idv".into(), ScanPath::Phone).await.unwrap();
    r.wait("the link", |v| matches!(&v.view, View::ScanId { link: Some(_), .. })).await;
    let ret = r.state_of(0);
    r.events
        .send(StationEvent::ProviderReturn {
            state: ret,
            query: [("status".to_owned(), "issued".to_owned())].into_iter().collect(),
        })
        .unwrap();
    r.wait("Open Authenticator", |v| matches!(v.view, View::OpenAuthenticator { qr: None })).await;
    // The presentation is registered but its create call has not answered: the callbacks come first.
    let mut tries = 0;
    let state = loop {
        if r.relay.registered.lock().unwrap().len() == 2 {
            break r.state_of(1);
        }
        tries += 1;
        assert!(tries < 10_000, "the presentation was never registered");
        tokio::task::yield_now().await;
    };
    r.callback(&state, json!({"requestId": "req-1", "requestStatus": "request_retrieved"}));
    r.callback(&state, verified("req-1", 91.0));
    // Let the relay events reach the engine (one thread: yielding runs every ready task).
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(matches!(r.engine.current().view, View::OpenAuthenticator { qr: None }));
    r.presentation.notify_one();
    let v = r.sent_tap().await;
    let View::Tap { tap } = &v.view else { unreachable!() };
    assert_eq!(tap.code(), "k7Q+2rZa");
    // Sent once: the engine's current view no longer holds it.
    r.wait("the TAP screen", |v| matches!(v.view, View::Tap { .. })).await;
    let View::Tap { tap: kept } = r.engine.current().view else { unreachable!() };
    assert!(kept.groups.is_empty(), "the engine kept the pass after sending it");
    assert_eq!(tap.expires_at, "1970-01-01T01:00:00Z");
}

#[tokio::test(start_paused = true)]
async fn the_next_screen_waits_for_the_dwell_to_end() {
    let mut r = rig(Duration::from_secs(3), false);
    r.reach_the_presentation().await;
    let state = r.state_of(1);
    r.wait("the QR", |v| matches!(v.view, View::OpenAuthenticator { qr: Some(_) })).await;
    let start = tokio::time::Instant::now();
    r.callback(
        &state,
        json!({"requestId": "req-1", "requestStatus": "presentation_error",
        "error": {"code": "claimValidationError"}}),
    );
    r.wait("the failed result", |v| matches!(v.view, View::FaceCheckResult { passed: false, .. }))
        .await;
    r.wait("the retry QR", |v| matches!(v.view, View::OpenAuthenticator { .. })).await;
    assert!(start.elapsed() >= Duration::from_secs(3), "shown for {:?}", start.elapsed());
}

#[tokio::test]
async fn an_answer_for_a_wiped_session_is_dropped() {
    let mut r = rig(Duration::ZERO, true);
    r.engine.begin().await.unwrap();
    r.engine.submit_upn("ana@x.example".into()).await.unwrap();
    r.wait("checking", |v| matches!(v.view, View::Checking)).await;
    r.engine.cancel().await.unwrap();
    let v = r.wait("attract", |v| matches!(v.view, View::Attract)).await;
    assert!(v.reset);
    // The directory answers after the wipe: nothing happens.
    r.eligibility.notify_one();
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert_eq!(r.engine.current().seq, v.seq);
    assert!(matches!(r.engine.current().view, View::Attract));
    let ended =
        r.audit.events().iter().filter(|e| matches!(e.kind, AuditKind::Ended { .. })).count();
    assert_eq!(ended, 1);
}

#[tokio::test]
async fn commands_that_do_not_apply_change_nothing() {
    let mut r = rig(Duration::ZERO, false);
    r.wait("a ready station", |v| v.station.ready).await;
    assert_eq!(r.engine.submit_upn("ana@x.example".into()).await, Err(EngineError::NotNow));
    assert_eq!(r.engine.done().await, Err(EngineError::NotNow));
    assert_eq!(r.engine.cancel().await, Err(EngineError::NotNow));
    assert_eq!(r.engine.capture(Shot::Front, vec![1]).await, Err(EngineError::CameraUnavailable));
    assert_eq!(
        r.engine.capture(Shot::Front, Vec::new()).await,
        Err(EngineError::InvalidInput("empty image"))
    );
    r.engine.begin().await.unwrap();
    assert_eq!(r.engine.begin().await, Err(EngineError::NotNow), "a double tap");
    assert_eq!(
        r.engine.submit_upn("x".repeat(2000)).await,
        Err(EngineError::InvalidInput("account name too long"))
    );
    // A malformed account name is the core's business: the identify screen says so.
    r.engine.submit_upn("not an account".into()).await.unwrap();
    r.wait("invalid", |v| matches!(v.view, View::Identify { invalid: true })).await;
    r.engine.submit_upn("ana@x.example".into()).await.unwrap();
    r.wait("the providers", |v| matches!(v.view, View::ChooseProvider { .. })).await;
    assert_eq!(
        r.engine.choose_provider("idv".into(), ScanPath::Camera).await,
        Err(EngineError::CameraUnavailable)
    );
    assert_eq!(
        r.engine.choose_provider("nobody".into(), ScanPath::Phone).await,
        Err(EngineError::NotNow)
    );
    r.engine.cancel().await.unwrap();
    r.wait("attract", |v| matches!(v.view, View::Attract) && v.reset).await;
    assert_eq!(r.relay.abandoned.lock().unwrap().len(), 0, "nothing was registered");
    r.engine.shutdown().await;
    assert_eq!(r.engine.begin().await, Err(EngineError::EngineStopped));
}

#[tokio::test]
async fn a_provider_return_without_a_valid_proof_moves_nothing_and_is_audited() {
    let mut r = rig(Duration::ZERO, false);
    r.engine.begin().await.unwrap();
    r.engine.submit_upn("ana@x.example".into()).await.unwrap();
    r.wait("the providers", |v| matches!(v.view, View::ChooseProvider { .. })).await;
    r.engine.choose_provider("idv".into(), ScanPath::Phone).await.unwrap();
    r.wait("the link", |v| matches!(&v.view, View::ScanId { link: Some(_), .. })).await;
    let state = r.state_of(0);
    let forged: BTreeMap<String, String> =
        [("status", "issued"), ("proof", "bad")].map(|(k, v)| (k.to_owned(), v.to_owned())).into();
    r.events.send(StationEvent::ProviderReturn { state: state.clone(), query: forged }).unwrap();
    let refused = |r: &Rig| {
        r.audit.events().iter().any(|e| {
            matches!(&e.kind, AuditKind::ProviderReturnRefused { provider, cause }
                if provider == "idv" && cause == "bad_proof")
        })
    };
    let mut tries = 0;
    while !refused(&r) {
        tries += 1;
        assert!(tries < 10_000, "the refusal was never audited: {:?}", r.audit.lines());
        tokio::task::yield_now().await;
    }
    // The session stays on the scan step: no presentation was asked for, nothing was issued.
    assert!(matches!(r.rx.borrow().view, View::ScanId { .. }), "{:?}", r.rx.borrow().view);
    assert_eq!(r.relay.registered.lock().unwrap().len(), 1, "no presentation registered");
    assert!(
        !r.audit.events().iter().any(|e| matches!(e.kind, AuditKind::IdentityIssued { .. })),
        "{:?}",
        r.audit.lines()
    );
    // The proven return still counts.
    let proven: BTreeMap<String, String> =
        [("status", "issued"), ("proof", "good")].map(|(k, v)| (k.to_owned(), v.to_owned())).into();
    r.events.send(StationEvent::ProviderReturn { state, query: proven }).unwrap();
    r.wait("Open Authenticator", |v| matches!(v.view, View::OpenAuthenticator { .. })).await;
}

#[tokio::test]
async fn a_tap_cancelled_on_screen_is_deleted_with_retries_and_audited() {
    let mut r = rig(Duration::ZERO, false);
    r.directory.delete_failures.store(2, std::sync::atomic::Ordering::SeqCst);
    r.reach_the_presentation().await;
    let state = r.state_of(1);
    r.callback(&state, json!({"requestId": "req-1", "requestStatus": "request_retrieved"}));
    r.callback(&state, verified("req-1", 91.0));
    r.wait("the TAP", |v| matches!(v.view, View::Tap { .. })).await;
    // Walks away without confirming: Cancel on the TAP screen.
    r.engine.cancel().await.unwrap();
    r.wait("attract", |v| matches!(v.view, View::Attract)).await;
    let mut tries = 0;
    while !r.audit.lines().iter().any(|l| l.contains("\"event\":\"tap_deleted\"")) {
        tries += 1;
        assert!(tries < 500, "never deleted: {:?}", r.audit.lines());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*r.directory.deleted.lock().unwrap(), ["m1"]);
    let lines = r.audit.lines();
    let failed: Vec<&String> =
        lines.iter().filter(|l| l.contains("\"event\":\"tap_deletion_failed\"")).collect();
    assert_eq!(failed.len(), 2, "{lines:?}");
    assert!(failed.iter().all(|l| l.contains("\"gave_up\":false")));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"event\":\"tap_deletion_requested\",\"method_known\":true"))
    );
    assert!(lines.iter().any(|l| l.contains("\"reason\":\"cancelled\"")));
    assert!(lines.iter().all(|l| !l.contains("k7Q+2rZa")), "the TAP in the audit");
}

/// Same answer, same time (issue 13 item 8): the directory answered at once, yet the answer is
/// held until the floor has passed on the session clock (the clock port, here moved by hand).
#[tokio::test]
async fn the_eligibility_answer_waits_for_the_floor_on_the_session_clock() {
    let mut r = rig_with(Duration::ZERO, false, Duration::from_secs(2));
    r.engine.begin().await.unwrap();
    r.engine.submit_upn("ana@x.example".into()).await.unwrap();
    r.wait("checking", |v| matches!(v.view, View::Checking)).await;
    let settle = || async {
        for _ in 0..200 {
            tokio::task::yield_now().await;
        }
    };
    settle().await;
    assert!(matches!(r.engine.current().view, View::Checking), "answered before the floor");
    r.clock.advance(Duration::from_millis(1999));
    settle().await;
    assert!(matches!(r.engine.current().view, View::Checking), "answered before the floor");
    r.clock.advance(Duration::from_millis(1));
    r.wait("the providers", |v| matches!(v.view, View::ChooseProvider { .. })).await;
}
