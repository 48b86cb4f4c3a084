//! The synthetic camera's still background: the kiosk's shelf seen from above, with the dark
//! document frame (a tray with corner marks) where the person lays their card. Rendered once,
//! larger than a frame by the camera-shake margin, then cropped per frame.

use image::{Rgb, RgbImage};

use super::motion::SHAKE_MAX;
use crate::source::{FRAME_HEIGHT, FRAME_WIDTH};

/// A rectangle in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// The document frame (tray) in the synthetic camera's 1280×720 frames, before shake. A UI
/// may outline it; the card lies inside it.
pub const DOCUMENT_FRAME: FrameRect = FrameRect { x: 108, y: 18, width: 1064, height: 684 };

/// Plate size: a frame plus the shake margin on every side.
pub(crate) fn plate_size() -> (u32, u32) {
    let m = SHAKE_MAX as u32;
    (FRAME_WIDTH + 2 * m, FRAME_HEIGHT + 2 * m)
}

const TRAY: [f32; 3] = [46.0, 52.0, 60.0];
const MARK: [f32; 3] = [196.0, 204.0, 214.0];

/// The shelf with the empty document frame.
pub(crate) fn render() -> RgbImage {
    let (w, h) = plate_size();
    let m = SHAKE_MAX as f32;
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let max_r2 = cx * cx + cy * cy;
    let tray = DOCUMENT_FRAME;
    let (tx0, ty0) = (tray.x as f32 + m, tray.y as f32 + m);
    let (tx1, ty1) = (tx0 + tray.width as f32, ty0 + tray.height as f32);
    let radius = 22.0;
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        // Light grey laminate with a faint grain and a lamp's fall-off towards the corners.
        let grain = ((fy * 0.045 + (fx * 0.004).sin() * 3.0).sin() * 4.0).round();
        let r2 = (fx - cx).powi(2) + (fy - cy).powi(2);
        let light = 1.0 - 0.28 * (r2 / max_r2);
        let mut c = [(178.0 + grain) * light, (172.0 + grain) * light, (160.0 + grain) * light];
        // The tray: a rounded dark rectangle with a soft rim.
        let d = rounded_rect_depth(fx, fy, (tx0, ty0, tx1, ty1), radius);
        if d > -3.0 {
            let a = ((d + 3.0) / 3.0).clamp(0.0, 1.0);
            let rim = if (0.0..4.0).contains(&d) { 18.0 } else { 0.0 };
            for i in 0..3 {
                c[i] = c[i] * (1.0 - a) + (TRAY[i] + rim) * a;
            }
        }
        // Corner marks inside the tray, where the card's corners go.
        if corner_mark(fx, fy, (tx0 + 9.0, ty0 + 9.0, tx1 - 9.0, ty1 - 9.0)) {
            c = MARK;
        }
        Rgb(c.map(|v| v.clamp(0.0, 255.0) as u8))
    })
}

/// How far inside a rounded rectangle the point is (negative outside), in pixels.
pub(crate) fn rounded_rect_depth(x: f32, y: f32, r: (f32, f32, f32, f32), radius: f32) -> f32 {
    let (x0, y0, x1, y1) = r;
    let (hx, hy) = ((x1 - x0) / 2.0, (y1 - y0) / 2.0);
    let (px, py) = ((x - (x0 + hx)).abs(), (y - (y0 + hy)).abs());
    let (qx, qy) = (px - (hx - radius), py - (hy - radius));
    let outside = (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt();
    let inside = qx.max(qy).min(0.0);
    -(outside + inside - radius)
}

/// L-shaped marks, 40 px long and 4 px thick, at the four corners of `r`.
fn corner_mark(x: f32, y: f32, r: (f32, f32, f32, f32)) -> bool {
    let (x0, y0, x1, y1) = r;
    let (len, t) = (40.0, 4.0);
    let near = |v: f32, edge: f32, inward: f32| {
        let d = (v - edge) * inward;
        (0.0..len).contains(&d)
    };
    let thick = |v: f32, edge: f32, inward: f32| {
        let d = (v - edge) * inward;
        (0.0..t).contains(&d)
    };
    [(x0, 1.0, y0, 1.0), (x1, -1.0, y0, 1.0), (x0, 1.0, y1, -1.0), (x1, -1.0, y1, -1.0)].iter().any(
        |&(ex, sx, ey, sy)| {
            (thick(y, ey, sy) && near(x, ex, sx)) || (thick(x, ex, sx) && near(y, ey, sy))
        },
    )
}
