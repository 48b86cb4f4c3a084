//! Mail (`microsoft-apis-v2.md` §3.2): `POST /users/{sender}/sendMail` with a JSON
//! `microsoft.graph.message`; 202 Accepted with an empty body ("accepted for processing", not
//! delivered). Addresses, names and the text are personal data: redacted in `Debug`.

use reqwest::Method;
use serde::Serialize;

use super::{GraphClient, segment};
use crate::error::EntraError;
use crate::http::{Call, json_body};
use crate::secret::Personal;

/// `body.contentType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BodyType {
    /// Plain text.
    Text,
    /// HTML.
    #[serde(rename = "HTML")]
    Html,
}

/// `microsoft.graph.itemBody`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    /// `Text` or `HTML`.
    pub content_type: BodyType,
    /// The text.
    pub content: Personal,
}

/// `microsoft.graph.emailAddress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailAddress {
    /// `address`.
    pub address: Personal,
    /// `name` (optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Personal>,
}

/// `microsoft.graph.recipient`: `{"emailAddress": {"address", "name"?}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    /// The address.
    pub email_address: EmailAddress,
}

impl Recipient {
    /// A recipient by address alone.
    pub fn address(address: impl Into<String>) -> Self {
        Self { email_address: EmailAddress { address: Personal::new(address), name: None } }
    }
}

/// `microsoft.graph.internetMessageHeader` (custom headers must be named `x-…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InternetMessageHeader {
    /// `x-…`.
    pub name: String,
    /// Value (no personal data: a reference, a correlation id).
    pub value: String,
}

/// `importance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Importance {
    /// `low`.
    Low,
    /// `normal`.
    Normal,
    /// `high`.
    High,
}

/// The `microsoft.graph.message` fields a notice needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// `subject`.
    pub subject: Personal,
    /// `body`.
    pub body: ItemBody,
    /// `toRecipients`.
    pub to_recipients: Vec<Recipient>,
    /// `ccRecipients`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc_recipients: Vec<Recipient>,
    /// `internetMessageHeaders`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub internet_message_headers: Vec<InternetMessageHeader>,
    /// `importance`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub importance: Option<Importance>,
}

/// The `sendMail` body: `{"message": …, "saveToSentItems": bool}` (a real boolean, not the
/// documentation example's string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMail {
    /// The message.
    pub message: Message,
    /// Keep a copy in the sender's Sent Items (Graph's default: true).
    pub save_to_sent_items: bool,
}

impl GraphClient {
    /// `POST /v1.0/users/{sender}/sendMail` → 202 (accepted, not delivered). Sent once (a 401
    /// re-authentication excepted): a retry could send the message twice, so retrying is the
    /// caller's choice. Needs the application permission `Mail.Send`; Exchange answers a missing
    /// one with 403 `ErrorAccessDenied`.
    pub async fn send_mail(&self, sender: &str, mail: &SendMail) -> Result<(), EntraError> {
        const OP: &str = "graph.send_mail";
        let url = self.url(&format!("v1.0/users/{}/sendMail", segment(sender)))?;
        let call = Call {
            operation: OP,
            method: Method::POST,
            url,
            body: Some(json_body(OP, mail)?),
            expect: &[202, 200, 204],
            retry: false,
            eventual: false,
        };
        self.http.call(&call).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body has the document's shape (§3.2): `message` with `subject`, `body`,
    /// `toRecipients`, and `saveToSentItems` as a boolean.
    #[test]
    fn the_body_has_the_documented_shape() {
        let mail = SendMail {
            message: Message {
                subject: Personal::new("Your account was recovered"),
                body: ItemBody {
                    content_type: BodyType::Html,
                    content: Personal::new(
                        "<p>Hello Ana, your account was recovered at 12:00 UTC at kiosk K-01.</p>",
                    ),
                },
                to_recipients: vec![Recipient {
                    email_address: EmailAddress {
                        address: Personal::new("ana.lima@contoso.example"),
                        name: Some(Personal::new("Ana Lima")),
                    },
                }],
                cc_recipients: Vec::new(),
                internet_message_headers: vec![InternetMessageHeader {
                    name: "x-reclaim-correlation-id".into(),
                    value: "4f0c2a7e".into(),
                }],
                importance: Some(Importance::High),
            },
            save_to_sent_items: false,
        };
        let v = serde_json::to_value(&mail).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
              "message": {
                "subject": "Your account was recovered",
                "body": { "contentType": "HTML", "content": "<p>Hello Ana, your account was recovered at 12:00 UTC at kiosk K-01.</p>" },
                "toRecipients": [ { "emailAddress": { "address": "ana.lima@contoso.example", "name": "Ana Lima" } } ],
                "internetMessageHeaders": [ { "name": "x-reclaim-correlation-id", "value": "4f0c2a7e" } ],
                "importance": "high"
              },
              "saveToSentItems": false
            })
        );
        assert!(!format!("{mail:?}").contains("ana.lima"));
    }
}
