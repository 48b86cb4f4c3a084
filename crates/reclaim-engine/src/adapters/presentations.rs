//! [`RequestServicePresentations`]: the presentation port over the Request Service client.

use reclaim_core::{AdapterFailure, PresentationSpec};
use reclaim_entra::RequestServiceClient;
use reclaim_entra::request_service::{
    Callback, CredentialConfiguration, FaceCheck, PresentationRequest, Registration,
    RequestedCredential, Validation,
};

use super::entra_failure;
use crate::ports::{BoxFuture, CallbackTarget, CreatedPresentation, PresentationService};

/// `createPresentationRequest` with Face Check, as the core specifies it.
#[derive(Debug, Clone)]
pub struct RequestServicePresentations {
    client: RequestServiceClient,
    registration: Registration,
}

impl RequestServicePresentations {
    /// Over a Request Service client; `client_name` is what Authenticator shows as the verifier.
    pub fn new(client: RequestServiceClient, client_name: impl Into<String>) -> Self {
        Self {
            client,
            registration: Registration {
                client_name: client_name.into(),
                purpose: Some("Prove it is you to recover your account".into()),
                logo_url: None,
                terms_of_service_url: None,
            },
        }
    }

    /// The request body for a spec: DIDs, type, threshold, callback, and the purpose the core
    /// wrote (the station and the masked account, what Authenticator shows the person).
    pub fn request(
        &self,
        spec: &PresentationSpec,
        callback: &CallbackTarget,
    ) -> PresentationRequest {
        PresentationRequest {
            authority: spec.authority.clone(),
            include_qr_code: false,
            include_receipt: false,
            registration: Registration {
                purpose: Some(spec.purpose.clone())
                    .filter(|p| !p.is_empty())
                    .or_else(|| self.registration.purpose.clone()),
                ..self.registration.clone()
            },
            callback: Callback::with_api_key(
                callback.url.clone(),
                callback.state.clone(),
                callback.api_key.clone(),
            ),
            requested_credentials: vec![RequestedCredential {
                credential_type: spec.credential_type.clone(),
                purpose: None,
                accepted_issuers: vec![spec.accepted_issuer.clone()],
                configuration: Some(CredentialConfiguration {
                    validation: Validation {
                        allow_revoked: spec.allow_revoked,
                        validate_linked_domain: spec.validate_linked_domain,
                        face_check: Some(FaceCheck {
                            source_photo_claim_name: spec.source_photo_claim_name.clone(),
                            match_confidence_threshold: Some(spec.threshold),
                        }),
                    },
                }),
                constraints: Vec::new(),
            }],
        }
    }
}

impl PresentationService for RequestServicePresentations {
    fn create<'a>(
        &'a self,
        spec: &'a PresentationSpec,
        callback: &'a CallbackTarget,
    ) -> BoxFuture<'a, Result<CreatedPresentation, AdapterFailure>> {
        Box::pin(async move {
            let body = self.request(spec, callback);
            let created = self
                .client
                .create_presentation_request(&body)
                .await
                .map_err(|e| entra_failure("request_service.create_presentation", &e))?;
            Ok(CreatedPresentation {
                request_id: created.request_id,
                url: created.url,
                expiry: created.expiry,
            })
        })
    }
}
