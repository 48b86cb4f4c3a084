//! Reclaim's engine: drives [`reclaim_core`]'s pure state machine through ports with real HTTP
//! adapters, and turns its screens into the view model the kiosk renders.
//!
//! * [`ports`] — the traits the orchestrator calls (directory, Request Service, provider, relay,
//!   clock, audit); [`adapters`] — their real implementations over HTTP.
//! * [`orchestrator`] — [`Engine`]: the actor that owns the session, and its handle.
//! * [`view`], [`qr`] — what the UI renders (re-exported from `reclaim-protocol`, the session
//!   API's wire types).
//! * `demo` (feature `demo`) — the emulated tenant and an embedded relay in-process, and
//!   `simulate` for `reclaim simulate`.
//! * `production` (feature `production`) — the same adapters for a real tenant, assembled from a
//!   validated `reclaim-config` file (its pre-flight checks, `reclaim-service doctor`, live in
//!   `reclaim-service`).

pub mod adapters;
pub mod audit;
mod callbacks;
mod capture;
pub mod clock;
#[cfg(feature = "demo")]
pub mod demo;
pub mod error;
pub mod limits;
pub mod orchestrator;
pub mod ports;
#[cfg(feature = "production")]
pub mod production;
pub use reclaim_protocol::qr;
pub mod settings;
#[cfg(feature = "demo")]
pub mod simulate;
pub use reclaim_protocol::view;

pub use audit::{MemoryAudit, TeeAudit, TracingAudit};
pub use clock::{ManualClock, SystemClock};
pub use error::EngineError;
pub use limits::{LimitsStore, MemoryLimits, RateLimits};
pub use orchestrator::{Engine, EngineMetrics, Preflight};
pub use ports::Ports;
#[cfg(feature = "production")]
pub use production::ProductionError;
pub use qr::QrView;
pub use settings::{EngineSettings, StationProvider};
pub use view::{
    CaptureStage, DocumentKind, ErrorCode, ErrorView, Locale, PhotoQuality, PreflightProblem,
    PreviewFrame, ProviderCard, Reason, ScanPath, Shot, StationMode, StationView, Step, TapView,
    View, ViewContext, ViewUpdate, typescript_bindings,
};
