//! Domain data deserialized from real Microsoft Graph / Request Service JSON (camelCase); personal fields use secret newtypes.

use serde::Deserialize;

use crate::secret::{Claims, PersonName, Upn};

/// A directory user (`GET /users…` with `$select=id,givenName,surname,userPrincipalName,accountEnabled,userType`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    /// Object id (GUID).
    pub id: String,
    /// UPN (personal data).
    pub user_principal_name: Upn,
    /// Graph `givenName` ("First name"); `None` when blank on file.
    #[serde(default)]
    pub given_name: Option<PersonName>,
    /// Graph `surname` ("Last name").
    #[serde(default)]
    pub surname: Option<PersonName>,
    /// `accountEnabled`.
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// `userType`: `Member` or `Guest`.
    #[serde(default)]
    pub user_type: Option<String>,
}

impl DirectoryUser {
    /// Enabled only when Graph says so explicitly.
    pub fn is_enabled(&self) -> bool {
        self.account_enabled == Some(true)
    }

    /// A member only when Graph says `Member` explicitly (guests and unknown types are not).
    pub fn is_member(&self) -> bool {
        self.user_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("member"))
    }
}

/// An OData collection wrapper `{ "value": [...] }`.
#[derive(Debug, Clone, Deserialize)]
pub struct Collection<T> {
    /// The items.
    pub value: Vec<T>,
}

/// `verifiedIdProfileState` and policy `state`: `enabled` | `disabled` | anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EnabledState {
    /// `enabled`
    Enabled,
    /// `disabled`
    Disabled,
    /// `unknownFutureValue` or any value this build does not know (treated as not enabled).
    #[serde(other)]
    Unknown,
}

/// `matchConfidenceLevel` of a claim binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MatchConfidenceLevel {
    /// `exact`
    Exact,
    /// `relaxed`
    Relaxed,
    /// `unknownFutureValue` or unknown (never matches).
    #[serde(other)]
    UnknownFutureValue,
}

/// One `claimBinding`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimBinding {
    /// Directory attribute label, e.g. `"First name"`.
    pub source_attribute: String,
    /// Claim path, e.g. `vc.credentialSubject.firstName`.
    pub verified_id_claim: String,
    /// Defaults to `exact` when absent (preview behaviour).
    #[serde(default = "default_level")]
    pub match_confidence_level: MatchConfidenceLevel,
}

fn default_level() -> MatchConfidenceLevel {
    MatchConfidenceLevel::Exact
}

/// `verifiedIdProfileConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileConfiguration {
    /// VC type to request.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// The single trusted issuer DID.
    pub accepted_issuer: String,
    /// `directory` | …
    #[serde(default)]
    pub claim_binding_source: Option<String>,
    /// Bindings; all must match.
    #[serde(default)]
    pub claim_bindings: Vec<ClaimBinding>,
    /// Optional custom-extension validation (HR matching).
    #[serde(default)]
    pub claim_validation: Option<ClaimValidation>,
}

impl ProfileConfiguration {
    /// Can this build honour the configuration? Bindings must come from the `directory` (or the
    /// field be absent), and a required claim validation must name its custom authentication
    /// extension (the service calls it, see [`crate::records`]); otherwise the profile fails
    /// closed.
    pub fn is_supported(&self) -> bool {
        self.claim_binding_source.as_deref().is_none_or(|s| s == "directory")
            && self.claim_validation.as_ref().is_none_or(|v| {
                !v.is_enabled
                    || v.custom_extension_id.as_deref().is_some_and(|id| !id.trim().is_empty())
            })
    }
}

/// `claimValidation`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimValidation {
    /// A custom authentication extension must approve the claims.
    #[serde(default)]
    pub is_enabled: bool,
    /// The extension's id.
    #[serde(default)]
    pub custom_extension_id: Option<String>,
}

/// `faceCheckConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceCheckConfiguration {
    /// Must be true.
    #[serde(default)]
    pub is_enabled: bool,
    /// Photo claim, `portrait`.
    #[serde(default)]
    pub source_photo_claim_name: Option<String>,
}

/// `verifiedIdUsageConfiguration.purpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UsagePurpose {
    /// `recovery`
    Recovery,
    /// `onboarding`
    Onboarding,
    /// `all`
    All,
    /// `verification`, `unknownFutureValue`, anything else.
    #[serde(other)]
    Other,
}

