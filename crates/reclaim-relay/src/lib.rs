//! reclaim-relay: receives Verified ID Request Service callbacks and identity-provider return
//! redirects, checks them (api-key, state, order, size), and pushes them to the kiosk that owns
//! the request as server-sent events with resume. Embedded in the kiosk on loopback, or run
//! standalone on a public host (`reclaim-relay --config FILE`). See the crate README.

mod client;
mod config;
mod error;
mod handlers;
mod hub;
mod server;
mod state;

pub use client::{ClientOptions, EventStream, RegisteredRequest, RelayClient, RelayEvent};
pub use config::{DEFAULT_BODY_LIMIT, MIN_SECRET_LEN, RelayConfig, StationConfig, TlsConfig};
pub use error::RelayError;
pub use handlers::{CALLBACK_PATH, router, run_sweeper};
pub use hub::EventType;
pub use server::{RunningRelay, serve};
pub use state::{RegisterRequest, RelayState, RequestKind};
