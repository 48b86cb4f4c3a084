//! `CameraError`: every way opening, reading, releasing or encoding a camera can fail.
//!
//! Messages never carry frame contents or personal data, so they may be logged as they are.

/// Why a camera operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CameraError {
    /// `next_frame` before `open`.
    #[error("the camera is not open")]
    NotOpen,
    /// The camera was released (session wipe or drop); open it again for a new session.
    #[error("the camera has been released")]
    Released,
    /// This build has no real-camera backend (the `nokhwa` cargo feature is off).
    #[error("no camera backend in this build (cargo feature `nokhwa` is off)")]
    BackendUnavailable,
    /// No camera at this index.
    #[error("no camera at index {0}")]
    NoSuchDevice(u32),
    /// The device or its driver refused (busy, unplugged, unsupported format, …).
    #[error("camera device error: {0}")]
    Device(String),
    /// The device stopped delivering frames (unplugged, or its capture thread ended).
    #[error("the camera stopped delivering frames")]
    Disconnected,
    /// An input image (card front/back, face) is not a PNG or JPEG this crate can decode.
    #[error("cannot decode the {what} image: {source}")]
    ImageDecode {
        /// Which input: `"card front"`, `"card back"`, `"face"`.
        what: &'static str,
        /// The decoder's error.
        #[source]
        source: image::ImageError,
    },
    /// A frame buffer whose length does not fit its width and height.
    #[error("frame buffer of {len} bytes does not hold {width}x{height} RGB pixels")]
    FrameSize {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// Buffer length in bytes.
        len: usize,
    },
    /// JPEG encoding failed.
    #[error("JPEG encoding failed: {0}")]
    Encode(#[source] image::ImageError),
    /// The preview stream has stopped (its source failed or it was stopped).
    #[error("the preview stream has stopped")]
    StreamStopped,
}