/// `verifiedIdUsageConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageConfiguration {
    /// true = Evaluation mode.
    #[serde(default)]
    pub is_enabled_for_test_only: bool,
    /// What the profile is for.
    pub purpose: UsagePurpose,
}

/// A `verifiedIdProfile`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedIdProfile {
    /// GUID.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// `enabled` | `disabled`.
    pub state: EnabledState,
    /// Verifier DID (the presentation `authority`).
    pub verifier_did: String,
    /// Processing order; lower first; `null` last.
    #[serde(default)]
    pub priority: Option<i32>,
    /// What to request and how to match.
    pub verified_id_profile_configuration: ProfileConfiguration,
    /// Face Check settings.
    #[serde(default)]
    pub face_check_configuration: Option<FaceCheckConfiguration>,
    /// Usage (purpose, evaluation mode).
    #[serde(default)]
    pub verified_id_usage_configurations: Vec<UsageConfiguration>,
}

/// `group` | `user` target type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetType {
    /// `group`
    Group,
    /// `user`
    User,
    /// anything else (never matches)
    #[serde(other)]
    Unknown,
}

/// An include or exclude target of an authentication-method policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTarget {
    /// Group id, user id, or `all_users`.
    pub id: String,
    /// `group` | `user`.
    pub target_type: TargetType,
    /// Profiles this target gets (VerifiableCredentials include targets only).
    #[serde(default)]
    pub verified_id_profiles: Vec<String>,
}

impl PolicyTarget {
    /// Does this target cover the user (by id, a group of theirs, or `all_users`)?
    pub fn covers(&self, user_id: &str, member_groups: &[String]) -> bool {
        if self.id == "all_users" {
            return true;
        }
        match self.target_type {
            TargetType::User => self.id == user_id,
            TargetType::Group => member_groups.iter().any(|g| g == &self.id),
            TargetType::Unknown => false,
        }
    }
}

/// The VerifiableCredentials authentication-method policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VcMethodPolicy {
    /// `enabled` | `disabled`.
    pub state: EnabledState,
    /// Include targets with their profiles.
    #[serde(default)]
    pub include_targets: Vec<PolicyTarget>,
    /// Global exclusions.
    #[serde(default)]
    pub exclude_targets: Vec<PolicyTarget>,
}

/// The TemporaryAccessPass authentication-method policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TapPolicy {
    /// `enabled` | `disabled`.
    pub state: EnabledState,
    /// Who may get a TAP.
    #[serde(default)]
    pub include_targets: Vec<PolicyTarget>,
    /// Who may not.
    #[serde(default)]
    pub exclude_targets: Vec<PolicyTarget>,
    /// Default 60.
    #[serde(default = "d60")]
    pub minimum_lifetime_in_minutes: u32,
    /// Default 480.
    #[serde(default = "d480")]
    pub maximum_lifetime_in_minutes: u32,
    /// Default 60.
    #[serde(default = "d60")]
    pub default_lifetime_in_minutes: u32,
    /// Default 8.
    #[serde(default = "d8")]
    pub default_length: u32,
    /// true forces one-time passes.
    #[serde(default)]
    pub is_usable_once: bool,
}

fn d60() -> u32 {
    60
}
fn d480() -> u32 {
    480
}
fn d8() -> u32 {
    8
}

impl TapPolicy {
    /// Is the user in scope of the TAP policy (enabled, included, not excluded)?
    pub fn covers(&self, user_id: &str, member_groups: &[String]) -> bool {
        self.state == EnabledState::Enabled
            && !self.exclude_targets.iter().any(|t| t.covers(user_id, member_groups))
            && self.include_targets.iter().any(|t| t.covers(user_id, member_groups))
    }

    /// Group ids named by the TAP policy (to add to `checkMemberGroups`).
    pub fn group_ids(&self) -> Vec<String> {
        self.include_targets
            .iter()
            .chain(&self.exclude_targets)
            .filter(|t| t.target_type == TargetType::Group && t.id != "all_users")
            .map(|t| t.id.clone())
            .collect()
    }
}

