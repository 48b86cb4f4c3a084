//! After a recovery (`microsoft-apis-v2.md` §3.1, §3.2): `sendMail`, `revokeSignInSessions`
//! and `manager` answer as the document shows, with its own request bodies; the control API shows
//! what was delivered and revoked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine as _;
use common::{Emu, KIOSK_CLIENT_ID, READONLY_CLIENT_ID, json};
use reclaim_emulator::identity::Resource;
use serde_json::{Value, json};

const ANA: &str = "1a000000-0000-4000-8000-000000000001";
const DESK: &str = "recovery-desk@contoso.example";

/// §3.2's message, verbatim.
fn documented_mail() -> Value {
    json!({
      "message": {
        "subject": "Your account was recovered",
        "body": { "contentType": "HTML", "content": "<p>Hello Ana, your account was recovered at 12:00 UTC at kiosk K-01.</p>" },
        "toRecipients": [ { "emailAddress": { "address": "ana.lima@contoso.example", "name": "Ana Lima" } } ],
        "ccRecipients": [],
        "internetMessageHeaders": [ { "name": "x-reclaim-correlation-id", "value": "4f0c2a7e" } ],
        "importance": "high"
      },
      "saveToSentItems": false
    })
}

fn graph(emu: &Emu, path: &str) -> String {
    format!("{}/v1.0{path}", emu.urls().graph)
}

