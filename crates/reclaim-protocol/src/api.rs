//! Paths and bodies of the session API (`/v1/...`).
//!
//! | call | path | body → answer |
//! |---|---|---|
//! | the station's views (SSE, event `view`, id = `seq`) | `GET /v1/views` | → `ViewUpdate`s, the current one first |
//! | the station | `GET /v1/station` | → `StationView` |
//! | run the pre-flight now | `POST /v1/station/preflight` | → `StationView` |
//! | begin (attract → identify) | `POST /v1/sessions` | → 201 [`SessionCreated`] |
//! | the account | `POST /v1/sessions/{id}/account` | [`AccountBody`] → 204 |
//! | provider and path | `POST /v1/sessions/{id}/provider` | [`ProviderBody`] → 204 |
//! | a camera shot | `POST /v1/sessions/{id}/shots/{front,back,selfie}` | JPEG/PNG bytes → 204 |
//! | "I have added it" (link-only provider) | `POST /v1/sessions/{id}/added-to-wallet` | → 204 |
//! | done | `POST /v1/sessions/{id}/done` | → 204 |
//! | cancel | `DELETE /v1/sessions/{id}` | → 204 |
//! | activity (any touch) | `POST /v1/activity` | → 204 |
//! | enrol a station | `POST /v1/enroll` | `EnrollRequest` → 201 `EnrollResponse` (see [`crate::station`]) |
//! | liveness, no authentication | `GET /health` | → 200 |
//!
//! Every call but `/health` and `/v1/enroll` carries `Authorization: Bearer <assertion>` (the
//! station's signed assertion). A failure answers an [`ApiError`] with a status: 400 bad input,
//! 401 unknown/revoked/expired station, 404 a session that is not this station's current one,
//! 409 not now, 413 body too large, 503 out of service, 500 anything else.

use serde::{Deserialize, Serialize};

use crate::view::{ErrorCode, ScanPath};

/// The API's version prefix.
pub const V1: &str = "/v1";
/// `GET`: the station's views over server-sent events.
pub const VIEWS: &str = "/v1/views";
/// `GET`: the station.
pub const STATION: &str = "/v1/station";
/// `POST`: run the pre-flight.
pub const PREFLIGHT: &str = "/v1/station/preflight";
/// `POST`: begin a session.
pub const SESSIONS: &str = "/v1/sessions";
/// `POST`: activity.
pub const ACTIVITY: &str = "/v1/activity";
/// `GET`: liveness (no authentication).
pub const HEALTH: &str = "/health";
/// The header a station states whether it has a camera with (`present` / `absent`): it decides
/// whether the camera path is offered there, nothing else.
pub const CAMERA_HEADER: &str = "reclaim-camera";
/// The header a kiosk states its version with (the operator console shows it).
pub const VERSION_HEADER: &str = "reclaim-version";
/// The SSE event name of a view update.
pub const VIEW_EVENT: &str = "view";
/// Largest camera shot the service takes (the providers' capture API limit).
pub const MAX_SHOT_BYTES: usize = 8 * 1024 * 1024;

/// `POST /v1/sessions` answers the new session's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionCreated {
    /// Opaque; names this station's current session in the calls that drive it.
    pub id: String,
}

/// `POST /v1/sessions/{id}/account`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountBody {
    /// The work account as typed (personal data: never logged).
    pub upn: String,
}

impl std::fmt::Debug for AccountBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountBody").field("upn", &"<redacted>").finish()
    }
}

/// `POST /v1/sessions/{id}/provider`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderBody {
    /// A provider id from the choose-provider screen.
    pub provider: String,
    /// Phone or kiosk camera.
    pub path: ScanPath,
}

/// `POST /v1/sessions/{id}/existing`: present a credential already held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExistingBody {
    /// A choice id from the choose-provider screen's `existing`.
    pub choice: String,
}

/// What a failed call answers. `code` is one of [`ErrorCode`]'s wire names, or one of the
/// transport codes below; the message is English for logs, never personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// The code.
    pub code: String,
    /// For the log.
    pub message: String,
}

/// Transport codes besides [`ErrorCode`]'s.
pub mod codes {
    /// 401: no, an unknown, a revoked or an expired station credential.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// 404: no such session for this station.
    pub const NOT_FOUND: &str = "notFound";
    /// 413: the body is larger than the call takes.
    pub const TOO_LARGE: &str = "payloadTooLarge";
}

impl ApiError {
    /// An error with a closed [`ErrorCode`].
    pub fn of(code: ErrorCode, message: impl Into<String>) -> Self {
        let code = serde_json::to_value(code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "internal".into());
        Self { code, message: message.into() }
    }

    /// The closed code the UI localises: a transport code maps onto what it means for the
    /// person (an unenrolled station is out of service; another session is "not now").
    pub fn error_code(&self) -> ErrorCode {
        match self.code.as_str() {
            codes::UNAUTHORIZED => ErrorCode::OutOfService,
            codes::NOT_FOUND => ErrorCode::NotNow,
            codes::TOO_LARGE => ErrorCode::InvalidInput,
            other => serde_json::from_value(serde_json::Value::String(other.to_owned()))
                .unwrap_or(ErrorCode::Internal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_round_trip_and_transport_codes_map_for_the_ui() {
        let e = ApiError::of(ErrorCode::NotNow, "x");
        assert_eq!(e.code, "notNow");
        assert_eq!(e.error_code(), ErrorCode::NotNow);
        let unauthorized = ApiError { code: codes::UNAUTHORIZED.into(), message: String::new() };
        assert_eq!(unauthorized.error_code(), ErrorCode::OutOfService);
        let other = ApiError { code: "somethingNew".into(), message: String::new() };
        assert_eq!(other.error_code(), ErrorCode::Internal);
    }

    #[test]
    fn the_account_never_reaches_debug_output() {
        let body = AccountBody { upn: "ana.lima@contoso.example".into() };
        assert!(!format!("{body:?}").contains("ana"));
    }
}
