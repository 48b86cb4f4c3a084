//! Relay events into core inputs: Request Service callbacks and provider return redirects.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use reclaim_core::{CallbackEvent, PresentedCredential, ProviderEvent};
use serde_json::Value;
use sha2::Sha256;

use crate::ports::{ExpectedReturn, ReturnRefused};
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

/// The first line of the string a return proof signs: Reclaim's provider contract, version 1.
pub(crate) const RETURN_PROOF_VERSION: &str = "reclaim-provider-return/v1";

/// The string a provider's return proof signs (README, *Identity-verification providers*):
/// the version, the link's audience, request id, return state, status, reason (empty when
/// issued) and the proof's expiry in Unix seconds, one per line, no trailing newline.
pub(crate) fn return_proof_input(
    audience: &str,
    request_id: &str,
    state: &str,
    status: &str,
    reason: &str,
    exp: i64,
) -> String {
    let audience = audience.trim_end_matches('/');
    format!("{RETURN_PROOF_VERSION}\n{audience}\n{request_id}\n{state}\n{status}\n{reason}\n{exp}")
}

/// HMAC-SHA256 of `input` under `key` (HMAC takes keys of any length: `None` never happens).
fn return_mac(key: &[u8], input: &str) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(input.as_bytes());
    Some(mac)
}

