//! Emulator behaviour that the contract notes mark UNCONFIRMED, as settings with the notes' defaults.

use serde::{Deserialize, Serialize};

/// Knobs for behaviour the public documentation does not pin down. Defaults follow
/// `shared/contracts/microsoft-apis.md`; a test or a fixture's `[settings]` table may change them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case", deny_unknown_fields)]
pub struct Settings {
    /// Lifetime of a presentation or issuance request (contract §2.7: 300 s).
    pub request_lifetime_secs: i64,
    /// `expires_in` of issued access tokens (contract §1.5: typically 3599).
    pub token_lifetime_secs: i64,
    /// Whether token responses carry `ext_expires_in` (contract §1.5: UNCONFIRMED, present in practice).
    pub include_ext_expires_in: bool,
    /// HTTP status for `invalid_client` token errors (contract §1.6: 400 per doc, 401 seen in practice).
    pub invalid_client_status: u16,
    /// Audience of Request Service access tokens (contract §1.4: UNCONFIRMED).
    pub request_service_audience: String,
    /// Audience of Graph access tokens.
    pub graph_audience: String,
    /// Deep links use the real-world `/v1.0/tenants/{tid}/…` form (contract §2.3, §8.5) rather than `/v1.0/{tid}/…`.
    pub deep_link_tenants_segment: bool,
    /// Callback URLs must be https (the real service demands an internet-reachable https URL).
    /// Off by default so loopback relays work.
    pub require_https_callbacks: bool,
    /// PEM file of CA certificates trusted for https callbacks (and the providers' calls) besides
    /// the system roots, e.g. the demo's own CA. Certificates are always checked: the real service
    /// calls only publicly trusted https. With `--tls` the emulator's own CA is trusted as well.
    pub callback_ca_file: Option<String>,
    /// `presentation_error` code when the person declines in Authenticator (UNCONFIRMED).
    pub decline_error_code: String,
    /// `presentation_error` code when no held credential matches type/issuer (UNCONFIRMED).
    pub no_matching_credential_error_code: String,
    /// `presentation_error` code when the credential is revoked and `allowRevoked` is false (UNCONFIRMED).
    pub revoked_error_code: String,
    /// `presentation_error` code when `validateLinkedDomain` is true and the issuer's linked
    /// domain cannot be verified (UNCONFIRMED: the real code is undocumented).
    pub linked_domain_error_code: String,
    /// HTTP status of the TAP "Converged UserCredentialPolicy" refusal (contract §4.b: UNCONFIRMED, 400).
    pub tap_policy_error_status: u16,
    /// Graph error `code` in 429 bodies (contract §4.e: `TooManyRequests` or `activityLimitReached`).
    pub graph_throttle_code: String,
    /// Seconds the emulator waits for a callback receiver before giving up on that POST.
    pub callback_timeout_secs: u64,
    /// Largest page the emulator returns for `GET /users` when `$top` is absent (Graph default 100).
    pub graph_default_page_size: usize,
    /// Refuse a client assertion whose `jti` was already used. Off by default, like Entra: MSAL
    /// reuses one assertion for up to ~9 minutes across resources, so the real service accepts
    /// reuse (UNCONFIRMED). Turn on to test a client's single-use discipline.
    pub reject_reused_assertion_jti: bool,
    /// Lifetime of an authorization code (`microsoft-apis-v2.md` §4.3: "typically" about 10 minutes).
    pub authorization_code_lifetime_secs: i64,
    /// Spend the authorization code when its PKCE `code_verifier` is wrong (§4.8: Entra is
    /// observed not to, UNCONFIRMED; turn on to test a client that must not retry).
    pub burn_code_on_pkce_failure: bool,
    /// Refuse an authorization request without an S256 `code_challenge`. Entra only recommends
    /// PKCE for web apps (§4.2); the emulator demands it so a client that forgets it fails here.
    pub require_pkce: bool,
    /// Most `groups` an ID token carries before the overage claim replaces them (§4.6: 200 for JWT).
    pub groups_claim_limit: usize,
    /// Endpoint named in the groups overage claim: `graph` (the doc's
    /// `https://graph.microsoft.com/v1.0/users/{oid}/getMemberObjects`) or `aad_graph` (the legacy
    /// `https://graph.windows.net/{tid}/users/{oid}/getMemberObjects` real tokens carry, ISSUE
    /// MicrosoftDocs/azure-docs#28514, #91865). §4.6 asks for either; default the observed one.
    pub groups_overage_endpoint: String,
    /// `exp - iat` of ID tokens (UNCONFIRMED: the id-token reference's sample spans about an hour).
    pub id_token_lifetime_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            request_lifetime_secs: 300,
            token_lifetime_secs: 3599,
            include_ext_expires_in: true,
            invalid_client_status: 401,
            request_service_audience: crate::identity::REQUEST_SERVICE_APP_ID.to_owned(),
            graph_audience: "https://graph.microsoft.com".to_owned(),
            deep_link_tenants_segment: true,
            require_https_callbacks: false,
            callback_ca_file: None,
            decline_error_code: "userCanceled".to_owned(),
            no_matching_credential_error_code: "noMatchingCredential".to_owned(),
            revoked_error_code: "credentialRevoked".to_owned(),
            linked_domain_error_code: "linkedDomainUnverified".to_owned(),
            tap_policy_error_status: 400,
            graph_throttle_code: "TooManyRequests".to_owned(),
            callback_timeout_secs: 10,
            graph_default_page_size: 100,
            reject_reused_assertion_jti: false,
            authorization_code_lifetime_secs: 600,
            burn_code_on_pkce_failure: false,
            require_pkce: true,
            groups_claim_limit: 200,
            groups_overage_endpoint: "aad_graph".to_owned(),
            id_token_lifetime_secs: 3600,
        }
    }
}
