//! Fault injection: the next N calls to an endpoint answer 429/5xx or are delayed, callbacks are
//! dropped or sent twice. Rules are set through the control API and consumed as calls arrive.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::wire_error::{AadError, GraphError, VcError};

/// The emulated hosts, for routing and for choosing the error body shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Service {
    Login,
    Graph,
    RequestService,
    Provider,
    Phone,
    Control,
    /// The organisation's HR system (its claim-validation endpoint).
    Hr,
}

/// What a matching call suffers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FaultKind {
    /// Answer with this status (429, 500, 503, …) and the service's own error body.
    #[serde(rename_all = "camelCase")]
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Wait this long, then handle the call normally.
    #[serde(rename_all = "camelCase")]
    Delay { millis: u64 },
    /// Handle the call (its effect happens), then answer this status (504, 500, …) with the
    /// service's error body instead of the real answer: the caller's answer is lost.
    #[serde(rename_all = "camelCase")]
    LoseAnswer { status: u16 },
    /// Request Service callbacks: do not send the next N.
    DropCallbacks,
    /// Request Service callbacks: send each of the next N twice.
    DuplicateCallbacks,
}

/// One rule as posted to `POST {control}/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    pub service: Service,
    /// Only paths containing this text (e.g. `/users`, `createPresentationRequest`); empty = any.
    #[serde(default)]
    pub path_contains: String,
    /// Only this method (`GET`, `POST`); absent = any.
    #[serde(default)]
    pub method: Option<String>,
    #[serde(flatten)]
    pub fault: FaultKind,
    /// How many calls it applies to.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

/// What a callback sender should do with the next callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackFault {
    Drop,
    Duplicate,
}

/// The live rule set.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    pub fn add(&self, rule: FaultRule) {
        if rule.count > 0 {
            self.rules.lock().unwrap_or_else(|e| e.into_inner()).push(rule);
        }
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Takes one use of the first rule matching a call, if any (callback rules never match calls).
    fn take_for_call(&self, service: Service, method: &Method, path: &str) -> Option<FaultKind> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let i = rules.iter().position(|r| {
            r.service == service
                && !matches!(r.fault, FaultKind::DropCallbacks | FaultKind::DuplicateCallbacks)
                && (r.path_contains.is_empty() || path.contains(&r.path_contains))
                && r.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
        })?;
        let fault = rules[i].fault.clone();
        rules[i].count -= 1;
        if rules[i].count == 0 {
            rules.remove(i);
        }
        Some(fault)
    }

    /// Takes one use of a callback rule, if any.
    pub fn take_callback_fault(&self) -> Option<CallbackFault> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let i = rules.iter().position(|r| {
            matches!(r.fault, FaultKind::DropCallbacks | FaultKind::DuplicateCallbacks)
        })?;
        let out = match rules[i].fault {
            FaultKind::DropCallbacks => CallbackFault::Drop,
            _ => CallbackFault::Duplicate,
        };
        rules[i].count -= 1;
        if rules[i].count == 0 {
            rules.remove(i);
        }
        Some(out)
    }

    /// Applies a matching rule to an incoming call: `Some(response)` short-circuits it.
    pub async fn intercept(
        &self,
        service: Service,
        method: &Method,
        path: &str,
    ) -> Option<Response> {
        match self.intercept_call(service, method, path).await {
            Intercepted::Answer(resp) => Some(resp),
            Intercepted::Delay(wait) => {
                tokio::time::sleep(wait).await;
                None
            }
            Intercepted::Pass | Intercepted::LoseAnswer(_) => None,
        }
    }

    /// Applies a matching rule to an incoming call, including the ones that act after it.
    pub async fn intercept_call(
        &self,
        service: Service,
        method: &Method,
        path: &str,
    ) -> Intercepted {
        match self.take_for_call(service, method, path) {
            None | Some(FaultKind::DropCallbacks | FaultKind::DuplicateCallbacks) => {
                Intercepted::Pass
            }
            Some(FaultKind::Delay { millis }) => Intercepted::Delay(Duration::from_millis(millis)),
            Some(FaultKind::Status { status, retry_after }) => Intercepted::Answer(fault_response(
                service,
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                retry_after,
            )),
            Some(FaultKind::LoseAnswer { status }) => Intercepted::LoseAnswer(fault_response(
                service,
                StatusCode::from_u16(status).unwrap_or(StatusCode::GATEWAY_TIMEOUT),
                None,
            )),
        }
    }
}

