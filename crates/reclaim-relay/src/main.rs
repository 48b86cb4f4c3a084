//! `reclaim-relay --config FILE`: the standalone relay for a public host (HTTPS via rustls when
//! the config has a `[tls]` table; otherwise plain HTTP behind a TLS-terminating proxy).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use reclaim_relay::{RelayConfig, RelayError, serve};

/// Command line of the relay binary.
#[derive(Debug, Parser)]
#[command(name = "reclaim-relay", version, about = "Reclaim callback relay")]
struct Args {
    /// TOML configuration file.
    #[arg(long, env = "RECLAIM_RELAY_CONFIG")]
    config: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), RelayError> {
    let config = RelayConfig::from_file(&args.config)?;
    let listener = std::net::TcpListener::bind(config.listen)?;
    let relay = serve(config, listener).await?;
    wait_for_signal().await;
    tracing::info!("shutting down");
    relay.shutdown().await
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
