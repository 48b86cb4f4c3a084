//! The crate's one error type, [`EntraError`], and the typed service errors it wraps.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;

/// Longest `Retry-After` we honour; a larger value is capped to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Every error this crate returns.
#[derive(Debug, thiserror::Error)]
pub enum EntraError {
    /// The token endpoint refused (§1.6).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Microsoft Graph answered with an error body (§4.e).
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// The Verified ID Request Service answered with an error body (§2.4).
    #[error(transparent)]
    RequestService(#[from] RequestServiceError),
    /// The HTTP exchange itself failed (connect, timeout, reset, body read).
    #[error("transport failure during {operation} ({kind:?})")]
    Transport {
        /// What we were doing, e.g. `graph.create_tap`.
        operation: &'static str,
        /// Coarse class of the failure.
        kind: TransportKind,
        /// The underlying client error.
        #[source]
        source: reqwest::Error,
    },
    /// A response body did not match the contract's shape.
    #[error("could not decode the HTTP {status} response of {operation}")]
    Decode {
        /// What we were doing.
        operation: &'static str,
        /// HTTP status of the response.
        status: u16,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A status the contract does not allow for this call, without a parsable error body
    /// (e.g. `200` from `createPresentationRequest`, or a proxy's HTML 502).
    #[error("unexpected HTTP status {status} from {operation}")]
    UnexpectedStatus {
        /// What we were doing.
        operation: &'static str,
        /// The status received.
        status: u16,
        /// `Retry-After` if the response carried one.
        retry_after: Option<Duration>,
    },
    /// `create_tap_safely`: an attempt failed ambiguously and the user now has a TAP created
    /// after the attempt started, whose code we never received. We do not create another one;
    /// the caller decides (e.g. delete `method_id` and start again).
    #[error("a Temporary Access Pass was created but its code was not received")]
    TapUnconfirmed {
        /// Id of the TAP method found on the user.
        method_id: String,
    },
    /// The service broke the protocol in a way a parser cannot describe (e.g. a paging link
    /// to another host, which must not receive our bearer token).
    #[error("protocol violation during {operation}: {problem:?}")]
    Protocol {
        /// What we were doing.
        operation: &'static str,
        /// What was wrong.
        problem: ProtocolProblem,
    },
    /// Bad configuration: URLs, credentials, certificates.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// OpenID Connect sign-in: the ID token (or the provider's metadata) failed validation
    /// (`microsoft-apis-v2.md` §4.5). The sign-in must be refused.
    #[error("sign-in refused: {0}")]
    SignIn(#[from] SignInError),
}

/// Why an OpenID Connect sign-in was refused after the token endpoint answered (§4.5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// The token response carried no `id_token`.
    #[error("the token response carried no ID token")]
    NoIdToken,
    /// Not a JWT, or its header or claims do not parse.
    #[error("the ID token is malformed")]
    Malformed,
    /// Signed with another algorithm than RS256.
    #[error("the ID token is not signed with RS256")]
    WrongAlgorithm,
    /// Its `kid` is not in the tenant's JWKS, even after fetching the keys again.
    #[error("the ID token's signing key is not published by the tenant")]
    UnknownKey,
    /// The RS256 signature does not verify with the published key.
    #[error("the ID token's signature is invalid")]
    BadSignature,
    /// `iss` is not the discovery document's issuer.
    #[error("the ID token's issuer is not the tenant's")]
    WrongIssuer,
    /// `aud` is not our client id.
    #[error("the ID token was issued to another application")]
    WrongAudience,
    /// `exp` is past (beyond the allowed skew).
    #[error("the ID token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the allowed skew).
    #[error("the ID token is not yet valid")]
    NotYetValid,
    /// `nonce` is missing or not the one this sign-in sent.
    #[error("the ID token's nonce does not match this sign-in")]
    WrongNonce,
    /// `tid` is not our tenant.
    #[error("the ID token is from another tenant")]
    WrongTenant,
    /// A claim the sign-in needs is absent (e.g. `oid` without the `profile` scope).
    #[error("the ID token lacks the {0} claim")]
    MissingClaim(&'static str),
    /// The discovery document is unusable: an endpoint off the authority's origin, or an
    /// issuer that names no tenant.
    #[error("the OpenID configuration is unusable: {0}")]
    Discovery(&'static str),
}

/// See [`EntraError::Protocol`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolProblem {
    /// `@odata.nextLink` is not a URL.
    InvalidNextLink,
    /// `@odata.nextLink` points at another scheme/host/port than the configured base.
    ForeignNextLink,
    /// More pages than the safety limit.
    TooManyPages,
    /// A claim-validation extension's definition cannot be used (not HTTPS, no audience, another
    /// kind of extension).
    InvalidExtension(&'static str),
    /// A claim-validation extension answered outside its contract (`microsoft-apis-v2.md` §6.4,
    /// §6.5): the Entra error code it stands for (1003003 InvalidResponseBody, 1003006
    /// InvalidResponseContentType, 1003009 EmptyResponse, 1003010 InvalidNumberOfActions,
    /// 1003012 InvalidActionType, 1003024 ResponseSizeExceeded).
    ExtensionResponse(u32),
}

/// Coarse class of a transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not connect: the request was never sent (safe to retry even for non-idempotent calls).
    Connect,
    /// Timed out: the server may or may not have processed the request.
    Timeout,
    /// Anything else (reset, protocol error, body read): outcome unknown.
    Other,
}

impl TransportKind {
    pub(crate) fn of(err: &reqwest::Error) -> Self {
        if err.is_connect() {
            Self::Connect
        } else if err.is_timeout() {
            Self::Timeout
        } else {
            Self::Other
        }
    }
}

/// Stable, machine-readable classification of an [`EntraError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The token endpoint refused the credentials or scope.
    TokenRejected,
    /// 401 from Graph or the Request Service.
    Unauthorized,
    /// 403: missing permission or policy refusal.
    Forbidden,
    /// 404.
    NotFound,
    /// 400/409/422 etc.: the request was refused as invalid.
    BadRequest,
    /// 429.
    Throttled,
    /// 5xx.
    ServerError,
    /// Could not connect.
    Connect,
    /// Timed out.
    Timeout,
    /// Another transport failure.
    Transport,
    /// Unexpected body shape.
    Decode,
    /// Unexpected status without a typed body.
    UnexpectedStatus,
    /// See [`EntraError::TapUnconfirmed`].
    TapUnconfirmed,
    /// Configuration problem.
    Config,
    /// An OpenID Connect sign-in was refused (ID token validation).
    SignInRejected,
}

impl ErrorKind {
    /// Stable snake_case name, for logs, audit and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenRejected => "token_rejected",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::BadRequest => "bad_request",
            Self::Throttled => "throttled",
            Self::ServerError => "server_error",
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::Decode => "decode",
            Self::UnexpectedStatus => "unexpected_status",
            Self::TapUnconfirmed => "tap_unconfirmed",
            Self::Config => "config",
            Self::SignInRejected => "sign_in_rejected",
        }
    }

