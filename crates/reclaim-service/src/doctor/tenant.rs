//! The tenant's checks: tokens for Graph and the Request Service, the Graph reads the engine makes,
//! the Request Service accepting the token, the Verified ID authority and profiles.

#[allow(clippy::wildcard_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// tokens

#[derive(Deserialize)]
pub(super) struct RoleClaims {
    #[serde(default)]
    pub(super) roles: Vec<String>,
}

/// The `roles` of a JWT access token (read without verifying: only to say what was granted);
/// `None` when the token is not a readable JWT.
pub(super) fn token_roles(token: &str) -> Option<Vec<String>> {
    jsonwebtoken::dangerous::insecure_decode_claims::<RoleClaims>(token).ok().map(|c| c.roles)
}

pub(super) fn roles_text(roles: &Option<Vec<String>>) -> String {
    match roles {
        None => "roles not readable (not a JWT)".into(),
        Some(r) if r.is_empty() => "no application permission granted".into(),
        Some(r) => format!("roles {}", r.join(", ")),
    }
}

/// The first line of an AADSTS description (`AADSTS7000215: Invalid client secret provided…`),
/// without its code (shown already) and the trace and correlation ids.
pub(super) fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or("").trim();
    match line.strip_prefix("AADSTS").and_then(|rest| rest.split_once(':')) {
        Some((code, rest)) if code.chars().all(|c| c.is_ascii_digit()) => rest.trim(),
        _ => line,
    }
}

pub(super) fn token_failure(
    setup: &Setup<'_>,
    id: CheckId,
    resource: &str,
    e: &EntraError,
) -> Check {
    let tenant = &setup.prod.tenant;
    let file = &setup.config.file;
    match e {
        EntraError::Token(t) => {
            let code = t.aadsts.first().copied();
            let detail = match (code, &t.description) {
                (Some(c), Some(d)) => {
                    format!("AADSTS{c} {} (HTTP {}): {}", t.error, t.status, first_line(d))
                }
                (Some(c), None) => format!("AADSTS{c} {} (HTTP {})", t.error, t.status),
                (None, _) => format!("{} (HTTP {})", t.error, t.status),
            };
            Check::fail(id, detail, token_fix(t, setup, resource))
        }
        EntraError::Transport { .. } => Check::fail(
            id,
            format!("cannot reach the token endpoint: {}", error_chain(e)),
            format!(
                "check endpoints.login in {file}, the network (DNS, proxy, firewall) and, for a \
                 private CA, endpoints.ca_file"
            ),
        ),
        EntraError::UnexpectedStatus { status, .. } | EntraError::Decode { status, .. } => {
            Check::fail(
                id,
                format!("the token endpoint answered HTTP {status} without an OAuth error body"),
                format!(
                    "endpoints.login in {file} must be the identity platform's root \
                     (https://login.microsoftonline.com for the public cloud), and [tenant] id \
                     ({}) the tenant's id or domain",
                    tenant.id
                ),
            )
        }
        other => Check::fail(
            id,
            error_chain(other),
            format!("check [tenant] and endpoints.login in {file}"),
        ),
    }
}

pub(super) fn token_fix(t: &TokenError, setup: &Setup<'_>, resource: &str) -> String {
    let tenant = &setup.prod.tenant;
    let file = &setup.config.file;
    let client = tenant.client_id;
    let has = |codes: &[u32]| codes.iter().any(|c| t.has_aadsts(*c));
    if has(&[7000215, 7000222]) {
        format!(
            "the client secret is wrong or expired: create a new client secret for app {client} \
             (Certificates & secrets) and store its value with `reclaim-config set-secret \
             client-secret`"
        )
    } else if has(&[700016]) {
        format!(
            "app {client} is not registered in tenant {}: check [tenant] client_id and id in \
             {file}",
            tenant.id
        )
    } else if has(&[90002, 900023, 90072]) {
        format!("tenant {} was not found: check [tenant] id in {file}", tenant.id)
    } else if has(&[700027, 700024, 700023, 7000274]) {
        format!(
            "the certificate assertion was refused: upload the certificate in \
             [tenant.credential] path to app {client} (Certificates & secrets) and check this \
             machine's clock"
        )
    } else if has(&[70011, 1002012, 500011]) {
        format!(
            "the tenant has no service for {resource}: for the Request Service, set up Verified \
             ID in the tenant (its service principal \"Verifiable Credentials Service Request\", \
             {REQUEST_SERVICE_APP}, must exist)"
        )
    } else if let Some(code) = t.aadsts.first() {
        format!("look the code up: https://login.microsoftonline.com/error?code={code}")
    } else {
        format!("check [tenant] and [tenant.credential] in {file}")
    }
}

