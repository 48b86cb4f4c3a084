//! Shared relay state: stations, pending registrations, and the acceptance rules for callbacks.
//!
//! Registrations live in a sharded map of `std::sync::Mutex`es; every lock is synchronous and
//! short, and none is held across an await. Lock order, where more than one is taken:
//! registration shard → key index → station buffer.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::watch;

use crate::config::{MIN_SECRET_LEN, RelayConfig};
use crate::error::RelayError;
use crate::hub::{EventType, Limits, StationHub};

const SHARDS: usize = 64;
const MAX_STATE_LEN: usize = 128;

type Digest32 = [u8; 32];
type Shard = Mutex<HashMap<Arc<str>, Registration>>;

fn sha256(bytes: &[u8]) -> Digest32 {
    Sha256::digest(bytes).into()
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// What a registration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A `createPresentationRequest` (events `request_retrieved`, `presentation_verified|error`).
    Presentation,
    /// A `createIssuanceRequest` (events `request_retrieved`, `issuance_successful|error`).
    Issuance,
    /// An identity-provider hand-off whose return URL the phone is sent back to.
    ProviderReturn,
}

impl RequestKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Presentation => "presentation",
            Self::Issuance => "issuance",
            Self::ProviderReturn => "provider_return",
        }
    }

    fn is_terminal(self, status: &str) -> bool {
        match self {
            Self::Presentation => matches!(status, "presentation_verified" | "presentation_error"),
            Self::Issuance => matches!(status, "issuance_successful" | "issuance_error"),
            Self::ProviderReturn => false,
        }
    }
}

/// Body of `POST /v1/requests` (sent by [`crate::RelayClient::register`]).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterRequest {
    /// The `callback.state` the kiosk will give the Request Service (or the return-URL token).
    pub state: String,
    /// The `callback.headers.api-key` value; required except for `provider_return`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Epoch seconds after which the request is dead.
    pub expires_at: u64,
    /// What the registration is for.
    pub kind: RequestKind,
}

impl fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("state", &self.state)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("kind", &self.kind)
            .finish()
    }
}

struct Registration {
    station: usize,
    kind: RequestKind,
    api_key: Option<Box<[u8]>>,
    key_hash: Option<Digest32>,
    expires_at_ms: u64,
    retrieved: Option<Digest32>,
    terminal: Option<Digest32>,
    request_id: Option<Box<str>>,
}

/// Outcome of an authenticated, well-formed callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// New event, forwarded to the station.
    Forwarded,
    /// Exact repeat of an already accepted event; answered 200, not forwarded again.
    Duplicate,
}

struct Inner {
    config: RelayConfig,
    callback_url: String,
    return_base: String,
    stations: Vec<Arc<StationHub>>,
    by_credential: HashMap<Digest32, usize>,
    credentials: Vec<Box<[u8]>>,
    shards: Box<[Shard]>,
    shard_hasher: std::collections::hash_map::RandomState,
    key_index: Mutex<HashMap<Digest32, u32>>,
    shutdown: watch::Sender<bool>,
}

/// The relay's shared state; cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct RelayState {
    inner: Arc<Inner>,
}

