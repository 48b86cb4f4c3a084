//! Signed kiosk updates, free of Tauri: [`Updater::check`] reads the update manifest at the
//! configured endpoint (Tauri's updater format, so `tauri signer` and a static `latest.json`
//! work unchanged), [`Updater::download`] fetches a newer package and accepts it only with a valid
//! minisign signature by the configured key ([`UpdateKey`]), and [`VerifiedUpdate::stage`] hands
//! it to the installer. When to install (only while the kiosk is idle) is the shell's decision.
//!
//! ```no_run
//! # async fn run() -> Result<(), reclaim_updater::UpdateError> {
//! use reclaim_updater::{UpdateKey, Updater};
//! let updater = Updater::new(
//!     "https://updates.contoso.example/reclaim/{{target}}/{{arch}}/{{current_version}}",
//!     UpdateKey::from_tauri_pubkey("dW50cnVzdGVkIGNvbW1lbnQ6…")?,
//!     "0.1.0",
//!     reqwest::Client::new(),
//! )?;
//! if let Some(release) = updater.check().await? {
//!     let update = updater.download(&release).await?; // refused unless validly signed
//!     update.stage(std::path::Path::new("/var/lib/reclaim/updates"))?;
//! }
//! # Ok(()) }
//! ```

mod error;
mod key;
mod manifest;
mod updater;

pub use error::UpdateError;
pub use key::UpdateKey;
pub use manifest::{Manifest, PLATFORM, Release};
pub use updater::{MAX_PACKAGE_BYTES, Updater, VerifiedUpdate};
