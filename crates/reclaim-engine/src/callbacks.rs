//! Relay events into core inputs: Request Service callbacks and provider return redirects.

use std::collections::BTreeMap;

use reclaim_core::{CallbackEvent, PresentedCredential, ProviderEvent};
use serde_json::Value;

use crate::view::PhotoQuality;

/// A presentation callback as the core sees it.
#[derive(Debug)]
pub(crate) struct ParsedCallback {
    /// `requestId`, when the body has one.
    pub request_id: Option<String>,
    /// What it says.
    pub event: CallbackEvent,
    /// `faceCheck.sourcePhotoQuality` of a verified credential.
    pub photo_quality: Option<PhotoQuality>,
}

/// Parses a presentation callback body (taking the credential out of it, so no copy of the
/// claims stays behind). `None` for statuses that are not presentation events.
pub(crate) fn parse_callback(mut body: Value) -> Option<ParsedCallback> {
    let request_id = body.get("requestId").and_then(Value::as_str).map(str::to_owned);
    let status = body
        .get("requestStatus")
        .or_else(|| body.get("code"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut photo_quality = None;
    let event = match status.as_str() {
        "request_retrieved" => CallbackEvent::Retrieved,
        "presentation_verified" => {
            let item = body
                .get_mut("verifiedCredentialsData")
                .and_then(|v| v.get_mut(0))
                .map(Value::take)
                .unwrap_or(Value::Null);
            match serde_json::from_value::<PresentedCredential>(item) {
                Ok(credential) => {
                    photo_quality = credential
                        .face_check
                        .as_ref()
                        .and_then(|f| f.photo_quality.as_deref())
                        .and_then(PhotoQuality::parse);
                    CallbackEvent::Verified(Box::new(credential))
                }
                Err(_) => {
                    tracing::warn!("presentation_verified callback without a readable credential");
                    CallbackEvent::Error { code: "malformedCallback".into() }
                }
            }
        }
        "presentation_error" => CallbackEvent::Error {
            code: body
                .get("error")
                .and_then(|e| e.get("code"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        },
        _ => return None,
    };
    Some(ParsedCallback { request_id, event, photo_quality })
}

/// Provider return reasons that mean the document itself was refused.
const DOCUMENT_REASONS: [&str; 11] = [
    "image_invalid",
    "no_code_found",
    "code_unreadable",
    "not_a_document_code",
    "document_forged",
    "document_unknown",
    "document_expired",
    "document_type_not_accepted",
    "document_type_mismatch",
    "document_sides_mismatch",
    "selfie_invalid",
];

/// The provider's return redirect (`?requestId&status=issued|failed&reason`) as a core event.
pub(crate) fn provider_return(query: &BTreeMap<String, String>) -> ProviderEvent {
    match query.get("status").map(String::as_str) {
        Some("issued") => ProviderEvent::IdentityIssued,
        _ => {
            let reason = query.get("reason").map(String::as_str).unwrap_or_default();
            if DOCUMENT_REASONS.contains(&reason) {
                ProviderEvent::DocumentRejected
            } else {
                ProviderEvent::IssuanceFailed
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn verified_callbacks_carry_the_credential_and_photo_quality() {
        let p = parse_callback(json!({
            "requestId": "r1", "requestStatus": "presentation_verified", "state": "s",
            "verifiedCredentialsData": [{
                "issuer": "did:web:idv.example", "type": ["VerifiableCredential", "verifiedIdentity"],
                "claims": {"firstName": "Ana", "lastName": "Lima"},
                "credentialState": {"revocationStatus": "VALID"},
                "faceCheck": {"matchConfidenceScore": 88.5, "sourcePhotoQuality": "MEDIUM"}}]
        }))
        .unwrap();
        assert_eq!(p.request_id.as_deref(), Some("r1"));
        assert_eq!(p.photo_quality, Some(PhotoQuality::Medium));
        let CallbackEvent::Verified(c) = p.event else { panic!("not verified") };
        assert_eq!(c.claims.get("firstName"), Some("Ana"));
        let e = parse_callback(json!({"requestStatus": "presentation_error",
            "error": {"code": "claimValidationError"}}))
        .unwrap();
        assert_eq!(e.event, CallbackEvent::Error { code: "claimValidationError".into() });
        assert!(parse_callback(json!({"requestStatus": "issuance_successful"})).is_none());
    }

    #[test]
    fn provider_returns() {
        let q = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>()
        };
        assert_eq!(provider_return(&q(&[("status", "issued")])), ProviderEvent::IdentityIssued);
        assert_eq!(
            provider_return(&q(&[("status", "failed"), ("reason", "document_forged")])),
            ProviderEvent::DocumentRejected
        );
        assert_eq!(
            provider_return(&q(&[("status", "failed"), ("reason", "issuance_service_error")])),
            ProviderEvent::IssuanceFailed
        );
    }
}
