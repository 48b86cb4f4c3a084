//! After a recovery (`microsoft-apis-v2.md` §3.1, §3.2): `POST /users/{id | upn}/sendMail`
//! (Exchange Online through Graph: 202 and an empty body, Exchange's error bodies without
//! `innerError`), `POST /users/{id | upn}/revokeSignInSessions` (200 `{"value": true}`), and
//! `GET /users/{id | upn}/manager`. Sent messages land in an in-memory mailbox per recipient
//! address and revocations in a log, both read (and cleared) through the control API.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::odata::QueryOptions;
use super::users::Selection;
use super::{Ctx, USER_READ, user_not_found};
use crate::clock::rfc3339;
use crate::state::AppState;
use crate::wire_error::GraphError;

/// Application permissions that let an app send mail as any mailbox (§3.2).
pub(crate) const MAIL_SEND: &[&str] = &["Mail.Send"];
/// Application permissions that allow `revokeSignInSessions` (§3.1: the least privileged first).
pub(crate) const REVOKE_SESSIONS: &[&str] =
    &["User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"];

/// One message as a recipient's mailbox holds it.
#[derive(Debug, Clone)]
struct Delivered {
    received: OffsetDateTime,
    /// The sending mailbox's address.
    from: String,
    /// The `message` object as posted (or `{"mime": …}` for a MIME send).
    message: Value,
    save_to_sent_items: Value,
}

/// A `revokeSignInSessions` call that took effect.
#[derive(Debug, Clone)]
struct Revocation {
    user_id: Uuid,
    at: OffsetDateTime,
}

/// The emulated Exchange mailboxes and the sign-in session revocations.
#[derive(Debug, Default)]
pub struct Mailboxes {
    /// Lower-case recipient address → messages, oldest first.
    inbox: Mutex<BTreeMap<String, Vec<Delivered>>>,
    /// Lower-case sender address → messages saved to Sent Items.
    sent: Mutex<BTreeMap<String, Vec<Delivered>>>,
    revocations: Mutex<Vec<Revocation>>,
}

impl Mailboxes {
    fn deliver(&self, to: &[String], d: &Delivered, save: bool) {
        let mut inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        for address in to {
            inbox.entry(address.to_lowercase()).or_default().push(d.clone());
        }
        drop(inbox);
        if save {
            let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
            sent.entry(d.from.to_lowercase()).or_default().push(d.clone());
        }
    }

    fn revoke(&self, user_id: Uuid, at: OffsetDateTime) {
        self.revocations.lock().unwrap_or_else(|e| e.into_inner()).push(Revocation { user_id, at });
    }
}

/// An Exchange Online error through Graph: `{error{code, message}}`, no `innerError` (§3.2).
fn exchange_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({ "error": { "code": code, "message": message.into() } });
    (status, Json(body)).into_response()
}

fn access_denied() -> Response {
    exchange_error(
        StatusCode::FORBIDDEN,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    )
}

/// The recipients' addresses of `toRecipients` / `ccRecipients` / `bccRecipients`, or why not.
fn addresses(message: &Map<String, Value>, field: &str) -> Result<Vec<String>, Response> {
    let invalid = || {
        exchange_error(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid.",
        )
    };
    let Some(list) = message.get(field) else { return Ok(Vec::new()) };
    let Some(list) = list.as_array() else { return Err(invalid()) };
    let mut out = Vec::with_capacity(list.len());
    for r in list {
        let address = r
            .get("emailAddress")
            .and_then(|e| e.get("address"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|a| a.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.')));
        match address {
            Some(a) if !a.chars().any(char::is_whitespace) => out.push(a.to_owned()),
            _ => return Err(invalid()),
        }
    }
    Ok(out)
}

/// The addresses in the `To:` and `Cc:` headers of a MIME message (enough for the emulator).
fn mime_recipients(mime: &str) -> Vec<String> {
    let head = mime.split("\r\n\r\n").next().unwrap_or_default();
    let mut out = Vec::new();
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        if !(name.eq_ignore_ascii_case("to") || name.eq_ignore_ascii_case("cc")) {
            continue;
        }
        for part in value.split(',') {
            let part = part.trim();
            let address = match (part.find('<'), part.rfind('>')) {
                (Some(a), Some(b)) if a < b => &part[a + 1..b],
                _ => part,
            };
            if address.contains('@') {
                out.push(address.trim().to_owned());
            }
        }
    }
    out
}

fn is_text_plain(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("text/plain"))
}

