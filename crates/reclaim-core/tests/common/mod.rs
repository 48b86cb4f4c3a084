//! Builders shared by the session tests: a demo-tenant-like world in plain data.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use reclaim_core::model::{
    ClaimBinding, EnabledState, FaceCheckConfiguration, MatchConfidenceLevel, PolicyTarget,
    ProfileConfiguration, TargetType, UsageConfiguration, UsagePurpose,
};
use reclaim_core::*;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

pub const ISSUER: &str = "did:web:idv.trueid.example";
pub const USER_ID: &str = "1a000000-0000-4000-8000-000000000002";
pub const UPN: &str = "maria.souza@contoso.example";
pub const G_PROD: &str = "6a000000-0000-4000-8000-000000000001";
pub const G_EVAL: &str = "6a000000-0000-4000-8000-000000000002";
pub const G_EXEC: &str = "6a000000-0000-4000-8000-000000000005";
pub const G_TAP: &str = "6a000000-0000-4000-8000-000000000006";
pub const TAP: &str = "k7Q+2rZa";

pub fn t0() -> OffsetDateTime {
    datetime!(2026-08-20 12:00:00 UTC)
}

pub fn session() -> Session {
    Session::new(
        Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        "kiosk-07",
        EngineConfig::default(),
        AuditKey::new(b"station-audit-key".to_vec()),
        vec![
            Provider {
                id: "trueid".into(),
                display_name: "TrueIdentity".into(),
                issuer_did: ISSUER.into(),
                kind: ProviderKind::Api,
            },
            Provider {
                id: "vouchsafe".into(),
                display_name: "Vouchsafe".into(),
                issuer_did: "did:web:idv.vouchsafe.example".into(),
                kind: ProviderKind::Api,
            },
        ],
    )
    .expect("session")
}

/// The onboarding page of the link-only provider of [`link_session`].
pub const ONBOARDING_URL: &str = "https://quickid.example/onboard";

/// A station whose provider for the profiles' issuer is link-only (`quickid`: its own Verified
/// ID onboarding page, no API), next to an API provider of another issuer.
pub fn link_session() -> Session {
    Session::new(
        Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        "kiosk-07",
        EngineConfig::default(),
        AuditKey::new(b"station-audit-key".to_vec()),
        vec![
            Provider {
                id: "quickid".into(),
                display_name: "QuickID".into(),
                issuer_did: ISSUER.into(),
                kind: ProviderKind::Link { onboarding_url: ONBOARDING_URL.into() },
            },
            Provider {
                id: "vouchsafe".into(),
                display_name: "Vouchsafe".into(),
                issuer_did: "did:web:idv.vouchsafe.example".into(),
                kind: ProviderKind::Api,
            },
        ],
    )
    .expect("session")
}

/// A session at `kiosk-07` with `config` and TrueIdentity as its only provider.
pub fn trueid_session(config: EngineConfig) -> Session {
    Session::new(
        Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        "kiosk-07",
        config,
        AuditKey::new(b"station-audit-key".to_vec()),
        vec![Provider {
            id: "trueid".into(),
            display_name: "TrueIdentity".into(),
            issuer_did: ISSUER.into(),
            kind: ProviderKind::Api,
        }],
    )
    .expect("session")
}

pub fn user(
    given: Option<&str>,
    surname: Option<&str>,
    enabled: bool,
    member: bool,
) -> DirectoryUser {
    user_with_id(USER_ID, given, surname, enabled, member)
}

pub fn user_with_id(
    id: &str,
    given: Option<&str>,
    surname: Option<&str>,
    enabled: bool,
    member: bool,
) -> DirectoryUser {
    DirectoryUser {
        id: id.into(),
        user_principal_name: Upn::new(UPN),
        given_name: given.map(PersonName::new),
        surname: surname.map(PersonName::new),
        account_enabled: Some(enabled),
        user_type: Some(if member { "Member" } else { "Guest" }.into()),
    }
}

fn binding(attr: &str, claim: &str, level: MatchConfidenceLevel) -> ClaimBinding {
    ClaimBinding {
        source_attribute: attr.into(),
        verified_id_claim: format!("vc.credentialSubject.{claim}"),
        match_confidence_level: level,
    }
}

pub fn profile(
    id: &str,
    priority: i32,
    evaluation: bool,
    level: MatchConfidenceLevel,
) -> VerifiedIdProfile {
    VerifiedIdProfile {
        id: id.into(),
        name: id.into(),
        state: EnabledState::Enabled,
        verifier_did: "did:web:verifiedid.contoso.example".into(),
        priority: Some(priority),
        verified_id_profile_configuration: ProfileConfiguration {
            credential_type: "verifiedIdentity".into(),
            accepted_issuer: ISSUER.into(),
            claim_binding_source: Some("directory".into()),
            claim_bindings: vec![
                binding("First name", "firstName", level),
                binding("Last name", "lastName", level),
            ],
            claim_validation: None,
        },
        face_check_configuration: Some(FaceCheckConfiguration {
            is_enabled: true,
            source_photo_claim_name: Some("portrait".into()),
        }),
        verified_id_usage_configurations: vec![UsageConfiguration {
            is_enabled_for_test_only: evaluation,
            purpose: UsagePurpose::Recovery,
        }],
    }
}

