//! The emulated identity platform's token-signing key and its JWKS form.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// An RSA key pair generated at start; tokens are RS256-signed with it and published in the JWKS.
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// base64url modulus and exponent for the JWKS.
    n: String,
    e: String,
    /// Self-signed certificate (DER) carrying the public key, for the JWKS `x5c` member.
    cert_der: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// Why the signing key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("{0}")]
    Invalid(String),
}

impl SigningKey {
    /// A fresh RSA 2048 key (100-200 ms of one core).
    pub fn generate() -> Result<Self, KeyError> {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        Self::from_key_pair(&kp)
    }

    /// The fixture's key (`tenant.token_signing_key`, an RSA private key in PKCS#8 PEM).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let kp = rcgen::KeyPair::from_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256)
            .map_err(|e| KeyError::Invalid(format!("not an RSA private key in PKCS#8 PEM: {e}")))?;
        Self::from_key_pair(&kp)
    }

    fn from_key_pair(kp: &rcgen::KeyPair) -> Result<Self, KeyError> {
        let params = rcgen::CertificateParams::new(vec!["login.microsoftonline.com".to_owned()])
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        let cert = params.self_signed(kp).map_err(|e| KeyError::Generate(e.to_string()))?;
        let spki_der = rcgen::PublicKeyData::subject_public_key_info(kp);
        let (_, spki) = SubjectPublicKeyInfo::from_der(&spki_der)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        let (n, e) = match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => (
                URL_SAFE_NO_PAD.encode(strip_leading_zeros(rsa.modulus)),
                URL_SAFE_NO_PAD.encode(strip_leading_zeros(rsa.exponent)),
            ),
            _ => return Err(KeyError::Generate("generated key is not RSA".into())),
        };
        let encoding = EncodingKey::from_rsa_pem(kp.serialize_pem().as_bytes())
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        let decoding = DecodingKey::from_rsa_components(&n, &e)
            .map_err(|e| KeyError::Generate(e.to_string()))?;
        let cert_der = cert.der().to_vec();
        // Like Entra, the kid is the certificate thumbprint (base64url SHA-256 here).
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(&cert_der));
        Ok(Self { kid, encoding, decoding, n, e, cert_der })
    }

    /// One JWK entry as `…/discovery/v2.0/keys` serves it.
    pub fn jwk(&self, issuer: &str) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": self.n,
            "e": self.e,
            "x5c": [base64::engine::general_purpose::STANDARD.encode(&self.cert_der)],
            "issuer": issuer,
        })
    }
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|x| *x != 0).unwrap_or(b.len().saturating_sub(1));
    &b[i..]
}
