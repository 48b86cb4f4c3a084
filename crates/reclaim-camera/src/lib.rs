//! The kiosk camera behind a trait, free of Tauri: a [`FrameSource`] (open, next frame,
//! release) implemented by the [`SyntheticCamera`] (demo mode and tests: it films a test ID card
//! lying in the document frame, or a face) and, with the `nokhwa` feature, by a real webcam
//! ([`open_device`]); [`probe`] says which cameras exist; [`capture_jpeg`] encodes a frame for
//! the provider's capture API and [`PreviewEncoder`] / [`PreviewStream`] stream a live preview.
//!
//! ```no_run
//! use std::ops::ControlFlow;
//! use reclaim_camera::{
//!     DocumentSide, PreviewEncoder, PreviewStream, Scene, SyntheticCamera, SyntheticImages,
//! };
//! # fn main() -> Result<(), reclaim_camera::CameraError> {
//! # let images = SyntheticImages::default();
//! let camera = SyntheticCamera::new(&images)?;
//! let stream = PreviewStream::start(Box::new(camera), PreviewEncoder::default(), |preview| {
//!     // send preview.into_jpeg() to the webview
//!     ControlFlow::Continue(())
//! })?;
//! stream.cue(Scene::Document(DocumentSide::Front));
//! let front_jpeg = stream.capture_jpeg()?; // PUT …/images/front
//! let camera = stream.stop(); // released; reopen it for the next session
//! # Ok(()) }
//! ```

#[cfg(feature = "nokhwa")]
mod device;
mod encode;
mod error;
mod frame;
mod preview_stream;
mod probe;
pub mod quality;
mod source;
mod synthetic;

#[cfg(feature = "nokhwa")]
pub use device::DeviceCamera;
pub use encode::{
    CAPTURE_JPEG_QUALITY, PreviewEncoder, PreviewFrame, PreviewScale, capture_jpeg, encode_jpeg,
};
pub use error::CameraError;
pub use frame::Frame;
pub use preview_stream::{CAPTURE_TIMEOUT, PreviewStats, PreviewStream, QUALITY_INTERVAL};
pub use probe::{
    CameraChoice, DeviceInfo, ProbeReport, VIRTUAL_CAMERA_MARKERS, open_device, probe,
    sysfs_identity, virtual_marker,
};
pub use quality::{
    Advice, CARD_GUIDE, Check, FACE_GUIDE, FrameQuality, Guide, QualityMetrics, advise, assess,
    measure,
};
pub use source::{
    DocumentSide, FRAME_HEIGHT, FRAME_RATE, FRAME_WIDTH, FrameSource, Scene, SourceInfo,
    SourceKind, SourceState,
};
pub use synthetic::{
    BLUR_SIGMA, DOCUMENT_FRAME, FrameRect, Pacing, SceneHandle, SyntheticCamera, SyntheticImages,
};
