//! Scenario tests of the session state machine (whole recoveries as data).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reclaim_core::model::MatchConfidenceLevel::{Exact, Relaxed};
use reclaim_core::*;

fn me() -> DirectoryUser {
    user(Some("Maria"), Some("Souza"), true, true)
}

#[test]
fn production_happy_path_issues_one_tap_and_wipes() {
    let (s, effects) = run(
        session(),
        happy(
            &[G_PROD, G_TAP],
            Relaxed,
            credential("Maria Clara", "Souza", Some(88.4)),
            vec![me()],
        ),
    );
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    assert_eq!(count_create_tap(&effects), 1);
    let create = effects.iter().find_map(|e| match e {
        Effect::CreateTap { user_id, request } => Some((user_id.clone(), *request)),
        _ => None,
    });
    assert_eq!(
        create,
        Some((USER_ID.to_string(), TapRequest { lifetime_in_minutes: 60, is_usable_once: true }))
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Show(Screen::Tap { code, .. }) if code.expose() == TAP))
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Wipe)));
    assert!(!s.holds_personal_data());
    let spec = effects.iter().find_map(|e| match e {
        Effect::CreatePresentationRequest(p) => Some(p.clone()),
        _ => None,
    });
    let spec = spec.expect("presentation");
    assert_eq!(spec.threshold, 70);
    assert_eq!(spec.accepted_issuer, ISSUER);
    assert!(!spec.allow_revoked && spec.validate_linked_domain);
    // the duplicate search: the identified user's directory names, then the credential's
    let queries = effects.iter().find_map(|e| match e {
        Effect::FindUsersByName { queries, .. } => Some(
            queries
                .iter()
                .map(|q| (q.given.expose().to_owned(), q.surname.expose().to_owned()))
                .collect::<Vec<_>>(),
        ),
        _ => None,
    });
    assert_eq!(
        queries,
        Some(vec![("Maria".into(), "Souza".into()), ("Maria Clara".into(), "Souza".into())])
    );
}

#[test]
fn whole_session_audit_has_no_personal_data() {
    let (_, effects) = run(
        session(),
        happy(
            &[G_PROD, G_TAP],
            Relaxed,
            credential("Maria Clara", "Souza", Some(88.4)),
            vec![me()],
        ),
    );
    let lines = audit_lines(&effects);
    let kinds: Vec<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["event"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "started",
            "profile_resolved",
            "provider_chosen",
            "identity_issued",
            "presentation_requested",
            "presentation_verified",
            "matched",
            "tap_issued",
            "ended",
            "wiped"
        ]
    );
    let all = lines.join("\n");
    for secret in [UPN, "maria.souza", "Maria", "Souza", "Clara", TAP, "cG9ydHJhaXQ", "portrait"] {
        assert!(!all.to_lowercase().contains(&secret.to_lowercase()), "{secret} in audit: {all}");
    }
    assert!(lines.iter().skip(1).all(|l| l.contains("\"account_ref\":\"")));
    // the effects' Debug never shows the TAP or names either
    let debug = format!("{effects:?}");
    for secret in [UPN, "Maria", "Souza", TAP] {
        assert!(!debug.contains(secret), "{secret} in Debug");
    }
}

#[test]
fn evaluation_profile_verifies_and_never_creates_a_tap() {
    let (s, effects) = run(
        session(),
        happy(&[G_EVAL, G_TAP], Exact, credential("MARIA", "souza", Some(90.0)), vec![me()]),
    );
    assert_eq!(count_create_tap(&effects), 0);
    assert!(effects.iter().any(|e| matches!(e, Effect::Show(Screen::EvaluationResult))));
    assert_eq!(ended_reason(&s), Some(ReasonCode::EvaluationModeVerified));
}