/// A bearer token and the roles it carries (when readable).
pub(super) struct Granted {
    pub(super) token: SecretString,
    pub(super) roles: Option<Vec<String>>,
}

/// A token for `scope`, and its check line.
pub(super) async fn check_token(
    setup: &Setup<'_>,
    tokens: &TokenSource,
    id: CheckId,
    scope: &str,
) -> (Check, Option<Granted>) {
    match tokio::time::timeout(STEP_TIMEOUT, tokens.token(scope)).await {
        Ok(Ok(t)) => {
            let token = SecretString::from(t.secret().expose().to_owned());
            let roles = token_roles(token.expose_secret());
            let check = Check::pass(id, format!("granted for {scope}; {}", roles_text(&roles)));
            (check, Some(Granted { token, roles }))
        }
        Ok(Err(e)) => (token_failure(setup, id, scope, &e), None),
        Err(_) => (
            Check::fail(
                id,
                format!("the token endpoint did not answer within {STEP_TIMEOUT:?}"),
                "check endpoints.login, the network and the proxy",
            ),
            None,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// tenant: tokens → Graph reads, Request Service → Verified ID

/// The tenant's lines, and the warnings its reads gave (a recovery group the TAP policy misses).
pub(super) async fn check_tenant(setup: &Setup<'_>) -> (Vec<Check>, Vec<String>) {
    let Some(tokens) = &setup.tokens else {
        let checks = [
            CheckId::GraphToken,
            CheckId::RequestServiceToken,
            CheckId::GraphPermissions,
            CheckId::RequestService,
            CheckId::VerifiedId,
        ]
        .into_iter()
        .map(|id| Check::skipped(id, CheckId::Config, Some("the tenant credential")))
        .collect();
        return (checks, Vec::new());
    };
    let ((graph_token, graph), (rs_token, rs)) = tokio::join!(
        check_token(setup, tokens, CheckId::GraphToken, GRAPH_SCOPE),
        check_token(setup, tokens, CheckId::RequestServiceToken, REQUEST_SERVICE_SCOPE),
    );
    let graph_reads = async {
        match &graph {
            Some(g) => check_graph(setup, tokens, g).await,
            None => (Check::skipped(CheckId::GraphPermissions, CheckId::GraphToken, None), None),
        }
    };
    let rs_access = async {
        match &rs {
            Some(g) => check_request_service(setup, g).await,
            None => Check::skipped(CheckId::RequestService, CheckId::RequestServiceToken, None),
        }
    };
    let ((graph_check, reads), rs_check) = tokio::join!(graph_reads, rs_access);
    let verified_id = match &reads {
        Some(reads) => check_verified_id(setup, reads),
        None if !graph_token.passed => {
            Check::skipped(CheckId::VerifiedId, CheckId::GraphToken, None)
        }
        None => Check::skipped(
            CheckId::VerifiedId,
            CheckId::GraphPermissions,
            Some("the verifiedIdProfiles list"),
        ),
    };
    let warnings = reads.map(|r| r.warnings).unwrap_or_default();
    (vec![graph_token, rs_token, graph_check, rs_check, verified_id], warnings)
}

/// Why one Graph read failed.
pub(super) struct ReadFailure {
    pub(super) path: &'static str,
    pub(super) status: Option<u16>,
    pub(super) text: String,
}

impl ReadFailure {
    fn from_entra(path: &'static str, e: &EntraError) -> Self {
        match e {
            EntraError::Graph(g) => Self::from_graph(path, g),
            other => Self { path, status: other.status(), text: error_chain(other) },
        }
    }

    fn from_graph(path: &'static str, g: &GraphError) -> Self {
        Self { path, status: Some(g.status), text: g.code.clone() }
    }

    fn timeout(path: &'static str) -> Self {
        Self { path, status: None, text: format!("no answer within {STEP_TIMEOUT:?}") }
    }
}

/// The least application permission a read needs (contract §4.0).
pub(super) fn permission_for(path: &str) -> &'static str {
    match path {
        USERS_PATH => "User.Read.All",
        MEMBER_GROUPS_PATH => "GroupMember.Read.All",
        VC_POLICY_PATH | TAP_POLICY_PATH => "Policy.Read.AuthenticationMethod",
        GROUP_MEMBER_GROUPS_PATH => "GroupMember.Read.All",
        PROFILES_PATH => "VerifiedId-Profile.Read.All",
        ROLES_PATH => "RoleManagement.Read.Directory",
        _ => "Directory.Read.All",
    }
}

/// What the Graph reads gave the Verified ID check.
pub(super) struct GraphReads {
    pub(super) vc_policy: Option<VcMethodPolicy>,
    /// The TemporaryAccessPass policy (its state fails the Verified ID check when disabled).
    pub(super) tap_policy: Option<TapPolicy>,
    /// What passes but should be known: a production profile's group the TAP policy misses.
    pub(super) warnings: Vec<String>,
    pub(super) profiles: Vec<VerifiedIdProfile>,
    /// Profiles the engine cannot read (skipped by it too).
    pub(super) unreadable_profiles: usize,
}

pub(super) async fn step<T>(
    path: &'static str,
    call: impl std::future::Future<Output = Result<T, EntraError>>,
) -> Result<T, ReadFailure> {
    match tokio::time::timeout(STEP_TIMEOUT, call).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ReadFailure::from_entra(path, &e)),
        Err(_) => Err(ReadFailure::timeout(path)),
    }
}

