//! [`RelayEvents`]: the events port over `reclaim-relay`'s `RelayClient` (registration, abandon,
//! the station's auto-reconnecting SSE stream with `Last-Event-ID` resume).

use std::collections::BTreeMap;

use futures::StreamExt;
use futures::stream::BoxStream;
use reclaim_core::AdapterFailure;
use reclaim_relay::{EventType, RegisterRequest, RelayClient, RelayError, RelayEvent, RequestKind};
use serde_json::Value;

use super::status_failure;
use crate::ports::{BoxFuture, Events, Registered, Registration, RegistrationKind, StationEvent};

/// The relay, as one station.
#[derive(Debug, Clone)]
pub struct RelayEvents {
    control: RelayClient,
    stream: RelayClient,
    health_url: String,
    http: reqwest::Client,
}

fn relay_failure(operation: &'static str, e: &RelayError) -> AdapterFailure {
    let failure = match e {
        RelayError::Status { status, .. } => status_failure(*status),
        _ => AdapterFailure::Unavailable,
    };
    // RelayError's text never carries a state, a key or a callback body.
    tracing::warn!(operation, error = %e, ?failure, "relay call failed");
    failure
}

impl RelayEvents {
    /// One client for everything, at `base_url` (the relay's root, e.g. `http://127.0.0.1:8080`).
    pub fn new(client: RelayClient, base_url: &str) -> Self {
        Self::split(client.clone(), client, base_url)
    }

    /// Separate clients for registrations (`control`) and the event stream (`stream`), e.g. to
    /// reach the stream through another route.
    pub fn split(control: RelayClient, stream: RelayClient, base_url: &str) -> Self {
        Self {
            control,
            stream,
            health_url: format!("{}/healthz", base_url.trim_end_matches('/')),
            http: reqwest::Client::new(),
        }
    }

    /// The client the health probe uses (default: a plain `reqwest::Client`); give it the relay
    /// client's, so a relay behind a private CA passes the pre-flight that trusts that CA.
    pub fn with_probe_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }
}

fn station_event(ev: RelayEvent) -> Option<StationEvent> {
    let state = ev.state().map(str::to_owned);
    match ev.event_type()? {
        EventType::Callback => {
            Some(StationEvent::Callback { state: state?, body: ev.body().cloned()? })
        }
        EventType::ProviderReturn => {
            let query = ev
                .body()
                .and_then(|b| b.get("query"))
                .and_then(Value::as_object)
                .map(|q| {
                    q.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect::<BTreeMap<_, _>>()
                })
                .unwrap_or_default();
            Some(StationEvent::ProviderReturn { state: state?, query })
        }
        EventType::Expired => Some(StationEvent::Expired { state: state? }),
        EventType::Gap => Some(StationEvent::Gap),
    }
}

impl Events for RelayEvents {
    fn register<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<Registered, AdapterFailure>> {
        Box::pin(async move {
            let req = RegisterRequest {
                state: registration.state.clone(),
                api_key: registration.api_key.as_ref().map(|k| k.expose().to_owned()),
                expires_at: registration.expires_at,
                kind: match registration.kind {
                    RegistrationKind::Presentation => RequestKind::Presentation,
                    RegistrationKind::ProviderReturn => RequestKind::ProviderReturn,
                },
            };
            let r = self
                .control
                .register(&req)
                .await
                .map_err(|e| relay_failure("relay.register", &e))?;
            Ok(Registered { callback_url: r.callback_url, return_url: r.return_url })
        })
    }

    fn abandon<'a>(&'a self, state: &'a str) -> BoxFuture<'a, Result<(), AdapterFailure>> {
        Box::pin(async move {
            match self.control.abandon(state).await {
                // Already used up (provider returns) or expired: nothing left to abandon.
                Err(RelayError::Status { status: 404, .. }) => Ok(()),
                other => other.map_err(|e| relay_failure("relay.abandon", &e)),
            }
        })
    }

    fn subscribe(&self) -> BoxStream<'static, StationEvent> {
        self.stream
            .events(None)
            .take_while(|item| {
                if let Err(e) = item {
                    tracing::error!(error = %e, "the relay refused this station's event stream");
                }
                std::future::ready(item.is_ok())
            })
            .filter_map(|item| std::future::ready(item.ok().and_then(station_event)))
            .boxed()
    }

    fn probe(&self) -> BoxFuture<'_, Result<(), AdapterFailure>> {
        Box::pin(async move {
            let resp = self
                .http
                .get(&self.health_url)
                .timeout(std::time::Duration::from_secs(5))
                .send()
                .await
                .map_err(|e| {
                    tracing::warn!(timeout = e.is_timeout(), "relay unreachable");
                    AdapterFailure::Unavailable
                })?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(status_failure(resp.status().as_u16()))
            }
        })
    }
}
