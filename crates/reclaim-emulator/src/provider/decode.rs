//! Reading uploaded document images: find the QR, decode our signed JSON, and check the
//! document against the fixture and the provider's rules. Every refusal has its own code.

use image::DynamicImage;
use serde::Serialize;
use time::Date;
use time::macros::format_description;

use super::card::DocumentCode;
use crate::fixture::{Fixture, PersonaFixture, ProviderFixture};

/// Why a document or selfie was refused; `code()` is the machine-readable reason on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    #[error("The upload is not a PNG or JPEG image.")]
    ImageInvalid,
    #[error("No machine-readable code was found on the document. Hold it flat and in focus.")]
    NoCodeFound,
    #[error("The document's code was found but could not be read. Retake the photo in focus.")]
    CodeUnreadable,
    #[error("The code on the document is not an identity-document code.")]
    NotADocumentCode,
    #[error("The document failed its authenticity check.")]
    DocumentForged,
    #[error("The document is not known to the issuing authority.")]
    DocumentUnknown,
    #[error("The document has expired.")]
    DocumentExpired,
    #[error("This provider does not accept this type of document.")]
    DocumentTypeNotAccepted,
    #[error("The document is not of the type that was chosen.")]
    DocumentTypeMismatch,
    #[error("The front and back belong to different documents.")]
    DocumentSidesMismatch,
    #[error("The selfie is not a usable image.")]
    SelfieInvalid,
}

impl Rejection {
    pub const ALL: [Self; 11] = [
        Self::ImageInvalid,
        Self::NoCodeFound,
        Self::CodeUnreadable,
        Self::NotADocumentCode,
        Self::DocumentForged,
        Self::DocumentUnknown,
        Self::DocumentExpired,
        Self::DocumentTypeNotAccepted,
        Self::DocumentTypeMismatch,
        Self::DocumentSidesMismatch,
        Self::SelfieInvalid,
    ];

    /// The rejection with this reason code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The reason code, e.g. `no_code_found`.
    pub fn code(self) -> &'static str {
        match self {
            Self::ImageInvalid => "image_invalid",
            Self::NoCodeFound => "no_code_found",
            Self::CodeUnreadable => "code_unreadable",
            Self::NotADocumentCode => "not_a_document_code",
            Self::DocumentForged => "document_forged",
            Self::DocumentUnknown => "document_unknown",
            Self::DocumentExpired => "document_expired",
            Self::DocumentTypeNotAccepted => "document_type_not_accepted",
            Self::DocumentTypeMismatch => "document_type_mismatch",
            Self::DocumentSidesMismatch => "document_sides_mismatch",
            Self::SelfieInvalid => "selfie_invalid",
        }
    }
}

/// Decodes a PNG or JPEG upload.
pub fn load_image(bytes: &[u8]) -> Result<DynamicImage, Rejection> {
    match image::guess_format(bytes) {
        Ok(image::ImageFormat::Png | image::ImageFormat::Jpeg) => {}
        _ => return Err(Rejection::ImageInvalid),
    }
    image::load_from_memory(bytes).map_err(|_| Rejection::ImageInvalid)
}

/// The text of the first QR code in the image that decodes.
pub fn find_code(img: &DynamicImage) -> Result<String, Rejection> {
    let gray = img.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(gray);
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(Rejection::NoCodeFound);
    }
    grids
        .iter()
        .find_map(|g| g.decode().ok().map(|(_, text)| text))
        .ok_or(Rejection::CodeUnreadable)
}

/// Parses our document JSON (anything else is `not_a_document_code`).
pub fn parse_code(text: &str) -> Result<DocumentCode, Rejection> {
    let code: DocumentCode = serde_json::from_str(text).map_err(|_| Rejection::NotADocumentCode)?;
    if code.v != 1 {
        return Err(Rejection::NotADocumentCode);
    }
    Ok(code)
}

/// Image bytes → the document code on it, without judging the document.
pub fn read_document(bytes: &[u8]) -> Result<DocumentCode, Rejection> {
    parse_code(&find_code(&load_image(bytes)?)?)
}

