//! QR codes for the screens, rendered as SVG by the `qrcode` crate.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A QR code and the text it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QrView {
    /// What the code holds (shown small under it, for people who type it).
    pub url: String,
    /// A self-contained `<svg>` with a `viewBox`, so the UI scales it to the layout.
    pub svg: String,
}

impl QrView {
    /// Smallest side, in CSS pixels, the SVG asks for: at 96 dpi that is about 8 cm, which a
    /// phone camera reads from arm's length (about 60 cm) even for the long presentation URLs.
    pub const MIN_SIDE_PX: u32 = 320;

    /// A QR for a phone camera: medium error correction, 4-module quiet zone.
    pub fn for_phone(text: &str) -> QrView {
        let svg = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
            .map(|code| {
                code.render::<svg::Color<'_>>()
                    .min_dimensions(Self::MIN_SIDE_PX, Self::MIN_SIDE_PX)
                    .quiet_zone(true)
                    .dark_color(svg::Color("#000000"))
                    .light_color(svg::Color("#ffffff"))
                    .build()
            })
            // Only data longer than a version-40 code holds fails; our URLs are far shorter.
            .unwrap_or_default();
        QrView { url: text.to_owned(), svg }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presentation_url_renders_as_a_scalable_svg() {
        let url = "openid-vc://?request_uri=https://verifiedid.did.msidentity.com/v1.0/tenants/7c0e2f9a-0000-4000-8000-000000000000/verifiableCredentials/presentationRequests/0f6a2c1e-1d2b-4c3d-9e8f-7a6b5c4d3e2f";
        let qr = QrView::for_phone(url);
        assert_eq!(qr.url, url);
        assert!(qr.svg.starts_with("<?xml") || qr.svg.starts_with("<svg"));
        assert!(qr.svg.contains("viewBox") || qr.svg.contains("width=\""));
        assert!(qr.svg.contains("#000000"));
    }
}
