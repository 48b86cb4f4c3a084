//! The root-side installer (`reclaim-update-install`, the binary the systemd unit runs) against
//! packages dropped straight into the staging folder, as a compromised kiosk user could: real
//! `.deb` files (built here with dpkg-deb), a throwaway signing key made here, the real dpkg-deb,
//! and `dpkg` replaced by a recorder (as are dpkg-query, answering the "installed" version, and
//! pkill). Only a validly signed package whose own version is newer than the installed one is
//! handed to `dpkg -i`, and then as a private copy, never the kiosk-writable file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use minisign::KeyPair;
use reclaim_updater::{PACKAGE, UpdateError, UpdateKey};

/// A key pair in Tauri's wrapping: (public key as in `/etc/reclaim/update.pub`, signer).
fn throwaway_key() -> (String, KeyPair) {
    let pair = KeyPair::generate_unencrypted_keypair().unwrap();
    let public = STANDARD.encode(pair.pk.to_box().unwrap().to_string());
    (public, pair)
}

/// `tauri signer sign`'s output for `data`: base64 of the minisign signature file.
fn sign(pair: &KeyPair, data: &[u8]) -> String {
    let sig = minisign::sign(Some(&pair.pk), &pair.sk, Cursor::new(data), None, None).unwrap();
    STANDARD.encode(sig.to_string())
}

/// A real Debian package `name` `version` (with `payload` as /usr/share/doc/…/payload).
fn deb(name: &str, version: &str, payload: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/share/doc").join(name)).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        format!(
            "Package: {name}\nVersion: {version}\nArchitecture: amd64\n\
             Maintainer: Reclaim tests <tests@example.invalid>\nDescription: test package\n"
        ),
    )
    .unwrap();
    std::fs::write(root.join("usr/share/doc").join(name).join("payload"), payload).unwrap();
    let out = dir.path().join("out.deb");
    let built = Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group", "-Zgzip"])
        .arg(&root)
        .arg(&out)
        .output()
        .unwrap();
    assert!(built.status.success(), "dpkg-deb --build: {}", String::from_utf8_lossy(&built.stderr));
    std::fs::read(out).unwrap()
}

/// A kiosk machine in a temporary directory: the staging folder, the root-owned key, the
/// installer's work directory, and recorders for dpkg and pkill.
struct Machine {
    dir: tempfile::TempDir,
    pair: KeyPair,
}

struct Run {
    success: bool,
    log: String,
}

