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
    /// Another enabled member, `Clara` / `Souza`: the credential matches them only under the
    /// relaxed rule with the middle name (`Maria Clara`), never by equality.
    RuleDuplicate,
    /// A disabled namesake: does not block.
    DisabledNamesake,
    /// The adapter could not read every candidate.
    Partial,
}

/// When the presented credential was issued (issue 13 item 3: only a credential this session
/// issued counts).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Issued {
    /// After the session began.
    InSession,
    /// Half a minute before the session began: within the clock-skew allowance.
    WithinSkew,
    /// A day before the session began (the victim's own credential, a relayed QR).
    LongBefore,
    /// The callback carries no `issuanceDate`.
    NoDate,
}

/// What the facts read again right before the TAP say (issue 13 item 6).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fresh {
    /// As at eligibility.
    Same,
    /// The account was disabled.
    Disabled,
    /// Removed from the recovery group.
    LeftRecoveryGroup,
    /// Removed from the TAP group.
    LeftTapGroup,
    /// The TAP policy was turned off.
    TapPolicyOff,
    /// The VerifiableCredentials policy was turned off.
    VcPolicyOff,
    /// The account is gone.
    Gone,
    /// The read fails.
    ReadFails,
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
    roles: Roles,
    fresh: Fresh,
    issued: Issued,
    /// The profile's issuer is a link-only provider's (issue 17 item 8): its onboarding page,
    /// then "I have added it"; no provider confirms the issuance.
    link: bool,
}

