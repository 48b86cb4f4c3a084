//! Secrets never live in the config file: a [`SecretStore`] holds them under fixed names
//! ([`SecretName`]). [`KeyringStore`] is the OS keyring (Secret Service, e.g. gnome-keyring,
//! service `reclaim`, account = the name); [`MemoryStore`] is for tests. Values are
//! [`SecretString`]s: redacted in `Debug`, zeroed on drop, never logged.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use reclaim_protocol::station::StationCredential;
use secrecy::{ExposeSecret, SecretString};

/// The keyring service every Reclaim secret is stored under.
pub const KEYRING_SERVICE: &str = "reclaim";
/// Keyring account of the app registration's client secret (`kind = "secret"`).
pub const CLIENT_SECRET: &str = "client-secret";
/// Keyring account of the PFX password (`kind = "certificate"`, PFX).
pub const CERTIFICATE_PASSWORD: &str = "certificate-password";
/// Keyring account of the station's relay bearer credential.
pub const RELAY_CREDENTIAL: &str = "relay-credential";
/// Keyring account of the audit key (optional; the same value on every station of a fleet).
pub const AUDIT_KEY: &str = "audit-key";
/// The service-desk webhook's signing secret (`whsec_…`).
pub const WEBHOOK_SECRET: &str = "webhook-secret";
/// The operator console's app registration client secret (`[console]`).
pub const CONSOLE_CLIENT_SECRET: &str = "console-client-secret";
/// Keyring account of the station credential `reclaim-config enroll` stores (station id,
/// service URL and the station's Ed25519 private key, in `StationCredential::to_compact` form).
pub const STATION_CREDENTIAL: &str = "station-credential";
/// Shortest audit key accepted (it keys an HMAC).
pub const MIN_AUDIT_KEY_LEN: usize = 32;
/// Shortest relay credential the relay accepts.
pub const MIN_RELAY_CREDENTIAL_LEN: usize = 16;
/// Shortest provider link-signing key (HS256) accepted.
pub const MIN_LINK_KEY_LEN: usize = 16;

/// The name of a secret. The three station secrets are fixed; each provider adds its
/// link-signing key and capture API key, named after the provider id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretName {
    /// `client-secret`.
    ClientSecret,
    /// `certificate-password`.
    CertificatePassword,
    /// `relay-credential`.
    RelayCredential,
    /// `provider.{id}.link-signing-key`: signs the hosted phone flow's one-time links (HS256).
    ProviderLinkKey(String),
    /// `provider.{id}.capture-api-key`: the capture API's `X-Api-Key`.
    ProviderCaptureKey(String),
    /// `audit-key` (optional): keys the audit pseudonyms of accounts, so they stay the same
    /// across restarts and stations; without it each start draws a random key.
    AuditKey,
    /// `webhook-secret`: the service-desk webhook's signing secret (`whsec_` + base64).
    WebhookSecret,
    /// `console-client-secret`: the operator console's app registration secret.
    ConsoleClientSecret,
    /// `station-credential`: the station's identity with the recovery service (its id, the
    /// service URL and its private key), stored by `reclaim-config enroll`.
    StationCredential,
}

const LINK_SUFFIX: &str = ".link-signing-key";
const CAPTURE_SUFFIX: &str = ".capture-api-key";

impl SecretName {
    /// The keyring account (and the name `reclaim-config set-secret` takes).
    pub fn account(&self) -> String {
        match self {
            Self::ClientSecret => CLIENT_SECRET.to_owned(),
            Self::CertificatePassword => CERTIFICATE_PASSWORD.to_owned(),
            Self::RelayCredential => RELAY_CREDENTIAL.to_owned(),
            Self::AuditKey => AUDIT_KEY.to_owned(),
            Self::WebhookSecret => WEBHOOK_SECRET.to_owned(),
            Self::ConsoleClientSecret => CONSOLE_CLIENT_SECRET.to_owned(),
            Self::StationCredential => STATION_CREDENTIAL.to_owned(),
            Self::ProviderLinkKey(id) => format!("provider.{id}{LINK_SUFFIX}"),
            Self::ProviderCaptureKey(id) => format!("provider.{id}{CAPTURE_SUFFIX}"),
        }
    }

