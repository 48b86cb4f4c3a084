//! The tokens the authorization code grant answers with (`microsoft-apis-v2.md` §4.4, §4.5,
//! §4.6): a v2.0 ID token signed with the tenant's published key, and a delegated access token
//! for Microsoft Graph (opaque to the app; the emulated Graph serves app-only calls and refuses it).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::fixture::AppFixture;
use crate::graph::User;
use crate::identity::code_grant::AuthCode;
use crate::identity::keys::SigningKey;
use crate::state::AppState;

/// Audience of delegated Graph access tokens (Graph's app id).
pub const GRAPH_DELEGATED_AUDIENCE: &str = "00000003-0000-0000-c000-000000000000";

/// Test-only tampering of the next ID token (control API), to exercise a relying party's checks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tamper {
    #[serde(default)]
    pub aud: Option<String>,
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub tid: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    /// Moves `iat`, `nbf` and `exp` this many seconds into the past.
    #[serde(default)]
    pub backdate_secs: i64,
    /// Signs with a fresh key the JWKS does not publish (under the published `kid`).
    #[serde(default)]
    pub foreign_key: bool,
    /// With `foreign_key`: a `kid` the JWKS does not list either.
    #[serde(default)]
    pub unknown_kid: bool,
}

/// `sub`: pairwise per app (§4.5), stable, 43 base64url characters like Entra's.
fn pairwise_sub(tenant: Uuid, client: Uuid, user: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{tenant}:{client}:{user}").as_bytes()))
}

fn has(scopes: &[String], name: &str) -> bool {
    scopes.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// The delegated Graph scopes granted: those requested, else `User.Read` (Entra's default
/// for a sign-in that names no resource).
fn graph_scopes(scopes: &[String]) -> Vec<String> {
    let mut out: Vec<String> = scopes
        .iter()
        .filter(|s| {
            !crate::identity::authorize::OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(s))
        })
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_owned())
        .collect();
    if out.is_empty() {
        out.push("User.Read".to_owned());
    }
    out
}

/// The token response body for a redeemed code.
pub fn issue(s: &AppState, base: &str, app: &AppFixture, grant: &AuthCode, user: &User) -> Value {
    let tid = s.tenant_id();
    let now = s.clock().now_unix();
    let tamper = s.identity().take_tamper().unwrap_or_default();
    let graph = graph_scopes(&grant.scopes);
    // `offline_access` is left out: the emulator issues no refresh tokens.
    let oidc: Vec<&str> =
        ["openid", "profile", "email"].into_iter().filter(|o| has(&grant.scopes, o)).collect();
    let scope = oidc
        .iter()
        .map(|s| (*s).to_owned())
        .chain(graph.iter().map(|g| format!("https://graph.microsoft.com/{g}")))
        .collect::<Vec<_>>()
        .join(" ");

    let iat = now - tamper.backdate_secs;
    let mut c = Map::new();
    c.insert("aud".into(), json!(tamper.aud.clone().unwrap_or_else(|| app.client_id.to_string())));
    c.insert(
        "iss".into(),
        json!(
            tamper
                .iss
                .clone()
                .unwrap_or_else(|| format!("{}/{tid}/v2.0", base.trim_end_matches('/')))
        ),
    );
    c.insert("iat".into(), json!(iat));
    c.insert("nbf".into(), json!(iat));
    c.insert("exp".into(), json!(iat + s.settings().id_token_lifetime_secs));
    if let Some(n) = tamper.nonce.clone().or_else(|| grant.nonce.clone()) {
        c.insert("nonce".into(), json!(n));
    }
    c.insert("sub".into(), json!(pairwise_sub(tid, app.client_id, user.id)));
    c.insert("tid".into(), json!(tamper.tid.clone().unwrap_or_else(|| tid.to_string())));
    // `oid`, `name` and `preferred_username` need the `profile` scope (§4.2, §4.5).
    if has(&grant.scopes, "profile") {
        c.insert("oid".into(), json!(user.id.to_string()));
        c.insert("name".into(), json!(user.display_name));
        c.insert("preferred_username".into(), json!(user.user_principal_name));
    }
    if has(&grant.scopes, "email")
        && let Some(mail) = &user.mail
    {
        c.insert("email".into(), json!(mail));
    }
    if app.emits_groups() {
        let groups: Vec<String> =
            s.directory().transitive_groups(user).iter().map(Uuid::to_string).collect();
        if groups.len() > s.settings().groups_claim_limit {
            // §4.6: the overage claim replaces `groups`.
            let endpoint = if s.settings().groups_overage_endpoint == "graph" {
                format!("https://graph.microsoft.com/v1.0/users/{}/getMemberObjects", user.id)
            } else {
                format!("https://graph.windows.net/{tid}/users/{}/getMemberObjects", user.id)
            };
            c.insert("_claim_names".into(), json!({ "groups": "src1" }));
            c.insert("_claim_sources".into(), json!({ "src1": { "endpoint": endpoint } }));
        } else if !groups.is_empty() {
            // A user in no group gets no `groups` claim (UNCONFIRMED; an empty array is not
            // seen in Microsoft's samples).
            c.insert("groups".into(), json!(groups));
        }
    }
    c.insert("sid".into(), json!(Uuid::new_v4().to_string()));
    c.insert("uti".into(), json!(Uuid::new_v4().simple().to_string()));
    c.insert("ver".into(), json!("2.0"));

    let published = s.signing_key();
    let foreign = if tamper.foreign_key { SigningKey::generate().ok() } else { None };
    let key = foreign.as_ref().unwrap_or(published);
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("JWT".to_owned());
    header.kid = Some(if tamper.unknown_kid { key.kid.clone() } else { published.kid.clone() });
    // Signing with a key we hold cannot fail short of a crypto library bug.
    let id_token =
        jsonwebtoken::encode(&header, &Value::Object(c), &key.encoding).unwrap_or_default();

    let lifetime = s.settings().token_lifetime_secs;
    let access = json!({
        "aud": GRAPH_DELEGATED_AUDIENCE,
        "iss": s.token_issuer(),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "appid": app.client_id.to_string(),
        "appidacr": "1",
        "idtyp": "user",
        "name": user.display_name,
        "oid": user.id.to_string(),
        "scp": oidc.iter().map(|s| (*s).to_owned()).chain(graph).collect::<Vec<_>>().join(" "),
        "sub": pairwise_sub(tid, app.client_id, user.id),
        "tid": tid.to_string(),
        "unique_name": user.user_principal_name,
        "upn": user.user_principal_name,
        "uti": Uuid::new_v4().simple().to_string(),
        "ver": "1.0",
    });
    let mut aheader = Header::new(Algorithm::RS256);
    aheader.typ = Some("JWT".to_owned());
    aheader.kid = Some(published.kid.clone());
    aheader.x5t = Some(published.kid.clone());
    let access_token =
        jsonwebtoken::encode(&aheader, &access, &published.encoding).unwrap_or_default();

    let mut body = json!({ "token_type": "Bearer", "scope": scope, "expires_in": lifetime });
    if s.settings().include_ext_expires_in {
        body["ext_expires_in"] = json!(lifetime);
    }
    body["access_token"] = json!(access_token);
    body["id_token"] = json!(id_token);
    body
}

/// The `aud` of an ID token this tenant signed (expired ones too), for `id_token_hint`.
pub fn audience_of(s: &AppState, token: &str) -> Option<Uuid> {
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(token, &s.signing_key().decoding, &v).ok()?;
    data.claims["aud"].as_str().and_then(|a| Uuid::parse_str(a).ok())
}
