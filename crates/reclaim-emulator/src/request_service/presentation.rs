//! Presentation outcomes (contract §2.6, §3): picking an unexpired held credential that satisfies
//! a request, the linked-domain check, Face Check against the threshold, and the
//! `presentation_verified` / `presentation_error` bodies.

use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};
use uuid::Uuid;

use super::StoredRequest;
use super::validation::{PresentationSpec, RequestedCredential};
use crate::phone::HeldCredential;
use crate::state::AppState;

/// What the wallet chose to do, as the service judges it.
#[derive(Debug, Clone)]
pub struct Presentation<'a> {
    pub subject: &'a str,
    pub held: &'a [HeldCredential],
    /// Only this credential may be presented, when set.
    pub credential_id: Option<&'a str>,
    pub score: f64,
    pub photo_quality: &'a str,
}

/// A `presentation_error` reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: String,
    pub message: String,
}

fn refusal(code: &str, message: impl Into<String>) -> Refusal {
    Refusal { code: code.to_owned(), message: message.into() }
}

/// `{requestId, requestStatus, state}` — the fields every callback carries.
pub fn envelope(r: &StoredRequest, status: &str) -> Value {
    json!({ "requestId": r.id, "requestStatus": status, "state": r.state })
}

/// `presentation_error` with `error{code, message}`.
pub fn error_body(r: &StoredRequest, e: &Refusal) -> Value {
    let mut b = envelope(r, "presentation_error");
    b["error"] = json!({ "code": e.code, "message": e.message });
    b
}

/// The issuer's linked domain: the fixture provider's, else the `did:web` host.
pub fn linked_domain(state: &AppState, issuer: &str) -> String {
    if let Some(p) = state.fixture().providers.iter().find(|p| p.issuer_did == issuer) {
        return p.linked_domain.clone();
    }
    match issuer.strip_prefix("did:web:") {
        Some(rest) => {
            let host = rest.split(':').next().unwrap_or(rest).replace("%3A", ":");
            format!("https://{host}/")
        }
        None => String::new(),
    }
}

/// The host (and `:port`) a `did:web` DID names, lower-cased; `None` for other DID methods.
fn did_web_domain(issuer: &str) -> Option<String> {
    let rest = issuer.strip_prefix("did:web:")?;
    let host = rest.split(':').next().unwrap_or(rest).replace("%3A", ":").replace("%3a", ":");
    (!host.is_empty()).then(|| host.to_lowercase())
}

/// Whether `validateLinkedDomain` holds for `issuer`: it must be a `did:web` DID and, when the
/// fixture knows the issuer, its domain must be the host of the provider's `linked_domain`.
pub fn linked_domain_verified(issuer: &str, fixture_linked_domain: Option<&str>) -> bool {
    let Some(did_domain) = did_web_domain(issuer) else { return false };
    let Some(linked) = fixture_linked_domain else { return true };
    let Ok(u) = url::Url::parse(linked) else { return false };
    let Some(host) = u.host_str() else { return false };
    let linked_domain = match u.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    linked_domain.eq_ignore_ascii_case(&did_domain)
}

/// Whether a credential's `expirationDate` lies before `now` (an unparseable date counts as unexpired).
pub(crate) fn is_expired(c: &HeldCredential, now: time::OffsetDateTime) -> bool {
    time::OffsetDateTime::parse(&c.expiration_date, &time::format_description::well_known::Rfc3339)
        .is_ok_and(|exp| exp < now)
}

/// The image bytes of a photo claim, as Face Check reads it: VerifiedEmployee's `photo` is
/// `UrlEncode(Base64Encode(JPEG))` (`microsoft-apis-v2.md` §5.2), the recovery credentials'
/// `portrait` base64url (v1 §3). So the value is URL-decoded first (a no-op for base64url), then
/// base64-decoded in either alphabet, padded or not. `None` when that yields no bytes.
pub fn photo_claim_bytes(value: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let decoded = percent_encoding::percent_decode_str(value.trim()).decode_utf8().ok()?;
    let normalised: String = decoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let engine = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(normalised.as_bytes()).ok().filter(|b| !b.is_empty())
}

