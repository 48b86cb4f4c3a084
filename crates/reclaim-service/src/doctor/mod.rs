//! `reclaim-service doctor`: the pre-flight a person runs at install time and the
//! kiosk runs at start. [`run`] checks a validated [`Config`] and its secrets against the real
//! services — config and secrets, clock skew, a token for Graph and one for the Request Service,
//! the Graph reads the engine makes, the Request Service accepting the token, the Verified ID
//! authority and profiles, the relay accepting this station — and never fails as a whole: every
//! check is a [`Check`] line, passed or failed with what to fix. [`DoctorReport::problems`] maps
//! the failures onto the engine's [`PreflightProblem`]s, and [`Doctor`] is the engine's
//! [`Preflight`], so the same checks drive the attract screen's out-of-service state:
//!
//! ```no_run
//! # async fn start(config: reclaim_config::Config) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use reclaim_config::KeyringStore;
//! use reclaim_service::doctor::Doctor;
//! let store = Arc::new(KeyringStore::new());
//! let doctor = Arc::new(Doctor::new(config.clone(), store.clone()));
//! println!("{}", doctor.run().await); // PASS  config  … one line per check
//! let station = tokio::task::spawn_blocking(move || {
//!     reclaim_engine::production::assemble(&config, &*store)
//! })
//! .await??;
//! let engine = reclaim_engine::Engine::spawn_with_preflight(station.ports, station.settings, doctor);
//! # let _ = engine; Ok(()) }
//! ```
//!
//! Nothing a check sends changes the tenant or the relay: Graph is only read (`checkMemberGroups`
//! is a POST that reads), the Request Service gets an empty `createPresentationRequest` it must
//! refuse with 400, the relay an `abandon` of a request that does not exist. No detail carries a
//! secret, a token or personal data.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use reclaim_config::{Config, Production, SecretError, SecretName, SecretStore, error_chain};
use reclaim_core::model::UsagePurpose;
use reclaim_core::{EnabledState, TapPolicy, VcMethodPolicy, VerifiedIdProfile, groups_to_check};
use reclaim_entra::{
    EntraError, GRAPH_SCOPE, GraphClient, GraphError, REQUEST_SERVICE_SCOPE, RequestServiceError,
    RetryPolicy, TokenError, TokenSource,
};
use reclaim_relay::{RelayClient, RelayError};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use reclaim_engine::Preflight;
use reclaim_engine::ports::BoxFuture;
use reclaim_engine::view::PreflightProblem;

mod clock;
mod relay;
mod tenant;

use clock::*;
use relay::*;
use tenant::*;

/// Largest difference between this machine's clock and the tenant's that passes: tokens,
/// client assertions and presentation requests are refused beyond it.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Longest any one network step may take (retries included).
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// Retries of the doctor's Entra calls: one more attempt after a throttle or a 503, soon.
const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 2,
    base_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(2),
};

/// Request Service roles that let the kiosk create presentation requests (contract §1.4).
const PRESENT_ROLES: [&str; 2] =
    ["VerifiableCredential.Create.All", "VerifiableCredential.Create.PresentRequest"];
/// Graph roles that let the kiosk create a Temporary Access Pass (contract §4.0).
const TAP_WRITE_ROLES: [&str; 2] =
    ["UserAuthenticationMethod.ReadWrite.All", "UserAuthMethod-TAP.ReadWrite.All"];
/// The Request Service's application id (the API whose permission the app needs).
const REQUEST_SERVICE_APP: &str = "3db474b9-6a0c-4840-96ac-1fceb342124f";

const USERS_PATH: &str = "/v1.0/users?$top=1&$select=id";
const MEMBER_GROUPS_PATH: &str = "/v1.0/users/{id}/checkMemberGroups";
/// A recovery group's nesting in the TAP policy's groups.
const GROUP_MEMBER_GROUPS_PATH: &str = "/v1.0/groups/{id}/checkMemberGroups";
const VC_POLICY_PATH: &str = "/v1.0/policies/authenticationMethodsPolicy/\
                              authenticationMethodConfigurations/VerifiableCredentials";
const TAP_POLICY_PATH: &str = "/v1.0/policies/authenticationMethodsPolicy/\
                               authenticationMethodConfigurations/TemporaryAccessPass";
const PROFILES_PATH: &str = "/v1.0/identity/verifiedId/profiles";
/// The role reads of the privileged-account check (direct, through a group, eligible).
const ROLES_PATH: &str = "/v1.0/roleManagement/directory/roleAssignments";
/// A group id no tenant holds, for `checkMemberGroups` when the policies name no group.
const PROBE_GROUP: &str = "00000000-0000-4000-8000-00000000d0c7";

