//! Calling an organisation's account-recovery claim-validation endpoint
//! (`microsoft-apis-v2.md` §6): the recovery service plays the part Entra plays in Microsoft's
//! own account recovery. It `POST`s the `verifiedIdClaimValidation` event (§6.3) with the
//! matched user and the credential's claims to the extension's `targetUrl`, with a bearer token
//! for the extension's `resourceId` (client credentials, `{resourceId}/.default`), within the
//! extension's timeout and retries, and reads exactly one action back (§6.4). Anything else fails
//! closed with the Entra error code it stands for (§6.5).
//!
//! The claims are personal data: they go only to the organisation's HTTPS endpoint, never to a
//! log; the body is built in a zeroed buffer.

use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::error::{EntraError, ProtocolProblem, TransportKind};
use crate::graph::CustomExtension;
use crate::secret::Personal;
use crate::token::TokenSource;

const OP: &str = "extension.claim_validation";
/// Largest answer read (Entra's 1003024 ResponseSizeExceeded).
const MAX_RESPONSE: usize = 64 * 1024;

/// The user the claims were matched to (`authenticationContext.user`).
#[derive(Debug, Clone)]
pub struct ExtensionUser {
    /// Graph user id.
    pub id: String,
    /// `userPrincipalName`.
    pub user_principal_name: Personal,
    /// `givenName`.
    pub given_name: Option<Personal>,
    /// `surname`.
    pub surname: Option<Personal>,
    /// `mail`.
    pub mail: Option<Personal>,
    /// `userType`.
    pub user_type: String,
}

/// One call's content.
#[derive(Debug, Clone)]
pub struct ClaimValidationRequest {
    /// The tenant.
    pub tenant_id: String,
    /// The recovery service's app (`source`, `clientServicePrincipal.appId`).
    pub app_id: String,
    /// A correlation id (the session's, never personal).
    pub correlation_id: String,
    /// The matched user.
    pub user: ExtensionUser,
    /// `verifiedIdClaimsContext.identities[0].issuer`: the tenant's domain (the UPN's).
    pub identity_issuer: String,
    /// The credential's claims, as strings (`verifiedIdClaimsContext.claims`).
    pub claims: BTreeMap<String, Personal>,
}

/// What the organisation's endpoint decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimValidationVerdict {
    /// `microsoft.graph.verifiedIdClaimValidation.pass`.
    Pass,
    /// `microsoft.graph.verifiedIdClaimValidation.failed`, with the claim keys it names.
    Failed {
        /// `failedClaims` (claim keys, not values).
        failed_claims: Vec<String>,
    },
}

/// The event body of §6.3, as one JSON value (personal data inside: drop it soon).
pub fn request_body(ext: &CustomExtension, req: &ClaimValidationRequest) -> Value {
    let opt = |p: &Option<Personal>| p.as_ref().map(|v| Value::String(v.expose().to_owned()));
    let claims: serde_json::Map<String, Value> =
        req.claims.iter().map(|(k, v)| (k.clone(), Value::String(v.expose().to_owned()))).collect();
    json!({
        "type": "microsoft.graph.authenticationEvent.verifiedIdClaimValidation",
        "source": format!("/tenants/{}/applications/{}", req.tenant_id, req.app_id),
        "data": {
            "@odata.type": "microsoft.graph.onVerifiedIdClaimValidationCalloutData",
            "tenantId": req.tenant_id,
            "authenticationEventListenerId": Value::Null,
            "customAuthenticationExtensionId": ext.id,
            "authenticationContext": {
                "correlationId": req.correlation_id,
                "protocol": "OAUTH2",
                "clientServicePrincipal": { "appId": req.app_id },
                "resourceServicePrincipal": Value::Null,
                "user": {
                    "id": req.user.id,
                    "userPrincipalName": req.user.user_principal_name.expose(),
                    "givenName": opt(&req.user.given_name),
                    "surname": opt(&req.user.surname),
                    "mail": opt(&req.user.mail),
                    "userType": req.user.user_type,
                }
            },
            "verifiedIdClaimsContext": {
                "identities": [{
                    "issuer": req.identity_issuer,
                    "issuerAssignedId": req.user.user_principal_name.expose(),
                    "signInType": "userPrincipalName"
                }],
                "claims": claims
            }
        }
    })
}

#[derive(Debug, Deserialize)]
struct Response {
    data: ResponseData,
}