#[test]
fn failures_after_proof_have_precise_reasons() {
    let good = || credential("Maria", "Souza", Some(88.0));
    let mut wrong_issuer = good();
    wrong_issuer.issuer = "did:web:evil.example".into();
    let mut revoked = good();
    revoked.revocation_status = Some("REVOKED".into());
    let mut wrong_type = good();
    wrong_type.types = vec!["VerifiableCredential".into(), "VerifiedEmployee".into()];
    let other = user_with_id(
        "1a000000-0000-4000-8000-000000000007",
        Some("Maria"),
        Some("Souza"),
        true,
        true,
    );
    let cases: Vec<(&str, PresentedCredential, Vec<DirectoryUser>, ReasonCode)> = vec![
        ("issuer", wrong_issuer, vec![me()], ReasonCode::IssuerNotAccepted),
        ("revoked", revoked, vec![me()], ReasonCode::CredentialRevoked),
        ("type", wrong_type, vec![me()], ReasonCode::WrongCredentialType),
        ("names", credential("Ana", "Lima", Some(88.0)), vec![me()], ReasonCode::NameMismatch),
        (
            "middle name, exact",
            credential("Maria Clara", "Souza", Some(88.0)),
            vec![me()],
            ReasonCode::NameMismatch,
        ),
        ("duplicate", good(), vec![me(), other.clone()], ReasonCode::DuplicateName),
        ("nobody", good(), vec![], ReasonCode::NameMismatch),
        // Only another account the credential matches: that is not this person's account.
        ("someone else", good(), vec![other], ReasonCode::DuplicateName),
        (
            "someone else, not matching",
            good(),
            vec![user_with_id("x", Some("Mario"), Some("Souza"), true, true)],
            ReasonCode::NameMismatch,
        ),
        (
            "disabled since",
            good(),
            vec![user(Some("Maria"), Some("Souza"), false, true)],
            ReasonCode::AccountDisabled,
        ),
    ];
    for (name, cred, users, reason) in cases {
        let (s, effects) = run(session(), happy(&[G_PROD, G_TAP], Exact, cred, users));
        assert_eq!(ended_reason(&s), Some(reason), "{name}");
        assert_eq!(count_create_tap(&effects), 0, "{name}");
        assert!(!s.holds_personal_data(), "{name}");
    }
}

#[test]
fn outside_tap_policy_is_refused_without_create() {
    let (s, effects) = run(
        session(),
        happy(&[G_PROD], Exact, credential("Maria", "Souza", Some(88.0)), vec![me()]),
    );
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapPolicyRefused));
    assert_eq!(count_create_tap(&effects), 0);
}

#[test]
fn not_eligible_is_one_neutral_screen() {
    let cases: Vec<EligibilityResult> = vec![
        EligibilityResult::UnknownUser,
        facts(me(), &[G_PROD, G_EXEC], Exact),
        facts(me(), &[], Exact),
        facts(user(Some("Maria"), Some("Souza"), true, false), &[G_PROD], Exact),
        facts(user(Some("Maria"), Some("Souza"), false, true), &[G_PROD], Exact),
    ];
    let mut screens = Vec::new();
    for result in cases {
        let (s, effects) = run(
            session(),
            vec![Input::Begin, Input::SubmitUpn(Upn::new(UPN)), Input::Eligibility(result)],
        );
        assert_eq!(ended_reason(&s), Some(ReasonCode::NotEligible));
        let shown: Vec<_> = effects
            .iter()
            .filter(|e| matches!(e, Effect::Show(Screen::CouldNotComplete { .. })))
            .cloned()
            .collect();
        screens.push(format!("{shown:?}"));
        assert!(audit_lines(&effects).iter().any(|l| l.contains("\"cause\":")));
    }
    assert!(screens.windows(2).all(|w| w[0] == w[1]), "{screens:?}");
    assert!(screens[0].contains("RC-NOT_ELIGIBLE-"));
}

