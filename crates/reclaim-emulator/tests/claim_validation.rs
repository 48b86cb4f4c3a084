//! The account-recovery claim-validation extension (`microsoft-apis-v2.md` §6): Graph serves the
//! extension's definition as Microsoft documents it (§6.1), the token endpoint issues tokens for
//! its `resourceId`, and the emulated HR system's sample endpoint answers the documented event
//! (§6.3, the sample README's body) with exactly one documented action (§6.4), checking the bearer
//! token as §6.2 says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Emu, GRAPH_SCOPE, KIOSK_CLIENT_ID, KIOSK_SECRET, READONLY_CLIENT_ID, json};
use reclaim_emulator::identity::Resource;
use serde_json::{Value, json};

const EXTENSION: &str = "5e000000-0000-4000-8000-000000000001";
const RESOURCE: &str = "api://hr.contoso.example/3a000000-0000-4000-8000-0000000000e1";

/// §6.3's body (from Microsoft's sample README) with the demo tenant's user and claims.
fn event(upn: &str, date_of_birth: &str) -> Value {
    json!({
      "type": "microsoft.graph.authenticationEvent.verifiedIdClaimValidation",
      "source": "/tenants/<tenant-guid>/applications/<app-id>",
      "data": {
        "@odata.type": "microsoft.graph.onVerifiedIdClaimValidationCalloutData",
        "tenantId": "<tenant-guid>",
        "authenticationEventListenerId": "<listener-guid>",
        "customAuthenticationExtensionId": EXTENSION,
        "authenticationContext": {
          "correlationId": "<guid>",
          "protocol": "OAUTH2",
          "client": { "clientIp": "127.0.0.1", "locale": "en-us", "market": "en-us" },
          "clientServicePrincipal": { "appId": "<app-id>", "displayName": "My App", "id": "<sp-guid>" },
          "resourceServicePrincipal": null,
          "user": { "id": "<user-guid>", "userPrincipalName": upn, "givenName": "Fatima", "surname": "Haddad",
                    "mail": upn, "onPremisesSamAccountName": "fhaddad", "userType": "Member", "createdDateTime": "2024-01-01T00:00:00" }
        },
        "verifiedIdClaimsContext": {
          "identities": [ { "issuer": "contoso.example", "issuerAssignedId": upn, "signInType": "userPrincipalName" } ],
          "additionalInfo": { "employeeId": "E-20417" },
          "claims": { "firstName": "Fatima", "lastName": "Haddad", "fullName": "Fatima Haddad", "dateOfBirth": date_of_birth,
                      "documentType": "Passport", "documentId": "P6620418", "documentExpiryDate": "2032-04-08" }
        }
      }
    })
}

