//! Running the relay on a bound listener (plain HTTP or rustls), with graceful shutdown.

use std::fmt;
use std::time::Duration;

use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use tokio::task::JoinHandle;

use crate::config::RelayConfig;
use crate::error::RelayError;
use crate::handlers::{router, run_sweeper};
use crate::state::RelayState;

/// A relay serving in the background; stop it with [`RunningRelay::shutdown`].
pub struct RunningRelay {
    base_url: String,
    state: RelayState,
    handle: Handle<std::net::SocketAddr>,
    server: JoinHandle<std::io::Result<()>>,
    sweeper: JoinHandle<()>,
}

impl fmt::Debug for RunningRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningRelay").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl RunningRelay {
    /// `http(s)://ADDR:PORT` of the listener (what a kiosk on the same host connects to).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The `callback.url` to give the Request Service (built from `public_base_url` if set).
    pub fn callback_url(&self) -> &str {
        self.state.callback_url()
    }

    /// The shared state (for inspection in tests and metrics).
    pub fn state(&self) -> &RelayState {
        &self.state
    }

    /// Ends event streams, stops accepting, waits up to 5 s for in-flight requests.
    pub async fn shutdown(self) -> Result<(), RelayError> {
        self.state.trigger_shutdown();
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        let result = self.server.await;
        self.sweeper.abort();
        match result {
            Ok(r) => r.map_err(RelayError::Io),
            Err(e) => Err(RelayError::Io(std::io::Error::other(e))),
        }
    }
}

/// Serves the relay on `listener` in the background (TLS when `config.tls` is set).
pub async fn serve(
    config: RelayConfig,
    listener: std::net::TcpListener,
) -> Result<RunningRelay, RelayError> {
    let addr = listener.local_addr()?;
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{addr}");
    let tls = config.tls.clone();
    let state = RelayState::new(config, &base_url)?;
    let app = router(state.clone()).into_make_service();
    let handle = Handle::new();
    let server = match tls {
        Some(tls) => {
            // Idempotent: fails harmlessly when a provider is already installed.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            let rustls =
                RustlsConfig::from_pem_file(&tls.cert_file, &tls.key_file).await.map_err(|e| {
                    RelayError::config("tls", format!("cannot load certificate or key: {e}"))
                })?;
            let server = axum_server::from_tcp_rustls(listener, rustls)?.handle(handle.clone());
            tokio::spawn(server.serve(app))
        }
        None => {
            let server = axum_server::from_tcp(listener)?.handle(handle.clone());
            tokio::spawn(server.serve(app))
        }
    };
    let sweeper = tokio::spawn(run_sweeper(state.clone()));
    tracing::info!(%base_url, callback_url = state.callback_url(), "relay listening");
    Ok(RunningRelay { base_url, state, handle, server, sweeper })
}
