//! Redacted, zeroized-on-drop wrappers for secrets and personal data (tokens, TAPs, claims, names).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

/// A secret string (client secret, access token, TAP, callback api-key …).
///
/// `Debug` prints `[REDACTED]`; the memory is zeroed on drop (via [`SecretString`]).
/// Serializes as the plain string: only use it in bodies that must carry the secret.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }
    /// The secret value. Keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        SecretString::deserialize(deserializer).map(Self)
    }
}

/// A personal-data string (first name, surname, UPN, display name).
///
/// Same guarantees as [`Secret`] (redacted `Debug`, zeroed on drop), but a distinct type so the
/// code says what it holds.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Personal(Secret);

impl Personal {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Secret::new(value))
    }
    /// The plain value. Never log it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for Personal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Personal([REDACTED])")
    }
}

impl From<&str> for Personal {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// A JSON value holding personal data (a credential claim: names, photo, document number…).
///
/// `Debug` is redacted; every string inside is zeroed on drop (object keys excepted).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SensitiveValue(serde_json::Value);

impl SensitiveValue {
    /// Wraps a value.
    pub fn new(value: serde_json::Value) -> Self {
        Self(value)
    }
    /// The plain JSON value. Never log it.
    pub fn expose(&self) -> &serde_json::Value {
        &self.0
    }
    /// The value if it is a JSON string (claims are strings in practice).
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_str()
    }
}

impl fmt::Debug for SensitiveValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SensitiveValue([REDACTED])")
    }
}

fn zeroize_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => s.zeroize(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(zeroize_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(zeroize_json),
        serde_json::Value::Number(_) | serde_json::Value::Bool(_) | serde_json::Value::Null => {}
    }
}

impl Drop for SensitiveValue {
    fn drop(&mut self) {
        zeroize_json(&mut self.0);
    }
}
