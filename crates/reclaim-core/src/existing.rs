//! "I already have my ID in Authenticator" (issue 17 item 1): a person who holds a valid
//! credential skips the paid ID scan and presents it with Face Check. Off unless the site turns
//! it on (`[recovery.existing_credential]`): without a fresh issuance in the session, nothing
//! ties the credential to the person at this kiosk except Face Check, so a photographed QR code
//! sent to the victim ("security check, scan this") is easier to relay. The verdict rules apply
//! unchanged after the presentation (the names, the duplicate search, the records, the roles,
//! the fresh facts).
//!
//! Accepted are the profile's own issuer and type (the credential an identity-verification
//! provider issued in an earlier recovery) and the site's own rules — typically the employer's
//! `VerifiedEmployee` (fixed claims `givenName`, `surname`, photo claim `photo`;
//! `microsoft-apis-v2.md` §5.2). In every case the credential must not be revoked and must have
//! been issued within `max_age_days`.

use crate::secret::Claims;

/// A credential the site accepts besides the profile's own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AcceptedCredential {
    /// Stable id of the choice (`verified-employee`).
    pub id: String,
    /// What the kiosk calls it ("My work ID (Verified employee)").
    pub label: String,
    /// Issuer DID.
    pub issuer: String,
    /// Credential type (`VerifiedEmployee`).
    pub credential_type: String,
    /// The claim Face Check compares the selfie with (`photo`).
    pub photo_claim: String,
    /// The profile's claim names → this credential's (`firstName` → `givenName`), so the
    /// profile's matching rule reads the right claims. Unlisted claims keep their names.
    pub claim_names: Vec<(String, String)>,
}

/// `[recovery.existing_credential]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExistingCredentials {
    /// Oldest accepted credential, in days since its `issuanceDate`.
    pub max_age_days: u32,
    /// Offer the profile's own credential (from its accepted issuer, of its type).
    pub profile_credential: bool,
    /// The site's further credentials.
    pub accepted: Vec<AcceptedCredential>,
}

/// The id of the choice "the profile's own credential".
pub const PROFILE_CREDENTIAL: &str = "profile";

/// The credential's claims under the profile's claim names (see
/// [`AcceptedCredential::claim_names`]).
pub fn renamed(claims: &Claims, names: &[(String, String)]) -> Claims {
    Claims::from_pairs(claims.iter().map(|(k, v)| {
        let key = names
            .iter()
            .find(|(_, theirs)| theirs == k)
            .map_or_else(|| k.to_owned(), |(ours, _)| ours.clone());
        (key, v.to_owned())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verified_employee_names_become_the_profiles() {
        let c = Claims::from_pairs([("givenName", "Maria"), ("surname", "Souza"), ("photo", "x")]);
        let names = vec![
            ("firstName".to_owned(), "givenName".to_owned()),
            ("lastName".to_owned(), "surname".to_owned()),
        ];
        let r = renamed(&c, &names);
        assert_eq!(r.get("firstName"), Some("Maria"));
        assert_eq!(r.get("lastName"), Some("Souza"));
        assert_eq!(r.get("photo"), Some("x"));
        assert_eq!(r.get("givenName"), None);
    }
}
