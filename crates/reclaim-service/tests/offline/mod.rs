//! A production configuration whose every host is one root URL (which need not answer): what
//! `doctor.rs` and `scan.rs` load to see how the service behaves when the tenant is unreachable.

/// The file's text for station `station`, every endpoint under `root`.
pub fn offline_toml(station: &str, root: &str) -> String {
    format!(
        r#"[station]
id = "{station}"
mode = "production"

[tenant]
id = "contoso.onmicrosoft.com"
client_id = "{client}"

[tenant.credential]
kind = "secret"

[endpoints]
login = "{root}/login"
graph = "{root}/graph"
request_service = "{root}/vc"

[verifier]
authority = "did:web:verifiedid.contoso.example"

[relay]
url = "{root}/relay"

[[providers]]
id = "trueid"
display_name = "TrueIdentity"
issuer_did = "did:web:idv.trueid.example"
hosted_flow_url = "{root}/provider/trueid"
documents = ["passport"]
"#,
        client = reclaim_engine::demo::KIOSK_CLIENT_ID,
    )
}
