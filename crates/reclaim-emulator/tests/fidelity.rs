//! Contract tests for what Microsoft's own Verified ID clients expect (issue 11): credential
//! contracts served as manifests and issued from, issuance PINs, presentation receipts whose
//! credentials are JWTs, and certificate checks on callbacks. Request bodies are the
//! documentation's own (issuance-request-api, presentation-request-api) and the rules and display
//! definitions are Microsoft's sample's (`VerifiedCredentialExpertRules.json` /
//! `VerifiedCredentialExpertDisplay.json`); each test reads the answers the way Microsoft's samples
//! read them. (Client-credentials scopes, item 1, are in `identity.rs` and the MSAL suite.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{Emu, json};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reclaim_emulator::Fixture;
use reclaim_emulator::fixture::{ContractFixture, DisplayModel, RulesModel};
use reclaim_emulator::identity::Resource;
use serde_json::{Value, json};

/// The documentation's issuer authority and contract id (issuance-request-api example).
const AUTHORITY: &str = "did:web:verifiedid.contoso.com";
const CONTRACT_ID: &str =
    "MTIzNDU2NzgtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwdmVyaWZpZWRjcmVkZW50aWFsZXhwZXJ0";
const ISSUER_APP: &str = "3a000000-0000-4000-8000-0000000000a1";
const PHONE: &str = "expert-phone";

/// Microsoft's sample rules definition, verbatim
/// (active-directory-verifiable-credentials-node, 1-node-api-idtokenhint/CredentialFiles/VerifiedCredentialExpertRules.json).
const SAMPLE_RULES: &str = r#"{
  "attestations": {
    "idTokenHints": [
      {
        "mapping": [
          { "outputClaim": "firstName", "required": true, "inputClaim": "$.given_name", "indexed": false },
          { "outputClaim": "lastName", "required": true, "inputClaim": "$.family_name", "indexed": true }
        ],
        "required": true
      }
    ]
  },
  "validityInterval": 2592000,
  "vc": { "type": [ "VerifiedCredentialExpert" ] }
}"#;

/// Microsoft's sample display definition, verbatim (…/VerifiedCredentialExpertDisplay.json).
const SAMPLE_DISPLAY: &str = r##"{
  "locale": "en-US",
  "card": {
    "backgroundColor": "#000000",
    "description": "Use your verified credential to prove to anyone that you know all about verifiable credentials.",
    "issuedBy": "Microsoft",
    "textColor": "#ffffff",
    "title": "Verified Credential Expert",
    "logo": {
      "description": "Verified Credential Expert Logo",
      "uri": "https://didcustomerplayground.z13.web.core.windows.net/VerifiedCredentialExpert_icon.png"
    }
  },
  "consent": {
    "instructions": "Sign in with your account to get your card.",
    "title": "Do you want to get your Verified Credential?"
  },
  "claims": [
    { "claim": "vc.credentialSubject.firstName", "label": "First name", "type": "String" },
    { "claim": "vc.credentialSubject.lastName", "label": "Last name", "type": "String" }
  ]
}"##;

/// The demo tenant plus the sample's contract under the documentation's contract id.
fn fixture_with_sample_contract(allow_override: bool) -> Fixture {
    let mut f = Fixture::demo();
    f.contracts.push(ContractFixture {
        id: CONTRACT_ID.to_owned(),
        name: "Verified Credential Expert".to_owned(),
        authority: AUTHORITY.to_owned(),
        allow_override_validity_on_issuance: allow_override,
        rules: serde_json::from_str::<RulesModel>(SAMPLE_RULES).unwrap(),
        display: serde_json::from_str::<DisplayModel>(SAMPLE_DISPLAY).unwrap(),
    });
    f.validate().unwrap();
    f
}

/// The manifest URL of the documentation's example, in this emulator's tenant.
fn manifest_url(emu: &Emu, contract_id: &str) -> String {
    format!(
        "https://verifiedid.did.msidentity.com/v1.0/tenants/{}/verifiableCredentials/contracts/{contract_id}/manifest",
        emu.tenant()
    )
}

