//! Users: get by id/UPN, find by first + last name (contract §4.a), and the directory word search
//! (`$search`, `microsoft-apis-v2.md` §1).

use reqwest::Method;
use serde::Deserialize;

use super::{GraphClient, USER_SELECT, segment};
use crate::error::EntraError;
use crate::http::Call;
use crate::secret::Personal;

/// A directory user, as selected by [`USER_SELECT`]. Names and UPN are personal data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Object id (GUID).
    pub id: String,
    /// First name (`givenName`).
    #[serde(default)]
    pub given_name: Option<Personal>,
    /// Last name (`surname`).
    #[serde(default)]
    pub surname: Option<Personal>,
    /// `userPrincipalName`.
    #[serde(default)]
    pub user_principal_name: Option<Personal>,
    /// `displayName`.
    #[serde(default)]
    pub display_name: Option<Personal>,
    /// `accountEnabled`.
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// `userType`: `Member` or `Guest`.
    #[serde(default)]
    pub user_type: Option<String>,
}

/// Result of a name search: all matches up to the cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSearch {
    /// The matches read (at most the configured cap).
    pub users: Vec<User>,
    /// True if the directory had more matches than the cap.
    pub truncated: bool,
}

/// An OData string literal: wrapped in `'`, with every `'` doubled (`O'Brien` → `'O''Brien'`).
pub fn odata_string_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The encoded query string of the name search:
/// `$filter=givenName eq '…' and surname eq '…'&$select=…&$top=…`, each value percent-encoded.
pub fn users_by_name_query(given_name: &str, surname: &str, top: usize) -> String {
    let filter = format!(
        "givenName eq {} and surname eq {}",
        odata_string_literal(given_name),
        odata_string_literal(surname)
    );
    format!("$filter={}&$select={}&$top={top}", segment(&filter), segment(USER_SELECT))
}

/// One `$search` clause, `"property:text"` (v2 §1.2): the whole clause inside double quotes,
/// `"` and `\` in the text escaped with a backslash. Percent-encoding is the caller's (the query
/// builder encodes the whole expression).
pub fn search_clause(property: &str, text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("\"{property}:{escaped}\"")
}

/// Clauses joined with upper-case `OR` (v2 §1.2), in parentheses when there are several.
pub fn search_any(clauses: &[String]) -> String {
    match clauses {
        [one] => one.clone(),
        many => format!("({})", many.join(" OR ")),
    }
}

/// Groups joined with upper-case `AND`.
pub fn search_all(groups: &[String]) -> String {
    groups.join(" AND ")
}

/// `$filter` for enabled member accounts (both are default `eq` filters on users, allowed
/// together with `$search`, which Graph ANDs with the filter: v2 §1.4).
pub const ENABLED_MEMBERS: &str = "accountEnabled eq true and userType eq 'Member'";

/// The encoded query string of a user search:
/// `$search=…&$filter=…&$select=…&$top=…&$count=true`.
pub fn users_search_query(search: &str, filter: Option<&str>, top: usize) -> String {
    let filter = filter.map(|f| format!("&$filter={}", segment(f))).unwrap_or_default();
    format!(
        "$search={}{filter}&$select={}&$top={top}&$count=true",
        segment(search),
        segment(USER_SELECT)
    )
}

impl GraphClient {
    /// `GET /v1.0/users?$search=…[&$filter=…]&$select=…&$top=…&$count=true` with
    /// `ConsistencyLevel: eventual` on every page (v2 §1.1, §1.5: Graph answers 400
    /// `Request_UnsupportedQuery` without it). Follows `@odata.nextLink` up to the configured
    /// cap on candidates; `truncated` says more were left unread.
    pub async fn search_users(
        &self,
        search: &str,
        filter: Option<&str>,
    ) -> Result<UserSearch, EntraError> {
        const OP: &str = "graph.search_users";
        let top = self.max_search_candidates.min(999);
        let url = self.url(&format!("v1.0/users?{}", users_search_query(search, filter, top)))?;
        let (users, truncated) =
            self.collect_with(OP, url, self.max_search_candidates, true).await?;
        Ok(UserSearch { users, truncated })
    }

