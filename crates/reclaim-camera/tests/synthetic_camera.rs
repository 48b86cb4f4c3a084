//! The synthetic camera filming the emulator's real test ID cards: frames have the kiosk's size
//! and move, a captured card's QR survives JPEG and is read by `rqrr` and by the emulated
//! provider's own decoder, a blurred card and a selfie carry no readable code, release frees the
//! camera, and `probe` reports only the synthetic source without the `nokhwa` feature.

use std::ops::ControlFlow;
use std::sync::mpsc;
use std::time::Duration;

use reclaim_camera::{
    CameraError, DocumentSide, Frame, FrameSource, Pacing, PreviewEncoder, PreviewScale,
    PreviewStream, Scene, SourceKind, SourceState, SyntheticCamera, SyntheticImages, capture_jpeg,
};
use reclaim_emulator::Fixture;
use reclaim_emulator::provider::decode::{self, Rejection};
use reclaim_emulator::provider::{card, portrait};

const FRONT: Scene = Scene::Document(DocumentSide::Front);
const BACK: Scene = Scene::Document(DocumentSide::Back);

fn images(persona: &str) -> SyntheticImages {
    let fixture = Fixture::demo();
    let p = fixture.persona(persona).unwrap_or_else(|| panic!("no persona {persona}"));
    SyntheticImages {
        front: card::card_png(p),
        back: card::back_png(p),
        face: Some(portrait::selfie_png(&p.key)),
    }
}

fn camera(persona: &str, scene: Scene) -> SyntheticCamera {
    let mut cam = SyntheticCamera::new(&images(persona))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_pacing(Pacing::Unpaced)
        .with_scene(scene);
    cam.open().unwrap_or_else(|e| panic!("{e}"));
    cam
}

/// Frame `n` of the camera (frames before it are rendered and dropped).
fn frame_at(cam: &mut SyntheticCamera, n: u64) -> Frame {
    loop {
        let f = cam.next_frame().unwrap_or_else(|e| panic!("{e}"));
        if f.sequence() >= n {
            return f;
        }
    }
}

/// Every QR text `rqrr` decodes in a JPEG.
fn qr_texts(jpeg: &[u8]) -> Vec<String> {
    let img = image::load_from_memory(jpeg).unwrap_or_else(|e| panic!("{e}")).to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared.detect_grids().iter().filter_map(|g| g.decode().ok().map(|(_, text)| text)).collect()
}

#[test]
fn frames_are_1280_by_720_in_every_scene() {
    let mut cam = camera("ana", FRONT);
    for (scene, blurred) in [
        (FRONT, false),
        (BACK, false),
        (Scene::Selfie, false),
        (Scene::Empty, false),
        (FRONT, true),
        (Scene::Selfie, true),
    ] {
        cam.set_scene(scene);
        cam.set_blurred(blurred);
        let f = cam.next_frame().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((f.width(), f.height(), f.rgb().len()), (1280, 720, 1280 * 720 * 3));
    }
}

#[test]
fn consecutive_frames_move_like_a_camera() {
    let mut cam = camera("ana", FRONT);
    let a = cam.next_frame().unwrap_or_else(|e| panic!("{e}"));
    let b = cam.next_frame().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((a.sequence(), b.sequence()), (0, 1));
    assert!(b.timestamp() >= a.timestamp());
    let changed = a.rgb().iter().zip(b.rgb()).filter(|(x, y)| x != y).count();
    assert!(changed > a.rgb().len() / 4, "only {changed} bytes changed between frames");
    // Without noise, the card itself moves over a few seconds of frames.
    let mut still = SyntheticCamera::new(&images("ana"))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_pacing(Pacing::Unpaced)
        .with_sensor_noise(false);
    still.open().unwrap_or_else(|e| panic!("{e}"));
    let first = frame_at(&mut still, 0);
    let later = frame_at(&mut still, 12);
    assert_ne!(first.rgb(), later.rgb());
}

#[test]
fn a_captured_card_is_readable_by_the_provider() {
    let fixture = Fixture::demo();
    for persona in ["ana", "maria"] {
        let p = fixture.persona(persona).unwrap_or_else(|| panic!("{persona}"));
        // Other seeds: other shake, card position and sensor noise.
        for seed in [1, 2, 3] {
            let mut cam = SyntheticCamera::new(&images(persona))
                .unwrap_or_else(|e| panic!("{e}"))
                .with_pacing(Pacing::Unpaced)
                .with_seed(seed);
            cam.open().unwrap_or_else(|e| panic!("{e}"));
            for scene in [FRONT, BACK] {
                cam.set_scene(scene);
                let frame = cam.next_frame().unwrap_or_else(|e| panic!("{e}"));
                let jpeg = capture_jpeg(&frame).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG");
                let decoded = image::load_from_memory(&jpeg).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!((decoded.width(), decoded.height()), (1280, 720));

                let texts = qr_texts(&jpeg);
                assert_eq!(texts.len(), 1, "{persona} {scene:?} seed {seed}: {texts:?}");
                let code: serde_json::Value =
                    serde_json::from_str(&texts[0]).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(code["persona"], persona);
                assert_eq!(code["givenNames"], p.document.given_names.as_str());
                assert_eq!(code["familyName"], p.document.family_name.as_str());
                assert_eq!(code["documentNumber"], p.document.document_number.as_str());

                // The emulated provider's own reader accepts it as this persona's document.
                let read = decode::read_document(&jpeg).unwrap_or_else(|e| panic!("{e:?}"));
                assert!(read.signature_valid());
                assert!(read.matches(&p.document));
            }
        }
    }
}

