//! The validated configuration: plain types (parsed GUIDs, URLs, resolved paths, enums), built
//! only by [`Config::load`](crate::Config::load) / [`Config::from_toml`](crate::Config::from_toml).
//! It never holds a secret; secrets live in a [`SecretStore`](crate::SecretStore).

use std::path::PathBuf;

use reclaim_core::EngineConfig;
use url::Url;
use uuid::Uuid;

use crate::secrets::SecretName;

/// Default `endpoints.login` (the Microsoft identity platform, contract §1.1).
pub const DEFAULT_LOGIN: &str = reclaim_entra::MICROSOFT_AUTHORITY;
/// Default `endpoints.graph` (contract §4).
pub const DEFAULT_GRAPH: &str = reclaim_entra::MICROSOFT_GRAPH;
/// Default `endpoints.request_service` (contract §2.1).
pub const DEFAULT_REQUEST_SERVICE: &str = reclaim_entra::MICROSOFT_REQUEST_SERVICE;
/// Default `logging.directory`.
pub const DEFAULT_LOG_DIRECTORY: &str = "/var/log/reclaim";
/// Default `logging.max_files`.
pub const DEFAULT_LOG_MAX_FILES: u32 = 14;

/// A validated configuration file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was loaded from, as given (used in messages).
    pub file: String,
    /// `[station]`.
    pub station: Station,
    /// `[tenant]`; always `Some` in production mode.
    pub tenant: Option<Tenant>,
    /// `[endpoints]` (defaults: the Microsoft cloud).
    pub endpoints: Endpoints,
    /// `[verifier]`; always `Some` in production mode.
    pub verifier: Option<Verifier>,
    /// `[relay]`; always `Some` in production mode.
    pub relay: Option<Relay>,
    /// `[[providers]]`, in file order; at least one in production mode.
    pub providers: Vec<Provider>,
    /// `[timeouts]` and `[recovery]`, as the engine takes them (already validated by
    /// [`EngineConfig::validate`] too).
    pub engine: EngineConfig,
    /// `[logging]`.
    pub logging: Logging,
    /// `[updater]`; `None` = no automatic updates.
    pub updater: Option<Updater>,
    /// `[service]`: the recovery service a fleet kiosk is a terminal of; always `Some` in fleet
    /// mode, never in the others.
    pub service: Option<Service>,
    /// `[server]`: this file configures the recovery service (`reclaim-service serve`), which
    /// holds the tenant credential; only with `station.mode = "production"`.
    pub server: Option<Server>,
    /// `[recovery.notify]`: after a recovery, the owner is told by mail (and their sign-in
    /// sessions revoked if asked); `None`: the section is absent or `enabled = false`.
    pub notify: Option<Notify>,
}

/// `[recovery.notify]`: after every recovery (a TAP issued; never in evaluation mode) the
/// account owner gets a mail through Microsoft Graph `sendMail` (`microsoft-apis-v2.md` §3.2)
/// saying at which station, when (UTC) and with which reference it happened, and whom to call if
/// it was not them (NIST SP 800-63B-4: the subscriber SHALL be notified of a recovery). It goes
/// to the user's `mail` (else their UPN) and `otherMails`. Never the TAP, a portrait or document
/// data. Sending is retried in memory with backoff; a failure is audited and never holds up the
/// TAP screen.
///
/// ```toml
/// [recovery.notify]
/// from = "recovery-desk@contoso.com"  # the sending mailbox; the app needs Mail.Send (restrict
///                                     # it to this mailbox with an application access policy)
/// manager = true                      # copy the user's manager (default false)
/// revoke_sessions = true              # revokeSignInSessions after the TAP is issued (default
///                                     # false; needs User.RevokeSessions.All)
/// # enabled = false                   # keep the section but send nothing (default true)
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// `from`: the sending mailbox's UPN or SMTP address (or object id).
    pub from: String,
    /// `manager`: copy the user's manager (`GET /users/{id}/manager`).
    pub manager: bool,
    /// `revoke_sessions`: revoke the user's sign-in sessions after the TAP is issued.
    pub revoke_sessions: bool,
}

/// Default `server.listen`.
pub const DEFAULT_SERVER_LISTEN: &str = "127.0.0.1:8443";
/// Default `server.state_dir`.
pub const DEFAULT_SERVER_STATE_DIR: &str = "/var/lib/reclaim-service";

