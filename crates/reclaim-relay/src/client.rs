//! Kiosk-side client: register/abandon requests and follow the station's event stream,
//! reconnecting with `Last-Event-ID` and exponential backoff. Includes a minimal SSE parser.

use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::Value;

use crate::error::RelayError;
use crate::hub::EventType;
use crate::state::RegisterRequest;

/// Largest single event the client buffers (a callback may be 10 MB; JSON escaping adds some).
const MAX_EVENT_BYTES: usize = 32 * 1024 * 1024;

/// Reconnection and liveness settings of [`RelayClient::events`].
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    /// First delay after a failed connection.
    pub backoff_initial: Duration,
    /// Upper bound of the delay (doubling each failure).
    pub backoff_max: Duration,
    /// Reconnect when nothing (not even a keep-alive) arrived for this long.
    pub idle_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            backoff_initial: Duration::from_millis(200),
            backoff_max: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(45),
        }
    }
}

/// Answer to a registration.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredRequest {
    /// Give this to the Request Service as `callback.url`.
    pub callback_url: String,
    /// For `provider_return` registrations: the URL the provider sends the phone back to.
    #[serde(default)]
    pub return_url: Option<String>,
    /// Echo of the registration's expiry (epoch seconds).
    pub expires_at: u64,
}

/// One event from the station's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayEvent {
    /// The SSE id (absent on `gap` events).
    pub id: Option<u64>,
    /// The SSE event name: `callback`, `provider_return`, `expired` or `gap`.
    pub event: String,
    /// The parsed `data:` JSON.
    pub data: Value,
}

impl RelayEvent {
    /// The event type, if it is one the relay documents.
    pub fn event_type(&self) -> Option<EventType> {
        match self.event.as_str() {
            "callback" => Some(EventType::Callback),
            "provider_return" => Some(EventType::ProviderReturn),
            "expired" => Some(EventType::Expired),
            "gap" => Some(EventType::Gap),
            _ => None,
        }
    }

    /// The request's state.
    pub fn state(&self) -> Option<&str> {
        self.data.get("state").and_then(Value::as_str)
    }

    /// The callback's `requestStatus` (callback events only).
    pub fn request_status(&self) -> Option<&str> {
        self.data.get("requestStatus").and_then(Value::as_str)
    }

    /// The original callback JSON (or `{kind, query}` for a provider return).
    pub fn body(&self) -> Option<&Value> {
        self.data.get("body")
    }
}

/// The auto-reconnecting event stream. Yields `Err` only for failures that retrying cannot fix
/// (rejected credential, bad request) and then ends.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<RelayEvent, RelayError>> + Send>>;

/// HTTP client for a relay, authenticated as one station.
#[derive(Clone)]
pub struct RelayClient {
    http: reqwest::Client,
    base: String,
    credential: String,
    options: ClientOptions,
}

impl fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayClient")
            .field("base", &self.base)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

async fn error_from(resp: reqwest::Response) -> RelayError {
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    RelayError::Status { status, body: body.chars().take(512).collect() }
}

impl RelayClient {
    /// A client for the relay at `base_url` (e.g. `http://127.0.0.1:8080`) as the station
    /// holding `credential`.
    pub fn new(base_url: &str, credential: &str) -> Result<Self, RelayError> {
        let http = reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build()?;
        Ok(Self::with_http_client(http, base_url, credential))
    }