/// The issuance-request-api example body, as Microsoft's sample sends it: `"type": "ignore-this"`
/// (the service takes the type from the contract); only the callback URL, the manifest's tenant
/// and the (long past) `expirationDate` are ours.
fn doc_issuance_body(emu: &Emu, callback: &str) -> Value {
    json!({
      "authority": "did:web:verifiedid.contoso.com",
      "callback": {
        "url": callback,
        "state": "de19cb6b-36c1-45fe-9409-909a51292a9c",
        "headers": { "api-key": "OPTIONAL API-KEY for CALLBACK EVENTS" }
      },
      "registration": { "clientName": "Verifiable Credential Expert Sample" },
      "type": "ignore-this",
      "manifest": manifest_url(emu, CONTRACT_ID),
      "pin": { "value": "3539", "length": 4 },
      "claims": { "given_name": "Megan", "family_name": "Bowen" },
      "expirationDate": "2099-12-31T23:59:59.000Z"
    })
}

/// The presentation-request-api example body (includeReceipt: true), pointed at `callback`.
fn doc_presentation_body(callback: &str) -> Value {
    json!({
      "authority": "did:web:verifiedid.contoso.com",
      "includeReceipt": true,
      "registration": { "clientName": "Veritable Credential Expert Verifier" },
      "callback": {
        "url": callback,
        "state": "92d076dd-450a-4247-aa5b-d2e75a1a5d58",
        "headers": { "api-key": "OPTIONAL API-KEY for CALLBACK EVENTS" }
      },
      "requestedCredentials": [
        {
          "type": "VerifiedCredentialExpert",
          "purpose": "So we can see that you a veritable credentials expert",
          "acceptedIssuers": [ "did:web:verifiedid.contoso.com" ],
          "configuration": { "validation": { "allowRevoked": false, "validateLinkedDomain": false } }
        }
      ]
    })
}

/// Records every callback it receives (plain http on loopback).
#[derive(Clone)]
struct Receiver {
    url: String,
    calls: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

impl Receiver {
    async fn start() -> Self {
        let calls: Arc<Mutex<Vec<(HeaderMap, Value)>>> = Arc::default();
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let app = receiver_app(calls.clone());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        Self { url: format!("http://{addr}/cb"), calls }
    }

    fn bodies(&self) -> Vec<Value> {
        self.calls.lock().unwrap().iter().map(|(_, b)| b.clone()).collect()
    }

    fn statuses(&self) -> Vec<String> {
        self.bodies().iter().map(|b| b["requestStatus"].as_str().unwrap().to_owned()).collect()
    }
}

fn receiver_app(calls: Arc<Mutex<Vec<(HeaderMap, Value)>>>) -> Router {
    Router::new().route(
        "/cb",
        post(move |h: HeaderMap, Json(v): Json<Value>| {
            let c = calls.clone();
            async move {
                c.lock().unwrap().push((h, v));
                axum::http::StatusCode::OK
            }
        }),
    )
}

fn issuer_token(emu: &Emu) -> String {
    emu.mint(ISSUER_APP, Resource::RequestService, &["VerifiableCredential.Create.IssueRequest"])
}

async fn create_issuance(emu: &Emu, body: &Value) -> reqwest::Response {
    emu.http
        .post(format!(
            "{}/v1.0/verifiableCredentials/createIssuanceRequest",
            emu.urls().request_service
        ))
        .bearer_auth(issuer_token(emu))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn create_presentation(emu: &Emu, body: &Value) -> Value {
    let r = emu
        .http
        .post(format!(
            "{}/v1.0/verifiableCredentials/createPresentationRequest",
            emu.urls().request_service
        ))
        .bearer_auth(emu.vc_token())
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    json(r).await
}

/// Asserts a Request Service error (§2.4) and returns its body.
async fn vc_error(r: reqwest::Response, status: u16, inner: &str) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let b = json(r).await;
    assert_eq!(b["error"]["innererror"]["code"], inner, "{b}");
    assert!(b["requestId"].is_string() && b["date"].is_string() && b["mscv"].is_string());
    b
}

/// What Microsoft's Node sample does with a JWT: `JSON.parse(base64url.decode(jwt.split(".")[1]))`.
fn node_sample_payload(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a compact JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

/// What Microsoft's .NET sample does (`GetJsonFromJwtToken`): '_'→'/', '-'→'+', take part 1, pad.
fn dotnet_sample_payload(jwt: &str) -> Value {
    let part = jwt.replace('_', "/").replace('-', "+");
    let mut part = part.split('.').nth(1).unwrap().to_owned();
    while !part.len().is_multiple_of(4) {
        part.push('=');
    }
    serde_json::from_slice(&STANDARD.decode(part).unwrap()).unwrap()
}

/// Verifies an issuer- or holder-signed JWS whose `kid` is `{did}#{key id}` against the emulated
/// identity platform's JWKS; returns its claims.
async fn verify_did_signed(emu: &Emu, jwt: &str, did: &str) -> Value {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let kid = header.kid.unwrap();
    let (kid_did, key_id) = kid.split_once('#').unwrap();
    assert_eq!(kid_did, did, "signed as {did}");
    let jwks_url = format!("{}/{}/discovery/v2.0/keys", emu.urls().login, emu.tenant());
    let jwks = json(emu.http.get(jwks_url).send().await.unwrap()).await;
    let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == key_id).unwrap();
    let key =
        DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_aud = false;
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(jwt, &key, &v).expect("signature verifies").claims
}

// ── 3. Contracts and manifests ──────────────────────────────────────────────────────────────────

#[tokio::test]
async fn the_manifest_is_a_signed_token_that_microsofts_samples_read() {
    let emu = Emu::start_with(fixture_with_sample_contract(true)).await;
    let url = format!(
        "{}/v1.0/tenants/{}/verifiableCredentials/contracts/{CONTRACT_ID}/manifest",
        emu.urls().request_service,
        emu.tenant()
    );
    let r = emu.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let resp = json(r).await;
    let token = resp["token"].as_str().expect("{\"token\": \"<JWT>\"}");

    // The Node sample (app.js): iss must be the authority; ID token hint claims from idTokens[0].
    let manifest = node_sample_payload(token);
    assert_eq!(manifest["iss"], AUTHORITY);
    let id_tokens = &manifest["input"]["attestations"]["idTokens"];
    assert_eq!(id_tokens[0]["configuration"], "https://self-issued.me");
    let names: Vec<String> = id_tokens[0]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["claim"].as_str().unwrap().replace("$.", ""))
        .collect();
    assert_eq!(names, ["given_name", "family_name"]);
    assert_eq!(manifest["input"]["issuer"], AUTHORITY);

