//! Writes a batch's recorded plan ([`Recorder`]) in the batch's transaction.
//!
//! Batches run concurrently (several processors per replica, several replicas) and
//! share contacts, so every lock is taken in one global order, phase by phase, each
//! phase in key order: (1) the contact addresses the batch creates or changes, by
//! (org, key); (2) the conversations it opens, by (number, key); (3) its messages'
//! wamids, by (number, wamid); (4) the rows of the conversations it touches, by id,
//! as the last statement; (5) the org's event counter, at commit (migration 0014).
//! A batch waits only for locks later in that order than the ones it holds, so two
//! batches can queue behind each other but never deadlock. Contacts that do not
//! change are not locked at all: in the steady state a batch's only shared locks are
//! its conversations' rows, held from its last statement to its commit.

use std::collections::{BTreeSet, HashMap, HashSet};

use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;
use wakit_core::{
    AccountId, ConversationId, MessageContent, MessageId, MessageStatus, OrgId, StatusHistory,
};
use wakit_store::media::download_job;
use wakit_store::{Ingested, StoreError, StoreResult, starts_turn};

use crate::contacts::{Touch, lock_address, upsert_address, write_address};
use crate::conversations::find_or_create;
use crate::error::DbResultExt;
use crate::ingest::{Planned, Recorder, stored};

/// Writes `rec` and returns the batch's answers: `out` (the plan's) with the ids of
/// conversations and messages a concurrent batch created first.
pub(crate) async fn write(
    conn: &mut PgConnection,
    rec: Recorder,
    mut out: Vec<Ingested>,
) -> StoreResult<Vec<Ingested>> {
    let Recorder {
        contacts,
        new_contacts,
        opened,
        mut rows,
    } = rec;
    settle_contacts(conn, &contacts, &new_contacts, &rows).await?;
    let opened: Vec<_> = opened
        .into_iter()
        .map(|((account, key), (org, id))| (org, account, key, id))
        .collect();
    let (moved, created) = open_conversations(conn, &opened).await?;
    for row in &mut rows {
        if let Some(id) = moved.get(&row.conversation) {
            row.conversation = *id;
        }
    }
    let inserted = insert_messages(conn, &rows).await?;
    let (new, lost): (Vec<&Planned>, Vec<&Planned>) =
        rows.iter().partition(|r| inserted.contains(&r.id));
    append_events(conn, &new, &created).await?;
    for row in &new {
        if let Some(job) = download_job(row.org, row.id, &row.msg) {
            crate::jobs::insert_job(conn, &job).await?;
        }
    }
    let turns: Vec<_> = new
        .iter()
        .filter(|r| starts_turn(&r.msg))
        .map(|r| (r.org, r.id))
        .collect();
    crate::agents::queue_turns(conn, &turns).await?;
    touch_conversations(conn, &new).await?;

    // Answers: the conversation a message went to, and for a wamid a concurrent batch
    // stored first, that batch's message.
    let theirs = if lost.is_empty() {
        HashMap::new()
    } else {
        let wamids = lost
            .iter()
            .map(|r| (r.org, r.msg.account_id, r.msg.wamid.as_str()))
            .collect();
        stored(conn, &wamids).await?
    };
    let planned: HashMap<MessageId, &Planned> = rows.iter().map(|r| (r.id, r)).collect();
    // Duplicates within the batch answer with the row they repeat, so they move too.
    for answer in &mut out {
        let Some(row) = planned.get(&answer.message_id) else {
            continue;
        };
        answer.conversation_id = row.conversation;
        if !inserted.contains(&row.id) {
            let key = (row.msg.account_id, row.msg.wamid.clone());
            *answer = *theirs
                .get(&key)
                .ok_or_else(|| StoreError::other("wamid conflict without a stored message"))?;
        }
    }
    Ok(out)
}

