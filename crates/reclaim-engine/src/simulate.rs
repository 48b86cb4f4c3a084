//! `reclaim simulate` (feature `demo`): one whole recovery against the in-process demo stack,
//! the phone played through the emulator's control API, summed up in a one-line JSON report.
//! [`recover`] drives one recovery on an existing stack and engine (the benchmark reuses it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reclaim_core::{AuditKind, ReasonCode};
use serde::Serialize;
use tokio::sync::watch;

use crate::audit::{MemoryAudit, TeeAudit, TracingAudit};
use crate::demo::{CardImage, DemoError, DemoOptions, DemoStack, FaultSpec};
use crate::error::EngineError;
use crate::orchestrator::Engine;
use crate::settings::EngineSettings;
use crate::view::{CaptureStage, ScanPath, Shot, View, ViewUpdate};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// Demo persona (`ana`, `maria`, …): whose card the provider scans.
    pub persona: String,
    /// The account typed at the kiosk (default: the persona's).
    pub upn: Option<String>,
    /// The Face Check score the phone presents with.
    pub score: f64,
    /// Provider id (default: the first one offered).
    pub provider: Option<String>,
    /// Phone (hosted flow) or the kiosk camera.
    pub path: ScanPath,
    /// Faults to inject.
    pub faults: Vec<FaultSpec>,
    /// Put the TAP in the report.
    pub show_tap: bool,
    /// Longest wait for any one screen.
    pub step_timeout: Duration,
}

impl SimulateOptions {
    /// A clean run for `persona` on the phone path with a passing score.
    pub fn new(persona: impl Into<String>) -> Self {
        Self {
            persona: persona.into(),
            upn: None,
            score: 90.0,
            provider: None,
            path: ScanPath::Phone,
            faults: Vec::new(),
            show_tap: false,
            step_timeout: Duration::from_secs(60),
        }
    }
}

/// How the recovery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// A TAP was shown.
    TapIssued,
    /// Verified in evaluation mode; nothing issued.
    EvaluationVerified,
    /// Any other ending.
    CouldNotComplete,
}

/// The profile's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// TAPs are issued.
    Production,
    /// Verify only.
    Evaluation,
}

/// The one JSON line `reclaim simulate` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulateReport {
    /// How it ended.
    pub outcome: Outcome,
    /// The reason code (wire string, e.g. `tap_issued`, `name_mismatch`).
    pub reason: ReasonCode,
    /// The resolved profile's mode; `null` when no profile applied.
    pub mode: Option<Mode>,
    /// The passing Face Check score (the service gives none for a failure).
    pub face_check_score: Option<f64>,
    /// A TAP was created and shown.
    pub tap_issued: bool,
    /// The helpdesk reference.
    pub reference: String,
    /// Milliseconds per wizard step (`identify`, `chooseProvider`, `scanId`, `faceCheck`,
    /// `result`) and `total`.
    pub timings_ms: BTreeMap<&'static str, u64>,
    /// The TAP, only with `--show-tap`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tap: Option<String>,
}

