//! Engine tunables (thresholds, timeouts, TAP wishes, attempt limits) with validation.

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// Per-state timeouts, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    /// Typing the UPN.
    pub identify_secs: u32,
    /// Directory + policy lookups.
    pub eligibility_secs: u32,
    /// Choosing a provider.
    pub choose_provider_secs: u32,
    /// Scanning the ID (phone or camera), until the credential is issued.
    pub scan_id_secs: u32,
    /// Adding the issued credential to Authenticator.
    pub issuance_secs: u32,
    /// The presentation, Face Check included (the Request Service's own expiry is ~300 s).
    pub presentation_secs: u32,
    /// Longest a presentation QR stays on screen unscanned (at most 120): then a new request
    /// replaces it and the old one is no longer accepted (a photographed QR goes stale).
    pub presentation_qr_secs: u32,
    /// Directory checks after the presentation.
    pub verifying_secs: u32,
    /// Creating the TAP.
    pub issuing_tap_secs: u32,
    /// Showing the TAP (shorter).
    pub show_tap_secs: u32,
    /// Showing the evaluation result.
    pub result_secs: u32,
    /// Waiting for a member of staff (the trusted referee) once the person asked.
    pub referee_secs: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            identify_secs: 120,
            eligibility_secs: 30,
            choose_provider_secs: 120,
            scan_id_secs: 900,
            issuance_secs: 300,
            presentation_secs: 300,
            presentation_qr_secs: 120,
            verifying_secs: 30,
            issuing_tap_secs: 30,
            show_tap_secs: 120,
            result_secs: 60,
            referee_secs: 900,
        }
    }
}

/// Engine configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Face Check `matchConfidenceThreshold`, 50–100, default 70.
    pub face_check_threshold: u8,
    /// Per-state timeouts.
    pub timeouts: Timeouts,
    /// Seconds without input before "Are you still there?" (the UI sends `IdleTimeout`).
    pub idle_timeout_secs: u32,
    /// Desired TAP lifetime; `None` = the policy minimum.
    pub tap_lifetime_minutes: Option<u32>,
    /// Ask for one-time passes (default true).
    pub tap_usable_once: bool,
    /// Presentation attempts (Face Check retries) per session.
    pub max_presentation_attempts: u8,
    /// Billed Face Checks (pass or fail) per station per UTC day; the engine's limits refuse
    /// paid steps once it is spent (`[recovery] face_check_budget_per_day`).
    pub face_check_budget_per_day: u32,
    /// Longest UPN accepted.
    pub max_upn_len: usize,
    /// Role template ids whose holders (active, through a group, or eligible) never get a TAP
    /// here: the session ends with the neutral `not_eligible`. Default:
    /// [`crate::roles::DEFAULT_REFUSED_ROLES`].
    pub refused_role_template_ids: Vec<String>,
    /// The site's second binding (a directory attribute against a credential claim), if any
    /// (`[recovery.second_binding]`; see [`crate::records`]).
    pub second_binding: Option<crate::records::SecondBinding>,
    /// Offer a member of staff (the trusted referee, see [`crate::referee`]) when a check a
    /// person can show wrong fails (production mode only; `[recovery] referee`).
    pub referee: bool,
    /// After the TAP, offer the organisation's `VerifiedEmployee` credential through My
    /// Account's "Get my Verified ID" (`[recovery] offer_verified_employee`; only where the
    /// tenant issues it and My Account offers it to the recovered users' groups).
    pub offer_verified_employee: bool,
    /// "I already have my ID in Authenticator" (`[recovery.existing_credential]`, see
    /// [`crate::existing`]); `None`: every recovery starts with an ID scan.
    pub existing_credential: Option<crate::existing::ExistingCredentials>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            face_check_threshold: 70,
            timeouts: Timeouts::default(),
            idle_timeout_secs: 90,
            tap_lifetime_minutes: None,
            tap_usable_once: true,
            max_presentation_attempts: 3,
            face_check_budget_per_day: 50,
            max_upn_len: 113,
            refused_role_template_ids: crate::roles::default_refused_role_ids(),
            second_binding: None,
            referee: false,
            offer_verified_employee: false,
            existing_credential: None,
        }
    }
}

