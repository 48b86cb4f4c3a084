//! [`UpdateError`]: every way checking, downloading, verifying or staging an update can fail.

/// Why an update was not found, fetched, accepted or staged.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The configured public key is not a Tauri/minisign public key.
    #[error("the updater public key is invalid: {0}")]
    BadKey(String),
    /// The endpoint is not an http(s) URL once its placeholders are filled.
    #[error("the update endpoint is invalid: {0}")]
    BadEndpoint(String),
    /// A version string is not semver.
    #[error("invalid version {version:?}: {reason}")]
    BadVersion {
        /// The version as given.
        version: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The update server could not be reached or broke off.
    #[error("the update server could not be reached: {0}")]
    Transport(String),
    /// The update server answered with an unexpected status.
    #[error("the update server answered {status} for {what}")]
    Status {
        /// HTTP status.
        status: u16,
        /// `manifest` or `package`.
        what: &'static str,
    },
    /// The manifest is not Tauri's update format, or has no package for this platform.
    #[error("the update manifest is invalid: {0}")]
    Manifest(String),
    /// The package is larger than [`crate::MAX_PACKAGE_BYTES`].
    #[error("the package is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The package's signature is missing, malformed, by another key, or does not match the
    /// bytes received: the package is refused.
    #[error("the package's signature is not valid: {0}")]
    BadSignature(String),
    /// The verified package could not be written to the staging directory.
    #[error("cannot stage the update in {dir}: {message}")]
    Stage {
        /// The staging directory.
        dir: String,
        /// Why.
        message: String,
    },
}
