//! Client assertions (`private_key_jwt`, contract §1.3): the registered certificates, lookup by
//! thumbprint, signature check, and the `aud`/`iss`/`sub`/`exp`/`nbf`/`jti` rules.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use x509_parser::public_key::PublicKey;

use crate::fixture::{AppFixture, FixtureError};
use crate::identity::IdentityState;

/// Clock skew tolerated on `exp` and `nbf`; Microsoft.IdentityModel's default is five minutes.
pub const CLOCK_SKEW_SECS: i64 = 300;

/// A certificate registered on an app: its thumbprints and RSA public key.
#[derive(Debug, Clone)]
pub struct RegisteredCert {
    pub client_id: Uuid,
    /// SHA-1 of the DER (`x5t`).
    pub sha1: Vec<u8>,
    /// SHA-256 of the DER (`x5t#S256`).
    pub sha256: Vec<u8>,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

impl RegisteredCert {
    /// Parses every app's PEM certificates; a bad one fails the fixture at start.
    pub fn load_all(apps: &[AppFixture]) -> Result<Vec<Self>, FixtureError> {
        let mut out = Vec::new();
        for app in apps {
            for pem_text in &app.certificates {
                out.push(Self::parse(app.client_id, pem_text).map_err(|e| {
                    FixtureError::Invalid(format!("certificate of app {}: {e}", app.client_id))
                })?);
            }
        }
        Ok(out)
    }

    fn parse(client_id: Uuid, pem_text: &str) -> Result<Self, String> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.trim().as_bytes())
            .map_err(|e| e.to_string())?;
        let cert = pem.parse_x509().map_err(|e| e.to_string())?;
        let (modulus, exponent) = match cert.public_key().parsed() {
            // DER integers carry a sign byte that the raw-components constructor must not see.
            Ok(PublicKey::RSA(rsa)) => (
                strip_leading_zeros(rsa.modulus).to_vec(),
                strip_leading_zeros(rsa.exponent).to_vec(),
            ),
            _ => return Err("only RSA certificates can sign client assertions".to_owned()),
        };
        Ok(Self {
            client_id,
            sha1: Sha1::digest(&pem.contents).to_vec(),
            sha256: Sha256::digest(&pem.contents).to_vec(),
            modulus,
            exponent,
        })
    }
}

/// Why a client assertion was refused. The token endpoint answers each with `invalid_client`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    // Code for a malformed JWT: UNCONFIRMED (50027 is Entra's generic "invalid or malformed JWT").
    #[error("JWT token is invalid or malformed.")]
    Malformed,
    #[error(
        "Client assertion failed signature validation. [Reason - The algorithm '{0}' is not supported; use RS256 or PS256.]"
    )]
    UnsupportedAlgorithm(String),
    #[error(
        "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{client_id}'.]"
    )]
    UnknownCertificate { thumbprint: String, client_id: Uuid },
    #[error(
        "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]"
    )]
    BadSignature,
    // Text UNCONFIRMED: Entra's wording for a wrong assertion audience is not documented.
    #[error(
        "Client assertion audience claim does not match Realm issuer. [Reason - The audience '{0}' is not this tenant's token endpoint.]"
    )]
    WrongAudience(String),
    #[error(
        "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."
    )]
    WrongIdentifier,
    #[error(
        "Client assertion is not within its valid time range. Current time: {now}, assertion valid from {nbf}, expiry time of assertion {exp}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."
    )]
    OutsideValidity { now: String, nbf: String, exp: String },
    // Code and text UNCONFIRMED: Entra documents `jti` as required but not its replay handling.
    #[error("Client assertion is missing the required 'jti' claim.")]
    MissingJti,
    // Code and text UNCONFIRMED (see `Settings::reject_reused_assertion_jti`).
    #[error(
        "Client assertion has already been used. [Reason - The jti '{0}' was presented before and the assertion has not expired.]"
    )]
    Replayed(String),
}

impl AssertionError {
    /// The AADSTS number this failure is reported with.
    pub fn code(&self) -> u32 {
        match self {
            Self::Malformed => 50027,
            Self::WrongIdentifier => 700021,
            Self::OutsideValidity { .. } => 700024,
            Self::UnsupportedAlgorithm(_)
            | Self::UnknownCertificate { .. }
            | Self::BadSignature
            | Self::WrongAudience(_)
            | Self::MissingJti
            | Self::Replayed(_) => 700027,
        }
    }
}

