//! Semantic checks, from [`RawConfig`] to [`Config`]: every problem is recorded with the span of
//! the offending value (or of its table when a key is missing) and all are reported together.

use std::collections::HashMap;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use reclaim_core::{EngineConfig, Timeouts};
use toml::Spanned;
use url::{Host, Url};
use uuid::Uuid;

use crate::error::ConfigError;
use crate::model::{
    Audit, DEFAULT_SYSLOG_APP_NAME, DEFAULT_SYSLOG_FACILITY, SYSLOG_FACILITIES, Syslog,
};
use crate::model::{
    CertificateCredential, CertificateFormat, CertificateHeader, Config, Credential,
    DEFAULT_SERVER_LISTEN, DEFAULT_SERVER_STATE_DIR, Document, Endpoints, Locale, Logging, Mode,
    Provider, ProviderKind, Relay, Server, Service, Station, Tenant, Updater, Verifier,
};
use crate::model::{Console, Notify, WEBHOOK_EVENTS, Webhook};
use crate::parse::{Source, list};
use crate::raw::{
    Opt, RawConfig, RawCredential, RawEndpoints, RawLogging, RawProvider, RawRecovery, RawRelay,
    RawServer, RawService, RawStation, RawTenant, RawTimeouts, RawUpdater, RawVerifier,
};
use crate::raw::{RawAudit, RawConsole, RawSyslog, RawWebhook};
use crate::secrets::SecretName;

/// The only value `relay.station_credential` takes.
pub(crate) const RELAY_CREDENTIAL_REF: &str = "keyring:relay-credential";

/// Checks `raw` and builds the [`Config`], or returns every error (sorted by position, after
/// `earlier` — the parse errors).
pub(crate) fn validate(
    src: Source<'_>,
    base_dir: &Path,
    mut raw: RawConfig,
    earlier: Vec<ConfigError>,
) -> Result<Config, ConfigError> {
    let mut failed = std::mem::take(&mut raw.failed);
    failed.append(&mut raw.pruned);
    let mut c = Checker { src, base_dir, errors: earlier, failed };
    let config = c.config(raw);
    c.errors.sort_by_key(|e| (e.line(), e.column()));
    match ConfigError::from_list(c.errors) {
        Some(e) => Err(e),
        None => config.ok_or_else(|| ConfigError::Multiple(Vec::new())),
    }
}

struct Checker<'a> {
    src: Source<'a>,
    base_dir: &'a Path,
    errors: Vec<ConfigError>,
    /// Sections and keys whose deserialization failed (already reported, not "missing").
    failed: Vec<String>,
}

/// A table's span and key path, for "missing key" errors.
#[derive(Clone)]
struct At<'k> {
    span: Range<usize>,
    key: &'k str,
}

impl At<'_> {
    fn child(&self, name: &str) -> String {
        format!("{}.{name}", self.key)
    }
}

