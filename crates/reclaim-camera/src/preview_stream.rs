//! `PreviewStream`: a camera running on its own thread and a preview encoder on another, so
//! rendering or decoding a frame and JPEG-encoding the previous one overlap on two cores. The
//! newest frame is kept for a capture; the encoder always takes the newest frame and skips any it
//! could not keep up with (a live preview never lags behind).

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::encode::{PreviewEncoder, PreviewFrame};
use crate::error::CameraError;
use crate::frame::Frame;
use crate::source::{FrameSource, Scene};

/// How long [`PreviewStream::capture`] waits for a fresh frame before giving up.
pub const CAPTURE_TIMEOUT: Duration = Duration::from_secs(3);

/// How often the encoder thread runs the quality check ([`crate::quality`]); frames in between
/// carry the last verdict (10 checks a second are live enough, and cost a third of 30).
pub const QUALITY_INTERVAL: Duration = Duration::from_millis(100);

const CHECK_DOCUMENT: u8 = 1;
const CHECK_SELFIE: u8 = 2;

/// Counters of a running stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviewStats {
    /// Frames read from the camera.
    pub captured: u64,
    /// Preview frames encoded and handed to the sink.
    pub previews: u64,
    /// Total bytes of those preview JPEGs.
    pub preview_bytes: u64,
    /// Since the stream started.
    pub elapsed: Duration,
}

impl PreviewStats {
    /// Preview frames per second so far.
    pub fn preview_fps(&self) -> f64 {
        self.previews as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Camera frames per second so far.
    pub fn capture_fps(&self) -> f64 {
        self.captured as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Mean bytes per preview frame.
    pub fn bytes_per_preview(&self) -> f64 {
        self.preview_bytes as f64 / (self.previews.max(1)) as f64
    }
}

#[derive(Default)]
struct Slot {
    frame: Option<Arc<Frame>>,
    /// The cue epoch that was applied before this frame was taken.
    epoch: u64,
    failure: Option<String>,
    ended: bool,
}

struct Shared {
    slot: Mutex<Slot>,
    fresh: Condvar,
    stop: AtomicBool,
    cue: Mutex<Option<Scene>>,
    cue_epoch: AtomicU64,
    /// The quality check the newest cue asks for (0 none, 1 document, 2 selfie).
    check: AtomicU8,
    captured: AtomicU64,
    previews: AtomicU64,
    preview_bytes: AtomicU64,
    started: Instant,
}

impl Shared {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn end(&self, failure: Option<String>) {
        let mut slot = self.slot();
        slot.ended = true;
        if slot.failure.is_none() {
            slot.failure = failure;
        }
        drop(slot);
        self.fresh.notify_all();
    }
}

/// Marks the stream ended even if a thread panics.
struct EndOnDrop(Arc<Shared>);

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        self.0.end(None);
    }
}

/// A running camera with a live preview. See the module documentation.
///
/// Dropping the stream (or [`stop`](Self::stop)) stops both threads and releases the camera.
pub struct PreviewStream {
    shared: Arc<Shared>,
    capture_thread: Option<JoinHandle<Box<dyn FrameSource>>>,
    encode_thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PreviewStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviewStream").field("stats", &self.stats()).finish_non_exhaustive()
    }
}

