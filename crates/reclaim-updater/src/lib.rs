//! Signed kiosk updates, the parts that tauri-plugin-updater does not do.
//!
//! The kiosk (as the kiosk user) checks and downloads with tauri-plugin-updater, which verifies the
//! package's minisign signature against `[updater] pubkey`; it then hands the package and its
//! signature over with [`stage`] — the only thing it writes, into the staging folder.
//!
//! The root side ([`install`], the `reclaim-update-install` binary run by
//! `docs/kiosk/reclaim-update.service`) trusts nothing in that folder: it takes each staged
//! package into memory, verifies it again against a root-owned key ([`UpdateKey`], from
//! `/etc/reclaim/update.pub`), writes that verified copy into a private directory, reads the
//! version from the copy's own control file (`dpkg-deb`), refuses anything not newer than the
//! installed version ([`debversion`]), and only then runs `dpkg -i` on the copy.

pub mod debversion;
mod error;
pub mod install;
mod key;
mod stage;

pub use error::UpdateError;
pub use key::UpdateKey;
pub use stage::{PACKAGE, stage, staged_name};

/// Largest package accepted, on both sides (a kiosk `.deb` is tens of MB).
pub const MAX_PACKAGE_BYTES: usize = 512 * 1024 * 1024;

/// Largest signature file accepted (a minisign signature, base64-wrapped, is about 500 bytes).
pub const MAX_SIGNATURE_BYTES: usize = 16 * 1024;
