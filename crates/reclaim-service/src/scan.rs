//! `reclaim-service scan`: directory readiness. Reads the tenant as a kiosk would — the same
//! Graph client and calls (the users, `checkMemberGroups` with the policies' groups, both
//! authentication-method policies, the Verified ID profiles, each in-scope user's directory
//! roles) — and reports, per recovery profile, the users in its scope whom a recovery would
//! refuse whatever document they bring:
//!
//! * [`FindingKind::BlankName`], [`FindingKind::NonLatinName`], [`FindingKind::InitialsOnly`]:
//!   a bound directory name the core's matcher can never pair with a document's (blank: the
//!   matcher refuses it; no Latin letter after the relaxed fold: a document's machine-readable
//!   zone and a provider's claims are in Latin letters; only one-letter words such as `J.`: a
//!   document spells the name in full);
//! * [`FindingKind::Duplicate`]: a credential carrying the user's own directory names would also
//!   match another enabled member under the profile's own rule (the core's [`match_user`], as
//!   the recovery's duplicate check runs it), so the recovery ends `duplicate_name`;
//! * [`FindingKind::OutsideTapPolicy`]: in a production-mode profile's scope but not covered by
//!   the TemporaryAccessPass policy (disabled, excluded, or in none of its include targets);
//! * [`FindingKind::PrivilegedRole`]: holds a role the recovery refuses (the core's
//!   [`holds_refused_role`] with the configuration's `refused_role_template_ids`);
//! * [`FindingKind::Disabled`], [`FindingKind::Guest`]: accounts eligibility refuses.
//!
//! Scope is the core's own profile resolution ([`resolve`]): the VerifiableCredentials policy's
//! include targets, its global exclusions, profile state, purpose and priority.
//!
//! Personal data: the report is for IT staff and names each user by user principal name and
//! display name only (the given name and surname are read to run the matcher and never
//! written); nothing of a user reaches the tracing log.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use reclaim_config::{Config, SecretStore, error_chain};
use reclaim_core::matching::{
    DirectoryAttribute, Reading, Spelling, is_blank, relaxed_words, relaxed_words_as, search_words,
};
use reclaim_core::model::UsagePurpose;
use reclaim_core::roles::holds_refused_role;
use reclaim_core::{
    Claims, DirectoryUser, EnabledState, MatchOutcome, PersonName, Resolution, TapPolicy, Upn,
    VcMethodPolicy, VerifiedIdProfile, groups_to_check, match_user, resolve, resolve_binding,
};
use reclaim_entra::{EntraError, GraphClient, RetryPolicy, graph};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ServiceError;

/// Graph calls in flight at once (per-user membership and role reads).
const CONCURRENCY: usize = 8;

/// Retries of the scan's Graph calls (throttling is likely on a large directory).
const RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base_delay: Duration::from_millis(500),
    max_delay: Duration::from_secs(10),
};

/// Retries of the token requests (inside each Graph call's own retries: kept short, so an
/// unreachable tenant is said in seconds).
const TOKEN_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 2,
    base_delay: Duration::from_millis(300),
    max_delay: Duration::from_secs(2),
};

/// What is wrong with a user, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The account is disabled.
    Disabled,
    /// A guest: no TAP can be issued to one.
    Guest,
    /// Holds a directory role the recovery refuses.
    PrivilegedRole,
    /// Production mode, but the TAP policy does not cover the user.
    OutsideTapPolicy,
    /// A bound name is blank.
    BlankName,
    /// A bound name has no Latin letter.
    NonLatinName,
    /// A bound name is only initials.
    InitialsOnly,
    /// The user's credential would also match another enabled member.
    Duplicate,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 8] = [
        FindingKind::Disabled,
        FindingKind::Guest,
        FindingKind::PrivilegedRole,
        FindingKind::OutsideTapPolicy,
        FindingKind::BlankName,
        FindingKind::NonLatinName,
        FindingKind::InitialsOnly,
        FindingKind::Duplicate,
    ];

    /// The kind's code in every output (`blank-name`).
    pub fn code(self) -> &'static str {
        match self {
            FindingKind::Disabled => "disabled",
            FindingKind::Guest => "guest",
            FindingKind::PrivilegedRole => "privileged-role",
            FindingKind::OutsideTapPolicy => "outside-tap-policy",
            FindingKind::BlankName => "blank-name",
            FindingKind::NonLatinName => "non-latin-name",
            FindingKind::InitialsOnly => "initials-only",
            FindingKind::Duplicate => "duplicate",
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One user's problem. `Debug` redacts the user principal name, the display name and the
/// detail (a duplicate's names the other users).
#[derive(Clone, PartialEq, Eq)]
pub struct Finding {
    /// What.
    pub kind: FindingKind,
    /// The user's principal name.
    pub upn: Upn,
    /// The user's object id.
    pub user_id: String,
    /// The user's display name (empty when none).
    pub display_name: PersonName,
    /// Why, and what to do (names no personal data but other users' principal names).
    pub detail: String,
}

impl std::fmt::Debug for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finding")
            .field("kind", &self.kind)
            .field("upn", &self.upn)
            .field("user_id", &self.user_id)
            .field("display_name", &self.display_name)
            .field("detail", &"<redacted>")
            .finish()
    }
}

