//! `reclaim-service`: the recovery service binary.
//!
//! * `reclaim-service --demo [--listen ADDR] [--credential-file FILE]` — the service on the
//!   in-process emulated tenant; prints one JSON line with its URL, the emulator's control URL,
//!   an enrolled demo station (its id and the file holding its credential) and the chained audit
//!   log's file (`auditFile`, in a folder of its own under the temporary folder), then serves
//!   until interrupted.
//! * `reclaim-service serve --config FILE` — a real tenant (the file's `[server]` section).
//! * `reclaim-service doctor --config FILE [--json]` — the pre-flight of a production file.
//! * `reclaim-service scan --config FILE | --demo [--format table|csv|html] [--out FILE]` —
//!   directory readiness: per recovery profile, the users a recovery would refuse
//!   ([`reclaim_service::scan`]).
//! * `reclaim-service stations enroll|revoke|list …` — station enrolment codes and revocation
//!   ([`reclaim_service::stations::cli`]).
//! * `reclaim-service audit verify FILE` — proves the audit log's hash chain;
//!   `reclaim-service audit export FILE --since SEQ` — its records after SEQ as JSON lines.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reclaim_service::stations::{self, StationsCommand};

/// The Reclaim recovery service.
#[derive(Debug, Parser)]
#[command(name = "reclaim-service", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Serve on the in-process emulated tenant (demo mode).
    #[arg(long)]
    demo: bool,
    /// Where the session API listens.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Demo: how many stations the emulated tenant can serve at once (the first is enrolled).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=2000))]
    stations: u16,
    /// Demo: where to write the demo station's credential (mode 0600; default: a new file in
    /// the system's temporary folder).
    #[arg(long, value_name = "FILE")]
    credential_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a production configuration against the real services: the file and its secrets
    /// (its `[server] secrets_file` or the OS keyring), clock skew, a token for Graph and for the
    /// Request Service, the Graph reads the engine makes, the Verified ID profiles, the relay. One
    /// PASS/FAIL line per check with what to fix. Exit code 0 when every check passes, 1 when one
    /// fails, 2 when the file does not load.
    Doctor {
        /// The production configuration file (TOML, see `reclaim-config example`).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Print the report as one JSON object instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Serve a real tenant: the configuration file with a `[server]` section (its secrets from
    /// `server.secrets_file` or the service user's keyring).
    Serve {
        /// The configuration file.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Directory readiness: reads the tenant as a kiosk would and reports, per recovery profile,
    /// the users a recovery would refuse (blank, non-Latin or initials-only names, duplicates
    /// under the profile's matching rule, outside the TAP policy, privileged roles, disabled
    /// accounts, guests). Names each user by principal name and display name only. Exit code 0
    /// when the scan completes (findings or not), 2 on a configuration or tenant error, 1 when
    /// the report cannot be written.
    Scan {
        /// The production configuration file (its tenant and credential).
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "demo",
            conflicts_with = "demo"
        )]
        config: Option<PathBuf>,
        /// Scan the in-process emulated demo tenant instead.
        #[arg(long)]
        demo: bool,
        /// The report's format.
        #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
        format: ScanFormat,
        /// Write the report to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Enrol, revoke and list kiosk stations (run as the service's user).
    #[command(subcommand)]
    Stations(StationsCommand),
    /// The audit log (`{state_dir}/audit/audit.jsonl`): verify its chain, export its records.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// `scan --format`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ScanFormat {
    /// Aligned columns, one section per profile, a summary line.
    Table,
    /// RFC 4180 CSV: profile, finding, user principal name, user id, detail.
    Csv,
    /// A standalone, accessible HTML page.
    Html,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Proves the hash chain of an audit log: exit 0 with "N records, chain intact, first …
    /// last …"; exit 1 naming the first line that breaks it (edited: hash mismatch; removed,
    /// moved or inserted: prev mismatch or seq gap); exit 2 when the file cannot be read. Prints
    /// only seq, timestamp and event name of records.
    Verify {
        /// The audit log file.
        file: PathBuf,
    },
    /// Prints the records after a seq, as they are in the file (JSON lines), e.g. to fill a gap
    /// the syslog collector shows.
    Export {
        /// The audit log file.
        file: PathBuf,
        /// Only records with a larger seq (0: all).
        #[arg(long, value_name = "SEQ", default_value_t = 0)]
        since: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Stations(command)) => stations::cli(command),
        Some(Command::Audit(command)) => audit(command),
        Some(Command::Serve { config }) => serve(&config),
        Some(Command::Doctor { config, json }) => doctor(&config, json),
        Some(Command::Scan { config, demo: _, format, out }) => {
            scan(config.as_deref(), format, out.as_deref())
        }
        None if cli.demo => demo(cli),
        None => {
            eprintln!(
                "reclaim-service: nothing to do; `--demo` serves the emulated tenant, see \
                 `reclaim-service --help`"
            );
            ExitCode::from(2)
        }
    }
}

