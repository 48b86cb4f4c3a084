//! Printable test identity documents: a front and a back PNG per persona, each carrying a QR with
//! the persona's data and a short HMAC, so the emulated provider can read a card filmed by a real
//! webcam and tell an edited or forged one apart.

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontArc, PxScale, ScaleFont as _};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use image::{GrayImage, Luma, Rgb, RgbImage};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::portrait::{self, Canvas, Framing};
use crate::fixture::{DocumentFixture, PersonaFixture};

/// Key of the card QR signature. DEMO ONLY: it is public in this source file, so it proves only
/// that a card was printed by this emulator and not edited afterwards — never use it for anything real.
pub const CARD_SIGNING_KEY: &[u8] = b"reclaim-emulator-demo-card-key-NOT-A-SECRET";

/// What a "forger" signs with: a well-formed signature that does not verify.
const FORGER_KEY: &[u8] = b"forger-guessed-key";

/// Card size: ID-1 (85.6 × 54 mm) at 300 dpi.
pub const CARD_SIZE: (u32, u32) = (1012, 638);

const FONT_REGULAR: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const FONT_BOLD: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
const FONT_MONO: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

/// The QR content, compact JSON in this field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentCode {
    pub v: u32,
    pub persona: String,
    pub given_names: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub document_number: String,
    pub document_type: String,
    pub nationality: String,
    pub expiry_date: String,
    pub sig: String,
}

impl DocumentCode {
    /// The payload printed on `persona`'s card; `forged` personas get a signature that fails.
    pub fn for_persona(persona: &PersonaFixture) -> Self {
        let mut p = Self::unsigned(&persona.key, &persona.document);
        p.sig = p.signature(if persona.forged { FORGER_KEY } else { CARD_SIGNING_KEY });
        p
    }

    /// A validly signed code for any document (tests use it for documents not in the fixture).
    pub fn signed(persona_key: &str, d: &DocumentFixture) -> Self {
        let mut p = Self::unsigned(persona_key, d);
        p.sig = p.signature(CARD_SIGNING_KEY);
        p
    }

    fn unsigned(persona_key: &str, d: &DocumentFixture) -> Self {
        Self {
            v: 1,
            persona: persona_key.to_owned(),
            given_names: d.given_names.clone(),
            family_name: d.family_name.clone(),
            date_of_birth: d.date_of_birth.clone(),
            document_number: d.document_number.clone(),
            document_type: d.document_type.clone(),
            nationality: d.nationality.clone(),
            expiry_date: d.expiry_date.clone(),
            sig: String::new(),
        }
    }

    /// Whether the code's fields are exactly this document's.
    pub fn matches(&self, d: &DocumentFixture) -> bool {
        self.given_names == d.given_names
            && self.family_name == d.family_name
            && self.date_of_birth == d.date_of_birth
            && self.document_number == d.document_number
            && self.document_type == d.document_type
            && self.nationality == d.nationality
            && self.expiry_date == d.expiry_date
    }

    /// Truncated HMAC-SHA256 (12 bytes, base64url) over every field but `sig`, one per line.
    fn signature(&self, key: &[u8]) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            return String::new();
        };
        mac.update(self.signed_text().as_bytes());
        let tag = mac.finalize().into_bytes();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..12])
    }

    fn signed_text(&self) -> String {
        [
            &self.v.to_string(),
            &self.persona,
            &self.given_names,
            &self.family_name,
            &self.date_of_birth,
            &self.document_number,
            &self.document_type,
            &self.nationality,
            &self.expiry_date,
        ]
        .map(|s| s.as_str())
        .join("\n")
    }

    /// Whether `sig` is the demo key's signature (constant-time comparison).
    pub fn signature_valid(&self) -> bool {
        use subtle::ConstantTimeEq as _;
        let want = self.signature(CARD_SIGNING_KEY);
        !self.sig.is_empty() && bool::from(want.as_bytes().ct_eq(self.sig.as_bytes()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Human label of a document type, as printed on the card.
pub fn document_label(document_type: &str) -> &'static str {
    match document_type {
        "passport" => "PASSPORT",
        "id_card" => "IDENTITY CARD",
        "driving_licence" => "DRIVING LICENCE",
        _ => "IDENTITY DOCUMENT",
    }
}

struct Fonts {
    regular: Option<FontArc>,
    bold: Option<FontArc>,
    mono: Option<FontArc>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        // Missing fonts only cost the text: a card without text still carries its QR.
        let load = |p: &str| std::fs::read(p).ok().and_then(|b| FontArc::try_from_vec(b).ok());
        let regular = load(FONT_REGULAR);
        let mono = load(FONT_MONO).or_else(|| regular.clone());
        Fonts { regular, bold: load(FONT_BOLD), mono }
    })
}

