//! [`Updater`]: asks the endpoint for a newer release, downloads it, and keeps it only when its
//! signature verifies ([`VerifiedUpdate`]); staging writes it where the installer picks it up.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::manifest::{Manifest, Release, parse_version};
use crate::{UpdateError, UpdateKey};

/// Largest package accepted (a kiosk `.deb` is tens of MB).
pub const MAX_PACKAGE_BYTES: usize = 512 * 1024 * 1024;

/// Checks and fetches updates for one installed version.
#[derive(Debug, Clone)]
pub struct Updater {
    endpoint: String,
    key: UpdateKey,
    current: semver::Version,
    http: reqwest::Client,
}

/// A downloaded package whose signature verified. Only this type can be staged.
#[derive(Debug)]
pub struct VerifiedUpdate {
    version: semver::Version,
    bytes: Vec<u8>,
}

impl Updater {
    /// An updater for the installed `current_version`, asking `endpoint` (Tauri's placeholders
    /// `{{target}}`, `{{arch}}`, `{{current_version}}` are filled in) and trusting only `key`.
    pub fn new(
        endpoint: &str,
        key: UpdateKey,
        current_version: &str,
        http: reqwest::Client,
    ) -> Result<Updater, UpdateError> {
        let current = parse_version(current_version)?;
        let updater = Updater { endpoint: endpoint.to_owned(), key, current, http };
        let url = updater.manifest_url();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(UpdateError::BadEndpoint(url));
        }
        Ok(updater)
    }

    /// The manifest URL for this kiosk.
    pub fn manifest_url(&self) -> String {
        self.endpoint
            .replace("{{target}}", "linux")
            .replace("{{arch}}", "x86_64")
            .replace("{{current_version}}", &self.current.to_string())
    }

    /// `GET` the manifest: a release newer than the installed one, or `None` (no content, or
    /// nothing newer).
    pub async fn check(&self) -> Result<Option<Release>, UpdateError> {
        let resp = self
            .http
            .get(self.manifest_url())
            .send()
            .await
            .map_err(|e| UpdateError::Transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        if status == 204 {
            return Ok(None);
        }
        if status != 200 {
            return Err(UpdateError::Status { status, what: "manifest" });
        }
        let body = resp.bytes().await.map_err(|e| UpdateError::Transport(e.to_string()))?;
        let release = Manifest::parse(&body)?.release()?;
        Ok((release.version > self.current).then_some(release))
    }

    /// `GET` the release's package and verify its signature; a package that does not verify is
    /// dropped and never reaches the disk.
    pub async fn download(&self, release: &Release) -> Result<VerifiedUpdate, UpdateError> {
        let mut resp = self
            .http
            .get(&release.url)
            .send()
            .await
            .map_err(|e| UpdateError::Transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(UpdateError::Status { status, what: "package" });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) =
            resp.chunk().await.map_err(|e| UpdateError::Transport(e.without_url().to_string()))?
        {
            if bytes.len() + chunk.len() > MAX_PACKAGE_BYTES {
                return Err(UpdateError::TooLarge { limit: MAX_PACKAGE_BYTES });
            }
            bytes.extend_from_slice(&chunk);
        }
        self.key.verify(&bytes, &release.signature)?;
        Ok(VerifiedUpdate { version: release.version.clone(), bytes })
    }
}

impl VerifiedUpdate {
    /// The version it installs.
    pub fn version(&self) -> &semver::Version {
        &self.version
    }

    /// The package bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Writes the package into `dir` as `reclaim-kiosk_{version}_amd64.deb`, whole or not at all
    /// (a partial file, then a rename), for the installer (a root systemd path unit watching the
    /// directory: see the README). Answers the file's path.
    pub fn stage(&self, dir: &Path) -> Result<PathBuf, UpdateError> {
        let failed = |e: std::io::Error| UpdateError::Stage {
            dir: dir.display().to_string(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(failed)?;
        let name = format!("reclaim-kiosk_{}_amd64.deb", self.version);
        let partial = dir.join(format!(".{name}.partial"));
        let mut file = std::fs::File::create(&partial).map_err(failed)?;
        file.write_all(&self.bytes).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        let path = dir.join(name);
        std::fs::rename(&partial, &path).map_err(failed)?;
        Ok(path)
    }
}
