//! Station identity: enrolment with one-time codes, the station registry, and the verification
//! of the signed short-lived assertions kiosks send (`Authorization: Bearer <assertion>`).
//! See the crate README, "Station identity".
//!
//! * [`StationRegistry`] — enrolled stations (id, name, public key, enrolled/revoked) and pending
//!   one-time codes (SHA-256 hashes only). Backed by `stations.json` in a state directory, or in
//!   memory ([`StationRegistry::in_memory`]) for the demo and tests.
//! * [`StationRegistry::verify`] — an assertion → the [`StationId`], or [`AuthError`] (one
//!   outward answer for every failure).
//! * [`AuthenticatedStation`] — the axum extractor for session-API handlers ([`StationAuth`] in
//!   the router state through `FromRef`).
//! * [`enroll_router`] — `POST /v1/enroll`.
//! * [`cli`] — `reclaim-service stations enroll|revoke|list`.
//!
//! # The file and other processes
//!
//! The administrator's CLI (`reclaim-service stations …`) and the running service are separate
//! processes writing the same file. Every change is a read-modify-write under an exclusive
//! `flock` on `stations.json.lock`, written atomically (temporary file, mode 0600, `fsync`,
//! `rename`). The running service re-reads the file when its fingerprint (length, mtime, inode)
//! changes; it checks the fingerprint at most every 500 ms ([`RELOAD_INTERVAL`]), and at once
//! when a lookup fails (an unknown station id, an enrolment code it does not hold). So a new code
//! works immediately, and a revocation takes effect within 500 ms, without a restart.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rand::Rng as _;
use reclaim_protocol::station::{
    AssertionClaims, ENROLL_PATH, EnrollRequest, EnrollResponse, MAX_ASSERTION_LIFETIME_SECS,
    PublicKey, normalize_audience,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// Where `reclaim-service stations …` keeps `stations.json` unless `--state-dir` says otherwise.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/reclaim-service";
/// The registry's file name inside the state directory.
pub const REGISTRY_FILE: &str = "stations.json";
/// How long an enrolment code stays valid.
pub const CODE_LIFETIME: time::Duration = time::Duration::hours(24);
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: i64 = 30;
/// The running service looks at the file's fingerprint at most this often (and on a failed
/// lookup).
pub const RELOAD_INTERVAL: Duration = Duration::from_millis(500);
/// Body limit of `POST /v1/enroll`.
pub const ENROLL_BODY_LIMIT: usize = 4096;
/// Longest assertion considered (a real one is ~400 bytes).
pub const MAX_ASSERTION_LEN: usize = 4096;
/// Longest station name.
pub const MAX_NAME_LEN: usize = 64;

/// The code alphabet: upper-case letters and digits without 0/O, 1/I/L, U (misread or typed
/// wrong); 30 symbols, 16 of them ≈ 78 bits.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";
const CODE_LEN: usize = 16;
const FILE_VERSION: u32 = 1;

/// An enrolled station's id (`st-` + 16 hex digits): the assertions' `iss` and `sub`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StationId(String);

impl StationId {
    /// A fresh random id.
    fn random() -> Self {
        let n: u64 = rand::rng().random();
        Self(format!("st-{n:016x}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps an id (for tests and lookups; not checked).
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One enrolled station, as the registry file stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StationRecord {
    /// Its id.
    pub id: StationId,
    /// The name the administrator gave (`lobby-1`).
    pub name: String,
    /// The public key registered at enrolment.
    pub public_key: PublicKey,
    /// When the code was redeemed.
    #[serde(with = "time::serde::rfc3339")]
    pub enrolled_at: OffsetDateTime,
    /// When it was revoked; a revoked station gets 401 on every call.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl StationRecord {
    /// Not revoked.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A pending enrolment code, without the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingCode {
    /// The station name it enrols.
    pub name: String,
    /// Issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// Unusable from then on.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A freshly issued one-time code: shown once to the administrator, stored only as a hash.
/// Zeroed on drop; `Debug` redacts it.
pub struct IssuedCode {
    code: Zeroizing<String>,
    /// The station name.
    pub name: String,
    /// When the code stops working.
    pub expires_at: OffsetDateTime,
    /// An earlier pending code for the same name was replaced.
    pub replaced_earlier: bool,
}

impl IssuedCode {
    /// The code, `XXXX-XXXX-XXXX-XXXX`.
    pub fn code(&self) -> &str {
        &self.code
    }
}

impl fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCode")
            .field("code", &"[redacted]")
            .field("name", &self.name)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What [`StationRegistry::revoke`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The station revoked, if one was enrolled under that name or id.
    pub station: Option<StationRecord>,
    /// A pending code for that name was withdrawn.
    pub cancelled_code: bool,
}

/// Registry failures. None carries a code, key or assertion.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A name outside the rules.
    #[error(
        "invalid station name {0:?}: 1 to {MAX_NAME_LEN} letters, digits, '.', '_' or '-', \
         not starting with \"st-\""
    )]
    InvalidName(String),
    /// `issue_code` for a name with an active station.
    #[error(
        "station {name:?} is already enrolled as {id}; revoke it first \
         (`reclaim-service stations revoke {name}`)"
    )]
    AlreadyEnrolled {
        /// Name.
        name: String,
        /// Its id.
        id: StationId,
    },
    /// Wrong, used or expired code: one answer, no hint which.
    #[error("the enrolment code is not valid (wrong, already used or expired)")]
    InvalidCode,
    /// The public key is already registered to an active station.
    #[error("this public key is already enrolled; make a new key")]
    KeyInUse,
    /// `revoke` of something unknown (or already revoked).
    #[error("no active station and no pending code named {0:?}")]
    NotFound(String),
    /// The file could not be read or written.
    #[error("station registry {path}: {source}")]
    Io {
        /// File or folder.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a registry.
    #[error("station registry {path} is unreadable: {reason}")]
    Corrupt {
        /// File.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The one outward answer to a refused station: 401, `WWW-Authenticate: Bearer`,
/// `{"code":"unauthorized","message":…}`. The reason is logged at debug level only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Missing, malformed, expired, wrongly signed or for another audience; unknown or revoked
    /// station; wrong, used or expired enrolment code.
    #[error("unauthorized")]
    Unauthorized,
}

/// Message of every 401.
const UNAUTHORIZED_MESSAGE: &str =
    "the station is not enrolled, is revoked, or its credential is invalid or expired";

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": "unauthorized", "message": UNAUTHORIZED_MESSAGE });
        let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}

/// Why an assertion was refused (logged at debug, never sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    TooLong,
    Malformed,
    Algorithm,
    UnknownStation,
    Revoked,
    Signature,
    IssuerSubject,
    Audience,
    Expired,
    NotYetValid,
    IssuedInFuture,
    Lifetime,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLong => "assertion too long",
            Self::Malformed => "malformed assertion",
            Self::Algorithm => "algorithm is not EdDSA",
            Self::UnknownStation => "unknown station",
            Self::Revoked => "station revoked",
            Self::Signature => "bad signature",
            Self::IssuerSubject => "iss and sub differ",
            Self::Audience => "wrong audience",
            Self::Expired => "expired",
            Self::NotYetValid => "nbf in the future",
            Self::IssuedInFuture => "iat in the future",
            Self::Lifetime => "lifetime longer than allowed",
        })
    }
}

