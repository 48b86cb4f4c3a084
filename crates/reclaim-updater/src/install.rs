//! The root side of an update ([`Installer`], run as `reclaim-update-install` by
//! `docs/kiosk/reclaim-update.service` whenever a `.deb` lands in the staging folder).
//!
//! The kiosk user can write into the staging folder, so nothing there is trusted, and nothing
//! there is ever executed, parsed by dpkg or installed:
//! 1. each staged `*.deb` and its `.deb.sig` are read into memory (regular files only, bounded)
//!    and removed from the folder at once, whatever happens next;
//! 2. the bytes in memory are verified against the root-owned key (`/etc/reclaim/update.pub`, which
//!    must be owned by root and writable by nobody else, nor its directory);
//! 3. only then are they written into a fresh private directory (mode 0700, root's) — the copy
//!    that is read and installed, so the kiosk user cannot swap the file after it was verified;
//! 4. the copy's own control file (`dpkg-deb --field`) must name the kiosk package (`reclaim`) and a version
//!    newer than the installed one (`dpkg-query`, compared in dpkg's order), not the manifest's
//!    or the file name's;
//! 5. then `dpkg -i` installs the copy.
//!
//! Anything refused is deleted and the reason logged.

use std::io::{Read as _, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::debversion::DebVersion;
use crate::{MAX_PACKAGE_BYTES, MAX_SIGNATURE_BYTES, PACKAGE, UpdateError, UpdateKey};

/// Where the kiosk stages verified packages (group-writable for the kiosk user).
pub const STAGING_DIR: &str = "/var/lib/reclaim/updates";

/// The root-owned public key the installer verifies against (the `.pub` file of
/// `tauri signer generate`, the same key as the kiosks' `[updater] pubkey`).
pub const KEY_FILE: &str = "/etc/reclaim/update.pub";

/// What the installer looks at and which tools it runs.
#[derive(Debug, Clone)]
pub struct Installer {
    /// The staging folder.
    pub staging: PathBuf,
    /// The root-owned public key.
    pub key_file: PathBuf,
    /// Where the private directory for verified copies is made (default: the temporary
    /// directory; the systemd unit gives the installer a private one).
    pub work_dir: PathBuf,
    /// The only package name accepted.
    pub package: String,
    /// `dpkg`, run as `dpkg -i COPY`.
    pub dpkg: PathBuf,
    /// `dpkg-deb`, run as `dpkg-deb --field COPY Package Version`.
    pub dpkg_deb: PathBuf,
    /// `dpkg-query`, run as `dpkg-query --show --showformat=${Version} PACKAGE`.
    pub dpkg_query: PathBuf,
}

impl Default for Installer {
    fn default() -> Self {
        Self {
            staging: PathBuf::from(STAGING_DIR),
            key_file: PathBuf::from(KEY_FILE),
            work_dir: std::env::temp_dir(),
            package: PACKAGE.to_owned(),
            dpkg: PathBuf::from("/usr/bin/dpkg"),
            dpkg_deb: PathBuf::from("/usr/bin/dpkg-deb"),
            dpkg_query: PathBuf::from("/usr/bin/dpkg-query"),
        }
    }
}

/// What became of one staged package.
#[derive(Debug)]
pub enum Outcome {
    /// Verified, newer, installed.
    Installed {
        /// The package name.
        package: String,
        /// The staged file (now removed).
        file: PathBuf,
        /// The version installed, from the package's control file.
        version: String,
    },
    /// Refused (and removed) for `reason`.
    Refused {
        /// The staged file (now removed).
        file: PathBuf,
        /// Why.
        reason: UpdateError,
    },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Installed { package, file, version } => {
                write!(f, "installed {package} {version} from {}", file.display())
            }
            Outcome::Refused { file, reason } => {
                write!(f, "refused and deleted {}: {reason}", file.display())
            }
        }
    }
}