    fn from_status(status: u16) -> Self {
        match status {
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            429 => Self::Throttled,
            500..=599 => Self::ServerError,
            _ => Self::BadRequest,
        }
    }
}

/// Statuses that mean "try again later" (§4.e throttling; 503 may carry Retry-After too).
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 503)
}

impl EntraError {
    /// Stable classification.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Token(e) => {
                if e.status == 429 || e.status >= 500 {
                    ErrorKind::from_status(e.status)
                } else {
                    ErrorKind::TokenRejected
                }
            }
            Self::Graph(e) => ErrorKind::from_status(e.status),
            Self::RequestService(e) => ErrorKind::from_status(e.status),
            Self::Transport { kind: TransportKind::Connect, .. } => ErrorKind::Connect,
            Self::Transport { kind: TransportKind::Timeout, .. } => ErrorKind::Timeout,
            Self::Transport { kind: TransportKind::Other, .. } => ErrorKind::Transport,
            Self::Decode { .. } | Self::Protocol { .. } => ErrorKind::Decode,
            Self::UnexpectedStatus { .. } => ErrorKind::UnexpectedStatus,
            Self::TapUnconfirmed { .. } => ErrorKind::TapUnconfirmed,
            Self::Config(_) => ErrorKind::Config,
            Self::SignIn(_) => ErrorKind::SignInRejected,
        }
    }

    /// HTTP status of the failed response, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Token(e) => Some(e.status),
            Self::Graph(e) => Some(e.status),
            Self::RequestService(e) => Some(e.status),
            Self::Decode { status, .. } | Self::UnexpectedStatus { status, .. } => Some(*status),
            Self::Transport { .. }
            | Self::TapUnconfirmed { .. }
            | Self::Protocol { .. }
            | Self::Config(_)
            | Self::SignIn(_) => None,
        }
    }

    /// True if repeating an *idempotent* call may succeed: 429, 503, connect errors and
    /// timeouts (plus the Request Service's `transientError`). Non-idempotent calls must not
    /// rely on this alone (see `GraphClient::create_tap_safely`).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RequestService(e) if e.inner_code.as_deref() == Some("transientError") => true,
            Self::Transport { kind, .. } => {
                matches!(kind, TransportKind::Connect | TransportKind::Timeout)
            }
            _ => self.status().is_some_and(is_retryable_status),
        }
    }

    /// The server's `Retry-After`, capped at [`MAX_RETRY_AFTER`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Token(e) => e.retry_after,
            Self::Graph(e) => e.retry_after,
            Self::RequestService(e) => e.retry_after,
            Self::UnexpectedStatus { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True for a 401 that a fresh access token may cure (Graph `InvalidAuthenticationToken`,
    /// Request Service `unauthorized` / `tokenError`).
    pub(crate) fn is_stale_token(&self) -> bool {
        match self {
            Self::Graph(e) => {
                e.status == 401
                    && matches!(e.code.as_str(), "InvalidAuthenticationToken" | "unauthenticated")
            }
            Self::RequestService(e) => {
                e.status == 401
                    || (e.status == 403 && e.inner_code.as_deref() == Some("tokenError"))
            }
            _ => false,
        }
    }

    pub(crate) fn transport(operation: &'static str, source: reqwest::Error) -> Self {
        // The URL may carry personal data (a name search's query): never keep it.
        Self::Transport {
            operation,
            kind: TransportKind::of(&source),
            source: source.without_url(),
        }
    }

    pub(crate) fn decode(operation: &'static str, status: u16, source: serde_json::Error) -> Self {
        Self::Decode { operation, status, source }
    }
}

/// Parses `Retry-After` as delta-seconds (what Graph sends), capped at [`MAX_RETRY_AFTER`].
/// HTTP-dates are not used by these services and are ignored.
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = value.parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())))
}