/// `[server]` (the recovery service's own settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// `listen`: where the session API listens (behind a TLS proxy; loopback by default).
    pub listen: std::net::SocketAddr,
    /// `public_url`: the URL kiosks are enrolled with (their assertions' audience).
    pub public_url: Url,
    /// `state_dir`: the station registry (`stations.json`) lives here (resolved).
    pub state_dir: PathBuf,
    /// `secrets_file`: the secrets as `name = "value"` lines in a file only the service's user
    /// may read (mode 0600 or 0400); `None`: the OS keyring of the service's user.
    pub secrets_file: Option<PathBuf>,
    /// `[audit]`: where the audit log is exported besides `{state_dir}/audit/audit.jsonl`.
    pub audit: Audit,
    /// `[webhook]`: the service-desk webhook; `None`: none.
    pub webhook: Option<Webhook>,
    /// `[console]`: the operator console and the trusted referee; `None`: neither.
    pub console: Option<Console>,
}

/// `[console]`: the operator console at `{public_url}/console`, where IT staff sign in with
/// OpenID Connect (the app registration `client_id`, its secret `console-client-secret`,
/// redirect URI `{public_url}/console/callback`) and must be members of `operators_group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Console {
    /// `client_id`: the console's app registration (a web app with group claims).
    pub client_id: String,
    /// `operators_group`: object id of the group whose members may use the console.
    pub operators_group: String,
}

/// The event types `webhook.events` takes.
pub const WEBHOOK_EVENTS: &[&str] =
    &["recovery.completed", "recovery.blocked", "referee.needed", "tap.deleted"];

/// `[webhook]`: recovery outcomes POSTed to the service desk, signed per Standard Webhooks with
/// the `webhook-secret` secret (from `server.secrets_file` or the keyring).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// `url`: the endpoint (http or https).
    pub url: Url,
    /// `events`: which event types are sent; `None`: all of [`WEBHOOK_EVENTS`].
    pub events: Option<Vec<String>>,
}

/// `[audit]` (the recovery service's audit log; only with `[server]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audit {
    /// `[audit.syslog]`: every record also sent to a syslog collector; `None`: the file only.
    pub syslog: Option<Syslog>,
}

/// Default `audit.syslog.app_name`.
pub const DEFAULT_SYSLOG_APP_NAME: &str = "reclaim";
/// Default `audit.syslog.facility`.
pub const DEFAULT_SYSLOG_FACILITY: &str = "audit";

/// `[audit.syslog]`: RFC 5424 messages over TCP (RFC 6587 octet counting), TLS by default
/// (RFC 5425).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syslog {
    /// `address`: `host:port` of the collector (e.g. `siem.example.com:6514`).
    pub address: String,
    /// The host part of `address` (the name its TLS certificate must carry).
    pub host: String,
    /// The port part of `address`.
    pub port: u16,
    /// `tls` (default `true`): TLS per RFC 5425; `false`: plain TCP.
    pub tls: bool,
    /// `ca_file`: the PEM CA certificates the collector's certificate must chain to (resolved;
    /// required with `tls = true`).
    pub ca_file: Option<PathBuf>,
    /// `app_name` (default `reclaim`): the messages' APP-NAME.
    pub app_name: String,
    /// `facility` (default `audit`, 13): as a number 0–23.
    pub facility: u8,
    /// `hostname`: the messages' HOSTNAME (default: the machine's host name).
    pub hostname: Option<String>,
}

/// The syslog facility names `audit.syslog.facility` takes (RFC 5424 §6.2.1), by number.
pub const SYSLOG_FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// `[service]` (fleet mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// `url`: the recovery service's base URL (the session API is `{url}/v1/...`). The station's
    /// credential is the keyring entry `station-credential`, made by `reclaim-config enroll`.
    pub url: Url,
}

/// The sections a production station needs, all present.
#[derive(Debug, Clone, Copy)]
pub struct Production<'a> {
    /// `[tenant]`.
    pub tenant: &'a Tenant,
    /// `[endpoints]`.
    pub endpoints: &'a Endpoints,
    /// `[verifier]`.
    pub verifier: &'a Verifier,
    /// `[relay]`.
    pub relay: &'a Relay,
    /// `[[providers]]` (at least one).
    pub providers: &'a [Provider],
}