impl Installer {
    /// Takes every staged `*.deb` (by name order) and installs or refuses it. An error only when
    /// the staging folder cannot be listed or no private directory can be made; then nothing is
    /// installed.
    pub fn run(&self) -> Result<Vec<Outcome>, UpdateError> {
        let staged = self.staged()?;
        if staged.is_empty() {
            return Ok(Vec::new());
        }
        // 0700, owned by whoever runs this (root): the verified copies live here.
        let private = tempfile::Builder::new()
            .prefix("reclaim-update-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(&self.work_dir)
            .map_err(|e| UpdateError::Install(format!("no private directory: {e}")))?;
        let owner = std::fs::metadata(private.path())
            .map_err(|e| UpdateError::Install(format!("no private directory: {e}")))?
            .uid();
        let key = self.key(owner);
        let mut outcomes = Vec::new();
        for (n, file) in staged.into_iter().enumerate() {
            let copy = private.path().join(format!("{n}.deb"));
            let result = match &key {
                Ok(key) => self.install_one(&file, key, &copy),
                Err(reason) => {
                    take_pair(&file).ok();
                    Err(UpdateError::BadKey(reason.clone()))
                }
            };
            let _ = std::fs::remove_file(&copy);
            outcomes.push(match result {
                Ok(version) => Outcome::Installed { package: self.package.clone(), file, version },
                Err(reason) => Outcome::Refused { file, reason },
            });
        }
        Ok(outcomes)
    }

    /// The staged `*.deb` names, sorted.
    fn staged(&self) -> Result<Vec<PathBuf>, UpdateError> {
        let entries = match std::fs::read_dir(&self.staging) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(UpdateError::Staged(format!("{}: {e}", self.staging.display())));
            }
        };
        let mut staged: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "deb"))
            .collect();
        staged.sort();
        Ok(staged)
    }

    /// The root-owned key: the file and its directory must belong to `owner` (the installer's
    /// user, root) and be writable by nobody else.
    fn key(&self, owner: u32) -> Result<UpdateKey, String> {
        let file = &self.key_file;
        let dir = file.parent().unwrap_or(Path::new("/"));
        for path in [file.as_path(), dir] {
            let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
            if meta.uid() != owner || meta.mode() & 0o022 != 0 {
                return Err(format!(
                    "{} must be owned by uid {owner} and writable by nobody else (it is uid {}, \
                     mode {:o})",
                    path.display(),
                    meta.uid(),
                    meta.mode() & 0o7777
                ));
            }
        }
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        UpdateKey::from_tauri_pubkey(&text).map_err(|e| format!("{}: {e}", file.display()))
    }

    /// Steps 1–5 for one staged package; answers the installed version.
    fn install_one(
        &self,
        file: &Path,
        key: &UpdateKey,
        copy: &Path,
    ) -> Result<String, UpdateError> {
        let (package, signature) = take_pair(file)?;
        key.verify(&package, &signature)?;
        write_private(copy, &package)?;
        let version = self.package_version(copy)?;
        if let Some(installed) = self.installed()?
            && version <= installed
        {
            return Err(UpdateError::NotNewer {
                package: version.to_string(),
                installed: installed.to_string(),
            });
        }
        let out = Command::new(&self.dpkg)
            .arg("-i")
            .arg(copy)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| UpdateError::Install(format!("{}: {e}", self.dpkg.display())))?;
        if !out.status.success() {
            return Err(UpdateError::Install(format!(
                "dpkg -i exited with {}: {}",
                out.status,
                tail(&out.stderr)
            )));
        }
        Ok(version.to_string())
    }

    /// The version in the (verified) copy's control file; its package must be ours.
    fn package_version(&self, copy: &Path) -> Result<DebVersion, UpdateError> {
        let out = Command::new(&self.dpkg_deb)
            .arg("--field")
            .arg(copy)
            .args(["Package", "Version"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| UpdateError::Package(format!("{}: {e}", self.dpkg_deb.display())))?;
        if !out.status.success() {
            return Err(UpdateError::Package(format!("dpkg-deb: {}", tail(&out.stderr))));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |name: &str| {
            text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
        };
        match field("Package") {
            Some(name) if name == self.package => {}
            other => {
                return Err(UpdateError::Package(format!(
                    "it is package {:?}, not {}",
                    other.unwrap_or(""),
                    self.package
                )));
            }
        }
        let version = field("Version").unwrap_or("");
        DebVersion::parse(version)
            .ok_or_else(|| UpdateError::Package(format!("bad version {version:?}")))
    }

    /// The installed version of the package, `None` when it is not installed.
    fn installed(&self) -> Result<Option<DebVersion>, UpdateError> {
        let out = Command::new(&self.dpkg_query)
            .args(["--show", "--showformat=${Version}", &self.package])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| UpdateError::Install(format!("{}: {e}", self.dpkg_query.display())))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let text = text.trim();
        if out.status.success() && !text.is_empty() {
            return DebVersion::parse(text).map(Some).ok_or_else(|| {
                UpdateError::Install(format!("dpkg-query answers a bad version {text:?}"))
            });
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() || stderr.contains("no packages found") {
            return Ok(None);
        }
        Err(UpdateError::Install(format!("dpkg-query: {}", tail(&out.stderr))))
    }
}

/// Reads the staged package and its `.sig` into memory and removes both from the folder.
fn take_pair(file: &Path) -> Result<(Vec<u8>, String), UpdateError> {
    let mut sig_name = file.as_os_str().to_owned();
    sig_name.push(".sig");
    let sig_file = PathBuf::from(sig_name);
    let package = take(file, MAX_PACKAGE_BYTES);
    let signature = take(&sig_file, MAX_SIGNATURE_BYTES);
    for path in [file, sig_file.as_path()] {
        if let Err(e) = std::fs::remove_file(path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(UpdateError::Staged(format!("cannot remove {}: {e}", path.display())));
        }
    }
    let signature = signature.map_err(|e| match e {
        UpdateError::Staged(message) => {
            UpdateError::BadSignature(format!("no usable signature file: {message}"))
        }
        other => other,
    })?;
    let signature = String::from_utf8(signature)
        .map_err(|_| UpdateError::BadSignature("the signature file is not text".into()))?;
    Ok((package?, signature))
}

/// A regular file's bytes, at most `limit`: never a symlink, device or pipe the kiosk user put
/// there (the file opened must be the regular file looked at).
fn take(path: &Path, limit: usize) -> Result<Vec<u8>, UpdateError> {
    let staged = |e: std::io::Error| UpdateError::Staged(format!("{}: {e}", path.display()));
    let seen = std::fs::symlink_metadata(path).map_err(staged)?;
    if !seen.file_type().is_file() {
        return Err(UpdateError::Staged(format!("{} is not a regular file", path.display())));
    }
    if seen.len() > limit as u64 {
        return Err(UpdateError::TooLarge { limit });
    }
    let file = std::fs::File::open(path).map_err(staged)?;
    let opened = file.metadata().map_err(staged)?;
    if !opened.file_type().is_file() || (opened.dev(), opened.ino()) != (seen.dev(), seen.ino()) {
        return Err(UpdateError::Staged(format!("{} was replaced while read", path.display())));
    }
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes).map_err(staged)?;
    if bytes.len() > limit {
        return Err(UpdateError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Writes the verified bytes as a new file only its owner can read or write.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), UpdateError> {
    let failed = |e: std::io::Error| UpdateError::Install(format!("{}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// The last line of a tool's error output, for the log.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_owned()
}
