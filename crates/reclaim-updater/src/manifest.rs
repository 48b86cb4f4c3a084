//! The update manifest in Tauri's updater format: a static file with one entry per platform
//! (`{"version", "notes", "pub_date", "platforms": {"linux-x86_64-deb": {"url", "signature"}}}`)
//! or a dynamic server's answer for this platform only (`{"version", "url", "signature", …}`).

use std::collections::HashMap;

use serde::Deserialize;

use crate::UpdateError;

/// The platform keys this kiosk takes, most specific first (Debian package on x86-64).
pub const PLATFORM: [&str; 2] = ["linux-x86_64-deb", "linux-x86_64"];

/// One platform's package.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PlatformEntry {
    /// Where to download the package.
    pub url: String,
    /// Base64 of the minisign signature file (`tauri signer sign`).
    pub signature: String,
}

/// The manifest as served.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Manifest {
    /// The offered version (`1.2.3` or `v1.2.3`).
    pub version: String,
    /// Release notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// RFC 3339 publication date.
    #[serde(default)]
    pub pub_date: Option<String>,
    /// Static form: packages by platform key.
    #[serde(default)]
    pub platforms: Option<HashMap<String, PlatformEntry>>,
    /// Dynamic form: the package for the asking platform.
    #[serde(default)]
    pub url: Option<String>,
    /// Dynamic form: its signature.
    #[serde(default)]
    pub signature: Option<String>,
}

/// A newer version offered for this platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The version, without a leading `v`.
    pub version: semver::Version,
    /// Where the package is.
    pub url: String,
    /// Its signature (base64 of a minisign signature file).
    pub signature: String,
    /// Release notes, if any.
    pub notes: Option<String>,
}

/// Parses a version as Tauri does (a leading `v` allowed).
pub(crate) fn parse_version(text: &str) -> Result<semver::Version, UpdateError> {
    semver::Version::parse(text.trim().trim_start_matches('v'))
        .map_err(|e| UpdateError::BadVersion { version: text.to_owned(), reason: e.to_string() })
}

impl Manifest {
    /// Parses a manifest body.
    pub fn parse(body: &[u8]) -> Result<Manifest, UpdateError> {
        serde_json::from_slice(body).map_err(|e| UpdateError::Manifest(e.to_string()))
    }

    /// The release this manifest offers to this platform.
    pub fn release(&self) -> Result<Release, UpdateError> {
        let version = parse_version(&self.version)?;
        let (url, signature) = match (&self.platforms, &self.url, &self.signature) {
            (Some(platforms), _, _) => {
                let entry =
                    PLATFORM.iter().find_map(|key| platforms.get(*key)).ok_or_else(|| {
                        UpdateError::Manifest(format!("no package for {}", PLATFORM.join(" or ")))
                    })?;
                (entry.url.clone(), entry.signature.clone())
            }
            (None, Some(url), Some(signature)) => (url.clone(), signature.clone()),
            _ => {
                return Err(UpdateError::Manifest(
                    "neither `platforms` nor `url` and `signature`".into(),
                ));
            }
        };
        if signature.trim().is_empty() {
            return Err(UpdateError::BadSignature("the manifest gives an empty signature".into()));
        }
        Ok(Release { version, url, signature, notes: self.notes.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_static_form_prefers_the_debian_package() {
        let m = Manifest::parse(
            br#"{"version":"v1.4.0","notes":"Fixes","pub_date":"2026-12-01T10:00:00Z",
                "platforms":{"linux-x86_64":{"url":"https://u/app.AppImage","signature":"c2ln"},
                             "linux-x86_64-deb":{"url":"https://u/app.deb","signature":"ZGVi"},
                             "windows-x86_64":{"url":"https://u/app.msi","signature":"d2lu"}}}"#,
        )
        .unwrap();
        let r = m.release().unwrap();
        assert_eq!(r.version, semver::Version::new(1, 4, 0));
        assert_eq!(r.url, "https://u/app.deb");
        assert_eq!(r.signature, "ZGVi");
        assert_eq!(r.notes.as_deref(), Some("Fixes"));
    }

    #[test]
    fn the_dynamic_form_is_read_too() {
        let m =
            Manifest::parse(br#"{"version":"2.0.0","url":"https://u/a.deb","signature":"eA=="}"#)
                .unwrap();
        assert_eq!(m.release().unwrap().url, "https://u/a.deb");
    }

    #[test]
    fn a_manifest_for_other_platforms_or_unsigned_is_refused() {
        let other = Manifest::parse(
            br#"{"version":"2.0.0","platforms":{"darwin-aarch64":{"url":"u","signature":"s"}}}"#,
        )
        .unwrap();
        assert!(matches!(other.release(), Err(UpdateError::Manifest(_))));
        let unsigned =
            Manifest::parse(br#"{"version":"2.0.0","url":"https://u/a.deb","signature":""}"#)
                .unwrap();
        assert!(matches!(unsigned.release(), Err(UpdateError::BadSignature(_))));
        let bad = Manifest::parse(br#"{"version":"two","url":"u","signature":"s"}"#).unwrap();
        assert!(matches!(bad.release(), Err(UpdateError::BadVersion { .. })));
        assert!(matches!(Manifest::parse(b"<html>"), Err(UpdateError::Manifest(_))));
    }
}
