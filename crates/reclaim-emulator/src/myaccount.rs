//! MyAccount stand-in (`microsoft-apis-v2.md` §5.1): a user signs in to
//! `https://myaccount.microsoft.com`, picks "Get my Verified ID", and a `VerifiedEmployee`
//! credential of the tenant's own authority goes into their Authenticator, its claims read from
//! the directory at that moment (§5.2). Here it is a control route that puts that credential
//! into a simulated phone's wallet.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::clock::rfc3339;
use crate::graph::User;
use crate::phone::HeldCredential;
use crate::state::AppState;

/// The largest photo VerifiedEmployee embeds (§5.2: JPEG, max 2 MB).
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;

/// `UrlEncode(Base64Encode(photo))` (§5.2): standard base64 with padding, then its `+`, `/` and
/// `=` percent-encoded (upper-case hex, as .NET's `WebUtility.UrlEncode`; the case is
/// UNCONFIRMED, and a verifier decodes either).
pub fn url_encoded_base64(bytes: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(b64.len() + b64.len() / 8);
    for c in b64.chars() {
        match c {
            '+' => out.push_str("%2B"),
            '/' => out.push_str("%2F"),
            '=' => out.push_str("%3D"),
            c => out.push(c),
        }
    }
    out
}

/// The `VerifiedEmployee` claims of a directory user (§5.2): `revocationId` = UPN,
/// `displayName`, `givenName`, `surname`, and `jobTitle`, `preferredLanguage`, `mail`, `photo`
/// only when the directory has a value. A directory without a given name or surname leaves that
/// claim out too (a claim is a string; UNCONFIRMED).
pub fn verified_employee_claims(state: &AppState, u: &User) -> Map<String, Value> {
    let mut claims = Map::new();
    let mut put = |name: &str, value: Option<&str>| {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            claims.insert(name.to_owned(), Value::String(v.to_owned()));
        }
    };
    put("revocationId", Some(u.user_principal_name.as_str()));
    put("displayName", Some(u.display_name.as_str()));
    put("givenName", u.given_name.as_deref());
    put("surname", u.surname.as_deref());
    put("jobTitle", u.job_title.as_deref());
    put("preferredLanguage", u.preferred_language.as_deref());
    put("mail", u.mail.as_deref());
    if let Some(photo) = crate::graph::photo::user_photo(state, u)
        && photo.len() <= MAX_PHOTO_BYTES
    {
        claims.insert("photo".to_owned(), Value::String(url_encoded_base64(&photo)));
    }
    claims
}

/// Why MyAccount would not issue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MyAccountError {
    #[error("phone id must be 1–64 letters, digits, '.', '_' or '-'")]
    BadPhoneId,
    #[error("no user {0} in the directory")]
    UnknownUser(String),
    /// The user cannot sign in to MyAccount (AADSTS50057).
    #[error("AADSTS50057: The user account is disabled.")]
    AccountDisabled,
    #[error("the tenant has no VerifiedEmployee credential contract")]
    NotConfigured,
}

impl MyAccountError {
    fn status(&self) -> StatusCode {
        match self {
            MyAccountError::BadPhoneId => StatusCode::BAD_REQUEST,
            MyAccountError::UnknownUser(_) => StatusCode::NOT_FOUND,
            MyAccountError::AccountDisabled => StatusCode::FORBIDDEN,
            MyAccountError::NotConfigured => StatusCode::CONFLICT,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            MyAccountError::BadPhoneId => "bad_phone_id",
            MyAccountError::UnknownUser(_) => "unknown_user",
            MyAccountError::AccountDisabled => "account_disabled",
            MyAccountError::NotConfigured => "not_configured",
        }
    }
}

impl IntoResponse for MyAccountError {
    fn into_response(self) -> Response {
        (self.status(), Json(json!({ "error": self.code(), "message": self.to_string() })))
            .into_response()
    }
}

/// The `VerifiedEmployee` credential `user_key` (object id or UPN) gets from MyAccount now: the
/// contract's authority and types, the directory's claims, `issuanceDate` now and the contract's
/// `validityInterval`. Refused when the user cannot sign in (a disabled account).
pub fn verified_employee_credential(
    state: &AppState,
    user_key: &str,
) -> Result<HeldCredential, MyAccountError> {
    let contract =
        state.fixture().verified_employee_contract().ok_or(MyAccountError::NotConfigured)?;
    let user = state
        .directory()
        .user(user_key)
        .ok_or_else(|| MyAccountError::UnknownUser(user_key.to_owned()))?;
    if !user.account_enabled {
        return Err(MyAccountError::AccountDisabled);
    }
    let now = state.clock().now();
    let mut types = vec!["VerifiableCredential".to_owned()];
    types.extend(contract.rules.vc.types.iter().filter(|t| *t != "VerifiableCredential").cloned());
    Ok(HeldCredential {
        id: Uuid::new_v4().to_string(),
        issuer: contract.authority.clone(),
        types,
        claims: verified_employee_claims(state, &user),
        issuance_date: rfc3339(now),
        expiration_date: rfc3339(
            now + time::Duration::seconds(contract.rules.validity_interval.max(1)),
        ),
        revoked: false,
    })
}

/// Issues the user's `VerifiedEmployee` credential into a phone's wallet ("Get my Verified ID").
pub fn issue_verified_employee(
    state: &AppState,
    phone_id: &str,
    user_key: &str,
) -> Result<HeldCredential, MyAccountError> {
    crate::phone::check_phone_id(phone_id).map_err(|_| MyAccountError::BadPhoneId)?;
    let c = verified_employee_credential(state, user_key)?;
    // The credential goes into the Authenticator the user is signed in to.
    let upn = c.claims.get("revocationId").and_then(Value::as_str).map(str::to_owned);
    state.phones().set_account(phone_id, upn);
    state.phones().add_credential(phone_id, c.clone());
    // The UPN and the claims are personal data: only the credential id is logged.
    tracing::info!(phone = phone_id, credential = %c.id, "MyAccount issued a VerifiedEmployee credential");
    Ok(c)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetMyVerifiedId {
    /// Object id or userPrincipalName of the user who signs in to MyAccount.
    user: String,
    /// The phone whose Authenticator receives the credential.
    phone_id: String,
}

/// `POST {control}/myaccount/verified-id {"user": upn | id, "phoneId": …}` — 201 with the
/// credential now in the phone's wallet; 403 `account_disabled`, 404 `unknown_user`, 409
/// `not_configured` (no VerifiedEmployee contract), 400 `bad_phone_id`.
async fn control_get_my_verified_id(
    State(state): State<AppState>,
    Json(b): Json<GetMyVerifiedId>,
) -> Result<Response, MyAccountError> {
    let c = issue_verified_employee(&state, &b.phone_id, &b.user)?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

/// Test-control routes, merged into `{control}`.
pub fn control_routes() -> Router<AppState> {
    Router::new().route("/myaccount/verified-id", post(control_get_my_verified_id))
}

#[cfg(test)]
mod tests {
    use super::url_encoded_base64;

    #[test]
    fn photo_is_url_encoded_standard_base64() {
        // 0xFB 0xFF → "+/8=" in standard base64.
        assert_eq!(url_encoded_base64(&[0xfb, 0xff]), "%2B%2F8%3D");
        assert_eq!(url_encoded_base64(b"Man"), "TWFu");
    }
}
