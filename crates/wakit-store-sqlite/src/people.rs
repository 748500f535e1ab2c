//! [`PeopleStore`]: users, sessions and refresh tokens (not tenant tables), and
//! membership through human `agents` rows. Every write goes through the single writer
//! (`BEGIN IMMEDIATE`), so a refresh-token rotation or a last-owner check never races
//! another in this process.

use async_trait::async_trait;
use wakit_core::{AgentId, OrgId, Role};
use wakit_store::people::check_owner_change;
use wakit_store::secrets::KeyHash;
use wakit_store::{
    Invitation, InvitationStatus, LogoutScope, Member, NewUser, OwnedOrg, PasswordHash,
    PeopleStore, Rotation, Session, SessionId, StoreError, StoreResult, User, UserId,
    normalize_email,
};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::people_rows::{
    MEMBER_COLUMNS, SESSION_COLUMNS, USER_COLUMNS, insert_member, member, member_and_owners,
    session, user, user_in,
};
use crate::rows::{get, get_uuid, now, to_json, us};
use crate::shared::require_org;

#[async_trait]
impl PeopleStore for SqliteStore {
    async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        let (id, email, at) = (UserId::new(), normalize_email(&new.email), us(now()));
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "INSERT INTO users (id, email, password_hash, user_metadata, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .bind(&email)
            .bind(&new.password_hash.0)
            .bind(to_json(&new.user_metadata)?)
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .db()?;
        let created = user(&row)?;
        sqlx::query(
            "UPDATE agents SET user_id = ?1, updated_at = ?3, \
             extra = json_set(extra, '$.invitation.status', 'accepted') \
             WHERE user_id IS NULL AND ai = 0 AND json_extract(extra, '$.invitation.email') = ?2 \
             AND json_extract(extra, '$.invitation.status') = 'pending'",
        )
        .bind(id.to_string())
        .bind(&email)
        .bind(at)
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(created)
    }

    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))
            .bind(id.to_string())
            .fetch_optional(self.reads())
            .await
            .db()?
            .ok_or(StoreError::NotFound("user"))?;
        user(&row)
    }

    async fn user_credentials(&self, email: &str) -> StoreResult<Option<(User, PasswordHash)>> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = ?1");
        let row = sqlx::query(&sql)
            .bind(normalize_email(email))
            .fetch_optional(self.reads())
            .await
            .db()?;
        row.map(|r| Ok((user(&r)?, PasswordHash(get(&r, "password_hash")?))))
            .transpose()
    }

    async fn password_hash(&self, id: UserId) -> StoreResult<PasswordHash> {
        let row = sqlx::query("SELECT password_hash FROM users WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(self.reads())
            .await
            .db()?
            .ok_or(StoreError::NotFound("user"))?;
        Ok(PasswordHash(get(&row, "password_hash")?))
    }

    async fn set_password(&self, id: UserId, hash: PasswordHash) -> StoreResult<User> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1 RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .bind(&hash.0)
            .bind(us(now()))
            .fetch_optional(&mut *tx)
            .await
            .db()?
            .ok_or(StoreError::NotFound("user"))?;
        tx.commit().await.db()?;
        user(&row)
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY created_at, id");
        let rows = sqlx::query(&sql).fetch_all(self.reads()).await.db()?;
        rows.iter().map(user).collect()
    }

    async fn start_session(&self, user_id: UserId, refresh: &KeyHash) -> StoreResult<Session> {
        let (id, at) = (SessionId::new(), us(now()));
        let mut tx = self.write_tx().await?;
        user_in(&mut tx, user_id).await?;
        let sql = format!(
            "INSERT INTO sessions (id, user_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) \
             RETURNING {SESSION_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .bind(user_id.to_string())
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .db()?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES (?1, ?2, ?3)",
        )
        .bind(&refresh.0)
        .bind(id.to_string())
        .bind(at)
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query("UPDATE users SET last_sign_in_at = ?2 WHERE id = ?1")
            .bind(user_id.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        session(&row)
    }

    async fn get_session(&self, id: SessionId) -> StoreResult<Session> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?1");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(self.reads())
            .await
            .db()?
            .ok_or(StoreError::NotFound("session"))?;
        session(&row)
    }

    async fn rotate_refresh_token(&self, old: &KeyHash, new: &KeyHash) -> StoreResult<Rotation> {
        let at = us(now());
        let mut tx = self.write_tx().await?;
        let found = sqlx::query(
            "SELECT rt.used, s.id, s.user_id, s.created_at, s.revoked_at \
             FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE rt.token_hash = ?1",
        )
        .bind(&old.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?;
        let Some(row) = found else {
            return Ok(Rotation::Unknown);
        };
        let mut s = session(&row)?;
        if s.revoked_at.is_some() {
            return Ok(Rotation::Unknown);
        }
        if get::<bool>(&row, "used")? {
            sqlx::query("UPDATE sessions SET revoked_at = ?2, updated_at = ?2 WHERE id = ?1")
                .bind(s.id.to_string())
                .bind(at)
                .execute(&mut *tx)
                .await
                .db()?;
            tx.commit().await.db()?;
            return Ok(Rotation::Reused);
        }
        sqlx::query("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ?1")
            .bind(&old.0)
            .execute(&mut *tx)
            .await
            .db()?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, session_id, parent, created_at) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&new.0)
        .bind(s.id.to_string())
        .bind(&old.0)
        .bind(at)
        .execute(&mut *tx)
        .await
        .db()?;
        sqlx::query("UPDATE sessions SET updated_at = ?2 WHERE id = ?1")
            .bind(s.id.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await
            .db()?;
        let user = user_in(&mut tx, s.user_id).await?;
        tx.commit().await.db()?;
        s.revoked_at = None;
        Ok(Rotation::Rotated { session: s, user })
    }

    async fn end_sessions(&self, id: SessionId, scope: LogoutScope) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT user_id FROM sessions WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .db()?
            .ok_or(StoreError::NotFound("session"))?;
        let user_id: String = get(&row, "user_id")?;
        let filter = match scope {
            LogoutScope::Local => "id = ?1",
            LogoutScope::Global => "user_id = ?2",
            LogoutScope::Others => "user_id = ?2 AND id <> ?1",
        };
        sqlx::query(&format!(
            "UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?3), updated_at = ?3 WHERE {filter}"
        ))
        .bind(id.to_string())
        .bind(user_id)
        .bind(us(now()))
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(())
    }

    async fn create_org_with_owner(
        &self,
        user_id: UserId,
        name: &str,
        timezone: &str,
        owner_name: &str,
    ) -> StoreResult<OwnedOrg> {
        let mut tx = self.write_tx().await?;
        user_in(&mut tx, user_id).await?;
        let org = crate::orgs::insert_org(&mut tx, name, timezone).await?;
        let owner = insert_member(
            &mut tx,
            org.id,
            Some(user_id),
            owner_name,
            Role::Owner,
            None,
        )
        .await?;
        tx.commit().await.db()?;
        Ok(OwnedOrg { org, owner })
    }

    async fn add_member(&self, org: OrgId, user_id: UserId, role: Role) -> StoreResult<Member> {
        let mut tx = self.write_tx().await?;
        require_org(&mut *tx, org).await?;
        let u = user_in(&mut tx, user_id).await?;
        let m = insert_member(&mut tx, org, Some(user_id), &u.email, role, None).await?;
        tx.commit().await.db()?;
        Ok(m)
    }

    async fn invite_member(&self, org: OrgId, email: &str, role: Role) -> StoreResult<Member> {
        let email = normalize_email(email);
        let mut tx = self.write_tx().await?;
        require_org(&mut *tx, org).await?;
        let existing = sqlx::query("SELECT id FROM users WHERE email = ?1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
        let user_id = existing
            .map(|r| get_uuid(&r, "id").map(UserId))
            .transpose()?;
        let invitation = Invitation {
            email: email.clone(),
            status: match user_id {
                Some(_) => InvitationStatus::Accepted,
                None => InvitationStatus::Pending,
            },
        };
        let m = insert_member(&mut tx, org, user_id, &email, role, Some(&invitation)).await?;
        tx.commit().await.db()?;
        Ok(m)
    }

    async fn list_members(&self, org: OrgId) -> StoreResult<Vec<Member>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM agents WHERE organization_id = ?1 AND ai = 0 \
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(org.to_string())
            .fetch_all(self.reads())
            .await
            .db()?;
        rows.iter().map(member).collect()
    }

    async fn memberships(&self, user_id: UserId) -> StoreResult<Vec<Member>> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM agents WHERE user_id = ?1 AND ai = 0 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id.to_string())
            .fetch_all(self.reads())
            .await
            .db()?;
        let all: Vec<Member> = rows.iter().map(member).collect::<StoreResult<_>>()?;
        Ok(all.into_iter().filter(Member::is_active).collect())
    }

    async fn set_member_role(&self, org: OrgId, id: AgentId, role: Role) -> StoreResult<Member> {
        let mut tx = self.write_tx().await?;
        let (current, owners) = member_and_owners(&mut tx, org, id).await?;
        check_owner_change(&current, Some(role), owners)?;
        let sql = format!(
            "UPDATE agents SET extra = json_set(extra, '$.role', ?3), updated_at = ?4 \
             WHERE id = ?1 AND organization_id = ?2 RETURNING {MEMBER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .bind(org.to_string())
            .bind(role.as_str())
            .bind(us(now()))
            .fetch_one(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        member(&row)
    }

    async fn remove_member(&self, org: OrgId, id: AgentId) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let (current, owners) = member_and_owners(&mut tx, org, id).await?;
        check_owner_change(&current, None, owners)?;
        sqlx::query("DELETE FROM agents WHERE id = ?1 AND organization_id = ?2")
            .bind(id.to_string())
            .bind(org.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(())
    }

    async fn delete_user(&self, user: UserId) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let agents = sqlx::query(
            "SELECT id, organization_id FROM agents WHERE user_id = ?1 AND ai = 0 ORDER BY id",
        )
        .bind(user.to_string())
        .fetch_all(&mut *tx)
        .await
        .db()?;
        for row in &agents {
            let (agent, org) = (get_uuid(row, "id")?, get_uuid(row, "organization_id")?);
            let (current, owners) = member_and_owners(&mut tx, OrgId(org), AgentId(agent)).await?;
            check_owner_change(&current, None, owners)?;
        }
        sqlx::query("DELETE FROM agents WHERE user_id = ?1 AND ai = 0")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
        let gone = sqlx::query("DELETE FROM users WHERE id = ?1")
            .bind(user.to_string())
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
