//! The organisation's HR system, emulated: a sample account-recovery claim-validation endpoint
//! (`microsoft-apis-v2.md` §6.2–6.4) at each `[[custom_extensions]]` entry's `target_path`,
//! backed by the fixture's `[[hr_records]]`. It does what Microsoft's sample
//! (`7-AccountRecovery-ClaimsMatching`) does: checks the bearer token (signed by this tenant,
//! `aud` = the extension's `resourceId`, the caller an allowed app), finds the matched user's
//! record by `userPrincipalName`, compares the credential's `dateOfBirth` with it and answers
//! with exactly one action, `pass` or `failed` naming the claim keys that differ.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::identity::Resource;
use crate::state::AppState;

/// Entra's authentication events service, the caller in Microsoft's own flow (§6.2).
pub const AUTHENTICATION_EVENTS_APP_ID: &str = "99045fe1-7639-4a75-9d4a-577b6ca3810f";

/// Routes of the HR host (mounted at `/hr`).
pub fn routes() -> Router<AppState> {
    Router::new().route("/{*path}", post(validate))
}

fn unauthorized(detail: &str) -> Response {
    (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "Unauthorized", "detail": detail })))
        .into_response()
}

fn action(body: Value) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({ "data": {
            "@odata.type": "microsoft.graph.onVerifiedIdClaimValidationResponseData",
            "actions": [body]
        } })),
    )
        .into_response()
}

async fn validate(
    State(s): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/hr{}", uri.path());
    let fixture = s.fixture();
    let Some(index) = fixture.custom_extensions.iter().position(|e| e.target_path == path) else {
        return (StatusCode::NOT_FOUND, "no claim-validation endpoint here").into_response();
    };
    let extension = &fixture.custom_extensions[index];
    let claims = match s.authorize(&headers, Resource::Extension(index), &[]) {
        Ok(c) => c,
        Err(crate::identity::AuthError::Missing) => {
            return unauthorized("Bearer token is required.");
        }
        Err(e) => return unauthorized(&e.to_string()),
    };
    let caller_allowed = claims.azp == AUTHENTICATION_EVENTS_APP_ID
        || extension.allowed_callers.iter().any(|c| c.to_string() == claims.azp);
    if !caller_allowed {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({ "error": "Forbidden", "detail": "This caller is not allowed." })),
        )
            .into_response();
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": "Bad request" })))
            .into_response();
    };
    if event["type"] != "microsoft.graph.authenticationEvent.verifiedIdClaimValidation" {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({ "error": "Unexpected event type" })))
            .into_response();
    }
    let data = &event["data"];
    let upn = data["authenticationContext"]["user"]["userPrincipalName"].as_str().unwrap_or("");
    let claim = |k: &str| data["verifiedIdClaimsContext"]["claims"][k].as_str().map(str::trim);
    let record =
        fixture.hr_records.iter().find(|r| r.user_principal_name.eq_ignore_ascii_case(upn));
    let mut failed = Vec::new();
    match record {
        None => failed.push("userPrincipalName"),
        Some(r) => {
            if claim("dateOfBirth") != Some(r.date_of_birth.as_str()) {
                failed.push("dateOfBirth");
            }
        }
    }
    if failed.is_empty() {
        action(json!({ "@odata.type": "microsoft.graph.verifiedIdClaimValidation.pass" }))
    } else {
        action(json!({
            "@odata.type": "microsoft.graph.verifiedIdClaimValidation.failed",
            "failedClaims": failed
        }))
    }
}