/// Phase 1: creates the new contact addresses and brings the changed ones up to date,
/// in key order. A changed row is locked and read again first: what it becomes is
/// folded from its value now, which a concurrent batch may have moved since the lookup.
async fn settle_contacts(
    conn: &mut PgConnection,
    contacts: &BTreeSet<(OrgId, String)>,
    new_contacts: &HashSet<(OrgId, String)>,
    rows: &[Planned],
) -> StoreResult<()> {
    for contact in contacts {
        let (org, key) = contact;
        let mut msgs = rows
            .iter()
            .filter(|r| r.org == *org && r.key == *key)
            .map(|r| &r.msg);
        if new_contacts.contains(contact) {
            // Race-safe: a concurrent batch creating it too makes this wait, then
            // update the row it created.
            let Some(first) = msgs.next() else { continue };
            let touch = Touch::Inbound {
                profile_name: first.profile_name.as_deref(),
            };
            upsert_address(conn, *org, key, &first.from, touch).await?;
        }
        let rest: Vec<_> = msgs.collect();
        if rest.is_empty() {
            continue;
        }
        let old = lock_address(conn, *org, key).await?;
        let new = rest.iter().fold(old.clone(), |a, m| {
            a.after_inbound(&m.from, m.profile_name.as_deref())
        });
        if new != old {
            write_address(conn, *org, key, &new).await?;
        }
    }
    Ok(())
}

/// Phase 2: opens the conversations (sorted by number and key) in one statement; one a
/// concurrent batch opened meanwhile is not inserted (the insert waits for that batch's
/// end) and is looked up instead. Returns the ids that changed (plan's → stored) and
/// the ids this batch created.
async fn open_conversations(
    conn: &mut PgConnection,
    opened: &[(OrgId, AccountId, String, ConversationId)],
) -> StoreResult<(
    HashMap<ConversationId, ConversationId>,
    HashSet<ConversationId>,
)> {
    if opened.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<Uuid> = opened.iter().map(|o| o.3.0).collect();
    let orgs: Vec<Uuid> = opened.iter().map(|o| o.0.0).collect();
    let accounts: Vec<Uuid> = opened.iter().map(|o| o.1.0).collect();
    let keys: Vec<&str> = opened.iter().map(|o| o.2.as_str()).collect();
    // The rows go in array order (the caller's key order).
    let created: HashSet<ConversationId> = sqlx::query_scalar(
        "INSERT INTO conversations (id, organization_id, account_id, contact_address) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) \
         ON CONFLICT (account_id, contact_address) WHERE status = 'active' DO NOTHING RETURNING id",
    )
    .bind(&ids)
    .bind(&orgs)
    .bind(&accounts)
    .bind(&keys)
    .fetch_all(&mut *conn)
    .await
    .db()?
    .into_iter()
    .map(ConversationId)
    .collect();
    let mut moved = HashMap::new();
    for (org, account, key, id) in opened.iter().filter(|o| !created.contains(&o.3)) {
        let (found, _) = find_or_create(conn, *org, *account, key).await?;
        moved.insert(*id, found);
    }
    Ok((moved, created))
}

/// Phase 3: inserts the message rows in one statement, sorted by (number, wamid); a
/// wamid a concurrent batch stored first is skipped (the insert waits for that batch).
/// Returns the ids inserted.
async fn insert_messages(
    conn: &mut PgConnection,
    rows: &[Planned],
) -> StoreResult<HashSet<MessageId>> {
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let mut sorted: Vec<&Planned> = rows.iter().collect();
    sorted.sort_by(|a, b| (a.msg.account_id, &a.msg.wamid).cmp(&(b.msg.account_id, &b.msg.wamid)));
    let mut cols = Columns::default();
    for r in sorted {
        let history = StatusHistory::starting(MessageStatus::Delivered, r.msg.timestamp);
        cols.ids.push(r.id.0);
        cols.orgs.push(r.org.0);
        cols.conversations.push(r.conversation.0);
        cols.accounts.push(r.msg.account_id.0);
        cols.keys.push(&r.key);
        cols.contents.push(Json(&r.msg.content));
        cols.histories.push(Json(history));
        cols.wamids.push(&r.msg.wamid);
        cols.times.push(r.msg.timestamp);
    }
    let inserted: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO messages (id, organization_id, conversation_id, account_id, contact_address, \
             direction, content, status, status_history, external_id, \"timestamp\") \
         SELECT r.id, r.org, r.conv, r.account, r.key, 'incoming', r.content, 'delivered', \
             r.history, r.wamid, r.ts \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::jsonb[], \
             $7::jsonb[], $8::text[], $9::timestamptz[]) \
           AS r(id, org, conv, account, key, content, history, wamid, ts) \
         ON CONFLICT (account_id, external_id) DO NOTHING RETURNING id",
    )
    .bind(&cols.ids)
    .bind(&cols.orgs)
    .bind(&cols.conversations)
    .bind(&cols.accounts)
    .bind(&cols.keys)
    .bind(&cols.contents)
    .bind(&cols.histories)
    .bind(&cols.wamids)
    .bind(&cols.times)
    .fetch_all(&mut *conn)
    .await
    .db()?;
    Ok(inserted.into_iter().map(MessageId).collect())
}