/// Draws `text` with its top-left at (x, y), alpha-blended; returns the advance width.
fn text(
    img: &mut RgbImage,
    font: Option<&FontArc>,
    px: f32,
    x: f32,
    y: f32,
    s: &str,
    c: Rgb<u8>,
) -> f32 {
    let Some(font) = font else {
        return 0.0;
    };
    let scaled = font.as_scaled(PxScale::from(px));
    let mut caret = x;
    let baseline = y + scaled.ascent();
    let mut prev = None;
    for ch in s.chars() {
        let id = scaled.glyph_id(ch);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(px), ab_glyph::point(caret, baseline));
        caret += scaled.h_advance(id);
        prev = Some(id);
        if let Some(outlined) = font.outline_glyph(glyph) {
            let b = outlined.px_bounds();
            let (w, h) = img.dimensions();
            outlined.draw(|gx, gy, cov| {
                let px_x = b.min.x as i64 + i64::from(gx);
                let px_y = b.min.y as i64 + i64::from(gy);
                if px_x < 0 || px_y < 0 || px_x >= i64::from(w) || px_y >= i64::from(h) {
                    return;
                }
                let p = img.get_pixel_mut(px_x as u32, px_y as u32);
                for i in 0..3 {
                    let bg = f32::from(p.0[i]);
                    p.0[i] = (bg + (f32::from(c.0[i]) - bg) * cov.clamp(0.0, 1.0)) as u8;
                }
            });
        }
    }
    caret - x
}

/// The QR for `payload`, `module` pixels per module, with the standard 4-module quiet zone.
pub fn qr_image(payload: &str, module: u32) -> Option<GrayImage> {
    let code =
        qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(code.render::<Luma<u8>>().module_dimensions(module, module).quiet_zone(true).build())
}

fn paste_gray(dst: &mut RgbImage, src: &GrayImage, x0: u32, y0: u32) {
    for (x, y, p) in src.enumerate_pixels() {
        if x0 + x < dst.width() && y0 + y < dst.height() {
            dst.put_pixel(x0 + x, y0 + y, Rgb([p.0[0]; 3]));
        }
    }
}

fn theme(document_type: &str) -> (Rgb<u8>, Rgb<u8>) {
    match document_type {
        "passport" => (Rgb([24, 44, 92]), Rgb([232, 236, 246])),
        "driving_licence" => (Rgb([128, 32, 48]), Rgb([246, 234, 236])),
        _ => (Rgb([16, 96, 96]), Rgb([228, 243, 241])),
    }
}