/// Why a simulation could not run to an outcome.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The demo stack or a control call failed.
    #[error(transparent)]
    Demo(#[from] DemoError),
    /// The engine refused a command.
    #[error("engine: {0}")]
    Engine(#[from] EngineError),
    /// A screen did not come in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// No such persona in the tenant.
    #[error("no persona named {0:?} in the demo tenant")]
    UnknownPersona(String),
    /// The chosen provider is not offered to this account.
    #[error("provider {0:?} is not offered for this account")]
    ProviderNotOffered(String),
    /// The recovery ended without an audit record.
    #[error("no audit record of the outcome")]
    NoOutcome,
}

/// Settings for simulations: no result dwell, fast polling, 30 s step timeouts (so a lost
/// callback ends as `presentation_expired` in half a minute), no periodic pre-flight.
pub fn simulation_settings(stack: &DemoStack) -> EngineSettings {
    let mut s = stack.settings();
    s.camera_available = true;
    s.result_dwell = Duration::ZERO;
    s.capture_poll_interval = Duration::from_millis(50);
    s.preflight_interval = None;
    let t = &mut s.config.timeouts;
    t.eligibility_secs = 30;
    t.scan_id_secs = 60;
    t.issuance_secs = 60;
    t.presentation_secs = 30;
    t.verifying_secs = 30;
    t.issuing_tap_secs = 30;
    s
}

/// Starts a demo stack and an engine, runs one recovery, stops everything.
pub async fn run(options: SimulateOptions) -> Result<SimulateReport, SimulateError> {
    let stack =
        DemoStack::start(DemoOptions { camera_available: true, ..DemoOptions::default() }).await?;
    let memory = Arc::new(MemoryAudit::new());
    let mut ports = stack.ports();
    ports.audit = Arc::new(TeeAudit(vec![memory.clone(), Arc::new(TracingAudit)]));
    let engine = Engine::spawn(ports, simulation_settings(&stack));
    let report = recover(&stack, &engine, &memory, &options).await;
    engine.shutdown().await;
    stack.shutdown().await;
    report
}

async fn wait(
    rx: &mut watch::Receiver<ViewUpdate>,
    timeout: Duration,
    what: &'static str,
    pred: impl FnMut(&ViewUpdate) -> bool,
) -> Result<ViewUpdate, SimulateError> {
    match tokio::time::timeout(timeout, rx.wait_for(pred)).await {
        Ok(Ok(v)) => Ok(v.clone()),
        Ok(Err(_)) => Err(SimulateError::Engine(EngineError::EngineStopped)),
        Err(_) => Err(SimulateError::Timeout(what)),
    }
}

/// True for the three outcome screens (TAP, evaluation result, could not complete).
pub fn is_outcome(v: &ViewUpdate) -> bool {
    matches!(v.view, View::Tap { .. } | View::EvaluationResult | View::CouldNotComplete { .. })
}

/// Records when each wizard step first appears.
struct Timeline {
    marks: Arc<Mutex<Vec<(Duration, u8)>>>,
    seen: watch::Receiver<u64>,
    task: tokio::task::JoinHandle<()>,
    start: Instant,
}

impl Timeline {
    fn start(engine: &Engine) -> Self {
        let mut updates = engine.updates();
        let marks = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let m = marks.clone();
        let (seen_tx, seen) = watch::channel(0u64);
        let task = tokio::spawn(async move {
            loop {
                match updates.recv().await {
                    Ok(u) => {
                        if let Some(step) = u.step {
                            m.lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push((start.elapsed(), step.index));
                        }
                        seen_tx.send_replace(u.seq);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        });
        Self { marks, seen, task, start }
    }

    async fn finish(mut self, last_seq: u64) -> BTreeMap<&'static str, u64> {
        let total = self.start.elapsed();
        // Let the recorder catch up with the last update before reading its marks.
        let _ =
            tokio::time::timeout(Duration::from_secs(2), self.seen.wait_for(|s| *s >= last_seq))
                .await;
        self.task.abort();
        let marks = self.marks.lock().unwrap_or_else(PoisonError::into_inner).clone();
        step_durations(&marks, total)
    }
}

/// Milliseconds each wizard step was on screen, from the marks (time since start, step index)
/// and the total. The recorder runs on another task and may push the last step's mark after
/// `total` was taken: the total is stretched to cover every mark, and no difference is
/// allowed to go negative (issue 12: "overflow when subtracting durations").
fn step_durations(marks: &[(Duration, u8)], total: Duration) -> BTreeMap<&'static str, u64> {
    const NAMES: [&str; 5] = ["identify", "chooseProvider", "scanId", "faceCheck", "result"];
    let total = marks.iter().map(|(t, _)| *t).fold(total, Duration::max);
    let first = |i: u8| marks.iter().find(|(_, s)| *s == i).map(|(t, _)| *t);
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let mut out = BTreeMap::new();
    for (i, name) in (1u8..).zip(NAMES) {
        let Some(from) = first(i) else { continue };
        let until = marks.iter().find(|(t, s)| *s > i && *t >= from).map_or(total, |(t, _)| *t);
        out.insert(name, millis(until.saturating_sub(from)));
    }
    out.insert("total", millis(total));
    out
}

/// Runs one whole recovery on `engine` (which must sit at Attract), playing the phone, and
/// reads the outcome from `audit` (the engine's audit sink).
pub async fn recover(
    stack: &DemoStack,
    engine: &Engine,
    audit: &MemoryAudit,
    o: &SimulateOptions,
) -> Result<SimulateReport, SimulateError> {
    let t = o.step_timeout;
    let mut rx = engine.subscribe();
    let persona = stack
        .emulator()
        .state
        .fixture()
        .persona(&o.persona)
        .ok_or_else(|| SimulateError::UnknownPersona(o.persona.clone()))?
        .clone();
    let upn = o.upn.clone().unwrap_or_else(|| persona.user_principal_name.clone());
    let (tenant, phone) = (stack.tenant(), stack.phone());
    for f in &o.faults {
        if let FaultSpec::Rule(rule) = f {
            tenant.add_fault(rule.clone()).await?;
        }
    }
    let expire_tokens = o.faults.contains(&FaultSpec::ExpireTokens);
    let relay_drop = o.faults.contains(&FaultSpec::RelayDrop);
    let mark = audit.events().len();
    let timeline = Timeline::start(engine);
    let mut tap = None;

    wait(&mut rx, t, "the attract screen", |v| {
        matches!(v.view, View::Attract | View::OutOfService { .. })
    })
    .await?;
    engine.begin().await?;
    engine.submit_upn(upn).await?;
    let v = wait(&mut rx, t, "the provider choice", |v| {
        matches!(v.view, View::ChooseProvider { .. }) || is_outcome(v)
    })
    .await?;
    if let View::ChooseProvider { providers, .. } = &v.view {
        if expire_tokens {
            tenant.expire_tokens().await?;
        }
        let provider = o
            .provider
            .clone()
            .or_else(|| providers.first().map(|p| p.id.clone()))
            .unwrap_or_default();
        if !providers.iter().any(|p| p.id == provider) {
            engine.cancel().await?;
            return Err(SimulateError::ProviderNotOffered(provider));
        }
        engine.choose_provider(provider.clone(), o.path).await?;
        match o.path {
            ScanPath::Phone => {
                let v = wait(&mut rx, t, "the hosted link", |v| {
                    matches!(&v.view, View::ScanId { link: Some(_), .. }) || is_outcome(v)
                })
                .await?;
                if let View::ScanId { link: Some(qr), .. } = &v.view {
                    phone.complete_hosted_flow(&provider, &qr.url, &persona.key).await?;
                }
            }
            ScanPath::Camera => camera(stack, engine, &mut rx, t, &persona.key).await?,
        }
        let mut last: Option<String> = None;
        loop {
            let v = wait(&mut rx, t, "the Authenticator QR", |v| {
                matches!(&v.view, View::OpenAuthenticator { qr: Some(q) } if Some(&q.url) != last.as_ref())
                    || is_outcome(v)
            })
            .await?;
            let View::OpenAuthenticator { qr: Some(qr) } = &v.view else { break };
            last = Some(qr.url.clone());
            if relay_drop {
                stack.relay_link().set_up(false);
            }
            let played = async {
                phone.open(&qr.url).await?;
                phone.present(o.score).await
            }
            .await;
            if relay_drop {
                stack.relay_link().set_up(true);
            }
            played?;
        }
    }
    let v = wait(&mut rx, t, "the outcome", is_outcome).await?;
    if let View::Tap { tap: shown } = &v.view {
        tap = Some(shown.code());
    }
    engine.done().await?;
    let end =
        wait(&mut rx, t, "the attract screen after the wipe", |v| matches!(v.view, View::Attract))
            .await?;
    let timings_ms = timeline.finish(end.seq).await;

    let events = audit.events();
    let events = events.get(mark..).unwrap_or_default();
    let mut report = SimulateReport {
        outcome: Outcome::CouldNotComplete,
        reason: ReasonCode::Cancelled,
        mode: None,
        face_check_score: None,
        tap_issued: false,
        reference: String::new(),
        timings_ms,
        tap: None,
    };
    let mut ended = false;
    for e in events {
        match &e.kind {
            AuditKind::ProfileResolved { profile_id: Some(_), evaluation_mode, .. } => {
                report.mode =
                    Some(if *evaluation_mode { Mode::Evaluation } else { Mode::Production });
            }
            AuditKind::PresentationVerified { face_check_score, .. } => {
                report.face_check_score = Some(*face_check_score);
            }
            AuditKind::Ended { reason, reference } => {
                ended = true;
                report.reason = *reason;
                report.reference = reference.clone();
            }
            _ => {}
        }
    }
    if !ended {
        return Err(SimulateError::NoOutcome);
    }
    report.outcome = match report.reason {
        ReasonCode::TapIssued => Outcome::TapIssued,
        ReasonCode::EvaluationModeVerified => Outcome::EvaluationVerified,
        _ => Outcome::CouldNotComplete,
    };
    report.tap_issued = report.reason == ReasonCode::TapIssued;
    if o.show_tap {
        report.tap = tap;
    }
    Ok(report)
}

/// The camera path: shows the persona's rendered card (front, back when asked) and selfie to
/// the engine as the UI would, then adds the offered credential to the phone.
async fn camera(
    stack: &DemoStack,
    engine: &Engine,
    rx: &mut watch::Receiver<ViewUpdate>,
    t: Duration,
    persona: &str,
) -> Result<(), SimulateError> {
    let tenant = stack.tenant();
    let front = tenant.card(persona, CardImage::Front).await?;
    let back = tenant.card(persona, CardImage::Back).await?;
    let selfie = tenant.card(persona, CardImage::Selfie).await?;
    let mut seen = 0u64;
    let mut last = Shot::Front;
    loop {
        let v = wait(rx, t, "the next camera step", |v| {
            v.seq > seen
                && (matches!(&v.view, View::ScanId { capture: Some(s), .. } if *s != CaptureStage::Uploading)
                    || matches!(v.view, View::AddToAuthenticator { .. })
                    || is_outcome(v))
        })
        .await?;
        seen = v.seq;
        let shot = match &v.view {
            View::ScanId { capture: Some(CaptureStage::Front), .. } => Shot::Front,
            View::ScanId { capture: Some(CaptureStage::Back), .. } => Shot::Back,
            View::ScanId { capture: Some(CaptureStage::Selfie), .. } => Shot::Selfie,
            View::ScanId { capture: Some(CaptureStage::Retake), .. } => last,
            View::AddToAuthenticator { qr } => {
                stack.phone().open(&qr.url).await?;
                return Ok(());
            }
            _ => return Ok(()),
        };
        let image = match shot {
            Shot::Front => front.clone(),
            Shot::Back => back.clone(),
            Shot::Selfie => selfie.clone(),
        };
        last = shot;
        engine.capture(shot, image).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_recorded_after_the_total_does_not_panic() {
        let ms = Duration::from_millis;
        // The result screen's mark arrived 5 ms after `total` was taken (issue 12).
        let marks = [(ms(10), 1), (ms(40), 2), (ms(70), 3), (ms(90), 4), (ms(105), 5)];
        let out = step_durations(&marks, ms(100));
        assert_eq!(out["identify"], 30);
        assert_eq!(out["chooseProvider"], 30);
        assert_eq!(out["scanId"], 20);
        assert_eq!(out["faceCheck"], 15);
        assert_eq!(out["result"], 0);
        assert_eq!(out["total"], 105);
        // The usual order: the last step lasts until the total.
        let out = step_durations(&marks[..4], ms(100));
        assert_eq!(out["faceCheck"], 10);
        assert_eq!(out["total"], 100);
        assert!(!out.contains_key("result"));
    }
}
