//! `reclaim-emulator`: serves an emulated tenant until stopped and prints one JSON line with its
//! tenant id and base URLs.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use reclaim_emulator::{EmulatorOptions, Fixture};

/// An emulated Microsoft Entra tenant for Reclaim.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Tenant fixture (TOML); the built-in demo tenant when absent.
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Serve HTTPS with a generated CA (its file is named in the start line as `caFile`).
    #[arg(long)]
    tls: bool,
    /// PEM file of CA certificates trusted for https callbacks besides the system roots (sets the
    /// fixture's `callback_ca_file`).
    #[arg(long, value_name = "FILE")]
    callback_ca: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut fixture =
        match args.fixture.as_deref().map(Fixture::load).unwrap_or_else(|| Ok(Fixture::demo())) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("reclaim-emulator: {e}");
                return ExitCode::from(2);
            }
        };
    if let Some(ca) = args.callback_ca {
        fixture.settings.callback_ca_file = Some(ca.display().to_string());
    }
    let running = match reclaim_emulator::start(EmulatorOptions {
        listen: args.listen,
        fixture,
        tls: args.tls,
    })
    .await
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("reclaim-emulator: {e}");
            return ExitCode::from(1);
        }
    };
    let line = serde_json::to_string(&running.urls).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    ExitCode::SUCCESS
}
