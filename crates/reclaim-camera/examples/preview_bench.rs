//! Camera preview benchmark (not a test): on this machine, how many 1280×720 synthetic frames per
//! second the camera renders, how many preview JPEGs per second one thread renders and encodes at
//! several encoder settings, what the two-thread `PreviewStream` delivers (and costs in CPU) with
//! the camera paced at 30 fps like a real one, and how many bytes a preview frame takes. Prints
//! Markdown.
//!
//! `cargo run --release -p reclaim-camera --example preview_bench [-- --frames 300]`

use std::io::Write as _;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use reclaim_camera::{
    DocumentSide, FrameSource, Pacing, PreviewEncoder, PreviewScale, PreviewStream, Scene,
    SyntheticCamera, SyntheticImages, capture_jpeg,
};
use reclaim_emulator::Fixture;
use reclaim_emulator::provider::{card, portrait};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn camera(pacing: Pacing) -> BenchResult<SyntheticCamera> {
    let fixture = Fixture::demo();
    let p = fixture.persona("ana").ok_or("no persona ana")?;
    let images = SyntheticImages {
        front: card::card_png(p),
        back: card::back_png(p),
        face: Some(portrait::selfie_png(&p.key)),
    };
    Ok(SyntheticCamera::new(&images)?
        .with_pacing(pacing)
        .with_scene(Scene::Document(DocumentSide::Front)))
}

fn out(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Frames per second (wall clock) and CPU milliseconds per frame of rendering alone.
fn generation(frames: u32) -> BenchResult<(f64, f64)> {
    let mut cam = camera(Pacing::Unpaced)?;
    cam.open()?;
    for _ in 0..10 {
        cam.next_frame()?; // warm-up: pre-renders the plates
    }
    let (t, cpu) = (Instant::now(), cpu_time());
    for _ in 0..frames {
        std::hint::black_box(cam.next_frame()?);
    }
    let cpu_ms = cpu_time().saturating_sub(cpu).as_secs_f64() * 1000.0 / f64::from(frames);
    Ok((f64::from(frames) / t.elapsed().as_secs_f64(), cpu_ms))
}

/// Frames per second (wall clock), CPU milliseconds per frame and mean bytes of rendering +
/// preview encoding on one thread.
fn sequential(frames: u32, encoder: &PreviewEncoder) -> BenchResult<(f64, f64, f64)> {
    let mut cam = camera(Pacing::Unpaced)?;
    cam.open()?;
    for _ in 0..10 {
        encoder.encode(&cam.next_frame()?)?;
    }
    let mut bytes = 0usize;
    let (t, cpu) = (Instant::now(), cpu_time());
    for _ in 0..frames {
        bytes += encoder.encode(&cam.next_frame()?)?.len();
    }
    let cpu_ms = cpu_time().saturating_sub(cpu).as_secs_f64() * 1000.0 / f64::from(frames);
    Ok((f64::from(frames) / t.elapsed().as_secs_f64(), cpu_ms, bytes as f64 / f64::from(frames)))
}

/// Process CPU time (user + system) so far, from `/proc/self/stat` (Linux, 100 ticks/s).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<u64> =
        after.split_whitespace().skip(11).take(2).filter_map(|f| f.parse().ok()).collect();
    Duration::from_millis(fields.iter().sum::<u64>() * 10)
}

/// Preview fps, camera fps and CPU cores used by the two-thread stream over `secs`, the camera
/// paced at 30 fps like a real one.
fn streamed(secs: u64, encoder: &PreviewEncoder) -> BenchResult<(f64, f64, f64)> {
    let stream =
        PreviewStream::start(Box::new(camera(Pacing::RealTime)?), encoder.clone(), |_| {
            ControlFlow::Continue(())
        })?;
    std::thread::sleep(Duration::from_millis(500)); // warm-up
    let (a, cpu_a) = (stream.stats(), cpu_time());
    std::thread::sleep(Duration::from_secs(secs));
    let (b, cpu_b) = (stream.stats(), cpu_time());
    drop(stream);
    let dt = b.elapsed.saturating_sub(a.elapsed).as_secs_f64();
    let previews = (b.previews - a.previews) as f64;
    let cores = cpu_b.saturating_sub(cpu_a).as_secs_f64() / dt;
    Ok((previews / dt, (b.captured - a.captured) as f64 / dt, cores))
}

fn main() -> BenchResult<()> {
    let mut frames = 300u32;
    let mut secs = 5u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--frames" => frames = args.next().ok_or("--frames N")?.parse()?,
            "--seconds" => secs = args.next().ok_or("--seconds N")?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    out(&format!(
        "camera preview bench: {frames} frames per row, streams {secs} s, {cores} cores, load average {}",
        load().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    ));
    out("");
    let (gen_fps, gen_cpu) = generation(frames)?;
    out(&format!(
        "synthetic frame generation, 1280x720 RGB: {gen_fps:.0} fps wall clock; \
         {gen_cpu:.2} ms CPU/frame = {:.0} fps on a free core",
        1000.0 / gen_cpu
    ));

    let mut cam = camera(Pacing::Unpaced)?;
    cam.open()?;
    let frame = cam.next_frame()?;
    let t = Instant::now();
    let jpeg = capture_jpeg(&frame)?;
    out(&format!(
        "capture_jpeg (1280x720, quality 92): {:.1} ms, {} bytes",
        t.elapsed().as_secs_f64() * 1000.0,
        jpeg.len()
    ));
    drop(cam);
    out("");
    out(concat!(
        "| preview encoder | one thread, render + encode: fps wall clock | CPU ms/frame (fps on a free core) ",
        "| PreviewStream, camera at 30 fps: preview fps | camera fps | CPU cores used ",
        "| bytes/frame | MB/s at 30 fps |"
    ));
    out("|---|---|---|---|---|---|---|---|");
    let settings = [
        (PreviewScale::Full, 85),
        (PreviewScale::Full, 70),
        (PreviewScale::Full, 50),
        (PreviewScale::Half, 70),
        (PreviewScale::Half, 50),
    ];
    for (scale, quality) in settings {
        let enc = PreviewEncoder::new(scale, quality);
        let (seq_fps, seq_cpu, bytes) = sequential(frames, &enc)?;
        let (preview_fps, camera_fps, cpu) = streamed(secs, &enc)?;
        let size = match scale {
            PreviewScale::Full => "1280x720",
            PreviewScale::Half => "640x360",
        };
        out(&format!(
            "| {size} q{quality} | {seq_fps:.1} | {seq_cpu:.1} ({:.0}) | {preview_fps:.1} | {camera_fps:.1} | {cpu:.2} | {bytes:.0} | {:.2} |",
            1000.0 / seq_cpu,
            bytes * 30.0 / 1e6
        ));
    }
    out(&format!(
        "\nload average at the end: {}",
        load().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    ));
    Ok(())
}