/// The user's directory roles: at eligibility, and as read again right before the TAP.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Roles {
    /// No role on the refusal list, then or later.
    None,
    /// A harmless role ("User").
    Harmless,
    /// A refused role (Global Administrator) from the start.
    Refused,
    /// Granted after eligibility: seen only by the check right before the TAP.
    GrantedLater,
    /// The second read fails.
    ReadFails,
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
        c.issuance_date = match self.issued {
            Issued::InSession => Some(t0() + Duration::seconds(3)),
            Issued::WithinSkew => Some(t0() - Duration::seconds(30)),
            Issued::LongBefore => Some(t0() - Duration::days(1)),
            Issued::NoDate => None,
        };
        c
    }

    fn directory_answer(&self) -> Result<NameCandidates, AdapterFailure> {
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
        let clara = || {
            user_with_id(
                "1a000000-0000-4000-8000-0000000000fe",
                Some("Clara"),
                Some("Souza"),
                true,
                true,
            )
        };
        let namesake = || {
            user_with_id(
                "1a000000-0000-4000-8000-0000000000fd",
                Some("Maria"),
                Some("Souza"),
                false,
                true,
            )
        };
        match self.directory {
            Directory::Only => Ok(vec![me].into()),
            Directory::Nobody => Ok(vec![].into()),
            Directory::Duplicate => Ok(vec![me, other()].into()),
            Directory::SomeoneElse => Ok(vec![other()].into()),
            Directory::FreshDisabled => Ok(vec![fresh(false, true)].into()),
            Directory::FreshGuest => Ok(vec![fresh(true, false)].into()),
            Directory::Error => Err(AdapterFailure::Unavailable),
            Directory::RuleDuplicate => Ok(vec![me, clara()].into()),
            Directory::DisabledNamesake => Ok(vec![namesake(), me].into()),
            Directory::Partial => Ok(NameCandidates { users: vec![me], complete: false }),
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
            && self.unique()
            && self.in_tap
            && matches!(self.roles, Roles::None | Roles::Harmless)
            && self.fresh == Fresh::Same
            && matches!(self.issued, Issued::InSession | Issued::WithinSkew)
    }

    /// Exactly one enabled member user, this one, matches the credential under the rule.
    fn unique(&self) -> bool {
        match self.directory {
            Directory::Only | Directory::DisabledNamesake => true,
            Directory::RuleDuplicate => !(self.relaxed && self.names == Names::Middle),
            _ => false,
        }
    }

    fn eligibility_roles(&self) -> Vec<String> {
        match self.roles {
            Roles::Refused => vec![GLOBAL_ADMIN.into()],
            Roles::Harmless => vec!["b79fbf4d-3ef9-4689-8143-76b194e85509".into()],
            Roles::None | Roles::GrantedLater | Roles::ReadFails => vec![],
        }
    }

    /// The facts read again right before the TAP, roles included.
    fn fresh_answer(&self) -> EligibilityResult {
        let roles = match self.roles {
            Roles::Refused | Roles::GrantedLater => vec![GLOBAL_ADMIN.into()],
            Roles::ReadFails => return EligibilityResult::Failed(AdapterFailure::Unavailable),
            Roles::None | Roles::Harmless => self.eligibility_roles(),
        };
        let mut user = self.dir_user();
        let mut groups = self.groups();
        match self.fresh {
            Fresh::Gone => return EligibilityResult::UnknownUser,
            Fresh::ReadFails => return EligibilityResult::Failed(AdapterFailure::Unavailable),
            Fresh::Disabled => user.account_enabled = Some(false),
            Fresh::LeftRecoveryGroup => groups.retain(|g| *g != G_PROD),
            Fresh::LeftTapGroup => groups.retain(|g| *g != G_TAP),
            Fresh::Same | Fresh::TapPolicyOff | Fresh::VcPolicyOff => {}
        }
        let mut f = facts(user, &groups, self.level());
        if let EligibilityResult::Found(facts) = &mut f {
            facts.role_template_ids = roles;
            match self.fresh {
                Fresh::TapPolicyOff => facts.tap_policy.state = model::EnabledState::Disabled,
                Fresh::VcPolicyOff => facts.vc_policy.state = model::EnabledState::Disabled,
                _ => {}
            }
        }
        f
    }

    fn eligibility_input(&self) -> Input {
        let mut f = facts(self.dir_user(), &self.groups(), self.level());
        if let EligibilityResult::Found(facts) = &mut f {
            facts.role_template_ids = self.eligibility_roles();
        }
        Input::Eligibility(f)
    }

    fn session(&self) -> Session {
        if self.link { link_session() } else { session() }
    }

    fn happy_inputs(&self) -> Vec<Input> {
        let (choose, offered, issued) = if self.link {
            (
                Input::ChooseProvider { provider: "quickid".into(), path: ScanPath::Phone },
                // Nothing to offer on the link path: a tick in its place keeps the positions.
                Input::Tick,
                Input::AddedToWallet,
            )
        } else {
            (
                Input::ChooseProvider { provider: "trueid".into(), path: ScanPath::Camera },
                Input::Provider(ProviderEvent::IssuanceOffered { url: "openid-vc://offer".into() }),
                Input::Provider(ProviderEvent::IdentityIssued),
            )
        };
        vec![
            Input::Begin,
            Input::SubmitUpn(Upn::new(UPN)),
            self.eligibility_input(),
            choose,
            offered,
            issued,
            Input::PresentationCreated { request_id: "r1".into(), url: "openid-vc://req".into() },
            retrieved("r1"),
            verified("r1", self.credential()),
            Input::UsersByName(self.directory_answer()),
            Input::FreshFacts(self.fresh_answer()),
            tap_created(),
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
                8 => Just(Directory::Only),
                1 => Just(Directory::RuleDuplicate),
                1 => Just(Directory::DisabledNamesake),
                1 => Just(Directory::Partial),
                1 => Just(Directory::Nobody),
                1 => Just(Directory::Duplicate),
                1 => Just(Directory::SomeoneElse),
                1 => Just(Directory::FreshDisabled),
                1 => Just(Directory::FreshGuest),
                1 => Just(Directory::Error)
            ],
        ),
        prop_oneof![
            6 => Just(Roles::None),
            1 => Just(Roles::Harmless),
            1 => Just(Roles::Refused),
            1 => Just(Roles::GrantedLater),
            1 => Just(Roles::ReadFails)
        ],
        prop_oneof![
            10 => Just(Fresh::Same),
            1 => Just(Fresh::Disabled),
            1 => Just(Fresh::LeftRecoveryGroup),
            1 => Just(Fresh::LeftTapGroup),
            1 => Just(Fresh::TapPolicyOff),
            1 => Just(Fresh::VcPolicyOff),
            1 => Just(Fresh::Gone),
            1 => Just(Fresh::ReadFails)
        ],
        prop_oneof![
            8 => Just(Issued::InSession),
            1 => Just(Issued::WithinSkew),
            1 => Just(Issued::LongBefore),
            1 => Just(Issued::NoDate)
        ],
        prop::bool::weighted(0.3),
    )
        .prop_map(|((enabled, member, blank_given, in_prod, in_eval, excluded, in_tap), (relaxed, score, issuer_ok, revoked, type_ok, names, directory), roles, fresh, issued, link)| Scenario {
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
            roles,
            fresh,
            issued,
            link,
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
    TapFailedUnavailable,
    FreshAgain,
    UsersPerfect,
    Done,
    Tick(i64),
    Cancel,
    Idle,
    Begin,
    /// The QR's lifetime passes (it is replaced by a new request).
    QrExpires,
    /// The replacement request is created (a new id).
    Replaced,
    /// The scenario's credential presented to the first request (stale once it was replaced).
    StaleVerified,
    /// The service's limits refuse to go on.
    Limit,
    /// "I have added it" pressed (or sent) at any time: only a link-only provider's scan step
    /// takes it.
    AddedToWallet,
    /// The link-only provider on the camera path (it has no capture API).
    ChooseLinkCamera,
    /// The link-only provider on the phone path (not offered to an API scenario's session).
    ChooseLink,
    /// A provider's own report, arriving on the link path (no return was registered for it).
    IdentityIssued,
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
        1 => Just(Noise::TapFailedUnavailable),
        2 => Just(Noise::FreshAgain),
        2 => Just(Noise::UsersPerfect),
        1 => Just(Noise::Done),
        2 => (1i64..2000).prop_map(Noise::Tick),
        1 => Just(Noise::Cancel),
        1 => Just(Noise::Idle),
        1 => Just(Noise::Begin),
        2 => Just(Noise::QrExpires),
        2 => Just(Noise::Replaced),
        2 => Just(Noise::StaleVerified),
        1 => Just(Noise::Limit),
        3 => Just(Noise::AddedToWallet),
        1 => Just(Noise::ChooseLinkCamera),
        1 => Just(Noise::ChooseLink),
        1 => Just(Noise::IdentityIssued),
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
            Noise::TapCreated => (tap_created(), 1),
            Noise::TapFailed => (Input::TapFailed(TapFailure::PolicyRefused), 1),
            Noise::TapFailedUnavailable => {
                (Input::TapFailed(TapFailure::Failed(AdapterFailure::Unavailable)), 1)
            }
            // The fresh facts again, out of turn: only the answer to our own ReadFreshFacts counts.
            Noise::FreshAgain => (Input::FreshFacts(sc.fresh_answer()), 1),
            // A directory answer that would pass, arriving when the scenario's real answer would not:
            // only accepted in Verifying, where it is the (single) answer to our own query.
            Noise::UsersPerfect => (Input::UsersByName(sc.directory_answer()), 1),
            Noise::Done => (Input::Done, 1),
            Noise::Tick(secs) => (Input::Tick, *secs),
            Noise::Cancel => (Input::Cancel, 1),
            Noise::Idle => (Input::IdleTimeout, 1),
            Noise::Begin => (Input::Begin, 1),
            Noise::QrExpires => (Input::Tick, 121),
            Noise::Replaced => (
                Input::PresentationCreated {
                    request_id: "r3".into(),
                    url: "openid-vc://r3".into(),
                },
                1,
            ),
            Noise::StaleVerified => (verified("r1", sc.credential()), 1),
            Noise::Limit => (Input::LimitReached(LimitScope::Document), 1),
            Noise::AddedToWallet => (Input::AddedToWallet, 1),
            Noise::ChooseLinkCamera => {
                (Input::ChooseProvider { provider: "quickid".into(), path: ScanPath::Camera }, 1)
            }
            Noise::ChooseLink => {
                (Input::ChooseProvider { provider: "quickid".into(), path: ScanPath::Phone }, 1)
            }
            Noise::IdentityIssued => (Input::Provider(ProviderEvent::IdentityIssued), 1),
        }
    }
}