impl Checker<'_> {
    fn err(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(self.src.key_error(span, key, message));
    }

    /// A required key: `None` (and an error at the table) when missing.
    fn required<T>(&mut self, value: Opt<T>, at: &At<'_>, name: &str) -> Option<Spanned<T>> {
        let key = at.child(name);
        if value.is_none() && !self.failed.contains(&key) {
            self.err(at.span.clone(), key, "missing (required)");
        }
        value
    }

    /// A section that must be present (in production mode).
    fn section<T>(&mut self, value: Opt<T>, name: &'static str, why: &str) -> Option<Spanned<T>> {
        if value.is_none() && !self.failed.iter().any(|f| f == name) {
            self.err(0..0, name, format!("missing section [{name}] ({why})"));
        }
        value
    }

    fn config(&mut self, mut raw: RawConfig) -> Option<Config> {
        let station = match raw.station.take() {
            Some(s) => self.station(s),
            None if self.failed.iter().any(|f| f == "station") => None,
            None => {
                self.err(0..0, "station", "missing section [station] (required)");
                None
            }
        };
        let mode = station.as_ref().map_or(Mode::Production, |s| s.mode);
        let production = mode == Mode::Production;
        let why = "required when station.mode = \"production\"";
        if mode == Mode::Fleet {
            // The kiosk is a terminal: whatever could mint a TAP or decide a recovery lives in
            // the recovery service. A fleet file that carries it is refused, section by section.
            let refused = [
                ("tenant", raw.tenant.take().map(|t| t.span())),
                ("endpoints", raw.endpoints.take().map(|t| t.span())),
                ("verifier", raw.verifier.take().map(|t| t.span())),
                ("relay", raw.relay.take().map(|t| t.span())),
                ("providers", raw.providers.take().map(|t| t.span())),
                ("timeouts", raw.timeouts.take().map(|t| t.span())),
                ("recovery", raw.recovery.take().map(|t| t.span())),
            ];
            for (name, span) in refused {
                if let Some(span) = span {
                    self.err(
                        span,
                        name,
                        format!(
                            "not allowed when station.mode = \"fleet\": a fleet kiosk holds no tenant \
                             credential and decides nothing; [{name}] belongs in the recovery \
                             service's configuration"
                        ),
                    );
                }
            }
        }
        let service = match (mode, raw.service.take()) {
            (Mode::Fleet, Some(s)) => self.service(s),
            (Mode::Fleet, None) => {
                self.section::<RawService>(
                    None,
                    "service",
                    "required when station.mode = \"fleet\"",
                );
                None
            }
            (_, Some(s)) => {
                self.err(s.span(), "service", "[service] is only for station.mode = \"fleet\"");
                None
            }
            (_, None) => None,
        };
        if mode == Mode::Fleet && service.is_none() {
            return None;
        }
        let had_server = raw.server.is_some() || self.failed.iter().any(|f| f == "server");
        let server = match (mode, raw.server.take()) {
            (Mode::Production, Some(s)) => self.server(s),
            (_, Some(s)) => {
                self.err(
                    s.span(),
                    "server",
                    "[server] configures the recovery service, which needs station.mode = \"production\"",
                );
                return None;
            }
            (_, None) => None,
        };

        let audit = match raw.audit.take() {
            Some(a) if had_server => self.audit(a),
            Some(a) => {
                self.err(
                    a.span(),
                    "audit",
                    "[audit] configures the recovery service's audit log: it needs a [server] section",
                );
                None
            }
            None => Some(Audit::default()),
        };
        let webhook = match raw.webhook.take() {
            Some(w) if had_server => self.webhook(w),
            Some(w) => {
                self.err(
                    w.span(),
                    "webhook",
                    "[webhook] is sent by the recovery service: it needs a [server] section",
                );
                None
            }
            None => None,
        };
        let console = match raw.console.take() {
            Some(c) if had_server => self.console(c),
            Some(c) => {
                self.err(
                    c.span(),
                    "console",
                    "[console] is served by the recovery service: it needs a [server] section",
                );
                None
            }
            None => None,
        };
        let server = server.map(|mut s| {
            s.audit = audit.unwrap_or_default();
            s.webhook = webhook;
            s.console = console;
            s
        });
        let tenant = if production { self.section(raw.tenant, "tenant", why) } else { raw.tenant };
        let tenant = tenant.map(|t| self.tenant(t));
        let endpoints = raw.endpoints.map(|e| self.endpoints(e));
        let verifier =
            if production { self.section(raw.verifier, "verifier", why) } else { raw.verifier };
        let verifier = verifier.map(|v| self.verifier(v));
        let relay = if production { self.section(raw.relay, "relay", why) } else { raw.relay };
        let relay = relay.map(|r| self.relay(r));
        let providers = self.providers(raw.providers, production);
        let notify =
            raw.recovery.as_mut().and_then(|r| r.get_mut().notify.take()).map(|n| self.notify(n));
        let engine = self.engine(raw.timeouts, raw.recovery);
        let logging = raw.logging.map(|l| self.logging(l));
        let updater = raw.updater.map(|u| self.updater(u));

        Some(Config {
            file: self.src.file.to_owned(),
            station: station?,
            tenant: tenant.transpose().ok()?,
            endpoints: endpoints.unwrap_or_else(|| Some(Endpoints::default()))?,
            verifier: verifier.transpose().ok()?,
            relay: relay.transpose().ok()?,
            providers: providers?,
            engine: engine?,
            logging: logging.unwrap_or_else(|| Some(Logging::default()))?,
            updater: updater.transpose().ok()?,
            service,
            server,
            notify: notify.transpose().ok()?.flatten(),
        })
    }

    /// `[recovery.notify]`: the sending mailbox (required), the manager copy and the session
    /// revocation. `Ok(None)`: `enabled = false`.
    fn notify(&mut self, n: Spanned<crate::raw::RawNotify>) -> Result<Option<Notify>, ()> {
        let span = n.span();
        let n = n.into_inner();
        let key = "recovery.notify";
        let from = match n.from {
            None => {
                self.err(
                    span,
                    format!("{key}.from"),
                    "is required: the mailbox notices are sent from (e.g. \"recovery-desk@contoso.com\")",
                );
                None
            }
            Some(v) => {
                let text = v.get_ref().trim();
                let address =
                    text.split_once('@').is_some_and(|(l, d)| {
                        !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
                    }) && !text.chars().any(|c| c.is_whitespace() || c == '/' || c == '#');
                let object_id = Uuid::parse_str(text).is_ok();
                if address || object_id {
                    Some(text.to_owned())
                } else {
                    self.err(
                        v.span(),
                        format!("{key}.from"),
                        format!("not a mailbox address or object id ({:?})", v.get_ref()),
                    );
                    None
                }
            }
        };
        let enabled = n.enabled.is_none_or(Spanned::into_inner);
        let from = from.ok_or(())?;
        Ok(enabled.then(|| Notify {
            from,
            manager: n.manager.is_some_and(Spanned::into_inner),
            revoke_sessions: n.revoke_sessions.is_some_and(Spanned::into_inner),
        }))
    }

    fn server(&mut self, s: Spanned<RawServer>) -> Option<Server> {
        let at = At { span: s.span(), key: "server" };
        let s = s.into_inner();
        let listen = match s.listen {
            None => DEFAULT_SERVER_LISTEN.parse().ok(),
            Some(v) => {
                let parsed = v.get_ref().parse::<std::net::SocketAddr>().ok();
                if parsed.is_none() {
                    self.err(
                        v.span(),
                        "server.listen",
                        format!("not an address like 127.0.0.1:8443 ({:?})", v.get_ref()),
                    );
                }
                parsed
            }
        };
        let public_url = self.required(s.public_url, &at, "public_url");
        let public_url = public_url.and_then(|u| self.url(&u, "server.public_url"));
        let state_dir = s
            .state_dir
            .map_or_else(|| PathBuf::from(DEFAULT_SERVER_STATE_DIR), |d| self.resolve(d.get_ref()));
        let secrets_file = s.secrets_file.map(|f| self.resolve(f.get_ref()));
        Some(Server {
            listen: listen?,
            public_url: public_url?,
            state_dir,
            secrets_file,
            audit: Audit::default(),
            webhook: None,
            console: None,
        })
    }

    /// `[console]`: the console's app registration and the operators group (two GUIDs).
    fn console(&mut self, c: Spanned<RawConsole>) -> Option<Console> {
        let at = At { span: c.span(), key: "console" };
        let c = c.into_inner();
        let one = |this: &mut Self, v: Opt<String>, name: &str| {
            let v = this.required(v, &at, name)?;
            match guid(v.get_ref().trim()) {
                Some(g) => Some(g.hyphenated().to_string()),
                None => {
                    this.err(
                        v.span(),
                        format!("console.{name}"),
                        format!(
                            "not an object id (a GUID, e.g. from the Entra admin centre) ({:?})",
                            v.get_ref()
                        ),
                    );
                    None
                }
            }
        };
        let client_id = one(self, c.client_id, "client_id");
        let operators_group = one(self, c.operators_group, "operators_group");
        Some(Console { client_id: client_id?, operators_group: operators_group? })
    }

    /// `[webhook]`: the endpoint and, optionally, which events.
    fn webhook(&mut self, w: Spanned<RawWebhook>) -> Option<Webhook> {
        let at = At { span: w.span(), key: "webhook" };
        let w = w.into_inner();
        let url = self.required(w.url, &at, "url");
        let url = url.and_then(|u| self.url(&u, "webhook.url"));
        let mut ok = true;
        let events = w.events.map(|given| {
            let names = given.into_inner();
            for e in &names {
                if !WEBHOOK_EVENTS.contains(&e.get_ref().as_str()) {
                    ok = false;
                    self.err(
                        e.span(),
                        "webhook.events",
                        format!(
                            "unknown event {:?}; expected one of {}",
                            e.get_ref(),
                            list(WEBHOOK_EVENTS)
                        ),
                    );
                }
            }
            names.into_iter().map(Spanned::into_inner).collect::<Vec<_>>()
        });
        let url = url?;
        ok.then_some(Webhook { url, events })
    }

    /// `[audit]`: `[audit.syslog]` if present.
    fn audit(&mut self, a: Spanned<RawAudit>) -> Option<Audit> {
        let a = a.into_inner();
        let syslog = match a.syslog {
            None => None,
            Some(s) => Some(self.syslog(s)?),
        };
        Some(Audit { syslog })
    }

    /// `[audit.syslog]`: the collector's `host:port`, TLS (default on) with its CA, the
    /// messages' APP-NAME, facility and HOSTNAME.
    fn syslog(&mut self, s: Spanned<RawSyslog>) -> Option<Syslog> {
        let at = At { span: s.span(), key: "audit.syslog" };
        let s = s.into_inner();
        let tls = s.tls.as_ref().is_none_or(|t| *t.get_ref());
        let mut ok = true;
        let address = self.required(s.address, &at, "address").and_then(|a| {
            let parsed = split_host_port(a.get_ref());
            if parsed.is_none() {
                self.err(
                    a.span(),
                    "audit.syslog.address",
                    format!(
                        "not host:port like siem.example.com:6514 or [2001:db8::1]:6514 ({:?})",
                        a.get_ref()
                    ),
                );
            }
            parsed.map(|(host, port)| (a.into_inner(), host, port))
        });
        ok &= address.is_some();
        let ca_file = match s.ca_file {
            Some(f) if !tls => {
                self.err(f.span(), "audit.syslog.ca_file", "only with tls = true");
                ok = false;
                None
            }
            Some(f) => {
                let file = self.existing_file(&f, "audit.syslog.ca_file");
                ok &= file.is_some();
                file
            }
            None if tls => {
                self.err(
                    at.span.clone(),
                    "audit.syslog.ca_file",
                    "missing (required with tls = true): the PEM file of the CA(s) the \
                     collector's certificate chains to",
                );
                ok = false;
                None
            }
            None => None,
        };
        let app_name = match s.app_name {
            None => Some(DEFAULT_SYSLOG_APP_NAME.to_owned()),
            Some(v) => {
                let good = is_print_ascii(v.get_ref(), 48);
                if !good {
                    self.err(
                        v.span(),
                        "audit.syslog.app_name",
                        format!(
                            "must be 1–48 printable ASCII characters without spaces (RFC 5424 \
                             APP-NAME) ({:?})",
                            v.get_ref()
                        ),
                    );
                }
                good.then(|| v.into_inner())
            }
        };
        let facility_name = s.facility.as_ref().map_or(DEFAULT_SYSLOG_FACILITY, |f| f.get_ref());
        let facility = SYSLOG_FACILITIES
            .iter()
            .position(|n| *n == facility_name)
            .or_else(|| {
                facility_name.parse::<usize>().ok().filter(|n| *n < SYSLOG_FACILITIES.len())
            })
            .and_then(|n| u8::try_from(n).ok());
        if facility.is_none()
            && let Some(f) = &s.facility
        {
            self.err(
                f.span(),
                "audit.syslog.facility",
                format!(
                    "unknown facility {:?}; expected 0–23 or one of {}",
                    f.get_ref(),
                    list(SYSLOG_FACILITIES)
                ),
            );
        }
        let hostname = match s.hostname {
            None => Some(None),
            Some(v) => {
                let good = is_print_ascii(v.get_ref(), 255);
                if !good {
                    self.err(
                        v.span(),
                        "audit.syslog.hostname",
                        format!(
                            "must be 1–255 printable ASCII characters without spaces (RFC 5424 \
                             HOSTNAME) ({:?})",
                            v.get_ref()
                        ),
                    );
                }
                good.then(|| Some(v.into_inner()))
            }
        };
        let (address, host, port) = address?;
        if !ok {
            return None;
        }
        Some(Syslog {
            address,
            host,
            port,
            tls,
            ca_file,
            app_name: app_name?,
            facility: facility?,
            hostname: hostname?,
        })
    }

    fn service(&mut self, s: Spanned<RawService>) -> Option<Service> {
        let at = At { span: s.span(), key: "service" };
        let s = s.into_inner();
        let url = self.required(s.url, &at, "url")?;
        let url = self.url(&url, "service.url")?;
        Some(Service { url })
    }

    fn station(&mut self, s: Spanned<RawStation>) -> Option<Station> {
        let at = At { span: s.span(), key: "station" };
        let s = s.into_inner();
        let id = self.required(s.id, &at, "id").and_then(|id| {
            let ok = !id.get_ref().is_empty()
                && id.get_ref().len() <= 64
                && id.get_ref().bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !ok {
                self.err(
                    id.span(),
                    "station.id",
                    format!("must be 1–64 characters of A–Z a–z 0–9 . _ - ({:?})", id.get_ref()),
                );
            }
            ok.then(|| id.into_inner())
        });
        let locale = match s.locale {
            None => Some(Locale::default()),
            Some(l) => {
                let parsed = Locale::parse(l.get_ref());
                if parsed.is_none() {
                    let tags: Vec<_> = Locale::ALL.iter().map(|l| l.as_str()).collect();
                    self.err(
                        l.span(),
                        "station.locale",
                        format!(
                            "unknown locale {:?}; expected one of {}",
                            l.get_ref(),
                            list(&tags)
                        ),
                    );
                }
                parsed
            }
        };
        let mode = match s.mode {
            None => Some(Mode::default()),
            Some(m) => match m.get_ref().as_str() {
                "production" => Some(Mode::Production),
                "demo" => Some(Mode::Demo),
                "fleet" => Some(Mode::Fleet),
                other => {
                    self.err(
                        m.span(),
                        "station.mode",
                        format!("unknown mode {other:?}; expected `production`, `fleet` or `demo`"),
                    );
                    None
                }
            },
        };
        let allow_virtual_camera = s.allow_virtual_camera.is_some_and(|v| v.into_inner());
        Some(Station { id: id?, locale: locale?, mode: mode?, allow_virtual_camera })
    }

    fn tenant(&mut self, t: Spanned<RawTenant>) -> Result<Tenant, ()> {
        let at = At { span: t.span(), key: "tenant" };
        let t = t.into_inner();
        let id = self.required(t.id, &at, "id").and_then(|v| {
            let parsed = tenant_id(v.get_ref());
            if parsed.is_none() {
                self.err(
                    v.span(),
                    "tenant.id",
                    format!(
                        "not a tenant GUID or domain name like contoso.onmicrosoft.com ({:?})",
                        v.get_ref()
                    ),
                );
            }
            parsed
        });
        let client_id = self.required(t.client_id, &at, "client_id").and_then(|v| {
            let parsed = guid(v.get_ref());
            if parsed.is_none() {
                self.err(v.span(), "tenant.client_id", format!("not a GUID ({:?})", v.get_ref()));
            }
            parsed
        });
        let credential =
            self.required(t.credential, &at, "credential").and_then(|c| self.credential(c));
        Ok(Tenant {
            id: id.ok_or(())?,
            client_id: client_id.ok_or(())?,
            credential: credential.ok_or(())?,
        })
    }

    fn credential(&mut self, c: Spanned<RawCredential>) -> Option<Credential> {
        let at = At { span: c.span(), key: "tenant.credential" };
        let c = c.into_inner();
        let kind = self.required(c.kind.clone(), &at, "kind")?;
        match kind.get_ref().as_str() {
            "secret" => {
                for (name, v) in [
                    ("path", &c.path),
                    ("key_path", &c.key_path),
                    ("format", &c.format),
                    ("header", &c.header),
                ] {
                    if let Some(v) = v {
                        self.err(
                            v.span(),
                            at.child(name),
                            "only for kind = \"certificate\" (the client secret itself is kept in \
                             the keyring: `reclaim-config set-secret client-secret`)",
                        );
                    }
                }
                Some(Credential::Secret)
            }
            "certificate" => self.certificate(&at, c).map(Credential::Certificate),
            other => {
                self.err(
                    kind.span(),
                    at.child("kind"),
                    format!(
                        "unknown credential kind {other:?}; expected `secret` or `certificate`"
                    ),
                );
                None
            }
        }
    }

    fn certificate(&mut self, at: &At<'_>, c: RawCredential) -> Option<CertificateCredential> {
        let header = match &c.header {
            None => Some(CertificateHeader::default()),
            Some(h) => {
                match h.get_ref().as_str() {
                    "x5t#S256" => Some(CertificateHeader::X5tS256),
                    "x5t" => Some(CertificateHeader::X5t),
                    other => {
                        self.err(
                        h.span(),
                        at.child("header"),
                        format!("unknown header {other:?}; expected `x5t#S256` (PS256) or `x5t` (RS256)"),
                    );
                        None
                    }
                }
            }
        };
        let path_value = self.required(c.path, at, "path")?;
        let format = match &c.format {
            Some(f) => match f.get_ref().as_str() {
                "pem" => Some(CertificateFormat::Pem),
                "pfx" => Some(CertificateFormat::Pfx),
                other => {
                    self.err(
                        f.span(),
                        at.child("format"),
                        format!("unknown format {other:?}; expected `pem` or `pfx`"),
                    );
                    None
                }
            },
            None => {
                let ext = Path::new(path_value.get_ref())
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase);
                match ext.as_deref() {
                    Some("pfx" | "p12") => Some(CertificateFormat::Pfx),
                    Some("pem" | "crt" | "cer") => Some(CertificateFormat::Pem),
                    _ => {
                        self.err(
                            path_value.span(),
                            at.child("path"),
                            format!(
                                "cannot tell PEM from PFX by the extension ({:?}); add format = \"pem\" or \"pfx\"",
                                path_value.get_ref()
                            ),
                        );
                        None
                    }
                }
            }
        };
        let path = self.existing_file(&path_value, &at.child("path"));
        let key_path = match (&c.key_path, format) {
            (Some(k), Some(CertificateFormat::Pfx)) => {
                self.err(
                    k.span(),
                    at.child("key_path"),
                    "a PFX carries its own key; remove key_path",
                );
                None
            }
            (Some(k), _) => Some(self.existing_file(k, &at.child("key_path"))),
            (None, _) => Some(None),
        };
        Some(CertificateCredential {
            path: path?,
            key_path: key_path?,
            format: format?,
            header: header?,
        })
    }

    fn endpoints(&mut self, e: Spanned<RawEndpoints>) -> Option<Endpoints> {
        let e = e.into_inner();
        let d = Endpoints::default();
        let login = e.login.map_or(Some(d.login), |v| self.url(&v, "endpoints.login"));
        let graph = e.graph.map_or(Some(d.graph), |v| self.url(&v, "endpoints.graph"));
        let request_service = e
            .request_service
            .map_or(Some(d.request_service), |v| self.url(&v, "endpoints.request_service"));
        let ca_file = match e.ca_file {
            None => Some(None),
            Some(v) => self.existing_file(&v, "endpoints.ca_file").map(Some),
        };
        Some(Endpoints {
            login: login?,
            graph: graph?,
            request_service: request_service?,
            ca_file: ca_file?,
        })
    }

    fn verifier(&mut self, v: Spanned<RawVerifier>) -> Result<Verifier, ()> {
        let at = At { span: v.span(), key: "verifier" };
        let authority = self.required(v.into_inner().authority, &at, "authority");
        let authority = authority.and_then(|a| self.did(&a, "verifier.authority"));
        Ok(Verifier { authority: authority.ok_or(())? })
    }

    fn relay(&mut self, r: Spanned<RawRelay>) -> Result<Relay, ()> {
        let at = At { span: r.span(), key: "relay" };
        let r = r.into_inner();
        let url = self.required(r.url, &at, "url").and_then(|u| self.url(&u, "relay.url"));
        let credential_ok = match r.station_credential {
            Some(v) if v.get_ref() != RELAY_CREDENTIAL_REF => {
                // Never echo the value: it may be the credential itself.
                self.err(
                    v.span(),
                    "relay.station_credential",
                    format!(
                        "must be {RELAY_CREDENTIAL_REF:?} (or left out): the credential itself never \
                         goes in this file; store it with `reclaim-config set-secret relay-credential`"
                    ),
                );
                false
            }
            _ => true,
        };
        if !credential_ok {
            return Err(());
        }
        Ok(Relay { url: url.ok_or(())?, station_credential: SecretName::RelayCredential })
    }

    fn providers(
        &mut self,
        raw: Opt<Vec<Spanned<RawProvider>>>,
        production: bool,
    ) -> Option<Vec<Provider>> {
        let Some(raw) = raw else {
            if production && !self.failed.iter().any(|f| f == "providers") {
                self.err(
                    0..0,
                    "providers",
                    "missing: at least one [[providers]] table is required when station.mode = \"production\"",
                );
                return None;
            }
            return (!self.failed.iter().any(|f| f == "providers")).then(Vec::new);
        };
        let list_span = raw.span();
        let raw = raw.into_inner();
        if raw.is_empty() && production {
            self.err(list_span, "providers", "at least one provider is required");
            return None;
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        let mut ok = true;
        for (i, p) in raw.into_iter().enumerate() {
            let key = format!("providers[{i}]");
            let at = At { span: p.span(), key: &key };
            match self.provider(&at, p.into_inner(), &mut seen) {
                Some(p) => out.push(p),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn provider(
        &mut self,
        at: &At<'_>,
        p: RawProvider,
        seen: &mut HashMap<String, usize>,
    ) -> Option<Provider> {
        let id = self.required(p.id, at, "id").and_then(|id| {
            let v = id.get_ref();
            let valid = !v.is_empty()
                && v.len() <= 32
                && v.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b));
            if !valid {
                self.err(
                    id.span(),
                    at.child("id"),
                    format!("must be 1–32 characters of a–z 0–9 - _ ({v:?})"),
                );
                return None;
            }
            let (line, _) = crate::error::line_col(self.src.text, id.span().start);
            if let Some(first) = seen.get(v) {
                self.err(
                    id.span(),
                    at.child("id"),
                    format!("duplicate provider id {v:?} (first on line {first})"),
                );
                return None;
            }
            seen.insert(v.clone(), line);
            Some(id.into_inner())
        });
        let display_name = self.required(p.display_name, at, "display_name").and_then(|n| {
            let v = n.get_ref().trim();
            if v.is_empty() || v.chars().count() > 64 || v.chars().any(char::is_control) {
                self.err(n.span(), at.child("display_name"), "must be 1–64 printable characters");
                return None;
            }
            Some(v.to_owned())
        });
        let issuer_did = self
            .required(p.issuer_did, at, "issuer_did")
            .and_then(|d| self.did(&d, &at.child("issuer_did")));
        let kind = match &p.kind {
            None => ProviderKind::Api,
            Some(k) => match k.get_ref().as_str() {
                "api" => ProviderKind::Api,
                "link" => ProviderKind::Link,
                other => {
                    // Which keys the table needs depends on its kind: nothing more to check.
                    self.err(
                        k.span(),
                        at.child("kind"),
                        format!("unknown kind {other:?}; expected \"api\" or \"link\""),
                    );
                    return None;
                }
            },
        };
        if kind == ProviderKind::Link {
            let names = (id, display_name, issuer_did);
            let urls = (p.hosted_flow_url, p.capture_api_url, p.onboarding_url);
            return self.link_provider(at, names, urls, p.documents);
        }
        if let Some(u) = &p.onboarding_url {
            self.err(
                u.span(),
                at.child("onboarding_url"),
                "only a link-only provider (kind = \"link\") has an onboarding_url",
            );
        }
        let hosted = match &p.hosted_flow_url {
            Some(u) => self.url(u, &at.child("hosted_flow_url")).map(Some),
            None => Some(None),
        };
        let capture = match &p.capture_api_url {
            Some(u) => self.url(u, &at.child("capture_api_url")).map(Some),
            None => Some(None),
        };
        if p.hosted_flow_url.is_none() && p.capture_api_url.is_none() {
            self.err(
                at.span.clone(),
                at.child("hosted_flow_url"),
                "a provider needs hosted_flow_url (phone path), capture_api_url (kiosk camera path), or both",
            );
        }
        let documents =
            self.required(p.documents, at, "documents").and_then(|docs| self.documents(docs, at));
        if p.hosted_flow_url.is_none() && p.capture_api_url.is_none() || p.onboarding_url.is_some()
        {
            return None;
        }
        Some(Provider {
            id: id?,
            display_name: display_name?,
            issuer_did: issuer_did?,
            hosted_flow_url: hosted?,
            capture_api_url: capture?,
            documents: documents?,
            kind,
            onboarding_url: None,
        })
    }

    /// `documents`: known kinds, each once, at least one.
    fn documents(
        &mut self,
        docs: Spanned<Vec<Spanned<String>>>,
        at: &At<'_>,
    ) -> Option<Vec<Document>> {
        let span = docs.span();
        let mut out: Vec<Document> = Vec::new();
        let mut ok = true;
        for (j, d) in docs.into_inner().into_iter().enumerate() {
            let key = format!("{}.documents[{j}]", at.key);
            match Document::ALL.into_iter().find(|k| k.as_str() == d.get_ref()) {
                Some(k) if out.contains(&k) => {
                    self.err(d.span(), key, format!("{:?} is listed twice", d.get_ref()));
                    ok = false;
                }
                Some(k) => out.push(k),
                None => {
                    let kinds: Vec<_> = Document::ALL.iter().map(|k| k.as_str()).collect();
                    self.err(
                        d.span(),
                        key,
                        format!(
                            "unknown document {:?}; expected one of {}",
                            d.get_ref(),
                            list(&kinds)
                        ),
                    );
                    ok = false;
                }
            }
        }
        if ok && out.is_empty() {
            self.err(span, at.child("documents"), "list at least one document");
            ok = false;
        }
        ok.then_some(out)
    }

    /// A `kind = "link"` provider: `onboarding_url` (an https page, query allowed), no API
    /// URLs, so no secrets.
    #[allow(clippy::type_complexity)]
    fn link_provider(
        &mut self,
        at: &At<'_>,
        (id, display_name, issuer_did): (Option<String>, Option<String>, Option<String>),
        (hosted, capture, onboarding): (Opt<String>, Opt<String>, Opt<String>),
        documents: Opt<Vec<Spanned<String>>>,
    ) -> Option<Provider> {
        let mut ok = true;
        for (name, value) in [("hosted_flow_url", &hosted), ("capture_api_url", &capture)] {
            if let Some(v) = value {
                self.err(
                    v.span(),
                    at.child(name),
                    "a link-only provider (kind = \"link\") has no API: remove it, or use kind = \"api\"",
                );
                ok = false;
            }
        }
        let onboarding = self
            .required(onboarding, at, "onboarding_url")
            .and_then(|u| self.page_url(&u, &at.child("onboarding_url")));
        // Documents are optional here (the page says what it takes); when listed, the same rules.
        let documents = match documents {
            None => Some(Vec::new()),
            Some(docs) => self.documents(docs, at),
        };
        if !ok {
            return None;
        }
        Some(Provider {
            id: id?,
            display_name: display_name?,
            issuer_did: issuer_did?,
            hosted_flow_url: None,
            capture_api_url: None,
            documents: documents?,
            kind: ProviderKind::Link,
            onboarding_url: Some(onboarding?),
        })
    }

    /// A page the person's phone opens: https (http only for loopback hosts), a host, no user
    /// name or password; a query is allowed (no fragment).
    fn page_url(&mut self, v: &Spanned<String>, key: &str) -> Option<Url> {
        self.checked_url(v, key, true)
    }

    fn engine(&mut self, t: Opt<RawTimeouts>, r: Opt<RawRecovery>) -> Option<EngineConfig> {
        let mut cfg = EngineConfig::default();
        let mut ok = true;
        let secs = 5..=3600;
        if let Some(t) = t {
            let t = t.into_inner();
            let to: &mut Timeouts = &mut cfg.timeouts;
            let fields: [(&str, Opt<i64>, &mut u32); 11] = [
                ("identify_secs", t.identify_secs, &mut to.identify_secs),
                ("eligibility_secs", t.eligibility_secs, &mut to.eligibility_secs),
                ("choose_provider_secs", t.choose_provider_secs, &mut to.choose_provider_secs),
                ("scan_id_secs", t.scan_id_secs, &mut to.scan_id_secs),
                ("issuance_secs", t.issuance_secs, &mut to.issuance_secs),
                ("presentation_secs", t.presentation_secs, &mut to.presentation_secs),
                ("verifying_secs", t.verifying_secs, &mut to.verifying_secs),
                ("issuing_tap_secs", t.issuing_tap_secs, &mut to.issuing_tap_secs),
                ("show_tap_secs", t.show_tap_secs, &mut to.show_tap_secs),
                ("result_secs", t.result_secs, &mut to.result_secs),
                ("referee_secs", t.referee_secs, &mut to.referee_secs),
            ];
            for (name, value, slot) in fields {
                if let Some(v) = value {
                    match self.int_in(&v, &format!("timeouts.{name}"), secs.clone(), "seconds") {
                        Some(v) => *slot = v,
                        None => ok = false,
                    }
                }
            }
            if let Some(v) = t.idle_secs {
                match self.int_in(&v, "timeouts.idle_secs", secs.clone(), "seconds") {
                    Some(v) => cfg.idle_timeout_secs = v,
                    None => ok = false,
                }
            }
        }
        if let Some(r) = r {
            let r = r.into_inner();
            if let Some(v) = r.face_check_threshold {
                match self.int_in::<u8>(&v, "recovery.face_check_threshold", 50..=100, "") {
                    Some(v) => cfg.face_check_threshold = v,
                    None => ok = false,
                }
            }
            if let Some(v) = r.tap_lifetime_minutes {
                let range = i64::from(reclaim_core::tap::API_MIN_LIFETIME)
                    ..=i64::from(reclaim_core::tap::API_MAX_LIFETIME);
                match self.int_in(&v, "recovery.tap_lifetime_minutes", range, "minutes") {
                    Some(v) => cfg.tap_lifetime_minutes = Some(v),
                    None => ok = false,
                }
            }
            if let Some(v) = r.tap_usable_once {
                cfg.tap_usable_once = v.into_inner();
            }
            if let Some(v) = r.referee {
                cfg.referee = v.into_inner();
            }
            if let Some(v) = r.offer_verified_employee {
                cfg.offer_verified_employee = v.into_inner();
            }
            if let Some(e) = r.existing_credential {
                match self.existing_credential(e) {
                    Some(e) => cfg.existing_credential = Some(e),
                    None => ok = false,
                }
            }
            if let Some(v) = r.max_presentation_attempts {
                match self.int_in::<u8>(&v, "recovery.max_presentation_attempts", 1..=10, "") {
                    Some(v) => cfg.max_presentation_attempts = v,
                    None => ok = false,
                }
            }
            if let Some(v) = r.max_upn_len {
                match self.int_in::<usize>(&v, "recovery.max_upn_len", 3..=1024, "characters") {
                    Some(v) => cfg.max_upn_len = v,
                    None => ok = false,
                }
            }
            if let Some(v) = r.face_check_budget_per_day {
                let key = "recovery.face_check_budget_per_day";
                match self.int_in::<u32>(&v, key, 1..=1_000_000, "Face Checks") {
                    Some(v) => cfg.face_check_budget_per_day = v,
                    None => ok = false,
                }
            }
            if let Some(b) = r.second_binding {
                match self.second_binding(b) {
                    Some(b) => cfg.second_binding = Some(b),
                    None => ok = false,
                }
            }
        }
        if !ok {
            return None;
        }
        // Backstop: the engine's own rules (these ranges mirror them; a drift shows up here).
        if let Err(e) = cfg.validate() {
            self.err(0..0, "timeouts", format!("rejected by the engine: {e}"));
            return None;
        }
        Some(cfg)
    }

    /// `[recovery.second_binding]`: a Graph user property, a claim, how to compare them, and
    /// optionally the profiles it is limited to.
    /// `[recovery.existing_credential]`: how old a held credential may be, and which besides the
    /// profile's own (`[[recovery.existing_credential.accept]]`).
    fn existing_credential(
        &mut self,
        e: Spanned<crate::raw::RawExistingCredential>,
    ) -> Option<reclaim_core::existing::ExistingCredentials> {
        use reclaim_core::existing::{AcceptedCredential, ExistingCredentials, PROFILE_CREDENTIAL};
        let key = "recovery.existing_credential";
        let e = e.into_inner();
        let mut ok = true;
        let max_age_days = match e.max_age_days {
            None => 30,
            Some(v) => {
                match self.int_in::<u32>(&v, &format!("{key}.max_age_days"), 1..=3650, "days") {
                    Some(v) => v,
                    None => {
                        ok = false;
                        0
                    }
                }
            }
        };
        let mut accepted: Vec<AcceptedCredential> = Vec::new();
        for a in e.accept.map(Spanned::into_inner).unwrap_or_default() {
            let span = a.span();
            let a = a.into_inner();
            let text = |this: &mut Self, v: Option<Spanned<String>>, name: &str, what: &str| match v
            {
                Some(v) if !v.get_ref().trim().is_empty() => Some(v.into_inner().trim().to_owned()),
                Some(v) => {
                    this.err(
                        v.span(),
                        format!("{key}.accept.{name}"),
                        format!("must not be empty ({what})"),
                    );
                    None
                }
                None => {
                    this.err(
                        span.clone(),
                        format!("{key}.accept.{name}"),
                        format!("is required ({what})"),
                    );
                    None
                }
            };
            let id = text(self, a.id, "id", "a short name, e.g. \"verified-employee\"");
            let label = text(self, a.label, "label", "what the kiosk calls it");
            let issuer = match a.issuer {
                Some(v) if v.get_ref().trim().starts_with("did:") => {
                    Some(v.into_inner().trim().to_owned())
                }
                Some(v) => {
                    self.err(
                        v.span(),
                        format!("{key}.accept.issuer"),
                        format!("must be an issuer DID (did:web:…) ({:?})", v.get_ref()),
                    );
                    None
                }
                None => {
                    self.err(
                        span.clone(),
                        format!("{key}.accept.issuer"),
                        "is required (the issuer DID)",
                    );
                    None
                }
            };
            let credential_type =
                text(self, a.credential_type, "type", "e.g. \"VerifiedEmployee\"");
            let photo_claim = a.photo_claim.map_or_else(|| "photo".to_owned(), |v| v.into_inner());
            let claim_names = a
                .claim_names
                .map(|m| m.into_inner().into_iter().collect::<Vec<_>>())
                .unwrap_or_default();
            match (id, label, issuer, credential_type) {
                (Some(id), Some(label), Some(issuer), Some(credential_type)) => {
                    if id == PROFILE_CREDENTIAL || accepted.iter().any(|x| x.id == id) {
                        self.err(span.clone(), format!("{key}.accept.id"), format!("{id:?} is taken (ids are unique, and \"profile\" is the profile's own)"));
                        ok = false;
                    } else {
                        accepted.push(AcceptedCredential {
                            id,
                            label,
                            issuer,
                            credential_type,
                            photo_claim,
                            claim_names,
                        });
                    }
                }
                _ => ok = false,
            }
        }
        ok.then(|| ExistingCredentials {
            max_age_days,
            profile_credential: e.profile_credential.map(Spanned::into_inner).unwrap_or(true),
            accepted,
        })
    }

    fn second_binding(
        &mut self,
        b: Spanned<crate::raw::RawSecondBinding>,
    ) -> Option<reclaim_core::records::SecondBinding> {
        use reclaim_core::records::{BindingCompare, SecondBinding};
        let span = b.span();
        let b = b.into_inner();
        let key = "recovery.second_binding";
        let mut ok = true;
        let attribute = match b.attribute {
            None => {
                self.err(
                    span.clone(),
                    format!("{key}.attribute"),
                    "is required (e.g. \"employeeId\" or \"extension_<appId>_<name>\")",
                );
                None
            }
            Some(v) if !reclaim_entra::graph::is_attribute_name(v.get_ref().trim()) => {
                self.err(
                    v.span(),
                    format!("{key}.attribute"),
                    "must be a user property name: letters, digits and _ (e.g. employeeId)",
                );
                None
            }
            Some(v) => Some(v.into_inner().trim().to_owned()),
        };
        let claim = match b.claim {
            None => {
                self.err(
                    span.clone(),
                    format!("{key}.claim"),
                    "is required (e.g. \"dateOfBirth\")",
                );
                None
            }
            Some(v) if v.get_ref().trim().is_empty() || v.get_ref().contains('.') => {
                self.err(
                    v.span(),
                    format!("{key}.claim"),
                    "must be a claim name without dots (e.g. dateOfBirth)",
                );
                None
            }
            Some(v) => Some(v.into_inner().trim().to_owned()),
        };
        let compare = match b.compare {
            None => Some(BindingCompare::Exact),
            Some(v) => match v.get_ref().as_str() {
                "exact" => Some(BindingCompare::Exact),
                "sha256" => Some(BindingCompare::Sha256),
                _ => {
                    self.err(v.span(), format!("{key}.compare"), "must be \"exact\" or \"sha256\"");
                    None
                }
            },
        };
        let profiles = b.profiles.map(Spanned::into_inner).unwrap_or_default();
        if compare.is_none() {
            ok = false;
        }
        let binding =
            SecondBinding { attribute: attribute?, claim: claim?, compare: compare?, profiles };
        ok.then_some(binding)
    }

    fn logging(&mut self, l: Spanned<RawLogging>) -> Option<Logging> {
        let l = l.into_inner();
        let d = Logging::default();
        let directory = match l.directory {
            None => Some(d.directory),
            Some(v) if v.get_ref().trim().is_empty() => {
                self.err(v.span(), "logging.directory", "must not be empty");
                None
            }
            Some(v) => Some(self.resolve(v.get_ref())),
        };
        let max_files = match l.max_files {
            None => Some(d.max_files),
            Some(v) => self.int_in(&v, "logging.max_files", 1..=1000, "files"),
        };
        Some(Logging { directory: directory?, max_files: max_files? })
    }

    fn updater(&mut self, u: Spanned<RawUpdater>) -> Result<Updater, ()> {
        let at = At { span: u.span(), key: "updater" };
        let u = u.into_inner();
        let endpoint = self.required(u.endpoint, &at, "endpoint").and_then(|e| {
            // Tauri substitutes these before fetching; check the URL with stand-ins.
            let probe = e
                .get_ref()
                .replace("{{target}}", "linux")
                .replace("{{arch}}", "x86_64")
                .replace("{{current_version}}", "0.0.0");
            let spanned = Spanned::new(e.span(), probe);
            self.url(&spanned, "updater.endpoint").map(|_| e.into_inner())
        });
        let pubkey = self.required(u.pubkey, &at, "pubkey").and_then(|k| {
            if is_minisign_public_key(k.get_ref()) {
                Some(k.into_inner())
            } else {
                self.err(
                    k.span(),
                    "updater.pubkey",
                    "not an updater public key: paste the contents of the .pub file written by \
                     `tauri signer generate` (base64 of a minisign public key)",
                );
                None
            }
        });
        Ok(Updater { endpoint: endpoint.ok_or(())?, pubkey: pubkey.ok_or(())? })
    }

    // ── value checks ────────────────────────────────────────────────────────────────────────

    fn int_in<T: TryFrom<i64>>(
        &mut self,
        v: &Spanned<i64>,
        key: &str,
        range: RangeInclusive<i64>,
        unit: &str,
    ) -> Option<T> {
        let n = *v.get_ref();
        if range.contains(&n)
            && let Ok(t) = T::try_from(n)
        {
            return Some(t);
        }
        let unit = if unit.is_empty() { String::new() } else { format!(" {unit}") };
        self.err(v.span(), key, format!("must be {}–{}{unit} ({n})", range.start(), range.end()));
        None
    }

    /// An http(s) base URL; https unless the host is loopback; no credentials, query or fragment.
    fn url(&mut self, v: &Spanned<String>, key: &str) -> Option<Url> {
        self.checked_url(v, key, false)
    }

    /// An https URL (http for loopback hosts) with a host, no user name or password (never
    /// echoed: it would be a credential), no fragment, and a query only where `query` allows.
    fn checked_url(&mut self, v: &Spanned<String>, key: &str, query: bool) -> Option<Url> {
        let raw = v.get_ref();
        let url = match Url::parse(raw) {
            Ok(u) => u,
            Err(e) => {
                self.err(v.span(), key, format!("not a URL: {e} ({raw:?})"));
                return None;
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            // Do not echo: the URL carries a credential.
            self.err(
                v.span(),
                key,
                "must not contain a user name or password (secrets go in the keyring)",
            );
            return None;
        }
        let problem = match url.scheme() {
            "https" => None,
            "http" if is_loopback(&url) => None,
            "http" => Some("must use https (http is allowed only for loopback hosts)"),
            _ => Some("must be an https URL"),
        };
        let problem = problem.or_else(|| {
            if url.host().is_none() {
                Some("has no host")
            } else if url.fragment().is_some() {
                Some(if query {
                    "must not have a fragment"
                } else {
                    "must not have a query or fragment"
                })
            } else if !query && url.query().is_some() {
                Some("must not have a query or fragment")
            } else {
                None
            }
        });
        if let Some(p) = problem {
            self.err(v.span(), key, format!("{p} ({raw:?})"));
            return None;
        }
        Some(url)
    }

    fn did(&mut self, v: &Spanned<String>, key: &str) -> Option<String> {
        let raw = v.get_ref();
        if is_did(raw) {
            Some(raw.clone())
        } else {
            self.err(v.span(), key, format!("not a DID like did:web:example.com ({raw:?})"));
            None
        }
    }

    fn resolve(&self, raw: &str) -> PathBuf {
        let p = Path::new(raw);
        if p.is_absolute() { p.to_path_buf() } else { self.base_dir.join(p) }
    }

    /// A path (relative to the config file's folder) that must name an existing file.
    fn existing_file(&mut self, v: &Spanned<String>, key: &str) -> Option<PathBuf> {
        let path = self.resolve(v.get_ref());
        if path.is_file() {
            return Some(path);
        }
        let what = if path.exists() { "is not a file" } else { "does not exist" };
        let shown = if Path::new(v.get_ref()).is_absolute() {
            format!("{:?}", v.get_ref())
        } else {
            format!("{:?}, resolved to {:?}", v.get_ref(), path.display().to_string())
        };
        self.err(v.span(), key, format!("{what} ({shown})"));
        None
    }
}

fn guid(s: &str) -> Option<Uuid> {
    (s.len() == 36).then(|| Uuid::try_parse(s).ok()).flatten()
}

/// A tenant GUID, or a DNS name with at least two labels.
fn tenant_id(s: &str) -> Option<String> {
    if let Some(g) = guid(s) {
        return Some(g.hyphenated().to_string());
    }
    let labels: Vec<&str> = s.split('.').collect();
    let ok = s.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels.last().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
    ok.then(|| s.to_ascii_lowercase())
}

/// `did:<method>:<method-specific-id>` (W3C DID syntax, loosely).
fn is_did(s: &str) -> bool {
    let mut parts = s.splitn(3, ':');
    let (Some("did"), Some(method), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !method.is_empty()
        && method.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !id.is_empty()
        && !id.ends_with(':')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-:%".contains(&b))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Tauri's updater `pubkey`: base64 of a minisign public key file ("untrusted comment: …"
/// line, then base64 of `Ed` + 8-byte key id + 32-byte Ed25519 key).
fn is_minisign_public_key(s: &str) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Ok(text) = b64.decode(s.trim()) else { return false };
    let Ok(text) = String::from_utf8(text) else { return false };
    let mut lines = text.lines();
    let (Some(comment), Some(key)) = (lines.next(), lines.next()) else { return false };
    comment.starts_with("untrusted comment:")
        && b64.decode(key.trim()).is_ok_and(|k| k.len() == 42 && k.starts_with(b"Ed"))
}

/// `host:port` (`[v6]:port` for an IPv6 address) with a non-zero port.
fn split_host_port(raw: &str) -> Option<(String, u16)> {
    let (host, port) = raw.rsplit_once(':')?;
    let port = port.parse::<u16>().ok().filter(|p| *p != 0)?;
    if let Some(v6) = host.strip_prefix('[') {
        let ip = v6.strip_suffix(']')?.parse::<std::net::Ipv6Addr>().ok()?;
        return Some((ip.to_string(), port));
    }
    let ok =
        !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
    ok.then(|| (host.to_owned(), port))
}

/// 1..=`max` characters of PRINTUSASCII (33–126), as RFC 5424's header fields.
fn is_print_ascii(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| (33..=126).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids() {
        assert_eq!(
            tenant_id("7C0E2F9A-3B1D-4E5F-8A6B-9C0D1E2F3A4B").as_deref(),
            Some("7c0e2f9a-3b1d-4e5f-8a6b-9c0d1e2f3a4b")
        );
        assert_eq!(
            tenant_id("Contoso.onmicrosoft.com").as_deref(),
            Some("contoso.onmicrosoft.com")
        );
        for bad in ["contoso", "", "-a.com", "a..com", "a.b_c.com", "10.0.0.1", "abc"] {
            assert_eq!(tenant_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn guids_must_be_hyphenated() {
        assert!(guid("3a000000-0000-4000-8000-000000000001").is_some());
        assert!(guid("3a000000000040008000000000000001").is_none());
        assert!(guid("{3a000000-0000-4000-8000-000000000001}").is_none());
        assert!(guid("abc").is_none());
    }

    #[test]
    fn dids() {
        assert!(is_did("did:web:verifiedid.contoso.com"));
        assert!(is_did("did:web:example.com%3A8443:path"));
        assert!(is_did("did:ion:EiAbc_-123"));
        for bad in ["did:web:", "did::x", "web:x", "did:Web:x", "did:web:a b", "https://x"] {
            assert!(!is_did(bad), "{bad}");
        }
    }

    #[test]
    fn minisign_keys() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut raw = b"Ed".to_vec();
        raw.extend([7u8; 40]);
        let file = format!("untrusted comment: minisign public key: 0707\n{}\n", b64.encode(&raw));
        assert!(is_minisign_public_key(&b64.encode(file)));
        assert!(!is_minisign_public_key("RWQxyz"));
        assert!(!is_minisign_public_key(&b64.encode("untrusted comment: x\nAAAA\n")));
    }
}
