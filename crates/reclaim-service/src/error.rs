//! [`ServiceError`]: why the service, or a part of it, could not start or serve.

/// The service's errors.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Binding or serving a socket failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The demo tenant could not start.
    #[cfg(feature = "demo")]
    #[error("demo tenant: {0}")]
    Demo(#[from] reclaim_engine::demo::DemoError),
    /// No engine can be started for one more station (the demo tenant's stations are taken).
    #[error("no capacity for another station")]
    NoCapacity,
    /// The configuration cannot be served (missing `[server]`, a secret, an endpoint).
    #[error("{0}")]
    Config(String),
    /// The station registry refused or failed.
    #[error("stations: {0}")]
    Stations(String),
    /// The limits store cannot be opened (an unreadable `limits.json`).
    #[error("limits: {0}")]
    Limits(String),
    /// The audit log cannot be opened or resumed (a broken chain), or its export cannot start.
    #[error("audit: {0}")]
    Audit(String),
    /// The directory-readiness scan could not complete (configuration or tenant).
    #[error("{code}: {message}")]
    Scan {
        /// Stable code (`tenant_unreachable`, `config_invalid`, …).
        code: &'static str,
        /// What happened and what to check.
        message: String,
    },
}
