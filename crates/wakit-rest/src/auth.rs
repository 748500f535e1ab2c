//! Who is asking, and the read policies of §10 as predicates.

use crate::registry::{OrgRole, Table};
use uuid::Uuid;

/// The caller's role, from the Bearer JWT's `role` claim or an `sk_` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// No session: sees no tenant row.
    Anon,
    /// A signed-in user: sees the organizations of their memberships.
    Authenticated,
    /// The service key: bypasses the policies.
    ServiceRole,
    /// An `sk_` API key of one organization, acting with its own role.
    ApiKey {
        /// The key's row id (the key may read its own row).
        key_id: Uuid,
    },
}

/// The caller, as the server resolved it (memberships are agents rows with the user's
/// id whose invitation is absent or accepted; an API key has its one organization).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auth {
    /// The role.
    pub role: Role,
    /// `auth.uid()`, for signed-in users.
    pub user_id: Option<Uuid>,
    /// Organization id → the caller's role in it.
    pub memberships: Vec<(Uuid, OrgRole)>,
    /// The user's display name or email: names the owner agent of an organization they
    /// create ("Owner" when absent).
    pub name: Option<String>,
}

impl Auth {
    /// The service role (no policies).
    pub fn service() -> Auth {
        Auth {
            role: Role::ServiceRole,
            user_id: None,
            memberships: Vec::new(),
            name: None,
        }
    }

    /// An anonymous caller.
    pub fn anon() -> Auth {
        Auth {
            role: Role::Anon,
            user_id: None,
            memberships: Vec::new(),
            name: None,
        }
    }

    /// A signed-in user with these memberships.
    pub fn user(user_id: Uuid, memberships: Vec<(Uuid, OrgRole)>) -> Auth {
        Auth {
            role: Role::Authenticated,
            user_id: Some(user_id),
            memberships,
            name: None,
        }
    }

    /// An `sk_` API key of `org`, acting with `role`.
    pub fn api_key(key_id: Uuid, org: Uuid, role: OrgRole) -> Auth {
        Auth {
            role: Role::ApiKey { key_id },
            user_id: None,
            memberships: vec![(org, role)],
            name: None,
        }
    }

    /// The organizations where the caller holds at least `role` (none when anonymous).
    pub fn orgs_with(&self, role: OrgRole) -> Vec<Uuid> {
        if self.role == Role::Anon {
            return Vec::new();
        }
        self.memberships
            .iter()
            .filter(|(_, r)| *r >= role)
            .map(|(org, _)| *org)
            .collect()
    }

    /// Whether the caller is signed in (a key or a user): decides 401 or 403.
    pub fn is_authenticated(&self) -> bool {
        !matches!(self.role, Role::Anon)
    }
}

/// The rows of a table a caller may read, as a predicate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Every row (service role).
    All,
    /// Rows whose organization is one of these, or (API keys) the key's own row.
    Orgs {
        /// Organizations read with a sufficient role (may be empty).
        orgs: Vec<Uuid>,
        /// `id = this` also passes (an API key reading itself).
        own_row: Option<Uuid>,
    },
}

/// The read policy of `table` for `auth` (§10): members read, webhooks need admins,
/// api_keys owners (and the key itself).
pub fn read_visibility(table: &Table, auth: &Auth) -> Visibility {
    if auth.role == Role::ServiceRole {
        return Visibility::All;
    }
    let orgs = auth.orgs_with(table.read_role);
    let own_row = match auth.role {
        Role::ApiKey { key_id } if table.name == "api_keys" => Some(key_id),
        _ => None,
    };
    Visibility::Orgs { orgs, own_row }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::registry::table;

    #[test]
    fn roles_decide_what_each_table_shows() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let user = Auth::user(
            Uuid::now_v7(),
            vec![(a, OrgRole::Member), (b, OrgRole::Admin)],
        );
        let orgs = |t| match read_visibility(table(t).unwrap(), &user) {
            Visibility::Orgs { orgs, .. } => orgs,
            Visibility::All => panic!(),
        };
        assert_eq!(orgs("contacts"), vec![a, b]);
        assert_eq!(orgs("webhooks"), vec![b]);
        assert!(orgs("api_keys").is_empty());
        assert_eq!(
            read_visibility(table("contacts").unwrap(), &Auth::service()),
            Visibility::All
        );
        let anon = read_visibility(table("contacts").unwrap(), &Auth::anon());
        assert_eq!(
            anon,
            Visibility::Orgs {
                orgs: vec![],
                own_row: None
            }
        );
        let key = Uuid::now_v7();
        let key_auth = Auth::api_key(key, a, OrgRole::Member);
        assert_eq!(
            read_visibility(table("api_keys").unwrap(), &key_auth),
            Visibility::Orgs {
                orgs: vec![],
                own_row: Some(key)
            }
        );
    }
}
