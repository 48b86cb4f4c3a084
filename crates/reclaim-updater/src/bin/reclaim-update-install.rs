//! `reclaim-update-install`: the root side of a kiosk update (see `reclaim_updater::install`).
//! Run by `docs/kiosk/reclaim-update.service` when a package lands in the staging folder. Logs
//! one line per staged package (installed, or refused and why) to standard error, the journal.
//! Exit 0 when every staged package was installed (or none was staged), 1 when one was refused
//! or failed, 2 on bad arguments.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use clap::Parser;
use reclaim_updater::install::{Installer, KEY_FILE, Outcome, STAGING_DIR};

/// Installs verified, newer kiosk packages from the staging folder (as root).
#[derive(Debug, Parser)]
#[command(name = "reclaim-update-install", version)]
struct Args {
    /// The folder the kiosk stages packages in.
    #[arg(long, value_name = "DIR", default_value = STAGING_DIR)]
    staging: PathBuf,
    /// The root-owned public key packages must be signed with.
    #[arg(long, value_name = "FILE", default_value = KEY_FILE)]
    key: PathBuf,
    /// Where the private directory for verified copies is made (default: $TMPDIR or /tmp).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// The only Debian package accepted.
    #[arg(long, value_name = "NAME", default_value = reclaim_updater::PACKAGE)]
    package: String,
    /// The dpkg program.
    #[arg(long, value_name = "PATH", default_value = "/usr/bin/dpkg")]
    dpkg: PathBuf,
    /// The dpkg-deb program.
    #[arg(long, value_name = "PATH", default_value = "/usr/bin/dpkg-deb")]
    dpkg_deb: PathBuf,
    /// The dpkg-query program.
    #[arg(long, value_name = "PATH", default_value = "/usr/bin/dpkg-query")]
    dpkg_query: PathBuf,
    /// After installing, end the running kiosk (`pkill -x reclaim-kiosk`) so its session
    /// starts the new version.
    #[arg(long)]
    restart_kiosk: bool,
    /// The pkill program (`--restart-kiosk`).
    #[arg(long, value_name = "PATH", default_value = "/usr/bin/pkill")]
    pkill: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let defaults = Installer::default();
    let installer = Installer {
        staging: args.staging,
        key_file: args.key,
        work_dir: args.work_dir.unwrap_or(defaults.work_dir),
        package: args.package,
        dpkg: args.dpkg,
        dpkg_deb: args.dpkg_deb,
        dpkg_query: args.dpkg_query,
    };
    let outcomes = match installer.run() {
        Ok(outcomes) => outcomes,
        Err(error) => {
            eprintln!("reclaim-update-install: nothing installed: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut installed = false;
    let mut refused = false;
    for outcome in &outcomes {
        eprintln!("reclaim-update-install: {outcome}");
        match outcome {
            Outcome::Installed { .. } => installed = true,
            Outcome::Refused { .. } => refused = true,
        }
    }
    if installed && args.restart_kiosk {
        // pkill answers 1 when no kiosk is running: nothing to restart then.
        let ended = Command::new(&args.pkill)
            .args(["-x", "reclaim-kiosk"])
            .stdin(Stdio::null())
            .status()
            .map(|status| status.code() == Some(0) || status.code() == Some(1));
        if !matches!(ended, Ok(true)) {
            eprintln!("reclaim-update-install: could not end the running kiosk ({ended:?})");
        }
    }
    if refused { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
