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
    /// The `type` the caller sent; the service issues the contract's type(s) whatever it says
    /// (Microsoft's sample sends `"ignore-this"`).
    pub requested_type: String,
    pub manifest: String,
    /// The `claims` the caller sent (ID token hint input claims).
    pub claims: Map<String, Value>,
    pub pin: Option<PinSpec>,
    pub expiration_date: Option<String>,
    /// What the contract named by `manifest` makes of it (set once the contract is resolved).
    pub credential: CredentialSpec,
}

/// The credential an issuance request yields, from its contract's rules.
#[derive(Debug, Clone, Default)]
pub struct CredentialSpec {
    pub contract_id: String,
    /// The contract's `rules.vc.type`.
    pub types: Vec<String>,
    /// Output claims after the contract's mappings.
    pub claims: Map<String, Value>,
    /// The contract's `validityInterval`, seconds.
    pub validity_secs: i64,
    /// The contract's display card title.
    pub title: String,
    /// VerifiedEmployee: the claims are read from the directory entry of the account signed in
    /// to the wallet when the credential is added, not from the request (`microsoft-apis-v2.md` §5.1).
    pub directory_claims: bool,
}

/// The issuance PIN (`pin`): plain, or a salted SHA-256 hash (`value` = base64(SHA-256(salt + pin))).
#[derive(Clone)]
pub struct PinSpec {
    pub value: String,
    pub length: u8,
    pub salt: Option<String>,
}

impl std::fmt::Debug for PinSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The PIN (or its hash) is a secret: never in logs.
        f.debug_struct("PinSpec")
            .field("length", &self.length)
            .field("hashed", &self.salt.is_some())
            .finish_non_exhaustive()
    }
}

impl PinSpec {
    /// Whether the PIN the person typed is this one.
    pub fn matches(&self, entered: &str) -> bool {
        use base64::Engine as _;
        use sha2::Digest as _;
        use subtle::ConstantTimeEq as _;
        let entered = entered.trim();
        if entered.len() != usize::from(self.length) || !entered.bytes().all(|b| b.is_ascii_digit())
        {
            return false;
        }
        let expected = match &self.salt {
            None => entered.to_owned(),
            Some(salt) => base64::engine::general_purpose::STANDARD
                .encode(sha2::Sha256::digest(format!("{salt}{entered}").as_bytes())),
        };
        bool::from(expected.as_bytes().ct_eq(self.value.as_bytes()))
    }
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
    let requested_type = req_str(&v, "", "type")?;
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
    let pin = match opt_obj(&v, "", "pin")? {
        None => None,
        Some(pin) => Some(pin_spec(pin)?),
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
        requested_type,
        manifest,
        claims,
        pin,
        expiration_date,
        credential: CredentialSpec::default(),
    })
}

/// `pin` (issuance-request-api, Pin type): `value`, `type` (`numeric`), `length` (4–16, default 6),
/// and for a hashed PIN `salt`, `alg` (`sha256`), `iterations` (`1`).
fn pin_spec(pin: &Value) -> R<PinSpec> {
    use base64::Engine as _;
    let value = req_str(pin, "pin", "value")?;
    let explicit_length = match field(pin, "length") {
        None => None,
        Some(l) => match l.as_u64() {
            Some(n @ 4..=16) => Some(n as u8),
            _ => {
                return Err(VcError::bad_field(
                    "pin.length",
                    "field pin.length must be an integer between 4 and 16",
                ));
            }
        },
    };
    if let Some(t) = opt_str(pin, "pin", "type")?
        && !t.eq_ignore_ascii_case("numeric")
    {
        return Err(VcError::bad_field("pin.type", "field pin.type must be numeric"));
    }
    let salt = opt_str(pin, "pin", "salt")?;
    if let Some(alg) = opt_str(pin, "pin", "alg")?
        && !alg.eq_ignore_ascii_case("sha256")
    {
        return Err(VcError::bad_field("pin.alg", "field pin.alg must be sha256"));
    }
    if let Some(n) = field(pin, "iterations")
        && n.as_u64() != Some(1)
    {
        return Err(VcError::bad_field("pin.iterations", "field pin.iterations must be 1"));
    }
    let length = match &salt {
        Some(_) => {
            let hash = base64::engine::general_purpose::STANDARD.decode(value.as_bytes());
            if hash.map(|h| h.len()) != Ok(32) {
                return Err(VcError::bad_field(
                    "pin.value",
                    "field pin.value must be the base64 SHA-256 hash of salt + PIN",
                ));
            }
            explicit_length.unwrap_or(6)
        }
        None => {
            let length = explicit_length.unwrap_or(value.len().min(255) as u8);
            if value.len() != usize::from(length)
                || !(4..=16).contains(&length)
                || !value.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(VcError::bad_field(
                    "pin.value",
                    "field pin.value must be a numeric PIN of pin.length digits",
                ));
            }
            length
        }
    };
    Ok(PinSpec { value, length, salt })
}
