//! The file as written: serde structs with `deny_unknown_fields` whose every value keeps its byte
//! span (`toml::Spanned`), so validation can point at the line. Every key is optional here;
//! `validate` reports missing required keys, all of them at once.

use serde::Deserialize;
use toml::Spanned;

/// An optional value with its span.
pub(crate) type Opt<T> = Option<Spanned<T>>;

/// Top-level sections (each is deserialized on its own so one bad section does not hide the
/// errors of the others).
pub(crate) const SECTIONS: &[&str] = &[
    "station",
    "tenant",
    "endpoints",
    "verifier",
    "relay",
    "providers",
    "timeouts",
    "recovery",
    "logging",
    "updater",
    "service",
    "server",
    "audit",
    "webhook",
    "console",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStation {
    pub id: Opt<String>,
    pub locale: Opt<String>,
    pub mode: Opt<String>,
    pub allow_virtual_camera: Opt<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenant {
    pub id: Opt<String>,
    pub client_id: Opt<String>,
    pub credential: Opt<RawCredential>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCredential {
    pub kind: Opt<String>,
    pub path: Opt<String>,
    pub key_path: Opt<String>,
    pub format: Opt<String>,
    pub header: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEndpoints {
    pub login: Opt<String>,
    pub graph: Opt<String>,
    pub request_service: Opt<String>,
    pub ca_file: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVerifier {
    pub authority: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRelay {
    pub url: Opt<String>,
    pub station_credential: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProvider {
    pub id: Opt<String>,
    pub display_name: Opt<String>,
    pub issuer_did: Opt<String>,
    pub hosted_flow_url: Opt<String>,
    pub capture_api_url: Opt<String>,
    pub documents: Opt<Vec<Spanned<String>>>,
    pub kind: Opt<String>,
    pub onboarding_url: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTimeouts {
    pub identify_secs: Opt<i64>,
    pub eligibility_secs: Opt<i64>,
    pub choose_provider_secs: Opt<i64>,
    pub scan_id_secs: Opt<i64>,
    pub issuance_secs: Opt<i64>,
    pub presentation_secs: Opt<i64>,
    pub verifying_secs: Opt<i64>,
    pub issuing_tap_secs: Opt<i64>,
    pub show_tap_secs: Opt<i64>,
    pub result_secs: Opt<i64>,
    pub referee_secs: Opt<i64>,
    pub idle_secs: Opt<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRecovery {
    pub face_check_threshold: Opt<i64>,
    pub tap_lifetime_minutes: Opt<i64>,
    pub tap_usable_once: Opt<bool>,
    pub max_presentation_attempts: Opt<i64>,
    pub max_upn_len: Opt<i64>,
    pub face_check_budget_per_day: Opt<i64>,
    pub second_binding: Opt<RawSecondBinding>,
    pub referee: Opt<bool>,
    pub offer_verified_employee: Opt<bool>,
    pub existing_credential: Opt<RawExistingCredential>,
    pub notify: Opt<RawNotify>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotify {
    pub enabled: Opt<bool>,
    pub from: Opt<String>,
    pub manager: Opt<bool>,
    pub revoke_sessions: Opt<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSecondBinding {
    pub attribute: Opt<String>,
    pub claim: Opt<String>,
    pub compare: Opt<String>,
    pub profiles: Opt<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExistingCredential {
    pub max_age_days: Opt<i64>,
    pub profile_credential: Opt<bool>,
    pub accept: Opt<Vec<Spanned<RawAcceptedCredential>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAcceptedCredential {
    pub id: Opt<String>,
    pub label: Opt<String>,
    pub issuer: Opt<String>,
    #[serde(rename = "type")]
    pub credential_type: Opt<String>,
    pub photo_claim: Opt<String>,
    pub claim_names: Opt<std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLogging {
    pub directory: Opt<String>,
    pub max_files: Opt<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    pub url: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub listen: Opt<String>,
    pub public_url: Opt<String>,
    pub state_dir: Opt<String>,
    pub secrets_file: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAudit {
    pub syslog: Opt<RawSyslog>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhook {
    pub url: Opt<String>,
    pub events: Opt<Vec<Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConsole {
    pub client_id: Opt<String>,
    pub operators_group: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSyslog {
    pub address: Opt<String>,
    pub tls: Opt<bool>,
    pub ca_file: Opt<String>,
    pub app_name: Opt<String>,
    pub facility: Opt<String>,
    pub hostname: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpdater {
    pub endpoint: Opt<String>,
    pub pubkey: Opt<String>,
}

/// The whole file; a section is `None` when absent (or when it failed to deserialize, in which
/// case the error is already recorded).
#[derive(Debug, Default)]
pub(crate) struct RawConfig {
    pub station: Opt<RawStation>,
    pub tenant: Opt<RawTenant>,
    pub endpoints: Opt<RawEndpoints>,
    pub verifier: Opt<RawVerifier>,
    pub relay: Opt<RawRelay>,
    pub providers: Opt<Vec<Spanned<RawProvider>>>,
    pub timeouts: Opt<RawTimeouts>,
    pub recovery: Opt<RawRecovery>,
    pub logging: Opt<RawLogging>,
    pub updater: Opt<RawUpdater>,
    pub service: Opt<RawService>,
    pub server: Opt<RawServer>,
    pub audit: Opt<RawAudit>,
    pub webhook: Opt<RawWebhook>,
    pub console: Opt<RawConsole>,
    /// Sections present but not deserialized (their error is recorded; not "missing").
    pub failed: Vec<String>,
    /// Key paths removed after a deserialization error (reported; not "missing").
    pub pruned: Vec<String>,
}
