//! Demo mode: the emulated tenant and relay in-process on loopback (the engine's `DemoStack`),
//! the synthetic camera, and what a demo needs besides: the URLs of the demo phone and the
//! tenant's control API, written where tests and scripts can read them.
//!
//! The synthetic camera stands in for a person holding up their ID: it films the fixture's test
//! card of the persona whose account was typed (an unknown account gets the first persona's), so
//! one person at one screen can walk the camera path with every persona.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use reclaim_camera::{FrameSource, SyntheticCamera, SyntheticImages};
use reclaim_engine::View;
use reclaim_engine::demo::{CardImage, DemoError, DemoStack};
use serde::Serialize;

use crate::camera::OpenCamera;

/// Where a demo's moving parts are, as written by `--demo-info FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoInfo {
    /// The emulator's control API root (faults, clock, TAPs, phones).
    pub control_url: String,
    /// The demo phone's mobile page (Microsoft Authenticator and the provider's hosted flow).
    pub phone_page_url: String,
    /// The demo phone's id at the control API (`/phones/{id}/…`).
    pub phone_id: String,
    /// The station's id.
    pub station_id: String,
    /// The fixture's personas: who to play, and the account each one types.
    pub personas: Vec<DemoPersona>,
    /// The operator console of the in-process recovery service (the trusted referee's desk).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_url: Option<String>,
}

/// One persona of the demo tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoPersona {
    /// Its key (`ana`, `priya`, …).
    pub key: String,
    /// The work account it types at the kiosk.
    pub user_principal_name: String,
    /// What it shows (clean match, evaluation mode, …).
    pub description: String,
}

/// The running demo tenant and the synthetic camera's card.
pub struct Demo {
    stack: Arc<DemoStack>,
    phone_id: String,
    /// Persona keys by lower-cased account name.
    personas: Vec<(String, String)>,
    fallback_persona: String,
    held: Arc<Mutex<Option<SyntheticImages>>>,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demo")
            .field("control_url", &self.stack.control_url())
            .finish_non_exhaustive()
    }
}

impl Demo {
    /// The demo around a started emulated tenant and relay (the in-process recovery service's).
    pub fn new(stack: Arc<DemoStack>) -> Demo {
        let phone_id = stack.phone_id().to_owned();
        let fixture = stack.emulator().state.fixture();
        let personas: Vec<(String, String)> = fixture
            .personas
            .iter()
            .map(|p| (p.user_principal_name.to_lowercase(), p.key.clone()))
            .collect();
        let fallback_persona = personas.first().map(|(_, key)| key.clone()).unwrap_or_default();
        // No card is drawn yet (three images, CPU the window's start-up needs): see
        // `hold_first_card`.
        Demo { stack, phone_id, personas, fallback_persona, held: Arc::new(Mutex::new(None)) }
    }

    /// The engine's stack (ports, settings, the tenant's control API).
    pub fn stack(&self) -> &DemoStack {
        &self.stack
    }

    /// Where the demo's parts are.
    pub fn info(&self) -> DemoInfo {
        DemoInfo {
            control_url: self.stack.control_url().to_owned(),
            phone_page_url: self.stack.phone_page_url(),
            phone_id: self.phone_id.clone(),
            station_id: self.stack.settings().station_id,
            personas: self
                .stack
                .emulator()
                .state
                .fixture()
                .personas
                .iter()
                .map(|p| DemoPersona {
                    key: p.key.clone(),
                    user_principal_name: p.user_principal_name.clone(),
                    description: p.description.clone(),
                })
                .collect(),
            console_url: None,
        }
    }

    /// Writes [`Demo::info`] as JSON to `path` (written whole, then renamed, so a reader polling
    /// for the file never sees half of it).
    pub fn write_info(&self, path: &Path, info: &DemoInfo) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(info).map_err(std::io::Error::other)?;
        let partial = path.with_extension("partial");
        std::fs::write(&partial, json)?;
        std::fs::rename(partial, path)
    }

    fn held(&self) -> MutexGuard<'_, Option<SyntheticImages>> {
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The synthetic camera filming the card held now.
    pub fn camera(&self) -> OpenCamera {
        let held = Arc::clone(&self.held);
        Arc::new(move || {
            let images = held.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            let camera = SyntheticCamera::new(&images.unwrap_or_default())?;
            Ok(Box::new(camera) as Box<dyn FrameSource>)
        })
    }

    /// The persona whose account `upn` is (any case), or the fallback persona.
    pub fn persona_of(&self, upn: &str) -> &str {
        let upn = upn.trim().to_lowercase();
        self.personas
            .iter()
            .find(|(account, _)| *account == upn)
            .map_or(self.fallback_persona.as_str(), |(_, key)| key.as_str())
    }

    /// Puts the test card (front, back, face) of the persona whose account `upn` is in front of
    /// the synthetic camera. Keeps the last card if the emulator cannot draw this one.
    pub async fn hold_card_of(&self, upn: &str) {
        let persona = self.persona_of(upn).to_owned();
        let tenant = self.stack.tenant();
        let images = async {
            Ok::<_, DemoError>(SyntheticImages {
                front: tenant.card(&persona, CardImage::Front).await?,
                back: tenant.card(&persona, CardImage::Back).await?,
                face: Some(tenant.card(&persona, CardImage::Selfie).await?),
            })
        }
        .await;
        match images {
            Ok(images) => *self.held() = Some(images),
            Err(error) => tracing::warn!(%error, "demo camera: the test card could not be drawn"),
        }
    }

    /// The fallback persona's card, if no card is held yet (the first Start after the kiosk
    /// starts; a wipe holds it again).
    pub async fn hold_first_card(&self) {
        if self.held().is_none() {
            self.hold_card_of("").await;
        }
    }

    /// Demo phone: its camera sees the code on the kiosk's screen now (the hosted link, the
    /// issuance offer, the presentation request), so the phone page can offer to scan it.
    pub async fn show_code(&self, view: &View) {
        let url = crate::kiosk::shown_code(view);
        if let Err(error) = self.stack.phone().viewfinder(url.as_deref()).await {
            tracing::warn!(%error, "demo phone: the kiosk's code could not be shown to it");
        }
    }

    /// Stops the relay and the emulator (once nothing else holds them).
    pub async fn shutdown(self) {
        if let Ok(stack) = Arc::try_unwrap(self.stack) {
            stack.shutdown().await;
        }
    }
}
