//! The phone's mobile page, drawn like Microsoft Authenticator's Verified ID screens: the wallet
//! of credential cards, the scanner sheet (and the code the kiosk beside the phone shows), the
//! issuance request ("Add to Authenticator", with the PIN when the issuer set one), the
//! presentation request (the verifier's name and purpose, the credential to share), the Face Check
//! step (a selfie from the synthetic camera, a liveness animation, the match score the demo
//! reports) and the result screens.
//!
//! Server-rendered HTML with no external assets. A little inline script (allowed by a per-page
//! nonce in the page's Content-Security-Policy) plays the Face Check animation and looks for
//! changes (a new code at the kiosk, a request answered through the control API), so the page
//! follows the kiosk without refreshing under the person's fingers. Every value from the fixture
//! or a request is escaped, and card colours are used only when they are plain hex colours.

use std::fmt::Write as _;

use serde_json::Value;
use sha2::Digest as _;

use super::{HeldCredential, pending_request};
use crate::fixture::ContractFixture;
use crate::html::esc;
use crate::provider::portrait;
use crate::request_service::presentation::{is_expired, photo_claim_bytes, satisfies};
use crate::request_service::validation::{IssuanceSpec, PresentationSpec, RequestedCredential};
use crate::request_service::{RequestKind, RequestSpec, StoredRequest};
use crate::state::AppState;

/// What the page shows after an action (`?result=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The offered credential is in the wallet.
    Added,
    /// The verifier accepted the presentation.
    Shared,
    /// The verifier refused the presentation (`presentation_error`).
    Refused,
    /// The person declined a request.
    Declined,
    /// The issuance failed (a wrong PIN).
    Failed,
}

impl Outcome {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Outcome::Added => "added",
            Outcome::Shared => "shared",
            Outcome::Refused => "refused",
            Outcome::Declined => "declined",
            Outcome::Failed => "failed",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Self> {
        [Outcome::Added, Outcome::Shared, Outcome::Refused, Outcome::Declined, Outcome::Failed]
            .into_iter()
            .find(|o| o.as_str() == s)
    }

    fn title(self) -> &'static str {
        match self {
            Outcome::Added => "Added to Authenticator",
            Outcome::Shared => "Shared",
            Outcome::Refused => "Not verified",
            Outcome::Declined => "Declined",
            Outcome::Failed => "Not added",
        }
    }

    fn good(self) -> bool {
        matches!(self, Outcome::Added | Outcome::Shared)
    }
}

/// What the person asked the page for.
pub(super) struct PageArgs<'a> {
    /// The phone host's public base URL.
    pub base: &'a str,
    pub id: &'a str,
    /// A line about the last action.
    pub msg: Option<&'a str>,
    pub result: Option<Outcome>,
    /// `?step=face-check`: the Face Check step of the pending presentation.
    pub face_check: bool,
    /// `?card=`: the credential a result screen shows (the one just shared).
    pub card: Option<&'a str>,
}

/// A rendered page and the nonce its Content-Security-Policy allows.
pub(super) struct Rendered {
    pub html: String,
    pub nonce: String,
}

impl Rendered {
    /// The Content-Security-Policy of this page: nothing external, only its own style and script.
    pub fn csp(&self) -> String {
        let n = &self.nonce;
        format!(
            "default-src 'none'; img-src 'self' data:; style-src 'nonce-{n}'; \
             script-src 'nonce-{n}'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
        )
    }
}

/// A fingerprint of what the page shows: it changes when a request arrives or ends, a credential
/// is added or revoked, or (with nothing pending) the kiosk shows another code.
pub(super) fn version(state: &AppState, id: &str) -> String {
    let issuance = pending_request(state, id, None, RequestKind::Issuance).ok();
    let presentation = pending_request(state, id, None, RequestKind::Presentation).ok();
    let mut h = sha2::Sha256::new();
    h.update(format!("{issuance:?}|{presentation:?}|").as_bytes());
    for c in state.phones().credentials(id) {
        h.update(c.id.as_bytes());
        h.update(if c.revoked { b"|r|" } else { b"|v|" });
    }
    if issuance.is_none() && presentation.is_none() {
        h.update(state.phones().viewfinder(id).unwrap_or_default().as_bytes());
    }
    h.finalize().iter().take(8).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The selfie the phone's synthetic camera takes for Face Check with `credential_id` (the
/// persona's, when the credential is one of the fixture's personas'), as a PNG.
pub(super) fn selfie_for(state: &AppState, phone_id: &str, credential_id: Option<&str>) -> Vec<u8> {
    let held = state.phones().credentials(phone_id);
    let key = credential_id
        .and_then(|cid| held.iter().find(|c| c.id == cid))
        .map(|c| persona_key(state, c))
        .unwrap_or_else(|| phone_id.to_owned());
    portrait::selfie_png(&key)
}

/// The persona a credential was issued to (by document number, else by name); otherwise a key
/// from the holder's name, so the same holder always gets the same synthetic face.
fn persona_key(state: &AppState, c: &HeldCredential) -> String {
    let claim = |k: &str| c.claims.get(k).and_then(Value::as_str).unwrap_or_default();
    let personas = &state.fixture().personas;
    let by_number = personas.iter().find(|p| {
        !claim("documentNumber").is_empty() && p.document.document_number == claim("documentNumber")
    });
    let by_name = || {
        personas.iter().find(|p| {
            p.document.given_names == claim("firstName")
                && p.document.family_name == claim("lastName")
        })
    };
    match by_number.or_else(by_name) {
        Some(p) => p.key.clone(),
        None => format!("{} {} {}", claim("firstName"), claim("lastName"), c.issuer),
    }
}

/// The credential `present` would share for the phone's pending presentation `request_id` (the
/// first requested credential's pick), so the result screen can show it.
pub(super) fn credential_to_share(
    state: &AppState,
    phone_id: &str,
    request_id: &str,
) -> Option<String> {
    let r = state.requests().get(request_id)?;
    let RequestSpec::Presentation(spec) = &r.spec else { return None };
    let mut held = state.phones().credentials(phone_id);
    held.reverse();
    offered(state, spec, &held).into_iter().flatten().next().map(|c| c.id.clone())
}

// ── Display helpers ──────────────────────────────────────────────────────────────────────────────

/// The contract a held credential was issued under: same issuer, one of its types.
fn contract_of<'a>(state: &'a AppState, c: &HeldCredential) -> Option<&'a ContractFixture> {
    state
        .fixture()
        .contracts
        .iter()
        .find(|k| k.authority == c.issuer && c.types.iter().any(|t| k.rules.vc.types.contains(t)))
}