/// The file's content.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegistryData {
    version: u32,
    #[serde(default)]
    stations: Vec<StationRecord>,
    #[serde(default)]
    pending_codes: Vec<StoredCode>,
}

/// A pending code: its SHA-256 (hex) only.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredCode {
    name: String,
    code_sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
}

impl RegistryData {
    fn active_station(&self, name_or_id: &str) -> Option<&StationRecord> {
        self.stations
            .iter()
            .find(|s| s.is_active() && (s.id.as_str() == name_or_id || s.name == name_or_id))
    }

    /// The index of the pending code with this hash; compares every entry in constant time.
    fn find_code(&self, hash: &str) -> Option<usize> {
        let mut found = None;
        for (i, stored) in self.pending_codes.iter().enumerate() {
            let equal: bool = stored.code_sha256.as_bytes().ct_eq(hash.as_bytes()).into();
            if equal && found.is_none() {
                found = Some(i);
            }
        }
        found
    }
}

/// What identifies one version of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Fingerprint {
    fn of(meta: &std::fs::Metadata) -> Self {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Self { len: meta.len(), modified: meta.modified().ok(), inode }
    }
}

#[derive(Debug)]
struct Cache {
    data: RegistryData,
    seen: Option<Fingerprint>,
    checked: Option<Instant>,
}

#[derive(Debug)]
struct Inner {
    /// `None`: in memory only.
    path: Option<PathBuf>,
    cache: Mutex<Cache>,
}

/// The enrolled stations and pending enrolment codes (see the module docs for the file and how
/// other processes' changes are picked up). `Clone` shares one registry.
#[derive(Debug, Clone)]
pub struct StationRegistry {
    inner: Arc<Inner>,
}

impl StationRegistry {
    /// A registry that lives only in this process (demo, tests).
    pub fn in_memory() -> Self {
        Self::with_path(None, RegistryData { version: FILE_VERSION, ..RegistryData::default() })
    }

    /// The registry in `state_dir/stations.json`; the folder is created (mode 0700) if missing,
    /// a missing file is an empty registry.
    pub fn open(state_dir: impl AsRef<Path>) -> Result<Self, RegistryError> {
        let dir = state_dir.as_ref();
        create_private_dir(dir)
            .map_err(|source| RegistryError::Io { path: dir.to_path_buf(), source })?;
        let path = dir.join(REGISTRY_FILE);
        let (data, seen) = load(&path)?;
        let registry = Self::with_path(Some(path), data);
        registry.lock().seen = seen;
        Ok(registry)
    }

    fn with_path(path: Option<PathBuf>, data: RegistryData) -> Self {
        Self {
            inner: Arc::new(Inner {
                path,
                cache: Mutex::new(Cache { data, seen: None, checked: Some(Instant::now()) }),
            }),
        }
    }

    /// The file behind it (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        self.inner.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Re-reads the file if it changed; unless `force`, at most every [`RELOAD_INTERVAL`]. A
    /// file that cannot be read keeps the last good state (logged).
    fn refresh(&self, cache: &mut Cache, force: bool) {
        let Some(path) = &self.inner.path else { return };
        if !force && cache.checked.is_some_and(|t| t.elapsed() < RELOAD_INTERVAL) {
            return;
        }
        cache.checked = Some(Instant::now());
        let current = std::fs::metadata(path).ok().map(|m| Fingerprint::of(&m));
        if current == cache.seen {
            return;
        }
        match load(path) {
            Ok((data, seen)) => {
                tracing::debug!(path = %path.display(), "station registry reloaded");
                cache.data = data;
                cache.seen = seen;
            }
            Err(e) => {
                tracing::warn!(error = %e, "station registry not reloaded; keeping the last state")
            }
        }
    }

    /// Applies `change` to the current state. File-backed: under the exclusive lock, on the
    /// file's content read afresh, then written atomically; nothing is written if `change`
    /// fails.
    fn mutate<T>(
        &self,
        change: impl FnOnce(&mut RegistryData) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        let mut cache = self.lock();
        let Some(path) = &self.inner.path else {
            return change(&mut cache.data);
        };
        let _guard = lock_file(path)?;
        let (mut data, _) = load(path)?;
        let out = change(&mut data)?;
        save(path, &data)?;
        cache.seen = std::fs::metadata(path).ok().map(|m| Fingerprint::of(&m));
        cache.checked = Some(Instant::now());
        cache.data = data;
        Ok(out)
    }

    /// Issues a one-time enrolment code for station `name` (valid 24 h, once); returns the code.
    /// See [`issue_code_at`](Self::issue_code_at).
    pub fn issue_code(&self, name: &str) -> Result<String, RegistryError> {
        self.issue_code_at(name, OffsetDateTime::now_utc()).map(|c| c.code().to_owned())
    }

