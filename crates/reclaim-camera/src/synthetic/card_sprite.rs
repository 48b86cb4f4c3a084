//! The card as the camera sees it: scaled into the document frame, with rounded corners and a
//! soft shadow, as an RGBA sprite rendered once per side and alpha-blended onto each frame.

use image::RgbImage;
use image::imageops::FilterType;

use super::backdrop::rounded_rect_depth;

/// A larger card is scaled down to fit this box (pixels), keeping its aspect ratio; a smaller
/// one is filmed as it is. The emulator's test cards (1012×638) fit exactly, so their 5 px QR
/// modules reach the frame unresampled: `rqrr`, which the emulated provider reads codes with,
/// misses the code on a fifth to a half of the cards at some scales (measured: 760, 784, 856,
/// 964 px wide) but read every card at its own size.
pub(crate) const CARD_FIT: (u32, u32) = (1012, 640);
const CORNER_RADIUS: f32 = 22.0;
const SHADOW_OFFSET: (f32, f32) = (6.0, 9.0);
const SHADOW_SOFTNESS: f32 = 16.0;
const SHADOW_OPACITY: f32 = 0.45;

/// An RGBA image with straight (not premultiplied) alpha.
#[derive(Debug)]
pub(crate) struct Sprite {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// How bright the card is filmed: a camera exposing for the card keeps its paper white below
/// clipping (255 becomes 230), so only a reflection clips (the quality check's glare).
pub(crate) const EXPOSURE: f32 = 0.9;

/// The card as the camera exposes it ([`EXPOSURE`]).
pub(crate) fn expose(mut img: RgbImage) -> RgbImage {
    for v in img.iter_mut() {
        *v = (f32::from(*v) * EXPOSURE).round() as u8;
    }
    img
}

/// `img` scaled to fit [`CARD_FIT`].
pub(crate) fn fit_card(img: &RgbImage) -> RgbImage {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return RgbImage::new(1, 1);
    }
    if w <= CARD_FIT.0 && h <= CARD_FIT.1 {
        // The emulator's cards (1012×638, 300 dpi) are filmed at their own size, unresampled.
        return img.clone();
    }
    let scale = (CARD_FIT.0 as f32 / w as f32).min(CARD_FIT.1 as f32 / h as f32);
    let (nw, nh) =
        (((w as f32 * scale).round() as u32).max(1), ((h as f32 * scale).round() as u32).max(1));
    image::imageops::resize(img, nw, nh, FilterType::CatmullRom)
}

/// The card with rounded corners on a transparent ground, with its shadow.
pub(crate) fn render(card: &RgbImage) -> Sprite {
    let (cw, ch) = card.dimensions();
    let pad = (SHADOW_OFFSET.0.max(SHADOW_OFFSET.1) + SHADOW_SOFTNESS) as u32 + 2;
    let (width, height) = (cw + 2 * pad, ch + 2 * pad);
    let rect = (0.0, 0.0, cw as f32, ch as f32);
    let mut rgba = Vec::with_capacity(width as usize * height as usize * 4);
    for y in 0..height {
        for x in 0..width {
            // Card coordinates of this sprite pixel's centre.
            let (u, v) = (x as f32 - pad as f32 + 0.5, y as f32 - pad as f32 + 0.5);
            let a = (rounded_rect_depth(u, v, rect, CORNER_RADIUS) + 0.5).clamp(0.0, 1.0);
            let (su, sv) = (u - SHADOW_OFFSET.0, v - SHADOW_OFFSET.1);
            let s = ((rounded_rect_depth(su, sv, rect, CORNER_RADIUS) + SHADOW_SOFTNESS / 2.0)
                / SHADOW_SOFTNESS)
                .clamp(0.0, 1.0)
                * SHADOW_OPACITY;
            let alpha = a + s * (1.0 - a);
            if alpha <= 0.0 {
                rgba.extend_from_slice(&[0, 0, 0, 0]);
                continue;
            }
            let c = if a > 0.0 {
                let px = card.get_pixel(
                    (x.saturating_sub(pad)).min(cw - 1),
                    (y.saturating_sub(pad)).min(ch - 1),
                );
                px.0.map(f32::from)
            } else {
                [0.0; 3]
            };
            // Card over a black shadow, un-premultiplied.
            let px = c.map(|ch| (ch * a / alpha).round().clamp(0.0, 255.0) as u8);
            rgba.extend_from_slice(&[px[0], px[1], px[2], (alpha * 255.0).round() as u8]);
        }
    }
    Sprite { width, height, rgba }
}

/// Blends `sprite` onto an RGB buffer (`width`×`height`) with its centre at (`cx`, `cy`).
pub(crate) fn blit(dst: &mut [u8], width: u32, height: u32, sprite: &Sprite, cx: i32, cy: i32) {
    let x0 = cx - (sprite.width / 2) as i32;
    let y0 = cy - (sprite.height / 2) as i32;
    let sw = sprite.width as usize;
    for sy in 0..sprite.height as i32 {
        let y = y0 + sy;
        if y < 0 || y >= height as i32 {
            continue;
        }
        // Horizontal clip.
        let first = (-x0).max(0) as usize;
        let last = ((width as i32 - x0).min(sprite.width as i32)).max(0) as usize;
        if first >= last {
            continue;
        }
        let src_row = &sprite.rgba[sy as usize * sw * 4..(sy as usize + 1) * sw * 4];
        let dst_start = (y as usize * width as usize + (x0 + first as i32) as usize) * 3;
        let dst_row = &mut dst[dst_start..dst_start + (last - first) * 3];
        for (d, s) in dst_row.chunks_exact_mut(3).zip(src_row[first * 4..last * 4].chunks_exact(4))
        {
            match s[3] {
                0 => {}
                255 => d.copy_from_slice(&s[..3]),
                a => {
                    let a = u16::from(a);
                    for i in 0..3 {
                        let v = u16::from(d[i]) * (255 - a) + u16::from(s[i]) * a + 127;
                        d[i] = (v / 255) as u8;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn sprite_is_opaque_inside_and_clear_at_the_edge() {
        let card = RgbImage::from_pixel(200, 120, Rgb([200, 10, 10]));
        let s = render(&card);
        let px = |x: u32, y: u32| {
            let i = ((y * s.width + x) * 4) as usize;
            [s.rgba[i], s.rgba[i + 1], s.rgba[i + 2], s.rgba[i + 3]]
        };
        assert_eq!(px(s.width / 2, s.height / 2), [200, 10, 10, 255]);
        assert_eq!(px(0, 0)[3], 0);
        let mut frame = vec![0u8; 300 * 200 * 3];
        blit(&mut frame, 300, 200, &s, 150, 100);
        assert_eq!(&frame[(100 * 300 + 150) * 3..][..3], &[200, 10, 10]);
        // Clipped at every border without panicking.
        blit(&mut frame, 300, 200, &s, -50, -50);
        blit(&mut frame, 300, 200, &s, 350, 250);
    }
}
