//! Starting the emulator: bind, optional TLS with a generated CA, and dispatch of each request
//! to an emulated host — by `Host` header for the real Microsoft host names, else by path prefix.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;

use crate::faults::Service;
use crate::fixture::{Fixture, FixtureError};
use crate::state::{AppState, Urls};

/// Real host names the emulator answers for when they are pointed at it (hosts file + trusted CA).
pub const REAL_HOSTS: [(&str, Service); 3] = [
    ("login.microsoftonline.com", Service::Login),
    ("graph.microsoft.com", Service::Graph),
    ("verifiedid.did.msidentity.com", Service::RequestService),
];

/// Path prefixes of the emulated hosts on a single loopback listener.
pub const PREFIXES: [(&str, Service); 7] = [
    ("/login", Service::Login),
    ("/graph", Service::Graph),
    ("/vc", Service::RequestService),
    ("/provider", Service::Provider),
    ("/phone", Service::Phone),
    ("/control", Service::Control),
    ("/hr", Service::Hr),
];

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    pub listen: SocketAddr,
    pub fixture: Fixture,
    pub tls: bool,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self { listen: SocketAddr::from(([127, 0, 0, 1], 0)), fixture: Fixture::demo(), tls: false }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Fixture(#[from] FixtureError),
    #[error("TLS set-up failed: {0}")]
    Tls(String),
}

/// The externally visible root of the emulated host that is handling a request, e.g.
/// `http://127.0.0.1:8080/graph` or `https://graph.microsoft.com`. Handlers build absolute URLs
/// (`@odata.nextLink`, deep links, discovery documents) from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBase(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PublicBase {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<PublicBase>().cloned().ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// A running emulator; dropping it does not stop it, `shutdown` does.
#[derive(Debug)]
pub struct RunningEmulator {
    pub urls: Urls,
    pub state: AppState,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningEmulator {
    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(self) {
        self.handle.shutdown();
        let _ = self.task.await;
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        // `from_tcp` servers know their address as soon as they are spawned.
        self.urls
            .login
            .parse::<Uri>()
            .ok()
            .and_then(|u| {
                let host = u.host()?.to_owned();
                let port = u.port_u16()?;
                format!("{host}:{port}").parse().ok()
            })
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
    }
}

struct Routers {
    state: AppState,
    scheme: &'static str,
    login: Router,
    graph: Router,
    request_service: Router,
    provider: Router,
    phone: Router,
    control: Router,
    hr: Router,
}

impl Routers {
    fn get(&self, s: Service) -> &Router {
        match s {
            Service::Login => &self.login,
            Service::Graph => &self.graph,
            Service::RequestService => &self.request_service,
            Service::Provider => &self.provider,
            Service::Phone => &self.phone,
            Service::Control => &self.control,
            Service::Hr => &self.hr,
        }
    }
}

/// Binds, builds the state and serves in the background.
pub async fn start(options: EmulatorOptions) -> Result<RunningEmulator, StartError> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let listener = TcpListener::bind(options.listen)
        .map_err(|source| StartError::Bind { addr: options.listen, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| StartError::Bind { addr: options.listen, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr: options.listen, source })?;
    let shown_ip =
        if addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { addr.ip().to_string() };
    let host = if addr.is_ipv6() {
        format!("[{shown_ip}]:{}", addr.port())
    } else {
        format!("{shown_ip}:{}", addr.port())
    };
    let scheme = if options.tls { "https" } else { "http" };
    let tls = if options.tls {
        Some(crate::tls::generate(&shown_ip).map_err(StartError::Tls)?)
    } else {
        None
    };
    let base = format!("{scheme}://{host}");
    let urls = Urls {
        tenant: options.fixture.tenant.id,
        login: format!("{base}/login"),
        graph: format!("{base}/graph"),
        request_service: format!("{base}/vc"),
        provider: format!("{base}/provider"),
        phone: format!("{base}/phone"),
        control: format!("{base}/control"),
        ca_file: tls.as_ref().map(|t| t.ca_file.display().to_string()),
    };
    let state = AppState::with_own_ca(
        options.fixture,
        urls.clone(),
        tls.as_ref().map(|t| t.ca_pem.as_str()),
    )?;
    let routers = std::sync::Arc::new(Routers {
        login: crate::identity::routes().with_state(state.clone()),
        graph: crate::graph::routes().with_state(state.clone()),
        request_service: crate::request_service::routes().with_state(state.clone()),
        provider: crate::provider::routes().with_state(state.clone()),
        phone: crate::phone::routes().with_state(state.clone()),
        control: crate::control::routes().with_state(state.clone()),
        hr: crate::hr::routes().with_state(state.clone()),
        state: state.clone(),
        scheme,
    });
    let app = Router::new().fallback(move |req: Request| dispatch(routers.clone(), req));
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    let task = match tls {
        Some(t) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_pem(
                t.cert_chain_pem.into_bytes(),
                t.key_pem.into_bytes(),
            )
            .await
            .map_err(|e| StartError::Tls(e.to_string()))?;
            let server = axum_server::from_tcp_rustls(listener, config)
                .map_err(|e| StartError::Tls(e.to_string()))?;
            tokio::spawn(async move {
                if let Err(e) = server.handle(h).serve(app.into_make_service()).await {
                    tracing::error!(error = %e, "emulator server stopped");
                }
            })
        }
        None => {
            let server = axum_server::from_tcp(listener)
                .map_err(|source| StartError::Bind { addr, source })?;
            tokio::spawn(async move {
                if let Err(e) = server.handle(h).serve(app.into_make_service()).await {
                    tracing::error!(error = %e, "emulator server stopped");
                }
            })
        }
    };
    Ok(RunningEmulator { urls, state, handle, task })
}

