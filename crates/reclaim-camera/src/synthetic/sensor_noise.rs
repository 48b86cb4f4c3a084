//! Sensor noise for synthetic frames: a pre-computed table of small signed offsets, added to each
//! frame at a frame-dependent offset, so still scenes flicker like a real sensor (and encode to
//! realistic JPEG sizes) for about one addition per byte.

use super::motion::splitmix;

const ROWS: usize = 61;
const EXTRA_PIXELS: usize = 97;

/// The noise table for frames `width` pixels wide.
#[derive(Debug)]
pub(crate) struct SensorNoise {
    stride: usize,
    row_bytes: usize,
    table: Vec<i8>,
}

impl SensorNoise {
    pub(crate) fn new(width: u32, seed: u64) -> Self {
        let row_bytes = width as usize * 3;
        let stride = row_bytes + EXTRA_PIXELS * 3;
        let table = (0..stride * ROWS)
            .map(|i| {
                let r = splitmix(seed ^ i as u64);
                // Sum of two small uniforms: a triangular distribution in -4..=4.
                ((r & 7) as i8 - 4 + ((r >> 8) & 7) as i8 - 3).clamp(-4, 4)
            })
            .collect();
        Self { stride, row_bytes, table }
    }

    /// Adds the noise for frame `sequence` to an RGB buffer of this width.
    pub(crate) fn apply(&self, rgb: &mut [u8], sequence: u64) {
        let r = splitmix(sequence.wrapping_mul(0xA24B_AED4_963E_E407));
        let ox = (r as usize % EXTRA_PIXELS) * 3;
        let oy = (r >> 32) as usize % ROWS;
        for (y, row) in rgb.chunks_exact_mut(self.row_bytes).enumerate() {
            let start = ((y + oy) % ROWS) * self.stride + ox;
            let noise = &self.table[start..start + self.row_bytes];
            for (p, n) in row.iter_mut().zip(noise) {
                *p = p.saturating_add_signed(*n);
            }
        }
    }
}