/// What an intercepted call does.
#[derive(Debug)]
pub enum Intercepted {
    /// Handle it normally.
    Pass,
    /// Answer this instead of handling it.
    Answer(Response),
    /// Wait this long, then handle it. The call completes even if its caller hangs up
    /// meanwhile, as a real service finishes work its client abandoned.
    Delay(Duration),
    /// Handle it, then answer this instead of the real answer.
    LoseAnswer(Response),
}

/// The error a real service of that kind would send for an injected status.
fn fault_response(service: Service, status: StatusCode, retry_after: Option<u64>) -> Response {
    let mut resp = match service {
        Service::Graph => {
            let code = match status.as_u16() {
                429 => "TooManyRequests",
                503 => "serviceNotAvailable",
                504 => "UnknownError",
                _ => "generalException",
            };
            let mut e =
                GraphError::new(status, code, "Injected fault from the emulator's control API.");
            e.retry_after = retry_after;
            e.into_response()
        }
        Service::RequestService => {
            let inner = if status.as_u16() == 429 || status.is_server_error() {
                "transientError"
            } else {
                "badOrMissingField"
            };
            let mut e =
                VcError::new(status, inner, "Injected fault from the emulator's control API.");
            e.retry_after = retry_after;
            e.into_response()
        }
        Service::Login => {
            let (error, code) = if status.as_u16() == 429 {
                ("temporarily_unavailable", 50196)
            } else {
                ("temporarily_unavailable", 90033)
            };
            AadError::new(status, error, code, "Injected fault from the emulator's control API.")
                .into_response()
        }
        Service::Provider | Service::Phone | Service::Control | Service::Hr => (
            status,
            axum::Json(serde_json::json!({"error": "injected_fault", "status": status.as_u16()})),
        )
            .into_response(),
    };
    if let (Some(secs), false) = (retry_after, resp.headers().contains_key("retry-after")) {
        resp.headers_mut().insert("retry-after", secs.into());
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_control_json_and_count_down() {
        let f = Faults::default();
        let rule: FaultRule = serde_json::from_value(serde_json::json!({
            "service": "graph", "pathContains": "/users", "method": "GET",
            "kind": "status", "status": 429, "retryAfter": 2, "count": 2
        }))
        .unwrap();
        f.add(rule);
        assert!(f.take_for_call(Service::Graph, &Method::POST, "/v1.0/users").is_none());
        assert!(f.take_for_call(Service::RequestService, &Method::GET, "/v1.0/users").is_none());
        assert_eq!(
            f.take_for_call(Service::Graph, &Method::GET, "/v1.0/users"),
            Some(FaultKind::Status { status: 429, retry_after: Some(2) })
        );
        assert!(f.take_for_call(Service::Graph, &Method::GET, "/v1.0/users/x").is_some());
        assert!(f.take_for_call(Service::Graph, &Method::GET, "/v1.0/users").is_none());
    }

    #[test]
    fn callback_rules_do_not_match_calls() {
        let f = Faults::default();
        f.add(FaultRule {
            service: Service::RequestService,
            path_contains: String::new(),
            method: None,
            fault: FaultKind::DropCallbacks,
            count: 1,
        });
        assert!(f.take_for_call(Service::RequestService, &Method::POST, "/x").is_none());
        assert_eq!(f.take_callback_fault(), Some(CallbackFault::Drop));
        assert_eq!(f.take_callback_fault(), None);
    }
}
