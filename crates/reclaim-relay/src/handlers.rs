//! HTTP handlers and the router: registration, callback intake, provider return, event stream.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post};
use futures::{Stream, StreamExt};
use serde_json::Value;

use crate::error::RelayError;
use crate::hub::EventType;
use crate::state::{Accepted, RegisterRequest, RelayState, now_ms};

/// Path of the callback intake (the `callback.url` given to the Request Service).
pub const CALLBACK_PATH: &str = "/v1/callbacks/vc";

/// Builds the relay's router. Pair it with [`crate::run_sweeper`] when not using [`crate::serve`].
pub fn router(state: RelayState) -> Router {
    Router::new()
        .route("/v1/requests", post(register))
        .route("/v1/requests/{state}", delete(abandon))
        .route(CALLBACK_PATH, post(callback))
        .route("/v1/return/{state}", get(provider_return).head(return_head))
        .route("/v1/events", get(events))
        .route("/healthz", get(health))
        // Applies to `Bytes` bodies (registrations); the callback intake reads its body itself
        // with the configured limit.
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let v = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = v.split_at_checked(7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then_some(rest)
}

fn station_of(state: &RelayState, headers: &HeaderMap) -> Result<usize, RelayError> {
    let cred = bearer(headers).ok_or(RelayError::Unauthorized)?;
    state.authenticate_station(cred)
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// `POST /v1/requests` — a station registers a pending request; answers 201 with the URLs.
async fn register(
    State(state): State<RelayState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RelayError> {
    let station = station_of(&state, &headers)?;
    if !is_json(&headers) {
        return Err(RelayError::UnsupportedMediaType);
    }
    let req: RegisterRequest = serde_json::from_slice(&body)
        .map_err(|_| RelayError::BadRequest("expected {state, apiKey, expiresAt, kind}"))?;
    let expires_at = req.expires_at;
    let (callback_url, return_url) = state.register(station, req)?;
    let mut out = serde_json::json!({ "callbackUrl": callback_url, "expiresAt": expires_at });
    if let Some(r) = return_url {
        out["returnUrl"] = Value::String(r);
    }
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

/// `DELETE /v1/requests/{state}` — the owning station abandons a request; 204, or 404.
async fn abandon(
    State(state): State<RelayState>,
    Path(req_state): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, RelayError> {
    let station = station_of(&state, &headers)?;
    state.abandon(station, &req_state)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reads a body, refusing it with 413 as soon as it exceeds `limit` bytes.
async fn read_limited(body: Body, limit: usize) -> Result<Vec<u8>, RelayError> {
    let mut out = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| RelayError::BadRequest("could not read body"))?;
        if out.len() + chunk.len() > limit {
            return Err(RelayError::PayloadTooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// `POST /v1/callbacks/vc` — Request Service callback intake; 200 when accepted (or an exact
/// repeat), otherwise 400/401/409/410/413/415 and nothing is forwarded.
async fn callback(State(state): State<RelayState>, headers: HeaderMap, body: Body) -> Response {
    match callback_inner(&state, &headers, body).await {
        Ok(accepted) => {
            tracing::debug!(?accepted, "callback accepted");
            StatusCode::OK.into_response()
        }
        Err(e) => {
            tracing::debug!(status = e.status().as_u16(), reason = %e, "callback refused");
            e.into_response()
        }
    }
}

async fn callback_inner(
    state: &RelayState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Accepted, RelayError> {
    if !is_json(headers) {
        return Err(RelayError::UnsupportedMediaType);
    }
    // Authenticate as far as possible before reading up to `limit` bytes from the internet.
    let key = headers.get("api-key").map(HeaderValue::as_bytes).ok_or(RelayError::Unauthorized)?;
    if !state.api_key_known(key) {
        return Err(RelayError::Unauthorized);
    }
    let limit = state.config().body_limit_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(RelayError::PayloadTooLarge);
    }
    let bytes = read_limited(body, limit).await?;
    let json: Value = serde_json::from_slice(&bytes)
        .map_err(|_| RelayError::BadRequest("body is not valid JSON"))?;
    drop(bytes);
    state.accept_callback(key, json)
}

const PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;padding:2rem 1.25rem;\
text-align:center;background:#f6f7f9;color:#1b1f24}h1{font-size:1.5rem;margin:2rem 0 1rem}\
p{font-size:1.1rem;line-height:1.5}";

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title>\
<style>{PAGE_STYLE}</style></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let mut resp = (status, Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    resp
}

/// `GET /v1/return/{state}` — where the identity provider sends the phone back; forwards the
/// query once to the owning station and shows a short page (no personal data).
async fn provider_return(
    State(state): State<RelayState>,
    Path(req_state): Path<String>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(params)) = query else {
        return page(
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            "Please go back to the kiosk.",
        );
    };
    if state.provider_return(&req_state, params) {
        page(StatusCode::OK, "Thank you", "You can go back to the kiosk now.")
    } else {
        page(
            StatusCode::NOT_FOUND,
            "This link is no longer valid",
            "It has already been used or has expired. Please go back to the kiosk.",
        )
    }
}

/// `HEAD /v1/return/{state}` — answered without consuming the one-time link (link checkers,
/// prefetching browsers).
async fn return_head() -> Response {
    page(StatusCode::OK, "Reclaim", "")
}

/// `GET /healthz` — liveness probe; answers `ok`.
async fn health() -> &'static str {
    "ok"
}

/// `GET /v1/events` — server-sent events for the authenticated station, resumable with
/// `Last-Event-ID`.
async fn events(
    State(state): State<RelayState>,
    headers: HeaderMap,
) -> Result<Response, RelayError> {
    let station = station_of(&state, &headers)?;
    let last = match headers.get("last-event-id") {
        None => None,
        Some(v) => {
            let s =
                v.to_str().map_err(|_| RelayError::BadRequest("Last-Event-ID must be a number"))?;
            let s = s.trim();
            if s.is_empty() {
                None
            } else {
                Some(
                    s.parse::<u64>()
                        .map_err(|_| RelayError::BadRequest("Last-Event-ID must be a number"))?,
                )
            }
        }
    };
    let keep_alive = state.config().keep_alive;
    let stream = station_stream(state, station, last);
    let sse = Sse::new(stream).keep_alive(KeepAlive::new().interval(keep_alive).text(""));
    let mut resp = sse.into_response();
    // Ask reverse proxies (nginx) not to buffer the stream.
    resp.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

fn station_stream(
    state: RelayState,
    station: usize,
    mut last: Option<u64>,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    async_stream::stream! {
        let Some(hub) = state.station(station).cloned() else { return; };
        let mut wake = hub.subscribe();
        let mut shutdown = state.shutdown_signal();
        if *shutdown.borrow_and_update() {
            return;
        }
        tracing::debug!(station = %hub.id, ?last, "event stream opened");
        loop {
            let replay = hub.after(last, now_ms());
            if replay.gap {
                let data = serde_json::json!({ "lastEventId": last }).to_string();
                yield Ok(Event::default().event(EventType::Gap.as_str()).data(data));
            }
            for ev in replay.events {
                yield Ok(Event::default().id(ev.id.to_string()).event(ev.kind.as_str()).data(&ev.data));
            }
            last = Some(replay.upto);
            tokio::select! {
                changed = wake.changed() => if changed.is_err() { break },
                _ = shutdown.changed() => break,
            }
        }
        tracing::debug!(station = %hub.id, "event stream closed");
    }
}

/// Periodically removes expired registrations and stale buffered events until shutdown.
pub async fn run_sweeper(state: RelayState) {
    let mut shutdown = state.shutdown_signal();
    let period = state.sweep_interval().max(Duration::from_millis(10));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => state.sweep(),
            _ = shutdown.changed() => break,
        }
    }
}
