//! After a recovery (issue 16 item 5): the account owner is told by mail — through the recovery
//! service on the demo stack, Graph `sendMail` on the emulated tenant — and their sign-in
//! sessions are revoked when configured. Each test checks what the owner, their manager or the
//! service desk would see: the mail in the emulated mailbox (station and reference, never the
//! TAP), the revocation in the tenant after the TAP was created, and the audit trail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use std::sync::Arc;
use std::time::{Duration, Instant};

use reclaim_engine::View;
use reclaim_engine::adapters::NotifySettings;
use reclaim_engine::demo::DemoOptions;
use reclaim_entra::graph::{BodyType, ItemBody, Message, Recipient, SendMail};
use reclaim_protocol::client::ServiceClient;
use reclaim_service::demo::{DemoService, DemoServiceOptions};
use reclaim_system_tests::Tenant;
use reclaim_system_tests::kiosk::STEP;
use reclaim_system_tests::station::{enrolled, persona_upn, prove, wait};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A demo service whose stations notify with `notify`, retry a failed notice after 200 ms, and
/// keep the chained audit log in `audit_dir`.
async fn service(notify: Option<NotifySettings>, audit_dir: &std::path::Path) -> DemoService {
    DemoService::start(DemoServiceOptions {
        stack: DemoOptions { notify, ..DemoOptions::default() },
        audit_dir: Some(audit_dir.to_owned()),
        settings: Some(Arc::new(|s: &mut reclaim_engine::EngineSettings| {
            s.notify_retry.first_retry = Duration::from_millis(200);
            s.notify_retry.max_retry = Duration::from_millis(400);
        })),
        ..Default::default()
    })
    .await
    .expect("the demo service starts")
}

