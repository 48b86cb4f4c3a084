//! Authentication-method policy objects (contract §4.b, §4.c): `VerifiableCredentials`
//! (profile ↔ group mapping) and `TemporaryAccessPass` (lifetimes, length, one-time use, scope).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Ctx, ok_json};
use crate::fixture::TargetFixture;
use crate::wire_error::GraphError;

/// Roles that may read authentication-method policies.
pub(crate) const POLICY_READ: &[&str] = &[
    "Policy.Read.AuthenticationMethod",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.Read.All",
];

fn exclude(t: &TargetFixture) -> Value {
    json!({ "id": t.id, "targetType": t.target_type })
}

/// `GET /{version}/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}`
/// — `VerifiableCredentials` or `TemporaryAccessPass`.
pub(crate) async fn get_method_configuration(ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[POLICY_READ])?;
        let dir = ctx.state.directory();
        let context = ctx.metadata(
            "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity",
        );
        let targets_context = |canon: &str, cast: &str| {
            format!(
                "{}/{}/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations('{canon}')/microsoft.graph.{cast}/includeTargets",
                ctx.base,
                ctx.version.as_str()
            )
        };
        let body = if id.eq_ignore_ascii_case("VerifiableCredentials") {
            let p = dir.vc_policy();
            json!({
                "@odata.context": context,
                "@odata.type": "#microsoft.graph.verifiableCredentialsAuthenticationMethodConfiguration",
                "id": "VerifiableCredentials",
                "state": p.state,
                "excludeTargets": p.exclude_targets.iter().map(exclude).collect::<Vec<_>>(),
                "includeTargets@odata.context": targets_context(
                    "VerifiableCredentials",
                    "verifiableCredentialsAuthenticationMethodConfiguration",
                ),
                "includeTargets": p.include_targets.iter().map(|t| json!({
                    "id": t.id,
                    "targetType": t.target_type,
                    "isRegistrationRequired": t.is_registration_required,
                    "verifiedIdProfiles": t.verified_id_profiles,
                })).collect::<Vec<_>>(),
            })
        } else if id.eq_ignore_ascii_case("TemporaryAccessPass") {
            let p = dir.tap_policy();
            json!({
                "@odata.context": context,
                "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
                "id": "TemporaryAccessPass",
                "state": p.state,
                "defaultLifetimeInMinutes": p.default_lifetime_in_minutes,
                "defaultLength": p.default_length,
                "minimumLifetimeInMinutes": p.minimum_lifetime_in_minutes,
                "maximumLifetimeInMinutes": p.maximum_lifetime_in_minutes,
                "isUsableOnce": p.is_usable_once,
                "excludeTargets": p.exclude_targets.iter().map(exclude).collect::<Vec<_>>(),
                "includeTargets@odata.context": targets_context(
                    "TemporaryAccessPass",
                    "temporaryAccessPassAuthenticationMethodConfiguration",
                ),
                "includeTargets": p.include_targets.iter().map(|t| json!({
                    "id": t.id,
                    "targetType": t.target_type,
                    "isRegistrationRequired": false,
                })).collect::<Vec<_>>(),
            })
        } else {
            return Err(GraphError::not_found(format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            )));
        };
        Ok(ok_json(StatusCode::OK, body))
    })();
    ctx.respond(r)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyPatch {
    /// `enabled` or `disabled`.
    state: String,
}

/// `PATCH {control}/directory/policies/{VerifiableCredentials | TemporaryAccessPass}
/// {"state": "disabled"}` — turn a policy off (or on) while a recovery is under way.
async fn control_patch(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::Json(patch): axum::Json<PolicyPatch>,
) -> axum::http::StatusCode {
    let enabled = match patch.state.to_ascii_lowercase().as_str() {
        "enabled" => true,
        "disabled" => false,
        _ => return axum::http::StatusCode::BAD_REQUEST,
    };
    if s.directory().set_policy_state(&id, enabled) {
        axum::http::StatusCode::NO_CONTENT
    } else {
        axum::http::StatusCode::NOT_FOUND
    }
}

/// Control routes for the authentication-method policies.
pub(crate) fn control_routes() -> axum::Router<crate::state::AppState> {
    axum::Router::new().route("/directory/policies/{id}", axum::routing::patch(control_patch))
}
