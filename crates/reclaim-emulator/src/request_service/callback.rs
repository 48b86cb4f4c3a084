//! Callback delivery: a real JSON POST to `callback.url` carrying the caller's `callback.headers`
//! verbatim (contract §2.5), subject to the drop/duplicate callback faults, each send recorded.

use serde::Serialize;
use serde_json::Value;

use crate::faults::CallbackFault;
use crate::state::AppState;

/// One callback attempt, as the control API reports it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub url: String,
    pub request_status: String,
    /// HTTP status the receiver answered; absent when dropped or unreachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// `delivered`, `dropped` (fault) or `failed` (receiver unreachable).
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Emulated-clock time of the attempt, epoch seconds.
    pub at: i64,
}

/// Sends one callback event for `request_id` (body already carries requestId/requestStatus/state).
pub async fn send(state: &AppState, request_id: &str, body: Value) {
    let Some((url, headers)) = state.requests().callback_target(request_id) else { return };
    let request_status = body["requestStatus"].as_str().unwrap_or_default().to_owned();
    let times = match state.faults().take_callback_fault() {
        Some(CallbackFault::Drop) => {
            state.requests().record_delivery(
                request_id,
                Delivery {
                    url,
                    request_status,
                    http_status: None,
                    outcome: "dropped",
                    error: None,
                    at: state.clock().now_unix(),
                },
            );
            return;
        }
        Some(CallbackFault::Duplicate) => 2,
        None => 1,
    };
    for _ in 0..times {
        let mut req = state.http().post(&url).json(&body);
        for (name, value) in &headers {
            req = req.header(name.as_str(), value.as_str());
        }
        let (http_status, outcome, error) = match req.send().await {
            Ok(resp) => (Some(resp.status().as_u16()), "delivered", None),
            Err(e) => {
                let error = error_chain(&e);
                tracing::warn!(%url, %error, "callback not delivered");
                (None, "failed", Some(error))
            }
        };
        state.requests().record_delivery(
            request_id,
            Delivery {
                url: url.clone(),
                request_status: request_status.clone(),
                http_status,
                outcome,
                error,
                at: state.clock().now_unix(),
            },
        );
    }
}

/// An error with its causes, e.g. `error sending request …: …: invalid peer certificate: UnknownIssuer`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
