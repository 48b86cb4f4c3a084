//! `DeviceCamera`: a real webcam through `nokhwa` (Video4Linux on Linux), built only with the
//! `nokhwa` cargo feature. nokhwa's camera is not `Send`, so it lives on its own capture thread
//! for as long as the device is open; frames are decoded to RGB there and handed over through a
//! one-frame slot (the newest frame wins). Releasing stops that thread, which closes the device.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nokhwa::Camera;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType, Resolution,
};

use crate::error::CameraError;
use crate::frame::Frame;
use crate::source::{
    FRAME_HEIGHT, FRAME_RATE, FRAME_WIDTH, FrameSource, SourceInfo, SourceKind, SourceState,
};

/// How long `next_frame` waits for the device before reporting it disconnected.
const FRAME_TIMEOUT: Duration = Duration::from_secs(5);

static MJPEG: [FrameFormat; 1] = [FrameFormat::MJPEG];
static YUYV: [FrameFormat; 1] = [FrameFormat::YUYV];
static EITHER: [FrameFormat; 2] = [FrameFormat::MJPEG, FrameFormat::YUYV];

/// The formats asked for, best first: 1280×720 MJPEG at 30 fps, the same in YUYV, then the
/// device's fastest MJPEG/YUYV mode.
fn requests() -> [RequestedFormat<'static>; 3] {
    let want = |f| {
        RequestedFormatType::Closest(CameraFormat::new(
            Resolution::new(FRAME_WIDTH, FRAME_HEIGHT),
            f,
            FRAME_RATE,
        ))
    };
    [
        RequestedFormat::with_formats(want(FrameFormat::MJPEG), &MJPEG),
        RequestedFormat::with_formats(want(FrameFormat::YUYV), &YUYV),
        RequestedFormat::with_formats(RequestedFormatType::AbsoluteHighestFrameRate, &EITHER),
    ]
}

#[derive(Default)]
struct Slot {
    frame: Option<Frame>,
    failure: Option<String>,
    ended: bool,
}

struct Shared {
    slot: Mutex<Slot>,
    fresh: Condvar,
    stop: AtomicBool,
}

impl Shared {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

struct Worker {
    shared: Arc<Shared>,
    thread: JoinHandle<()>,
}

/// A real camera by backend index. See the module documentation.
pub struct DeviceCamera {
    index: u32,
    name: String,
    state: SourceState,
    format: Option<(u32, u32, u32)>,
    worker: Option<Worker>,
}

impl std::fmt::Debug for DeviceCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCamera")
            .field("index", &self.index)
            .field("name", &self.name)
            .field("state", &self.state)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl DeviceCamera {
    /// The camera at `index` (as [`crate::probe`] lists it); not opened yet.
    pub fn new(index: u32, name: impl Into<String>) -> Self {
        Self { index, name: name.into(), state: SourceState::Closed, format: None, worker: None }
    }

    /// Width, height and frame rate the device agreed to, once open.
    pub fn format(&self) -> Option<(u32, u32, u32)> {
        self.format
    }
}

/// Opens the device with the first request it can fulfil and starts its stream.
fn open_camera(index: u32) -> Result<Camera, CameraError> {
    let mut last = CameraError::NoSuchDevice(index);
    for request in requests() {
        match Camera::new(CameraIndex::Index(index), request) {
            Ok(mut camera) => {
                camera.open_stream().map_err(|e| CameraError::Device(e.to_string()))?;
                return Ok(camera);
            }
            Err(e) => last = CameraError::Device(e.to_string()),
        }
    }
    Err(last)
}

fn capture_thread(
    index: u32,
    shared: &Shared,
    ready: &mpsc::SyncSender<Result<(u32, u32, u32), CameraError>>,
) {
    let opened = std::panic::catch_unwind(|| open_camera(index))
        .unwrap_or_else(|_| Err(CameraError::Device("camera backend panicked".into())));
    let mut camera = match opened {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let f = camera.camera_format();
    let _ = ready.send(Ok((f.resolution().width(), f.resolution().height(), f.frame_rate())));
    let started = Instant::now();
    let mut sequence = 0u64;
    let failure = loop {
        if shared.stop.load(Ordering::SeqCst) {
            break None;
        }
        let frame = camera
            .frame()
            .and_then(|buffer| buffer.decode_image::<RgbFormat>())
            .map_err(|e| e.to_string())
            .map(|img| Frame::from_image(img, started.elapsed(), sequence));
        match frame {
            Ok(frame) => {
                sequence += 1;
                shared.slot().frame = Some(frame);
                shared.fresh.notify_all();
            }
            Err(e) => break Some(e),
        }
    };
    let _ = camera.stop_stream();
    drop(camera);
    let mut slot = shared.slot();
    slot.ended = true;
    slot.failure = failure;
    slot.frame = None;
    drop(slot);
    shared.fresh.notify_all();
}

impl FrameSource for DeviceCamera {
    fn info(&self) -> SourceInfo {
        let (width, height, fps) = self.format.unwrap_or((FRAME_WIDTH, FRAME_HEIGHT, FRAME_RATE));
        SourceInfo {
            kind: SourceKind::Device { index: self.index },
            name: self.name.clone(),
            width,
            height,
            fps,
        }
    }

    fn state(&self) -> SourceState {
        self.state
    }

    fn open(&mut self) -> Result<(), CameraError> {
        if self.state == SourceState::Open {
            return Ok(());
        }
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::default()),
            fresh: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let index = self.index;
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("camera-{index}"))
            .spawn(move || capture_thread(index, &s, &ready_tx))
            .map_err(|e| CameraError::Device(format!("thread: {e}")))?;
        let format = ready_rx.recv().unwrap_or(Err(CameraError::Disconnected));
        match format {
            Ok(f) => {
                self.format = Some(f);
                self.worker = Some(Worker { shared, thread });
                self.state = SourceState::Open;
                Ok(())
            }
            Err(e) => {
                let _ = thread.join();
                Err(e)
            }
        }
    }

    fn next_frame(&mut self) -> Result<Frame, CameraError> {
        match self.state {
            SourceState::Closed => return Err(CameraError::NotOpen),
            SourceState::Released => return Err(CameraError::Released),
            SourceState::Open => {}
        }
        let worker = self.worker.as_ref().ok_or(CameraError::NotOpen)?;
        let deadline = Instant::now() + FRAME_TIMEOUT;
        let mut slot = worker.shared.slot();
        loop {
            if let Some(frame) = slot.frame.take() {
                return Ok(frame);
            }
            if slot.ended {
                return Err(slot
                    .failure
                    .clone()
                    .map_or(CameraError::Disconnected, CameraError::Device));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(CameraError::Disconnected);
            }
            slot = worker
                .shared
                .fresh
                .wait_timeout(slot, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    fn release(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.shared.stop.store(true, Ordering::SeqCst);
            // The thread notices within one frame, stops the stream and closes the device.
            let _ = worker.thread.join();
        }
        if self.state == SourceState::Open {
            self.state = SourceState::Released;
        }
    }
}

impl Drop for DeviceCamera {
    fn drop(&mut self) {
        self.release();
    }
}
