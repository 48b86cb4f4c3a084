//! The kiosk camera path end to end against the emulated provider over HTTP: the synthetic
//! camera films a persona's ID card (front, back) and face, the captures are uploaded to the
//! capture API as JPEGs, and the provider verifies the person and offers the credential. A
//! blurred capture is refused with the provider's reason.

use std::ops::ControlFlow;

use reclaim_camera::{
    DocumentSide, PreviewEncoder, PreviewStream, Scene, SyntheticCamera, SyntheticImages,
};
use reclaim_emulator::provider::{card, portrait};
use reclaim_emulator::{EmulatorOptions, Fixture};
use serde_json::{Value, json};

const KEY: &str = "demo-trueid-capture-key";

fn stream_for(persona: &str) -> (PreviewStream, reclaim_camera::SceneHandle) {
    let fixture = Fixture::demo();
    let p = fixture.persona(persona).unwrap_or_else(|| panic!("{persona}"));
    let images = SyntheticImages {
        front: card::card_png(p),
        back: card::back_png(p),
        face: Some(portrait::selfie_png(&p.key)),
    };
    let cam = SyntheticCamera::new(&images).unwrap_or_else(|e| panic!("{e}"));
    let scenes = cam.scene_handle();
    let stream = PreviewStream::start(Box::new(cam), PreviewEncoder::default(), |_| {
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (stream, scenes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camera_captures_verify_a_person_at_the_provider() {
    let emu =
        reclaim_emulator::start(EmulatorOptions::default()).await.unwrap_or_else(|e| panic!("{e}"));
    let base = format!("{}/trueid/v1/sessions", emu.urls.provider);
    let http = reqwest::Client::new();

    let r = http
        .post(&base)
        .header("x-api-key", KEY)
        .json(&json!({ "documentType": "id_card" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 201);
    let session: Value = r.json().await.unwrap_or_else(|e| panic!("{e}"));
    let id = session["sessionId"].as_str().unwrap_or_default().to_owned();

    let (stream, scenes) = stream_for("maria");
    let put = |side: &'static str, jpeg: Vec<u8>| {
        let http = http.clone();
        let url = format!("{base}/{id}/images/{side}");
        async move {
            let r = http
                .put(url)
                .header("x-api-key", KEY)
                .header("content-type", "image/jpeg")
                .body(jpeg)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    // A blurred front is refused for its code, and the person retakes it.
    scenes.set_blurred(true);
    stream.cue(Scene::Document(DocumentSide::Front));
    let (status, body) =
        put("front", stream.capture_jpeg().unwrap_or_else(|e| panic!("{e}"))).await;
    assert_eq!(status, 422, "{body}");
    let reason = body.to_string();
    assert!(reason.contains("no_code_found") || reason.contains("code_unreadable"), "{body}");
    scenes.set_blurred(false);

    for (scene, side) in [
        (Scene::Document(DocumentSide::Front), "front"),
        (Scene::Document(DocumentSide::Back), "back"),
        (Scene::Selfie, "selfie"),
    ] {
        stream.cue(scene);
        let jpeg = stream.capture_jpeg().unwrap_or_else(|e| panic!("{e}"));
        let (status, body) = put(side, jpeg).await;
        assert_eq!(status, 204, "{side}: {body}");
    }
    drop(stream);

    let r = http
        .post(format!("{base}/{id}/submit"))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let verdict: Value = r.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(verdict["status"], "verified", "{verdict}");
    assert!(
        verdict["issuance"]["url"].as_str().is_some_and(|u| u.starts_with("openid-vc://")),
        "{verdict}"
    );
    emu.shutdown().await;
}