/// Whether a held credential is of the requested type, from an accepted issuer, and meets the
/// claim constraints.
pub(crate) fn satisfies(rc: &RequestedCredential, c: &HeldCredential) -> bool {
    c.types.iter().any(|t| t == &rc.credential_type)
        && (rc.accepted_issuers.is_empty() || rc.accepted_issuers.contains(&c.issuer))
        && rc
            .constraints
            .iter()
            .all(|k| k.matches(c.claims.get(&k.claim_name).and_then(Value::as_str)))
}

/// Judges a presentation: `Ok(body of presentation_verified)` or the refusal.
pub fn evaluate(
    state: &AppState,
    r: &StoredRequest,
    spec: &PresentationSpec,
    p: &Presentation<'_>,
) -> Result<Value, Refusal> {
    let settings = state.settings();
    let now = state.clock().now();
    let mut items = Vec::new();
    let mut presented: Vec<&HeldCredential> = Vec::new();
    let mut face_results = Vec::new();
    for rc in &spec.credentials {
        // Expired credentials are never offered; prefer an unrevoked one, as Authenticator does.
        let mut candidates: Vec<&HeldCredential> = p
            .held
            .iter()
            .filter(|c| {
                p.credential_id.is_none_or(|id| c.id == id)
                    && satisfies(rc, c)
                    && !is_expired(c, now)
            })
            .collect();
        candidates.sort_by_key(|c| c.revoked);
        let Some(c) = candidates.first() else {
            return Err(refusal(
                &settings.no_matching_credential_error_code,
                format!(
                    "No credential of type {} from an accepted issuer was presented.",
                    rc.credential_type
                ),
            ));
        };
        if c.revoked && !rc.allow_revoked {
            return Err(refusal(
                &settings.revoked_error_code,
                "The presented credential is revoked.",
            ));
        }
        if rc.validate_linked_domain {
            let fixture_domain = state
                .fixture()
                .providers
                .iter()
                .find(|f| f.issuer_did == c.issuer)
                .map(|f| f.linked_domain.as_str());
            if !linked_domain_verified(&c.issuer, fixture_domain) {
                return Err(refusal(
                    &settings.linked_domain_error_code,
                    format!("The linked domain of issuer {} could not be verified.", c.issuer),
                ));
            }
        }
        let mut item = json!({
            "issuer": c.issuer,
            "type": c.types,
            "claims": c.claims,
            "credentialState": { "revocationStatus": if c.revoked { "REVOKED" } else { "VALID" } },
            "domainValidation": { "url": linked_domain(state, &c.issuer) },
            "issuanceDate": c.issuance_date,
            "expirationDate": c.expiration_date,
        });
        if let Some(fc) = &rc.face_check {
            let Some(photo) = c.claims.get(&fc.source_photo_claim_name).and_then(Value::as_str)
            else {
                return Err(refusal(
                    "claimValidationError",
                    format!(
                        "The credential has no {} claim to match the face against.",
                        fc.source_photo_claim_name
                    ),
                ));
            };
            if photo_claim_bytes(photo).is_none() {
                return Err(refusal(
                    "claimValidationError",
                    format!(
                        "The {} claim of the credential is not a base64 image.",
                        fc.source_photo_claim_name
                    ),
                ));
            }
            if p.score < f64::from(fc.threshold) {
                // The whole presentation fails and the achieved score is not disclosed (§3).
                return Err(refusal(
                    "claimValidationError",
                    "Match confidence score failing to meet the threshold.",
                ));
            }
            item["faceCheck"] = json!({
                "matchConfidenceScore": p.score,
                "sourcePhotoQuality": p.photo_quality,
            });
            face_results.push(json!({
                "sourceVcJti": super::credential::jti(c),
                "matchConfidenceThreshold": fc.threshold,
                "matchConfidenceScore": p.score,
                "sourcePhotoQuality": p.photo_quality,
            }));
        }
        items.push(item);
        presented.push(c);
    }
    let mut body = super::presentation::envelope(r, "presentation_verified");
    body["subject"] = json!(p.subject);
    body["verifiedCredentialsData"] = Value::Array(items.clone());
    if spec.include_receipt {
        let now = state.clock().now_unix();
        // What the wallet sent: a VP JWT signed by the holder whose `verifiableCredential[]` are
        // the credentials as compact JWS (Microsoft's samples split each on '.' to read `jti`).
        let credentials: Vec<String> = presented
            .iter()
            .map(|c| super::credential::credential_jwt(state, c, p.subject))
            .collect();
        let vp = json!({
            "iss": p.subject, "aud": spec.authority, "iat": now, "nbf": now, "exp": now + 600,
            "jti": Uuid::new_v4().to_string(),
            "vp": { "@context": ["https://www.w3.org/2018/credentials/v1"],
                    "type": ["VerifiablePresentation"], "verifiableCredential": credentials },
        });
        let vp_token = super::credential::sign_as(state, p.subject, &vp);
        let mut receipt = json!({ "vp_token": vp_token, "state": r.state });
        if !face_results.is_empty() {
            let fc = json!({
                "iss": spec.authority, "sub": p.subject, "iat": now, "nbf": now,
                "jti": Uuid::new_v4().to_string(),
                "vc": {
                    "@context": ["https://www.w3.org/2018/credentials/v1"],
                    "type": ["VerifiableCredential", "MicrosoftFaceCheckReceipt"],
                    "credentialSubject": { "faceCheckResults": face_results },
                },
            });
            receipt["faceCheck"] = json!(sign(state, &fc));
        }
        body["receipt"] = receipt;
    }
    Ok(body)
}