    /// Issues a one-time enrolment code for `name` at `now`. A name has at most one pending
    /// code: a new one replaces the earlier. Refused while an active station has that name.
    pub fn issue_code_at(
        &self,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<IssuedCode, RegistryError> {
        check_name(name)?;
        let code = new_code();
        let hash = code_hash(&code);
        let expires_at = now + CODE_LIFETIME;
        let replaced_earlier = self.mutate(|data| {
            if let Some(s) = data.active_station(name).filter(|s| s.name == name) {
                return Err(RegistryError::AlreadyEnrolled {
                    name: name.to_owned(),
                    id: s.id.clone(),
                });
            }
            data.pending_codes.retain(|c| c.expires_at > now);
            let before = data.pending_codes.len();
            data.pending_codes.retain(|c| c.name != name);
            let replaced = data.pending_codes.len() != before;
            data.pending_codes.push(StoredCode {
                name: name.to_owned(),
                code_sha256: hash,
                issued_at: now,
                expires_at,
            });
            Ok(replaced)
        })?;
        tracing::info!(station = name, %expires_at, "enrolment code issued");
        Ok(IssuedCode { code, name: name.to_owned(), expires_at, replaced_earlier })
    }

    /// Redeems a one-time code for `public_key`: the station is enrolled and the code is gone.
    pub fn redeem(
        &self,
        code: &str,
        public_key: &PublicKey,
    ) -> Result<StationRecord, RegistryError> {
        self.redeem_at(code, public_key, OffsetDateTime::now_utc())
    }

    /// [`redeem`](Self::redeem) at `now`. A wrong, used or expired code is
    /// [`RegistryError::InvalidCode`] whichever it was; the hash is compared in constant time.
    pub fn redeem_at(
        &self,
        code: &str,
        public_key: &PublicKey,
        now: OffsetDateTime,
    ) -> Result<StationRecord, RegistryError> {
        let hash = code_hash(code);
        // Cheap pre-check on the cached state (re-read at once if the code is not there, so a
        // code the CLI just issued works); the change itself re-checks under the file lock.
        {
            let mut cache = self.lock();
            self.refresh(&mut cache, false);
            if cache.data.find_code(&hash).is_none() {
                self.refresh(&mut cache, true);
                if cache.data.find_code(&hash).is_none() {
                    return Err(RegistryError::InvalidCode);
                }
            }
        }
        let record = self.mutate(|data| {
            let index = data.find_code(&hash).ok_or(RegistryError::InvalidCode)?;
            if data.pending_codes[index].expires_at <= now {
                return Err(RegistryError::InvalidCode);
            }
            if data.stations.iter().any(|s| s.is_active() && s.public_key == *public_key) {
                return Err(RegistryError::KeyInUse);
            }
            let stored = data.pending_codes.remove(index);
            if let Some(s) = data.active_station(&stored.name).filter(|s| s.name == stored.name) {
                return Err(RegistryError::AlreadyEnrolled { name: stored.name, id: s.id.clone() });
            }
            let mut id = StationId::random();
            while data.stations.iter().any(|s| s.id == id) {
                id = StationId::random();
            }
            let record = StationRecord {
                id,
                name: stored.name,
                public_key: *public_key,
                enrolled_at: now,
                revoked_at: None,
            };
            data.stations.push(record.clone());
            Ok(record)
        })?;
        tracing::info!(station = %record.name, id = %record.id, "station enrolled");
        Ok(record)
    }

    /// Revokes the active station named or with id `name_or_id` (it gets 401 from then on) and
    /// withdraws a pending code for that name.
    pub fn revoke(&self, name_or_id: &str) -> Result<Revoked, RegistryError> {
        let now = OffsetDateTime::now_utc();
        let revoked = self.mutate(|data| {
            let mut station = None;
            for s in &mut data.stations {
                if s.is_active() && (s.id.as_str() == name_or_id || s.name == name_or_id) {
                    s.revoked_at = Some(now);
                    station = Some(s.clone());
                    break;
                }
            }
            let name = station.as_ref().map_or(name_or_id, |s| s.name.as_str()).to_owned();
            let before = data.pending_codes.len();
            data.pending_codes.retain(|c| c.name != name);
            let cancelled_code = data.pending_codes.len() != before;
            if station.is_none() && !cancelled_code {
                return Err(RegistryError::NotFound(name_or_id.to_owned()));
            }
            Ok(Revoked { station, cancelled_code })
        })?;
        if let Some(s) = &revoked.station {
            tracing::info!(station = %s.name, id = %s.id, "station revoked");
        }
        Ok(revoked)
    }

    /// Every station ever enrolled (revoked ones too), by name then enrolment time.
    pub fn list(&self) -> Vec<StationRecord> {
        let mut cache = self.lock();
        self.refresh(&mut cache, true);
        let mut out = cache.data.stations.clone();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.enrolled_at.cmp(&b.enrolled_at)));
        out
    }

    /// The pending codes (not the codes themselves) that have not expired at `now`.
    pub fn pending(&self, now: OffsetDateTime) -> Vec<PendingCode> {
        let mut cache = self.lock();
        self.refresh(&mut cache, true);
        let mut out: Vec<PendingCode> = cache
            .data
            .pending_codes
            .iter()
            .filter(|c| c.expires_at > now)
            .map(|c| PendingCode {
                name: c.name.clone(),
                issued_at: c.issued_at,
                expires_at: c.expires_at,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// The active station with this id, if any.
    pub fn station(&self, id: &StationId) -> Option<StationRecord> {
        let mut cache = self.lock();
        self.refresh(&mut cache, false);
        cache.data.stations.iter().find(|s| s.id == *id && s.is_active()).cloned()
    }

    /// Checks a station assertion for `audience` (the service's base URL; a trailing `/` is
    /// ignored) at `now`: header `alg = EdDSA`; `iss` an enrolled, unrevoked station; the
    /// signature by its key; `iss == sub`; `aud` = the audience; `exp` not past (30 s leeway);
    /// `nbf` and `iat` not in the future beyond the leeway; `exp - iat` between 0 and 300 s.
    /// Every failure is [`AuthError::Unauthorized`]; the reason is logged at debug level,
    /// never the assertion.
    pub fn verify(
        &self,
        assertion: &str,
        audience: &str,
        now: OffsetDateTime,
    ) -> Result<StationId, AuthError> {
        self.check(assertion, normalize_audience(audience), now).map_err(|(reason, station)| {
            tracing::debug!(
                %reason,
                station = station.as_ref().map(StationId::as_str),
                "station assertion refused"
            );
            AuthError::Unauthorized
        })
    }

    fn check(
        &self,
        assertion: &str,
        audience: &str,
        now: OffsetDateTime,
    ) -> Result<StationId, (Refusal, Option<StationId>)> {
        if assertion.len() > MAX_ASSERTION_LEN {
            return Err((Refusal::TooLong, None));
        }
        let header =
            jsonwebtoken::decode_header(assertion).map_err(|_| (Refusal::Malformed, None))?;
        if header.alg != jsonwebtoken::Algorithm::EdDSA {
            return Err((Refusal::Algorithm, None));
        }
        #[derive(Deserialize)]
        struct Issuer {
            iss: String,
        }
        let issuer: Issuer = jsonwebtoken::dangerous::insecure_decode_claims(assertion)
            .map_err(|_| (Refusal::Malformed, None))?;
        let id = StationId(issuer.iss);
        let record = {
            let mut cache = self.lock();
            self.refresh(&mut cache, false);
            let mut found = cache.data.stations.iter().find(|s| s.id == id).cloned();
            if found.is_none() {
                self.refresh(&mut cache, true);
                found = cache.data.stations.iter().find(|s| s.id == id).cloned();
            }
            found
        };
        let record = record.ok_or((Refusal::UnknownStation, None))?;
        let fail = |r: Refusal| (r, Some(record.id.clone()));
        if !record.is_active() {
            return Err(fail(Refusal::Revoked));
        }
        let key = jsonwebtoken::DecodingKey::from_ed_der(record.public_key.as_bytes());
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        // Times and audience are checked below against the caller's `now`.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => fail(Refusal::Signature),
                _ => fail(Refusal::Malformed),
            })?
            .claims;
        if claims.iss != claims.sub || claims.iss != record.id.as_str() {
            return Err(fail(Refusal::IssuerSubject));
        }
        if normalize_audience(&claims.aud) != audience {
            return Err(fail(Refusal::Audience));
        }
        let now = now.unix_timestamp();
        if claims.exp.saturating_add(LEEWAY_SECS) <= now {
            return Err(fail(Refusal::Expired));
        }
        if claims.nbf > now.saturating_add(LEEWAY_SECS) {
            return Err(fail(Refusal::NotYetValid));
        }
        if claims.iat > now.saturating_add(LEEWAY_SECS) {
            return Err(fail(Refusal::IssuedInFuture));
        }
        let lifetime = claims.exp.saturating_sub(claims.iat);
        if !(0..=MAX_ASSERTION_LIFETIME_SECS).contains(&lifetime) {
            return Err(fail(Refusal::Lifetime));
        }
        Ok(record.id)
    }
}