/// Entra's model → the core's (both are the Graph JSON), as the engine's directory does.
pub(super) fn convert<A: Serialize, B: serde::de::DeserializeOwned>(a: &A) -> Option<B> {
    serde_json::to_value(a).ok().and_then(|v| serde_json::from_value(v).ok())
}

/// `GET {graph}/v1.0/users?$top=1&$select=id`: a user id, or `None` in an empty directory.
pub(super) async fn first_user(
    setup: &Setup<'_>,
    token: &str,
) -> Result<Option<String>, ReadFailure> {
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        value: Vec<Id>,
    }
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let url = format!("{}{USERS_PATH}", root(&setup.prod.endpoints.graph));
    let send = setup.http.get(&url).bearer_auth(token).timeout(STEP_TIMEOUT).send();
    let resp = send.await.map_err(|e| ReadFailure {
        path: USERS_PATH,
        status: None,
        text: format!("cannot reach Graph: {}", error_chain(&e)),
    })?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map_err(|e| ReadFailure {
        path: USERS_PATH,
        status: Some(status),
        text: error_chain(&e),
    })?;
    if status != 200 {
        return Err(match GraphError::parse(status, &headers, &body) {
            Some(g) => ReadFailure::from_graph(USERS_PATH, &g),
            None => ReadFailure {
                path: USERS_PATH,
                status: Some(status),
                text: "no Graph error body".into(),
            },
        });
    }
    let page: Page = serde_json::from_slice(&body).map_err(|e| ReadFailure {
        path: USERS_PATH,
        status: Some(status),
        text: format!("not a user collection: {e}"),
    })?;
    Ok(page.value.into_iter().next().map(|u| u.id))
}