fn sequence() -> impl Strategy<Value = (Scenario, Vec<(usize, Noise)>, Vec<usize>, u8)> {
    (
        scenario(),
        prop::collection::vec((0usize..15, noise()), 0..8),
        prop::collection::vec(0usize..13, 0..2),
        0u8..3,
    )
}

fn holds_secret_text(effects: &[Effect]) -> bool {
    let all = audit_lines(effects).join("\n").to_lowercase();
    ["maria", "souza", "clara", &TAP.to_lowercase()].iter().any(|s| all.contains(s))
}

/// Runs a generated sequence and a final Cancel / idle / day-long wait; every effect in order.
fn drive(
    sc: &Scenario,
    noise: Vec<(usize, Noise)>,
    drops: Vec<usize>,
    ending: u8,
) -> (Session, Vec<Effect>) {
    let mut inputs: Vec<(Input, i64)> = sc.happy_inputs().into_iter().map(|i| (i, 1)).collect();
    for d in drops {
        if d < inputs.len() {
            inputs.remove(d);
        }
    }
    for (pos, n) in noise {
        let at = pos.min(inputs.len());
        inputs.insert(at, n.input(sc));
    }
    let mut s = sc.session();
    let mut now = t0();
    let mut effects = Vec::new();
    for (input, jump) in inputs {
        now += Duration::seconds(jump);
        let (next, e) = step(s, input, now);
        s = next;
        effects.extend(e);
    }
    let (end_input, end_time) = match ending {
        0 => (Input::Cancel, now + Duration::seconds(1)),
        1 => (Input::IdleTimeout, now + Duration::seconds(1)),
        _ => (Input::Tick, now + Duration::days(1)),
    };
    let (s, e) = step(s, end_input, end_time);
    effects.extend(e);
    (s, effects)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Walk-away (issue 13 item 4): every created, unconfirmed TAP is followed by a delete
    /// effect when the session ends without confirmation — by the method id once the creation
    /// answered, otherwise by "created since this session's attempt" — before the wipe; a TAP
    /// confirmed with `Done` is never deleted; nothing is deleted that was never asked for.
    #[test]
    fn every_unconfirmed_tap_is_deleted((sc, noise, drops, ending) in sequence()) {
        let (s, effects) = drive(&sc, noise, drops, ending);
        let create_at = effects.iter().position(|e| matches!(e, Effect::CreateTap { .. }));
        let deletes: Vec<(usize, &TapCleanup)> = effects
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e { Effect::DeleteTap(c) => Some((i, c)), _ => None })
            .collect();
        let Some(create_at) = create_at else {
            prop_assert!(deletes.is_empty(), "a delete without a creation");
            return Ok(());
        };
        let shown = effects.iter().any(|e| matches!(e, Effect::Show(Screen::Tap { .. })));
        match ended_reason(&s) {
            Some(ReasonCode::TapIssued) => {
                prop_assert!(shown);
                prop_assert!(deletes.is_empty(), "a confirmed TAP was deleted");
            }
            Some(reason) => {
                prop_assert_eq!(deletes.len(), 1, "ended {:?} without deleting the TAP", reason);
                let (at, cleanup) = deletes[0];
                prop_assert!(at > create_at);
                let wipe_at = effects.iter().position(|e| matches!(e, Effect::Wipe)).unwrap();
                prop_assert!(at < wipe_at, "the delete comes after the wipe");
                prop_assert_eq!(cleanup.user_id.as_str(), USER_ID);
                if shown {
                    prop_assert_eq!(cleanup.method_id.as_deref(), Some(TAP_METHOD));
                } else {
                    prop_assert!(cleanup.method_id.is_none() && cleanup.created_since.is_some());
                }
                let audited = audit_lines(&effects).iter().any(|l| l.contains("tap_deletion_requested"));
                prop_assert!(audited);
            }
            None => prop_assert!(false, "not wiped after the ending"),
        }
    }

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
        let mut s = sc.session();
        let mut now = t0();
        let mut effects = Vec::new();
        let mut wiped_with_effect = false;
        // The answers the session accepted (the state they were fed in moved on).
        let (mut unique_in, mut fresh_in) = (false, false);
        // Request ids whose QR was replaced: never accepted again (issue 13 item 3).
        let mut dead: Vec<String> = Vec::new();
        for (input, jump) in inputs {
            now += Duration::seconds(jump);
            let was_wiped = s.is_wiped();
            let before = s.state().name();
            let kind = match &input {
                Input::UsersByName(_) => 1,
                Input::FreshFacts(_) => 2,
                _ => 0,
            };
            let live_before = match s.state() {
                State::AwaitingPresentation { request_id: Some(id), .. }
                | State::PresentationRetrieved { request_id: id, .. } => Some(id.clone()),
                _ => None,
            };
            let callback_id = match &input {
                Input::Callback { request_id, .. } => Some(request_id.clone()),
                _ => None,
            };
            let created_id = match &input {
                Input::PresentationCreated { request_id, .. } => Some(request_id.clone()),
                _ => None,
            };
            let (next, e) = step(s, input, now);
            s = next;
            // (f) a callback for a replaced (stale) request never moves the session on
            if let Some(id) = callback_id.filter(|id| dead.contains(id)) {
                prop_assert!(
                    !e.iter().any(|x| matches!(x, Effect::FindUsersByName { .. } | Effect::CreateTap { .. })),
                    "a stale request {id} was accepted"
                );
                prop_assert_ne!(s.state().name(), "verifying");
            }
            if let Some(id) = live_before.filter(|_| {
                e.iter().any(|x| matches!(x, Effect::CreatePresentationRequest(_)))
            }) {
                dead.push(id);
            }
            if let (Some(id), State::AwaitingPresentation { request_id: Some(now_live), .. }) =
                (created_id, s.state())
                && &id == now_live
            {
                dead.retain(|d| *d != id);
            }
            unique_in |= kind == 1 && before == "verifying" && s.state().name() != before;
            fresh_in |= kind == 2 && before == "checking_fresh_facts" && s.state().name() != before;
            if e.iter().any(|x| matches!(x, Effect::CreateTap { .. })) {
                // (e) the unique-match answer and the fresh facts both came in for this session
                prop_assert!(unique_in && fresh_in, "CreateTap without both answers: {sc:?}");
                prop_assert_eq!(before, "checking_fresh_facts");
            }
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
        // (g) no TAP without a presentation of a credential of the chosen provider's issuer,
        // issued after the session began (the only binding a link-only provider has)
        if creates == 1 {
            prop_assert!(sc.issuer_ok, "a TAP for another issuer's credential");
            prop_assert!(
                matches!(sc.issued, Issued::InSession | Issued::WithinSkew),
                "a TAP for a credential issued before the session: {sc:?}"
            );
        }
        // (h) a link-only provider is never asked for a link or a capture
        if sc.link {
            let started = effects.iter().any(|e| {
                matches!(e, Effect::StartProviderLink { .. } | Effect::StartCameraCapture { .. })
            });
            prop_assert!(!started, "a link-only provider was asked for a link or a capture");
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
        roles: Roles::Harmless,
        fresh: Fresh::Same,
        issued: Issued::WithinSkew,
        link: false,
    };
    assert!(sc.tap_allowed());
    let (s, effects) = run(session(), sc.happy_inputs());
    assert_eq!(count_create_tap(&effects), 1);
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
    // The same through the link-only provider.
    let link = Scenario { link: true, ..sc };
    let (s, effects) = run(link.session(), link.happy_inputs());
    assert_eq!(count_create_tap(&effects), 1);
    assert_eq!(ended_reason(&s), Some(ReasonCode::TapIssued));
}
