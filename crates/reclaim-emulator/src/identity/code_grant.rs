//! The authorization code grant at the token endpoint (`microsoft-apis-v2.md` §4.4): the code is
//! single-use, short-lived, and bound to the client, the redirect URI and the PKCE challenge.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::fixture::AppFixture;
use crate::identity::token::{Form, TokenError};
use crate::state::AppState;

/// An authorization code as `/authorize` issued it.
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: Uuid,
    /// The redirect URI of the authorization request, exactly as sent.
    pub redirect_uri: String,
    /// Empty when the request carried no challenge.
    pub code_challenge: String,
    pub code_challenge_method: String,
    pub user_id: Uuid,
    pub nonce: Option<String>,
    pub scopes: Vec<String>,
    /// When the user signed in (Unix seconds).
    pub auth_time: i64,
    /// Emulator time after which the code no longer redeems.
    pub expires_at: i64,
    pub redeemed: bool,
}

/// Why a code was not redeemed. All are `invalid_grant` (§4.4, RFC 6749 §5.2); the AADSTS
/// numbers are §4.8's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    // Code and text UNCONFIRMED: what Entra answers for a code it cannot read.
    #[error(
        "Invalid request. Request is malformed or invalid. The authorization code could not be read."
    )]
    Malformed,
    // DOC text (error-code reference).
    #[error(
        "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."
    )]
    AlreadyRedeemed,
    // §4.8: the reference describes 70008 for refresh tokens; it is reported for expired codes
    // (ISSUE; UNCONFIRMED). Text as seen in those reports.
    #[error(
        "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."
    )]
    Expired,
    // Code and text UNCONFIRMED (70000 is the reference's generic InvalidGrant).
    #[error(
        "Provided grant is invalid or malformed. The authorization code was issued to another client."
    )]
    OtherClient,
    // Code and text UNCONFIRMED (ISSUE: seen in public projects for this case).
    #[error(
        "The reply address '{sent}' does not match the reply address '{original}' provided when requesting Authorization code."
    )]
    ReplyMismatch { sent: String, original: String },
    // DOC text (error-code reference, AADSTS501481).
    #[error(
        "The Code_Verifier does not match the code_challenge supplied in the authorization request."
    )]
    PkceMismatch,
    // Pairing with invalid_grant UNCONFIRMED.
    #[error("The user account is disabled.")]
    UserDisabled,
}

impl GrantError {
    pub fn error_and_code(&self) -> (&'static str, u32) {
        let code = match self {
            Self::Malformed => 9002313,
            Self::AlreadyRedeemed => 54005,
            Self::Expired => 70008,
            Self::OtherClient => 70000,
            Self::ReplyMismatch { .. } => 500112,
            Self::PkceMismatch => 501481,
            Self::UserDisabled => 50057,
        };
        ("invalid_grant", code)
    }
}

/// RFC 7636 §4.1: 43–128 characters from `[A-Za-z0-9-._~]`.
fn verifier_well_formed(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
}

/// RFC 7636 §4.6.
pub fn pkce_ok(challenge: &str, method: &str, verifier: Option<&str>) -> bool {
    use subtle::ConstantTimeEq as _;
    let Some(v) = verifier.filter(|v| verifier_well_formed(v)) else {
        return false;
    };
    let computed = match method {
        "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())),
        _ => v.to_owned(),
    };
    bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// Redeems `form.code` for `app` (already authenticated) and answers with the tokens.
pub(crate) fn redeem(
    s: &AppState,
    app: &AppFixture,
    form: &Form,
    base: &str,
) -> Result<Response, TokenError> {
    let code = form.code.as_deref().ok_or(TokenError::MissingParameter("code"))?;
    let redirect_uri =
        form.redirect_uri.as_deref().ok_or(TokenError::MissingParameter("redirect_uri"))?;
    let now = s.clock().now_unix();
    let burn_on_pkce = s.settings().burn_code_on_pkce_failure;
    let grant = s.identity().with_code(code, |stored| {
        let c = stored.ok_or(GrantError::Malformed)?;
        if c.redeemed {
            return Err(GrantError::AlreadyRedeemed);
        }
        if now >= c.expires_at {
            return Err(GrantError::Expired);
        }
        if c.client_id != app.client_id {
            return Err(GrantError::OtherClient);
        }
        // "The same value used on /authorize" (§4.4): compared as sent, port included.
        if c.redirect_uri != redirect_uri {
            return Err(GrantError::ReplyMismatch {
                sent: redirect_uri.to_owned(),
                original: c.redirect_uri.clone(),
            });
        }
        if !c.code_challenge.is_empty()
            && !pkce_ok(&c.code_challenge, &c.code_challenge_method, form.code_verifier.as_deref())
        {
            if burn_on_pkce {
                c.redeemed = true;
            }
            return Err(GrantError::PkceMismatch);
        }
        c.redeemed = true;
        Ok(c.clone())
    })?;
    let user = s.directory().user(&grant.user_id.to_string()).ok_or(GrantError::Malformed)?;
    if !user.account_enabled {
        return Err(GrantError::UserDisabled.into());
    }
    let body = crate::identity::id_token::issue(s, base, app, &grant, &user);
    let mut resp = (StatusCode::OK, axum::Json(body)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store, no-cache"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::pkce_ok;

    #[test]
    fn rfc7636_appendix_b() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_ok(challenge, "S256", Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")));
        assert!(!pkce_ok(challenge, "S256", Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK")));
        assert!(!pkce_ok(challenge, "S256", None));
        assert!(!pkce_ok(challenge, "S256", Some("short")));
    }
}