fn target(id: &str, profiles: &[&str]) -> PolicyTarget {
    PolicyTarget {
        id: id.into(),
        target_type: TargetType::Group,
        verified_id_profiles: profiles.iter().map(|s| s.to_string()).collect(),
    }
}

pub fn vc_policy() -> VcMethodPolicy {
    VcMethodPolicy {
        state: EnabledState::Enabled,
        include_targets: vec![target(G_PROD, &["p-prod"]), target(G_EVAL, &["p-eval"])],
        exclude_targets: vec![target(G_EXEC, &[])],
    }
}

pub fn tap_policy() -> TapPolicy {
    TapPolicy {
        state: EnabledState::Enabled,
        include_targets: vec![target(G_TAP, &[])],
        exclude_targets: vec![],
        minimum_lifetime_in_minutes: 60,
        maximum_lifetime_in_minutes: 480,
        default_lifetime_in_minutes: 60,
        default_length: 8,
        is_usable_once: true,
    }
}

/// Facts for the user: `groups` are the policy groups they belong to.
pub fn facts(
    user: DirectoryUser,
    groups: &[&str],
    level: MatchConfidenceLevel,
) -> EligibilityResult {
    EligibilityResult::Found(Box::new(EligibilityFacts {
        user,
        member_groups: groups.iter().map(|s| s.to_string()).collect(),
        vc_policy: vc_policy(),
        profiles: vec![profile("p-prod", 1, false, level), profile("p-eval", 2, true, level)],
        tap_policy: tap_policy(),
        role_template_ids: Vec::new(),
    }))
}

/// The TAP as Graph created it.
pub fn tap_created() -> Input {
    Input::TapCreated { code: TapCode::new(TAP), method_id: TAP_METHOD.into() }
}

/// Global Administrator's role template id.
pub const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
/// The created pass's method id.
pub const TAP_METHOD: &str = "6c0e0000-0000-4000-8000-000000000001";

pub fn credential(given: &str, surname: &str, score: Option<f64>) -> PresentedCredential {
    PresentedCredential {
        issuer: ISSUER.into(),
        types: vec!["VerifiableCredential".into(), "verifiedIdentity".into()],
        claims: Claims::from_pairs([
            ("firstName", given),
            ("lastName", surname),
            ("portrait", "cG9ydHJhaXQ"),
        ]),
        revocation_status: Some("VALID".into()),
        face_check: score
            .map(|score| model::FaceCheckResult { score, photo_quality: Some("HIGH".into()) }),
        // Issued during the session (which begins a second after `t0`).
        issuance_date: Some(t0() + time::Duration::seconds(3)),
    }
}

pub fn verified(request_id: &str, c: PresentedCredential) -> Input {
    Input::Callback { request_id: request_id.into(), event: CallbackEvent::Verified(Box::new(c)) }
}

pub fn retrieved(request_id: &str) -> Input {
    Input::Callback { request_id: request_id.into(), event: CallbackEvent::Retrieved }
}

/// Runs inputs one second apart; returns the session and all effects.
pub fn run(mut s: Session, inputs: Vec<Input>) -> (Session, Vec<Effect>) {
    let mut all = Vec::new();
    let mut now = t0();
    for i in inputs {
        now += time::Duration::seconds(1);
        let (next, effects) = step(s, i, now);
        s = next;
        all.extend(effects);
    }
    (s, all)
}

pub fn happy(
    groups: &[&str],
    level: MatchConfidenceLevel,
    cred: PresentedCredential,
    users: Vec<DirectoryUser>,
) -> Vec<Input> {
    vec![
        Input::Begin,
        Input::SubmitUpn(Upn::new(UPN)),
        Input::Eligibility(facts(user(Some("Maria"), Some("Souza"), true, true), groups, level)),
        Input::ChooseProvider { provider: "trueid".into(), path: ScanPath::Phone },
        Input::Provider(ProviderEvent::IdentityIssued),
        Input::PresentationCreated {
            request_id: "r1".into(),
            url: "openid-vc://?request_uri=x".into(),
        },
        retrieved("r1"),
        verified("r1", cred),
        Input::UsersByName(Ok(users.into())),
        // The facts read again right before the TAP: unchanged since eligibility.
        Input::FreshFacts(facts(user(Some("Maria"), Some("Souza"), true, true), groups, level)),
        tap_created(),
        Input::Done,
    ]
}

/// [`happy`] through the link-only provider of [`link_session`]: its onboarding page, then
/// "I have added it".
pub fn happy_link(
    groups: &[&str],
    level: MatchConfidenceLevel,
    cred: PresentedCredential,
    users: Vec<DirectoryUser>,
) -> Vec<Input> {
    let mut inputs = happy(groups, level, cred, users);
    inputs[3] = Input::ChooseProvider { provider: "quickid".into(), path: ScanPath::Phone };
    inputs[4] = Input::AddedToWallet;
    inputs
}

pub fn count_create_tap(effects: &[Effect]) -> usize {
    effects.iter().filter(|e| matches!(e, Effect::CreateTap { .. })).count()
}

pub fn audit_lines(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Audit(a) => Some(a.to_json_line()),
            _ => None,
        })
        .collect()
}

pub fn ended_reason(s: &Session) -> Option<ReasonCode> {
    match s.state() {
        State::Wiped { reason, .. } => Some(*reason),
        _ => None,
    }
}
