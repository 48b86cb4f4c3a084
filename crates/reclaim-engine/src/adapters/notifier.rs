//! [`GraphNotifier`]: after a recovery, the owner's notice through Microsoft Graph `sendMail`
//! from the site's mailbox (`microsoft-apis-v2.md` §3.2), to the user's `mail` (or UPN) and
//! `otherMails`, with the manager in copy when configured, and `revokeSignInSessions` (§3.1)
//! when configured. [`NoNotifier`]: nothing configured. Failures are logged by kind and Graph
//! status only; addresses, names and the text never reach a log.

use std::fmt::Write as _;

use reclaim_core::AdapterFailure;
use reclaim_core::notify::RecoveryNotice;
use reclaim_entra::Personal;
use reclaim_entra::graph::{
    BodyType, GraphClient, Importance, InternetMessageHeader, ItemBody, Message, Recipient,
    SendMail, UserContact,
};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use zeroize::Zeroizing;

use super::entra_failure;
use crate::ports::{BoxFuture, Notified, Notifier};
use crate::view::Locale;

/// Nothing is sent after a recovery (no `[recovery.notify]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn enabled(&self) -> bool {
        false
    }

    fn revokes_sessions(&self) -> bool {
        false
    }

    fn revoke_sessions<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<(), AdapterFailure>> {
        Box::pin(async { Err(AdapterFailure::Refused) })
    }

    fn notify<'a>(
        &'a self,
        _: &'a RecoveryNotice,
    ) -> BoxFuture<'a, Result<Notified, AdapterFailure>> {
        Box::pin(async { Err(AdapterFailure::Refused) })
    }
}

/// What a site's notices do (`[recovery.notify]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    /// The mailbox notices are sent from (its UPN or object id; the app needs `Mail.Send`,
    /// best restricted to this mailbox by an Exchange application access policy).
    pub from: String,
    /// Copy the user's manager (`GET /users/{id}/manager`).
    pub manager: bool,
    /// Revoke the user's sign-in sessions after a recovery (`User.RevokeSessions.All`).
    pub revoke_sessions: bool,
    /// The site's language: the notice is in English plus one sentence in it.
    pub locale: Locale,
}

/// Notices through Graph.
#[derive(Debug, Clone)]
pub struct GraphNotifier {
    graph: GraphClient,
    settings: NotifySettings,
}

impl GraphNotifier {
    /// Over the service's Graph client.
    pub fn new(graph: GraphClient, settings: NotifySettings) -> Self {
        Self { graph, settings }
    }

    async fn send(&self, notice: &RecoveryNotice) -> Result<Notified, AdapterFailure> {
        let user = self
            .graph
            .user_contact(&notice.user_id)
            .await
            .map_err(|e| entra_failure("graph.user_contact", &e))?
            .ok_or_else(|| {
                tracing::warn!("the recovered user is gone: no notice");
                AdapterFailure::Refused
            })?;
        let to = user.addresses();
        if to.is_empty() {
            tracing::warn!("the recovered user has no address to write to: no notice");
            return Err(AdapterFailure::Refused);
        }
        let mut cc: Vec<Personal> = Vec::new();
        let manager = if self.settings.manager {
            match self.graph.manager(&notice.user_id).await {
                Ok(m) => m,
                Err(e) => match entra_failure("graph.manager", &e) {
                    // A refusal (no permission to read it) must not cost the owner their notice.
                    AdapterFailure::Refused => None,
                    transient => return Err(transient),
                },
            }
        } else {
            None
        };
        if let Some(m) = manager {
            // The manager's work address only: their private ones are none of this.
            let primary = m.mail.as_ref().or(m.user_principal_name.as_ref());
            if let Some(a) = primary.filter(|a| {
                a.expose().contains('@')
                    && !to.iter().any(|t| t.expose().eq_ignore_ascii_case(a.expose()))
            }) {
                cc.push(a.clone());
            }
        }
        let (subject, body) = compose(&user, notice, self.settings.locale);
        let recipients = u32::try_from(to.len() + cc.len()).unwrap_or(u32::MAX);
        let manager = !cc.is_empty();
        let mail = SendMail {
            message: Message {
                subject,
                body: ItemBody { content_type: BodyType::Text, content: body },
                to_recipients: to.into_iter().map(|a| Recipient::address(a.expose())).collect(),
                cc_recipients: cc.into_iter().map(|a| Recipient::address(a.expose())).collect(),
                internet_message_headers: vec![InternetMessageHeader {
                    name: "x-reclaim-reference".into(),
                    value: notice.reference.clone(),
                }],
                importance: Some(Importance::High),
            },
            // The audit log records the notice; no copy of the text in the desk's mailbox.
            save_to_sent_items: false,
        };
        self.graph
            .send_mail(&self.settings.from, &mail)
            .await
            .map_err(|e| entra_failure("graph.send_mail", &e))?;
        Ok(Notified { recipients, manager })
    }
}

impl Notifier for GraphNotifier {
    fn enabled(&self) -> bool {
        true
    }

    fn revokes_sessions(&self) -> bool {
        self.settings.revoke_sessions
    }