/// The messages delivered to `address`, once there are at least `n` (within [`STEP`]).
async fn mail_for(service: &DemoService, address: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + STEP;
    loop {
        let inbox = service.stack().tenant().mailbox(address).await.unwrap();
        let inbox = inbox.as_array().cloned().unwrap_or_default();
        if inbox.len() >= n || Instant::now() > deadline {
            assert!(inbox.len() >= n, "{address} got {} messages, not {n}", inbox.len());
            return inbox;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn mailbox(service: &DemoService, address: &str) -> Vec<Value> {
    let inbox = service.stack().tenant().mailbox(address).await.unwrap();
    inbox.as_array().cloned().unwrap_or_default()
}

/// The audit log's records so far, once one has `event` (within [`STEP`]).
async fn audit_until(service: &DemoService, event: &str) -> Vec<Value> {
    let log = service.audit().unwrap().clone();
    let deadline = Instant::now() + STEP;
    loop {
        let l = log.clone();
        tokio::task::spawn_blocking(move || l.flush()).await.unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        let records: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        if records.iter().any(|r| r["event"] == event) || Instant::now() > deadline {
            assert!(records.iter().any(|r| r["event"] == event), "no {event} audited");
            return records;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `persona` recovers at `client` and is shown the TAP; returns its code.
async fn recover(service: &DemoService, client: &ServiceClient, persona: &str) -> String {
    prove(service, client, persona).await;
    let shown = wait(client, "the TAP", |v| matches!(v.view, View::Tap { .. })).await;
    let View::Tap { tap } = shown.view else { unreachable!() };
    tap.code()
}

fn addresses(message: &Value, field: &str) -> Vec<String> {
    message[field]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|r| r["emailAddress"]["address"].as_str().unwrap().to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

fn at(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_mails_the_owner_and_manager_and_revokes_sessions_after_the_tap() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(Some(DemoOptions::demo_notify()), dir.path()).await;
    let client = enrolled(&service, "lobby-1").await;
    let station = service.stack().settings().station_id;
    let code = recover(&service, &client, "maria").await;

    // Maria's mailbox and her alternate address outside the tenant got one notice each.
    let inbox = mail_for(&service, "maria.souza@contoso.example", 1).await;
    assert_eq!(inbox.len(), 1);
    let m = &inbox[0];
    assert_eq!(m["subject"], "Your account was recovered");
    assert_eq!(m["from"]["emailAddress"]["address"], "recovery-desk@contoso.example");
    assert_eq!(
        addresses(m, "toRecipients"),
        ["maria.souza@contoso.example", "maria.souza.home@example.net"]
    );
    assert_eq!(addresses(m, "ccRecipients"), ["nora.quinn@contoso.example"]);
    assert_eq!(m["saveToSentItems"], false);
    assert_eq!(m["body"]["contentType"], "Text");
    let body = m["body"]["content"].as_str().unwrap();
    assert!(body.contains(&format!("at station {station} on ")), "{body}");
    assert!(body.contains("(UTC)"), "{body}");
    assert!(body.contains("If this was not you, contact the service desk"), "{body}");
    assert!(!body.contains(&code), "the notice must never carry the TAP");
    assert!(!body.to_lowercase().contains("passport") && !body.contains("ID5550192"));
    let home = mail_for(&service, "maria.souza.home@example.net", 1).await;
    assert_eq!(home.len(), 1);
    // The manager is told too.
    let manager = mail_for(&service, "nora.quinn@contoso.example", 1).await;
    assert_eq!(manager[0]["subject"], "Your account was recovered");

    // The reference in the mail is the one the service desk finds in the audit log.
    client.done().await.unwrap();
    let records = audit_until(&service, "recovery_notified").await;
    let records = if records.iter().any(|r| r["event"] == "ended") {
        records
    } else {
        audit_until(&service, "ended").await
    };
    let ended = records.iter().find(|r| r["event"] == "ended").unwrap();
    assert_eq!(ended["reason"], "tap_issued");
    let reference = ended["reference"].as_str().unwrap();
    assert!(body.contains(&format!("quote the reference {reference}")), "{body}");
    assert_eq!(m["internetMessageHeaders"][0]["value"], reference);
    let notified = records.iter().find(|r| r["event"] == "recovery_notified").unwrap();
    assert_eq!(notified["recipients"], 3);
    assert_eq!(notified["manager"], true);
    // The audit names no address.
    let log = records.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
    assert!(!log.contains("maria.souza") && !log.contains("nora.quinn"));

    // Her sessions were revoked once, after the TAP was created.
    let records = audit_until(&service, "sessions_revoked").await;
    assert!(records.iter().any(|r| r["event"] == "sessions_revoked"));
    let upn = persona_upn(&service, "maria");
    let revoked = service.stack().tenant().revocations(&upn).await.unwrap();
    let revoked = revoked.as_array().unwrap();
    assert_eq!(revoked.len(), 1);
    let taps = service.stack().tenant().user_taps(&upn).await.unwrap();
    let created = at(&taps[0]["createdDateTime"]);
    assert!(at(&revoked[0]["at"]) >= created, "revoked before the TAP existed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_manager_or_revocation_only_the_owner_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let notify = NotifySettings {
        manager: false,
        revoke_sessions: false,
        locale: reclaim_engine::Locale::De,
        ..DemoOptions::demo_notify()
    };
    let service = service(Some(notify), dir.path()).await;
    let client = enrolled(&service, "lobby-1").await;
    let code = recover(&service, &client, "ana").await;
    // Ana has no `mail`: the notice goes to her UPN, with the site's language added.
    let inbox = mail_for(&service, "ana.lima@contoso.example", 1).await;
    assert_eq!(addresses(&inbox[0], "toRecipients"), ["ana.lima@contoso.example"]);
    assert!(addresses(&inbox[0], "ccRecipients").is_empty());
    let body = inbox[0]["body"]["content"].as_str().unwrap();
    assert!(body.contains("Ihr Konto wurde am"), "{body}");
    assert!(!body.contains(&code));
    let records = audit_until(&service, "recovery_notified").await;
    let notified = records.iter().find(|r| r["event"] == "recovery_notified").unwrap();
    assert_eq!(notified["recipients"], 1);
    assert_eq!(notified["manager"], false);
    assert!(mailbox(&service, "nora.quinn@contoso.example").await.is_empty());
    assert!(!records.iter().any(|r| r["event"] == "sessions_revoked"));
    let upn = persona_upn(&service, "ana");
    assert_eq!(service.stack().tenant().revocations(&upn).await.unwrap(), json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluation_mode_and_a_site_without_notices_mail_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(Some(DemoOptions::demo_notify()), dir.path()).await;
    let client = enrolled(&service, "lobby-1").await;
    // Priya's profile is in evaluation mode: verified, no TAP, so nobody is told.
    prove(&service, &client, "priya").await;
    wait(&client, "the evaluation result", |v| matches!(v.view, View::EvaluationResult)).await;
    client.done().await.unwrap();
    wait(&client, "attract", |v| matches!(v.view, View::Attract)).await;
    // A recovery after it is notified: by then Priya's notice, had there been one, was sent.
    recover(&service, &client, "zoe").await;
    mail_for(&service, "zoe.wisniewska@contoso.example", 1).await;
    assert!(mailbox(&service, "priya.nair@contoso.example").await.is_empty());
    // Priya's manager heard nothing either (Zoë has no manager).
    assert!(mailbox(&service, "nora.quinn@contoso.example").await.is_empty());
    let upn = persona_upn(&service, "priya");
    assert_eq!(service.stack().tenant().revocations(&upn).await.unwrap(), json!([]));
    let records = audit_until(&service, "recovery_notified").await;
    assert_eq!(records.iter().filter(|r| r["event"] == "recovery_notified").count(), 1);

    // A site without [recovery.notify]: a recovery, and no mail at all.
    let dir = tempfile::tempdir().unwrap();
    let quiet = self::service(None, dir.path()).await;
    let client = enrolled(&quiet, "lobby-1").await;
    recover(&quiet, &client, "ana").await;
    client.done().await.unwrap();
    let records = audit_until(&quiet, "ended").await;
    assert!(records.iter().all(|r| r["event"] != "recovery_notified"));
    assert_eq!(quiet.stack().tenant().taps().await.unwrap().as_array().unwrap().len(), 1);
    let all = reqwest::get(format!("{}/mailbox", quiet.stack().control_url())).await.unwrap();
    assert_eq!(all.json::<Value>().await.unwrap(), json!({}));
}

/// The demo service with notices on, a station, and `sendMail` answering `status` `count` times.
async fn failing_send_mail(
    dir: &std::path::Path,
    status: u16,
    count: u32,
) -> (DemoService, reclaim_protocol::client::ServiceClient) {
    let service = service(Some(DemoOptions::demo_notify()), dir).await;
    let client = enrolled(&service, "lobby-1").await;
    service
        .stack()
        .tenant()
        .add_fault(json!({
            "service": "graph", "pathContains": "/sendMail", "method": "POST",
            "kind": "status", "status": status, "count": count
        }))
        .await
        .unwrap();
    (service, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_mail_failure_still_shows_the_tap_and_the_mail_arrives_after_a_retry() {
    let dir = tempfile::tempdir().unwrap();
    // Exchange is unavailable for the first two sends.
    let (service, client) = failing_send_mail(dir.path(), 503, 2).await;
    let code = recover(&service, &client, "maria").await;
    assert!(!code.is_empty(), "the TAP is on screen whatever the mail does");
    let inbox = mail_for(&service, "maria.souza@contoso.example", 1).await;
    assert_eq!(inbox.len(), 1, "sent once it went through, not once per attempt");
    let records = audit_until(&service, "recovery_notified").await;
    let failures: Vec<(u64, bool)> = records
        .iter()
        .filter(|r| r["event"] == "recovery_notification_failed")
        .map(|r| (r["attempts"].as_u64().unwrap(), r["gave_up"].as_bool().unwrap()))
        .collect();
    assert_eq!(failures, [(1, false), (2, false)]);
    let tap_at = records.iter().position(|r| r["event"] == "tap_issued").unwrap();
    let notified_at = records.iter().position(|r| r["event"] == "recovery_notified").unwrap();
    assert!(notified_at > tap_at);
    // The person was never held up: the TAP screen stayed while the notice was retried.
    assert!(matches!(client.current().view, View::Tap { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_send_is_audited_once_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    // Exchange refuses (a missing permission or application access policy): retrying is futile.
    let (service, client) = failing_send_mail(dir.path(), 403, 1).await;
    recover(&service, &client, "ana").await;
    let records = audit_until(&service, "recovery_notification_failed").await;
    let failed = records.iter().find(|r| r["event"] == "recovery_notification_failed").unwrap();
    assert_eq!((failed["attempts"].as_u64(), failed["gave_up"].as_bool()), (Some(1), Some(true)));
    // The revocation is independent of the mail and still happened.
    audit_until(&service, "sessions_revoked").await;
    // Wait out what a retry would have taken (the policy here retries after 200 ms).
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(mailbox(&service, "ana.lima@contoso.example").await.is_empty());
    let records = audit_until(&service, "recovery_notification_failed").await;
    assert!(!records.iter().any(|r| r["event"] == "recovery_notified"));
    assert!(matches!(client.current().view, View::Tap { .. }));
}

/// The Graph client against the emulated tenant: `sendMail` with a typed message, the manager,
/// the contact addresses and `revokeSignInSessions`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graph_client_sends_mail_reads_managers_and_revokes_sessions() {
    let tenant = Tenant::demo().await.unwrap();
    let graph = tenant.graph(tenant.kiosk_tokens().unwrap()).unwrap();
    let maria = graph.user_contact("maria.souza@contoso.example").await.unwrap().unwrap();
    let to: Vec<String> = maria.addresses().iter().map(|a| a.expose().to_owned()).collect();
    assert_eq!(to, ["maria.souza@contoso.example", "maria.souza.home@example.net"]);
    let ana = graph.user_contact("ana.lima@contoso.example").await.unwrap().unwrap();
    let to: Vec<String> = ana.addresses().iter().map(|a| a.expose().to_owned()).collect();
    assert_eq!(to, ["ana.lima@contoso.example"], "no mail: the UPN");
    assert!(graph.user_contact("nobody@contoso.example").await.unwrap().is_none());

    let manager = graph.manager(&ana.id).await.unwrap().unwrap();
    assert_eq!(
        manager.user_principal_name.as_ref().map(|u| u.expose()),
        Some("nora.quinn@contoso.example")
    );
    assert!(graph.manager("nora.quinn@contoso.example").await.unwrap().is_none());

    let mail = SendMail {
        message: Message {
            subject: "Your account was recovered".into(),
            body: ItemBody { content_type: BodyType::Text, content: "Hello".into() },
            to_recipients: vec![Recipient::address("ana.lima@contoso.example")],
            cc_recipients: Vec::new(),
            internet_message_headers: Vec::new(),
            importance: None,
        },
        save_to_sent_items: false,
    };
    graph.send_mail("recovery-desk@contoso.example", &mail).await.unwrap();
    let inbox = tenant.control_get("/mailbox/ana.lima@contoso.example").await.unwrap();
    assert_eq!(inbox[0]["body"], json!({ "contentType": "Text", "content": "Hello" }));
    assert_eq!(inbox[0]["saveToSentItems"], false, "a real boolean");
    // A sender without a mailbox: Exchange's 404, surfaced with its code.
    let e = graph.send_mail("ana.lima@contoso.example", &mail).await.unwrap_err();
    let reclaim_entra::EntraError::Graph(e) = e else { panic!("not a Graph error: {e:?}") };
    assert_eq!(e.status, 404);
    assert_eq!(e.code, "MailboxNotEnabledForRESTAPI");

    graph.revoke_sign_in_sessions(&ana.id).await.unwrap();
    let log = tenant.control_get(&format!("/directory/users/{}/revocations", ana.id)).await;
    assert_eq!(log.unwrap().as_array().unwrap().len(), 1);
    let e = graph.revoke_sign_in_sessions("1a000000-0000-4000-8000-0000000000ff").await;
    assert_eq!(e.unwrap_err().status(), Some(404));
}