    /// `GET /v1.0/users?$select=…&$top=999`: every user of the directory (default query, no
    /// `ConsistencyLevel`), following `@odata.nextLink` (at most [`super::MAX_PAGES`] pages).
    /// For the directory-readiness scan; a recovery never lists the directory.
    pub async fn list_users(&self) -> Result<Vec<User>, EntraError> {
        const OP: &str = "graph.list_users";
        let url = self.url(&format!("v1.0/users?$select={}&$top=999", segment(USER_SELECT)))?;
        Ok(self.collect(OP, url, usize::MAX).await?.0)
    }

    /// `GET /v1.0/users/{id | userPrincipalName}?$select=…` — `None` on 404.
    /// The id/UPN is percent-encoded (guest UPNs contain `#EXT#`).
    pub async fn get_user(&self, id_or_upn: &str) -> Result<Option<User>, EntraError> {
        const OP: &str = "graph.get_user";
        self.user_json(OP, id_or_upn, "", USER_SELECT).await
    }

    /// `GET /v1.0/users?$filter=givenName eq '…' and surname eq '…'&$select=…&$top=…`
    /// (default query: no `ConsistencyLevel`). Follows `@odata.nextLink` and returns every
    /// match up to the configured cap, so duplicates are never missed.
    pub async fn find_users_by_name(
        &self,
        given_name: &str,
        surname: &str,
    ) -> Result<UserSearch, EntraError> {
        const OP: &str = "graph.find_users_by_name";
        let top = self.max_name_matches.min(999);
        let url =
            self.url(&format!("v1.0/users?{}", users_by_name_query(given_name, surname, top)))?;
        let (users, truncated) = self.collect(OP, url, self.max_name_matches).await?;
        Ok(UserSearch { users, truncated })
    }
    /// `GET /v1.0/users/{id | upn}?$select=id,displayName,mail,otherMails,userPrincipalName`:
    /// where to tell the user something (§3.2). `None` on 404.
    pub async fn user_contact(&self, id_or_upn: &str) -> Result<Option<UserContact>, EntraError> {
        const OP: &str = "graph.user_contact";
        self.user_json(OP, id_or_upn, "", CONTACT_SELECT).await
    }

    /// `GET /v1.0/users/{id | upn}/manager?$select=id,displayName,mail,otherMails,userPrincipalName`:
    /// the user's manager, `None` when none is assigned (404 `Request_ResourceNotFound`) or the
    /// manager is an organisational contact without those fields. Needs `User.Read.All`.
    pub async fn manager(&self, id_or_upn: &str) -> Result<Option<UserContact>, EntraError> {
        const OP: &str = "graph.manager";
        self.user_json(OP, id_or_upn, "/manager", CONTACT_SELECT).await
    }

    /// `POST /v1.0/users/{id | upn}/revokeSignInSessions` (§3.1): every refresh token and
    /// browser session cookie of the user stops working (within minutes; access tokens already
    /// issued live until they expire). Any 2xx is success (today 200 `{"value": true}`; the
    /// known-issues page says it should be 204). Idempotent, so retried on 429/5xx. Needs
    /// `User.RevokeSessions.All`.
    pub async fn revoke_sign_in_sessions(&self, id_or_upn: &str) -> Result<(), EntraError> {
        const OP: &str = "graph.revoke_sign_in_sessions";
        let url = self.url(&format!("v1.0/users/{}/revokeSignInSessions", segment(id_or_upn)))?;
        let call = Call {
            operation: OP,
            method: Method::POST,
            url,
            body: Some(b"{}".to_vec()),
            expect: &[200, 201, 202, 204],
            retry: true,
            eventual: false,
        };
        self.http.call(&call).await.map(|_| ())
    }
}

