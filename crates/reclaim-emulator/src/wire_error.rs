//! The three error body shapes the emulated services answer with: identity platform (AADSTS),
//! Verified ID Request Service, and Microsoft Graph (contract §1.6, §2.4, §4.e).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::clock::{rfc1123, rfc3339};

/// An identity-platform token error: `{error, error_description: "AADSTSnnn: …", error_codes, …}`.
#[derive(Debug, Clone)]
pub struct AadError {
    pub status: StatusCode,
    pub error: &'static str,
    pub code: u32,
    pub description: String,
}

impl AadError {
    pub fn new(
        status: StatusCode,
        error: &'static str,
        code: u32,
        description: impl Into<String>,
    ) -> Self {
        Self { status, error, code, description: description.into() }
    }

    /// The JSON body exactly as contract §1.6 shows it.
    pub fn body(&self, now: OffsetDateTime) -> Value {
        let trace = Uuid::new_v4();
        let corr = Uuid::new_v4();
        let ts = rfc3339(now).replace('T', " ");
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\nTimestamp: {ts}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": ts,
            "trace_id": trace,
            "correlation_id": corr,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        })
    }
}

impl IntoResponse for AadError {
    fn into_response(self) -> Response {
        let body = self.body(OffsetDateTime::now_utc());
        let mut resp = (self.status, axum::Json(body)).into_response();
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store, no-cache"));
        resp
    }
}

/// The fixed outer `error.code` the Request Service uses for each HTTP status (contract §2.4).
pub fn request_service_outer_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "notFound",
        405 => "methodNotAllowed",
        406 => "notAcceptable",
        408 => "requestTimeout",
        409 => "conflict",
        410 => "gone",
        411 => "contentLengthRequired",
        412 => "preconditionFailed",
        413 => "payloadTooLarge",
        414 => "uriTooLong",
        415 => "unsupportedMediaType",
        416 => "rangeNotSatisfiable",
        417 => "expectationFailed",
        421 => "misdirectedRequest",
        422 => "unprocessableEntity",
        423 => "locked",
        429 => "tooManyRequests",
        431 => "requestHeaderFieldsTooLarge",
        501 => "notImplemented",
        502 => "badGateway",
        503 => "serviceUnavailable",
        504 => "gatewayTimeout",
        507 => "insufficientStorage",
        _ => "internalServerError",
    }
}

/// The fixed outer `error.message` per status. Only 400's text is documented; the others are ours.
fn request_service_outer_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request is invalid.",
        401 => "The request is not authorized.",
        403 => "The request is forbidden.",
        404 => "The requested resource was not found.",
        429 => "Too many requests.",
        503 => "The service is temporarily unavailable.",
        _ => "The request could not be completed.",
    }
}

/// A Request Service error: `{requestId, date, mscv, error{code, message, innererror{code, message, target?}}}`.
#[derive(Debug, Clone)]
pub struct VcError {
    pub status: StatusCode,
    /// `badOrMissingField`, `notFound`, `tokenError` or `transientError`.
    pub inner_code: &'static str,
    pub inner_message: String,
    pub target: Option<String>,
    pub retry_after: Option<u64>,
}

impl VcError {
    pub fn new(
        status: StatusCode,
        inner_code: &'static str,
        inner_message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            inner_code,
            inner_message: inner_message.into(),
            target: None,
            retry_after: None,
        }
    }

    /// 400 `badOrMissingField` naming the offending field.
    pub fn bad_field(target: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "badOrMissingField", message).with_target(target)
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn body(&self, now: OffsetDateTime) -> Value {
        let mut inner = json!({ "code": self.inner_code, "message": self.inner_message });
        if let Some(t) = &self.target {
            inner["target"] = json!(t);
        }
        json!({
            "requestId": Uuid::new_v4().simple().to_string(),
            "date": rfc1123(now),
            "mscv": mscv(),
            "error": {
                "code": request_service_outer_code(self.status),
                "message": request_service_outer_message(self.status),
                "innererror": inner,
            }
        })
    }
}

impl IntoResponse for VcError {
    fn into_response(self) -> Response {
        let body = self.body(OffsetDateTime::now_utc());
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// A correlation vector in the `base64.n` shape the service prints.
fn mscv() -> String {
    let id = Uuid::new_v4();
    let b = id.as_bytes();
    let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let s: String = b.iter().take(16).map(|x| chars[(*x as usize) % 64] as char).collect();
    format!("{}.0", &s[..16])
}

/// A Microsoft Graph (OData v4) error: `{error{code, message, innerError{date, request-id, client-request-id}}}`
/// with `request-id` / `client-request-id` response headers.
#[derive(Debug, Clone)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
    /// Echoed from the caller's `client-request-id` header when given.
    pub client_request_id: Option<String>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            retry_after: None,
            client_request_id: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Request_ResourceNotFound", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    pub fn with_client_request_id(mut self, headers: &HeaderMap) -> Self {
        self.client_request_id =
            headers.get("client-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        self
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let request_id = Uuid::new_v4().to_string();
        let client_request_id =
            self.client_request_id.clone().unwrap_or_else(|| request_id.clone());
        let body = json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": rfc3339(OffsetDateTime::now_utc()).trim_end_matches('Z'),
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                }
            }
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        let h = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            h.insert("request-id", v);
        }
        if let Ok(v) = HeaderValue::from_str(&client_request_id) {
            h.insert("client-request-id", v);
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn aad_error_has_every_documented_field() {
        let e = AadError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            "The provided value for scope is not valid.",
        );
        let b = e.body(datetime!(2026-08-20 12:00:00 UTC));
        assert_eq!(b["error"], "invalid_scope");
        assert!(b["error_description"].as_str().unwrap().starts_with("AADSTS70011: "));
        assert_eq!(b["error_codes"], json!([70011]));
        assert_eq!(b["timestamp"], "2026-08-20 12:00:00Z");
        assert!(b["trace_id"].is_string() && b["correlation_id"].is_string());
    }

    #[test]
    fn vc_error_outer_code_follows_status() {
        let b = VcError::bad_field("includeQRCode", "field includeQRCode is not boolean")
            .body(datetime!(2026-08-20 12:00:00 UTC));
        assert_eq!(b["error"]["code"], "badRequest");
        assert_eq!(b["error"]["message"], "The request is invalid.");
        assert_eq!(b["error"]["innererror"]["code"], "badOrMissingField");
        assert_eq!(b["error"]["innererror"]["target"], "includeQRCode");
        assert_eq!(b["date"], "Thu, 20 Aug 2026 12:00:00 GMT");
        assert_eq!(request_service_outer_code(StatusCode::TOO_MANY_REQUESTS), "tooManyRequests");
        assert_eq!(
            request_service_outer_code(StatusCode::INTERNAL_SERVER_ERROR),
            "internalServerError"
        );
    }
}
