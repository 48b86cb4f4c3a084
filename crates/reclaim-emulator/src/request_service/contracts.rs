//! Credential contracts: the manifest a contract is published as
//! (`GET …/v1.0/tenants/{tid}/verifiableCredentials/contracts/{id}/manifest` → `{"token": "<JWS>"}`)
//! and what `createIssuanceRequest` makes of the contract its `manifest` names: the credential's
//! type(s) from the rules, its claims through the rules' ID-token-hint mappings.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::credential;
use super::validation::{CredentialSpec, IssuanceSpec};
use crate::fixture::ContractFixture;
use crate::server::PublicBase;
use crate::state::AppState;
use crate::wire_error::VcError;

/// `{base}/v1.0/tenants/{tid}/verifiableCredentials/contracts/{id}/manifest`.
pub fn manifest_url(base: &str, tenant: &str, contract_id: &str) -> String {
    format!(
        "{}/v1.0/tenants/{tenant}/verifiableCredentials/contracts/{contract_id}/manifest",
        base.trim_end_matches('/')
    )
}

/// The contract a manifest URL names in this tenant, whatever host it is on (the emulator may be
/// reached by loopback or by the real host name): `…/[tenants/]{tid}/verifiableCredentials/contracts/{id}/manifest`.
pub fn contract_for_url<'a>(state: &'a AppState, manifest: &str) -> Option<&'a ContractFixture> {
    let url = url::Url::parse(manifest.trim()).ok()?;
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let n = segments.len();
    if n < 5
        || segments[n - 1] != "manifest"
        || segments[n - 3] != "contracts"
        || !segments[n - 4].eq_ignore_ascii_case("verifiableCredentials")
    {
        return None;
    }
    if !segments[n - 5].eq_ignore_ascii_case(&state.tenant_id().to_string()) {
        return None;
    }
    state.fixture().contract(segments[n - 2])
}

/// The documented answer when the service cannot fetch the contract the request names
/// (issuance-request-api: `fetch_contract_error`; the service answers it as
/// `400 badRequest / badOrMissingField` with that message — MicrosoftDocs/azure-docs issue 97977).
pub fn fetch_contract_error() -> VcError {
    VcError::new(StatusCode::BAD_REQUEST, "badOrMissingField", "fetch_contract_error")
}

/// Resolves the contract `spec.manifest` names and fills `spec.credential`: the contract's types,
/// the request's claims mapped to output claims, the validity interval.
pub fn resolve(state: &AppState, spec: &mut IssuanceSpec) -> Result<(), VcError> {
    let contract = contract_for_url(state, &spec.manifest).ok_or_else(fetch_contract_error)?;
    if contract.authority != spec.authority {
        return Err(VcError::bad_field(
            "authority",
            format!(
                "The authority {} is not the issuer of the contract, {}.",
                spec.authority, contract.authority
            ),
        ));
    }
    if !contract.rules.vc.types.contains(&spec.requested_type) {
        // As the real service: the type comes from the contract's rules (Microsoft's sample sends
        // "ignore-this"); the caller's is only noted.
        tracing::warn!(
            requested = %spec.requested_type,
            contract = %contract.id,
            issued = ?contract.rules.vc.types,
            "createIssuanceRequest type differs from the contract's; the contract's is issued"
        );
    }
    let id_token_hint = !contract.rules.attestations.id_token_hints.is_empty();
    // `claims`, `pin` and `expirationDate` belong to the ID token hint attestation only; a
    // VerifiedEmployee's claims always come from the directory (microsoft-apis-v2.md §5.1).
    let expiration = spec.expiration_date.is_some();
    if !id_token_hint && (spec.pin.is_some() || !spec.claims.is_empty() || expiration) {
        let target = if spec.pin.is_some() {
            "pin"
        } else if !spec.claims.is_empty() {
            "claims"
        } else {
            "expirationDate"
        };
        return Err(VcError::bad_field(
            target,
            format!("field {target} can only be used with the ID token hint attestation"),
        ));
    }
    if spec.expiration_date.is_some() && !contract.allow_override_validity_on_issuance {
        return Err(VcError::bad_field(
            "expirationDate",
            "expirationDate needs the contract flag allowOverrideValidityOnIssuance",
        ));
    }
    let mut claims = Map::new();
    for m in contract.mappings() {
        match spec.claims.get(m.input_key()).filter(|v| !v.is_null()) {
            Some(v) => {
                let s = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
                claims.insert(m.output_claim.clone(), Value::String(s));
            }
            None if m.required => {
                return Err(VcError::bad_field(
                    "claims",
                    format!("Required claim {} is missing from claims.", m.input_key()),
                ));
            }
            None => {}
        }
    }
    spec.credential = CredentialSpec {
        contract_id: contract.id.clone(),
        types: contract.rules.vc.types.clone(),
        claims,
        validity_secs: contract.rules.validity_interval,
        title: contract.display.card.title.clone(),
        directory_claims: contract.is_verified_employee(),
    };
    Ok(())
}

