//! Microsoft Graph (§4): users, paging, groups, policies, profiles, TAP, errors, retries.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns; failures are test failures

mod common;

use std::time::{Duration, Instant};

use common::*;
use reclaim_entra::graph::{
    AuthMethodState, MatchConfidenceLevel, ProfileState, TapRequest, TargetType, UsagePurpose,
};
use reclaim_entra::{EntraError, ErrorKind, GraphClient, GraphError};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER: &str = "9a1e0000-0000-4000-8000-000000000001";

async fn setup() -> (MockServer, GraphClient) {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let client = GraphClient::builder()
        .base_url(server.uri())
        .token_source(secret_source(&server))
        .build()
        .unwrap();
    (server, client)
}

fn graph_requests(reqs: &[wiremock::Request]) -> Vec<&wiremock::Request> {
    reqs.iter().filter(|r| !r.url.path().ends_with("/token")).collect()
}

#[tokio::test]
async fn users_filter_doubles_quote_and_encodes() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$filter", "givenName eq 'Seán' and surname eq 'O''Brien'"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("users_by_name.json")))
        .expect(1)
        .mount(&server)
        .await;
    let found = client.find_users_by_name("Seán", "O'Brien").await.unwrap();
    assert_eq!(found.users.len(), 1);
    assert!(!found.truncated);
    let user = &found.users[0];
    assert_eq!(user.id, "9a1e…");
    assert_eq!(user.given_name.as_ref().unwrap().expose(), "Ana");
    assert_eq!(user.account_enabled, Some(true));
    assert!(!format!("{user:?}").contains("Lima"), "names must be redacted in Debug");

    let reqs = server.received_requests().await.unwrap();
    let query = graph_requests(&reqs)[0].url.query().unwrap().to_owned();
    assert!(query.contains("%27O%27%27Brien%27"), "{query}");
    assert!(!query.contains('\'') && !query.contains(' '), "{query}");
    assert!(query.contains("$select=id%2CgivenName%2Csurname%2CuserPrincipalName"), "{query}");
}

#[tokio::test]
async fn users_paging_follows_next_link_verbatim() {
    let (server, client) = setup().await;
    let next = format!("{}/v1.0/users?$skiptoken=RFNwdAIAAQAAAC%3D%3D&$top=1", server.uri());
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "RFNwdAIAAQAAAC=="))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [ { "id": "u2", "givenName": "Ana", "surname": "Lima" } ] })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$top", "50"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [ { "id": "u1", "givenName": "Ana", "surname": "Lima" } ],
            "@odata.nextLink": next })))
        .expect(1)
        .mount(&server)
        .await;
    let found = client.find_users_by_name("Ana", "Lima").await.unwrap();
    let ids: Vec<_> = found.users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["u1", "u2"], "duplicates on page 2 must be seen");
    let reqs = server.received_requests().await.unwrap();
    // wiremock reports the host as `localhost`; path and query must be exactly the link's.
    let second = &graph_requests(&reqs)[1].url;
    let got = format!("{}?{}", second.path(), second.query().unwrap());
    assert_eq!(got, "/v1.0/users?$skiptoken=RFNwdAIAAQAAAC%3D%3D&$top=1");
    assert!(next.ends_with(&got));
}

#[tokio::test]
async fn users_search_stops_at_cap() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let client = GraphClient::builder()
        .base_url(server.uri())
        .token_source(secret_source(&server))
        .max_name_matches(2)
        .build()
        .unwrap();
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [ {"id":"a"}, {"id":"b"}, {"id":"c"} ],
            "@odata.nextLink": format!("{}/v1.0/users?$skiptoken=x", server.uri()) })))
        .expect(1)
        .mount(&server)
        .await;
    let found = client.find_users_by_name("A", "B").await.unwrap();
    assert_eq!(found.users.len(), 2);
    assert!(found.truncated);
}

