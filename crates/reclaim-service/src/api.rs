//! The session API kiosks call (`reclaim_protocol::api` lists the calls): one engine — the
//! core's state machine and its orchestrator — per enrolled station, started at the station's
//! first call; commands as JSON, the station's views over server-sent events.
//!
//! What a station can do is exactly what the person at it can do: drive its own session, one
//! step at a time. There is no call that reads the directory, creates, reads or deletes a TAP,
//! or creates a presentation request; those happen inside the engine as effects of a step. The
//! kiosk receives views only — never a callback body, a credential claim or a portrait.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use bytes::Bytes;
use futures::Stream;
use reclaim_engine::ports::BoxFuture;
use reclaim_engine::{Engine, EngineError, View};
use reclaim_protocol::api::{
    self, AccountBody, ApiError, MAX_SHOT_BYTES, ProviderBody, SessionCreated, codes,
};
use reclaim_protocol::{ErrorCode, Shot, StationView};
use tokio::sync::broadcast::error::RecvError;

use crate::error::ServiceError;
use crate::stations::{AuthenticatedStation, StationAuth, enroll_router};

/// Starts the engine of one station (the first time the station calls).
pub trait EngineFactory: Send + Sync + fmt::Debug {
    /// An engine for the station, or why there is none (e.g. no capacity left). `station` is
    /// its enrolled id and name (the name is what the attract screen and the audit show);
    /// `camera`: the station said it has a camera (header [`CAMERA_HEADER`]), so the camera path
    /// may be offered there.
    fn start<'a>(
        &'a self,
        station: &'a StationName,
        camera: bool,
    ) -> BoxFuture<'a, Result<Engine, ServiceError>>;
}

/// An enrolled station as an engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationName {
    /// The enrolled id (`st-…`).
    pub id: String,
    /// The name it was enrolled under (`lobby-1`); its id when the registry has none.
    pub name: String,
}

/// The header a station states its camera with (`present` or `absent`). It only decides which
/// scan paths the station offers; it grants nothing.
pub const CAMERA_HEADER: &str = reclaim_protocol::api::CAMERA_HEADER;

/// A station's engine and its current session.
struct Desk {
    engine: Engine,
    /// The current session's id and the view `seq` when it began.
    session: Arc<Mutex<Option<(String, u64)>>>,
    follower: tokio::task::JoinHandle<()>,
    /// The kiosk's version, as its view stream said ([`VERSION_HEADER`]).
    version: Mutex<Option<String>>,
}

/// The header a kiosk states its version with (shown in the operator console).
pub const VERSION_HEADER: &str = reclaim_protocol::api::VERSION_HEADER;

/// A station's engine as the operator console sees it.
#[derive(Debug, Clone)]
pub struct StationDesk {
    /// The enrolled station id.
    pub id: String,
    /// Its engine.
    pub engine: Engine,
    /// The kiosk holds its view stream open.
    pub online: bool,
    /// The kiosk's version, if it said.
    pub version: Option<String>,
}

impl Drop for Desk {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

/// Every station's engine.
pub struct Sessions {
    factory: Arc<dyn EngineFactory>,
    registry: Option<crate::stations::StationRegistry>,
    desks: tokio::sync::Mutex<HashMap<String, Arc<Desk>>>,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions").field("factory", &self.factory).finish_non_exhaustive()
    }
}

impl Sessions {
    /// Engines made by `factory`; a station's name is looked up in `registry`.
    pub fn new(
        factory: Arc<dyn EngineFactory>,
        registry: Option<crate::stations::StationRegistry>,
    ) -> Arc<Self> {
        Arc::new(Self { factory, registry, desks: tokio::sync::Mutex::new(HashMap::new()) })
    }

    async fn desk(&self, station: &str, camera: bool) -> Result<Arc<Desk>, ServiceError> {
        let mut desks = self.desks.lock().await;
        if let Some(desk) = desks.get(station) {
            return Ok(desk.clone());
        }
        let name = self
            .registry
            .as_ref()
            .and_then(|r| r.station(&crate::stations::StationId::new(station)))
            .map_or_else(|| station.to_owned(), |record| record.name);
        let named = StationName { id: station.to_owned(), name };
        let engine = self.factory.start(&named, camera).await?;
        let session = Arc::new(Mutex::new(None));
        let follower = tokio::spawn(forget_ended_sessions(engine.clone(), session.clone()));
        let desk = Arc::new(Desk { engine, session, follower, version: Mutex::new(None) });
        desks.insert(station.to_owned(), desk.clone());
        Ok(desk)
    }

    /// The engine of a station that has called (tests, the demo kiosk's helpers).
    /// Every station with an engine, for the operator console.
    pub async fn stations(&self) -> Vec<StationDesk> {
        let desks = self.desks.lock().await;
        desks
            .iter()
            .map(|(id, d)| StationDesk {
                id: id.clone(),
                engine: d.engine.clone(),
                // The service's own follower is one receiver; a kiosk's view stream another.
                online: d.engine.watchers() > 1,
                version: d
                    .version
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone(),
            })
            .collect()
    }