/// Which check a [`Check`] line is, in the order [`run`] reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CheckId {
    /// The file is a production configuration, every secret it needs is in the store, and the
    /// engine can be assembled from it (certificate, CA file, provider URLs).
    Config,
    /// This machine's clock against the `Date` of the token endpoint's (or Graph's) answer.
    ClockSkew,
    /// A client-credentials token for Microsoft Graph.
    GraphToken,
    /// A client-credentials token for the Verified ID Request Service.
    RequestServiceToken,
    /// The Graph reads the engine makes succeed (users, group membership, the
    /// VerifiableCredentials and TemporaryAccessPass policies, the verifiedIdProfiles), and the
    /// token may create a Temporary Access Pass.
    GraphPermissions,
    /// The Request Service accepts the token for presentation requests.
    RequestService,
    /// The tenant's recovery profiles: enabled, with `[verifier] authority` as their verifier
    /// DID and a configured provider as their accepted issuer, Face Check on in every
    /// production-mode one; the Temporary Access Pass method enabled (a production profile's
    /// group it misses is a warning).
    VerifiedId,
    /// The relay answers and accepts this station's credential.
    Relay,
}

impl CheckId {
    /// Every check, in report order.
    pub const ALL: [CheckId; 8] = [
        CheckId::Config,
        CheckId::ClockSkew,
        CheckId::GraphToken,
        CheckId::RequestServiceToken,
        CheckId::GraphPermissions,
        CheckId::RequestService,
        CheckId::VerifiedId,
        CheckId::Relay,
    ];

    /// The check's name in the human output (`clock skew`).
    pub fn label(self) -> &'static str {
        match self {
            CheckId::Config => "config",
            CheckId::ClockSkew => "clock skew",
            CheckId::GraphToken => "graph token",
            CheckId::RequestServiceToken => "request service token",
            CheckId::GraphPermissions => "graph permissions",
            CheckId::RequestService => "request service",
            CheckId::VerifiedId => "verified id",
            CheckId::Relay => "relay",
        }
    }

    /// The engine's pre-flight problem when this check fails.
    pub fn problem(self) -> PreflightProblem {
        match self {
            CheckId::Config => PreflightProblem::ConfigInvalid,
            CheckId::ClockSkew => PreflightProblem::ClockSkew,
            CheckId::GraphToken
            | CheckId::RequestServiceToken
            | CheckId::GraphPermissions
            | CheckId::RequestService
            | CheckId::VerifiedId => PreflightProblem::TenantUnreachable,
            CheckId::Relay => PreflightProblem::RelayUnreachable,
        }
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// Whether it passed.
    pub passed: bool,
    /// What was found (`0.4 s ahead of login.microsoftonline.com`, `403 on /v1.0/… — grant …`);
    /// `skipped: needs X` when a prerequisite failed.
    pub detail: String,
    /// What to do about a failure (a command, a key to set, a permission to grant).
    pub fix: Option<String>,
}

const SKIPPED: &str = "skipped: needs ";

impl Check {
    fn pass(id: CheckId, detail: impl Into<String>) -> Self {
        Self { id, passed: true, detail: detail.into(), fix: None }
    }

    fn fail(id: CheckId, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { id, passed: false, detail: detail.into(), fix: Some(fix.into()) }
    }

    fn skipped(id: CheckId, needs: CheckId, what: Option<&str>) -> Self {
        let detail = match what {
            Some(what) => format!("{SKIPPED}{} ({what})", needs.label()),
            None => format!("{SKIPPED}{}", needs.label()),
        };
        Self { id, passed: false, detail, fix: None }
    }

    /// Not run because a prerequisite failed (or could not be reached): the prerequisite's line
    /// carries the problem.
    pub fn is_skipped(&self) -> bool {
        !self.passed && self.detail.starts_with(SKIPPED)
    }
}

/// Every check's line, in [`CheckId::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    /// The configuration file, as given.
    pub file: String,
    /// `station.id`.
    pub station_id: String,
    /// The lines.
    pub checks: Vec<Check>,
    /// What passes but should be known (e.g. a standalone station holds the tenant credential).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The warning every standalone (`station.mode = "production"`) station gets.
