//! `[console]` in a served configuration (issue 16 item 1): the service serves the console page
//! with its security headers, sends staff to the configured tenant's authorize endpoint with the
//! console's app registration, PKCE and the redirect URI under `server.public_url` (which the
//! emulated tenant accepts and answers with its sign-in page), and answers the console's API
//! with 401 to anyone not signed in. The whole sign-in, the referee's decisions and the browser
//! run on the demo service: `tests/tests/referee.rs` and `tests/tests/console_browser.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../reclaim-engine/tests/common/mod.rs"]
mod common;
mod served;

use std::io::Write as _;

use common::{Credential, Tenant};
use reclaim_config::Config;
use reclaim_service::listener::Limits;

const CONSOLE_APP: &str = "3a000000-0000-4000-8000-000000000003";
const OPERATORS: &str = "6a000000-0000-4000-8000-000000000009";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_console_signs_staff_in_at_the_configured_tenant() {
    let tenant = Tenant::start(true).await;
    let secrets = served::secrets_file(&tenant);
    let mut file = std::fs::OpenOptions::new().append(true).open(&secrets).unwrap();
    writeln!(file, "console-client-secret = \"demo-console-secret-NOT-FOR-PRODUCTION\"").unwrap();
    drop(file);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}");
    let text = format!(
        "{}\n[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{url}\"\nstate_dir = '{}'\nsecrets_file = '{}'\n\n[console]\nclient_id = \"{CONSOLE_APP}\"\noperators_group = \"{OPERATORS}\"\n",
        tenant.toml(Credential::Secret),
        tenant.dir.path().join("state").display(),
        secrets.display()
    );
    let config = Config::load(tenant.write(&text)).unwrap_or_else(|e| panic!("{e}"));
    let store = reclaim_service::production::secret_store(&config).unwrap();
    let running = reclaim_service::production::serve(&config, store.as_ref(), Limits::default())
        .await
        .unwrap();

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(
            reqwest::Certificate::from_pem(
                &std::fs::read(tenant.emulator.urls.ca_file.as_ref().unwrap()).unwrap(),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let page = http.get(format!("{url}/console")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(page.text().await.unwrap().contains("console.js"));

    let login = http.get(format!("{url}/console/login")).send().await.unwrap();
    assert!(login.status().is_redirection());
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("Path=/console"), "{cookie}");
    let to = login.headers()["location"].to_str().unwrap().to_owned();
    let authorize = reqwest::Url::parse(&to).unwrap();
    assert!(to.starts_with(&tenant.emulator.urls.login), "{to}");
    assert!(authorize.path().ends_with("/oauth2/v2.0/authorize"), "{to}");
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], CONSOLE_APP);
    assert_eq!(q["redirect_uri"], format!("{url}/console/callback"));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["prompt"], "select_account", "a person always picks the account");
    assert!(q["scope"].split(' ').any(|s| s == "openid"));
    // The tenant accepts the console's registration and redirect URI: its sign-in page.
    let signin = http.get(&to).send().await.unwrap();
    assert_eq!(signin.status(), 200);
    assert!(signin.text().await.unwrap().contains("passwd"));

    for path in ["/console/api/me", "/console/api/overview", "/console/api/events"] {
        let r = http.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    running.shutdown().await;
    tenant.shutdown().await;
}

#[test]
fn the_console_section_needs_object_ids_and_a_server() {
    let base = "[station]\nmode = \"demo\"\n";
    let text = format!(
        "{base}[console]\nclient_id = \"{CONSOLE_APP}\"\noperators_group = \"{OPERATORS}\"\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, text).unwrap();
    let err = Config::load(&path).unwrap_err().to_string();
    assert!(err.contains("console") && err.contains("[server]"), "{err}");
}