fn header_string(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// Token endpoint (§1.6)

/// An error from the identity platform token endpoint:
/// `{error, error_description("AADSTS…"), error_codes[], timestamp, trace_id, correlation_id}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token endpoint returned {status} {error} (AADSTS{aadsts:?})")]
pub struct TokenError {
    /// HTTP status (400 per the docs; 401 for `invalid_client` in practice).
    pub status: u16,
    /// OAuth error code, e.g. `invalid_client`.
    pub error: String,
    /// AADSTS codes from `error_codes` (or parsed from the description when that is missing).
    pub aadsts: Vec<u32>,
    /// `error_description` (starts with `AADSTSnnnnn:`).
    pub description: Option<String>,
    /// `correlation_id`.
    pub correlation_id: Option<String>,
    /// `trace_id`.
    pub trace_id: Option<String>,
    /// `timestamp`.
    pub timestamp: Option<String>,
    /// `error_uri`, when present.
    pub error_uri: Option<String>,
    /// `Retry-After`, when present.
    pub retry_after: Option<Duration>,
}

#[derive(Deserialize)]
struct TokenErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<u32>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    correlation_id: Option<String>,
    #[serde(default)]
    error_uri: Option<String>,
}

impl TokenError {
    /// Parses a token-endpoint error response; `None` if the body is not the documented shape.
    pub fn parse(status: u16, headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        let b: TokenErrorBody = serde_json::from_slice(body).ok()?;
        let mut aadsts = b.error_codes;
        if aadsts.is_empty() {
            aadsts.extend(b.error_description.as_deref().and_then(aadsts_from_description));
        }
        Some(Self {
            status,
            error: b.error,
            aadsts,
            description: b.error_description,
            correlation_id: b.correlation_id,
            trace_id: b.trace_id,
            timestamp: b.timestamp,
            error_uri: b.error_uri,
            retry_after: parse_retry_after(headers),
        })
    }

    /// True if `code` (e.g. `7000215`) is among the AADSTS codes.
    pub fn has_aadsts(&self, code: u32) -> bool {
        self.aadsts.contains(&code)
    }
}

fn aadsts_from_description(description: &str) -> Option<u32> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Graph (§4.e)

/// A Microsoft Graph error: `{error:{code,message,innerError|innererror{…}}}`.
/// Branch on [`code`](Self::code), never on `message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Graph returned {status} {code}")]
pub struct GraphError {
    /// HTTP status.
    pub status: u16,
    /// `error.code`, e.g. `Request_ResourceNotFound`.
    pub code: String,
    /// `error.message` (developer text; for logs only).
    pub message: String,
    /// Innermost nested `innerError.code`, when a nested error carries one.
    pub inner_code: Option<String>,
    /// `innerError.request-id`, else the `request-id` response header.
    pub request_id: Option<String>,
    /// `innerError.client-request-id`, else the `client-request-id` header.
    pub client_request_id: Option<String>,
    /// `innerError.date`.
    pub date: Option<String>,
    /// `Retry-After` (capped).
    pub retry_after: Option<Duration>,
}

#[derive(Deserialize)]
struct GraphErrorEnvelope {
    error: GraphErrorBody,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner: Option<Box<GraphInnerError>>,
}

#[derive(Deserialize)]
struct GraphInnerError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default, rename = "request-id")]
    request_id: Option<String>,
    #[serde(default, rename = "client-request-id")]
    client_request_id: Option<String>,
    #[serde(default, rename = "innerError", alias = "innererror")]
    inner: Option<Box<GraphInnerError>>,
}