pub const STANDALONE_WARNING: &str = "standalone mode: this station holds the tenant credential \
     that can create a Temporary Access Pass for any user the TAP policy covers; run it only where \
     staff watch it, and make walk-up kiosks terminals of a recovery service (station.mode = \"fleet\")";

/// The warning a file gets that offers the trusted referee without a console to decide in.
pub const REFEREE_WITHOUT_CONSOLE_WARNING: &str = "[recovery] referee = true, but no [console]: \
     people who ask for a member of staff wait until the time limit, because no operator can \
     see or decide their case; add [console] to the recovery service, or turn the referee off";

/// Width of the check names in the human output.
const LABEL_WIDTH: usize = 21;

impl DoctorReport {
    /// Every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The line of one check.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed)
    }

    /// The failures as the engine's pre-flight problems (each once, in check order). A skipped
    /// check adds none: the prerequisite that failed already does.
    pub fn problems(&self) -> Vec<PreflightProblem> {
        let mut problems = Vec::new();
        for c in self.failures().filter(|c| !c.is_skipped()) {
            let p = c.id.problem();
            if !problems.contains(&p) {
                problems.push(p);
            }
        }
        problems
    }

    /// The `--json` form: `{file, stationId, passed, problems, checks: [{id, label, passed,
    /// detail, fix}]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let checks: Vec<serde_json::Value> = self
            .checks
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id,
                    "label": c.id.label(),
                    "passed": c.passed,
                    "detail": c.detail,
                    "fix": c.fix,
                })
            })
            .collect();
        serde_json::json!({
            "file": self.file,
            "stationId": self.station_id,
            "passed": self.passed(),
            "problems": self.problems(),
            "checks": checks,
            "warnings": self.warnings,
        })
    }
}

/// One line per check (`PASS  clock skew             0.4 s ahead of …`), a `fix:` line under
/// each failure that has one, then a summary line.
impl fmt::Display for DoctorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            let verdict = if c.passed { "PASS" } else { "FAIL" };
            writeln!(f, "{verdict}  {:<LABEL_WIDTH$}  {}", c.id.label(), c.detail)?;
            if let (false, Some(fix)) = (c.passed, &c.fix) {
                writeln!(f, "      {:<LABEL_WIDTH$}  fix: {fix}", "")?;
            }
        }
        for warning in &self.warnings {
            writeln!(f, "WARN  {warning}")?;
        }
        let failed = self.failures().count();
        if failed == 0 {
            write!(
                f,
                "all {} checks passed: station {} is ready",
                self.checks.len(),
                self.station_id
            )
        } else {
            write!(
                f,
                "{failed} of {} checks failed: station {} is out of service",
                self.checks.len(),
                self.station_id
            )
        }
    }
}

/// The secrets a configuration needs, read once from a store. The keyring blocks (D-Bus): read
/// the snapshot off the async threads, then [`run`] on it. `Debug` shows names only.
pub struct SecretSnapshot {
    entries: Vec<(SecretName, Result<SecretString, SecretError>)>,
}

impl fmt::Debug for SecretSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .entries
            .iter()
            .map(|(n, v)| format!("{n}: {}", if v.is_ok() { "set" } else { "unreadable" }))
            .collect();
        f.debug_struct("SecretSnapshot").field("secrets", &names).finish()
    }
}

impl SecretSnapshot {
    /// Reads every secret `config` needs ([`Config::required_secrets`]) from `store`, keeping
    /// each failure as the store gave it.
    pub fn read(config: &Config, store: &dyn SecretStore) -> Self {
        let entries = config
            .required_secrets()
            .into_iter()
            .map(|name| {
                let value = store.get(&name);
                (name, value)
            })
            .collect();
        Self { entries }
    }

    /// A snapshot in which every secret `config` needs failed with `error` (e.g. the task that
    /// read the store could not run).
    fn unreadable(config: &Config, detail: &str) -> Self {
        let entries = config
            .required_secrets()
            .into_iter()
            .map(|name| {
                let e = SecretError::Unavailable { name: name.account(), detail: detail.into() };
                (name, Err(e))
            })
            .collect();
        Self { entries }
    }
}

/// The same error again (the variants hold only names and messages).
fn copy_error(e: &SecretError) -> SecretError {
    match e {
        SecretError::Missing { name, what } => {
            SecretError::Missing { name: name.clone(), what: what.clone() }
        }
        SecretError::Locked { name, detail } => {
            SecretError::Locked { name: name.clone(), detail: detail.clone() }
        }
        SecretError::Unavailable { name, detail } => {
            SecretError::Unavailable { name: name.clone(), detail: detail.clone() }
        }
        SecretError::Invalid { name, reason } => {
            SecretError::Invalid { name: name.clone(), reason: reason.clone() }
        }
        SecretError::UnknownName { given } => SecretError::UnknownName { given: given.clone() },
    }
}

