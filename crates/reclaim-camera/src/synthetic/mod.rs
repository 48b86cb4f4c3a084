//! `SyntheticCamera`: a camera that films given images — a test ID card's front and back lying
//! in the kiosk's document frame, or a face for the selfie — at 1280×720 with hand and camera
//! motion, sensor noise and an optional blur, so a capture is a real camera-like frame.
//!
//! Layers are pre-rendered once per scene (the shelf and tray, the card sprite, the
//! blurred or selfie stills); a frame is a crop of a plate, a blended card sprite and noise.

mod backdrop;
mod card_sprite;
mod face;
mod motion;
mod sensor_noise;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use image::RgbImage;
use image::imageops::FilterType;

pub use backdrop::{DOCUMENT_FRAME, FrameRect};
use card_sprite::Sprite;
use motion::{Motion, Pose, SHAKE_MAX};
use sensor_noise::SensorNoise;

use crate::error::CameraError;
use crate::frame::Frame;
use crate::source::{
    DocumentSide, FRAME_HEIGHT, FRAME_RATE, FRAME_WIDTH, FrameSource, Scene, SourceInfo,
    SourceKind, SourceState,
};

/// Gaussian blur (sigma, pixels) of the `blurred` option: enough that a provider cannot read the
/// card's code, as with a card held too close or moving.
pub const BLUR_SIGMA: f32 = 5.0;

/// The images the synthetic camera films, as PNG or JPEG bytes.
#[derive(Clone, Default)]
pub struct SyntheticImages {
    /// The document's front (e.g. the emulator's `/cards/{persona}.png`).
    pub front: Vec<u8>,
    /// The document's back (`/cards/{persona}-back.png`); a passport may reuse the front.
    pub back: Vec<u8>,
    /// The person's face for the selfie scene (`/cards/{persona}-selfie.png`); `None` draws a
    /// generic one.
    pub face: Option<Vec<u8>>,
}

impl std::fmt::Debug for SyntheticImages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyntheticImages")
            .field("front_bytes", &self.front.len())
            .field("back_bytes", &self.back.len())
            .field("face_bytes", &self.face.as_ref().map(Vec::len))
            .finish()
    }
}

/// How fast [`SyntheticCamera::next_frame`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// Like a camera: one frame per 1/30 s (`next_frame` sleeps until the next one is due).
    RealTime,
    /// As fast as frames can be rendered (tests, benchmarks).
    Unpaced,
}

/// What the synthetic camera shows; shared with [`SceneHandle`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SceneSettings {
    scene: Scene,
    blurred: bool,
}

/// Switches the scene of a [`SyntheticCamera`] from anywhere (another thread, a test, the demo
/// UI), also after the camera was moved into a [`crate::PreviewStream`].
#[derive(Debug, Clone)]
pub struct SceneHandle(Arc<Mutex<SceneSettings>>);

impl SceneHandle {
    fn lock(&self) -> MutexGuard<'_, SceneSettings> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Shows `scene` from the next frame on.
    pub fn set_scene(&self, scene: Scene) {
        self.lock().scene = scene;
    }

    /// Blurs (or sharpens) the picture from the next frame on.
    pub fn set_blurred(&self, blurred: bool) {
        self.lock().blurred = blurred;
    }

    /// The current scene.
    pub fn scene(&self) -> Scene {
        self.lock().scene
    }

    /// Whether the picture is blurred.
    pub fn is_blurred(&self) -> bool {
        self.lock().blurred
    }

    fn get(&self) -> SceneSettings {
        *self.lock()
    }
}

/// Layers rendered while the camera is open; dropped on release.
struct Plates {
    backdrop: RgbImage,
    noise: SensorNoise,
    sprites: HashMap<DocumentSide, Sprite>,
    stills: HashMap<SceneSettings, RgbImage>,
}

/// The synthetic camera. See the module documentation.
pub struct SyntheticCamera {
    front: RgbImage,
    back: RgbImage,
    face: RgbImage,
    settings: SceneHandle,
    pacing: Pacing,
    motion: Motion,
    seed: u64,
    sensor_noise: bool,
    state: SourceState,
    plates: Option<Plates>,
    opened_at: Instant,
    pace_anchor: (Instant, u64),
    sequence: u64,
}