/// Judges a read document: authentic, on record, unexpired, and accepted by `provider`.
pub fn verify<'f>(
    code: &DocumentCode,
    fixture: &'f Fixture,
    provider: &ProviderFixture,
    today: Date,
) -> Result<&'f PersonaFixture, Rejection> {
    if !code.signature_valid() {
        return Err(Rejection::DocumentForged);
    }
    let persona = fixture.persona(&code.persona).ok_or(Rejection::DocumentUnknown)?;
    // A genuinely signed code must still match the authority's record of that document.
    if persona.forged || !code.matches(&persona.document) {
        return Err(Rejection::DocumentForged);
    }
    let expiry = Date::parse(&code.expiry_date, format_description!("[year]-[month]-[day]"))
        .map_err(|_| Rejection::NotADocumentCode)?;
    if expiry < today {
        return Err(Rejection::DocumentExpired);
    }
    if !provider.documents.iter().any(|d| d == &code.document_type) {
        return Err(Rejection::DocumentTypeNotAccepted);
    }
    Ok(persona)
}

/// A selfie must at least be an image of a face-sized resolution.
pub fn check_selfie(bytes: &[u8]) -> Result<(u32, u32), Rejection> {
    let img = load_image(bytes).map_err(|_| Rejection::SelfieInvalid)?;
    if img.width() < 200 || img.height() < 200 {
        return Err(Rejection::SelfieInvalid);
    }
    Ok((img.width(), img.height()))
}

/// An image side of a document, or the selfie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Front,
    Back,
    Selfie,
}

impl Side {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "front" => Some(Self::Front),
            "back" => Some(Self::Back),
            "selfie" => Some(Self::Selfie),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Front => "front",
            Self::Back => "back",
            Self::Selfie => "selfie",
        }
    }
}

/// Whether a document type has a back the provider must see (cards do, passports do not).
pub fn back_required(document_type: &str) -> bool {
    matches!(document_type, "id_card" | "driving_licence")
}

/// What a person has handed in so far (hosted flow and capture session alike).
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub document_type: Option<String>,
    pub front: Option<DocumentCode>,
    pub back: Option<DocumentCode>,
    /// Width and height of the accepted selfie.
    pub selfie: Option<(u32, u32)>,
}

impl Evidence {
    /// Reads one uploaded image; a refusal leaves the evidence as it was.
    pub fn put_image(&mut self, side: Side, bytes: &[u8]) -> Result<(), Rejection> {
        match side {
            Side::Front => self.front = Some(read_document(bytes)?),
            Side::Back => self.back = Some(read_document(bytes)?),
            Side::Selfie => self.selfie = Some(check_selfie(bytes)?),
        }
        Ok(())
    }

    /// Judges the document just read from `side` (front or back): authentic, on record,
    /// unexpired, accepted here, and of the chosen type. Selfies pass through.
    pub fn check_side(
        &self,
        side: Side,
        fixture: &Fixture,
        provider: &ProviderFixture,
        today: Date,
    ) -> Result<(), Rejection> {
        let code = match side {
            Side::Front => self.front.as_ref(),
            Side::Back => self.back.as_ref(),
            Side::Selfie => return Ok(()),
        };
        let Some(code) = code else { return Ok(()) };
        verify(code, fixture, provider, today)?;
        if self.document_type.as_deref().is_some_and(|t| t != code.document_type) {
            return Err(Rejection::DocumentTypeMismatch);
        }
        Ok(())
    }

    /// Moves one side's result from `other` into this evidence.
    pub fn take_side(&mut self, other: Evidence, side: Side) {
        match side {
            Side::Front => self.front = other.front,
            Side::Back => self.back = other.back,
            Side::Selfie => self.selfie = other.selfie,
        }
    }

    /// The images still needed before a verdict.
    pub fn missing(&self) -> Vec<Side> {
        let back = self.document_type.as_deref().is_some_and(back_required);
        let mut m = Vec::new();
        if self.front.is_none() {
            m.push(Side::Front);
        }
        if back && self.back.is_none() {
            m.push(Side::Back);
        }
        if self.selfie.is_none() {
            m.push(Side::Selfie);
        }
        m
    }