    // The .NET sample (IssuerController): display.claims keyed by path, each with a type.
    let manifest_dotnet = dotnet_sample_payload(token);
    let claims = manifest_dotnet["display"]["claims"].as_object().unwrap();
    assert_eq!(claims["vc.credentialSubject.firstName"]["type"], "String");
    assert_eq!(claims["vc.credentialSubject.lastName"]["label"], "Last name");
    assert_eq!(manifest_dotnet["display"]["card"]["title"], "Verified Credential Expert");
    assert_eq!(manifest_dotnet["display"]["card"]["issuedBy"], "Microsoft");
    assert_eq!(
        manifest_dotnet["display"]["consent"]["title"],
        "Do you want to get your Verified Credential?"
    );
    assert_eq!(manifest_dotnet["display"]["contract"], url);
    assert_eq!(manifest_dotnet["id"], CONTRACT_ID);
    // Signed as the issuer, verifiable with the emulated platform's key.
    let verified = verify_did_signed(&emu, token, AUTHORITY).await;
    assert_eq!(verified, manifest);

    // The demo tenant's own contracts are served too, with the photo claim the .NET sample looks for.
    let demo = format!(
        "{}/v1.0/tenants/{}/verifiableCredentials/contracts/trueid-verified-identity/manifest",
        emu.urls().request_service,
        emu.tenant()
    );
    let m = node_sample_payload(
        json(emu.http.get(demo).send().await.unwrap()).await["token"].as_str().unwrap(),
    );
    assert_eq!(m["iss"], "did:web:idv.trueid.example");
    assert_eq!(
        m["display"]["claims"]["vc.credentialSubject.portrait"]["type"],
        "image/jpg;base64url"
    );

    // Unknown contract, other tenant: 404 notFound in the service's error shape.
    let unknown = url.replace(CONTRACT_ID, "no-such-contract");
    vc_error(emu.http.get(unknown).send().await.unwrap(), 404, "notFound").await;
    let other_tenant =
        url.replace(&emu.tenant().to_string(), "aaaabbbb-0000-cccc-1111-dddd2222eeee");
    vc_error(emu.http.get(other_tenant).send().await.unwrap(), 404, "notFound").await;
}

