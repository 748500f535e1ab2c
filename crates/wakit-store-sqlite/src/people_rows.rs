//! Rows and shared statements of the people tables (users, sessions, human agents),
//! for [`crate::people`].

use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, Transaction};
use wakit_core::{AgentId, OrgId, Role};
use wakit_store::people::{member_extra, parse_member_extra};
use wakit_store::{Invitation, Member, Session, SessionId, StoreError, StoreResult, User, UserId};

use crate::error::DbResultExt;
use crate::rows::{
    get, get_json, get_opt_time, get_opt_uuid, get_time, get_uuid, now, to_json, us,
};

pub(crate) type Tx = Transaction<'static, Sqlite>;

pub(crate) const USER_COLUMNS: &str =
    "id, email, user_metadata, created_at, updated_at, last_sign_in_at";
pub(crate) const MEMBER_COLUMNS: &str = "id, organization_id, user_id, name, extra, created_at";
pub(crate) const SESSION_COLUMNS: &str = "id, user_id, created_at, revoked_at";
/// Active owners of an org (`?1`): joined, no pending invitation.
pub(crate) const ACTIVE_OWNERS: &str = "SELECT COUNT(*) AS n FROM agents WHERE organization_id = ?1 \
     AND ai = 0 AND user_id IS NOT NULL AND json_extract(extra, '$.role') = 'owner' \
     AND COALESCE(json_extract(extra, '$.invitation.status'), 'accepted') = 'accepted'";

pub(crate) fn user(row: &SqliteRow) -> StoreResult<User> {
    Ok(User {
        id: UserId(get_uuid(row, "id")?),
        email: get(row, "email")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
        last_sign_in_at: get_opt_time(row, "last_sign_in_at")?,
        user_metadata: get_json(row, "user_metadata")?,
    })
}

pub(crate) fn member(row: &SqliteRow) -> StoreResult<Member> {
    let (role, invitation) = parse_member_extra(&get_json(row, "extra")?);
    Ok(Member {
        id: AgentId(get_uuid(row, "id")?),
        org_id: OrgId(get_uuid(row, "organization_id")?),
        user_id: get_opt_uuid(row, "user_id")?.map(UserId),
        name: get(row, "name")?,
        role,
        invitation,
        created_at: get_time(row, "created_at")?,
    })
}

pub(crate) fn session(row: &SqliteRow) -> StoreResult<Session> {
    Ok(Session {
        id: SessionId(get_uuid(row, "id")?),
        user_id: UserId(get_uuid(row, "user_id")?),
        created_at: get_time(row, "created_at")?,
        revoked_at: get_opt_time(row, "revoked_at")?,
    })
}

pub(crate) async fn user_in(tx: &mut Tx, id: UserId) -> StoreResult<User> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))
        .bind(id.to_string())
        .fetch_optional(&mut **tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("user"))?;
    user(&row)
}

/// Inserts a human agent row and returns it.
pub(crate) async fn insert_member(
    tx: &mut Tx,
    org: OrgId,
    user: Option<UserId>,
    name: &str,
    role: Role,
    invitation: Option<&Invitation>,
) -> StoreResult<Member> {
    let sql = format!(
        "INSERT INTO agents (id, organization_id, user_id, name, ai, extra, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?6) RETURNING {MEMBER_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(AgentId::new().to_string())
        .bind(org.to_string())
        .bind(user.map(|u| u.to_string()))
        .bind(name)
        .bind(to_json(&member_extra(role, invitation))?)
        .bind(us(now()))
        .fetch_one(&mut **tx)
        .await
        .db()?;
    member(&row)
}

/// The org's human agent `id`, and how many active owners the org has.
pub(crate) async fn member_and_owners(
    tx: &mut Tx,
    org: OrgId,
    id: AgentId,
) -> StoreResult<(Member, i64)> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM agents WHERE id = ?1 AND organization_id = ?2 AND ai = 0"
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(org.to_string())
        .fetch_optional(&mut **tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("agent"))?;
    let owners = sqlx::query(ACTIVE_OWNERS)
        .bind(org.to_string())
        .fetch_one(&mut **tx)
        .await
        .db()?;
    Ok((member(&row)?, get(&owners, "n")?))
}