impl GraphError {
    /// Parses a Graph error response; `None` if the body is not the documented shape.
    pub fn parse(status: u16, headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        let env: GraphErrorEnvelope = serde_json::from_slice(body).ok()?;
        let mut err = Self {
            status,
            code: env.error.code,
            message: env.error.message,
            inner_code: None,
            request_id: None,
            client_request_id: None,
            date: None,
            retry_after: parse_retry_after(headers),
        };
        let mut inner = env.error.inner;
        while let Some(i) = inner {
            let i = *i;
            err.inner_code = i.code.or(err.inner_code);
            err.request_id = err.request_id.or(i.request_id);
            err.client_request_id = err.client_request_id.or(i.client_request_id);
            err.date = err.date.or(i.date);
            inner = i.inner;
        }
        err.request_id = err.request_id.or_else(|| header_string(headers, "request-id"));
        err.client_request_id =
            err.client_request_id.or_else(|| header_string(headers, "client-request-id"));
        Some(err)
    }
}

// ---------------------------------------------------------------------------------------------
// Request Service (§2.4)

/// A Verified ID Request Service error:
/// `{requestId,date,mscv,error{code,message,innererror{code,message,target?}}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Request Service returned {status} {code} ({inner_code:?}, target {target:?})")]
pub struct RequestServiceError {
    /// HTTP status.
    pub status: u16,
    /// `error.code`, fixed per status (`badRequest`, `unauthorized`, `tooManyRequests`, …).
    pub code: String,
    /// `error.innererror.code`: `badOrMissingField`, `notFound`, `tokenError`, `transientError`.
    pub inner_code: Option<String>,
    /// `error.message`.
    pub message: String,
    /// `error.innererror.message`.
    pub inner_message: Option<String>,
    /// `error.innererror.target` (offending field / resource / token).
    pub target: Option<String>,
    /// Top-level `requestId`.
    pub request_id: Option<String>,
    /// Top-level `mscv` correlation vector.
    pub mscv: Option<String>,
    /// Top-level `date`.
    pub date: Option<String>,
    /// `Retry-After` (capped).
    pub retry_after: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RsErrorEnvelope {
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    mscv: Option<String>,
    error: RsErrorBody,
}

#[derive(Deserialize)]
struct RsErrorBody {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "innererror", alias = "innerError")]
    inner: Option<RsInnerError>,
}

#[derive(Deserialize)]
struct RsInnerError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    target: Option<String>,
}

impl RequestServiceError {
    /// Parses a Request Service error response (current format, and the legacy one with only
    /// `error.code`); `None` if the body is not JSON of that shape.
    pub fn parse(status: u16, headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        let env: RsErrorEnvelope = serde_json::from_slice(body).ok()?;
        let inner = env.error.inner;
        Some(Self {
            status,
            code: env.error.code,
            message: env.error.message,
            inner_code: inner.as_ref().and_then(|i| i.code.clone()),
            inner_message: inner.as_ref().and_then(|i| i.message.clone()),
            target: inner.and_then(|i| i.target),
            request_id: env.request_id,
            mscv: env.mscv,
            date: env.date,
            retry_after: parse_retry_after(headers),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

/// A configuration problem (bad URL, unreadable certificate…).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A base URL did not parse.
    #[error("invalid {what} URL")]
    InvalidUrl {
        /// Which URL.
        what: &'static str,
        /// Parser error.
        #[source]
        source: url::ParseError,
    },
    /// A URL that must be http(s) is not.
    #[error("{what} URL must be http or https")]
    NotHttp {
        /// Which URL.
        what: &'static str,
    },
    /// A required builder field was not set.
    #[error("missing required setting {0}")]
    Missing(&'static str),
    /// No `CERTIFICATE` block in the PEM input.
    #[error("no CERTIFICATE found in the PEM input")]
    NoCertificate,
    /// The certificate DER does not parse as X.509.
    #[error("the certificate is not valid X.509")]
    InvalidCertificate,
    /// The private key is not a usable RSA key.
    #[error("the private key is not a usable RSA key")]
    InvalidKey(#[source] jsonwebtoken::errors::Error),
    /// The PFX could not be opened (wrong password, corrupt, unsupported algorithm).
    #[error("the PFX could not be read")]
    Pfx(#[source] p12_keystore::error::Error),
    /// The PFX holds no private key with a certificate.
    #[error("the PFX holds no private key with a certificate")]
    PfxWithoutKey,
    /// Signing the client assertion failed.
    #[error("signing the client assertion failed")]
    Sign(#[source] jsonwebtoken::errors::Error),
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built")]
    HttpClient(#[source] reqwest::Error),
    /// A user property name that is not a plain property (the second binding's attribute).
    #[error("{0:?} is not a user property name")]
    AttributeName(String),
}