/// The contract an accepted issuer issues `credential_type` under, if the fixture has one.
fn contract_for_type<'a>(
    state: &'a AppState,
    rc: &RequestedCredential,
) -> Option<&'a ContractFixture> {
    state.fixture().contracts.iter().find(|k| {
        k.rules.vc.types.contains(&rc.credential_type)
            && (rc.accepted_issuers.is_empty() || rc.accepted_issuers.contains(&k.authority))
    })
}

/// The card's title: the contract's display title, else the credential type made readable.
fn card_title(state: &AppState, c: &HeldCredential) -> String {
    contract_of(state, c)
        .map(|k| k.display.card.title.clone())
        .unwrap_or_else(|| humanize(c.types.last().map(String::as_str).unwrap_or("Credential")))
}

/// `verifiedIdentity` → `Verified identity`.
fn humanize(t: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for ch in t.chars() {
        if ch.is_uppercase() && prev_lower {
            out.push(' ');
            out.extend(ch.to_lowercase());
        } else if ch == '_' || ch == '-' {
            out.push(' ');
        } else {
            out.push(ch);
        }
        prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
    }
    let mut chars = out.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => out,
    }
}

/// A DID as a person reads it: a `did:web` host, else the DID shortened.
fn did_host(did: &str) -> String {
    if let Some(rest) = did.strip_prefix("did:web:") {
        let host = rest.split(':').next().unwrap_or(rest);
        return host.replace("%3A", ":").replace("%3a", ":");
    }
    if did.chars().count() > 32 {
        format!("{}…", did.chars().take(28).collect::<String>())
    } else {
        did.to_owned()
    }
}

/// `#RGB` / `#RRGGBB` as (r, g, b); anything else is not a colour the page uses.
fn hex_colour(s: &str) -> Option<(u8, u8, u8)> {
    let h = s.trim().strip_prefix('#')?;
    if !h.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let v = |s: &str| u8::from_str_radix(s, 16).ok();
    match h.len() {
        3 => {
            let d: Vec<String> = h.chars().map(|c| format!("{c}{c}")).collect();
            Some((v(&d[0])?, v(&d[1])?, v(&d[2])?))
        }
        6 => Some((v(&h[0..2])?, v(&h[2..4])?, v(&h[4..6])?)),
        _ => None,
    }
}

fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Card colours to use: the contract's when they are hex colours with 4.5:1 contrast; else the
/// contract's background with black or white text; else a dark colour picked by the issuer.
fn card_colours(contract: Option<&ContractFixture>, issuer: &str) -> (String, String) {
    const PALETTE: [&str; 5] = ["#0F3D5E", "#5B2A86", "#1E5631", "#7A2E0E", "#2F3E46"];
    let fmt = |(r, g, b): (u8, u8, u8)| format!("#{r:02X}{g:02X}{b:02X}");
    if let Some(bg) = contract.and_then(|k| hex_colour(&k.display.card.background_color)) {
        let fg = contract.and_then(|k| hex_colour(&k.display.card.text_color));
        let fg = match fg {
            Some(fg) if contrast(bg, fg) >= 4.5 => fg,
            _ if contrast(bg, (255, 255, 255)) >= contrast(bg, (0, 0, 0)) => (255, 255, 255),
            _ => (0, 0, 0),
        };
        return (fmt(bg), fmt(fg));
    }
    let i = issuer.bytes().fold(0usize, |a, b| a.wrapping_mul(31).wrapping_add(usize::from(b)));
    (PALETTE[i % PALETTE.len()].to_owned(), "#FFFFFF".to_owned())
}

/// `2026-08-01T10:00:00Z` → `1 Aug 2026` (the text as it is when it is not RFC 3339).
fn day(s: &str) -> String {
    match time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        Ok(t) => {
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let m = MONTHS[usize::from(u8::from(t.month())).saturating_sub(1) % 12];
            format!("{} {m} {}", t.day(), t.year())
        }
        Err(_) => s.to_owned(),
    }
}

/// A claim value as text (photos are shown as images, not as their base64).
fn claim_text(v: &Value) -> String {
    let s = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    if s.chars().count() > 64 {
        format!("{}… ({} characters)", s.chars().take(32).collect::<String>(), s.len())
    } else {
        s
    }
}

/// A `data:` URL for a photo claim (base64url, or URL-encoded base64 as VerifiedEmployee's
/// `photo`) that holds a JPEG or PNG, re-encoded as standard base64 (nothing to escape); `None`
/// for anything else.
fn photo_data_url(v: &Value) -> Option<String> {
    use base64::Engine as _;
    let s = v.as_str().filter(|s| s.len() >= 8 && s.len() <= 3_000_000)?;
    let bytes = photo_claim_bytes(s)?;
    let mime = if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        return None;
    };
    Some(format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// The holder's name from the usual claims.
fn holder_name(c: &HeldCredential) -> Option<String> {
    let claim = |k: &str| c.claims.get(k).and_then(Value::as_str).map(str::trim).unwrap_or("");
    let full = claim("fullName");
    if !full.is_empty() {
        return Some(full.to_owned());
    }
    let name = format!("{} {}", claim("firstName"), claim("lastName")).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

/// The first letter of a name, for a monogram "logo".
fn initial(name: &str) -> String {
    name.chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

/// The credentials a presentation would share: for each requested credential the one the service
/// picks (newest first, unexpired, an unrevoked one preferred), as `present` does without a
/// credential id.
fn offered<'a>(
    state: &AppState,
    spec: &PresentationSpec,
    newest_first: &'a [HeldCredential],
) -> Vec<Option<&'a HeldCredential>> {
    let now = state.clock().now();
    spec.credentials
        .iter()
        .map(|rc| {
            let mut candidates: Vec<&HeldCredential> =
                newest_first.iter().filter(|c| satisfies(rc, c) && !is_expired(c, now)).collect();
            candidates.sort_by_key(|c| c.revoked);
            candidates.first().copied()
        })
        .collect()
}

// ── The page ─────────────────────────────────────────────────────────────────────────────────────

/// Icons, drawn inline (no external assets); decorative, hidden from assistive technology.
const ICON_QR: &str = "<svg class=\"icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\"><path d=\"M3 3h7v7H3zM14 3h7v7h-7zM3 14h7v7H3z\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\"/><path d=\"M5.5 5.5h2v2h-2zM16.5 5.5h2v2h-2zM5.5 16.5h2v2h-2zM14 14h3v3h-3zM18 18h3v3h-3zM14 19h2v2h-2zM19 14h2v2h-2z\" fill=\"currentColor\"/></svg>";
const ICON_OK: &str = "<svg class=\"big-icon\" viewBox=\"0 0 48 48\" aria-hidden=\"true\" focusable=\"false\"><circle cx=\"24\" cy=\"24\" r=\"22\" fill=\"#0E7A0D\"/><path d=\"M14 25l7 7 14-15\" fill=\"none\" stroke=\"#fff\" stroke-width=\"4\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>";
const ICON_NO: &str = "<svg class=\"big-icon\" viewBox=\"0 0 48 48\" aria-hidden=\"true\" focusable=\"false\"><circle cx=\"24\" cy=\"24\" r=\"22\" fill=\"#B3261E\"/><path d=\"M16 16l16 16M32 16L16 32\" fill=\"none\" stroke=\"#fff\" stroke-width=\"4\" stroke-linecap=\"round\"/></svg>";
const ICON_FACE: &str = "<svg class=\"icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\"><path d=\"M3 8V5a2 2 0 0 1 2-2h3M16 3h3a2 2 0 0 1 2 2v3M21 16v3a2 2 0 0 1-2 2h-3M8 21H5a2 2 0 0 1-2-2v-3\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" stroke-linecap=\"round\"/><circle cx=\"9\" cy=\"10\" r=\"1.3\" fill=\"currentColor\"/><circle cx=\"15\" cy=\"10\" r=\"1.3\" fill=\"currentColor\"/><path d=\"M8.5 15c2 1.8 5 1.8 7 0\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" stroke-linecap=\"round\"/></svg>";
const ICON_WALLET: &str = "<svg class=\"empty-icon\" viewBox=\"0 0 64 64\" aria-hidden=\"true\" focusable=\"false\"><rect x=\"6\" y=\"16\" width=\"52\" height=\"36\" rx=\"6\" fill=\"#DCE6F2\"/><rect x=\"12\" y=\"10\" width=\"40\" height=\"26\" rx=\"5\" fill=\"#005FB8\"/><rect x=\"6\" y=\"26\" width=\"52\" height=\"26\" rx=\"6\" fill=\"#B9CDE4\"/><circle cx=\"47\" cy=\"39\" r=\"4\" fill=\"#fff\"/></svg>";

/// A page being built: its body and the card colour classes its style sheet needs.
struct Page<'a> {
    state: &'a AppState,
    /// The phone host's base URL and the phone id, already escaped.
    base: String,
    id: String,
    raw_id: &'a str,
    colours: Vec<(String, String)>,
    body: String,
}

