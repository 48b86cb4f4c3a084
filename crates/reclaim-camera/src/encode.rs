//! JPEG encoding of frames: `capture_jpeg` for the provider's capture API (full resolution, high
//! quality) and `PreviewEncoder` for streaming a live preview to the kiosk's webview (smaller,
//! faster, lower quality).

use std::time::Duration;

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, RgbImage};
use zeroize::Zeroize as _;

use crate::error::CameraError;
use crate::frame::Frame;
use crate::quality::{Check, FrameQuality};

/// JPEG quality of captures uploaded to the provider.
pub const CAPTURE_JPEG_QUALITY: u8 = 92;

/// A frame as a JPEG for the provider's capture API (`PUT …/images/{front|back|selfie}`):
/// full resolution, quality [`CAPTURE_JPEG_QUALITY`].
pub fn capture_jpeg(frame: &Frame) -> Result<Vec<u8>, CameraError> {
    encode_jpeg(frame.rgb(), frame.width(), frame.height(), CAPTURE_JPEG_QUALITY)
}

/// RGB8 pixels as a baseline JPEG at `quality` (1–100).
pub fn encode_jpeg(
    rgb: &[u8],
    width: u32,
    height: u32,
    quality: u8,
) -> Result<Vec<u8>, CameraError> {
    // Compressed size is well under a tenth of the raw size at these qualities.
    let mut out = Vec::with_capacity(rgb.len() / 8);
    JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .encode(rgb, width, height, ExtendedColorType::Rgb8)
        .map_err(CameraError::Encode)?;
    Ok(out)
}

/// Resolution of preview frames relative to camera frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewScale {
    /// Camera resolution (1280×720).
    Full,
    /// Half width and height (640×360), by 2×2 averaging: a quarter of the pixels to encode and
    /// send.
    Half,
}

/// Encodes frames as preview JPEGs for the webview.
#[derive(Debug, Clone)]
pub struct PreviewEncoder {
    quality: u8,
    scale: PreviewScale,
}

impl Default for PreviewEncoder {
    /// 640×360 at quality 70: about 40 kB a frame, and encoding takes a fraction of a core at
    /// 30 fps on the 2-core kiosk; full resolution costs almost a whole core (see
    /// `bench/README.md`, "Camera preview").
    fn default() -> Self {
        Self::new(PreviewScale::Half, 70)
    }
}

impl PreviewEncoder {
    /// An encoder at this scale and JPEG quality (1–100).
    pub fn new(scale: PreviewScale, quality: u8) -> Self {
        Self { quality: quality.clamp(1, 100), scale }
    }

    /// The JPEG quality.
    pub fn quality(&self) -> u8 {
        self.quality
    }

    /// The scale.
    pub fn scale(&self) -> PreviewScale {
        self.scale
    }

    /// One preview frame.
    pub fn encode(&self, frame: &Frame) -> Result<PreviewFrame, CameraError> {
        self.encode_checked(frame, None)
    }

    /// One preview frame with the quality check `check` run on it (on the half-size frame the
    /// encoder makes anyway).
    pub fn encode_checked(
        &self,
        frame: &Frame,
        check: Option<Check>,
    ) -> Result<PreviewFrame, CameraError> {
        let quality;
        let (jpeg, width, height) = match self.scale {
            PreviewScale::Full => {
                quality = check.map(|c| crate::quality::assess(frame.image(), c));
                (
                    encode_jpeg(frame.rgb(), frame.width(), frame.height(), self.quality)?,
                    frame.width(),
                    frame.height(),
                )
            }
            PreviewScale::Half => {
                let mut half = half_size(frame.image());
                quality = check.map(|c| crate::quality::assess(&half, c));
                let jpeg = encode_jpeg(half.as_raw(), half.width(), half.height(), self.quality);
                let (w, h) = half.dimensions();
                let mut raw = std::mem::take(&mut half).into_raw();
                raw.zeroize();
                (jpeg?, w, h)
            }
        };
        Ok(PreviewFrame {
            jpeg,
            width,
            height,
            sequence: frame.sequence(),
            timestamp: frame.timestamp(),
            quality,
        })
    }
}

/// Half width and height by averaging 2×2 blocks (odd last row/column dropped).
pub(crate) fn half_size(img: &RgbImage) -> RgbImage {
    let (w, h) = (img.width() / 2, img.height() / 2);
    let src = img.as_raw();
    let stride = img.width() as usize * 3;
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h as usize {
        let top = &src[2 * y * stride..][..stride];
        let bottom = &src[(2 * y + 1) * stride..][..stride];
        for x in 0..w as usize {
            for c in 0..3 {
                let i = 6 * x + c;
                let sum = u16::from(top[i])
                    + u16::from(top[i + 3])
                    + u16::from(bottom[i])
                    + u16::from(bottom[i + 3]);
                out.push(((sum + 2) / 4) as u8);
            }
        }
    }
    RgbImage::from_raw(w, h, out).unwrap_or_default()
}

/// One encoded preview frame. The JPEG may show a face or a document, so it is zeroed on drop;
/// take it out with [`PreviewFrame::into_jpeg`] to hand it on.
pub struct PreviewFrame {
    /// The JPEG bytes.
    pub jpeg: Vec<u8>,
    /// Width of the JPEG.
    pub width: u32,
    /// Height of the JPEG.
    pub height: u32,
    /// Sequence number of the camera frame.
    pub sequence: u64,
    /// Timestamp of the camera frame.
    pub timestamp: Duration,
    /// The local quality check's verdict on this frame ([`crate::quality`]), when asked for.
    pub quality: Option<FrameQuality>,
}

impl PreviewFrame {
    /// Size of the JPEG in bytes.
    pub fn len(&self) -> usize {
        self.jpeg.len()
    }

    /// Whether the JPEG is empty (never, for an encoded frame).
    pub fn is_empty(&self) -> bool {
        self.jpeg.is_empty()
    }

    /// The JPEG bytes, moved out.
    pub fn into_jpeg(mut self) -> Vec<u8> {
        std::mem::take(&mut self.jpeg)
    }
}

impl std::fmt::Debug for PreviewFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviewFrame")
            .field("bytes", &self.jpeg.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

impl Drop for PreviewFrame {
    fn drop(&mut self) {
        self.jpeg.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        let img = RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
        Frame::from_image(img, Duration::from_millis(5), 3)
    }

    #[test]
    fn capture_and_preview_decode_back_at_their_sizes() {
        let f = frame();
        let jpeg = capture_jpeg(&f).unwrap_or_else(|e| panic!("{e}"));
        let back = image::load_from_memory(&jpeg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((back.width(), back.height()), (64, 48));
        let p = PreviewEncoder::new(PreviewScale::Half, 60)
            .encode(&f)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.width, p.height, p.sequence), (32, 24, 3));
        let back = image::load_from_memory(&p.jpeg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((back.width(), back.height()), (32, 24));
        assert!(!p.is_empty());
        assert_eq!(p.len(), p.into_jpeg().len());
    }

    #[test]
    fn half_size_averages_blocks() {
        let img = RgbImage::from_raw(2, 2, vec![0, 0, 0, 4, 4, 4, 8, 8, 8, 12, 12, 12])
            .unwrap_or_default();
        assert_eq!(half_size(&img).as_raw(), &vec![6, 6, 6]);
    }
}
