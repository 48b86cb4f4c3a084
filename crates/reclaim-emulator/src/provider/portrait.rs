//! Synthetic faces: a deterministic cartoon portrait per persona, for the card photo, the
//! `portrait` claim (JPEG, ≥200×200, ≤1 MB — contract §3) and the persona's "selfie".

use image::imageops::FilterType;
use image::{Rgb, RgbImage};
use sha2::{Digest, Sha256};

/// Width and height of the `portrait` claim JPEG.
pub const PORTRAIT_SIZE: (u32, u32) = (320, 400);

/// How a face is framed: the document photo (plain background) or a selfie (room background).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Document,
    Selfie,
}

/// A stable seed for a persona key, so every run draws the same face.
pub fn seed_for(key: &str) -> u64 {
    let digest = Sha256::digest(key.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(b)
}

const SKIN: [[u8; 3]; 6] = [
    [255, 224, 196],
    [241, 194, 158],
    [224, 172, 125],
    [198, 134, 92],
    [141, 85, 54],
    [98, 60, 38],
];
const HAIR: [[u8; 3]; 6] =
    [[35, 25, 20], [80, 50, 30], [150, 100, 50], [210, 170, 100], [120, 120, 120], [160, 50, 30]];
const EYES: [[u8; 3]; 4] = [[70, 50, 30], [60, 100, 150], [70, 120, 70], [40, 40, 40]];
const CLOTHES: [[u8; 3]; 6] =
    [[40, 60, 110], [120, 30, 40], [40, 90, 60], [70, 70, 80], [150, 110, 40], [90, 50, 120]];

/// Draws the face for `seed` at `w`×`h` (supersampled, then scaled down for smooth edges).
pub fn face(seed: u64, w: u32, h: u32, framing: Framing) -> RgbImage {
    let pick = |shift: u32, n: usize| ((seed >> shift) as usize) % n;
    let skin = Rgb(SKIN[pick(0, SKIN.len())]);
    let hair = Rgb(HAIR[pick(8, HAIR.len())]);
    let eye = Rgb(EYES[pick(16, EYES.len())]);
    let cloth = Rgb(CLOTHES[pick(24, CLOTHES.len())]);
    let long_hair = pick(32, 3) == 0;
    let face_wide = 0.30 + (pick(40, 5) as f32) * 0.012;

    let (sw, sh) = (w * 2, h * 2);
    let mut c = Canvas { img: RgbImage::new(sw, sh) };
    let (fw, fh) = (sw as f32, sh as f32);
    match framing {
        Framing::Document => {
            // Passport photos: plain light background, a soft vertical gradient.
            for y in 0..sh {
                let t = y as f32 / fh;
                let v = (236.0 - 18.0 * t) as u8;
                for x in 0..sw {
                    c.img.put_pixel(x, y, Rgb([v, v, v.saturating_add(6)]));
                }
            }
        }
        Framing::Selfie => {
            // A room: wall, a window, a door frame, so the selfie is not the document photo.
            let wall = Rgb([200 + pick(48, 40) as u8, 190, 170]);
            c.fill(0.0, 0.0, fw, fh, wall);
            c.fill(fw * 0.06, fh * 0.08, fw * 0.3, fh * 0.35, Rgb([170, 205, 235]));
            c.fill(fw * 0.7, fh * 0.05, fw * 0.95, fh * 0.7, Rgb([150, 110, 80]));
        }
    }
    let cx = fw / 2.0;
    let face_cy = fh * 0.42;
    let (frx, fry) = (fw * face_wide, fh * 0.25);
    // Hair behind the head (long hair reaches the shoulders).
    if long_hair {
        c.ellipse(cx, face_cy + fry * 0.25, frx * 1.3, fry * 1.3, hair);
    } else {
        c.ellipse(cx, face_cy - fry * 0.18, frx * 1.12, fry * 1.0, hair);
    }
    // Shoulders and neck.
    c.ellipse(cx, fh * 1.02, fw * 0.48, fh * 0.24, cloth);
    c.fill(cx - frx * 0.38, face_cy + fry * 0.6, cx + frx * 0.38, fh * 0.84, shade(skin, 0.9));
    // Ears, then the face.
    c.ellipse(cx - frx * 0.98, face_cy + fry * 0.05, frx * 0.14, fry * 0.2, shade(skin, 0.93));
    c.ellipse(cx + frx * 0.98, face_cy + fry * 0.05, frx * 0.14, fry * 0.2, shade(skin, 0.93));
    c.ellipse(cx, face_cy, frx, fry, skin);
    // Fringe over the forehead.
    c.ellipse_clip(cx, face_cy - fry * 0.85, frx * 1.02, fry * 0.45, hair, face_cy - fry * 0.55);
    // Eyes, brows, nose, mouth.
    for side in [-1.0f32, 1.0] {
        let ex = cx + side * frx * 0.38;
        let ey = face_cy - fry * 0.08;
        c.ellipse(ex, ey, frx * 0.17, fry * 0.075, Rgb([250, 250, 250]));
        c.ellipse(ex, ey, frx * 0.075, frx * 0.075, eye);
        c.ellipse(ex, ey, frx * 0.035, frx * 0.035, Rgb([15, 15, 15]));
        c.ellipse(ex, ey - fry * 0.17, frx * 0.2, fry * 0.035, shade(hair, 0.9));
    }
    c.ellipse(cx, face_cy + fry * 0.2, frx * 0.09, fry * 0.12, shade(skin, 0.85));
    c.ellipse(cx, face_cy + fry * 0.52, frx * 0.3, fry * 0.1, Rgb([170, 70, 70]));
    c.ellipse(cx, face_cy + fry * 0.46, frx * 0.32, fry * 0.08, skin);

    image::imageops::resize(&c.img, w, h, FilterType::Triangle)
}

/// The document photo as a JPEG: what the provider puts in the `portrait` claim.
pub fn portrait_jpeg(persona_key: &str) -> Vec<u8> {
    let (w, h) = PORTRAIT_SIZE;
    jpeg(&face(seed_for(persona_key), w, h, Framing::Document))
}

/// Width and height of a directory profile photo: one of Graph's documented photo sizes
/// (`microsoft-apis-v2.md` §3.3), square.
pub const PROFILE_PHOTO_SIZE: u32 = 360;

/// The directory profile photo (`GET /users/{id}/photo/$value`) as a JPEG: the same face as
/// `key`'s document photo, square.
pub fn profile_photo_jpeg(key: &str) -> Vec<u8> {
    profile_photo_jpeg_sized(key, PROFILE_PHOTO_SIZE)
}

/// The directory profile photo drawn at `size`×`size` (`GET /users/{id}/photos/{size}/$value`).
pub fn profile_photo_jpeg_sized(key: &str, size: u32) -> Vec<u8> {
    jpeg(&face(seed_for(key), size, size, Framing::Document))
}

/// The persona's selfie as a PNG (same face, different surroundings).
pub fn selfie_png(persona_key: &str) -> Vec<u8> {
    png(&face(seed_for(persona_key), 480, 640, Framing::Selfie))
}

/// Encodes as JPEG quality 88; an in-memory encode of an RGB buffer does not fail.
pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88);
    if let Err(e) = img.write_with_encoder(enc) {
        tracing::error!(error = %e, "JPEG encoding failed");
    }
    out
}