/// The router state session-API handlers need to authenticate a station: the registry and the
/// audience (the service's public base URL, as kiosks are configured with it).
#[derive(Debug, Clone)]
pub struct StationAuth {
    /// The registry.
    pub registry: StationRegistry,
    /// The expected `aud` (trailing `/` removed).
    pub audience: String,
}

impl StationAuth {
    /// From the registry and the service's public base URL.
    pub fn new(registry: StationRegistry, audience: &str) -> Self {
        Self { registry, audience: normalize_audience(audience).to_owned() }
    }
}

/// An extractor: the request carries `Authorization: Bearer <assertion>` of an enrolled,
/// unrevoked station; otherwise the handler is not called and the answer is
/// [`AuthError::Unauthorized`] (401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedStation(pub StationId);

impl<S> FromRequestParts<S> for AuthenticatedStation
where
    StationAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = StationAuth::from_ref(state);
        let token = bearer(parts).ok_or_else(|| {
            tracing::debug!("station request without a bearer assertion");
            AuthError::Unauthorized
        })?;
        auth.registry
            .verify(token, &auth.audience, OffsetDateTime::now_utc())
            .map(AuthenticatedStation)
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// `POST /v1/enroll`: [`EnrollRequest`] → `201` [`EnrollResponse`]; a wrong, used or expired code
/// → 401 (the same body as every 401); a malformed body → 400 `invalidInput`; bodies over 4 KiB
/// → 413.
pub fn enroll_router<S>() -> axum::Router<S>
where
    StationAuth: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    axum::Router::new()
        .route(ENROLL_PATH, post(enroll))
        .layer(DefaultBodyLimit::max(ENROLL_BODY_LIMIT))
}

fn invalid_input(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "code": "invalidInput", "message": message });
    (status, Json(body)).into_response()
}

async fn enroll(
    State(auth): State<StationAuth>,
    body: Result<Json<EnrollRequest>, JsonRejection>,
) -> Response {
    let request = match body {
        Ok(Json(request)) => request,
        Err(rejection) => {
            let status = rejection.status();
            return if status == StatusCode::PAYLOAD_TOO_LARGE {
                invalid_input(status, "the request body is larger than 4 KiB")
            } else {
                invalid_input(
                    StatusCode::BAD_REQUEST,
                    "expected a JSON body {\"code\": …, \"publicKey\": …}",
                )
            };
        }
    };
    let Ok(public_key) = PublicKey::from_base64url(&request.public_key) else {
        return invalid_input(
            StatusCode::BAD_REQUEST,
            "publicKey is not an Ed25519 public key (32 bytes, base64url)",
        );
    };
    let code = Zeroizing::new(request.code.clone());
    drop(request);
    let registry = auth.registry.clone();
    let result = tokio::task::spawn_blocking(move || registry.redeem(&code, &public_key)).await;
    match result {
        Ok(Ok(record)) => (
            StatusCode::CREATED,
            Json(EnrollResponse { station_id: record.id.0, name: record.name }),
        )
            .into_response(),
        Ok(Err(RegistryError::InvalidCode)) => {
            tracing::debug!("enrolment refused: invalid code");
            AuthError::Unauthorized.into_response()
        }
        Ok(Err(e @ (RegistryError::KeyInUse | RegistryError::AlreadyEnrolled { .. }))) => {
            tracing::info!(error = %e, "enrolment refused");
            let body = serde_json::json!({ "code": "conflict", "message": e.to_string() });
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "enrolment failed");
            let body = serde_json::json!({ "code": "internal", "message": "enrolment failed" });
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "enrolment task failed");
            let body = serde_json::json!({ "code": "internal", "message": "enrolment failed" });
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
    }
}

fn check_name(name: &str) -> Result<(), RegistryError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with("st-")
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok { Ok(()) } else { Err(RegistryError::InvalidName(name.to_owned())) }
}

/// 16 symbols from [`CODE_ALPHABET`] as `XXXX-XXXX-XXXX-XXXX`.
fn new_code() -> Zeroizing<String> {
    let mut rng = rand::rng();
    let mut code = Zeroizing::new(String::with_capacity(CODE_LEN + CODE_LEN / 4));
    for i in 0..CODE_LEN {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        let symbol = CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())];
        code.push(char::from(symbol));
    }
    code
}

