//! [`stage`]: the kiosk's hand-over of a package it verified, with its signature, to the root
//! installer. The only thing the kiosk user writes for the update; the root side verifies again.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::UpdateError;

/// The Debian package the kiosk ships as (the Tauri bundler names it after `productName`
/// "Reclaim"; its program is `reclaim-kiosk`), and the only one the installer accepts.
pub const PACKAGE: &str = "reclaim";

/// The staged file name for `version` (`reclaim_{version}_amd64.deb`), or `None` when the
/// version has characters a Debian version cannot have (it never names a path).
pub fn staged_name(version: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '~');
    (!version.is_empty() && version.len() <= 64 && version.chars().all(allowed))
        .then(|| format!("{PACKAGE}_{version}_amd64.deb"))
}

/// Writes `package` and its `signature` (base64 of the minisign signature file, as the manifest and
/// `tauri signer sign` give it) into `dir` as `reclaim_{version}_amd64.deb` and `….deb.sig`,
/// each whole or not at all (a hidden partial file, then a rename), the signature first: the root
/// path unit starts on the `.deb`. Answers the package's path.
///
/// `version` only names the file: the installer reads the version from the package itself.
pub fn stage(
    dir: &Path,
    version: &str,
    package: &[u8],
    signature: &str,
) -> Result<PathBuf, UpdateError> {
    let failed = |message: String| UpdateError::Stage { dir: dir.display().to_string(), message };
    let name = staged_name(version).ok_or_else(|| failed(format!("bad version {version:?}")))?;
    std::fs::create_dir_all(dir).map_err(|e| failed(e.to_string()))?;
    let write = |name: &str, bytes: &[u8]| -> Result<PathBuf, UpdateError> {
        let partial = dir.join(format!(".{name}.partial"));
        let path = dir.join(name);
        let written = (|| {
            let mut file = std::fs::File::create(&partial)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&partial, &path)
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(failed(format!("{name}: {error}")));
        }
        Ok(path)
    };
    let sig = write(&format!("{name}.sig"), signature.as_bytes())?;
    write(&name, package).inspect_err(|_| {
        let _ = std::fs::remove_file(&sig);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_debian_version_characters_name_a_file() {
        assert_eq!(staged_name("1.2.3-beta.1").unwrap(), "reclaim_1.2.3-beta.1_amd64.deb");
        for bad in ["", "../1.0", "1.0/x", "1 0", "1.0\n"] {
            assert_eq!(staged_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_package_and_its_signature_are_staged_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = stage(dir.path(), "0.9.0", b"package", "c2ln").unwrap();
        assert_eq!(path, dir.path().join("reclaim_0.9.0_amd64.deb"));
        assert_eq!(std::fs::read(&path).unwrap(), b"package");
        let sig = dir.path().join("reclaim_0.9.0_amd64.deb.sig");
        assert_eq!(std::fs::read_to_string(sig).unwrap(), "c2ln");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no partial file left");
        assert!(stage(dir.path(), "../0.9.0", b"package", "c2ln").is_err());
    }
}