/// Background, header band and the specimen footer shared by both sides.
fn blank_card(persona: &PersonaFixture, subtitle: &str) -> RgbImage {
    let (w, h) = CARD_SIZE;
    let (accent, tint) = theme(&persona.document.document_type);
    let mut c = Canvas { img: RgbImage::from_pixel(w, h, tint) };
    // Faint guilloche-like waves so the card does not look like a blank form.
    let line = Rgb(tint.0.map(|t| t.saturating_sub(16)));
    for k in 0..14u32 {
        let base = 110.0 + k as f32 * 34.0;
        let (amp, period, phase) =
            (14.0 + (k % 3) as f32 * 5.0, 70.0 + (k % 4) as f32 * 9.0, k as f32);
        for x in 0..w {
            let y = base + amp * (x as f32 / period + phase).sin();
            for dy in 0..2 {
                let yy = y as i64 + dy;
                if yy >= 0 && (yy as u32) < h {
                    c.img.put_pixel(x, yy as u32, line);
                }
            }
        }
    }
    c.fill(0.0, 0.0, w as f32, 96.0, accent);
    c.fill(0.0, h as f32 - 44.0, w as f32, h as f32, accent);
    let f = fonts();
    let white = Rgb([255, 255, 255]);
    text(
        &mut c.img,
        f.bold.as_ref(),
        40.0,
        32.0,
        10.0,
        document_label(&persona.document.document_type),
        white,
    );
    text(&mut c.img, f.regular.as_ref(), 20.0, 34.0, 60.0, subtitle, Rgb([220, 226, 240]));
    text(
        &mut c.img,
        f.regular.as_ref(),
        18.0,
        32.0,
        h as f32 - 34.0,
        "SPECIMEN · Reclaim emulator test document · not valid for travel or identification",
        white,
    );
    c.img
}

/// The front of `persona`'s document as PNG bytes.
pub fn card_png(persona: &PersonaFixture) -> Vec<u8> {
    portrait::png(&card_front(persona))
}

/// The front as pixels (the synthetic camera and tests use it directly).
pub fn card_front(persona: &PersonaFixture) -> RgbImage {
    let d = &persona.document;
    let mut img = blank_card(persona, &format!("Republic of Emulation · {}", d.nationality));
    // Photo, with a thin frame.
    let photo = portrait::face(portrait::seed_for(&persona.key), 232, 290, Framing::Document);
    let mut c = Canvas { img };
    c.fill(30.0, 122.0, 270.0, 420.0, Rgb([90, 90, 90]));
    c.img = {
        let mut i = c.img;
        image::imageops::replace(&mut i, &photo, 34, 126);
        i
    };
    img = c.img;

    let f = fonts();
    let label = Rgb([90, 96, 110]);
    let value = Rgb([16, 18, 24]);
    let rows: [(&str, &str); 7] = [
        ("Surname", &d.family_name),
        ("Given names", &d.given_names),
        ("Date of birth", &d.date_of_birth),
        ("Document no.", &d.document_number),
        ("Nationality", &d.nationality),
        ("Date of expiry", &d.expiry_date),
        ("Type", document_label(&d.document_type)),
    ];
    let mut y = 116.0;
    for (l, v) in rows {
        text(&mut img, f.regular.as_ref(), 17.0, 292.0, y, &l.to_uppercase(), label);
        // Long names shrink rather than run into the QR.
        let size = if v.chars().count() > 16 { 22.0 } else { 28.0 };
        text(&mut img, f.bold.as_ref(), size, 292.0, y + 19.0, v, value);
        y += 62.0;
    }
    // Signature-like scribble under the photo.
    text(
        &mut img,
        f.regular.as_ref(),
        26.0,
        40.0,
        436.0,
        &format!("{} {}", d.given_names, d.family_name),
        Rgb([30, 40, 120]),
    );
    text(
        &mut img,
        f.regular.as_ref(),
        16.0,
        40.0,
        476.0,
        &format!("test persona: {}", persona.key),
        label,
    );

    let payload = DocumentCode::for_persona(persona).to_json();
    if let Some(qr) = qr_image(&payload, 5) {
        // Right-aligned, vertically centred between the bands.
        let x = CARD_SIZE.0.saturating_sub(qr.width() + 18);
        let y = 96 + (CARD_SIZE.1.saturating_sub(96 + 44 + qr.height())) / 2;
        paste_gray(&mut img, &qr, x, y);
    }
    img
}

/// MRZ-style characters: A–Z, 0–9 and `<`, with common diacritics folded.
fn mrz_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            let c = match c {
                'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => {
                    'A'
                }
                'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' | 'ę' => 'E',
                'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
                'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'O',
                'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
                'ç' | 'Ç' | 'ć' => 'C',
                'ñ' | 'Ñ' | 'ń' => 'N',
                'ś' | 'Ś' => 'S',
                'ł' | 'Ł' => 'L',
                'ż' | 'ź' => 'Z',
                c => c,
            };
            if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '<' }
        })
        .collect()
}