/// `faceCheck` of a verified credential.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceCheckResult {
    /// `matchConfidenceScore` (0–100 float).
    #[serde(rename = "matchConfidenceScore")]
    pub score: f64,
    /// `sourcePhotoQuality` (`HIGH`, …).
    #[serde(rename = "sourcePhotoQuality", default)]
    pub photo_quality: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialState {
    #[serde(default)]
    revocation_status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCredential {
    issuer: String,
    #[serde(rename = "type", default)]
    types: Vec<String>,
    #[serde(default)]
    claims: Claims,
    #[serde(default)]
    credential_state: CredentialState,
    #[serde(default)]
    face_check: Option<FaceCheckResult>,
    #[serde(default)]
    issuance_date: Option<String>,
}

/// One `verifiedCredentialsData[]` item of a `presentation_verified` callback.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawCredential")]
pub struct PresentedCredential {
    /// Issuer DID.
    pub issuer: String,
    /// `type` array.
    pub types: Vec<String>,
    /// Claims (personal data).
    pub claims: Claims,
    /// `credentialState.revocationStatus` (`VALID` is the only good value).
    pub revocation_status: Option<String>,
    /// Face Check result, present only when requested and passed.
    pub face_check: Option<FaceCheckResult>,
    /// `issuanceDate` (ISO-8601 UTC); `None` when absent or unreadable.
    pub issuance_date: Option<time::OffsetDateTime>,
}

impl From<RawCredential> for PresentedCredential {
    fn from(r: RawCredential) -> Self {
        let issuance_date = r.issuance_date.as_deref().and_then(|d| {
            time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
        });
        Self {
            issuer: r.issuer,
            types: r.types,
            claims: r.claims,
            revocation_status: r.credential_state.revocation_status,
            face_check: r.face_check,
            issuance_date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS_4A: &str = r#"{ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,givenName,surname,userPrincipalName,displayName,accountEnabled,userType)",
  "value": [ { "id": "9a1e…", "givenName": "Ana", "surname": "Lima", "userPrincipalName": "ana.lima@contoso.example",
               "displayName": "Ana Lima", "accountEnabled": true, "userType": "Member" } ] }"#;

    const PROFILES_4D: &str = r#"{ "value": [ {
  "id": "2d6f0c1e-5a4b-4c3d-9e8f-7a6b5c4d3e2f",
  "name": "IDV partner – recovery", "description": "Government ID + Face Check",
  "lastModifiedDateTime": null, "state": "enabled",
  "verifierDid": "did:web:verifier.contoso.example", "priority": 1,
  "verifiedIdProfileConfiguration": {
    "type": "verifiedIdentity", "acceptedIssuer": "did:web:idv.partner.example",
    "claimBindingSource": "directory",
    "claimBindings": [
      { "matchConfidenceLevel": "exact", "sourceAttribute": "First name", "verifiedIdClaim": "vc.credentialSubject.firstName" },
      { "matchConfidenceLevel": "exact", "sourceAttribute": "Last name",  "verifiedIdClaim": "vc.credentialSubject.lastName" } ],
    "claimValidation": { "isEnabled": false, "customExtensionId": "" } },
  "faceCheckConfiguration": { "isEnabled": true, "sourcePhotoClaimName": "portrait" },
  "verifiedIdUsageConfigurations": [ { "isEnabledForTestOnly": true, "purpose": "recovery" } ] } ] }"#;

    const VERIFIED_26: &str = r#"{ "requestId": "a1b2…", "requestStatus": "presentation_verified", "state": "4f0c…",
  "subject": "did:web:holder.example#k1",
  "verifiedCredentialsData": [{
    "issuer": "did:web:idv.partner.example",
    "type": ["VerifiableCredential", "verifiedIdentity"],
    "claims": { "firstName": "Ana", "lastName": "Lima", "portrait": "<base64url-jpeg>" },
    "credentialState": { "revocationStatus": "VALID" },
    "domainValidation": { "url": "https://idv.partner.example/" },
    "issuanceDate": "2026-08-01T10:00:00Z", "expirationDate": "2026-08-02T10:00:00Z",
    "faceCheck": { "matchConfidenceScore": 88.4, "sourcePhotoQuality": "HIGH" } }] }"#;

    #[test]
    fn users_list_from_contract_4a() {
        let c: Collection<DirectoryUser> = serde_json::from_str(USERS_4A).expect("users");
        let u = &c.value[0];
        assert_eq!(u.id, "9a1e…");
        assert_eq!(u.user_principal_name.expose(), "ana.lima@contoso.example");
        assert_eq!(u.given_name.as_ref().map(|n| n.expose()), Some("Ana"));
        assert_eq!(u.surname.as_ref().map(|n| n.expose()), Some("Lima"));
        assert!(u.is_enabled() && u.is_member());
    }

    #[test]
    fn user_with_null_names() {
        let u: DirectoryUser = serde_json::from_str(
            r#"{"id":"1","userPrincipalName":"sam@x","givenName":null,"surname":null,"userType":"Guest"}"#,
        )
        .expect("user");
        assert!(u.given_name.is_none() && u.surname.is_none());
        assert!(!u.is_enabled() && !u.is_member());
    }

    #[test]
    fn profiles_list_from_contract_4d() {
        let c: Collection<VerifiedIdProfile> = serde_json::from_str(PROFILES_4D).expect("profiles");
        let p = &c.value[0];
        assert_eq!(p.state, EnabledState::Enabled);
        assert_eq!(p.priority, Some(1));
        assert_eq!(p.verifier_did, "did:web:verifier.contoso.example");
        let cfg = &p.verified_id_profile_configuration;
        assert_eq!(cfg.credential_type, "verifiedIdentity");
        assert_eq!(cfg.accepted_issuer, "did:web:idv.partner.example");
        assert_eq!(cfg.claim_bindings.len(), 2);
        assert_eq!(cfg.claim_bindings[1].source_attribute, "Last name");
        assert_eq!(cfg.claim_bindings[0].match_confidence_level, MatchConfidenceLevel::Exact);
        assert_eq!(cfg.claim_validation.as_ref().map(|v| v.is_enabled), Some(false));
        assert!(cfg.is_supported());
        assert!(p.face_check_configuration.as_ref().is_some_and(|f| f.is_enabled));
        assert!(p.verified_id_usage_configurations[0].is_enabled_for_test_only);
        assert_eq!(p.verified_id_usage_configurations[0].purpose, UsagePurpose::Recovery);
    }

    #[test]
    fn unknown_enum_values_fail_closed() {
        let b: ClaimBinding = serde_json::from_str(
            r#"{"matchConfidenceLevel":"somethingNew","sourceAttribute":"First name","verifiedIdClaim":"vc.credentialSubject.x"}"#,
        )
        .expect("binding");
        assert_eq!(b.match_confidence_level, MatchConfidenceLevel::UnknownFutureValue);
        let s: EnabledState = serde_json::from_str(r#""unknownFutureValue""#).expect("state");
        assert_eq!(s, EnabledState::Unknown);
    }

    #[test]
    fn verified_callback_item_from_contract_26() {
        let v: serde_json::Value = serde_json::from_str(VERIFIED_26).expect("json");
        let item = v["verifiedCredentialsData"][0].clone();
        let c: PresentedCredential = serde_json::from_value(item).expect("credential");
        assert_eq!(c.issuer, "did:web:idv.partner.example");
        assert_eq!(c.issuance_date, Some(time::macros::datetime!(2026-08-01 10:00 UTC)));
        assert_eq!(c.types, vec!["VerifiableCredential", "verifiedIdentity"]);
        assert_eq!(c.claims.get("firstName"), Some("Ana"));
        assert_eq!(c.revocation_status.as_deref(), Some("VALID"));
        let fc = c.face_check.expect("face check");
        assert!((fc.score - 88.4).abs() < 1e-9);
        assert_eq!(fc.photo_quality.as_deref(), Some("HIGH"));
    }

    #[test]
    fn vc_and_tap_policies() {
        let p: VcMethodPolicy = serde_json::from_str(
            r##"{"@odata.type":"#microsoft.graph.verifiableCredentialsAuthenticationMethodConfiguration","id":"VerifiableCredentials","state":"enabled",
            "excludeTargets":[{"id":"g5","targetType":"group"}],
            "includeTargets":[{"id":"g1","targetType":"group","isRegistrationRequired":false,"verifiedIdProfiles":["p1"]}]}"##,
        )
        .expect("vc policy");
        assert_eq!(p.include_targets[0].verified_id_profiles, vec!["p1"]);
        let t: TapPolicy = serde_json::from_str(
            r#"{"state":"enabled","includeTargets":[{"id":"all_users","targetType":"group","isRegistrationRequired":false}],
            "excludeTargets":[{"id":"g7","targetType":"group"}],"minimumLifetimeInMinutes":60,"maximumLifetimeInMinutes":480,
            "defaultLifetimeInMinutes":60,"defaultLength":8,"isUsableOnce":true}"#,
        )
        .expect("tap policy");
        assert!(t.covers("u1", &[]));
        assert!(!t.covers("u1", &["g7".into()]));
        assert_eq!(t.group_ids(), vec!["g7"]);
    }
}