/// One recovery profile's part of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSection {
    /// The profile's id.
    pub profile_id: String,
    /// Its name.
    pub name: String,
    /// `isEnabledForTestOnly`: verify only, never a TAP.
    pub evaluation_mode: bool,
    /// Users the profile resolves for.
    pub in_scope: usize,
    /// Problems with the profile itself (bindings this build cannot evaluate).
    pub notes: Vec<String>,
    /// Per-user findings, by kind then principal name.
    pub findings: Vec<Finding>,
}

/// The whole scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    /// Users read from the directory.
    pub users: usize,
    /// One section per enabled recovery profile, by priority.
    pub profiles: Vec<ProfileSection>,
}

impl ScanReport {
    /// Every finding, with its section.
    pub fn findings(&self) -> impl Iterator<Item = (&ProfileSection, &Finding)> {
        self.profiles.iter().flat_map(|p| p.findings.iter().map(move |f| (p, f)))
    }

    /// The principal names with a finding of `kind`, in any profile, sorted.
    pub fn upns(&self, kind: FindingKind) -> Vec<String> {
        let mut upns: Vec<String> = self
            .findings()
            .filter(|(_, f)| f.kind == kind)
            .map(|(_, f)| f.upn.expose().to_owned())
            .collect();
        upns.sort();
        upns.dedup();
        upns
    }