/// What an assertion must satisfy besides its signature.
#[derive(Debug)]
pub struct Expectations<'a> {
    pub client_id: Uuid,
    /// Token endpoint URLs accepted as `aud` (compared case-insensitively).
    pub audiences: &'a [String],
    /// Emulator time, Unix seconds.
    pub now: i64,
    /// Refuse a `jti` seen before on a still-valid assertion.
    pub reject_replay: bool,
}

/// Verifies a compact JWT client assertion for `expect.client_id`; on success its `jti` is spent.
pub fn verify(
    identity: &IdentityState,
    assertion: &str,
    expect: &Expectations<'_>,
) -> Result<(), AssertionError> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| AssertionError::Malformed)?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(AssertionError::UnsupportedAlgorithm(format!("{:?}", header.alg)));
    }
    // Either thumbprint form finds the certificate: the docs pair x5t with RS256 and x5t#S256
    // with PS256, but nothing says Entra refuses the other pairings.
    let wanted = header
        .x5t_s256
        .as_deref()
        .map(|t| (t, decode_thumbprint(t), true))
        .or_else(|| header.x5t.as_deref().map(|t| (t, decode_thumbprint(t), false)));
    let unknown = |shown: &str| AssertionError::UnknownCertificate {
        thumbprint: shown.to_owned(),
        client_id: expect.client_id,
    };
    let Some((shown, Some(bytes), is_sha256)) = wanted else {
        return Err(unknown(wanted.map(|w| w.0).unwrap_or("")));
    };
    let cert = identity
        .certificates
        .iter()
        .filter(|c| c.client_id == expect.client_id)
        .find(|c| if is_sha256 { c.sha256 == bytes } else { c.sha1 == bytes })
        .ok_or_else(|| unknown(shown))?;

    let key = DecodingKey::from_rsa_raw_components(&cert.modulus, &cert.exponent);
    let mut v = Validation::new(header.alg);
    // Times are checked below against the emulator's clock, audience against our own list.
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(assertion, &key, &v)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => AssertionError::BadSignature,
            _ => AssertionError::Malformed,
        })?
        .claims;

    let auds: Vec<&str> = match &claims["aud"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !auds.iter().any(|a| expect.audiences.iter().any(|ok| ok.eq_ignore_ascii_case(a))) {
        return Err(AssertionError::WrongAudience(auds.join(" ")));
    }

    let is_client = |claim: &str| {
        claims[claim].as_str().and_then(|s| Uuid::parse_str(s).ok()) == Some(expect.client_id)
    };
    if !is_client("iss") || !is_client("sub") {
        return Err(AssertionError::WrongIdentifier);
    }

    let exp = numeric_date(&claims["exp"]);
    let nbf = numeric_date(&claims["nbf"]);
    let expired = exp.is_none_or(|exp| exp + CLOCK_SKEW_SECS <= expect.now);
    let early = nbf.is_some_and(|nbf| nbf - CLOCK_SKEW_SECS > expect.now);
    if expired || early {
        return Err(AssertionError::OutsideValidity {
            now: show_time(Some(expect.now)),
            nbf: show_time(nbf),
            exp: show_time(exp),
        });
    }

    let jti = claims["jti"].as_str().filter(|j| !j.is_empty()).ok_or(AssertionError::MissingJti)?;
    let keep_until = exp.unwrap_or(expect.now) + CLOCK_SKEW_SECS;
    if !identity.remember_jti(expect.client_id, jti, keep_until, expect.now) && expect.reject_replay
    {
        return Err(AssertionError::Replayed(jti.to_owned()));
    }
    Ok(())
}

/// Thumbprint header bytes; accepts padded or standard-alphabet base64 as some clients send it.
fn decode_thumbprint(t: &str) -> Option<Vec<u8>> {
    let normalized: String = t
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(normalized).ok()
}

/// A JWT NumericDate; RFC 7519 allows fractions and msal-python sends them (`time.time() + 600`).
fn numeric_date(v: &Value) -> Option<i64> {
    // Float-to-int `as` saturates, so a huge value cannot wrap into the past.
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64))
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|x| *x != 0).unwrap_or(b.len().saturating_sub(1));
    &b[i..]
}

/// `2026-08-20T12:00:00Z`, or `(none)` for a missing claim.
fn show_time(t: Option<i64>) -> String {
    t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .map(crate::clock::rfc3339)
        .unwrap_or_else(|| "(none)".to_owned())
}
