//! The service-desk webhook against a local receiver: the signature verified by an independent
//! implementation (Python's stdlib), retries after a 500 and a dropped connection deliver each
//! event id exactly once and in order, a restarted sender sends only what is left, and a served
//! recovery on the emulated tenant reaches the receiver as `recovery.completed`.

#[path = "../../reclaim-engine/tests/common/mod.rs"]
mod common;
mod served;

use std::collections::VecDeque;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use reclaim_core::{AuditEvent, AuditKind, ReasonCode};
use reclaim_service::webhook::{Webhook, WebhookPayload, WebhookSecret, WebhookSettings};
use time::OffsetDateTime;
use tokio::sync::Notify;
use uuid::Uuid;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// What the receiver does with the next request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(u16),
    /// Close the connection without answering.
    Drop,
}

/// One request as received.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    answered: Option<u16>,
}

#[derive(Debug, Default)]
struct Receiver {
    /// Scripted answers; when empty, `fallback`.
    script: Mutex<VecDeque<Answer>>,
    fallback: Mutex<Option<Answer>>,
    log: Mutex<Vec<Received>>,
    kill: Notify,
}

impl Receiver {
    #[allow(clippy::unwrap_used)]
    fn accepted_ids(&self) -> Vec<String> {
        let log = self.log.lock().unwrap();
        log.iter().filter(|r| r.answered == Some(200)).map(|r| r.id.clone()).collect()
    }
}