/// `$search` (v2 §1): quoted clauses joined with upper-case OR/AND, enabled members only,
/// `$count=true`, and `ConsistencyLevel: eventual` on the first page **and** on the nextLink page.
#[tokio::test]
async fn users_word_search_sends_consistency_level_on_every_page() {
    use reclaim_entra::graph::{ENABLED_MEMBERS, search_all, search_any, search_clause};
    let (server, client) = setup().await;
    let next = format!("{}/v1.0/users?$search=x&$skiptoken=p2", server.uri());
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p2"))
        .and(header("consistencylevel", "eventual"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [ { "id": "u2", "givenName": "Ana", "surname": "Lima Costa" } ] })))
        .expect(1)
        .mount(&server)
        .await;
    let expr = search_all(&[
        search_any(&[search_clause("givenName", "ana"), search_clause("displayName", "ana")]),
        search_any(&[search_clause("surname", "lima")]),
    ]);
    assert_eq!(expr, r#"("givenName:ana" OR "displayName:ana") AND "surname:lima""#);
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$search", expr.as_str()))
        .and(query_param("$filter", ENABLED_MEMBERS))
        .and(query_param("$count", "true"))
        .and(header("consistencylevel", "eventual"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.count": 2,
            "value": [ { "id": "u1", "givenName": "Ana", "surname": "Lima" } ],
            "@odata.nextLink": next })))
        .expect(1)
        .mount(&server)
        .await;
    let found = client.search_users(&expr, Some(ENABLED_MEMBERS)).await.unwrap();
    let ids: Vec<_> = found.users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["u1", "u2"]);
    assert!(!found.truncated);
    let reqs = server.received_requests().await.unwrap();
    let first = graph_requests(&reqs)[0].url.query().unwrap().to_owned();
    assert!(!first.contains('"') && !first.contains(' '), "{first}");
    // Inside a clause, `"` and `\` are escaped with a backslash (v2 §1.2).
    assert_eq!(search_clause("surname", r#"a"b\c"#), r#""surname:a\"b\\c""#);
}

#[tokio::test]
async fn foreign_next_link_is_refused() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [], "@odata.nextLink": "https://evil.example/v1.0/users?$skiptoken=x" })))
        .mount(&server)
        .await;
    let err = client.find_users_by_name("A", "B").await.unwrap_err();
    assert!(matches!(err, EntraError::Protocol { .. }), "{err:?}");
}

#[tokio::test]
async fn get_user_by_guest_upn_is_percent_encoded() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": USER, "userPrincipalName": "ana_contoso.example#EXT#@fabrikam.onmicrosoft.com",
            "userType": "Guest", "accountEnabled": true })))
        .mount(&server)
        .await;
    let user = client.get_user("ana_contoso.example#EXT#@fabrikam.onmicrosoft.com").await.unwrap();
    assert_eq!(user.unwrap().user_type.as_deref(), Some("Guest"));
    let reqs = server.received_requests().await.unwrap();
    let url = &graph_requests(&reqs)[0].url;
    assert_eq!(url.path(), "/v1.0/users/ana_contoso.example%23EXT%23%40fabrikam.onmicrosoft.com");
    assert!(url.query().unwrap().starts_with("$select=id%2CgivenName"));
}

#[tokio::test]
async fn get_user_404_is_none() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string(fixture("graph_error.json")))
        .expect(1)
        .mount(&server)
        .await;
    assert!(client.get_user(USER).await.unwrap().is_none());
}

#[tokio::test]
async fn check_member_groups_batches_45_ids_into_3_calls() {
    let (server, client) = setup().await;
    let p = format!("/v1.0/users/{USER}/checkMemberGroups");
    Mock::given(method("POST"))
        .and(path(p))
        .respond_with(|req: &wiremock::Request| {
            let body: serde_json::Value = req.body_json().unwrap();
            let first = body["groupIds"][0].clone();
            ResponseTemplate::new(200).set_body_json(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)",
                "value": [first] }))
        })
        .expect(3)
        .mount(&server)
        .await;
    let ids: Vec<String> = (0..45).map(|i| format!("g{i}")).collect();
    let member_of = client.check_member_groups(USER, &ids).await.unwrap();
    assert_eq!(member_of, ["g0", "g20", "g40"]);
    let reqs = server.received_requests().await.unwrap();
    let sizes: Vec<usize> = graph_requests(&reqs)
        .iter()
        .map(|r| r.body_json::<serde_json::Value>().unwrap()["groupIds"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [20, 20, 5]);
}

