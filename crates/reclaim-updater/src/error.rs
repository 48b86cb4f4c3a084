//! [`UpdateError`]: every way checking, downloading, verifying, staging or installing an update
//! can fail. The kiosk maps tauri-plugin-updater's errors onto it; the root installer uses it for
//! every refusal it logs.

/// Why an update was not found, fetched, accepted, staged or installed.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The configured public key is not a Tauri/minisign public key, or (root side) its file
    /// cannot be read or could be changed by someone other than its owner.
    #[error("the updater public key is invalid: {0}")]
    BadKey(String),
    /// The endpoint is not a usable URL (or not https where the updater insists on it).
    #[error("the update endpoint is invalid: {0}")]
    BadEndpoint(String),
    /// The update server could not be reached, broke off, or answered with an error status.
    #[error("the update server could not be reached: {0}")]
    Transport(String),
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
    /// bytes: the package is refused.
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
    /// Root side: a staged file could not be taken (not a regular file, unreadable, …).
    #[error("cannot take the staged file: {0}")]
    Staged(String),
    /// Root side: the verified package is not a package of the kiosk, or dpkg-deb cannot read it.
    #[error("not an installable package: {0}")]
    Package(String),
    /// Root side: the package's own version is not newer than the installed one.
    #[error("version {package} is not newer than the installed {installed}")]
    NotNewer {
        /// The version in the package's control file.
        package: String,
        /// The installed version (dpkg-query).
        installed: String,
    },
    /// Root side: dpkg (or dpkg-query) failed.
    #[error("installing failed: {0}")]
    Install(String),
}
