//! Contract tests for the emulated Microsoft Graph (contract §4): a real server on loopback and
//! a real HTTP client, asserting what a Graph client would check.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::{Emu, KIOSK_CLIENT_ID, READONLY_CLIENT_ID, json};
use reclaim_emulator::identity::Resource;
use serde_json::{Value, json};

const ANA: &str = "1a000000-0000-4000-8000-000000000001";
const ZOE: &str = "1a000000-0000-4000-8000-000000000004";
const SIOBHAN: &str = "1a000000-0000-4000-8000-000000000005";
const DANA: &str = "1a000000-0000-4000-8000-000000000008";
const TOMAS: &str = "1a000000-0000-4000-8000-00000000000b";
const NORA: &str = "1a000000-0000-4000-8000-00000000000d";
/// Percent-encoded: `#` would start a fragment.
const GINA_UPN: &str = "gina.okafor_partner.example%23EXT%23@contoso.example";
const G_PRODUCTION: &str = "6a000000-0000-4000-8000-000000000001";
const G_PILOT: &str = "6a000000-0000-4000-8000-000000000002";
const G_FIELD: &str = "6a000000-0000-4000-8000-000000000004";
const G_TAP: &str = "6a000000-0000-4000-8000-000000000006";
/// Every user row of the demo fixture (counted, not hard-coded: the fixture grows with features).
fn users_in_demo() -> usize {
    reclaim_emulator::Fixture::demo().users.len()
}
const POLICY_REFUSAL: &str = "Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].";

fn url(emu: &Emu, path: &str) -> String {
    format!("{}{path}", emu.urls().graph)
}

async fn get(emu: &Emu, path: &str, query: &[(&str, &str)]) -> reqwest::Response {
    emu.http.get(url(emu, path)).bearer_auth(emu.graph_token()).query(query).send().await.unwrap()
}

async fn get_eventual(emu: &Emu, path: &str, query: &[(&str, &str)]) -> reqwest::Response {
    emu.http
        .get(url(emu, path))
        .bearer_auth(emu.graph_token())
        .header("ConsistencyLevel", "eventual")
        .query(query)
        .send()
        .await
        .unwrap()
}

async fn post(emu: &Emu, path: &str, body: Value) -> reqwest::Response {
    emu.http.post(url(emu, path)).bearer_auth(emu.graph_token()).json(&body).send().await.unwrap()
}

/// Users found by a filter, as (status, body).
async fn find(emu: &Emu, filter: &str) -> (u16, Value) {
    let r = get(emu, "/v1.0/users", &[("$filter", filter)]).await;
    let status = r.status().as_u16();
    (status, json(r).await)
}

fn upns(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts a Graph error body and returns it.
async fn graph_error(r: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert!(r.headers().contains_key("request-id"), "request-id header on errors");
    let body = json(r).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string());
    assert!(body["error"]["innerError"]["request-id"].is_string());
    assert!(body["error"]["innerError"]["date"].is_string());
    body
}

