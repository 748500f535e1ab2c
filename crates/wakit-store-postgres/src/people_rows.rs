//! Rows and shared statements of the people tables (users, sessions, human agents),
//! for [`crate::people`].

use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use wakit_core::{AgentId, OrgId, Role};
use wakit_store::people::{member_extra, parse_member_extra};
use wakit_store::{Invitation, Member, Session, SessionId, StoreError, StoreResult, User, UserId};

use crate::error::DbResultExt;

pub(crate) const USER_COLUMNS: &str =
    "id, email, user_metadata, created_at, updated_at, last_sign_in_at";
pub(crate) const MEMBER_COLUMNS: &str = "id, organization_id, user_id, name, extra, created_at";
pub(crate) const SESSION_COLUMNS: &str = "id, user_id, created_at, revoked_at";
/// Active owners of an org (`$1`): joined, no pending invitation.
pub(crate) const ACTIVE_OWNERS: &str = "SELECT COUNT(*) FROM agents WHERE organization_id = $1 \
     AND NOT ai AND user_id IS NOT NULL AND extra->>'role' = 'owner' \
     AND COALESCE(extra #>> '{invitation,status}', 'accepted') = 'accepted'";

pub(crate) fn user(row: &PgRow) -> StoreResult<User> {
    let Json(user_metadata) = row.try_get("user_metadata").db()?;
    Ok(User {
        id: UserId(row.try_get("id").db()?),
        email: row.try_get("email").db()?,
        created_at: row.try_get("created_at").db()?,
        updated_at: row.try_get("updated_at").db()?,
        last_sign_in_at: row.try_get("last_sign_in_at").db()?,
        user_metadata,
    })
}

pub(crate) fn member(row: &PgRow) -> StoreResult<Member> {
    let Json(extra) = row.try_get("extra").db()?;
    let (role, invitation) = parse_member_extra(&extra);
    Ok(Member {
        id: AgentId(row.try_get("id").db()?),
        org_id: OrgId(row.try_get("organization_id").db()?),
        user_id: row.try_get::<Option<Uuid>, _>("user_id").db()?.map(UserId),
        name: row.try_get("name").db()?,
        role,
        invitation,
        created_at: row.try_get("created_at").db()?,
    })
}

pub(crate) fn session(row: &PgRow) -> StoreResult<Session> {
    Ok(Session {
        id: SessionId(row.try_get("id").db()?),
        user_id: UserId(row.try_get("user_id").db()?),
        created_at: row.try_get("created_at").db()?,
        revoked_at: row.try_get("revoked_at").db()?,
    })
}

pub(crate) async fn user_in(conn: &mut PgConnection, id: UserId) -> StoreResult<User> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or(StoreError::NotFound("user"))?;
    user(&row)
}

/// Inserts a human agent row and returns it.
pub(crate) async fn insert_member(
    conn: &mut PgConnection,
    org: OrgId,
    user: Option<UserId>,
    name: &str,
    role: Role,
    invitation: Option<&Invitation>,
) -> StoreResult<Member> {
    let sql = format!(
        "INSERT INTO agents (id, organization_id, user_id, name, ai, extra) \
         VALUES ($1, $2, $3, $4, false, $5) RETURNING {MEMBER_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(AgentId::new().0)
        .bind(org.0)
        .bind(user.map(|u| u.0))
        .bind(name)
        .bind(Json(member_extra(role, invitation)))
        .fetch_one(conn)
        .await
        .db()?;
    member(&row)
}

/// `NotFound("organization")` unless the org exists (in the transaction's scope).
pub(crate) async fn require_org(
    conn: &mut PgConnection,
    org: OrgId,
    lock: bool,
) -> StoreResult<()> {
    let sql = if lock {
        "SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT 1 FROM organizations WHERE id = $1"
    };
    sqlx::query(sql)
        .bind(org.0)
        .fetch_optional(conn)
        .await
        .db()?
        .map(|_| ())
        .ok_or(StoreError::NotFound("organization"))
}

/// Locks the org, then reads its human agent `id` and how many active owners it has.
pub(crate) async fn member_and_owners(
    conn: &mut PgConnection,
    org: OrgId,
    id: AgentId,
) -> StoreResult<(Member, i64)> {
    require_org(conn, org, true).await?;
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM agents WHERE id = $1 AND organization_id = $2 AND NOT ai"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or(StoreError::NotFound("agent"))?;
    let owners: i64 = sqlx::query_scalar(ACTIVE_OWNERS)
        .bind(org.0)
        .fetch_one(conn)
        .await
        .db()?;
    Ok((member(&row)?, owners))
}
