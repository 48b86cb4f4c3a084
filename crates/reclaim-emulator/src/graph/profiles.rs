//! Verified ID profiles (contract §4.d): `GET /identity/verifiedId/profiles` and `/profiles/{id}`,
//! mapped from the fixture's flattened form onto the Graph entity.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{ApiVersion, Ctx, ok_json};
use crate::fixture::ProfileFixture;
use crate::wire_error::GraphError;

/// Roles that may read Verified ID profiles (the ReadWrite role is delegated-only but harmless here).
const PROFILE_READ: &[&str] = &["VerifiedId-Profile.Read.All", "VerifiedId-Profile.ReadWrite.All"];

/// The `verifiedIdProfile` entity.
fn profile_json(p: &ProfileFixture, version: ApiVersion) -> Value {
    let mut config = json!({
        "type": p.credential_type,
        "acceptedIssuer": p.accepted_issuer,
        "claimBindingSource": "directory",
        "claimBindings": p.claim_bindings.iter().map(|b| json!({
            "sourceAttribute": b.source_attribute,
            "verifiedIdClaim": b.verified_id_claim,
            "matchConfidenceLevel": b.match_confidence_level,
        })).collect::<Vec<_>>(),
        "claimValidation": match p.claim_validation_extension {
            Some(id) => json!({ "isEnabled": true, "customExtensionId": id }),
            None => json!({ "isEnabled": false, "customExtensionId": "" }),
        },
    });
    let mut profile = json!({
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "lastModifiedDateTime": null,
        "state": p.state,
        "verifierDid": p.verifier_did,
        "priority": p.priority,
        "faceCheckConfiguration": { "isEnabled": p.face_check, "sourcePhotoClaimName": "portrait" },
        "verifiedIdUsageConfigurations": [
            { "isEnabledForTestOnly": p.evaluation_mode, "purpose": p.purpose }
        ],
    });
    if version == ApiVersion::Beta {
        // Beta-only properties (contract §4.d table).
        config["methodType"] = json!("identityVerificationPartner");
        config["manifestUrl"] = Value::Null;
        profile["mobileDriversLicenseConfiguration"] = Value::Null;
        profile["selfServiceIssuance"] = Value::Null;
    }
    profile["verifiedIdProfileConfiguration"] = config;
    profile
}

/// `GET /{version}/identity/verifiedId/profiles` — every profile, wrapped in `value`.
pub(crate) async fn list_profiles(ctx: Ctx) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[PROFILE_READ])?;
        let value: Vec<Value> =
            ctx.state.directory().profiles().iter().map(|p| profile_json(p, ctx.version)).collect();
        Ok(ok_json(
            StatusCode::OK,
            json!({ "@odata.context": ctx.metadata("identity/verifiedId/profiles"), "value": value }),
        ))
    })();
    ctx.respond(r)
}

/// `GET /{version}/identity/verifiedId/profiles/{id}` — the entity itself (not wrapped in `value`).
pub(crate) async fn get_profile(ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[PROFILE_READ])?;
        let p = ctx
            .state
            .directory()
            .profiles()
            .iter()
            .find(|p| p.id.to_string().eq_ignore_ascii_case(id.trim()))
            .map(|p| profile_json(p, ctx.version))
            .ok_or_else(|| {
                GraphError::not_found(format!(
                    "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
                ))
            })?;
        let mut body = p;
        body["@odata.context"] = json!(ctx.metadata("identity/verifiedId/profiles/$entity"));
        Ok(ok_json(StatusCode::OK, body))
    })();
    ctx.respond(r)
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ProfilePatch {
    /// `faceCheckConfiguration.isEnabled`.
    face_check: bool,
}

/// `PATCH {control}/directory/profiles/{id} {"faceCheck": false}` — turn a profile's Face Check
/// off (or on), as an admin could in the profile's settings.
async fn control_patch(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
    Path(id): Path<String>,
    axum::Json(patch): axum::Json<ProfilePatch>,
) -> StatusCode {
    let Ok(id) = uuid::Uuid::parse_str(id.trim()) else {
        return StatusCode::NOT_FOUND;
    };
    if s.directory().set_face_check(id, patch.face_check) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

/// Control routes for the Verified ID profiles.
pub(crate) fn control_routes() -> axum::Router<crate::state::AppState> {
    axum::Router::new().route("/directory/profiles/{id}", axum::routing::patch(control_patch))
}
