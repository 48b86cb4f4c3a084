//! One-time hosted-flow links: an HS256 JWT signed by the relying party (the kiosk) with the
//! provider's link key, carrying the request id, the return URL and the simulated phone.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The phone a flow runs on when the link does not say.
pub const DEFAULT_PHONE: &str = "demo-phone";

/// Claims of a hosted-flow link token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkClaims {
    /// The kiosk station that minted the link.
    pub iss: String,
    /// One-time id: a second use is refused.
    pub jti: String,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    pub request_id: String,
    pub return_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_id: Option<String>,
}

impl LinkClaims {
    pub fn phone(&self) -> &str {
        self.phone_id.as_deref().filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PHONE)
    }
}

/// Why a link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("This link is not valid. Start again at the kiosk.")]
    Invalid,
    #[error("This link has expired. Start again at the kiosk.")]
    Expired,
    #[error("This link has already been used. Start again at the kiosk.")]
    Used,
    #[error("The link's return address is not an http(s) URL.")]
    BadReturnUrl,
}

impl LinkError {
    pub fn code(self) -> &'static str {
        match self {
            Self::Invalid => "link_invalid",
            Self::Expired => "link_expired",
            Self::Used => "link_used",
            Self::BadReturnUrl => "link_return_url_invalid",
        }
    }

    /// 400 for a link that never was valid, 410 for one that was and no longer is.
    pub fn status(self) -> http::StatusCode {
        match self {
            Self::Invalid | Self::BadReturnUrl => http::StatusCode::BAD_REQUEST,
            Self::Expired | Self::Used => http::StatusCode::GONE,
        }
    }
}

/// Signs a link token (what the kiosk does with the shared key).
pub fn mint(claims: &LinkClaims, key: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap_or_default()
}

/// Checks signature, expiry (against `now`) and the return URL; does not consume the jti.
pub fn verify(token: &str, key: &str, now: i64) -> Result<LinkClaims, LinkError> {
    let mut v = Validation::new(Algorithm::HS256);
    // Expiry is checked below against the emulator's advanceable clock.
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let claims =
        jsonwebtoken::decode::<LinkClaims>(token, &DecodingKey::from_secret(key.as_bytes()), &v)
            .map_err(|_| LinkError::Invalid)?
            .claims;
    if claims.jti.is_empty() || claims.request_id.is_empty() {
        return Err(LinkError::Invalid);
    }
    if claims.exp <= now {
        return Err(LinkError::Expired);
    }
    match url::Url::parse(&claims.return_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(claims),
        _ => Err(LinkError::BadReturnUrl),
    }
}

/// Token ids already used, remembered until their token expires.
#[derive(Debug, Default)]
pub struct UsedLinks {
    used: Mutex<HashMap<String, i64>>,
}

impl UsedLinks {
    /// Marks `(iss, jti)` used; false when it already was.
    pub fn consume(&self, claims: &LinkClaims, now: i64) -> bool {
        let mut used = self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        used.retain(|_, exp| *exp > now);
        used.insert(format!("{}\u{0}{}", claims.iss, claims.jti), claims.exp).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> LinkClaims {
        LinkClaims {
            iss: "kiosk-01".into(),
            jti: "j1".into(),
            exp,
            iat: None,
            request_id: "r1".into(),
            return_url: "https://kiosk.example/return".into(),
            phone_id: None,
        }
    }

    #[test]
    fn good_link_verifies_once() {
        let t = mint(&claims(1_000), "k");
        let c = verify(&t, "k", 999).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.phone(), DEFAULT_PHONE);
        let used = UsedLinks::default();
        assert!(used.consume(&c, 999));
        assert!(!used.consume(&c, 999));
    }

    #[test]
    fn bad_links_are_refused_with_their_reason() {
        let t = mint(&claims(1_000), "k");
        assert_eq!(verify(&t, "other", 999), Err(LinkError::Invalid));
        assert_eq!(verify(&t, "k", 1_000), Err(LinkError::Expired));
        assert_eq!(verify("junk", "k", 1), Err(LinkError::Invalid));
        let mut c = claims(1_000);
        c.return_url = "javascript:alert(1)".into();
        assert_eq!(verify(&mint(&c, "k"), "k", 1), Err(LinkError::BadReturnUrl));
        let none = jsonwebtoken::encode(
            &Header::new(Algorithm::HS384),
            &claims(1_000),
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap_or_default();
        assert_eq!(verify(&none, "k", 1), Err(LinkError::Invalid));
    }
}