/// A return proof as a provider makes it: base64url (no padding) of HMAC-SHA256 under the
/// link-signing key of [`return_proof_input`] (the provider's side; for the tests).
#[cfg(test)]
fn sign_return_proof(key: &[u8], input: &str) -> String {
    return_mac(key, input)
        .map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// A reason is a short code, nothing else (it is part of the signed string and of the audit).
fn is_reason(r: &str) -> bool {
    r.len() <= 64 && r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks the provider's return redirect (`?requestId&status=issued|failed&reason&exp&proof`)
/// for the hand-off `expected`, with the provider's link-signing `key` and the `audience` its
/// links carry, at `now` (Unix seconds), and turns it into a core event. The proof is compared
/// in constant time; a return that does not carry a valid, unexpired proof for exactly this
/// request, state, status and reason is refused.
pub(crate) fn check_provider_return(
    query: &BTreeMap<String, String>,
    key: &[u8],
    audience: &str,
    expected: &ExpectedReturn,
    now: i64,
) -> Result<ProviderEvent, ReturnRefused> {
    let (Some(proof), Some(exp)) = (query.get("proof"), query.get("exp")) else {
        return Err(ReturnRefused::NoProof);
    };
    if query.get("requestId") != Some(&expected.request_id) {
        return Err(ReturnRefused::WrongRequest);
    }
    let status = query.get("status").map(String::as_str).unwrap_or_default();
    let reason = query.get("reason").map(String::as_str).unwrap_or_default();
    let well_formed = match status {
        "issued" => reason.is_empty(),
        "failed" => is_reason(reason),
        _ => false,
    };
    if !well_formed || exp.is_empty() || !exp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ReturnRefused::Malformed);
    }
    let exp_secs = exp.parse::<i64>().map_err(|_| ReturnRefused::Malformed)?;
    let proof = URL_SAFE_NO_PAD.decode(proof).map_err(|_| ReturnRefused::Malformed)?;
    let input = return_proof_input(
        audience,
        &expected.request_id,
        &expected.state,
        status,
        reason,
        exp_secs,
    );
    // `verify_slice` compares in constant time.
    return_mac(key, &input)
        .ok_or(ReturnRefused::BadProof)?
        .verify_slice(&proof)
        .map_err(|_| ReturnRefused::BadProof)?;
    if exp_secs <= now {
        return Err(ReturnRefused::Expired);
    }
    Ok(match status {
        "issued" => ProviderEvent::IdentityIssued,
        _ if DOCUMENT_REASONS.contains(&reason) => ProviderEvent::DocumentRejected,
        _ => ProviderEvent::IssuanceFailed,
    })
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

    const KEY: &[u8] = b"link-signing-key-0123";
    const AUD: &str = "https://idv.example/trueid";

    fn expected() -> ExpectedReturn {
        ExpectedReturn { request_id: "r1".into(), state: "st1".into() }
    }

    /// A return as the provider makes it (`proof` over these very fields).
    fn signed(status: &str, reason: &str, exp: i64) -> BTreeMap<String, String> {
        let input = return_proof_input(AUD, "r1", "st1", status, reason, exp);
        let mut q: BTreeMap<String, String> = [
            ("requestId", "r1".to_owned()),
            ("status", status.to_owned()),
            ("exp", exp.to_string()),
            ("proof", sign_return_proof(KEY, &input)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        if !reason.is_empty() {
            q.insert("reason".into(), reason.into());
        }
        q
    }

    fn check(q: &BTreeMap<String, String>) -> Result<ProviderEvent, ReturnRefused> {
        check_provider_return(q, KEY, AUD, &expected(), 1_000)
    }

    #[test]
    fn proven_provider_returns_become_core_events() {
        assert_eq!(check(&signed("issued", "", 1_300)), Ok(ProviderEvent::IdentityIssued));
        assert_eq!(
            check(&signed("failed", "document_forged", 1_300)),
            Ok(ProviderEvent::DocumentRejected)
        );
        assert_eq!(
            check(&signed("failed", "issuance_service_error", 1_300)),
            Ok(ProviderEvent::IssuanceFailed)
        );
        // The audience's trailing slash does not matter.
        let q = signed("issued", "", 1_300);
        let ok = check_provider_return(&q, KEY, &format!("{AUD}/"), &expected(), 1_000);
        assert_eq!(ok, Ok(ProviderEvent::IdentityIssued));
    }

    #[test]
    fn returns_without_a_valid_proof_for_this_hand_off_are_refused() {
        use ReturnRefused::*;
        let mut none = signed("issued", "", 1_300);
        none.remove("proof");
        assert_eq!(check(&none), Err(NoProof));
        let mut no_exp = signed("issued", "", 1_300);
        no_exp.remove("exp");
        assert_eq!(check(&no_exp), Err(NoProof));
        // A `failed` proof replayed as `issued`.
        let mut flipped = signed("failed", "document_forged", 1_300);
        flipped.insert("status".into(), "issued".into());
        flipped.remove("reason");
        assert_eq!(check(&flipped), Err(BadProof));
        // Another reason than the one proven.
        let mut reason = signed("failed", "document_forged", 1_300);
        reason.insert("reason".into(), "issuance_service_error".into());
        assert_eq!(check(&reason), Err(BadProof));
        // A later expiry than the one proven.
        let mut later = signed("issued", "", 1_300);
        later.insert("exp".into(), "99999".into());
        assert_eq!(check(&later), Err(BadProof));
        // Another request id.
        let mut other = signed("issued", "", 1_300);
        other.insert("requestId".into(), "r2".into());
        assert_eq!(check(&other), Err(WrongRequest));
        // A valid proof for this request, but another return state or audience or key.
        let q = signed("issued", "", 1_300);
        let wrong_state = ExpectedReturn { state: "st2".into(), ..expected() };
        assert_eq!(check_provider_return(&q, KEY, AUD, &wrong_state, 1_000), Err(BadProof));
        let other_aud = "https://idv.example/vouchsafe";
        assert_eq!(check_provider_return(&q, KEY, other_aud, &expected(), 1_000), Err(BadProof));
        assert_eq!(check_provider_return(&q, b"other-key", AUD, &expected(), 1_000), Err(BadProof));
        // Expired.
        assert_eq!(check(&signed("issued", "", 1_000)), Err(Expired));
        // Malformed fields.
        let mut junk = signed("issued", "", 1_300);
        junk.insert("proof".into(), "not base64!".into());
        assert_eq!(check(&junk), Err(Malformed));
        let mut status = signed("issued", "", 1_300);
        status.insert("status".into(), "verified".into());
        assert_eq!(check(&status), Err(Malformed));
        let mut reason_on_issued = signed("issued", "", 1_300);
        reason_on_issued.insert("reason".into(), "x".into());
        assert_eq!(check(&reason_on_issued), Err(Malformed));
        let mut newline = signed("failed", "x", 1_300);
        newline.insert("reason".into(), "x\n1300".into());
        assert_eq!(check(&newline), Err(Malformed));
        let mut exp = signed("issued", "", 1_300);
        exp.insert("exp".into(), "+1300".into());
        assert_eq!(check(&exp), Err(Malformed));
    }
}