impl SecretStore for SecretSnapshot {
    fn get(&self, name: &SecretName) -> Result<SecretString, SecretError> {
        match self.entries.iter().find(|(n, _)| n == name) {
            Some((_, Ok(value))) => Ok(value.clone()),
            Some((_, Err(e))) => Err(copy_error(e)),
            None => Err(SecretError::missing(name)),
        }
    }

    fn set(&self, name: &SecretName, _value: &SecretString) -> Result<(), SecretError> {
        Err(SecretError::Invalid { name: name.account(), reason: "a read-only snapshot".into() })
    }

    fn delete(&self, name: &SecretName) -> Result<(), SecretError> {
        Err(SecretError::Invalid { name: name.account(), reason: "a read-only snapshot".into() })
    }
}

/// The doctor as the engine's [`Preflight`]: every pre-flight reads the secrets again (off the
/// async threads) and runs every check, logging the failed lines whenever the set of failed
/// checks changes.
#[derive(Debug, Clone)]
pub struct Doctor {
    config: Arc<Config>,
    secrets: Arc<dyn SecretStore>,
    /// The checks that failed at the last run (logged when this changes).
    logged: Arc<Mutex<Vec<CheckId>>>,
}

impl Doctor {
    /// For `config`, reading its secrets from `secrets` at each run.
    pub fn new(config: Config, secrets: Arc<dyn SecretStore>) -> Self {
        Self { config: Arc::new(config), secrets, logged: Arc::default() }
    }

    /// Reads the secrets in `spawn_blocking`, then [`run`]s every check.
    pub async fn run(&self) -> DoctorReport {
        let (config, secrets) = (self.config.clone(), self.secrets.clone());
        let snapshot =
            tokio::task::spawn_blocking(move || SecretSnapshot::read(&config, &*secrets)).await;
        let snapshot = snapshot.unwrap_or_else(|e| {
            SecretSnapshot::unreadable(&self.config, &format!("reading the store failed: {e}"))
        });
        run(&self.config, &snapshot).await
    }
}

impl Preflight for Doctor {
    fn check(&self) -> BoxFuture<'_, Vec<PreflightProblem>> {
        Box::pin(async move {
            let report = self.run().await;
            let failed: Vec<CheckId> = report.failures().map(|c| c.id).collect();
            let mut logged = self.logged.lock().unwrap_or_else(PoisonError::into_inner);
            if *logged != failed {
                for c in report.failures() {
                    // Details name keys, paths, codes and permissions: no secret, no personal
                    // data.
                    tracing::warn!(
                        check = c.id.label(),
                        detail = %c.detail,
                        fix = c.fix.as_deref().unwrap_or(""),
                        "pre-flight check failed"
                    );
                }
                if failed.is_empty() {
                    tracing::info!("every pre-flight check passes again");
                }
                *logged = failed;
            }
            report.problems()
        })
    }
}

/// What the config check hands the network checks.
struct Setup<'a> {
    config: &'a Config,
    prod: Production<'a>,
    http: reqwest::Client,
    /// `None` when the tenant credential could not be loaded (the config line says why).
    tokens: Option<Arc<TokenSource>>,
    /// `None` when the relay credential could not be read.
    relay_credential: Option<SecretString>,
}

/// Runs every check of `config` with the secrets in `secrets`, never failing as a whole. Calls
/// `secrets` directly: with the keyring, pass a [`SecretSnapshot`] read off the async threads
/// (as [`Doctor::run`] does), or accept a short block.
pub async fn run(config: &Config, secrets: &dyn SecretStore) -> DoctorReport {
    let mut report = DoctorReport {
        file: config.file.clone(),
        station_id: config.station.id.clone(),
        checks: Vec::with_capacity(CheckId::ALL.len()),
        warnings: Vec::new(),
    };
    if config.station.mode == reclaim_config::Mode::Production {
        report.warnings.push(STANDALONE_WARNING.to_owned());
    }
    if config.engine.referee && config.server.as_ref().is_none_or(|s| s.console.is_none()) {
        report.warnings.push(REFEREE_WITHOUT_CONSOLE_WARNING.to_owned());
    }
    let (config_check, setup) = check_config(config, secrets);
    report.checks.push(config_check);
    let Some(setup) = setup else {
        let what = if config.production().is_none() {
            "production mode"
        } else {
            "an HTTP client (endpoints.ca_file)"
        };
        report.checks.extend(
            CheckId::ALL[1..].iter().map(|id| Check::skipped(*id, CheckId::Config, Some(what))),
        );
        return report;
    };
    let (clock, tenant, relay) =
        tokio::join!(check_clock(&setup), check_tenant(&setup), check_relay(&setup));
    let (tenant, tenant_warnings) = tenant;
    report.checks.push(clock);
    report.checks.extend(tenant);
    report.warnings.extend(tenant_warnings);
    report.checks.push(relay);
    report
}