/// `$select` of [`GraphClient::user_profile`]: the directory attributes a `VerifiedEmployee`
/// credential is made of (`microsoft-apis-v2.md` §5.2), and whether the account is enabled.
pub const PROFILE_SELECT: &str = "id,userPrincipalName,displayName,givenName,surname,jobTitle,preferredLanguage,mail,accountEnabled";

/// A user's profile as a `VerifiedEmployee` credential would carry it (§5.2): personal data,
/// redacted in `Debug`. Empty attributes are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    /// Object id.
    pub id: String,
    /// `userPrincipalName` (VerifiedEmployee's `revocationId`).
    #[serde(default)]
    pub user_principal_name: Option<Personal>,
    /// `displayName`.
    #[serde(default)]
    pub display_name: Option<Personal>,
    /// `givenName`.
    #[serde(default)]
    pub given_name: Option<Personal>,
    /// `surname`.
    #[serde(default)]
    pub surname: Option<Personal>,
    /// `jobTitle`.
    #[serde(default)]
    pub job_title: Option<Personal>,
    /// `preferredLanguage`, ISO 639-1 style (`en-US`).
    #[serde(default)]
    pub preferred_language: Option<String>,
    /// `mail`: the primary SMTP address (not the UPN).
    #[serde(default)]
    pub mail: Option<Personal>,
    /// `accountEnabled`.
    #[serde(default)]
    pub account_enabled: Option<bool>,
}

impl GraphClient {
    /// `GET /v1.0/users/{id | upn}?$select=id,userPrincipalName,displayName,givenName,surname,
    /// jobTitle,preferredLanguage,mail,accountEnabled` (see [`PROFILE_SELECT`]). `None` on 404.
    /// Needs `User.Read.All`.
    pub async fn user_profile(&self, id_or_upn: &str) -> Result<Option<UserProfile>, EntraError> {
        const OP: &str = "graph.user_profile";
        self.user_json(OP, id_or_upn, "", PROFILE_SELECT).await
    }
}

impl GraphClient {
    /// `GET /v1.0/users/{id | upn}{tail}?$select={select}` as `T`; `None` on 404 (no such user,
    /// or nothing at `tail`). The id/UPN is percent-encoded (guest UPNs contain `#EXT#`).
    async fn user_json<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
        id_or_upn: &str,
        tail: &str,
        select: &str,
    ) -> Result<Option<T>, EntraError> {
        let url = self.url(&format!(
            "v1.0/users/{}{tail}?$select={}",
            segment(id_or_upn),
            segment(select)
        ))?;
        match self.get(operation, url).await {
            Ok(raw) => raw.json(operation).map(Some),
            Err(EntraError::Graph(e)) if e.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `$select` of [`GraphClient::user_contact`] and [`GraphClient::manager`].
pub const CONTACT_SELECT: &str = "id,displayName,mail,otherMails,userPrincipalName";

/// Where a user can be told something: personal data, redacted in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserContact {
    /// Object id.
    pub id: String,
    /// `displayName`.
    #[serde(default)]
    pub display_name: Option<Personal>,
    /// `mail`: the primary SMTP address (none without an Exchange mailbox).
    #[serde(default)]
    pub mail: Option<Personal>,
    /// `otherMails`: alternate addresses, often outside the tenant.
    #[serde(default)]
    pub other_mails: Vec<Personal>,
    /// `userPrincipalName`.
    #[serde(default)]
    pub user_principal_name: Option<Personal>,
}

impl UserContact {
    /// Every distinct address to write to: `mail` (or, without one, the UPN of a member, which
    /// is usually the address), then `otherMails`; compared case-insensitively.
    pub fn addresses(&self) -> Vec<Personal> {
        let mut out: Vec<Personal> = Vec::new();
        let primary = self.mail.as_ref().or(self.user_principal_name.as_ref());
        for a in primary.into_iter().chain(self.other_mails.iter()) {
            let text = a.expose().trim();
            let usable = text.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
                && !text.contains("#EXT#");
            if usable && !out.iter().any(|o| o.expose().eq_ignore_ascii_case(text)) {
                out.push(Personal::new(text));
            }
        }
        out
    }
}
