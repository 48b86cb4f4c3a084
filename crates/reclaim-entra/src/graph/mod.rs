//! `GraphClient`: the Microsoft Graph subset the kiosk uses (contract §4): users, group
//! membership, authentication-method policies, Verified ID profiles and Temporary Access Passes.

mod extensions;
mod groups;
mod mail;
mod photo;
mod policies;
mod profiles;
mod roles;
mod tap;
mod users;

use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use extensions::{CustomExtension, is_attribute_name};
pub use mail::{
    BodyType, EmailAddress, Importance, InternetMessageHeader, ItemBody, Message, Recipient,
    SendMail,
};
pub use photo::Photo;
pub use policies::{
    AuthMethodState, AuthMethodTarget, TargetType, TemporaryAccessPassPolicy,
    VerifiableCredentialTarget, VerifiableCredentialsPolicy,
};
pub use profiles::{
    ClaimBinding, ClaimValidation, FaceCheckConfiguration, MatchConfidenceLevel,
    MobileDriversLicenseConfiguration, ProfileState, SelfServiceIssuance, UsagePurpose,
    VerifiedIdProfile, VerifiedIdProfileConfiguration, VerifiedIdUsageConfiguration,
};
pub use roles::{RoleAssignment, RoleKind};
pub use tap::{TapRequest, TemporaryAccessPass, TemporaryAccessPassMethod};
pub use users::{
    CONTACT_SELECT, ENABLED_MEMBERS, PROFILE_SELECT, User, UserContact, UserProfile, UserSearch,
    odata_string_literal, search_all, search_any, search_clause, users_by_name_query,
    users_search_query,
};

use crate::error::{ConfigError, EntraError, ProtocolProblem};
use crate::http::{AuthedHttp, Call, Raw, Service};
use crate::retry::RetryPolicy;
use crate::token::{GRAPH_SCOPE, TokenSource};

/// `$select` used for every user read.
pub const USER_SELECT: &str =
    "id,givenName,surname,userPrincipalName,displayName,accountEnabled,userType";
/// checkMemberGroups accepts at most this many ids per call (§4.c).
pub const CHECK_MEMBER_GROUPS_BATCH: usize = 20;
/// Default cap on users returned by a name search (following `@odata.nextLink`).
pub const DEFAULT_MAX_NAME_MATCHES: usize = 50;
/// Default cap on users read by a `$search` for name-match candidates.
pub const DEFAULT_MAX_SEARCH_CANDIDATES: usize = 500;
/// Safety limit on pages followed for one collection.
pub const MAX_PAGES: usize = 100;

/// Microsoft Graph client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: AuthedHttp,
    base: Url,
    max_name_matches: usize,
    max_search_candidates: usize,
    tap_clock_skew: time::Duration,
}

/// Builder for [`GraphClient`].
#[derive(Debug, Default)]
pub struct GraphClientBuilder {
    base_url: Option<String>,
    tokens: Option<Arc<TokenSource>>,
    http: Option<reqwest::Client>,
    retry: Option<RetryPolicy>,
    scope: Option<String>,
    max_name_matches: Option<usize>,
    max_search_candidates: Option<usize>,
    tap_clock_skew: Option<time::Duration>,
}