#[allow(clippy::unwrap_used)]
async fn handle(
    State(rx): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, StatusCode> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let answer = rx
        .script
        .lock()
        .unwrap()
        .pop_front()
        .or(*rx.fallback.lock().unwrap())
        .unwrap_or(Answer::Status(200));
    let answered = match answer {
        Answer::Status(s) => Some(s),
        Answer::Drop => None,
    };
    rx.log.lock().unwrap().push(Received {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body: body.to_vec(),
        answered,
    });
    match answer {
        Answer::Status(s) => Ok(StatusCode::from_u16(s).unwrap()),
        Answer::Drop => {
            // Every connection task drops its socket; this request is never answered.
            rx.kill.notify_waiters();
            std::future::pending::<()>().await;
            Err(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// An axum receiver on 127.0.0.1:0, its connections served one by one so one can be dropped.
#[allow(clippy::unwrap_used)]
async fn receiver(rx: Arc<Receiver>) -> SocketAddr {
    let app: Router = Router::new().route("/hook", post(handle)).with_state(rx.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let app = app.clone();
            let rx = rx.clone();
            tokio::spawn(async move {
                let kill = rx.kill.notified();
                tokio::pin!(kill);
                kill.as_mut().enable();
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
                tokio::select! {
                    _ = conn => {}
                    () = kill => {}
                }
            });
        }
    });
    addr
}

#[allow(clippy::unwrap_used)]
fn start(dir: &Path, addr: SocketAddr) -> Arc<Webhook> {
    let mut settings = WebhookSettings::new(
        format!("http://{addr}/hook").parse().unwrap(),
        WebhookSecret::parse(SECRET).unwrap(),
        None,
    );
    settings.initial_backoff = Duration::from_millis(10);
    settings.timeout = Duration::from_secs(10);
    Webhook::start(dir, settings).unwrap()
}

fn ended(reason: ReasonCode, reference: &str) -> AuditEvent {
    AuditEvent {
        at: OffsetDateTime::now_utc(),
        station_id: "Lobby kiosk".into(),
        session_id: Uuid::new_v4(),
        account_ref: None,
        kind: AuditKind::Ended { reason, reference: reference.into() },
    }
}

/// Waits (up to a generous deadline, not a timing assertion) until `n` entries are delivered.
async fn delivered(hook: &Webhook, n: u64) {
    for _ in 0..3000 {
        if hook.outbox().delivered() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("only {} of {n} events delivered", hook.outbox().delivered());
}

#[allow(clippy::unwrap_used)]
fn python_verifies(r: &Received) -> bool {
    let script = "import sys,hmac,hashlib,base64\n\
        s,i,t,sig=sys.argv[1:5]\n\
        b=sys.stdin.buffer.read()\n\
        k=base64.b64decode(s[len('whsec_'):] if s.startswith('whsec_') else s)\n\
        e='v1,'+base64.b64encode(hmac.new(k,(i+'.'+t+'.').encode()+b,hashlib.sha256).digest()).decode()\n\
        print('ok' if any(hmac.compare_digest(e,x) for x in sig.split(' ')) else 'bad')\n";
    let mut child = Command::new("python3")
        .args(["-c", script, SECRET, &r.id, &r.timestamp, &r.signature])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&r.body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim() == "ok"
}

#[tokio::test]
#[allow(clippy::unwrap_used)]
async fn signature_verifies_with_python() {
    let state = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    let addr = receiver(rx.clone()).await;
    let hook = start(state.path(), addr);
    let mut event = ended(ReasonCode::TapIssued, "RCL-7K2Q");
    event.account_ref = None;
    hook.station("station-01").write(&event);
    delivered(&hook, 1).await;
    hook.stop().await;

    let log = rx.log.lock().unwrap().clone();
    assert_eq!(log.len(), 1);
    let r = &log[0];
    assert!(r.id.starts_with("msg_") && !r.id.contains('.'));
    assert!(r.timestamp.parse::<i64>().is_ok());
    assert!(python_verifies(r), "Python rejected {r:?}");
    // A changed body or another secret does not verify.
    let mut tampered = r.clone();
    tampered.body.push(b' ');
    assert!(!python_verifies(&tampered));

    let payload: WebhookPayload = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(payload.kind, "recovery.completed");
    assert_eq!(payload.data.station, "station-01");
    assert_eq!(payload.data.reference.as_deref(), Some("RCL-7K2Q"));
    assert_eq!(payload.data.reason, "tap_issued");
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let keys: Vec<&String> = body["data"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["reason", "reference", "station"]);

    // The outbox is private.
    {
        let mode =
            std::fs::metadata(state.path().join("outbox.jsonl")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
#[allow(clippy::unwrap_used)]
async fn retries_deliver_each_event_once_in_order() {
    let state = tempfile::tempdir().unwrap();
    let rx = Arc::new(Receiver::default());
    rx.script.lock().unwrap().extend([Answer::Status(500), Answer::Drop]);
    let addr = receiver(rx.clone()).await;
    let hook = start(state.path(), addr);
    let sink = hook.station("station-01");
    sink.write(&ended(ReasonCode::TapIssued, "R-1"));
    sink.write(&ended(ReasonCode::Cancelled, "R-ignored"));
    sink.write(&ended(ReasonCode::DuplicateName, "R-2"));
    sink.write(&ended(ReasonCode::RecordsMismatch, "R-3"));
    delivered(&hook, 3).await;
    hook.stop().await;

    let log = rx.log.lock().unwrap().clone();
    // The first event: 500, then the dropped connection, then 200, always with the same id.
    assert_eq!(log.len(), 5, "{log:?}");
    assert_eq!(log[0].id, log[1].id);
    assert_eq!(log[1].id, log[2].id);
    assert_eq!(
        log.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [Some(500), None, Some(200), Some(200), Some(200)]
    );
    assert!(log.iter().all(python_verifies));
    let accepted = rx.accepted_ids();
    let mut unique = accepted.clone();
    unique.dedup();
    assert_eq!(unique.len(), 3);
    assert_eq!(accepted, unique);
    let refs: Vec<String> = log[2..]
        .iter()
        .map(|r| {
            let p: WebhookPayload = serde_json::from_slice(&r.body).unwrap();
            format!("{}:{}", p.kind, p.data.reference.unwrap_or_default())
        })
        .collect();
    assert_eq!(refs, ["recovery.completed:R-1", "recovery.blocked:R-2", "recovery.blocked:R-3"]);
}

#[tokio::test]
#[allow(clippy::unwrap_used)]
async fn restart_sends_only_the_rest() {
    let state = tempfile::tempdir().unwrap();
    // First run: two events accepted, then the endpoint fails.
    let first = Arc::new(Receiver::default());
    first.script.lock().unwrap().extend([Answer::Status(200), Answer::Status(200)]);
    *first.fallback.lock().unwrap() = Some(Answer::Status(503));
    let addr = receiver(first.clone()).await;
    let hook = start(state.path(), addr);
    let sink = hook.station("station-01");
    for r in ["R-1", "R-2", "R-3"] {
        sink.write(&ended(ReasonCode::TapIssued, r));
    }
    delivered(&hook, 2).await;
    hook.stop().await;
    let sent_first = first.accepted_ids();
    assert_eq!(sent_first.len(), 2);

    // Second run on the same outbox: only the third event, then a new one.
    let second = Arc::new(Receiver::default());
    let addr = receiver(second.clone()).await;
    let hook = start(state.path(), addr);
    hook.station("station-01").write(&ended(ReasonCode::DuplicateName, "R-4"));
    delivered(&hook, 4).await;
    hook.stop().await;
    let log = second.log.lock().unwrap().clone();
    let refs: Vec<String> = log
        .iter()
        .map(|r| {
            let p: WebhookPayload = serde_json::from_slice(&r.body).unwrap();
            p.data.reference.unwrap_or_default()
        })
        .collect();
    assert_eq!(refs, ["R-3", "R-4"]);
    assert!(log.iter().all(|r| !sent_first.contains(&r.id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::unwrap_used, clippy::panic)]
async fn a_served_recovery_reaches_the_service_desk() {
    use common::Tenant;
    use served::secrets_file;

    let tenant = Tenant::start(true).await;
    let rx = Arc::new(Receiver::default());
    let hook_addr = receiver(rx.clone()).await;
    let secrets = secrets_file(&tenant);
    let mut file = std::fs::OpenOptions::new().append(true).open(&secrets).unwrap();
    writeln!(file, "webhook-secret = \"{SECRET}\"").unwrap();
    drop(file);

    let served = served::serve(
        &tenant,
        &secrets,
        &format!("[webhook]\nurl = \"http://{hook_addr}/hook\"\n"),
    )
    .await;
    let (lobby, station_id) = served::ready_station(&served, "lobby").await;
    let upn = tenant.upn("ana");
    let code = served::recover_ana_to_tap(&tenant, &lobby).await;
    let (running, state_dir) = (served.running, served.state_dir);
    lobby.close();

    // Delivered (a deadline, not a timing assertion), then the service stops.
    let delivered_file = state_dir.join("webhook").join("delivered");
    for _ in 0..3000 {
        if std::fs::read_to_string(&delivered_file).is_ok_and(|s| s.trim() == "1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.shutdown().await;

    let log = rx.log.lock().unwrap().clone();
    assert_eq!(log.len(), 1, "{log:?}");
    let r = &log[0];
    assert!(python_verifies(r));
    let body = String::from_utf8(r.body.clone()).unwrap();
    let payload: WebhookPayload = serde_json::from_str(&body).unwrap();
    assert_eq!(payload.kind, "recovery.completed");
    assert_eq!(payload.data.station, station_id);
    assert_eq!(payload.data.reason, "tap_issued");
    let account_ref = payload.data.account_ref.unwrap();
    assert_eq!(account_ref.len(), 32);
    // The same pseudonym as the audit log's, and nothing personal.
    let audit = std::fs::read_to_string(state_dir.join("audit").join("audit.jsonl")).unwrap();
    assert!(audit.contains(&account_ref));
    assert!(!body.contains(&code), "the TAP in the webhook");
    assert!(!body.to_lowercase().contains(&upn.to_lowercase()), "the UPN in the webhook");
    let mode = std::fs::metadata(state_dir.join("webhook").join("outbox.jsonl"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    tenant.shutdown().await;
}
