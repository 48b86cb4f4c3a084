//! The demo tenant fixture: a human-readable TOML file describing the tenant, its app
//! registrations, users, groups, authentication-method policies, Verified ID profiles,
//! identity-verification providers and the personas who carry test identity documents.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::settings::Settings;

/// The demo tenant checked in with the emulator.
pub const DEMO_TENANT_TOML: &str = include_str!("../fixtures/demo-tenant.toml");

/// Why a fixture could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("cannot read fixture {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("fixture is not valid TOML: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("fixture is inconsistent: {0}")]
    Invalid(String),
}

/// A whole emulated tenant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub tenant: TenantFixture,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub apps: Vec<AppFixture>,
    #[serde(default)]
    pub groups: Vec<GroupFixture>,
    #[serde(default)]
    pub users: Vec<UserFixture>,
    pub policies: PoliciesFixture,
    #[serde(default)]
    pub profiles: Vec<ProfileFixture>,
    #[serde(default)]
    pub providers: Vec<ProviderFixture>,
    /// Verified ID credential contracts (rules and display), served as manifests and used by
    /// `createIssuanceRequest`.
    #[serde(default)]
    pub contracts: Vec<ContractFixture>,
    #[serde(default)]
    pub personas: Vec<PersonaFixture>,
    /// Directory role assignments (active or PIM-eligible) to users or role-assignable groups.
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignmentFixture>,
    /// Account-recovery claim-validation extensions (`microsoft-apis-v2.md` §6.1), served by
    /// Graph at `identity/customAuthenticationExtensions/{id}`; their endpoint is the emulated
    /// HR system (`{base}/hr/...`).
    #[serde(default)]
    pub custom_extensions: Vec<CustomExtensionFixture>,
    /// The emulated HR system's table, which its sample claim-validation endpoint checks
    /// credential claims against.
    #[serde(default)]
    pub hr_records: Vec<HrRecordFixture>,
}

/// One `onVerifiedIdClaimValidationCustomExtension`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomExtensionFixture {
    pub id: Uuid,
    pub display_name: String,
    /// Path on the emulator's listener (under `/hr`), e.g. `/hr/api/claim-validation`.
    pub target_path: String,
    /// `authenticationConfiguration.resourceId`: the audience of the tokens the endpoint accepts
    /// (the token endpoint issues them for `{resourceId}/.default`).
    pub resource_id: String,
    #[serde(default = "one_second_ms")]
    pub timeout_ms: u64,
    #[serde(default)]
    pub max_retries: u8,
    /// Apps whose tokens the endpoint accepts (`azp`/`appid`), besides Entra's authentication
    /// events service (`99045fe1-7639-4a75-9d4a-577b6ca3810f`), which calls it in Microsoft's
    /// own recovery flow.
    #[serde(default)]
    pub allowed_callers: Vec<Uuid>,
}

fn one_second_ms() -> u64 {
    1000
}

/// One employee in the emulated HR system.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HrRecordFixture {
    pub user_principal_name: String,
    /// Compared with the credential's `dateOfBirth` claim.
    pub date_of_birth: String,
}

/// One directory role assignment (`microsoft-apis-v2.md` §2).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignmentFixture {
    /// A user, or a group with `is_assignable_to_role = true`.
    pub principal_id: Uuid,
    /// The role's template id (= `roleDefinitionId` of a built-in role).
    pub role_definition_id: String,
    /// The role's name, for people reading the fixture.
    #[serde(default)]
    pub role_name: String,
    /// `/` (tenant) unless scoped.
    #[serde(default = "root_scope")]
    pub directory_scope_id: String,
    /// PIM-eligible (not activated) rather than active.
    #[serde(default)]
    pub eligible: bool,
}

