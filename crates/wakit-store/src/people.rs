//! People: users who sign in, their sessions and refresh tokens, and their membership
//! in organizations (human `agents` rows with `extra.role` and, for invited people,
//! `extra.invitation`).
//!
//! Passwords and refresh tokens reach the store only as hashes: the store never sees a
//! password or a token, so it can never log or return one.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
use wakit_core::{AgentId, OrgId, Role};

use crate::model::Org;
use crate::secrets::KeyHash;

/// A user (`users` row).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub Uuid);

/// A sign-in session (`sessions` row): what a refresh-token chain and the access
/// tokens minted from it belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionId(pub Uuid);

impl UserId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        UserId(Uuid::now_v7())
    }
}

impl Default for UserId {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        SessionId(Uuid::now_v7())
    }
}

impl Default for SessionId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The form an e-mail address is stored and compared in: trimmed and lower-cased, so
/// `Ana@Example.com` and `ana@example.com` are one user (as GoTrue does).
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A password hash in PHC or bcrypt (`$2b$...`) form; never the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// A user as the application sees it (no password hash).
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// The normalized e-mail address ([`normalize_email`]).
    pub email: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (password, metadata).
    pub updated_at: DateTime<Utc>,
    /// When a session was last started for it.
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// Free-form data the user set at sign-up (`data` of GoTrue's sign-up).
    pub user_metadata: Value,
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// The address; the store normalizes it.
    pub email: String,
    /// The hashed password.
    pub password_hash: PasswordHash,
    /// Free-form user data (an object).
    pub user_metadata: Value,
}

/// A session.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// Its id (the `session_id` claim of its access tokens).
    pub id: SessionId,
    /// Whose it is.
    pub user_id: UserId,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it ended (sign-out, or reuse of a spent refresh token); `None` while live.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What presenting a refresh token did ([`crate::PeopleStore::rotate_refresh_token`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Rotation {
    /// The token was live: it is now spent and the new one replaces it.
    Rotated {
        /// The session it belongs to.
        session: Session,
        /// Its user.
        user: User,
    },
    /// The token had been spent already: someone replays it, so the whole session was
    /// revoked (GoTrue's reuse detection) and nothing was issued.
    Reused,
    /// No such token, or its session has ended.
    Unknown,
}

/// Which sessions a sign-out ends (GoTrue's `scope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoutScope {
    /// This session only.
    Local,
    /// Every session of the user.
    Global,
    /// Every session of the user but this one.
    Others,
}

/// Where an invitation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    /// Nobody with the address has joined yet.
    Pending,
    /// A user with the address joined.
    Accepted,
}

/// An invitation by e-mail (`extra.invitation` of the agent row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// The invited address (normalized).
    pub email: String,
    /// Whether it was accepted.
    pub status: InvitationStatus,
}

/// A person's place in an organization: a human `agents` row.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    /// The agent row.
    pub id: AgentId,
    /// The organization.
    pub org_id: OrgId,
    /// The user, once one joined (`None` for a pending invitation).
    pub user_id: Option<UserId>,
    /// Display name.
    pub name: String,
    /// `extra.role`.
    pub role: Role,
    /// `extra.invitation`, for invited people.
    pub invitation: Option<Invitation>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
}

impl Member {
    /// Whether the row grants membership: a user joined and no invitation is pending.
    pub fn is_active(&self) -> bool {
        self.user_id.is_some()
            && self
                .invitation
                .as_ref()
                .is_none_or(|i| i.status == InvitationStatus::Accepted)
    }
}

/// A new organization and its first owner ([`crate::PeopleStore::create_org_with_owner`]).
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedOrg {
    /// The organization.
    pub org: Org,
    /// The creator's owner row.
    pub owner: Member,
}

/// The hash under which a refresh token is stored (SHA-256 hex, as API keys).
pub fn refresh_token_hash(token: &str) -> KeyHash {
    KeyHash::of(token)
}

/// The `extra` JSON of a human agent row with this role and invitation.
pub fn member_extra(role: Role, invitation: Option<&Invitation>) -> Value {
    let mut extra = serde_json::json!({ "role": role.as_str() });
    if let Some(inv) = invitation {
        extra["invitation"] = serde_json::json!(inv);
    }
    extra
}

/// Reads role and invitation back from an agent's `extra` (a missing or unknown role is
/// a member: the least privilege).
pub fn parse_member_extra(extra: &Value) -> (Role, Option<Invitation>) {
    let role = extra
        .get("role")
        .and_then(Value::as_str)
        .and_then(|r| r.parse().ok())
        .unwrap_or(Role::Member);
    let invitation = extra
        .get("invitation")
        .and_then(|i| serde_json::from_value(i.clone()).ok());
    (role, invitation)
}

/// The last-owner rule, for both engines: a change that takes `member` out of the
/// owners (a new role below owner, or `None` for removal) is refused when it is one of
/// the org's `active_owners` and the only one.
pub fn check_owner_change(
    member: &Member,
    new_role: Option<Role>,
    active_owners: i64,
) -> crate::StoreResult<()> {
    let leaves_owners = member.role == Role::Owner && new_role != Some(Role::Owner);
    if leaves_owners && member.is_active() && active_owners <= 1 {
        return Err(crate::StoreError::LastOwner);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_round_trips_role_and_invitation() {
        let inv = Invitation {
            email: "ana@example.com".into(),
            status: InvitationStatus::Pending,
        };
        let extra = member_extra(Role::Admin, Some(&inv));
        assert_eq!(
            extra,
            serde_json::json!({"role": "admin", "invitation": {"email": "ana@example.com", "status": "pending"}})
        );
        assert_eq!(parse_member_extra(&extra), (Role::Admin, Some(inv)));
        assert_eq!(
            parse_member_extra(&serde_json::json!({"role": "boss"})),
            (Role::Member, None)
        );
    }

    #[test]
    fn emails_compare_ignoring_case_and_spaces() {
        assert_eq!(normalize_email("  Ana@Example.COM "), "ana@example.com");
    }

    #[test]
    fn a_password_hash_never_prints() {
        let h = PasswordHash("$argon2id$v=19$secret".into());
        assert!(!format!("{h:?}").contains("secret"));
    }
}