#[test]
fn verified_before_retrieved_is_accepted_and_foreign_ids_are_ignored() {
    let mut inputs =
        happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    inputs.remove(6); // no retrieved
    let (s, effects) = run(session(), inputs);
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    assert_eq!(count_create_tap(&effects), 1);

    let mut s = session();
    let mut now = t0();
    for i in happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", Some(88.0)), vec![me()])
        .into_iter()
        .take(6)
    {
        now += time::Duration::seconds(1);
        s = step(s, i, now).0;
    }
    assert_eq!(s.state().name(), "awaiting_presentation");
    for foreign in [
        retrieved("r2"),
        verified("r2", credential("Maria", "Souza", Some(99.0))),
        Input::TapCreated { code: TapCode::new("x"), method_id: "m".into() },
        Input::Done,
    ] {
        let before = format!("{:?}", s.state());
        let (next, effects) = step(s, foreign, now);
        assert!(effects.is_empty());
        assert_eq!(format!("{:?}", next.state()), before);
        s = next;
    }
}

#[test]
fn face_check_retry_then_give_up() {
    let mut s = session();
    let mut now = t0();
    for i in happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", None), vec![me()])
        .into_iter()
        .take(6)
    {
        now += time::Duration::seconds(1);
        s = step(s, i, now).0;
    }
    let mut creates = 0;
    for attempt in 0..3 {
        let low = verified("r1", credential("Maria", "Souza", Some(55.0)));
        let (next, effects) = step(s, low, now);
        s = next;
        creates +=
            effects.iter().filter(|e| matches!(e, Effect::CreatePresentationRequest(_))).count();
        if attempt < 2 {
            assert_eq!(s.state().name(), "awaiting_presentation");
            s = step(
                s,
                Input::PresentationCreated { request_id: "r1".into(), url: "u".into() },
                now,
            )
            .0;
        }
    }
    assert_eq!(creates, 2);
    assert_eq!(ended_reason(&s), Some(ReasonCode::FaceCheckFailed));
}

#[test]
fn deadlines_end_sessions() {
    let mut s = session();
    let mut now = t0();
    for i in happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", None), vec![me()])
        .into_iter()
        .take(6)
    {
        now += time::Duration::seconds(1);
        s = step(s, i, now).0;
    }
    let deadline = s.deadline().expect("deadline");
    let (s, effects) = step(s, Input::Tick, deadline);
    assert_eq!(ended_reason(&s), Some(ReasonCode::PresentationExpired));
    assert!(effects.iter().any(|e| matches!(e, Effect::Wipe)));
    // a wiped session ignores everything
    let (s2, effects) = step(s, Input::Begin, deadline);
    assert!(effects.is_empty() && s2.is_wiped());
}

#[test]
fn malformed_upn_stays_on_identify() {
    let (s, effects) = run(session(), vec![Input::Begin, Input::SubmitUpn(Upn::new("not an upn"))]);
    assert_eq!(s.state().name(), "identifying");
    assert!(effects.iter().any(|e| matches!(e, Effect::Show(Screen::Identify { invalid: true }))));
}

/// Runs the happy path up to the TAP screen (the TAP created, not yet confirmed).
fn to_tap_screen() -> (Session, time::OffsetDateTime) {
    let mut s = session();
    let mut now = t0();
    let inputs =
        happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    let n = inputs.len() - 1; // all but Done
    for i in inputs.into_iter().take(n) {
        now += time::Duration::seconds(1);
        s = step(s, i, now).0;
    }
    assert_eq!(s.state().name(), "showing_tap");
    (s, now)
}

