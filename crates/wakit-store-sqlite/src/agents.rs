//! [`AgentStore`]: AI agent rows, their sealed keys, and the agent settings kept in
//! `organizations.extra` and `conversations.extra` (merged by wakit-store).

use async_trait::async_trait;
use serde_json::Value;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use wakit_core::{AgentId, ConversationId, OrgId};
use wakit_store::secrets::SealedSecret;
use wakit_store::{
    AGENT_KEY_SECRET, AgentSettings, AgentStore, AiAgent, AiAgentChange, ConversationAgent,
    NewAiAgent, SealedKeyChange, StoreError, StoreResult, agent_extra, config_from_extra,
};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{get, get_json, get_time, get_uuid, now, to_json, us};
use crate::shared::require_org;

const AGENT_COLUMNS: &str = "a.id, a.organization_id, a.name, a.extra, a.created_at, \
     EXISTS (SELECT 1 FROM secrets s WHERE s.owner_id = a.id AND s.name = 'api_key') AS has_key";

/// Queues the agent turns of an ingest batch's new messages (`inserted`: org and id),
/// in the batch's transaction: only orgs with an AI agent get any (see
/// [`wakit_store::agent_turn`]).
pub(crate) async fn queue_turns(
    conn: &mut SqliteConnection,
    inserted: &[(OrgId, wakit_core::MessageId)],
    at: chrono::DateTime<chrono::Utc>,
) -> StoreResult<()> {
    if inserted.is_empty() {
        return Ok(());
    }
    let orgs: Vec<String> = wakit_store::turn_orgs(inserted)
        .iter()
        .map(ToString::to_string)
        .collect();
    let rows = sqlx::query(
        "SELECT o.id, o.extra FROM organizations o \
         WHERE o.id IN (SELECT value FROM json_each(?1)) \
           AND EXISTS (SELECT 1 FROM agents a WHERE a.organization_id = o.id AND a.ai <> 0)",
    )
    .bind(to_json(&orgs)?)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut agent_orgs = std::collections::HashMap::new();
    for row in &rows {
        agent_orgs.insert(
            OrgId(get_uuid(row, "id")?),
            get_json::<Value>(row, "extra")?,
        );
    }
    for job in wakit_store::agent_turn_jobs(inserted, &agent_orgs, at) {
        crate::jobs::insert_job(conn, &job).await?;
    }
    Ok(())
}

fn ai_agent(row: &SqliteRow) -> StoreResult<AiAgent> {
    Ok(AiAgent {
        id: AgentId(get_uuid(row, "id")?),
        org_id: OrgId(get_uuid(row, "organization_id")?),
        name: get(row, "name")?,
        config: config_from_extra(get_json(row, "extra")?),
        has_api_key: get::<i64>(row, "has_key")? != 0,
        created_at: get_time(row, "created_at")?,
    })
}

async fn fetch_agent(conn: &mut SqliteConnection, org: OrgId, id: AgentId) -> StoreResult<AiAgent> {
    let sql = format!(
        "SELECT {AGENT_COLUMNS} FROM agents a WHERE a.id = ?1 AND a.organization_id = ?2 AND a.ai = 1"
    );
    let row = sqlx::query(&sql)
        .bind(id.to_string())
        .bind(org.to_string())
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or(StoreError::NotFound("agent"))?;
    ai_agent(&row)
}

