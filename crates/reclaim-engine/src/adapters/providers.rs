//! [`HttpProviders`]: identity-verification providers over HTTP — the hosted phone flow reached
//! through a one-time link the service signs (HS256 with the provider's link-signing key; its
//! audience is the provider's hosted-flow URL) and left through a return redirect whose proof
//! (HMAC-SHA256 under the same key) is checked here, and the capture API the kiosk camera
//! uploads to (`X-Api-Key`). Reclaim's own provider contract: README, *Identity-verification
//! providers*.

use std::collections::BTreeMap;
use std::fmt;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reclaim_core::{AdapterFailure, ProviderEvent};
use reclaim_entra::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::status_failure;
use crate::callbacks::check_provider_return;
use crate::ports::{
    BoxFuture, CaptureError, CaptureSession, ExpectedReturn, HostedLinkRequest, IdentityProvider,
    IssuanceStatus, Rejection, ReturnRefused, Verdict,
};
use crate::view::{DocumentKind, Shot};

/// How to reach one provider.
#[derive(Clone)]
pub struct ProviderEndpoint {
    /// Provider id (`trueid`).
    pub id: String,
    /// The hosted phone flow's base: it starts at `{hosted_flow_url}/start?token=…`; `None` if
    /// the provider offers no phone path (a link is then refused). Also the links' audience.
    pub hosted_flow_url: Option<String>,
    /// The capture API's base: sessions live under `{capture_api_url}/v1/sessions`; `None` if the
    /// provider offers no camera path (a capture is then refused).
    pub capture_api_url: Option<String>,
    /// HS256 key the service signs hosted links with (shared with the provider), and the key
    /// of the provider's return proofs.
    pub link_signing_key: Secret,
    /// The capture API's `X-Api-Key`.
    pub capture_api_key: Secret,
    /// The emulator's simulated phone to run flows on (`phoneId` claim); `None` for real providers.
    pub phone_id: Option<String>,
}

impl fmt::Debug for ProviderEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderEndpoint")
            .field("id", &self.id)
            .field("hosted_flow_url", &self.hosted_flow_url)
            .field("capture_api_url", &self.capture_api_url)
            .field("phone_id", &self.phone_id)
            .finish_non_exhaustive()
    }
}

/// Every provider this station offers.
#[derive(Debug, Clone)]
pub struct HttpProviders {
    http: reqwest::Client,
    station_id: String,
    providers: Vec<ProviderEndpoint>,
}

/// Claims of a hosted-flow link (what the provider verifies).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    jti: String,
    exp: i64,
    iat: i64,
    request_id: &'a str,
    return_url: &'a str,
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_id: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    session_id: String,
    #[serde(default)]
    required_images: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    status: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    issuance: Option<Issuance>,
}

#[derive(Deserialize)]
struct Issuance {
    url: String,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    reason: String,
}

/// The capture API's name for a document type.
pub fn document_wire(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Passport => "passport",
        DocumentKind::DrivingLicence => "driving_licence",
        DocumentKind::IdCard => "id_card",
    }
}

fn shot_wire(shot: Shot) -> &'static str {
    match shot {
        Shot::Front => "front",
        Shot::Back => "back",
        Shot::Selfie => "selfie",
    }
}

fn transport(operation: &'static str, e: &reqwest::Error) -> AdapterFailure {
    tracing::warn!(
        operation,
        timeout = e.is_timeout(),
        connect = e.is_connect(),
        "provider unreachable"
    );
    AdapterFailure::Unavailable
}

impl HttpProviders {
    /// `station_id` is the `iss` of the links this kiosk signs.
    pub fn new(
        http: reqwest::Client,
        station_id: impl Into<String>,
        providers: Vec<ProviderEndpoint>,
    ) -> Self {
        Self { http, station_id: station_id.into(), providers }
    }

    fn endpoint(&self, id: &str) -> Result<&ProviderEndpoint, AdapterFailure> {
        self.providers.iter().find(|p| p.id == id).ok_or_else(|| {
            tracing::warn!(provider = id, "no endpoint configured for this provider");
            AdapterFailure::Refused
        })
    }

