//! QR codes for the screens: encoded by the `qrcode` crate, drawn as a compact SVG here.

use qrcode::{Color, EcLevel, QrCode};
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
    ///
    /// Drawn as one `<path>` of horizontal runs in module units (`viewBox`), not one square per
    /// module as `qrcode`'s own SVG renderer does: a 450-character hosted-flow link's code is
    /// ~25 KB instead of ~69 KB, and every view update that carries it is that much smaller
    /// (measured: `bench/README.md`, the service with 100 stations).
    pub fn for_phone(text: &str) -> QrView {
        let svg = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
            .map(|code| Self::svg(code.width(), &code.to_colors()))
            // Only data longer than a version-40 code holds fails; our URLs are far shorter.
            .unwrap_or_default();
        QrView { url: text.to_owned(), hint: Self::hint_for(text), svg }
    }

    /// `modules` is `width × width`, row by row.
    fn svg(width: usize, modules: &[Color]) -> String {
        use std::fmt::Write as _;
        const QUIET: usize = 4;
        let side = width + 2 * QUIET;
        let px = (Self::MIN_SIDE_PX as usize).div_ceil(side) * side;
        let mut path = String::with_capacity(width * width / 2);
        for (y, row) in modules.chunks(width).enumerate() {
            let mut x = 0;
            while x < width {
                if row[x] != Color::Dark {
                    x += 1;
                    continue;
                }
                let run = row[x..].iter().take_while(|c| **c == Color::Dark).count();
                let _ = write!(path, "M{} {}h{run}v1h-{run}z", x + QUIET, y + QUIET);
                x += run;
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{px}\" height=\"{px}\" \
             viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#ffffff\"/>\
             <path fill=\"#000000\" d=\"{path}\"/></svg>"
        )
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

    /// The drawn code is the code: rasterised from its own path and read back by a QR decoder,
    /// it holds the text; and it stays small.
    #[test]
    fn the_svg_reads_back_as_the_text() {
        let link =
            format!("http://127.0.0.1:41234/provider/trueid/start?token={}", "eyJ4".repeat(100));
        let qr = QrView::for_phone(&link);
        assert!(qr.svg.len() < 32_000, "{} bytes", qr.svg.len());
        let view_box = qr.svg.split("viewBox=\"0 0 ").nth(1).unwrap();
        let side: usize = view_box.split(' ').next().unwrap().parse().unwrap();
        let d = qr.svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        let mut dark = vec![false; side * side];
        for run in d.split('M').filter(|r| !r.is_empty()) {
            let (xy, rest) = run.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let len: usize = rest.split('v').next().unwrap().parse().unwrap();
            for i in x..x + len {
                dark[y * side + i] = true;
            }
        }
        let scale = 4;
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(side * scale, side * scale, |x, y| {
                if dark[(y / scale) * side + x / scale] { 0 } else { 255 }
            });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, link);
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
        assert_eq!(fixtures.len(), 4);
        for (name, qr) in fixtures {
            let url = qr["url"].as_str().unwrap_or_default();
            assert_eq!(qr["hint"].as_str(), Some(QrView::hint_for(url).as_str()), "{name}");
        }
    }
}
