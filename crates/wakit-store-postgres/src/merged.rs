//! The writes of a batch of status merges (status batches, groups of accepted sends),
//! gathered in memory and sent as one statement: changed message rows, their
//! `messages.update` events, completed jobs, and parked statuses applied (deleted) or
//! newly parked (inserted).

use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;
use wakit_core::{AccountId, MessageId, OrgId, StatusHistory};
use wakit_store::{MessageState, StatusUpdate, StoreResult};

use crate::error::DbResultExt;

/// What a batch writes.
#[derive(Default)]
pub(crate) struct Writes {
    /// Changed messages: id, status, history, error, wamid.
    ids: Vec<Uuid>,
    statuses: Vec<&'static str>,
    histories: Vec<Json<StatusHistory>>,
    errors: Vec<Option<serde_json::Value>>,
    wamids: Vec<Option<String>>,
    /// `messages.update` events, in order: org, message.
    event_orgs: Vec<Uuid>,
    event_rows: Vec<Uuid>,
    /// Leased jobs to mark done: id, lease token.
    jobs: Vec<Uuid>,
    tokens: Vec<Uuid>,
    /// Parked statuses applied now, to delete: org, number, wamid.
    cleared: Vec<(OrgId, AccountId, String)>,
    /// Statuses to park for unknown wamids.
    parked: Vec<(OrgId, StatusUpdate)>,
}

/// Everything in one round trip.
const WRITE: &str = "WITH changed AS ( \
       UPDATE messages m SET status = u.status, status_history = u.history, \
         error = u.error, external_id = u.wamid, updated_at = now() \
       FROM UNNEST($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[], $5::text[]) \
         AS u(id, status, history, error, wamid) \
       WHERE m.id = u.id \
     ), appended AS ( \
       INSERT INTO events (organization_id, entity, action, row_id) \
       SELECT e.org, 'messages', 'update', e.id \
       FROM UNNEST($6::uuid[], $7::uuid[]) WITH ORDINALITY AS e(org, id, n) ORDER BY e.n \
     ), done AS ( \
       UPDATE jobs j SET state = 'done', lease_until = NULL, lease_token = NULL, updated_at = now() \
       FROM UNNEST($8::uuid[], $9::uuid[]) AS d(id, token) \
       WHERE j.id = d.id AND j.state = 'running' AND j.lease_token = d.token \
     ), cleared AS ( \
       DELETE FROM pending_statuses p USING UNNEST($10::uuid[], $11::uuid[], $12::text[]) AS c(org, account, wamid) \
       WHERE p.organization_id = c.org AND p.account_id = c.account AND p.wamid = c.wamid \
     ) \
     INSERT INTO pending_statuses (id, organization_id, account_id, wamid, status, at, error) \
     SELECT * FROM UNNEST($13::uuid[], $14::uuid[], $15::uuid[], $16::text[], $17::text[], \
                          $18::timestamptz[], $19::jsonb[])";

impl Writes {
    /// The message's merged state, if anything of it changed.
    pub(crate) fn message(&mut self, m: MessageState) {
        if m.dirty {
            self.ids.push(m.id.0);
            self.statuses.push(m.status.as_str());
            self.histories.push(Json(m.history));
            self.errors.push(m.error);
            self.wamids.push(m.external_id);
        }
    }

    /// A `messages.update` event (the status word moved).
    pub(crate) fn event(&mut self, org: OrgId, message: MessageId) {
        self.event_orgs.push(org.0);
        self.event_rows.push(message.0);
    }

    /// A leased job done.
    pub(crate) fn job(&mut self, id: Uuid, token: Uuid) {
        self.jobs.push(id);
        self.tokens.push(token);
    }

    /// The statuses parked for a wamid were applied.
    pub(crate) fn clear(&mut self, org: OrgId, account: AccountId, wamid: String) {
        self.cleared.push((org, account, wamid));
    }

    /// A status for a wamid no message has yet.
    pub(crate) fn park(&mut self, org: OrgId, update: StatusUpdate) {
        self.parked.push((org, update));
    }

    pub(crate) async fn run(self, conn: &mut PgConnection) -> StoreResult<()> {
        let cleared = &self.cleared;
        let cleared_orgs: Vec<Uuid> = cleared.iter().map(|(org, _, _)| org.0).collect();
        let cleared_accounts: Vec<Uuid> = cleared.iter().map(|(_, a, _)| a.0).collect();
        let cleared_wamids: Vec<&str> = cleared.iter().map(|(_, _, w)| w.as_str()).collect();
        let parked = &self.parked;
        let ids: Vec<Uuid> = parked.iter().map(|_| Uuid::now_v7()).collect();
        let orgs: Vec<Uuid> = parked.iter().map(|(org, _)| org.0).collect();
        let accounts: Vec<Uuid> = parked.iter().map(|(_, u)| u.account_id.0).collect();
        let wamids: Vec<&str> = parked.iter().map(|(_, u)| u.wamid.as_str()).collect();
        let statuses: Vec<&str> = parked.iter().map(|(_, u)| u.status.as_str()).collect();
        let ats: Vec<_> = parked.iter().map(|(_, u)| u.at).collect();
        let errors: Vec<_> = parked.iter().map(|(_, u)| u.error.clone()).collect();
        sqlx::query(WRITE)
            .bind(&self.ids)
            .bind(&self.statuses)
            .bind(&self.histories)
            .bind(&self.errors)
            .bind(&self.wamids)
            .bind(&self.event_orgs)
            .bind(&self.event_rows)
            .bind(&self.jobs)
            .bind(&self.tokens)
            .bind(&cleared_orgs)
            .bind(&cleared_accounts)
            .bind(&cleared_wamids)
            .bind(&ids)
            .bind(&orgs)
            .bind(&accounts)
            .bind(&wamids)
            .bind(&statuses)
            .bind(&ats)
            .bind(&errors)
            .execute(conn)
            .await
            .db()
            .map(|_| ())
    }
}
