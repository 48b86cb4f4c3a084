//! The one error type every command returns to the UI: `{ "code": "...", "message": "..." }`.
//!
//! `code` is a closed set the UI localises; `message` is plain English for developers and logs
//! and is never shown to the person at the kiosk. Neither ever carries personal data (names,
//! account names, claims, passes): map engine errors to a code and a fixed message.
//!
//! The codes and the wire shape are the ones `reclaim-engine` defines for the UI
//! (`reclaim_engine::view::{ErrorCode, ErrorView}`, exported to `ui/src/lib/ipc/bindings.ts`).
//! They are repeated here only until the engine crate is committed; then this module re-exports
//! them and maps `EngineError` (see `commands.rs`).

use serde::{Deserialize, Serialize};

/// What went wrong, as the UI sees it. Serialised camelCase; these strings are a contract with
/// the UI's message catalogue, so add variants deliberately and never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The input was malformed (too long, wrong shape).
    InvalidInput,
    /// The command does not apply to the current screen (e.g. a double tap); nothing changed.
    NotNow,
    /// The camera is missing or failed.
    CameraUnavailable,
    /// The station is out of service (pre-flight failed, or switched off).
    OutOfService,
    /// The engine stopped; the app is restarting it.
    EngineStopped,
    /// Anything else; the details are in the log, not in the answer.
    Internal,
}

/// The error a command answers with. Serialises as `{ "code": ..., "message": ... }`, which is
/// what the UI's `invoke(...)` promise rejects with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct CommandError {
    /// The closed code the UI switches on.
    pub code: ErrorCode,
    /// Developer-facing text; no personal data.
    pub message: String,
}

impl CommandError {
    /// An error with a code and a fixed developer-facing message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialises_as_code_and_message_only() {
        let error = CommandError::new(ErrorCode::OutOfService, "the station is out of service");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            json!({ "code": "outOfService", "message": "the station is out of service" })
        );
    }

    #[test]
    fn every_code_has_the_name_the_ui_knows() {
        // ui/src/lib/ipc/backend.ts, ERROR_CODES
        let names = [
            (ErrorCode::InvalidInput, "invalidInput"),
            (ErrorCode::NotNow, "notNow"),
            (ErrorCode::CameraUnavailable, "cameraUnavailable"),
            (ErrorCode::OutOfService, "outOfService"),
            (ErrorCode::EngineStopped, "engineStopped"),
            (ErrorCode::Internal, "internal"),
        ];
        for (code, name) in names {
            assert_eq!(serde_json::to_value(code).unwrap(), json!(name));
            assert_eq!(serde_json::from_value::<ErrorCode>(json!(name)).unwrap(), code);
        }
    }

    #[test]
    fn unknown_codes_are_refused() {
        assert!(serde_json::from_value::<ErrorCode>(json!("oops")).is_err());
    }
}
