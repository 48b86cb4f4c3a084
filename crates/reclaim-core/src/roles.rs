//! Directory roles that keep an account away from a walk-up kiosk (issue 13, item 7).
//!
//! Roles are compared by **role template id** (the same in every tenant; `roleDefinitionId` of a
//! built-in role's assignment equals it), never by a tenant's `directoryRole.id`
//! (`microsoft-apis-v2.md` §2.3, §11.2).
//!
//! Source of the ids and of the PRIVILEGED label: Microsoft Learn, "Microsoft Entra built-in
//! roles" (<https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference>,
//! repo `MicrosoftDocs/entra-docs`, `docs/identity/role-based-access-control/permissions-reference.md`,
//! "All roles" table, read at commit `00fe95d6`).

/// One built-in role: display name, template id, and whether Microsoft labels it PRIVILEGED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltInRole {
    /// Display name on the built-in roles page.
    pub name: &'static str,
    /// Role template id.
    pub template_id: &'static str,
    /// Shows the PRIVILEGED label on the built-in roles page.
    pub labelled_privileged: bool,
}

const fn role(name: &'static str, template_id: &'static str, labelled: bool) -> BuiltInRole {
    BuiltInRole { name, template_id, labelled_privileged: labelled }
}

/// The default refusal list: every built-in role Microsoft labels PRIVILEGED, plus Exchange
/// Administrator and SharePoint Administrator, which are not labelled (Microsoft's label is about
/// elevation inside Entra) but whose takeover is as damaging for a recovery kiosk.
pub const DEFAULT_REFUSED_ROLES: &[BuiltInRole] = &[
    role("Global Administrator", "62e90394-69f5-4237-9190-012177145e10", true),
    role("Privileged Role Administrator", "e8611ab8-c189-46e8-94e1-60213ab1f814", true),
    role("Privileged Authentication Administrator", "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", true),
    role("Authentication Administrator", "c4e39bd9-1100-46d3-8c65-fb160da0071f", true),
    role("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1", true),
    role("Helpdesk Administrator", "729827e3-9c14-49f7-bb1b-9608f156bbb8", true),
    role("Password Administrator", "966707d0-3269-4727-9be2-8c3a10f19b9d", true),
    role("Security Administrator", "194ae4cb-b126-40b2-bd5b-6091b380977d", true),
    role("Application Administrator", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", true),
    role("Cloud Application Administrator", "158c047a-c907-4556-b7ef-446551a6b5f7", true),
    role("Conditional Access Administrator", "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", true),
    role("Intune Administrator", "3a2c62db-5318-420d-8d74-23affee5d9d5", true),
    role("Hybrid Identity Administrator", "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", true),
    role("Agent ID Administrator", "db506228-d27e-4b7d-95e5-295956d6615f", true),
    role("Application Developer", "cf1c38e5-3621-4004-a7cb-879624dced7c", true),
    role("Attribute Provisioning Administrator", "ecb2c6bf-0ab6-418e-bd87-7986f8d63bbe", true),
    role("Attribute Provisioning Reader", "422218e4-db15-4ef9-bbe0-8afb41546d79", true),
    role(
        "Authentication Extensibility Administrator",
        "25a516ed-2fa0-40ea-a2d0-12923a21473a",
        true,
    ),
    role("B2C IEF Keyset Administrator", "aaf43236-0c0d-4d5f-883a-6955382ac081", true),
    role("Cloud Device Administrator", "7698a772-787b-4ac8-901f-60d6b08affd2", true),
    role("Directory Writers", "9360feb5-f418-4baa-8175-e2a00bac4301", true),
    role("Domain Name Administrator", "8329153b-31d0-4727-b945-745eb3bc5f31", true),
    role("External Identity Provider Administrator", "be2f45a1-457d-42af-a067-6ec1fa63bc45", true),
    role("Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451", true),
    role("Lifecycle Workflows Administrator", "59d46f88-662b-457b-bceb-5c3809e5908f", true),
    role("Partner Tier1 Support", "4ba39ca4-527c-499a-b93d-d9b492c50246", true),
    role("Partner Tier2 Support", "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8", true),
    role("Security Operator", "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f", true),
    role("Security Reader", "5d6b6bb7-de71-4623-b4af-96380a352509", true),
    role("Exchange Administrator", "29232cdf-9323-42fd-ade2-1d097af3e4de", false),
    role("SharePoint Administrator", "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", false),
];

/// The default list's template ids.
pub fn default_refused_role_ids() -> Vec<String> {
    DEFAULT_REFUSED_ROLES.iter().map(|r| r.template_id.to_owned()).collect()
}

/// Does the user hold (actively, through a group, or as eligible) a role on the refusal list?
/// Ids compare case-insensitively (GUIDs).
pub fn holds_refused_role(held: &[String], refused: &[String]) -> bool {
    held.iter().any(|h| refused.iter().any(|r| r.trim().eq_ignore_ascii_case(h.trim())))
}

/// A role template id has a GUID's shape.
pub fn is_template_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_list_is_well_formed_and_unique() {
        let ids = default_refused_role_ids();
        assert!(ids.iter().all(|i| is_template_id(i)), "{ids:?}");
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        assert!(ids.contains(&"62e90394-69f5-4237-9190-012177145e10".to_owned()));
    }

    #[test]
    fn compares_by_template_id_ignoring_case() {
        let refused = default_refused_role_ids();
        assert!(holds_refused_role(&["62E90394-69F5-4237-9190-012177145E10".into()], &refused));
        // "User" (b79fbf4d…) is in every member's wids and is not privileged.
        assert!(!holds_refused_role(&["b79fbf4d-3ef9-4689-8143-76b194e85509".into()], &refused));
        assert!(!holds_refused_role(&[], &refused));
    }
}