pub(super) async fn check_graph(
    setup: &Setup<'_>,
    tokens: &Arc<TokenSource>,
    granted: &Granted,
) -> (Check, Option<GraphReads>) {
    let id = CheckId::GraphPermissions;
    let graph = GraphClient::builder()
        .base_url(root(&setup.prod.endpoints.graph))
        .token_source(tokens.clone())
        .http_client(setup.http.clone())
        .retry_policy(RETRY)
        .build();
    let graph = match graph {
        Ok(g) => g,
        Err(e) => {
            return (
                Check::fail(
                    id,
                    format!("endpoints.graph: {}", error_chain(&e)),
                    "fix endpoints.graph",
                ),
                None,
            );
        }
    };
    let (user, vc, tap, profiles) = tokio::join!(
        first_user(setup, granted.token.expose_secret()),
        step(VC_POLICY_PATH, graph.get_verifiable_credentials_policy()),
        step(TAP_POLICY_PATH, graph.get_tap_policy()),
        step(PROFILES_PATH, graph.list_verified_id_profiles()),
    );

    let mut failures: Vec<ReadFailure> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut shape: Vec<String> = Vec::new();
    let vc_policy: Option<VcMethodPolicy> = match vc {
        Ok(p) => {
            let core = convert(&p);
            if core.is_none() {
                shape.push("the VerifiableCredentials policy".into());
            }
            core
        }
        Err(f) => {
            failures.push(f);
            None
        }
    };
    let tap_policy: Option<TapPolicy> = match tap {
        Ok(p) => {
            let core = convert(&p);
            if core.is_none() {
                shape.push("the TemporaryAccessPass policy".into());
            }
            core
        }
        Err(f) => {
            failures.push(f);
            None
        }
    };
    let profiles_read = match profiles {
        Ok(list) => Some(list),
        Err(f) => {
            failures.push(f);
            None
        }
    };

    // checkMemberGroups, as the engine asks it: the policies' groups, for a real user.
    match user {
        Ok(Some(user_id)) => {
            let mut groups: Vec<String> = vc_policy
                .as_ref()
                .map(|p| groups_to_check(p).into_iter().flatten().collect())
                .unwrap_or_default();
            for g in tap_policy.as_ref().map(TapPolicy::group_ids).unwrap_or_default() {
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
            groups.truncate(reclaim_core::profile::CHECK_MEMBER_GROUPS_CHUNK);
            if groups.is_empty() {
                groups.push(PROBE_GROUP.to_owned());
            }
            let call = graph.check_member_groups(&user_id, &groups);
            if let Err(f) = step(MEMBER_GROUPS_PATH, call).await {
                failures.push(f);
            }
            // The privileged-role check reads the user's roles before every recovery.
            if let Err(f) = step(ROLES_PATH, graph.user_roles(&user_id)).await {
                failures.push(f);
            }
        }
        Ok(None) => notes
            .push("no user in the directory to try checkMemberGroups and the role reads on".into()),
        Err(f) => failures.push(f),
    }

    // Every production recovery profile's groups must be in the TAP policy (nested counts).
    let mut tap_warnings: Vec<String> = Vec::new();
    if let (Some(vc), Some(tap), Some(list)) = (&vc_policy, &tap_policy, &profiles_read) {
        let core: Vec<VerifiedIdProfile> = list.iter().filter_map(convert).collect();
        let (warnings, failed) = tap_coverage(&graph, vc, tap, &core).await;
        tap_warnings = warnings;
        failures.extend(failed);
    }

    // Creating the TAP cannot be tried without creating one: read the token's roles instead.
    let mut missing: Vec<&'static str> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    match &granted.roles {
        Some(roles) if !TAP_WRITE_ROLES.iter().any(|r| roles.iter().any(|g| g == r)) => {
            problems.push(format!(
                "the token lacks {} (creating the Temporary Access Pass)",
                TAP_WRITE_ROLES[0]
            ));
            missing.push(TAP_WRITE_ROLES[0]);
        }
        Some(_) => notes.push("may create TAPs".into()),
        None => notes.push("TAP creation not checked (token roles not readable)".into()),
    }
    let mut other_fix: Option<String> = None;
    for f in &failures {
        match f.status {
            Some(403) => {
                let permission = permission_for(f.path);
                problems.push(format!("403 on {} — grant {permission}", f.path));
                if !missing.contains(&permission) {
                    missing.push(permission);
                }
            }
            Some(401) => {
                problems.push(format!("401 on {} ({}): Graph refused the token", f.path, f.text));
                other_fix.get_or_insert_with(|| {
                    "endpoints.graph must be the Graph of the cloud endpoints.login issues \
                     tokens for"
                        .into()
                });
            }
            Some(status) => {
                problems.push(format!("{status} on {} ({})", f.path, f.text));
                other_fix.get_or_insert_with(|| {
                    "Graph answered with an error: run `reclaim doctor` again; if it stays, \
                     check endpoints.graph"
                        .into()
                });
            }
            None => {
                problems.push(format!("{}: {}", f.path, f.text));
                other_fix.get_or_insert_with(|| {
                    "check endpoints.graph, the network and endpoints.ca_file".into()
                });
            }
        }
    }
    if !shape.is_empty() {
        problems.push(format!("{} has a shape the engine cannot read", shape.join(" and ")));
        other_fix.get_or_insert_with(|| "check the policy in the Entra admin center".into());
    }

    let reads = profiles_read.map(|list| {
        let total = list.len();
        let profiles: Vec<VerifiedIdProfile> = list.iter().filter_map(convert).collect();
        GraphReads {
            vc_policy: vc_policy.clone(),
            tap_policy: tap_policy.clone(),
            warnings: tap_warnings,
            unreadable_profiles: total - profiles.len(),
            profiles,
        }
    });
    let check = if problems.is_empty() {
        let profiles = reads.as_ref().map_or(0, |r| r.profiles.len());
        let mut detail = format!(
            "read users, group membership, both method policies and {profiles} profile{}",
            plural(profiles)
        );
        for n in &notes {
            detail.push_str("; ");
            detail.push_str(n);
        }
        Check::pass(id, detail)
    } else {
        let mut fixes: Vec<String> = Vec::new();
        if !missing.is_empty() {
            fixes.push(format!(
                "in the app registration {} (API permissions → Add a permission → Microsoft \
                 Graph → Application permissions) add {}, then “Grant admin consent”",
                setup.prod.tenant.client_id,
                missing.join(", ")
            ));
        }
        fixes.extend(other_fix);
        Check::fail(id, problems.join("; "), fixes.join("; "))
    };
    (check, reads)
}

