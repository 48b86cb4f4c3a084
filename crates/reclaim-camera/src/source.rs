//! The `FrameSource` trait every camera implements (synthetic or real), and what it says about
//! itself: `SourceInfo`, `SourceKind`, `SourceState`, and the `Scene` the kiosk asks for.

use crate::error::CameraError;
use crate::frame::Frame;

/// Frame width the kiosk asks every camera for.
pub const FRAME_WIDTH: u32 = 1280;
/// Frame height the kiosk asks every camera for.
pub const FRAME_HEIGHT: u32 = 720;
/// Frame rate the kiosk asks every camera for.
pub const FRAME_RATE: u32 = 30;

/// A camera: open it, read frames, release it.
///
/// Lifecycle: `Closed` → [`open`](Self::open) → `Open` → [`release`](Self::release) →
/// `Released`. `release` frees the device (another program, or the next session, may open it)
/// and is idempotent; dropping a source releases it too. A released source refuses frames with
/// [`CameraError::Released`] until it is opened again.
///
/// Sources are `Send` so a preview thread can own one (see [`crate::PreviewStream`]).
pub trait FrameSource: Send + std::fmt::Debug {
    /// What this source is.
    fn info(&self) -> SourceInfo;

    /// Where the source is in its lifecycle.
    fn state(&self) -> SourceState;

    /// Opens the device and starts streaming. Opening an open source does nothing.
    fn open(&mut self) -> Result<(), CameraError>;

    /// The next frame; blocks until the camera delivers one (about 1/30 s).
    fn next_frame(&mut self) -> Result<Frame, CameraError>;

    /// Stops streaming and frees the device. Idempotent.
    fn release(&mut self);

    /// What the kiosk is about to ask the person to show. A real camera ignores it; the
    /// synthetic camera switches to that scene (the demo's stand-in for a person holding up
    /// their card).
    fn cue(&mut self, scene: Scene) {
        let _ = scene;
    }
}

/// Lifecycle state of a [`FrameSource`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    /// Created, never opened.
    Closed,
    /// Streaming.
    Open,
    /// Released: the device is free; frames are refused until the next `open`.
    Released,
}

/// Which kind of camera.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// The synthetic camera (demo mode and tests).
    Synthetic,
    /// A real camera, by backend index.
    Device {
        /// Index as the backend enumerates devices.
        index: u32,
    },
}

/// What a camera is and what it streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// Synthetic or a device.
    pub kind: SourceKind,
    /// Human name (the device's name, or "Synthetic camera").
    pub name: String,
    /// Frame width in pixels (requested until the device is open, then actual).
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
}

/// A side of an identity document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentSide {
    /// The front (photo, names, QR).
    Front,
    /// The back (machine-readable zone, QR).
    Back,
}

/// What is in front of the camera, or what the kiosk asks the person to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scene {
    /// A document side lying in the kiosk's document frame.
    Document(DocumentSide),
    /// The person's face.
    Selfie,
    /// Nothing: the empty document frame.
    Empty,
}

impl Scene {
    /// The provider capture API's image name for this scene (`front`, `back`, `selfie`), if any.
    pub fn upload_side(self) -> Option<&'static str> {
        match self {
            Self::Document(DocumentSide::Front) => Some("front"),
            Self::Document(DocumentSide::Back) => Some("back"),
            Self::Selfie => Some("selfie"),
            Self::Empty => None,
        }
    }
}
