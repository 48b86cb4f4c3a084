//! Security invariants under random and adversarial input sequences (architecture §5).
//!
//! A scenario fixes the world (user, groups, profile mode, credential, directory answer); the
//! inputs are the happy path with random noise inserted (out-of-order and foreign callbacks,
//! duplicates, time jumps, cancels) and random steps dropped. An independent oracle says whether
//! every precondition for a TAP holds; the machine must never emit `CreateTap` otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use proptest::prelude::*;
use reclaim_core::model::MatchConfidenceLevel;
use reclaim_core::*;
use time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Names {
    Same,
    Middle,
    Different,
    Missing,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Directory {
    Only,
    Nobody,
    Duplicate,
    SomeoneElse,
    FreshDisabled,
    FreshGuest,
    Error,
}

#[derive(Debug, Clone)]
struct Scenario {
    enabled: bool,
    member: bool,
    blank_given: bool,
    in_prod: bool,
    in_eval: bool,
    excluded: bool,
    in_tap: bool,
    relaxed: bool,
    score: Option<f64>,
    issuer_ok: bool,
    revoked: bool,
    type_ok: bool,
    names: Names,
    directory: Directory,
}

impl Scenario {
    fn level(&self) -> MatchConfidenceLevel {
        if self.relaxed { MatchConfidenceLevel::Relaxed } else { MatchConfidenceLevel::Exact }
    }

    fn groups(&self) -> Vec<&'static str> {
        let mut g = Vec::new();
        if self.in_prod {
            g.push(G_PROD);
        }
        if self.in_eval {
            g.push(G_EVAL);
        }
        if self.excluded {
            g.push(G_EXEC);
        }
        if self.in_tap {
            g.push(G_TAP);
        }
        g
    }

    fn dir_user(&self) -> DirectoryUser {
        user(
            if self.blank_given { None } else { Some("Maria") },
            Some("Souza"),
            self.enabled,
            self.member,
        )
    }

    fn credential(&self) -> PresentedCredential {
        let (g, s) = match self.names {
            Names::Same => ("MARIA", "Souza"),
            Names::Middle => ("Maria Clara", "Souza"),
            Names::Different => ("Ana", "Lima"),
            Names::Missing => ("", ""),
        };
        let mut c = credential(g, s, self.score);
        if !self.issuer_ok {
            c.issuer = "did:web:evil.example".into();
        }
        if self.revoked {
            c.revocation_status = Some("REVOKED".into());
        }
        if !self.type_ok {
            c.types = vec!["VerifiableCredential".into()];
        }
        c
    }

    fn directory_answer(&self) -> Result<Vec<DirectoryUser>, AdapterFailure> {
        let other = || {
            user_with_id(
                "1a000000-0000-4000-8000-0000000000ff",
                Some("Maria"),
                Some("Souza"),
                true,
                true,
            )
        };
        let me = self.dir_user();
        let fresh = |enabled, member| user(Some("Maria"), Some("Souza"), enabled, member);
        match self.directory {
            Directory::Only => Ok(vec![me]),
            Directory::Nobody => Ok(vec![]),
            Directory::Duplicate => Ok(vec![me, other()]),
            Directory::SomeoneElse => Ok(vec![other()]),
            Directory::FreshDisabled => Ok(vec![fresh(false, true)]),
            Directory::FreshGuest => Ok(vec![fresh(true, false)]),
            Directory::Error => Err(AdapterFailure::Unavailable),
        }
    }

    fn evaluation(&self) -> bool {
        !self.in_prod && self.in_eval // production profile has the lower priority number
    }

    /// The independent oracle: every precondition of architecture §5.
    fn tap_allowed(&self) -> bool {
        let names_match = !self.blank_given
            && match self.names {
                Names::Same => true,
                Names::Middle => self.relaxed,
                Names::Different | Names::Missing => false,
            };
        self.enabled
            && self.member
            && !self.excluded
            && self.in_prod
            && !self.evaluation()
            && self.score.is_some_and(|s| s >= 70.0)
            && self.issuer_ok
            && !self.revoked
            && self.type_ok
            && names_match
            && self.directory == Directory::Only
            && self.in_tap
    }

    fn happy_inputs(&self) -> Vec<Input> {
        vec![
            Input::Begin,
            Input::SubmitUpn(Upn::new(UPN)),
            Input::Eligibility(facts(self.dir_user(), &self.groups(), self.level())),
            Input::ChooseProvider { provider: "trueid".into(), path: ScanPath::Camera },
            Input::Provider(ProviderEvent::IssuanceOffered { url: "openid-vc://offer".into() }),
            Input::Provider(ProviderEvent::IdentityIssued),
            Input::PresentationCreated { request_id: "r1".into(), url: "openid-vc://req".into() },
            retrieved("r1"),
            verified("r1", self.credential()),
            Input::UsersByName(self.directory_answer()),
            Input::TapCreated(TapCode::new(TAP)),
            Input::Done,
        ]
    }
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        (any::<bool>(), any::<bool>(), prop::bool::weighted(0.1), any::<bool>(), prop::bool::weighted(0.3), prop::bool::weighted(0.2), prop::bool::weighted(0.8)),
        (
            any::<bool>(),
            prop::option::weighted(0.85, prop_oneof![Just(50.0), Just(69.99), Just(70.0), Just(88.4), Just(100.0), Just(f64::NAN)]),
            prop::bool::weighted(0.85),
            prop::bool::weighted(0.15),
            prop::bool::weighted(0.85),
            prop_oneof![4 => Just(Names::Same), 2 => Just(Names::Middle), 1 => Just(Names::Different), 1 => Just(Names::Missing)],
            prop_oneof![
                6 => Just(Directory::Only),
                1 => Just(Directory::Nobody),
                1 => Just(Directory::Duplicate),
                1 => Just(Directory::SomeoneElse),
                1 => Just(Directory::FreshDisabled),
                1 => Just(Directory::FreshGuest),
                1 => Just(Directory::Error)
            ],
        ),
    )
        .prop_map(|((enabled, member, blank_given, in_prod, in_eval, excluded, in_tap), (relaxed, score, issuer_ok, revoked, type_ok, names, directory))| Scenario {
            enabled: enabled || member, // bias towards reachable
            member: member || enabled,
            blank_given,
            in_prod,
            in_eval,
            excluded,
            in_tap,
            relaxed,
            score,
            issuer_ok,
            revoked,
            type_ok,
            names,
            directory,
        })
}

