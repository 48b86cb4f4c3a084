//! reclaim-entra: typed clients for the Microsoft identity platform token endpoint, Microsoft
//! Graph and the Verified ID Request Service — against the real cloud or, by base URLs alone,
//! against the Reclaim emulator. Wire contract: `shared/contracts/microsoft-apis.md`.

pub mod callback;
pub mod claim_validation;
pub mod error;
pub mod graph;
mod http;
pub mod oidc;
pub mod request_service;
pub mod retry;
pub mod secret;
pub mod token;

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use url::Url;

pub use callback::{CallbackEvent, RequestStatus};
pub use error::{
    ConfigError, EntraError, ErrorKind, GraphError, RequestServiceError, SignInError, TokenError,
    TransportKind,
};
pub use graph::{GraphClient, GraphClientBuilder};
pub use oidc::{AuthStart, OidcClient, OidcClientBuilder, SignedIn};
pub use request_service::{RequestServiceClient, RequestServiceClientBuilder};
pub use retry::RetryPolicy;
pub use secret::{Personal, Secret, SensitiveValue};
pub use token::{
    AccessToken, AssertionAlgorithm, ClientCertificate, ClientCredential, GRAPH_SCOPE,
    REQUEST_SERVICE_SCOPE, TokenSource, TokenSourceBuilder,
};

/// Microsoft identity platform host root.
pub const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Microsoft Graph host root.
pub const MICROSOFT_GRAPH: &str = "https://graph.microsoft.com";
/// Verified ID Request Service host root.
pub const MICROSOFT_REQUEST_SERVICE: &str = "https://verifiedid.did.msidentity.com";

/// Percent-encode everything but RFC 3986 unreserved characters (for path segments and
/// query values: `#EXT#` → `%23EXT%23`, `'` → `%27`, space → `%20`).
pub(crate) const PATH_SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The three host roots the kiosk talks to. Each stands for a real host root:
/// `{authority}/{tenant}/oauth2/v2.0/token`, `{graph}/v1.0/users`,
/// `{request_service}/v1.0/verifiableCredentials/createPresentationRequest`.
///
/// Client builders validate the URLs (http/https) when they are built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Identity platform root (`https://login.microsoftonline.com`).
    pub authority: String,
    /// Graph root (`https://graph.microsoft.com`).
    pub graph: String,
    /// Request Service root (`https://verifiedid.did.msidentity.com`).
    pub request_service: String,
}

impl Endpoints {
    /// The public Microsoft cloud.
    pub fn microsoft_cloud() -> Self {
        Self {
            authority: MICROSOFT_AUTHORITY.to_owned(),
            graph: MICROSOFT_GRAPH.to_owned(),
            request_service: MICROSOFT_REQUEST_SERVICE.to_owned(),
        }
    }

    /// From the emulator's printed `login`, `graph` and `requestService` base URLs
    /// (validated; a trailing `/` is dropped).
    pub fn from_emulator_urls(
        login: &str,
        graph: &str,
        request_service: &str,
    ) -> Result<Self, EntraError> {
        let base = |what, raw: &str| -> Result<String, EntraError> {
            parse_http_url(what, raw)?;
            Ok(raw.trim_end_matches('/').to_owned())
        };
        Ok(Self {
            authority: base("login", login)?,
            graph: base("graph", graph)?,
            request_service: base("requestService", request_service)?,
        })
    }

    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self, tenant: &str) -> Result<Url, EntraError> {
        token::token_url(&self.authority, tenant)
    }
}

/// The emulator's start line: `{"tenant","login","graph","requestService",…,"caFile"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmulatorUrls {
    /// Tenant id of the emulated tenant.
    pub tenant: String,
    /// Token host root.
    pub login: String,
    /// Graph host root.
    pub graph: String,
    /// Request Service host root.
    pub request_service: String,
    /// PEM CA file when the emulator runs with `--tls`.
    #[serde(default)]
    pub ca_file: Option<String>,
}

impl EmulatorUrls {
    /// The endpoints these URLs stand for.
    pub fn endpoints(&self) -> Result<Endpoints, EntraError> {
        Endpoints::from_emulator_urls(&self.login, &self.graph, &self.request_service)
    }
}

/// Default HTTP client: rustls, 30 s timeout, 10 s connect timeout, no redirects (bearer tokens
/// must not follow a redirect).
pub fn default_http_client() -> Result<reqwest::Client, EntraError> {
    http_client_builder().build().map_err(|e| ConfigError::HttpClient(e).into())
}

/// The builder behind [`default_http_client`], to add e.g. a root certificate.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("reclaim-entra/", env!("CARGO_PKG_VERSION")))
}

/// Parses an http(s) base URL, dropping a trailing `/` from its path.
pub(crate) fn parse_http_url(what: &'static str, raw: &str) -> Result<Url, EntraError> {
    let url = Url::parse(raw).map_err(|source| ConfigError::InvalidUrl { what, source })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::NotHttp { what }.into());
    }
    Ok(url)
}

/// `{base}/{path}` where `path` is already encoded and starts without `/`.
pub(crate) fn join(base: &Url, path_and_query: &str) -> Result<Url, EntraError> {
    let raw = format!("{}/{}", base.as_str().trim_end_matches('/'), path_and_query);
    parse_http_url("request", &raw)
}