    fn revoke_sessions<'a>(
        &'a self,
        user_id: &'a str,
    ) -> BoxFuture<'a, Result<(), AdapterFailure>> {
        Box::pin(async move {
            self.graph
                .revoke_sign_in_sessions(user_id)
                .await
                .map_err(|e| entra_failure("graph.revoke_sign_in_sessions", &e))
        })
    }

    fn notify<'a>(
        &'a self,
        notice: &'a RecoveryNotice,
    ) -> BoxFuture<'a, Result<Notified, AdapterFailure>> {
        Box::pin(self.send(notice))
    }
}

const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");
const TIME: &[BorrowedFormatItem<'static>] = format_description!("[hour]:[minute]");

/// The notice's subject and plain-text body: the account, the station, the time (UTC) and the
/// reference, in English, then one sentence in the site's language. No TAP, no portrait, no
/// document data.
pub fn compose(
    user: &UserContact,
    notice: &RecoveryNotice,
    locale: Locale,
) -> (Personal, Personal) {
    let at = notice.at.to_offset(time::UtcOffset::UTC);
    let date = at.format(DATE).unwrap_or_default();
    let time = at.format(TIME).unwrap_or_default();
    let station = &notice.station_id;
    let reference = &notice.reference;
    let account = user.user_principal_name.as_ref().map(Personal::expose).unwrap_or("");
    let name = user.display_name.as_ref().map(Personal::expose).unwrap_or(account);
    let mut body = Zeroizing::new(String::new());
    let _ = write!(
        body,
        "Hello {name},\r\n\r\n\
         Your account {account} was recovered at station {station} on {date} at {time} (UTC): \
         a Temporary Access Pass was issued after an identity check with an identity document \
         and Face Check.\r\n\r\n\
         If this was you, there is nothing to do.\r\n\
         If this was not you, contact the service desk now and quote the reference {reference}.\r\n\r\n\
         This message was sent automatically. It contains no pass or code, and nobody will ever \
         ask you for one.\r\n"
    );
    if let Some(line) = localized(locale, station, &date, &time, reference) {
        let _ = write!(body, "\r\n{line}\r\n");
    }
    (Personal::new("Your account was recovered"), Personal::new(body.as_str()))
}

/// One sentence in the site's language (none for English).
fn localized(
    locale: Locale,
    station: &str,
    date: &str,
    time: &str,
    reference: &str,
) -> Option<String> {
    match locale {
        Locale::En => None,
        Locale::De => Some(format!(
            "Ihr Konto wurde am {date} um {time} Uhr (UTC) an der Station {station} \
             wiederhergestellt. Wenn Sie das nicht waren, wenden Sie sich bitte mit der Referenz \
             {reference} an den Service Desk."
        )),
        Locale::Fr => Some(format!(
            "Votre compte a été récupéré le {date} à {time} (UTC) à la borne {station}. Si ce \
             n’était pas vous, contactez le support en indiquant la référence {reference}."
        )),
        Locale::Es => Some(format!(
            "Su cuenta se recuperó el {date} a las {time} (UTC) en el puesto {station}. Si no \
             fue usted, póngase en contacto con el servicio de asistencia e indique la \
             referencia {reference}."
        )),
        Locale::Pl => Some(format!(
            "Twoje konto zostało odzyskane {date} o {time} (UTC) na stanowisku {station}. \
             Jeśli to nie Ty, skontaktuj się z działem pomocy i podaj numer referencyjny \
             {reference}."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn notice() -> RecoveryNotice {
        RecoveryNotice {
            user_id: "1a000000-0000-4000-8000-000000000001".into(),
            station_id: "LOBBY-1".into(),
            at: datetime!(2026-12-07 17:05:09 UTC),
            reference: "RC-TAP_ISSUED-74AAAAAA".into(),
            session_id: uuid::Uuid::nil(),
            account_ref: None,
        }
    }

    fn ana() -> UserContact {
        serde_json::from_value(serde_json::json!({
            "id": "1a000000-0000-4000-8000-000000000001",
            "displayName": "Ana Lima",
            "mail": null,
            "otherMails": [],
            "userPrincipalName": "ana.lima@contoso.example"
        }))
        .unwrap()
    }

    #[test]
    fn the_notice_names_station_time_and_reference() {
        let (subject, body) = compose(&ana(), &notice(), Locale::En);
        assert_eq!(subject.expose(), "Your account was recovered");
        let b = body.expose();
        assert!(b.starts_with("Hello Ana Lima,"));
        assert!(b.contains(
            "ana.lima@contoso.example was recovered at station LOBBY-1 on 2026-12-07 at 17:05 (UTC)"
        ));
        assert!(b.contains("quote the reference RC-TAP_ISSUED-74AAAAAA"));
        assert!(!b.contains("Ihr Konto"));
        assert!(!format!("{body:?}").contains("Ana"));
    }

    #[test]
    fn the_site_language_adds_one_sentence() {
        let (_, body) = compose(&ana(), &notice(), Locale::De);
        let b = body.expose();
        assert!(b.contains("Your account"));
        assert!(b.contains(
            "Ihr Konto wurde am 2026-12-07 um 17:05 Uhr (UTC) an der Station LOBBY-1 wiederhergestellt."
        ));
        assert!(b.contains("RC-TAP_ISSUED-74AAAAAA an den Service Desk"));
        for l in [Locale::Fr, Locale::Es, Locale::Pl] {
            let (_, body) = compose(&ana(), &notice(), l);
            assert!(body.expose().matches("RC-TAP_ISSUED-74AAAAAA").count() == 2, "{l:?}");
        }
    }
}