#[tokio::test]
async fn issuance_through_a_manifest_yields_the_contracts_type_and_claims_and_presents() {
    let emu = Emu::start_with(fixture_with_sample_contract(true)).await;
    let rx = Receiver::start().await;

    // The documentation's issuance body, with the sample's "type": "ignore-this".
    let r = create_issuance(&emu, &doc_issuance_body(&emu, &rx.url)).await;
    assert_eq!(r.status(), 201);
    let offer = json(r).await;
    let r = emu
        .control(&format!("/phones/{PHONE}/open"), json!({ "url": offer["url"], "pin": "3539" }))
        .await;
    assert_eq!(r.status(), 200);
    let out = json(r).await;
    assert_eq!(out["outcome"], "issued", "{out}");
    assert_eq!(rx.statuses(), ["request_retrieved", "issuance_successful"]);

    // The credential carries the contract's type and the mapped claims, not the request's.
    let held = emu.running.state.phones().credentials(PHONE);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].id, out["credentialId"].as_str().unwrap());
    assert_eq!(held[0].issuer, AUTHORITY);
    assert_eq!(held[0].types, ["VerifiableCredential", "VerifiedCredentialExpert"]);
    assert_eq!(
        Value::Object(held[0].claims.clone()),
        json!({ "firstName": "Megan", "lastName": "Bowen" })
    );
    assert_eq!(held[0].expiration_date, "2099-12-31T23:59:59.000Z");

    // The documentation's presentation body asks for the contract's type: verified.
    let req = create_presentation(&emu, &doc_presentation_body(&rx.url)).await;
    let r = emu
        .control(
            &format!("/phones/{PHONE}/present"),
            json!({ "requestId": req["requestId"], "score": 90.0 }),
        )
        .await;
    assert_eq!(json(r).await["outcome"], "verified");
    let verified = rx.bodies().pop().unwrap();
    assert_eq!(verified["requestStatus"], "presentation_verified");
    let vc = &verified["verifiedCredentialsData"][0];
    assert_eq!(vc["type"], json!(["VerifiableCredential", "VerifiedCredentialExpert"]));
    assert_eq!(vc["issuer"], AUTHORITY);
    assert_eq!(vc["claims"], json!({ "firstName": "Megan", "lastName": "Bowen" }));

    // Its receipt decoded as the samples do: the credential JWT's jti and type.
    let vp = node_sample_payload(verified["receipt"]["vp_token"].as_str().unwrap());
    let credential = node_sample_payload(vp["vp"]["verifiableCredential"][0].as_str().unwrap());
    assert_eq!(credential["jti"], format!("urn:uuid:{}", held[0].id));
    assert!(
        credential["vc"]["type"].as_array().unwrap().contains(&json!("VerifiedCredentialExpert"))
    );

    // Asking for the type the issuance request named finds nothing: it was never issued.
    let mut body = doc_presentation_body(&rx.url);
    body["requestedCredentials"][0]["type"] = json!("ignore-this");
    let req = create_presentation(&emu, &body).await;
    let r = emu
        .control(
            &format!("/phones/{PHONE}/present"),
            json!({ "requestId": req["requestId"], "score": 90.0 }),
        )
        .await;
    assert_eq!(json(r).await["code"], "noMatchingCredential");
}