    /// Same, with a caller-built `reqwest::Client` (custom roots, proxies…). Do not give it a
    /// total request timeout: the event stream is long-lived.
    pub fn with_http_client(http: reqwest::Client, base_url: &str, credential: &str) -> Self {
        Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            credential: credential.to_owned(),
            options: ClientOptions::default(),
        }
    }

    /// Replaces the reconnection settings.
    pub fn with_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// `POST /v1/requests`.
    pub async fn register(&self, req: &RegisterRequest) -> Result<RegisteredRequest, RelayError> {
        let resp = self
            .http
            .post(format!("{}/v1/requests", self.base))
            .bearer_auth(&self.credential)
            .json(req)
            .send()
            .await?;
        if resp.status() != reqwest::StatusCode::CREATED {
            return Err(error_from(resp).await);
        }
        Ok(resp.json().await?)
    }

    /// `DELETE /v1/requests/{state}`.
    pub async fn abandon(&self, state: &str) -> Result<(), RelayError> {
        let resp = self
            .http
            .delete(format!("{}/v1/requests/{state}", self.base))
            .bearer_auth(&self.credential)
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(error_from(resp).await);
        }
        Ok(())
    }

    async fn open(&self, last: Option<u64>) -> Result<reqwest::Response, RelayError> {
        let mut req = self
            .http
            .get(format!("{}/v1/events", self.base))
            .bearer_auth(&self.credential)
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(id) = last {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let resp = req.send().await?;
        if !resp.status().is_success() {
            return Err(error_from(resp).await);
        }
        Ok(resp)
    }

    /// `GET /v1/events`, following the stream for ever: on a dropped or idle connection it
    /// reconnects with the last seen id and exponential backoff, so events are neither lost
    /// (within the relay's buffer) nor repeated.
    pub fn events(&self, last_event_id: Option<u64>) -> EventStream {
        let client = self.clone();
        let opts = self.options;
        Box::pin(async_stream::stream! {
            let mut last = last_event_id;
            let mut delay = opts.backoff_initial;
            loop {
                match client.open(last).await {
                    Ok(resp) => {
                        let mut body = resp.bytes_stream();
                        let mut parser = SseParser::default();
                        loop {
                            let next = tokio::time::timeout(opts.idle_timeout, body.next()).await;
                            let chunk = match next {
                                Ok(Some(Ok(chunk))) => chunk,
                                Ok(Some(Err(_)) | None) | Err(_) => break,
                            };
                            delay = opts.backoff_initial;
                            match parser.feed(&chunk) {
                                Ok(events) => {
                                    for ev in events {
                                        if let Some(id) = ev.id {
                                            last = Some(id);
                                        }
                                        yield Ok(ev);
                                    }
                                }
                                Err(_) => break,
                            }
                        }
                    }
                    Err(RelayError::Status { status, body }) if (400..500).contains(&status) && status != 408 && status != 429 => {
                        yield Err(RelayError::Status { status, body });
                        return;
                    }
                    Err(e) => tracing::debug!(error = %e, "relay stream connect failed"),
                }
                tokio::time::sleep(jitter(delay)).await;
                delay = (delay * 2).min(opts.backoff_max);
            }
        })
    }
}

/// Adds up to 25 % of jitter without a random-number crate.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    let quarter = d.as_nanos() / 4;
    if quarter == 0 {
        return d;
    }
    d + Duration::from_nanos(u64::try_from(u128::from(nanos) % quarter).unwrap_or(0))
}

/// Incremental parser for `text/event-stream` (WHATWG rules: CR, LF or CRLF line ends,
/// comments, multi-line data, `id`, `event`; `retry` is ignored).
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    data: String,
    has_data: bool,
    event: String,
    id: Option<u64>,
    size: usize,
}

impl SseParser {
    /// Feeds bytes; returns the events completed by them.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<RelayEvent>, RelayError> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(ev) = self.line_done(&line) {
                        out.push(ev);
                    }
                }
                _ => {
                    self.size += 1;
                    if self.size > MAX_EVENT_BYTES {
                        return Err(RelayError::Protocol("event too large".into()));
                    }
                    self.line.push(b);
                }
            }
        }
        Ok(out)
    }

    fn line_done(&mut self, line: &[u8]) -> Option<RelayEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line[0] == b':' {
            return None;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (text.as_ref(), ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = value.to_owned(),
            "id" if !value.contains('\0') => self.id = value.trim().parse().ok(),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<RelayEvent> {
        self.size = 0;
        let event = std::mem::take(&mut self.event);
        let id = self.id.take();
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        let data = std::mem::take(&mut self.data);
        let data = serde_json::from_str(&data).unwrap_or(Value::String(data));
        let event = if event.is_empty() { "message".to_owned() } else { event };
        Some(RelayEvent { id, event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_split_chunks_and_line_endings() {
        let mut p = SseParser::default();
        let mut got = Vec::new();
        for chunk in [
            &b": keep\r\nid: 7\r"[..],
            b"\nevent: callback\ndata: {\"state\":",
            b"\"a\"}\n\n:\n\nid: 8\revent: expired\rdata: {}\r\r",
        ] {
            got.extend(p.feed(chunk).unwrap_or_default());
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id, Some(7));
        assert_eq!(got[0].event, "callback");
        assert_eq!(got[0].state(), Some("a"));
        assert_eq!(got[1].id, Some(8));
        assert_eq!(got[1].event, "expired");
    }

    #[test]
    fn multi_line_data_is_joined() {
        let mut p = SseParser::default();
        let got = p.feed(b"data: [1,\ndata: 2]\n\n").unwrap_or_default();
        assert_eq!(got[0].data, serde_json::json!([1, 2]));
        assert_eq!(got[0].event, "message");
    }
}