// ---------------------------------------------------------------------------------------------
// config

fn check_config<'a>(config: &'a Config, secrets: &dyn SecretStore) -> (Check, Option<Setup<'a>>) {
    let id = CheckId::Config;
    let Some(prod) = config.production() else {
        return (
            Check::fail(
                id,
                format!(
                    "{}: station.mode = \"demo\": the demo runs the emulated tenant in-process, \
                     there is no tenant to check",
                    config.file
                ),
                "set station.mode = \"production\" with [tenant], [endpoints], [verifier], \
                 [relay] and [[providers]] (reclaim-config example prints them all)",
            ),
            None,
        );
    };

    let mut details: Vec<String> = Vec::new();
    let mut fixes: Vec<String> = Vec::new();

    // Every secret the file needs, each named with the command that sets it.
    let required = config.required_secrets();
    let mut missing: Vec<String> = Vec::new();
    let mut commands: Vec<String> = Vec::new();
    let mut unreadable: Vec<String> = Vec::new();
    let mut store_error: Option<String> = None;
    for name in &required {
        match secrets.get(name) {
            Ok(_) => {}
            Err(SecretError::Missing { name: account, what }) => {
                missing.push(format!("`{account}` ({what})"));
                commands.push(format!("`reclaim-config set-secret {name}`"));
            }
            Err(e @ (SecretError::Locked { .. } | SecretError::Unavailable { .. })) => {
                unreadable.push(format!("`{name}`"));
                store_error.get_or_insert_with(|| e.to_string());
            }
            Err(e) => {
                details.push(e.to_string());
                fixes.push(format!("store it again: `reclaim-config set-secret {}`", name));
            }
        }
    }
    if let Some(error) = store_error {
        details.insert(0, format!("could not read {}: {error}", unreadable.join(", ")));
        fixes.insert(
            0,
            "make the kiosk user's keyring reachable and unlocked (see the detail), then run \
             `reclaim doctor` again in that session"
                .into(),
        );
    }
    if !missing.is_empty() {
        details.insert(0, format!("secrets not set: {}", missing.join(", ")));
        fixes.insert(
            0,
            format!(
                "run {} as the kiosk's user, in its unlocked session (the value is read from \
                 stdin)",
                commands.join(" and ")
            ),
        );
    }

    // The tenant credential (certificate file, PFX password) and the HTTP client (CA file).
    let tokens = match config.client_credential(secrets) {
        Ok(credential) => Some(credential),
        Err(reclaim_config::ConfigError::Secret(_)) => None, // named above
        Err(e) => {
            details.push(e.to_string());
            fixes.push("fix [tenant.credential] (the file, its key, its format)".into());
            None
        }
    };
    let http = match config.http_client() {
        Ok(http) => Some(http),
        Err(e) => {
            details.push(e.to_string());
            fixes.push("endpoints.ca_file must be a readable PEM CA certificate".into());
            None
        }
    };
    let relay_credential = config.relay_credential(secrets).ok();

    // Everything else the kiosk's start needs (provider URLs and keys): the same assembly.
    if details.is_empty()
        && let Err(e) = reclaim_engine::production::assemble(config, secrets)
    {
        details.push(e.to_string());
        fixes.push(format!("correct {} as the message says", config.file));
    }

    let tokens = match (tokens, &http) {
        (Some(credential), Some(http)) => {
            reclaim_engine::production::token_source(&prod, credential, http, RETRY)
                .map_err(|e| {
                    details.push(format!("endpoints.login: {e}"));
                    fixes.push("endpoints.login must be an http(s) URL".into());
                })
                .ok()
                .map(Arc::new)
        }
        _ => None,
    };

    let check = if details.is_empty() {
        Check::pass(
            id,
            format!(
                "{}: production, station {}, {} provider{}; {} secret{} present",
                config.file,
                config.station.id,
                prod.providers.len(),
                plural(prod.providers.len()),
                required.len(),
                plural(required.len()),
            ),
        )
    } else {
        Check::fail(id, details.join("; "), fixes.join("; "))
    };
    let setup = http.map(|http| Setup { config, prod, http, tokens, relay_credential });
    (check, setup)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn root(url: &url::Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// `host[:port]` of a URL, for messages.
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            })
        })
        .unwrap_or_else(|| url.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn http_dates_parse() {
        let d = parse_http_date("Thu, 20 Aug 2026 12:00:00 GMT").expect("parses");
        assert_eq!(d.unix_timestamp(), 1_787_227_200);
        assert!(parse_http_date("yesterday").is_none());
    }

    #[test]
    fn the_offset_is_taken_at_the_middle_of_the_exchange() {
        let date = parse_http_date("Thu, 20 Aug 2026 12:00:00 GMT").unwrap();
        let sent = date + time::Duration::milliseconds(700);
        let answered = date + time::Duration::milliseconds(900);
        // local 12:00:00.8, server ~12:00:00.5 → 0.3 s ahead.
        assert!((clock_offset(date, sent, answered) - 0.3).abs() < 1e-9);
        let behind = clock_offset(
            date,
            sent - time::Duration::minutes(7),
            answered - time::Duration::minutes(7),
        );
        assert!((behind + 419.7).abs() < 1e-9);
    }

    #[test]
    fn skew_beyond_five_minutes_fails_and_says_by_how_much() {
        let ok = judge_clock(0.4, "login.microsoftonline.com");
        assert!(ok.passed);
        assert_eq!(ok.detail, "0.4 s ahead of login.microsoftonline.com");
        let bad = judge_clock(-432.0, "login.microsoftonline.com");
        assert!(!bad.passed);
        assert!(bad.detail.contains("7 min 12 s behind"), "{}", bad.detail);
        assert!(bad.fix.unwrap().contains("timedatectl"));
        assert!(judge_clock(300.0, "h").passed);
        assert!(!judge_clock(300.6, "h").passed);
        assert_eq!(human_seconds(2.0 * 86_400.0 + 3_600.0), "2 days 1 h");
    }

    #[test]
    fn problems_map_failures_and_ignore_skips() {
        let report = DoctorReport {
            warnings: Vec::new(),
            file: "f".into(),
            station_id: "s".into(),
            checks: vec![
                Check::pass(CheckId::Config, "ok"),
                Check::fail(CheckId::ClockSkew, "9 min", "ntp"),
                Check::fail(CheckId::GraphToken, "AADSTS7000215", "secret"),
                Check::fail(CheckId::RequestServiceToken, "AADSTS7000215", "secret"),
                Check::skipped(CheckId::GraphPermissions, CheckId::GraphToken, None),
                Check::fail(CheckId::Relay, "401", "credential"),
            ],
        };
        assert!(!report.passed());
        assert_eq!(
            report.problems(),
            [
                PreflightProblem::ClockSkew,
                PreflightProblem::TenantUnreachable,
                PreflightProblem::RelayUnreachable
            ]
        );
        assert_eq!(report.checks[4].detail, "skipped: needs graph token");
        let text = report.to_string();
        assert!(text.contains("PASS  config                 ok\n"), "{text}");
        assert!(text.contains("FAIL  clock skew             9 min\n      "), "{text}");
        assert!(text.contains("fix: ntp"), "{text}");
        assert!(text.ends_with("5 of 6 checks failed: station s is out of service"), "{text}");
        let json = report.to_json();
        assert_eq!(json["checks"][1]["id"], "clockSkew");
        assert_eq!(json["checks"][1]["label"], "clock skew");
        assert_eq!(json["problems"][0], "clockSkew");
        assert_eq!(json["passed"], false);
    }

    #[test]
    fn token_roles_are_read_without_verifying() {
        let header = "eyJhbGciOiJub25lIn0"; // {"alg":"none"}
        let claims = base64_url(r#"{"roles":["User.Read.All"]}"#);
        assert_eq!(
            token_roles(&format!("{header}.{claims}.sig")),
            Some(vec!["User.Read.All".to_owned()])
        );
        assert_eq!(token_roles("opaque-token"), None);
    }

    fn base64_url(s: &str) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n =
                chunk.iter().enumerate().fold(0u32, |n, (i, c)| n | u32::from(*c) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }
}