    /// What the secret is, for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::ClientSecret => "the app registration's client secret".to_owned(),
            Self::CertificatePassword => "the password of the app registration's PFX".to_owned(),
            Self::RelayCredential => "this station's relay credential".to_owned(),
            Self::AuditKey => "the fleet's audit key".to_owned(),
            Self::WebhookSecret => "the service-desk webhook's signing secret".to_owned(),
            Self::ConsoleClientSecret => {
                "the operator console's app registration client secret".to_owned()
            }
            Self::StationCredential => {
                "this station's credential for the recovery service, made by `reclaim-config \
                 enroll URL CODE`"
                    .to_owned()
            }
            Self::ProviderLinkKey(id) => format!("provider {id:?}'s link-signing key"),
            Self::ProviderCaptureKey(id) => format!("provider {id:?}'s capture API key"),
        }
    }

    /// From an account name (`client-secret`, `provider.trueid.capture-api-key`, …).
    pub fn parse(name: &str) -> Result<Self, SecretError> {
        let unknown = || SecretError::UnknownName { given: name.to_owned() };
        match name {
            CLIENT_SECRET => return Ok(Self::ClientSecret),
            CERTIFICATE_PASSWORD => return Ok(Self::CertificatePassword),
            RELAY_CREDENTIAL => return Ok(Self::RelayCredential),
            AUDIT_KEY => return Ok(Self::AuditKey),
            WEBHOOK_SECRET => return Ok(Self::WebhookSecret),
            CONSOLE_CLIENT_SECRET => return Ok(Self::ConsoleClientSecret),
            STATION_CREDENTIAL => return Ok(Self::StationCredential),
            _ => {}
        }
        let rest = name.strip_prefix("provider.").ok_or_else(unknown)?;
        let (id, make): (&str, fn(String) -> Self) =
            if let Some(id) = rest.strip_suffix(LINK_SUFFIX) {
                (id, Self::ProviderLinkKey)
            } else if let Some(id) = rest.strip_suffix(CAPTURE_SUFFIX) {
                (id, Self::ProviderCaptureKey)
            } else {
                return Err(unknown());
            };
        let valid = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b));
        if valid { Ok(make(id.to_owned())) } else { Err(unknown()) }
    }

    /// Checks a value before it is stored: not empty, no control characters (a pasted newline
    /// is the usual mistake), and the minimum lengths the relay and link signing need.
    pub fn check_value(&self, value: &SecretString) -> Result<(), SecretError> {
        let v = value.expose_secret();
        let invalid = |reason: String| SecretError::Invalid { name: self.account(), reason };
        if v.is_empty() {
            return Err(invalid("the value is empty".to_owned()));
        }
        if v.chars().any(char::is_control) {
            return Err(invalid(
                "the value contains control characters (a line break?)".to_owned(),
            ));
        }
        match self {
            Self::RelayCredential
                if v.len() < MIN_RELAY_CREDENTIAL_LEN
                    || !v.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Err(invalid(format!(
                    "the relay accepts only credentials of at least {MIN_RELAY_CREDENTIAL_LEN} \
                     visible ASCII characters"
                )))
            }
            Self::AuditKey if v.len() < MIN_AUDIT_KEY_LEN => {
                Err(invalid(format!("an audit key needs at least {MIN_AUDIT_KEY_LEN} bytes")))
            }
            Self::ProviderLinkKey(_) if v.len() < MIN_LINK_KEY_LEN => {
                Err(invalid(format!("a link-signing key needs at least {MIN_LINK_KEY_LEN} bytes")))
            }
            Self::StationCredential if StationCredential::from_compact(v).is_err() => Err(invalid(
                "not a station credential (make one with `reclaim-config enroll URL CODE`)"
                    .to_owned(),
            )),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.account())
    }
}

/// Why a secret could not be read or stored. Never carries the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Not stored yet.
    #[error(
        "secret `{name}` ({what}) is not set: store it with `reclaim-config set-secret {name}` \
         (run as the kiosk's user, in its unlocked session; the value is read from stdin)"
    )]
    Missing {
        /// Account name.
        name: String,
        /// What it is.
        what: String,
    },
    /// The keyring exists but is locked or refuses access.
    #[error(
        "secret `{name}`: the keyring is locked or refused access ({detail}); the kiosk's session \
         must unlock the login keyring (auto-login with PAM), or run under `dbus-run-session` \
         after `gnome-keyring-daemon --unlock`"
    )]
    Locked {
        /// Account name.
        name: String,
        /// The platform's message.
        detail: String,
    },
    /// No keyring service could be reached.
    #[error(
        "secret `{name}`: the OS keyring (Secret Service over the D-Bus session bus) is not \
         available ({detail}); run inside the kiosk user's desktop session with gnome-keyring"
    )]
    Unavailable {
        /// Account name.
        name: String,
        /// The platform's message.
        detail: String,
    },
    /// The value is unusable (on `set`: fails [`SecretName::check_value`]; on `get`: not UTF-8,
    /// or several entries match).
    #[error("secret `{name}`: {reason}")]
    Invalid {
        /// Account name.
        name: String,
        /// Why (never the value).
        reason: String,
    },
    /// Not one of the names Reclaim uses.
    #[error(
        "unknown secret name `{given}`; the names are `client-secret`, `certificate-password`, \
         `relay-credential`, `audit-key`, `station-credential`, `provider.ID.link-signing-key` \
         and `provider.ID.capture-api-key`"
    )]
    UnknownName {
        /// What was given.
        given: String,
    },
}