    pub async fn engine(&self, station: &str) -> Option<Engine> {
        self.desks.lock().await.get(station).map(|d| d.engine.clone())
    }

    /// Stops every engine (wiping their sessions).
    pub async fn shutdown(&self) {
        let desks: Vec<_> = self.desks.lock().await.drain().map(|(_, d)| d).collect();
        for desk in desks {
            desk.engine.shutdown().await;
        }
    }
}

/// Clears the session id once the station is back on attract (or out of service): an ended
/// session's id drives nothing.
async fn forget_ended_sessions(engine: Engine, session: Arc<Mutex<Option<(String, u64)>>>) {
    let mut updates = engine.updates();
    loop {
        let update = match updates.recv().await {
            Ok(update) => update,
            Err(RecvError::Lagged(_)) => engine.current(),
            Err(RecvError::Closed) => return,
        };
        if matches!(update.view, View::Attract | View::OutOfService { .. }) {
            let mut current = session.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if current.as_ref().is_some_and(|(_, began)| update.seq > *began) {
                *current = None;
            }
        }
    }
}

/// The API's shared state.
#[derive(Clone, Debug)]
pub struct ApiState {
    /// The stations' engines.
    pub sessions: Arc<Sessions>,
    /// Who may call.
    pub auth: StationAuth,
}

impl FromRef<ApiState> for StationAuth {
    fn from_ref(state: &ApiState) -> Self {
        state.auth.clone()
    }
}

/// The session API's routes (`/v1/...`, `/health`) and the enrolment route.
pub fn router(state: ApiState) -> Router {
    let small = DefaultBodyLimit::max(16 * 1024);
    Router::new()
        .route(api::HEALTH, get(health))
        .route(api::VIEWS, get(views))
        .route(api::STATION, get(station))
        .route(api::PREFLIGHT, post(preflight))
        .route(api::SESSIONS, post(begin))
        .route("/v1/sessions/{id}", delete(cancel))
        .route("/v1/sessions/{id}/account", post(account))
        .route("/v1/sessions/{id}/provider", post(provider))
        .route("/v1/sessions/{id}/done", post(done))
        .route("/v1/sessions/{id}/staff", post(ask_for_staff))
        .route("/v1/sessions/{id}/added-to-wallet", post(added_to_wallet))
        .route("/v1/sessions/{id}/existing", post(present_existing))
        .route(
            "/v1/sessions/{id}/shots/{shot}",
            post(shot).layer(DefaultBodyLimit::max(MAX_SHOT_BYTES)),
        )
        .route(api::ACTIVITY, post(activity))
        .merge(enroll_router())
        .layer(small)
        .with_state(state)
}

/// What the station says of its camera ([`CAMERA_HEADER`]); absent unless it says `present`.
#[derive(Debug, Clone, Copy)]
pub struct Camera(pub bool);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Camera {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let present = parts.headers.get(CAMERA_HEADER).is_some_and(|v| v == "present");
        Ok(Camera(present))
    }
}

/// A JSON request body. A malformed one answers 400 `invalidInput`, an oversized one 413
/// `payloadTooLarge`, as `{code, message}` like every other failure (axum's own rejections are
/// plain text). The message is fixed: serde's would quote the body, which may be personal data.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = Failure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Failure> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(Failure(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiError { code: codes::TOO_LARGE.into(), message: "the body is too large".into() },
            )),
            Err(_) => Err(Failure(
                StatusCode::BAD_REQUEST,
                ApiError::of(ErrorCode::InvalidInput, "the body is not the call's JSON"),
            )),
        }
    }
}

/// A failed call.
#[derive(Debug)]
pub struct Failure(StatusCode, ApiError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if self.0 == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was never read, so the connection cannot carry another
            // request: say so, or a client's pool reuses it and its next call fails half-way.
            return (self.0, [(axum::http::header::CONNECTION, "close")], Json(self.1))
                .into_response();
        }
        (self.0, Json(self.1)).into_response()
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        let status = match e {
            EngineError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            EngineError::NotNow | EngineError::CameraUnavailable => StatusCode::CONFLICT,
            EngineError::OutOfService | EngineError::EngineStopped => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            EngineError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Failure(status, ApiError::of(e.code(), e.to_string()))
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        tracing::warn!(error = %e, "station engine unavailable");
        Failure(
            StatusCode::SERVICE_UNAVAILABLE,
            ApiError::of(ErrorCode::OutOfService, "the station's engine is not available"),
        )
    }
}

fn not_found() -> Failure {
    Failure(
        StatusCode::NOT_FOUND,
        ApiError { code: codes::NOT_FOUND.into(), message: "no such session".into() },
    )
}