fn root_scope() -> String {
    "/".to_owned()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFixture {
    /// Tenant GUID (`tid`).
    pub id: Uuid,
    /// Verified domain; the token endpoint accepts it in place of the GUID.
    pub domain: String,
    pub display_name: String,
    /// The RSA private key (PKCS#8 PEM) tokens are signed with; without it the emulator makes a
    /// fresh 2048-bit key at every start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_signing_key: Option<String>,
}

/// An app registration allowed to use the client-credentials grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppFixture {
    pub client_id: Uuid,
    pub display_name: String,
    /// Client secrets, in clear (this is a demo tenant).
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Registered certificates, PEM (`-----BEGIN CERTIFICATE-----`).
    #[serde(default)]
    pub certificates: Vec<String>,
    /// Application permissions admin-consented per resource.
    #[serde(default)]
    pub roles: AppRoles,
    /// Redirect URIs registered for the authorization code flow (`replyUrlsWithType`, type Web).
    /// Matched exactly, except that the port of a loopback URI (`http://127.0.0.1/…`,
    /// `http://localhost/…`) is ignored (learn.microsoft.com/entra/identity-platform/reply-url,
    /// "Localhost exceptions"). Also the allowed `post_logout_redirect_uri` values (§4.7).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The manifest's `groupMembershipClaims`: `SecurityGroup` or `All` puts the user's groups
    /// (object ids, transitive) in ID tokens (`microsoft-apis-v2.md` §4.5); absent or `None`: no
    /// `groups` claim.
    #[serde(default)]
    pub group_membership_claims: Option<String>,
}

