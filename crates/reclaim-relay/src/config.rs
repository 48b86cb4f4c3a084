//! Relay configuration: defaults, validation, and loading from TOML with errors that name the key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::RelayError;

/// Callback result limit documented by Microsoft (10 MB without receipt).
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;
/// Shortest credential or api-key the relay accepts.
pub const MIN_SECRET_LEN: usize = 16;

/// One kiosk allowed to use the relay.
#[derive(Clone)]
pub struct StationConfig {
    /// Station id (shown in logs; not secret).
    pub id: String,
    /// Bearer credential the station presents (`Authorization: Bearer …`); at least 16 characters.
    pub credential: String,
}

impl fmt::Debug for StationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StationConfig")
            .field("id", &self.id)
            .field("credential", &"<redacted>")
            .finish()
    }
}

/// PEM files for serving HTTPS directly (without a reverse proxy).
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// Certificate chain, PEM.
    pub cert_file: PathBuf,
    /// Private key, PEM.
    pub key_file: PathBuf,
}

/// Everything the relay needs to run.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Address the binary binds (`listen`). The library's `serve` takes a bound listener instead.
    pub listen: SocketAddr,
    /// Public base URL used to build `callbackUrl` / `returnUrl` (`public_base_url`), e.g.
    /// `https://relay.example.org` or `https://proxy.example.org/relay`. When absent the
    /// relay's own listening address is used (fine for loopback embedding).
    pub public_base_url: Option<String>,
    /// Stations and their credentials (`[[stations]]`).
    pub stations: Vec<StationConfig>,
    /// Largest accepted callback body in bytes (`body_limit_bytes`).
    pub body_limit_bytes: usize,
    /// Events kept per station for resume (`buffer_events`).
    pub buffer_events: usize,
    /// Age after which a buffered event is dropped (`buffer_seconds`).
    pub buffer_age: Duration,
    /// Bytes of event data kept per station (`buffer_bytes`).
    pub buffer_bytes: usize,
    /// Longest registration lifetime a kiosk may ask for (`max_ttl_secs`).
    pub max_ttl: Duration,
    /// Pending registrations per station (`max_pending_per_station`).
    pub max_pending_per_station: usize,
    /// How often expired registrations and old events are swept (`sweep_interval_ms`).
    pub sweep_interval: Duration,
    /// Keep-alive comment interval on event streams (`keep_alive_secs`).
    pub keep_alive: Duration,
    /// Serve HTTPS with these files (`[tls] cert_file`, `key_file`).
    pub tls: Option<TlsConfig>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_base_url: None,
            stations: Vec::new(),
            body_limit_bytes: DEFAULT_BODY_LIMIT,
            buffer_events: 1000,
            buffer_age: Duration::from_secs(600),
            buffer_bytes: 64 * 1024 * 1024,
            max_ttl: Duration::from_secs(3600),
            max_pending_per_station: 10_000,
            sweep_interval: Duration::from_secs(1),
            keep_alive: Duration::from_secs(15),
            tls: None,
        }
    }
}

