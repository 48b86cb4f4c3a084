//! Callback payloads (§2.6, §2.8): every documented shape parses, nothing fails on novelty.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns; failures are test failures

mod common;

use common::*;
use reclaim_entra::callback::OneOrMany;
use reclaim_entra::{CallbackEvent, RequestStatus};

fn parse(json: &str) -> CallbackEvent {
    CallbackEvent::from_json(json.as_bytes()).unwrap()
}

#[test]
fn request_retrieved() {
    let e = parse(&fixture("callback_request_retrieved.json"));
    assert_eq!(e.request_status, RequestStatus::RequestRetrieved);
    assert_eq!(e.request_id, "a1b2…");
    assert_eq!(e.state.as_deref(), Some("4f0c…"));
    assert!(!e.request_status.is_terminal());
}

#[test]
fn presentation_verified() {
    let e = parse(&fixture("callback_presentation_verified.json"));
    assert_eq!(e.request_status, RequestStatus::PresentationVerified);
    assert_eq!(e.subject.as_deref(), Some("did:web:holder.example#k1"));
    let vc = &e.verified_credentials_data[0];
    assert_eq!(vc.issuer, "did:web:idv.partner.example");
    assert!(vc.has_type("verifiedIdentity"));
    assert_eq!(vc.claim_str("firstName"), Some("Ana"));
    assert_eq!(vc.claim_str("lastName"), Some("Lima"));
    assert!(vc.credential_state.as_ref().unwrap().is_valid());
    assert_eq!(
        vc.domain_validation.as_ref().unwrap().url.as_deref(),
        Some("https://idv.partner.example/")
    );
    assert!(vc.issuance_date_parsed().unwrap() < vc.expiration_date_parsed().unwrap());
    let fc = vc.face_check.as_ref().unwrap();
    assert!((fc.match_confidence_score - 88.4).abs() < 1e-9);
    assert_eq!(fc.source_photo_quality.as_deref(), Some("HIGH"));
    let debug = format!("{e:?}");
    assert!(!debug.contains("Ana") && !debug.contains("Lima"), "claims must be redacted: {debug}");
}

#[test]
fn presentation_error() {
    let e = parse(&fixture("callback_presentation_error.json"));
    assert_eq!(e.request_status, RequestStatus::PresentationError);
    let err = e.error.unwrap();
    assert_eq!(err.code, "claimValidationError");
    assert!(err.message.unwrap().contains("threshold"));
    assert!(e.verified_credentials_data.is_empty());
}

#[test]
fn issuance_statuses() {
    let e = parse(&fixture("callback_issuance_error_constructed.json"));
    assert_eq!(e.request_status, RequestStatus::IssuanceError);
    assert_eq!(e.error.unwrap().code, "IssuanceFlowFailed");
    let ok = parse(r#"{"requestId":"r","requestStatus":"issuance_successful","state":"s"}"#);
    assert_eq!(ok.request_status, RequestStatus::IssuanceSuccessful);
    assert!(ok.request_status.is_terminal());
}

#[test]
fn receipt_vp_token_as_string() {
    let e = parse(
        r#"{"requestId":"r","requestStatus":"presentation_verified","state":"s",
            "receipt":{"id_token":"eyJ.id.tok","vp_token":"eyJ.vp.one","state":"s"}}"#,
    );
    let receipt = e.receipt.unwrap();
    let OneOrMany::One(tok) = receipt.vp_token.as_ref().unwrap() else { panic!() };
    assert_eq!(tok.expose(), "eyJ.vp.one");
    assert!(!format!("{receipt:?}").contains("eyJ"), "receipt tokens must be redacted");
}

#[test]
fn receipt_vp_token_as_array() {
    let e = parse(
        r#"{"requestId":"r","requestStatus":"presentation_verified","state":"s",
            "receipt":{"vp_token":["eyJ.a","eyJ.b"],"faceCheck":"eyJ.fc"}}"#,
    );
    let receipt = e.receipt.unwrap();
    let toks: Vec<_> = receipt
        .vp_token
        .as_ref()
        .unwrap()
        .as_slice()
        .iter()
        .map(|t| t.expose().to_owned())
        .collect();
    assert_eq!(toks, ["eyJ.a", "eyJ.b"]);
    assert_eq!(receipt.face_check.unwrap().expose(), "eyJ.fc");
}

#[test]
fn legacy_code_field_instead_of_request_status() {
    let e = parse(r#"{"requestId":"r","code":"request_retrieved","state":"s"}"#);
    assert_eq!(e.request_status, RequestStatus::RequestRetrieved);
    let e = parse(
        r#"{"requestId":"r","code":"presentation_verified","state":"s","verifiedCredentialsData":[]}"#,
    );
    assert_eq!(e.request_status, RequestStatus::PresentationVerified);
}

#[test]
fn unknown_or_missing_status_is_not_a_parse_failure() {
    let e =
        parse(r#"{"requestId":"r","requestStatus":"selfie_taken","state":"s","extra":{"x":1}}"#);
    assert_eq!(e.request_status, RequestStatus::Unknown("selfie_taken".into()));
    assert_eq!(e.request_status.as_str(), "selfie_taken");
    let e = parse(r#"{"requestId":"r"}"#);
    assert_eq!(e.request_status, RequestStatus::Unknown(String::new()));
}

#[test]
fn type_may_be_a_single_string() {
    let e = parse(
        r#"{"requestId":"r","requestStatus":"presentation_verified",
            "verifiedCredentialsData":[{"issuer":"did:web:i","type":"verifiedIdentity","claims":{}}]}"#,
    );
    assert!(e.verified_credentials_data[0].has_type("verifiedIdentity"));
}