type Answer = Result<StatusCode, Failure>;

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn views(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
    headers: axum::http::HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Failure> {
    let desk = state.sessions.desk(station.as_str(), camera.0).await?;
    if let Some(v) = headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok()) {
        // A short, printable version only (it is shown to operators).
        let v: String = v.chars().filter(|c| c.is_ascii_graphic()).take(40).collect();
        *desk.version.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(v);
    }
    // Subscribed before the current view is read, so no update falls between the two.
    let mut updates = desk.engine.updates();
    let engine = desk.engine.clone();
    let stream = async_stream::stream! {
        let mut last = 0;
        let first = engine.current();
        last = last.max(first.seq);
        yield Ok(view_event(&first));
        loop {
            let update = match updates.recv().await {
                Ok(update) => update,
                // Behind: the newest view is the whole state anyway.
                Err(RecvError::Lagged(_)) => engine.current(),
                Err(RecvError::Closed) => break,
            };
            if update.seq <= last {
                continue;
            }
            last = update.seq;
            yield Ok(view_event(&update));
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn view_event(update: &reclaim_protocol::ViewUpdate) -> Event {
    Event::default()
        .event(api::VIEW_EVENT)
        .id(update.seq.to_string())
        .json_data(update)
        .unwrap_or_else(|_| Event::default().comment("unserialisable view"))
}

async fn station(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
) -> Result<Json<StationView>, Failure> {
    let desk = state.sessions.desk(station.as_str(), camera.0).await?;
    Ok(Json(desk.engine.current().station))
}

async fn preflight(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
) -> Result<Json<StationView>, Failure> {
    let desk = state.sessions.desk(station.as_str(), camera.0).await?;
    Ok(Json(desk.engine.preflight().await))
}

async fn begin(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
) -> Result<(StatusCode, Json<SessionCreated>), Failure> {
    let desk = state.sessions.desk(station.as_str(), camera.0).await?;
    desk.engine.begin().await?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let began = desk.engine.current().seq;
    *desk.session.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
        Some((id.clone(), began));
    Ok((StatusCode::CREATED, Json(SessionCreated { id })))
}

/// The station's engine, if `id` is its current session; 404 otherwise (another station's
/// session, an ended one, a made-up one: all look the same).
async fn current(
    state: &ApiState,
    station: &str,
    camera: bool,
    id: &str,
) -> Result<Engine, Failure> {
    let desk = state.sessions.desk(station, camera).await?;
    let matches = desk
        .session
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .is_some_and(|(current, _)| {
            subtle::ConstantTimeEq::ct_eq(current.as_bytes(), id.as_bytes()).into()
        });
    if matches { Ok(desk.engine.clone()) } else { Err(not_found()) }
}

async fn account(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
    Path(id): Path<String>,
    Body(body): Body<AccountBody>,
) -> Answer {
    let engine = current(&state, station.as_str(), camera.0, &id).await?;
    engine.submit_upn(body.upn.clone()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn provider(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
    Path(id): Path<String>,
    Body(body): Body<ProviderBody>,
) -> Answer {
    let engine = current(&state, station.as_str(), camera.0, &id).await?;
    engine.choose_provider(body.provider, body.path).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn shot(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
    Path((id, shot)): Path<(String, Shot)>,
    image: Bytes,
) -> Answer {
    let engine = current(&state, station.as_str(), camera.0, &id).await?;
    engine.capture(shot, image.to_vec()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn done(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
    Path(id): Path<String>,
) -> Answer {
    current(&state, station.as_str(), camera.0, &id).await?.done().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Link-only provider: the person says the credential is in Authenticator (only on that
/// provider's scan step; 409 otherwise).
async fn added_to_wallet(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
    Path(id): Path<String>,
) -> Answer {
    current(&state, station.as_str(), camera.0, &id).await?.added_to_wallet().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "I already have my ID in Authenticator" (only a choice the view offers; 409 otherwise).
async fn present_existing(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
    Path(id): Path<String>,
    Body(body): Body<api::ExistingBody>,
) -> Answer {
    let engine = current(&state, station.as_str(), camera.0, &id).await?;
    engine.present_existing(body.choice).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The person asks for a member of staff (only when their view offers it; 409 otherwise).
async fn ask_for_staff(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
    Path(id): Path<String>,
) -> Answer {
    current(&state, station.as_str(), camera.0, &id).await?.ask_for_staff().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn cancel(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
    Path(id): Path<String>,
) -> Answer {
    current(&state, station.as_str(), camera.0, &id).await?.cancel().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn activity(
    State(state): State<ApiState>,
    AuthenticatedStation(station): AuthenticatedStation,
    camera: Camera,
) -> Answer {
    state.sessions.desk(station.as_str(), camera.0).await?.engine.activity().await?;
    Ok(StatusCode::NO_CONTENT)
}
