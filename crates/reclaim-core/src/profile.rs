//! Profile resolution like Entra: VerifiableCredentials policy targets → the user's recovery profile.

use crate::model::{EnabledState, TargetType, UsagePurpose, VcMethodPolicy, VerifiedIdProfile};

/// `checkMemberGroups` takes at most this many group ids per call.
pub const CHECK_MEMBER_GROUPS_CHUNK: usize = 20;

/// Which profile applies to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The profile to use.
    Profile {
        /// The winning profile.
        profile: Box<VerifiedIdProfile>,
        /// `isEnabledForTestOnly`: verify, never issue a TAP.
        evaluation_mode: bool,
    },
    /// The user or one of their groups is globally excluded.
    Excluded,
    /// Policy disabled, or no enabled recovery profile reaches the user.
    NoProfile,
}

/// Resolves the profile for a user given the group ids (from [`groups_to_check`]) they belong to.
///
/// Policy disabled → `NoProfile`; excluded (user id, a group of theirs, or `all_users`) →
/// `Excluded` (global exclusion wins); otherwise the include targets covering the user contribute
/// their `verifiedIdProfiles`; of those, keep `state = enabled` with a usage configuration whose
/// purpose is `recovery` or `all`; lowest `priority` wins (`null` last; tie → lowest id).
/// Evaluation mode when any qualifying usage configuration is test-only (fail safe).
pub fn resolve(
    policy: &VcMethodPolicy,
    profiles: &[VerifiedIdProfile],
    user_id: &str,
    member_groups: &[String],
) -> Resolution {
    if policy.state != EnabledState::Enabled {
        return Resolution::NoProfile;
    }
    if policy.exclude_targets.iter().any(|t| t.covers(user_id, member_groups)) {
        return Resolution::Excluded;
    }
    let ids: Vec<&str> = policy
        .include_targets
        .iter()
        .filter(|t| t.covers(user_id, member_groups))
        .flat_map(|t| t.verified_id_profiles.iter().map(String::as_str))
        .collect();
    let best = profiles
        .iter()
        .filter(|p| ids.contains(&p.id.as_str()))
        .filter(|p| p.state == EnabledState::Enabled)
        .filter_map(|p| {
            let usages: Vec<_> = p
                .verified_id_usage_configurations
                .iter()
                .filter(|u| matches!(u.purpose, UsagePurpose::Recovery | UsagePurpose::All))
                .collect();
            if usages.is_empty() {
                None
            } else {
                Some((p, usages.iter().any(|u| u.is_enabled_for_test_only)))
            }
        })
        .min_by(|(a, _), (b, _)| {
            let key =
                |p: &VerifiedIdProfile| (p.priority.is_none(), p.priority.unwrap_or(i32::MAX));
            key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id))
        });
    match best {
        Some((p, evaluation_mode)) => {
            Resolution::Profile { profile: Box::new(p.clone()), evaluation_mode }
        }
        None => Resolution::NoProfile,
    }
}

/// The group ids named by the policy (include and exclude, deduplicated, order kept),
/// chunked by 20 for `checkMemberGroups`.
pub fn groups_to_check(policy: &VcMethodPolicy) -> Vec<Vec<String>> {
    chunk_groups(
        policy
            .include_targets
            .iter()
            .chain(&policy.exclude_targets)
            .filter(|t| t.target_type == TargetType::Group && t.id != "all_users")
            .map(|t| t.id.clone()),
    )
}