/// `POST /{version}/users/{id | upn}/sendMail` — 202, empty body (§3.2).
pub(crate) async fn send_mail(ctx: Ctx, Path(key): Path<String>, body: Bytes) -> Response {
    let claims = match ctx.authorize(&[]) {
        Ok(c) => c,
        Err(e) => return ctx.respond(Err(e)),
    };
    if claims.roles.is_empty() {
        return exchange_error(
            StatusCode::UNAUTHORIZED,
            "NoPermissionsInAccessToken",
            "The token contains no permissions, or permissions can not be understood.",
        );
    }
    if !claims.roles.iter().any(|r| MAIL_SEND.contains(&r.as_str())) {
        return access_denied();
    }
    let Some(sender) = ctx.state.directory().user(&key) else {
        return exchange_error(
            StatusCode::NOT_FOUND,
            "ErrorInvalidUser",
            format!("The requested user '{key}' is invalid."),
        );
    };
    // Only a user with an Exchange Online mailbox (here: with `mail`) can send.
    let Some(from) = sender.mail.clone() else {
        return exchange_error(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        );
    };
    let now = ctx.state.clock().now();
    if is_text_plain(&ctx.headers) {
        let text: String = String::from_utf8_lossy(&body).split_whitespace().collect();
        let Ok(mime) = base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) else {
            return exchange_error(
                StatusCode::BAD_REQUEST,
                "ErrorMimeContentInvalidBase64String",
                "Invalid base64 string for MIME content.",
            );
        };
        let mime = String::from_utf8_lossy(&mime).into_owned();
        let to = mime_recipients(&mime);
        if to.is_empty() {
            return no_recipients();
        }
        let d = Delivered {
            received: now,
            from,
            message: json!({ "mime": mime }),
            save_to_sent_items: Value::Null,
        };
        ctx.state.directory().mailboxes().deliver(&to, &d, true);
        return StatusCode::ACCEPTED.into_response();
    }
    let body = match super::parse_body(&body) {
        Ok(b) => b,
        Err(e) => return ctx.respond(Err(e)),
    };
    let Some(message) = body.get("message").and_then(Value::as_object) else {
        return exchange_error(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidParameter",
            "The value of the parameter 'Message' is empty.",
        );
    };
    let save_raw = body.get("saveToSentItems").cloned().unwrap_or(Value::Null);
    // Boolean, default true; the documentation's own example sends the string "false" (§10.6),
    // which the service accepts as OData does.
    let save = match &save_raw {
        Value::Null => true,
        Value::Bool(b) => *b,
        Value::String(s) if s.eq_ignore_ascii_case("true") => true,
        Value::String(s) if s.eq_ignore_ascii_case("false") => false,
        _ => {
            return exchange_error(
                StatusCode::BAD_REQUEST,
                "ErrorInvalidParameter",
                "The value of the parameter 'SaveToSentItems' is not valid.",
            );
        }
    };
    let mut to = Vec::new();
    for field in ["toRecipients", "ccRecipients", "bccRecipients"] {
        match addresses(message, field) {
            Ok(a) => to.extend(a),
            Err(resp) => return resp,
        }
    }
    if to.is_empty() {
        return no_recipients();
    }
    if let Some(b) = message.get("body") {
        let kind = b.get("contentType").and_then(Value::as_str).unwrap_or("text");
        if !(kind.eq_ignore_ascii_case("text") || kind.eq_ignore_ascii_case("html")) {
            return exchange_error(
                StatusCode::BAD_REQUEST,
                "RequestBodyRead",
                format!("The value '{kind}' is not valid for the property 'contentType'."),
            );
        }
    }
    let d = Delivered {
        received: now,
        from,
        message: Value::Object(message.clone()),
        save_to_sent_items: save_raw,
    };
    ctx.state.directory().mailboxes().deliver(&to, &d, save);
    StatusCode::ACCEPTED.into_response()
}

fn no_recipients() -> Response {
    exchange_error(
        StatusCode::BAD_REQUEST,
        "ErrorInvalidRecipients",
        "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    )
}

/// `POST /{version}/users/{id | upn}/revokeSignInSessions` — 200 `{"value": true}` (§3.1),
/// with no body, `{}`, or any JSON object.
pub(crate) async fn revoke_sign_in_sessions(
    ctx: Ctx,
    Path(key): Path<String>,
    body: Bytes,
) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[REVOKE_SESSIONS])?;
        if !body.iter().all(u8::is_ascii_whitespace) && !super::parse_body(&body)?.is_object() {
            return Err(GraphError::bad_request("Invalid request body."));
        }
        let user = ctx.state.directory().user(&key).ok_or_else(|| user_not_found(&key))?;
        ctx.state.directory().mailboxes().revoke(user.id, ctx.state.clock().now());
        let context = format!("{}/{}/$metadata#Edm.Boolean", ctx.base, ctx.version.as_str());
        Ok((StatusCode::OK, Json(json!({ "@odata.context": context, "value": true })))
            .into_response())
    })();
    ctx.respond(r)
}