impl<'a> Page<'a> {
    fn new(state: &'a AppState, base: &str, id: &'a str) -> Self {
        Self {
            state,
            base: esc(base),
            id: esc(id),
            raw_id: id,
            colours: Vec::new(),
            body: String::new(),
        }
    }

    /// `{base}/p/{id}{rest}`, escaped for an attribute.
    fn url(&self, rest: &str) -> String {
        format!("{}/p/{}{rest}", self.base, self.id)
    }

    /// The class that gives a card these (validated hex) colours.
    fn colour_class(&mut self, bg: String, fg: String) -> String {
        let i = match self.colours.iter().position(|(b, f)| *b == bg && *f == fg) {
            Some(i) => i,
            None => {
                self.colours.push((bg, fg));
                self.colours.len() - 1
            }
        };
        format!("k{i}")
    }

    /// A credential card as Authenticator draws it: issuer logo and name, the card title, the
    /// holder, the issue date; revoked and expired ones marked. `level` is its heading level.
    fn card(&mut self, c: &HeldCredential, level: u8, key: &str) {
        self.card_sized(c, level, key, "");
    }

    /// A card; `size` is an extra class (`compact`: a shorter card on a request screen).
    fn card_sized(&mut self, c: &HeldCredential, level: u8, key: &str, size: &str) {
        let contract = contract_of(self.state, c);
        let title = card_title(self.state, c);
        let issuer = contract
            .map(|k| k.display.card.issued_by.clone())
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| did_host(&c.issuer));
        let (bg, fg) = card_colours(contract, &c.issuer);
        let class = self.colour_class(bg, fg);
        let expired = is_expired(c, self.state.clock().now());
        let state_class = if c.revoked || expired { " inactive" } else { "" };
        let _ = write!(
            self.body,
            "<article class=\"vc {class}{state_class} {size}\" aria-labelledby=\"vc-{key}\">\
<div class=\"vc-top\"><span class=\"logo\" aria-hidden=\"true\">{}</span><span class=\"vc-issuer\">{}</span></div>\
<h{level} class=\"vc-title\" id=\"vc-{key}\">{}</h{level}>",
            esc(&initial(&issuer)),
            esc(&issuer),
            esc(&title),
        );
        if let Some(name) = holder_name(c) {
            let _ = write!(self.body, "<p class=\"vc-holder\">{}</p>", esc(&name));
        }
        let _ =
            write!(self.body, "<p class=\"vc-meta\">Issued {}</p>", esc(&day(&c.issuance_date)));
        if c.revoked {
            self.body.push_str("<p class=\"badge\">Revoked</p>");
        } else if expired {
            self.body.push_str("<p class=\"badge\">Expired</p>");
        }
        self.body.push_str("</article>");
    }

    /// The card's details (claims with the contract's labels, the photo as an image), folded.
    fn details(&mut self, c: &HeldCredential, title_hint: &str) {
        let contract = contract_of(self.state, c);
        let _ = write!(
            self.body,
            "<details class=\"vc-details\"><summary>Details<span class=\"visually-hidden\"> of {}</span></summary><dl>",
            esc(title_hint)
        );
        self.claims(&c.claims, contract);
        let _ = write!(
            self.body,
            "<div><dt>Credential type</dt><dd>{}</dd></div><div><dt>Issuer</dt><dd>{}</dd></div>\
<div><dt>Issued</dt><dd>{}</dd></div><div><dt>Valid until</dt><dd>{}</dd></div></dl></details>",
            esc(c.types.last().map(String::as_str).unwrap_or("")),
            esc(&c.issuer),
            esc(&day(&c.issuance_date)),
            esc(&day(&c.expiration_date)),
        );
    }

    /// Claims as `<div><dt>label</dt><dd>value</dd></div>`, in the contract's display order.
    fn claims(
        &mut self,
        claims: &serde_json::Map<String, Value>,
        contract: Option<&ContractFixture>,
    ) {
        let label = |name: &str| {
            contract
                .and_then(|k| {
                    k.display.claims.iter().find(|d| {
                        d.claim.strip_prefix("vc.credentialSubject.").unwrap_or(&d.claim) == name
                    })
                })
                .map(|d| d.label.clone())
                .unwrap_or_else(|| humanize(name))
        };
        let mut names: Vec<&String> = claims.keys().collect();
        if let Some(k) = contract {
            let pos = |n: &str| {
                k.display
                    .claims
                    .iter()
                    .position(|d| d.claim.strip_prefix("vc.credentialSubject.") == Some(n))
                    .unwrap_or(usize::MAX)
            };
            names.sort_by_key(|n| pos(n.as_str()));
        }
        for name in names {
            let v = &claims[name];
            let value = match photo_data_url(v) {
                Some(src) => format!(
                    "<img class=\"claim-photo\" src=\"{src}\" alt=\"{}\" width=\"96\" height=\"120\">",
                    esc(&label(name))
                ),
                None => esc(&claim_text(v)),
            };
            let _ = write!(self.body, "<div><dt>{}</dt><dd>{value}</dd></div>", esc(&label(name)));
        }
    }

    fn banner(&mut self, msg: Option<&str>) {
        if let Some(m) = msg.filter(|m| !m.trim().is_empty()) {
            let _ = write!(self.body, "<p class=\"banner\" role=\"status\">{}</p>", esc(m));
        }
    }

    /// A form of hidden fields only, submitted by a button elsewhere (`form="{id}"`).
    fn hidden_form(&mut self, id: &str, method: &str, action: &str, fields: &[(&str, &str)]) {
        let _ = write!(
            self.body,
            "<form id=\"{id}\" method=\"{method}\" action=\"{}\">",
            self.url(action)
        );
        for (k, v) in fields {
            let _ = write!(self.body, "<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v));
        }
        self.body.push_str("</form>");
    }

    /// The bar at the bottom of a request screen, as Authenticator has it: the way out on the
    /// left, the way on at the right; each button submits the form named.
    fn actions(&mut self, back: (&str, &str), on: (&str, &str), on_attrs: &str) {
        let _ = write!(
            self.body,
            "<div class=\"actions\"><button type=\"submit\" form=\"{}\" class=\"btn secondary\">{}</button>\
<button type=\"submit\" form=\"{}\" class=\"btn\"{on_attrs}>{}</button></div>",
            back.0, back.1, on.0, on.1
        );
    }

    /// A POST form with hidden fields and one submit button.
    fn post(&mut self, action: &str, fields: &[(&str, &str)], label: &str, class: &str) {
        let _ = write!(self.body, "<form method=\"post\" action=\"{}\">", self.url(action));
        for (k, v) in fields {
            let _ = write!(self.body, "<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v));
        }
        let _ = write!(
            self.body,
            "<button type=\"submit\" class=\"btn {class}\">{label}</button></form>"
        );
    }
}

/// What the page shows, most urgent first.
enum Screen {
    Issuance(StoredRequest),
    Presentation(StoredRequest),
    FaceCheck(StoredRequest),
    Result(Outcome),
    Wallet,
}

fn screen(state: &AppState, a: &PageArgs<'_>) -> Screen {
    let get = |kind| {
        pending_request(state, a.id, None, kind).ok().and_then(|rid| state.requests().get(&rid))
    };
    if let Some(r) = get(RequestKind::Issuance) {
        return Screen::Issuance(r);
    }
    if let Some(r) = get(RequestKind::Presentation) {
        return if a.face_check { Screen::FaceCheck(r) } else { Screen::Presentation(r) };
    }
    match a.result {
        Some(o) => Screen::Result(o),
        None => Screen::Wallet,
    }
}

/// The phone page for `a`.
pub(super) fn render(state: &AppState, a: &PageArgs<'_>) -> Rendered {
    let mut p = Page::new(state, a.base, a.id);
    let (title, name, refresh, wait_ms) = match screen(state, a) {
        Screen::Issuance(r) => match &r.spec {
            RequestSpec::Issuance(spec) => {
                issuance(&mut p, &r, spec, a.msg);
                ("Add to Authenticator", "issuance", false, 0)
            }
            RequestSpec::Presentation(_) => ("Verified IDs", "wallet", true, 0),
        },
        Screen::Presentation(r) => match &r.spec {
            RequestSpec::Presentation(spec) => {
                presentation(&mut p, &r, spec, a.msg);
                ("Verification request", "presentation", false, 0)
            }
            RequestSpec::Issuance(_) => ("Verified IDs", "wallet", true, 0),
        },
        Screen::FaceCheck(r) => match &r.spec {
            RequestSpec::Presentation(spec) => {
                face_check(&mut p, &r, spec, a.msg);
                ("Face Check", "face-check", false, 0)
            }
            RequestSpec::Issuance(_) => ("Verified IDs", "wallet", true, 0),
        },
        Screen::Result(o) => {
            result(&mut p, o, a.msg, a.card);
            (o.title(), "result", false, 6000)
        }
        Screen::Wallet => {
            wallet(&mut p, a.msg);
            ("Verified IDs", "wallet", true, 0)
        }
    };
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let mut css = String::from(STYLE);
    for (i, (bg, fg)) in p.colours.iter().enumerate() {
        let _ = write!(css, ".k{i}{{background-color:{bg};color:{fg}}}");
    }
    let refresh = if refresh {
        "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>"
    } else {
        ""
    };
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"color-scheme\" content=\"light\"><link rel=\"icon\" href=\"data:,\">{refresh}\
<title>{title} – Authenticator (simulated) – {id}</title><style nonce=\"{nonce}\">{css}</style></head>\
<body data-screen=\"{name}\" data-v=\"{v}\" data-state=\"{state_url}\" data-home=\"{home}\" data-wait=\"{wait_ms}\">\
<div class=\"phone\"><header class=\"bar\"><span class=\"app\">Authenticator</span>\
<span class=\"tag\">Simulated</span><span class=\"who\">Phone {id}</span></header>\
<main id=\"main\">{body}</main></div><script nonce=\"{nonce}\">{SCRIPT}</script></body></html>",
        id = p.id,
        v = version(state, a.id),
        state_url = p.url("/state"),
        home = p.url(""),
        body = p.body,
    );
    Rendered { html, nonce }
}

