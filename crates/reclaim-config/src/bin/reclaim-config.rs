//! `reclaim-config`: the install-time admin tool — check a configuration file, store a secret in
//! the OS keyring, enrol the station with the recovery service, print the commented example.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reclaim_config::{Config, KeyringStore, SecretName, SecretStore};
use reclaim_protocol::station::{
    ENROLL_PATH, EnrollRequest, EnrollResponse, StationCredential, StationKey, normalize_audience,
};
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
    /// Enrol this kiosk with the recovery service at URL using the one-time CODE an
    /// administrator issued (`reclaim-service stations enroll NAME`): makes a key pair and
    /// stores the station credential (private key included) in the OS keyring as
    /// `station-credential`, or with --file in a file only its owner can read.
    Enroll {
        /// The service's base URL, as the kiosk will use it (`https://recovery.contoso.example`;
        /// plain `http://` only on loopback).
        url: String,
        /// The one-time code (`XXXX-XXXX-XXXX-XXXX`).
        code: String,
        /// Write the credential to this file (mode 0600) instead of the keyring (demo, tests).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Replace a credential already stored.
        #[arg(long)]
        replace: bool,
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
        Command::Enroll { url, code, file, replace } => {
            let code = Zeroizing::new(code);
            enroll(&url, &code, file.as_deref(), replace)
        }
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

/// `reclaim-config enroll URL CODE [--file PATH] [--replace]`.
fn enroll(
    url: &str,
    code: &str,
    file: Option<&std::path::Path>,
    replace: bool,
) -> Result<bool, String> {
    let base = normalize_audience(url.trim()).to_owned();
    check_service_url(&base)?;
    // Refuse to overwrite before the one-time code is spent.
    match file {
        Some(path) if path.exists() && !replace => {
            return Err(format!(
                "{} already exists; pass --replace to overwrite it",
                path.display()
            ));
        }
        None if !replace => match KeyringStore::new().get(&SecretName::StationCredential) {
            Ok(_) => {
                return Err("a station credential is already in the keyring; pass --replace to \
                            enrol again"
                    .to_owned());
            }
            Err(reclaim_config::SecretError::Missing { .. }) => {}
            Err(e) => return Err(e.to_string()),
        },
        _ => {}
    }
    let key = StationKey::generate().map_err(|e| e.to_string())?;
    let request =
        EnrollRequest { code: code.to_owned(), public_key: key.public_key().to_base64url() };
    let endpoint = format!("{base}{ENROLL_PATH}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the HTTP client: {e}"))?;
    let response: EnrollResponse = runtime.block_on(post_enroll(&endpoint, &request))?;
    drop(request);
    let credential = StationCredential::new(response.station_id.clone(), base.clone(), key);
    let stored_in = match file {
        Some(path) => {
            credential.write_file(path).map_err(|e| e.to_string())?;
            StationCredential::read_file(path)
                .map_err(|e| format!("written, but reading it back failed: {e}"))?;
            format!("{} (mode 0600)", path.display())
        }
        None => {
            let store = KeyringStore::new();
            store.set_station_credential(&credential).map_err(|e| {
                format!(
                    "enrolled as {}, but storing the credential failed: {e}",
                    response.station_id
                )
            })?;
            store
                .station_credential()
                .map_err(|e| format!("stored, but reading it back failed: {e}"))?;
            format!(
                "the keyring (service {}, account {})",
                store.service(),
                SecretName::StationCredential.account()
            )
        }
    };
    out(&format!("enrolled as station {} ({})", response.name, response.station_id))?;
    eprintln!("service {base}; credential stored in {stored_in}");
    Ok(true)
}

/// `https://…`, or `http://` to a loopback address; no query or fragment.
fn check_service_url(base: &str) -> Result<(), String> {
    let url = url::Url::parse(base).map_err(|e| format!("invalid service URL {base:?}: {e}"))?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!("the service URL {base:?} must not carry a query, fragment or user"));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(format!(
            "the service URL {base:?} is plain http: use https (http only on loopback)"
        )),
        other => Err(format!("the service URL {base:?} has scheme {other:?}; use https")),
    }
}

async fn post_enroll(endpoint: &str, request: &EnrollRequest) -> Result<EnrollResponse, String> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let response = client
        .post(endpoint)
        .json(request)
        .send()
        .await
        .map_err(|e| format!("POST {endpoint}: {}", reclaim_config::error_chain(&e)))?;
    let status = response.status();
    if status == reqwest::StatusCode::CREATED {
        return response
            .json::<EnrollResponse>()
            .await
            .map_err(|e| format!("POST {endpoint}: unexpected answer: {e}"));
    }
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let message = body["message"].as_str().unwrap_or("no message").to_owned();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err("the service refused the code (wrong, already used or expired): ask the \
                    administrator for a new one (`reclaim-service stations enroll NAME`)"
            .to_owned());
    }
    Err(format!("POST {endpoint}: {status}: {message}"))
}
