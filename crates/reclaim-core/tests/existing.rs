//! Issue 17 item 1 in the state machine: presenting a credential already held. The choice is
//! only what the site offers; the presented credential must be of the chosen issuer and type,
//! unrevoked and young enough; the verdict rules then apply unchanged, under the profile's claim
//! names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reclaim_core::existing::{AcceptedCredential, ExistingCredentials};
use reclaim_core::model::MatchConfidenceLevel::Relaxed;
use reclaim_core::*;

const ORG: &str = "did:web:verifiedid.contoso.example";

fn rule(max_age_days: u32) -> ExistingCredentials {
    ExistingCredentials {
        max_age_days,
        profile_credential: true,
        accepted: vec![AcceptedCredential {
            id: "verified-employee".into(),
            label: "Verified employee".into(),
            issuer: ORG.into(),
            credential_type: "VerifiedEmployee".into(),
            photo_claim: "photo".into(),
            claim_names: vec![
                ("firstName".into(), "givenName".into()),
                ("lastName".into(), "surname".into()),
            ],
        }],
    }
}

fn session_with(existing: Option<ExistingCredentials>) -> Session {
    trueid_session(EngineConfig { existing_credential: existing, ..EngineConfig::default() })
}

fn employee(issued_days_ago: i64, issuer: &str) -> PresentedCredential {
    PresentedCredential {
        issuer: issuer.into(),
        types: vec!["VerifiableCredential".into(), "VerifiedEmployee".into()],
        claims: Claims::from_pairs([("givenName", "Maria"), ("surname", "Souza"), ("photo", "cA")]),
        revocation_status: Some("VALID".into()),
        face_check: Some(model::FaceCheckResult { score: 92.0, photo_quality: None }),
        issuance_date: Some(t0() - time::Duration::days(issued_days_ago)),
    }
}

/// Up to the provider choice, then the chosen credential presented.
fn present(s: Session, choice: &str, c: PresentedCredential) -> (Session, Vec<Effect>) {
    run(
        s,
        vec![
            Input::Begin,
            Input::SubmitUpn(Upn::new(UPN)),
            Input::Eligibility(facts(
                user(Some("Maria"), Some("Souza"), true, true),
                &[G_PROD, G_TAP],
                Relaxed,
            )),
            Input::PresentExisting { choice: choice.into() },
            Input::PresentationCreated { request_id: "r1".into(), url: "openid-vc://x".into() },
            verified("r1", c),
        ],
    )
}

fn spec(effects: &[Effect]) -> Option<&PresentationSpec> {
    effects.iter().find_map(|e| match e {
        Effect::CreatePresentationRequest(s) => Some(s),
        _ => None,
    })
}

#[test]
fn the_choices_are_offered_only_with_the_site_rule() {
    let (_, effects) = run(
        session_with(Some(rule(30))),
        vec![
            Input::Begin,
            Input::SubmitUpn(Upn::new(UPN)),
            Input::Eligibility(facts(
                user(Some("Maria"), Some("Souza"), true, true),
                &[G_PROD],
                Relaxed,
            )),
        ],
    );
    let offered = effects.iter().find_map(|e| match e {
        Effect::Show(Screen::ChooseProvider { existing, .. }) => Some(existing.clone()),
        _ => None,
    });
    let ids: Vec<String> = offered.unwrap().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["profile", "verified-employee"]);

    let (s, effects) = present(session(), "verified-employee", employee(1, ORG));
    assert!(spec(&effects).is_none(), "no presentation without the rule");
    assert_eq!(s.state().name(), "choosing_provider");
}

#[test]
fn a_verified_employee_asks_for_its_type_issuer_and_photo_and_matches_under_the_profiles_names() {
    let (s, effects) = present(session_with(Some(rule(30))), "verified-employee", employee(3, ORG));
    let spec = spec(&effects).unwrap();
    assert_eq!(
        (spec.credential_type.as_str(), spec.accepted_issuer.as_str()),
        ("VerifiedEmployee", ORG)
    );
    assert_eq!(spec.source_photo_claim_name, "photo");
    // Matched (givenName/surname read as firstName/lastName): on to the duplicate search.
    assert_eq!(s.state().name(), "verifying", "{:?}", audit_lines(&effects));
}

#[test]
fn too_old_another_issuer_or_revoked_is_refused_before_any_directory_search() {
    let too_old = present(session_with(Some(rule(30))), "verified-employee", employee(31, ORG)).0;
    assert_eq!(ended_reason(&too_old), Some(ReasonCode::CredentialTooOld));

    let other = present(
        session_with(Some(rule(30))),
        "verified-employee",
        employee(1, "did:web:someone-else.example"),
    )
    .0;
    assert_eq!(ended_reason(&other), Some(ReasonCode::IssuerNotAccepted));

    let mut revoked = employee(1, ORG);
    revoked.revocation_status = Some("REVOKED".into());
    let revoked = present(session_with(Some(rule(30))), "verified-employee", revoked).0;
    assert_eq!(ended_reason(&revoked), Some(ReasonCode::CredentialRevoked));
}

#[test]
fn the_profiles_own_credential_from_an_earlier_session_is_accepted() {
    let mut c = credential("Maria", "Souza", Some(90.0));
    c.issuance_date = Some(t0() - time::Duration::days(10));
    let (s, effects) = present(session_with(Some(rule(30))), "profile", c);
    assert_eq!(spec(&effects).unwrap().accepted_issuer, ISSUER);
    assert_eq!(s.state().name(), "verifying");
}
