//! `GET /{version}/identity/customAuthenticationExtensions[/{id}]`: the account-recovery
//! claim-validation extensions of the fixture (`microsoft-apis-v2.md` §6.1), as Graph returns an
//! `onVerifiedIdClaimValidationCustomExtension`. Their `targetUrl` is the emulated HR system on
//! this listener (`{root}/hr/...`). Reading them needs `CustomAuthenticationExtension.Read.All`
//! (or `.ReadWrite.All`, or `Application.Read.All`, which the Graph reference also lists).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Ctx, ok_json};
use crate::fixture::CustomExtensionFixture;
use crate::wire_error::GraphError;

const EXTENSION_READ: &[&str] = &[
    "CustomAuthenticationExtension.Read.All",
    "CustomAuthenticationExtension.ReadWrite.All",
    "Application.Read.All",
];

/// The emulator's root URL for this request (`http://127.0.0.1:port` from `…/graph`).
fn root(ctx: &Ctx) -> String {
    ctx.base.strip_suffix("/graph").unwrap_or(&ctx.base).to_owned()
}

fn extension_json(ctx: &Ctx, e: &CustomExtensionFixture) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.onVerifiedIdClaimValidationCustomExtension",
        "id": e.id,
        "displayName": e.display_name,
        "description": null,
        "endpointConfiguration": {
            "@odata.type": "#microsoft.graph.httpRequestEndpoint",
            "targetUrl": format!("{}{}", root(ctx), e.target_path),
        },
        "authenticationConfiguration": {
            "@odata.type": "#microsoft.graph.azureAdTokenAuthentication",
            "resourceId": e.resource_id,
        },
        "clientConfiguration": {
            "timeoutInMilliseconds": e.timeout_ms,
            "maximumRetries": e.max_retries,
        },
        "behaviorOnError": { "@odata.type": "#microsoft.graph.customExtensionBehaviorOnError" },
    })
}

/// `GET …/identity/customAuthenticationExtensions`.
pub(crate) async fn list_extensions(ctx: Ctx) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[EXTENSION_READ])?;
        let value: Vec<Value> =
            ctx.state.fixture().custom_extensions.iter().map(|e| extension_json(&ctx, e)).collect();
        Ok(ok_json(
            StatusCode::OK,
            json!({
                "@odata.context": ctx.metadata("identity/customAuthenticationExtensions"),
                "value": value
            }),
        ))
    })();
    ctx.respond(r)
}

/// `GET …/identity/customAuthenticationExtensions/{id}`.
pub(crate) async fn get_extension(ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = (|| -> Result<Response, GraphError> {
        ctx.authorize(&[EXTENSION_READ])?;
        let e = ctx
            .state
            .fixture()
            .custom_extensions
            .iter()
            .find(|e| e.id.to_string().eq_ignore_ascii_case(id.trim()))
            .ok_or_else(|| {
                GraphError::not_found(format!(
                    "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
                ))
            })?;
        let mut body = extension_json(&ctx, e);
        body["@odata.context"] =
            json!(ctx.metadata("identity/customAuthenticationExtensions/$entity"));
        Ok(ok_json(StatusCode::OK, body))
    })();
    ctx.respond(r)
}
