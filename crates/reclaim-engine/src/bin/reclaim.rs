//! `reclaim`: the engine's command line. `reclaim simulate` runs one whole recovery against the
//! in-process demo stack (emulated tenant + embedded relay) and prints one JSON line. (The
//! pre-flight of a production configuration is `reclaim-service doctor`.)

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use reclaim_emulator::Fixture;
use reclaim_engine::ScanPath;
use reclaim_engine::demo::FaultSpec;
use reclaim_engine::simulate::{self, SimulateOptions};

#[derive(Parser, Debug)]
#[command(name = "reclaim", version, about = "Reclaim's engine from the command line")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one whole recovery against the in-process demo tenant and print one JSON line:
    /// outcome, reason, mode, faceCheckScore, tapIssued, reference, timingsMs (and tap with
    /// --show-tap). Exit code 0 whenever the recovery ran, whatever its outcome.
    #[command(after_help = FAULT_HELP)]
    Simulate(SimulateArgs),
}

const FAULT_HELP: &str = "\
FAULTS (--fault, repeatable):
  SERVICE:STATUS[:COUNT[:PATH]]  the next COUNT calls (default 1) to SERVICE, whose path contains
                                 PATH, answer STATUS with the service's error body; 429 and 503
                                 carry Retry-After: 1          e.g. graph:429:2, requestService:503:1
  SERVICE:delay:MILLIS[:COUNT]   delay the next COUNT calls     e.g. provider:delay:500
  callbacks:drop[:COUNT]         the next COUNT Request Service callbacks are not sent
  callbacks:duplicate[:COUNT]    the next COUNT callbacks are sent twice
  token:expire                   every access token expires when the provider step starts
  relay:drop                     the engine's relay stream is cut while the phone presents,
                                 then restored (it must resume without losing a callback)
  SERVICE is graph, login (or token), requestService (or rs), provider. Without PATH,
  requestService faults hit the kiosk's createPresentationRequest (not the provider's issuance).

PERSONAS: ana maria peter zoe siobhan james dana gina eli tomas priya nora liam sam kai impostor forger
  (see the README's demo tenant table)";

#[derive(clap::Args, Debug)]
struct SimulateArgs {
    /// The demo persona whose ID card is scanned (e.g. ana, maria, priya, impostor).
    #[arg(long)]
    persona: String,
    /// The account typed at the kiosk (default: the persona's own).
    #[arg(long)]
    upn: Option<String>,
    /// Face Check score the phone presents with, 0–100.
    #[arg(long, default_value_t = 90.0)]
    score: f64,
    /// Provider id (default: the first one offered to the account).
    #[arg(long)]
    provider: Option<String>,
    /// How the ID is scanned.
    #[arg(long, value_enum, default_value_t = PathArg::Phone)]
    path: PathArg,
    /// Inject a fault (repeatable; syntax below).
    #[arg(long = "fault", value_name = "SPEC", value_parser = parse_fault)]
    faults: Vec<FaultSpec>,
    /// Include the TAP in the output.
    #[arg(long)]
    show_tap: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PathArg {
    Phone,
    Camera,
}

fn parse_fault(s: &str) -> Result<FaultSpec, String> {
    s.parse::<FaultSpec>().map_err(|e| e.to_string())
}

fn usage_error(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {message}\n\nFor more information, try '--help'.");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Simulate(args) => simulate(args),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| {
        let _ = writeln!(std::io::stderr(), "error: cannot start the runtime: {e}");
        ExitCode::FAILURE
    })
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

fn simulate(args: SimulateArgs) -> ExitCode {
    if Fixture::demo().persona(&args.persona).is_none() {
        return usage_error(&format!(
            "unknown persona {:?}; one of: {}",
            args.persona,
            Fixture::demo().personas.iter().map(|p| p.key.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !args.score.is_finite() || !(0.0..=100.0).contains(&args.score) {
        return usage_error("--score must be between 0 and 100");
    }
    init_tracing();
    let options = SimulateOptions {
        persona: args.persona,
        upn: args.upn,
        score: args.score,
        provider: args.provider,
        path: match args.path {
            PathArg::Phone => ScanPath::Phone,
            PathArg::Camera => ScanPath::Camera,
        },
        faults: args.faults,
        show_tap: args.show_tap,
        ..SimulateOptions::new("")
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match runtime.block_on(simulate::run(options)) {
        Ok(report) => {
            let line = serde_json::to_string(&report).unwrap_or_default();
            let _ = writeln!(std::io::stdout(), "{line}");
            ExitCode::SUCCESS
        }
        Err(simulate::SimulateError::ProviderNotOffered(p)) => {
            usage_error(&format!("provider {p:?} is not offered to this account"))
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: the simulation could not run: {e}");
            ExitCode::FAILURE
        }
    }
}