impl SecretError {
    /// The "not set" error for `name`.
    pub fn missing(name: &SecretName) -> Self {
        Self::Missing { name: name.account(), what: name.describe() }
    }
}

/// Where secrets are kept. Implementations never log values.
///
/// The keyring implementation blocks (D-Bus round trips): call it from `spawn_blocking` in
/// async code.
pub trait SecretStore: fmt::Debug + Send + Sync {
    /// The secret, or [`SecretError::Missing`] naming it and how to set it.
    fn get(&self, name: &SecretName) -> Result<SecretString, SecretError>;
    /// Stores (or replaces) the secret after [`SecretName::check_value`].
    fn set(&self, name: &SecretName, value: &SecretString) -> Result<(), SecretError>;
    /// Removes it; [`SecretError::Missing`] if it was not there.
    fn delete(&self, name: &SecretName) -> Result<(), SecretError>;

    /// The station credential (`station-credential`), parsed. [`SecretError::Missing`] names
    /// `reclaim-config enroll`.
    fn station_credential(&self) -> Result<StationCredential, SecretError> {
        let name = SecretName::StationCredential;
        let value = self.get(&name)?;
        StationCredential::from_compact(value.expose_secret())
            .map_err(|e| SecretError::Invalid { name: name.account(), reason: e.to_string() })
    }

    /// Stores `credential` as `station-credential` (replacing an earlier one).
    fn set_station_credential(&self, credential: &StationCredential) -> Result<(), SecretError> {
        let compact = credential.to_compact();
        self.set(&SecretName::StationCredential, &SecretString::from(compact.as_str().to_owned()))
    }
}

/// In-memory store for tests (and the demo). `Debug` lists names only.
#[derive(Default)]
pub struct MemoryStore {
    values: Mutex<HashMap<String, SecretString>>,
}

impl MemoryStore {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// With one secret set (unchecked), for test set-up.
    pub fn with(self, name: &SecretName, value: &str) -> Self {
        self.lock().insert(name.account(), SecretString::from(value.to_owned()));
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SecretString>> {
        self.values.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = self.lock().keys().cloned().collect();
        names.sort();
        f.debug_struct("MemoryStore").field("names", &names).finish_non_exhaustive()
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &SecretName) -> Result<SecretString, SecretError> {
        self.lock().get(&name.account()).cloned().ok_or_else(|| SecretError::missing(name))
    }

    fn set(&self, name: &SecretName, value: &SecretString) -> Result<(), SecretError> {
        name.check_value(value)?;
        self.lock().insert(name.account(), value.clone());
        Ok(())
    }

    fn delete(&self, name: &SecretName) -> Result<(), SecretError> {
        self.lock().remove(&name.account()).map(drop).ok_or_else(|| SecretError::missing(name))
    }
}

/// The OS keyring through `keyring` v3: on Linux the freedesktop Secret Service over D-Bus
/// (gnome-keyring), which keeps the secrets on disk, encrypted with the login password
/// (`~/.local/share/keyrings/login.keyring`). Entries: service [`KEYRING_SERVICE`], account =
/// [`SecretName::account`]; `secret-tool lookup service reclaim username NAME` reads one.
///
/// No fallback to the kernel keyring (`linux-native`): it loses everything at reboot and is
/// per login session, so an admin's `set-secret` over ssh would be invisible to the kiosk.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyringStore {
    /// The store under service `reclaim`.
    pub fn new() -> Self {
        Self { service: KEYRING_SERVICE.to_owned() }
    }

    /// Under another service name (tests).
    pub fn with_service(service: impl Into<String>) -> Self {
        Self { service: service.into() }
    }

    /// The service name.
    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, name: &SecretName) -> Result<keyring::Entry, SecretError> {
        let account = name.account();
        #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
        {
            // Explicitly the Secret Service, whatever default store feature unification picks.
            keyring::secret_service::SsCredential::new_with_target(None, &self.service, &account)
                .map(|c| keyring::Entry::new_with_credential(Box::new(c)))
                .map_err(|e| map_error(name, e))
        }
        #[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
        {
            keyring::Entry::new(&self.service, &account).map_err(|e| map_error(name, e))
        }
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, name: &SecretName) -> Result<SecretString, SecretError> {
        let entry = self.entry(name)?;
        entry.get_password().map(SecretString::from).map_err(|e| map_error(name, e))
    }

    fn set(&self, name: &SecretName, value: &SecretString) -> Result<(), SecretError> {
        name.check_value(value)?;
        self.entry(name)?.set_password(value.expose_secret()).map_err(|e| map_error(name, e))
    }

    fn delete(&self, name: &SecretName) -> Result<(), SecretError> {
        self.entry(name)?.delete_credential().map_err(|e| map_error(name, e))
    }
}