#[tokio::test]
async fn check_member_groups_parses_contract_example() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("check_member_groups.json")),
        )
        .mount(&server)
        .await;
    let got = client.check_member_groups(USER, &["<g1>".into(), "<g2>".into()]).await.unwrap();
    assert_eq!(got, ["<g1>"]);
}

#[tokio::test]
async fn policies_are_parsed() {
    let (server, client) = setup().await;
    let base = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations";
    Mock::given(method("GET"))
        .and(path(format!("{base}/TemporaryAccessPass")))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("tap_policy_constructed.json")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{base}/VerifiableCredentials")))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("vc_policy_constructed.json")),
        )
        .mount(&server)
        .await;
    let tap = client.get_tap_policy().await.unwrap();
    assert_eq!(tap.state, AuthMethodState::Enabled);
    assert_eq!(
        (
            tap.minimum_lifetime_in_minutes,
            tap.maximum_lifetime_in_minutes,
            tap.default_lifetime_in_minutes
        ),
        (60, 480, 60)
    );
    assert_eq!(tap.default_length, 8);
    assert_eq!(tap.include_targets[0].id, "all_users");
    let vc = client.get_verifiable_credentials_policy().await.unwrap();
    assert_eq!(vc.id, "VerifiableCredentials");
    assert_eq!(vc.include_targets[0].target_type, TargetType::Group);
    assert_eq!(
        vc.include_targets[0].verified_id_profiles,
        ["2d6f0c1e-5a4b-4c3d-9e8f-7a6b5c4d3e2f"]
    );
    assert_eq!(vc.exclude_targets.len(), 1);
}

#[tokio::test]
async fn profiles_are_parsed_from_contract_example() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/identity/verifiedId/profiles"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("verified_id_profiles.json")),
        )
        .mount(&server)
        .await;
    let profiles = client.list_verified_id_profiles().await.unwrap();
    assert_eq!(profiles.len(), 1);
    let p = &profiles[0];
    assert_eq!(p.state, ProfileState::Enabled);
    assert_eq!(p.verifier_did, "did:web:verifier.contoso.example");
    assert_eq!(p.priority, Some(1));
    let cfg = p.verified_id_profile_configuration.as_ref().unwrap();
    assert_eq!(cfg.credential_type, "verifiedIdentity");
    assert_eq!(cfg.accepted_issuer, "did:web:idv.partner.example");
    assert_eq!(cfg.claim_bindings[1].source_attribute, "Last name");
    assert_eq!(cfg.claim_bindings[0].match_confidence_level, Some(MatchConfidenceLevel::Exact));
    assert_eq!(p.face_check_configuration.as_ref().unwrap().source_photo_claim_name, "portrait");
    let usage = &p.verified_id_usage_configurations[0];
    assert!(usage.is_enabled_for_test_only);
    assert_eq!(usage.purpose, UsagePurpose::Recovery);
}