fn wallet(p: &mut Page<'_>, msg: Option<&str>) {
    p.body.push_str("<h1>Verified IDs</h1>");
    p.banner(msg);
    let in_view = p.state.phones().viewfinder(p.raw_id);
    if let Some(url) = &in_view {
        // The kiosk beside the phone shows a code: scanning it is the next step.
        let what = if url.starts_with("openid-vc:") {
            "A Verified ID request is on the kiosk's screen."
        } else {
            "The kiosk's screen shows a link to continue on this phone."
        };
        let _ = write!(
            p.body,
            "<section class=\"panel seen\" aria-labelledby=\"seen-h\"><div class=\"seen-head\">{ICON_QR}\
<h2 id=\"seen-h\">QR code in view at the kiosk</h2></div><p>{what}</p>"
        );
        if url.starts_with("openid-vc:") {
            // An issuance opens on the "Add to Authenticator" screen rather than at once.
            p.post("/open", &[("url", url.as_str()), ("accept", "false")], "Scan", "");
        } else {
            let _ = write!(p.body, "<a class=\"btn\" href=\"{}\">Scan</a>", esc(url));
        }
        p.body.push_str("</section>");
    }
    let creds = p.state.phones().credentials(p.raw_id);
    if creds.is_empty() {
        let _ = write!(
            p.body,
            "<section class=\"empty\" aria-labelledby=\"empty-h\">{ICON_WALLET}<h2 id=\"empty-h\">No Verified IDs yet</h2>\
<p>Scan the kiosk's QR code to get started: the kiosk shows one when you choose to prove who \
you are with your phone, and your verified identity is added here.</p></section>"
        );
    } else {
        p.body.push_str("<ul class=\"cards\" aria-label=\"Your credentials\">");
        // Newest first, as Authenticator lists them.
        for (i, c) in creds.iter().rev().enumerate() {
            p.body.push_str("<li>");
            p.card(c, 2, &i.to_string());
            let title = card_title(p.state, c);
            p.details(c, &title);
            p.body.push_str("</li>");
        }
        p.body.push_str("</ul>");
    }
    let scan_class = if in_view.is_some() { "btn secondary" } else { "btn" };
    let _ = write!(
        p.body,
        "<details class=\"sheet\"><summary class=\"{scan_class}\">{ICON_QR} Scan a QR code</summary>\
<div class=\"sheet-body\"><div class=\"scanner\" aria-hidden=\"true\"><span class=\"c tl\"></span>\
<span class=\"c tr\"></span><span class=\"c bl\"></span><span class=\"c br\"></span><span class=\"laser\"></span></div>\
<p class=\"help\">This simulated phone has no camera: paste the link the QR code holds \
(<code>openid-vc://…</code> or a web address).</p>\
<form method=\"post\" action=\"{}\"><label for=\"url\">Link from the QR code</label>\
<input id=\"url\" type=\"text\" name=\"url\" inputmode=\"url\" autocomplete=\"off\" spellcheck=\"false\" \
placeholder=\"openid-vc://?request_uri=…\" required><input type=\"hidden\" name=\"accept\" value=\"false\">\
<button type=\"submit\" class=\"btn\">Open</button></form></div></details>",
        p.url("/open")
    );
}