#[tokio::test]
async fn contract_name_lookup_request_returns_the_selected_shape() {
    let emu = Emu::start().await;
    let select = "id,givenName,surname,userPrincipalName,displayName,accountEnabled,userType";
    let r = get(
        &emu,
        "/v1.0/users",
        &[
            ("$filter", "givenName eq 'Ana' and surname eq 'Lima'"),
            ("$select", select),
            ("$top", "2"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("request-id"));
    let body = json(r).await;
    assert_eq!(
        body["@odata.context"],
        format!("{}/v1.0/$metadata#users({select})", emu.urls().graph)
    );
    assert!(body.get("@odata.nextLink").is_none());
    assert!(body.get("@odata.count").is_none());
    let users = body["value"].as_array().unwrap();
    assert_eq!(users.len(), 1);
    let keys: HashSet<&str> = users[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, select.split(',').collect());
    assert_eq!(
        users[0],
        json!({"id": ANA, "givenName": "Ana", "surname": "Lima",
               "userPrincipalName": "ana.lima@contoso.example", "displayName": "Ana Lima",
               "accountEnabled": true, "userType": "Member"})
    );
}

#[tokio::test]
async fn duplicate_names_apostrophes_case_and_diacritics() {
    let emu = Emu::start().await;
    let (s, b) = find(&emu, "givenName eq 'James' and surname eq 'Smith'").await;
    assert_eq!(s, 200);
    assert_eq!(upns(&b), ["james.smith@contoso.example", "james.smith2@contoso.example"]);

    let (_, b) = find(&emu, "givenName eq 'Siobhán' and surname eq 'O''Brien'").await;
    assert_eq!(b["value"][0]["id"], SIOBHAN);
    assert_eq!(b["value"].as_array().unwrap().len(), 1);
    // Case-insensitive, including non-ASCII letters.
    let (_, b) = find(&emu, "givenName eq 'SIOBHÁN' and surname eq 'o''brien'").await;
    assert_eq!(b["value"][0]["id"], SIOBHAN);
    let (_, b) = find(&emu, "givenname EQ 'ana' AND SURNAME eq 'LIMA'").await;
    assert_eq!(upns(&b), ["ana.lima@contoso.example"]);

    // Diacritics arrive as percent-encoded UTF-8 and are significant.
    let raw = format!(
        "{}/v1.0/users?$filter=givenName%20eq%20%27Zo%C3%AB%27%20and%20surname%20eq%20%27Wi%C5%9Bniewska%27",
        emu.urls().graph
    );
    let b = json(emu.http.get(raw).bearer_auth(emu.graph_token()).send().await.unwrap()).await;
    assert_eq!(b["value"][0]["id"], ZOE);
    assert_eq!(b["value"][0]["givenName"], "Zoë");
    let (_, b) = find(&emu, "givenName eq 'Zoe' and surname eq 'Wisniewska'").await;
    assert_eq!(b["value"], json!([]));

    // Default-supported forms: userPrincipalName/id eq, startsWith, in.
    let (_, b) = find(&emu, "userPrincipalName eq 'ANA.LIMA@contoso.example'").await;
    assert_eq!(b["value"][0]["id"], ANA);
    let (_, b) = find(&emu, &format!("id eq '{ANA}'")).await;
    assert_eq!(upns(&b), ["ana.lima@contoso.example"]);
    let (_, b) = find(&emu, "startsWith(surname,'smi')").await;
    assert_eq!(b["value"].as_array().unwrap().len(), 2);
    let (_, b) = find(&emu, "givenName in ('Nora', 'Priya')").await;
    assert_eq!(upns(&b), ["priya.nair@contoso.example", "nora.quinn@contoso.example"]);
    let (_, b) = find(&emu, "givenName eq 'Nobody'").await;
    assert_eq!(b["value"], json!([]));
}

#[tokio::test]
async fn paging_follows_next_link_verbatim_and_keeps_the_filter() {
    let emu = Emu::start().await;
    let mut seen = Vec::new();
    let mut next =
        Some(format!("{}/v1.0/users?$top=5&$select=id,userPrincipalName", emu.urls().graph));
    let mut pages = 0;
    while let Some(link) = next {
        let r = emu.http.get(&link).bearer_auth(emu.graph_token()).send().await.unwrap();
        assert_eq!(r.status(), 200, "{link}");
        let b = json(r).await;
        pages += 1;
        assert!(b["value"].as_array().unwrap().len() <= 5);
        seen.extend(upns(&b));
        next = b["@odata.nextLink"].as_str().map(str::to_owned);
        if let Some(n) = &next {
            assert!(n.starts_with(&format!("{}/v1.0/users?", emu.urls().graph)), "{n}");
            assert!(n.contains("$skiptoken="), "{n}");
        }
    }
    assert_eq!(pages, users_in_demo().div_ceil(5));
    assert_eq!(seen.len(), users_in_demo());
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), users_in_demo());

    let r = get(&emu, "/v1.0/users", &[("$filter", "surname eq 'Smith'"), ("$top", "1")]).await;
    let first = json(r).await;
    assert_eq!(upns(&first), ["james.smith@contoso.example"]);
    let link = first["@odata.nextLink"].as_str().unwrap();
    let second =
        json(emu.http.get(link).bearer_auth(emu.graph_token()).send().await.unwrap()).await;
    assert_eq!(upns(&second), ["james.smith2@contoso.example"]);
    assert!(second.get("@odata.nextLink").is_none());

    for top in ["0", "1000", "two"] {
        let r = get(&emu, "/v1.0/users", &[("$top", top)]).await;
        graph_error(r, 400, "Request_BadRequest").await;
    }
    let r = get(&emu, "/v1.0/users", &[("$skiptoken", "garbage!")]).await;
    graph_error(r, 400, "Request_BadRequest").await;
}

