//! `GET /events`: the organization's event log (messages, conversations and contacts
//! inserted or updated) as Server-Sent Events, live. Each event's `id:` is its `seq`; a client that
//! reconnects with `Last-Event-ID` (or `?after=`) gets exactly what came after it, since
//! the log is numbered in commit order (see the store's `events_after`).
//!
//! A task per stream follows the log: it reads what is after its cursor, then waits for
//! the store's wake-up (a commit by any process), through one [`Pulse`] per process —
//! no slow poll. A client that leaves
//! events unread for [`EventsConfig::slow_client`] is cut; it resumes from its last id.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wakit_store::{AuthContext, Event, Store};

use super::params::{Params, select_account};
use super::rest::rows_by_id;
use crate::AppState;
use crate::caller::OrgCaller;
use crate::error::ApiError;

/// The event types (`entity.action`) there are.
pub const TYPES: [&str; 6] = [
    "messages.insert",
    "messages.update",
    "conversations.insert",
    "conversations.update",
    "contacts.insert",
    "contacts.update",
];

/// Events read from the log at a time.
const BATCH: u32 = 200;
/// Events queued for one client before it counts as slow.
const BUFFER: usize = 256;

/// Event stream settings.
#[derive(Clone, Debug)]
pub struct EventsConfig {
    /// Fires when the server shuts down: streams end, so their connections drain.
    pub closing: CancellationToken,
    /// Between keep-alive comments on an idle stream.
    pub keep_alive: Duration,
    /// How long a client may leave a full buffer unread before it is cut.
    pub slow_client: Duration,
    /// The process's one watcher of the store, which every stream waits on.
    pub pulse: Arc<Pulse>,
}

/// One watcher of the store per process, shared by every stream: streams wait on it
/// rather than each asking the store (on SQLite a check every few milliseconds per
/// stream). It also wakes them once a second, so a wake-up it missed costs at most that.
#[derive(Debug, Default)]
pub struct Pulse {
    notify: Notify,
    started: AtomicBool,
}

impl Pulse {
    /// Starts the watcher, once; it ends with `closing` or when the pulse is dropped.
    pub(crate) fn start(self: &Arc<Self>, store: Arc<dyn Store>, closing: CancellationToken) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let pulse = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = store.wait_for_events(Duration::from_secs(1)) => {}
                    () = closing.cancelled() => return,
                }
                match pulse.upgrade() {
                    Some(p) => p.notify.notify_waiters(),
                    None => return,
                }
            }
        });
    }
}

impl Pulse {
    /// A wake-up at the next commit (enable it before reading, so none is missed).
    pub(crate) fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            closing: CancellationToken::new(),
            keep_alive: Duration::from_secs(15),
            slow_client: Duration::from_secs(10),
            pulse: Arc::default(),
        }
    }
}

/// The events route.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream))
}

/// The org's events as they are committed (Server-Sent Events): `id:` is the event's
/// seq, `event:` its type, `data:` `{"seq","type","entity","action","data","timestamp"}`
/// with `data` the row as `/rest/v1` shows it now. Resume with `Last-Event-ID` (or
/// `?after=`); without either the stream starts with what comes next. The first
/// message is only `id:` (where the stream starts, no data), so a client that drops
/// before any event resumes from there. Keep-alive
/// comments every 15 s; a client that stops reading is cut and may resume.
#[utoipa::path(get, path = "/events", operation_id = "streamEvents", tag = "events", security(("api_key" = []), ("user_jwt" = [])),
    params(
        ("organization_id" = Option<String>, Query, description = "With a person's access token (user_jwt): the organization to act in; required when they belong to several"),
        ("after" = Option<i64>, Query, description = "Start after this seq (0: the whole retained log); Last-Event-ID wins"),
        ("types" = Option<String>, Query, description = "Comma-separated types: messages.insert, messages.update, conversations.insert, conversations.update, contacts.insert, contacts.update"),
        ("account_phone" = Option<String>, Query, description = "Only events of this number's messages and conversations (contacts have no number)"),
        ("Last-Event-ID" = Option<String>, Header, description = "The last seq received (sent by EventSource on reconnect)"),
    ),
    responses(
        (status = 200, description = "text/event-stream of events", content_type = "text/event-stream", body = String),
        (status = 400, description = "Invalid parameter", body = wakit_api::ErrorBody),
        (status = 401, description = "Missing or invalid API key or access token", body = wakit_api::ErrorBody),
        (status = 403, description = "The person is not a member of organization_id", body = wakit_api::ErrorBody),
        (status = 404, description = "Unknown account_phone", body = wakit_api::ErrorBody),
        (status = 429, description = "Rate limit of the API key (Retry-After)", body = wakit_api::ErrorBody),
        (status = 503, description = "Database unavailable", body = wakit_api::ErrorBody)))]
