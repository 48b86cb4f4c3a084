//! Credentials as compact JWS, the form a wallet holds and presents them in (W3C VC data model
//! 1.1, JWT encoding): `jti`, `iss`, `sub`, `iat`, `exp`, `vc{@context, type, credentialSubject}`.
//! The emulator signs as an issuer with its own key (RS256), naming it `{issuer DID}#{kid}`, where
//! `kid` is the key's id in the emulated identity platform's JWKS.

use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};

use crate::phone::HeldCredential;
use crate::state::AppState;

/// The `jti` of a held credential's JWT (the Face Check receipt's `sourceVcJti` names it).
pub fn jti(c: &HeldCredential) -> String {
    format!("urn:uuid:{}", c.id)
}

/// A compact JWS of `claims` signed with the emulator's key, `kid` = `{did}#{key id}`.
pub fn sign_as(state: &AppState, did: &str, claims: &Value) -> String {
    let key = state.signing_key();
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("JWT".to_owned());
    header.kid = Some(format!("{did}#{}", key.kid));
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap_or_default()
}

fn unix(date: &str) -> Option<i64> {
    time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// The credential as its issuer signed it for `holder` (the wallet's DID).
pub fn credential_jwt(state: &AppState, c: &HeldCredential, holder: &str) -> String {
    let iat = unix(&c.issuance_date).unwrap_or_else(|| state.clock().now_unix());
    let mut claims = json!({
        "jti": jti(c),
        "iss": c.issuer,
        "sub": holder,
        "iat": iat,
        "nbf": iat,
        "vc": {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": c.types,
            "credentialSubject": c.claims,
        },
    });
    if let Some(exp) = unix(&c.expiration_date) {
        claims["exp"] = json!(exp);
    }
    sign_as(state, &c.issuer, &claims)
}
