//! The people store: users, sessions and membership (see [`PeopleStore`]).

use async_trait::async_trait;
use wakit_core::{AgentId, OrgId, Role};

use crate::error::StoreResult;
use crate::people::*;
use crate::secrets::KeyHash;

/// People: users, sessions with rotating refresh tokens, and membership (human
/// `agents` rows). Users and sessions belong to no organization; membership does, and
/// its org-taking methods follow the tenant rules.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    /// Creates a user and, in the same transaction, joins every pending invitation
    /// to its (normalized) address. `Conflict(Email)` when the address is taken, in any
    /// letter case.
    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    /// A user.
    async fn get_user(&self, id: UserId) -> StoreResult<User>;
    /// The user with this address (any case) and its password hash, for sign-in.
    async fn user_credentials(&self, email: &str) -> StoreResult<Option<(User, PasswordHash)>>;
    /// The user's password hash, for a password change.
    async fn password_hash(&self, id: UserId) -> StoreResult<PasswordHash>;
    /// Replaces the user's password hash.
    async fn set_password(&self, id: UserId, hash: PasswordHash) -> StoreResult<User>;
    /// Every user, oldest first (the operator's list).
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Starts a session for the user with its first refresh token (stored as `refresh`,
    /// the token's hash) and records the sign-in time.
    async fn start_session(&self, user: UserId, refresh: &KeyHash) -> StoreResult<Session>;
    /// A session, ended or not; `NotFound` for an unknown id.
    async fn get_session(&self, id: SessionId) -> StoreResult<Session>;
    /// Spends the refresh token hashed `old` and issues `new` in its place, in one
    /// transaction. A token spent already revokes its whole session ([`Rotation::Reused`]).
    async fn rotate_refresh_token(&self, old: &KeyHash, new: &KeyHash) -> StoreResult<Rotation>;
    /// Ends the session (`Local`), every session of its user (`Global`) or all of them
    /// but this one (`Others`), with their refresh tokens.
    async fn end_sessions(&self, session: SessionId, scope: LogoutScope) -> StoreResult<()>;
    /// Creates an organization whose owner is `user` (an agent row named `owner_name`
    /// with role owner), in one transaction.
    async fn create_org_with_owner(
        &self,
        user: UserId,
        name: &str,
        timezone: &str,
        owner_name: &str,
    ) -> StoreResult<OwnedOrg>;
    /// Makes `user` a member of the org with `role` (an operator's act: no invitation).
    async fn add_member(&self, org: OrgId, user: UserId, role: Role) -> StoreResult<Member>;
    /// Invites an address with `role`. A user with that address joins at once;
    /// otherwise the invitation stays pending until one is created.
    async fn invite_member(&self, org: OrgId, email: &str, role: Role) -> StoreResult<Member>;
    /// The org's human agents (pending invitations included), oldest first.
    async fn list_members(&self, org: OrgId) -> StoreResult<Vec<Member>>;
    /// Every org where the user is an active member ([`Member::is_active`]), oldest first.
    /// Not tenant-scoped: it answers which tenants a signed-in person may act in.
    async fn memberships(&self, user: UserId) -> StoreResult<Vec<Member>>;
    /// Changes a member's role. `LastOwner` when that would leave the org without an
    /// active owner.
    async fn set_member_role(&self, org: OrgId, member: AgentId, role: Role)
    -> StoreResult<Member>;
    /// Removes a member. `LastOwner` when it is the org's last active owner.
    async fn remove_member(&self, org: OrgId, member: AgentId) -> StoreResult<()>;
    /// Deletes a user with their sessions and memberships, in one transaction.
    /// `LastOwner` when they are an organization's last active owner (nothing changes);
    /// `NotFound` for an unknown id. Messages they sent keep their `agent_id` (as after
    /// [`PeopleStore::remove_member`]).
    async fn delete_user(&self, user: UserId) -> StoreResult<()>;
}
