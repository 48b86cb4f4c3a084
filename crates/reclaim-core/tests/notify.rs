//! After a recovery (issue 16 item 5): the owner's notice is emitted exactly when a created TAP
//! is shown, never otherwise (no TAP, evaluation mode, a failed creation, noise out of order).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use proptest::prelude::*;
use reclaim_core::model::MatchConfidenceLevel::{Exact, Relaxed};
use reclaim_core::*;
use time::Duration;

fn me() -> DirectoryUser {
    user(Some("Maria"), Some("Souza"), true, true)
}

fn notices(effects: &[Effect]) -> Vec<&reclaim_core::notify::RecoveryNotice> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::NotifyRecovery(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn shows_tap(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Show(Screen::Tap { .. })))
}

#[test]
fn a_recovery_notifies_once_with_station_time_and_reference_but_no_secret() {
    let inputs = happy(
        &[G_PROD, G_TAP],
        Relaxed,
        credential("Maria Clara", "Souza", Some(88.4)),
        vec![me()],
    );
    let mut s = session();
    let mut now = t0();
    let mut all = Vec::new();
    for input in inputs {
        now += Duration::seconds(1);
        let was_tap = matches!(input, Input::TapCreated { .. });
        let (next, effects) = step(s, input, now);
        s = next;
        // the notice comes in the very step that shows the created TAP, after it
        assert_eq!(!notices(&effects).is_empty(), was_tap);
        if was_tap {
            let tap_at =
                effects.iter().position(|e| matches!(e, Effect::Show(Screen::Tap { .. }))).unwrap();
            let notice_at =
                effects.iter().position(|e| matches!(e, Effect::NotifyRecovery(_))).unwrap();
            assert!(notice_at > tap_at);
            let n = notices(&effects)[0].clone();
            assert_eq!(n.user_id, USER_ID);
            assert_eq!(n.station_id, "kiosk-07");
            assert_eq!(n.at, now);
            assert_eq!(n.session_id, s.id());
            assert!(n.reference.starts_with("RC-TAP_ISSUED-"), "{}", n.reference);
            assert!(n.account_ref.is_some());
            let text = format!("{n:?}").to_lowercase();
            for secret in [TAP.to_lowercase(), "maria".into(), "souza".into()] {
                assert!(!text.contains(&secret), "the notice carries {secret}");
            }
        }
        all.extend(effects);
    }
    assert_eq!(notices(&all).len(), 1);
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    // The reference quoted in the mail is the one the session's end shows and audits.
    let reference = match s.state() {
        State::Wiped { reference, .. } => reference.clone(),
        _ => unreachable!(),
    };
    assert_eq!(notices(&all)[0].reference, reference);
}

#[test]
fn evaluation_mode_and_a_failed_creation_notify_nobody() {
    let (_, effects) = run(
        session(),
        happy(&[G_EVAL, G_TAP], Exact, credential("Maria", "Souza", Some(90.0)), vec![me()]),
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Show(Screen::EvaluationResult))));
    assert!(notices(&effects).is_empty());

    let mut inputs =
        happy(&[G_PROD, G_TAP], Exact, credential("Maria", "Souza", Some(90.0)), vec![me()]);
    let at = inputs.iter().position(|i| matches!(i, Input::TapCreated { .. })).unwrap();
    inputs[at] = Input::TapFailed(TapFailure::Failed(AdapterFailure::Unavailable));
    let (_, effects) = run(session(), inputs);
    assert!(!shows_tap(&effects));
    assert!(notices(&effects).is_empty());
}

/// Noise: inputs a session may meet out of order.
fn noise(i: u8) -> Input {
    match i % 7 {
        0 => tap_created(),
        1 => Input::TapFailed(TapFailure::PolicyRefused),
        2 => Input::Done,
        3 => Input::Cancel,
        4 => Input::Tick,
        5 => Input::IdleTimeout,
        _ => verified("r1", credential("Maria", "Souza", Some(90.0))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Whatever the order, drops and noise: a notice is emitted in exactly the steps that show a
    /// created TAP (so never in evaluation mode, never without a TAP), at most once a session,
    /// and always for the session's user.
    #[test]
    fn notify_recovery_only_with_a_created_tap(
        eval in any::<bool>(),
        drops in prop::collection::vec(0usize..12, 0..3),
        inserts in prop::collection::vec((0usize..13, any::<u8>()), 0..6),
        jumps in prop::collection::vec(0i64..200, 16),
    ) {
        let groups: &[&str] = if eval { &[G_EVAL, G_TAP] } else { &[G_PROD, G_TAP] };
        let mut inputs =
            happy(groups, Exact, credential("Maria", "Souza", Some(90.0)), vec![me()]);
        for d in drops {
            if d < inputs.len() {
                inputs.remove(d);
            }
        }
        for (at, n) in inserts {
            let at = at.min(inputs.len());
            inputs.insert(at, noise(n));
        }
        let mut s = session();
        let mut now = t0();
        let mut total = 0;
        for (k, input) in inputs.into_iter().enumerate() {
            now += Duration::seconds(jumps[k % jumps.len()]);
            let (next, effects) = step(s, input, now);
            s = next;
            let n = notices(&effects);
            prop_assert_eq!(!n.is_empty(), shows_tap(&effects));
            prop_assert!(n.len() <= 1);
            for notice in n {
                prop_assert_eq!(notice.user_id.as_str(), USER_ID);
                let audited = effects.iter().any(|e| {
                    matches!(e, Effect::Audit(AuditEvent { kind: AuditKind::TapIssued { .. }, .. }))
                });
                prop_assert!(audited, "a notice without a TapIssued audit");
            }
            total += notices(&effects).len();
        }
        prop_assert!(total <= 1);
        if eval {
            prop_assert_eq!(total, 0);
        }
    }
}