/// SHA-256 (hex) of the code as typed, ignoring case, spaces and dashes.
fn code_hash(code: &str) -> String {
    let normal: Zeroizing<String> = Zeroizing::new(
        code.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect(),
    );
    let digest = Sha256::digest(normal.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Reads the registry (a missing file is empty) and the fingerprint of what was read.
fn load(path: &Path) -> Result<(RegistryData, Option<Fingerprint>), RegistryError> {
    let io = |source| RegistryError::Io { path: path.to_path_buf(), source };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((RegistryData { version: FILE_VERSION, ..RegistryData::default() }, None));
        }
        Err(e) => return Err(io(e)),
    };
    let meta = file.metadata().map_err(io)?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io)?;
    let data: RegistryData = serde_json::from_str(&text)
        .map_err(|e| RegistryError::Corrupt { path: path.to_path_buf(), reason: e.to_string() })?;
    if data.version != FILE_VERSION {
        return Err(RegistryError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("version {} (this build reads version {FILE_VERSION})", data.version),
        });
    }
    Ok((data, Some(Fingerprint::of(&meta))))
}

/// The exclusive lock every writer holds (`stations.json.lock`, released on drop).
fn lock_file(path: &Path) -> Result<std::fs::File, RegistryError> {
    let lock_path = path.with_extension("json.lock");
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let io = |source| RegistryError::Io { path: lock_path.clone(), source };
    let file = options.open(&lock_path).map_err(io)?;
    file.lock().map_err(io)?;
    Ok(file)
}