async fn send(emu: &Emu, token: &str, sender: &str, body: &Value) -> reqwest::Response {
    emu.http
        .post(graph(emu, &format!("/users/{sender}/sendMail")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn mailbox(emu: &Emu, address: &str) -> Vec<Value> {
    let r = emu.http.get(format!("{}/mailbox/{address}", emu.urls().control)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    json(r).await.as_array().unwrap().clone()
}

/// Exchange's error body: `{error{code, message}}`, no `innerError` (§3.2).
async fn exchange_error(r: reqwest::Response, status: u16, code: &str, message: &str) {
    assert_eq!(r.status().as_u16(), status);
    assert!(r.headers().contains_key("request-id"));
    let b = json(r).await;
    assert_eq!(b["error"]["code"], code, "{b}");
    assert_eq!(b["error"]["message"], message, "{b}");
    assert!(b["error"].get("innerError").is_none(), "{b}");
}

#[tokio::test]
async fn send_mail_answers_202_empty_and_delivers_to_each_recipient() {
    let emu = Emu::start().await;
    let r = send(&emu, &emu.graph_token(), DESK, &documented_mail()).await;
    assert_eq!(r.status(), 202);
    assert!(r.headers().contains_key("request-id"));
    assert!(r.bytes().await.unwrap().is_empty(), "202 with an empty body");

    let inbox = mailbox(&emu, "Ana.Lima@contoso.example").await;
    assert_eq!(inbox.len(), 1);
    let m = &inbox[0];
    assert_eq!(m["subject"], "Your account was recovered");
    assert_eq!(m["body"]["contentType"], "HTML");
    assert_eq!(m["from"]["emailAddress"]["address"], DESK);
    assert_eq!(m["saveToSentItems"], false);
    assert_eq!(m["internetMessageHeaders"][0]["value"], "4f0c2a7e");
    assert!(m["receivedDateTime"].is_string());
    // saveToSentItems false: nothing in the sender's Sent Items
    let r = emu.http.get(format!("{}/mailbox/{DESK}/sent", emu.urls().control)).send().await;
    assert_eq!(json(r.unwrap()).await, json!([]));

    // cc recipients get it too; without saveToSentItems (default true) a copy is kept
    let mut body = documented_mail();
    body["message"]["ccRecipients"] =
        json!([{ "emailAddress": { "address": "nora.quinn@contoso.example" } }]);
    body.as_object_mut().unwrap().remove("saveToSentItems");
    // the sender may be named by object id as well as by UPN
    let desk_id = "1a000000-0000-4000-8000-000000000030";
    assert_eq!(send(&emu, &emu.graph_token(), desk_id, &body).await.status(), 202);
    assert_eq!(mailbox(&emu, "ana.lima@contoso.example").await.len(), 2);
    assert_eq!(mailbox(&emu, "nora.quinn@contoso.example").await.len(), 1);
    let r = emu.http.get(format!("{}/mailbox/{DESK}/sent", emu.urls().control)).send().await;
    assert_eq!(json(r.unwrap()).await.as_array().unwrap().len(), 1);

    // the documentation's string "false" is accepted (§10.6)
    let mut body = documented_mail();
    body["saveToSentItems"] = json!("false");
    assert_eq!(send(&emu, &emu.graph_token(), DESK, &body).await.status(), 202);

    // cleared through the control API
    let r = emu.http.delete(format!("{}/mailbox", emu.urls().control)).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(mailbox(&emu, "ana.lima@contoso.example").await.is_empty());
}

#[tokio::test]
async fn send_mail_refusals_have_exchange_codes() {
    let emu = Emu::start().await;
    // no Mail.Send: 403 ErrorAccessDenied
    let token = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["User.Read.All"]);
    let r = send(&emu, &token, DESK, &documented_mail()).await;
    exchange_error(
        r,
        403,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    )
    .await;
    // a token without any role: 401 NoPermissionsInAccessToken
    let token = emu.mint(KIOSK_CLIENT_ID, Resource::Graph, &[]);
    let r = send(&emu, &token, DESK, &documented_mail()).await;
    exchange_error(
        r,
        401,
        "NoPermissionsInAccessToken",
        "The token contains no permissions, or permissions can not be understood.",
    )
    .await;
    // no such sender
    let r = send(&emu, &emu.graph_token(), "nobody@contoso.example", &documented_mail()).await;
    exchange_error(
        r,
        404,
        "ErrorInvalidUser",
        "The requested user 'nobody@contoso.example' is invalid.",
    )
    .await;
    // a user without an Exchange mailbox cannot send
    let r = send(&emu, &emu.graph_token(), ANA, &documented_mail()).await;
    exchange_error(
        r,
        404,
        "MailboxNotEnabledForRESTAPI",
        "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    )
    .await;
    // no recipients, a malformed recipient
    let mut body = documented_mail();
    body["message"]["toRecipients"] = json!([]);
    let r = send(&emu, &emu.graph_token(), DESK, &body).await;
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["error"]["code"], "ErrorInvalidRecipients");
    body["message"]["toRecipients"] = json!([{ "emailAddress": { "address": "not an address" } }]);
    let r = send(&emu, &emu.graph_token(), DESK, &body).await;
    exchange_error(r, 400, "ErrorInvalidRecipients", "At least one recipient isn't valid.").await;
    // base64 MIME that is not base64
    let r = emu
        .http
        .post(graph(&emu, &format!("/users/{DESK}/sendMail")))
        .bearer_auth(emu.graph_token())
        .header("Content-Type", "text/plain")
        .body("this is not base64!")
        .send()
        .await
        .unwrap();
    exchange_error(
        r,
        400,
        "ErrorMimeContentInvalidBase64String",
        "Invalid base64 string for MIME content.",
    )
    .await;
    assert!(mailbox(&emu, "ana.lima@contoso.example").await.is_empty(), "nothing delivered");

    // valid base64 MIME is delivered to its To: address
    let mime = "From: recovery-desk@contoso.example\r\nTo: Ana Lima <ana.lima@contoso.example>\r\nSubject: Recovered\r\n\r\nHello";
    let r = emu
        .http
        .post(graph(&emu, &format!("/users/{DESK}/sendMail")))
        .bearer_auth(emu.graph_token())
        .header("Content-Type", "text/plain")
        .body(base64::engine::general_purpose::STANDARD.encode(mime))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(mailbox(&emu, "ana.lima@contoso.example").await.len(), 1);
}

#[tokio::test]
async fn revoke_sign_in_sessions_answers_200_value_true_and_is_recorded() {
    let emu = Emu::start().await;
    let revocations = |key: &str| {
        let url = format!("{}/directory/users/{key}/revocations", emu.urls().control);
        let http = emu.http.clone();
        async move { json(http.get(url).send().await.unwrap()).await }
    };
    assert_eq!(revocations(ANA).await, json!([]));
    // no body, as the document says ("no request content")
    let r = emu
        .http
        .post(graph(&emu, &format!("/users/{ANA}/revokeSignInSessions")))
        .bearer_auth(emu.graph_token())
        .header("Content-Length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b = json(r).await;
    assert_eq!(
        b,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#Edm.Boolean", emu.urls().graph),
            "value": true
        })
    );
    // `{}` works too, and by UPN
    let r = emu
        .http
        .post(graph(&emu, "/users/ana.lima@contoso.example/revokeSignInSessions"))
        .bearer_auth(emu.graph_token())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let log = revocations("ana.lima@contoso.example").await;
    assert_eq!(log.as_array().unwrap().len(), 2);
    assert!(log[0]["at"].is_string());

    // User.Read.All is not enough: 403 Authorization_RequestDenied
    let token = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["User.Read.All"]);
    let r = emu
        .http
        .post(graph(&emu, &format!("/users/{ANA}/revokeSignInSessions")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let b = json(r).await;
    assert_eq!(b["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(b["error"]["message"], "Insufficient privileges to complete the operation.");
    // the least privileged permission of §3.1 is enough
    let token = emu.mint(KIOSK_CLIENT_ID, Resource::Graph, &["User.RevokeSessions.All"]);
    let r = emu
        .http
        .post(graph(&emu, &format!("/users/{ANA}/revokeSignInSessions")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // an unknown user: 404 Request_ResourceNotFound
    let r = emu
        .http
        .post(graph(&emu, "/users/1a000000-0000-4000-8000-0000000000ff/revokeSignInSessions"))
        .bearer_auth(emu.graph_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(revocations(ANA).await.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn manager_is_a_directory_object_or_404() {
    let emu = Emu::start().await;
    let get = |path: String| {
        let http = emu.http.clone();
        let token = emu.graph_token();
        async move { http.get(path).bearer_auth(token).send().await.unwrap() }
    };
    let r = get(graph(&emu, &format!("/users/{ANA}/manager"))).await;
    assert_eq!(r.status(), 200);
    let b = json(r).await;
    assert_eq!(
        b["@odata.context"],
        format!("{}/v1.0/$metadata#directoryObjects/$entity", emu.urls().graph)
    );
    assert_eq!(b["@odata.type"], "#microsoft.graph.user");
    assert_eq!(b["userPrincipalName"], "nora.quinn@contoso.example");
    assert_eq!(b["mail"], "nora.quinn@contoso.example");
    let r =
        get(graph(&emu, "/users/maria.souza@contoso.example/manager?$select=id,mail,otherMails"))
            .await;
    let b = json(r).await;
    assert_eq!(b["id"], "1a000000-0000-4000-8000-00000000000d");
    assert_eq!(b["otherMails"], json!([]));
    assert!(b.get("displayName").is_none());
    // otherMails of a user who has some
    let r = get(graph(&emu, "/users/maria.souza@contoso.example?$select=id,otherMails")).await;
    assert_eq!(json(r).await["otherMails"], json!(["maria.souza.home@example.net"]));
    // no manager: 404 Request_ResourceNotFound
    let r = get(graph(&emu, "/users/nora.quinn@contoso.example/manager")).await;
    assert_eq!(r.status(), 404);
    let b = json(r).await;
    assert_eq!(b["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(
        b["error"]["message"],
        "Resource 'manager' does not exist or one of its queried reference-property objects are not present."
    );
}
