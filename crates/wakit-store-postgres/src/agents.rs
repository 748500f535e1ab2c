//! [`AgentStore`]: AI agent rows, their sealed keys, and the agent settings kept in
//! `organizations.extra` and `conversations.extra` (merged by wakit-store).

use async_trait::async_trait;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use uuid::Uuid;
use wakit_core::{AgentId, ConversationId, OrgId};
use wakit_store::secrets::SealedSecret;
use wakit_store::{
    AGENT_KEY_SECRET, AgentSettings, AgentStore, AiAgent, AiAgentChange, ConversationAgent,
    NewAiAgent, SealedKeyChange, StoreError, StoreResult, agent_extra, config_from_extra,
};

use crate::PgStore;
use crate::error::DbResultExt;

const AGENT_COLUMNS: &str = "a.id, a.organization_id, a.name, a.extra, a.created_at, \
     EXISTS (SELECT 1 FROM secrets s WHERE s.owner_id = a.id AND s.name = 'api_key') AS has_key";

/// Queues the agent turns of an ingest batch's new messages (`inserted`: org and id),
/// in the batch's transaction: only orgs with an AI agent get any (see
/// [`wakit_store::agent_turn`]).
pub(crate) async fn queue_turns(
    conn: &mut PgConnection,
    inserted: &[(OrgId, wakit_core::MessageId)],
) -> StoreResult<()> {
    if inserted.is_empty() {
        return Ok(());
    }
    let orgs: Vec<Uuid> = wakit_store::turn_orgs(inserted)
        .iter()
        .map(|o| o.0)
        .collect();
    let rows = sqlx::query(
        "SELECT o.id, o.extra FROM organizations o WHERE o.id = ANY($1) \
           AND EXISTS (SELECT 1 FROM agents a WHERE a.organization_id = o.id AND a.ai)",
    )
    .bind(&orgs)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    let mut agent_orgs = std::collections::HashMap::new();
    for row in &rows {
        let Json(extra): Json<Value> = row.try_get("extra").db()?;
        agent_orgs.insert(OrgId(row.try_get("id").db()?), extra);
    }
    for job in wakit_store::agent_turn_jobs(inserted, &agent_orgs, chrono::Utc::now()) {
        crate::jobs::insert_job(conn, &job).await?;
    }
    Ok(())
}

fn ai_agent(row: &PgRow) -> StoreResult<AiAgent> {
    let Json(extra) = row.try_get("extra").db()?;
    Ok(AiAgent {
        id: AgentId(row.try_get("id").db()?),
        org_id: OrgId(row.try_get("organization_id").db()?),
        name: row.try_get("name").db()?,
        config: config_from_extra(extra),
        has_api_key: row.try_get("has_key").db()?,
        created_at: row.try_get("created_at").db()?,
    })
}