#[tokio::test]
async fn profiles_fall_back_to_beta_on_404() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/identity/verifiedId/profiles"))
        .respond_with(ResponseTemplate::new(404).set_body_string(fixture("graph_error.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/identity/verifiedId/profiles"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("verified_id_profiles.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client.list_verified_id_profiles().await.unwrap().len(), 1);
}

fn tap_path() -> String {
    format!("/v1.0/users/{USER}/authentication/temporaryAccessPassMethods")
}

#[tokio::test]
async fn tap_create_201_is_parsed_and_redacted() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(tap_path()))
        .and(wiremock::matchers::body_json(
            json!({ "lifetimeInMinutes": 60, "isUsableOnce": true }),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_string(fixture("tap_created.json")))
        .expect(1)
        .mount(&server)
        .await;
    let req = TapRequest {
        lifetime_in_minutes: Some(60),
        is_usable_once: Some(true),
        ..Default::default()
    };
    let tap = client.create_tap(USER, &req).await.unwrap();
    assert_eq!(tap.id, "6c0…");
    assert_eq!(tap.temporary_access_pass.as_ref().unwrap().expose(), "k7Q+2rZa");
    assert_eq!(tap.lifetime_in_minutes, Some(60));
    assert_eq!(tap.method_usability_reason.as_deref(), Some("EnabledByPolicy"));
    assert!(tap.created_date_time.is_some());
    let debug = format!("{tap:?}");
    assert!(!debug.contains("k7Q+2rZa"), "{debug}");
    assert!(debug.contains("REDACTED"));
}

#[tokio::test]
async fn tap_list_and_delete() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(tap_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [
            { "id": "m1", "temporaryAccessPass": null, "createdDateTime": "2026-08-20T12:00:03.1Z" } ] })))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{}/m1", tap_path())))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let taps = client.list_taps(USER).await.unwrap();
    assert_eq!(taps[0].id, "m1");
    assert!(taps[0].temporary_access_pass.is_none());
    client.delete_tap(USER, "m1").await.unwrap();
}

#[test]
fn graph_error_accepts_both_inner_error_casings() {
    let headers = reqwest::header::HeaderMap::new();
    let upper = GraphError::parse(404, &headers, fixture("graph_error.json").as_bytes()).unwrap();
    assert_eq!(upper.code, "Request_ResourceNotFound");
    assert_eq!(upper.request_id.as_deref(), Some("<guid>"));
    assert_eq!(upper.client_request_id.as_deref(), Some("<guid>"));
    assert_eq!(upper.date.as_deref(), Some("2026-08-20T12:00:00"));
    let lower = GraphError::parse(
        401,
        &headers,
        fixture("graph_error_lowercase_inner_constructed.json").as_bytes(),
    )
    .unwrap();
    assert_eq!(lower.code, "InvalidAuthenticationToken");
    assert_eq!(lower.request_id.as_deref(), Some("11111111-2222-3333-4444-555555555555"));
    assert_eq!(lower.inner_code.as_deref(), Some("tokenExpired"));
}

#[tokio::test]
async fn graph_error_over_http_is_typed() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("request-id", "hdr-req-id")
                .set_body_json(json!({ "error": { "code": "Authorization_RequestDenied",
                    "message": "Insufficient privileges to complete the operation." } })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client.get_tap_policy().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    let EntraError::Graph(g) = err else { panic!() };
    assert_eq!(g.code, "Authorization_RequestDenied");
    assert_eq!(g.request_id.as_deref(), Some("hdr-req-id"));
}

#[tokio::test]
async fn throttled_429_honours_retry_after_then_succeeds() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/identity/verifiedId/profiles"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1").set_body_json(
            json!({ "error": { "code": "TooManyRequests", "message": "slow down" } }),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/identity/verifiedId/profiles"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("verified_id_profiles.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let profiles = client.list_verified_id_profiles().await.unwrap();
    assert_eq!(profiles.len(), 1);
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
}

#[tokio::test]
async fn service_unavailable_503_is_retried() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>busy</html>"))
        .up_to_n_times(2)
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("tap_policy_constructed.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    client.get_tap_policy().await.unwrap();
}

#[tokio::test]
async fn unauthorized_401_refreshes_token_and_retries_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("stale", 3599)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("fresh", 3599)))
        .mount(&server)
        .await;
    let unauthorized = ResponseTemplate::new(401).set_body_json(json!({ "error": {
        "code": "InvalidAuthenticationToken", "message": "Access token has expired." } }));
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer stale"))
        .respond_with(unauthorized.clone())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer fresh"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("tap_policy_constructed.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = GraphClient::builder()
        .base_url(server.uri())
        .token_source(secret_source(&server))
        .build()
        .unwrap();
    client.get_tap_policy().await.unwrap();
}

#[tokio::test]
async fn persistent_401_is_retried_only_once() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({ "error": {
            "code": "InvalidAuthenticationToken", "message": "nope" } })))
        .expect(2)
        .mount(&server)
        .await;
    let err = client.get_tap_policy().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
}