#[tokio::test]
async fn count_needs_consistency_level_eventual() {
    let emu = Emu::start().await;
    // Header + $count=true: count on the first page only.
    let r = get_eventual(&emu, "/v1.0/users", &[("$count", "true"), ("$top", "10")]).await;
    let b = json(r).await;
    assert_eq!(b["@odata.count"], users_in_demo());
    let link = b["@odata.nextLink"].as_str().unwrap().to_owned();
    let r = emu
        .http
        .get(link)
        .bearer_auth(emu.graph_token())
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .unwrap();
    let b = json(r).await;
    assert!(b.get("@odata.count").is_none());
    assert_eq!(b["value"].as_array().unwrap().len(), (users_in_demo() - 10).min(10));

    // Without the header, $count=true is silently ignored.
    let b = json(get(&emu, "/v1.0/users", &[("$count", "true")]).await).await;
    assert!(b.get("@odata.count").is_none());
    assert_eq!(b["value"].as_array().unwrap().len(), users_in_demo());

    let r = get(&emu, "/v1.0/users/$count", &[]).await;
    let e = graph_error(r, 400, "Request_BadRequest").await;
    assert_eq!(e["error"]["message"], "$count is not currently supported.");
    let r = get_eventual(&emu, "/v1.0/users/$count", &[("$filter", "surname eq 'Smith'")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "2");
}

#[tokio::test]
async fn advanced_operators_need_advanced_query_parameters() {
    let emu = Emu::start().await;
    for f in [
        "givenName ne 'Ana'",
        "not(givenName eq 'Ana')",
        "endsWith(surname,'ith')",
        "givenName eq null",
    ] {
        let (s, b) = find(&emu, f).await;
        assert_eq!(s, 400, "{f}");
        assert_eq!(b["error"]["code"], "Request_UnsupportedQuery", "{f}");
    }
    // Header alone is not enough: $count=true is required too.
    let r = get_eventual(&emu, "/v1.0/users", &[("$filter", "givenName ne 'Ana'")]).await;
    graph_error(r, 400, "Request_UnsupportedQuery").await;
    let r = get_eventual(
        &emu,
        "/v1.0/users",
        &[("$filter", "endsWith(surname,'ITH')"), ("$count", "true")],
    )
    .await;
    let b = json(r).await;
    assert_eq!(b["@odata.count"], 2);
    let r =
        get_eventual(&emu, "/v1.0/users", &[("$filter", "givenName eq null"), ("$count", "true")])
            .await;
    assert_eq!(upns(&json(r).await), ["sam.blank@contoso.example"]);
    let r =
        get_eventual(&emu, "/v1.0/users", &[("$filter", "givenName ne 'Ana'"), ("$count", "true")])
            .await;
    let b = json(r).await;
    assert!(!upns(&b).contains(&"ana.lima@contoso.example".to_owned()));
}

#[tokio::test]
async fn malformed_filters_are_400_never_a_crash() {
    let emu = Emu::start().await;
    let deep = format!("{}givenName eq 'a'{}", "(".repeat(300), ")".repeat(300));
    let huge = format!("givenName eq '{}'", "x".repeat(10_000));
    for f in [
        "givenName eq",
        "givenName = 'Ana'",
        "givenName eq 'Ana",
        "givenName eq 'Ana' and",
        "(givenName eq 'Ana'",
        "startsWith(givenName)",
        "givenName in ()",
        "accountEnabled eq 'yes'",
        "'Ana' eq givenName",
        "\u{0}",
        deep.as_str(),
        huge.as_str(),
    ] {
        let (s, b) = find(&emu, f).await;
        assert_eq!(s, 400, "{f}");
        assert_eq!(b["error"]["code"], "Request_BadRequest", "{f}: {b}");
    }
    let (_, b) = find(&emu, "nickname eq 'x'").await;
    assert_eq!(
        b["error"]["message"],
        "Could not find a property named 'nickname' on type 'microsoft.graph.user'."
    );
    let r = get(&emu, "/v1.0/users", &[("$select", "id,shoeSize")]).await;
    graph_error(r, 400, "Request_BadRequest").await;
}

#[tokio::test]
async fn get_user_by_id_upn_and_guest_upn() {
    let emu = Emu::start().await;
    let b = json(get(&emu, &format!("/v1.0/users/{ANA}"), &[]).await).await;
    let keys: HashSet<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    let expected: HashSet<&str> = [
        "@odata.context",
        "id",
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
    ]
    .into();
    assert_eq!(keys, expected);
    assert_eq!(b["@odata.context"], format!("{}/v1.0/$metadata#users/$entity", emu.urls().graph));
    assert_eq!(b["businessPhones"], json!([]));

    let b = json(
        get(
            &emu,
            "/v1.0/users/ANA.LIMA@CONTOSO.EXAMPLE",
            &[("$select", "accountEnabled,userType")],
        )
        .await,
    )
    .await;
    assert_eq!(b["id"], ANA);
    assert_eq!(b["accountEnabled"], true);
    assert_eq!(b["userType"], "Member");
    assert!(b.get("displayName").is_none());

    // `#EXT#` must be percent-encoded in the path.
    let r = get(
        &emu,
        "/v1.0/users/gina.okafor_partner.example%23EXT%23@contoso.example",
        &[("$select", "id,userType")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["userType"], "Guest");

    let b = json(get(&emu, &format!("/v1.0/users/{DANA}"), &[("$select", "accountEnabled")]).await)
        .await;
    assert_eq!(b["accountEnabled"], false);

    let r = get(&emu, "/v1.0/users/nobody@contoso.example", &[]).await;
    let e = graph_error(r, 404, "Request_ResourceNotFound").await;
    assert_eq!(
        e["error"]["message"],
        "Resource 'nobody@contoso.example' does not exist or one of its queried reference-property objects are not present."
    );
    // Beta serves the same users.
    let r = get(&emu, &format!("/beta/users/{ANA}"), &[]).await;
    let b = json(r).await;
    assert_eq!(b["userPrincipalName"], "ana.lima@contoso.example");
    assert_eq!(b["@odata.context"], format!("{}/beta/$metadata#users/$entity", emu.urls().graph));
}

#[tokio::test]
async fn check_member_groups_is_transitive_through_nesting() {
    let emu = Emu::start().await;
    let unknown = "6a000000-0000-4000-8000-0000000000ff";
    let r = post(
        &emu,
        &format!("/v1.0/users/{ZOE}/checkMemberGroups"),
        json!({"groupIds": [G_PRODUCTION, G_PILOT, G_TAP, unknown]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let b = json(r).await;
    assert_eq!(
        b,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#Collection(Edm.String)", emu.urls().graph),
            "value": [G_PRODUCTION, G_TAP],
        })
    );
    let b = json(
        post(
            &emu,
            &format!("/v1.0/directoryObjects/{ZOE}/checkMemberGroups"),
            json!({"groupIds": [G_FIELD]}),
        )
        .await,
    )
    .await;
    assert_eq!(b["value"], json!([G_FIELD]));
    let b = json(
        post(
            &emu,
            "/v1.0/users/nora.quinn@contoso.example/checkMemberGroups",
            json!({"groupIds": [G_PRODUCTION]}),
        )
        .await,
    )
    .await;
    assert_eq!(b["value"], json!([]));
}

#[tokio::test]
async fn check_member_groups_validates_its_input_and_permissions() {
    let emu = Emu::start().await;
    let path = format!("/v1.0/users/{ANA}/checkMemberGroups");
    let many: Vec<String> = (0..21).map(|i| format!("6a000000-0000-4000-8000-{i:012x}")).collect();
    let r = post(&emu, &path, json!({ "groupIds": many })).await;
    graph_error(r, 400, "Request_BadRequest").await;
    let r = post(&emu, &path, json!({ "groupIds": ["not-a-guid"] })).await;
    graph_error(r, 400, "Request_BadRequest").await;
    let r = post(&emu, &path, json!({})).await;
    graph_error(r, 400, "Request_BadRequest").await;
    let r =
        post(&emu, "/v1.0/users/nobody@contoso.example/checkMemberGroups", json!({"groupIds": []}))
            .await;
    graph_error(r, 404, "Request_ResourceNotFound").await;
    // User.Read.All alone is not enough: group membership needs GroupMember.Read.All too.
    let token = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["User.Read.All"]);
    let r = emu
        .http
        .post(url(&emu, &path))
        .bearer_auth(token)
        .json(&json!({"groupIds": [G_PRODUCTION]}))
        .send()
        .await
        .unwrap();
    graph_error(r, 403, "Authorization_RequestDenied").await;
    let token = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["Directory.Read.All"]);
    let r = emu
        .http
        .post(url(&emu, &path))
        .bearer_auth(token)
        .json(&json!({"groupIds": [G_PRODUCTION]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn transitive_member_of_and_the_group_cast() {
    let emu = Emu::start().await;
    let path = format!("/v1.0/users/{ZOE}/transitiveMemberOf");
    let b = json(get(&emu, &path, &[]).await).await;
    assert_eq!(
        b["@odata.context"],
        format!("{}/v1.0/$metadata#directoryObjects", emu.urls().graph)
    );
    let groups = b["value"].as_array().unwrap();
    let ids: Vec<&str> = groups.iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [G_FIELD, G_PRODUCTION, G_TAP]);
    for g in groups {
        assert_eq!(g["@odata.type"], "#microsoft.graph.group");
        assert_eq!(g["securityEnabled"], true);
        assert!(g["displayName"].is_string());
    }
    assert_eq!(groups[0]["displayName"], "Field staff");

    // Paging.
    let first = json(get(&emu, &path, &[("$top", "2")]).await).await;
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    let link = first["@odata.nextLink"].as_str().unwrap();
    let second =
        json(emu.http.get(link).bearer_auth(emu.graph_token()).send().await.unwrap()).await;
    assert_eq!(second["value"][0]["id"], G_TAP);

    // The cast needs advanced query parameters.
    let cast = format!("{path}/microsoft.graph.group");
    let r = get(&emu, &cast, &[("$count", "true")]).await;
    graph_error(r, 400, "Request_UnsupportedQuery").await;
    let r = get_eventual(&emu, &cast, &[("$count", "true"), ("$select", "id,displayName")]).await;
    assert_eq!(r.status(), 200);
    let b = json(r).await;
    assert_eq!(b["@odata.count"], 3);
    assert_eq!(
        b["@odata.context"],
        format!("{}/v1.0/$metadata#groups(id,displayName)", emu.urls().graph)
    );
    assert!(b["value"][0].get("securityEnabled").is_none());
}

#[tokio::test]
async fn authentication_method_policies_are_shaped_per_contract() {
    let emu = Emu::start().await;
    let base = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations";
    let vc = json(get(&emu, &format!("{base}/VerifiableCredentials"), &[]).await).await;
    assert_eq!(
        vc["@odata.type"],
        "#microsoft.graph.verifiableCredentialsAuthenticationMethodConfiguration"
    );
    assert_eq!(vc["id"], "VerifiableCredentials");
    assert_eq!(vc["state"], "enabled");
    assert!(vc["@odata.context"].as_str().unwrap().contains("/v1.0/$metadata#"));
    assert_eq!(
        vc["excludeTargets"],
        json!([{"id": "6a000000-0000-4000-8000-000000000005", "targetType": "group"}])
    );
    assert_eq!(vc["includeTargets"].as_array().unwrap().len(), 5);
    assert_eq!(
        vc["includeTargets"][0],
        json!({"id": G_PRODUCTION, "targetType": "group", "isRegistrationRequired": false,
               "verifiedIdProfiles": ["9a000000-0000-4000-8000-000000000001"]})
    );

    let tap = json(get(&emu, &format!("{base}/TemporaryAccessPass"), &[]).await).await;
    assert_eq!(
        tap["@odata.type"],
        "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration"
    );
    assert_eq!(tap["id"], "TemporaryAccessPass");
    assert_eq!(tap["state"], "enabled");
    assert_eq!(tap["minimumLifetimeInMinutes"], 60);
    assert_eq!(tap["maximumLifetimeInMinutes"], 480);
    assert_eq!(tap["defaultLifetimeInMinutes"], 60);
    assert_eq!(tap["defaultLength"], 8);
    assert_eq!(tap["isUsableOnce"], true);
    assert_eq!(
        tap["includeTargets"],
        json!([{"id": G_TAP, "targetType": "group", "isRegistrationRequired": false}])
    );
    assert_eq!(
        tap["excludeTargets"],
        json!([{"id": "6a000000-0000-4000-8000-000000000007", "targetType": "group"}])
    );

    let r = get(&emu, &format!("{base}/Fido2Nope"), &[]).await;
    graph_error(r, 404, "Request_ResourceNotFound").await;
    // The kiosk's read-only probe app has no policy role.
    let token = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["User.Read.All"]);
    let r = emu
        .http
        .get(url(&emu, &format!("{base}/TemporaryAccessPass")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    graph_error(r, 403, "Authorization_RequestDenied").await;
}

#[tokio::test]
async fn verified_id_profiles_list_and_get() {
    let emu = Emu::start().await;
    let r = get(&emu, "/beta/identity/verifiedId/profiles", &[]).await;
    assert_eq!(r.status(), 200);
    let list = json(r).await;
    let profiles = list["value"].as_array().unwrap();
    assert_eq!(profiles.len(), 6);
    let pilot = profiles.iter().find(|p| p["priority"] == 2).unwrap();
    assert_eq!(
        pilot["verifiedIdUsageConfigurations"],
        json!([{"isEnabledForTestOnly": true, "purpose": "recovery"}])
    );
    assert_eq!(
        pilot["verifiedIdProfileConfiguration"]["methodType"],
        "identityVerificationPartner"
    );

    let id = "9a000000-0000-4000-8000-000000000001";
    let r = get(&emu, &format!("/v1.0/identity/verifiedId/profiles/{id}"), &[]).await;
    assert_eq!(r.status(), 200);
    let p = json(r).await;
    assert!(p.get("value").is_none(), "a single entity is not wrapped");
    assert_eq!(p["id"], id);
    assert_eq!(p["name"], "Recovery – production");
    assert_eq!(
        p["description"],
        "Government ID through TrueIdentity, Face Check, relaxed name matching."
    );
    assert_eq!(p["lastModifiedDateTime"], Value::Null);
    assert_eq!(p["state"], "enabled");
    assert_eq!(p["verifierDid"], "did:web:verifiedid.contoso.example");
    assert_eq!(p["priority"], 1);
    assert_eq!(
        p["faceCheckConfiguration"],
        json!({"isEnabled": true, "sourcePhotoClaimName": "portrait"})
    );
    assert_eq!(
        p["verifiedIdUsageConfigurations"],
        json!([{"isEnabledForTestOnly": false, "purpose": "recovery"}])
    );
    let c = &p["verifiedIdProfileConfiguration"];
    assert_eq!(c["type"], "verifiedIdentity");
    assert_eq!(c["acceptedIssuer"], "did:web:idv.trueid.example");
    assert_eq!(c["claimBindingSource"], "directory");
    assert_eq!(c["claimValidation"], json!({"isEnabled": false, "customExtensionId": ""}));
    assert_eq!(
        c["claimBindings"][0],
        json!({"sourceAttribute": "First name", "verifiedIdClaim": "vc.credentialSubject.firstName", "matchConfidenceLevel": "relaxed"})
    );
    assert!(c.get("methodType").is_none(), "methodType is beta-only");

    let r =
        get(&emu, "/v1.0/identity/verifiedId/profiles/9a000000-0000-4000-8000-0000000000ff", &[])
            .await;
    graph_error(r, 404, "Request_ResourceNotFound").await;
    let token = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["User.Read.All"]);
    let r = emu
        .http
        .get(url(&emu, "/v1.0/identity/verifiedId/profiles"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    graph_error(r, 403, "Authorization_RequestDenied").await;
}

fn tap_path(user: &str) -> String {
    format!("/v1.0/users/{user}/authentication/temporaryAccessPassMethods")
}

async fn control_taps(emu: &Emu, user: &str) -> Vec<Value> {
    let r = emu
        .http
        .get(format!("{}/directory/users/{user}/taps", emu.urls().control))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    json(r).await.as_array().unwrap().clone()
}

#[tokio::test]
async fn tap_create_is_201_and_the_control_api_holds_the_same_pass() {
    let emu = Emu::start().await;
    let r = post(&emu, &tap_path(ANA), json!({})).await;
    assert_eq!(r.status(), 201);
    let t = json(r).await;
    assert_eq!(t["@odata.type"], "#microsoft.graph.temporaryAccessPassAuthenticationMethod");
    let pass = t["temporaryAccessPass"].as_str().unwrap().to_owned();
    assert_eq!(pass.chars().count(), 8);
    assert!(pass.chars().any(|c| c.is_ascii_uppercase()));
    assert!(pass.chars().any(|c| c.is_ascii_lowercase()));
    assert!(pass.chars().any(|c| c.is_ascii_digit()));
    assert!(pass.chars().any(|c| !c.is_ascii_alphanumeric()));
    assert_eq!(t["lifetimeInMinutes"], 60);
    assert_eq!(t["isUsableOnce"], true);
    assert_eq!(t["isUsable"], true);
    assert_eq!(t["methodUsabilityReason"], "EnabledByPolicy");
    for f in ["id", "createdDateTime", "startDateTime"] {
        assert!(t[f].is_string(), "{f}");
    }
    let tap_id = t["id"].as_str().unwrap().to_owned();

    let held = control_taps(&emu, "ana.lima@contoso.example").await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["temporaryAccessPass"], pass.as_str());
    assert_eq!(held[0]["id"], tap_id.as_str());

    // Later reads never reveal the pass.
    let list = json(get(&emu, &tap_path(ANA), &[]).await).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    assert_eq!(list["value"][0]["temporaryAccessPass"], Value::Null);
    assert_eq!(list["value"][0]["id"], tap_id.as_str());
    let one = json(get(&emu, &format!("{}/{tap_id}", tap_path(ANA)), &[]).await).await;
    assert_eq!(one["temporaryAccessPass"], Value::Null);
    assert_eq!(one["isUsable"], true);

    // Explicit lifetime within policy, by UPN; Zoë is in scope through nested groups.
    let r = post(
        &emu,
        &tap_path("zoe.wisniewska@contoso.example"),
        json!({"lifetimeInMinutes": 480, "isUsableOnce": true}),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(json(r).await["lifetimeInMinutes"], 480);
    // A disabled account still gets a TAP from Graph; refusing is the kiosk's job.
    let r = post(&emu, &tap_path(DANA), json!({})).await;
    assert_eq!(r.status(), 201);
    // Beta's entity has no usability fields.
    let r = post(
        &emu,
        &format!("/beta/users/{ANA}/authentication/temporaryAccessPassMethods"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let b = json(r).await;
    assert!(b.get("isUsable").is_none() && b.get("methodUsabilityReason").is_none());
    assert!(b["temporaryAccessPass"].is_string());
    let all =
        json(emu.http.get(format!("{}/directory/taps", emu.urls().control)).send().await.unwrap())
            .await;
    assert_eq!(all.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn tap_policy_refusals() {
    let emu = Emu::start().await;
    for user in [TOMAS, NORA] {
        let r = post(&emu, &tap_path(user), json!({})).await;
        let e = graph_error(r, 400, "badRequest").await;
        assert_eq!(e["error"]["message"], POLICY_REFUSAL, "{user}");
    }
    let gina = tap_path("gina.okafor_partner.example%23EXT%23@contoso.example");
    let e = graph_error(post(&emu, &gina, json!({})).await, 400, "badRequest").await;
    assert_eq!(
        e["error"]["message"],
        "Temporary Access Pass cannot be added to an external guest user."
    );

    let e = graph_error(
        post(&emu, &tap_path(ANA), json!({"lifetimeInMinutes": 15})).await,
        400,
        "badRequest",
    )
    .await;
    assert_eq!(
        e["error"]["message"],
        "Invalid LifetimeInMinutes specified. The valid range between 60 and 480."
    );
    let e = graph_error(
        post(&emu, &tap_path(ANA), json!({"lifetimeInMinutes": 481})).await,
        400,
        "badRequest",
    )
    .await;
    assert_eq!(
        e["error"]["message"],
        "Invalid LifetimeInMinutes specified. The valid range between 60 and 480."
    );
    graph_error(
        post(&emu, &tap_path(ANA), json!({"isUsableOnce": false})).await,
        400,
        "badRequest",
    )
    .await;
    graph_error(
        post(&emu, &tap_path(ANA), json!({"lifetimeInMinutes": "60"})).await,
        400,
        "BadRequest",
    )
    .await;
    graph_error(post(&emu, &tap_path(ANA), json!({"colour": "blue"})).await, 400, "BadRequest")
        .await;
    graph_error(
        post(&emu, &tap_path("nobody@contoso.example"), json!({})).await,
        404,
        "Request_ResourceNotFound",
    )
    .await;
    // None of those left a pass behind.
    let all =
        json(emu.http.get(format!("{}/directory/taps", emu.urls().control)).send().await.unwrap())
            .await;
    assert_eq!(all, json!([]));
    assert!(control_taps(&emu, GINA_UPN).await.is_empty());
}

#[tokio::test]
async fn tap_policy_refusal_status_is_a_setting() {
    let mut fixture = reclaim_emulator::Fixture::demo();
    fixture.settings.tap_policy_error_status = 403;
    let emu = Emu::start_with(fixture).await;
    let r = post(&emu, &tap_path(TOMAS), json!({})).await;
    let e = graph_error(r, 403, "badRequest").await;
    assert_eq!(e["error"]["message"], POLICY_REFUSAL);
}

#[tokio::test]
async fn tap_replaces_on_create_and_deletes_with_204() {
    let emu = Emu::start().await;
    let first = json(post(&emu, &tap_path(ANA), json!({})).await).await;
    let second = json(post(&emu, &tap_path(ANA), json!({})).await).await;
    assert_ne!(first["id"], second["id"]);
    let list = json(get(&emu, &tap_path(ANA), &[]).await).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    assert_eq!(list["value"][0]["id"], second["id"]);
    let held = control_taps(&emu, ANA).await;
    assert_eq!(held[0]["temporaryAccessPass"], second["temporaryAccessPass"]);

    let old = format!("{}/{}", tap_path(ANA), first["id"].as_str().unwrap());
    let r = emu.http.get(url(&emu, &old)).bearer_auth(emu.graph_token()).send().await.unwrap();
    graph_error(r, 404, "Request_ResourceNotFound").await;

    let current = format!("{}/{}", tap_path(ANA), second["id"].as_str().unwrap());
    let r =
        emu.http.delete(url(&emu, &current)).bearer_auth(emu.graph_token()).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let list = json(get(&emu, &tap_path(ANA), &[]).await).await;
    assert_eq!(list["value"], json!([]));
    assert!(control_taps(&emu, ANA).await.is_empty());
    let r =
        emu.http.delete(url(&emu, &current)).bearer_auth(emu.graph_token()).send().await.unwrap();
    graph_error(r, 404, "Request_ResourceNotFound").await;
}

#[tokio::test]
async fn concurrent_creates_leave_exactly_one_pass() {
    let emu = Emu::start().await;
    let token = emu.graph_token();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let http = emu.http.clone();
        let u = url(&emu, &tap_path(ANA));
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let r = http.post(u).bearer_auth(token).json(&json!({})).send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len(), 16);
    let held = control_taps(&emu, ANA).await;
    assert_eq!(held.len(), 1);
    assert!(ids.contains(held[0]["id"].as_str().unwrap()));
}

#[tokio::test]
async fn tap_usability_follows_redeem_and_the_clock() {
    let emu = Emu::start().await;
    let t = json(post(&emu, &tap_path(ANA), json!({})).await).await;
    let pass = t["temporaryAccessPass"].as_str().unwrap();
    let redeem = format!("{}/directory/users/{ANA}/taps/redeem", emu.urls().control);
    let r =
        emu.http.post(&redeem).json(&json!({"temporaryAccessPass": "wrong"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r =
        emu.http.post(&redeem).json(&json!({"temporaryAccessPass": pass})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r =
        emu.http.post(&redeem).json(&json!({"temporaryAccessPass": pass})).send().await.unwrap();
    assert_eq!(r.status(), 400, "a one-time pass works once");
    let list = json(get(&emu, &tap_path(ANA), &[]).await).await;
    assert_eq!(list["value"][0]["isUsable"], false);
    assert_eq!(list["value"][0]["methodUsabilityReason"], "OneTimeUsed");

    post(&emu, &tap_path(ANA), json!({})).await;
    emu.control("/clock/advance", json!({"seconds": 61 * 60})).await;
    let list = json(get(&emu, &tap_path(ANA), &[]).await).await;
    assert_eq!(list["value"][0]["methodUsabilityReason"], "Expired");
}

#[tokio::test]
async fn auth_failures_use_graph_error_bodies_and_headers() {
    let emu = Emu::start().await;
    let users = url(&emu, "/v1.0/users");
    let r = emu.http.get(&users).header("client-request-id", "kiosk-123").send().await.unwrap();
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(r.headers()["client-request-id"], "kiosk-123");
    let e = graph_error(r, 401, "InvalidAuthenticationToken").await;
    assert_eq!(e["error"]["innerError"]["client-request-id"], "kiosk-123");

    let r = emu.http.get(&users).bearer_auth("not-a-jwt").send().await.unwrap();
    graph_error(r, 401, "InvalidAuthenticationToken").await;
    // A Request Service token is not a Graph token.
    let r = emu.http.get(&users).bearer_auth(emu.vc_token()).send().await.unwrap();
    graph_error(r, 401, "InvalidAuthenticationToken").await;

    // The read-only probe app may list users but not issue passes.
    let token = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["User.Read.All"]);
    let r = emu.http.get(&users).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = emu
        .http
        .post(url(&emu, &tap_path(ANA)))
        .bearer_auth(&token)
        .header("client-request-id", "kiosk-456")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let e = graph_error(r, 403, "Authorization_RequestDenied").await;
    assert_eq!(e["error"]["message"], "Insufficient privileges to complete the operation.");
    assert_eq!(e["error"]["innerError"]["client-request-id"], "kiosk-456");
    // The narrower TAP role is accepted for create.
    let token = emu.mint(KIOSK_CLIENT_ID, Resource::Graph, &["UserAuthMethod-TAP.ReadWrite.All"]);
    let r = emu
        .http
        .post(url(&emu, &tap_path(ANA)))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Success responses carry the ids too, echoing the caller's.
    let r = emu
        .http
        .get(&users)
        .bearer_auth(emu.graph_token())
        .header("client-request-id", "abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("request-id"));
    assert_eq!(r.headers()["client-request-id"], "abc");
    // Force-expired tokens are refused (last: it also voids tokens minted this second).
    let token = emu.graph_token();
    emu.control("/tokens/expire", json!({})).await;
    let r = emu.http.get(&users).bearer_auth(&token).send().await.unwrap();
    graph_error(r, 401, "InvalidAuthenticationToken").await;
}

#[tokio::test]
async fn injected_throttling_returns_429_with_retry_after() {
    let emu = Emu::start().await;
    let r = emu
        .control(
            "/faults",
            json!({"service":"graph","pathContains":"/users","kind":"status","status":429,"retryAfter":2,"count":1}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = get(&emu, "/v1.0/users", &[("$filter", "givenName eq 'Ana'")]).await;
    assert_eq!(r.headers()["retry-after"], "2");
    graph_error(r, 429, "TooManyRequests").await;
    let r = get(&emu, "/v1.0/users", &[("$filter", "givenName eq 'Ana'")]).await;
    assert_eq!(r.status(), 200, "the fault is consumed");
}

#[tokio::test]
async fn control_patch_changes_what_graph_returns() {
    let emu = Emu::start().await;
    let r = emu
        .http
        .patch(format!("{}/directory/users/dana.whitfield@contoso.example", emu.urls().control))
        .json(&json!({"accountEnabled": true, "givenName": "Danielle"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, b) = find(&emu, "givenName eq 'Danielle' and surname eq 'Whitfield'").await;
    assert_eq!(b["value"][0]["id"], DANA);
    let b = json(get(&emu, &format!("/v1.0/users/{DANA}"), &[("$select", "accountEnabled")]).await)
        .await;
    assert_eq!(b["accountEnabled"], true);
    let r = emu
        .http
        .patch(format!("{}/directory/users/nobody@contoso.example", emu.urls().control))
        .json(&json!({"accountEnabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn unknown_segments_and_methods_are_graph_errors() {
    let emu = Emu::start().await;
    let r = get(&emu, "/v1.0/nothingHere", &[]).await;
    graph_error(r, 400, "BadRequest").await;
    let r =
        emu.http.put(url(&emu, "/v1.0/users")).bearer_auth(emu.graph_token()).send().await.unwrap();
    graph_error(r, 405, "Request_BadRequest").await;
    let r = get(&emu, "/v1.0/users", &[("$bogus", "1")]).await;
    graph_error(r, 400, "BadRequest").await;
}

// ── directory roles (microsoft-apis-v2.md §2) ───────────────────────────────────────────────

const OLGA: &str = "1a000000-0000-4000-8000-000000000011";
const HUGO: &str = "1a000000-0000-4000-8000-000000000012";
const PETRA: &str = "1a000000-0000-4000-8000-000000000013";
const G_HELPDESK: &str = "6a000000-0000-4000-8000-000000000008";
const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
const HELPDESK_ADMIN: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
const PRIVILEGED_ROLE_ADMIN: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";

fn role_ids(body: &Value) -> Vec<(String, String)> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["principalId"].as_str().unwrap().to_owned(),
                a["roleDefinitionId"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn role_assignments_are_served_as_graph_serves_them() {
    let emu = Emu::start().await;
    let by = |id: &str| format!("principalId eq '{id}'");
    // B: active assignments of exactly this principal.
    let b = json(
        get(&emu, "/v1.0/roleManagement/directory/roleAssignments", &[("$filter", &by(OLGA))])
            .await,
    )
    .await;
    assert_eq!(role_ids(&b), [(OLGA.to_owned(), GLOBAL_ADMIN.to_owned())]);
    assert_eq!(b["value"][0]["directoryScopeId"], "/");
    // …a group's assignment is not the member's there,
    let b = json(
        get(&emu, "/v1.0/roleManagement/directory/roleAssignments", &[("$filter", &by(HUGO))])
            .await,
    )
    .await;
    assert!(role_ids(&b).is_empty());
    // C: but the transitive view returns it, with the group as the principal (beta, eventual).
    let hugo = by(HUGO);
    let q = [("$count", "true"), ("$filter", hugo.as_str())];
    let c = json(
        get_eventual(&emu, "/beta/roleManagement/directory/transitiveRoleAssignments", &q).await,
    )
    .await;
    assert_eq!(role_ids(&c), [(G_HELPDESK.to_owned(), HELPDESK_ADMIN.to_owned())]);
    assert_eq!(c["@odata.count"], 1);
    // …404 without ConsistencyLevel, and no v1.0 route.
    let r = get(&emu, "/beta/roleManagement/directory/transitiveRoleAssignments", &q).await;
    assert_eq!(r.status(), 404);
    let r =
        get_eventual(&emu, "/v1.0/roleManagement/directory/transitiveRoleAssignments", &q).await;
    assert_eq!(r.status(), 400);
    // D: eligible (PIM) assignments; they are not active ones.
    let d = json(
        get(
            &emu,
            "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
            &[("$filter", &by(PETRA))],
        )
        .await,
    )
    .await;
    assert_eq!(role_ids(&d), [(PETRA.to_owned(), PRIVILEGED_ROLE_ADMIN.to_owned())]);
    assert_eq!(d["value"][0]["memberType"], "Direct");
    let b = json(
        get(&emu, "/v1.0/roleManagement/directory/roleAssignments", &[("$filter", &by(PETRA))])
            .await,
    )
    .await;
    assert!(role_ids(&b).is_empty());
    // Anyone else: nothing.
    let b = json(
        get(&emu, "/v1.0/roleManagement/directory/roleAssignments", &[("$filter", &by(ANA))]).await,
    )
    .await;
    assert!(role_ids(&b).is_empty());
    // Other filters are refused.
    let r = get(
        &emu,
        "/v1.0/roleManagement/directory/roleAssignments",
        &[("$filter", "startsWith(principalId,'1')")],
    )
    .await;
    graph_error(r, 400, "Request_UnsupportedQuery").await;
}

#[tokio::test]
async fn role_reads_need_a_role_management_permission() {
    let emu = Emu::start().await;
    let token = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["User.Read.All"]);
    let r = emu
        .http
        .get(url(&emu, "/v1.0/roleManagement/directory/roleAssignments"))
        .bearer_auth(token)
        .query(&[("$filter", format!("principalId eq '{OLGA}'"))])
        .send()
        .await
        .unwrap();
    graph_error(r, 403, "Authorization_RequestDenied").await;
}
