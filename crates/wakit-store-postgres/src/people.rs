//! [`PeopleStore`]: users, sessions and refresh tokens, which are not tenant tables
//! (no row-level security, like jobs), and membership through human `agents` rows,
//! which are: membership methods run in the org's scope, sign-up (which joins
//! invitations of any org) and a user's membership list in the internal scope.
//!
//! Races resolve on locks: a refresh-token rotation reads its token `FOR UPDATE` (a
//! second presenter waits, then finds it spent); a role change or removal locks the
//! organization row first, so two owners demoting each other cannot both succeed.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::types::Json;
use uuid::Uuid;
use wakit_core::{AgentId, OrgId, Role};
use wakit_store::people::check_owner_change;
use wakit_store::secrets::KeyHash;
use wakit_store::{
    Invitation, InvitationStatus, LogoutScope, Member, NewUser, OwnedOrg, PasswordHash,
    PeopleStore, Rotation, Session, SessionId, StoreError, StoreResult, User, UserId,
    normalize_email,
};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::people_rows::{
    MEMBER_COLUMNS, SESSION_COLUMNS, USER_COLUMNS, insert_member, member, member_and_owners,
    require_org, session, user, user_in,
};

#[async_trait]
impl PeopleStore for PgStore {
    /// Internal scope: the invitations it joins may be in any organization.
    async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        let (id, email) = (UserId::new(), normalize_email(&new.email));
        let mut tx = self.internal().await?;
        let sql = format!(
            "INSERT INTO users (id, email, password_hash, user_metadata) \
             VALUES ($1, $2, $3, $4) RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(&email)
            .bind(&new.password_hash.0)
            .bind(Json(&new.user_metadata))
            .fetch_one(&mut *tx)
            .await
            .db()?;
        let created = user(&row)?;
        sqlx::query(
            "UPDATE agents SET user_id = $1, updated_at = now(), \
             extra = jsonb_set(extra, '{invitation,status}', '\"accepted\"') \
             WHERE user_id IS NULL AND NOT ai AND extra #>> '{invitation,email}' = $2 \
             AND extra #>> '{invitation,status}' = 'pending'",
        )
        .bind(id.0)
        .bind(&email)
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(created)
    }

    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        let mut conn = self.pool.acquire().await.db()?;
        user_in(&mut conn, id).await
    }

    async fn user_credentials(&self, email: &str) -> StoreResult<Option<(User, PasswordHash)>> {
        let sql =
            format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE lower(email) = $1");
        let row = sqlx::query(&sql)
            .bind(normalize_email(email))
            .fetch_optional(&self.pool)
            .await
            .db()?;
        row.map(|r| Ok((user(&r)?, PasswordHash(r.try_get("password_hash").db()?))))
            .transpose()
    }

    async fn password_hash(&self, id: UserId) -> StoreResult<PasswordHash> {
        let hash: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .db()?;
        hash.map(PasswordHash).ok_or(StoreError::NotFound("user"))
    }

    async fn set_password(&self, id: UserId, hash: PasswordHash) -> StoreResult<User> {
        let sql = format!(
            "UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(&hash.0)
            .fetch_optional(&self.pool)
            .await
            .db()?
            .ok_or(StoreError::NotFound("user"))?;
        user(&row)
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY created_at, id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await.db()?;
        rows.iter().map(user).collect()
    }

    async fn start_session(&self, user_id: UserId, refresh: &KeyHash) -> StoreResult<Session> {
        let id = SessionId::new();
        let mut tx = self.pool.begin().await.db()?;
        let signed_in = sqlx::query("UPDATE users SET last_sign_in_at = now() WHERE id = $1")
            .bind(user_id.0)
            .execute(&mut *tx)
            .await
            .db()?;
        if signed_in.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        let sql = format!(
            "INSERT INTO sessions (id, user_id) VALUES ($1, $2) RETURNING {SESSION_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(user_id.0)
            .fetch_one(&mut *tx)
            .await
            .db()?;
        sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)")
            .bind(&refresh.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        session(&row)
    }

    async fn get_session(&self, id: SessionId) -> StoreResult<Session> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .db()?
            .ok_or(StoreError::NotFound("session"))?;
        session(&row)
    }

    async fn rotate_refresh_token(&self, old: &KeyHash, new: &KeyHash) -> StoreResult<Rotation> {
        let mut tx = self.pool.begin().await.db()?;
        let found = sqlx::query(
            "SELECT rt.used, s.id, s.user_id, s.created_at, s.revoked_at \
             FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id \
             WHERE rt.token_hash = $1 FOR UPDATE",
        )
        .bind(&old.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        let Some(row) = found else {
            return Ok(Rotation::Unknown);
        };
        let s = session(&row)?;
        if s.revoked_at.is_some() {
            return Ok(Rotation::Unknown);
        }
        if row.try_get::<bool, _>("used").db()? {
            sqlx::query("UPDATE sessions SET revoked_at = now(), updated_at = now() WHERE id = $1")
                .bind(s.id.0)
                .execute(&mut *tx)
                .await
                .db()?;
            tx.commit().await.db()?;
            return Ok(Rotation::Reused);
        }
        sqlx::query("UPDATE refresh_tokens SET used = true WHERE token_hash = $1")
            .bind(&old.0)
            .execute(&mut *tx)
            .await
            .db()?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, session_id, parent) VALUES ($1, $2, $3)",
        )
        .bind(&new.0)
        .bind(s.id.0)
        .bind(&old.0)
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query("UPDATE sessions SET updated_at = now() WHERE id = $1")
            .bind(s.id.0)
            .execute(&mut *tx)
            .await
            .db()?;
        let user = user_in(&mut tx, s.user_id).await?;
        tx.commit().await.db()?;
        Ok(Rotation::Rotated { session: s, user })
    }

    async fn end_sessions(&self, id: SessionId, scope: LogoutScope) -> StoreResult<()> {
        let filter = match scope {
            LogoutScope::Local => "id = $1",
            LogoutScope::Global => "user_id = (SELECT user_id FROM sessions WHERE id = $1)",
            LogoutScope::Others => {
                "user_id = (SELECT user_id FROM sessions WHERE id = $1) AND id <> $1"
            }
        };
        self.get_session(id).await?;
        sqlx::query(&format!(
            "UPDATE sessions SET revoked_at = COALESCE(revoked_at, now()), updated_at = now() \
             WHERE {filter}"
        ))
        .bind(id.0)
        .execute(&self.pool)
        .await
        .db()?;
        Ok(())
    }

    /// Scoped to the new organization, as `create_org`.
    async fn create_org_with_owner(
        &self,
        user_id: UserId,
        name: &str,
        timezone: &str,
        owner_name: &str,
    ) -> StoreResult<OwnedOrg> {
        let id = OrgId::new();
        let mut tx = self.tenant(id).await?;
        user_in(&mut tx, user_id).await?;
        let org = crate::orgs::insert_org(&mut tx, id, name, timezone).await?;
        let owner =
            insert_member(&mut tx, id, Some(user_id), owner_name, Role::Owner, None).await?;
        tx.commit().await.db()?;
        Ok(OwnedOrg { org, owner })
    }

    async fn add_member(&self, org: OrgId, user_id: UserId, role: Role) -> StoreResult<Member> {
        let mut tx = self.tenant(org).await?;
        require_org(&mut tx, org, false).await?;
        let u = user_in(&mut tx, user_id).await?;
        let m = insert_member(&mut tx, org, Some(user_id), &u.email, role, None).await?;
        tx.commit().await.db()?;
        Ok(m)
    }

    async fn invite_member(&self, org: OrgId, email: &str, role: Role) -> StoreResult<Member> {
        let email = normalize_email(email);
        let mut tx = self.tenant(org).await?;
        require_org(&mut tx, org, false).await?;
        let user_id: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM users WHERE lower(email) = $1")
                .bind(&email)
                .fetch_optional(&mut *tx)
                .await
                .db()?;
        let invitation = Invitation {
            email: email.clone(),
            status: match user_id {
                Some(_) => InvitationStatus::Accepted,
                None => InvitationStatus::Pending,
            },
        };
        let user_id = user_id.map(UserId);
        let m = insert_member(&mut tx, org, user_id, &email, role, Some(&invitation)).await?;
        tx.commit().await.db()?;
        Ok(m)
    }

    async fn list_members(&self, org: OrgId) -> StoreResult<Vec<Member>> {
        let mut tx = self.tenant(org).await?;
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM agents WHERE organization_id = $1 AND NOT ai \
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(org.0)
            .fetch_all(&mut *tx)
            .await
            .db()?;
        rows.iter().map(member).collect()
    }

    /// Internal scope: which organizations the user may act in is the question.
    async fn memberships(&self, user_id: UserId) -> StoreResult<Vec<Member>> {
        let mut tx = self.internal().await?;
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM agents WHERE user_id = $1 AND NOT ai ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id.0)
            .fetch_all(&mut *tx)
            .await
            .db()?;
        let all: Vec<Member> = rows.iter().map(member).collect::<StoreResult<_>>()?;
        Ok(all.into_iter().filter(Member::is_active).collect())
    }

    async fn set_member_role(&self, org: OrgId, id: AgentId, role: Role) -> StoreResult<Member> {
        let mut tx = self.tenant(org).await?;
        let (current, owners) = member_and_owners(&mut tx, org, id).await?;
        check_owner_change(&current, Some(role), owners)?;
        let sql = format!(
            "UPDATE agents SET extra = jsonb_set(extra, '{{role}}', to_jsonb($3::text)), \
             updated_at = now() WHERE id = $1 AND organization_id = $2 RETURNING {MEMBER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(org.0)
            .bind(role.as_str())
            .fetch_one(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        member(&row)
    }

    async fn remove_member(&self, org: OrgId, id: AgentId) -> StoreResult<()> {
        let mut tx = self.tenant(org).await?;
        let (current, owners) = member_and_owners(&mut tx, org, id).await?;
        check_owner_change(&current, None, owners)?;
        sqlx::query("DELETE FROM agents WHERE id = $1 AND organization_id = $2")
            .bind(id.0)
            .bind(org.0)
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(())
    }

    async fn delete_user(&self, user: UserId) -> StoreResult<()> {
        let mut tx = self.internal().await?;
        let agents = sqlx::query(
            "SELECT id, organization_id FROM agents WHERE user_id = $1 AND NOT ai ORDER BY organization_id",
        )
        .bind(user.0)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        for row in &agents {
            let agent: Uuid = row.try_get("id").db()?;
            let org: Uuid = row.try_get("organization_id").db()?;
            let (current, owners) = member_and_owners(&mut tx, OrgId(org), AgentId(agent)).await?;
            check_owner_change(&current, None, owners)?;
        }
        sqlx::query("DELETE FROM agents WHERE user_id = $1 AND NOT ai")
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .db()?;
        let gone = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .db()?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        tx.commit().await.db()?;
        Ok(())
    }
}
