//! The station's identity as the kiosk holds it: an Ed25519 key pair made at enrolment, and the
//! short-lived signed assertion (RFC 7523 `private_key_jwt` pattern, `alg = EdDSA`) it sends as
//! `Authorization: Bearer <assertion>` on every session-API call.
//!
//! * [`StationKey`] — the private key (PKCS#8), zeroed on drop, redacted in `Debug`.
//! * [`PublicKey`] — the raw 32-byte Ed25519 public key, base64url (no padding) on the wire.
//! * [`StationCredential`] — station id + service URL + key: what a kiosk keeps after enrolment
//!   (OS keyring secret `station-credential`, or a 0600 file for the demo and tests).
//! * [`EnrollRequest`] / [`EnrollResponse`] — `POST /v1/enroll` ([`ENROLL_PATH`]).
//!
//! The assertion: header `{"alg":"EdDSA","typ":"JWT"}`, claims `iss` = `sub` = station id,
//! `aud` = the service's base URL as configured on the kiosk (trailing `/` removed, see
//! [`normalize_audience`]), `iat` = `nbf` = now, `exp` = now + [`ASSERTION_LIFETIME_SECS`],
//! `jti` random. The service refuses lifetimes above [`MAX_ASSERTION_LIFETIME_SECS`].
//!
//! ```
//! use reclaim_protocol::station::{StationCredential, StationKey};
//! let key = StationKey::generate().expect("key");
//! let public = key.public_key().to_base64url(); // sent in the EnrollRequest
//! let credential = StationCredential::new("st-0123456789abcdef", "https://recovery.contoso.example", key);
//! let assertion = credential.assertion(time::OffsetDateTime::now_utc());
//! assert_eq!(assertion.split('.').count(), 3);
//! # let _ = public;
//! ```

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Lifetime of the assertions a kiosk makes (`exp - iat`).
pub const ASSERTION_LIFETIME_SECS: i64 = 60;
/// The longest lifetime (`exp - iat`) the service accepts.
pub const MAX_ASSERTION_LIFETIME_SECS: i64 = 300;
/// The JWS algorithm of station assertions.
pub const ASSERTION_ALG: &str = "EdDSA";
/// Enrolment: `POST` an [`EnrollRequest`], `201` with an [`EnrollResponse`].
pub const ENROLL_PATH: &str = "/v1/enroll";
/// Length of a raw Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

