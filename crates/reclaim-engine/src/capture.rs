//! The camera path: which shot is wanted next, finding the document's type by asking the
//! provider, uploads, the verdict, and waiting for the credential to reach Authenticator.

use std::sync::Arc;
use std::time::Duration;

use reclaim_core::AdapterFailure;
use zeroize::Zeroizing;

use crate::ports::{
    CaptureError, CaptureSession, IdentityProvider, IssuanceStatus, Rejection, RejectionKind,
    Verdict,
};
use crate::view::{CaptureStage, DocumentKind, Shot};

/// Camera-path progress of the current session.
#[derive(Debug)]
pub(crate) struct CaptureFlow {
    /// Provider id.
    pub provider: String,
    /// Document types the provider accepts, in the order they are tried.
    pub documents: Vec<DocumentKind>,
    /// The open capture session, once a front was accepted (or read at all).
    pub session: Option<CaptureSession>,
    /// What the UI shows.
    pub stage: CaptureStage,
    /// The shot wanted next.
    pub expected: Shot,
    /// Unreadable shots so far for the expected shot.
    pub retakes: u8,
    /// An upload or verdict is in flight.
    pub busy: bool,
}

impl CaptureFlow {
    pub(crate) fn new(provider: String, documents: Vec<DocumentKind>) -> Self {
        let documents = if documents.is_empty() {
            vec![DocumentKind::Passport, DocumentKind::IdCard, DocumentKind::DrivingLicence]
        } else {
            documents
        };
        Self {
            provider,
            documents,
            session: None,
            stage: CaptureStage::Front,
            expected: Shot::Front,
            retakes: 0,
            busy: false,
        }
    }
}

/// What a capture task found.
#[derive(Debug)]
pub(crate) enum CaptureStep {
    /// The shot was accepted (for the front: by a session of the document's type).
    Accepted { shot: Shot, session: CaptureSession },
    /// All shots in and verified: add the credential to Authenticator.
    Offered { url: String },
    /// The provider refused the shot or the document.
    Rejected { rejection: Rejection, session: Option<CaptureSession> },
    /// The provider could not be reached.
    Failed(AdapterFailure),
    /// The offered credential's issuance settled.
    Issuance(IssuanceStatus),
}

/// Uploads one shot. The front is tried against a session of each accepted document type in
/// turn (the capture API checks the type on upload), starting with the session already open;
/// after the selfie the session is submitted.
pub(crate) async fn take_shot(
    provider: Arc<dyn IdentityProvider>,
    provider_id: String,
    documents: Vec<DocumentKind>,
    session: Option<CaptureSession>,
    shot: Shot,
    image: Zeroizing<Vec<u8>>,
) -> CaptureStep {
    match shot {
        Shot::Front => front(provider, &provider_id, documents, session, image).await,
        Shot::Back | Shot::Selfie => {
            let Some(session) = session else {
                return CaptureStep::Failed(AdapterFailure::Refused);
            };
            match provider.upload(&session, shot, image.to_vec()).await {
                Err(CaptureError::Rejected(mut rejection)) => {
                    if rejection.kind == RejectionKind::WrongDocumentType {
                        rejection.kind = RejectionKind::Refused;
                    }
                    CaptureStep::Rejected { rejection, session: Some(session) }
                }
                Err(CaptureError::Failed(f)) => CaptureStep::Failed(f),
                Ok(()) if shot == Shot::Back => CaptureStep::Accepted { shot, session },
                Ok(()) => match provider.submit(&session).await {
                    Ok(Verdict::Offered { url }) => CaptureStep::Offered { url },
                    Ok(Verdict::Rejected(rejection)) | Err(CaptureError::Rejected(rejection)) => {
                        CaptureStep::Rejected { rejection, session: Some(session) }
                    }
                    Err(CaptureError::Failed(f)) => CaptureStep::Failed(f),
                },
            }
        }
    }
}

async fn front(
    provider: Arc<dyn IdentityProvider>,
    provider_id: &str,
    documents: Vec<DocumentKind>,
    open: Option<CaptureSession>,
    image: Zeroizing<Vec<u8>>,
) -> CaptureStep {
    let mut order: Vec<(DocumentKind, Option<CaptureSession>)> = Vec::new();
    if let Some(s) = open {
        order.push((s.document, Some(s)));
    }
    for d in documents {
        if !order.iter().any(|(k, _)| *k == d) {
            order.push((d, None));
        }
    }
    for (document, existing) in order {
        let session = match existing {
            Some(s) => s,
            None => match provider.create_capture(provider_id, document).await {
                Ok(s) => s,
                Err(CaptureError::Rejected(_)) => continue,
                Err(CaptureError::Failed(f)) => return CaptureStep::Failed(f),
            },
        };
        match provider.upload(&session, Shot::Front, image.to_vec()).await {
            Ok(()) => return CaptureStep::Accepted { shot: Shot::Front, session },
            Err(CaptureError::Rejected(r)) if r.kind == RejectionKind::WrongDocumentType => {}
            Err(CaptureError::Rejected(rejection)) => {
                return CaptureStep::Rejected { rejection, session: Some(session) };
            }
            Err(CaptureError::Failed(f)) => return CaptureStep::Failed(f),
        }
    }
    CaptureStep::Rejected {
        rejection: Rejection::from_code("document_type_not_accepted"),
        session: None,
    }
}

/// Polls the provider until the offered credential is in Authenticator (or failed/expired).
pub(crate) async fn await_issuance(
    provider: Arc<dyn IdentityProvider>,
    session: CaptureSession,
    interval: Duration,
) -> CaptureStep {
    let mut failures = 0u8;
    loop {
        tokio::time::sleep(interval).await;
        match provider.status(&session).await {
            Ok(IssuanceStatus::Pending) => failures = 0,
            Ok(settled) => return CaptureStep::Issuance(settled),
            Err(f) => {
                failures += 1;
                if failures >= 5 {
                    return CaptureStep::Failed(f);
                }
            }
        }
    }
}