impl AppFixture {
    /// Whether ID tokens for this app carry the user's groups.
    pub fn emits_groups(&self) -> bool {
        matches!(self.group_membership_claims.as_deref(), Some("SecurityGroup" | "All"))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppRoles {
    /// Graph application permissions, e.g. `User.Read.All`.
    #[serde(default)]
    pub graph: Vec<String>,
    /// Request Service permissions, e.g. `VerifiableCredential.Create.All`.
    #[serde(default)]
    pub request_service: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupFixture {
    pub id: Uuid,
    pub display_name: String,
    /// Groups that are direct members of this group (nesting for checkMemberGroups).
    #[serde(default)]
    pub member_groups: Vec<Uuid>,
    /// A role-assignable group (`isAssignableToRole`): directory roles may be assigned to it.
    #[serde(default)]
    pub is_assignable_to_role: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFixture {
    pub id: Uuid,
    pub user_principal_name: String,
    pub display_name: String,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub surname: Option<String>,
    #[serde(default = "yes")]
    pub account_enabled: bool,
    /// `Member` or `Guest`.
    #[serde(default = "member")]
    pub user_type: String,
    #[serde(default)]
    pub mail: Option<String>,
    /// Groups the user is a direct member of.
    #[serde(default)]
    pub groups: Vec<Uuid>,
    /// `employeeId`.
    #[serde(default)]
    pub employee_id: Option<String>,
    /// Directory extension properties (`extension_{appId}_{name}`), returned only when `$select`ed.
    #[serde(default)]
    pub extensions: std::collections::BTreeMap<String, String>,
    /// What this user is in the demo for.
    #[serde(default)]
    pub note: String,
    /// The manager's userPrincipalName (`GET /users/{id}/manager`); must be a user here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// `otherMails`: alternate addresses outside the tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_mails: Vec<String>,
    /// Password for the emulated sign-in page (`/{tenant}/oauth2/v2.0/authorize`). Demo only,
    /// valid nowhere else; users without one cannot sign in interactively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `jobTitle` (a VerifiedEmployee claim when set, `microsoft-apis-v2.md` §5.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// `preferredLanguage`, ISO 639-1 style (`en-US`; a VerifiedEmployee claim when set, §5.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Whether the user has a profile photo (`GET /users/{id}/photo/$value`, §3.3): the synthetic
    /// portrait of the user's persona (of the UPN when no persona names the user). `false`: no
    /// photo, Graph answers 404 `ImageNotFound`.
    #[serde(default = "yes")]
    pub photo: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesFixture {
    pub verifiable_credentials: VcPolicyFixture,
    pub temporary_access_pass: TapPolicyFixture,
}

/// `verifiableCredentialsAuthenticationMethodConfiguration` (contract §4.c).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VcPolicyFixture {
    /// `enabled` or `disabled`.
    pub state: String,
    #[serde(default)]
    pub include_targets: Vec<VcTargetFixture>,
    #[serde(default)]
    pub exclude_targets: Vec<TargetFixture>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VcTargetFixture {
    /// Group or user id, or `all_users`.
    pub id: String,
    /// `group` or `user`.
    pub target_type: String,
    #[serde(default)]
    pub is_registration_required: bool,
    #[serde(default)]
    pub verified_id_profiles: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFixture {
    pub id: String,
    pub target_type: String,
}

/// `temporaryAccessPassAuthenticationMethodConfiguration` (contract §4.b).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TapPolicyFixture {
    pub state: String,
    #[serde(default)]
    pub include_targets: Vec<TargetFixture>,
    #[serde(default)]
    pub exclude_targets: Vec<TargetFixture>,
    #[serde(default = "sixty")]
    pub minimum_lifetime_in_minutes: i32,
    #[serde(default = "four_eighty")]
    pub maximum_lifetime_in_minutes: i32,
    #[serde(default = "sixty")]
    pub default_lifetime_in_minutes: i32,
    #[serde(default = "eight")]
    pub default_length: i32,
    #[serde(default)]
    pub is_usable_once: bool,
}

/// A `verifiedIdProfile` (contract §4.d), flattened for readability.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFixture {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// `enabled` or `disabled`.
    pub state: String,
    pub verifier_did: String,
    #[serde(default)]
    pub priority: Option<i32>,
    /// VC type to request, e.g. `verifiedIdentity`.
    pub credential_type: String,
    /// The single trusted issuer DID.
    pub accepted_issuer: String,
    pub claim_bindings: Vec<ClaimBindingFixture>,
    /// `isEnabledForTestOnly`: true is evaluation mode (never a TAP).
    pub evaluation_mode: bool,
    /// `recovery`, `onboarding` or `all`.
    #[serde(default = "recovery")]
    pub purpose: String,
    /// `claimValidation`: the id of a `[[custom_extensions]]` entry the profile requires.
    #[serde(default)]
    pub claim_validation_extension: Option<Uuid>,
    /// `faceCheckConfiguration.isEnabled` (default true, as every recovery profile must have it).
    #[serde(default = "yes")]
    pub face_check: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimBindingFixture {
    /// Directory attribute label: `First name` or `Last name`.
    pub source_attribute: String,
    /// e.g. `vc.credentialSubject.firstName`.
    pub verified_id_claim: String,
    /// `exact` or `relaxed`.
    pub match_confidence_level: String,
}

/// An identity-verification provider that issues a credential after checking a document and a selfie.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderFixture {
    /// Short id used in URLs, e.g. `trueid`.
    pub id: String,
    pub display_name: String,
    /// The provider's own Verified ID authority (issuer DID).
    pub issuer_did: String,
    /// Linked domain shown in `domainValidation.url`.
    pub linked_domain: String,
    /// VC type it issues, e.g. `verifiedIdentity`.
    pub credential_type: String,
    /// Documents it accepts: `passport`, `driving_licence`, `id_card`.
    pub documents: Vec<String>,
    /// `api` (default): the hosted flow and the capture API; `link`: only its own Verified ID
    /// onboarding page (`onboarding_url`), no API, no signed return, no keys.
    #[serde(default)]
    pub kind: ProviderKindFixture,
    /// `link` providers: the onboarding page; `{provider}` stands for the emulator's provider
    /// base URL (`{provider}/quickid/onboard`).
    #[serde(default)]
    pub onboarding_url: Option<String>,
    /// HS256 key the relying party (the kiosk) signs one-time hosted-flow links with (`api`
    /// providers only).
    #[serde(default)]
    pub link_signing_key: String,
    /// API key the kiosk presents to the capture API (`api` providers only).
    #[serde(default)]
    pub capture_api_key: String,
    /// The app registration the provider uses to call `createIssuanceRequest`.
    pub issuer_client_id: Uuid,
    /// That app's client secret.
    pub issuer_client_secret: String,
    /// Credential lifetime in days.
    #[serde(default = "one_day")]
    pub credential_validity_days: i64,
    /// The id of the contract (`[[contracts]]`) the provider issues through; its manifest URL is
    /// `{requestService}/v1.0/tenants/{tid}/verifiableCredentials/contracts/{id}/manifest`.
    /// Default: the provider's id.
    #[serde(default)]
    pub contract: Option<String>,
}

/// How a provider is reached (see [`ProviderFixture::kind`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKindFixture {
    /// The hosted flow and the capture API.
    #[default]
    Api,
    /// Only its own onboarding page.
    Link,
}

impl ProviderFixture {
    /// The contract this provider issues through.
    pub fn contract_id(&self) -> &str {
        self.contract.as_deref().unwrap_or(&self.id)
    }

    /// Link-only (no API).
    pub fn is_link(&self) -> bool {
        self.kind == ProviderKindFixture::Link
    }

    /// A link-only provider's onboarding page, under the emulator's provider base URL.
    pub fn onboarding_url(&self, provider_base: &str) -> Option<String> {
        let url = self.onboarding_url.as_deref().filter(|_| self.is_link())?;
        Some(url.replace("{provider}", provider_base.trim_end_matches('/')))
    }
}

/// A Verified ID credential contract as the admin defines it (portal "Add credential" / Admin
/// API): its issuer authority, Microsoft's rules definition and display definition in their own
/// JSON shape and names (https://learn.microsoft.com/entra/verified-id/rules-and-display-definitions-model),
/// and the contract flag `allowOverrideValidityOnIssuance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractFixture {
    /// The `{contractId}` segment of the manifest URL.
    pub id: String,
    pub name: String,
    /// The issuer DID (`authority` of `createIssuanceRequest`, `iss` of the manifest).
    pub authority: String,
    /// Whether `expirationDate` in `createIssuanceRequest` may override `validityInterval`.
    #[serde(default)]
    pub allow_override_validity_on_issuance: bool,
    pub rules: RulesModel,
    pub display: DisplayModel,
}

/// `rulesModel`: attestations, `validityInterval` (seconds) and `vc.type`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RulesModel {
    pub attestations: Attestations,
    #[serde(default = "thirty_days_secs")]
    pub validity_interval: i64,
    pub vc: VcTypeModel,
}

/// The attestations a contract uses; the emulator supports the ID token hint (the one the Request
/// Service's `claims` and `pin` belong to).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attestations {
    #[serde(default)]
    pub id_token_hints: Vec<IdTokenHintAttestation>,
}

