//! [`Phone`]: plays the person's phone (the emulator's Authenticator stand-in and the
//! provider's hosted pages) through the emulator's control API.

use serde_json::{Value, json};

use super::{DemoError, control_json};

/// One simulated phone.
#[derive(Debug, Clone)]
pub struct Phone {
    http: reqwest::Client,
    control: String,
    id: String,
}

impl Phone {
    pub(crate) fn new(http: reqwest::Client, control: &str, id: &str) -> Self {
        Self { http, control: control.trim_end_matches('/').to_owned(), id: id.to_owned() }
    }

    /// The phone's id (`demo-phone`).
    pub fn id(&self) -> &str {
        &self.id
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, DemoError> {
        let url = format!("{}/phones/{}/{path}", self.control, self.id);
        control_json(self.http.post(url).json(&body)).await
    }

    /// Scans a QR / follows a deep link: a presentation request is retrieved
    /// (`request_retrieved`); an issuance is accepted at once (`issuance_successful`).
    pub async fn open(&self, url: &str) -> Result<Value, DemoError> {
        self.post("open", json!({ "url": url })).await
    }

    /// Opens an issuance link and leaves it pending (accept later with [`accept_issuance`](Self::accept_issuance)).
    pub async fn open_without_accepting(&self, url: &str) -> Result<Value, DemoError> {
        self.post("open", json!({ "url": url, "accept": false })).await
    }

    /// Presents to the pending presentation with this Face Check score (verified at or above
    /// the threshold, `claimValidationError` below).
    pub async fn present(&self, score: f64) -> Result<Value, DemoError> {
        self.post("present", json!({ "score": score })).await
    }

    /// Presents with a score and a `sourcePhotoQuality` (`HIGH`, `MEDIUM`, `LOW`).
    pub async fn present_with_quality(
        &self,
        score: f64,
        quality: &str,
    ) -> Result<Value, DemoError> {
        self.post("present", json!({ "score": score, "photoQuality": quality })).await
    }

    /// Declines the pending request in Authenticator.
    pub async fn decline(&self) -> Result<Value, DemoError> {
        self.post("decline", json!({})).await
    }

    /// Lets the pending request expire: no callback ever.
    pub async fn ignore(&self) -> Result<Value, DemoError> {
        self.post("ignore", json!({})).await
    }

    /// Accepts a pending issuance ("Add to Authenticator").
    pub async fn accept_issuance(&self) -> Result<Value, DemoError> {
        self.post("accept", json!({})).await
    }

    /// Puts a credential on the phone directly (`{issuer, types, claims, …}`).
    pub async fn add_credential(&self, credential: Value) -> Result<Value, DemoError> {
        self.post("credentials", credential).await
    }

    /// Plays the provider's hosted flow for a persona: opens the kiosk's one-time link, scans the
    /// persona's test card and selfie, adds the credential to this phone, and follows the
    /// redirect back to the kiosk's return URL. Answers `{status, reason?, credentialId?, …}`.
    pub async fn complete_hosted_flow(
        &self,
        provider: &str,
        link: &str,
        persona: &str,
    ) -> Result<Value, DemoError> {
        let url = format!("{}/providers/{provider}/hosted/complete", self.control);
        let body = json!({ "link": link, "persona": persona, "phoneId": self.id });
        control_json(self.http.post(url).json(&body)).await
    }

    /// Link-only provider: plays the person through the provider's own onboarding page with the
    /// persona's document and adds the credential to this phone (nothing goes back to the
    /// kiosk). Answers `{status, reason?, credentialId?, requestId}`.
    pub async fn complete_onboarding(
        &self,
        provider: &str,
        persona: &str,
    ) -> Result<Value, DemoError> {
        let url = format!("{}/providers/{provider}/onboard/complete", self.control);
        let body = json!({ "persona": persona, "phoneId": self.id });
        control_json(self.http.post(url).json(&body)).await
    }

    /// Shows the phone's camera the code on the kiosk's screen (`None`: no code); the phone
    /// page then offers to scan it.
    pub async fn viewfinder(&self, url: Option<&str>) -> Result<Value, DemoError> {
        self.post("viewfinder", json!({ "url": url })).await
    }

    /// What the phone holds (`credentials`, `pendingRequestId`, …).
    pub async fn state(&self) -> Result<Value, DemoError> {
        control_json(self.http.get(format!("{}/phones/{}", self.control, self.id))).await
    }
}
