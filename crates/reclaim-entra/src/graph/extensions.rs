//! The account-recovery claim-validation extension's definition
//! (`microsoft-apis-v2.md` §6.1: `GET /v1.0/identity/customAuthenticationExtensions/{id}`, an
//! `onVerifiedIdClaimValidationCustomExtension`), and one directory attribute of a user for the
//! second binding (`GET /v1.0/users/{id}?$select={attribute}`).

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::{GraphClient, segment};
use crate::error::{ConfigError, EntraError, ProtocolProblem};
use crate::secret::Personal;

/// Where and how to call a claim-validation extension, as the tenant defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomExtension {
    /// The extension's id (the profile's `claimValidation.customExtensionId`).
    pub id: String,
    /// `endpointConfiguration.targetUrl` (HTTPS).
    pub target_url: Url,
    /// `authenticationConfiguration.resourceId`: the audience of the bearer token sent.
    pub resource_id: String,
    /// `clientConfiguration.timeoutInMilliseconds`, kept within the documented 200–2000 ms
    /// (default 1000).
    pub timeout: Duration,
    /// `clientConfiguration.maximumRetries`, 0 or 1 (default 1).
    pub max_retries: u8,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtensionItem {
    id: String,
    #[serde(rename = "@odata.type", default)]
    odata_type: Option<String>,
    endpoint_configuration: Option<EndpointConfiguration>,
    authentication_configuration: Option<AuthenticationConfiguration>,
    #[serde(default)]
    client_configuration: Option<ClientConfiguration>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EndpointConfiguration {
    target_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticationConfiguration {
    resource_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientConfiguration {
    timeout_in_milliseconds: Option<u64>,
    maximum_retries: Option<u8>,
}

/// The `@odata.type`s an account-recovery claim-validation extension is registered with (the
/// Graph reference's, and the one an entra-docs page names, §6.7).
const EXTENSION_TYPES: [&str; 2] = [
    "#microsoft.graph.onVerifiedIdClaimValidationCustomExtension",
    "#microsoft.graph.onAccountRecoveryCustomExtension",
];

/// Is `name` a user property this client may `$select` (letters, digits, `_`; an
/// `extension_{appId}_{name}` directory extension qualifies)?
pub fn is_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 120
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `http://127.0.0.1…`, `http://[::1]…`, `http://localhost…`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl TryFrom<ExtensionItem> for CustomExtension {
    type Error = EntraError;

    fn try_from(item: ExtensionItem) -> Result<Self, EntraError> {
        const OP: &str = "graph.get_custom_extension";
        let bad = |what: &'static str| EntraError::Protocol {
            operation: OP,
            problem: ProtocolProblem::InvalidExtension(what),
        };
        if item.odata_type.as_deref().is_some_and(|t| !EXTENSION_TYPES.contains(&t)) {
            return Err(bad("not a claim-validation extension"));
        }
        let target = item
            .endpoint_configuration
            .as_ref()
            .and_then(|e| e.target_url.as_deref())
            .ok_or_else(|| bad("has no endpointConfiguration.targetUrl"))?;
        let target_url = Url::parse(target).map_err(|_| bad("targetUrl is not a URL"))?;
        if target_url.scheme() != "https" && !is_loopback(&target_url) {
            // Entra's error 1003020 (IncorrectTargetUrlFormat): HTTPS only. Plain HTTP is let
            // through on loopback alone, where the emulated HR system of the demo tenant listens.
            return Err(bad("targetUrl is not HTTPS (1003020)"));
        }
        let resource_id = item
            .authentication_configuration
            .as_ref()
            .and_then(|a| a.resource_id.clone())
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| bad("has no authenticationConfiguration.resourceId"))?;
        let client = item.client_configuration.as_ref();
        let timeout_ms =
            client.and_then(|c| c.timeout_in_milliseconds).unwrap_or(1000).clamp(200, 2000);
        let max_retries = client.and_then(|c| c.maximum_retries).unwrap_or(1).min(1);
        Ok(CustomExtension {
            id: item.id,
            target_url,
            resource_id,
            timeout: Duration::from_millis(timeout_ms),
            max_retries,
        })
    }
}

impl GraphClient {
    /// `GET /v1.0/identity/customAuthenticationExtensions/{id}` (needs
    /// `CustomAuthenticationExtension.Read.All`): the claim-validation extension a recovery
    /// profile names. Refuses one that is not HTTPS or has no token audience.
    pub async fn get_custom_extension(&self, id: &str) -> Result<CustomExtension, EntraError> {
        const OP: &str = "graph.get_custom_extension";
        let url =
            self.url(&format!("v1.0/identity/customAuthenticationExtensions/{}", segment(id)))?;
        let item: ExtensionItem = self.get(OP, url).await?.json(OP)?;
        CustomExtension::try_from(item)
    }

    /// `GET /v1.0/users/{id}?$select={attribute}`: one string property of a user (the second
    /// binding's directory side), `None` when the user has none. `attribute` must be a plain
    /// property name ([`is_attribute_name`]).
    pub async fn user_attribute(
        &self,
        user_id: &str,
        attribute: &str,
    ) -> Result<Option<Personal>, EntraError> {
        const OP: &str = "graph.user_attribute";
        if !is_attribute_name(attribute) {
            return Err(EntraError::Config(ConfigError::AttributeName(attribute.to_owned())));
        }
        let url = self.url(&format!("v1.0/users/{}?$select={attribute}", segment(user_id)))?;
        let body: serde_json::Value = self.get(OP, url).await?.json(OP)?;
        Ok(match body.get(attribute) {
            Some(serde_json::Value::String(s)) => Some(Personal::new(s.clone())),
            Some(serde_json::Value::Number(n)) => Some(Personal::new(n.to_string())),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: serde_json::Value) -> Result<CustomExtension, EntraError> {
        CustomExtension::try_from(serde_json::from_value::<ExtensionItem>(json).unwrap())
    }

    /// The body of §6.1 (the create request's shape, as GET returns it with an id).
    #[test]
    fn the_documented_extension_reads() {
        let ext = item(serde_json::json!({
            "@odata.type": "#microsoft.graph.onVerifiedIdClaimValidationCustomExtension",
            "id": "6fc5012e-7665-43d6-9708-4370863f4e6e",
            "displayName": "Reclaim HR claim validation",
            "endpointConfiguration": { "@odata.type": "#microsoft.graph.httpRequestEndpoint", "targetUrl": "https://reclaim.contoso.example/api/claim-validation" },
            "authenticationConfiguration": { "@odata.type": "#microsoft.graph.azureAdTokenAuthentication", "resourceId": "api://reclaim.contoso.example/00000000-1111-2222-3333-444444444444" },
            "clientConfiguration": { "timeoutInMilliseconds": 2000, "maximumRetries": 1 },
            "behaviorOnError": { "@odata.type": "#microsoft.graph.customExtensionBehaviorOnError" }
        }))
        .unwrap();
        assert_eq!(ext.target_url.as_str(), "https://reclaim.contoso.example/api/claim-validation");
        assert_eq!(
            ext.resource_id,
            "api://reclaim.contoso.example/00000000-1111-2222-3333-444444444444"
        );
        assert_eq!(ext.timeout, Duration::from_millis(2000));
        assert_eq!(ext.max_retries, 1);
    }

    #[test]
    fn timeouts_and_retries_stay_within_the_documented_range_and_http_is_refused() {
        let base = |timeout: u64, retries: u8, url: &str| {
            item(serde_json::json!({
                "id": "x",
                "endpointConfiguration": { "targetUrl": url },
                "authenticationConfiguration": { "resourceId": "api://h/app" },
                "clientConfiguration": { "timeoutInMilliseconds": timeout, "maximumRetries": retries }
            }))
        };
        let e = base(50, 5, "https://h/x").unwrap();
        assert_eq!((e.timeout, e.max_retries), (Duration::from_millis(200), 1));
        assert_eq!(base(9000, 0, "https://h/x").unwrap().timeout, Duration::from_millis(2000));
        assert!(base(1000, 0, "http://127.0.0.1:8080/hr/x").is_ok(), "the emulator on loopback");
        assert!(matches!(
            base(1000, 0, "http://h/x").unwrap_err(),
            EntraError::Protocol { problem: ProtocolProblem::InvalidExtension(w), .. } if w.contains("1003020")
        ));
        let other = item(serde_json::json!({
            "@odata.type": "#microsoft.graph.onTokenIssuanceStartCustomExtension",
            "id": "y",
            "endpointConfiguration": { "targetUrl": "https://h/x" },
            "authenticationConfiguration": { "resourceId": "api://h/app" }
        }));
        assert!(other.is_err());
    }

    #[test]
    fn attribute_names_are_plain_properties() {
        assert!(is_attribute_name("employeeId"));
        assert!(is_attribute_name("extension_b7d8e5c2a1f04e8f9c3d2b1a0e9f8d7c_hrDateOfBirthHash"));
        assert!(!is_attribute_name("employeeId,mail"));
        assert!(!is_attribute_name("manager/id"));
        assert!(!is_attribute_name(""));
        assert!(!is_attribute_name("1abc"));
    }
}
