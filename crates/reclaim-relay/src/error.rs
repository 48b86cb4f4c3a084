//! The one error type of the relay: configuration, start-up, HTTP refusals and client failures.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Everything that can go wrong in the relay, its binary and its client.
///
/// The refusal variants (`Unauthorized` … `TooManyPending`) are what the HTTP handlers answer;
/// their messages never name a state, a key or anything from a callback body.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// A configuration value is missing, has the wrong type or an invalid value.
    #[error("config key `{key}`: {message}")]
    Config {
        /// Dotted path of the offending key, e.g. `stations[1].credential`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// The configuration file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ConfigFile {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML text is not valid TOML.
    #[error("config is not valid TOML: {0}")]
    ConfigSyntax(String),
    /// Binding, accepting or TLS set-up failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),

    /// 401: missing or wrong credential / api-key, or an unknown state (the two are not told apart).
    #[error("unauthorized")]
    Unauthorized,
    /// 400: malformed JSON, missing field or invalid value.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// 404: no such registration for this station.
    #[error("not found")]
    NotFound,
    /// 409: out-of-order event, a second different terminal event, or a duplicate registration.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// 410: the request has expired.
    #[error("expired")]
    Gone,
    /// 413: body larger than the configured limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 429: the station has too many pending registrations.
    #[error("too many pending registrations")]
    TooManyPending,

    /// Client side: the HTTP request itself failed.
    #[error("http client: {0}")]
    Client(#[from] reqwest::Error),
    /// Client side: the relay answered with an unexpected status.
    #[error("relay answered {status}: {body}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// Response body (the relay's own JSON error, never callback data).
        body: String,
    },
    /// Client side: the relay sent something that is not what the protocol says.
    #[error("protocol: {0}")]
    Protocol(String),
}

impl RelayError {
    /// Shorthand for a configuration error on `key`.
    pub fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Config { key: key.into(), message: message.into() }
    }

    /// HTTP status the relay answers for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone => StatusCode::GONE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyPending => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::BadRequest(_) => "badRequest",
            Self::NotFound => "notFound",
            Self::Conflict(_) => "conflict",
            Self::Gone => "gone",
            Self::PayloadTooLarge => "payloadTooLarge",
            Self::UnsupportedMediaType => "unsupportedMediaType",
            Self::TooManyPending => "tooManyRequests",
            _ => "internalServerError",
        }
    }
}

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            // Never echo internals to the caller; they go to the log.
            tracing::error!(error = %self, "internal error");
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let body = serde_json::json!({ "error": { "code": self.code(), "message": message } });
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            // The unread rest of the body makes the connection unusable for another request.
            return (status, [(axum::http::header::CONNECTION, "close")], Json(body))
                .into_response();
        }
        (status, Json(body)).into_response()
    }
}
