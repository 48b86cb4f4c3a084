//! The kiosk camera as the shell runs it: opened when the UI asks for a preview, streamed to the
//! UI as JPEG frames, shot for the engine's uploads, pointed at what the screen asks the person to
//! show, and released as soon as the session leaves the camera screen (or is wiped).

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use reclaim_camera::{
    CameraError, DocumentSide, FrameSource, PreviewEncoder, PreviewStream, Scene,
};
use reclaim_engine::view::{CameraStatus, CaptureAdvice, FrameQuality};
use reclaim_engine::{CaptureStage, PreviewFrame, ScanPath, Shot, View};

/// Opens the station's camera (a real device, or the demo's synthetic one) for one preview.
pub type OpenCamera = Arc<dyn Fn() -> Result<Box<dyn FrameSource>, CameraError> + Send + Sync>;

/// The camera and its running preview, if any. Cheap to clone; clones share the camera.
#[derive(Clone)]
pub struct CameraDesk {
    open: OpenCamera,
    stream: Arc<Mutex<Option<PreviewStream>>>,
}

impl std::fmt::Debug for CameraDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraDesk").field("running", &self.is_running()).finish_non_exhaustive()
    }
}

impl CameraDesk {
    /// A desk whose camera is opened by `open` for each preview.
    pub fn new(open: OpenCamera) -> Self {
        Self { open, stream: Arc::new(Mutex::new(None)) }
    }

    fn lock(&self) -> MutexGuard<'_, Option<PreviewStream>> {
        self.stream.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens the camera and streams its preview to `send` (answering `false` stops the stream,
    /// e.g. when the page that asked is gone). A preview already running is replaced: the UI
    /// asks again after a reload, and only its newest channel is listened to.
    pub fn start<F>(&self, scene: Option<Scene>, mut send: F) -> Result<(), CameraError>
    where
        F: FnMut(PreviewFrame) -> bool + Send + 'static,
    {
        let mut slot = self.lock();
        if let Some(old) = slot.take() {
            old.stop();
        }
        let stream = PreviewStream::start((self.open)()?, PreviewEncoder::default(), move |f| {
            if send(preview_frame(f)) { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
        })?;
        if let Some(scene) = scene {
            stream.cue(scene);
        }
        *slot = Some(stream);
        Ok(())
    }

    /// Points the camera at `scene` (the synthetic camera shows it; a real one ignores it).
    pub fn cue(&self, scene: Scene) {
        if let Some(stream) = self.lock().as_ref() {
            stream.cue(scene);
        }
    }

    /// The shutter for `shot`: a full-resolution JPEG taken after the cue. Blocks up to the
    /// camera's capture timeout, so call it off the async runtime.
    pub fn shoot(&self, shot: Shot) -> Result<Vec<u8>, CameraError> {
        let slot = self.lock();
        let stream = slot.as_ref().ok_or(CameraError::NotOpen)?;
        if !stream.is_running() {
            return Err(CameraError::Disconnected);
        }
        stream.cue(scene_of(shot));
        stream.capture_jpeg()
    }

    /// Stops the preview and releases the device. Answers whether a preview was running.
    pub fn release(&self) -> bool {
        let stream = self.lock().take();
        let running = stream.is_some();
        if let Some(stream) = stream {
            stream.stop();
        }
        running
    }

    /// Whether a preview is running.
    pub fn is_running(&self) -> bool {
        self.lock().as_ref().is_some_and(PreviewStream::is_running)
    }

    /// Follows the session: cues the scene the screen asks for, and releases the camera on any
    /// screen other than the camera path's scan screen.
    pub fn follow(&self, view: &View) {
        match camera_stage(view) {
            Some(stage) => {
                if let Some(scene) = scene_of_stage(stage) {
                    self.cue(scene);
                }
            }
            None => {
                if self.release() {
                    tracing::info!("camera released");
                }
            }
        }
    }
}

/// What the kiosk found at start: the camera it uses (if any), what the attract screen says of
/// it, and what `--check-camera` prints.
#[derive(Debug, Clone)]
pub struct StationCamera {
    /// The camera the camera path uses; `None` hides the camera path (the phone path remains).
    pub desk: Option<CameraDesk>,
    /// `present`, `absent` or `refusedVirtual`.
    pub status: CameraStatus,
    /// What was probed.
    pub report: CameraReport,
}

/// The discovery as `reclaim-kiosk --check-camera` prints it (JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CameraReport {
    /// `present`, `absent` or `refusedVirtual`.
    pub status: CameraStatus,
    /// The camera backend compiled in (`Video4Linux` with the `device-camera` feature).
    pub backend: Option<String>,
    /// Whether the configuration allows virtual cameras.
    pub allow_virtual: bool,
    /// The camera used, if any.
    pub chosen: Option<CameraDevice>,
    /// Every camera found.
    pub devices: Vec<CameraDevice>,
    /// Why listing the cameras failed, if it did.
    pub error: Option<String>,
}

/// One camera in a [`CameraReport`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CameraDevice {
    /// Backend index (`/dev/video{index}`).
    pub index: u32,
    /// The V4L2 card name.
    pub name: String,
    /// The kernel driver, when sysfs names it.
    pub driver: Option<String>,
    /// Why it counts as virtual (`None`: a real camera).
    pub virtual_marker: Option<String>,
}

