//! Secret newtypes for personal data and the TAP: redacted `Debug`, zeroed on drop, never `Serialize`.

use std::fmt;

use serde::{Deserialize, Deserializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value. The caller's copy is moved in, so no unzeroed copy stays behind.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value, for the one place that must use it (a port call, a comparison).
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// True when the value holds nothing but whitespace.
            pub fn is_blank(&self) -> bool {
                self.0.trim().is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self)
            }
        }
    };
}

secret_string!(
    /// A user principal name as typed at the kiosk or read from Graph.
    Upn
);
secret_string!(
    /// A given name or surname (directory or credential).
    PersonName
);
secret_string!(
    /// A Temporary Access Pass code. Shown once on screen, never logged.
    TapCode
);

impl Upn {
    /// The lowercase form used for the audit pseudonym.
    pub fn to_lowercase_secret(&self) -> Upn {
        Upn(self.0.to_lowercase())
    }
}

/// Claims of a presented credential (name → value; photos are base64url strings).
/// Non-string JSON values are kept as their JSON text.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Claims(Vec<(String, String)>);

impl Claims {
    /// Builds claims from pairs (used by tests and adapters).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// Every claim, for the one port that forwards them (the organisation's claim-validation
    /// extension).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of a claim, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Number of claims.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no claims.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Zeroize for Claims {
    fn zeroize(&mut self) {
        for (k, v) in self.0.iter_mut() {
            k.zeroize();
            v.zeroize();
        }
        self.0.clear();
    }
}

impl Drop for Claims {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for Claims {}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Claims(<{} redacted>)", self.0.len())
    }
}

impl<'de> Deserialize<'de> for Claims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let pairs = map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect();
        Ok(Self(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let upn = Upn::new("ana.lima@contoso.example");
        let name = PersonName::new("Siobhán");
        let tap = TapCode::new("k7Q+2rZa");
        let claims = Claims::from_pairs([("firstName", "Ana"), ("lastName", "Lima")]);
        let all = format!("{upn:?} {name:?} {tap:?} {claims:?} {:?}", Some(&upn));
        for secret in ["ana.lima", "Siobhán", "k7Q+2rZa", "Ana", "Lima", "firstName"] {
            assert!(!all.contains(secret), "{secret} leaked in {all}");
        }
        assert!(all.contains("<redacted>"));
        assert_eq!(tap.expose(), "k7Q+2rZa");
    }

    #[test]
    fn claims_deserialize_and_zeroize() {
        let mut c: Claims =
            serde_json::from_str(r#"{"firstName":"Ana","age":42}"#).expect("claims");
        assert_eq!(c.get("firstName"), Some("Ana"));
        assert_eq!(c.get("age"), Some("42"));
        c.zeroize();
        assert!(c.is_empty());
    }

    #[test]
    fn blank_detection() {
        assert!(PersonName::new("  \t").is_blank());
        assert!(!PersonName::new(" a ").is_blank());
    }
}