/// Maps a keyring error without ever including secret bytes (`BadEncoding` carries them).
fn map_error(name: &SecretName, e: keyring::Error) -> SecretError {
    let account = name.account();
    match e {
        keyring::Error::NoEntry => SecretError::missing(name),
        keyring::Error::NoStorageAccess(detail) => {
            SecretError::Locked { name: account, detail: detail.to_string() }
        }
        keyring::Error::PlatformFailure(detail) => {
            SecretError::Unavailable { name: account, detail: detail.to_string() }
        }
        keyring::Error::BadEncoding(mut bytes) => {
            zeroize::Zeroize::zeroize(&mut bytes);
            SecretError::Invalid { name: account, reason: "the stored value is not UTF-8".into() }
        }
        keyring::Error::Ambiguous(found) => SecretError::Invalid {
            name: account,
            reason: format!(
                "{} keyring entries match; remove the extras with `secret-tool clear service reclaim username {}`",
                found.len(),
                name.account()
            ),
        },
        keyring::Error::TooLong(attr, limit) => SecretError::Invalid {
            name: account,
            reason: format!("keyring attribute {attr} is longer than {limit}"),
        },
        keyring::Error::Invalid(attr, reason) => SecretError::Invalid {
            name: account,
            reason: format!("keyring attribute {attr}: {reason}"),
        },
        other => SecretError::Unavailable { name: account, detail: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            SecretName::ClientSecret,
            SecretName::CertificatePassword,
            SecretName::RelayCredential,
            SecretName::AuditKey,
            SecretName::StationCredential,
            SecretName::ProviderLinkKey("trueid".into()),
            SecretName::ProviderCaptureKey("vouch-safe_2".into()),
        ] {
            assert_eq!(SecretName::parse(&name.account()).expect("parse"), name);
        }
        assert_eq!(SecretName::ClientSecret.to_string(), "client-secret");
        assert_eq!(
            SecretName::ProviderLinkKey("trueid".into()).account(),
            "provider.trueid.link-signing-key"
        );
        for bad in [
            "",
            "client_secret",
            "provider..capture-api-key",
            "provider.A.capture-api-key",
            "provider.x.other",
        ] {
            assert!(
                matches!(SecretName::parse(bad), Err(SecretError::UnknownName { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn values_are_checked() {
        let s = |v: &str| SecretString::from(v.to_owned());
        assert!(SecretName::ClientSecret.check_value(&s("x")).is_ok());
        assert!(SecretName::ClientSecret.check_value(&s("")).is_err());
        assert!(SecretName::ClientSecret.check_value(&s("abc\n")).is_err());
        assert!(SecretName::RelayCredential.check_value(&s("short")).is_err());
        assert!(SecretName::RelayCredential.check_value(&s("has a space in it, long")).is_err());
        assert!(SecretName::RelayCredential.check_value(&s("0123456789abcdef")).is_ok());
        assert!(SecretName::ProviderLinkKey("p".into()).check_value(&s("short")).is_err());
        assert!(SecretName::AuditKey.check_value(&s("sixteen-bytes-xx")).is_err());
        assert!(
            SecretName::AuditKey.check_value(&s("a-fleet-wide-key-of-32-bytes-or-more")).is_ok()
        );
        assert!(SecretName::StationCredential.check_value(&s("a-random-string")).is_err());
    }

    #[test]
    fn the_station_credential_round_trips_and_is_never_shown() {
        use reclaim_protocol::station::StationKey;
        let key = StationKey::generate().expect("key");
        let credential = StationCredential::new("st-0123456789abcdef", "https://svc.example", key);
        let store = MemoryStore::new();
        let missing = store.station_credential().expect_err("missing");
        assert!(matches!(missing, SecretError::Missing { .. }), "{missing}");
        assert_eq!(SecretName::StationCredential.account(), "station-credential");
        store.set_station_credential(&credential).expect("store");
        let back = store.station_credential().expect("read");
        assert_eq!(back.station_id, "st-0123456789abcdef");
        assert_eq!(back.service_url, "https://svc.example");
        assert_eq!(back.key.public_key(), credential.key.public_key());
        let compact = credential.to_compact();
        assert!(!format!("{store:?} {back:?}").contains(compact.as_str()));
        let bad = MemoryStore::new().with(&SecretName::StationCredential, "garbage");
        assert!(matches!(bad.station_credential(), Err(SecretError::Invalid { .. })));
    }

    #[test]
    fn missing_names_the_secret_and_the_command() {
        let e = MemoryStore::new().get(&SecretName::RelayCredential).expect_err("missing");
        let text = e.to_string();
        assert!(text.contains("`relay-credential`"), "{text}");
        assert!(text.contains("relay credential"), "{text}");
        assert!(text.contains("reclaim-config set-secret relay-credential"), "{text}");
    }
}