impl From<&reclaim_camera::DeviceInfo> for CameraDevice {
    fn from(d: &reclaim_camera::DeviceInfo) -> Self {
        Self {
            index: d.index,
            name: d.name.clone(),
            driver: d.driver.clone(),
            virtual_marker: d.virtual_marker.map(str::to_owned),
        }
    }
}

impl StationCamera {
    /// No camera path (`--no-camera`).
    pub fn none() -> Self {
        Self {
            desk: None,
            status: CameraStatus::Absent,
            report: CameraReport {
                status: CameraStatus::Absent,
                backend: None,
                allow_virtual: false,
                chosen: None,
                devices: Vec::new(),
                error: None,
            },
        }
    }
}

/// The station's real camera: probes the backend (cargo feature `device-camera`; without it
/// there is none) and takes the first real camera, refusing virtual ones (v4l2loopback, OBS
/// Virtual Camera, akvcam, …) unless `allow_virtual` (`[station] allow_virtual_camera`).
pub fn station_camera(allow_virtual: bool) -> StationCamera {
    discover(&reclaim_camera::probe(), allow_virtual)
}

/// [`station_camera`] on a given probe report.
pub fn discover(report: &reclaim_camera::ProbeReport, allow_virtual: bool) -> StationCamera {
    if let Some(error) = &report.error {
        tracing::info!(%error, "no camera backend");
    }
    let choice = report.choose(allow_virtual);
    for refused in &choice.refused {
        tracing::warn!(
            camera = %refused.name,
            marker = refused.virtual_marker.unwrap_or_default(),
            "virtual camera refused (set [station] allow_virtual_camera = true to allow it)"
        );
    }
    let status = match (&choice.device, choice.refused_virtual()) {
        (Some(_), _) => CameraStatus::Present,
        (None, true) => CameraStatus::RefusedVirtual,
        (None, false) => CameraStatus::Absent,
    };
    let desk = choice.device.as_ref().map(|device| {
        tracing::info!(camera = %device.name, cameras = report.devices.len(), "camera found");
        let index = device.index;
        CameraDesk::new(Arc::new(move || reclaim_camera::open_device(index)))
    });
    if desk.is_none() {
        tracing::info!(?status, "no camera: the camera path is hidden");
    }
    StationCamera {
        desk,
        status,
        report: CameraReport {
            status,
            backend: report.backend.clone(),
            allow_virtual,
            chosen: choice.device.as_ref().map(CameraDevice::from),
            devices: report.devices.iter().map(CameraDevice::from).collect(),
            error: report.error.clone(),
        },
    }
}

