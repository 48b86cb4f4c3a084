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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PolicyPatch {
    /// `enabled` or `disabled`.
    #[serde(default)]
    state: Option<String>,
    /// TemporaryAccessPass only: replaces its include targets (`[{"id", "targetType"}]`).
    #[serde(default)]
    include_targets: Option<Vec<TargetPatch>>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TargetPatch {
    id: String,
    target_type: String,
}

/// `PATCH {control}/directory/policies/{VerifiableCredentials | TemporaryAccessPass}
/// {"state": "disabled"}` — turn a policy off (or on) while a recovery is under way;
/// `{"includeTargets": [{"id": "…", "targetType": "group"}]}` — who the TAP policy covers.
async fn control_patch(
    axum::extract::State(s): axum::extract::State<crate::state::AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::Json(patch): axum::Json<PolicyPatch>,
) -> axum::http::StatusCode {
    let enabled = match patch.state.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("enabled") => Some(true),
        Some("disabled") => Some(false),
        None => None,
        Some(_) => return axum::http::StatusCode::BAD_REQUEST,
    };
    if enabled.is_none() && patch.include_targets.is_none() {
        return axum::http::StatusCode::BAD_REQUEST;
    }
    if let Some(targets) = patch.include_targets {
        let targets = targets
            .into_iter()
            .map(|t| TargetFixture { id: t.id, target_type: t.target_type })
            .collect();
        if !s.directory().set_tap_include_targets(&id, targets) {
            return axum::http::StatusCode::NOT_FOUND;
        }
    }
    match enabled {
        Some(enabled) if !s.directory().set_policy_state(&id, enabled) => {
            axum::http::StatusCode::NOT_FOUND
        }
        _ => axum::http::StatusCode::NO_CONTENT,
    }
}

/// Control routes for the authentication-method policies.
pub(crate) fn control_routes() -> axum::Router<crate::state::AppState> {
    axum::Router::new().route("/directory/policies/{id}", axum::routing::patch(control_patch))
}