    /// `{capture_api_url}/v1/sessions`, or `Refused` for a provider without a capture API.
    fn sessions_url(p: &ProviderEndpoint) -> Result<String, AdapterFailure> {
        let base = p.capture_api_url.as_deref().ok_or_else(|| {
            tracing::warn!(provider = %p.id, "this provider offers no capture API");
            AdapterFailure::Refused
        })?;
        Ok(format!("{}/v1/sessions", base.trim_end_matches('/')))
    }

    /// The body of a refused call: a rejection (422/413 with a reason) or a failure.
    async fn refusal(operation: &'static str, resp: reqwest::Response) -> CaptureError {
        let status = resp.status().as_u16();
        let reason = resp.json::<ApiError>().await.map(|e| e.reason).unwrap_or_default();
        match status {
            413 => CaptureError::Rejected(Rejection::from_code("image_too_large")),
            422 if !reason.is_empty() && reason != "images_missing" => {
                CaptureError::Rejected(Rejection::from_code(&reason))
            }
            _ => {
                let code = reclaim_core::audit::sanitize_code(&reason);
                tracing::warn!(
                    operation,
                    status,
                    reason = code.as_deref(),
                    "provider refused the call"
                );
                CaptureError::Failed(status_failure(status))
            }
        }
    }

    /// The hosted flow's base URL (the links' audience), or `Refused` for a provider without one.
    fn hosted_base(p: &ProviderEndpoint) -> Result<&str, AdapterFailure> {
        p.hosted_flow_url.as_deref().map(|u| u.trim_end_matches('/')).ok_or_else(|| {
            tracing::warn!(provider = %p.id, "this provider offers no hosted phone flow");
            AdapterFailure::Refused
        })
    }

    /// Signs a hosted-flow link token: audience the provider's hosted-flow URL, `exp` the
    /// request's (the scan-ID step's deadline).
    pub fn sign_link(
        &self,
        p: &ProviderEndpoint,
        request: &HostedLinkRequest,
    ) -> Result<String, AdapterFailure> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = LinkClaims {
            iss: &self.station_id,
            aud: Self::hosted_base(p)?,
            jti: uuid::Uuid::new_v4().to_string(),
            exp: request.expires_at.unix_timestamp(),
            iat: now,
            request_id: &request.request_id,
            return_url: &request.return_url,
            state: &request.state,
            phone_id: p.phone_id.as_deref(),
        };
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(p.link_signing_key.expose().as_bytes()),
        )
        .map_err(|e| {
            tracing::warn!(error = %e, "could not sign the hosted link");
            AdapterFailure::Refused
        })
    }
}