/// `GET /{version}/users/{id | upn}/manager` — the manager as a `directoryObject` (a user),
/// `$select` honoured; 404 `Request_ResourceNotFound` when none is assigned.
pub(crate) async fn get_manager(
    ctx: Ctx,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[USER_READ])?;
        let q = QueryOptions::parse(raw.as_deref())?;
        let dir = ctx.state.directory();
        let user = dir.user(&key).ok_or_else(|| user_not_found(&key))?;
        let manager = user.manager.as_deref().and_then(|m| dir.user(m)).ok_or_else(|| {
            GraphError::not_found(
                "Resource 'manager' does not exist or one of its queried reference-property objects are not present.",
            )
        })?;
        let select = Selection::parse(&q, ctx.version)?;
        let mut body = Map::new();
        body.insert("@odata.context".into(), json!(ctx.metadata("directoryObjects/$entity")));
        body.insert("@odata.type".into(), json!("#microsoft.graph.user"));
        if let Value::Object(m) = select.render(&manager) {
            body.extend(m);
        }
        Ok((StatusCode::OK, Json(Value::Object(body))).into_response())
    })();
    ctx.respond(r)
}

fn delivered_json(d: &Delivered) -> Value {
    let mut m = match &d.message {
        Value::Object(m) => m.clone(),
        other => {
            let mut m = Map::new();
            m.insert("message".into(), other.clone());
            m
        }
    };
    m.insert("from".into(), json!({ "emailAddress": { "address": d.from } }));
    m.insert("receivedDateTime".into(), json!(rfc3339(d.received)));
    m.insert("saveToSentItems".into(), d.save_to_sent_items.clone());
    Value::Object(m)
}

/// `GET {control}/mailbox` — every mailbox: `{address: [message, …]}`.
async fn control_all(State(s): State<AppState>) -> Json<Value> {
    let inbox = s.directory().mailboxes().inbox.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Json(Value::Object(
        inbox
            .iter()
            .map(|(a, ms)| (a.clone(), Value::Array(ms.iter().map(delivered_json).collect())))
            .collect(),
    ))
}

/// `GET {control}/mailbox/{address}` — the messages delivered to an address (any address, in
/// the tenant or not), oldest first: each the posted `message` plus `from`,
/// `receivedDateTime` and `saveToSentItems` as sent.
async fn control_mailbox(State(s): State<AppState>, Path(address): Path<String>) -> Json<Value> {
    let inbox = s.directory().mailboxes().inbox.lock().unwrap_or_else(|e| e.into_inner());
    let list = inbox.get(&address.to_lowercase()).map(Vec::as_slice).unwrap_or_default();
    Json(Value::Array(list.iter().map(delivered_json).collect()))
}

/// `DELETE {control}/mailbox/{address}` — empties one mailbox.
async fn control_clear_one(State(s): State<AppState>, Path(address): Path<String>) -> StatusCode {
    let mb = s.directory().mailboxes();
    mb.inbox.lock().unwrap_or_else(|e| e.into_inner()).remove(&address.to_lowercase());
    StatusCode::NO_CONTENT
}

/// `DELETE {control}/mailbox` — empties every mailbox, the Sent Items and the revocation log.
async fn control_clear_all(State(s): State<AppState>) -> StatusCode {
    let mb = s.directory().mailboxes();
    mb.inbox.lock().unwrap_or_else(|e| e.into_inner()).clear();
    mb.sent.lock().unwrap_or_else(|e| e.into_inner()).clear();
    mb.revocations.lock().unwrap_or_else(|e| e.into_inner()).clear();
    StatusCode::NO_CONTENT
}

/// `GET {control}/mailbox/{address}/sent` — the sender's Sent Items (messages sent with
/// `saveToSentItems` true or absent).
async fn control_sent(State(s): State<AppState>, Path(address): Path<String>) -> Json<Value> {
    let sent = s.directory().mailboxes().sent.lock().unwrap_or_else(|e| e.into_inner());
    let list = sent.get(&address.to_lowercase()).map(Vec::as_slice).unwrap_or_default();
    Json(Value::Array(list.iter().map(delivered_json).collect()))
}

/// `GET {control}/directory/users/{id | upn}/revocations` — when `revokeSignInSessions` took
/// effect for the user (`[{"at": RFC 3339}]`, oldest first); 404 for an unknown user.
async fn control_revocations(State(s): State<AppState>, Path(key): Path<String>) -> Response {
    let dir = s.directory();
    let Some(user) = dir.user(&key) else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "unknown_user", "user": key})))
            .into_response();
    };
    let log = dir.mailboxes().revocations.lock().unwrap_or_else(|e| e.into_inner());
    let at: Vec<Value> = log
        .iter()
        .filter(|r| r.user_id == user.id)
        .map(|r| json!({ "at": rfc3339(r.at) }))
        .collect();
    Json(Value::Array(at)).into_response()
}

/// Control routes for mailboxes and revocations.
pub(crate) fn control_routes() -> Router<AppState> {
    Router::new()
        .route("/mailbox", get(control_all).delete(control_clear_all))
        .route("/mailbox/{address}", get(control_mailbox).delete(control_clear_one))
        .route("/mailbox/{address}/sent", get(control_sent))
        .route("/directory/users/{key}/revocations", get(control_revocations))
}