impl SyntheticCamera {
    /// A camera filming these images (decoded once, here). Starts on the document front,
    /// sharp, paced in real time.
    pub fn new(images: &SyntheticImages) -> Result<Self, CameraError> {
        let decode = |bytes: &[u8], what: &'static str| {
            image::load_from_memory(bytes)
                .map(|i| i.to_rgb8())
                .map_err(|source| CameraError::ImageDecode { what, source })
        };
        let front = decode(&images.front, "card front")?;
        let back = decode(&images.back, "card back")?;
        let face = images.face.as_deref().map(|f| decode(f, "face")).transpose()?;
        Ok(Self::from_images(front, back, face))
    }

    /// A camera filming these pixels; `face: None` draws a generic face.
    pub fn from_images(front: RgbImage, back: RgbImage, face: Option<RgbImage>) -> Self {
        let seed = 0x5EC1_A1A0;
        Self {
            front: card_sprite::expose(card_sprite::fit_card(&front)),
            back: card_sprite::expose(card_sprite::fit_card(&back)),
            face: face.unwrap_or_else(|| face::render(480, 640)),
            settings: SceneHandle(Arc::new(Mutex::new(SceneSettings {
                scene: Scene::Document(DocumentSide::Front),
                blurred: false,
            }))),
            pacing: Pacing::RealTime,
            motion: Motion::new(seed),
            seed,
            sensor_noise: true,
            state: SourceState::Closed,
            plates: None,
            opened_at: Instant::now(),
            pace_anchor: (Instant::now(), 0),
            sequence: 0,
        }
    }

    /// Sets the pacing ([`Pacing::RealTime`] by default).
    #[must_use]
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.pacing = pacing;
        self
    }

    /// Sets the seed of the motion path and noise (the same seed films the same frames).
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self.motion = Motion::new(seed);
        self
    }

    /// Turns sensor noise on (default) or off.
    #[must_use]
    pub fn with_sensor_noise(mut self, on: bool) -> Self {
        self.sensor_noise = on;
        self
    }

    /// Starts on `scene` instead of the document front.
    #[must_use]
    pub fn with_scene(self, scene: Scene) -> Self {
        self.settings.set_scene(scene);
        self
    }

    /// A handle that switches this camera's scene, also once the camera has been moved away.
    pub fn scene_handle(&self) -> SceneHandle {
        self.settings.clone()
    }

    /// Shows `scene` from the next frame on.
    pub fn set_scene(&self, scene: Scene) {
        self.settings.set_scene(scene);
    }

    /// Blurs (or sharpens) the picture from the next frame on.
    pub fn set_blurred(&self, blurred: bool) {
        self.settings.set_blurred(blurred);
    }

    fn build_plates(&self) -> Plates {
        Plates {
            backdrop: backdrop::render(),
            noise: SensorNoise::new(FRAME_WIDTH, self.seed),
            sprites: HashMap::new(),
            stills: HashMap::new(),
        }
    }

    fn card(&self, side: DocumentSide) -> &RgbImage {
        match side {
            DocumentSide::Front => &self.front,
            DocumentSide::Back => &self.back,
        }
    }

    /// Renders what `want` needs and is not cached yet.
    fn prepare(&mut self, want: SceneSettings) {
        let Some(mut plates) = self.plates.take() else { return };
        match want {
            SceneSettings { scene: Scene::Document(side), blurred: false } => {
                plates.sprites.entry(side).or_insert_with(|| card_sprite::render(self.card(side)));
            }
            SceneSettings { scene: Scene::Empty, blurred: false } => {}
            _ if plates.stills.contains_key(&want) => {}
            _ => {
                let still = self.render_still(want, &plates.backdrop);
                plates.stills.insert(want, still);
            }
        }
        self.plates = Some(plates);
    }

    /// A scene without its own motion: the selfie, and every blurred scene.
    fn render_still(&self, want: SceneSettings, backdrop: &RgbImage) -> RgbImage {
        let (pw, ph) = backdrop::plate_size();
        let sharp = match want.scene {
            Scene::Selfie => cover(&self.face, pw, ph),
            Scene::Empty => backdrop.clone(),
            Scene::Document(side) => {
                let mut plate = backdrop.clone();
                let sprite = card_sprite::render(self.card(side));
                card_sprite::blit(&mut plate, pw, ph, &sprite, pw as i32 / 2, ph as i32 / 2);
                plate
            }
        };
        if want.blurred { image::imageops::fast_blur(&sharp, BLUR_SIGMA) } else { sharp }
    }

    fn compose(&self, want: SceneSettings, pose: Pose, plates: &Plates) -> Vec<u8> {
        let (pw, _) = backdrop::plate_size();
        let (sprite, plate) = match want {
            SceneSettings { scene: Scene::Document(side), blurred: false } => {
                (plates.sprites.get(&side), &plates.backdrop)
            }
            SceneSettings { scene: Scene::Empty, blurred: false } => (None, &plates.backdrop),
            _ => (None, plates.stills.get(&want).unwrap_or(&plates.backdrop)),
        };
        let (w, h) = (FRAME_WIDTH as usize, FRAME_HEIGHT as usize);
        let ox = (SHAKE_MAX + pose.shake.0) as usize;
        let oy = (SHAKE_MAX + pose.shake.1) as usize;
        let src = plate.as_raw();
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            let start = ((oy + y) * pw as usize + ox) * 3;
            rgb.extend_from_slice(&src[start..start + w * 3]);
        }
        if let Some(sprite) = sprite {
            let cx = FRAME_WIDTH as i32 / 2 - pose.shake.0 + pose.card.0;
            let cy = FRAME_HEIGHT as i32 / 2 - pose.shake.1 + pose.card.1;
            card_sprite::blit(&mut rgb, FRAME_WIDTH, FRAME_HEIGHT, sprite, cx, cy);
        }
        rgb
    }

    fn pace(&mut self) {
        if self.pacing == Pacing::Unpaced {
            return;
        }
        let interval = Duration::from_secs(1) / FRAME_RATE;
        let (anchor, anchor_seq) = self.pace_anchor;
        let frames = u32::try_from(self.sequence - anchor_seq).unwrap_or(u32::MAX);
        let due = anchor + interval.saturating_mul(frames);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        } else if now - due > interval {
            // Fell behind (a slow consumer): continue from now rather than burst.
            self.pace_anchor = (now, self.sequence);
        }
    }
}

