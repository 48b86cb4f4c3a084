//! QR codes for the screens, rendered as SVG by the `qrcode` crate.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A QR code, what it holds, and the short hint printed under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QrView {
    /// What the code holds: for the phone's camera (and the demo phone, the E2E tests). Never
    /// printed: a hosted link carries a one-time token and the return state, a request URL is
    /// the request itself.
    pub url: String,
    /// What the UI may print under the code: the host the code leads to (the provider's, or
    /// the Request Service's for an `openid-vc://` request), so a person can tell where their
    /// phone goes. Empty when there is no such host.
    pub hint: String,
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
        QrView { url: text.to_owned(), hint: Self::hint_for(text), svg }
    }

    /// The host a code's text leads to: an `http(s)` URL's host (with a port that is not the
    /// scheme's default), or that of an `openid-vc://` URL's `request_uri`; empty otherwise.
    /// Never a path, query or fragment: those hold the tokens.
    pub fn hint_for(text: &str) -> String {
        fn host(u: &reqwest::Url) -> Option<String> {
            if !matches!(u.scheme(), "http" | "https") {
                return None;
            }
            let host = u.host_str()?;
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
        }
        let Ok(u) = reqwest::Url::parse(text) else { return String::new() };
        let target = if u.scheme() == "openid-vc" {
            u.query_pairs()
                .find(|(k, _)| k == "request_uri")
                .and_then(|(_, v)| reqwest::Url::parse(&v).ok())
        } else {
            Some(u)
        };
        target.as_ref().and_then(host).unwrap_or_default()
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
        assert_eq!(qr.hint, "verifiedid.did.msidentity.com");
        assert!(qr.svg.starts_with("<?xml") || qr.svg.starts_with("<svg"));
        assert!(qr.svg.contains("viewBox") || qr.svg.contains("width=\""));
        assert!(qr.svg.contains("#000000"));
    }

    #[test]
    fn the_hint_is_the_host_and_never_the_token_or_the_return_state() {
        let link = "http://127.0.0.1:8400/provider/trueid/start?token=eyJhbGciOiJIUzI1NiJ9.eyJzdGF0ZSI6InN0LTEyMyJ9.c2ln";
        let qr = QrView::for_phone(link);
        assert_eq!(qr.hint, "127.0.0.1:8400");
        assert!(!qr.hint.contains("token") && !qr.hint.contains("eyJ"));
        assert_eq!(
            QrView::hint_for("https://idv.trueid.example:443/s?token=x"),
            "idv.trueid.example"
        );
        assert_eq!(QrView::hint_for("https://user:pw@idv.example/h/8Kq2"), "idv.example");
        assert_eq!(QrView::hint_for("openid-vc://?request_uri=javascript:alert(1)"), "");
        assert_eq!(QrView::hint_for("not a url"), "");
        // The kiosk's fixtures (ui/src/mock/qr-fixtures.json) carry the hints this computes.
        let fixtures: serde_json::Value =
            serde_json::from_str(include_str!("../../../ui/src/mock/qr-fixtures.json"))
                .unwrap_or_default();
        let fixtures = fixtures.as_object().cloned().unwrap_or_default();
        assert_eq!(fixtures.len(), 3);
        for (name, qr) in fixtures {
            let url = qr["url"].as_str().unwrap_or_default();
            assert_eq!(qr["hint"].as_str(), Some(QrView::hint_for(url).as_str()), "{name}");
        }
    }
}