fn issuance(p: &mut Page<'_>, r: &StoredRequest, spec: &IssuanceSpec, msg: Option<&str>) {
    let state = p.state;
    let contract = state.fixture().contract(&spec.credential.contract_id);
    let _ = write!(
        p.body,
        "<p class=\"eyebrow\">Credential offer</p><h1>{} offers you a credential</h1>",
        esc(&spec.client_name)
    );
    p.banner(msg);
    // The card as it will be in the wallet.
    let preview = HeldCredential {
        id: String::new(),
        issuer: spec.authority.clone(),
        types: spec.credential.types.clone(),
        claims: spec.credential.claims.clone(),
        issuance_date: crate::clock::rfc3339(p.state.clock().now()),
        expiration_date: String::new(),
        revoked: false,
    };
    p.card(&preview, 2, "offer");
    let (consent_title, instructions) = contract
        .map(|k| (k.display.consent.title.clone(), k.display.consent.instructions.clone()))
        .unwrap_or_default();
    let consent_title = if consent_title.trim().is_empty() {
        "Add this credential?".to_owned()
    } else {
        consent_title
    };
    let _ = write!(
        p.body,
        "<section class=\"panel\" aria-labelledby=\"consent-h\"><h2 id=\"consent-h\">{}</h2>",
        esc(&consent_title)
    );
    if !instructions.trim().is_empty() {
        let _ = write!(p.body, "<p>{}</p>", esc(&instructions));
    }
    p.body.push_str("<details class=\"vc-details inline\"><summary>What it holds</summary><dl>");
    p.claims(&spec.credential.claims, contract);
    let _ = write!(
        p.body,
        "<div><dt>Credential type</dt><dd>{}</dd></div><div><dt>Issuer</dt><dd>{}</dd></div></dl></details></section>",
        esc(&spec.credential.types.join(", ")),
        esc(&spec.authority)
    );
    let _ = write!(
        p.body,
        "<form id=\"accept-form\" method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"requestId\" value=\"{}\">",
        p.url("/accept"),
        esc(&r.id)
    );
    if let Some(pin) = &spec.pin {
        let _ = write!(
            p.body,
            "<div class=\"field\"><label for=\"pin\">PIN</label>\
<p class=\"help\" id=\"pin-help\">Enter the PIN the issuer shows you ({len} digits).</p>\
<input id=\"pin\" class=\"pin\" type=\"text\" name=\"pin\" inputmode=\"numeric\" pattern=\"[0-9]*\" \
maxlength=\"{len}\" autocomplete=\"one-time-code\" aria-describedby=\"pin-help\" required></div>",
            len = pin.length
        );
    }
    p.body.push_str("</form>");
    p.hidden_form("decline-form", "post", "/decline", &[("requestId", r.id.as_str())]);
    expiry_note(p, r);
    p.actions(("decline-form", "Cancel"), ("accept-form", "Add"), "");
}

fn expiry_note(p: &mut Page<'_>, r: &StoredRequest) {
    let left = r.expiry - p.state.clock().now_unix();
    if left > 0 {
        let minutes = (left + 59) / 60;
        let unit = if minutes == 1 { "minute" } else { "minutes" };
        let _ = write!(
            p.body,
            "<p class=\"help center\">This request expires in {minutes} {unit}.</p>"
        );
    }
}

/// The Face Check requested with the first credential that asks for one.
fn face_check_spec(spec: &PresentationSpec) -> Option<(usize, u8, &str)> {
    spec.credentials.iter().enumerate().find_map(|(i, rc)| {
        rc.face_check.as_ref().map(|f| (i, f.threshold, f.source_photo_claim_name.as_str()))
    })
}

