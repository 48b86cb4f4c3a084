//! Hand and camera motion of the synthetic camera: a smooth, deterministic path per frame
//! number (slow sway plus tremor plus a pixel of noise), so consecutive frames differ like a
//! real camera's while a given seed always films the same sequence.
//!
//! Motion is whole-pixel translation only. The card is not rotated: the emulated provider reads
//! the card's QR with `rqrr`, which misses the test card's dense code at many small in-plane
//! rotations (about half of the angles between -1.5° and +1.5° at this scale, measured while
//! building this camera), and a synthetic capture must be readable whenever it is sharp.

use std::f32::consts::TAU;

/// Where things are in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pose {
    /// Camera shake: the whole scene moves by this many pixels (|x|, |y| ≤ `SHAKE_MAX`).
    pub shake: (i32, i32),
    /// The card's own movement in the document frame, on top of the shake.
    pub card: (i32, i32),
}

/// Largest camera shake in pixels; plates are rendered this much larger on every side.
pub(crate) const SHAKE_MAX: i32 = 3;

/// The motion path for one seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Motion {
    seed: u64,
    phases: [f32; 8],
}

impl Motion {
    pub(crate) fn new(seed: u64) -> Self {
        let mut phases = [0.0; 8];
        for (i, p) in phases.iter_mut().enumerate() {
            *p = (splitmix(seed ^ (i as u64 + 1)) % 10_000) as f32 / 10_000.0 * TAU;
        }
        Self { seed, phases }
    }

    /// The pose of frame `sequence` at a nominal 30 frames per second.
    pub(crate) fn pose(&self, sequence: u64) -> Pose {
        let t = sequence as f32 / 30.0;
        let p = &self.phases;
        let wave = |amp: f32, hz: f32, phase: f32| amp * (TAU * hz * t + phase).sin();
        let noise = splitmix(self.seed.wrapping_add(sequence.wrapping_mul(0x9E37_79B9)));
        let jitter = |bits: u32| ((noise >> bits) % 3) as f32 - 1.0;

        let shake_x = wave(2.0, 0.7, p[0]) + wave(1.0, 2.3, p[1]);
        let shake_y = wave(1.5, 0.9, p[2]) + wave(0.8, 2.9, p[3]);
        let card_x = wave(5.0, 0.31, p[4]) + wave(1.5, 1.7, p[5]) + jitter(0);
        let card_y = wave(3.5, 0.23, p[6]) + wave(1.2, 1.9, p[7]) + jitter(8);
        let clamp = |v: f32| (v.round() as i32).clamp(-SHAKE_MAX, SHAKE_MAX);
        Pose {
            shake: (clamp(shake_x), clamp(shake_y)),
            card: (card_x.round() as i32, card_y.round() as i32),
        }
    }
}

/// SplitMix64: a small, good-enough hash for motion and noise.
pub(crate) fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poses_stay_in_bounds_and_move() {
        let m = Motion::new(7);
        let poses: Vec<Pose> = (0..300).map(|s| m.pose(s)).collect();
        for p in &poses {
            assert!(p.shake.0.abs() <= SHAKE_MAX && p.shake.1.abs() <= SHAKE_MAX);
            assert!(p.card.0.abs() <= 8 && p.card.1.abs() <= 6, "{p:?}");
        }
        let distinct: std::collections::HashSet<_> =
            poses.iter().map(|p| (p.shake, p.card)).collect();
        assert!(distinct.len() > 50, "only {} distinct poses", distinct.len());
        assert_eq!(Motion::new(7).pose(42), m.pose(42), "deterministic per seed");
    }
}
