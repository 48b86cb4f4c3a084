//! Contract tests for `$search` on `/v1.0/users` (`microsoft-apis-v2.md` §1), from the
//! documentation's own requests and JSON:
//!
//! * Microsoft Learn, "List users", examples 6 and 7
//!   (<https://learn.microsoft.com/graph/api/user-list>; repo
//!   `microsoftgraph/microsoft-graph-docs-contrib`, `api-reference/v1.0/api/user-list.md`, read at
//!   commit `008316a3480bf8069254a9535f5f61b0e6600f6b`): `$search="displayName:wa"` finds
//!   "Oscar Ward"; `"displayName:wa" OR "displayName:ad"` also finds "contosoAdmin1" (the case
//!   change cuts `contoso` | `admin` | `1`).
//! * "Use the $search query parameter", directory objects
//!   (<https://learn.microsoft.com/graph/search-query-parameter>, `concepts/search-query-parameter.md`):
//!   the header `ConsistencyLevel: eventual` is required, clauses are quoted, tokenized prefix
//!   matching on `displayName`, startsWith on other properties, no "contains".
//! * "Advanced query capabilities" (`concepts/aad-advanced-queries.md`): the error without the
//!   header, 400 `Request_UnsupportedQuery`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Emu, json};
use reclaim_emulator::Fixture;
use reclaim_emulator::fixture::UserFixture;
use serde_json::{Value, json};

/// The documentation's users (example 6's and 7's response items) added to the demo tenant.
fn documented_tenant() -> Fixture {
    let mut f = Fixture::demo();
    let user = |id: &str, upn: &str, display: &str, given: &str, mail: &str| UserFixture {
        id: id.parse().unwrap(),
        user_principal_name: upn.into(),
        display_name: display.into(),
        given_name: Some(given.into()),
        surname: None,
        account_enabled: true,
        user_type: "Member".into(),
        mail: Some(mail.into()),
        groups: Vec::new(),
        employee_id: None,
        extensions: Default::default(),
        note: "From Microsoft Learn's List users examples 6 and 7.".into(),
        password: None,
        manager: None,
        other_mails: Vec::new(),
        job_title: None,
        preferred_language: None,
        photo: true,
    };
    f.users.push(user(
        "1a000000-0000-4000-8000-0000000000d1",
        "oscarward@contoso.com",
        "Oscar Ward",
        "Oscar",
        "oscarward@contoso.com",
    ));
    f.users.push(user(
        "1a000000-0000-4000-8000-0000000000d2",
        "contosoadmin1_fabrikam.com#EXT#@microsoft.onmicrosoft.com",
        "contosoAdmin1",
        "Contoso Administrator",
        "'contosoadmin1@fabrikam.com",
    ));
    f
}

async fn search(emu: &Emu, query: &[(&str, &str)], eventual: bool) -> reqwest::Response {
    let mut rb = emu
        .http
        .get(format!("{}/v1.0/users", emu.urls().graph))
        .bearer_auth(emu.graph_token())
        .query(query);
    if eventual {
        rb = rb.header("ConsistencyLevel", "eventual");
    }
    rb.send().await.unwrap()
}

fn display_names(body: &Value) -> Vec<String> {
    body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["displayName"].as_str().unwrap().to_owned())
        .collect()
}

/// The documented response item, as the emulator returns it with the example's `$select`.
fn item<'a>(body: &'a Value, display: &str) -> &'a Value {
    body["value"].as_array().unwrap().iter().find(|u| u["displayName"] == display).unwrap()
}

#[tokio::test]
async fn example_6_search_wa_finds_oscar_ward() {
    let emu = Emu::start_with(documented_tenant()).await;
    // GET /v1.0/users?$search="displayName:wa"&$orderby=displayName&$count=true
    let r = search(
        &emu,
        &[("$search", "\"displayName:wa\""), ("$orderby", "displayName"), ("$count", "true")],
        true,
    )
    .await;
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    assert_eq!(body["@odata.context"], format!("{}/v1.0/$metadata#users", emu.urls().graph));
    // The documented response shows "Oscar Ward" (its count, 7, is the docs tenant's). In the
    // demo tenant nobody else has a display-name word starting with "wa".
    assert_eq!(display_names(&body), ["Oscar Ward"]);
    assert_eq!(body["@odata.count"], 1);
    let oscar = item(&body, "Oscar Ward");
    let documented = json!({ "displayName": "Oscar Ward", "givenName": "Oscar",
        "mail": "oscarward@contoso.com", "userPrincipalName": "oscarward@contoso.com" });
    for (k, v) in documented.as_object().unwrap() {
        assert_eq!(&oscar[k], v, "{k}");
    }
}

