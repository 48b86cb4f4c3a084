//! [`EventsMux`]: one callback intake for every station the service runs.
//!
//! The Request Service's callbacks and the providers' returns reach the service through its
//! callback relay (`reclaim-relay`, public HTTPS), which streams them to one subscriber. The
//! service registers each station's pending requests through the mux, which remembers which
//! station a request's `state` belongs to and hands every event to that station's engine only.
//! A station never sees another's events; an event whose state nobody registered is dropped.
//! A [`StationEvent::Gap`] (events lost on a reconnect) concerns everyone, so every station
//! gets it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::StreamExt;
use futures::stream::BoxStream;
use reclaim_core::AdapterFailure;
use reclaim_engine::ports::{BoxFuture, Events, Registered, Registration, StationEvent};
use tokio::sync::mpsc;

#[derive(Debug, Default)]
struct Routes {
    /// `state` → station.
    owners: HashMap<String, String>,
    /// station → its engine's event channel.
    streams: HashMap<String, mpsc::UnboundedSender<StationEvent>>,
}

/// One relay subscription shared by every station (see the module docs).
#[derive(Debug)]
pub struct EventsMux {
    relay: Arc<dyn Events>,
    routes: Arc<Mutex<Routes>>,
    pump: tokio::task::JoinHandle<()>,
}

impl Drop for EventsMux {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

impl EventsMux {
    /// Subscribes to `relay` once and starts dispatching (needs a tokio runtime).
    pub fn new(relay: Arc<dyn Events>) -> Arc<EventsMux> {
        let routes = Arc::new(Mutex::new(Routes::default()));
        let pump = tokio::spawn(pump(relay.subscribe(), routes.clone()));
        Arc::new(EventsMux { relay, routes, pump })
    }

    /// The events port of one station.
    pub fn station(self: &Arc<Self>, station: &str) -> Arc<dyn Events> {
        Arc::new(StationEvents { mux: self.clone(), station: station.to_owned() })
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn pump(mut events: BoxStream<'static, StationEvent>, routes: Arc<Mutex<Routes>>) {
    while let Some(event) = events.next().await {
        let routes = routes.lock().unwrap_or_else(PoisonError::into_inner);
        let state = match &event {
            StationEvent::Callback { state, .. }
            | StationEvent::ProviderReturn { state, .. }
            | StationEvent::Expired { state } => state.clone(),
            StationEvent::Gap => {
                for stream in routes.streams.values() {
                    let _ = stream.send(StationEvent::Gap);
                }
                continue;
            }
        };
        match routes.owners.get(&state).and_then(|s| routes.streams.get(s)) {
            Some(stream) => {
                let _ = stream.send(event);
            }
            None => tracing::debug!("an event for a request no station holds: dropped"),
        }
    }
}

/// One station's view of the mux.
#[derive(Debug)]
struct StationEvents {
    mux: Arc<EventsMux>,
    station: String,
}

impl Events for StationEvents {
    fn register<'a>(
        &'a self,
        registration: &'a Registration,
    ) -> BoxFuture<'a, Result<Registered, AdapterFailure>> {
        Box::pin(async move {
            // Owned before the relay knows the state, so no event can arrive unrouted.
            self.mux.routes().owners.insert(registration.state.clone(), self.station.clone());
            let registered = self.mux.relay.register(registration).await;
            if registered.is_err() {
                self.mux.routes().owners.remove(&registration.state);
            }
            registered
        })
    }

    fn abandon<'a>(&'a self, state: &'a str) -> BoxFuture<'a, Result<(), AdapterFailure>> {
        Box::pin(async move {
            let owned = {
                let mut routes = self.mux.routes();
                let owned = routes.owners.get(state) == Some(&self.station);
                if owned {
                    routes.owners.remove(state);
                }
                owned
            };
            // Another station's request is not this station's to abandon.
            if !owned {
                return Ok(());
            }
            self.mux.relay.abandon(state).await
        })
    }

    fn subscribe(&self) -> BoxStream<'static, StationEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.mux.routes().streams.insert(self.station.clone(), tx);
        tokio_stream::wrappers::UnboundedReceiverStream::new(rx).boxed()
    }

    fn probe(&self) -> BoxFuture<'_, Result<(), AdapterFailure>> {
        self.mux.relay.probe()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use reclaim_engine::ports::RegistrationKind;

    /// A relay whose events the test pushes.
    #[derive(Debug)]
    struct FakeRelay {
        events: Mutex<Option<mpsc::UnboundedReceiver<StationEvent>>>,
        abandoned: Mutex<Vec<String>>,
    }

    impl Events for FakeRelay {
        fn register<'a>(
            &'a self,
            _r: &'a Registration,
        ) -> BoxFuture<'a, Result<Registered, AdapterFailure>> {
            Box::pin(async {
                Ok(Registered { callback_url: "https://relay.example/cb".into(), return_url: None })
            })
        }
        fn abandon<'a>(&'a self, state: &'a str) -> BoxFuture<'a, Result<(), AdapterFailure>> {
            self.abandoned.lock().unwrap_or_else(PoisonError::into_inner).push(state.to_owned());
            Box::pin(async { Ok(()) })
        }
        fn subscribe(&self) -> BoxStream<'static, StationEvent> {
            let rx = self.events.lock().unwrap_or_else(PoisonError::into_inner).take();
            match rx {
                Some(rx) => tokio_stream::wrappers::UnboundedReceiverStream::new(rx).boxed(),
                None => futures::stream::empty().boxed(),
            }
        }
        fn probe(&self) -> BoxFuture<'_, Result<(), AdapterFailure>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn registration(state: &str) -> Registration {
        Registration {
            state: state.into(),
            api_key: None,
            expires_at: 0,
            kind: RegistrationKind::Presentation,
        }
    }

    async fn next(stream: &mut BoxStream<'static, StationEvent>) -> Option<StationEvent> {
        tokio::time::timeout(Duration::from_millis(200), stream.next()).await.ok().flatten()
    }

    #[tokio::test]
    async fn each_event_reaches_only_the_station_that_registered_its_state() {
        let (tx, rx) = mpsc::unbounded_channel();
        let relay =
            Arc::new(FakeRelay { events: Mutex::new(Some(rx)), abandoned: Mutex::new(Vec::new()) });
        let mux = EventsMux::new(relay.clone());
        let (a, b) = (mux.station("a"), mux.station("b"));
        let (mut a_events, mut b_events) = (a.subscribe(), b.subscribe());
        a.register(&registration("state-a")).await.unwrap();
        b.register(&registration("state-b")).await.unwrap();

        let body = serde_json::json!({ "requestStatus": "request_retrieved" });
        tx.send(StationEvent::Callback { state: "state-b".into(), body: body.clone() }).unwrap();
        tx.send(StationEvent::Expired { state: "unknown".into() }).unwrap();
        tx.send(StationEvent::Gap).unwrap();
        assert_eq!(
            next(&mut b_events).await,
            Some(StationEvent::Callback { state: "state-b".into(), body })
        );
        assert_eq!(next(&mut b_events).await, Some(StationEvent::Gap));
        assert_eq!(next(&mut a_events).await, Some(StationEvent::Gap), "a saw b's callback");

        // A station cannot abandon another's request.
        a.abandon("state-b").await.unwrap();
        assert!(relay.abandoned.lock().unwrap_or_else(PoisonError::into_inner).is_empty());
        b.abandon("state-b").await.unwrap();
        assert_eq!(*relay.abandoned.lock().unwrap_or_else(PoisonError::into_inner), ["state-b"]);
    }
}
