//! [`EngineError`]: why a command was refused, as the closed [`ErrorCode`] the UI localises.

use crate::view::{ErrorCode, ErrorView};

/// A refused or failed engine command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The input is malformed (too long, empty image, …).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// The command does not apply to the current screen (e.g. a double tap); nothing changed.
    #[error("the command does not apply to the current screen")]
    NotNow,
    /// The station has no camera.
    #[error("no camera on this station")]
    CameraUnavailable,
    /// Pre-flight failed: recoveries cannot start.
    #[error("the station is out of service")]
    OutOfService,
    /// The engine's task has ended.
    #[error("the engine has stopped")]
    EngineStopped,
    /// Anything else.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl EngineError {
    /// The code the UI localises.
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::InvalidInput(_) => ErrorCode::InvalidInput,
            EngineError::NotNow => ErrorCode::NotNow,
            EngineError::CameraUnavailable => ErrorCode::CameraUnavailable,
            EngineError::OutOfService => ErrorCode::OutOfService,
            EngineError::EngineStopped => ErrorCode::EngineStopped,
            EngineError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What crosses IPC: the code and an English message for logs (never personal data).
    pub fn to_view(&self) -> ErrorView {
        ErrorView { code: self.code(), message: self.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_views() {
        assert_eq!(EngineError::NotNow.code(), ErrorCode::NotNow);
        let v = EngineError::InvalidInput("image too large").to_view();
        assert_eq!(v.code, ErrorCode::InvalidInput);
        assert_eq!(v.message, "invalid input: image too large");
        assert_eq!(
            serde_json::to_value(EngineError::OutOfService.to_view()).unwrap()["code"],
            "outOfService"
        );
    }
}