#[derive(Debug, Deserialize)]
struct ResponseData {
    #[serde(default)]
    actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
struct Action {
    #[serde(rename = "@odata.type")]
    odata_type: String,
    #[serde(default, rename = "failedClaims")]
    failed_claims: Vec<String>,
}

fn bad(code: u32) -> EntraError {
    EntraError::Protocol { operation: OP, problem: ProtocolProblem::ExtensionResponse(code) }
}

/// Reads an answer (§6.4): `200`, `application/json`, exactly one known action.
pub fn parse_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<ClaimValidationVerdict, EntraError> {
    if status != 200 {
        // 1003002 InvalidHTTPStatus.
        return Err(EntraError::UnexpectedStatus { operation: OP, status, retry_after: None });
    }
    if body.is_empty() {
        return Err(bad(1003009));
    }
    if body.len() > MAX_RESPONSE {
        return Err(bad(1003024));
    }
    let json = content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(bad(1003006));
    }
    let response: Response = serde_json::from_slice(body).map_err(|_| bad(1003003))?;
    let [action] = <[Action; 1]>::try_from(response.data.actions).map_err(|_| bad(1003010))?;
    match action.odata_type.trim_start_matches('#') {
        "microsoft.graph.verifiedIdClaimValidation.pass" => Ok(ClaimValidationVerdict::Pass),
        "microsoft.graph.verifiedIdClaimValidation.failed" => {
            Ok(ClaimValidationVerdict::Failed { failed_claims: action.failed_claims })
        }
        _ => Err(bad(1003012)),
    }
}

/// The Entra error code an extension failure stands for (§6.5), for the audit.
pub fn entra_code(err: &EntraError) -> u32 {
    match err {
        EntraError::Protocol { problem: ProtocolProblem::ExtensionResponse(code), .. } => *code,
        EntraError::UnexpectedStatus { status: 429, .. } => 1003004,
        EntraError::UnexpectedStatus { .. } => 1003002,
        EntraError::Transport { kind: TransportKind::Timeout, .. } => 1003005,
        EntraError::Transport { .. } => 1003027,
        EntraError::Token(_) => 1003005,
        _ => 1003001,
    }
}

/// Calls claim-validation extensions with tokens from the service's own app registration.
#[derive(Debug, Clone)]
pub struct ClaimValidationClient {
    http: reqwest::Client,
    tokens: Arc<TokenSource>,
}

impl ClaimValidationClient {
    /// A client over `http` (its TLS roots decide which endpoints are trusted) and `tokens`.
    pub fn new(http: reqwest::Client, tokens: Arc<TokenSource>) -> Self {
        Self { http, tokens }
    }

    /// Calls `ext` with `req`: one attempt plus `ext.max_retries` on a timeout, a transport
    /// failure or a 5xx, each within `ext.timeout`.
    pub async fn validate(
        &self,
        ext: &CustomExtension,
        req: &ClaimValidationRequest,
    ) -> Result<ClaimValidationVerdict, EntraError> {
        let scope = format!("{}/.default", ext.resource_id.trim_end_matches('/'));
        let body = Zeroizing::new(
            serde_json::to_vec(&request_body(ext, req))
                .map_err(|e| EntraError::decode(OP, 0, e))?,
        );
        let mut attempt = 0;
        loop {
            let token = self.tokens.token(&scope).await?;
            let result = self.once(ext, token.secret().expose(), &body).await;
            let retryable = match &result {
                Err(EntraError::Transport { .. }) => true,
                Err(EntraError::UnexpectedStatus { status, .. }) => *status >= 500,
                _ => false,
            };
            if retryable && attempt < ext.max_retries {
                attempt += 1;
                continue;
            }
            return result;
        }
    }

