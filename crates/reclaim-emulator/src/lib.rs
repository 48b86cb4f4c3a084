//! An emulated Microsoft Entra tenant that real clients cannot tell from the cloud: the identity
//! platform's token endpoint, the Verified ID Request Service with real callbacks, a Microsoft
//! Graph subset, identity-verification providers, an Authenticator stand-in, fault injection,
//! and a demo tenant. It follows `shared/contracts/microsoft-apis.md`; behaviour the contract
//! marks UNCONFIRMED is a [`settings::Settings`] knob.

pub mod clock;
pub mod control;
pub mod faults;
pub mod fixture;
pub mod graph;
pub mod hr;
pub mod html;
pub mod identity;
pub mod myaccount;
pub mod phone;
pub mod provider;
pub mod request_service;
pub mod server;
pub mod settings;
pub mod state;
pub mod tls;
pub mod wire_error;

pub use fixture::Fixture;
pub use server::{EmulatorOptions, PublicBase, RunningEmulator, StartError, start};
pub use settings::Settings;
pub use state::{AppState, Urls};
