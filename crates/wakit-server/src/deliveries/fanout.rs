//! Fan-out: the event log → deliveries. For each enabled endpoint, the events after its
//! cursor that match it (table, operations, number) become one delivery each, with the
//! body the event stream sends (`routes::events::body`, the row as `/rest/v1` shows
//! it). The deliveries are queued and the cursors moved in one transaction per org, each only from
//! the cursor read: a crash loses nothing (the cursor did not move) and two processes
//! never queue an event twice (the second finds the cursor moved).

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;
use wakit_core::{ApiKeyId, OrgId, Role};
use wakit_store::{AuthContext, Event, FanOut, NewDelivery, WebhookEndpoint};

use crate::AppState;
use crate::error::ApiError;
use crate::routes::events::{body, rows_of};

/// Events read per organization per round.
pub const BATCH: u32 = 500;

/// What a round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Deliveries queued.
    pub queued: usize,
    /// Whether an org had a full batch (more to read at once).
    pub more: bool,
}

/// Whether `event` (whose row is `row`) goes to `endpoint`.
fn matches(endpoint: &WebhookEndpoint, event: &Event, row: Option<&Value>) -> bool {
    let operation = endpoint.operations.is_empty() || endpoint.operations.contains(&event.action);
    let number = endpoint.account_id.is_none_or(|a| {
        row.and_then(|r| r.get("account_id"))
            .and_then(Value::as_str)
            .is_some_and(|id| id == a.to_string())
    });
    endpoint.table_name == event.entity && operation && number
}

/// The conversation an event is about (deliveries of one conversation keep their order).
fn conversation_of(event: &Event, row: Option<&Value>) -> Option<Uuid> {
    match event.entity.as_str() {
        "conversations" => Some(event.row_id),
        _ => row?
            .get("conversation_id")?
            .as_str()
            .and_then(|s| s.parse().ok()),
    }
}

/// The identity fan-out reads rows as: the org's owner (every row of the org).
fn reader(org: OrgId) -> AuthContext {
    AuthContext {
        org_id: org,
        key_id: ApiKeyId(Uuid::nil()),
        role: Role::Owner,
    }
}

/// One round over every enabled endpoint.
pub async fn round(state: &AppState) -> Result<Round, ApiError> {
    let endpoints = state.store.fanout_webhooks().await?;
    let mut by_org: BTreeMap<OrgId, Vec<WebhookEndpoint>> = BTreeMap::new();
    for e in endpoints {
        by_org.entry(e.org_id).or_default().push(e);
    }
    let mut done = Round::default();
    for (org, endpoints) in by_org {
        let from = endpoints.iter().map(|e| e.event_cursor).min().unwrap_or(0);
        let events = state.store.events_after(org, from, BATCH).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            continue;
        };
        done.more |= events.len() == BATCH as usize;
        let rows = rows_of(state, &reader(org), &events).await?;
        // Every endpoint of the org in one transaction.
        let batch: Vec<FanOut> = endpoints
            .iter()
            .filter(|e| e.event_cursor < last)
            .map(|e| FanOut {
                webhook: e.id,
                from: e.event_cursor,
                to: last,
                deliveries: deliveries_for(e, &events, &rows),
            })
            .collect();
        let counts: Vec<usize> = batch.iter().map(|f| f.deliveries.len()).collect();
        let moved = state.store.enqueue_deliveries(org, batch).await?;
        done.queued += counts
            .iter()
            .zip(moved)
            .filter(|(_, ok)| *ok)
            .map(|(n, _)| n)
            .sum::<usize>();
    }
    Ok(done)
}

/// The deliveries of `endpoint` among `events` (those after its cursor that match).
fn deliveries_for(
    endpoint: &WebhookEndpoint,
    events: &[Event],
    rows: &HashMap<(String, String), Value>,
) -> Vec<NewDelivery> {
    events
        .iter()
        .filter(|e| e.seq > endpoint.event_cursor)
        .filter_map(|e| {
            let row = rows.get(&(e.entity.clone(), e.row_id.to_string()));
            matches(endpoint, e, row).then(|| NewDelivery {
                webhook_id: endpoint.id,
                event_seq: Some(e.seq),
                event_type: format!("{}.{}", e.entity, e.action),
                conversation_id: conversation_of(e, row),
                payload: body(e, row).to_string(),
            })
        })
        .collect()
}
