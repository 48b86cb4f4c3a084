//! [`EngineSettings`]: the station's identity, providers, core configuration and the engine's
//! own timers (idle countdown, result dwell, polling) and attempt limits.

use std::time::Duration;

use reclaim_core::{AuditKey, EngineConfig, Provider, ProviderKind};

use crate::limits::RateLimits;
use crate::view::{Locale, ProviderCard, StationMode};

/// A provider this station offers: its card and the issuer DID of the credentials it issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationProvider {
    /// What the person sees (id, name, documents).
    pub card: ProviderCard,
    /// Issuer DID (matched against the profile's accepted issuer).
    pub issuer_did: String,
    /// A link-only provider's onboarding page (`card.link_only` is set with it): no hosted link,
    /// no capture, no signed return; the page is shown as a QR and the person presses "I have
    /// added it".
    pub onboarding_url: Option<String>,
}

impl StationProvider {
    /// The core's view of it.
    pub fn core(&self) -> Provider {
        Provider {
            id: self.card.id.clone(),
            display_name: self.card.display_name.clone(),
            issuer_did: self.issuer_did.clone(),
            kind: match &self.onboarding_url {
                Some(url) => ProviderKind::Link { onboarding_url: url.clone() },
                None => ProviderKind::Api,
            },
        }
    }
}

/// How an unconfirmed TAP is deleted (issue 13 item 4). The retries live in memory: a TAP whose
/// deletion is still being retried when the process stops stays valid until it expires (a
/// durable queue is issue 15's job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapCleanupPolicy {
    /// Attempts at listing and deleting before giving up (each failure is audited).
    pub attempts: u32,
    /// Wait before the second attempt; doubled after each failure.
    pub first_retry: Duration,
    /// Longest wait between attempts.
    pub max_retry: Duration,
    /// How long a creation still in flight at the wipe is awaited before its passes are looked
    /// up anyway (the Graph client's own timeout is 30 s per try).
    pub creation_wait: Duration,
    /// Passes created this long before the session's creation attempt still count as its own
    /// (clock skew between the station and Graph).
    pub clock_skew: Duration,
}

impl Default for TapCleanupPolicy {
    fn default() -> Self {
        Self {
            attempts: 8,
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(60),
            creation_wait: Duration::from_secs(150),
            clock_skew: Duration::from_secs(60),
        }
    }
}

/// How the owner's notice after a recovery, and the revocation of their sign-in sessions, are
/// retried (issue 16 item 5). In memory, like the TAP cleanup: a notice still being retried when
/// the process stops is lost (its failures are audited as they happen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotifyRetryPolicy {
    /// Attempts before giving up (each failure is audited). A refusal (4xx: no permission, no
    /// mailbox, no address) is not retried.
    pub attempts: u32,
    /// Wait before the second attempt; doubled after each failure.
    pub first_retry: Duration,
    /// Longest wait between attempts.
    pub max_retry: Duration,
}

impl Default for NotifyRetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 6,
            first_retry: Duration::from_secs(2),
            max_retry: Duration::from_secs(120),
        }
    }
}

/// Everything the engine needs besides its ports.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Station id (audit, relay registrations, the `iss` of hosted links).
    pub station_id: String,
    /// Demo or production.
    pub mode: StationMode,
    /// The core's configuration (threshold, per-state timeouts, idle seconds, TAP wishes).
    /// `config.idle_timeout_secs` is when "Are you still there?" appears.
    pub config: EngineConfig,
    /// HMAC key of the audit pseudonyms (also keys the per-account attempt limit).
    pub audit_key: AuditKey,
    /// Offered providers.
    pub providers: Vec<StationProvider>,
    /// The station has a camera (offers the camera path).
    pub camera_available: bool,
    /// The language the attract screen starts in (and returns to on every wipe).
    pub default_locale: Locale,
    /// Where to sign in with the TAP (shown on the TAP screen).
    pub sign_in_url: String,
    /// Seconds of the "Are you still there?" countdown before the wipe.
    pub idle_countdown_secs: u32,
    /// The idle timer while the TAP is on screen, when shorter than `config.idle_timeout_secs`:
    /// the pass is a secret, so a person who walks away leaves it up for less time.
    pub tap_idle_timeout_secs: u32,
    /// How long a Face Check result stays on screen before the next screen replaces it.
    pub result_dwell: Duration,
    /// Attempt limits per account and per station.
    pub rate_limits: RateLimits,
    /// Camera path: how often the provider is asked whether the credential is in Authenticator.
    pub capture_poll_interval: Duration,
    /// Camera path: unreadable shots allowed before the document counts as rejected.
    pub max_retakes: u8,
    /// How often the pre-flight runs on its own (`None`: only at start and on request).
    pub preflight_interval: Option<Duration>,
    /// Longest a pre-flight probe may take.
    pub preflight_timeout: Duration,
    /// Deleting TAPs that were not confirmed noted.
    pub tap_cleanup: TapCleanupPolicy,
    /// Retrying the owner's notice and the session revocation after a recovery.
    pub notify_retry: NotifyRetryPolicy,
    /// Every eligibility answer is held until this much session time (the clock port's) has
    /// passed since the lookup began, or the next whole multiple of it when the lookup took
    /// longer: unknown, ineligible and excluded accounts get the same screen after the same time
    /// (issue 13 item 8). Zero: no padding.
    pub eligibility_answer_floor: Duration,
}

impl EngineSettings {
    /// Defaults for a station: the core's default configuration, 20 s countdown, a 30 s idle timer
    /// while the TAP is shown, 3 s dwell,
    /// 5 attempts per account per hour and 10 per station per minute, a pre-flight every minute.
    pub fn new(
        station_id: impl Into<String>,
        mode: StationMode,
        audit_key: AuditKey,
        providers: Vec<StationProvider>,
    ) -> Self {
        Self {
            station_id: station_id.into(),
            mode,
            config: EngineConfig::default(),
            audit_key,
            providers,
            camera_available: false,
            default_locale: Locale::En,
            sign_in_url: "https://mysignins.microsoft.com/security-info".into(),
            idle_countdown_secs: 20,
            tap_idle_timeout_secs: 30,
            result_dwell: Duration::from_secs(3),
            rate_limits: RateLimits::default(),
            capture_poll_interval: Duration::from_secs(1),
            max_retakes: 3,
            preflight_interval: Some(Duration::from_secs(60)),
            preflight_timeout: Duration::from_secs(10),
            tap_cleanup: TapCleanupPolicy::default(),
            notify_retry: NotifyRetryPolicy::default(),
            // Above a real tenant's usual lookup (six Graph round trips, four of them in
            // parallel pairs); slower lookups round up to 4 s, 6 s, …
            eligibility_answer_floor: Duration::from_secs(2),
        }
    }
}
