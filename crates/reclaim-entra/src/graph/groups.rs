//! Group membership: `checkMemberGroups` in batches of 20 (contract §4.c).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::{CHECK_MEMBER_GROUPS_BATCH, GraphClient, segment};
use crate::error::EntraError;
use crate::http::{Call, json_body};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckMemberGroups<'a> {
    group_ids: &'a [String],
}

#[derive(Deserialize)]
struct StringCollection {
    value: Vec<String>,
}

impl GraphClient {
    /// `POST /v1.0/users/{id}/checkMemberGroups {"groupIds":[…]}` — transitive membership.
    /// Sent in batches of at most 20 ids; returns the supplied ids the user belongs to.
    /// Retried like a GET (it only reads).
    pub async fn check_member_groups(
        &self,
        user_id: &str,
        group_ids: &[String],
    ) -> Result<Vec<String>, EntraError> {
        const OP: &str = "graph.check_member_groups";
        let url = self.url(&format!("v1.0/users/{}/checkMemberGroups", segment(user_id)))?;
        self.member_groups(OP, url, group_ids).await
    }

    /// `POST /v1.0/groups/{id}/checkMemberGroups {"groupIds":[…]}` — which of the groups a group
    /// is nested in, transitively (GroupMember.Read.All). In batches of at most 20 ids.
    pub async fn check_group_member_groups(
        &self,
        group_id: &str,
        group_ids: &[String],
    ) -> Result<Vec<String>, EntraError> {
        const OP: &str = "graph.check_group_member_groups";
        let url = self.url(&format!("v1.0/groups/{}/checkMemberGroups", segment(group_id)))?;
        self.member_groups(OP, url, group_ids).await
    }

    async fn member_groups(
        &self,
        operation: &'static str,
        url: url::Url,
        group_ids: &[String],
    ) -> Result<Vec<String>, EntraError> {
        let mut member_of = Vec::new();
        for batch in group_ids.chunks(CHECK_MEMBER_GROUPS_BATCH) {
            let body = json_body(operation, &CheckMemberGroups { group_ids: batch })?;
            let call = Call {
                operation,
                method: Method::POST,
                url: url.clone(),
                body: Some(body),
                expect: &[200],
                retry: true,
                eventual: false,
            };
            let page: StringCollection = self.http.call(&call).await?.json(operation)?;
            member_of.extend(page.value);
        }
        Ok(member_of)
    }
}
