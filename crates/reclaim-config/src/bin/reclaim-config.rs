//! `reclaim-config`: the install-time admin tool — check a configuration file, store a secret in
//! the OS keyring, print the commented example.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reclaim_config::{Config, KeyringStore, SecretName, SecretStore};
use secrecy::SecretString;
use zeroize::Zeroizing;

/// Reclaim kiosk configuration and secrets.
#[derive(Debug, Parser)]
#[command(name = "reclaim-config", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate FILE: prints `OK`, or every error as `FILE:LINE:COL: KEY: message` (exit 1).
    Check {
        /// Also check that every secret the file needs is in the keyring (values never shown).
        #[arg(long)]
        secrets: bool,
        /// The configuration file.
        file: PathBuf,
    },
    /// Store secret NAME in the OS keyring; the value is read from stdin (one trailing newline
    /// is dropped). Names: client-secret, certificate-password, relay-credential,
    /// provider.ID.link-signing-key, provider.ID.capture-api-key.
    SetSecret {
        /// The secret's name.
        name: String,
    },
    /// Remove secret NAME from the OS keyring.
    DeleteSecret {
        /// The secret's name.
        name: String,
    },
    /// Print the fully commented example configuration.
    Example {
        /// The same shape pointed at the emulator instead.
        #[arg(long)]
        emulator: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { secrets, file } => check(&file, secrets),
        Command::SetSecret { name } => set_secret(&name),
        Command::DeleteSecret { name } => delete_secret(&name),
        Command::Example { emulator } => {
            let text =
                if emulator { reclaim_config::EMULATOR_EXAMPLE } else { reclaim_config::EXAMPLE };
            out(text.trim_end()).map(|()| true)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("reclaim-config: {e}");
            ExitCode::FAILURE
        }
    }
}

fn out(line: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}").map_err(|e| e.to_string())
}

fn check(file: &std::path::Path, secrets: bool) -> Result<bool, String> {
    let config = match Config::load(file) {
        Ok(c) => c,
        Err(e) => {
            for err in e.errors() {
                eprintln!("{err}");
            }
            return Ok(false);
        }
    };
    out("OK")?;
    let needed = config.required_secrets();
    if !secrets {
        if !needed.is_empty() {
            let names: Vec<String> = needed.iter().map(SecretName::account).collect();
            out(&format!("secrets needed in the keyring: {}", names.join(", ")))?;
        }
        return Ok(true);
    }
    let store = KeyringStore::new();
    let mut all = true;
    for name in &needed {
        match store.get(name) {
            Ok(_) => out(&format!("secret `{name}`: set"))?,
            Err(e) => {
                all = false;
                out(&e.to_string())?;
            }
        }
    }
    Ok(all)
}

fn set_secret(name: &str) -> Result<bool, String> {
    let name = SecretName::parse(name).map_err(|e| e.to_string())?;
    let value = read_value(&name)?;
    let store = KeyringStore::new();
    store.set(&name, &value).map_err(|e| e.to_string())?;
    // Read it back: proves the entry landed where the kiosk will look for it.
    store.get(&name).map_err(|e| format!("stored, but reading it back failed: {e}"))?;
    eprintln!("stored `{name}` ({}) in the keyring (service {})", name.describe(), store.service());
    Ok(true)
}

fn delete_secret(name: &str) -> Result<bool, String> {
    let name = SecretName::parse(name).map_err(|e| e.to_string())?;
    KeyringStore::new().delete(&name).map_err(|e| e.to_string())?;
    eprintln!("removed `{name}` from the keyring");
    Ok(true)
}

/// The value from stdin; on a terminal, echo is turned off while it is typed.
fn read_value(name: &SecretName) -> Result<SecretString, String> {
    let stdin = std::io::stdin();
    let mut raw = Zeroizing::new(String::new());
    if stdin.is_terminal() {
        eprint!("value for `{name}` ({}), then Enter: ", name.describe());
        let echo_off = stty("-echo");
        let read = stdin.read_line(&mut raw);
        if echo_off {
            stty("echo");
            eprintln!();
        }
        read.map_err(|e| format!("reading stdin: {e}"))?;
    } else {
        stdin.lock().read_to_string(&mut raw).map_err(|e| format!("reading stdin: {e}"))?;
    }
    let trimmed =
        raw.strip_suffix('\n').map_or(raw.as_str(), |s| s.strip_suffix('\r').unwrap_or(s));
    Ok(SecretString::from(trimmed.to_owned()))
}

fn stty(arg: &str) -> bool {
    std::process::Command::new("stty")
        .arg(arg)
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success())
}