    async fn once(
        &self,
        ext: &CustomExtension,
        token: &str,
        body: &[u8],
    ) -> Result<ClaimValidationVerdict, EntraError> {
        let transport = |source: reqwest::Error| EntraError::Transport {
            operation: OP,
            kind: TransportKind::of(&source),
            source,
        };
        let response = self
            .http
            .post(ext.target_url.clone())
            .timeout(ext.timeout)
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let content_type =
            response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = response.bytes().await.map_err(transport)?;
        parse_response(status, content_type.as_deref(), &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&str> = Some("application/json; charset=utf-8");

    /// §6.4's two documented answers.
    #[test]
    fn the_documented_answers_read() {
        let pass = br#"{ "data": { "@odata.type": "microsoft.graph.onVerifiedIdClaimValidationResponseData",
            "actions": [ { "@odata.type": "microsoft.graph.verifiedIdClaimValidation.pass" } ] } }"#;
        assert_eq!(parse_response(200, JSON, pass).unwrap(), ClaimValidationVerdict::Pass);
        let failed = br#"{ "data": { "@odata.type": "microsoft.graph.onVerifiedIdClaimValidationResponseData",
            "actions": [ { "@odata.type": "microsoft.graph.verifiedIdClaimValidation.failed",
                           "failedClaims": [ "dateOfBirth", "documentExpiryDate" ] } ] } }"#;
        assert_eq!(
            parse_response(200, JSON, failed).unwrap(),
            ClaimValidationVerdict::Failed {
                failed_claims: vec!["dateOfBirth".into(), "documentExpiryDate".into()]
            }
        );
    }

    #[test]
    fn answers_outside_the_contract_fail_closed_with_entras_codes() {
        let two = br#"{"data":{"actions":[{"@odata.type":"microsoft.graph.verifiedIdClaimValidation.pass"},
            {"@odata.type":"microsoft.graph.verifiedIdClaimValidation.pass"}]}}"#;
        let none = br#"{"data":{"actions":[]}}"#;
        let unknown = br#"{"data":{"actions":[{"@odata.type":"microsoft.graph.verifiedIdClaimValidation.maybe"}]}}"#;
        let pass = br#"{"data":{"actions":[{"@odata.type":"microsoft.graph.verifiedIdClaimValidation.pass"}]}}"#;
        let code = |r: Result<ClaimValidationVerdict, EntraError>| entra_code(&r.unwrap_err());
        assert_eq!(code(parse_response(200, JSON, two)), 1003010);
        assert_eq!(code(parse_response(200, JSON, none)), 1003010);
        assert_eq!(code(parse_response(200, JSON, unknown)), 1003012);
        assert_eq!(code(parse_response(200, Some("text/plain"), pass)), 1003006);
        assert_eq!(code(parse_response(200, None, pass)), 1003006);
        assert_eq!(code(parse_response(200, JSON, b"")), 1003009);
        assert_eq!(code(parse_response(200, JSON, b"<html>")), 1003003);
        assert_eq!(code(parse_response(500, JSON, pass)), 1003002);
        assert_eq!(code(parse_response(429, JSON, pass)), 1003004);
        assert_eq!(code(parse_response(200, JSON, &vec![b' '; MAX_RESPONSE + 1])), 1003024);
    }

    /// The body has §6.3's shape (the sample's field names), carries the claims as strings and the
    /// matched user, and its `Debug` shows none of it.
    #[test]
    fn the_request_has_the_documented_shape() {
        let ext = CustomExtension {
            id: "ext-1".into(),
            target_url: url::Url::parse("https://hr.example/api").unwrap(),
            resource_id: "api://hr.example/app".into(),
            timeout: std::time::Duration::from_millis(1000),
            max_retries: 1,
        };
        let req = ClaimValidationRequest {
            tenant_id: "tid".into(),
            app_id: "app".into(),
            correlation_id: "c-1".into(),
            user: ExtensionUser {
                id: "u-1".into(),
                user_principal_name: "ana@contoso.example".into(),
                given_name: Some("Ana".into()),
                surname: Some("Lima".into()),
                mail: None,
                user_type: "Member".into(),
            },
            identity_issuer: "contoso.example".into(),
            claims: [("dateOfBirth".to_owned(), Personal::new("1990-01-15"))].into(),
        };
        let body = request_body(&ext, &req);
        assert_eq!(body["type"], "microsoft.graph.authenticationEvent.verifiedIdClaimValidation");
        let data = &body["data"];
        assert_eq!(data["@odata.type"], "microsoft.graph.onVerifiedIdClaimValidationCalloutData");
        assert_eq!(data["customAuthenticationExtensionId"], "ext-1");
        assert_eq!(data["authenticationContext"]["user"]["givenName"], "Ana");
        assert_eq!(data["verifiedIdClaimsContext"]["claims"]["dateOfBirth"], "1990-01-15");
        assert_eq!(
            data["verifiedIdClaimsContext"]["identities"][0]["signInType"],
            "userPrincipalName"
        );
        let debug = format!("{req:?}");
        assert!(!debug.contains("1990") && !debug.contains("Ana") && !debug.contains("ana@"));
    }
}