pub(super) async fn check_request_service(setup: &Setup<'_>, granted: &Granted) -> Check {
    let id = CheckId::RequestService;
    let client = setup.prod.tenant.client_id;
    let grant = format!(
        "grant app {client} the application permission VerifiableCredential.Create.PresentRequest \
         of the API “Verifiable Credentials Service Request” ({REQUEST_SERVICE_APP}) and “Grant \
         admin consent”"
    );
    let url = format!(
        "{}/v1.0/verifiableCredentials/createPresentationRequest",
        root(&setup.prod.endpoints.request_service)
    );
    // An empty request: refused with 400 after the token is accepted; nothing is created.
    let send = setup
        .http
        .post(&url)
        .bearer_auth(granted.token.expose_secret())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body("{}")
        .timeout(STEP_TIMEOUT)
        .send();
    let resp = match send.await {
        Ok(r) => r,
        Err(e) => {
            return Check::fail(
                id,
                format!("cannot reach {}: {}", host_of(&url), error_chain(&e)),
                "check endpoints.request_service, the network and endpoints.ca_file",
            );
        }
    };
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.unwrap_or_default();
    let error = RequestServiceError::parse(status, &headers, &body);
    let code = error
        .as_ref()
        .map(|e| match &e.inner_code {
            Some(inner) => format!("{} / {inner}", e.code),
            None => e.code.clone(),
        })
        .unwrap_or_else(|| "no Request Service error body".into());
    let lacks_role = granted
        .roles
        .as_ref()
        .is_some_and(|r| !PRESENT_ROLES.iter().any(|p| r.iter().any(|g| g == p)));
    match status {
        401 | 403 => Check::fail(
            id,
            format!("{status} {code} on createPresentationRequest: the service refuses the token"),
            grant,
        ),
        _ if lacks_role => Check::fail(
            id,
            format!("the token carries neither {}", PRESENT_ROLES.join(" nor ")),
            grant,
        ),
        400 if error.is_some() => Check::pass(
            id,
            format!(
                "accepts the token (an empty createPresentationRequest is refused with 400 \
                 {code}; nothing was created)"
            ),
        ),
        _ => Check::fail(
            id,
            format!("HTTP {status} ({code}) from {url} for an empty request (expected 400)"),
            "endpoints.request_service must be the Request Service's root \
             (https://verifiedid.did.msidentity.com)",
        ),
    }
}

/// The enabled recovery profiles that issue a TAP (no qualifying usage in evaluation mode).
pub(super) fn production_profiles(profiles: &[VerifiedIdProfile]) -> Vec<&VerifiedIdProfile> {
    profiles
        .iter()
        .filter(|p| p.state == EnabledState::Enabled)
        .filter(|p| {
            let usages: Vec<_> = p
                .verified_id_usage_configurations
                .iter()
                .filter(|u| matches!(u.purpose, UsagePurpose::Recovery | UsagePurpose::All))
                .collect();
            !usages.is_empty() && !usages.iter().any(|u| u.is_enabled_for_test_only)
        })
        .collect()
}

