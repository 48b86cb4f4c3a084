//! The organisation's records, beyond the names: an optional **second binding** (a directory
//! attribute compared with a credential claim, e.g. an extension attribute holding the SHA-256 of
//! the date of birth against the credential's `dateOfBirth`) and the profile's **claim-validation
//! extension** (`microsoft-apis-v2.md` §6: the organisation's endpoint answers pass or failed).
//! Both run after the unique name match and before the fresh facts and the TAP; either refusing
//! ends the session with [`crate::ReasonCode::RecordsMismatch`]; either failing to answer ends it
//! with `service_unavailable` (fail closed).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::{Claims, PersonName};

/// How the directory value and the claim are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingCompare {
    /// Equal once trimmed, ignoring ASCII case.
    Exact,
    /// The directory holds the lowercase hex SHA-256 of the trimmed claim value (an optional
    /// `sha256:` prefix is accepted): the directory never stores the value itself.
    Sha256,
}

/// A second binding, for one site (every profile) or for the profiles it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondBinding {
    /// A Graph user property: `employeeId`, or a directory extension
    /// `extension_{appId}_{name}`.
    pub attribute: String,
    /// The credential claim, e.g. `dateOfBirth` or `documentNumber`.
    pub claim: String,
    /// How they are compared.
    pub compare: BindingCompare,
    /// The Verified ID profile ids it applies to; empty = every profile.
    #[serde(default)]
    pub profiles: Vec<String>,
}

impl SecondBinding {
    /// Does it apply to this profile?
    pub fn applies_to(&self, profile_id: &str) -> bool {
        self.profiles.is_empty() || self.profiles.iter().any(|p| p.eq_ignore_ascii_case(profile_id))
    }
}

/// What the records check must look up (the effect's content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsQuery {
    /// Graph user id.
    pub user_id: String,
    /// The second binding's directory attribute, if a binding applies.
    pub attribute: Option<String>,
    /// The profile's claim-validation extension id, if the profile requires one.
    pub extension_id: Option<String>,
}

/// The organisation's claim-validation answer (§6.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionVerdict {
    /// `verifiedIdClaimValidation.pass`.
    Pass,
    /// `verifiedIdClaimValidation.failed` with the claim keys it named (keys, not values).
    Failed(Vec<String>),
}

/// What the records check found (the answer's content).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordsAnswer {
    /// The user's value of the queried attribute (`None`: absent or not asked).
    pub attribute_value: Option<PersonName>,
    /// The extension's verdict (`None`: not asked).
    pub extension: Option<ExtensionVerdict>,
}

/// Why the records refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "check")]
pub enum RecordsRefusal {
    /// The second binding's attribute is absent on the user, or the claim on the credential.
    BindingMissing,
    /// They differ.
    BindingMismatch,
    /// The extension answered `failed` (the claim keys it named).
    ExtensionFailed {
        /// Claim keys (never values).
        failed_claims: Vec<String>,
    },
    /// The extension was required but not asked or not answered (fail closed).
    ExtensionMissing,
}

fn normalise(v: &str) -> String {
    v.trim().to_owned()
}