impl PreviewStream {
    /// Opens `source` (here, so a missing camera is reported at once) and starts streaming:
    /// every preview frame goes to `sink`, on the encoder thread, until `sink` answers
    /// `ControlFlow::Break` or the stream is stopped.
    pub fn start<F>(
        mut source: Box<dyn FrameSource>,
        encoder: PreviewEncoder,
        sink: F,
    ) -> Result<Self, CameraError>
    where
        F: FnMut(PreviewFrame) -> ControlFlow<()> + Send + 'static,
    {
        source.open()?;
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::default()),
            fresh: Condvar::new(),
            stop: AtomicBool::new(false),
            cue: Mutex::new(None),
            cue_epoch: AtomicU64::new(0),
            check: AtomicU8::new(CHECK_DOCUMENT),
            captured: AtomicU64::new(0),
            previews: AtomicU64::new(0),
            preview_bytes: AtomicU64::new(0),
            started: Instant::now(),
        });
        let spawn_error = |e: std::io::Error| CameraError::Device(format!("thread: {e}"));
        let s = Arc::clone(&shared);
        let capture_thread = std::thread::Builder::new()
            .name("camera-capture".into())
            .spawn(move || capture_loop(source, &s))
            .map_err(spawn_error)?;
        let s = Arc::clone(&shared);
        let encode_thread = std::thread::Builder::new()
            .name("camera-preview".into())
            .spawn(move || encode_loop(&encoder, sink, &s));
        let mut stream = Self { shared, capture_thread: Some(capture_thread), encode_thread: None };
        stream.encode_thread = Some(encode_thread.map_err(spawn_error)?);
        Ok(stream)
    }

    /// Tells the camera what the person is asked to show next (see [`FrameSource::cue`]); the
    /// next [`capture`](Self::capture) returns a frame taken after the cue.
    pub fn cue(&self, scene: Scene) {
        *self.shared.cue.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(scene);
        let check = match scene {
            Scene::Selfie => CHECK_SELFIE,
            Scene::Document(_) | Scene::Empty => CHECK_DOCUMENT,
        };
        self.shared.check.store(check, Ordering::SeqCst);
        self.shared.cue_epoch.fetch_add(1, Ordering::SeqCst);
    }

    /// The shutter: the first frame taken after this call (and after the last cue), full
    /// resolution. Waits at most [`CAPTURE_TIMEOUT`].
    pub fn capture(&self) -> Result<Arc<Frame>, CameraError> {
        let want_epoch = self.shared.cue_epoch.load(Ordering::SeqCst);
        let deadline = Instant::now() + CAPTURE_TIMEOUT;
        let mut slot = self.shared.slot();
        let before = slot.frame.as_ref().map(|f| f.sequence());
        loop {
            if let Some(f) = &slot.frame
                && slot.epoch >= want_epoch
                && Some(f.sequence()) != before
            {
                return Ok(Arc::clone(f));
            }
            if slot.ended {
                return Err(CameraError::StreamStopped);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(CameraError::Disconnected);
            }
            slot = self
                .shared
                .fresh
                .wait_timeout(slot, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// [`capture`](Self::capture), JPEG-encoded for the provider's capture API.
    pub fn capture_jpeg(&self) -> Result<Vec<u8>, CameraError> {
        let frame = self.capture()?;
        crate::encode::capture_jpeg(&frame)
    }

    /// Counters so far.
    pub fn stats(&self) -> PreviewStats {
        PreviewStats {
            captured: self.shared.captured.load(Ordering::Relaxed),
            previews: self.shared.previews.load(Ordering::Relaxed),
            preview_bytes: self.shared.preview_bytes.load(Ordering::Relaxed),
            elapsed: self.shared.started.elapsed(),
        }
    }

    /// Whether the stream has ended (camera failure, sink break, or stop).
    pub fn is_running(&self) -> bool {
        !self.shared.slot().ended
    }

    /// Why the stream ended, if the camera failed (the error message; no personal data).
    pub fn failure(&self) -> Option<String> {
        self.shared.slot().failure.clone()
    }

    /// Stops both threads and hands back the camera, released (it may be opened again for
    /// the next session). `None` if the capture thread panicked.
    pub fn stop(mut self) -> Option<Box<dyn FrameSource>> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Option<Box<dyn FrameSource>> {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.end(None);
        if let Some(t) = self.encode_thread.take() {
            let _ = t.join();
        }
        self.capture_thread.take().and_then(|t| t.join().ok())
    }
}

impl Drop for PreviewStream {
    fn drop(&mut self) {
        // The source is released by the capture thread and dropped here.
        let _ = self.shutdown();
    }
}

fn capture_loop(mut source: Box<dyn FrameSource>, shared: &Arc<Shared>) -> Box<dyn FrameSource> {
    let _end = EndOnDrop(Arc::clone(shared));
    while !shared.stop.load(Ordering::SeqCst) {
        // Read the epoch before taking the cue: a frame is tagged with an epoch only if every
        // cue up to it has been applied.
        let epoch = shared.cue_epoch.load(Ordering::SeqCst);
        let cue = shared.cue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(scene) = cue {
            source.cue(scene);
        }
        match source.next_frame() {
            Ok(frame) => {
                shared.captured.fetch_add(1, Ordering::Relaxed);
                let mut slot = shared.slot();
                slot.frame = Some(Arc::new(frame));
                slot.epoch = epoch;
                drop(slot);
                shared.fresh.notify_all();
            }
            Err(e) => {
                tracing::warn!(error = %e, "camera stopped delivering frames");
                shared.end(Some(e.to_string()));
                break;
            }
        }
    }
    source.release();
    shared.slot().frame = None;
    source
}

fn encode_loop<F>(encoder: &PreviewEncoder, mut sink: F, shared: &Arc<Shared>)
where
    F: FnMut(PreviewFrame) -> ControlFlow<()>,
{
    let _end = EndOnDrop(Arc::clone(shared));
    let mut last: Option<u64> = None;
    // The last verdict: when, for which check, and what.
    let mut verdict: Option<(Instant, u8, crate::quality::FrameQuality)> = None;
    loop {
        let frame = {
            let mut slot = shared.slot();
            loop {
                if slot.ended || shared.stop.load(Ordering::SeqCst) {
                    return;
                }
                if let Some(f) = &slot.frame
                    && Some(f.sequence()) != last
                {
                    break Arc::clone(f);
                }
                slot = shared.fresh.wait(slot).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        last = Some(frame.sequence());
        let check = shared.check.load(Ordering::SeqCst);
        let fresh = verdict
            .filter(|(at, c, _)| *c == check && at.elapsed() < QUALITY_INTERVAL)
            .map(|(_, _, q)| q);
        let wanted = match (fresh, check) {
            (Some(_), _) => None,
            (None, CHECK_SELFIE) => Some(crate::quality::Check::Selfie),
            (None, _) => Some(crate::quality::Check::Document),
        };
        match encoder.encode_checked(&frame, wanted) {
            Ok(mut preview) => {
                match (preview.quality, fresh) {
                    (Some(q), _) => verdict = Some((Instant::now(), check, q)),
                    (None, q) => preview.quality = q,
                }
                drop(frame);
                shared.previews.fetch_add(1, Ordering::Relaxed);
                shared.preview_bytes.fetch_add(preview.len() as u64, Ordering::Relaxed);
                if sink(preview).is_break() {
                    shared.stop.store(true, Ordering::SeqCst);
                    return;
                }
            }
            Err(e) => tracing::warn!(error = %e, "preview frame not encoded"),
        }
    }
}