#[test]
fn a_blurred_card_cannot_be_read() {
    let mut cam = camera("ana", FRONT);
    cam.set_blurred(true);
    for scene in [FRONT, BACK] {
        cam.set_scene(scene);
        let jpeg = capture_jpeg(&frame_at(&mut cam, 5)).unwrap_or_else(|e| panic!("{e}"));
        assert!(qr_texts(&jpeg).is_empty(), "{scene:?}");
        let err = decode::read_document(&jpeg).err();
        assert!(
            matches!(err, Some(Rejection::NoCodeFound | Rejection::CodeUnreadable)),
            "{scene:?}: {err:?}"
        );
    }
    // The same camera, sharp again, is readable.
    cam.set_blurred(false);
    cam.set_scene(FRONT);
    let jpeg = capture_jpeg(&frame_at(&mut cam, 10)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(qr_texts(&jpeg).len(), 1);
}

#[test]
fn selfie_and_empty_frames_carry_no_code() {
    let mut cam = camera("ana", Scene::Selfie);
    let selfie = capture_jpeg(&frame_at(&mut cam, 3)).unwrap_or_else(|e| panic!("{e}"));
    assert!(qr_texts(&selfie).is_empty());
    assert_eq!(decode::read_document(&selfie).err(), Some(Rejection::NoCodeFound));
    assert_eq!(decode::check_selfie(&selfie), Ok((1280, 720)), "usable as a selfie");

    cam.set_scene(Scene::Empty);
    let empty = capture_jpeg(&frame_at(&mut cam, 4)).unwrap_or_else(|e| panic!("{e}"));
    assert!(qr_texts(&empty).is_empty());

    // Without a face image, a generated face is filmed.
    let no_face = SyntheticImages { face: None, ..images("ana") };
    let mut cam = SyntheticCamera::new(&no_face)
        .unwrap_or_else(|e| panic!("{e}"))
        .with_pacing(Pacing::Unpaced)
        .with_scene(Scene::Selfie);
    cam.open().unwrap_or_else(|e| panic!("{e}"));
    let generated = capture_jpeg(&frame_at(&mut cam, 0)).unwrap_or_else(|e| panic!("{e}"));
    assert!(qr_texts(&generated).is_empty());
}

#[test]
fn release_frees_the_camera_and_refuses_frames() {
    let mut cam = camera("ana", FRONT);
    assert_eq!(cam.state(), SourceState::Open);
    assert!(cam.next_frame().is_ok());
    cam.release();
    assert_eq!(cam.state(), SourceState::Released);
    assert!(matches!(cam.next_frame(), Err(CameraError::Released)));
    cam.release(); // idempotent
    assert_eq!(cam.state(), SourceState::Released);

    // A stream releases its camera when stopped and hands it back for the next session.
    let stream =
        PreviewStream::start(Box::new(camera("ana", FRONT)), PreviewEncoder::default(), |_| {
            ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(stream.capture().is_ok());
    let mut back = stream.stop().unwrap_or_else(|| panic!("capture thread panicked"));
    assert_eq!(back.state(), SourceState::Released);
    assert!(matches!(back.next_frame(), Err(CameraError::Released)));
    back.open().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.next_frame().map(|f| f.sequence()).ok(), Some(0));
}

#[test]
fn preview_stream_streams_and_captures_what_was_cued() {
    let cam = SyntheticCamera::new(&images("maria"))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_scene(Scene::Empty); // real-time pacing, like a camera
    let (tx, rx) = mpsc::channel();
    let stream = PreviewStream::start(
        Box::new(cam),
        PreviewEncoder::new(PreviewScale::Half, 60),
        move |p| match tx.send((p.width, p.height, p.len())) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (w, h, bytes) = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((w, h), (640, 360));
    assert!(bytes > 1000);

    stream.cue(BACK);
    let back = stream.capture_jpeg().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(qr_texts(&back).len(), 1, "the cued back side");
    stream.cue(Scene::Selfie);
    let selfie = stream.capture_jpeg().unwrap_or_else(|e| panic!("{e}"));
    assert!(qr_texts(&selfie).is_empty(), "the cued selfie");
    let stats = stream.stats();
    assert!(stats.captured >= 2 && stats.previews >= 1, "{stats:?}");
    assert!(stream.is_running());
    assert!(stream.failure().is_none());
    drop(stream);
}

#[test]
fn probe_on_this_machine_lists_only_the_synthetic_source() {
    let report = reclaim_camera::probe();
    if cfg!(feature = "nokhwa") {
        // This machine has no /dev/video*: the backend lists nothing, and nothing panics.
        assert!(report.backend.is_some());
        assert!(!report.has_camera(), "{report:?}");
        eprintln!("probe with nokhwa: {report:?}");
        assert!(matches!(reclaim_camera::open_device(0), Err(CameraError::NoSuchDevice(0))));
    } else {
        assert_eq!(report.backend, None);
        assert!(!report.has_camera());
        assert!(matches!(reclaim_camera::open_device(0), Err(CameraError::BackendUnavailable)));
    }
    let sources = report.sources();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0].kind, SourceKind::Synthetic);
    assert_eq!((sources[0].width, sources[0].height, sources[0].fps), (1280, 720, 30));
}

#[cfg(feature = "nokhwa")]
#[test]
fn a_missing_webcam_fails_to_open_without_panicking() {
    let mut cam = reclaim_camera::DeviceCamera::new(0, "absent");
    let err = cam.open().err();
    assert!(matches!(err, Some(CameraError::Device(_) | CameraError::NoSuchDevice(0))), "{err:?}");
    assert_eq!(cam.state(), SourceState::Closed);
    assert!(matches!(cam.next_frame(), Err(CameraError::NotOpen)));
    cam.release();
    assert_eq!(cam.info().kind, SourceKind::Device { index: 0 });
}
