//! Issue 16 item 2: the trusted referee. Scenario tests of the state machine and a property:
//! after an automated failure, no input sequence yields a TAP except for an account the case
//! offered, approved by a referee, whose fresh facts allow it — and never twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use proptest::prelude::*;
use reclaim_core::model::MatchConfidenceLevel::Relaxed;
use reclaim_core::*;

const OTHER_ID: &str = "1a000000-0000-4000-8000-0000000000aa";
const STRANGER_ID: &str = "1a000000-0000-4000-8000-0000000000ff";
const REFEREE: &str = "7f000000-0000-4000-8000-000000000001";

fn referee_session(evaluation_upn_groups: bool) -> Session {
    let _ = evaluation_upn_groups;
    trueid_session(EngineConfig { referee: true, ..EngineConfig::default() })
}

fn maria() -> DirectoryUser {
    user(Some("Maria"), Some("Souza"), true, true)
}

/// Another enabled member the same credential matches: a duplicate name.
fn other_maria() -> DirectoryUser {
    let mut u = user_with_id(OTHER_ID, Some("Maria"), Some("Souza"), true, true);
    u.user_principal_name = Upn::new("maria.souza2@contoso.example");
    u
}

/// Up to the duplicate-name failure (production group, relaxed rule).
fn to_duplicate(groups: &[&str]) -> Vec<Input> {
    let mut inputs = happy(
        groups,
        Relaxed,
        credential("Maria", "Souza", Some(91.0)),
        vec![maria(), other_maria()],
    );
    inputs.truncate(9);
    inputs
}

fn screens(effects: &[Effect]) -> Vec<&Screen> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Show(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn opened_case(effects: &[Effect]) -> Option<&RefereeCase> {
    effects.iter().find_map(|e| match e {
        Effect::OpenRefereeCase(c) => Some(&**c),
        _ => None,
    })
}

fn approve(user_id: &str) -> Input {
    Input::Referee(RefereeDecision::Approve { user_id: user_id.into(), referee: REFEREE.into() })
}

fn facts_for(u: DirectoryUser, roles: &[&str]) -> Input {
    let EligibilityResult::Found(mut f) = facts(u, &[G_PROD, G_TAP], Relaxed) else {
        unreachable!()
    };
    f.role_template_ids = roles.iter().map(|r| r.to_string()).collect();
    Input::FreshFacts(EligibilityResult::Found(f))
}

#[test]
fn a_duplicate_name_offers_a_member_of_staff_instead_of_ending() {
    let (s, effects) = run(referee_session(false), to_duplicate(&[G_PROD, G_TAP]));
    assert!(matches!(s.state(), State::RefereeOffered(_)), "{}", s.state().name());
    let last = screens(&effects).pop().cloned().unwrap();
    assert!(matches!(
        last,
        Screen::CouldNotComplete {
            reason: ReasonCode::DuplicateName,
            staff: StaffHelp::Offered,
            ..
        }
    ));
    assert_eq!(count_create_tap(&effects), 0);
}

#[test]
fn without_the_referee_setting_the_session_ends_as_before() {
    let (s, effects) = run(session(), to_duplicate(&[G_PROD, G_TAP]));
    assert_eq!(ended_reason(&s), Some(ReasonCode::DuplicateName));
    assert!(effects.iter().all(|e| !matches!(e, Effect::OpenRefereeCase(_))));
}

#[test]
fn evaluation_mode_offers_no_referee() {
    let (s, _) = run(referee_session(false), to_duplicate(&[G_EVAL]));
    assert_eq!(ended_reason(&s), Some(ReasonCode::DuplicateName));
}

#[test]
fn asking_opens_a_case_with_the_names_the_portrait_and_the_candidates() {
    let mut inputs = to_duplicate(&[G_PROD, G_TAP]);
    inputs.push(Input::AskForStaff);
    let (s, effects) = run(referee_session(false), inputs);
    assert!(matches!(s.state(), State::AwaitingReferee(_)));
    let case = opened_case(&effects).expect("a case");
    assert_eq!(case.reason, ReasonCode::DuplicateName);
    assert_eq!(case.typed.id, USER_ID);
    assert_eq!(case.candidates.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [OTHER_ID]);
    let cred = case.credential.as_ref().expect("credential");
    assert_eq!(cred.given_name.as_ref().map(|n| n.expose()), Some("Maria"));
    assert_eq!(cred.portrait.as_ref().map(|p| p.expose()), Some("cG9ydHJhaXQ"));
    assert!(case.reference.starts_with("RC-DUPLICATE_NAME-"));
    let last = screens(&effects).pop().cloned().unwrap();
    assert!(matches!(last, Screen::CouldNotComplete { staff: StaffHelp::Waiting, .. }));
    // The audit says a referee was asked, never a name.
    let audit = audit_lines(&effects).join("\n");
    assert!(audit.contains("referee_requested"), "{audit}");
    assert!(!audit.to_lowercase().contains("maria"));
}

#[test]
fn an_approval_of_the_other_account_issues_its_tap_after_its_fresh_facts() {
    let mut inputs = to_duplicate(&[G_PROD, G_TAP]);
    inputs.extend([Input::AskForStaff, approve(OTHER_ID)]);
    let (s, effects) = run(referee_session(false), inputs);
    assert!(matches!(s.state(), State::RefereeChecking { .. }));
    assert!(effects.iter().any(|e| matches!(e, Effect::CloseRefereeCase)));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ReadFreshFacts { user_id } if user_id == OTHER_ID))
    );
    assert_eq!(count_create_tap(&effects), 0, "no TAP before the fresh facts");
    let audit = audit_lines(&effects).join("\n");
    assert!(audit.contains(REFEREE), "the referee's identity is audited: {audit}");

    let (s, effects) = run(s, vec![facts_for(other_maria(), &[]), tap_created()]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::CreateTap { user_id, .. } if user_id == OTHER_ID))
    );
    assert!(matches!(s.state(), State::ShowingTap { user_id, .. } if user_id == OTHER_ID));
}

