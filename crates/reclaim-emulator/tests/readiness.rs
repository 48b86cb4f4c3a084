//! What directory readiness (`reclaim-service scan`, the doctor's TAP and Face Check checks)
//! reads and the tests steer: a group's own `checkMemberGroups` (transitive through nesting),
//! and the control API's changes to the TAP policy's include targets and a profile's Face Check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Emu, READONLY_CLIENT_ID, json};
use reclaim_emulator::identity::Resource;
use serde_json::{Value, json};

const G_PRODUCTION: &str = "6a000000-0000-4000-8000-000000000001";
const G_PILOT: &str = "6a000000-0000-4000-8000-000000000002";
const G_FIELD: &str = "6a000000-0000-4000-8000-000000000004";
const G_TAP: &str = "6a000000-0000-4000-8000-000000000006";
const PRODUCTION_PROFILE: &str = "9a000000-0000-4000-8000-000000000001";
const TAP_POLICY: &str = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

async fn post_graph(emu: &Emu, token: &str, path: &str, body: Value) -> reqwest::Response {
    let url = format!("{}{path}", emu.urls().graph);
    emu.http.post(url).bearer_auth(token).json(&body).send().await.unwrap()
}

async fn get_graph(emu: &Emu, path: &str) -> Value {
    let url = format!("{}{path}", emu.urls().graph);
    json(emu.http.get(url).bearer_auth(emu.graph_token()).send().await.unwrap()).await
}

async fn patch_control(emu: &Emu, path: &str, body: Value) -> u16 {
    let url = format!("{}{path}", emu.urls().control);
    emu.http.patch(url).json(&body).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_groups_check_member_groups_is_transitive_and_needs_group_member_read() {
    let emu = Emu::start().await;
    let token = emu.graph_token();
    let wanted = json!({ "groupIds": [G_PRODUCTION, G_PILOT, G_TAP] });
    // Field staff are nested in production, which is nested in the TAP group.
    let r = post_graph(&emu, &token, &format!("/v1.0/groups/{G_FIELD}/checkMemberGroups"), wanted)
        .await;
    assert_eq!(r.status(), 200);
    let b = json(r).await;
    assert_eq!(b["value"], json!([G_PRODUCTION, G_TAP]));
    assert_eq!(
        b["@odata.context"],
        format!("{}/v1.0/$metadata#Collection(Edm.String)", emu.urls().graph)
    );
    // A group is not its own member; the pilot group is in nothing.
    let r = post_graph(
        &emu,
        &token,
        &format!("/beta/groups/{G_PILOT}/checkMemberGroups"),
        json!({ "groupIds": [G_PILOT, G_TAP] }),
    )
    .await;
    assert_eq!(json(r).await["value"], json!([]));
    // An unknown group: Graph's 404.
    let r = post_graph(
        &emu,
        &token,
        "/v1.0/groups/6a000000-0000-4000-8000-0000000000ff/checkMemberGroups",
        json!({ "groupIds": [G_TAP] }),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["error"]["code"], "Request_ResourceNotFound");
    // User.Read.All alone does not read group membership.
    let weak = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["User.Read.All"]);
    let r = post_graph(
        &emu,
        &weak,
        &format!("/v1.0/groups/{G_FIELD}/checkMemberGroups"),
        json!({ "groupIds": [G_TAP] }),
    )
    .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn the_control_api_changes_the_tap_policys_targets_and_a_profiles_face_check() {
    let emu = Emu::start().await;
    let include = json!({ "includeTargets": [{ "id": G_PRODUCTION, "targetType": "group" }] });
    assert_eq!(patch_control(&emu, "/directory/policies/TemporaryAccessPass", include).await, 204);
    let policy = get_graph(&emu, TAP_POLICY).await;
    assert_eq!(
        policy["includeTargets"],
        json!([{ "id": G_PRODUCTION, "targetType": "group", "isRegistrationRequired": false }])
    );
    assert_eq!(policy["state"], "enabled", "the state is kept");
    // Only the TAP policy's targets can be replaced; an empty change is refused.
    let include = json!({ "includeTargets": [] });
    assert_eq!(
        patch_control(&emu, "/directory/policies/VerifiableCredentials", include).await,
        404
    );
    assert_eq!(
        patch_control(&emu, "/directory/policies/TemporaryAccessPass", json!({})).await,
        400
    );
    // The state alone still works as before.
    let off = json!({ "state": "disabled" });
    assert_eq!(patch_control(&emu, "/directory/policies/TemporaryAccessPass", off).await, 204);
    assert_eq!(get_graph(&emu, TAP_POLICY).await["state"], "disabled");

    let path = format!("/v1.0/identity/verifiedId/profiles/{PRODUCTION_PROFILE}");
    assert_eq!(get_graph(&emu, &path).await["faceCheckConfiguration"]["isEnabled"], true);
    let face = format!("/directory/profiles/{PRODUCTION_PROFILE}");
    assert_eq!(patch_control(&emu, &face, json!({ "faceCheck": false })).await, 204);
    let profile = get_graph(&emu, &path).await;
    assert_eq!(
        profile["faceCheckConfiguration"],
        json!({ "isEnabled": false, "sourcePhotoClaimName": "portrait" })
    );
    let unknown = "/directory/profiles/9a000000-0000-4000-8000-0000000000ff";
    assert_eq!(patch_control(&emu, unknown, json!({ "faceCheck": false })).await, 404);
}