#[tokio::test]
async fn tap_ambiguous_failure_finds_created_tap_and_does_not_create_again() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(tap_path()))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({ "error": {
            "code": "generalException", "message": "oops" } })))
        .expect(1)
        .mount(&server)
        .await;
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    Mock::given(method("GET"))
        .and(path(tap_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [
            { "id": "created-meanwhile", "temporaryAccessPass": null, "createdDateTime": now } ] })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client.create_tap_safely(USER, &TapRequest::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TapUnconfirmed);
    let EntraError::TapUnconfirmed { method_id } = err else { panic!() };
    assert_eq!(method_id, "created-meanwhile");
}

#[tokio::test]
async fn tap_ambiguous_failure_with_no_tap_creates_again() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(tap_path()))
        .respond_with(ResponseTemplate::new(504).set_body_string("gateway timeout"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(tap_path()))
        .respond_with(ResponseTemplate::new(201).set_body_string(fixture("tap_created.json")))
        .expect(1)
        .mount(&server)
        .await;
    // An old TAP from an earlier day does not count as "created by this attempt".
    Mock::given(method("GET"))
        .and(path(tap_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": [
            { "id": "old", "createdDateTime": "2020-01-01T00:00:00Z" } ] })))
        .expect(1)
        .mount(&server)
        .await;
    let tap = client.create_tap_safely(USER, &TapRequest::default()).await.unwrap();
    assert_eq!(tap.temporary_access_pass.unwrap().expose(), "k7Q+2rZa");
}

#[tokio::test]
async fn tap_refusal_is_not_retried() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(tap_path()))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({ "error": { "code": "badRequest",
            "message": "Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass]." } })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let err = client.create_tap_safely(USER, &TapRequest::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
}

#[tokio::test]
async fn plain_create_tap_is_never_retried() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(tap_path()))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    client.create_tap(USER, &TapRequest::default()).await.unwrap_err();
}

#[tokio::test]
async fn user_roles_reads_active_transitive_and_eligible_assignments() {
    let (server, client) = setup().await;
    let filter = format!("principalId eq '{USER}'");
    let item = |principal: &str, role: &str| json!({"id": "x-1", "principalId": principal, "directoryScopeId": "/", "roleDefinitionId": role});
    Mock::given(method("GET"))
        .and(path("/v1.0/roleManagement/directory/roleAssignments"))
        .and(query_param("$filter", filter.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            item(USER, "62e90394-69f5-4237-9190-012177145e10")]})))
        .expect(1)
        .mount(&server)
        .await;
    // The transitive view is beta only and needs ConsistencyLevel + $count.
    Mock::given(method("GET"))
        .and(path("/beta/roleManagement/directory/transitiveRoleAssignments"))
        .and(query_param("$filter", filter.as_str()))
        .and(query_param("$count", "true"))
        .and(header("consistencylevel", "eventual"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"@odata.count": 1, "value": [
            item("6a000000-0000-4000-8000-000000000008", "729827e3-9c14-49f7-bb1b-9608f156bbb8")]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/roleManagement/directory/roleEligibilityScheduleInstances"))
        .and(query_param("$filter", filter.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            item(USER, "e8611ab8-c189-46e8-94e1-60213ab1f814")]})))
        .expect(1)
        .mount(&server)
        .await;
    let roles = client.user_roles(USER).await.unwrap();
    let ids: Vec<&str> = roles.iter().map(|r| r.role_definition_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "62e90394-69f5-4237-9190-012177145e10",
            "729827e3-9c14-49f7-bb1b-9608f156bbb8",
            "e8611ab8-c189-46e8-94e1-60213ab1f814"
        ]
    );
    assert_eq!(roles[1].principal_id, "6a000000-0000-4000-8000-000000000008");
}

#[tokio::test]
async fn user_roles_fails_when_any_read_fails() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/roleManagement/directory/roleAssignments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/roleManagement/directory/transitiveRoleAssignments"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/roleManagement/directory/roleEligibilityScheduleInstances"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&server)
        .await;
    let err = client.user_roles(USER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
}