/// One warning per group of a production recovery profile (a VerifiableCredentials include
/// target mapped to it) that the enabled TAP policy does not include — directly, through a group
/// it is nested in (`POST /groups/{id}/checkMemberGroups`), or as `all_users` — or excludes.
/// Nothing when the policy is disabled (the Verified ID check fails on that).
async fn tap_coverage(
    graph: &GraphClient,
    vc: &VcMethodPolicy,
    tap: &TapPolicy,
    profiles: &[VerifiedIdProfile],
) -> (Vec<String>, Vec<ReadFailure>) {
    use reclaim_core::model::TargetType;
    let mut warnings = Vec::new();
    let mut failures = Vec::new();
    if tap.state != EnabledState::Enabled {
        return (warnings, failures);
    }
    let groups_of = |targets: &[reclaim_core::PolicyTarget]| -> Vec<String> {
        targets
            .iter()
            .filter(|t| t.target_type == TargetType::Group && t.id != "all_users")
            .map(|t| t.id.clone())
            .collect()
    };
    let all_users = tap.include_targets.iter().any(|t| t.id == "all_users");
    let included = groups_of(&tap.include_targets);
    let excluded = groups_of(&tap.exclude_targets);
    let mut seen: Vec<String> = Vec::new();
    let mut production = production_profiles(profiles);
    production.sort_by_key(|p| (p.priority.is_none(), p.priority.unwrap_or(i32::MAX)));
    for profile in production {
        for target in
            vc.include_targets.iter().filter(|t| t.verified_id_profiles.contains(&profile.id))
        {
            if target.target_type != TargetType::Group || seen.contains(&target.id) {
                continue;
            }
            seen.push(target.id.clone());
            let who = format!("group {} of recovery profile \"{}\"", target.id, profile.name);
            if target.id == "all_users" {
                if !all_users {
                    warnings.push(format!(
                        "TAP policy: every user is in the scope of recovery profile \"{}\" but \
                         the TemporaryAccessPass policy does not include all users: those outside \
                         its groups are verified, then refused a pass",
                        profile.name
                    ));
                }
                continue;
            }
            let wanted: Vec<String> = included.iter().chain(&excluded).cloned().collect();
            let nested = if wanted.is_empty() {
                Vec::new()
            } else {
                let call = graph.check_group_member_groups(&target.id, &wanted);
                match step(GROUP_MEMBER_GROUPS_PATH, call).await {
                    Ok(n) => n,
                    Err(f) => {
                        failures.push(f);
                        return (warnings, failures);
                    }
                }
            };
            let within = |ids: &[String]| {
                ids.iter().any(|g| g.eq_ignore_ascii_case(&target.id) || nested.contains(g))
            };
            if within(&excluded) {
                warnings.push(format!(
                    "TAP policy: {who} is excluded from the TemporaryAccessPass policy: its users \
                     are verified, then refused a pass; remove the exclusion"
                ));
            } else if !all_users && !within(&included) {
                warnings.push(format!(
                    "TAP policy: {who} is not in the TemporaryAccessPass policy: its users are \
                     verified, then refused a pass; add the group (or a group it is in) to the \
                     policy's include targets"
                ));
            }
        }
    }
    (warnings, failures)
}

// ---------------------------------------------------------------------------------------------
// Verified ID