impl EngineConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let bad = |field: &'static str, reason: &str| {
            Err(CoreError::InvalidConfig { field, reason: reason.to_owned() })
        };
        if !(50..=100).contains(&self.face_check_threshold) {
            return bad("face_check_threshold", "must be 50–100");
        }
        let t = &self.timeouts;
        for (field, v) in [
            ("timeouts.identify_secs", t.identify_secs),
            ("timeouts.eligibility_secs", t.eligibility_secs),
            ("timeouts.choose_provider_secs", t.choose_provider_secs),
            ("timeouts.scan_id_secs", t.scan_id_secs),
            ("timeouts.issuance_secs", t.issuance_secs),
            ("timeouts.presentation_secs", t.presentation_secs),
            ("timeouts.verifying_secs", t.verifying_secs),
            ("timeouts.issuing_tap_secs", t.issuing_tap_secs),
            ("timeouts.show_tap_secs", t.show_tap_secs),
            ("timeouts.result_secs", t.result_secs),
            ("timeouts.referee_secs", t.referee_secs),
            ("idle_timeout_secs", self.idle_timeout_secs),
        ] {
            if !(5..=3600).contains(&v) {
                return bad(field, "must be 5–3600 seconds");
            }
        }
        if let Some(m) = self.tap_lifetime_minutes
            && !(crate::tap::API_MIN_LIFETIME..=crate::tap::API_MAX_LIFETIME).contains(&m)
        {
            return bad("tap_lifetime_minutes", "must be 10–43200");
        }
        if !(5..=120).contains(&t.presentation_qr_secs) {
            return bad("timeouts.presentation_qr_secs", "must be 5–120 seconds");
        }
        if !(1..=1_000_000).contains(&self.face_check_budget_per_day) {
            return bad("face_check_budget_per_day", "must be 1–1000000");
        }
        if !(1..=10).contains(&self.max_presentation_attempts) {
            return bad("max_presentation_attempts", "must be 1–10");
        }
        if !(3..=1024).contains(&self.max_upn_len) {
            return bad("max_upn_len", "must be 3–1024");
        }
        if !self.refused_role_template_ids.iter().all(|id| crate::roles::is_template_id(id.trim()))
        {
            return bad("refused_role_template_ids", "must be role template ids (GUIDs)");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        EngineConfig::default().validate().expect("valid");
        assert_eq!(EngineConfig::default().face_check_threshold, 70);
    }

    #[test]
    fn invalid_values_are_named() {
        for (cfg, field) in [
            (
                EngineConfig { face_check_threshold: 49, ..Default::default() },
                "face_check_threshold",
            ),
            (
                EngineConfig { face_check_threshold: 101, ..Default::default() },
                "face_check_threshold",
            ),
            (
                EngineConfig { tap_lifetime_minutes: Some(5), ..Default::default() },
                "tap_lifetime_minutes",
            ),
            (
                EngineConfig { max_presentation_attempts: 0, ..Default::default() },
                "max_presentation_attempts",
            ),
            (EngineConfig { idle_timeout_secs: 0, ..Default::default() }, "idle_timeout_secs"),
        ] {
            match cfg.validate() {
                Err(CoreError::InvalidConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected invalid {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn deserializes_partial() {
        let c: EngineConfig =
            serde_json::from_str(r#"{"face_check_threshold":80,"timeouts":{"show_tap_secs":60}}"#)
                .expect("cfg");
        assert_eq!(c.face_check_threshold, 80);
        assert_eq!(c.timeouts.show_tap_secs, 60);
        assert_eq!(c.timeouts.identify_secs, 120);
    }
}