    /// `scanned N users, P recovery profiles: F findings (2 disabled, 1 guest, …)`.
    pub fn summary(&self) -> String {
        let total = self.findings().count();
        let mut counts: Vec<String> = Vec::new();
        for kind in FindingKind::ALL {
            let n = self.findings().filter(|(_, f)| f.kind == kind).count();
            if n > 0 {
                counts.push(format!("{n} {kind}"));
            }
        }
        let mut line = format!(
            "scanned {} user{}, {} recovery profile{}: {total} finding{}",
            self.users,
            plural(self.users),
            self.profiles.len(),
            plural(self.profiles.len()),
            plural(total)
        );
        if !counts.is_empty() {
            let _ = write!(line, " ({})", counts.join(", "));
        }
        line
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Why a scan did not complete (`{code, message}`); the CLI exits 2.
fn failure(code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Scan { code, message: message.into() }
}

/// A failed Graph call as a scan error: what was read, and what to check.
fn graph_failure(what: &str, e: &EntraError) -> ServiceError {
    match e {
        EntraError::Token(t) => failure(
            "tenant_auth_failed",
            format!(
                "no token for Microsoft Graph ({} HTTP {}): check [tenant] and its credential \
                 (`reclaim-service doctor` says more)",
                t.error, t.status
            ),
        ),
        EntraError::Transport { .. } => failure(
            "tenant_unreachable",
            format!(
                "cannot reach the tenant reading {what}: {}; check [endpoints], the network and \
                 endpoints.ca_file",
                error_chain(e)
            ),
        ),
        EntraError::Graph(g) if g.status == 401 || g.status == 403 => failure(
            "graph_forbidden",
            format!(
                "Graph refused reading {what} (HTTP {} {}): grant the app the kiosk's Graph \
                 permissions (`reclaim-service doctor` names them)",
                g.status, g.code
            ),
        ),
        EntraError::Graph(g) => failure(
            "graph_error",
            format!("Graph answered HTTP {} {} reading {what}; try again", g.status, g.code),
        ),
        other => failure("graph_error", format!("reading {what}: {}", error_chain(other))),
    }
}

/// Entra's model → the core's (both are the Graph JSON), as the engine's directory does.
fn convert<A: Serialize, B: DeserializeOwned>(a: &A) -> Option<B> {
    serde_json::to_value(a).ok().and_then(|v| serde_json::from_value(v).ok())
}

fn core_user(u: &graph::User) -> DirectoryUser {
    DirectoryUser {
        id: u.id.clone(),
        user_principal_name: Upn::new(
            u.user_principal_name.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default(),
        ),
        given_name: u.given_name.as_ref().map(|p| PersonName::new(p.expose())),
        surname: u.surname.as_ref().map(|p| PersonName::new(p.expose())),
        account_enabled: u.account_enabled,
        user_type: u.user_type.clone(),
    }
}

/// A user as read, with the policy groups they are in.
struct Scanned {
    user: DirectoryUser,
    display_name: PersonName,
    member_groups: Vec<String>,
}

/// Scans the tenant `graph` reads; `refused_roles` are the role template ids the recovery
/// refuses (`[recovery] refused_role_template_ids`, default the core's list).
pub async fn scan(
    graph: &GraphClient,
    refused_roles: &[String],
) -> Result<ScanReport, ServiceError> {
    let (vc, tap, profiles, users) = tokio::join!(
        graph.get_verifiable_credentials_policy(),
        graph.get_tap_policy(),
        graph.list_verified_id_profiles(),
        graph.list_users(),
    );
    let vc = vc.map_err(|e| graph_failure("the VerifiableCredentials policy", &e))?;
    let tap = tap.map_err(|e| graph_failure("the TemporaryAccessPass policy", &e))?;
    let profiles = profiles.map_err(|e| graph_failure("the Verified ID profiles", &e))?;
    let users = users.map_err(|e| graph_failure("the users", &e))?;
    let (Some(vc_policy), Some(tap_policy)) =
        (convert::<_, VcMethodPolicy>(&vc), convert::<_, TapPolicy>(&tap))
    else {
        return Err(failure(
            "policy_unreadable",
            "an authentication-method policy has a shape the recovery cannot read",
        ));
    };
    let profiles: Vec<VerifiedIdProfile> = profiles.iter().filter_map(convert).collect();

    let mut groups: Vec<String> = groups_to_check(&vc_policy).into_iter().flatten().collect();
    for g in tap_policy.group_ids() {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let groups = Arc::new(groups);
    let memberships = futures::stream::iter(users.iter().map(|u| {
        let groups = groups.clone();
        async move {
            if groups.is_empty() {
                return Ok(Vec::new());
            }
            graph.check_member_groups(&u.id, &groups).await
        }
    }))
    .buffered(CONCURRENCY)
    .collect::<Vec<_>>()
    .await;
    let mut scanned: Vec<Scanned> = Vec::with_capacity(users.len());
    for (u, groups) in users.iter().zip(memberships) {
        let member_groups = groups.map_err(|e| graph_failure("group membership", &e))?;
        scanned.push(Scanned {
            user: core_user(u),
            display_name: PersonName::new(
                u.display_name.as_ref().map(|d| d.expose()).unwrap_or_default(),
            ),
            member_groups,
        });
    }

    // The recovery profiles, in the order resolution prefers them.
    let mut recovery: Vec<&VerifiedIdProfile> = profiles
        .iter()
        .filter(|p| p.state == EnabledState::Enabled)
        .filter(|p| {
            p.verified_id_usage_configurations
                .iter()
                .any(|u| matches!(u.purpose, UsagePurpose::Recovery | UsagePurpose::All))
        })
        .collect();
    recovery.sort_by_key(|p| (p.priority.is_none(), p.priority.unwrap_or(i32::MAX), p.id.clone()));

    // Who each profile resolves for (the core's resolution: targets, exclusions, priority).
    let mut scope: HashMap<String, (bool, Vec<usize>)> = HashMap::new();
    for (i, s) in scanned.iter().enumerate() {
        if let Resolution::Profile { profile, evaluation_mode } =
            resolve(&vc_policy, &profiles, &s.user.id, &s.member_groups)
        {
            let entry = scope.entry(profile.id.clone()).or_insert((evaluation_mode, Vec::new()));
            entry.1.push(i);
        }
    }

    // Roles of every in-scope user (the three reads the recovery makes).
    let in_scope: Vec<usize> = {
        let mut all: Vec<usize> = scope.values().flat_map(|(_, v)| v.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    let roles = futures::stream::iter(in_scope.iter().map(|i| {
        let id = scanned[*i].user.id.clone();
        async move { graph.user_roles(&id).await }
    }))
    .buffered(CONCURRENCY)
    .collect::<Vec<_>>()
    .await;
    let mut privileged: HashSet<usize> = HashSet::new();
    for (i, held) in in_scope.iter().zip(roles) {
        let held: Vec<String> = held
            .map_err(|e| graph_failure("directory roles", &e))?
            .into_iter()
            .map(|r| r.role_definition_id)
            .collect();
        if holds_refused_role(&held, refused_roles) {
            privileged.insert(*i);
        }
    }

    let candidates = Candidates::new(&scanned);
    let mut sections = Vec::with_capacity(recovery.len());
    for profile in recovery {
        let (evaluation_mode, members) = scope.remove(&profile.id).unwrap_or_else(|| {
            let eval = profile.verified_id_usage_configurations.iter().any(|u| {
                u.is_enabled_for_test_only
                    && matches!(u.purpose, UsagePurpose::Recovery | UsagePurpose::All)
            });
            (eval, Vec::new())
        });
        let mut section = ProfileSection {
            profile_id: profile.id.clone(),
            name: profile.name.clone(),
            evaluation_mode,
            in_scope: members.len(),
            notes: Vec::new(),
            findings: Vec::new(),
        };
        let bindings = &profile.verified_id_profile_configuration.claim_bindings;
        let resolved: Option<Vec<_>> =
            bindings.iter().map(|b| resolve_binding(b).ok()).collect::<Option<Vec<_>>>();
        let resolved = resolved.filter(|r| !r.is_empty());
        if resolved.is_none() {
            section.notes.push(
                "the profile's claim bindings cannot be evaluated: every recovery with it is \
                 refused (profile_unsupported); names were not checked"
                    .into(),
            );
        }
        for i in members {
            let s = &scanned[i];
            let mut add = |kind: FindingKind, detail: String| {
                section.findings.push(Finding {
                    kind,
                    upn: s.user.user_principal_name.clone(),
                    user_id: s.user.id.clone(),
                    display_name: s.display_name.clone(),
                    detail,
                });
            };
            if !s.user.is_enabled() {
                add(
                    FindingKind::Disabled,
                    "the account is disabled: enable it, or take it out of the recovery group"
                        .into(),
                );
            }
            if !s.user.is_member() {
                add(
                    FindingKind::Guest,
                    "a guest account: no Temporary Access Pass can be issued to it".into(),
                );
            }
            if privileged.contains(&i) {
                add(
                    FindingKind::PrivilegedRole,
                    "holds a directory role the recovery refuses (active, through a group or \
                     eligible): recover it with staff, not at a kiosk"
                        .into(),
                );
            }
            if !evaluation_mode && !tap_policy.covers(&s.user.id, &s.member_groups) {
                add(FindingKind::OutsideTapPolicy, tap_detail(&tap_policy, s));
            }
            let Some(resolved) = &resolved else { continue };
            let mut names_usable = true;
            let mut blank: Vec<&str> = Vec::new();
            let mut non_latin: Vec<&str> = Vec::new();
            let mut initials: Vec<&str> = Vec::new();
            for b in resolved {
                let label = field_label(b.field);
                let value = b.field.value_of(&s.user).map(PersonName::expose);
                match value.filter(|v| !is_blank(Some(v))) {
                    None => blank.push(label),
                    Some(v) if !has_latin_letter(v) => non_latin.push(label),
                    Some(v) if is_initials_only(v) => initials.push(label),
                    Some(_) => continue,
                }
                names_usable = false;
            }
            if !blank.is_empty() {
                add(
                    FindingKind::BlankName,
                    format!(
                        "{} blank in the directory: a blank name never matches; fill it in",
                        fields_text(&blank)
                    ),
                );
            }
            if !non_latin.is_empty() {
                add(
                    FindingKind::NonLatinName,
                    format!(
                        "{} no Latin letter: documents and providers give names in Latin \
                         letters; add the Latin spelling as on the passport",
                        fields_text_has(&non_latin)
                    ),
                );
            }
            if !initials.is_empty() {
                add(
                    FindingKind::InitialsOnly,
                    format!(
                        "{} only initials: a document spells names in full; fill in the full \
                         name",
                        fields_text(&initials)
                    ),
                );
            }
            if names_usable {
                let others = candidates.duplicates_of(i, bindings, &scanned);
                if !others.is_empty() {
                    add(
                        FindingKind::Duplicate,
                        format!(
                            "a credential with this user's directory names also matches {} under \
                             the profile's {} matching: the recovery ends duplicate_name; make \
                             the names distinct",
                            others.join(", "),
                            levels_text(resolved)
                        ),
                    );
                }
            }
        }
        section.findings.sort_by(|a, b| {
            (a.kind, a.upn.expose().to_lowercase()).cmp(&(b.kind, b.upn.expose().to_lowercase()))
        });
        sections.push(section);
    }
    Ok(ScanReport { users: scanned.len(), profiles: sections })
}

fn field_label(field: DirectoryAttribute) -> &'static str {
    match field {
        DirectoryAttribute::GivenName => "given name",
        DirectoryAttribute::Surname => "surname",
    }
}

fn dedup_fields<'a>(fields: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for f in fields {
        if !out.contains(f) {
            out.push(f);
        }
    }
    out
}

/// `given name is` / `given name and surname are`.
fn fields_text(fields: &[&str]) -> String {
    let f = dedup_fields(fields);
    if f.len() == 1 { format!("{} is", f[0]) } else { format!("{} are", f.join(" and ")) }
}

/// `given name has` / `given name and surname have`.
fn fields_text_has(fields: &[&str]) -> String {
    let f = dedup_fields(fields);
    if f.len() == 1 { format!("{} has", f[0]) } else { format!("{} have", f.join(" and ")) }
}

fn levels_text(resolved: &[reclaim_core::matching::ResolvedBinding<'_>]) -> &'static str {
    use reclaim_core::model::MatchConfidenceLevel;
    if resolved.iter().all(|b| b.level == MatchConfidenceLevel::Exact) {
        "exact"
    } else if resolved.iter().all(|b| b.level == MatchConfidenceLevel::Relaxed) {
        "relaxed"
    } else {
        "mixed"
    }
}

fn tap_detail(policy: &TapPolicy, s: &Scanned) -> String {
    if policy.state != EnabledState::Enabled {
        "the TemporaryAccessPass policy is disabled: no pass can be issued; enable it".into()
    } else if policy.exclude_targets.iter().any(|t| t.covers(&s.user.id, &s.member_groups)) {
        "excluded from the TemporaryAccessPass policy: the recovery is refused \
         (tap_policy_refused); remove the exclusion or take the user out of the recovery group"
            .into()
    } else {
        "in none of the TemporaryAccessPass policy's include targets: the recovery is refused \
         (tap_policy_refused); add the recovery group to the TAP policy"
            .into()
    }
}

/// At least one Latin letter once the relaxed fold has dropped diacritics (`Zoë` → `zoe`):
/// Cyrillic, Greek, CJK, Arabic … names have none.
fn has_latin_letter(value: &str) -> bool {
    relaxed_words(value, Reading::Split).iter().any(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
}

/// Every word one letter long (`J.`, `J. R.`).
fn is_initials_only(value: &str) -> bool {
    let words = relaxed_words(value, Reading::Split);
    !words.is_empty() && words.iter().all(|w| w.chars().count() == 1)
}

/// Users a credential could pair with, looked up by the first word of their given name (the
/// matcher's anchor: a directory user's first given-name word is always on the credential).
struct Candidates {
    /// first given-name word (any reading and spelling) → users (enabled members only).
    by_first_given: HashMap<String, Vec<usize>>,
    /// Enabled members (every one is a candidate when a profile binds no given name).
    all: Vec<usize>,
}

impl Candidates {
    fn new(scanned: &[Scanned]) -> Self {
        let mut by_first_given: HashMap<String, Vec<usize>> = HashMap::new();
        let mut all = Vec::new();
        for (i, s) in scanned.iter().enumerate() {
            // The recovery's duplicate check counts enabled members only.
            if !s.user.is_enabled() || !s.user.is_member() {
                continue;
            }
            all.push(i);
            let Some(given) = &s.user.given_name else { continue };
            let mut keys: Vec<String> = Vec::new();
            for reading in [Reading::Join, Reading::Split] {
                for spelling in Spelling::ALL {
                    if let Some(first) =
                        relaxed_words_as(given.expose(), reading, spelling).into_iter().next()
                        && !keys.contains(&first)
                    {
                        keys.push(first);
                    }
                }
            }
            for k in keys {
                by_first_given.entry(k).or_default().push(i);
            }
        }
        Self { by_first_given, all }
    }

    /// The principal names of the other enabled members a credential carrying user `i`'s
    /// directory names matches under `bindings` (the core's matcher, as the recovery runs it).
    fn duplicates_of(
        &self,
        i: usize,
        bindings: &[reclaim_core::ClaimBinding],
        scanned: &[Scanned],
    ) -> Vec<String> {
        let user = &scanned[i].user;
        let mut pairs: Vec<(String, String)> = Vec::new();
        for b in bindings {
            let (Ok(r), Some(field)) =
                (resolve_binding(b), DirectoryAttribute::from_label(&b.source_attribute))
            else {
                return Vec::new();
            };
            let Some(value) = field.value_of(user) else { return Vec::new() };
            pairs.push((r.claim.to_owned(), value.expose().to_owned()));
        }
        let claims = Claims::from_pairs(pairs);
        if match_user(bindings, user, &claims) != MatchOutcome::Matched {
            return Vec::new();
        }
        let binds_given = bindings.iter().any(|b| {
            DirectoryAttribute::from_label(&b.source_attribute)
                == Some(DirectoryAttribute::GivenName)
        });
        let pool: Vec<usize> = match (&user.given_name, binds_given) {
            (Some(given), true) => {
                let mut pool: Vec<usize> = search_words(given.expose())
                    .iter()
                    .filter_map(|w| self.by_first_given.get(w))
                    .flatten()
                    .copied()
                    .collect();
                pool.sort_unstable();
                pool.dedup();
                pool
            }
            _ => self.all.clone(),
        };
        let mut out: Vec<String> = pool
            .into_iter()
            .filter(|j| *j != i)
            .map(|j| &scanned[j].user)
            .filter(|u| u.id != user.id)
            .filter(|u| match_user(bindings, u, &claims) == MatchOutcome::Matched)
            .map(|u| u.user_principal_name.expose().to_owned())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Reading a tenant

/// The Graph client of a production configuration (its tenant credential from `secrets`).
pub fn graph_for_config(
    config: &Config,
    secrets: &dyn SecretStore,
) -> Result<GraphClient, ServiceError> {
    let Some(prod) = config.production() else {
        return Err(failure(
            "config_not_production",
            format!(
                "{}: the scan reads a real tenant: it needs station.mode = \"production\" with \
                 [tenant] and [endpoints] (or use `scan --demo`)",
                config.file
            ),
        ));
    };
    let credential =
        config.client_credential(secrets).map_err(|e| failure("config_invalid", e.to_string()))?;
    let http = config.http_client().map_err(|e| failure("config_invalid", e.to_string()))?;
    let tokens = reclaim_engine::production::token_source(&prod, credential, &http, TOKEN_RETRY)
        .map_err(|e| failure("config_invalid", format!("endpoints.login: {e}")))?;
    GraphClient::builder()
        .base_url(prod.endpoints.graph.as_str().trim_end_matches('/'))
        .token_source(Arc::new(tokens))
        .http_client(http)
        .retry_policy(RETRY)
        .build()
        .map_err(|e| failure("config_invalid", format!("endpoints.graph: {}", error_chain(&e))))
}

/// Scans the tenant of a production configuration.
pub async fn scan_config(
    config: &Config,
    secrets: &dyn SecretStore,
) -> Result<ScanReport, ServiceError> {
    let graph = graph_for_config(config, secrets)?;
    scan(&graph, &config.engine.refused_role_template_ids).await
}

/// Scans the in-process emulated tenant (the demo stack `reclaim-service --demo` starts),
/// as its kiosk app registration.
#[cfg(feature = "demo")]
pub async fn scan_demo() -> Result<ScanReport, ServiceError> {
    use reclaim_engine::demo::{DemoOptions, DemoStack, KIOSK_CLIENT_ID, KIOSK_SECRET};
    let stack = DemoStack::start(DemoOptions::default()).await?;
    let result = async {
        let u = stack.emulator().urls.clone();
        let endpoints =
            reclaim_entra::Endpoints::from_emulator_urls(&u.login, &u.graph, &u.request_service)
                .map_err(|e| failure("demo_tenant", error_chain(&e)))?;
        let http = reclaim_entra::default_http_client()
            .map_err(|e| failure("demo_tenant", error_chain(&e)))?;
        let tokens = reclaim_entra::TokenSource::builder()
            .authority(&endpoints.authority)
            .tenant(u.tenant.to_string())
            .client_id(KIOSK_CLIENT_ID)
            .client_secret(reclaim_entra::Secret::new(KIOSK_SECRET))
            .http_client(http.clone())
            .retry_policy(TOKEN_RETRY)
            .build()
            .map_err(|e| failure("demo_tenant", error_chain(&e)))?;
        let graph = GraphClient::builder()
            .base_url(&endpoints.graph)
            .token_source(Arc::new(tokens))
            .http_client(http)
            .retry_policy(RETRY)
            .build()
            .map_err(|e| failure("demo_tenant", error_chain(&e)))?;
        scan(&graph, &reclaim_core::roles::default_refused_role_ids()).await
    }
    .await;
    stack.shutdown().await;
    result
}

// ---------------------------------------------------------------------------------------------
// Output

/// The report's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Aligned columns for a terminal, one section per profile, a summary line.
    #[default]
    Table,
    /// RFC 4180: a header row, one row per finding.
    Csv,
    /// A standalone, accessible HTML page.
    Html,
}

/// The report in `format`.
pub fn render(report: &ScanReport, format: Format) -> String {
    match format {
        Format::Table => render_table(report),
        Format::Csv => render_csv(report),
        Format::Html => render_html(report),
    }
}

fn mode_text(p: &ProfileSection) -> &'static str {
    if p.evaluation_mode { "evaluation mode" } else { "production mode" }
}

/// Aligned columns (`FINDING  USER PRINCIPAL NAME  DISPLAY NAME  DETAIL`) per profile.
pub fn render_table(report: &ScanReport) -> String {
    let mut out = String::new();
    for p in &report.profiles {
        let _ = writeln!(
            out,
            "Profile \"{}\" ({}, {}): {} user{} in scope, {} finding{}",
            p.name,
            p.profile_id,
            mode_text(p),
            p.in_scope,
            plural(p.in_scope),
            p.findings.len(),
            plural(p.findings.len())
        );
        for note in &p.notes {
            let _ = writeln!(out, "  NOTE  {note}");
        }
        if p.findings.is_empty() {
            let _ = writeln!(out, "  (nothing found)");
        } else {
            let header = ["FINDING", "USER PRINCIPAL NAME", "DISPLAY NAME", "DETAIL"];
            let rows: Vec<[String; 4]> = p
                .findings
                .iter()
                .map(|f| {
                    [
                        f.kind.code().to_owned(),
                        one_line(f.upn.expose()),
                        one_line(f.display_name.expose()),
                        f.detail.clone(),
                    ]
                })
                .collect();
            let mut widths = header.map(|h| h.chars().count());
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let line = |cells: [&str; 4]| {
                let mut l = String::from("  ");
                for (k, (c, w)) in cells.iter().zip(widths).enumerate() {
                    if k == 3 {
                        l.push_str(c);
                    } else {
                        l.push_str(c);
                        l.push_str(&" ".repeat(w - c.chars().count() + 2));
                    }
                }
                l.trim_end().to_owned()
            };
            let _ = writeln!(out, "{}", line(header));
            for r in &rows {
                let _ = writeln!(out, "{}", line([&r[0], &r[1], &r[2], &r[3]]));
            }
        }
        out.push('\n');
    }
    out.push_str(&report.summary());
    out.push('\n');
    out
}

/// Control characters (a line break in a display name) would break the table's lines.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// One RFC 4180 field: quoted when it holds a comma, a quote, CR or LF (quotes doubled).
pub fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// `profile,finding,user principal name,user id,detail`, one row per finding, CRLF line ends.
pub fn render_csv(report: &ScanReport) -> String {
    let mut out = String::from("profile,finding,user principal name,user id,detail\r\n");
    for (p, f) in report.findings() {
        let row = [p.name.as_str(), f.kind.code(), f.upn.expose(), &f.user_id, &f.detail];
        let fields: Vec<String> = row.iter().map(|v| csv_field(v)).collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A standalone page: `lang`, a caption and `th scope` per table, inline style only, every
/// value escaped.
pub fn render_html(report: &ScanReport) -> String {
    let e = html_escape;
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Reclaim directory readiness</title>\n<style>\n\
         body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;background:#fff}\n\
         table{border-collapse:collapse;margin:0 0 2rem;width:100%}\n\
         caption{text-align:left;font-weight:600;padding:.5rem 0}\n\
         th,td{border:1px solid #767676;padding:.35rem .6rem;text-align:left;vertical-align:top}\n\
         th{background:#f0f0f0}\n</style>\n</head>\n<body>\n<main>\n\
         <h1>Directory readiness</h1>\n",
    );
    let _ = writeln!(out, "<p>{}</p>", e(&report.summary()));
    for p in &report.profiles {
        let _ = writeln!(
            out,
            "<h2>{}</h2>\n<p>{}, {}: {} user{} in scope.</p>",
            e(&p.name),
            e(&p.profile_id),
            mode_text(p),
            p.in_scope,
            plural(p.in_scope)
        );
        for note in &p.notes {
            let _ = writeln!(out, "<p><strong>Note:</strong> {}</p>", e(note));
        }
        if p.findings.is_empty() {
            let _ = writeln!(out, "<p>Nothing found.</p>");
            continue;
        }
        let _ = writeln!(
            out,
            "<table>\n<caption>{}: {} finding{}</caption>\n<thead><tr><th scope=\"col\">Finding</th>\
             <th scope=\"col\">User principal name</th><th scope=\"col\">Display name</th>\
             <th scope=\"col\">User id</th><th scope=\"col\">Detail</th></tr></thead>\n<tbody>",
            e(&p.name),
            p.findings.len(),
            plural(p.findings.len())
        );
        for f in &p.findings {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(f.kind.code()),
                e(f.upn.expose()),
                e(f.display_name.expose()),
                e(&f.user_id),
                e(&f.detail)
            );
        }
        let _ = writeln!(out, "</tbody>\n</table>");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn finding(kind: FindingKind, upn: &str, display: &str, detail: &str) -> Finding {
        Finding {
            kind,
            upn: Upn::new(upn),
            user_id: "1a000000-0000-4000-8000-0000000000ff".into(),
            display_name: PersonName::new(display),
            detail: detail.into(),
        }
    }

    fn report(findings: Vec<Finding>) -> ScanReport {
        ScanReport {
            users: 3,
            profiles: vec![ProfileSection {
                profile_id: "9a000000-0000-4000-8000-000000000001".into(),
                name: "Recovery, \"main\" <prod>".into(),
                evaluation_mode: false,
                in_scope: 2,
                notes: Vec::new(),
                findings,
            }],
        }
    }

    fn user(id: usize, given: Option<&str>, surname: Option<&str>) -> Scanned {
        Scanned {
            user: DirectoryUser {
                id: format!("u{id}"),
                user_principal_name: Upn::new(format!("u{id}@contoso.example")),
                given_name: given.map(PersonName::new),
                surname: surname.map(PersonName::new),
                account_enabled: Some(true),
                user_type: Some("Member".into()),
            },
            display_name: PersonName::new(""),
            member_groups: Vec::new(),
        }
    }

    fn bindings(level: reclaim_core::MatchConfidenceLevel) -> Vec<reclaim_core::ClaimBinding> {
        [("First name", "firstName"), ("Last name", "lastName")]
            .into_iter()
            .map(|(attribute, claim)| reclaim_core::ClaimBinding {
                source_attribute: attribute.into(),
                verified_id_claim: format!("vc.credentialSubject.{claim}"),
                match_confidence_level: level,
            })
            .collect()
    }

    /// The candidate index finds exactly what running the matcher on every enabled member finds
    /// (spellings, apostrophes, compound names crossing fields, case).
    #[test]
    fn the_candidate_index_misses_no_duplicate_the_matcher_finds() {
        let names: [(Option<&str>, Option<&str>); 14] = [
            (Some("Jürgen"), Some("Müller")),
            (Some("JUERGEN"), Some("MUELLER")),
            (Some("Jurgen"), Some("Muller")),
            (Some("Siobhán"), Some("O'Brien")),
            (Some("Siobhan"), Some("OBrien")),
            (Some("Maria"), Some("da Silva Santos")),
            (Some("Maria da Silva"), Some("Santos")),
            (Some("Maria"), Some("Santos")),
            (Some("Ana"), Some("Lima")),
            (Some("Ana"), Some("Lima Costa")),
            (Some("ana"), Some("LIMA")),
            (Some("Søren"), Some("Ødegård")),
            (Some("SOEREN"), Some("OEDEGAARD")),
            (None, Some("Lima")),
        ];
        let scanned: Vec<Scanned> =
            names.iter().enumerate().map(|(i, (g, s))| user(i, *g, *s)).collect();
        let candidates = Candidates::new(&scanned);
        for level in
            [reclaim_core::MatchConfidenceLevel::Relaxed, reclaim_core::MatchConfidenceLevel::Exact]
        {
            let bindings = bindings(level);
            let mut found_any = false;
            for (i, s) in scanned.iter().enumerate() {
                let indexed = candidates.duplicates_of(i, &bindings, &scanned);
                let (Some(g), Some(sn)) = (&s.user.given_name, &s.user.surname) else {
                    assert!(indexed.is_empty());
                    continue;
                };
                let claims =
                    Claims::from_pairs([("firstName", g.expose()), ("lastName", sn.expose())]);
                let brute: Vec<String> = scanned
                    .iter()
                    .filter(|o| o.user.id != s.user.id)
                    .filter(|o| match_user(&bindings, &o.user, &claims) == MatchOutcome::Matched)
                    .map(|o| o.user.user_principal_name.expose().to_owned())
                    .collect();
                let mut brute = brute;
                brute.sort();
                assert_eq!(indexed, brute, "{level:?} {i}");
                found_any |= !indexed.is_empty();
            }
            assert!(found_any, "the set has duplicates under {level:?}");
        }
        // Jürgen Müller's credential pairs with the MRZ spelling (relaxed) but not with Muller.
        let relaxed = bindings(reclaim_core::MatchConfidenceLevel::Relaxed);
        let d = candidates.duplicates_of(0, &relaxed, &scanned);
        assert!(d.contains(&"u1@contoso.example".to_owned()), "{d:?}");
    }

    #[test]
    fn names_without_latin_letters_or_with_initials_only_are_recognised() {
        assert!(!has_latin_letter("Дмитрий"));
        assert!(!has_latin_letter("Σοφία"));
        assert!(!has_latin_letter("王"));
        assert!(has_latin_letter("Zoë"));
        assert!(has_latin_letter("Łukasz"));
        assert!(is_initials_only("J."));
        assert!(is_initials_only("J. R."));
        assert!(!is_initials_only("Jo"));
        assert!(!is_initials_only("J. Robert"));
    }

    #[test]
    fn the_html_escapes_every_value_and_is_accessible() {
        let r = report(vec![finding(
            FindingKind::Duplicate,
            "a&b@contoso.example",
            "<script>alert('x')</script>",
            "matches \"x\" & <y>",
        )]);
        let html = render_html(&r);
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "{html}");
        assert!(html.contains("a&amp;b@contoso.example"), "{html}");
        assert!(html.contains("matches &quot;x&quot; &amp; &lt;y&gt;"), "{html}");
        assert!(html.contains("Recovery, &quot;main&quot; &lt;prod&gt;"), "{html}");
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{html}");
        assert!(html.contains("<caption>"), "{html}");
        assert!(html.contains("<th scope=\"col\">Finding</th>"), "{html}");
        assert!(html.contains("<th scope=\"row\">"), "{html}");
        for external in ["src=", "href=", "@import", "url("] {
            assert!(!html.contains(external), "no external asset ({external}): {html}");
        }
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        let r = report(vec![finding(FindingKind::BlankName, "x@contoso.example", "X", "a, \"b\"")]);
        let csv = render_csv(&r);
        assert_eq!(
            csv,
            "profile,finding,user principal name,user id,detail\r\n\
             \"Recovery, \"\"main\"\" <prod>\",blank-name,x@contoso.example,\
             1a000000-0000-4000-8000-0000000000ff,\"a, \"\"b\"\"\"\r\n"
        );
    }

    #[test]
    fn the_table_aligns_its_columns_and_ends_with_the_summary() {
        let r = report(vec![
            finding(FindingKind::Disabled, "a@contoso.example", "A", "d1"),
            finding(FindingKind::Duplicate, "longer.name@contoso.example", "Bee Line", "d2"),
        ]);
        let text = render_table(&r);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("Profile \"Recovery, \"main\" <prod>\""), "{text}");
        let header = lines[1];
        let col = header.find("USER PRINCIPAL NAME").unwrap();
        assert_eq!(lines[2].find("a@contoso.example"), Some(col), "{text}");
        assert_eq!(lines[3].find("longer.name@contoso.example"), Some(col), "{text}");
        let detail = header.find("DETAIL").unwrap();
        assert_eq!(lines[2].find("d1"), Some(detail), "{text}");
        assert_eq!(
            lines.last().copied(),
            Some("scanned 3 users, 1 recovery profile: 2 findings (1 disabled, 1 duplicate)")
        );
        // Debug never shows a principal or display name.
        let debug = format!("{r:?}");
        assert!(!debug.contains("a@contoso.example") && !debug.contains("Bee Line"), "{debug}");
    }
}