#[tokio::test]
async fn an_unknown_manifest_is_the_documented_fetch_contract_error() {
    let emu = Emu::start_with(fixture_with_sample_contract(false)).await;
    let base = doc_issuance_body(&emu, "https://contoso.com/api/issuer/issuanceCallback");
    // Another tenant's contract (the documentation's own URL), an unknown contract, not a manifest URL.
    for manifest in [
        "https://verifiedid.did.msidentity.com/v1.0/tenants/aaaabbbb-0000-cccc-1111-dddd2222eeee/verifiableCredentials/contracts/MTIzNDU2NzgtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwdmVyaWZpZWRjcmVkZW50aWFsZXhwZXJ0/manifest".to_owned(),
        manifest_url(&emu, "bm8tc3VjaC1jb250cmFjdA"),
        "https://example.org/manifest".to_owned(),
    ] {
        let mut body = base.clone();
        body["manifest"] = json!(manifest);
        let b = vc_error(create_issuance(&emu, &body).await, 400, "badOrMissingField").await;
        assert_eq!(b["error"]["code"], "badRequest");
        assert_eq!(b["error"]["innererror"]["message"], "fetch_contract_error", "{manifest}");
    }

    // The contract's rules are enforced: its authority, its required claims, and expirationDate
    // only with allowOverrideValidityOnIssuance (off in this fixture).
    let mut body = base.clone();
    body["authority"] = json!("did:web:someone.else.example");
    let b = vc_error(create_issuance(&emu, &body).await, 400, "badOrMissingField").await;
    assert_eq!(b["error"]["innererror"]["target"], "authority");
    let mut body = base.clone();
    body.as_object_mut().unwrap().remove("expirationDate");
    body["claims"] = json!({ "given_name": "Megan" });
    let b = vc_error(create_issuance(&emu, &body).await, 400, "badOrMissingField").await;
    assert_eq!(b["error"]["innererror"]["target"], "claims");
    assert!(b["error"]["innererror"]["message"].as_str().unwrap().contains("family_name"));
    let b = vc_error(create_issuance(&emu, &base).await, 400, "badOrMissingField").await;
    assert_eq!(b["error"]["innererror"]["target"], "expirationDate");

    // Without expirationDate the contract's validityInterval (30 days) sets the expiry.
    let rx = Receiver::start().await;
    let mut body = doc_issuance_body(&emu, &rx.url);
    body.as_object_mut().unwrap().remove("expirationDate");
    let r = create_issuance(&emu, &body).await;
    assert_eq!(r.status(), 201);
    let offer = json(r).await;
    emu.control(&format!("/phones/{PHONE}/open"), json!({ "url": offer["url"], "pin": "3539" }))
        .await;
    let held = emu.running.state.phones().credentials(PHONE);
    let expected = reclaim_emulator::clock::rfc3339(
        emu.running.state.clock().now() + time::Duration::seconds(2_592_000),
    );
    let exp = time::OffsetDateTime::parse(
        &held[0].expiration_date,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let want =
        time::OffsetDateTime::parse(&expected, &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert!((exp - want).whole_seconds().abs() <= 5, "{} vs {expected}", held[0].expiration_date);
}

// ── 4. Issuance PIN ─────────────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn an_issuance_with_a_pin_is_completed_only_with_that_pin() {
    let emu = Emu::start_with(fixture_with_sample_contract(true)).await;
    let rx = Receiver::start().await;
    let offer = json(create_issuance(&emu, &doc_issuance_body(&emu, &rx.url)).await).await;
    let id = offer["requestId"].as_str().unwrap();

    // The wallet sees that a PIN is needed, and how long it is.
    let uri = offer["url"].as_str().unwrap().strip_prefix("openid-vc://?request_uri=").unwrap();
    let obj = json(emu.http.get(uri).send().await.unwrap()).await;
    assert_eq!(obj["pinRequired"], true);
    assert_eq!(obj["pinLength"], 4);
    assert_eq!(obj["type"], json!(["VerifiedCredentialExpert"]));

    // Opened without the PIN: the phone asks for it; nothing is issued.
    let r = emu.control(&format!("/phones/{PHONE}/open"), json!({ "url": offer["url"] })).await;
    assert_eq!(json(r).await, json!({ "outcome": "pinRequired", "requestId": id, "pinLength": 4 }));
    assert_eq!(rx.statuses(), ["request_retrieved"]);
    let r = emu.control(&format!("/phones/{PHONE}/accept"), json!({ "requestId": id })).await;
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["error"], "pin_required");
    assert_eq!(rx.statuses(), ["request_retrieved"], "no callback without a PIN");

    // A wrong PIN: the issuance fails as the service documents it (issuance_error).
    let r = emu
        .control(&format!("/phones/{PHONE}/accept"), json!({ "requestId": id, "pin": "0000" }))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        json(r).await,
        json!({ "outcome": "issuanceFailed", "requestId": id,
                "code": "IssuanceFlowFailed", "message": "issuance_service_error" })
    );
    assert_eq!(rx.statuses(), ["request_retrieved", "issuance_error"]);
    assert_eq!(
        rx.bodies()[1],
        json!({ "requestId": id, "requestStatus": "issuance_error",
                "state": "de19cb6b-36c1-45fe-9409-909a51292a9c",
                "error": { "code": "IssuanceFlowFailed", "message": "issuance_service_error" } })
    );
    assert!(emu.running.state.phones().credentials(PHONE).is_empty());
    let r = emu
        .control(&format!("/phones/{PHONE}/accept"), json!({ "requestId": id, "pin": "3539" }))
        .await;
    assert_eq!(r.status(), 409, "the request is over");

    // A new request, the right PIN: issued.
    let offer = json(create_issuance(&emu, &doc_issuance_body(&emu, &rx.url)).await).await;
    let r = emu
        .control(&format!("/phones/{PHONE}/open"), json!({ "url": offer["url"], "pin": "3539" }))
        .await;
    assert_eq!(json(r).await["outcome"], "issued");
    assert_eq!(emu.running.state.phones().credentials(PHONE).len(), 1);
}

