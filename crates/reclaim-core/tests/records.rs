//! Issue 13 item 2: the organisation's records beyond the names — the site's second binding
//! (a directory attribute against a credential claim) and the profile's claim-validation
//! extension. Scenario tests of the state machine, and a property: no input sequence yields a
//! TAP (or the evaluation result) for a profile that requires the records unless the records'
//! answer for this session confirmed the credential.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use proptest::prelude::*;
use reclaim_core::model::ClaimValidation;
use reclaim_core::model::MatchConfidenceLevel::Relaxed;
use reclaim_core::records::{
    BindingCompare, ExtensionVerdict, RecordsAnswer, RecordsQuery, SecondBinding,
};
use reclaim_core::*;

const EXTENSION: &str = "5e000000-0000-4000-8000-000000000001";

/// SHA-256 of `1992-11-02`, as lowercase hex.
fn dob_hash() -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b"1992-11-02").iter().map(|b| format!("{b:02x}")).collect()
}

fn session_with(binding: Option<SecondBinding>) -> Session {
    trueid_session(EngineConfig { second_binding: binding, ..EngineConfig::default() })
}

fn dob_binding(profiles: Vec<String>) -> SecondBinding {
    SecondBinding {
        attribute: "extension_3a0000000000400080000000000000e1_dobHash".into(),
        claim: "dateOfBirth".into(),
        compare: BindingCompare::Sha256,
        profiles,
    }
}

fn maria() -> DirectoryUser {
    user(Some("Maria"), Some("Souza"), true, true)
}

fn cred_born(dob: &str) -> PresentedCredential {
    let mut c = credential("Maria Clara", "Souza", Some(91.0));
    c.claims = Claims::from_pairs([
        ("firstName", "Maria Clara"),
        ("lastName", "Souza"),
        ("dateOfBirth", dob),
        ("documentNumber", "ID5550192"),
    ]);
    c
}

/// The production profile requires the extension.
fn with_extension(mut input: Input) -> Input {
    if let Input::Eligibility(EligibilityResult::Found(f))
    | Input::FreshFacts(EligibilityResult::Found(f)) = &mut input
    {
        for p in &mut f.profiles {
            p.verified_id_profile_configuration.claim_validation = Some(ClaimValidation {
                is_enabled: true,
                custom_extension_id: Some(EXTENSION.into()),
            });
        }
    }
    input
}

/// A whole production recovery with the records' answer after the name search (or none).
fn inputs(
    extension: bool,
    answer: Option<Result<RecordsAnswer, AdapterFailure>>,
    dob: &str,
) -> Vec<Input> {
    let mut all = happy(&[G_PROD, G_TAP], Relaxed, cred_born(dob), vec![maria()]);
    if extension {
        all = all.into_iter().map(with_extension).collect();
    }
    if let Some(a) = answer {
        let at = all.iter().position(|i| matches!(i, Input::UsersByName(_))).unwrap() + 1;
        all.insert(at, Input::RecordsChecked(a));
    }
    all
}

fn pass() -> RecordsAnswer {
    RecordsAnswer { attribute_value: None, extension: Some(ExtensionVerdict::Pass) }
}

fn check_records(effects: &[Effect]) -> Option<(RecordsQuery, Option<String>)> {
    effects.iter().find_map(|e| match e {
        Effect::CheckRecords { query, claims, .. } => {
            Some((query.clone(), claims.get("dateOfBirth").map(str::to_owned)))
        }
        _ => None,
    })
}

#[test]
fn the_extensions_pass_lets_the_recovery_go_on_and_it_gets_the_claims() {
    let (s, effects) = run(session_with(None), inputs(true, Some(Ok(pass())), "1992-11-02"));
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    assert_eq!(count_create_tap(&effects), 1);
    let (query, dob) = check_records(&effects).expect("the records were asked");
    assert_eq!(
        query,
        RecordsQuery {
            user_id: USER_ID.into(),
            attribute: None,
            extension_id: Some(EXTENSION.into())
        }
    );
    assert_eq!(dob.as_deref(), Some("1992-11-02"));
    let audit = audit_lines(&effects).join("\n");
    assert!(audit.contains("\"records_confirmed\""), "{audit}");
    assert!(!audit.contains("1992"), "no claim value in the audit: {audit}");
}

#[test]
fn the_extensions_failed_or_no_answer_ends_without_a_tap() {
    let failed = RecordsAnswer {
        attribute_value: None,
        extension: Some(ExtensionVerdict::Failed(vec!["dateOfBirth".into()])),
    };
    let (s, effects) = run(session_with(None), inputs(true, Some(Ok(failed)), "1992-11-02"));
    assert_eq!(ended_reason(&s), Some(ReasonCode::RecordsMismatch));
    assert_eq!(count_create_tap(&effects), 0);
    let audit = audit_lines(&effects).join("\n");
    assert!(audit.contains("\"records_refused\"") && audit.contains("dateOfBirth"), "{audit}");
    assert!(!s.holds_personal_data());

    let (s, effects) =
        run(session_with(None), inputs(true, Some(Err(AdapterFailure::Unavailable)), "1992-11-02"));
    assert_eq!(ended_reason(&s), Some(ReasonCode::ServiceUnavailable));
    assert_eq!(count_create_tap(&effects), 0);

    // An answer without the extension's verdict (it was required): fail closed.
    let (s, effects) =
        run(session_with(None), inputs(true, Some(Ok(RecordsAnswer::default())), "1992-11-02"));
    assert_eq!(ended_reason(&s), Some(ReasonCode::RecordsMismatch));
    assert_eq!(count_create_tap(&effects), 0);

    // No answer at all: the step's deadline ends it.
    let mut all = inputs(true, None, "1992-11-02");
    let at = all.iter().position(|i| matches!(i, Input::UsersByName(_))).unwrap() + 1;
    all.truncate(at);
    let (s, _) = run(session_with(None), all);
    assert_eq!(s.state().name(), "checking_records");
    let (s, effects) = step(s, Input::Tick, t0() + time::Duration::minutes(10));
    assert_eq!(ended_reason(&s), Some(ReasonCode::ServiceUnavailable));
    assert_eq!(count_create_tap(&effects), 0);
}

