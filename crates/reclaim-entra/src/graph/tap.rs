//! Temporary Access Pass: create (never blindly retried), list, delete (contract §4.b).

use std::fmt;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{GraphClient, segment};
use crate::error::{EntraError, TransportKind};
use crate::http::{Call, json_body};
use crate::secret::Secret;

/// The TAP code. `Debug` is redacted; zeroed on drop.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct TemporaryAccessPass(Secret);

impl TemporaryAccessPass {
    /// The code, to show the user once. Never log it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for TemporaryAccessPass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TemporaryAccessPass([REDACTED])")
    }
}

/// Body of `POST …/temporaryAccessPassMethods`. All fields optional (policy defaults apply).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TapRequest {
    /// When it becomes usable (default now).
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<OffsetDateTime>,
    /// 10–43200 and within the policy's min/max.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_in_minutes: Option<u32>,
    /// One-time pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_usable_once: Option<bool>,
}

/// `#microsoft.graph.temporaryAccessPassAuthenticationMethod`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryAccessPassMethod {
    /// `@odata.type`.
    #[serde(default, rename = "@odata.type")]
    pub odata_type: Option<String>,
    /// Method id (GUID).
    pub id: String,
    /// The code — only present in the create response.
    #[serde(default)]
    pub temporary_access_pass: Option<TemporaryAccessPass>,
    /// `createdDateTime`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_date_time: Option<OffsetDateTime>,
    /// `startDateTime`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub start_date_time: Option<OffsetDateTime>,
    /// `lifetimeInMinutes`.
    #[serde(default)]
    pub lifetime_in_minutes: Option<u32>,
    /// `isUsableOnce`.
    #[serde(default)]
    pub is_usable_once: Option<bool>,
    /// `isUsable` (v1.0).
    #[serde(default)]
    pub is_usable: Option<bool>,
    /// `methodUsabilityReason`: `EnabledByPolicy`, `DisabledByPolicy`, `Expired`, …
    #[serde(default)]
    pub method_usability_reason: Option<String>,
}

/// How a failed create attempt leaves the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The service refused it: do not try again.
    Refused,
    /// The request was certainly not processed (429, connect failure): safe to send again.
    NotProcessed,
    /// It may have been processed (timeout, reset, 5xx, unreadable 201): look before retrying.
    Ambiguous,
}

fn outcome(err: &EntraError) -> Outcome {
    match err {
        EntraError::Transport { kind: TransportKind::Connect, .. } => Outcome::NotProcessed,
        EntraError::Transport { .. } | EntraError::Decode { .. } => Outcome::Ambiguous,
        EntraError::Graph(_) | EntraError::UnexpectedStatus { .. } => match err.status() {
            Some(429) => Outcome::NotProcessed,
            Some(s) if s == 408 || s >= 500 || (200..300).contains(&s) => Outcome::Ambiguous,
            _ => Outcome::Refused,
        },
        _ => Outcome::Refused,
    }
}

impl GraphClient {
    fn tap_collection_url(&self, user_id: &str) -> Result<url::Url, EntraError> {
        self.url(&format!(
            "v1.0/users/{}/authentication/temporaryAccessPassMethods",
            segment(user_id)
        ))
    }

    /// `POST /v1.0/users/{id}/authentication/temporaryAccessPassMethods` → 201 with the code.
    /// Sent exactly once (a 401 re-authentication excepted). Prefer
    /// [`create_tap_safely`](Self::create_tap_safely).
    pub async fn create_tap(
        &self,
        user_id: &str,
        request: &TapRequest,
    ) -> Result<TemporaryAccessPassMethod, EntraError> {
        const OP: &str = "graph.create_tap";
        let call = Call {
            operation: OP,
            method: Method::POST,
            url: self.tap_collection_url(user_id)?,
            body: Some(json_body(OP, request)?),
            expect: &[200, 201],
            retry: false,
            eventual: false,
        };
        self.http.call(&call).await?.json(OP)
    }

    /// `GET /v1.0/users/{id}/authentication/temporaryAccessPassMethods` (at most one item; the
    /// code is never included).
    pub async fn list_taps(
        &self,
        user_id: &str,
    ) -> Result<Vec<TemporaryAccessPassMethod>, EntraError> {
        const OP: &str = "graph.list_taps";
        Ok(self.collect(OP, self.tap_collection_url(user_id)?, usize::MAX).await?.0)
    }

    /// `DELETE /v1.0/users/{id}/authentication/temporaryAccessPassMethods/{methodId}` → 204.
    pub async fn delete_tap(&self, user_id: &str, method_id: &str) -> Result<(), EntraError> {
        const OP: &str = "graph.delete_tap";
        let url = self.url(&format!(
            "v1.0/users/{}/authentication/temporaryAccessPassMethods/{}",
            segment(user_id),
            segment(method_id)
        ))?;
        let call = Call {
            operation: OP,
            method: Method::DELETE,
            url,
            body: None,
            expect: &[200, 204],
            retry: true,
            eventual: false,
        };
        self.http.call(&call).await.map(|_| ())
    }

    /// Creates a TAP without ever creating two:
    ///
    /// * a refusal (4xx) is returned as is;
    /// * a request that certainly was not processed (429, connect failure) is sent again after
    ///   `Retry-After`/backoff;
    /// * after an ambiguous failure (timeout, reset, 5xx, unreadable 201) the user's TAPs are
    ///   listed (`GET …/temporaryAccessPassMethods`): if one was created after this call
    ///   started (minus the configured clock-skew allowance; a TAP without `createdDateTime`
    ///   counts as ours), we stop with [`EntraError::TapUnconfirmed`] — its code is lost;
    ///   only if there is none do we create again. If the list itself fails we stop with the
    ///   original error.
    ///
    /// At most `retry_policy.max_attempts` create attempts.
    pub async fn create_tap_safely(
        &self,
        user_id: &str,
        request: &TapRequest,
    ) -> Result<TemporaryAccessPassMethod, EntraError> {
        let started = OffsetDateTime::now_utc() - self.tap_clock_skew;
        let policy = self.http.retry;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let err = match self.create_tap(user_id, request).await {
                Ok(created) => return Ok(created),
                Err(err) => err,
            };
            let outcome = outcome(&err);
            tracing::warn!(kind = err.kind().as_str(), ?outcome, attempt, "TAP create failed");
            match outcome {
                Outcome::Refused => return Err(err),
                Outcome::NotProcessed => {}
                Outcome::Ambiguous => {
                    let existing = match self.list_taps(user_id).await {
                        Ok(existing) => existing,
                        Err(list_err) => {
                            tracing::warn!(
                                kind = list_err.kind().as_str(),
                                "could not list TAPs after an ambiguous create; not retrying"
                            );
                            return Err(err);
                        }
                    };
                    if let Some(tap) =
                        existing.iter().find(|t| t.created_date_time.is_none_or(|c| c >= started))
                    {
                        return Err(EntraError::TapUnconfirmed { method_id: tap.id.clone() });
                    }
                }
            }
            if attempt >= policy.max_attempts {
                return Err(err);
            }
            let backoff = policy.base_delay.saturating_mul(1 << (attempt - 1).min(6));
            tokio::time::sleep(err.retry_after().unwrap_or(backoff).min(policy.max_delay)).await;
        }
    }
}