/// Writes the registry atomically: a temporary file (mode 0600, owned like the state folder when
/// run as root, so a CLI run by root leaves a file the service user can read), synced, renamed.
fn save(path: &Path, data: &RegistryData) -> Result<(), RegistryError> {
    let io = |source| RegistryError::Io { path: path.to_path_buf(), source };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut text = serde_json::to_string_pretty(data)
        .map_err(|e| RegistryError::Corrupt { path: path.to_path_buf(), reason: e.to_string() })?;
    text.push('\n');
    let tmp = dir.join(format!(".{REGISTRY_FILE}.{:016x}.tmp", rand::rng().random::<u64>()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut file = options.open(&tmp)?;
        #[cfg(unix)]
        if let Ok(dir_meta) = std::fs::metadata(dir) {
            use std::os::unix::fs::MetadataExt as _;
            // Only succeeds (and only matters) as root; otherwise the file is already ours.
            let _ = std::os::unix::fs::fchown(&file, Some(dir_meta.uid()), Some(dir_meta.gid()));
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// `reclaim-service stations …`.
#[derive(Debug, clap::Subcommand)]
pub enum StationsCommand {
    /// Issue a one-time enrolment code for station NAME (valid 24 h, usable once; a new code
    /// replaces an earlier pending one). Run as the service's user.
    Enroll {
        /// The station's name (letters, digits, '.', '_', '-').
        name: String,
        /// The service's state directory.
        #[arg(long, default_value = DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
    },
    /// Revoke station NAME (or id): it gets 401 from the next call on; a pending code for the
    /// name is withdrawn.
    Revoke {
        /// Name or id.
        name: String,
        /// The service's state directory.
        #[arg(long, default_value = DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
    },
    /// List the stations and pending codes.
    List {
        /// The service's state directory.
        #[arg(long, default_value = DEFAULT_STATE_DIR)]
        state_dir: PathBuf,
        /// As JSON: `{"stations":[…],"pendingCodes":[…]}`.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `stations` subcommand; messages to stdout, errors to stderr.
pub fn cli(command: StationsCommand) -> ExitCode {
    match run_cli(command, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "reclaim-service stations: {e}");
            ExitCode::FAILURE
        }
    }
}

/// RFC 3339 in whole seconds.
fn fmt_time(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// The `stations` subcommands, writing to `out`.
pub fn run_cli(command: StationsCommand, out: &mut dyn std::io::Write) -> Result<(), String> {
    let w = |e: std::io::Error| e.to_string();
    match command {
        StationsCommand::Enroll { name, state_dir } => {
            let registry = StationRegistry::open(&state_dir).map_err(|e| e.to_string())?;
            let issued = registry
                .issue_code_at(&name, OffsetDateTime::now_utc())
                .map_err(|e| e.to_string())?;
            writeln!(out, "enrolment code for station {name}: {}", issued.code()).map_err(w)?;
            writeln!(out, "valid until {} (24 h), usable once", fmt_time(issued.expires_at))
                .map_err(w)?;
            if issued.replaced_earlier {
                writeln!(out, "the earlier pending code for {name} no longer works").map_err(w)?;
            }
            writeln!(out, "on the kiosk, as its user: reclaim-config enroll SERVICE-URL CODE")
                .map_err(w)?;
        }
        StationsCommand::Revoke { name, state_dir } => {
            let registry = StationRegistry::open(&state_dir).map_err(|e| e.to_string())?;
            let revoked = registry.revoke(&name).map_err(|e| e.to_string())?;
            if let Some(s) = &revoked.station {
                writeln!(out, "revoked station {} ({})", s.name, s.id).map_err(w)?;
            }
            if revoked.cancelled_code {
                writeln!(out, "withdrew the pending enrolment code for {name}").map_err(w)?;
            }
        }
        StationsCommand::List { state_dir, json } => {
            let registry = StationRegistry::open(&state_dir).map_err(|e| e.to_string())?;
            let stations = registry.list();
            let pending = registry.pending(OffsetDateTime::now_utc());
            if json {
                let value = serde_json::json!({ "stations": stations, "pendingCodes": pending });
                writeln!(out, "{value}").map_err(w)?;
                return Ok(());
            }
            if stations.is_empty() && pending.is_empty() {
                writeln!(out, "no stations").map_err(w)?;
            }
            for s in &stations {
                let state = match s.revoked_at {
                    None => "active".to_owned(),
                    Some(t) => format!("revoked {}", fmt_time(t)),
                };
                writeln!(
                    out,
                    "{:<24} {:<20} enrolled {}  {state}",
                    s.name,
                    s.id,
                    fmt_time(s.enrolled_at)
                )
                .map_err(w)?;
            }
            for p in &pending {
                writeln!(
                    out,
                    "{:<24} {:<20} code pending until {}",
                    p.name,
                    "-",
                    fmt_time(p.expires_at)
                )
                .map_err(w)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use reclaim_protocol::station::{ASSERTION_LIFETIME_SECS, StationKey};
    use tower::ServiceExt as _;

    use super::*;

    const AUD: &str = "https://recovery.contoso.example";

    fn t(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000 + secs).expect("time")
    }

    /// A registry with one enrolled station.
    fn enrolled() -> (StationRegistry, StationKey, StationRecord) {
        let registry = StationRegistry::in_memory();
        let key = StationKey::generate().expect("key");
        let issued = registry.issue_code_at("lobby-1", t(0)).expect("code");
        let record = registry.redeem_at(issued.code(), &key.public_key(), t(1)).expect("redeem");
        (registry, key, record)
    }

    /// An assertion with arbitrary claims, signed by `key` (EdDSA).
    fn forge(key: &StationKey, claims: &serde_json::Value) -> String {
        let encoding = jsonwebtoken::EncodingKey::from_ed_der(&key.to_pkcs8());
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        jsonwebtoken::encode(&header, claims, &encoding).expect("sign")
    }

    fn claims(id: &str, iat: i64, exp: i64) -> serde_json::Value {
        serde_json::json!({
            "iss": id, "sub": id, "aud": AUD, "iat": iat, "nbf": iat, "exp": exp, "jti": "x",
        })
    }

    fn b64(v: &serde_json::Value) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn an_enrolled_stations_assertion_verifies() {
        let (registry, key, record) = enrolled();
        assert!(record.id.as_str().starts_with("st-") && record.id.as_str().len() == 19);
        assert_eq!(record.name, "lobby-1");
        let now = t(100);
        let jwt = key.assertion(record.id.as_str(), AUD, now);
        assert_eq!(registry.verify(&jwt, AUD, now), Ok(record.id.clone()));
        // A trailing slash on either side is the same audience.
        assert_eq!(registry.verify(&jwt, &format!("{AUD}/"), now), Ok(record.id.clone()));
        // Still good 30 s after exp (leeway), not after that.
        assert!(registry.verify(&jwt, AUD, t(100 + ASSERTION_LIFETIME_SECS + 29)).is_ok());
        assert_eq!(
            registry.verify(&jwt, AUD, t(100 + ASSERTION_LIFETIME_SECS + 30)),
            Err(AuthError::Unauthorized)
        );
    }

    #[test]
    fn bad_assertions_are_all_refused_the_same_way() {
        let (registry, key, record) = enrolled();
        let id = record.id.as_str();
        let now = t(1000);
        // Each is refused for its own reason (checked), and outwardly all look the same.
        let refused = |jwt: &str, why: Refusal| {
            assert_eq!(registry.verify(jwt, AUD, now), Err(AuthError::Unauthorized), "{why}");
            assert_eq!(registry.check(jwt, AUD, now).map_err(|(r, _)| r), Err(why));
        };
        let n = now.unix_timestamp();
        refused(&key.assertion(id, "https://other.example", now), Refusal::Audience);
        refused(&key.assertion(id, AUD, t(1000 - 60 - 31)), Refusal::Expired);
        refused(&key.assertion(id, AUD, t(1000 + 31)), Refusal::NotYetValid);
        let mut future_iat = claims(id, n, n + 60);
        future_iat["iat"] = serde_json::json!(n + 31);
        refused(&forge(&key, &future_iat), Refusal::IssuedInFuture);
        let mut future_nbf = claims(id, n, n + 60);
        future_nbf["nbf"] = serde_json::json!(n + 31);
        refused(&forge(&key, &future_nbf), Refusal::NotYetValid);
        refused(&forge(&key, &claims(id, n, n + 301)), Refusal::Lifetime);
        refused(&forge(&key, &claims(id, n - 100, n + 201)), Refusal::Lifetime);
        refused(&forge(&key, &claims(id, n, n - 1)), Refusal::Lifetime);
        assert!(registry.verify(&forge(&key, &claims(id, n, n + 300)), AUD, now).is_ok());
        let other = StationKey::generate().expect("key");
        refused(&other.assertion(id, AUD, now), Refusal::Signature);
        refused(&key.assertion("st-00000000deadbeef", AUD, now), Refusal::UnknownStation);
        let mut sub = claims(id, n, n + 60);
        sub["sub"] = serde_json::json!("st-00000000deadbeef");
        refused(&forge(&key, &sub), Refusal::IssuerSubject);
        let mut no_exp = claims(id, n, n + 60);
        no_exp.as_object_mut().expect("object").remove("exp");
        refused(&forge(&key, &no_exp), Refusal::Malformed);

        // Tampered payload: the claims changed after signing.
        let good = key.assertion(id, AUD, now);
        let parts: Vec<&str> = good.split('.').collect();
        let mut tampered_claims = claims(id, n, n + 60);
        tampered_claims["aud"] = serde_json::json!("https://other.example");
        refused(
            &format!("{}.{}.{}", parts[0], b64(&tampered_claims), parts[2]),
            Refusal::Signature,
        );
        let extended = claims(id, n, n + 120);
        refused(&format!("{}.{}.{}", parts[0], b64(&extended), parts[2]), Refusal::Signature);

        // alg none, with and without a signature part.
        let none = b64(&serde_json::json!({"alg": "none", "typ": "JWT"}));
        let body = b64(&claims(id, n, n + 60));
        refused(&format!("{none}.{body}."), Refusal::Malformed);
        refused(&format!("{none}.{body}.{}", parts[2]), Refusal::Malformed);
        // alg HS256 keyed with the (public) station key: algorithm confusion.
        let hs = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims(id, n, n + 60),
            &jsonwebtoken::EncodingKey::from_secret(record.public_key.as_bytes()),
        )
        .expect("hs256");
        refused(&hs, Refusal::Algorithm);
        refused("", Refusal::Malformed);
        refused("a.b.c", Refusal::Malformed);
        refused(&format!("{good}{}", "A".repeat(MAX_ASSERTION_LEN)), Refusal::TooLong);

        // Revoked: the same good assertion stops working.
        assert!(registry.verify(&good, AUD, now).is_ok());
        let revoked = registry.revoke("lobby-1").expect("revoke");
        assert_eq!(revoked.station.map(|s| s.id), Some(record.id.clone()));
        refused(&good, Refusal::Revoked);
        refused(&key.assertion(id, AUD, now), Refusal::Revoked);
        assert!(registry.station(&record.id).is_none());
    }

    #[test]
    fn a_code_works_once_and_wrong_used_or_expired_codes_look_the_same() {
        let registry = StationRegistry::in_memory();
        let issued = registry.issue_code_at("desk-2", t(0)).expect("code");
        let code = issued.code().to_owned();
        assert_eq!(code.len(), 19);
        assert!(code.split('-').all(|g| g.len() == 4), "{code}");
        assert!(code.bytes().all(|b| b == b'-' || CODE_ALPHABET.contains(&b)), "{code}");
        assert_eq!(issued.expires_at, t(0) + CODE_LIFETIME);
        assert!(!format!("{issued:?}").contains(&code));
        assert_eq!(registry.pending(t(1)).len(), 1);

        let key = StationKey::generate().expect("key");
        let wrong = registry.redeem_at("AAAA-BBBB-CCCC-DDDD", &key.public_key(), t(1));
        assert!(matches!(wrong, Err(RegistryError::InvalidCode)));
        // Typed loosely: lower case, no dashes, spaces.
        let typed = format!(" {} ", code.to_lowercase().replace('-', ""));
        let record = registry.redeem_at(&typed, &key.public_key(), t(2)).expect("redeem");
        assert_eq!(record.name, "desk-2");
        assert!(registry.pending(t(3)).is_empty());
        let other = StationKey::generate().expect("key");
        let used = registry.redeem_at(&code, &other.public_key(), t(3));
        assert!(matches!(used, Err(RegistryError::InvalidCode)));

        let late = registry.issue_code_at("desk-3", t(0)).expect("code");
        let expired = registry.redeem_at(late.code(), &other.public_key(), t(0) + CODE_LIFETIME);
        assert!(matches!(expired, Err(RegistryError::InvalidCode)));
        assert_eq!(
            RegistryError::InvalidCode.to_string(),
            "the enrolment code is not valid (wrong, already used or expired)"
        );
        assert!(registry.pending(t(0) + CODE_LIFETIME).is_empty());
    }

    #[test]
    fn names_codes_and_keys_follow_the_rules() {
        let (registry, key, record) = enrolled();
        for bad in ["", "st-1", "has space", "a/b", &"x".repeat(MAX_NAME_LEN + 1)] {
            assert!(
                matches!(registry.issue_code_at(bad, t(5)), Err(RegistryError::InvalidName(_))),
                "{bad:?}"
            );
        }
        let again = registry.issue_code_at("lobby-1", t(5));
        assert!(
            matches!(again, Err(RegistryError::AlreadyEnrolled { ref id, .. }) if *id == record.id)
        );
        // A name has one pending code: a second replaces the first.
        let first = registry.issue_code_at("lobby-2", t(5)).expect("code");
        let second = registry.issue_code_at("lobby-2", t(6)).expect("code");
        assert!(second.replaced_earlier && !first.replaced_earlier);
        assert_eq!(registry.pending(t(7)).len(), 1);
        let k2 = StationKey::generate().expect("key");
        assert!(matches!(
            registry.redeem_at(first.code(), &k2.public_key(), t(7)),
            Err(RegistryError::InvalidCode)
        ));
        // The same key cannot be enrolled twice.
        assert!(matches!(
            registry.redeem_at(second.code(), &key.public_key(), t(7)),
            Err(RegistryError::KeyInUse)
        ));
        registry.redeem_at(second.code(), &k2.public_key(), t(8)).expect("redeem");
        // Revoke by id; revoking again is NotFound; after revocation the name can be re-enrolled.
        registry.revoke(record.id.as_str()).expect("revoke by id");
        assert!(matches!(registry.revoke("lobby-1"), Err(RegistryError::NotFound(_))));
        registry.issue_code_at("lobby-1", t(9)).expect("re-enrol after revoke");
        // Revoking a name with only a pending code withdraws it.
        let r = registry.revoke("lobby-1").expect("withdraw");
        assert!(r.station.is_none() && r.cancelled_code);
        let names: Vec<_> = registry.list().into_iter().map(|s| (s.is_active(), s.name)).collect();
        assert_eq!(names, [(false, "lobby-1".to_owned()), (true, "lobby-2".to_owned())]);
    }

    #[test]
    fn the_file_is_private_and_another_process_changes_are_seen_without_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        let service = StationRegistry::open(&state).expect("open (service)");
        assert!(service.list().is_empty());
        // The CLI is another instance on the same file.
        let cli = StationRegistry::open(&state).expect("open (cli)");
        let code = cli.issue_code("kiosk-a").expect("code");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode(&state.join(REGISTRY_FILE)), 0o600);
            assert_eq!(mode(&state), 0o700);
        }
        let text = std::fs::read_to_string(state.join(REGISTRY_FILE)).expect("read");
        assert!(!text.contains(&code), "only the hash is stored");
        assert!(text.contains(&code_hash(&code)));

        // The service redeems a code it never saw issued, at once.
        let key = StationKey::generate().expect("key");
        let record = service.redeem(&code, &key.public_key()).expect("redeem in the service");
        let now = OffsetDateTime::now_utc();
        let jwt = key.assertion(record.id.as_str(), AUD, now);
        assert_eq!(service.verify(&jwt, AUD, now), Ok(record.id.clone()));
        // The CLI sees the enrolment; a fresh open (a restart) sees it too.
        assert_eq!(cli.list(), vec![record.clone()]);
        let restarted = StationRegistry::open(&state).expect("reopen");
        assert_eq!(restarted.verify(&jwt, AUD, now), Ok(record.id.clone()));

        // The CLI revokes; within RELOAD_INTERVAL the running service refuses the station.
        cli.revoke("kiosk-a").expect("revoke");
        std::thread::sleep(RELOAD_INTERVAL + Duration::from_millis(100));
        assert_eq!(service.verify(&jwt, AUD, now), Err(AuthError::Unauthorized));
        assert!(!service.list()[0].is_active());

        let leftovers: Vec<String> = std::fs::read_dir(&state)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        let mut leftovers = leftovers;
        leftovers.sort();
        assert_eq!(leftovers, [REGISTRY_FILE, "stations.json.lock"], "no temporary files");
    }

    #[test]
    fn a_corrupt_file_is_an_error_and_a_running_service_keeps_its_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let service = StationRegistry::open(dir.path()).expect("open");
        let code = service.issue_code("kiosk-b").expect("code");
        let key = StationKey::generate().expect("key");
        let record = service.redeem(&code, &key.public_key()).expect("redeem");
        std::fs::write(dir.path().join(REGISTRY_FILE), "{not json").expect("write");
        assert!(matches!(StationRegistry::open(dir.path()), Err(RegistryError::Corrupt { .. })));
        std::thread::sleep(RELOAD_INTERVAL + Duration::from_millis(50));
        let now = OffsetDateTime::now_utc();
        let jwt = key.assertion(record.id.as_str(), AUD, now);
        assert_eq!(service.verify(&jwt, AUD, now), Ok(record.id));
    }

    async fn whoami(AuthenticatedStation(id): AuthenticatedStation) -> String {
        id.to_string()
    }

    fn app(registry: &StationRegistry) -> axum::Router {
        axum::Router::new()
            .route("/v1/whoami", axum::routing::get(whoami))
            .merge(enroll_router())
            .with_state(StationAuth::new(registry.clone(), &format!("{AUD}/")))
    }

    async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, Response) {
        let response = app.clone().oneshot(req).await.expect("infallible");
        (response.status(), response)
    }

    async fn json_body(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
        serde_json::from_slice(&bytes).expect("json body")
    }

    fn enroll_req(body: impl Into<Body>) -> Request<Body> {
        Request::post(ENROLL_PATH)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.into())
            .expect("request")
    }

    fn whoami_req(auth: Option<&str>) -> Request<Body> {
        let mut req = Request::get("/v1/whoami");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        req.body(Body::empty()).expect("request")
    }

    async fn assert_401(response: Response) {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).map(|v| v.as_bytes()),
            Some(&b"Bearer"[..])
        );
        let body = json_body(response).await;
        assert_eq!(body["code"], "unauthorized");
        assert_eq!(body["message"], UNAUTHORIZED_MESSAGE);
    }

    #[tokio::test]
    async fn enrol_over_http_then_authenticate_with_the_extractor() {
        let registry = StationRegistry::in_memory();
        let app = app(&registry);
        let code = registry.issue_code("front-desk").expect("code");
        let key = StationKey::generate().expect("key");
        let body = serde_json::json!({"code": code, "publicKey": key.public_key().to_base64url()});

        let (status, response) = call(&app, enroll_req(body.to_string())).await;
        assert_eq!(status, StatusCode::CREATED);
        let enrolled: EnrollResponse =
            serde_json::from_value(json_body(response).await).expect("EnrollResponse");
        assert_eq!(enrolled.name, "front-desk");

        // The same code again: 401, the same body as any 401.
        let (_, response) = call(&app, enroll_req(body.to_string())).await;
        assert_401(response).await;
        // Malformed bodies: 400 invalidInput.
        for bad in [
            "not json".to_owned(),
            serde_json::json!({"code": "x"}).to_string(),
            serde_json::json!({"code": "x", "publicKey": "AAAA"}).to_string(),
        ] {
            let (status, response) = call(&app, enroll_req(bad.clone())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert_eq!(json_body(response).await["code"], "invalidInput");
        }
        // Over 4 KiB: refused before parsing.
        let big = serde_json::json!({"code": "x".repeat(5000), "publicKey": "y"}).to_string();
        let (status, response) = call(&app, enroll_req(big)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(json_body(response).await["code"], "invalidInput");

        // The extractor: a fresh assertion works (audience without the trailing slash).
        let jwt = key.assertion(&enrolled.station_id, AUD, OffsetDateTime::now_utc());
        let (status, response) = call(&app, whoami_req(Some(&format!("Bearer {jwt}")))).await;
        assert_eq!(status, StatusCode::OK);
        let text = axum::body::to_bytes(response.into_body(), 1024).await.expect("body");
        assert_eq!(text, enrolled.station_id.as_bytes());
        let (status, _) = call(&app, whoami_req(Some(&format!("bearer {jwt}")))).await;
        assert_eq!(status, StatusCode::OK, "scheme is case-insensitive");

        for auth in [None, Some("Bearer"), Some("Basic abc"), Some("Bearer not.a.jwt")] {
            let (_, response) = call(&app, whoami_req(auth)).await;
            assert_401(response).await;
        }
        registry.revoke(&enrolled.station_id).expect("revoke");
        let (_, response) = call(&app, whoami_req(Some(&format!("Bearer {jwt}")))).await;
        assert_401(response).await;
    }

    #[test]
    fn the_cli_enrols_lists_and_revokes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state_dir = dir.path().to_path_buf();
        let run = |command| {
            let mut out = Vec::new();
            run_cli(command, &mut out).map(|()| String::from_utf8(out).expect("utf8"))
        };
        let out =
            run(StationsCommand::Enroll { name: "hall".into(), state_dir: state_dir.clone() })
                .expect("enroll");
        let code = out
            .split_whitespace()
            .find(|w| w.len() == 19 && w.matches('-').count() == 3)
            .expect("a code in the output")
            .to_owned();
        assert!(out.contains("valid until"), "{out}");
        let out =
            run(StationsCommand::List { state_dir: state_dir.clone(), json: false }).expect("list");
        assert!(out.contains("hall") && out.contains("code pending"), "{out}");
        assert!(!out.contains(&code), "list never shows a code");

        let registry = StationRegistry::open(&state_dir).expect("open");
        let key = StationKey::generate().expect("key");
        let record = registry.redeem(&code, &key.public_key()).expect("redeem");
        let out = run(StationsCommand::List { state_dir: state_dir.clone(), json: true })
            .expect("list --json");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["stations"][0]["id"], record.id.as_str());
        assert_eq!(v["stations"][0]["name"], "hall");
        assert_eq!(v["stations"][0]["publicKey"], key.public_key().to_base64url());
        assert!(v["stations"][0]["revokedAt"].is_null());
        assert_eq!(v["pendingCodes"], serde_json::json!([]));

        let out =
            run(StationsCommand::Revoke { name: "hall".into(), state_dir: state_dir.clone() })
                .expect("revoke");
        assert!(out.contains(record.id.as_str()), "{out}");
        assert!(
            run(StationsCommand::Revoke { name: "hall".into(), state_dir: state_dir.clone() })
                .is_err()
        );
        let err = run(StationsCommand::Enroll { name: "bad name".into(), state_dir })
            .expect_err("invalid name");
        assert!(err.contains("invalid station name"), "{err}");
    }
}
