//! From the validated [`Config`] to what the other crates take: `reclaim_entra::Endpoints`,
//! `AssertionAlgorithm`, `ClientCredential` (reads the certificate file and the secret) and an
//! HTTP client trusting `endpoints.ca_file`; the engine's `EngineConfig` is [`Config::engine`].

use crate::error::error_chain;
use std::path::Path;

use reclaim_entra::{AssertionAlgorithm, ClientCertificate, ClientCredential, Secret};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::error::ConfigError;
use crate::model::{
    CertificateCredential, CertificateFormat, CertificateHeader, Config, Credential, Endpoints,
};
use crate::secrets::{SecretName, SecretStore};

impl Endpoints {
    /// The three host roots as `reclaim-entra` takes them (no trailing `/`).
    pub fn to_entra(&self) -> reclaim_entra::Endpoints {
        let root = |u: &url::Url| u.as_str().trim_end_matches('/').to_owned();
        reclaim_entra::Endpoints {
            authority: root(&self.login),
            graph: root(&self.graph),
            request_service: root(&self.request_service),
        }
    }
}

impl From<&Endpoints> for reclaim_entra::Endpoints {
    fn from(e: &Endpoints) -> Self {
        e.to_entra()
    }
}

impl From<CertificateHeader> for AssertionAlgorithm {
    fn from(h: CertificateHeader) -> Self {
        match h {
            CertificateHeader::X5t => AssertionAlgorithm::Rs256X5t,
            CertificateHeader::X5tS256 => AssertionAlgorithm::Ps256X5tS256,
        }
    }
}

impl Config {
    /// The engine's knobs (`[timeouts]` + `[recovery]`).
    pub fn engine_config(&self) -> reclaim_core::EngineConfig {
        self.engine.clone()
    }

    /// The app registration's credential for `reclaim_entra::TokenSource`: the client secret
    /// from `store`, or the certificate read from `tenant.credential.path` (PFX: password from
    /// `store`). Reads files and blocks on the keyring; call it once at start.
    pub fn client_credential(
        &self,
        store: &dyn SecretStore,
    ) -> Result<ClientCredential, ConfigError> {
        let tenant = self
            .tenant
            .as_ref()
            .ok_or(ConfigError::NotConfigured { file: self.file.clone(), section: "tenant" })?;
        match &tenant.credential {
            Credential::Secret => {
                let secret = store.get(&SecretName::ClientSecret)?;
                Ok(ClientCredential::Secret(Secret::new(secret.expose_secret())))
            }
            Credential::Certificate(c) => {
                load_certificate(c, store).map(ClientCredential::Certificate)
            }
        }
    }

    /// The relay's bearer credential for this station.
    pub fn relay_credential(&self, store: &dyn SecretStore) -> Result<SecretString, ConfigError> {
        let relay = self
            .relay
            .as_ref()
            .ok_or(ConfigError::NotConfigured { file: self.file.clone(), section: "relay" })?;
        Ok(store.get(&relay.station_credential)?)
    }

    /// `reclaim_entra::http_client_builder()` (rustls, timeouts, no redirects), trusting
    /// `endpoints.ca_file` in addition to the usual roots when it is set. Use it for every
    /// client (token, Graph, Request Service, relay, providers).
    pub fn http_client(&self) -> Result<reqwest::Client, ConfigError> {
        let mut builder = reclaim_entra::http_client_builder();
        if let Some(ca) = &self.endpoints.ca_file {
            let pem = read(ca)?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| cert_error(ca, format!("not a PEM CA bundle: {e}")))?;
            if certs.is_empty() {
                return Err(cert_error(ca, "no CERTIFICATE in the file".into()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder.build().map_err(|e| match &self.endpoints.ca_file {
            Some(ca) => cert_error(ca, format!("not a usable CA certificate: {}", error_chain(&e))),
            None => cert_error(Path::new(&self.file), format!("HTTP client: {}", error_chain(&e))),
        })
    }
}

fn load_certificate(
    c: &CertificateCredential,
    store: &dyn SecretStore,
) -> Result<ClientCertificate, ConfigError> {
    let algorithm = AssertionAlgorithm::from(c.header);
    let main = read(&c.path)?;
    let result = match c.format {
        CertificateFormat::Pfx => {
            let password = store.get(&SecretName::CertificatePassword)?;
            ClientCertificate::from_pfx(&main, &Secret::new(password.expose_secret()), algorithm)
        }
        CertificateFormat::Pem => {
            let key = match &c.key_path {
                Some(k) => read(k)?,
                None => Zeroizing::new(main.to_vec()),
            };
            ClientCertificate::from_pem(&main, &key, algorithm)
        }
    };
    result.map_err(|e| {
        let key = match (&c.format, &c.key_path) {
            (CertificateFormat::Pem, Some(k)) => format!(" (key: {})", k.display()),
            _ => String::new(),
        };
        cert_error(&c.path, format!("unusable certificate credential{key}: {e}"))
    })
}

fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| cert_error(path, format!("cannot read: {e}")))
}

fn cert_error(path: &Path, message: String) -> ConfigError {
    ConfigError::Certificate { path: path.to_path_buf(), message }
}