/// Encodes as PNG; an in-memory encode of an RGB buffer does not fail.
pub fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new(&mut out);
    if let Err(e) = img.write_with_encoder(enc) {
        tracing::error!(error = %e, "PNG encoding failed");
    }
    out
}

fn shade(c: Rgb<u8>, f: f32) -> Rgb<u8> {
    Rgb(c.0.map(|v| (f32::from(v) * f).clamp(0.0, 255.0) as u8))
}

/// Minimal filled-shape drawing on an RGB buffer.
pub(crate) struct Canvas {
    pub img: RgbImage,
}

impl Canvas {
    pub fn fill(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, c: Rgb<u8>) {
        let (w, h) = self.img.dimensions();
        let xs = (x0.max(0.0) as u32)..(x1.min(w as f32).max(0.0) as u32);
        for y in (y0.max(0.0) as u32)..(y1.min(h as f32).max(0.0) as u32) {
            for x in xs.clone() {
                self.img.put_pixel(x, y, c);
            }
        }
    }

    pub fn ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, c: Rgb<u8>) {
        self.ellipse_clip(cx, cy, rx, ry, c, f32::MAX);
    }

    /// A filled ellipse, only above `max_y`.
    pub fn ellipse_clip(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, c: Rgb<u8>, max_y: f32) {
        if rx <= 0.0 || ry <= 0.0 {
            return;
        }
        let (w, h) = self.img.dimensions();
        let y0 = (cy - ry).max(0.0) as u32;
        let y1 = (cy + ry).min(max_y).min(h as f32).max(0.0) as u32;
        let x0 = (cx - rx).max(0.0) as u32;
        let x1 = (cx + rx).min(w as f32).max(0.0) as u32;
        for y in y0..y1 {
            let dy = (y as f32 + 0.5 - cy) / ry;
            for x in x0..x1 {
                let dx = (x as f32 + 0.5 - cx) / rx;
                if dx * dx + dy * dy <= 1.0 {
                    self.img.put_pixel(x, y, c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portrait_meets_the_face_check_photo_rules() {
        let bytes = portrait_jpeg("ana");
        assert!(bytes.len() <= 1024 * 1024, "{} bytes", bytes.len());
        assert_eq!(image::guess_format(&bytes).ok(), Some(image::ImageFormat::Jpeg));
        let img = image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert!(img.width() >= 200 && img.height() >= 200);
    }

    #[test]
    fn faces_are_deterministic_and_differ_between_personas() {
        assert_eq!(portrait_jpeg("ana"), portrait_jpeg("ana"));
        let a = face(seed_for("ana"), 64, 80, Framing::Document);
        let b = face(seed_for("peter"), 64, 80, Framing::Document);
        let c = face(seed_for("liam"), 64, 80, Framing::Document);
        assert!(a != b || a != c, "three personas drew the same face");
    }
}