impl Machine {
    /// `installed`: what dpkg-query answers for the kiosk package (`None`: not installed).
    fn new(installed: Option<&str>) -> Machine {
        let dir = tempfile::tempdir().unwrap();
        let (public, pair) = throwaway_key();
        for sub in ["staging", "etc", "work", "bin"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let key = dir.path().join("etc/update.pub");
        std::fs::write(&key, public).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(dir.path().join("etc"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let record = dir.path().join("dpkg.record");
        let copy = dir.path().join("installed.deb");
        // dpkg: records its arguments, the mode of the file it was given, and keeps a copy of it.
        script(
            &dir.path().join("bin/dpkg"),
            &format!(
                "printf '%s\\n' \"$*\" >> '{}'\nstat -c '%a' \"$2\" >> '{}'\ncp \"$2\" '{}'\n",
                record.display(),
                record.display(),
                copy.display()
            ),
        );
        let query = match installed {
            Some(version) => format!("printf '%s' '{version}'\n"),
            None => {
                "echo 'dpkg-query: no packages found matching reclaim' >&2\nexit 1\n".to_owned()
            }
        };
        script(&dir.path().join("bin/dpkg-query"), &query);
        let pkill = dir.path().join("pkill.record");
        script(
            &dir.path().join("bin/pkill"),
            &format!("printf '%s\\n' \"$*\" >> '{}'\n", pkill.display()),
        );
        Machine { dir, pair }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn staging(&self) -> PathBuf {
        self.path("staging")
    }

    /// Stages `package` with `signature` as the kiosk does (under `version`'s file name).
    fn stage(&self, version: &str, package: &[u8], signature: &str) -> PathBuf {
        reclaim_updater::stage(&self.staging(), version, package, signature).unwrap()
    }

    fn signed(&self, package: &[u8]) -> String {
        sign(&self.pair, package)
    }

    /// Runs the installer as the unit does (plus the recorders).
    fn install(&self) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_reclaim-update-install"))
            .arg("--staging")
            .arg(self.staging())
            .arg("--key")
            .arg(self.path("etc/update.pub"))
            .arg("--work-dir")
            .arg(self.path("work"))
            .arg("--dpkg")
            .arg(self.path("bin/dpkg"))
            .arg("--dpkg-query")
            .arg(self.path("bin/dpkg-query"))
            .arg("--restart-kiosk")
            .arg("--pkill")
            .arg(self.path("bin/pkill"))
            .output()
            .unwrap();
        Run { success: out.status.success(), log: String::from_utf8_lossy(&out.stderr).into() }
    }

    /// What dpkg was asked to do (none: nothing was installed).
    fn dpkg_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("dpkg.record"))
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    fn kiosk_restarted(&self) -> bool {
        std::fs::read_to_string(self.path("pkill.record")).is_ok_and(|s| s == "-x reclaim-kiosk\n")
    }

    fn staging_is_empty(&self) -> bool {
        std::fs::read_dir(self.staging()).unwrap().next().is_none()
    }

    /// Asserts that nothing was installed, the kiosk not restarted, and staging was emptied.
    fn assert_refused(&self, run: &Run, why: &str) {
        assert!(!run.success, "the installer reported success: {}", run.log);
        assert_eq!(self.dpkg_calls(), Vec::<String>::new(), "dpkg was run: {}", run.log);
        assert!(!self.kiosk_restarted(), "the kiosk was restarted");
        assert!(self.staging_is_empty(), "the refused package was left in staging");
        assert!(run.log.contains("refused and deleted"), "{}", run.log);
        assert!(run.log.contains(why), "the log does not say {why:?}: {}", run.log);
    }
}

fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_signed_newer_package_is_installed_from_a_private_copy() {
    let machine = Machine::new(Some("0.5.0"));
    let package = deb(PACKAGE, "0.9.0", "release");
    let staged = machine.stage("0.9.0", &package, &machine.signed(&package));

    let run = machine.install();
    assert!(run.success, "{}", run.log);
    assert!(run.log.contains("installed reclaim 0.9.0"), "{}", run.log);
    let calls = machine.dpkg_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let installed = calls[0].strip_prefix("-i ").expect("dpkg -i FILE");
    // The copy dpkg got: in the installer's own private directory, not the staged file, mode 600,
    // and exactly the verified bytes.
    let work = machine.path("work");
    assert!(Path::new(installed).starts_with(&work), "{installed} is not the private copy");
    assert_ne!(Path::new(installed), staged);
    assert_eq!(calls[1], "600");
    assert_eq!(std::fs::read(machine.path("installed.deb")).unwrap(), package);
    assert!(machine.kiosk_restarted(), "the kiosk was not restarted onto the new version");
    assert!(machine.staging_is_empty(), "the staged package was left behind");
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0, "the private copy was left behind");
}

#[test]
fn the_private_directory_is_the_installers_alone() {
    // Stop dpkg half-way to look at the directory the copy is in.
    let machine = Machine::new(Some("0.5.0"));
    let seen = machine.path("dir.mode");
    script(
        &machine.path("bin/dpkg"),
        &format!(
            "stat -c '%a %u' \"$(dirname \"$2\")\" > '{}'\nprintf '%s\\n' \"$*\" >> '{}'\n",
            seen.display(),
            machine.path("dpkg.record").display()
        ),
    );
    let package = deb(PACKAGE, "0.9.0", "release");
    machine.stage("0.9.0", &package, &machine.signed(&package));
    let run = machine.install();
    assert!(run.success, "{}", run.log);
    let me = std::fs::metadata(machine.path("work")).unwrap().uid();
    assert_eq!(std::fs::read_to_string(seen).unwrap(), format!("700 {me}\n"));
}

#[test]
fn a_tampered_package_dropped_into_staging_is_refused() {
    let machine = Machine::new(Some("0.5.0"));
    let package = deb(PACKAGE, "0.9.0", "release");
    let staged = machine.stage("0.9.0", &package, &machine.signed(&package));
    // The kiosk user replaces the verified package with its own, keeping the signature.
    std::fs::write(&staged, deb(PACKAGE, "0.9.0", "release + implant")).unwrap();
    let run = machine.install();
    machine.assert_refused(&run, "signature");
}

#[test]
fn a_package_signed_by_another_key_is_refused() {
    let machine = Machine::new(Some("0.5.0"));
    let (_, theirs) = throwaway_key();
    let package = deb(PACKAGE, "0.9.0", "from someone else");
    machine.stage("0.9.0", &package, &sign(&theirs, &package));
    let run = machine.install();
    machine.assert_refused(&run, "signature");
}

#[test]
fn an_unsigned_package_is_refused() {
    let machine = Machine::new(Some("0.5.0"));
    std::fs::write(
        machine.staging().join("reclaim_0.9.0_amd64.deb"),
        deb(PACKAGE, "0.9.0", "no signature"),
    )
    .unwrap();
    let run = machine.install();
    machine.assert_refused(&run, "signature");
}

#[test]
fn an_older_or_same_version_with_a_valid_signature_is_refused() {
    for (version, installed) in [("0.8.0", "0.9.0"), ("0.9.0", "0.9.0"), ("0.9.0", "1:0.1.0")] {
        let machine = Machine::new(Some(installed));
        let package = deb(PACKAGE, version, "genuine but old");
        machine.stage(version, &package, &machine.signed(&package));
        let run = machine.install();
        machine.assert_refused(&run, &format!("{version} is not newer than the installed"));
    }
}

#[test]
fn the_version_comes_from_the_package_not_the_file_name() {
    let machine = Machine::new(Some("0.9.0"));
    // A genuine old package, staged under a newer version's name.
    let package = deb(PACKAGE, "0.8.0", "genuine but old");
    machine.stage("9.9.9", &package, &machine.signed(&package));
    let run = machine.install();
    machine.assert_refused(&run, "version 0.8.0 is not newer than the installed 0.9.0");
}

#[test]
fn a_signed_package_of_another_name_is_refused() {
    let machine = Machine::new(Some("0.5.0"));
    let package = deb("something-else", "0.9.0", "not the kiosk");
    machine.stage("0.9.0", &package, &machine.signed(&package));
    let run = machine.install();
    machine.assert_refused(&run, "\"something-else\", not reclaim");
}

#[test]
fn a_symlink_in_staging_is_not_followed() {
    let machine = Machine::new(Some("0.5.0"));
    // A validly signed package outside staging, pointed at from staging.
    let package = deb(PACKAGE, "0.9.0", "release");
    let elsewhere = machine.path("elsewhere.deb");
    std::fs::write(&elsewhere, &package).unwrap();
    let staged = machine.staging().join("reclaim_0.9.0_amd64.deb");
    std::os::unix::fs::symlink(&elsewhere, &staged).unwrap();
    std::fs::write(machine.staging().join("reclaim_0.9.0_amd64.deb.sig"), machine.signed(&package))
        .unwrap();
    let run = machine.install();
    machine.assert_refused(&run, "not a regular file");
    assert!(elsewhere.exists(), "the symlink's target was touched");
}

#[test]
fn a_key_others_could_change_is_not_trusted() {
    let machine = Machine::new(Some("0.5.0"));
    let package = deb(PACKAGE, "0.9.0", "release");
    machine.stage("0.9.0", &package, &machine.signed(&package));
    let key = machine.path("etc/update.pub");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o666)).unwrap();
    let run = machine.install();
    machine.assert_refused(&run, "writable by nobody else");
}

