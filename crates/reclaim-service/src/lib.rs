//! The recovery service: the kiosk is a terminal, the service decides
//! (`../shared/design/recovery-service.md`).
//!
//! * [`doctor`] — `reclaim-service doctor`: a production configuration checked against the real
//!   services; also a station's pre-flight.
//! * [`audit_log`] — the append-only, hash-chained audit log of every station
//!   (`{state_dir}/audit/audit.jsonl`) and `audit verify`; [`syslog`] exports it (RFC 5424).
//! * [`api`] — the session API kiosks call (`/v1/...`: commands as JSON, views over SSE).
//! * [`stations`] — enrolment with one-time codes, the station registry, signed assertions.
//! * [`listener`] — the hardened HTTP listener (header-read and idle timeouts, connection caps).
//! * [`local`] — the service inside the kiosk's process on loopback (demo, standalone).
//! * [`mux`] — one callback intake for every station: events routed to the station that
//!   registered the request.
//! * [`limits`] — the limits every station's engine shares, kept on disk (`limits.json`).
//! * [`webhook`] — the service-desk webhook (Standard Webhooks signatures, a durable outbox).
//! * [`production`] — the service on a real tenant from a configuration file.
//! * [`scan`] — `reclaim-service scan`: directory readiness per recovery profile.
//! * `demo` (feature `demo`) — the service on the in-process emulated tenant.

pub mod api;
pub mod audit_log;
pub mod console;
#[cfg(feature = "demo")]
pub mod demo;
pub mod doctor;
pub mod error;
pub mod limits;
pub mod listener;
pub mod local;
pub mod mux;
pub mod production;
pub mod scan;
pub mod stations;
pub mod syslog;
pub mod webhook;

pub use error::ServiceError;
