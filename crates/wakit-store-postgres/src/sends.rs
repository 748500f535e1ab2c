//! A group of accepted sends ([`Store::finish_sends`]) in one transaction, with the
//! semantics of `mark_sent` + `complete_job` item by item, and as few round trips as
//! the group allows (the dispatcher commits up to 128 at a time, and per-item
//! statements were what held one number under 1000 messages/s).
//!
//! The group finds its messages' numbers in one query, takes every wamid's advisory
//! lock in one (key order, like status batches: see [`lock_wamids`]), locks the
//! messages in one, reads which messages already hold the wamids and the statuses
//! parked for them in two more, merges in memory in item order, and writes everything
//! in one statement ([`Writes`]).
//!
//! [`Store::finish_sends`]: wakit_store::Store::finish_sends

use std::collections::HashMap;

use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;
use wakit_core::{AccountId, MessageId, OrgId};
use wakit_store::{ConflictKey, MessageState, ParkedStatus, SendAccepted, StoreError, StoreResult};

use crate::error::DbResultExt;
use crate::merged::Writes;
use crate::rows::{self, fetch_keyed, fetch_pairs};
use crate::scope::{self, Scope};
use crate::status::{TRACKED, load_state, lock_wamids};

/// The number of each message of the group that exists in the item's org.
async fn numbers(
    conn: &mut PgConnection,
    items: &[SendAccepted],
) -> StoreResult<HashMap<(OrgId, MessageId), AccountId>> {
    let rows = fetch_pairs(
        conn,
        "SELECT m.id, m.organization_id, m.account_id FROM messages m \
         JOIN UNNEST($1::uuid[], $2::uuid[]) AS k(id, org) \
           ON m.id = k.id AND m.organization_id = k.org",
        items.iter().map(|it| (it.message.0, it.org.0)),
    )
    .await?;
    rows.iter()
        .map(|row| {
            let org = OrgId(row.try_get("organization_id").db()?);
            let id = MessageId(row.try_get("id").db()?);
            Ok(((org, id), AccountId(row.try_get("account_id").db()?)))
        })
        .collect()
}

/// Locks the messages, in id order.
async fn lock_messages(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> StoreResult<HashMap<MessageId, MessageState>> {
    let sql =
        format!("SELECT {TRACKED} FROM messages m WHERE m.id = ANY($1) ORDER BY m.id FOR UPDATE");
    let rows = sqlx::query(&sql)
        .bind(ids)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter()
        .map(|row| load_state(row).map(|m| (m.id, m)))
        .collect()
}

/// Which message holds each (number, wamid), among the group's.
async fn holders(
    conn: &mut PgConnection,
    keys: &[(OrgId, AccountId, &str)],
) -> StoreResult<HashMap<(AccountId, String), MessageId>> {
    let rows = fetch_keyed(
        conn,
        "SELECT m.id, m.account_id, m.external_id FROM messages m \
         JOIN UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS k(org, account, wamid) \
           ON m.account_id = k.account AND m.external_id = k.wamid",
        keys.iter().copied(),
    )
    .await?;
    rows.iter()
        .map(|row| {
            let account = AccountId(row.try_get("account_id").db()?);
            let wamid: String = row.try_get("external_id").db()?;
            Ok(((account, wamid), MessageId(row.try_get("id").db()?)))
        })
        .collect()
}

/// The statuses parked for the wamids in their orgs, oldest first.
async fn parked(
    conn: &mut PgConnection,
    keys: &[(OrgId, AccountId, &str)],
) -> StoreResult<HashMap<(AccountId, String), Vec<ParkedStatus>>> {
    let rows = fetch_keyed(
        conn,
        "SELECT p.account_id, p.wamid, p.status, p.at, p.error FROM pending_statuses p \
         JOIN UNNEST($1::uuid[], $2::uuid[], $3::text[]) AS k(org, account, wamid) \
           ON p.organization_id = k.org AND p.account_id = k.account AND p.wamid = k.wamid \
         ORDER BY p.created_at, p.id",
        keys.iter().copied(),
    )
    .await?;
    let mut out: HashMap<_, Vec<ParkedStatus>> = HashMap::new();
    for row in &rows {
        let key = (
            AccountId(row.try_get("account_id").db()?),
            row.try_get::<String, _>("wamid").db()?,
        );
        out.entry(key).or_default().push(rows::parked(row)?);
    }
    Ok(out)
}

/// The group in one transaction; one result per item (`NotFound` for a message not in
/// its org, `Conflict(Wamid)` for a wamid another message of the number holds, as
/// `mark_sent` answers them; such an item changes nothing and its job stays leased).
pub(crate) async fn sends_finished(
    pool: &PgPool,
    items: &[SendAccepted],
) -> StoreResult<Vec<StoreResult<()>>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = scope::begin(pool, Scope::Internal).await?;
    let numbers = numbers(&mut tx, items).await?;
    let keys: Vec<(OrgId, AccountId, &str)> = items
        .iter()
        .filter_map(|it| {
            Some((
                it.org,
                *numbers.get(&(it.org, it.message))?,
                it.wamid.as_str(),
            ))
        })
        .collect();
    lock_wamids(&mut tx, keys.iter().map(|(_, a, w)| (*a, *w))).await?;
    let ids: Vec<Uuid> = numbers.keys().map(|(_, id)| id.0).collect();
    let mut locked = lock_messages(&mut tx, &ids).await?;
    let mut holders = holders(&mut tx, &keys).await?;
    let mut parked = parked(&mut tx, &keys).await?;

    let mut writes = Writes::default();
    let mut out = Vec::with_capacity(items.len());
    for it in items {
        let found = numbers
            .get(&(it.org, it.message))
            .and_then(|account| Some((*account, locked.get_mut(&it.message)?)));
        let Some((account, m)) = found else {
            out.push(Err(StoreError::NotFound("message")));
            continue;
        };
        let key = (account, it.wamid.clone());
        if holders
            .get(&key)
            .is_some_and(|holder| *holder != it.message)
        {
            out.push(Err(StoreError::Conflict(ConflictKey::Wamid)));
            continue;
        }
        if let Some(old) = m.external_id.clone().filter(|old| *old != it.wamid) {
            holders.remove(&(account, old));
        }
        holders.insert(key.clone(), it.message);
        let before = m.status;
        let statuses = parked.remove(&key);
        if statuses.is_some() {
            writes.clear(it.org, account, it.wamid.clone());
        }
        m.accept(&it.wamid, it.at, statuses.into_iter().flatten());
        if m.status != before {
            writes.event(it.org, m.id);
        }
        writes.job(it.job.0, it.lease_token);
        out.push(Ok(()));
    }
    for m in locked.into_values() {
        writes.message(m);
    }
    writes.run(&mut tx).await?;
    tx.commit().await.db()?;
    Ok(out)
}