#[test]
fn a_first_install_and_an_empty_staging_folder() {
    // Nothing staged: nothing to do, a success, no restart.
    let machine = Machine::new(None);
    let run = machine.install();
    assert!(run.success, "{}", run.log);
    assert!(machine.dpkg_calls().is_empty() && !machine.kiosk_restarted());
    // Not installed yet: any validly signed kiosk package is newer.
    let package = deb(PACKAGE, "0.1.0", "first");
    machine.stage("0.1.0", &package, &machine.signed(&package));
    let run = machine.install();
    assert!(run.success, "{}", run.log);
    assert_eq!(machine.dpkg_calls().len(), 2);
}

#[test]
fn keys_are_checked() {
    assert!(matches!(UpdateKey::from_tauri_pubkey("not base64!"), Err(UpdateError::BadKey(_))));
    assert!(matches!(
        UpdateKey::from_tauri_pubkey(&STANDARD.encode("untrusted comment: x\nnot a key\n")),
        Err(UpdateError::BadKey(_))
    ));
    // The placeholder key of docs/config/reclaim.example.toml is at least well-formed.
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/config/reclaim.example.toml"),
    )
    .unwrap();
    let line = example.lines().find(|l| l.starts_with("pubkey = ")).unwrap();
    let value = line.trim_start_matches("pubkey = ").trim_matches('"');
    UpdateKey::from_tauri_pubkey(value).unwrap();
}