fn deletes(effects: &[Effect]) -> Vec<TapCleanup> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::DeleteTap(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn cancel_idle_or_deadline_on_the_tap_screen_deletes_the_tap_by_its_id() {
    for (input, late) in [(Input::Cancel, false), (Input::IdleTimeout, false), (Input::Tick, true)]
    {
        let (s, now) = to_tap_screen();
        let at = if late { s.deadline().expect("deadline") } else { now };
        let (s, effects) = step(s, input, at);
        let d = deletes(&effects);
        assert_eq!(d.len(), 1, "{effects:?}");
        assert_eq!(d[0].method_id.as_deref(), Some(TAP_METHOD));
        assert_eq!(d[0].user_id, USER_ID);
        assert_ne!(ended_reason(&s), Some(ReasonCode::TapIssued));
        assert!(audit_lines(&effects).iter().any(|l| l.contains("\"method_known\":true")));
    }
    // Done confirms: nothing is deleted.
    let (s, now) = to_tap_screen();
    let (s, effects) = step(s, Input::Done, now);
    assert!(deletes(&effects).is_empty());
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
}

#[test]
fn a_wipe_during_creation_or_a_failed_creation_deletes_what_was_created_since() {
    let inputs =
        happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    let n = inputs.len() - 2; // up to the role check: the TAP is being created
    for last in [
        Input::Cancel,
        Input::IdleTimeout,
        Input::TapFailed(TapFailure::Failed(AdapterFailure::Unavailable)),
        Input::TapFailed(TapFailure::PolicyRefused),
    ] {
        let mut s = session();
        let mut now = t0();
        let mut asked_at = None;
        for i in inputs.iter().take(n).cloned() {
            now += time::Duration::seconds(1);
            let (next, e) = step(s, i, now);
            if e.iter().any(|e| matches!(e, Effect::CreateTap { .. })) {
                asked_at = Some(now);
            }
            s = next;
        }
        assert_eq!(s.state().name(), "issuing_tap");
        let (s, effects) = step(s, last, now + time::Duration::seconds(1));
        let d = deletes(&effects);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].method_id, None);
        assert_eq!(d[0].created_since, asked_at);
        assert!(s.is_wiped());
    }
}

#[test]
fn privileged_roles_end_with_the_neutral_answer_at_eligibility_and_before_the_tap() {
    // At eligibility: the same screen as any ineligible account, the cause in the audit only.
    let mut inputs =
        happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    if let Input::Eligibility(EligibilityResult::Found(f)) = &mut inputs[2] {
        f.role_template_ids = vec![GLOBAL_ADMIN.to_uppercase()];
    }
    let (s, effects) = run(session(), inputs.into_iter().take(3).collect());
    assert_eq!(ended_reason(&s), Some(ReasonCode::NotEligible));
    let lines = audit_lines(&effects).join("\n");
    assert!(lines.contains("\"event\":\"privileged_role_refused\",\"stage\":\"eligibility\""));
    assert!(lines.contains("\"cause\":\"privileged_role\""));

    // Granted after eligibility: the second read refuses, no CreateTap.
    let mut inputs =
        happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    let roles_at =
        inputs.iter().position(|i| matches!(i, Input::FreshFacts(_))).expect("fresh facts");
    if let Input::FreshFacts(EligibilityResult::Found(f)) = &mut inputs[roles_at] {
        f.role_template_ids = vec![GLOBAL_ADMIN.into()];
    }
    let (s, effects) = run(session(), inputs);
    assert_eq!(ended_reason(&s), Some(ReasonCode::NotEligible));
    assert_eq!(count_create_tap(&effects), 0);
    assert!(audit_lines(&effects).iter().any(|l| l.contains("\"stage\":\"before_tap\"")));
    // A failed read fails closed.
    let mut inputs =
        happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    inputs[roles_at] = Input::FreshFacts(EligibilityResult::Failed(AdapterFailure::Unavailable));
    let (s, effects) = run(session(), inputs);
    assert_eq!(ended_reason(&s), Some(ReasonCode::ServiceUnavailable));
    assert_eq!(count_create_tap(&effects), 0);
}

// ── issue 13 item 1: exactly one person matches ──────────────────────────────────────────────

fn ana_inputs(cred: PresentedCredential, found: NameCandidates) -> Vec<Input> {
    let ana = || user(Some("Ana"), Some("Lima"), true, true);
    let mut inputs = happy(&[G_PROD, G_TAP], Relaxed, cred, Vec::new());
    inputs[2] = Input::Eligibility(facts(ana(), &[G_PROD, G_TAP], Relaxed));
    let at = inputs.iter().position(|i| matches!(i, Input::UsersByName(_))).expect("search");
    inputs[at] = Input::UsersByName(Ok(found));
    let at = inputs.iter().position(|i| matches!(i, Input::FreshFacts(_))).expect("fresh");
    inputs[at] = Input::FreshFacts(facts(ana(), &[G_PROD, G_TAP], Relaxed));
    inputs
}