/// How [`SyntheticCamera::render_staged`] films a scene: the picture faults the quality check
/// must catch. The default is what the live camera films (sharp, no glare, card centred at its
/// own size), without motion.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Staging {
    /// Gaussian blur of [`BLUR_SIGMA`] over the whole picture (out of focus, or moving).
    pub blurred: bool,
    /// A lamp's reflection on the card: a clipped white highlight about 220×150 pixels.
    pub glare: bool,
    /// The card moved this far (pixels) from the guide's centre.
    pub offset: (i32, i32),
    /// The card's size relative to its own (below 1: held too far away).
    pub scale: f32,
}

#[cfg(test)]
impl Default for Staging {
    fn default() -> Self {
        Self { blurred: false, glare: false, offset: (0, 0), scale: 1.0 }
    }
}

#[cfg(test)]
impl SyntheticCamera {
    /// One frame of `scene` filmed as `staging` says, with sensor noise (test-only: the unit
    /// tests of the quality check film sharp, blurred, glare and off-frame cards with it).
    pub(crate) fn render_staged(&self, scene: Scene, staging: Staging) -> Frame {
        let backdrop = backdrop::render();
        let (pw, ph) = backdrop::plate_size();
        let mut plate = match scene {
            Scene::Selfie => cover(&self.face, pw, ph),
            Scene::Empty => backdrop.clone(),
            Scene::Document(side) => {
                let card = self.card(side);
                let card = if (staging.scale - 1.0).abs() > f32::EPSILON {
                    let (w, h) = card.dimensions();
                    let (nw, nh) = (
                        ((w as f32 * staging.scale).round() as u32).max(1),
                        ((h as f32 * staging.scale).round() as u32).max(1),
                    );
                    image::imageops::resize(card, nw, nh, FilterType::CatmullRom)
                } else {
                    card.clone()
                };
                let sprite = card_sprite::render(&card);
                let mut plate = backdrop.clone();
                let (cx, cy) = (pw as i32 / 2 + staging.offset.0, ph as i32 / 2 + staging.offset.1);
                card_sprite::blit(&mut plate, pw, ph, &sprite, cx, cy);
                plate
            }
        };
        if staging.glare {
            // A specular highlight: clipped in its core, fading out over its rim.
            let (gx, gy, rx, ry) = (pw as f32 * 0.62, ph as f32 * 0.42, 110.0f32, 75.0f32);
            for (x, y, p) in plate.enumerate_pixels_mut() {
                let d = ((x as f32 - gx) / rx).powi(2) + ((y as f32 - gy) / ry).powi(2);
                let a = (1.6 - d).clamp(0.0, 1.0);
                if a > 0.0 {
                    p.0 = p.0.map(|c| (f32::from(c) + a * 400.0).min(255.0) as u8);
                }
            }
        }
        if staging.blurred {
            plate = image::imageops::fast_blur(&plate, BLUR_SIGMA);
        }
        let m = SHAKE_MAX as u32;
        let mut frame =
            image::imageops::crop_imm(&plate, m, m, FRAME_WIDTH, FRAME_HEIGHT).to_image();
        SensorNoise::new(FRAME_WIDTH, self.seed).apply(&mut frame, 7);
        Frame::from_image(frame, Duration::ZERO, 0)
    }
}