    /// The verdict on complete evidence: the persona whose genuine document this is.
    pub fn judge<'f>(
        &self,
        fixture: &'f Fixture,
        provider: &ProviderFixture,
        today: Date,
    ) -> Result<&'f PersonaFixture, Rejection> {
        let front = self.front.as_ref().ok_or(Rejection::NoCodeFound)?;
        if self.back.as_ref().is_some_and(|b| b != front) {
            return Err(Rejection::DocumentSidesMismatch);
        }
        let persona = verify(front, fixture, provider, today)?;
        if self.document_type.as_deref().is_some_and(|t| t != front.document_type) {
            return Err(Rejection::DocumentTypeMismatch);
        }
        if self.selfie.is_none() {
            return Err(Rejection::SelfieInvalid);
        }
        Ok(persona)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::DocumentFixture;
    use crate::provider::card;
    use time::macros::date;

    fn fixture() -> Fixture {
        Fixture::demo()
    }

    fn qr_png(text: &str) -> Vec<u8> {
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let img = code.render::<image::Luma<u8>>().module_dimensions(6, 6).build();
        let mut out = Vec::new();
        image::DynamicImage::ImageLuma8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    #[test]
    fn every_persona_card_reads_back_front_and_back() {
        let f = fixture();
        for p in &f.personas {
            let front = read_document(&card::card_png(p))
                .unwrap_or_else(|e| panic!("{} front: {e:?}", p.key));
            assert_eq!(front.persona, p.key);
            assert!(front.matches(&p.document), "{}", p.key);
            let back = read_document(&card::back_png(p))
                .unwrap_or_else(|e| panic!("{} back: {e:?}", p.key));
            assert_eq!(back, front);
        }
    }

    #[test]
    fn verdicts_for_the_demo_personas() {
        let f = fixture();
        let today = date!(2026 - 06 - 01);
        let trueid = f.provider("trueid").unwrap_or_else(|| panic!("trueid"));
        let vouch = f.provider("vouchsafe").unwrap_or_else(|| panic!("vouchsafe"));
        let code = |k: &str| {
            card::DocumentCode::for_persona(f.persona(k).unwrap_or_else(|| panic!("{k}")))
        };
        assert_eq!(verify(&code("ana"), &f, trueid, today).map(|p| p.key.as_str()), Ok("ana"));
        assert_eq!(
            verify(&code("forger"), &f, trueid, today).err(),
            Some(Rejection::DocumentForged)
        );
        assert_eq!(
            verify(&code("siobhan"), &f, vouch, today).err(),
            Some(Rejection::DocumentTypeNotAccepted)
        );
        assert_eq!(
            verify(&code("ana"), &f, trueid, date!(2031 - 05 - 02)).err(),
            Some(Rejection::DocumentExpired)
        );
        let stranger = DocumentFixture {
            document_type: "passport".into(),
            given_names: "No".into(),
            family_name: "Body".into(),
            date_of_birth: "1990-01-01".into(),
            document_number: "X1".into(),
            nationality: "GBR".into(),
            expiry_date: "2030-01-01".into(),
        };
        let unknown = card::DocumentCode::signed("nobody", &stranger);
        assert_eq!(verify(&unknown, &f, trueid, today).err(), Some(Rejection::DocumentUnknown));
        // A real persona's key with someone else's (validly signed) data is still a forgery.
        let swapped = card::DocumentCode::signed("ana", &stranger);
        assert_eq!(verify(&swapped, &f, trueid, today).err(), Some(Rejection::DocumentForged));
    }

    #[test]
    fn unreadable_uploads_have_distinct_reasons() {
        let f = fixture();
        let ana = f.persona("ana").unwrap_or_else(|| panic!("ana"));
        assert_eq!(read_document(b"not an image").err(), Some(Rejection::ImageInvalid));
        let blank = card::card_front(ana);
        let blurred = image::imageops::blur(&blank, 6.0);
        let blurred = crate::provider::portrait::png(&blurred);
        let err = read_document(&blurred).err();
        assert!(matches!(err, Some(Rejection::NoCodeFound | Rejection::CodeUnreadable)), "{err:?}");
        let face = crate::provider::portrait::selfie_png("ana");
        assert_eq!(read_document(&face).err(), Some(Rejection::NoCodeFound));
        assert_eq!(
            read_document(&qr_png("https://example.org/")).err(),
            Some(Rejection::NotADocumentCode)
        );
        assert_eq!(check_selfie(b"GIF89a").err(), Some(Rejection::SelfieInvalid));
        assert!(check_selfie(&face).is_ok());
    }
}
