//! reclaim-config: the kiosk's production configuration — a TOML file validated at start with
//! errors that name the key path and the line (`config.toml:12:1: tenant.client_id: not a GUID
//! ("abc")`) — and its secrets, which never live in that file but in a [`SecretStore`] (the OS
//! keyring in production). See the crate README for every key.
//!
//! ```no_run
//! use reclaim_config::{Config, KeyringStore};
//! let config = Config::load("/etc/reclaim/reclaim.toml")?; // every error at once
//! let store = KeyringStore::new();
//! if let Some(prod) = config.production() {
//!     let credential = config.client_credential(&store)?; // for reclaim_entra::TokenSource
//!     let endpoints = prod.endpoints.to_entra();
//!     let http = config.http_client()?; // trusts endpoints.ca_file
//!     let relay_credential = config.relay_credential(&store)?;
//! #   let _ = (credential, endpoints, http, relay_credential);
//! }
//! let engine = config.engine_config(); // reclaim_core::EngineConfig
//! # let _ = engine;
//! # Ok::<(), reclaim_config::ConfigError>(())
//! ```

mod convert;
mod error;
mod file_store;
mod model;
mod parse;
mod raw;
mod secrets;
mod validate;

use std::path::Path;

pub use error::{ConfigError, error_chain};
pub use file_store::{FileStore, FileStoreError};
pub use model::{
    Audit, Console, DEFAULT_SYSLOG_APP_NAME, DEFAULT_SYSLOG_FACILITY, SYSLOG_FACILITIES, Syslog,
    WEBHOOK_EVENTS, Webhook,
};
pub use model::{
    CertificateCredential, CertificateFormat, CertificateHeader, Config, Credential, DEFAULT_GRAPH,
    DEFAULT_LOG_DIRECTORY, DEFAULT_LOG_MAX_FILES, DEFAULT_LOGIN, DEFAULT_REQUEST_SERVICE,
    DEFAULT_SERVER_LISTEN, DEFAULT_SERVER_STATE_DIR, Document, Endpoints, Locale, Logging, Mode,
    Notify, Production, Provider, ProviderKind, Relay, Server, Service, Station, Tenant, Updater,
    Verifier,
};
pub use secrets::{
    CERTIFICATE_PASSWORD, CLIENT_SECRET, CONSOLE_CLIENT_SECRET, KEYRING_SERVICE, KeyringStore,
    MIN_LINK_KEY_LEN, MIN_RELAY_CREDENTIAL_LEN, MemoryStore, RELAY_CREDENTIAL, SecretError,
    SecretName, SecretStore, WEBHOOK_SECRET,
};

/// The fully commented production example (`docs/config/reclaim.example.toml`), printed by
/// `reclaim-config example`.
pub const EXAMPLE: &str = include_str!("../../../docs/config/reclaim.example.toml");

/// The same shape pointed at the emulator (`docs/config/emulator.toml`).
pub const EMULATOR_EXAMPLE: &str = include_str!("../../../docs/config/emulator.toml");

impl Config {
    /// Reads and validates `path`. Relative paths inside the file are resolved against the
    /// file's folder. On failure every error found is returned together
    /// ([`ConfigError::Multiple`]), each with file, line, column and key path.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let base = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        Self::from_toml(&text, &path.display().to_string(), &base)
    }

    /// Validates `text`, reporting errors under the name `file` and resolving relative paths
    /// against `base_dir`. No I/O except checking that the named certificate and CA files exist.
    pub fn from_toml(text: &str, file: &str, base_dir: &Path) -> Result<Config, ConfigError> {
        let src = parse::Source { file, text };
        let (raw, errors) = parse::parse(src)?;
        validate::validate(src, base_dir, raw, errors)
    }
}