/// Why a key or credential could not be made or read. Never carries key bytes.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// The PKCS#8 bytes are not an Ed25519 private key (or key generation failed).
    #[error("not a usable Ed25519 private key (PKCS#8)")]
    InvalidKey,
    /// A public key that is not 32 bytes of base64url.
    #[error("not an Ed25519 public key (32 bytes, base64url without padding)")]
    InvalidPublicKey,
    /// The stored credential cannot be read.
    #[error("the station credential is unreadable: {0}")]
    InvalidCredential(&'static str),
    /// Reading or writing the credential file.
    #[error("station credential file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The audience as both sides compare it: the service's base URL without trailing `/`.
pub fn normalize_audience(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// The station's Ed25519 private key. Cheap to clone (shared); the PKCS#8 bytes are zeroed when
/// the last clone drops (the parsed key lives in AWS-LC, which clears it on free). `Debug` shows
/// only the public key.
#[derive(Clone)]
pub struct StationKey {
    inner: Arc<KeyInner>,
}

struct KeyInner {
    pkcs8: Zeroizing<Vec<u8>>,
    pair: Ed25519KeyPair,
}

impl StationKey {
    /// A fresh key pair from the system's CSPRNG (AWS-LC).
    pub fn generate() -> Result<Self, StationError> {
        let pair = Ed25519KeyPair::generate().map_err(|_| StationError::InvalidKey)?;
        let doc = pair.to_pkcs8().map_err(|_| StationError::InvalidKey)?;
        Self::from_pkcs8(doc.as_ref())
    }

    /// From PKCS#8 (v1 or v2) DER bytes; checked to be an Ed25519 key.
    pub fn from_pkcs8(bytes: &[u8]) -> Result<Self, StationError> {
        let pair = Ed25519KeyPair::from_pkcs8(bytes).map_err(|_| StationError::InvalidKey)?;
        Ok(Self { inner: Arc::new(KeyInner { pkcs8: Zeroizing::new(bytes.to_vec()), pair }) })
    }

    /// The PKCS#8 DER bytes (zeroed when the returned buffer drops).
    pub fn to_pkcs8(&self) -> Zeroizing<Vec<u8>> {
        self.inner.pkcs8.clone()
    }

    /// The public half, as registered with the service.
    pub fn public_key(&self) -> PublicKey {
        let raw = self.inner.pair.public_key().as_ref();
        let mut out = [0u8; PUBLIC_KEY_LEN];
        // aws-lc-rs always gives 32 bytes for Ed25519; copy what fits.
        let n = raw.len().min(PUBLIC_KEY_LEN);
        out[..n].copy_from_slice(&raw[..n]);
        PublicKey(out)
    }

    /// A compact JWS (`alg = EdDSA`) asserting `station_id` to `audience` (the service's base
    /// URL; a trailing `/` is dropped), valid from `now` for [`ASSERTION_LIFETIME_SECS`].
    pub fn assertion(&self, station_id: &str, audience: &str, now: OffsetDateTime) -> String {
        let iat = now.unix_timestamp();
        let claims = AssertionClaims {
            iss: station_id.to_owned(),
            sub: station_id.to_owned(),
            aud: normalize_audience(audience).to_owned(),
            iat,
            nbf: iat,
            exp: iat.saturating_add(ASSERTION_LIFETIME_SECS),
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let header = serde_json::json!({ "alg": ASSERTION_ALG, "typ": "JWT" });
        // `Value`'s Display cannot fail; the claims serialise through a Value for the same reason.
        let payload = serde_json::to_value(&claims).unwrap_or_default();
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let signature = self.inner.pair.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }
}

impl fmt::Debug for StationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StationKey")
            .field("public_key", &self.public_key())
            .field("private_key", &"[redacted]")
            .finish()
    }
}

/// The claims of a station assertion (what the service decodes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionClaims {
    /// The station id.
    pub iss: String,
    /// The station id again (RFC 7523: `iss` = `sub` for a client assertion).
    pub sub: String,
    /// The service's base URL.
    pub aud: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds).
    pub nbf: i64,
    /// Expires (Unix seconds).
    pub exp: i64,
    /// Random id.
    pub jti: String,
}

/// A raw Ed25519 public key (32 bytes); base64url without padding in JSON and `Display`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// From the 32 raw bytes.
    pub fn from_bytes(bytes: [u8; PUBLIC_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// base64url, no padding (43 characters).
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// From base64url without padding; exactly 32 bytes.
    pub fn from_base64url(text: &str) -> Result<Self, StationError> {
        let bytes =
            URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| StationError::InvalidPublicKey)?;
        let raw: [u8; PUBLIC_KEY_LEN] =
            bytes.try_into().map_err(|_| StationError::InvalidPublicKey)?;
        Ok(Self(raw))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64url())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_base64url())
    }
}

impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64url())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::from_base64url(&text).map_err(serde::de::Error::custom)
    }
}

/// What a kiosk holds after enrolment: its station id, the service's base URL (the assertions'
/// audience) and its private key. `Debug` shows the id and URL only.
#[derive(Clone)]
pub struct StationCredential {
    /// The id the service gave at enrolment (`st-…`).
    pub station_id: String,
    /// The service's base URL, e.g. `https://recovery.contoso.example`.
    pub service_url: String,
    /// The private key.
    pub key: StationKey,
}

/// Prefix of the compact form, so a wrong value in the keyring is recognised as such.
const COMPACT_PREFIX: &str = "reclaim-station.v1.";

/// The JSON inside the compact form; zeroed on drop.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CompactCredential {
    station_id: String,
    service_url: String,
    /// base64url PKCS#8.
    key: String,
}

impl StationCredential {
    /// From its parts (the URL is kept as given, minus a trailing `/`).
    pub fn new(
        station_id: impl Into<String>,
        service_url: impl Into<String>,
        key: StationKey,
    ) -> Self {
        let url: String = service_url.into();
        Self {
            station_id: station_id.into(),
            service_url: normalize_audience(&url).to_owned(),
            key,
        }
    }

    /// A fresh assertion for this station and service, valid from `now`.
    pub fn assertion(&self, now: OffsetDateTime) -> String {
        self.key.assertion(&self.station_id, &self.service_url, now)
    }

