//! `reclaim-cards`: writes every persona's printable test document (front, back), selfie and
//! portrait into a folder, for printing or for filming with a real webcam.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use reclaim_emulator::Fixture;
use reclaim_emulator::provider::{card, portrait};

/// Writes `{persona}.png`, `{persona}-back.png`, `{persona}-selfie.png` and
/// `{persona}-portrait.jpg` for every persona of the fixture.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Folder to write into (created if missing).
    #[arg(default_value = "cards")]
    out: PathBuf,
    /// Tenant fixture (TOML); the built-in demo tenant when absent.
    #[arg(long, env = "RECLAIM_FIXTURE")]
    fixture: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(n) => {
            let _ = writeln!(std::io::stdout(), "wrote {n} files to {}", args.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "reclaim-cards: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<usize> {
    let fixture = match &args.fixture {
        Some(p) => Fixture::load(p)?,
        None => Fixture::demo(),
    };
    std::fs::create_dir_all(&args.out)?;
    let mut n = 0;
    for p in &fixture.personas {
        let files = [
            (format!("{}.png", p.key), card::card_png(p)),
            (format!("{}-back.png", p.key), card::back_png(p)),
            (format!("{}-selfie.png", p.key), portrait::selfie_png(&p.key)),
            (format!("{}-portrait.jpg", p.key), portrait::portrait_jpeg(&p.key)),
        ];
        for (name, bytes) in files {
            if bytes.is_empty() {
                anyhow::bail!("could not render {name}");
            }
            std::fs::write(args.out.join(&name), bytes)?;
            n += 1;
        }
    }
    Ok(n)
}