async fn write_key(
    conn: &mut SqliteConnection,
    org: OrgId,
    id: AgentId,
    change: &SealedKeyChange,
) -> StoreResult<()> {
    match change {
        SealedKeyChange::Keep => {}
        SealedKeyChange::Set(sealed) => {
            sqlx::query(
                "INSERT INTO secrets (organization_id, owner_id, name, sealed, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
                 ON CONFLICT (owner_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(AGENT_KEY_SECRET)
            .bind(&sealed.0)
            .bind(us(now()))
            .execute(conn)
            .await
            .db()?;
        }
        SealedKeyChange::Clear => {
            sqlx::query(
                "DELETE FROM secrets WHERE organization_id = ?1 AND owner_id = ?2 AND name = ?3",
            )
            .bind(org.to_string())
            .bind(id.to_string())
            .bind(AGENT_KEY_SECRET)
            .execute(conn)
            .await
            .db()?;
        }
    }
    Ok(())
}

/// `extra` of `table`'s row `id` in `org` (`table` is one of ours, never input).
async fn load_extra(
    conn: &mut SqliteConnection,
    table: &'static str,
    org: OrgId,
    id: String,
    missing: &'static str,
) -> StoreResult<Value> {
    let org_column = if table == "organizations" {
        "id"
    } else {
        "organization_id"
    };
    let sql = format!("SELECT extra FROM {table} WHERE id = ?1 AND {org_column} = ?2");
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(org.to_string())
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or(StoreError::NotFound(missing))?;
    get_json(&row, "extra")
}

async fn store_extra(
    conn: &mut SqliteConnection,
    table: &'static str,
    id: String,
    extra: &Value,
) -> StoreResult<()> {
    let sql = format!("UPDATE {table} SET extra = ?1, updated_at = ?2 WHERE id = ?3");
    sqlx::query(&sql)
        .bind(to_json(extra)?)
        .bind(us(now()))
        .bind(id)
        .execute(conn)
        .await
        .db()?;
    Ok(())
}

#[async_trait]
impl AgentStore for SqliteStore {
    async fn create_ai_agent(&self, org: OrgId, new: NewAiAgent) -> StoreResult<AiAgent> {
        let mut tx = self.write_tx().await?;
        require_org(&mut *tx, org).await?;
        sqlx::query(
            "INSERT INTO agents (id, organization_id, name, ai, extra, created_at, updated_at) \
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5)",
        )
        .bind(new.id.to_string())
        .bind(org.to_string())
        .bind(&new.name)
        .bind(to_json(&agent_extra(&new.config))?)
        .bind(us(now()))
        .execute(&mut *tx)
        .await
        .db()?;
        if let Some(key) = new.api_key {
            write_key(&mut tx, org, new.id, &SealedKeyChange::Set(key)).await?;
        }
        let agent = fetch_agent(&mut tx, org, new.id).await?;
        tx.commit().await.db()?;
        Ok(agent)
    }

    async fn list_ai_agents(&self, org: OrgId) -> StoreResult<Vec<AiAgent>> {
        let sql = format!(
            "SELECT {AGENT_COLUMNS} FROM agents a WHERE a.organization_id = ?1 AND a.ai = 1 \
             ORDER BY a.created_at, a.id"
        );
        let rows = sqlx::query(&sql)
            .bind(org.to_string())
            .fetch_all(self.reads())
            .await
            .db()?;
        rows.iter().map(ai_agent).collect()
    }

    async fn get_ai_agent(&self, org: OrgId, id: AgentId) -> StoreResult<AiAgent> {
        let mut conn = self.reads().acquire().await.db()?;
        fetch_agent(&mut conn, org, id).await
    }

    async fn update_ai_agent(
        &self,
        org: OrgId,
        id: AgentId,
        change: AiAgentChange,
    ) -> StoreResult<AiAgent> {
        let mut tx = self.write_tx().await?;
        let before = fetch_agent(&mut tx, org, id).await?;
        sqlx::query("UPDATE agents SET name = ?1, extra = ?2, updated_at = ?3 WHERE id = ?4")
            .bind(change.name.as_deref().unwrap_or(&before.name))
            .bind(to_json(&agent_extra(&change.config))?)
            .bind(us(now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
        write_key(&mut tx, org, id, &change.api_key).await?;
        let agent = fetch_agent(&mut tx, org, id).await?;
        tx.commit().await.db()?;
        Ok(agent)
    }

    async fn ai_agent_key(&self, org: OrgId, id: AgentId) -> StoreResult<Option<SealedSecret>> {
        let row = sqlx::query(
            "SELECT s.sealed FROM agents a \
             LEFT JOIN secrets s ON s.owner_id = a.id AND s.name = ?3 AND s.organization_id = a.organization_id \
             WHERE a.id = ?1 AND a.organization_id = ?2 AND a.ai = 1",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(AGENT_KEY_SECRET)
        .fetch_optional(self.reads())
        .await
        .db()?
        .ok_or(StoreError::NotFound("agent"))?;
        Ok(get::<Option<Vec<u8>>>(&row, "sealed")?.map(SealedSecret))
    }

    async fn agent_settings(&self, org: OrgId) -> StoreResult<AgentSettings> {
        let mut conn = self.reads().acquire().await.db()?;
        let extra = load_extra(
            &mut conn,
            "organizations",
            org,
            org.to_string(),
            "organization",
        )
        .await?;
        Ok(AgentSettings::from_extra(&extra))
    }

    async fn set_agent_settings(&self, org: OrgId, settings: &AgentSettings) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let extra = load_extra(
            &mut tx,
            "organizations",
            org,
            org.to_string(),
            "organization",
        )
        .await?;
        store_extra(
            &mut tx,
            "organizations",
            org.to_string(),
            &settings.apply(&extra),
        )
        .await?;
        tx.commit().await.db()
    }

    async fn conversation_agent(
        &self,
        org: OrgId,
        conversation: ConversationId,
    ) -> StoreResult<ConversationAgent> {
        let mut conn = self.reads().acquire().await.db()?;
        let id = conversation.to_string();
        let extra = load_extra(&mut conn, "conversations", org, id, "conversation").await?;
        Ok(ConversationAgent::from_extra(&extra))
    }

    async fn set_conversation_agent(
        &self,
        org: OrgId,
        conversation: ConversationId,
        state: &ConversationAgent,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let id = conversation.to_string();
        let extra = load_extra(&mut tx, "conversations", org, id.clone(), "conversation").await?;
        store_extra(&mut tx, "conversations", id, &state.apply(&extra)).await?;
        tx.commit().await.db()
    }
}