impl RelayConfig {
    /// Reads and validates a TOML config file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, RelayError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| RelayError::ConfigFile {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// Parses and validates TOML text. Errors name the offending key.
    pub fn from_toml_str(text: &str) -> Result<Self, RelayError> {
        let table: toml::Table =
            text.parse().map_err(|e: toml::de::Error| RelayError::ConfigSyntax(e.to_string()))?;
        let mut cfg = Self::default();
        let mut root = Reader::new(&table, "");
        if let Some(v) = root.str("listen")? {
            cfg.listen = v.parse().map_err(|_| {
                RelayError::config("listen", "expected an address like 0.0.0.0:8443")
            })?;
        }
        cfg.public_base_url = root.str("public_base_url")?.map(str::to_owned);
        if let Some(v) = root.usize("body_limit_bytes")? {
            cfg.body_limit_bytes = v;
        }
        if let Some(v) = root.usize("buffer_events")? {
            cfg.buffer_events = v;
        }
        if let Some(v) = root.u64("buffer_seconds")? {
            cfg.buffer_age = Duration::from_secs(v);
        }
        if let Some(v) = root.usize("buffer_bytes")? {
            cfg.buffer_bytes = v;
        }
        if let Some(v) = root.u64("max_ttl_secs")? {
            cfg.max_ttl = Duration::from_secs(v);
        }
        if let Some(v) = root.usize("max_pending_per_station")? {
            cfg.max_pending_per_station = v;
        }
        if let Some(v) = root.u64("sweep_interval_ms")? {
            cfg.sweep_interval = Duration::from_millis(v);
        }
        if let Some(v) = root.u64("keep_alive_secs")? {
            cfg.keep_alive = Duration::from_secs(v);
        }
        if let Some(tls) = root.table("tls")? {
            let mut t = Reader::new(tls, "tls");
            let cert = t.str("cert_file")?.ok_or_else(|| t.missing("cert_file"))?;
            let key = t.str("key_file")?.ok_or_else(|| t.missing("key_file"))?;
            cfg.tls = Some(TlsConfig { cert_file: cert.into(), key_file: key.into() });
            t.finish()?;
        }
        if let Some(stations) = root.array("stations")? {
            for (i, item) in stations.iter().enumerate() {
                let path = format!("stations[{i}]");
                let tbl = item
                    .as_table()
                    .ok_or_else(|| RelayError::config(&path, "expected a table ([[stations]])"))?;
                let mut s = Reader::new(tbl, &path);
                let id = s.str("id")?.ok_or_else(|| s.missing("id"))?.to_owned();
                let credential =
                    s.str("credential")?.ok_or_else(|| s.missing("credential"))?.to_owned();
                s.finish()?;
                cfg.stations.push(StationConfig { id, credential });
            }
        }
        root.finish()?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks the values (also for configs built in code). Errors name the key.
    pub fn validate(&self) -> Result<(), RelayError> {
        if let Some(base) = &self.public_base_url {
            let ok = (base.starts_with("https://") || base.starts_with("http://"))
                && !base.contains(['?', '#', ' '])
                && base.len() > "http://".len();
            if !ok {
                return Err(RelayError::config(
                    "public_base_url",
                    "expected an absolute http(s) URL without query or fragment",
                ));
            }
        }
        let positive = [
            ("body_limit_bytes", self.body_limit_bytes as u128),
            ("buffer_events", self.buffer_events as u128),
            ("buffer_seconds", self.buffer_age.as_secs() as u128),
            ("buffer_bytes", self.buffer_bytes as u128),
            ("max_ttl_secs", self.max_ttl.as_secs() as u128),
            ("max_pending_per_station", self.max_pending_per_station as u128),
            ("sweep_interval_ms", self.sweep_interval.as_millis()),
            ("keep_alive_secs", self.keep_alive.as_secs() as u128),
        ];
        for (key, v) in positive {
            if v == 0 {
                return Err(RelayError::config(key, "must be greater than 0"));
            }
        }
        let mut ids = std::collections::HashSet::new();
        let mut creds = std::collections::HashSet::new();
        for (i, s) in self.stations.iter().enumerate() {
            if s.id.is_empty() || s.id.len() > 128 || s.id.chars().any(char::is_control) {
                return Err(RelayError::config(
                    format!("stations[{i}].id"),
                    "must be 1-128 printable characters",
                ));
            }
            if !ids.insert(s.id.as_str()) {
                return Err(RelayError::config(
                    format!("stations[{i}].id"),
                    "duplicate station id",
                ));
            }
            if s.credential.len() < MIN_SECRET_LEN
                || !s.credential.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(RelayError::config(
                    format!("stations[{i}].credential"),
                    format!("must be at least {MIN_SECRET_LEN} visible ASCII characters"),
                ));
            }
            if !creds.insert(s.credential.as_str()) {
                return Err(RelayError::config(
                    format!("stations[{i}].credential"),
                    "must differ from every other station's credential",
                ));
            }
        }
        Ok(())
    }
}

/// Walks one TOML table, remembering which keys were read so unknown keys can be reported.
struct Reader<'a> {
    table: &'a toml::Table,
    prefix: String,
    seen: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    fn new(table: &'a toml::Table, prefix: &str) -> Self {
        Self { table, prefix: prefix.to_owned(), seen: Vec::new() }
    }

    fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() { key.to_owned() } else { format!("{}.{key}", self.prefix) }
    }

    fn missing(&self, key: &str) -> RelayError {
        RelayError::config(self.path(key), "missing")
    }

    fn get(&mut self, key: &'static str) -> Option<&'a toml::Value> {
        self.seen.push(key);
        self.table.get(key)
    }

    fn str(&mut self, key: &'static str) -> Result<Option<&'a str>, RelayError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(RelayError::config(self.path(key), "expected a string")),
        }
    }

    fn u64(&mut self, key: &'static str) -> Result<Option<u64>, RelayError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) if *i >= 0 => Ok(Some(*i as u64)),
            Some(_) => Err(RelayError::config(self.path(key), "expected a non-negative integer")),
        }
    }

    fn usize(&mut self, key: &'static str) -> Result<Option<usize>, RelayError> {
        match self.u64(key)? {
            None => Ok(None),
            Some(v) => usize::try_from(v)
                .map(Some)
                .map_err(|_| RelayError::config(self.path(key), "value too large")),
        }
    }

    fn table(&mut self, key: &'static str) -> Result<Option<&'a toml::Table>, RelayError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Table(t)) => Ok(Some(t)),
            Some(_) => Err(RelayError::config(self.path(key), "expected a table")),
        }
    }

    fn array(&mut self, key: &'static str) -> Result<Option<&'a Vec<toml::Value>>, RelayError> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(RelayError::config(self.path(key), "expected an array of tables")),
        }
    }

    /// Fails on the first key that was never read.
    fn finish(self) -> Result<(), RelayError> {
        match self.table.keys().find(|k| !self.seen.contains(&k.as_str())) {
            Some(k) => Err(RelayError::config(self.path(k), "unknown key")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        assert!(RelayConfig::default().validate().is_ok());
    }
}