async fn fetch_agent(conn: &mut PgConnection, org: OrgId, id: AgentId) -> StoreResult<AiAgent> {
    let sql = format!(
        "SELECT {AGENT_COLUMNS} FROM agents a WHERE a.id = $1 AND a.organization_id = $2 AND a.ai"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(org.0)
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or(StoreError::NotFound("agent"))?;
    ai_agent(&row)
}

async fn write_key(
    conn: &mut PgConnection,
    org: OrgId,
    id: AgentId,
    change: &SealedKeyChange,
) -> StoreResult<()> {
    match change {
        SealedKeyChange::Keep => {}
        SealedKeyChange::Set(sealed) => {
            sqlx::query(
                "INSERT INTO secrets (organization_id, owner_id, name, sealed) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (owner_id, name) DO UPDATE SET sealed = excluded.sealed, updated_at = now()",
            )
            .bind(org.0)
            .bind(id.0)
            .bind(AGENT_KEY_SECRET)
            .bind(&sealed.0)
            .execute(conn)
            .await
            .db()?;
        }
        SealedKeyChange::Clear => {
            sqlx::query(
                "DELETE FROM secrets WHERE organization_id = $1 AND owner_id = $2 AND name = $3",
            )
            .bind(org.0)
            .bind(id.0)
            .bind(AGENT_KEY_SECRET)
            .execute(conn)
            .await
            .db()?;
        }
    }
    Ok(())
}

/// `extra` of `table`'s row `id` in `org`, locked for update (`table` is one of ours).
async fn load_extra(
    conn: &mut PgConnection,
    table: &'static str,
    org: OrgId,
    id: Uuid,
    missing: &'static str,
) -> StoreResult<Value> {
    let org_column = if table == "organizations" {
        "id"
    } else {
        "organization_id"
    };
    let sql = format!("SELECT extra FROM {table} WHERE id = $1 AND {org_column} = $2 FOR UPDATE");
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(org.0)
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or(StoreError::NotFound(missing))?;
    let Json(extra) = row.try_get("extra").db()?;
    Ok(extra)
}

async fn store_extra(
    conn: &mut PgConnection,
    table: &'static str,
    id: Uuid,
    extra: Value,
) -> StoreResult<()> {
    let sql = format!("UPDATE {table} SET extra = $1, updated_at = now() WHERE id = $2");
    sqlx::query(&sql)
        .bind(Json(extra))
        .bind(id)
        .execute(conn)
        .await
        .db()?;
    Ok(())
}

#[async_trait]
impl AgentStore for PgStore {
    async fn create_ai_agent(&self, org: OrgId, new: NewAiAgent) -> StoreResult<AiAgent> {
        let mut tx = self.tenant(org).await?;
        load_extra(&mut tx, "organizations", org, org.0, "organization").await?;
        sqlx::query(
            "INSERT INTO agents (id, organization_id, name, ai, extra) VALUES ($1, $2, $3, true, $4)",
        )
        .bind(new.id.0)
        .bind(org.0)
        .bind(&new.name)
        .bind(Json(agent_extra(&new.config)))
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
        let mut tx = self.tenant(org).await?;
        let sql = format!(
            "SELECT {AGENT_COLUMNS} FROM agents a WHERE a.organization_id = $1 AND a.ai \
             ORDER BY a.created_at, a.id"
        );
        sqlx::query(&sql)
            .bind(org.0)
            .fetch_all(&mut *tx)
            .await
            .db()?
            .iter()
            .map(ai_agent)
            .collect()
    }

    async fn get_ai_agent(&self, org: OrgId, id: AgentId) -> StoreResult<AiAgent> {
        let mut tx = self.tenant(org).await?;
        fetch_agent(&mut tx, org, id).await
    }

    async fn update_ai_agent(
        &self,
        org: OrgId,
        id: AgentId,
        change: AiAgentChange,
    ) -> StoreResult<AiAgent> {
        let mut tx = self.tenant(org).await?;
        let before = fetch_agent(&mut tx, org, id).await?;
        sqlx::query("UPDATE agents SET name = $1, extra = $2, updated_at = now() WHERE id = $3")
            .bind(change.name.as_deref().unwrap_or(&before.name))
            .bind(Json(agent_extra(&change.config)))
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .db()?;
        write_key(&mut tx, org, id, &change.api_key).await?;
        let agent = fetch_agent(&mut tx, org, id).await?;
        tx.commit().await.db()?;
        Ok(agent)
    }

    async fn ai_agent_key(&self, org: OrgId, id: AgentId) -> StoreResult<Option<SealedSecret>> {
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(
            "SELECT s.sealed FROM agents a \
             LEFT JOIN secrets s ON s.owner_id = a.id AND s.name = $3 \
               AND s.organization_id = a.organization_id \
             WHERE a.id = $1 AND a.organization_id = $2 AND a.ai",
        )
        .bind(id.0)
        .bind(org.0)
        .bind(AGENT_KEY_SECRET)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("agent"))?;
        Ok(row
            .try_get::<Option<Vec<u8>>, _>("sealed")
            .db()?
            .map(SealedSecret))
    }

    async fn agent_settings(&self, org: OrgId) -> StoreResult<AgentSettings> {
        let mut tx = self.tenant(org).await?;
        let extra = load_extra(&mut tx, "organizations", org, org.0, "organization").await?;
        Ok(AgentSettings::from_extra(&extra))
    }

    async fn set_agent_settings(&self, org: OrgId, settings: &AgentSettings) -> StoreResult<()> {
        let mut tx = self.tenant(org).await?;
        let extra = load_extra(&mut tx, "organizations", org, org.0, "organization").await?;
        store_extra(&mut tx, "organizations", org.0, settings.apply(&extra)).await?;
        tx.commit().await.db()
    }

    async fn conversation_agent(
        &self,
        org: OrgId,
        conversation: ConversationId,
    ) -> StoreResult<ConversationAgent> {
        let mut tx = self.tenant(org).await?;
        let extra = load_extra(
            &mut tx,
            "conversations",
            org,
            conversation.0,
            "conversation",
        )
        .await?;
        Ok(ConversationAgent::from_extra(&extra))
    }

    async fn set_conversation_agent(
        &self,
        org: OrgId,
        conversation: ConversationId,
        state: &ConversationAgent,
    ) -> StoreResult<()> {
        let mut tx = self.tenant(org).await?;
        let extra = load_extra(
            &mut tx,
            "conversations",
            org,
            conversation.0,
            "conversation",
        )
        .await?;
        store_extra(
            &mut tx,
            "conversations",
            conversation.0,
            state.apply(&extra),
        )
        .await?;
        tx.commit().await.db()
    }
}