#[test]
fn a_credential_matching_another_enabled_member_under_the_rule_is_a_duplicate() {
    let ana = user(Some("Ana"), Some("Lima"), true, true);
    let costa = |enabled| {
        user_with_id(
            "1a000000-0000-4000-8000-000000000014",
            Some("Ana"),
            Some("Lima Costa"),
            enabled,
            true,
        )
    };
    // Ana Lima Costa's genuine ID, typed at Ana Lima's account: relaxed matching pairs it with
    // both accounts, so neither is recovered at the kiosk.
    let takeover = || credential("Ana Maria", "Lima Costa", Some(95.0));
    let (s, effects) =
        run(session(), ana_inputs(takeover(), vec![ana.clone(), costa(true)].into()));
    assert_eq!(ended_reason(&s), Some(ReasonCode::DuplicateName));
    assert_eq!(count_create_tap(&effects), 0);
    // The search that found Ana Lima Costa: given names starting with the credential's or
    // Ana's given-name words, surnames starting with any of the credential's or Ana's words.
    let search = effects.iter().find_map(|e| match e {
        Effect::FindUsersByName { search, .. } => Some(search.clone()),
        _ => None,
    });
    let words = |w: &Option<Vec<PersonName>>| {
        w.as_ref().map(|w| w.iter().map(|n| n.expose().to_owned()).collect::<Vec<_>>())
    };
    let search = search.expect("the word search");
    assert_eq!(words(&search.given), Some(vec!["ana".into(), "maria".into()]));
    assert_eq!(
        words(&search.surname),
        Some(vec!["ana".into(), "maria".into(), "lima".into(), "costa".into()])
    );
    // A disabled namesake, or a guest, does not block.
    let (s, effects) =
        run(session(), ana_inputs(takeover(), vec![ana.clone(), costa(false)].into()));
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    assert_eq!(count_create_tap(&effects), 1);
    // Ana's own ID (`Ana` / `Lima`) does not match `Lima Costa`: she is unique.
    let (s, _) = run(
        session(),
        ana_inputs(credential("Ana", "Lima", Some(95.0)), vec![ana.clone(), costa(true)].into()),
    );
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    // A list the adapter could not read to the end proves nothing: staff.
    let partial = NameCandidates { users: vec![ana.clone()], complete: false };
    let (s, effects) = run(session(), ana_inputs(credential("Ana", "Lima", Some(95.0)), partial));
    assert_eq!(ended_reason(&s), Some(ReasonCode::DuplicateName));
    assert_eq!(count_create_tap(&effects), 0);
}

// ── issue 13 item 6: fresh facts right before the TAP ────────────────────────────────────────

