//! `Frame`: one RGB picture from a camera, with its size, sequence number and timestamp.
//!
//! Frames may show a person's face or identity document, so the pixel buffer is zeroed when the
//! frame is dropped.

use std::time::Duration;

use image::RgbImage;
use zeroize::Zeroize as _;

use crate::error::CameraError;

/// One camera frame: 8-bit RGB, row-major, no padding (`width * height * 3` bytes).
pub struct Frame {
    image: RgbImage,
    timestamp: Duration,
    sequence: u64,
}

impl Frame {
    /// A frame from a raw RGB buffer; fails when `rgb` is not `width * height * 3` bytes.
    pub fn from_rgb(
        width: u32,
        height: u32,
        rgb: Vec<u8>,
        timestamp: Duration,
        sequence: u64,
    ) -> Result<Self, CameraError> {
        let len = rgb.len();
        let image = RgbImage::from_raw(width, height, rgb)
            .filter(|_| len == width as usize * height as usize * 3)
            .ok_or(CameraError::FrameSize { width, height, len })?;
        Ok(Self { image, timestamp, sequence })
    }

    /// A frame from an RGB image.
    pub fn from_image(image: RgbImage, timestamp: Duration, sequence: u64) -> Self {
        Self { image, timestamp, sequence }
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// Time since the camera was opened when this frame was taken (monotonic clock).
    pub fn timestamp(&self) -> Duration {
        self.timestamp
    }

    /// Frame number since the camera was opened, from 0.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The pixels, RGB8 row-major.
    pub fn rgb(&self) -> &[u8] {
        self.image.as_raw()
    }

    /// The pixels as an [`image`] buffer.
    pub fn image(&self) -> &RgbImage {
        &self.image
    }

    /// The pixels as RGBA8 (alpha 255), e.g. for a canvas `ImageData`.
    pub fn to_rgba(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.image.as_raw().len() / 3 * 4);
        for px in self.image.as_raw().chunks_exact(3) {
            out.extend_from_slice(&[px[0], px[1], px[2], 255]);
        }
        out
    }
}

impl Clone for Frame {
    fn clone(&self) -> Self {
        Self { image: self.image.clone(), timestamp: self.timestamp, sequence: self.sequence }
    }
}

impl std::fmt::Debug for Frame {
    // Never the pixels.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width())
            .field("height", &self.height())
            .field("timestamp", &self.timestamp)
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        let mut pixels = std::mem::take(&mut self.image).into_raw();
        pixels.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_rgb_checks_the_length() {
        assert!(Frame::from_rgb(2, 2, vec![0; 12], Duration::ZERO, 0).is_ok());
        assert!(matches!(
            Frame::from_rgb(2, 2, vec![0; 11], Duration::ZERO, 0),
            Err(CameraError::FrameSize { len: 11, .. })
        ));
        assert!(Frame::from_rgb(2, 2, vec![0; 13], Duration::ZERO, 0).is_err());
    }

    #[test]
    fn rgba_adds_opaque_alpha() {
        let f = Frame::from_rgb(1, 2, vec![1, 2, 3, 4, 5, 6], Duration::ZERO, 7)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.to_rgba(), vec![1, 2, 3, 255, 4, 5, 6, 255]);
        assert_eq!(f.sequence(), 7);
    }
}
