//! [`UpdateKey`]: the public key updates must be signed with, in the form `tauri signer generate`
//! writes it (base64 of a minisign public key file), and signature checks against it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use minisign_verify::{PublicKey, Signature};

use crate::UpdateError;

/// The updater's public key.
#[derive(Clone)]
pub struct UpdateKey(PublicKey);

impl std::fmt::Debug for UpdateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpdateKey(..)")
    }
}

/// Base64 of text, as Tauri wraps minisign keys and signatures; the text itself when it is
/// already a minisign box (starts with `untrusted comment:`).
fn unwrap_base64(value: &str, what: &str) -> Result<String, String> {
    let value = value.trim();
    if value.starts_with("untrusted comment:") {
        return Ok(value.to_owned());
    }
    let bytes = STANDARD.decode(value).map_err(|e| format!("{what} is not base64: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{what} does not decode to text"))
}

impl UpdateKey {
    /// The key from the `.pub` file of `tauri signer generate` (or a plain minisign public key
    /// file's text).
    pub fn from_tauri_pubkey(value: &str) -> Result<Self, UpdateError> {
        let text = unwrap_base64(value, "the key").map_err(UpdateError::BadKey)?;
        PublicKey::decode(&text).map(Self).map_err(|e| UpdateError::BadKey(e.to_string()))
    }

    /// Checks `signature` (the manifest's `signature`: base64 of a minisign signature file, as
    /// `tauri signer sign` writes it) over `data`. Pre-hashed and legacy signatures are both
    /// accepted, as minisign produces either.
    pub fn verify(&self, data: &[u8], signature: &str) -> Result<(), UpdateError> {
        let text = unwrap_base64(signature, "the signature").map_err(UpdateError::BadSignature)?;
        let signature =
            Signature::decode(&text).map_err(|e| UpdateError::BadSignature(e.to_string()))?;
        self.0.verify(data, &signature, true).map_err(|e| UpdateError::BadSignature(e.to_string()))
    }
}