/// `idTokenHintAttestation`: claims the app sends in `createIssuanceRequest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdTokenHintAttestation {
    #[serde(default)]
    pub mapping: Vec<ClaimMapping>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trusted_issuers: Vec<String>,
}

/// `claimMapping`: request claim `inputClaim` (`given_name` or `$.given_name`) becomes credential
/// claim `outputClaim`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimMapping {
    pub input_claim: String,
    pub output_claim: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub indexed: bool,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub claim_type: Option<String>,
}

impl ClaimMapping {
    /// The top-level key of the request's `claims` this mapping reads (`$.` is optional).
    pub fn input_key(&self) -> &str {
        self.input_claim.strip_prefix("$.").unwrap_or(&self.input_claim)
    }
}

/// `vcType`: the credential types the contract issues.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VcTypeModel {
    #[serde(rename = "type")]
    pub types: Vec<String>,
}

/// `displayModel`: how Authenticator shows the card, the consent screen and each claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisplayModel {
    #[serde(default = "en_us")]
    pub locale: String,
    pub card: CardDisplay,
    pub consent: ConsentDisplay,
    #[serde(default)]
    pub claims: Vec<ClaimDisplay>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CardDisplay {
    pub title: String,
    pub issued_by: String,
    pub background_color: String,
    pub text_color: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<LogoDisplay>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoDisplay {
    pub uri: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentDisplay {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub instructions: String,
}

/// `displayClaims`: `claim` is the path `vc.credentialSubject.<outputClaim>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimDisplay {
    pub claim: String,
    pub label: String,
    /// `String`, `image/jpg;base64url`, …
    #[serde(rename = "type", default = "string_type")]
    pub claim_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The managed credential type whose claims come from the directory (`microsoft-apis-v2.md` §5.1).
pub const VERIFIED_EMPLOYEE: &str = "VerifiedEmployee";

/// The fixed claims of a `VerifiedEmployee` credential, read from the directory entry of the user
/// who gets it (`microsoft-apis-v2.md` §5.2): `GET /me` and, for `photo`, `GET /me/photo/$value`.
pub const VERIFIED_EMPLOYEE_CLAIMS: [&str; 8] = [
    "revocationId",
    "displayName",
    "givenName",
    "surname",
    "jobTitle",
    "preferredLanguage",
    "mail",
    "photo",
];

impl ContractFixture {
    /// Every claim mapping of the contract's ID-token-hint attestations.
    pub fn mappings(&self) -> impl Iterator<Item = &ClaimMapping> {
        self.rules.attestations.id_token_hints.iter().flat_map(|a| a.mapping.iter())
    }

    /// The tenant's `VerifiedEmployee` credential: a managed credential with fixed rules whose
    /// claims come from the directory, never from the issuance request (§5.1).
    pub fn is_verified_employee(&self) -> bool {
        self.rules.vc.types.iter().any(|t| t == VERIFIED_EMPLOYEE)
    }

    /// Whether the credential has a claim named `name` (a mapping's output, or a fixed
    /// VerifiedEmployee claim).
    pub fn has_claim(&self, name: &str) -> bool {
        if self.is_verified_employee() {
            VERIFIED_EMPLOYEE_CLAIMS.contains(&name)
        } else {
            self.mappings().any(|m| m.output_claim == name)
        }
    }
}

/// A person with a test identity document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonaFixture {
    /// Short key used by tests and `reclaim simulate --persona`.
    pub key: String,
    /// What this persona exercises.
    pub description: String,
    /// The work account the person types at the kiosk.
    pub user_principal_name: String,
    pub document: DocumentFixture,
    /// A forged document: providers refuse it.
    #[serde(default)]
    pub forged: bool,
    /// Credentials issued for this persona are revoked after issuance.
    #[serde(default)]
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentFixture {
    /// `passport`, `driving_licence` or `id_card`.
    pub document_type: String,
    /// Given names as printed on the document (may hold a middle name).
    pub given_names: String,
    pub family_name: String,
    /// ISO date.
    pub date_of_birth: String,
    pub document_number: String,
    /// ISO 3166-1 alpha-3.
    pub nationality: String,
    /// ISO date.
    pub expiry_date: String,
}

fn yes() -> bool {
    true
}
fn member() -> String {
    "Member".to_owned()
}
fn recovery() -> String {
    "recovery".to_owned()
}
fn sixty() -> i32 {
    60
}
fn four_eighty() -> i32 {
    480
}
fn eight() -> i32 {
    8
}
fn one_day() -> i64 {
    1
}
fn thirty_days_secs() -> i64 {
    2_592_000
}
fn en_us() -> String {
    "en-US".to_owned()
}
fn string_type() -> String {
    "String".to_owned()
}

impl Fixture {
    /// The checked-in demo tenant.
    pub fn demo() -> Self {
        // The demo fixture is compiled in and covered by a test; failing to parse it is a build defect.
        #[allow(clippy::expect_used)]
        Self::from_toml(DEMO_TENANT_TOML).expect("the checked-in demo tenant fixture is valid")
    }

    pub fn from_toml(text: &str) -> Result<Self, FixtureError> {
        let f: Fixture = toml::from_str(text)?;
        f.validate()?;
        Ok(f)
    }

    pub fn load(path: &Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| FixtureError::Read { path: path.display().to_string(), source })?;
        Self::from_toml(&text)
    }

    pub fn persona(&self, key: &str) -> Option<&PersonaFixture> {
        self.personas.iter().find(|p| p.key == key)
    }

    pub fn provider(&self, id: &str) -> Option<&ProviderFixture> {
        self.providers.iter().find(|p| p.id == id)
    }

    pub fn contract(&self, id: &str) -> Option<&ContractFixture> {
        self.contracts.iter().find(|c| c.id == id)
    }

    /// The tenant's own `VerifiedEmployee` contract (the one MyAccount issues), if defined.
    pub fn verified_employee_contract(&self) -> Option<&ContractFixture> {
        self.contracts.iter().find(|c| c.is_verified_employee())
    }

    /// Cross-references must resolve: a typo in a hand-edited fixture should fail loudly at start.
    pub fn validate(&self) -> Result<(), FixtureError> {
        let bad = |m: String| Err(FixtureError::Invalid(m));
        let groups: HashSet<Uuid> = self.groups.iter().map(|g| g.id).collect();
        let users: HashSet<Uuid> = self.users.iter().map(|u| u.id).collect();
        let profiles: HashSet<Uuid> = self.profiles.iter().map(|p| p.id).collect();
        let apps: HashSet<Uuid> = self.apps.iter().map(|a| a.client_id).collect();
        let extensions: HashSet<Uuid> = self.custom_extensions.iter().map(|e| e.id).collect();
        for p in &self.profiles {
            if let Some(e) = p.claim_validation_extension
                && !extensions.contains(&e)
            {
                return bad(format!("profile {} names unknown custom extension {e}", p.name));
            }
        }
        for e in &self.custom_extensions {
            if !e.target_path.starts_with("/hr/") {
                return bad(format!("custom extension {}: target_path must be under /hr/", e.id));
            }
        }
        for a in &self.apps {
            if let Some(g) = a.group_membership_claims.as_deref()
                && !matches!(g, "None" | "SecurityGroup" | "All")
            {
                return bad(format!(
                    "app {}: group_membership_claims {g:?} is not emulated (None, SecurityGroup, All)",
                    a.client_id
                ));
            }
            for r in &a.redirect_uris {
                if let Err(e) = crate::identity::authorize::check_registered_redirect(r) {
                    return bad(format!("app {}: redirect URI {r:?}: {e}", a.client_id));
                }
            }
        }
        let mut upns = HashSet::new();
        for u in &self.users {
            if !upns.insert(u.user_principal_name.to_lowercase()) {
                return bad(format!("duplicate userPrincipalName {}", u.user_principal_name));
            }
            for g in &u.groups {
                if !groups.contains(g) {
                    return bad(format!("user {} is in unknown group {g}", u.user_principal_name));
                }
            }
        }
        for u in &self.users {
            if let Some(m) = &u.manager
                && !upns.contains(&m.to_lowercase())
            {
                return bad(format!("user {} has unknown manager {m}", u.user_principal_name));
            }
        }
        for g in &self.groups {
            for m in &g.member_groups {
                if !groups.contains(m) {
                    return bad(format!("group {} has unknown member group {m}", g.display_name));
                }
            }
        }
        let target_ok = |id: &str, kind: &str| -> bool {
            if id == "all_users" {
                return true;
            }
            match (kind, Uuid::parse_str(id)) {
                ("group", Ok(g)) => groups.contains(&g),
                ("user", Ok(u)) => users.contains(&u),
                _ => false,
            }
        };
        let vc = &self.policies.verifiable_credentials;
        for t in &vc.include_targets {
            if !target_ok(&t.id, &t.target_type) {
                return bad(format!(
                    "VerifiableCredentials include target {} does not resolve",
                    t.id
                ));
            }
            for p in &t.verified_id_profiles {
                if !profiles.contains(p) {
                    return bad(format!(
                        "VerifiableCredentials target {} names unknown profile {p}",
                        t.id
                    ));
                }
            }
        }
        let tap = &self.policies.temporary_access_pass;
        for t in vc.exclude_targets.iter().chain(&tap.include_targets).chain(&tap.exclude_targets) {
            if !target_ok(&t.id, &t.target_type) {
                return bad(format!("policy target {} ({}) does not resolve", t.id, t.target_type));
            }
        }
        let (min, max, def) = (
            tap.minimum_lifetime_in_minutes,
            tap.maximum_lifetime_in_minutes,
            tap.default_lifetime_in_minutes,
        );
        if !(10..=43200).contains(&min)
            || !(10..=43200).contains(&max)
            || min > max
            || def < min
            || def > max
        {
            return bad(format!(
                "TAP policy lifetimes min {min} / max {max} / default {def} are out of range"
            ));
        }
        if !(8..=48).contains(&tap.default_length) {
            return bad(format!("TAP policy defaultLength {} is outside 8–48", tap.default_length));
        }
        let mut contract_ids = HashSet::new();
        for c in &self.contracts {
            let id_ok = !c.id.is_empty()
                && c.id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
            if !id_ok || !contract_ids.insert(c.id.as_str()) {
                return bad(format!("contract id {:?} is empty, not URL-safe or repeated", c.id));
            }
            if c.rules.vc.types.is_empty() || c.rules.vc.types.iter().any(|t| t.trim().is_empty()) {
                return bad(format!("contract {} has no rules.vc.type", c.id));
            }
            if c.rules.validity_interval <= 0 {
                return bad(format!("contract {} has a non-positive validityInterval", c.id));
            }
            // Only one mapping per contract may be indexed (rules-and-display-definitions-model).
            if c.mappings().filter(|m| m.indexed).count() > 1 {
                return bad(format!("contract {} has more than one indexed claim mapping", c.id));
            }
            // VerifiedEmployee's rules are fixed: directory claims, never an ID token hint (§5.1).
            if c.is_verified_employee() && !c.rules.attestations.id_token_hints.is_empty() {
                return bad(format!(
                    "contract {} issues VerifiedEmployee, whose claims come from the directory: \
                     it cannot use the ID token hint attestation",
                    c.id
                ));
            }
            for d in &c.display.claims {
                let known =
                    d.claim.strip_prefix("vc.credentialSubject.").is_some_and(|n| c.has_claim(n));
                if !known {
                    return bad(format!(
                        "contract {} displays {} which no claim mapping outputs",
                        c.id, d.claim
                    ));
                }
            }
        }
        for p in &self.providers {
            if !apps.contains(&p.issuer_client_id) {
                return bad(format!("provider {} uses unknown app {}", p.id, p.issuer_client_id));
            }
            let Some(c) = self.contract(p.contract_id()) else {
                return bad(format!(
                    "provider {} names unknown contract {}",
                    p.id,
                    p.contract_id()
                ));
            };
            if c.authority != p.issuer_did || !c.rules.vc.types.contains(&p.credential_type) {
                return bad(format!(
                    "contract {} does not issue {} as {} for provider {}",
                    c.id, p.credential_type, p.issuer_did, p.id
                ));
            }
            if p.is_link() != p.onboarding_url.is_some() {
                return bad(format!(
                    "provider {}: onboarding_url is for kind = \"link\" providers, and they need one",
                    p.id
                ));
            }
        }
        for r in &self.role_assignments {
            let to_group = self.groups.iter().find(|g| g.id == r.principal_id);
            if !users.contains(&r.principal_id) && to_group.is_none() {
                return bad(format!("role assignment to unknown principal {}", r.principal_id));
            }
            if to_group.is_some_and(|g| !g.is_assignable_to_role) {
                return bad(format!(
                    "role assignment to group {} which is not role-assignable",
                    r.principal_id
                ));
            }
            if Uuid::parse_str(&r.role_definition_id).is_err() {
                return bad(format!("role definition id {:?} is not a GUID", r.role_definition_id));
            }
        }
        for p in &self.personas {
            if !upns.contains(&p.user_principal_name.to_lowercase())
                && !p.user_principal_name.ends_with(".invalid")
            {
                return bad(format!(
                    "persona {} names unknown account {}",
                    p.key, p.user_principal_name
                ));
            }
        }
        Ok(())
    }
}