fn pad(s: String, n: usize) -> String {
    let mut s: String = s.chars().take(n).collect();
    while s.chars().count() < n {
        s.push('<');
    }
    s
}

/// Three 30-character MRZ-like lines (TD1 layout, no check digits: this is not a real MRZ).
pub fn mrz_lines(persona: &PersonaFixture) -> [String; 3] {
    let d = &persona.document;
    let kind = match d.document_type.as_str() {
        "passport" => "P<",
        "driving_licence" => "DL",
        _ => "I<",
    };
    let yymmdd = |iso: &str| iso.replace('-', "").chars().skip(2).collect::<String>();
    [
        pad(format!("{kind}{}{}", mrz_text(&d.nationality), mrz_text(&d.document_number)), 30),
        pad(
            format!(
                "{}<{}<{}",
                yymmdd(&d.date_of_birth),
                yymmdd(&d.expiry_date),
                mrz_text(&d.nationality)
            ),
            30,
        ),
        pad(format!("{}<<{}", mrz_text(&d.family_name), mrz_text(&d.given_names)), 30),
    ]
}

/// The back of `persona`'s document as PNG bytes: MRZ-like lines and the same QR.
pub fn back_png(persona: &PersonaFixture) -> Vec<u8> {
    let mut img = blank_card(persona, "Machine-readable zone · scan the code on either side");
    let f = fonts();
    let payload = DocumentCode::for_persona(persona).to_json();
    if let Some(qr) = qr_image(&payload, 5) {
        paste_gray(&mut img, &qr, 30, 104);
    }
    let mut c = Canvas { img };
    c.fill(0.0, 452.0, CARD_SIZE.0 as f32, 590.0, Rgb([250, 250, 250]));
    img = c.img;
    for (i, line) in mrz_lines(persona).iter().enumerate() {
        text(
            &mut img,
            f.mono.as_ref(),
            36.0,
            60.0,
            460.0 + 42.0 * i as f32,
            line,
            Rgb([10, 10, 10]),
        );
    }
    let note = [
        "This card was printed by the Reclaim emulator.",
        "Its code carries the holder's data and a",
        "signature; an edited code is refused.",
        &format!("Holder: {} {}", persona.document.given_names, persona.document.family_name),
    ];
    for (i, l) in note.iter().enumerate() {
        text(
            &mut img,
            f.regular.as_ref(),
            21.0,
            400.0,
            130.0 + 34.0 * i as f32,
            l,
            Rgb([40, 44, 56]),
        );
    }
    portrait::png(&img)
}

/// The persona's selfie as PNG bytes (same face as the card, different surroundings).
pub fn selfie_png(persona: &PersonaFixture) -> Vec<u8> {
    portrait::selfie_png(&persona.key)
}

/// The `portrait` claim: the document photo as a JPEG.
pub fn portrait_jpeg(persona: &PersonaFixture) -> Vec<u8> {
    portrait::portrait_jpeg(&persona.key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fixture;

    #[test]
    fn signature_detects_edits_and_forgeries() {
        let f = Fixture::demo();
        let ana = f.persona("ana").unwrap_or_else(|| panic!("ana"));
        let mut p = DocumentCode::for_persona(ana);
        assert!(p.signature_valid());
        p.family_name = "Lim".into();
        assert!(!p.signature_valid());
        let forger = f.persona("forger").unwrap_or_else(|| panic!("forger"));
        assert!(!DocumentCode::for_persona(forger).signature_valid());
    }

    #[test]
    fn mrz_lines_are_fixed_width_and_ascii() {
        let f = Fixture::demo();
        let s = f.persona("siobhan").unwrap_or_else(|| panic!("siobhan"));
        for l in mrz_lines(s) {
            assert_eq!(l.len(), 30);
            assert!(
                l.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'),
                "{l}"
            );
        }
    }
}