async fn stream(
    State(state): State<AppState>,
    OrgCaller(auth): OrgCaller,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, ApiError> {
    let after = start(&state, &auth, &headers, &params).await?;
    let filter = Filter {
        types: types(params.get("types"))?,
        account: match params.get("account_phone") {
            Some(p) => Some(select_account(&state, auth.org_id, Some(p)).await?.id.0),
            None => None,
        },
    };
    let keep_alive = state.api.events.keep_alive;
    let (tx, rx) = mpsc::channel(BUFFER);
    // First, where the stream starts, as an id without data: a client (EventSource
    // too) that drops before any event resumes from there instead of from "now".
    let _ = tx.try_send(SseEvent::default().id(after.to_string()));
    tokio::spawn(follow(state, auth, filter, after, tx));
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    let sse = Sse::new(body).keep_alive(KeepAlive::new().interval(keep_alive));
    Ok((
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        sse,
    )
        .into_response())
}

/// Where the stream starts: `Last-Event-ID`, else `after`, else the log's end.
async fn start(
    state: &AppState,
    auth: &AuthContext,
    headers: &HeaderMap,
    params: &Params,
) -> Result<i64, ApiError> {
    let header = headers
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("").trim());
    let (name, raw) = match (header, params.get("after")) {
        (Some(h), _) if !h.is_empty() => ("Last-Event-ID", h),
        (_, Some(a)) => ("after", a),
        _ => return Ok(state.store.last_event_seq(auth.org_id).await?),
    };
    raw.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
        ApiError::bad_request(format!("{name} must be an event id (a seq, 0 or more)"))
    })
}

/// `types`: a comma-separated list of known types.
fn types(raw: Option<&str>) -> Result<Option<HashSet<String>>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let mut set = HashSet::new();
    for t in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !TYPES.contains(&t) {
            return Err(ApiError::bad_request(format!(
                "Unknown event type {t:?}; the types are {}",
                TYPES.join(", ")
            )));
        }
        set.insert(t.to_string());
    }
    Ok(Some(set))
}

/// What a client asked to see.
struct Filter {
    types: Option<HashSet<String>>,
    account: Option<uuid::Uuid>,
}

impl Filter {
    fn keeps(&self, kind: &str, row: Option<&Value>) -> bool {
        let typed = self.types.as_ref().is_none_or(|t| t.contains(kind));
        let numbered = self.account.is_none_or(|a| {
            row.and_then(|r| r.get("account_id"))
                .and_then(Value::as_str)
                .is_some_and(|id| id == a.to_string())
        });
        typed && numbered
    }
}

/// An event as consumers receive it (stream and webhooks): the hosted product's
/// `{data, entity, action}` plus `type`, `timestamp` and `seq`.
pub fn body(e: &Event, data: Option<&Value>) -> Value {
    json!({
        "seq": e.seq,
        "type": format!("{}.{}", e.entity, e.action),
        "entity": e.entity,
        "action": e.action,
        "data": data.cloned().unwrap_or(Value::Null),
        "timestamp": e.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// The rows the events are about, by (entity, id).
pub async fn rows_of(
    state: &AppState,
    auth: &AuthContext,
    events: &[Event],
) -> Result<HashMap<(String, String), Value>, ApiError> {
    let mut rows = HashMap::new();
    for table in ["messages", "conversations", "contacts"] {
        let mut ids: Vec<uuid::Uuid> = events
            .iter()
            .filter(|e| e.entity == table)
            .map(|e| e.row_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for (id, row) in rows_by_id(state, auth, table, &ids).await? {
            rows.insert((table.to_string(), id), row);
        }
    }
    Ok(rows)
}

/// Follows the log after `cursor` into `tx` until the client goes, is too slow, or the
/// server shuts down.
async fn follow(
    state: AppState,
    auth: AuthContext,
    filter: Filter,
    mut cursor: i64,
    tx: mpsc::Sender<SseEvent>,
) {
    let config = state.api.events.clone();
    config
        .pulse
        .start(state.store.clone(), config.closing.clone());
    loop {
        // Enabled before the read: a commit after it wakes this stream.
        let woken = config.pulse.notify.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let batch = match state.store.events_after(auth.org_id, cursor, BATCH).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "event stream ended: cannot read the log");
                return;
            }
        };
        if batch.is_empty() {
            tokio::select! {
                () = &mut woken => continue,
                () = tokio::time::sleep(config.keep_alive) => continue,
                () = tx.closed() => return,
                () = config.closing.cancelled() => return,
            }
        }
        let rows = match rows_of(&state, &auth, &batch).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e.message(), "event stream ended: cannot read rows");
                return;
            }
        };
        for e in &batch {
            cursor = e.seq;
            let kind = format!("{}.{}", e.entity, e.action);
            let row = rows.get(&(e.entity.clone(), e.row_id.to_string()));
            if !filter.keeps(&kind, row) {
                continue;
            }
            let event = SseEvent::default()
                .id(e.seq.to_string())
                .event(kind)
                .data(body(e, row).to_string());
            if tx.send_timeout(event, config.slow_client).await.is_err() {
                tracing::info!(org = %auth.org_id, seq = e.seq, "event stream cut: the client is gone or too slow");
                return;
            }
        }
    }
}
