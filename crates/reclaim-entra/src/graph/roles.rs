//! Directory roles of a user (`microsoft-apis-v2.md` §2): active assignments (v1.0
//! `roleAssignments`), active assignments including those held through a role-assignable group
//! (beta `transitiveRoleAssignments`, which needs `ConsistencyLevel: eventual` and `$count`), and
//! PIM-eligible ones (v1.0 `roleEligibilityScheduleInstances`). Roles are identified by
//! `roleDefinitionId`, which for built-in roles equals the role template id (§2.3).

use serde::Deserialize;

use super::{GraphClient, odata_string_literal, segment};
use crate::error::EntraError;

/// How a role is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    /// An active assignment to the user itself.
    Active,
    /// An active assignment found transitively (directly or through a role-assignable group).
    Transitive,
    /// An eligible (PIM) assignment, not activated.
    Eligible,
}

/// One role the user holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    /// `roleDefinitionId` (= the template id for built-in roles).
    pub role_definition_id: String,
    /// `principalId`: the user, or the group through which it is held.
    pub principal_id: String,
    /// `directoryScopeId` (`/`, `/administrativeUnits/{id}`, …).
    pub directory_scope_id: Option<String>,
    /// How it is held.
    pub kind: RoleKind,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignmentItem {
    role_definition_id: String,
    #[serde(default)]
    principal_id: String,
    #[serde(default)]
    directory_scope_id: Option<String>,
}

fn filter_principal(principal_id: &str) -> String {
    segment(&format!("principalId eq {}", odata_string_literal(principal_id)))
}

impl GraphClient {
    async fn assignments(
        &self,
        operation: &'static str,
        path_and_query: &str,
        eventual: bool,
        kind: RoleKind,
    ) -> Result<Vec<RoleAssignment>, EntraError> {
        let url = self.url(path_and_query)?;
        let (items, _) =
            self.collect_with::<AssignmentItem>(operation, url, usize::MAX, eventual).await?;
        Ok(items
            .into_iter()
            .map(|i| RoleAssignment {
                role_definition_id: i.role_definition_id,
                principal_id: i.principal_id,
                directory_scope_id: i.directory_scope_id,
                kind,
            })
            .collect())
    }

    /// `GET /v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '{id}'`:
    /// active assignments whose principal is exactly this id (not those through a group).
    pub async fn list_role_assignments(
        &self,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignment>, EntraError> {
        let q = format!(
            "v1.0/roleManagement/directory/roleAssignments?$filter={}",
            filter_principal(principal_id)
        );
        self.assignments("graph.list_role_assignments", &q, false, RoleKind::Active).await
    }

    /// `GET /beta/roleManagement/directory/transitiveRoleAssignments?$count=true&$filter=principalId eq '{id}'`
    /// with `ConsistencyLevel: eventual` (404 without it): active assignments held directly or
    /// through a role-assignable group (those carry the group's id as `principalId`).
    pub async fn list_transitive_role_assignments(
        &self,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignment>, EntraError> {
        let q = format!(
            "beta/roleManagement/directory/transitiveRoleAssignments?$count=true&$filter={}",
            filter_principal(principal_id)
        );
        self.assignments("graph.list_transitive_role_assignments", &q, true, RoleKind::Transitive)
            .await
    }

    /// `GET /v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '{id}'`:
    /// PIM-eligible assignments of this principal.
    pub async fn list_role_eligibilities(
        &self,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignment>, EntraError> {
        let q = format!(
            "v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter={}",
            filter_principal(principal_id)
        );
        self.assignments("graph.list_role_eligibilities", &q, false, RoleKind::Eligible).await
    }

    /// Every role the user holds: active (direct and through groups) and eligible — the union
    /// of the three calls above (contract §2.1's recommendation: B or C, and D). Any failure
    /// fails the whole answer: the caller must then refuse (fail closed).
    pub async fn user_roles(&self, user_id: &str) -> Result<Vec<RoleAssignment>, EntraError> {
        let (direct, transitive, eligible) = tokio::try_join!(
            self.list_role_assignments(user_id),
            self.list_transitive_role_assignments(user_id),
            self.list_role_eligibilities(user_id),
        )?;
        Ok(direct.into_iter().chain(transitive).chain(eligible).collect())
    }
}
