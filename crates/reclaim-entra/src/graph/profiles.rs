//! Verified ID profiles: `GET /{v1.0|beta}/identity/verifiedId/profiles` (contract §4.d).

use serde::{Deserialize, Serialize};

use super::GraphClient;
use crate::error::EntraError;

/// `verifiedIdProfileState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProfileState {
    /// `enabled`.
    Enabled,
    /// `disabled`.
    Disabled,
    /// `unknownFutureValue` or anything newer.
    #[serde(other)]
    Unknown,
}

/// `verifiedIdUsageConfigurationPurpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UsagePurpose {
    /// `recovery` — the only one used today.
    Recovery,
    /// `onboarding`.
    Onboarding,
    /// `all`.
    All,
    /// `verification` (beta).
    Verification,
    /// `unknownFutureValue` or anything newer.
    #[serde(other)]
    Unknown,
}

/// `matchConfidenceLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MatchConfidenceLevel {
    /// `exact`.
    Exact,
    /// `relaxed`.
    Relaxed,
    /// `unknownFutureValue` or anything newer.
    #[serde(other)]
    Unknown,
}

/// `claimBinding`: directory attribute label ↔ VC claim path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimBinding {
    /// Directory attribute *label*, e.g. `First name`.
    pub source_attribute: String,
    /// Claim path, e.g. `vc.credentialSubject.firstName`.
    pub verified_id_claim: String,
    /// `exact` | `relaxed` (absent on old beta data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_confidence_level: Option<MatchConfidenceLevel>,
}

/// `claimValidation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimValidation {
    /// `isEnabled`.
    #[serde(default)]
    pub is_enabled: bool,
    /// `customExtensionId` (custom authentication extension for HR matching).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_extension_id: Option<String>,
}

/// `verifiedIdProfileConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedIdProfileConfiguration {
    /// VC type to request, e.g. `verifiedIdentity`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// Single trusted issuer DID.
    pub accepted_issuer: String,
    /// `directory` (kept as a string: evolvable enum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_binding_source: Option<String>,
    /// Claim bindings.
    #[serde(default)]
    pub claim_bindings: Vec<ClaimBinding>,
    /// `claimValidation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_validation: Option<ClaimValidation>,
    /// `methodType` (beta only; evolvable, kept as a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_type: Option<String>,
    /// `manifestUrl` (beta only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_url: Option<String>,
}

/// `faceCheckConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceCheckConfiguration {
    /// Must be true for recovery profiles.
    pub is_enabled: bool,
    /// Must be `portrait` for recovery profiles.
    pub source_photo_claim_name: String,
}

/// `verifiedIdUsageConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedIdUsageConfiguration {
    /// True = Evaluation mode (never issue a TAP); false = Production.
    pub is_enabled_for_test_only: bool,
    /// `recovery` | `onboarding` | `all` | …
    pub purpose: UsagePurpose,
}

/// `mobileDriversLicenseConfiguration` (beta).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MobileDriversLicenseConfiguration {
    /// ISO 3166-2 codes; empty = all.
    #[serde(default)]
    pub accepted_regions: Vec<String>,
    /// e.g. `ISO18013-5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_standard: Option<String>,
}

/// `verifiedIdSelfServiceIssuance` (beta).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfServiceIssuance {
    /// `isEnabled`.
    #[serde(default)]
    pub is_enabled: bool,
    /// HTTPS URL where users start issuance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuance_url: Option<String>,
}

/// `verifiedIdProfile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedIdProfile {
    /// GUID.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// `lastModifiedDateTime` (nullable; kept as sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date_time: Option<String>,
    /// `enabled` | `disabled`.
    pub state: ProfileState,
    /// Verifier DID: the presentation's `authority`.
    pub verifier_did: String,
    /// Processing order among profiles (nullable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// What to request and how to match it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_id_profile_configuration: Option<VerifiedIdProfileConfiguration>,
    /// Face Check settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_check_configuration: Option<FaceCheckConfiguration>,
    /// Purpose and Evaluation/Production mode.
    #[serde(default)]
    pub verified_id_usage_configurations: Vec<VerifiedIdUsageConfiguration>,
    /// Beta only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_drivers_license_configuration: Option<MobileDriversLicenseConfiguration>,
    /// Beta only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_service_issuance: Option<SelfServiceIssuance>,
}

impl GraphClient {
    /// `GET /v1.0/identity/verifiedId/profiles`; on 404 falls back to
    /// `GET /beta/identity/verifiedId/profiles` (tenants/clouds without the v1.0 endpoint).
    /// Follows `@odata.nextLink`.
    pub async fn list_verified_id_profiles(&self) -> Result<Vec<VerifiedIdProfile>, EntraError> {
        const OP: &str = "graph.list_verified_id_profiles";
        let v1 = self.url("v1.0/identity/verifiedId/profiles")?;
        match self.collect(OP, v1, usize::MAX).await {
            Ok((profiles, _)) => Ok(profiles),
            Err(EntraError::Graph(e)) if e.status == 404 => {
                tracing::debug!(code = %e.code, "v1.0 profiles endpoint missing; trying beta");
                let beta = self.url("beta/identity/verifiedId/profiles")?;
                Ok(self.collect(OP, beta, usize::MAX).await?.0)
            }
            Err(e) => Err(e),
        }
    }
}
