//! A user's profile photo (`microsoft-apis-v2.md` §3.3): `GET /users/{id | upn}/photo/$value`.

use base64::Engine as _;
use zeroize::Zeroizing;

use super::{GraphClient, segment};
use crate::error::EntraError;
use crate::secret::Personal;

/// A profile photo's bytes: personal data, so `Debug` shows only the size and the bytes are
/// zeroed on drop.
#[derive(Clone)]
pub struct Photo(Zeroizing<Vec<u8>>);

impl Photo {
    /// Wraps image bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The image bytes. Never log them.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No bytes at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The image type its first bytes name: `image/jpeg` (Exchange-stored photos, §3.3),
    /// `image/png` or `image/gif`; `None` for anything else.
    pub fn media_type(&self) -> Option<&'static str> {
        let b = self.bytes();
        if b.starts_with(&[0xff, 0xd8, 0xff]) {
            Some("image/jpeg")
        } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some("image/png")
        } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
            Some("image/gif")
        } else {
            None
        }
    }

    /// The image in a credential's photo claim: VerifiedEmployee's `photo` is
    /// `UrlEncode(Base64Encode(JPEG))` (§5.2: URL-decode, then base64-decode), a recovery
    /// credential's `portrait` or an ID-token-hint `photo` base64url (v1 §3). Either alphabet,
    /// padded or not; `None` when the value does not decode to any bytes.
    pub fn from_claim(value: &str) -> Option<Photo> {
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        let decoded = percent_encoding::percent_decode_str(value.trim()).decode_utf8().ok()?;
        let normalised: Zeroizing<String> = Zeroizing::new(
            decoded
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .map(|c| match c {
                    '+' => '-',
                    '/' => '_',
                    c => c,
                })
                .collect(),
        );
        let engine = GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            GeneralPurposeConfig::new()
                .with_decode_padding_mode(DecodePaddingMode::Indifferent)
                .with_decode_allow_trailing_bits(true),
        );
        let bytes = engine.decode(normalised.as_bytes()).ok()?;
        (!bytes.is_empty()).then(|| Photo::new(bytes))
    }

    /// Base64url without padding: the value of a photo claim whose display type is
    /// `image/jpg;base64url` (an ID-token-hint credential's `photo`, §5.3; v1 §3).
    pub fn to_base64url(&self) -> Personal {
        let encoded =
            Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.bytes()));
        Personal::new(encoded.as_str())
    }
}

impl PartialEq for Photo {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Photo {}

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Photo([REDACTED] {} bytes)", self.len())
    }
}

impl GraphClient {
    /// `GET /v1.0/users/{id | upn}/photo/$value` (v2 §3.3): the photo's raw bytes
    /// (`image/jpeg` for Exchange-stored photos). `None` on 404, a normal answer: the user has no
    /// photo (`ImageNotFound`; variants `ErrorEntityNotFound`, `ErrorItemNotFound`) or does not
    /// exist. Needs `ProfilePhoto.Read.All` (least) or `User.Read.All`.
    pub async fn user_photo(&self, id_or_upn: &str) -> Result<Option<Photo>, EntraError> {
        const OP: &str = "graph.user_photo";
        let url = self.url(&format!("v1.0/users/{}/photo/$value", segment(id_or_upn)))?;
        match self.get(OP, url).await {
            Ok(raw) => Ok(Some(Photo::new(raw.body))),
            Err(EntraError::Graph(e)) if e.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Photo;

    #[test]
    fn photo_debug_is_redacted_and_type_is_sniffed() {
        let p = Photo::new(vec![0xff, 0xd8, 0xff, 0xe0, 0xfb, 0xff]);
        assert_eq!(format!("{p:?}"), "Photo([REDACTED] 6 bytes)");
        assert_eq!(p.media_type(), Some("image/jpeg"));
        assert_eq!(p.to_base64url().expose(), "_9j_4Pv_");
        assert_eq!(Photo::new(b"GIF89a..".to_vec()).media_type(), Some("image/gif"));
        assert_eq!(Photo::new(vec![1, 2, 3]).media_type(), None);
    }

    #[test]
    fn photo_claims_decode_in_both_encodings() {
        let jpeg = [0xff_u8, 0xd8, 0xff, 0xe0, 0xfb, 0xff];
        for claim in ["%2F9j%2F4Pv%2F", "%2f9j%2f4Pv%2f", "/9j/4Pv/", "_9j_4Pv_"] {
            assert_eq!(Photo::from_claim(claim).map(|p| p.bytes().to_vec()), Some(jpeg.to_vec()));
        }
        assert_eq!(
            Photo::from_claim("%2F9j%2F4A%3D%3D").map(|p| p.bytes().to_vec()),
            Some(jpeg[..4].to_vec())
        );
        assert!(Photo::from_claim("not a photo!").is_none());
        assert!(Photo::from_claim("").is_none());
    }
}
