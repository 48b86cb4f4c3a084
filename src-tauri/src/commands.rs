//! The commands the UI may call (`ui/src/lib/ipc/backend.ts`). Each is thin: take the managed
//! [`Kiosk`] (waiting while it starts), call the recovery service, map its error to a [`CommandError`]. No business rules live here.
//!
//! App commands need no capability entry: every command listed in `lib.rs`'s
//! `generate_handler!` is callable by the `main` window, and nothing else is.

use reclaim_engine::{PreviewFrame, ScanPath, Shot, StationView, ViewUpdate};
use tauri::State;
use tauri::ipc::Channel;

use crate::camera::{camera_stage, scene_of_stage};
use crate::error::CommandError;
use crate::kiosk::KioskCell;

/// Views from now on: the current one at once, then every change, over `on_update`.
#[tauri::command]
pub async fn subscribe(
    kiosk: State<'_, KioskCell>,
    on_update: Channel<ViewUpdate>,
) -> Result<(), CommandError> {
    tracing::debug!("subscribe");
    kiosk.get().await?.subscribe(move |update| on_update.send(update).is_ok());
    Ok(())
}

/// Attract → identify.
#[tauri::command]
pub async fn begin(kiosk: State<'_, KioskCell>) -> Result<(), CommandError> {
    kiosk.get().await?.begin().await
}

/// The work account the person typed.
#[tauri::command]
pub async fn submit_upn(kiosk: State<'_, KioskCell>, upn: String) -> Result<(), CommandError> {
    kiosk.get().await?.submit_upn(upn).await
}

/// The provider and the scan path the person chose.
#[tauri::command]
pub async fn choose_provider(
    kiosk: State<'_, KioskCell>,
    provider: String,
    path: ScanPath,
) -> Result<(), CommandError> {
    Ok(kiosk.get().await?.service().choose_provider(provider, path).await?)
}

/// Camera path: take `shot` and send it to the provider.
#[tauri::command]
pub async fn capture(kiosk: State<'_, KioskCell>, shot: Shot) -> Result<(), CommandError> {
    kiosk.get().await?.capture(shot).await
}

/// Camera path: open the camera and stream its preview over `on_frame`.
#[tauri::command]
pub async fn camera_preview(
    kiosk: State<'_, KioskCell>,
    on_frame: Channel<PreviewFrame>,
) -> Result<(), CommandError> {
    let kiosk = kiosk.get().await?;
    let scene = camera_stage(&kiosk.service().current().view).and_then(scene_of_stage);
    Ok(kiosk.camera()?.start(scene, move |frame| on_frame.send(frame).is_ok())?)
}

/// Camera path: stop the preview and release the camera.
#[tauri::command]
pub async fn camera_stop(kiosk: State<'_, KioskCell>) -> Result<(), CommandError> {
    kiosk.get().await?.camera()?.release();
    Ok(())
}

/// "I've noted it" / "Done": wipe and return to attract.
#[tauri::command]
pub async fn done(kiosk: State<'_, KioskCell>) -> Result<(), CommandError> {
    Ok(kiosk.get().await?.service().done().await?)
}

/// "I already have my ID in Authenticator": present the credential of `choice`.
#[tauri::command]
pub async fn present_existing(
    kiosk: State<'_, KioskCell>,
    choice: String,
) -> Result<(), CommandError> {
    Ok(kiosk.get().await?.service().present_existing(choice).await?)
}

/// "I have added it" on a link-only provider's scan step.
#[tauri::command]
pub async fn added_to_wallet(kiosk: State<'_, KioskCell>) -> Result<(), CommandError> {
    Ok(kiosk.get().await?.service().added_to_wallet().await?)
}

/// "Ask a member of staff" on the failure screen (the trusted referee).
#[tauri::command]
pub async fn ask_for_staff(kiosk: State<'_, KioskCell>) -> Result<(), CommandError> {
    Ok(kiosk.get().await?.service().ask_for_staff().await?)
}

/// Cancel (confirmed by the person): wipe and return to attract.
#[tauri::command]
pub async fn cancel(kiosk: State<'_, KioskCell>) -> Result<(), CommandError> {
    Ok(kiosk.get().await?.service().cancel().await?)
}

/// A touch or a key: the person is still there.
#[tauri::command]
pub async fn activity(kiosk: State<'_, KioskCell>) -> Result<(), CommandError> {
    Ok(kiosk.get().await?.service().activity().await?)
}

/// The station's mode and readiness, for the attract screen.
#[tauri::command]
pub async fn station_status(kiosk: State<'_, KioskCell>) -> Result<StationView, CommandError> {
    Ok(kiosk.get().await?.station())
}