#[test]
fn a_refusal_ends_referee_refused_without_a_tap() {
    let mut inputs = to_duplicate(&[G_PROD, G_TAP]);
    inputs.extend([
        Input::AskForStaff,
        Input::Referee(RefereeDecision::Refuse { referee: REFEREE.into() }),
    ]);
    let (s, effects) = run(referee_session(false), inputs);
    assert_eq!(ended_reason(&s), Some(ReasonCode::RefereeRefused));
    assert_eq!(count_create_tap(&effects), 0);
    assert!(effects.iter().any(|e| matches!(e, Effect::CloseRefereeCase)));
}

#[test]
fn an_approval_of_an_account_the_case_did_not_offer_is_ignored() {
    let mut inputs = to_duplicate(&[G_PROD, G_TAP]);
    inputs.extend([Input::AskForStaff, approve(STRANGER_ID)]);
    let (s, effects) = run(referee_session(false), inputs);
    assert!(matches!(s.state(), State::AwaitingReferee(_)));
    assert!(effects.iter().all(|e| !matches!(e, Effect::ReadFreshFacts { .. })));
}

#[test]
fn a_referee_cannot_hand_a_privileged_account_a_tap() {
    let mut inputs = to_duplicate(&[G_PROD, G_TAP]);
    inputs.extend([
        Input::AskForStaff,
        approve(OTHER_ID),
        facts_for(other_maria(), &[GLOBAL_ADMIN]),
    ]);
    let (s, effects) = run(referee_session(false), inputs);
    assert_eq!(ended_reason(&s), Some(ReasonCode::NotEligible));
    assert_eq!(count_create_tap(&effects), 0);
}

#[test]
fn nobody_deciding_ends_with_the_original_reason_and_closes_the_case() {
    let mut inputs = to_duplicate(&[G_PROD, G_TAP]);
    inputs.push(Input::AskForStaff);
    let (s, _) = run(referee_session(false), inputs);
    let later = t0() + time::Duration::seconds(10 + 901);
    let (s, effects) = step(s, Input::Tick, later);
    assert_eq!(ended_reason(&s), Some(ReasonCode::DuplicateName));
    assert!(effects.iter().any(|e| matches!(e, Effect::CloseRefereeCase)));
}

#[test]
fn a_failed_face_check_offers_a_referee_without_a_credential() {
    let mut inputs =
        happy(&[G_PROD, G_TAP], Relaxed, credential("Maria", "Souza", Some(10.0)), vec![]);
    inputs.truncate(6);
    let mut s = referee_session(false);
    let mut effects = Vec::new();
    let mut now = t0();
    for i in inputs {
        now += time::Duration::seconds(1);
        let (n, e) = step(s, i, now);
        s = n;
        effects.extend(e);
    }
    // Three attempts, each failing Face Check.
    for attempt in 1..=3 {
        let id = format!("r{attempt}");
        if attempt > 1 {
            now += time::Duration::seconds(1);
            let (n, _) = step(
                s,
                Input::PresentationCreated { request_id: id.clone(), url: "u".into() },
                now,
            );
            s = n;
        }
        now += time::Duration::seconds(1);
        let (n, e) = step(s, verified(&id, credential("Maria", "Souza", Some(10.0))), now);
        s = n;
        effects.extend(e);
    }
    assert!(matches!(s.state(), State::RefereeOffered(_)), "{}", s.state().name());
    now += time::Duration::seconds(1);
    let (_, e) = step(s, Input::AskForStaff, now);
    let case = opened_case(&e).expect("case");
    assert_eq!(case.reason, ReasonCode::FaceCheckFailed);
    assert!(case.credential.is_none());
}

