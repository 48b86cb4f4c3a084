//! Authenticated JSON calls shared by the Graph and Request Service clients.

use std::sync::Arc;

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, Url};

use crate::error::{EntraError, GraphError, RequestServiceError, parse_retry_after};
use crate::retry::RetryPolicy;
use crate::token::TokenSource;

/// Which service's error body to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Graph,
    RequestService,
}

/// A response with an expected status.
#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Raw {
    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        &self,
        operation: &'static str,
    ) -> Result<T, EntraError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| EntraError::decode(operation, self.status, e))
    }
}

/// One call's description.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) expect: &'a [u16],
    pub(crate) retry: bool,
    /// Send `ConsistencyLevel: eventual` (Graph's advanced queries).
    pub(crate) eventual: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct AuthedHttp {
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: Arc<TokenSource>,
    pub(crate) scope: String,
    pub(crate) service: Service,
    pub(crate) retry: RetryPolicy,
}

impl AuthedHttp {
    /// Sends `call`, with retries if `call.retry`, and one re-authentication on a stale token.
    pub(crate) async fn call(&self, call: &Call<'_>) -> Result<Raw, EntraError> {
        if call.retry {
            self.retry.run(|| self.call_with_reauth(call)).await
        } else {
            self.call_with_reauth(call).await
        }
    }

    async fn call_with_reauth(&self, call: &Call<'_>) -> Result<Raw, EntraError> {
        let mut reauthenticated = false;
        loop {
            let token = self.tokens.token(&self.scope).await?;
            match self.send(call, token.secret().expose()).await {
                Err(e) if !reauthenticated && e.is_stale_token() => {
                    tracing::debug!(operation = call.operation, "401: refreshing the access token");
                    self.tokens.invalidate_if_current(&self.scope, &token).await;
                    reauthenticated = true;
                }
                other => return other,
            }
        }
    }

    async fn send(&self, call: &Call<'_>, bearer: &str) -> Result<Raw, EntraError> {
        let mut rb = self.http.request(call.method.clone(), call.url.clone()).bearer_auth(bearer);
        if call.eventual {
            rb = rb.header("ConsistencyLevel", "eventual");
        }
        if let Some(body) = &call.body {
            rb = rb.header(CONTENT_TYPE, "application/json").body(body.clone());
        }
        let resp = rb.send().await.map_err(|e| EntraError::transport(call.operation, e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body =
            resp.bytes().await.map_err(|e| EntraError::transport(call.operation, e))?.to_vec();
        if call.expect.contains(&status) {
            Ok(Raw { status, body })
        } else {
            Err(self.error(call.operation, status, &headers, &body))
        }
    }

    fn error(
        &self,
        operation: &'static str,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> EntraError {
        let unexpected = || EntraError::UnexpectedStatus {
            operation,
            status,
            retry_after: parse_retry_after(headers),
        };
        if (200..300).contains(&status) {
            return unexpected();
        }
        match self.service {
            Service::Graph => {
                GraphError::parse(status, headers, body).map_or_else(unexpected, EntraError::Graph)
            }
            Service::RequestService => RequestServiceError::parse(status, headers, body)
                .map_or_else(unexpected, EntraError::RequestService),
        }
    }
}

/// Serializes a request body.
pub(crate) fn json_body<T: serde::Serialize>(
    operation: &'static str,
    body: &T,
) -> Result<Vec<u8>, EntraError> {
    serde_json::to_vec(body).map_err(|e| EntraError::decode(operation, 0, e))
}