/// Deduplicates group ids and chunks them by 20.
pub fn chunk_groups(ids: impl IntoIterator<Item = String>) -> Vec<Vec<String>> {
    let mut seen: Vec<String> = Vec::new();
    for id in ids {
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    seen.chunks(CHECK_MEMBER_GROUPS_CHUNK).map(<[String]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PolicyTarget, ProfileConfiguration, UsageConfiguration};

    fn profile(
        id: &str,
        priority: Option<i32>,
        state: EnabledState,
        test_only: bool,
        purpose: UsagePurpose,
    ) -> VerifiedIdProfile {
        VerifiedIdProfile {
            id: id.into(),
            name: id.into(),
            state,
            verifier_did: "did:web:v".into(),
            priority,
            verified_id_profile_configuration: ProfileConfiguration {
                credential_type: "verifiedIdentity".into(),
                accepted_issuer: "did:web:i".into(),
                claim_binding_source: None,
                claim_bindings: vec![],
                claim_validation: None,
            },
            face_check_configuration: None,
            verified_id_usage_configurations: vec![UsageConfiguration {
                is_enabled_for_test_only: test_only,
                purpose,
            }],
        }
    }

    fn target(id: &str, tt: TargetType, profiles: &[&str]) -> PolicyTarget {
        PolicyTarget {
            id: id.into(),
            target_type: tt,
            verified_id_profiles: profiles.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn demo() -> (VcMethodPolicy, Vec<VerifiedIdProfile>) {
        let policy = VcMethodPolicy {
            state: EnabledState::Enabled,
            include_targets: vec![
                target("g1", TargetType::Group, &["p1", "p4"]),
                target("g2", TargetType::Group, &["p2"]),
                target("g3", TargetType::Group, &["p3"]),
                target("u9", TargetType::User, &["p3"]),
            ],
            exclude_targets: vec![target("g5", TargetType::Group, &[])],
        };
        let profiles = vec![
            profile("p1", Some(1), EnabledState::Enabled, false, UsagePurpose::Recovery),
            profile("p2", Some(2), EnabledState::Enabled, true, UsagePurpose::Recovery),
            profile("p3", Some(3), EnabledState::Enabled, false, UsagePurpose::All),
            profile("p4", Some(0), EnabledState::Disabled, false, UsagePurpose::Recovery),
        ];
        (policy, profiles)
    }

    fn id_of(r: &Resolution) -> Option<(&str, bool)> {
        match r {
            Resolution::Profile { profile, evaluation_mode } => {
                Some((profile.id.as_str(), *evaluation_mode))
            }
            _ => None,
        }
    }

    #[test]
    fn demo_personas() {
        let (policy, profiles) = demo();
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // Ana: production, disabled p4 (priority 0) never chosen
        assert_eq!(id_of(&resolve(&policy, &profiles, "u1", &g(&["g1"]))), Some(("p1", false)));
        // Priya: pilot, evaluation
        assert_eq!(id_of(&resolve(&policy, &profiles, "u2", &g(&["g2"]))), Some(("p2", true)));
        // Kai: strict (3) + pilot (2) → pilot wins
        assert_eq!(
            id_of(&resolve(&policy, &profiles, "u3", &g(&["g3", "g2"]))),
            Some(("p2", true))
        );
        // Eli: excluded wins over include
        assert_eq!(resolve(&policy, &profiles, "u4", &g(&["g1", "g5"])), Resolution::Excluded);
        // Nora: no group
        assert_eq!(resolve(&policy, &profiles, "u5", &[]), Resolution::NoProfile);
        // user target
        assert_eq!(id_of(&resolve(&policy, &profiles, "u9", &[])), Some(("p3", false)));
        // policy disabled
        let mut off = policy.clone();
        off.state = EnabledState::Disabled;
        assert_eq!(resolve(&off, &profiles, "u1", &g(&["g1"])), Resolution::NoProfile);
    }

    #[test]
    fn priority_null_last_and_tie_lowest_id() {
        let policy = VcMethodPolicy {
            state: EnabledState::Enabled,
            include_targets: vec![target("all_users", TargetType::Group, &["pb", "pa", "pn"])],
            exclude_targets: vec![],
        };
        let mut profiles = vec![
            profile("pn", None, EnabledState::Enabled, false, UsagePurpose::Recovery),
            profile("pb", Some(5), EnabledState::Enabled, false, UsagePurpose::Recovery),
            profile("pa", Some(5), EnabledState::Enabled, false, UsagePurpose::Recovery),
        ];
        assert_eq!(id_of(&resolve(&policy, &profiles, "u", &[])), Some(("pa", false)));
        profiles.retain(|p| p.id == "pn");
        assert_eq!(id_of(&resolve(&policy, &profiles, "u", &[])), Some(("pn", false)));
        profiles[0].verified_id_usage_configurations[0].purpose = UsagePurpose::Onboarding;
        assert_eq!(resolve(&policy, &profiles, "u", &[]), Resolution::NoProfile);
    }

    #[test]
    fn all_users_exclusion() {
        let policy = VcMethodPolicy {
            state: EnabledState::Enabled,
            include_targets: vec![target("all_users", TargetType::Group, &["p1"])],
            exclude_targets: vec![target("u1", TargetType::User, &[])],
        };
        let profiles =
            vec![profile("p1", Some(1), EnabledState::Enabled, false, UsagePurpose::Recovery)];
        assert_eq!(resolve(&policy, &profiles, "u1", &[]), Resolution::Excluded);
        assert!(id_of(&resolve(&policy, &profiles, "u2", &[])).is_some());
    }

    #[test]
    fn groups_chunked_by_20() {
        let mut targets: Vec<PolicyTarget> =
            (0..45).map(|i| target(&format!("g{i}"), TargetType::Group, &["p"])).collect();
        targets.push(target("g0", TargetType::Group, &[]));
        targets.push(target("all_users", TargetType::Group, &[]));
        targets.push(target("u1", TargetType::User, &[]));
        let policy = VcMethodPolicy {
            state: EnabledState::Enabled,
            include_targets: targets,
            exclude_targets: vec![],
        };
        let chunks = groups_to_check(&policy);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), vec![20, 20, 5]);
        assert_eq!(chunks[0][0], "g0");
    }
}
