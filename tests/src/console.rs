//! A member of IT staff at the operator console, as the referee tests drive it over HTTP: the
//! OpenID Connect sign-in through the emulated tenant's sign-in page (redirects followed by
//! hand, cookies kept by hand), then the console's JSON API with the session's CSRF token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // set-up failures are test failures

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;

/// A signed-in console session.
#[derive(Debug, Clone)]
pub struct Console {
    http: reqwest::Client,
    base: String,
    cookie: String,
    /// The session's CSRF token (from `/console/api/me`).
    pub csrf: String,
}

/// How a sign-in ended.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in.
    Operator(Console),
    /// Sent back to the console with `?error=…`.
    Refused(String),
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .map(str::to_owned)
        .collect()
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get(LOCATION).expect("a redirect").to_str().unwrap().to_owned()
}

/// Signs `user` in to the console at `service_url` with `password`, as a browser would.
pub async fn sign_in(service_url: &str, user: &str, password: &str) -> SignIn {
    let http = http();
    let login = http.get(format!("{service_url}/console/login")).send().await.unwrap();
    assert!(login.status().is_redirection(), "login: {}", login.status());
    let login_cookies = cookies(&login);
    let authorize = location(&login);
    let callback = crate::browser_sign_in(&authorize, user, password).await.unwrap();
    assert!(callback.starts_with(&format!("{service_url}/console/callback")), "{callback}");
    let back = http.get(&callback).header(COOKIE, login_cookies.join("; ")).send().await.unwrap();
    assert!(back.status().is_redirection(), "callback: {}", back.status());
    let to = location(&back);
    if let Some(error) = to.split("error=").nth(1) {
        return SignIn::Refused(error.to_owned());
    }
    let session = cookies(&back)
        .into_iter()
        .find(|c| c.starts_with("reclaim_console="))
        .expect("a console session cookie");
    let mut console =
        Console { http, base: service_url.to_owned(), cookie: session, csrf: String::new() };
    let me = console.get("/console/api/me").await;
    assert_eq!(me.0, StatusCode::OK, "{}", me.1);
    console.csrf = me.1["csrf"].as_str().unwrap().to_owned();
    SignIn::Operator(console)
}

/// Signs the demo operator in; panics when refused.
pub async fn operator(service_url: &str) -> Console {
    let (user, password) = reclaim_service::demo::DEMO_OPERATOR;
    match sign_in(service_url, user, password).await {
        SignIn::Operator(c) => c,
        SignIn::Refused(e) => panic!("the demo operator was refused: {e}"),
    }
}

impl Console {
    /// GET a console path: status and JSON body (`Null` when there is none).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// POST JSON to a console path with the CSRF header (`csrf: false` leaves it out).
    pub async fn post(&self, path: &str, body: Value, csrf: bool) -> (StatusCode, Value) {
        let mut request =
            self.http.post(format!("{}{path}", self.base)).header(COOKIE, &self.cookie).json(&body);
        if csrf {
            request = request.header("x-reclaim-csrf", &self.csrf);
        }
        let r = request.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The live overview stream, as the console page opens it.
    pub async fn events(&self) -> reqwest::Response {
        let r = self
            .http
            .get(format!("{}/console/api/events", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r
    }

    /// Signs out as the page's form does (with the session's CSRF token); the redirect's target.
    pub async fn sign_out(&self) -> String {
        let r = self
            .http
            .post(format!("{}/console/logout", self.base))
            .header(COOKIE, &self.cookie)
            .form(&[("csrf", self.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_redirection(), "sign-out: {}", r.status());
        location(&r)
    }

    /// Waits (up to 20 s) for an open case in the overview; returns it.
    pub async fn wait_for_case(&self) -> Value {
        for _ in 0..200 {
            let (status, overview) = self.get("/console/api/overview").await;
            assert_eq!(status, StatusCode::OK);
            if let Some(case) = overview["cases"].as_array().and_then(|c| c.first()) {
                return case.clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no case reached the console");
    }
}