/// The capture stage when `view` is the camera path's scan screen.
pub fn camera_stage(view: &View) -> Option<CaptureStage> {
    match view {
        View::ScanId { path: ScanPath::Camera, capture, .. } => {
            Some(capture.unwrap_or(CaptureStage::Front))
        }
        _ => None,
    }
}

/// What the person is asked to show at `stage` (none while uploading or asked to retake, when
/// the last scene stays).
pub fn scene_of_stage(stage: CaptureStage) -> Option<Scene> {
    match stage {
        CaptureStage::Front => Some(Scene::Document(DocumentSide::Front)),
        CaptureStage::Back => Some(Scene::Document(DocumentSide::Back)),
        CaptureStage::Selfie => Some(Scene::Selfie),
        CaptureStage::Uploading | CaptureStage::Retake => None,
    }
}

/// The scene a shot films.
pub fn scene_of(shot: Shot) -> Scene {
    match shot {
        Shot::Front => Scene::Document(DocumentSide::Front),
        Shot::Back => Scene::Document(DocumentSide::Back),
        Shot::Selfie => Scene::Selfie,
    }
}

/// A camera preview frame as the UI takes it (a `data:` URL, allowed by the CSP's `img-src`).
fn preview_frame(frame: reclaim_camera::PreviewFrame) -> PreviewFrame {
    let (seq, width, height) = (frame.sequence, frame.width, frame.height);
    let quality = frame_quality(frame.quality.as_ref());
    let jpeg = frame.into_jpeg();
    let mut data_url = String::with_capacity(23 + jpeg.len() * 4 / 3 + 4);
    data_url.push_str("data:image/jpeg;base64,");
    base64::engine::general_purpose::STANDARD.encode_string(&jpeg, &mut data_url);
    PreviewFrame { seq, width, height, data_url, quality }
}

