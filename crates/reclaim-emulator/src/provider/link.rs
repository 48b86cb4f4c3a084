//! One-time hosted-flow links and the proof on the return redirect — Reclaim's own provider
//! contract (real providers each have theirs; README, *Identity-verification providers*).
//!
//! The link is an HS256 JWT signed by the relying party (the recovery service) with the
//! provider's link key, carrying the audience (the provider's hosted-flow URL), the request id,
//! the return URL and its `state`, and a short `exp`. The return redirect carries a proof: an
//! HMAC-SHA256, under the same shared key, of [`proof_input`] — the audience, request id, state,
//! status, reason and the proof's own expiry — so a return nobody but the provider could have
//! made is told apart from one typed by whoever saw the return URL.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The phone a flow runs on when the link does not say.
pub const DEFAULT_PHONE: &str = "demo-phone";

/// The longest a link may live (`exp` beyond `now`): the hosted flow needs minutes, not hours.
pub const MAX_LINK_LIFETIME_SECS: i64 = 30 * 60;

/// How long a return proof stays acceptable after the provider made it.
pub const RETURN_PROOF_SECS: i64 = 5 * 60;

/// The first line of the proof input: the contract and its version.
pub const PROOF_VERSION: &str = "reclaim-provider-return/v1";

/// Claims of a hosted-flow link token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkClaims {
    /// The station (or service) that minted the link.
    pub iss: String,
    /// The provider the link is for: its hosted-flow URL (`{provider}/{id}`). Another provider
    /// refuses it.
    #[serde(default)]
    pub aud: String,
    /// One-time id: a second use is refused.
    pub jti: String,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    pub request_id: String,
    pub return_url: String,
    /// The relying party's opaque return state; the return proof binds it (empty when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
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
    #[error("This link is for another provider. Start again at the kiosk.")]
    WrongAudience,
    #[error("This link would stay valid for too long. Start again at the kiosk.")]
    TooLong,
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
            Self::WrongAudience => "link_wrong_audience",
            Self::TooLong => "link_lifetime_too_long",
            Self::Expired => "link_expired",
            Self::Used => "link_used",
            Self::BadReturnUrl => "link_return_url_invalid",
        }
    }

    /// 400 for a link that never was valid, 410 for one that was and no longer is.
    pub fn status(self) -> http::StatusCode {
        match self {
            Self::Invalid | Self::WrongAudience | Self::TooLong | Self::BadReturnUrl => {
                http::StatusCode::BAD_REQUEST
            }
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

/// Checks signature, audience (one of `audiences`: the URLs this provider is reached at),
/// expiry and lifetime (against `now`) and the return URL; does not consume the jti.
pub fn verify(
    token: &str,
    key: &str,
    audiences: &[String],
    now: i64,
) -> Result<LinkClaims, LinkError> {
    let mut v = Validation::new(Algorithm::HS256);
    // Expiry and audience are checked below (expiry against the emulator's advanceable clock).
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
    let aud = claims.aud.trim_end_matches('/');
    if aud.is_empty() || !audiences.iter().any(|a| a.trim_end_matches('/') == aud) {
        return Err(LinkError::WrongAudience);
    }
    if claims.exp <= now {
        return Err(LinkError::Expired);
    }
    if claims.exp - now > MAX_LINK_LIFETIME_SECS {
        return Err(LinkError::TooLong);
    }
    match url::Url::parse(&claims.return_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(claims),
        _ => Err(LinkError::BadReturnUrl),
    }
}

/// What a return proof covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnFacts<'a> {
    pub aud: &'a str,
    pub request_id: &'a str,
    pub state: &'a str,
    /// `issued` or `failed`.
    pub status: &'a str,
    /// The failure reason; empty when issued.
    pub reason: &'a str,
    /// Unix seconds after which the return is refused.
    pub exp: i64,
}

/// The string a return proof signs: [`PROOF_VERSION`], then aud, requestId, state, status,
/// reason, exp, each on its own line (`\n`, no trailing newline).
pub fn proof_input(f: &ReturnFacts<'_>) -> String {
    format!(
        "{PROOF_VERSION}\n{}\n{}\n{}\n{}\n{}\n{}",
        f.aud.trim_end_matches('/'),
        f.request_id,
        f.state,
        f.status,
        f.reason,
        f.exp
    )
}

/// `proof`: base64url (no padding) of HMAC-SHA256(link key, [`proof_input`]).
pub fn return_proof(key: &str, f: &ReturnFacts<'_>) -> String {
    // HMAC takes a key of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(proof_input(f).as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
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

    const AUD: &str = "https://idv.example/trueid";

    fn auds() -> Vec<String> {
        vec![AUD.to_owned()]
    }

    fn claims(exp: i64) -> LinkClaims {
        LinkClaims {
            iss: "kiosk-01".into(),
            aud: AUD.into(),
            jti: "j1".into(),
            exp,
            iat: None,
            request_id: "r1".into(),
            return_url: "https://kiosk.example/return".into(),
            state: Some("s1".into()),
            phone_id: None,
        }
    }

    #[test]
    fn good_link_verifies_once() {
        let t = mint(&claims(1_000), "k");
        let c = verify(&t, "k", &auds(), 999).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.phone(), DEFAULT_PHONE);
        let used = UsedLinks::default();
        assert!(used.consume(&c, 999));
        assert!(!used.consume(&c, 999));
    }

    #[test]
    fn bad_links_are_refused_with_their_reason() {
        let t = mint(&claims(1_000), "k");
        assert_eq!(verify(&t, "other", &auds(), 999), Err(LinkError::Invalid));
        assert_eq!(verify(&t, "k", &auds(), 1_000), Err(LinkError::Expired));
        assert_eq!(verify("junk", "k", &auds(), 1), Err(LinkError::Invalid));
        let mut c = claims(1_000);
        c.return_url = "javascript:alert(1)".into();
        assert_eq!(verify(&mint(&c, "k"), "k", &auds(), 999), Err(LinkError::BadReturnUrl));
        let none = jsonwebtoken::encode(
            &Header::new(Algorithm::HS384),
            &claims(1_000),
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap_or_default();
        assert_eq!(verify(&none, "k", &auds(), 1), Err(LinkError::Invalid));
    }

    #[test]
    fn a_link_for_another_provider_or_for_too_long_is_refused() {
        // Same key, another audience: provider B refuses provider A's link.
        let t = mint(&claims(1_000), "k");
        let b = vec!["https://idv.example/vouchsafe".to_owned()];
        assert_eq!(verify(&t, "k", &b, 999), Err(LinkError::WrongAudience));
        let mut c = claims(1_000);
        c.aud = String::new();
        assert_eq!(verify(&mint(&c, "k"), "k", &auds(), 999), Err(LinkError::WrongAudience));
        // A trailing slash is the same URL.
        let slash = vec![format!("{AUD}/")];
        assert!(verify(&t, "k", &slash, 999).is_ok());
        // An hour-long link is refused; thirty minutes is the most a flow needs.
        let long = mint(&claims(1_000 + MAX_LINK_LIFETIME_SECS + 1), "k");
        assert_eq!(verify(&long, "k", &auds(), 1_000), Err(LinkError::TooLong));
        let ok = mint(&claims(1_000 + MAX_LINK_LIFETIME_SECS), "k");
        assert!(verify(&ok, "k", &auds(), 1_000).is_ok());
    }

    #[test]
    fn the_return_proof_covers_every_fact() {
        let facts = ReturnFacts {
            aud: AUD,
            request_id: "r1",
            state: "s1",
            status: "issued",
            reason: "",
            exp: 1_300,
        };
        assert_eq!(
            proof_input(&facts),
            "reclaim-provider-return/v1\nhttps://idv.example/trueid\nr1\ns1\nissued\n\n1300"
        );
        let proof = return_proof("k", &facts);
        assert_eq!(proof.len(), 43, "{proof}");
        assert!(!proof.contains(['=', '+', '/']));
        let changed = [
            ReturnFacts { aud: "https://idv.example/vouchsafe", ..facts.clone() },
            ReturnFacts { request_id: "r2", ..facts.clone() },
            ReturnFacts { state: "s2", ..facts.clone() },
            ReturnFacts { status: "failed", ..facts.clone() },
            ReturnFacts { reason: "x", ..facts.clone() },
            ReturnFacts { exp: 1_301, ..facts.clone() },
        ];
        for c in changed {
            assert_ne!(return_proof("k", &c), proof, "{c:?}");
        }
        assert_ne!(return_proof("k2", &facts), proof);
    }
}
