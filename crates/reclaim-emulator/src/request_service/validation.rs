//! Validation of `createPresentationRequest` / `createIssuanceRequest` bodies (contract §2.2, §2.8):
//! each problem is a 400 `badOrMissingField` whose `target` is the JSON path of the offending field.

use serde_json::{Map, Value};

use crate::settings::Settings;
use crate::wire_error::VcError;

/// The callback part shared by both kinds of request.
#[derive(Debug, Clone)]
pub struct CallbackSpec {
    pub url: String,
    pub state: String,
    /// Sent back verbatim on every callback; names are `api-key` / `Authorization` only.
    pub headers: Vec<(String, String)>,
}

/// Face Check as requested for one credential.
#[derive(Debug, Clone)]
pub struct FaceCheckSpec {
    pub source_photo_claim_name: String,
    /// Integer 50–100, default 70.
    pub threshold: u8,
}

/// The single operand of a claim constraint; comparisons are case-insensitive.
#[derive(Debug, Clone)]
pub enum ConstraintOp {
    Values(Vec<String>),
    Contains(String),
    StartsWith(String),
}

#[derive(Debug, Clone)]
pub struct Constraint {
    pub claim_name: String,
    pub op: ConstraintOp,
}

impl Constraint {
    /// Whether a claim value satisfies this constraint.
    pub fn matches(&self, value: Option<&str>) -> bool {
        let Some(v) = value.map(str::to_lowercase) else { return false };
        match &self.op {
            ConstraintOp::Values(vs) => vs.iter().any(|x| x.to_lowercase() == v),
            ConstraintOp::Contains(s) => v.contains(&s.to_lowercase()),
            ConstraintOp::StartsWith(s) => v.starts_with(&s.to_lowercase()),
        }
    }
}

/// One entry of `requestedCredentials[]`.
#[derive(Debug, Clone)]
pub struct RequestedCredential {
    pub credential_type: String,
    /// Empty means any issuer.
    pub accepted_issuers: Vec<String>,
    pub allow_revoked: bool,
    pub validate_linked_domain: bool,
    pub face_check: Option<FaceCheckSpec>,
    pub constraints: Vec<Constraint>,
}

/// A validated presentation request.
#[derive(Debug, Clone)]
pub struct PresentationSpec {
    pub authority: String,
    pub include_qr_code: bool,
    pub include_receipt: bool,
    pub client_name: String,
    pub purpose: Option<String>,
    pub callback: CallbackSpec,
    pub credentials: Vec<RequestedCredential>,
}

/// A validated issuance request.
#[derive(Debug, Clone)]
pub struct IssuanceSpec {
    pub authority: String,
    pub include_qr_code: bool,
    pub client_name: String,
    pub callback: CallbackSpec,
    pub credential_type: String,
    pub manifest: String,
    pub claims: Map<String, Value>,
    pub pin_length: Option<u8>,
    pub expiration_date: Option<String>,
}

type R<T> = Result<T, VcError>;

/// A member, with JSON `null` treated as absent (as the service's binder does).
fn field<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() { key.to_owned() } else { format!("{parent}.{key}") }
}

fn opt_bool(obj: &Value, parent: &str, key: &str) -> R<Option<bool>> {
    match field(obj, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => {
            let path = join(parent, key);
            Err(VcError::bad_field(&path, format!("field {path} is not boolean")))
        }
    }
}

fn opt_str(obj: &Value, parent: &str, key: &str) -> R<Option<String>> {
    match field(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => {
            let path = join(parent, key);
            Err(VcError::bad_field(&path, format!("field {path} is not a string")))
        }
    }
}

fn req_str(obj: &Value, parent: &str, key: &str) -> R<String> {
    match opt_str(obj, parent, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => {
            let path = join(parent, key);
            Err(VcError::bad_field(&path, format!("field {path} is missing or empty")))
        }
    }
}

fn opt_obj<'a>(obj: &'a Value, parent: &str, key: &str) -> R<Option<&'a Value>> {
    match field(obj, key) {
        None => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => {
            let path = join(parent, key);
            Err(VcError::bad_field(&path, format!("field {path} is not an object")))
        }
    }
}

fn req_obj<'a>(obj: &'a Value, parent: &str, key: &str) -> R<&'a Value> {
    opt_obj(obj, parent, key)?.ok_or_else(|| {
        let path = join(parent, key);
        VcError::bad_field(&path, format!("field {path} is missing"))
    })
}