#[tokio::test]
async fn a_hashed_pin_is_checked_as_salt_plus_pin() {
    let emu = Emu::start_with(fixture_with_sample_contract(true)).await;
    let rx = Receiver::start().await;
    // value = Base64(SHA-256(UTF8(salt + pin))), salt prepended (issuance-request-api, Pin type);
    // here for PIN 3539.
    let mut body = doc_issuance_body(&emu, &rx.url);
    body["pin"] = json!({
        "value": "iKA7mUgRbtHm1YREvxFP0xSrKuNQ5o+C4Qr3TN4DCp0=", "type": "numeric", "length": 4,
        "salt": "7c1e0d2a-5b7f-4e51-9c9a-2f6a1d3b8e44", "alg": "sha256", "iterations": 1
    });
    for (pin, outcome) in [("3540", "issuanceFailed"), ("3539", "issued")] {
        let offer = json(create_issuance(&emu, &body).await).await;
        let r = emu
            .control(&format!("/phones/{PHONE}/open"), json!({ "url": offer["url"], "pin": pin }))
            .await;
        assert_eq!(json(r).await["outcome"], outcome, "PIN {pin}");
    }

    // Malformed PIN objects are refused at creation, naming the field.
    let cases = [
        (json!({ "value": "35a9", "length": 4 }), "pin.value"),
        (json!({ "value": "3539", "length": 6 }), "pin.value"),
        (json!({ "value": "3539", "type": "alphanumeric" }), "pin.type"),
        (
            json!({ "value": "iKA7mUgRbtHm1YREvxFP0xSrKuNQ5o+C4Qr3TN4DCp0=", "salt": "s", "alg": "md5" }),
            "pin.alg",
        ),
        (
            json!({ "value": "iKA7mUgRbtHm1YREvxFP0xSrKuNQ5o+C4Qr3TN4DCp0=", "salt": "s", "iterations": 2 }),
            "pin.iterations",
        ),
        (json!({ "value": "not-a-hash", "salt": "s" }), "pin.value"),
    ];
    for (pin, target) in cases {
        let mut body = doc_issuance_body(&emu, &rx.url);
        body["pin"] = pin;
        let b = vc_error(create_issuance(&emu, &body).await, 400, "badOrMissingField").await;
        assert_eq!(b["error"]["innererror"]["target"], target);
    }
}

