//! Fitting a Temporary Access Pass request to the tenant's TAP policy.

use serde::Serialize;

use crate::CoreError;
use crate::model::{EnabledState, TapPolicy};

/// The API's own lifetime range (minutes).
pub const API_MIN_LIFETIME: u32 = 10;
/// The API's own lifetime range (minutes).
pub const API_MAX_LIFETIME: u32 = 43_200;

/// The body of `POST /users/{id}/authentication/temporaryAccessPassMethods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TapRequest {
    /// Lifetime within policy min/max and 10–43200.
    pub lifetime_in_minutes: u32,
    /// One-time pass.
    pub is_usable_once: bool,
}

/// Fits a request: lifetime = max(desired (default: policy minimum), policy min), clamped to the
/// policy's [min, max] and the API's [10, 43200]; one-time when the policy forces it or the
/// station asks (`usable_once`, default true). Policy disabled → [`CoreError::TapPolicyDisabled`].
pub fn fit(
    policy: &TapPolicy,
    desired_minutes: Option<u32>,
    usable_once: bool,
) -> Result<TapRequest, CoreError> {
    if policy.state != EnabledState::Enabled {
        return Err(CoreError::TapPolicyDisabled);
    }
    let min = policy.minimum_lifetime_in_minutes.max(API_MIN_LIFETIME);
    let max = policy.maximum_lifetime_in_minutes.min(API_MAX_LIFETIME);
    if min > max {
        return Err(CoreError::TapLifetimeUnsatisfiable {
            min: policy.minimum_lifetime_in_minutes,
            max: policy.maximum_lifetime_in_minutes,
        });
    }
    let desired = desired_minutes.unwrap_or(policy.minimum_lifetime_in_minutes);
    let lifetime = desired.max(min).clamp(min, max);
    Ok(TapRequest {
        lifetime_in_minutes: lifetime,
        is_usable_once: policy.is_usable_once || usable_once,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(min: u32, max: u32, once: bool) -> TapPolicy {
        TapPolicy {
            state: EnabledState::Enabled,
            include_targets: vec![],
            exclude_targets: vec![],
            minimum_lifetime_in_minutes: min,
            maximum_lifetime_in_minutes: max,
            default_lifetime_in_minutes: min,
            default_length: 8,
            is_usable_once: once,
        }
    }

    #[test]
    fn the_trap_min_60_ask_15_gives_60() {
        let r = fit(&policy(60, 480, false), Some(15), true).expect("fit");
        assert_eq!(r.lifetime_in_minutes, 60);
    }

    #[test]
    fn default_is_policy_minimum_and_clamps_to_max() {
        assert_eq!(fit(&policy(60, 480, false), None, true).expect("fit").lifetime_in_minutes, 60);
        assert_eq!(
            fit(&policy(60, 480, false), Some(120), true).expect("fit").lifetime_in_minutes,
            120
        );
        assert_eq!(
            fit(&policy(60, 480, false), Some(9999), true).expect("fit").lifetime_in_minutes,
            480
        );
        assert_eq!(
            fit(&policy(1, 480, false), Some(5), true).expect("fit").lifetime_in_minutes,
            10
        );
        assert_eq!(
            fit(&policy(60, 90_000, false), Some(90_000), true).expect("fit").lifetime_in_minutes,
            43_200
        );
    }

    #[test]
    fn usable_once_and_disabled() {
        assert!(fit(&policy(60, 480, true), None, false).expect("fit").is_usable_once);
        assert!(!fit(&policy(60, 480, false), None, false).expect("fit").is_usable_once);
        assert!(fit(&policy(60, 480, false), None, true).expect("fit").is_usable_once);
        let mut off = policy(60, 480, false);
        off.state = EnabledState::Disabled;
        assert!(matches!(fit(&off, None, true), Err(CoreError::TapPolicyDisabled)));
        assert!(matches!(
            fit(&policy(500, 100, false), None, true),
            Err(CoreError::TapLifetimeUnsatisfiable { .. })
        ));
    }

    #[test]
    fn serializes_to_graph_body() {
        let r = TapRequest { lifetime_in_minutes: 60, is_usable_once: true };
        assert_eq!(
            serde_json::to_string(&r).expect("json"),
            r#"{"lifetimeInMinutes":60,"isUsableOnce":true}"#
        );
    }
}