fn opt_str_array(obj: &Value, parent: &str, key: &str) -> R<Option<Vec<String>>> {
    let path = join(parent, key);
    match field(obj, key) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_owned).ok_or_else(|| {
                    VcError::bad_field(&path, format!("field {path} must hold strings"))
                })
            })
            .collect::<R<Vec<_>>>()
            .map(Some),
        Some(_) => Err(VcError::bad_field(&path, format!("field {path} is not an array"))),
    }
}

/// The body must be a JSON object; anything else is a 400 without a target.
fn root(body: &[u8]) -> R<Value> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        VcError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "badOrMissingField",
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    if !v.is_object() {
        return Err(VcError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "badOrMissingField",
            "The request body must be a JSON object.",
        ));
    }
    Ok(v)
}

fn callback(v: &Value, settings: &Settings) -> R<CallbackSpec> {
    let cb = req_obj(v, "", "callback")?;
    let url = req_str(cb, "callback", "url")?;
    let parsed = url::Url::parse(&url).map_err(|_| {
        VcError::bad_field("callback.url", "The callback URL is unreadable: not an absolute URL.")
    })?;
    let scheme_ok = match parsed.scheme() {
        "https" => true,
        "http" => !settings.require_https_callbacks,
        _ => false,
    };
    if !scheme_ok || parsed.host_str().is_none_or(str::is_empty) {
        return Err(VcError::bad_field(
            "callback.url",
            "The callback URL is unreadable: it must be an https URL reachable by the service.",
        ));
    }
    let state = req_str(cb, "callback", "state")?;
    let mut headers = Vec::new();
    if let Some(h) = opt_obj(cb, "callback", "headers")? {
        for (name, value) in h.as_object().into_iter().flatten() {
            let allowed =
                name.eq_ignore_ascii_case("api-key") || name.eq_ignore_ascii_case("authorization");
            let value = value
                .as_str()
                .filter(|s| axum::http::HeaderValue::from_str(s).is_ok() && !s.is_empty());
            match (allowed, value) {
                (true, Some(val)) => headers.push((name.clone(), val.to_owned())),
                (false, _) => {
                    return Err(VcError::bad_field(
                        "callback.headers",
                        format!(
                            "Invalid callback header '{name}': only api-key and Authorization are allowed."
                        ),
                    ));
                }
                (true, None) => {
                    return Err(VcError::bad_field(
                        "callback.headers",
                        format!("Callback header '{name}' must have a non-empty string value."),
                    ));
                }
            }
        }
    }
    Ok(CallbackSpec { url, state, headers })
}

fn registration(v: &Value) -> R<(String, Option<String>)> {
    let reg = req_obj(v, "", "registration")?;
    let name = req_str(reg, "registration", "clientName")?;
    let purpose = opt_str(reg, "registration", "purpose")?;
    opt_str(reg, "registration", "logoUrl")?;
    opt_str(reg, "registration", "termsOfServiceUrl")?;
    Ok((name, purpose))
}

fn face_check(validation: &Value, parent: &str) -> R<Option<FaceCheckSpec>> {
    let Some(fc) = opt_obj(validation, parent, "faceCheck")? else { return Ok(None) };
    let p = join(parent, "faceCheck");
    let source_photo_claim_name = req_str(fc, &p, "sourcePhotoClaimName")?;
    let threshold = match field(fc, "matchConfidenceThreshold") {
        None => 70,
        Some(t) => match t.as_u64() {
            Some(n @ 50..=100) => n as u8,
            _ => {
                let tp = join(&p, "matchConfidenceThreshold");
                return Err(VcError::bad_field(
                    &tp,
                    format!("field {tp} must be an integer between 50 and 100"),
                ));
            }
        },
    };
    Ok(Some(FaceCheckSpec { source_photo_claim_name, threshold }))
}

fn constraints(rc: &Value, parent: &str) -> R<Vec<Constraint>> {
    let path = join(parent, "constraints");
    let items = match field(rc, "constraints") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(VcError::bad_field(&path, format!("field {path} is not an array"))),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let cp = format!("{path}[{i}]");
            if !c.is_object() {
                return Err(VcError::bad_field(&cp, format!("field {cp} is not an object")));
            }
            let claim_name = req_str(c, &cp, "claimName")?;
            let values = opt_str_array(c, &cp, "values")?;
            let contains = opt_str(c, &cp, "contains")?;
            let starts = opt_str(c, &cp, "startsWith")?;
            let op = match (values, contains, starts) {
                (Some(v), None, None) => ConstraintOp::Values(v),
                (None, Some(s), None) => ConstraintOp::Contains(s),
                (None, None, Some(s)) => ConstraintOp::StartsWith(s),
                _ => {
                    return Err(VcError::bad_field(
                        &cp,
                        format!(
                            "constraint {cp} needs exactly one of values, contains or startsWith"
                        ),
                    ));
                }
            };
            Ok(Constraint { claim_name, op })
        })
        .collect()
}