#[derive(Debug, Clone)]
enum Move {
    Ask,
    ApproveTyped,
    ApproveOther,
    ApproveStranger,
    Refuse,
    FactsTyped,
    FactsOther,
    FactsOtherPrivileged,
    FactsStranger,
    Tap,
    Done,
    Cancel,
    Tick(i64),
}

fn moves() -> impl Strategy<Value = Vec<Move>> {
    prop::collection::vec(
        prop_oneof![
            3 => Just(Move::Ask),
            2 => Just(Move::ApproveTyped),
            2 => Just(Move::ApproveOther),
            2 => Just(Move::ApproveStranger),
            1 => Just(Move::Refuse),
            2 => Just(Move::FactsTyped),
            2 => Just(Move::FactsOther),
            2 => Just(Move::FactsOtherPrivileged),
            2 => Just(Move::FactsStranger),
            2 => Just(Move::Tap),
            1 => Just(Move::Done),
            1 => Just(Move::Cancel),
            1 => (1i64..1000).prop_map(Move::Tick),
        ],
        0..12,
    )
}

proptest! {
    #[test]
    fn after_a_failure_only_an_approved_offered_allowed_account_gets_a_tap(ms in moves()) {
        let (mut s, _) = run(referee_session(false), to_duplicate(&[G_PROD, G_TAP]));
        let mut now = t0() + time::Duration::seconds(20);
        let mut approved: Option<&str> = None;
        let mut taps = 0;
        let mut last_facts: Option<&str> = None;
        for m in ms {
            let mut jump = 1;
            let input = match m {
                Move::Ask => Input::AskForStaff,
                Move::ApproveTyped => approve(USER_ID),
                Move::ApproveOther => approve(OTHER_ID),
                Move::ApproveStranger => approve(STRANGER_ID),
                Move::Refuse => Input::Referee(RefereeDecision::Refuse { referee: REFEREE.into() }),
                Move::FactsTyped => facts_for(maria(), &[]),
                Move::FactsOther => facts_for(other_maria(), &[]),
                Move::FactsOtherPrivileged => facts_for(other_maria(), &[GLOBAL_ADMIN]),
                Move::FactsStranger => facts_for(user_with_id(STRANGER_ID, Some("Maria"), Some("Souza"), true, true), &[]),
                Move::Tap => tap_created(),
                Move::Done => Input::Done,
                Move::Cancel => Input::Cancel,
                Move::Tick(secs) => { jump = secs; Input::Tick }
            };
            let was_awaiting = matches!(s.state(), State::AwaitingReferee(_));
            let facts_user = match &m {
                Move::FactsTyped => Some((USER_ID, false)),
                Move::FactsOther => Some((OTHER_ID, false)),
                Move::FactsOtherPrivileged => Some((OTHER_ID, true)),
                Move::FactsStranger => Some((STRANGER_ID, false)),
                _ => None,
            };
            now += time::Duration::seconds(jump);
            let (next, effects) = step(s, input, now);
            s = next;
            if was_awaiting && matches!(s.state(), State::RefereeChecking { .. }) {
                approved = match m { Move::ApproveTyped => Some(USER_ID), Move::ApproveOther => Some(OTHER_ID), _ => None };
                prop_assert!(approved.is_some(), "only an offered account is approved");
            }
            for e in &effects {
                if let Effect::CreateTap { user_id, .. } = e {
                    taps += 1;
                    prop_assert_eq!(Some(user_id.as_str()), approved, "a TAP only for the approved account");
                    let (fact_user, privileged) = facts_user.expect("a TAP follows the fresh facts");
                    prop_assert_eq!(fact_user, user_id.as_str());
                    prop_assert!(!privileged);
                    last_facts = Some(fact_user);
                }
            }
        }
        prop_assert!(taps <= 1, "at most one TAP");
        let _ = last_facts;
    }
}