    /// The one-line form stored in the keyring or a file:
    /// `reclaim-station.v1.` + base64url(JSON `{stationId, serviceUrl, key}`), the key being
    /// base64url PKCS#8. Printable ASCII only; zeroed on drop.
    pub fn to_compact(&self) -> Zeroizing<String> {
        let pkcs8 = self.key.to_pkcs8();
        let inner = CompactCredential {
            station_id: self.station_id.clone(),
            service_url: self.service_url.clone(),
            key: URL_SAFE_NO_PAD.encode(pkcs8.as_slice()),
        };
        let json = Zeroizing::new(serde_json::to_value(&inner).unwrap_or_default().to_string());
        Zeroizing::new(format!("{COMPACT_PREFIX}{}", URL_SAFE_NO_PAD.encode(json.as_bytes())))
    }

    /// Reads [`to_compact`](Self::to_compact)'s form (surrounding whitespace ignored).
    pub fn from_compact(text: &str) -> Result<Self, StationError> {
        let body = text
            .trim()
            .strip_prefix(COMPACT_PREFIX)
            .ok_or(StationError::InvalidCredential("not a Reclaim station credential"))?;
        let json = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(body)
                .map_err(|_| StationError::InvalidCredential("not base64url"))?,
        );
        let inner: CompactCredential = serde_json::from_slice(&json)
            .map_err(|_| StationError::InvalidCredential("not the expected JSON"))?;
        let pkcs8 = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(&inner.key)
                .map_err(|_| StationError::InvalidCredential("the key is not base64url"))?,
        );
        if inner.station_id.is_empty() || inner.service_url.is_empty() {
            return Err(StationError::InvalidCredential("empty station id or service URL"));
        }
        let key = StationKey::from_pkcs8(&pkcs8)?;
        Ok(Self::new(inner.station_id.clone(), inner.service_url.clone(), key))
    }

    /// Writes the compact form to `path` atomically (a temporary file in the same folder, mode
    /// 0600 on Unix, then renamed over `path`).
    pub fn write_file(&self, path: &Path) -> Result<(), StationError> {
        let io = |source| StationError::Io { path: path.display().to_string(), source };
        let compact = self.to_compact();
        let mut line = Zeroizing::new(String::with_capacity(compact.len() + 1));
        line.push_str(&compact);
        line.push('\n');
        write_private_file(path, line.as_bytes()).map_err(io)
    }

    /// Reads a file written by [`write_file`](Self::write_file).
    pub fn read_file(path: &Path) -> Result<Self, StationError> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|source| StationError::Io { path: path.display().to_string(), source })?,
        );
        Self::from_compact(&text)
    }
}

impl fmt::Debug for StationCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StationCredential")
            .field("station_id", &self.station_id)
            .field("service_url", &self.service_url)
            .field("key", &self.key)
            .finish()
    }
}

/// Writes `bytes` to `path` through a temporary file (mode 0600 on Unix, created exclusively in
/// the same folder), synced, then renamed over `path`.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `POST /v1/enroll` body: the one-time code an administrator issued and the new public key.
/// The code is zeroed on drop and redacted in `Debug`.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnrollRequest {
    /// `XXXX-XXXX-XXXX-XXXX` (case, spaces and dashes do not matter).
    pub code: String,
    /// [`PublicKey::to_base64url`].
    pub public_key: String,
}

impl fmt::Debug for EnrollRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollRequest")
            .field("code", &"[redacted]")
            .field("public_key", &self.public_key)
            .finish()
    }
}