/// `img` scaled to cover `w`×`h` and centre-cropped.
fn cover(img: &RgbImage, w: u32, h: u32) -> RgbImage {
    let (iw, ih) = (img.width().max(1) as f32, img.height().max(1) as f32);
    let scale = (w as f32 / iw).max(h as f32 / ih);
    let (sw, sh) = (((iw * scale).ceil() as u32).max(w), ((ih * scale).ceil() as u32).max(h));
    let scaled = image::imageops::resize(img, sw, sh, FilterType::Triangle);
    image::imageops::crop_imm(&scaled, (sw - w) / 2, (sh - h) / 2, w, h).to_image()
}

impl FrameSource for SyntheticCamera {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: SourceKind::Synthetic,
            name: "Synthetic camera".to_owned(),
            width: FRAME_WIDTH,
            height: FRAME_HEIGHT,
            fps: FRAME_RATE,
        }
    }

    fn state(&self) -> SourceState {
        self.state
    }

    fn open(&mut self) -> Result<(), CameraError> {
        if self.state == SourceState::Open {
            return Ok(());
        }
        self.plates = Some(self.build_plates());
        self.opened_at = Instant::now();
        self.pace_anchor = (self.opened_at, 0);
        self.sequence = 0;
        self.state = SourceState::Open;
        Ok(())
    }

    fn next_frame(&mut self) -> Result<Frame, CameraError> {
        match self.state {
            SourceState::Closed => return Err(CameraError::NotOpen),
            SourceState::Released => return Err(CameraError::Released),
            SourceState::Open => {}
        }
        self.pace();
        let want = self.settings.get();
        let pose = self.motion.pose(self.sequence);
        self.prepare(want);
        let plates = self.plates.as_ref().ok_or(CameraError::NotOpen)?;
        let mut rgb = self.compose(want, pose, plates);
        if self.sensor_noise {
            plates.noise.apply(&mut rgb, self.sequence ^ self.seed);
        }
        let frame = Frame::from_rgb(
            FRAME_WIDTH,
            FRAME_HEIGHT,
            rgb,
            self.opened_at.elapsed(),
            self.sequence,
        )?;
        self.sequence += 1;
        Ok(frame)
    }

    fn release(&mut self) {
        if self.state == SourceState::Open {
            self.plates = None;
            self.state = SourceState::Released;
        }
    }

    fn cue(&mut self, scene: Scene) {
        self.settings.set_scene(scene);
    }
}

impl Drop for SyntheticCamera {
    fn drop(&mut self) {
        self.release();
    }
}

impl std::fmt::Debug for SyntheticCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyntheticCamera")
            .field("settings", &self.settings.get())
            .field("pacing", &self.pacing)
            .field("state", &self.state)
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera() -> SyntheticCamera {
        let card = RgbImage::from_pixel(1012, 638, image::Rgb([230, 230, 230]));
        SyntheticCamera::from_images(card.clone(), card, None).with_pacing(Pacing::Unpaced)
    }

    #[test]
    fn lifecycle_refuses_frames_unless_open() {
        let mut cam = camera();
        assert_eq!(cam.state(), SourceState::Closed);
        assert!(matches!(cam.next_frame(), Err(CameraError::NotOpen)));
        cam.open().unwrap_or_else(|e| panic!("{e}"));
        let f = cam.next_frame().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((f.width(), f.height(), f.sequence()), (1280, 720, 0));
        cam.release();
        cam.release();
        assert_eq!(cam.state(), SourceState::Released);
        assert!(cam.plates.is_none(), "release frees the rendered layers");
        assert!(matches!(cam.next_frame(), Err(CameraError::Released)));
        cam.open().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cam.next_frame().map(|f| f.sequence()).ok(), Some(0), "a new session");
    }

    #[test]
    fn real_time_pacing_delivers_about_thirty_frames_per_second() {
        let mut cam = camera().with_pacing(Pacing::RealTime);
        cam.open().unwrap_or_else(|e| panic!("{e}"));
        let t = Instant::now();
        for _ in 0..4 {
            cam.next_frame().unwrap_or_else(|e| panic!("{e}"));
        }
        // Frame 0 is due at once, frame 3 at 100 ms.
        assert!(t.elapsed() >= Duration::from_millis(95), "{:?}", t.elapsed());
    }

    #[test]
    fn bad_input_images_are_refused() {
        let images = SyntheticImages { front: b"nope".to_vec(), back: Vec::new(), face: None };
        assert!(matches!(
            SyntheticCamera::new(&images),
            Err(CameraError::ImageDecode { what: "card front", .. })
        ));
    }
}