/// The message rows as the insert's arrays.
#[derive(Default)]
struct Columns<'a> {
    ids: Vec<Uuid>,
    orgs: Vec<Uuid>,
    conversations: Vec<Uuid>,
    accounts: Vec<Uuid>,
    keys: Vec<&'a str>,
    contents: Vec<Json<&'a MessageContent>>,
    histories: Vec<Json<StatusHistory>>,
    wamids: Vec<&'a str>,
    times: Vec<chrono::DateTime<chrono::Utc>>,
}

/// The events of the new messages, in batch order: a message that is the first of a
/// conversation this batch opened brings that conversation's insert first.
async fn append_events(
    conn: &mut PgConnection,
    new: &[&Planned],
    created: &HashSet<ConversationId>,
) -> StoreResult<()> {
    let (mut orgs, mut entities, mut ids) = (Vec::new(), Vec::new(), Vec::new());
    let mut announced = HashSet::new();
    for row in new {
        if created.contains(&row.conversation) && announced.insert(row.conversation) {
            orgs.push(row.org.0);
            entities.push("conversations");
            ids.push(row.conversation.0);
        }
        orgs.push(row.org.0);
        entities.push("messages");
        ids.push(row.id.0);
    }
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO events (organization_id, entity, action, row_id) \
         SELECT e.org, e.entity, 'insert', e.row_id \
         FROM UNNEST($1::uuid[], $2::text[], $3::uuid[]) WITH ORDINALITY AS e(org, entity, row_id, n) \
         ORDER BY e.n",
    )
    .bind(&orgs)
    .bind(&entities)
    .bind(&ids)
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

/// Phase 4, the batch's last statement: moves each touched conversation's last message
/// and unread count, as the messages one by one would (a later timestamp, or an equal
/// one later in the batch, becomes the last message; a message after the last outgoing
/// one is unread). The rows are locked first, by id.
const TOUCH: &str = "\
WITH m AS (
    SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::timestamptz[]) WITH ORDINALITY AS m(conv, id, ts, n)
), a AS (
    SELECT conv, max(ts) AS last_ts, (array_agg(id ORDER BY ts DESC, n DESC))[1] AS last_id,
           array_agg(ts) AS times
    FROM m GROUP BY conv
), l AS MATERIALIZED (
    SELECT c.id FROM conversations c WHERE c.id IN (SELECT conv FROM a) ORDER BY c.id FOR NO KEY UPDATE
)
UPDATE conversations c SET
    last_message_id = CASE WHEN c.last_message_at IS NULL OR a.last_ts >= c.last_message_at
                           THEN a.last_id ELSE c.last_message_id END,
    last_message_at = CASE WHEN c.last_message_at IS NULL OR a.last_ts >= c.last_message_at
                           THEN a.last_ts ELSE c.last_message_at END,
    unread_count = c.unread_count + (SELECT count(*) FROM unnest(a.times) AS t(ts)
                                     WHERE c.last_outgoing_at IS NULL OR t.ts > c.last_outgoing_at),
    updated_at = now()
FROM a JOIN l ON l.id = a.conv
WHERE c.id = a.conv";

async fn touch_conversations(conn: &mut PgConnection, new: &[&Planned]) -> StoreResult<()> {
    if new.is_empty() {
        return Ok(());
    }
    let conversations: Vec<Uuid> = new.iter().map(|r| r.conversation.0).collect();
    let ids: Vec<Uuid> = new.iter().map(|r| r.id.0).collect();
    let times: Vec<_> = new.iter().map(|r| r.msg.timestamp).collect();
    sqlx::query(TOUCH)
        .bind(&conversations)
        .bind(&ids)
        .bind(&times)
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(())
}