/// Picks the emulated host for a request, applies faults, and hands it to that host's router.
async fn dispatch(routers: std::sync::Arc<Routers>, mut req: Request) -> Response {
    let host_header = req
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let host_only = host_header
        .rsplit_once(':')
        .filter(|(h, p)| !h.ends_with(']') || p.parse::<u16>().is_ok())
        .map(|(h, _)| h)
        .unwrap_or(&host_header);
    let host_only = if host_header.starts_with('[') {
        host_header.split(']').next().map(|h| &h[1..]).unwrap_or("")
    } else {
        host_only
    };

    let (service, base, path) =
        if let Some((_, s)) = REAL_HOSTS.iter().find(|(h, _)| h.eq_ignore_ascii_case(host_only)) {
            (*s, format!("https://{host_only}"), req.uri().path().to_owned())
        } else {
            let path = req.uri().path().to_owned();
            let Some((prefix, s)) =
                PREFIXES.iter().find(|(p, _)| path == *p || path.starts_with(&format!("{p}/")))
            else {
                return (
                    StatusCode::NOT_FOUND,
                    "no emulated host at this path; see the start line for base URLs",
                )
                    .into_response();
            };
            let rest = path[prefix.len()..].to_owned();
            (
                *s,
                format!("{}://{host_header}{prefix}", routers.scheme),
                if rest.is_empty() { "/".to_owned() } else { rest },
            )
        };

    let (lost, delay) =
        match routers.state.faults().intercept_call(service, req.method(), &path).await {
            crate::faults::Intercepted::Answer(resp) => return resp,
            crate::faults::Intercepted::LoseAnswer(resp) => (Some(resp), None),
            crate::faults::Intercepted::Delay(wait) => (None, Some(wait)),
            crate::faults::Intercepted::Pass => (None, None),
        };
    let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
    match format!("{path}{query}").parse::<Uri>() {
        Ok(uri) => *req.uri_mut() = uri,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    }
    req.extensions_mut().insert(PublicBase(base));
    req.extensions_mut().insert(service);
    let router = routers.get(service).clone();
    let answer = match delay {
        None => match router.oneshot(req.map(Body::new)).await {
            Ok(r) => r,
            Err(never) => match never {},
        },
        // A delayed call runs on its own task with its body read first: it takes effect even
        // if the caller gives up (times out, is aborted) while it waits.
        Some(wait) => {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(Body::new(body), 64 * 1024 * 1024).await else {
                return StatusCode::BAD_REQUEST.into_response();
            };
            let req = Request::from_parts(parts, Body::from(bytes));
            let work = tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                match router.oneshot(req).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                }
            });
            match work.await {
                Ok(r) => r,
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
    };
    // A lost answer: the call took effect, the caller hears only the injected error.
    lost.unwrap_or(answer)
}

/// Where the generated TLS material went.
#[derive(Debug)]
pub struct TlsFiles {
    pub ca_file: PathBuf,
    /// The CA certificate, PEM (the content of `ca_file`).
    pub ca_pem: String,
    pub cert_chain_pem: String,
    pub key_pem: String,
}