/// The manifest's payload: `id`, `display` (card, consent, claims keyed by their path), `input`
/// (the issuer and the attestations: ID token hints appear as `idTokens` with
/// `configuration: "https://self-issued.me"` and `claims[].claim` = `$.<inputClaim>`), `iss`, `iat`.
pub fn manifest_payload(state: &AppState, base: &str, c: &ContractFixture) -> Value {
    let tenant = state.tenant_id().to_string();
    let mut display_claims = Map::new();
    for d in &c.display.claims {
        let mut entry = json!({ "type": d.claim_type, "label": d.label });
        if let Some(desc) = &d.description {
            entry["description"] = json!(desc);
        }
        display_claims.insert(d.claim.clone(), entry);
    }
    let mut card = json!({
        "title": c.display.card.title,
        "issuedBy": c.display.card.issued_by,
        "backgroundColor": c.display.card.background_color,
        "textColor": c.display.card.text_color,
        "description": c.display.card.description,
    });
    if let Some(logo) = &c.display.card.logo {
        card["logo"] = json!({ "uri": logo.uri, "description": logo.description });
    }
    let id_tokens: Vec<Value> = c
        .rules
        .attestations
        .id_token_hints
        .iter()
        .map(|a| {
            let claims: Vec<Value> = a
                .mapping
                .iter()
                .map(|m| {
                    json!({
                        "claim": format!("$.{}", m.input_key()),
                        "required": m.required,
                        "indexed": m.indexed,
                    })
                })
                .collect();
            json!({
                "id": "https://self-issued.me",
                "encrypted": false,
                "claims": claims,
                "required": a.required,
                "configuration": "https://self-issued.me",
                "client_id": "",
                "redirect_uri": "",
            })
        })
        .collect();
    json!({
        "id": c.id,
        "display": {
            "locale": c.display.locale,
            "contract": manifest_url(base, &tenant, &c.id),
            "card": card,
            "consent": { "title": c.display.consent.title, "instructions": c.display.consent.instructions },
            "claims": display_claims,
        },
        "input": {
            "credentialIssuer": format!(
                "{}/v1.0/tenants/{tenant}/verifiableCredentials/issue",
                base.trim_end_matches('/')
            ),
            "issuer": c.authority,
            "attestations": { "idTokens": id_tokens },
        },
        "iss": c.authority,
        "iat": state.clock().now_unix(),
    })
}

/// `GET /v1.0/tenants/{tid}/verifiableCredentials/contracts/{id}/manifest` — `{"token": "<JWS>"}`
/// signed as the contract's issuer; 404 `notFound` for another tenant or an unknown contract.
pub async fn manifest(
    State(state): State<AppState>,
    PublicBase(base): PublicBase,
    Path((tid, id)): Path<(String, String)>,
) -> Result<Json<Value>, VcError> {
    let contract = state
        .fixture()
        .contract(&id)
        .filter(|_| tid.eq_ignore_ascii_case(&state.tenant_id().to_string()))
        .ok_or_else(|| {
            VcError::new(StatusCode::NOT_FOUND, "notFound", format!("Contract {id} was not found."))
                .with_target("contract")
        })?;
    let payload = manifest_payload(&state, &base, contract);
    Ok(Json(json!({ "token": credential::sign_as(&state, &contract.authority, &payload) })))
}