/// The quality check's verdict as the UI takes it. A frame without one (never, from a running
/// stream) does not pass.
fn frame_quality(q: Option<&reclaim_camera::FrameQuality>) -> FrameQuality {
    let Some(q) = q else { return FrameQuality { ok: false, advice: None } };
    let advice = q.advice.map(|a| match a {
        reclaim_camera::Advice::HoldStill => CaptureAdvice::HoldStill,
        reclaim_camera::Advice::ReduceGlare => CaptureAdvice::ReduceGlare,
        reclaim_camera::Advice::MoveCloser => CaptureAdvice::MoveCloser,
        reclaim_camera::Advice::FitInFrame => CaptureAdvice::FitInFrame,
    });
    FrameQuality { ok: q.ok, advice }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reclaim_camera::{Pacing, SyntheticCamera};
    use std::sync::mpsc;
    use std::time::Duration;

    fn synthetic() -> OpenCamera {
        Arc::new(|| {
            let card = image::RgbImage::from_pixel(428, 270, image::Rgb([200, 210, 230]));
            let camera = SyntheticCamera::from_images(card.clone(), card, None);
            Ok(Box::new(camera.with_pacing(Pacing::Unpaced)) as Box<dyn FrameSource>)
        })
    }

    #[test]
    fn previews_reach_the_ui_as_jpeg_data_urls_until_released() {
        let desk = CameraDesk::new(synthetic());
        let (tx, rx) = mpsc::channel();
        desk.start(None, move |f| tx.send(f).is_ok()).unwrap();
        let frame = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(frame.data_url.starts_with("data:image/jpeg;base64,/9j/"), "a JPEG");
        assert!(frame.width > 0 && frame.height > 0);
        assert!(desk.is_running());
        let jpeg = desk.shoot(Shot::Front).unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "the shot is a JPEG");
        assert!(desk.release());
        assert!(!desk.is_running());
        assert!(!desk.release(), "released once");
    }

    #[test]
    fn no_shot_without_a_preview() {
        let desk = CameraDesk::new(synthetic());
        assert!(matches!(desk.shoot(Shot::Selfie), Err(CameraError::NotOpen)));
    }

    #[test]
    fn leaving_the_camera_screen_releases_the_camera() {
        let desk = CameraDesk::new(synthetic());
        desk.start(None, |_| true).unwrap();
        desk.follow(&View::Checking);
        assert!(!desk.is_running());
    }

    #[test]
    fn a_missing_camera_is_an_error_not_a_panic() {
        let desk = CameraDesk::new(Arc::new(|| Err(CameraError::NoSuchDevice(0))));
        assert!(matches!(desk.start(None, |_| true), Err(CameraError::NoSuchDevice(0))));
        assert!(!desk.is_running());
    }

    #[test]
    fn preview_frames_carry_the_quality_verdict() {
        let desk = CameraDesk::new(synthetic());
        let (tx, rx) = mpsc::channel();
        desk.start(None, move |f| tx.send(f).is_ok()).unwrap();
        let frame = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        // A flat grey card with nothing on it is no document: the frame does not pass.
        assert!(!frame.quality.ok && frame.quality.advice.is_some(), "{:?}", frame.quality);
        desk.release();
        assert_eq!(frame_quality(None), FrameQuality { ok: false, advice: None });
    }

    fn device(
        index: u32,
        card: &str,
        driver: Option<&str>,
        sysfs_virtual: bool,
    ) -> reclaim_camera::DeviceInfo {
        reclaim_camera::DeviceInfo {
            index,
            name: card.to_owned(),
            description: format!("Video4Linux Device @ /dev/video{index}"),
            driver: driver.map(str::to_owned),
            virtual_marker: reclaim_camera::virtual_marker(card, driver, sysfs_virtual),
        }
    }

    #[test]
    fn with_no_camera_device_the_camera_path_is_hidden_and_the_station_says_why() {
        // This machine has no /dev/video*: the real probe finds nothing (with or without the
        // `device-camera` feature), so the camera path is hidden and the station says `absent`.
        let found = station_camera(false);
        assert!(found.desk.is_none(), "{:?}", found.report);
        assert_eq!(found.status, CameraStatus::Absent);
        assert_eq!(found.report.status, CameraStatus::Absent);
        assert!(found.report.devices.is_empty() && found.report.chosen.is_none());
        let json = serde_json::to_value(&found.report).unwrap();
        assert_eq!(json["status"], "absent");
        assert_eq!(json["allowVirtual"], false);
    }

    #[test]
    fn virtual_cameras_are_refused_unless_allowed() {
        let report = reclaim_camera::ProbeReport {
            backend: Some("Video4Linux".into()),
            devices: vec![device(0, "Dummy video device (0x0000)", None, true)],
            error: None,
        };
        let refused = discover(&report, false);
        assert!(refused.desk.is_none());
        assert_eq!(refused.status, CameraStatus::RefusedVirtual);
        let json = serde_json::to_value(&refused.report).unwrap();
        assert_eq!(json["status"], "refusedVirtual");
        assert_eq!(json["devices"][0]["virtualMarker"], "dummy video device");
        let allowed = discover(&report, true);
        assert!(allowed.desk.is_some());
        assert_eq!(allowed.status, CameraStatus::Present);

        let mixed = reclaim_camera::ProbeReport {
            devices: vec![
                device(0, "OBS Virtual Camera", Some("v4l2 loopback"), true),
                device(2, "HD Pro Webcam C920", Some("uvcvideo"), false),
            ],
            ..report
        };
        let found = discover(&mixed, false);
        assert_eq!(found.status, CameraStatus::Present);
        assert_eq!(found.report.chosen.as_ref().map(|d| d.index), Some(2));
    }

    #[test]
    fn stages_map_to_scenes() {
        assert_eq!(scene_of_stage(CaptureStage::Back), Some(Scene::Document(DocumentSide::Back)));
        assert_eq!(scene_of_stage(CaptureStage::Uploading), None);
        assert_eq!(scene_of(Shot::Selfie), Scene::Selfie);
    }
}
