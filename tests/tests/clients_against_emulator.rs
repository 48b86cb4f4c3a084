//! Reclaim's Entra clients against the emulated tenant over real loopback HTTP: both sides of
//! the wire contract checked against each other, not against a mock shaped like either.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failed set-up is a failed test

use std::time::Instant;

use reclaim_entra::graph::TapRequest;
use reclaim_entra::{
    AssertionAlgorithm, ClientCertificate, EntraError, GRAPH_SCOPE, Secret, TokenSource,
};
use reclaim_system_tests::{KIOSK_CLIENT_ID, Tenant};
use serde_json::json;

const CERT: &[u8] =
    include_bytes!("../../crates/reclaim-emulator/fixtures/demo-credentials/kiosk-demo.cert.pem");
const KEY: &[u8] =
    include_bytes!("../../crates/reclaim-emulator/fixtures/demo-credentials/kiosk-demo.key.pem");
const PFX: &[u8] =
    include_bytes!("../../crates/reclaim-emulator/fixtures/demo-credentials/kiosk-demo.pfx");

fn cert_tokens(t: &Tenant, cert: ClientCertificate) -> std::sync::Arc<TokenSource> {
    std::sync::Arc::new(
        TokenSource::builder()
            .authority(&t.endpoints.authority)
            .tenant(t.tenant_id())
            .client_id(KIOSK_CLIENT_ID)
            .certificate(cert)
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn token_source_gets_tokens_with_secret_pem_and_pfx_certificates() {
    let t = Tenant::demo().await.unwrap();
    let secret = t.kiosk_tokens().unwrap();
    assert!(!secret.token(GRAPH_SCOPE).await.unwrap().secret().expose().is_empty());
    for alg in [AssertionAlgorithm::Rs256X5t, AssertionAlgorithm::Ps256X5tS256] {
        let pem = cert_tokens(&t, ClientCertificate::from_pem(CERT, KEY, alg).unwrap());
        let graph = t.graph(pem).unwrap();
        let ana = graph.get_user("ana.lima@contoso.example").await.unwrap().expect("Ana exists");
        assert_eq!(ana.given_name.unwrap().expose(), "Ana");
    }
    let pfx = ClientCertificate::from_pfx(
        PFX,
        &Secret::new("demo-pfx-password"),
        AssertionAlgorithm::Ps256X5tS256,
    )
    .unwrap();
    let graph = t.graph(cert_tokens(&t, pfx)).unwrap();
    assert!(graph.get_user("nora.quinn@contoso.example").await.unwrap().is_some());
}

#[tokio::test]
async fn a_wrong_secret_is_a_typed_token_error() {
    let t = Tenant::demo().await.unwrap();
    let bad = std::sync::Arc::new(
        TokenSource::builder()
            .authority(&t.endpoints.authority)
            .tenant(t.tenant_id())
            .client_id(KIOSK_CLIENT_ID)
            .client_secret(Secret::new("not-the-secret"))
            .build()
            .unwrap(),
    );
    match bad.token(GRAPH_SCOPE).await {
        Err(EntraError::Token(e)) => assert!(format!("{e:?}").contains("7000215"), "{e:?}"),
        other => panic!("expected a token error, got {other:?}"),
    }
}

#[tokio::test]
async fn graph_reads_the_recovery_configuration() {
    let t = Tenant::demo().await.unwrap();
    let graph = t.graph(t.kiosk_tokens().unwrap()).unwrap();

    let guest = graph
        .get_user("gina.okafor_partner.example#EXT#@contoso.example")
        .await
        .unwrap()
        .expect("guest UPN resolves");
    assert_eq!(guest.user_type.as_deref(), Some("Guest"));
    assert!(graph.get_user("nobody@contoso.example").await.unwrap().is_none());

    let obrien = graph.find_users_by_name("Siobhán", "O'Brien").await.unwrap();
    assert_eq!(obrien.users.len(), 1, "quote doubling reaches the right user");
    let smiths = graph.find_users_by_name("james", "SMITH").await.unwrap();
    assert_eq!(smiths.users.len(), 2, "both James Smiths are found, case-insensitively");

    // Zoë is in Field staff, nested into the production recovery group.
    let zoe = graph.get_user("zoe.wisniewska@contoso.example").await.unwrap().unwrap();
    let groups: Vec<String> =
        (1..=7).map(|i| format!("6a000000-0000-4000-8000-00000000000{i}")).collect();
    let member_of = graph.check_member_groups(&zoe.id, &groups).await.unwrap();
    assert!(member_of.contains(&"6a000000-0000-4000-8000-000000000001".to_owned()));
    assert!(member_of.contains(&"6a000000-0000-4000-8000-000000000004".to_owned()));
    assert!(!member_of.contains(&"6a000000-0000-4000-8000-000000000005".to_owned()));

    let vc = graph.get_verifiable_credentials_policy().await.unwrap();
    assert_eq!(vc.include_targets.len(), 5);
    let tap = graph.get_tap_policy().await.unwrap();
    assert_eq!(tap.id, "TemporaryAccessPass");
    let profiles = graph.list_verified_id_profiles().await.unwrap();
    assert_eq!(profiles.len(), 6);
}

/// The claim-validation extension (`microsoft-apis-v2.md` §6) end to end: Graph's definition read
/// by the client, a token for its `resourceId`, and the emulated HR system's answer, read back by
/// the same client the recovery service uses. The user's second-binding attribute too.
#[tokio::test]
async fn the_claim_validation_client_talks_to_the_tenants_extension() {
    use reclaim_entra::Personal;
    use reclaim_entra::claim_validation::{
        ClaimValidationClient, ClaimValidationRequest, ClaimValidationVerdict, ExtensionUser,
    };
    let t = Tenant::demo().await.unwrap();
    let tokens = t.kiosk_tokens().unwrap();
    let graph = t.graph(tokens.clone()).unwrap();
    let ext = graph.get_custom_extension("5e000000-0000-4000-8000-000000000001").await.unwrap();
    assert!(ext.target_url.path().ends_with("/hr/api/claim-validation"));
    let client = ClaimValidationClient::new(reqwest::Client::new(), tokens);
    let ask = |upn: &str, dob: &str| ClaimValidationRequest {
        tenant_id: t.tenant_id(),
        app_id: KIOSK_CLIENT_ID.into(),
        correlation_id: "test".into(),
        user: ExtensionUser {
            id: "x".into(),
            user_principal_name: Personal::new(upn),
            given_name: None,
            surname: None,
            mail: None,
            user_type: "Member".into(),
        },
        identity_issuer: "contoso.example".into(),
        claims: [("dateOfBirth".to_owned(), Personal::new(dob))].into(),
    };
    let pass = client.validate(&ext, &ask("fatima.haddad@contoso.example", "1986-04-09")).await;
    assert_eq!(pass.unwrap(), ClaimValidationVerdict::Pass);
    let failed = client.validate(&ext, &ask("gustav.berg@contoso.example", "1975-10-01")).await;
    assert_eq!(
        failed.unwrap(),
        ClaimValidationVerdict::Failed { failed_claims: vec!["dateOfBirth".into()] }
    );
    // The second binding's directory side: an extension property only when selected.
    let fatima = graph.get_user("fatima.haddad@contoso.example").await.unwrap().unwrap();
    let hash = graph
        .user_attribute(&fatima.id, "extension_3a0000000000400080000000000000e1_dobHash")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash.expose(), "a7bc6372b23497c59f12c330228d481b42eca105fdc3af785eb042e4763edf2f");
    assert_eq!(
        graph.user_attribute(&fatima.id, "employeeId").await.unwrap().unwrap().expose(),
        "E-20417"
    );
    let ana = graph.get_user("ana.lima@contoso.example").await.unwrap().unwrap();
    assert!(
        graph
            .user_attribute(&ana.id, "extension_3a0000000000400080000000000000e1_dobHash")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_tap_created_by_the_client_is_the_one_the_tenant_holds() {
    let t = Tenant::demo().await.unwrap();
    let graph = t.graph(t.kiosk_tokens().unwrap()).unwrap();
    let ana = graph.get_user("ana.lima@contoso.example").await.unwrap().unwrap();
    let req = TapRequest {
        start_date_time: None,
        lifetime_in_minutes: Some(60),
        is_usable_once: Some(true),
    };
    let created = graph.create_tap_safely(&ana.id, &req).await.unwrap();
    let pass = created
        .temporary_access_pass
        .as_ref()
        .expect("the pass is returned on create")
        .expose()
        .to_owned();
    let held = t.control_get("/directory/users/ana.lima@contoso.example/taps").await.unwrap();
    assert_eq!(held[0]["temporaryAccessPass"], pass);
    let listed = graph.list_taps(&ana.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].temporary_access_pass.is_none(), "the pass is never readable again");
    graph.delete_tap(&ana.id, &listed[0].id).await.unwrap();
    assert!(graph.list_taps(&ana.id).await.unwrap().is_empty());

    // Out of policy: a typed Graph error, not retried.
    let tomas = graph.get_user("tomas.berg@contoso.example").await.unwrap().unwrap();
    match graph.create_tap_safely(&tomas.id, &req).await {
        Err(EntraError::Graph(e)) => assert_eq!(e.status, 400),
        other => panic!("expected a policy refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn throttling_is_retried_after_the_servers_retry_after() {
    let t = Tenant::demo().await.unwrap();
    let graph = t.graph(t.kiosk_tokens().unwrap()).unwrap();
    graph.get_user("ana.lima@contoso.example").await.unwrap(); // warm the token
    let r = t
        .control("/faults", json!({"service": "graph", "pathContains": "/users", "kind": "status", "status": 429, "retryAfter": 1, "count": 2}))
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let started = Instant::now();
    assert!(graph.get_user("ana.lima@contoso.example").await.unwrap().is_some());
    assert!(
        started.elapsed().as_millis() >= 2000,
        "waited Retry-After twice: {:?}",
        started.elapsed()
    );
    assert_eq!(t.control_get("/faults").await.unwrap(), json!([]));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_succeeds() {
    let t = Tenant::demo().await.unwrap();
    let graph = t.graph(t.kiosk_tokens().unwrap()).unwrap();
    assert!(graph.get_user("ana.lima@contoso.example").await.unwrap().is_some());
    assert_eq!(t.control("/tokens/expire", json!({})).await.unwrap().status(), 204);
    // The cached token is now refused with 401; the client must fetch a new one and go on.
    assert!(graph.get_user("ana.lima@contoso.example").await.unwrap().is_some());
}

/// The organisation's own credentials (`microsoft-apis-v2.md` §3.3, §5) through the clients: the
/// directory photo and profile a VerifiedEmployee is made of, and a RecoveredEmployee issued by
/// `createIssuanceRequest` with claims and the hashed PIN, added by a phone that types the PIN.
#[tokio::test]
async fn organisation_credentials_through_the_clients() {
    use reclaim_entra::SensitiveValue;
    use reclaim_entra::request_service::{
        Callback, IssuanceRequest, Pin, PresentationRequest, Registration, RequestedCredential,
    };
    const ORG_ISSUER: &str = "3a000000-0000-4000-8000-000000000004";
    const ORG_ISSUER_SECRET: &str = "demo-org-issuer-secret-NOT-FOR-PRODUCTION";
    let t = Tenant::demo().await.unwrap();
    let graph = t.graph(t.kiosk_tokens().unwrap()).unwrap();

    let photo = graph.user_photo("ana.lima@contoso.example").await.unwrap().expect("Ana has one");
    assert_eq!(photo.media_type(), Some("image/jpeg"));
    assert_eq!(format!("{photo:?}"), format!("Photo([REDACTED] {} bytes)", photo.len()));
    assert!(graph.user_photo("sam.blank@contoso.example").await.unwrap().is_none(), "no photo");
    assert!(graph.user_photo("nobody@contoso.example").await.unwrap().is_none(), "no user");

    let maria = graph.user_profile("maria.souza@contoso.example").await.unwrap().unwrap();
    assert_eq!(maria.job_title.unwrap().expose(), "Accounts Payable Specialist");
    assert_eq!(maria.preferred_language.as_deref(), Some("en-US"));
    assert_eq!(maria.mail.unwrap().expose(), "maria.souza@contoso.example");
    assert_eq!(maria.account_enabled, Some(true));
    let nora = graph.user_profile("nora.quinn@contoso.example").await.unwrap().unwrap();
    assert!(nora.job_title.is_none() && nora.preferred_language.is_none());
    assert!(graph.user_profile("nobody@contoso.example").await.unwrap().is_none());

    let issuer_tokens = std::sync::Arc::new(
        TokenSource::builder()
            .authority(&t.endpoints.authority)
            .tenant(t.tenant_id())
            .client_id(ORG_ISSUER)
            .client_secret(Secret::new(ORG_ISSUER_SECRET))
            .build()
            .unwrap(),
    );
    let rs = t.request_service(issuer_tokens).unwrap();
    let claims = |family_name: Option<&str>| {
        let mut c = std::collections::BTreeMap::new();
        c.insert("given_name".to_owned(), SensitiveValue::new(json!("Ana")));
        if let Some(f) = family_name {
            c.insert("family_name".to_owned(), SensitiveValue::new(json!(f)));
        }
        c.insert("photo".to_owned(), SensitiveValue::new(json!(photo.to_base64url().expose())));
        c
    };
    let mut req = IssuanceRequest {
        authority: "did:web:verifiedid.contoso.example".into(),
        include_qr_code: Some(true),
        callback: Callback::with_api_key(
            "http://127.0.0.1:9/vc/issuance-callback",
            "org-1",
            Secret::from("k1ck-2f9e"),
        ),
        registration: Registration {
            client_name: "Contoso Reclaim".into(),
            purpose: None,
            logo_url: None,
            terms_of_service_url: None,
        },
        credential_type: "RecoveredEmployee".into(),
        manifest: format!(
            "{}/v1.0/tenants/{}/verifiableCredentials/contracts/recovered-employee/manifest",
            t.endpoints.request_service,
            t.tenant_id()
        ),
        claims: Some(claims(Some("Lima"))),
        pin: Pin::hashed(&Secret::new("3539"), "7c1e0d2a-5b7f-4e51-9c9a-2f6a1d3b8e44"),
        expiration_date: None,
    };
    let created = rs.create_issuance_request(&req).await.unwrap();
    assert!(created.qr_code.is_some());
    let r = t
        .control("/phones/kiosk-phone/open", json!({ "url": created.url, "pin": "3539" }))
        .await
        .unwrap();
    let out: serde_json::Value = r.json().await.unwrap();
    assert_eq!(out["outcome"], "issued", "{out}");
    let held = t.emulator.state.phones().credentials("kiosk-phone");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].types, ["VerifiableCredential", "RecoveredEmployee"]);
    assert_eq!(held[0].claims["lastName"], "Lima");
    assert_eq!(held[0].claims["photo"], photo.to_base64url().expose());

    // VerifiedEmployee from MyAccount (§5.1): its `photo` is the directory photo, and the kiosk's
    // client asks for it with Face Check on `photo` (§5.2).
    let r = t
        .control(
            "/myaccount/verified-id",
            json!({ "user": "ana.lima@contoso.example", "phoneId": "kiosk-phone" }),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let ve: serde_json::Value = r.json().await.unwrap();
    let ve_photo = reclaim_entra::graph::Photo::from_claim(ve["claims"]["photo"].as_str().unwrap());
    assert_eq!(ve_photo.as_ref(), Some(&photo), "VerifiedEmployee's photo is the directory's");
    let kiosk = t.request_service(t.kiosk_tokens().unwrap()).unwrap();
    let presentation = PresentationRequest {
        authority: "did:web:verifiedid.contoso.example".into(),
        include_qr_code: false,
        include_receipt: false,
        registration: Registration {
            client_name: "Contoso Reclaim".into(),
            purpose: Some("Prove you are a Contoso employee".into()),
            logo_url: None,
            terms_of_service_url: None,
        },
        callback: Callback::with_api_key(
            "http://127.0.0.1:9/vc/callback",
            "ve-1",
            Secret::from("k1ck-2f9e"),
        ),
        requested_credentials: vec![RequestedCredential::with_face_check(
            "VerifiedEmployee",
            vec!["did:web:verifiedid.contoso.example".into()],
            "photo",
            70,
        )],
    };
    let created = kiosk.create_presentation_request(&presentation).await.unwrap();
    let r = t.control("/phones/kiosk-phone/open", json!({ "url": created.url })).await.unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["outcome"], "presentationPending");
    let r = t.control("/phones/kiosk-phone/present", json!({ "score": 91.5 })).await.unwrap();
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["outcome"], "verified");
    let st = t.control_get(&format!("/requests/{}", created.request_id)).await.unwrap();
    assert_eq!(st["status"], "presentation_verified");

    // A required claim left out: a typed 400 badOrMissingField.
    req.claims = Some(claims(None));
    match rs.create_issuance_request(&req).await {
        Err(EntraError::RequestService(e)) => {
            assert_eq!((e.status, e.inner_code.as_deref()), (400, Some("badOrMissingField")));
        }
        other => panic!("expected a Request Service error, got {other:?}"),
    }
}
