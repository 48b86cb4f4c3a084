//! Authentication-method policies: `VerifiableCredentials` and `TemporaryAccessPass`
//! (contract §4.b, §4.c).

use serde::{Deserialize, Serialize};

use super::GraphClient;
use crate::error::EntraError;

const CONFIGURATIONS: &str =
    "v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations";

/// `state` of an authentication-method configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthMethodState {
    /// `enabled`.
    Enabled,
    /// `disabled`.
    Disabled,
    /// Any other value.
    #[serde(other)]
    Unknown,
}

/// `targetType` of a policy target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetType {
    /// `group` (the id may be `all_users`).
    Group,
    /// `user`.
    User,
    /// Any other value.
    #[serde(other)]
    Unknown,
}

/// An include/exclude target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthMethodTarget {
    /// Group or user id, or `all_users`.
    pub id: String,
    /// `group` | `user`.
    pub target_type: TargetType,
    /// `isRegistrationRequired` (include targets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_registration_required: Option<bool>,
}

/// `GET …/authenticationMethodConfigurations/TemporaryAccessPass`
/// (`#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemporaryAccessPassPolicy {
    /// `@odata.type`.
    #[serde(default, rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// `TemporaryAccessPass`.
    pub id: String,
    /// `enabled` | `disabled`.
    pub state: AuthMethodState,
    /// Who may get a TAP.
    #[serde(default)]
    pub include_targets: Vec<AuthMethodTarget>,
    /// Who may not.
    #[serde(default)]
    pub exclude_targets: Vec<AuthMethodTarget>,
    /// Default 60.
    #[serde(default = "default_60")]
    pub minimum_lifetime_in_minutes: u32,
    /// Default 480.
    #[serde(default = "default_480")]
    pub maximum_lifetime_in_minutes: u32,
    /// Default 60.
    #[serde(default = "default_60")]
    pub default_lifetime_in_minutes: u32,
    /// Default 8.
    #[serde(default = "default_8")]
    pub default_length: u32,
    /// True forces every TAP to be one-time.
    #[serde(default)]
    pub is_usable_once: bool,
}

fn default_60() -> u32 {
    60
}
fn default_480() -> u32 {
    480
}
fn default_8() -> u32 {
    8
}

/// An include target of the Verified ID method policy, with the profiles it maps to
/// (`#microsoft.graph.verifiableCredentialAuthenticationMethodTarget`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiableCredentialTarget {
    /// `@odata.type`.
    #[serde(default, rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// Group or user id.
    pub id: String,
    /// `group` | `user`.
    pub target_type: TargetType,
    /// `isRegistrationRequired`.
    #[serde(default)]
    pub is_registration_required: bool,
    /// Profile ids this target may use.
    #[serde(default)]
    pub verified_id_profiles: Vec<String>,
}

/// `GET …/authenticationMethodConfigurations/VerifiableCredentials`
/// (`#microsoft.graph.verifiableCredentialsAuthenticationMethodConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiableCredentialsPolicy {
    /// `@odata.type`.
    #[serde(default, rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// `VerifiableCredentials`.
    pub id: String,
    /// `enabled` | `disabled`.
    pub state: AuthMethodState,
    /// Scoping groups/users → profiles.
    #[serde(default)]
    pub include_targets: Vec<VerifiableCredentialTarget>,
    /// Global exclusions.
    #[serde(default)]
    pub exclude_targets: Vec<AuthMethodTarget>,
}

impl GraphClient {
    /// `GET /v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass`
    pub async fn get_tap_policy(&self) -> Result<TemporaryAccessPassPolicy, EntraError> {
        const OP: &str = "graph.get_tap_policy";
        let url = self.url(&format!("{CONFIGURATIONS}/TemporaryAccessPass"))?;
        self.get(OP, url).await?.json(OP)
    }

    /// `GET /v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/VerifiableCredentials`
    pub async fn get_verifiable_credentials_policy(
        &self,
    ) -> Result<VerifiableCredentialsPolicy, EntraError> {
        const OP: &str = "graph.get_verifiable_credentials_policy";
        let url = self.url(&format!("{CONFIGURATIONS}/VerifiableCredentials"))?;
        self.get(OP, url).await?.json(OP)
    }
}
