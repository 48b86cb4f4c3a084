//! [`GraphDirectory`]: the directory port over `reclaim-entra`'s Graph client.

use std::sync::Arc;

use reclaim_core::{
    AdapterFailure, DirectoryUser, EligibilityFacts, EligibilityResult, NameCandidates, NameQuery,
    NameSearch, PersonName, TapFailure, TapPolicy, TapRequest, Upn, VcMethodPolicy,
    VerifiedIdProfile, groups_to_check,
};
use reclaim_entra::graph::{
    self, ENABLED_MEMBERS, GraphClient, search_all, search_any, search_clause,
};
use reclaim_entra::{EntraError, GRAPH_SCOPE, TokenSource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

use super::entra_failure;
use crate::ports::{BoxFuture, Directory, IssuedTap};

/// The directory: users, groups, policies, profiles and TAPs from Microsoft Graph.
#[derive(Debug, Clone)]
pub struct GraphDirectory {
    graph: GraphClient,
    tokens: Arc<TokenSource>,
}

impl GraphDirectory {
    /// Over a Graph client and the token source it uses (for the pre-flight probe).
    pub fn new(graph: GraphClient, tokens: Arc<TokenSource>) -> Self {
        Self { graph, tokens }
    }

    /// Eligibility facts for a user by UPN or object id.
    async fn facts(&self, id_or_upn: &str) -> Result<EligibilityResult, EntraError> {
        let Some(user) = self.graph.get_user(id_or_upn).await? else {
            return Ok(EligibilityResult::UnknownUser);
        };
        let (vc, tap, profiles) = tokio::try_join!(
            self.graph.get_verifiable_credentials_policy(),
            self.graph.get_tap_policy(),
            self.graph.list_verified_id_profiles(),
        )?;
        let (Some(vc_policy), Some(tap_policy)) =
            (convert::<_, VcMethodPolicy>(&vc), convert::<_, TapPolicy>(&tap))
        else {
            tracing::warn!("an authentication-method policy has a shape the core cannot read");
            return Ok(EligibilityResult::Failed(AdapterFailure::Refused));
        };
        let profiles: Vec<VerifiedIdProfile> = profiles
            .iter()
            .filter_map(|p| {
                let core = convert(p);
                if core.is_none() {
                    tracing::warn!(profile = %p.id, "skipping a verifiedIdProfile the core cannot read");
                }
                core
            })
            .collect();
        let mut groups: Vec<String> = groups_to_check(&vc_policy).into_iter().flatten().collect();
        for g in tap_policy.group_ids() {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        let member_groups = if groups.is_empty() {
            Vec::new()
        } else {
            self.graph.check_member_groups(&user.id, &groups).await?
        };
        // Before any paid step: a privileged account ends here with the neutral answer.
        let role_template_ids = self.role_template_ids(&user.id).await?;
        Ok(EligibilityResult::Found(Box::new(EligibilityFacts {
            user: core_user(user),
            member_groups,
            vc_policy,
            profiles,
            tap_policy,
            role_template_ids,
        })))
    }

    async fn role_template_ids(&self, user_id: &str) -> Result<Vec<String>, EntraError> {
        let mut ids: Vec<String> = Vec::new();
        for r in self.graph.user_roles(user_id).await? {
            if !ids.iter().any(|i| i.eq_ignore_ascii_case(&r.role_definition_id)) {
                ids.push(r.role_definition_id);
            }
        }
        Ok(ids)
    }

    async fn search(
        &self,
        queries: &[NameQuery],
        search: &NameSearch,
    ) -> Result<NameCandidates, EntraError> {
        let mut users: Vec<DirectoryUser> = Vec::new();
        let mut complete = true;
        let mut add = |found: graph::UserSearch, users: &mut Vec<DirectoryUser>| {
            complete &= !found.truncated;
            for u in found.users {
                if !users.iter().any(|o| o.id == u.id) {
                    users.push(core_user(u));
                }
            }
        };
        for q in queries {
            let found = self.graph.find_users_by_name(q.given.expose(), q.surname.expose()).await?;
            add(found, &mut users);
        }
        match word_search(search) {
            Some(expression) => {
                let found = self.graph.search_users(&expression, Some(ENABLED_MEMBERS)).await?;
                if found.truncated {
                    tracing::warn!("the name search found more candidates than are read");
                }
                add(found, &mut users);
            }
            None => {
                tracing::warn!("the name search cannot be expressed as a directory search");
                complete = false;
            }
        }
        Ok(NameCandidates { users, complete })
    }
}

/// Most words per field in one word search (a real name has a handful).
const MAX_SEARCH_WORDS: usize = 16;

/// The `$search` expression of a [`NameSearch`] (`microsoft-apis-v2.md` §1.2):
/// `("givenName:w1" OR "displayName:w1" OR …) AND ("surname:w1" OR "displayName:w1" OR …)`.
/// `givenName` and `surname` clauses match values that start with the word (§1.3: only
/// `displayName` is tokenized); the `displayName` clauses add users whose display name has a word
/// starting with it (tokenized, punctuation-joined words included: `obrien` finds `O'Brien`).
/// `None` when a field has no word or too many.
fn word_search(search: &NameSearch) -> Option<String> {
    let group = |property: &str, words: &[PersonName]| {
        if words.is_empty() || words.len() > MAX_SEARCH_WORDS {
            return None;
        }
        let clauses: Vec<String> = words
            .iter()
            .flat_map(|w| {
                [search_clause(property, w.expose()), search_clause("displayName", w.expose())]
            })
            .collect();
        Some(search_any(&clauses))
    };
    let mut groups = Vec::new();
    if let Some(words) = &search.given {
        groups.push(group("givenName", words)?);
    }
    if let Some(words) = &search.surname {
        groups.push(group("surname", words)?);
    }
    (!groups.is_empty()).then(|| search_all(&groups))
}

/// Entra's model → the core's (both are the Graph JSON; a round trip keeps them in step).
fn convert<A: Serialize, B: DeserializeOwned>(a: &A) -> Option<B> {
    serde_json::to_value(a).ok().and_then(|v| serde_json::from_value(v).ok())
}

fn core_user(u: graph::User) -> DirectoryUser {
    DirectoryUser {
        user_principal_name: Upn::new(
            u.user_principal_name.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default(),
        ),
        given_name: u.given_name.as_ref().map(|p| PersonName::new(p.expose())),
        surname: u.surname.as_ref().map(|p| PersonName::new(p.expose())),
        account_enabled: u.account_enabled,
        user_type: u.user_type.clone(),
        id: u.id,
    }
}

impl Directory for GraphDirectory {
    fn eligibility<'a>(&'a self, upn: &'a Upn) -> BoxFuture<'a, EligibilityResult> {
        Box::pin(async move {
            self.facts(upn.expose()).await.unwrap_or_else(|e| {
                EligibilityResult::Failed(entra_failure("directory.eligibility", &e))
            })
        })
    }

    fn users_by_name<'a>(
        &'a self,
        queries: &'a [NameQuery],
        search: &'a NameSearch,
    ) -> BoxFuture<'a, Result<NameCandidates, AdapterFailure>> {
        Box::pin(async move {
            self.search(queries, search)
                .await
                .map_err(|e| entra_failure("directory.users_by_name", &e))
        })
    }

    fn create_tap<'a>(
        &'a self,
        user_id: &'a str,
        request: TapRequest,
    ) -> BoxFuture<'a, Result<IssuedTap, TapFailure>> {
        Box::pin(async move {
            let body = graph::TapRequest {
                start_date_time: None,
                lifetime_in_minutes: Some(request.lifetime_in_minutes),
                is_usable_once: Some(request.is_usable_once),
            };
            let sent = OffsetDateTime::now_utc();
            match self.graph.create_tap_safely(user_id, &body).await {
                Ok(method) => {
                    let Some(code) = method.temporary_access_pass.as_ref() else {
                        tracing::warn!("TAP created without a pass in the response");
                        return Err(TapFailure::Failed(AdapterFailure::Unavailable));
                    };
                    Ok(IssuedTap {
                        code: reclaim_core::TapCode::new(code.expose()),
                        method_id: method.id.clone(),
                        starts_at: method
                            .start_date_time
                            .or(method.created_date_time)
                            .unwrap_or(sent),
                        lifetime_in_minutes: method
                            .lifetime_in_minutes
                            .unwrap_or(request.lifetime_in_minutes),
                    })
                }
                Err(EntraError::Graph(g)) if matches!(g.status, 400 | 403) => {
                    tracing::warn!(status = g.status, code = %g.code, "Graph refused the TAP");
                    Err(TapFailure::PolicyRefused)
                }
                Err(e) => Err(TapFailure::Failed(entra_failure("directory.create_tap", &e))),
            }
        })
    }

    fn fresh_facts<'a>(&'a self, user_id: &'a str) -> BoxFuture<'a, EligibilityResult> {
        Box::pin(async move {
            self.facts(user_id).await.unwrap_or_else(|e| {
                EligibilityResult::Failed(entra_failure("directory.fresh_facts", &e))
            })
        })
    }

    fn taps_created_since<'a>(
        &'a self,
        user_id: &'a str,
        since: OffsetDateTime,
    ) -> BoxFuture<'a, Result<Vec<String>, AdapterFailure>> {
        Box::pin(async move {
            match self.graph.list_taps(user_id).await {
                Ok(taps) => Ok(taps
                    .into_iter()
                    .filter(|t| t.created_date_time.is_none_or(|c| c >= since))
                    .map(|t| t.id)
                    .collect()),
                Err(e) => Err(entra_failure("directory.list_taps", &e)),
            }
        })
    }

    fn delete_tap<'a>(
        &'a self,
        user_id: &'a str,
        method_id: &'a str,
    ) -> BoxFuture<'a, Result<(), AdapterFailure>> {
        Box::pin(async move {
            match self.graph.delete_tap(user_id, method_id).await {
                Ok(()) => Ok(()),
                Err(e) if e.status() == Some(404) => Ok(()),
                Err(e) => Err(entra_failure("directory.delete_tap", &e)),
            }
        })
    }

    fn probe(&self) -> BoxFuture<'_, Result<(), AdapterFailure>> {
        Box::pin(async move {
            self.tokens
                .token(GRAPH_SCOPE)
                .await
                .map(|_| ())
                .map_err(|e| entra_failure("directory.probe", &e))
        })
    }
}
