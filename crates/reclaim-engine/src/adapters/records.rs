//! [`GraphRecords`]: the records port over Microsoft Graph (the second binding's directory
//! attribute) and the tenant's claim-validation extension (`microsoft-apis-v2.md` §6), whose
//! definition is read from Graph (`identity/customAuthenticationExtensions/{id}`) and kept for
//! the process's life. Failures are logged by kind and Entra error code only.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use reclaim_core::records::{ExtensionVerdict, RecordsAnswer, RecordsQuery};
use reclaim_core::{AdapterFailure, Claims, DirectoryUser, PersonName};
use reclaim_entra::Personal;
use reclaim_entra::claim_validation::{
    ClaimValidationClient, ClaimValidationRequest, ClaimValidationVerdict, ExtensionUser,
    entra_code,
};
use reclaim_entra::graph::{CustomExtension, GraphClient};
use tokio::sync::Mutex;

use super::entra_failure;
use crate::ports::{BoxFuture, Records};

/// No access to the organisation's records: every check fails (closed). For engines whose
/// tenant requires none (a profile that does then ends `service_unavailable`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRecords;

impl Records for NoRecords {
    fn check<'a>(
        &'a self,
        _: &'a RecordsQuery,
        _: &'a DirectoryUser,
        _: &'a Claims,
        _: &'a str,
    ) -> BoxFuture<'a, Result<RecordsAnswer, AdapterFailure>> {
        Box::pin(async { Err(AdapterFailure::Refused) })
    }
}

/// The second binding's attribute from Graph; the claim-validation extension over HTTPS.
#[derive(Debug, Clone)]
pub struct GraphRecords {
    graph: GraphClient,
    validator: ClaimValidationClient,
    tenant_id: String,
    app_id: String,
    extensions: Arc<Mutex<HashMap<String, CustomExtension>>>,
}

impl GraphRecords {
    /// Over the service's Graph client and an extension client with the same app's tokens.
    pub fn new(
        graph: GraphClient,
        validator: ClaimValidationClient,
        tenant_id: impl Into<String>,
        app_id: impl Into<String>,
    ) -> Self {
        Self {
            graph,
            validator,
            tenant_id: tenant_id.into(),
            app_id: app_id.into(),
            extensions: Arc::default(),
        }
    }

    async fn extension(&self, id: &str) -> Result<CustomExtension, AdapterFailure> {
        if let Some(e) = self.extensions.lock().await.get(id) {
            return Ok(e.clone());
        }
        let e = self
            .graph
            .get_custom_extension(id)
            .await
            .map_err(|e| entra_failure("graph.get_custom_extension", &e))?;
        self.extensions.lock().await.insert(id.to_owned(), e.clone());
        Ok(e)
    }

    async fn validate(
        &self,
        extension_id: &str,
        user: &DirectoryUser,
        claims: &Claims,
        correlation_id: &str,
    ) -> Result<ExtensionVerdict, AdapterFailure> {
        let ext = self.extension(extension_id).await?;
        let personal = |p: &Option<PersonName>| p.as_ref().map(|n| Personal::new(n.expose()));
        let upn = user.user_principal_name.expose();
        let request = ClaimValidationRequest {
            tenant_id: self.tenant_id.clone(),
            app_id: self.app_id.clone(),
            correlation_id: correlation_id.to_owned(),
            user: ExtensionUser {
                id: user.id.clone(),
                user_principal_name: Personal::new(upn),
                given_name: personal(&user.given_name),
                surname: personal(&user.surname),
                mail: None,
                user_type: user.user_type.clone().unwrap_or_else(|| "Member".into()),
            },
            identity_issuer: upn.rsplit_once('@').map(|(_, d)| d.to_owned()).unwrap_or_default(),
            claims: claims
                .iter()
                .map(|(k, v)| (k.to_owned(), Personal::new(v)))
                .collect::<BTreeMap<_, _>>(),
        };
        match self.validator.validate(&ext, &request).await {
            Ok(ClaimValidationVerdict::Pass) => Ok(ExtensionVerdict::Pass),
            Ok(ClaimValidationVerdict::Failed { failed_claims }) => {
                Ok(ExtensionVerdict::Failed(failed_claims))
            }
            Err(e) => {
                tracing::warn!(
                    extension = extension_id,
                    code = entra_code(&e),
                    "the claim-validation extension failed (fail closed)"
                );
                Err(AdapterFailure::Unavailable)
            }
        }
    }
}

impl Records for GraphRecords {
    fn check<'a>(
        &'a self,
        query: &'a RecordsQuery,
        user: &'a DirectoryUser,
        claims: &'a Claims,
        correlation_id: &'a str,
    ) -> BoxFuture<'a, Result<RecordsAnswer, AdapterFailure>> {
        Box::pin(async move {
            let attribute_value = match &query.attribute {
                None => None,
                Some(attribute) => self
                    .graph
                    .user_attribute(&query.user_id, attribute)
                    .await
                    .map_err(|e| entra_failure("graph.user_attribute", &e))?
                    .map(|v| PersonName::new(v.expose())),
            };
            let extension = match &query.extension_id {
                None => None,
                Some(id) => Some(self.validate(id, user, claims, correlation_id).await?),
            };
            Ok(RecordsAnswer { attribute_value, extension })
        })
    }
}