fn requested_credential(rc: &Value, parent: &str) -> R<RequestedCredential> {
    if !rc.is_object() {
        return Err(VcError::bad_field(parent, format!("field {parent} is not an object")));
    }
    let credential_type = req_str(rc, parent, "type")?;
    opt_str(rc, parent, "purpose")?;
    let accepted_issuers = opt_str_array(rc, parent, "acceptedIssuers")?.unwrap_or_default();
    let cfg_path = join(parent, "configuration");
    let (allow_revoked, validate_linked_domain, face_check) =
        match opt_obj(rc, parent, "configuration")? {
            None => (false, false, None),
            Some(cfg) => match opt_obj(cfg, &cfg_path, "validation")? {
                None => (false, false, None),
                Some(val) => {
                    let vp = join(&cfg_path, "validation");
                    (
                        opt_bool(val, &vp, "allowRevoked")?.unwrap_or(false),
                        opt_bool(val, &vp, "validateLinkedDomain")?.unwrap_or(false),
                        face_check(val, &vp)?,
                    )
                }
            },
        };
    Ok(RequestedCredential {
        credential_type,
        accepted_issuers,
        allow_revoked,
        validate_linked_domain,
        face_check,
        constraints: constraints(rc, parent)?,
    })
}

/// Validates a `createPresentationRequest` body.
pub fn presentation(body: &[u8], settings: &Settings) -> R<PresentationSpec> {
    let v = root(body)?;
    let authority = req_str(&v, "", "authority")?;
    let include_qr_code = opt_bool(&v, "", "includeQRCode")?.unwrap_or(false);
    let include_receipt = opt_bool(&v, "", "includeReceipt")?.unwrap_or(false);
    let (client_name, purpose) = registration(&v)?;
    let callback = callback(&v, settings)?;
    let credentials = match field(&v, "requestedCredentials") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, rc)| requested_credential(rc, &format!("requestedCredentials[{i}]")))
            .collect::<R<Vec<_>>>()?,
        Some(Value::Array(_)) | None => {
            return Err(VcError::bad_field(
                "requestedCredentials",
                "field requestedCredentials is missing or empty",
            ));
        }
        Some(_) => {
            return Err(VcError::bad_field(
                "requestedCredentials",
                "field requestedCredentials is not an array",
            ));
        }
    };
    Ok(PresentationSpec {
        authority,
        include_qr_code,
        include_receipt,
        client_name,
        purpose,
        callback,
        credentials,
    })
}

/// Validates a `createIssuanceRequest` body.
pub fn issuance(body: &[u8], settings: &Settings) -> R<IssuanceSpec> {
    let v = root(body)?;
    let authority = req_str(&v, "", "authority")?;
    let include_qr_code = opt_bool(&v, "", "includeQRCode")?.unwrap_or(false);
    let (client_name, _) = registration(&v)?;
    let callback = callback(&v, settings)?;
    let credential_type = req_str(&v, "", "type")?;
    // Older docs call it `manifest`, newer examples `manifestUrl` (contract §8.3): either will do.
    let manifest = match (opt_str(&v, "", "manifest")?, opt_str(&v, "", "manifestUrl")?) {
        (Some(m), _) | (None, Some(m)) if !m.trim().is_empty() => m,
        _ => return Err(VcError::bad_field("manifest", "field manifest is missing or empty")),
    };
    let claims = match field(&v, "claims") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(VcError::bad_field("claims", "field claims is not an object")),
    };
    let pin_length = match opt_obj(&v, "", "pin")? {
        None => None,
        Some(pin) => {
            req_str(pin, "pin", "value")?;
            match field(pin, "length") {
                None => Some(6),
                Some(l) => match l.as_u64() {
                    Some(n @ 4..=16) => Some(n as u8),
                    _ => {
                        return Err(VcError::bad_field(
                            "pin.length",
                            "field pin.length must be an integer between 4 and 16",
                        ));
                    }
                },
            }
        }
    };
    let expiration_date = opt_str(&v, "", "expirationDate")?;
    if let Some(d) = &expiration_date
        && time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).is_err()
    {
        return Err(VcError::bad_field(
            "expirationDate",
            "field expirationDate is not an ISO-8601 UTC date",
        ));
    }
    Ok(IssuanceSpec {
        authority,
        include_qr_code,
        client_name,
        callback,
        credential_type,
        manifest,
        claims,
        pin_length,
        expiration_date,
    })
}
