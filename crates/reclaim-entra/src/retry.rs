//! Retry policy: which calls are retried, on what, and for how long.
//!
//! * Retried (idempotent or harmless to repeat): every GET, `checkMemberGroups` (a read in POST
//!   clothing), token requests, DELETE of a TAP, and `createPresentationRequest` /
//!   `createIssuanceRequest`. The two Request Service calls are not idempotent in the HTTP
//!   sense, but a duplicate is harmless: it only creates a second, unused request object that
//!   nobody scans and that dies at its `expiry` (~5 min) without a callback; the kiosk shows
//!   only the `url`/`qrCode` of the response it received, so at most one request can ever be
//!   presented to.
//! * Retried on: 429 and 503 (honouring `Retry-After`, capped at
//!   [`MAX_RETRY_AFTER`](crate::error::MAX_RETRY_AFTER)), the Request Service's
//!   `transientError`, connection failures and timeouts — see [`EntraError::is_retryable`].
//! * At most [`RetryPolicy::max_attempts`] attempts (default 4); exponential backoff with jitter
//!   when the server gives no `Retry-After`.
//! * Never retried blindly: TAP creation. `GraphClient::create_tap_safely` looks at the user's
//!   TAPs after an ambiguous failure and creates again only if none was created meanwhile.
//! * Independently of the above, a 401 whose body says the token is bad
//!   (`InvalidAuthenticationToken` / `unauthorized` / `tokenError`) makes the client invalidate
//!   its cached token and repeat the call once with a fresh one (a 401 means "not processed").

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::error::{EntraError, MAX_RETRY_AFTER};

/// How often and how patiently retryable calls are repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = no retry).
    pub max_attempts: u32,
    /// First backoff delay when the server gives no `Retry-After`.
    pub base_delay: Duration,
    /// Longest single wait (also caps `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 4, base_delay: Duration::from_millis(500), max_delay: MAX_RETRY_AFTER }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The wait before the next attempt after `err`, given backon's proposal `proposed`.
    fn delay_after(&self, err: &EntraError, proposed: Duration) -> Duration {
        err.retry_after().unwrap_or(proposed).min(self.max_delay)
    }

    /// Runs `op` until it succeeds, fails with a non-retryable error, or attempts run out.
    pub(crate) async fn run<T, F, Fut>(&self, op: F) -> Result<T, EntraError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, EntraError>>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.base_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
            .with_jitter();
        op.retry(backoff)
            .sleep(tokio::time::sleep)
            .when(EntraError::is_retryable)
            .adjust(|err, proposed| proposed.map(|d| self.delay_after(err, d)))
            .notify(|err, wait| {
                tracing::debug!(kind = err.kind().as_str(), status = ?err.status(), ?wait, "retrying");
            })
            .await
    }
}