impl fmt::Debug for RelayState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayState")
            .field("callback_url", &self.inner.callback_url)
            .field("stations", &self.inner.stations.len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn valid_state(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_STATE_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

impl RelayState {
    /// Builds the state. `local_base_url` (e.g. `http://127.0.0.1:8080`) is used to build
    /// `callbackUrl`/`returnUrl` unless the config sets `public_base_url`.
    pub fn new(config: RelayConfig, local_base_url: &str) -> Result<Self, RelayError> {
        config.validate()?;
        let base = config
            .public_base_url
            .clone()
            .unwrap_or_else(|| local_base_url.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let first_id = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2))
            .unwrap_or(1);
        let limits = Limits {
            max_events: config.buffer_events,
            max_age: config.buffer_age,
            max_bytes: config.buffer_bytes,
        };
        let mut stations = Vec::new();
        let mut by_credential = HashMap::new();
        let mut credentials = Vec::new();
        for (i, s) in config.stations.iter().enumerate() {
            stations.push(Arc::new(StationHub::new(&s.id, first_id, limits)));
            by_credential.insert(sha256(s.credential.as_bytes()), i);
            credentials.push(Box::from(s.credential.as_bytes()));
        }
        let shards = (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect();
        Ok(Self {
            inner: Arc::new(Inner {
                callback_url: format!("{base}/v1/callbacks/vc"),
                return_base: format!("{base}/v1/return/"),
                config,
                stations,
                by_credential,
                credentials,
                shards,
                shard_hasher: Default::default(),
                key_index: Mutex::new(HashMap::new()),
                shutdown: watch::channel(false).0,
            }),
        })
    }

    pub(crate) fn config(&self) -> &RelayConfig {
        &self.inner.config
    }

    /// The `callback.url` kiosks hand to the Request Service.
    pub fn callback_url(&self) -> &str {
        &self.inner.callback_url
    }

    pub(crate) fn station(&self, idx: usize) -> Option<&Arc<StationHub>> {
        self.inner.stations.get(idx)
    }

    /// Resolves a bearer credential to a station (hash lookup, then constant-time compare).
    pub(crate) fn authenticate_station(&self, credential: &[u8]) -> Result<usize, RelayError> {
        let idx =
            *self.inner.by_credential.get(&sha256(credential)).ok_or(RelayError::Unauthorized)?;
        let expected = self.inner.credentials.get(idx).ok_or(RelayError::Unauthorized)?;
        if bool::from(expected.as_ref().ct_eq(credential)) {
            Ok(idx)
        } else {
            Err(RelayError::Unauthorized)
        }
    }

    fn shard(&self, state: &str) -> &Shard {
        let h = self.inner.shard_hasher.hash_one(state) as usize;
        &self.inner.shards[h % self.inner.shards.len()]
    }

    /// Cheap pre-check before reading a callback body: does any registration use this api-key?
    pub(crate) fn api_key_known(&self, key: &[u8]) -> bool {
        lock(&self.inner.key_index).contains_key(&sha256(key))
    }

    fn index_key(&self, hash: Digest32, add: bool) {
        let mut idx = lock(&self.inner.key_index);
        if add {
            *idx.entry(hash).or_insert(0) += 1;
        } else if let Some(n) = idx.get_mut(&hash) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                idx.remove(&hash);
            }
        }
    }

    /// Bookkeeping for a registration that has been taken out of its shard.
    fn forget(&self, reg: &Registration) {
        if let Some(h) = reg.key_hash {
            self.index_key(h, false);
        }
        if let Some(st) = self.station(reg.station) {
            st.release();
        }
    }

    /// Tells the owning station that a request expired without a terminal event.
    fn announce_expiry(&self, state: &Arc<str>, reg: &Registration) {
        if reg.terminal.is_some() {
            return;
        }
        if let Some(st) = self.station(reg.station) {
            let data = serde_json::json!({
                "state": &**state, "kind": reg.kind.as_str(), "body": Value::Null
            })
            .to_string();
            st.publish(EventType::Expired, state.clone(), data, u64::MAX);
        }
    }

    /// `POST /v1/requests` logic. Returns `(callbackUrl, returnUrl)`.
    pub(crate) fn register(
        &self,
        station: usize,
        body: RegisterRequest,
    ) -> Result<(String, Option<String>), RelayError> {
        if !valid_state(&body.state) {
            return Err(RelayError::BadRequest(
                "state must be 1-128 characters of A-Z a-z 0-9 - _ . ~",
            ));
        }
        if body.kind == RequestKind::ProviderReturn && body.state.len() < MIN_SECRET_LEN {
            // The return URL carries no other secret than its state.
            return Err(RelayError::BadRequest(
                "a provider_return state must be at least 16 characters",
            ));
        }
        let now = now_ms();
        let expires_at_ms = body.expires_at.saturating_mul(1000);
        let max_ms = now
            .saturating_add(u64::try_from(self.config().max_ttl.as_millis()).unwrap_or(u64::MAX));
        if expires_at_ms <= now {
            return Err(RelayError::BadRequest("expiresAt is in the past"));
        }
        if expires_at_ms > max_ms {
            return Err(RelayError::BadRequest("expiresAt is further away than the relay allows"));
        }
        let api_key = match (body.kind, body.api_key) {
            (RequestKind::ProviderReturn, _) => None,
            (_, None) => return Err(RelayError::BadRequest("apiKey is required")),
            (_, Some(k)) => {
                if k.len() < MIN_SECRET_LEN
                    || k.len() > 512
                    || !k.bytes().all(|b| b.is_ascii_graphic())
                {
                    return Err(RelayError::BadRequest(
                        "apiKey must be 16-512 visible ASCII characters",
                    ));
                }
                Some(k.into_bytes().into_boxed_slice())
            }
        };
        let st = self.station(station).ok_or(RelayError::Unauthorized)?;
        let key_hash = api_key.as_deref().map(sha256);
        let state: Arc<str> = Arc::from(body.state.as_str());
        {
            let mut shard = lock(self.shard(&state));
            if let Some(existing) = shard.get(&state) {
                if existing.expires_at_ms > now {
                    return Err(RelayError::Conflict("state already registered"));
                }
                if let Some(old) = shard.remove(&state) {
                    self.announce_expiry(&state, &old);
                    self.forget(&old);
                }
            }
            if !st.try_reserve(self.config().max_pending_per_station) {
                return Err(RelayError::TooManyPending);
            }
            if let Some(h) = key_hash {
                self.index_key(h, true);
            }
            shard.insert(
                state.clone(),
                Registration {
                    station,
                    kind: body.kind,
                    api_key,
                    key_hash,
                    expires_at_ms,
                    retrieved: None,
                    terminal: None,
                    request_id: None,
                },
            );
        }
        let return_url = (body.kind == RequestKind::ProviderReturn)
            .then(|| format!("{}{}", self.inner.return_base, state));
        Ok((self.inner.callback_url.clone(), return_url))
    }

    /// `DELETE /v1/requests/{state}` logic: removes the station's own registration and its
    /// buffered events.
    pub(crate) fn abandon(&self, station: usize, state: &str) -> Result<(), RelayError> {
        let reg = {
            let mut shard = lock(self.shard(state));
            match shard.get(state) {
                Some(r) if r.station == station => shard.remove(state),
                _ => None,
            }
        };
        let reg = reg.ok_or(RelayError::NotFound)?;
        self.forget(&reg);
        if let Some(st) = self.station(station) {
            st.wipe_state(state);
        }
        Ok(())
    }

    /// `POST /v1/callbacks/vc` logic after transport checks (content type, size, JSON syntax).
    pub(crate) fn accept_callback(
        &self,
        api_key: &[u8],
        body: Value,
    ) -> Result<Accepted, RelayError> {
        let obj = body.as_object().ok_or(RelayError::BadRequest("body must be a JSON object"))?;
        let state = match obj.get("state") {
            Some(Value::String(s)) => s.as_str(),
            _ => return Err(RelayError::BadRequest("missing string field state")),
        };
        let status = match obj.get("requestStatus").or_else(|| obj.get("code")) {
            Some(Value::String(s)) => s.as_str(),
            _ => return Err(RelayError::BadRequest("missing string field requestStatus")),
        };
        let request_id = match obj.get("requestId") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => return Err(RelayError::BadRequest("requestId must be a string")),
        };
        if !valid_state(state) {
            // Could never have been registered.
            return Err(RelayError::Unauthorized);
        }
        // Heavy work outside any lock: canonical digest and the event's data text.
        let body_text = body.to_string();
        let digest = sha256(body_text.as_bytes());
        let state_json = Value::from(state).to_string();
        let status_json = Value::from(status).to_string();
        let mut data = String::with_capacity(body_text.len() + state_json.len() + 96);
        data.push_str("{\"state\":");
        data.push_str(&state_json);
        data.push_str(",\"requestStatus\":");
        data.push_str(&status_json);
        data.push_str(",\"body\":");
        data.push_str(&body_text);
        drop(body_text);

        let now = now_ms();
        let mut shard = lock(self.shard(state));
        let Some((key, reg)) = shard.get_key_value(state) else {
            return Err(RelayError::Unauthorized);
        };
        let Some(expected) = reg.api_key.as_deref() else {
            // provider_return registrations take no callbacks
            return Err(RelayError::Unauthorized);
        };
        if !bool::from(expected.ct_eq(api_key)) {
            return Err(RelayError::Unauthorized);
        }
        let key = key.clone();
        if reg.expires_at_ms <= now {
            if let Some(old) = shard.remove(&key) {
                self.announce_expiry(&key, &old);
                self.forget(&old);
            }
            return Err(RelayError::Gone);
        }
        let Some(reg) = shard.get_mut(&key) else {
            return Err(RelayError::Unauthorized);
        };
        let retrieved = status == "request_retrieved";
        let terminal = reg.kind.is_terminal(status);
        if !retrieved && !terminal {
            return Err(RelayError::BadRequest("requestStatus is not valid for this request"));
        }
        if retrieved {
            match reg.retrieved {
                Some(d) if d == digest => return Ok(Accepted::Duplicate),
                Some(_) => return Err(RelayError::Conflict("request_retrieved already received")),
                None if reg.terminal.is_some() => {
                    return Err(RelayError::Conflict("request_retrieved after the terminal event"));
                }
                None => {}
            }
        } else {
            match reg.terminal {
                Some(d) if d == digest => return Ok(Accepted::Duplicate),
                Some(_) => return Err(RelayError::Conflict("terminal event already received")),
                None => {}
            }
        }
        match (&reg.request_id, request_id) {
            (Some(pinned), Some(got)) if **pinned != *got => {
                return Err(RelayError::Conflict("requestId differs from earlier callbacks"));
            }
            (None, Some(got)) => reg.request_id = Some(Box::from(got)),
            _ => {}
        }
        if retrieved {
            reg.retrieved = Some(digest);
        } else {
            // From here on only the tombstone remains: key, digests, expiry — no body.
            reg.terminal = Some(digest);
        }
        data.push_str(",\"kind\":\"");
        data.push_str(reg.kind.as_str());
        data.push_str("\"}");
        let keep_until = reg.expires_at_ms;
        if let Some(st) = self.station(reg.station) {
            // Published under the shard lock so a request's events reach the buffer in the
            // order they were accepted.
            st.publish(EventType::Callback, key, data, keep_until);
        }
        Ok(Accepted::Forwarded)
    }

    /// `GET /v1/return/{state}` logic: one-time; true when forwarded.
    pub(crate) fn provider_return(&self, state: &str, query: Vec<(String, String)>) -> bool {
        if !valid_state(state) {
            return false;
        }
        let now = now_ms();
        let mut shard = lock(self.shard(state));
        match shard.get(state) {
            Some(r) if r.kind == RequestKind::ProviderReturn => {}
            _ => return false,
        }
        let Some((key, reg)) = shard.remove_entry(state) else {
            return false;
        };
        self.forget(&reg);
        if reg.expires_at_ms <= now {
            self.announce_expiry(&key, &reg);
            return false;
        }
        let mut params = serde_json::Map::new();
        for (k, v) in query {
            params.entry(k).or_insert(Value::String(v));
        }
        let data = serde_json::json!({
            "state": &*key,
            "kind": "provider_return",
            "body": { "kind": "provider_return", "query": params },
        })
        .to_string();
        if let Some(st) = self.station(reg.station) {
            st.publish(EventType::ProviderReturn, key, data, reg.expires_at_ms);
        }
        true
    }

    /// Removes expired registrations (announcing those without a terminal event) and drops
    /// buffered events that are too old or belong to expired requests.
    pub(crate) fn sweep(&self) {
        let now = now_ms();
        for shard in self.inner.shards.iter() {
            let mut shard = lock(shard);
            let expired: Vec<Arc<str>> = shard
                .iter()
                .filter(|(_, r)| r.expires_at_ms <= now)
                .map(|(k, _)| k.clone())
                .collect();
            for k in expired {
                if let Some(reg) = shard.remove(&k) {
                    self.announce_expiry(&k, &reg);
                    self.forget(&reg);
                }
            }
        }
        for st in &self.inner.stations {
            st.sweep(now);
        }
    }

    /// Number of registrations (tombstones included) currently held.
    pub fn pending_registrations(&self) -> usize {
        self.inner.shards.iter().map(|s| lock(s).len()).sum()
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    pub(crate) fn trigger_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    pub(crate) fn sweep_interval(&self) -> Duration {
        self.config().sweep_interval
    }
}