/// Noise: adversarial or out-of-order inputs (never a foreign world: same user, same answers).
#[derive(Debug, Clone)]
enum Noise {
    ForeignVerifiedPerfect,
    ForeignRetrieved,
    ForeignError,
    VerifiedNow,
    RetrievedNow,
    FaceCheckError,
    Declined,
    CreatedAgain,
    TapCreated,
    TapFailed,
    UsersPerfect,
    Done,
    Tick(i64),
    Cancel,
    Idle,
    Begin,
}

fn noise() -> impl Strategy<Value = Noise> {
    prop_oneof![
        3 => Just(Noise::ForeignVerifiedPerfect),
        1 => Just(Noise::ForeignRetrieved),
        1 => Just(Noise::ForeignError),
        2 => Just(Noise::VerifiedNow),
        1 => Just(Noise::RetrievedNow),
        1 => Just(Noise::FaceCheckError),
        1 => Just(Noise::Declined),
        1 => Just(Noise::CreatedAgain),
        2 => Just(Noise::TapCreated),
        1 => Just(Noise::TapFailed),
        2 => Just(Noise::UsersPerfect),
        1 => Just(Noise::Done),
        2 => (1i64..2000).prop_map(Noise::Tick),
        1 => Just(Noise::Cancel),
        1 => Just(Noise::Idle),
        1 => Just(Noise::Begin),
    ]
}

fn perfect_credential() -> PresentedCredential {
    credential("Maria", "Souza", Some(99.0))
}

impl Noise {
    /// The input and how far the clock jumps before it.
    fn input(&self, sc: &Scenario) -> (Input, i64) {
        match self {
            Noise::ForeignVerifiedPerfect => (verified("r2", perfect_credential()), 1),
            Noise::ForeignRetrieved => (retrieved("r2"), 1),
            Noise::ForeignError => (
                Input::Callback {
                    request_id: "r2".into(),
                    event: CallbackEvent::Error { code: "claimValidationError".into() },
                },
                1,
            ),
            Noise::VerifiedNow => (verified("r1", sc.credential()), 1),
            Noise::RetrievedNow => (retrieved("r1"), 1),
            Noise::FaceCheckError => (
                Input::Callback {
                    request_id: "r1".into(),
                    event: CallbackEvent::Error { code: "claimValidationError".into() },
                },
                1,
            ),
            Noise::Declined => (
                Input::Callback {
                    request_id: "r1".into(),
                    event: CallbackEvent::Error { code: "userDeclined".into() },
                },
                1,
            ),
            Noise::CreatedAgain => {
                (Input::PresentationCreated { request_id: "r1".into(), url: "u".into() }, 1)
            }
            Noise::TapCreated => (Input::TapCreated(TapCode::new(TAP)), 1),
            Noise::TapFailed => (Input::TapFailed(TapFailure::PolicyRefused), 1),
            // A directory answer that would pass, arriving when the scenario's real answer would not:
            // only accepted in Verifying, where it is the (single) answer to our own query.
            Noise::UsersPerfect => (Input::UsersByName(sc.directory_answer()), 1),
            Noise::Done => (Input::Done, 1),
            Noise::Tick(secs) => (Input::Tick, *secs),
            Noise::Cancel => (Input::Cancel, 1),
            Noise::Idle => (Input::IdleTimeout, 1),
            Noise::Begin => (Input::Begin, 1),
        }
    }
}

