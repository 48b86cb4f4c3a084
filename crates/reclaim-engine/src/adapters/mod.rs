//! Real adapters of the ports over HTTP: Microsoft Graph and the Request Service through
//! `reclaim-entra`, the relay through `reclaim-relay`'s client, the providers' hosted flow and
//! capture API through `reqwest`. They log failures by kind and status only: never a name, a
//! UPN, a claim, a key or the TAP.

mod directory;
mod notifier;
mod presentations;
mod providers;
mod records;
mod relay;

pub use directory::GraphDirectory;
pub use notifier::{GraphNotifier, NoNotifier, NotifySettings, compose};
pub use presentations::RequestServicePresentations;
pub use providers::{HttpProviders, ProviderEndpoint};
pub use records::{GraphRecords, NoRecords};
pub use relay::RelayEvents;

use reclaim_core::AdapterFailure;
use reclaim_entra::{EntraError, ErrorKind};

/// The core's coarse class of an Entra failure, logged with its kind and status.
pub(crate) fn entra_failure(operation: &'static str, err: &EntraError) -> AdapterFailure {
    let failure = match err.kind() {
        ErrorKind::Throttled => AdapterFailure::RateLimited,
        ErrorKind::TokenRejected
        | ErrorKind::Unauthorized
        | ErrorKind::Forbidden
        | ErrorKind::NotFound
        | ErrorKind::BadRequest
        | ErrorKind::Decode
        | ErrorKind::Config => AdapterFailure::Refused,
        _ => AdapterFailure::Unavailable,
    };
    tracing::warn!(
        operation,
        kind = err.kind().as_str(),
        status = err.status(),
        ?failure,
        "directory or Request Service call failed"
    );
    failure
}

/// The core's coarse class of an HTTP status from a provider or the relay.
pub(crate) fn status_failure(status: u16) -> AdapterFailure {
    match status {
        429 => AdapterFailure::RateLimited,
        408 | 500..=599 => AdapterFailure::Unavailable,
        _ => AdapterFailure::Refused,
    }
}
