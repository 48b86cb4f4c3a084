//! Fault specs for `reclaim simulate --fault`: a small text syntax mapped onto the emulator's
//! control API (and onto the engine's link to the relay).
//!
//! | spec | effect |
//! |---|---|
//! | `SERVICE:STATUS[:COUNT[:PATH]]` | the next COUNT (default 1) calls to SERVICE (whose path contains PATH) answer STATUS with the service's own error body; 429 and 503 carry `Retry-After: 1` |
//! | `SERVICE:delay:MILLIS[:COUNT]` | the next COUNT calls are delayed |
//! | `callbacks:drop[:COUNT]` | the next COUNT Request Service callbacks are not sent |
//! | `callbacks:duplicate[:COUNT]` | the next COUNT callbacks are sent twice |
//! | `token:expire` | every access token issued so far expires once the person reaches the provider step (the next Graph and Request Service calls meet a 401 and must refresh) |
//! | `relay:drop` | the engine's event stream is cut when the Authenticator QR appears and held down while the phone presents; then it comes back and must resume without losing the callbacks |
//!
//! SERVICE is `graph`, `login` (or `token`), `requestService` (or `rs`), `provider`. Without a
//! PATH, `requestService` faults hit the kiosk's `createPresentationRequest` (the provider issues
//! through the same service).

use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};

/// One parsed `--fault`.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultSpec {
    /// A rule for `POST {control}/faults`, applied before the recovery starts.
    Rule(Value),
    /// `POST {control}/tokens/expire` mid-recovery.
    ExpireTokens,
    /// Cut the engine's relay stream during the presentation.
    RelayDrop,
}

/// Why a fault spec was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSyntaxError(pub String);

impl fmt::Display for FaultSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FaultSyntaxError {}

fn service(name: &str) -> Option<&'static str> {
    match name {
        "graph" => Some("graph"),
        "login" | "token" => Some("login"),
        "requestService" | "request-service" | "rs" => Some("requestService"),
        "provider" => Some("provider"),
        _ => None,
    }
}

fn count(raw: Option<&str>, spec: &str) -> Result<u32, FaultSyntaxError> {
    match raw {
        None => Ok(1),
        Some(c) => {
            c.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                FaultSyntaxError(format!("`{spec}`: COUNT must be a positive number"))
            })
        }
    }
}

impl FromStr for FaultSpec {
    type Err = FaultSyntaxError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = spec.split(':').collect();
        let bad =
            |why: &str| FaultSyntaxError(format!("`{spec}`: {why} (see --help for the syntax)"));
        match parts.as_slice() {
            ["token", "expire"] => Ok(FaultSpec::ExpireTokens),
            ["relay", "drop"] => Ok(FaultSpec::RelayDrop),
            ["callbacks", kind, rest @ ..] if rest.len() <= 1 => {
                let kind = match *kind {
                    "drop" => "dropCallbacks",
                    "duplicate" => "duplicateCallbacks",
                    _ => return Err(bad("callbacks take `drop` or `duplicate`")),
                };
                Ok(FaultSpec::Rule(json!({
                    "service": "requestService", "kind": kind, "count": count(rest.first().copied(), spec)?
                })))
            }
            [svc, "delay", millis, rest @ ..] if rest.len() <= 1 => {
                let svc = service(svc).ok_or_else(|| bad("unknown service"))?;
                let millis: u64 = millis.parse().map_err(|_| bad("MILLIS must be a number"))?;
                Ok(FaultSpec::Rule(json!({
                    "service": svc, "kind": "delay", "millis": millis,
                    "count": count(rest.first().copied(), spec)?
                })))
            }
            [svc, status, rest @ ..] if rest.len() <= 2 => {
                let svc = service(svc).ok_or_else(|| bad("unknown service"))?;
                let status: u16 = status
                    .parse()
                    .ok()
                    .filter(|s| (400..=599).contains(s))
                    .ok_or_else(|| bad("STATUS must be an HTTP error status (400–599)"))?;
                let mut rule = json!({
                    "service": svc, "kind": "status", "status": status,
                    "count": count(rest.first().copied(), spec)?,
                });
                if matches!(status, 429 | 503) {
                    rule["retryAfter"] = json!(1);
                }
                match rest.get(1) {
                    Some(path) => rule["pathContains"] = json!(path),
                    // The provider issues through the same Request Service: aim at the kiosk.
                    None if svc == "requestService" => {
                        rule["pathContains"] = json!("createPresentationRequest");
                    }
                    None => {}
                }
                Ok(FaultSpec::Rule(rule))
            }
            _ => Err(bad("unknown fault")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_specs_parse() {
        assert_eq!(
            "graph:429:2".parse::<FaultSpec>().unwrap(),
            FaultSpec::Rule(
                json!({"service":"graph","kind":"status","status":429,"count":2,"retryAfter":1})
            )
        );
        assert_eq!(
            "requestService:503:1".parse::<FaultSpec>().unwrap(),
            FaultSpec::Rule(
                json!({"service":"requestService","kind":"status","status":503,"count":1,
                "retryAfter":1,"pathContains":"createPresentationRequest"})
            )
        );
        assert_eq!(
            "graph:500:1:/users".parse::<FaultSpec>().unwrap(),
            FaultSpec::Rule(
                json!({"service":"graph","kind":"status","status":500,"count":1,"pathContains":"/users"})
            )
        );
        assert_eq!("token:expire".parse::<FaultSpec>().unwrap(), FaultSpec::ExpireTokens);
        assert_eq!("relay:drop".parse::<FaultSpec>().unwrap(), FaultSpec::RelayDrop);
        assert_eq!(
            "callbacks:drop:1".parse::<FaultSpec>().unwrap(),
            FaultSpec::Rule(json!({"service":"requestService","kind":"dropCallbacks","count":1}))
        );
        assert_eq!(
            "provider:delay:250".parse::<FaultSpec>().unwrap(),
            FaultSpec::Rule(json!({"service":"provider","kind":"delay","millis":250,"count":1}))
        );
        for bad in
            ["", "graph", "graph:200", "graph:429:0", "nosuch:500", "callbacks:eat", "relay:up"]
        {
            assert!(bad.parse::<FaultSpec>().is_err(), "{bad}");
        }
    }
}