#[tokio::test]
async fn the_phone_page_asks_for_the_pin() {
    let emu = Emu::start_with(fixture_with_sample_contract(true)).await;
    let rx = Receiver::start().await;
    let offer = json(create_issuance(&emu, &doc_issuance_body(&emu, &rx.url)).await).await;
    let id = offer["requestId"].as_str().unwrap();
    let page_url = format!("{}/p/{PHONE}", emu.urls().phone);
    let r = emu
        .http
        .get(&page_url)
        .query(&[("open", offer["url"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = emu
        .http
        .get(r.headers()["location"].to_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Enter the PIN"), "{html}");
    assert!(html.contains("name=\"pin\"") && html.contains("maxlength=\"4\""), "{html}");
    assert!(html.contains("Verified Credential Expert"), "the contract's card title");
    assert!(emu.running.state.phones().credentials(PHONE).is_empty());

    let r = emu
        .http
        .post(format!("{page_url}/accept"))
        .form(&[("requestId", id), ("pin", "3539")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(rx.statuses(), ["request_retrieved", "issuance_successful"]);
    assert_eq!(emu.running.state.phones().credentials(PHONE).len(), 1);
}

// ── 2. Presentation receipts ────────────────────────────────────────────────────────────────────

#[tokio::test]
async fn the_receipts_credential_is_a_jwt_read_the_way_microsofts_samples_read_it() {
    let emu = Emu::start().await;
    let rx = Receiver::start().await;
    // A verifiedIdentity credential from the demo's TrueIdentity issuer, Face Check requested and
    // a receipt included (the contract's "Minimal kiosk body" with includeReceipt: true).
    let r = emu
        .control(
            "/phones/demo-phone/credentials",
            json!({
                "issuer": "did:web:idv.trueid.example",
                "types": ["VerifiableCredential", "verifiedIdentity"],
                "claims": { "firstName": "Ana", "lastName": "Lima", "portrait": "_9j_4AAQSkZJRg" },
                "issuanceDate": "2026-08-01T10:00:00Z",
                "expirationDate": "2099-08-02T10:00:00Z",
            }),
        )
        .await;
    let credential_id = json(r).await["id"].as_str().unwrap().to_owned();
    let req = create_presentation(
        &emu,
        &json!({
          "authority": "did:web:verifier.example.org",
          "includeQRCode": true,
          "includeReceipt": true,
          "registration": { "clientName": "Account Recovery Kiosk", "purpose": "Prove it is you" },
          "callback": { "url": rx.url, "state": "4f0c2a7e-9b1d-4c1e-8f7a-0d5e6b2c9a11",
                        "headers": { "api-key": "k1ck-2f9e" } },
          "requestedCredentials": [{
            "type": "verifiedIdentity",
            "acceptedIssuers": ["did:web:idv.trueid.example"],
            "configuration": { "validation": { "allowRevoked": false, "validateLinkedDomain": true,
              "faceCheck": { "sourcePhotoClaimName": "portrait", "matchConfidenceThreshold": 70 } } }
          }]
        }),
    )
    .await;
    emu.control(
        "/phones/demo-phone/present",
        json!({ "requestId": req["requestId"], "score": 88.0 }),
    )
    .await;
    let verified = rx.bodies().pop().unwrap();
    assert_eq!(verified["requestStatus"], "presentation_verified");
    let receipt = &verified["receipt"];

    // callback.js: vp_token split on '.', base64url-decoded, then vp.verifiableCredential[0]
    // split on '.' the same way, and its jti read.
    let vp_token = receipt["vp_token"].as_str().unwrap();
    let vp = node_sample_payload(vp_token);
    let vc_jwt = vp["vp"]["verifiableCredential"][0].as_str().expect("a credential JWT string");
    assert_eq!(vc_jwt.split('.').count(), 3, "compact JWS");
    let vc = node_sample_payload(vc_jwt);
    let jti = vc["jti"].as_str().unwrap();
    assert_eq!(jti, format!("urn:uuid:{credential_id}"));
    assert_eq!(vc["iss"], "did:web:idv.trueid.example");
    assert_eq!(vc["vc"]["type"], json!(["VerifiableCredential", "verifiedIdentity"]));
    assert_eq!(vc["vc"]["credentialSubject"]["lastName"], "Lima");
    // CallbackController.cs reads the same through its own decoding.
    let vp_dotnet = dotnet_sample_payload(vp_token);
    assert_eq!(
        dotnet_sample_payload(vp_dotnet["vp"]["verifiableCredential"][0].as_str().unwrap())["jti"],
        jti
    );

    // The credential is signed by its issuer for the presenting holder; the VP by the holder.
    let subject = verified["subject"].as_str().unwrap();
    let vc_claims = verify_did_signed(&emu, vc_jwt, "did:web:idv.trueid.example").await;
    assert_eq!(vc_claims["sub"], subject);
    let vp_claims = verify_did_signed(&emu, vp_token, subject).await;
    assert_eq!(vp_claims["aud"], "did:web:verifier.example.org");
    // The Face Check receipt names the same credential.
    let fc = node_sample_payload(receipt["faceCheck"].as_str().unwrap());
    assert_eq!(fc["vc"]["credentialSubject"]["faceCheckResults"][0]["sourceVcJti"], jti);
}

// ── 5. Callback TLS ─────────────────────────────────────────────────────────────────────────────

/// A CA and, signed by it, a server certificate for `names`; returns (CA PEM, chain PEM, key PEM).
fn ca_and_leaf(names: &[&str]) -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "Callback test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let leaf =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    (ca_cert.pem(), format!("{}{}", leaf_cert.pem(), ca_cert.pem()), leaf_key.serialize_pem())
}

/// An https callback receiver on 127.0.0.1 with the given certificate chain.
async fn https_receiver(chain: String, key: String) -> Receiver {
    let calls: Arc<Mutex<Vec<(HeaderMap, Value)>>> = Arc::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let config =
        axum_server::tls_rustls::RustlsConfig::from_pem(chain.into_bytes(), key.into_bytes())
            .await
            .unwrap();
    let server = axum_server::from_tcp_rustls(listener, config).unwrap();
    let app = receiver_app(calls.clone());
    tokio::spawn(async move { server.serve(app.into_make_service()).await.unwrap() });
    Receiver { url: format!("https://{addr}/cb"), calls }
}

/// Creates a presentation request calling back to `url` (the issuance doc's callback block), has
/// the phone open it, and returns the control API's record of the request_retrieved delivery.
async fn retrieve_with_callback_to(emu: &Emu, url: &str) -> Value {
    let body = json!({
        "authority": "did:web:verifier.example.org",
        "registration": { "clientName": "Account Recovery Kiosk" },
        "callback": { "url": url, "state": "Aaaabbbb11112222",
                      "headers": { "api-key": "an-api-key-can-go-here" } },
        "requestedCredentials": [{ "type": "verifiedIdentity" }]
    });
    let req = create_presentation(emu, &body).await;
    let r = emu.control("/phones/tls-phone/open", json!({ "url": req["url"] })).await;
    assert_eq!(r.status(), 200);
    let id = req["requestId"].as_str().unwrap();
    let st =
        json(emu.http.get(format!("{}/requests/{id}", emu.urls().control)).send().await.unwrap())
            .await;
    st["deliveries"][0].clone()
}

#[tokio::test]
async fn callbacks_check_certificates_against_system_roots_and_the_configured_ca() {
    let (ca_pem, chain, key) = ca_and_leaf(&["127.0.0.1", "localhost"]);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("demo-ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();

    // By default the emulator trusts the system roots only: a private CA's receiver gets nothing.
    let rx = https_receiver(chain.clone(), key.clone()).await;
    let emu = Emu::start().await;
    let d = retrieve_with_callback_to(&emu, &rx.url).await;
    assert_eq!(d["outcome"], "failed", "{d}");
    assert!(d["error"].as_str().unwrap().contains("certificate"), "{d}");
    assert!(d.get("httpStatus").is_none());
    assert!(rx.bodies().is_empty(), "an untrusted certificate receives no callback");

    // With that CA configured (the demo's own CA), the callback is delivered, headers and all.
    let mut fixture = Fixture::demo();
    fixture.settings.callback_ca_file = Some(ca_file.display().to_string());
    let emu = Emu::start_with(fixture).await;
    let d = retrieve_with_callback_to(&emu, &rx.url).await;
    assert_eq!(d["outcome"], "delivered", "{d}");
    assert_eq!(d["httpStatus"], 200);
    assert_eq!(rx.statuses(), ["request_retrieved"]);
    assert_eq!(rx.calls.lock().unwrap()[0].0["api-key"], "an-api-key-can-go-here");

    // A certificate from the trusted CA for another name is still refused (hostname checked).
    let (other_ca, other_chain, other_key) = ca_and_leaf(&["relay.example.org"]);
    let other_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_file, &other_ca).unwrap();
    let wrong_name = https_receiver(other_chain, other_key).await;
    let mut fixture = Fixture::demo();
    fixture.settings.callback_ca_file = Some(other_file.display().to_string());
    let emu = Emu::start_with(fixture).await;
    let d = retrieve_with_callback_to(&emu, &wrong_name.url).await;
    assert_eq!(d["outcome"], "failed", "{d}");
    assert!(d["error"].as_str().unwrap().contains("certificate"), "{d}");
    assert!(wrong_name.bodies().is_empty());

    // Plain http to a loopback relay (the in-process demo) still works, as before.
    let plain = Receiver::start().await;
    let d = retrieve_with_callback_to(&emu, &plain.url).await;
    assert_eq!(d["outcome"], "delivered", "{d}");
    assert_eq!(plain.statuses(), ["request_retrieved"]);
}

#[tokio::test]
async fn a_callback_ca_file_without_certificates_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    for path in [empty.display().to_string(), dir.path().join("missing.pem").display().to_string()]
    {
        let mut fixture = Fixture::demo();
        fixture.settings.callback_ca_file = Some(path.clone());
        let err = reclaim_emulator::start(reclaim_emulator::EmulatorOptions {
            fixture,
            ..Default::default()
        })
        .await
        .expect_err("a bad CA file is refused");
        assert!(err.to_string().contains("callback_ca_file"), "{err}");
    }
}