async fn token_for(emu: &Emu, scope: &str) -> reqwest::Response {
    emu.http
        .post(emu.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", KIOSK_CLIENT_ID),
            ("client_secret", KIOSK_SECRET),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap()
}

async fn extension(emu: &Emu) -> Value {
    let token =
        json(token_for(emu, GRAPH_SCOPE).await).await["access_token"].as_str().unwrap().to_owned();
    let resp = emu
        .http
        .get(format!(
            "{}/v1.0/identity/customAuthenticationExtensions/{EXTENSION}",
            emu.urls().graph
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    json(resp).await
}

async fn call(emu: &Emu, target: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = emu.http.post(target).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn graph_serves_the_extension_and_the_profile_names_it() {
    let emu = Emu::start().await;
    let ext = extension(&emu).await;
    assert_eq!(ext["@odata.type"], "#microsoft.graph.onVerifiedIdClaimValidationCustomExtension");
    assert_eq!(ext["id"], EXTENSION);
    assert_eq!(ext["authenticationConfiguration"]["resourceId"], RESOURCE);
    assert_eq!(ext["clientConfiguration"]["timeoutInMilliseconds"], 2000);
    let target = ext["endpointConfiguration"]["targetUrl"].as_str().unwrap();
    assert_eq!(
        target,
        format!("{}/hr/api/claim-validation", emu.urls().control.trim_end_matches("/control"))
    );

    let token =
        json(token_for(&emu, GRAPH_SCOPE).await).await["access_token"].as_str().unwrap().to_owned();
    let profiles: Value = json(
        emu.http
            .get(format!("{}/v1.0/identity/verifiedId/profiles", emu.urls().graph))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let hr = profiles["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Recovery – checked with HR")
        .unwrap();
    assert_eq!(
        hr["verifiedIdProfileConfiguration"]["claimValidation"],
        json!({ "isEnabled": true, "customExtensionId": EXTENSION })
    );

    // Without the permission: 403, as Graph answers.
    let readonly = emu.mint(READONLY_CLIENT_ID, Resource::Graph, &["User.Read.All"]);
    let resp = emu
        .http
        .get(format!(
            "{}/v1.0/identity/customAuthenticationExtensions/{EXTENSION}",
            emu.urls().graph
        ))
        .bearer_auth(readonly)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn the_hr_endpoint_answers_pass_or_failed_with_one_action() {
    let emu = Emu::start().await;
    let ext = extension(&emu).await;
    let target = ext["endpointConfiguration"]["targetUrl"].as_str().unwrap().to_owned();
    let resp = token_for(&emu, &format!("{RESOURCE}/.default")).await;
    assert_eq!(resp.status(), 200);
    let token = json(resp).await["access_token"].as_str().unwrap().to_owned();

    let pass = json(
        call(&emu, &target, Some(&token), &event("fatima.haddad@contoso.example", "1986-04-09"))
            .await,
    )
    .await;
    assert_eq!(
        pass,
        json!({ "data": { "@odata.type": "microsoft.graph.onVerifiedIdClaimValidationResponseData",
            "actions": [ { "@odata.type": "microsoft.graph.verifiedIdClaimValidation.pass" } ] } })
    );
    let failed = json(
        call(&emu, &target, Some(&token), &event("gustav.berg@contoso.example", "1975-10-01"))
            .await,
    )
    .await;
    assert_eq!(
        failed["data"]["actions"],
        json!([ { "@odata.type": "microsoft.graph.verifiedIdClaimValidation.failed", "failedClaims": ["dateOfBirth"] } ])
    );
    let unknown = json(
        call(&emu, &target, Some(&token), &event("nobody@contoso.example", "1975-10-01")).await,
    )
    .await;
    assert_eq!(
        unknown["data"]["actions"][0]["@odata.type"],
        "microsoft.graph.verifiedIdClaimValidation.failed"
    );
}

#[tokio::test]
async fn the_hr_endpoint_checks_the_bearer_token_as_section_6_2_says() {
    let emu = Emu::start().await;
    let ext = extension(&emu).await;
    let target = ext["endpointConfiguration"]["targetUrl"].as_str().unwrap().to_owned();
    let body = event("fatima.haddad@contoso.example", "1986-04-09");

    let none = call(&emu, &target, None, &body).await;
    assert_eq!(none.status(), 401);
    assert_eq!(
        json(none).await,
        json!({"error": "Unauthorized", "detail": "Bearer token is required."})
    );
    // A Graph token is not for this API.
    let graph =
        json(token_for(&emu, GRAPH_SCOPE).await).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(call(&emu, &target, Some(&graph), &body).await.status(), 401);
    // A token for the API, but from an app the endpoint does not serve.
    let stranger = emu.mint(READONLY_CLIENT_ID, Resource::Extension(0), &[]);
    assert_eq!(call(&emu, &target, Some(&stranger), &body).await.status(), 403);
    // Entra's authentication events service is always a caller.
    let entra = emu.mint("99045fe1-7639-4a75-9d4a-577b6ca3810f", Resource::Extension(0), &[]);
    assert_eq!(call(&emu, &target, Some(&entra), &body).await.status(), 200);
    // A resource nobody defined: the token endpoint's AADSTS500011.
    let unknown = token_for(&emu, "api://hr.nowhere.example/x/.default").await;
    assert_eq!(unknown.status(), 400);
    assert!(json(unknown).await["error_codes"].to_string().contains("500011"));
}