impl Config {
    /// The production sections, or `None` in demo mode.
    pub fn production(&self) -> Option<Production<'_>> {
        if self.station.mode != Mode::Production {
            return None;
        }
        Some(Production {
            tenant: self.tenant.as_ref()?,
            endpoints: &self.endpoints,
            verifier: self.verifier.as_ref()?,
            relay: self.relay.as_ref()?,
            providers: &self.providers,
        })
    }

    /// A provider by id.
    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// Every secret this configuration needs from the [`SecretStore`](crate::SecretStore), in a
    /// stable order: the tenant credential's (client secret, or the PFX password), the relay
    /// credential, then each provider's link-signing key (hosted flow) and capture API key.
    pub fn required_secrets(&self) -> Vec<SecretName> {
        let mut names = Vec::new();
        if let Some(t) = &self.tenant {
            match &t.credential {
                Credential::Secret => names.push(SecretName::ClientSecret),
                Credential::Certificate(c) if c.format == CertificateFormat::Pfx => {
                    names.push(SecretName::CertificatePassword);
                }
                Credential::Certificate(_) => {}
            }
        }
        if self.relay.is_some() {
            names.push(SecretName::RelayCredential);
        }
        for p in &self.providers {
            if p.hosted_flow_url.is_some() {
                names.push(SecretName::ProviderLinkKey(p.id.clone()));
            }
            if p.capture_api_url.is_some() {
                names.push(SecretName::ProviderCaptureKey(p.id.clone()));
            }
        }
        names
    }
}

/// `[station]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    /// `id`: this kiosk's id at the relay (its `[[stations]] id`), in links and audit events.
    pub id: String,
    /// `locale`: the language the attract screen starts in.
    pub locale: Locale,
    /// `mode`.
    pub mode: Mode,
    /// `allow_virtual_camera` (default `false`): use a virtual camera (v4l2loopback, OBS Virtual
    /// Camera, akvcam, …) as the kiosk's camera. Off, the kiosk refuses them by their V4L2 card
    /// or driver name, hides the camera path and says `refusedVirtual` on the attract screen.
    pub allow_virtual_camera: bool,
}

/// UI languages the kiosk ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English (`en`, the default).
    #[default]
    En,
    /// German (`de`).
    De,
    /// French (`fr`).
    Fr,
    /// Spanish (`es`).
    Es,
    /// Polish (`pl`).
    Pl,
}

impl Locale {
    /// Every locale, in the order the UI lists them.
    pub const ALL: [Locale; 5] = [Locale::En, Locale::De, Locale::Fr, Locale::Es, Locale::Pl];

    /// The BCP 47 tag (`en`, `de`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Es => "es",
            Self::Pl => "pl",
        }
    }

    /// From the tag.
    pub fn parse(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == tag)
    }
}

/// `station.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A real tenant (or the emulator by URL): the production sections are required.
    #[default]
    Production,
    /// The emulated tenant and relay in-process; the production sections may be left out.
    Demo,
    /// A terminal of a recovery service on a server: only `[service]` (and the kiosk's own
    /// `[station]`, `[logging]`, `[updater]`); the tenant's sections are refused, because a
    /// walk-up kiosk must hold nothing that can mint a TAP.
    Fleet,
}

impl Mode {
    /// `production` or `demo`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Demo => "demo",
            Self::Fleet => "fleet",
        }
    }
}

/// `[tenant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// `id`: the tenant GUID (lower case) or a verified domain (lower case).
    pub id: String,
    /// `client_id`: the app registration's application (client) id.
    pub client_id: Uuid,
    /// `[tenant.credential]`.
    pub credential: Credential,
}

/// `[tenant.credential]`: how the app registration proves its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `kind = "secret"`: the client secret, from the keyring entry `client-secret`.
    Secret,
    /// `kind = "certificate"`.
    Certificate(CertificateCredential),
}

/// A certificate credential. Only paths: the key is read by
/// [`Config::client_credential`](crate::Config::client_credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateCredential {
    /// `path`: the PEM certificate (optionally with its key) or the PFX, resolved against the
    /// config file's folder.
    pub path: PathBuf,
    /// `key_path`: PEM only, the private key when it is not in `path`.
    pub key_path: Option<PathBuf>,
    /// `format` (default: from the extension).
    pub format: CertificateFormat,
    /// `header`: which thumbprint header the client assertion carries.
    pub header: CertificateHeader,
}

/// PEM or PKCS#12.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateFormat {
    /// PEM certificate + unencrypted PEM RSA key (PKCS#1 or PKCS#8).
    Pem,
    /// PKCS#12 / PFX; its password is the keyring entry `certificate-password`.
    Pfx,
}

/// The assertion header generation (contract §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertificateHeader {
    /// `x5t`: `RS256`, SHA-1 thumbprint (older docs).
    X5t,
    /// `x5t#S256`: `PS256`, SHA-256 thumbprint (current docs; the default).
    #[default]
    X5tS256,
}

