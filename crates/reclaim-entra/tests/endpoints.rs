//! Endpoints: Microsoft cloud defaults and emulator base URLs.
#![allow(clippy::unwrap_used)]

use reclaim_entra::{EmulatorUrls, Endpoints, ErrorKind};

#[test]
fn microsoft_cloud_roots() {
    let e = Endpoints::microsoft_cloud();
    assert_eq!(e.authority, "https://login.microsoftonline.com");
    assert_eq!(e.graph, "https://graph.microsoft.com");
    assert_eq!(e.request_service, "https://verifiedid.did.msidentity.com");
    assert_eq!(
        e.token_url("contoso.example").unwrap().as_str(),
        "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"
    );
}

#[test]
fn emulator_start_line_maps_to_endpoints() {
    let line = r#"{"tenant":"0f4d3a1b-7c2e-4d5f-9a8b-1c2d3e4f5a6b","login":"http://127.0.0.1:4001/login/",
        "graph":"http://127.0.0.1:4001/graph","requestService":"http://127.0.0.1:4001/vc",
        "provider":"http://127.0.0.1:4001/idv","phone":"http://127.0.0.1:4001/phone","control":"http://127.0.0.1:4001/control"}"#;
    let urls: EmulatorUrls = serde_json::from_str(line).unwrap();
    let e = urls.endpoints().unwrap();
    assert_eq!(e.authority, "http://127.0.0.1:4001/login");
    assert_eq!(
        e.token_url(&urls.tenant).unwrap().as_str(),
        "http://127.0.0.1:4001/login/0f4d3a1b-7c2e-4d5f-9a8b-1c2d3e4f5a6b/oauth2/v2.0/token"
    );
    assert_eq!(e.graph, "http://127.0.0.1:4001/graph");
    assert_eq!(e.request_service, "http://127.0.0.1:4001/vc");
}

#[test]
fn bad_urls_are_config_errors() {
    let err = Endpoints::from_emulator_urls("ftp://x", "http://g", "http://r").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = Endpoints::from_emulator_urls("not a url", "http://g", "http://r").unwrap_err();
    assert_eq!(err.kind().as_str(), "config");
}