/// `201` answer to an enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollResponse {
    /// The station's id: the assertions' `iss` and `sub`.
    pub station_id: String,
    /// The name the administrator gave.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_part(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("b64")).expect("json")
    }

    #[test]
    fn assertion_has_the_documented_shape_and_verifies() {
        let key = StationKey::generate().expect("key");
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let jwt = key.assertion("st-0011223344556677", "https://recovery.contoso.example/", now);
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header = decode_part(parts[0]);
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["typ"], "JWT");
        let claims: AssertionClaims =
            serde_json::from_value(decode_part(parts[1])).expect("claims");
        assert_eq!(claims.iss, "st-0011223344556677");
        assert_eq!(claims.sub, claims.iss);
        assert_eq!(claims.aud, "https://recovery.contoso.example");
        assert_eq!(claims.iat, 1_800_000_000);
        assert_eq!(claims.nbf, claims.iat);
        assert_eq!(claims.exp - claims.iat, ASSERTION_LIFETIME_SECS);
        assert_eq!(claims.jti.len(), 32);
        let again = key.assertion("st-0011223344556677", "https://recovery.contoso.example", now);
        assert_ne!(jwt, again, "jti is random");

        // jsonwebtoken (the service's verifier) accepts it with the raw public key ...
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let decoding = jsonwebtoken::DecodingKey::from_ed_der(key.public_key().as_bytes());
        jsonwebtoken::decode::<AssertionClaims>(&jwt, &decoding, &validation).expect("verifies");
        // ... and refuses it under another key.
        let other = StationKey::generate().expect("key");
        let decoding = jsonwebtoken::DecodingKey::from_ed_der(other.public_key().as_bytes());
        assert!(jsonwebtoken::decode::<AssertionClaims>(&jwt, &decoding, &validation).is_err());
    }

    #[test]
    fn pkcs8_and_public_key_round_trip() {
        let key = StationKey::generate().expect("key");
        let again = StationKey::from_pkcs8(&key.to_pkcs8()).expect("pkcs8");
        assert_eq!(key.public_key(), again.public_key());
        let b64 = key.public_key().to_base64url();
        assert_eq!(b64.len(), 43);
        assert_eq!(PublicKey::from_base64url(&b64).expect("pk"), key.public_key());
        assert!(PublicKey::from_base64url("AAAA").is_err());
        assert!(PublicKey::from_base64url("not base64 !").is_err());
        assert!(StationKey::from_pkcs8(b"not a key").is_err());
        let json = serde_json::to_string(&key.public_key()).expect("json");
        assert_eq!(json, format!("\"{b64}\""));
    }

    #[test]
    fn credential_round_trips_and_never_shows_the_key() {
        let key = StationKey::generate().expect("key");
        let pkcs8_b64 = URL_SAFE_NO_PAD.encode(key.to_pkcs8().as_slice());
        let cred = StationCredential::new("st-00aa", "https://svc.example/", key);
        assert_eq!(cred.service_url, "https://svc.example");
        let compact = cred.to_compact();
        assert!(compact.starts_with(COMPACT_PREFIX));
        assert!(compact.bytes().all(|b| b.is_ascii_graphic()), "one printable line");
        let back =
            StationCredential::from_compact(&format!("  {}\n", compact.as_str())).expect("parse");
        assert_eq!(back.station_id, "st-00aa");
        assert_eq!(back.service_url, "https://svc.example");
        assert_eq!(back.key.public_key(), cred.key.public_key());

        let debug = format!("{cred:?} {:?}", cred.key);
        assert!(!debug.contains(&pkcs8_b64), "{debug}");
        assert!(!debug.contains(compact.as_str()), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");

        assert!(StationCredential::from_compact("garbage").is_err());
        assert!(StationCredential::from_compact("reclaim-station.v1.!!!").is_err());
        let bad = format!("{COMPACT_PREFIX}{}", URL_SAFE_NO_PAD.encode(b"{\"x\":1}"));
        assert!(StationCredential::from_compact(&bad).is_err());
    }

    #[test]
    fn credential_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("station.cred");
        let cred = StationCredential::new(
            "st-1",
            "http://127.0.0.1:1",
            StationKey::generate().expect("k"),
        );
        cred.write_file(&path).expect("write");
        cred.write_file(&path).expect("overwrite");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back = StationCredential::read_file(&path).expect("read");
        assert_eq!(back.key.public_key(), cred.key.public_key());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
    }

    #[test]
    fn enroll_wire_types_are_camel_case_and_the_code_is_redacted() {
        let req = EnrollRequest { code: "ABCD-EFGH-JKMN-PQRS".into(), public_key: "pk".into() };
        let json = serde_json::to_value(&req).expect("json");
        assert_eq!(json, serde_json::json!({"code": "ABCD-EFGH-JKMN-PQRS", "publicKey": "pk"}));
        assert!(!format!("{req:?}").contains("ABCD"));
        let resp: EnrollResponse =
            serde_json::from_value(serde_json::json!({"stationId": "st-1", "name": "lobby"}))
                .expect("resp");
        assert_eq!(resp, EnrollResponse { station_id: "st-1".into(), name: "lobby".into() });
    }
}