impl GraphClientBuilder {
    /// Graph host root; default `https://graph.microsoft.com` (the client appends `/v1.0/…`).
    pub fn base_url(mut self, base: impl AsRef<str>) -> Self {
        self.base_url = Some(base.as_ref().to_owned());
        self
    }
    /// Token source (required); shared with other clients.
    pub fn token_source(mut self, tokens: Arc<TokenSource>) -> Self {
        self.tokens = Some(tokens);
        self
    }
    /// HTTP client (default: [`crate::default_http_client`]).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }
    /// Retry policy for idempotent calls.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }
    /// Token scope (default [`GRAPH_SCOPE`]).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
    /// Cap on users returned by [`GraphClient::find_users_by_name`].
    pub fn max_name_matches(mut self, cap: usize) -> Self {
        self.max_name_matches = Some(cap.max(1));
        self
    }
    /// Cap on users read by [`GraphClient::search_users`] (default 500).
    pub fn max_search_candidates(mut self, cap: usize) -> Self {
        self.max_search_candidates = Some(cap.max(1));
        self
    }
    /// Clock-skew allowance used by [`GraphClient::create_tap_safely`] (default 60 s).
    pub fn tap_clock_skew(mut self, skew: std::time::Duration) -> Self {
        self.tap_clock_skew = Some(time::Duration::try_from(skew).unwrap_or(time::Duration::MAX));
        self
    }
    /// Builds the client.
    pub fn build(self) -> Result<GraphClient, EntraError> {
        let raw = self.base_url.as_deref().unwrap_or(crate::MICROSOFT_GRAPH);
        let base = crate::parse_http_url("graph", raw.trim_end_matches('/'))?;
        Ok(GraphClient {
            http: AuthedHttp {
                http: match self.http {
                    Some(http) => http,
                    None => crate::default_http_client()?,
                },
                tokens: self.tokens.ok_or(ConfigError::Missing("token_source"))?,
                scope: self.scope.unwrap_or_else(|| GRAPH_SCOPE.to_owned()),
                service: Service::Graph,
                retry: self.retry.unwrap_or_default(),
            },
            base,
            max_name_matches: self.max_name_matches.unwrap_or(DEFAULT_MAX_NAME_MATCHES),
            max_search_candidates: self
                .max_search_candidates
                .unwrap_or(DEFAULT_MAX_SEARCH_CANDIDATES),
            tap_clock_skew: self.tap_clock_skew.unwrap_or(time::Duration::seconds(60)),
        })
    }
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(default, rename = "@odata.nextLink")]
    next_link: Option<String>,
}

impl GraphClient {
    /// Starts a builder.
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder::default()
    }

    /// The Graph host root in use.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `{base}/{path_and_query}`; `path_and_query` is already percent-encoded.
    fn url(&self, path_and_query: &str) -> Result<Url, EntraError> {
        crate::join(&self.base, path_and_query)
    }

    async fn get(&self, operation: &'static str, url: Url) -> Result<Raw, EntraError> {
        self.get_with(operation, url, false).await
    }

    async fn get_with(
        &self,
        operation: &'static str,
        url: Url,
        eventual: bool,
    ) -> Result<Raw, EntraError> {
        let call = Call {
            operation,
            method: Method::GET,
            url,
            body: None,
            expect: &[200],
            retry: true,
            eventual,
        };
        self.http.call(&call).await
    }

    /// GETs a collection and follows `@odata.nextLink` verbatim (same origin only) until the
    /// last page or `cap` items. Returns the items and whether more were left unread.
    async fn collect<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        first: Url,
        cap: usize,
    ) -> Result<(Vec<T>, bool), EntraError> {
        self.collect_with(operation, first, cap, false).await
    }

    /// [`collect`](Self::collect), sending `ConsistencyLevel: eventual` on every page when
    /// `eventual`.
    async fn collect_with<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        first: Url,
        cap: usize,
        eventual: bool,
    ) -> Result<(Vec<T>, bool), EntraError> {
        let mut items = Vec::new();
        let mut url = first;
        for _ in 0..MAX_PAGES {
            let page: Page<T> = self.get_with(operation, url, eventual).await?.json(operation)?;
            items.extend(page.value);
            if items.len() >= cap {
                let more = items.len() > cap || page.next_link.is_some();
                items.truncate(cap);
                return Ok((items, more));
            }
            match page.next_link {
                None => return Ok((items, false)),
                Some(link) => url = self.next_link(operation, &link)?,
            }
        }
        Err(EntraError::Protocol { operation, problem: ProtocolProblem::TooManyPages })
    }

    /// Validates a paging link: it must stay on the configured origin (it carries our token).
    fn next_link(&self, operation: &'static str, link: &str) -> Result<Url, EntraError> {
        let url = Url::parse(link).map_err(|_| EntraError::Protocol {
            operation,
            problem: ProtocolProblem::InvalidNextLink,
        })?;
        if url.origin() != self.base.origin() {
            return Err(EntraError::Protocol {
                operation,
                problem: ProtocolProblem::ForeignNextLink,
            });
        }
        Ok(url)
    }
}

/// Encodes one path segment (ids, UPNs: `#EXT#` → `%23EXT%23`).
pub(crate) fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, crate::PATH_SEGMENT).to_string()
}