#[tokio::test]
async fn example_7_search_wa_or_ad_also_finds_the_case_change_token() {
    let emu = Emu::start_with(documented_tenant()).await;
    let r = search(
        &emu,
        &[
            ("$search", "\"displayName:wa\" OR \"displayName:ad\""),
            ("$orderby", "displayName"),
            ("$count", "true"),
        ],
        true,
    )
    .await;
    assert_eq!(r.status(), 200);
    let body = json(r).await;
    // Ordered by displayName (case-insensitively): contosoAdmin1, Oscar Ward.
    assert_eq!(display_names(&body), ["contosoAdmin1", "Oscar Ward"]);
    let admin = item(&body, "contosoAdmin1");
    assert_eq!(admin["givenName"], "Contoso Administrator");
    assert_eq!(admin["mail"], "'contosoadmin1@fabrikam.com");
    assert_eq!(
        admin["userPrincipalName"],
        "contosoadmin1_fabrikam.com#EXT#@microsoft.onmicrosoft.com"
    );
}

#[tokio::test]
async fn without_consistency_level_search_is_the_documented_400() {
    let emu = Emu::start().await;
    let r = search(&emu, &[("$search", "\"displayName:ana\"")], false).await;
    assert_eq!(r.status(), 400);
    let body = json(r).await;
    assert_eq!(body["error"]["code"], "Request_UnsupportedQuery");
    assert_eq!(
        body["error"]["message"],
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"
    );
    // Unquoted clause and lower-case operators: syntax errors.
    for bad in ["displayName:ana", "\"displayName:ana\" or \"surname:lima\""] {
        let r = search(&emu, &[("$search", bad)], true).await;
        assert_eq!(r.status(), 400, "{bad}");
        let body = json(r).await;
        assert!(body["error"]["message"].as_str().unwrap().starts_with("Syntax error"), "{body}");
    }
}

#[tokio::test]
async fn word_prefix_not_substring_and_startswith_on_other_properties() {
    let emu = Emu::start().await;
    let found = |q: &'static str| {
        let emu = &emu;
        async move {
            let r = search(emu, &[("$search", q), ("$select", "id,displayName")], true).await;
            assert_eq!(r.status(), 200, "{q}");
            let mut names = display_names(&json(r).await);
            names.sort();
            names
        }
    };
    // Tokenized displayName: "lima" starts a word of "Ana Lima" and of "Ana Lima Costa".
    assert_eq!(found("\"displayName:lima\"").await, ["Ana Lima", "Ana Lima Costa"]);
    assert_eq!(found("\"displayName:costa\"").await, ["Ana Lima Costa"]);
    // No contains: "ima" is inside "Lima", never the start of a word.
    assert!(found("\"displayName:ima\"").await.is_empty());
    // Several words in one clause: all of them, in any order.
    assert_eq!(found("\"displayName:costa ana\"").await, ["Ana Lima Costa"]);
    // surname is not tokenized: startsWith on the whole value ("Lima Costa" starts with "lima",
    // not with "costa").
    assert_eq!(found("\"surname:lima\"").await, ["Ana Lima", "Ana Lima Costa"]);
    assert!(found("\"surname:costa\"").await.is_empty());
    // AND binds the groups; the punctuation-joined token finds O'Brien.
    assert_eq!(
        found("(\"givenName:ana\" OR \"displayName:ana\") AND (\"surname:costa\" OR \"displayName:costa\")").await,
        ["Ana Lima Costa"]
    );
    assert_eq!(found("\"displayName:obrien\"").await, ["Siobhán O'Brien"]);
}

#[tokio::test]
async fn search_pages_need_the_header_on_every_page_and_combine_with_the_filter() {
    let emu = Emu::start().await;
    // Every enabled member whose display name has a word starting with "a" (Ana Lima, Ana Lima
    // Costa), one per page; the filter drops disabled accounts and guests.
    let query = [
        ("$search", "\"displayName:a\""),
        ("$filter", "accountEnabled eq true and userType eq 'Member'"),
        ("$select", "id,displayName"),
        ("$top", "1"),
        ("$count", "true"),
    ];
    let first = json(search(&emu, &query, true).await).await;
    assert_eq!(first["@odata.count"], 2);
    assert_eq!(display_names(&first), ["Ana Lima"]);
    let next = first["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(next.contains("$search="), "the link repeats the search: {next}");
    // The next page without the header: the same 400 as the first page would get.
    let r = emu.http.get(&next).bearer_auth(emu.graph_token()).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["error"]["code"], "Request_UnsupportedQuery");
    // With it: the second page, without a count.
    let r = emu
        .http
        .get(&next)
        .bearer_auth(emu.graph_token())
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .unwrap();
    let second = json(r).await;
    assert_eq!(display_names(&second), ["Ana Lima Costa"]);
    assert!(second.get("@odata.count").is_none());
    assert!(second.get("@odata.nextLink").is_none());
}