fn sequence() -> impl Strategy<Value = (Scenario, Vec<(usize, Noise)>, Vec<usize>, u8)> {
    (
        scenario(),
        prop::collection::vec((0usize..14, noise()), 0..8),
        prop::collection::vec(0usize..12, 0..2),
        0u8..3,
    )
}

fn holds_secret_text(effects: &[Effect]) -> bool {
    let all = audit_lines(effects).join("\n").to_lowercase();
    ["maria", "souza", "clara", &TAP.to_lowercase()].iter().any(|s| all.contains(s))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn tap_only_when_every_precondition_holds((sc, noise, drops, ending) in sequence()) {
        let mut inputs: Vec<(Input, i64)> = sc.happy_inputs().into_iter().map(|i| (i, 1)).collect();
        for d in drops {
            if d < inputs.len() {
                inputs.remove(d);
            }
        }
        for (pos, n) in noise {
            let at = pos.min(inputs.len());
            inputs.insert(at, n.input(&sc));
        }
        let mut s = session();
        let mut now = t0();
        let mut effects = Vec::new();
        let mut wiped_with_effect = false;
        for (input, jump) in inputs {
            now += Duration::seconds(jump);
            let was_wiped = s.is_wiped();
            let (next, e) = step(s, input, now);
            s = next;
            if was_wiped {
                prop_assert!(e.is_empty(), "a wiped session must not act");
            }
            if s.is_wiped() && !was_wiped {
                prop_assert!(e.iter().any(|x| matches!(x, Effect::Wipe)));
                prop_assert!(!s.holds_personal_data());
                wiped_with_effect = true;
            }
            effects.extend(e);
        }
        let creates = count_create_tap(&effects);
        // (d) at most one CreateTap per session
        prop_assert!(creates <= 1, "{creates} CreateTap");
        // (a) no CreateTap unless every precondition held
        if creates == 1 {
            prop_assert!(sc.tap_allowed(), "CreateTap for {sc:?}");
        }
        // (b) evaluation never creates a TAP
        if sc.evaluation() {
            prop_assert_eq!(creates, 0);
        }
        // (c) Cancel (or a passed deadline) from wherever we are ends Wiped, with a Wipe, no personal data
        let was_wiped = s.is_wiped();
        let end_input = match ending {
            0 => Input::Cancel,
            1 => Input::IdleTimeout,
            _ => Input::Tick,
        };
        let end_time = if ending == 2 { now + Duration::days(1) } else { now + Duration::seconds(1) };
        let before = s.state().name();
        let (s, e) = step(s, end_input, end_time);
        if !was_wiped && (ending != 2 || before != "idle") {
            prop_assert!(s.is_wiped(), "not wiped from {before}");
            prop_assert!(e.iter().any(|x| matches!(x, Effect::Wipe)));
            wiped_with_effect = true;
        }
        if s.is_wiped() {
            prop_assert!(wiped_with_effect);
            prop_assert!(!s.holds_personal_data());
        }
        effects.extend(e);
        // audit never carries names or the TAP
        prop_assert!(!holds_secret_text(&effects));
    }
}

#[test]
fn oracle_positive_case_reaches_create_tap() {
    // Guards against a vacuous property: a fully valid scenario does issue.
    let sc = Scenario {
        enabled: true,
        member: true,
        blank_given: false,
        in_prod: true,
        in_eval: false,
        excluded: false,
        in_tap: true,
        relaxed: true,
        score: Some(70.0),
        issuer_ok: true,
        revoked: false,
        type_ok: true,
        names: Names::Middle,
        directory: Directory::Only,
    };
    assert!(sc.tap_allowed());
    let (s, effects) = run(session(), sc.happy_inputs());
    assert_eq!(count_create_tap(&effects), 1);
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
}