#[test]
fn a_second_binding_compares_the_directorys_hash_with_the_claim() {
    let hashed =
        |v: &str| RecordsAnswer { attribute_value: Some(PersonName::new(v)), extension: None };
    let b = || Some(dob_binding(vec![]));
    // Her ID's date of birth hashes to what the directory holds.
    let (s, effects) =
        run(session_with(b()), inputs(false, Some(Ok(hashed(&dob_hash()))), "1992-11-02"));
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued), "{:?}", audit_lines(&effects));
    let (query, _) = check_records(&effects).unwrap();
    assert_eq!(
        query.attribute.as_deref(),
        Some("extension_3a0000000000400080000000000000e1_dobHash")
    );
    assert_eq!(query.extension_id, None);
    // Another date of birth: refused.
    let (s, effects) =
        run(session_with(b()), inputs(false, Some(Ok(hashed(&dob_hash()))), "1992-02-11"));
    assert_eq!(ended_reason(&s), Some(ReasonCode::RecordsMismatch));
    assert_eq!(count_create_tap(&effects), 0);
    // The directory has no value for the user: refused (nothing to bind to).
    let (s, _) =
        run(session_with(b()), inputs(false, Some(Ok(RecordsAnswer::default())), "1992-11-02"));
    assert_eq!(ended_reason(&s), Some(ReasonCode::RecordsMismatch));
    // A binding for another profile asks nothing here.
    let (s, effects) = run(
        session_with(Some(dob_binding(vec!["p-other".into()]))),
        inputs(false, None, "1992-11-02"),
    );
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    assert!(check_records(&effects).is_none());
    // Binding and extension together: both are asked, in one step, and both must agree.
    let both = RecordsAnswer {
        attribute_value: Some(PersonName::new(dob_hash())),
        extension: Some(ExtensionVerdict::Pass),
    };
    let (s, effects) = run(session_with(b()), inputs(true, Some(Ok(both)), "1992-11-02"));
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    let (query, _) = check_records(&effects).unwrap();
    assert!(query.attribute.is_some() && query.extension_id.is_some());
}

#[test]
fn the_evaluation_result_waits_for_the_records_too() {
    let mut all = inputs(
        true,
        Some(Ok(RecordsAnswer {
            attribute_value: None,
            extension: Some(ExtensionVerdict::Failed(vec![])),
        })),
        "1992-11-02",
    );
    // The pilot group: the evaluation profile.
    all[2] = with_extension(Input::Eligibility(facts(maria(), &[G_EVAL], Relaxed)));
    let (s, effects) = run(session_with(None), all);
    assert_eq!(ended_reason(&s), Some(ReasonCode::RecordsMismatch));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Show(Screen::EvaluationResult))));
}

#[test]
fn a_profile_requiring_an_extension_without_an_id_fails_closed() {
    let mut all = happy(&[G_PROD, G_TAP], Relaxed, cred_born("1992-11-02"), vec![maria()]);
    for i in &mut all {
        if let Input::Eligibility(EligibilityResult::Found(f)) = i {
            for p in &mut f.profiles {
                p.verified_id_profile_configuration.claim_validation =
                    Some(ClaimValidation { is_enabled: true, custom_extension_id: None });
            }
        }
    }
    let (s, effects) = run(session_with(None), all);
    assert_eq!(ended_reason(&s), Some(ReasonCode::ProfileUnsupported));
    assert_eq!(count_create_tap(&effects), 0);
}

/// Inputs the property draws from: the whole happy path (extension required) with the records'
/// answer varied, plus noise that must not open a way around the records.
fn pool() -> Vec<Input> {
    let failed =
        RecordsAnswer { attribute_value: None, extension: Some(ExtensionVerdict::Failed(vec![])) };
    let mut all = inputs(true, None, "1992-11-02");
    all.extend([
        Input::RecordsChecked(Ok(pass())),
        Input::RecordsChecked(Ok(failed)),
        Input::RecordsChecked(Ok(RecordsAnswer::default())),
        Input::RecordsChecked(Err(AdapterFailure::Unavailable)),
        Input::Tick,
        Input::Cancel,
    ]);
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    /// For a profile that requires the claim-validation extension, a TAP is only ever asked
    /// for after this session received the records' `pass` (and never after a refusal).
    #[test]
    fn no_tap_without_the_records_pass(picks in proptest::collection::vec(0usize..100, 1..40)) {
        let pool = pool();
        let seq: Vec<Input> = picks.iter().map(|i| pool[i % pool.len()].clone()).collect();
        let mut s = session_with(None);
        let mut now = t0();
        let mut passed = false;
        let mut checking = false;
        for input in seq {
            now += time::Duration::seconds(1);
            let was_checking = s.state().name() == "checking_records";
            let is_pass = matches!(&input, Input::RecordsChecked(Ok(a)) if a.extension == Some(ExtensionVerdict::Pass));
            let (next, effects) = step(s, input, now);
            s = next;
            if was_checking && is_pass {
                passed = true;
            }
            if effects.iter().any(|e| matches!(e, Effect::CheckRecords { .. })) {
                checking = true;
                passed = false;
            }
            if effects.iter().any(|e| matches!(e, Effect::CreateTap { .. } | Effect::Show(Screen::EvaluationResult))) {
                prop_assert!(checking && passed, "a TAP without the records' pass");
            }
        }
    }
}