pub(super) fn check_verified_id(setup: &Setup<'_>, reads: &GraphReads) -> Check {
    let id = CheckId::VerifiedId;
    let file = &setup.config.file;
    let authority = &setup.prod.verifier.authority;
    let mut problems: Vec<String> = Vec::new();
    let mut fixes: Vec<String> = Vec::new();

    if let Some(policy) = &reads.vc_policy
        && policy.state != EnabledState::Enabled
    {
        problems.push("the Verified ID authentication method is disabled".into());
        fixes.push(
            "enable Verified ID in the Entra admin center (Authentication methods → Policies)"
                .into(),
        );
    }
    if let Some(tap) = &reads.tap_policy
        && tap.state != EnabledState::Enabled
    {
        problems.push(
            "the Temporary Access Pass authentication method is disabled: no recovery can issue \
             a pass"
                .into(),
        );
        fixes.push(
            "enable Temporary Access Pass in the Entra admin center (Authentication methods → \
             Policies) for the recovery groups"
                .into(),
        );
    }
    // Face Check (`faceCheckConfiguration`, contract §4.d: isEnabled must be true,
    // sourcePhotoClaimName `portrait`) in every profile that issues a TAP.
    for p in production_profiles(&reads.profiles) {
        let face = p.face_check_configuration.as_ref();
        if !face.is_some_and(|f| f.is_enabled) {
            problems.push(format!(
                "Face Check is off in production recovery profile \"{}\" ({})",
                p.name, p.id
            ));
            fixes.push(format!(
                "turn Face Check on in profile \"{}\" (Entra admin center → Verified ID → account \
                 recovery), or put the profile in evaluation mode",
                p.name
            ));
        } else if let Some(claim) = face.and_then(|f| f.source_photo_claim_name.as_deref())
            && claim != "portrait"
        {
            problems.push(format!(
                "Face Check in production recovery profile \"{}\" compares against claim \
                 \"{claim}\", not \"portrait\"",
                p.name
            ));
            fixes.push(format!("set the profile's Face Check photo claim to portrait ({})", p.id));
        }
    }
    let recovery: Vec<&VerifiedIdProfile> = reads
        .profiles
        .iter()
        .filter(|p| p.state == EnabledState::Enabled)
        .filter(|p| {
            p.verified_id_usage_configurations
                .iter()
                .any(|u| matches!(u.purpose, UsagePurpose::Recovery | UsagePurpose::All))
        })
        .collect();
    let mut notes: Vec<String> = Vec::new();
    if recovery.is_empty() {
        problems.push(format!(
            "no enabled verifiedIdProfile for recovery ({} profile{} read)",
            reads.profiles.len(),
            plural(reads.profiles.len())
        ));
        fixes.push(
            "set up account recovery with an identity-verification partner in the Entra admin \
             center: it creates the profiles"
                .into(),
        );
    } else {
        let mut dids: Vec<&str> = recovery.iter().map(|p| p.verifier_did.as_str()).collect();
        dids.dedup();
        if !dids.contains(&authority.as_str()) {
            problems.push(format!(
                "[verifier] authority = \"{authority}\" is not the verifier DID of any recovery \
                 profile (they use {})",
                dids.join(", ")
            ));
            fixes.push(format!(
                "set [verifier] authority = \"{}\" in {file}",
                dids.first().copied().unwrap_or_default()
            ));
        }
        let issuers: Vec<&str> = recovery
            .iter()
            .map(|p| p.verified_id_profile_configuration.accepted_issuer.as_str())
            .collect();
        let (accepted, refused): (Vec<_>, Vec<_>) =
            setup.prod.providers.iter().partition(|p| issuers.contains(&p.issuer_did.as_str()));
        if accepted.is_empty() {
            problems.push(format!(
                "no configured provider issues what a recovery profile accepts (profiles accept \
                 {}; providers issue {})",
                issuers.join(", "),
                setup
                    .prod
                    .providers
                    .iter()
                    .map(|p| p.issuer_did.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            fixes.push(format!(
                "set each [[providers]] issuer_did in {file} to the acceptedIssuer of its profile"
            ));
        } else {
            notes.push(format!(
                "provider{} {} accepted",
                plural(accepted.len()),
                accepted.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
            ));
            if !refused.is_empty() {
                notes.push(format!(
                    "no profile accepts {} (never offered)",
                    refused.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        let evaluation = recovery
            .iter()
            .filter(|p| {
                p.verified_id_usage_configurations.iter().any(|u| u.is_enabled_for_test_only)
            })
            .count();
        if evaluation > 0 {
            notes.push(format!("{evaluation} in evaluation mode (no TAP)"));
        }
    }
    if reads.unreadable_profiles > 0 {
        notes.push(format!(
            "{} profile(s) the engine cannot read, skipped",
            reads.unreadable_profiles
        ));
    }
    if problems.is_empty() {
        let mut detail = format!(
            "authority {authority}; {} recovery profile{}",
            recovery.len(),
            plural(recovery.len())
        );
        for n in notes {
            detail.push_str("; ");
            detail.push_str(&n);
        }
        Check::pass(id, detail)
    } else {
        Check::fail(id, problems.join("; "), fixes.join("; "))
    }
}