/// `[endpoints]`: host roots. Each stands for a real host root, so the real paths follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `login`: the authority host (`{login}/{tenant}/oauth2/v2.0/token`).
    pub login: Url,
    /// `graph`: Microsoft Graph (`{graph}/v1.0/users`).
    pub graph: Url,
    /// `request_service`: the Verified ID Request Service
    /// (`{request_service}/v1.0/verifiableCredentials/…`).
    pub request_service: Url,
    /// `ca_file`: an extra PEM CA to trust (the emulator's `--tls` CA), resolved.
    pub ca_file: Option<PathBuf>,
}

impl Default for Endpoints {
    fn default() -> Self {
        let parse = |s: &str| Url::parse(s).unwrap_or_else(|_| unreachable!("constant URL"));
        Self {
            login: parse(DEFAULT_LOGIN),
            graph: parse(DEFAULT_GRAPH),
            request_service: parse(DEFAULT_REQUEST_SERVICE),
            ca_file: None,
        }
    }
}

/// `[verifier]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// `authority`: the tenant's Verified ID authority DID (presentation requests' `authority`).
    pub authority: String,
}

/// `[relay]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    /// `url`: the relay's base URL (`{url}/v1/requests`, `{url}/v1/events`).
    pub url: Url,
    /// `station_credential`: where the station's bearer credential is kept (always the keyring
    /// entry `relay-credential`).
    pub station_credential: SecretName,
}

/// `[[providers]]`: an identity-verification provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// `id`: stable id (`[a-z0-9_-]`, ≤ 32), also names its keyring entries.
    pub id: String,
    /// `display_name`: the provider's brand name, shown as is.
    pub display_name: String,
    /// `issuer_did`: the DID that issues its credentials.
    pub issuer_did: String,
    /// `hosted_flow_url`: the hosted phone flow's base (`{url}/start?token=…`); links are signed
    /// with the keyring entry `provider.{id}.link-signing-key`.
    pub hosted_flow_url: Option<Url>,
    /// `capture_api_url`: the capture API's base (`{url}/v1/sessions`), called with the keyring
    /// entry `provider.{id}.capture-api-key`.
    pub capture_api_url: Option<Url>,
    /// `documents`: what it accepts.
    pub documents: Vec<Document>,
    /// `kind`: `api` (default: a hosted flow and/or a capture API) or `link` (only the
    /// provider's own Verified ID onboarding page; no API, no signed return, no secrets).
    pub kind: ProviderKind,
    /// `onboarding_url` (`kind = "link"` only, required there): the provider's onboarding page,
    /// shown to the person as a QR.
    pub onboarding_url: Option<Url>,
}

/// `[[providers]] kind`: how the station works with a provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProviderKind {
    /// `api`: the hosted phone flow (a signed one-time link, a signed return) and/or the
    /// capture API.
    #[default]
    Api,
    /// `link`: only the provider's own onboarding page (`onboarding_url`); the person says when
    /// the credential is in Authenticator. The credential's issuer and `issuanceDate` are the
    /// only binding to the session.
    Link,
}

impl ProviderKind {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Link => "link",
        }
    }
}

/// Identity documents a provider accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Document {
    /// `passport`.
    Passport,
    /// `driving_licence`.
    DrivingLicence,
    /// `id_card`.
    IdCard,
}

impl Document {
    /// Every kind.
    pub const ALL: [Document; 3] = [Document::Passport, Document::DrivingLicence, Document::IdCard];

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passport => "passport",
            Self::DrivingLicence => "driving_licence",
            Self::IdCard => "id_card",
        }
    }
}

/// `[logging]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logging {
    /// `directory`: where the rotating log files go (resolved; created by the kiosk).
    pub directory: PathBuf,
    /// `max_files`: daily files kept.
    pub max_files: u32,
}

impl Default for Logging {
    fn default() -> Self {
        Self { directory: PathBuf::from(DEFAULT_LOG_DIRECTORY), max_files: DEFAULT_LOG_MAX_FILES }
    }
}

/// `[updater]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updater {
    /// `endpoint`: the update manifest URL; may hold Tauri's `{{target}}`, `{{arch}}` and
    /// `{{current_version}}` placeholders, so it is kept as written.
    pub endpoint: String,
    /// `pubkey`: the updater public key (the `.pub` file of `tauri signer generate`, as is).
    pub pubkey: String,
}