fn presentation(p: &mut Page<'_>, r: &StoredRequest, spec: &PresentationSpec, msg: Option<&str>) {
    let verifier = &spec.client_name;
    let _ = write!(
        p.body,
        "<p class=\"eyebrow\">Verification request</p><div class=\"verifier\">\
<span class=\"logo big\" aria-hidden=\"true\">{}</span><div><h1><span class=\"vname\">{}</span> \
<span class=\"vverb\">is requesting your Verified ID</span></h1><p class=\"domain\">Verifier {}</p></div></div>",
        esc(&initial(verifier)),
        esc(verifier),
        esc(&did_host(&spec.authority)),
    );
    p.banner(msg);
    let purpose = spec.purpose.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let _ = write!(
        p.body,
        "<section class=\"panel purpose\" aria-labelledby=\"purpose-h\"><h2 id=\"purpose-h\">Purpose</h2>\
<p class=\"ptext\">{}</p><p class=\"help\">Only share if this is what you are doing right now. \
If it is not, decline: someone may be trying to use your ID somewhere else.</p></section>",
        esc(purpose.unwrap_or("The verifier gave no purpose."))
    );
    let mut held = p.state.phones().credentials(p.raw_id);
    held.reverse();
    let picks = offered(p.state, spec, &held);
    p.body.push_str(
        "<section class=\"share\" aria-labelledby=\"share-h\"><h2 id=\"share-h\">Credential to share</h2>",
    );
    for (i, (rc, pick)) in spec.credentials.iter().zip(&picks).enumerate() {
        match pick {
            Some(c) => p.card_sized(c, 3, &format!("share-{i}"), "compact"),
            None => {
                let wanted = contract_for_type(p.state, rc)
                    .map(|k| k.display.card.title.clone())
                    .unwrap_or_else(|| humanize(&rc.credential_type));
                let _ = write!(
                    p.body,
                    "<div class=\"panel missing\"><h3>You have no {} this verifier accepts</h3>\
<p>Sharing will fail. Get the credential from an accepted issuer first.</p></div>",
                    esc(&wanted)
                );
            }
        }
    }
    p.body.push_str("</section>");
    let fc = face_check_spec(spec);
    if let Some((_, threshold, _)) = fc {
        let _ = write!(
            p.body,
            "<section class=\"panel fc-note\" aria-labelledby=\"fc-h\"><div class=\"seen-head\">{ICON_FACE}\
<h2 id=\"fc-h\">Face Check required</h2></div><p>You will take a selfie to compare with the photo on \
this credential; {} gets the match score (it passes at {threshold}% or more), not your selfie.</p></section>",
            esc(verifier)
        );
    }
    let face_check_with = fc.and_then(|(i, _, _)| picks.get(i).copied().flatten());
    match face_check_with {
        Some(_) => p.hidden_form("share-form", "get", "", &[("step", "face-check")]),
        None => p.hidden_form(
            "share-form",
            "post",
            "/present",
            &[("requestId", r.id.as_str()), ("score", "90")],
        ),
    }
    p.hidden_form("decline-form", "post", "/decline", &[("requestId", r.id.as_str())]);
    expiry_note(p, r);
    p.actions(("decline-form", "Decline"), ("share-form", "Share"), "");
}

fn face_check(p: &mut Page<'_>, r: &StoredRequest, spec: &PresentationSpec, msg: Option<&str>) {
    let mut held = p.state.phones().credentials(p.raw_id);
    held.reverse();
    let picks = offered(p.state, spec, &held);
    let fc = face_check_spec(spec);
    let (threshold, photo_claim) = fc.map(|(_, t, c)| (t, c)).unwrap_or((70, "portrait"));
    let with = fc.and_then(|(i, _, _)| picks.get(i).copied().flatten());
    let _ = write!(
        p.body,
        "<p class=\"eyebrow\">Face Check</p><h1>Take a selfie</h1><p>Look at the camera and hold still. \
{} gets a match score, not your selfie.</p>",
        esc(&spec.client_name)
    );
    p.banner(msg);
    let cid = with.map(|c| c.id.as_str()).unwrap_or("");
    let cid_q: String = url::form_urlencoded::byte_serialize(cid.as_bytes()).collect();
    // Relative to the page (`…/p/{id}`), so the page names no absolute address for its images.
    let _ = write!(
        p.body,
        "<div class=\"camera\" id=\"camera\"><img src=\"{}/selfie.png?credential={}\" \
alt=\"Selfie from the phone's camera (synthetic)\" width=\"240\" height=\"320\">\
<span class=\"sweep\" aria-hidden=\"true\"></span></div>\
<p class=\"status\" id=\"fc-status\" role=\"status\" aria-live=\"polite\">Hold still… checking liveness</p>",
        esc(&url::form_urlencoded::byte_serialize(p.raw_id.as_bytes()).collect::<String>()),
        esc(&cid_q),
    );
    let _ = write!(
        p.body,
        "<form id=\"present-form\" method=\"post\" action=\"{}\" data-after-liveness><input type=\"hidden\" name=\"requestId\" value=\"{}\">\
<fieldset class=\"panel demo\"><legend>Demo: the match Face Check reports</legend>",
        p.url("/present"),
        esc(&r.id)
    );
    if let Some(src) = with.and_then(|c| c.claims.get(photo_claim)).and_then(photo_data_url) {
        let _ = write!(
            p.body,
            "<div class=\"compare\"><img src=\"{src}\" alt=\"The photo on your credential\" width=\"56\" height=\"70\">\
<p>Your selfie is compared with the photo on your credential.</p></div>"
        );
    }
    let _ = write!(
        p.body,
        "<div class=\"score-row\"><label for=\"score\">Match score</label><output id=\"score-out\" for=\"score\">90%</output></div>\
<input type=\"range\" id=\"score\" name=\"score\" min=\"0\" max=\"100\" step=\"1\" value=\"90\" \
data-threshold=\"{threshold}\" aria-describedby=\"verdict\">\
<p class=\"verdict pass\" id=\"verdict\">Passes Face Check (needs {threshold}% or more)</p>\
<div class=\"quick\"><button type=\"button\" class=\"btn secondary\" data-score=\"95\">Match</button>\
<button type=\"button\" class=\"btn secondary\" data-score=\"35\">No match</button></div></fieldset></form>"
    );
    p.hidden_form("decline-form", "post", "/decline", &[("requestId", r.id.as_str())]);
    p.actions(
        ("decline-form", "Cancel"),
        ("present-form", "Finish and share"),
        " data-after-liveness",
    );
}

fn result(p: &mut Page<'_>, o: Outcome, msg: Option<&str>, card: Option<&str>) {
    let icon = if o.good() { ICON_OK } else { ICON_NO };
    let _ = write!(p.body, "<div class=\"result\">{icon}<h1>{}</h1>", o.title());
    if let Some(m) = msg.filter(|m| !m.trim().is_empty()) {
        let _ = write!(p.body, "<p class=\"lede\" role=\"status\">{}</p>", esc(m));
    }
    p.body.push_str("</div>");
    if o == Outcome::Added
        && let Some(c) = p.state.phones().credentials(p.raw_id).last().cloned()
    {
        p.card(&c, 2, "added");
        let title = card_title(p.state, &c);
        p.details(&c, &title);
    }
    if o == Outcome::Shared
        && let Some(c) = card
            .and_then(|id| p.state.phones().credentials(p.raw_id).into_iter().find(|c| c.id == id))
    {
        p.body.push_str("<h2 class=\"center\">What you shared</h2>");
        p.card(&c, 3, "shared");
    }
    let _ = write!(p.body, "<a class=\"btn\" href=\"{}\">Done</a>", p.url(""));
}