/// Compares without an early exit on the first differing byte.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Does the directory value bind to the claim under `compare`?
pub fn binds(compare: BindingCompare, directory: &str, claim: &str) -> bool {
    let claim = normalise(claim);
    let directory = normalise(directory);
    if claim.is_empty() || directory.is_empty() {
        return false;
    }
    match compare {
        BindingCompare::Exact => same_bytes(
            directory.to_ascii_lowercase().as_bytes(),
            claim.to_ascii_lowercase().as_bytes(),
        ),
        BindingCompare::Sha256 => {
            let expected = Sha256::digest(claim.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>();
            let stored = directory.to_ascii_lowercase();
            let stored = stored.strip_prefix("sha256:").unwrap_or(&stored);
            same_bytes(stored.as_bytes(), expected.as_bytes())
        }
    }
}

/// Decides the records check: the binding (if any) must bind, and the extension (if required)
/// must have answered `pass`.
pub fn decide(
    binding: Option<&SecondBinding>,
    extension_required: bool,
    claims: &Claims,
    answer: &RecordsAnswer,
) -> Result<(), RecordsRefusal> {
    if let Some(b) = binding {
        let (Some(directory), Some(claim)) =
            (answer.attribute_value.as_ref(), claims.get(&b.claim))
        else {
            return Err(RecordsRefusal::BindingMissing);
        };
        if !binds(b.compare, directory.expose(), claim) {
            return Err(RecordsRefusal::BindingMismatch);
        }
    }
    if extension_required {
        match &answer.extension {
            Some(ExtensionVerdict::Pass) => {}
            Some(ExtensionVerdict::Failed(keys)) => {
                return Err(RecordsRefusal::ExtensionFailed { failed_claims: keys.clone() });
            }
            None => return Err(RecordsRefusal::ExtensionMissing),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-256 of `1986-04-09` (the demo tenant's Fatima Haddad).
    const DOB_HASH: &str = "a7bc6372b23497c59f12c330228d481b42eca105fdc3af785eb042e4763edf2f";

    fn binding(compare: BindingCompare) -> SecondBinding {
        SecondBinding {
            attribute: "extension_3a0000000000400080000000000000e1_dobHash".into(),
            claim: "dateOfBirth".into(),
            compare,
            profiles: vec![],
        }
    }

    fn answer(value: Option<&str>, extension: Option<ExtensionVerdict>) -> RecordsAnswer {
        RecordsAnswer { attribute_value: value.map(PersonName::new), extension }
    }

    #[test]
    fn a_hashed_date_of_birth_binds_only_to_that_date() {
        assert!(binds(BindingCompare::Sha256, DOB_HASH, "1986-04-09"));
        assert!(binds(
            BindingCompare::Sha256,
            &format!("sha256:{}", DOB_HASH.to_uppercase()),
            " 1986-04-09 "
        ));
        assert!(!binds(BindingCompare::Sha256, DOB_HASH, "1986-09-04"));
        assert!(!binds(BindingCompare::Sha256, DOB_HASH, ""));
        assert!(!binds(BindingCompare::Sha256, "", "1986-04-09"));
    }

    #[test]
    fn exact_compares_trimmed_ignoring_ascii_case() {
        assert!(binds(BindingCompare::Exact, "E-20417", " e-20417"));
        assert!(!binds(BindingCompare::Exact, "E-20417", "E-20418"));
        assert!(!binds(BindingCompare::Exact, " ", " "));
    }

    #[test]
    fn the_binding_and_the_extension_must_both_agree() {
        let claims = Claims::from_pairs([("dateOfBirth", "1986-04-09")]);
        let b = binding(BindingCompare::Sha256);
        assert_eq!(decide(Some(&b), false, &claims, &answer(Some(DOB_HASH), None)), Ok(()));
        assert_eq!(
            decide(Some(&b), false, &claims, &answer(None, None)),
            Err(RecordsRefusal::BindingMissing)
        );
        let other = Claims::from_pairs([("dateOfBirth", "1975-10-01")]);
        assert_eq!(
            decide(Some(&b), false, &other, &answer(Some(DOB_HASH), None)),
            Err(RecordsRefusal::BindingMismatch)
        );
        let no_claim = Claims::from_pairs([("firstName", "Fatima")]);
        assert_eq!(
            decide(Some(&b), false, &no_claim, &answer(Some(DOB_HASH), None)),
            Err(RecordsRefusal::BindingMissing)
        );
        assert_eq!(
            decide(None, true, &claims, &answer(None, Some(ExtensionVerdict::Pass))),
            Ok(())
        );
        assert_eq!(
            decide(
                None,
                true,
                &claims,
                &answer(None, Some(ExtensionVerdict::Failed(vec!["dateOfBirth".into()])))
            ),
            Err(RecordsRefusal::ExtensionFailed { failed_claims: vec!["dateOfBirth".into()] })
        );
        assert_eq!(
            decide(None, true, &claims, &answer(None, None)),
            Err(RecordsRefusal::ExtensionMissing)
        );
        // A pass from the extension does not excuse a binding mismatch.
        assert_eq!(
            decide(Some(&b), true, &other, &answer(Some(DOB_HASH), Some(ExtensionVerdict::Pass))),
            Err(RecordsRefusal::BindingMismatch)
        );
        assert_eq!(decide(None, false, &claims, &RecordsAnswer::default()), Ok(()));
    }

    #[test]
    fn a_binding_applies_to_its_profiles_or_to_all() {
        let mut b = binding(BindingCompare::Exact);
        assert!(b.applies_to("anything"));
        b.profiles = vec!["9A000000-0000-4000-8000-0000000000F1".into()];
        assert!(b.applies_to("9a000000-0000-4000-8000-0000000000f1"));
        assert!(!b.applies_to("9a000000-0000-4000-8000-000000000001"));
    }
}