#[test]
fn facts_changed_after_eligibility_end_neutrally_without_a_tap() {
    let me = || user(Some("Maria"), Some("Souza"), true, true);
    let groups = [G_PROD, G_TAP];
    let with = |f: &dyn Fn(&mut EligibilityFacts)| {
        let mut r = facts(me(), &groups, Exact);
        if let EligibilityResult::Found(facts) = &mut r {
            f(facts);
        }
        r
    };
    let cases: Vec<(&str, EligibilityResult, &str)> = vec![
        ("disabled", with(&|f| f.user.account_enabled = Some(false)), "disabled"),
        (
            "removed from the recovery group",
            with(&|f| f.member_groups = vec![G_TAP.into()]),
            "no_profile",
        ),
        (
            "removed from the TAP group",
            with(&|f| f.member_groups = vec![G_PROD.into()]),
            "outside_tap_policy",
        ),
        (
            "TAP policy off",
            with(&|f| f.tap_policy.state = EnabledState::Disabled),
            "outside_tap_policy",
        ),
        (
            "VerifiableCredentials policy off",
            with(&|f| f.vc_policy.state = EnabledState::Disabled),
            "no_profile",
        ),
        ("excluded", with(&|f| f.member_groups.push(G_EXEC.into())), "excluded"),
        (
            "profile edited",
            with(&|f| f.profiles[0].verified_id_profile_configuration.claim_bindings.truncate(1)),
            "profile_changed",
        ),
        ("guest", with(&|f| f.user.user_type = Some("Guest".into())), "guest"),
        ("deleted", EligibilityResult::UnknownUser, "unknown_user"),
    ];
    for (name, fresh, cause) in cases {
        let mut inputs =
            happy(&groups, Exact, credential("Maria", "Souza", Some(88.0)), vec![me()]);
        let at = inputs.iter().position(|i| matches!(i, Input::FreshFacts(_))).expect("fresh");
        inputs[at] = Input::FreshFacts(fresh);
        let (s, effects) = run(session(), inputs);
        assert_eq!(ended_reason(&s), Some(ReasonCode::NotEligible), "{name}");
        assert_eq!(count_create_tap(&effects), 0, "{name}");
        let lines = audit_lines(&effects).join("\n");
        assert!(
            lines.contains(&format!("\"event\":\"scope_changed\",\"cause\":\"{cause}\"")),
            "{name}: {lines}"
        );
    }
    // The lifetime comes from the TAP policy as read right before the TAP.
    let mut inputs = happy(&groups, Exact, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    let at = inputs.iter().position(|i| matches!(i, Input::FreshFacts(_))).expect("fresh");
    inputs[at] = Input::FreshFacts(with(&|f| {
        f.tap_policy.minimum_lifetime_in_minutes = 90;
        f.tap_policy.default_lifetime_in_minutes = 90;
    }));
    let (_, effects) = run(session(), inputs);
    let asked = effects.iter().find_map(|e| match e {
        Effect::CreateTap { request, .. } => Some(request.lifetime_in_minutes),
        _ => None,
    });
    assert_eq!(asked, Some(90));
}

// ── presentation bound to this session (issue 13 item 3) ─────────────────────────────────────

/// The happy path up to (not including) the verified callback.
fn up_to_the_qr() -> Vec<Input> {
    let mut inputs =
        happy(&[G_PROD, G_TAP], Relaxed, credential("Maria", "Souza", Some(90.0)), vec![me()]);
    inputs.truncate(6);
    inputs
}

#[test]
fn a_credential_issued_before_the_session_is_refused_neutrally() {
    for (issued, cause) in [
        (Some(t0() - time::Duration::days(1)), "issued_before_session"),
        (None, "no_issuance_date"),
    ] {
        let mut c = credential("Maria", "Souza", Some(95.0));
        c.issuance_date = issued;
        let mut inputs = up_to_the_qr();
        inputs.push(verified("r1", c));
        let (s, effects) = run(session(), inputs);
        assert_eq!(ended_reason(&s), Some(ReasonCode::PresentationFailed));
        assert_eq!(count_create_tap(&effects), 0);
        assert!(!effects.iter().any(|e| matches!(e, Effect::FindUsersByName { .. })));
        let lines = audit_lines(&effects).join("\n");
        assert!(lines.contains(&format!("\"cause\":\"{cause}\"")), "{lines}");
        assert!(lines.contains("\"face_check_score\":95.0"), "{lines}");
    }
    // Within the clock-skew allowance it is this session's.
    let mut c = credential("Maria", "Souza", Some(95.0));
    c.issuance_date = Some(t0() - time::Duration::seconds(30));
    let mut inputs = up_to_the_qr();
    inputs.push(verified("r1", c));
    let (_, effects) = run(session(), inputs);
    assert!(effects.iter().any(|e| matches!(e, Effect::FindUsersByName { .. })));
}

#[test]
fn the_purpose_names_the_station_and_the_masked_account() {
    let (_, effects) = run(session(), up_to_the_qr());
    let spec = effects
        .iter()
        .find_map(|e| match e {
            Effect::CreatePresentationRequest(spec) => Some(spec.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(spec.purpose, "Reclaim station kiosk-07 recovers m…@contoso.example");
}

#[test]
fn a_qr_on_screen_for_two_minutes_is_replaced_and_the_old_one_is_dead() {
    let (s, _) = run(session(), up_to_the_qr());
    let created_at = t0() + time::Duration::seconds(6);
    // Not yet.
    let (s, e) = step(s, Input::Tick, created_at + time::Duration::seconds(119));
    assert!(e.is_empty());
    let (s, e) = step(s, Input::Tick, created_at + time::Duration::seconds(120));
    assert!(e.iter().any(|x| matches!(x, Effect::CreatePresentationRequest(_))));
    assert!(e.contains(&Effect::Show(Screen::OpenAuthenticator { url: None })));
    // The photographed first QR: a perfect presentation to it does nothing.
    let later = created_at + time::Duration::seconds(125);
    let (s, e) = step(s, verified("r1", credential("Maria", "Souza", Some(99.0))), later);
    assert!(e.is_empty());
    let (s, _) = step(
        s,
        Input::PresentationCreated { request_id: "r2".into(), url: "openid-vc://r2".into() },
        later,
    );
    let (_, e) = step(s, verified("r1", credential("Maria", "Souza", Some(99.0))), later);
    assert!(e.is_empty(), "the replaced request is still accepted");
}

#[test]
fn the_face_check_result_carries_no_score_and_a_limit_ends_the_session() {
    let mut inputs = up_to_the_qr();
    inputs.push(verified("r1", credential("Maria", "Souza", Some(88.0))));
    let (s, effects) = run(session(), inputs);
    assert!(
        effects.contains(&Effect::Show(Screen::FaceCheckResult { passed: true, attempts_left: 2 }))
    );
    let (s, e) =
        step(s, Input::LimitReached(LimitScope::Document), t0() + time::Duration::seconds(20));
    assert_eq!(ended_reason(&s), Some(ReasonCode::RateLimited));
    assert!(
        audit_lines(&e)
            .iter()
            .any(|l| l.contains("\"event\":\"limit_reached\",\"scope\":\"document\""))
    );
}

// ── Link-only providers (issue 17 item 8): their own onboarding page, then "I have added it" ──

#[test]
fn a_link_only_provider_shows_its_page_at_once_and_recovers_on_added_to_wallet() {
    let (s, effects) = run(
        link_session(),
        happy_link(
            &[G_PROD, G_TAP],
            Relaxed,
            credential("Maria Clara", "Souza", Some(88.4)),
            vec![me()],
        ),
    );
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    assert_eq!(count_create_tap(&effects), 1);
    // No hosted link to start: the onboarding page is the QR, shown with the choice.
    assert!(!effects.iter().any(|e| matches!(
        e,
        Effect::StartProviderLink { .. } | Effect::StartCameraCapture { .. }
    )));
    let scan = effects.iter().find_map(|e| match e {
        Effect::Show(s @ Screen::ScanId { .. }) => Some(s.clone()),
        _ => None,
    });
    assert_eq!(
        scan,
        Some(Screen::ScanId {
            provider: "quickid".into(),
            path: ScanPath::Phone,
            link: Some(ONBOARDING_URL.into()),
            phone_opened: false,
        })
    );
    let lines = audit_lines(&effects);
    assert!(
        lines.iter().any(|l| l.contains("\"event\":\"added_to_wallet\",\"provider\":\"quickid\""))
    );
    assert!(!lines.iter().any(|l| l.contains("identity_issued")));
}

#[test]
fn a_link_only_provider_is_offered_on_the_phone_only() {
    let mut inputs =
        happy_link(&[G_PROD, G_TAP], Relaxed, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    inputs.truncate(3);
    let (s, _) = run(link_session(), inputs);
    assert_eq!(s.state().name(), "choosing_provider");
    let at = t0() + time::Duration::seconds(5);
    let camera = Input::ChooseProvider { provider: "quickid".into(), path: ScanPath::Camera };
    let (s, e) = step(s, camera, at);
    assert!(e.is_empty(), "no camera path for a provider without an API");
    assert_eq!(s.state().name(), "choosing_provider");
    // "I have added it" before the page was shown does nothing.
    let (s, e) = step(s, Input::AddedToWallet, at);
    assert!(e.is_empty());
    assert_eq!(s.state().name(), "choosing_provider");
}

#[test]
fn added_to_wallet_does_nothing_for_a_provider_with_an_api() {
    let mut inputs =
        happy(&[G_PROD, G_TAP], Relaxed, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    inputs.truncate(4);
    let (s, _) = run(session(), inputs);
    assert_eq!(s.state().name(), "scanning_id");
    let (s, e) = step(s, Input::AddedToWallet, t0() + time::Duration::seconds(6));
    assert!(e.is_empty(), "only the provider's signed return says the credential is issued");
    assert_eq!(s.state().name(), "scanning_id");
}

#[test]
fn a_link_only_credential_must_be_the_providers_and_issued_in_the_session() {
    // Already in the wallet before the session began (a day old): refused, neutrally.
    let mut stale = credential("Maria", "Souza", Some(92.0));
    stale.issuance_date = Some(t0() - time::Duration::days(1));
    // No issuanceDate at all: refused.
    let mut undated = credential("Maria", "Souza", Some(92.0));
    undated.issuance_date = None;
    for (name, cred) in [("stale", stale), ("undated", undated)] {
        let (s, effects) =
            run(link_session(), happy_link(&[G_PROD, G_TAP], Relaxed, cred, vec![me()]));
        assert_eq!(ended_reason(&s), Some(ReasonCode::PresentationFailed), "{name}");
        assert_eq!(count_create_tap(&effects), 0, "{name}");
        assert!(
            audit_lines(&effects).iter().any(|l| l.contains("credential_not_session_bound")),
            "{name}"
        );
    }
    // Another issuer's credential is refused before anything else.
    let mut foreign = credential("Maria", "Souza", Some(92.0));
    foreign.issuer = "did:web:idv.vouchsafe.example".into();
    let (s, effects) =
        run(link_session(), happy_link(&[G_PROD, G_TAP], Relaxed, foreign, vec![me()]));
    assert_ne!(ended_reason(&s), Some(ReasonCode::TapIssued));
    assert_eq!(count_create_tap(&effects), 0);
}

#[test]
fn a_link_only_scan_step_times_out_and_face_check_retries_keep_the_binding() {
    let mut inputs =
        happy_link(&[G_PROD, G_TAP], Relaxed, credential("Maria", "Souza", Some(88.0)), vec![me()]);
    inputs.truncate(4);
    let (s, _) = run(link_session(), inputs);
    let secs = i64::from(EngineConfig::default().timeouts.scan_id_secs);
    let (s, _) = step(s, Input::Tick, t0() + time::Duration::seconds(4 + secs));
    assert_eq!(ended_reason(&s), Some(ReasonCode::StepTimeout));

    // A failed Face Check asks again (same attempts as any provider); a stale credential on the
    // retry is still refused.
    let mut stale = credential("Maria", "Souza", Some(92.0));
    stale.issuance_date = Some(t0() - time::Duration::days(1));
    let mut inputs =
        happy_link(&[G_PROD, G_TAP], Relaxed, credential("Maria", "Souza", Some(40.0)), vec![me()]);
    inputs.truncate(8);
    inputs.push(Input::PresentationCreated {
        request_id: "r2".into(),
        url: "openid-vc://?request_uri=y".into(),
    });
    inputs.push(verified("r2", stale));
    let (s, effects) = run(link_session(), inputs);
    assert!(
        effects
            .contains(&Effect::Show(Screen::FaceCheckResult { passed: false, attempts_left: 2 }))
    );
    assert_eq!(ended_reason(&s), Some(ReasonCode::PresentationFailed));
    assert_eq!(count_create_tap(&effects), 0);
}