const STYLE: &str = r#"
:root{--brand:#005FB8;--brand-dark:#003E7A;--ink:#1B1B1F;--muted:#50545B;--bg:#F3F4F6;--line:#D5D9DF;--ok:#0E7A0D;--bad:#B3261E}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",sans-serif;color:var(--ink);background:var(--bg)}
[hidden]{display:none!important}
.phone{min-height:100vh;display:flex;flex-direction:column;background:var(--bg)}
.bar{position:sticky;top:0;z-index:2;display:flex;align-items:center;gap:8px;padding:12px 16px;background:#fff;border-bottom:1px solid var(--line)}
.bar .app{font-weight:700;font-size:1.05rem}
.tag{font-size:.75rem;font-weight:600;padding:2px 8px;border-radius:999px;background:#E3ECF7;color:#123E6B}
.who{margin-left:auto;color:var(--muted);font-size:.8rem;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;min-width:0}
main{flex:1;padding:12px 16px 28px;max-width:100%}
h1{font-size:1.55rem;line-height:1.25;margin:6px 0 14px;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:0 0 8px}
h3{font-size:1rem;margin:12px 0 6px}
p{margin:0 0 10px}
.eyebrow{margin:8px 0 0;font-size:.8rem;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
.lede{font-size:1.05rem}
.help{color:var(--muted);font-size:.9rem}
.center{text-align:center;margin-top:12px}
code{font-size:.85em;overflow-wrap:anywhere}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.icon{width:28px;height:28px;flex:none}
.btn{display:flex;align-items:center;justify-content:center;gap:8px;width:100%;min-height:50px;padding:12px 16px;margin:12px 0 0;border:2px solid var(--brand);border-radius:12px;background:var(--brand);color:#fff;font:inherit;font-size:1.05rem;font-weight:600;text-decoration:none;text-align:center;cursor:pointer}
.btn:hover{background:var(--brand-dark);border-color:var(--brand-dark)}
.btn.secondary{background:#fff;color:var(--brand)}
.btn.secondary:hover{background:#EAF1FA}
.btn .icon{width:22px;height:22px}
form{margin:0}
:focus-visible{outline:3px solid var(--ink);outline-offset:3px}
.btn:focus-visible{outline:3px solid var(--ink);outline-offset:3px;box-shadow:0 0 0 2px #fff inset}
.banner{background:#FFF4CE;border:1px solid #E0C060;border-radius:10px;padding:10px 12px;overflow-wrap:anywhere}
.panel{background:#fff;border:1px solid var(--line);border-radius:14px;padding:16px;margin:14px 0}
.seen{border:2px solid var(--brand);background:#F5F9FE}
.seen-head{display:flex;align-items:center;gap:10px;margin-bottom:6px;color:var(--brand)}
.seen-head h2{margin:0;color:var(--ink)}
.empty{text-align:center;padding:24px 12px}
.empty-icon{width:96px;height:96px}
.cards{list-style:none;margin:0;padding:0}
.cards li{margin:0 0 16px}
.vc{position:relative;overflow:hidden;border-radius:16px;padding:16px;min-height:176px;display:flex;flex-direction:column;box-shadow:0 8px 18px rgba(0,0,0,.18);margin:12px 0 0}
.vc::after{content:"";position:absolute;right:-48px;bottom:-72px;width:210px;height:210px;border-radius:50%;background:rgba(255,255,255,.09);pointer-events:none}
.vc-top{display:flex;align-items:center;gap:10px;min-width:0}
.logo{flex:none;display:inline-grid;place-items:center;width:40px;height:40px;border-radius:50%;border:2px solid currentColor;font-weight:700;font-size:1.1rem}
.logo.big{width:52px;height:52px;font-size:1.4rem;background:var(--brand);color:#fff;border-color:var(--brand)}
.vc-issuer{font-weight:600;overflow-wrap:anywhere}
.vc-title{font-size:1.35rem;line-height:1.2;margin:auto 0 4px;padding-top:26px;overflow-wrap:anywhere}
.vc-holder{margin:0;font-weight:600;overflow-wrap:anywhere}
.vc-meta{margin:0;font-size:.9rem}
.vc.inactive{filter:grayscale(1)}
.badge{position:absolute;top:14px;right:14px;margin:0;padding:3px 10px;border-radius:999px;background:#fff;color:#A4000F;font-weight:700;font-size:.85rem;z-index:1}
.vc-details{background:#fff;border:1px solid var(--line);border-top:0;border-radius:0 0 14px 14px;margin:-10px 6px 0;padding:14px 12px 6px}
.vc-details summary,.sheet summary{cursor:pointer}
.vc-details summary{min-height:44px;display:flex;align-items:center;font-weight:600;color:var(--brand)}
dl{margin:6px 0 8px}
dl div{display:flex;justify-content:space-between;gap:12px;padding:6px 0;border-top:1px solid #ECEEF1}
dt{color:var(--muted);flex:none;max-width:45%}
dd{margin:0;text-align:right;overflow-wrap:anywhere;min-width:0}
.claim-photo{border-radius:8px;object-fit:cover;display:block;margin-left:auto}
.sheet{margin:18px 0 0}
.sheet summary{list-style:none}
.sheet summary::-webkit-details-marker{display:none}
.sheet[open] summary{border-radius:12px 12px 0 0}
.sheet-body{background:#fff;border:1px solid var(--line);border-top:0;border-radius:0 0 14px 14px;padding:16px}
.scanner{position:relative;width:180px;height:180px;margin:0 auto 14px;border-radius:18px;background:#1F2328;overflow:hidden}
.scanner .c{position:absolute;width:34px;height:34px;border:4px solid #fff}
.scanner .tl{top:18px;left:18px;border-right:0;border-bottom:0;border-radius:8px 0 0 0}
.scanner .tr{top:18px;right:18px;border-left:0;border-bottom:0;border-radius:0 8px 0 0}
.scanner .bl{bottom:18px;left:18px;border-right:0;border-top:0;border-radius:0 0 0 8px}
.scanner .br{bottom:18px;right:18px;border-left:0;border-top:0;border-radius:0 0 8px 0}
.laser{position:absolute;left:22px;right:22px;top:50%;height:2px;background:#FF5A5F;box-shadow:0 0 8px #FF5A5F;animation:laser 2.4s ease-in-out infinite alternate}
@keyframes laser{from{top:26%}to{top:74%}}
label{display:block;font-weight:600;margin:8px 0 4px}
input[type=text]{width:100%;min-height:48px;padding:10px 12px;font:inherit;border:2px solid #6B7078;border-radius:10px;background:#fff;color:var(--ink)}
input.pin{font-size:1.6rem;letter-spacing:.5em;text-align:center;font-variant-numeric:tabular-nums}
.field{margin:14px 0 0}
.verifier{display:flex;gap:12px;align-items:flex-start;margin-top:10px}
.verifier h1{margin:0 0 2px}
.vname{display:block}
.vverb{display:block;font-size:1.05rem;font-weight:500;color:var(--muted)}
.domain{font-size:.9rem;color:var(--muted);margin:4px 0 0;overflow-wrap:anywhere}
.purpose{border-left:6px solid #B35C00;background:#FFF8EE}
.purpose h2{font-size:.8rem;letter-spacing:.06em;text-transform:uppercase;color:#7A3E00;margin-bottom:4px}
.ptext{font-size:1.25rem;font-weight:700;line-height:1.3;overflow-wrap:anywhere}
.share{margin:18px 0 0}
.share h2{margin-bottom:0}
.missing{border-color:var(--bad)}
.fc-note .icon{color:var(--brand)}
.camera{position:relative;width:156px;height:208px;margin:8px auto 12px;border-radius:50%/42%;overflow:hidden;background:#2A2E33;box-shadow:0 0 0 5px #fff,0 0 0 9px #9AA3AD}
.camera img{display:block;width:100%;height:100%;object-fit:cover}
.camera .sweep{position:absolute;left:0;right:0;top:-35%;height:35%;background:linear-gradient(rgba(255,255,255,0),rgba(120,190,255,.55),rgba(255,255,255,0));opacity:0}
.camera.scanning{box-shadow:0 0 0 5px #fff,0 0 0 9px var(--brand);animation:pulse 1.1s ease-in-out infinite}
.camera.scanning .sweep{opacity:1;animation:sweep 1.3s linear infinite}
.camera.done{box-shadow:0 0 0 5px #fff,0 0 0 9px var(--ok)}
@keyframes sweep{to{top:100%}}
@keyframes pulse{50%{box-shadow:0 0 0 5px #fff,0 0 0 14px var(--brand)}}
.status{text-align:center;font-weight:600;min-height:1.5em}
fieldset.demo{margin:12px 0 0;min-width:0}
legend{float:left;width:100%;padding:0;margin:0 0 8px;font-weight:700}
legend+*{clear:both}
.compare{display:flex;align-items:center;gap:12px;margin:4px 0 8px}
.compare img{border-radius:10px;object-fit:cover;flex:none;border:2px solid var(--line)}
.compare p{margin:0;color:var(--muted);font-size:.9rem}
.score-row{display:flex;justify-content:space-between;align-items:baseline}
.score-row label{margin:8px 0 0}
output{font-size:1.4rem;font-weight:700;font-variant-numeric:tabular-nums}
input[type=range]{width:100%;height:44px;accent-color:var(--brand);margin:0}
.verdict{font-weight:700;margin:4px 0 0}
.verdict.pass{color:var(--ok)}
.verdict.fail{color:var(--bad)}
.quick{display:flex;gap:10px}
.quick .btn{margin-top:10px}
.result{text-align:center;padding:28px 0 8px}
.big-icon{width:88px;height:88px}
.result h1{font-size:1.8rem;margin:12px 0 8px}
.actions{position:sticky;bottom:0;z-index:2;display:flex;gap:10px;margin:16px -16px -28px;padding:12px 16px 16px;background:rgba(243,244,246,.97);border-top:1px solid var(--line)}
.actions .btn{margin:0;flex:1 1 0;min-width:0;padding:12px 10px}
.actions .btn:last-child{flex-grow:1.4}
.vc.compact{min-height:0}
.vc.compact .vc-title{padding-top:14px}
.vc-details.inline{border:0;border-top:1px solid var(--line);border-radius:0;margin:12px 0 0;padding:4px 0 0}
@media (prefers-reduced-motion:reduce){*,*::before,*::after{animation:none!important;transition:none!important}}
@media (min-width:600px){
body{min-height:100vh;display:flex;align-items:center;justify-content:center;padding:32px 16px;background:#1D232B radial-gradient(circle at 30% 20%,#34404F,#1D232B 60%)}
.phone{width:390px;height:844px;max-height:calc(100vh - 64px);min-height:0;border:12px solid #0B0C0E;border-radius:46px;overflow:hidden auto;box-shadow:0 30px 60px rgba(0,0,0,.45),0 0 0 2px #3A3F47}
.bar{padding-top:18px}
}
"#;

const SCRIPT: &str = r#"(function(){
var b=document.body,d=b.dataset;
var reduce=window.matchMedia&&window.matchMedia('(prefers-reduced-motion: reduce)').matches;
var st=document.getElementById('fc-status');
if(st){
  var cam=document.getElementById('camera');
  var later=document.querySelectorAll('[data-after-liveness]');
  var done=function(){cam.classList.remove('scanning');cam.classList.add('done');
    later.forEach(function(e){e.hidden=false;});
    st.textContent='Liveness confirmed. Choose the match this demo reports, then finish.';};
  if(reduce){done();}else{
    later.forEach(function(e){e.hidden=true;});cam.classList.add('scanning');
    setTimeout(function(){st.textContent='Turn your head slightly… checking liveness';},1300);
    setTimeout(done,2800);
  }
}
var r=document.getElementById('score');
if(r){
  var out=document.getElementById('score-out'),ver=document.getElementById('verdict'),t=+r.dataset.threshold;
  var upd=function(){out.value=r.value+'%';var pass=+r.value>=t;
    ver.textContent=(pass?'Passes':'Fails')+' Face Check (needs '+t+'% or more)';
    ver.className='verdict '+(pass?'pass':'fail');};
  r.addEventListener('input',upd);
  document.querySelectorAll('[data-score]').forEach(function(x){
    x.addEventListener('click',function(){r.value=x.dataset.score;upd();});});
  upd();
}
if(!d.state||!window.fetch)return;
var busy=function(){var a=document.activeElement;
  return !!document.querySelector('details[open]')||!!(a&&(a.tagName==='INPUT'||a.tagName==='TEXTAREA'));};
var tick=function(){
  if(busy()){setTimeout(tick,1500);return;}
  fetch(d.state,{cache:'no-store'}).then(function(x){return x.ok?x.json():null;}).then(function(j){
    if(j&&j.v!==d.v){location.replace(d.home);}else{setTimeout(tick,1500);}
  },function(){setTimeout(tick,3000);});
};
setTimeout(tick,(+d.wait||0)+1500);
})();"#;
