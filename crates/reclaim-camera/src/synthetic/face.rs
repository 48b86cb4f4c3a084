//! A simple generated face for the selfie scene when no face image is given: a head and
//! shoulders in front of a wall, drawn with ellipses. It is not anyone, and carries no code.

use image::{Rgb, RgbImage};

/// A head-and-shoulders picture, `width`×`height`, the face centred in the upper half.
pub(crate) fn render(width: u32, height: u32) -> RgbImage {
    let (w, h) = (width as f32, height as f32);
    let (cx, cy) = (w / 2.0, h * 0.45);
    let (frx, fry) = (h * 0.19, h * 0.25);
    let inside = |x: f32, y: f32, ex: f32, ey: f32, rx: f32, ry: f32| {
        ((x - ex) / rx).powi(2) + ((y - ey) / ry).powi(2) <= 1.0
    };
    RgbImage::from_fn(width, height, |x, y| {
        let (x, y) = (x as f32 + 0.5, y as f32 + 0.5);
        let eye_y = cy - fry * 0.12;
        let eye_dx = frx * 0.38;
        let c: [u8; 3] = if inside(x, y, cx - eye_dx, eye_y, frx * 0.07, fry * 0.05)
            || inside(x, y, cx + eye_dx, eye_y, frx * 0.07, fry * 0.05)
        {
            [40, 30, 25]
        } else if inside(x, y, cx - eye_dx, eye_y, frx * 0.16, fry * 0.08)
            || inside(x, y, cx + eye_dx, eye_y, frx * 0.16, fry * 0.08)
        {
            [245, 245, 240]
        } else if inside(x, y, cx, cy + fry * 0.45, frx * 0.32, fry * 0.07) && y > cy + fry * 0.43 {
            [150, 60, 60]
        } else if inside(x, y, cx, cy + fry * 0.12, frx * 0.08, fry * 0.16) {
            [205, 150, 115]
        } else if inside(x, y, cx, cy, frx, fry) {
            [224, 172, 130]
        } else if inside(x, y, cx, cy - fry * 0.3, frx * 1.12, fry * 0.9) {
            [70, 45, 30]
        } else if inside(x, y, cx, h * 1.08, w * 0.42, h * 0.38) {
            [45, 70, 120]
        } else if inside(x, y, cx, cy + fry * 0.9, frx * 0.45, fry * 0.6) {
            [210, 160, 120]
        } else {
            // Wall: a soft vertical gradient.
            let v = 215.0 - 30.0 * (y / h);
            [v as u8, (v - 8.0) as u8, (v - 22.0) as u8]
        };
        Rgb(c)
    })
}
