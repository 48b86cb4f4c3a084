//! The one error type every command returns to the UI: `{ "code": "...", "message": "..." }`.
//!
//! `code` is the closed set the engine defines for the UI (`reclaim_engine::ErrorCode`, exported
//! to `ui/src/lib/ipc/bindings.ts`), which the UI localises; `message` is plain English for
//! developers and logs and is never shown to the person at the kiosk. Neither ever carries
//! personal data (names, account names, claims, passes): engine and camera errors map to a code
//! and a fixed message.

use reclaim_camera::CameraError;
use reclaim_engine::{EngineError, ErrorCode, ErrorView};
use serde::Serialize;

/// The error a command answers with; serialises as the engine's `ErrorView`, which is what the
/// UI's `invoke(...)` promise rejects with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(transparent)]
#[error("{:?}: {}", .0.code, .0.message)]
pub struct CommandError(pub ErrorView);

impl CommandError {
    /// An error with a code and a fixed developer-facing message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(ErrorView { code, message: message.into() })
    }

    /// The code the UI switches on.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }
}

impl From<EngineError> for CommandError {
    fn from(error: EngineError) -> Self {
        Self(error.to_view())
    }
}

impl From<reclaim_protocol::client::ClientError> for CommandError {
    fn from(error: reclaim_protocol::client::ClientError) -> Self {
        Self(error.to_view())
    }
}

impl From<CameraError> for CommandError {
    fn from(error: CameraError) -> Self {
        // The camera's own text names devices and formats, never a person; log it, answer a code.
        tracing::warn!(%error, "camera failed");
        Self::new(ErrorCode::CameraUnavailable, "the camera is missing or failed")
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
    fn engine_refusals_keep_their_code() {
        for (error, name) in [
            (EngineError::InvalidInput("too long"), "invalidInput"),
            (EngineError::NotNow, "notNow"),
            (EngineError::CameraUnavailable, "cameraUnavailable"),
            (EngineError::OutOfService, "outOfService"),
            (EngineError::EngineStopped, "engineStopped"),
            (EngineError::Internal("x"), "internal"),
        ] {
            let value = serde_json::to_value(CommandError::from(error)).unwrap();
            assert_eq!(value["code"], name);
            assert!(value["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }

    #[test]
    fn camera_failures_say_camera_unavailable_without_device_details() {
        let error = CommandError::from(CameraError::Device("/dev/video0: busy".into()));
        assert_eq!(error.code(), ErrorCode::CameraUnavailable);
        assert!(!error.0.message.contains("video0"));
    }
}