impl IdentityProvider for HttpProviders {
    fn hosted_link<'a>(
        &'a self,
        provider: &'a str,
        request: &'a HostedLinkRequest,
    ) -> BoxFuture<'a, Result<String, AdapterFailure>> {
        Box::pin(async move {
            let p = self.endpoint(provider)?;
            let token = self.sign_link(p, request)?;
            let mut url = url::Url::parse(&format!("{}/start", Self::hosted_base(p)?))
                .map_err(|_| AdapterFailure::Refused)?;
            url.query_pairs_mut().append_pair("token", &token);
            Ok(url.to_string())
        })
    }

    fn create_capture<'a>(
        &'a self,
        provider: &'a str,
        document: DocumentKind,
    ) -> BoxFuture<'a, Result<CaptureSession, CaptureError>> {
        Box::pin(async move {
            const OP: &str = "provider.create_capture";
            let p = self.endpoint(provider).map_err(CaptureError::Failed)?;
            let mut body = json!({ "documentType": document_wire(document) });
            if let Some(phone) = &p.phone_id {
                body["phoneId"] = Value::String(phone.clone());
            }
            let resp = self
                .http
                .post(Self::sessions_url(p).map_err(CaptureError::Failed)?)
                .header("x-api-key", p.capture_api_key.expose())
                .json(&body)
                .send()
                .await
                .map_err(|e| CaptureError::Failed(transport(OP, &e)))?;
            if resp.status().as_u16() != 201 {
                return Err(Self::refusal(OP, resp).await);
            }
            let created: Created =
                resp.json().await.map_err(|e| CaptureError::Failed(transport(OP, &e)))?;
            Ok(CaptureSession {
                provider: p.id.clone(),
                id: created.session_id,
                document,
                needs_back: created.required_images.iter().any(|s| s == "back"),
            })
        })
    }

    fn upload<'a>(
        &'a self,
        session: &'a CaptureSession,
        shot: Shot,
        image: Vec<u8>,
    ) -> BoxFuture<'a, Result<(), CaptureError>> {
        Box::pin(async move {
            const OP: &str = "provider.upload";
            let p = self.endpoint(&session.provider).map_err(CaptureError::Failed)?;
            let sessions = Self::sessions_url(p).map_err(CaptureError::Failed)?;
            let content_type =
                if image.starts_with(&[0xff, 0xd8]) { "image/jpeg" } else { "image/png" };
            let resp = self
                .http
                .put(format!("{sessions}/{}/images/{}", session.id, shot_wire(shot)))
                .header("x-api-key", p.capture_api_key.expose())
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(image)
                .send()
                .await
                .map_err(|e| CaptureError::Failed(transport(OP, &e)))?;
            if resp.status().is_success() { Ok(()) } else { Err(Self::refusal(OP, resp).await) }
        })
    }

    fn submit<'a>(
        &'a self,
        session: &'a CaptureSession,
    ) -> BoxFuture<'a, Result<Verdict, CaptureError>> {
        Box::pin(async move {
            const OP: &str = "provider.submit";
            let p = self.endpoint(&session.provider).map_err(CaptureError::Failed)?;
            let sessions = Self::sessions_url(p).map_err(CaptureError::Failed)?;
            let resp = self
                .http
                .post(format!("{sessions}/{}/submit", session.id))
                .header("x-api-key", p.capture_api_key.expose())
                .send()
                .await
                .map_err(|e| CaptureError::Failed(transport(OP, &e)))?;
            if !resp.status().is_success() {
                return Err(Self::refusal(OP, resp).await);
            }
            let s: Status =
                resp.json().await.map_err(|e| CaptureError::Failed(transport(OP, &e)))?;
            match (s.status.as_str(), s.issuance) {
                ("rejected", _) => Ok(Verdict::Rejected(Rejection::from_code(
                    s.reason.as_deref().unwrap_or("rejected"),
                ))),
                (_, Some(i)) => Ok(Verdict::Offered { url: i.url }),
                _ => {
                    tracing::warn!(status = %s.status, "provider verdict without an issuance offer");
                    Err(CaptureError::Failed(AdapterFailure::Unavailable))
                }
            }
        })
    }

    fn status<'a>(
        &'a self,
        session: &'a CaptureSession,
    ) -> BoxFuture<'a, Result<IssuanceStatus, AdapterFailure>> {
        Box::pin(async move {
            const OP: &str = "provider.status";
            let p = self.endpoint(&session.provider)?;
            let resp = self
                .http
                .get(format!("{}/{}", Self::sessions_url(p)?, session.id))
                .header("x-api-key", p.capture_api_key.expose())
                .send()
                .await
                .map_err(|e| transport(OP, &e))?;
            let status = resp.status().as_u16();
            if status == 404 || status == 410 {
                return Ok(IssuanceStatus::Expired);
            }
            if !resp.status().is_success() {
                return Err(status_failure(status));
            }
            let s: Status = resp.json().await.map_err(|e| transport(OP, &e))?;
            Ok(match s.status.as_str() {
                "issued" => IssuanceStatus::Issued,
                "failed" | "rejected" => IssuanceStatus::Failed,
                "expired" => IssuanceStatus::Expired,
                _ => IssuanceStatus::Pending,
            })
        })
    }

    fn check_return(
        &self,
        provider: &str,
        expected: &ExpectedReturn,
        query: &BTreeMap<String, String>,
    ) -> Result<ProviderEvent, ReturnRefused> {
        let p = self.endpoint(provider).map_err(|_| ReturnRefused::UnknownProvider)?;
        let audience = Self::hosted_base(p).map_err(|_| ReturnRefused::UnknownProvider)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        check_provider_return(
            query,
            p.link_signing_key.expose().as_bytes(),
            audience,
            expected,
            now,
        )
    }
}