#[allow(clippy::print_stdout)] // the verdict and the export are the commands' output
fn audit(command: AuditCommand) -> ExitCode {
    use reclaim_service::audit_log::{self, Verdict};
    match command {
        AuditCommand::Verify { file } => match audit_log::verify_file(&file) {
            Ok(Verdict::Intact(verified)) => {
                println!("{}: {verified}", file.display());
                ExitCode::SUCCESS
            }
            Ok(Verdict::Broken(b)) => {
                eprintln!("{}: chain broken at {b}", file.display());
                ExitCode::from(1)
            }
            Err(e) => {
                eprintln!("{}: cannot read: {e}", file.display());
                ExitCode::from(2)
            }
        },
        AuditCommand::Export { file, since } => {
            let exported = std::fs::File::open(&file)
                .and_then(|f| audit_log::export(f, since, &mut std::io::stdout().lock()));
            match exported {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{}: {e}", file.display());
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RECLAIM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

fn serve(file: &std::path::Path) -> ExitCode {
    let config = match reclaim_config::Config::load(file) {
        Ok(config) => config,
        Err(e) => {
            // Names the file, the line and column, and the key.
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    init_tracing();
    let secrets = match reclaim_service::production::secret_store(&config) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("reclaim-service: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("reclaim-service: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async {
        let limits = reclaim_service::listener::Limits::default();
        let running = reclaim_service::production::serve(&config, secrets.as_ref(), limits)
            .await
            .map_err(|e| e.to_string())?;
        shutdown_signal().await;
        running.shutdown().await;
        Ok::<(), String>(())
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reclaim-service: {e}");
            ExitCode::from(2)
        }
    }
}

fn doctor(file: &std::path::Path, json: bool) -> ExitCode {
    use reclaim_service::doctor::{self, SecretSnapshot};
    let config = match reclaim_config::Config::load(file) {
        Ok(config) => config,
        Err(e) => {
            // Names the file, the line and column, and the key.
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let store = match reclaim_service::production::secret_store(&config) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("reclaim-service: {e}");
            return ExitCode::from(2);
        }
    };
    // The keyring blocks (D-Bus): read every secret before the runtime starts.
    let secrets = SecretSnapshot::read(&config, store.as_ref());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("reclaim-service: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = runtime.block_on(doctor::run(&config, &secrets));
    let text = if json {
        serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
    } else {
        report.to_string()
    };
    #[allow(clippy::print_stdout)] // the report is the command's output
    {
        println!("{text}");
    }
    if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// `scan`: exit 0 on a completed scan, 2 on a configuration or tenant error (`code: message`),
/// 1 when the report cannot be written. Nothing of a user goes to the log.
fn scan(
    file: Option<&std::path::Path>,
    format: ScanFormat,
    out: Option<&std::path::Path>,
) -> ExitCode {
    use reclaim_service::scan::{self, Format};
    let fail = |e: reclaim_service::ServiceError| {
        eprintln!("reclaim-service scan: {e}");
        ExitCode::from(2)
    };
    let config = match file {
        Some(file) => match reclaim_config::Config::load(file) {
            Ok(config) => Some(config),
            Err(e) => {
                // Names the file, the line and column, and the key.
                eprintln!("reclaim-service scan: config_invalid: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let secrets = match &config {
        Some(config) => match reclaim_service::production::secret_store(config) {
            Ok(store) => Some(store),
            Err(e) => {
                eprintln!("reclaim-service scan: config_invalid: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    // The keyring blocks (D-Bus): the Graph client (and its credential) before the runtime.
    let graph = match (&config, &secrets) {
        (Some(config), Some(secrets)) => match scan::graph_for_config(config, secrets.as_ref()) {
            Ok(graph) => Some(graph),
            Err(e) => return fail(e),
        },
        _ => None,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("reclaim-service: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = runtime.block_on(async {
        match (&graph, &config) {
            (Some(graph), Some(config)) => {
                scan::scan(graph, &config.engine.refused_role_template_ids).await
            }
            _ => scan::scan_demo().await,
        }
    });
    let report = match report {
        Ok(report) => report,
        Err(e) => return fail(e),
    };
    let format = match format {
        ScanFormat::Table => Format::Table,
        ScanFormat::Csv => Format::Csv,
        ScanFormat::Html => Format::Html,
    };
    let text = scan::render(&report, format);
    match out {
        Some(path) => {
            // The report names users: readable by its owner only.
            let written = {
                use std::io::Write as _;
                use std::os::unix::fs::OpenOptionsExt as _;
                std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(path)
                    .and_then(|mut f| f.write_all(text.as_bytes()))
            };
            if let Err(e) = written {
                eprintln!("reclaim-service scan: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            eprintln!("{}", report.summary());
        }
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
                eprintln!("reclaim-service scan: cannot write the report: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn demo(cli: Cli) -> ExitCode {
    init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("reclaim-service: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve_demo(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reclaim-service: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_demo(cli: Cli) -> Result<(), String> {
    use reclaim_service::demo::{DemoService, DemoServiceOptions};
    let options = DemoServiceOptions {
        stack: reclaim_engine::demo::DemoOptions {
            extra_stations: usize::from(cli.stations) - 1,
            camera_available: true,
            ..Default::default()
        },
        listen: Some(cli.listen),
        // The demo keeps its chained audit log in a folder of its own under the system's
        // temporary folder (printed as `auditFile`).
        audit_dir: Some(
            std::env::temp_dir().join(format!("reclaim-demo-audit-{}", std::process::id())),
        ),
        console: true,
        ..Default::default()
    };
    let service = DemoService::start(options).await.map_err(|e| e.to_string())?;
    let audit_file = service.audit().map(|a| a.path().display().to_string()).unwrap_or_default();
    let credential = service.enroll("demo-station").map_err(|e| e.to_string())?;
    let file = cli.credential_file.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("reclaim-demo-station-{}.cred", std::process::id()))
    });
    credential.write_file(&file).map_err(|e| e.to_string())?;
    let line = serde_json::json!({
        "url": service.url(),
        "controlUrl": service.stack().control_url(),
        "phonePageUrl": service.stack().phone_page_url(),
        "stationId": credential.station_id,
        "credentialFile": file.display().to_string(),
        "auditFile": audit_file,
        "consoleUrl": format!("{}/console", service.url()),
    });
    #[allow(clippy::print_stdout)] // the one line a script or test reads
    {
        println!("{line}");
    }
    shutdown_signal().await;
    service.shutdown().await;
    let _ = std::fs::remove_file(&file);
    Ok(())
}

/// Ctrl-C, or SIGTERM (what systemd sends on stop).
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async {
            match term.as_mut() {
                Some(term) => { term.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
}