/// A JWT signed with the emulator's key (receipts are debug material; format not stable).
fn sign(state: &AppState, claims: &Value) -> String {
    let key = state.signing_key();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{linked_domain_verified, photo_claim_bytes};

    #[test]
    fn photo_claims_decode_url_encoded_base64_and_base64url() {
        let jpeg = [0xff_u8, 0xd8, 0xff, 0xe0, 0xfb, 0xff];
        // VerifiedEmployee: UrlEncode(Base64(photo)).
        assert_eq!(photo_claim_bytes("%2F9j%2F4Pv%2F").as_deref(), Some(&jpeg[..]));
        assert_eq!(photo_claim_bytes("%2f9j%2f4Pv%2f").as_deref(), Some(&jpeg[..]));
        // The same, not URL-encoded, and base64url without padding (recovery `portrait`).
        assert_eq!(photo_claim_bytes("/9j/4Pv/").as_deref(), Some(&jpeg[..]));
        assert_eq!(photo_claim_bytes("_9j_4Pv_").as_deref(), Some(&jpeg[..]));
        assert_eq!(photo_claim_bytes("%2F9j%2F4A%3D%3D").as_deref(), Some(&jpeg[..4]));
        assert_eq!(photo_claim_bytes("_9j_4A").as_deref(), Some(&jpeg[..4]));
        assert_eq!(photo_claim_bytes("not a photo!"), None);
        assert_eq!(photo_claim_bytes(""), None);
    }

    #[test]
    fn linked_domain_needs_did_web_matching_the_fixture_domain() {
        let trueid = Some("https://idv.trueid.example/");
        assert!(linked_domain_verified("did:web:idv.trueid.example", trueid));
        assert!(linked_domain_verified("did:web:IDV.TrueID.example", trueid));
        assert!(!linked_domain_verified("did:web:idv.other.example", trueid));
        assert!(!linked_domain_verified("did:ion:EiAbc", trueid));
        assert!(!linked_domain_verified("did:web:idv.trueid.example", Some("not a url")));
        assert!(linked_domain_verified(
            "did:web:localhost%3A8443:issuer",
            Some("https://localhost:8443/")
        ));
        // Not in the fixture: any did:web passes, any other method fails.
        assert!(linked_domain_verified("did:web:issuer.example", None));
        assert!(!linked_domain_verified("did:ion:EiAbc", None));
        assert!(!linked_domain_verified("did:web:", None));
    }
}
