//! The Store traits. One implementation per backend; the app holds `Arc<dyn Store>`.
//!
//! Rules every backend follows (the conformance suite checks them):
//! - tenant-scoped methods take the org first and never see another org's rows
//!   (another org's id is `NotFound`, never a row);
//! - each method is one transaction;
//! - ingest is idempotent on (number, wamid), under concurrency too;
//! - statuses are monotonic ([`wakit_core::MessageStatus::merge`]) and a status for an
//!   unknown wamid is kept and applied when the wamid appears;
//! - a job is leased to one claimer at a time; an expired lease returns it to the queue.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use uuid::Uuid;
use wakit_core::{AccountId, ApiKeyId, ConversationId, CustomerRef, JobId, MessageId, OrgId};

use crate::error::{StoreError, StoreResult};
use crate::idempotency::*;
use crate::inbox::InboxStore;
use crate::job::*;
use crate::model::*;
use crate::people_store::PeopleStore;
use crate::retention::RetentionStore;
use crate::search::ContactQuery;
use crate::secrets::{KeyHash, SealedSecret};

/// Organizations.
#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Creates an org. `timezone` must be an IANA name (the caller validates it).
    async fn create_org(&self, name: &str, timezone: &str) -> StoreResult<Org>;
    /// Reads an org.
    async fn get_org(&self, org: OrgId) -> StoreResult<Org>;
}

/// Connected numbers (`organizations_addresses`) and their sealed tokens.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Connects a number. `NotFound("organization")` for an unknown org;
    /// `Conflict(PhoneNumberId)` when the phone-number id is already connected (in any org).
    async fn add_account(&self, org: OrgId, account: NewAccount) -> StoreResult<Account>;
    /// The org's numbers, oldest first.
    async fn list_accounts(&self, org: OrgId) -> StoreResult<Vec<Account>>;
    /// Routing for Meta webhooks, which name only the phone-number id. Not tenant-scoped:
    /// only the webhook ingest path may call it.
    async fn account_by_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> StoreResult<Option<Account>>;
    /// The number's sealed access token.
    async fn account_token(&self, org: OrgId, account: AccountId) -> StoreResult<SealedSecret>;
    /// One number of the org.
    async fn get_account(&self, org: OrgId, account: AccountId) -> StoreResult<Account>;
    /// The numbers of a WhatsApp Business Account, in any org (template and number
    /// webhooks name only the WABA). Not tenant-scoped: the webhook path only.
    async fn accounts_by_waba(&self, waba_id: &str) -> StoreResult<Vec<Account>>;
    /// Sets the send rate wakit paces the number to (`None` = default). The caller
    /// checks the range (1..=[`MAX_MPS`]).
    async fn set_account_max_mps(
        &self,
        org: OrgId,
        account: AccountId,
        max_mps: Option<u32>,
    ) -> StoreResult<Account>;
    /// Records what Meta said about the number under `topic` (replacing that topic's
    /// previous record); see [`Account::health`].
    async fn record_account_health(
        &self,
        org: OrgId,
        account: AccountId,
        topic: &str,
        record: Value,
    ) -> StoreResult<()>;
    /// Replaces the number's access token and clears a recorded token error.
    async fn replace_account_token(
        &self,
        org: OrgId,
        account: AccountId,
        token: SealedSecret,
    ) -> StoreResult<()>;
}

/// API keys: stored as hash + prefix only.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a new key. `NotFound("organization")` for an unknown org.
    async fn create_api_key(&self, org: OrgId, key: NewApiKey) -> StoreResult<ApiKeyRecord>;
    /// The org's keys, revoked ones included, oldest first.
    async fn list_api_keys(&self, org: OrgId) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Revokes a key. `org = None` is operator authority (the admin CLI); with an org,
    /// another org's key is `NotFound`. Revoking twice keeps the first time.
    async fn revoke_api_key(&self, org: Option<OrgId>, id: ApiKeyId) -> StoreResult<ApiKeyRecord>;
    /// The key with this hash, unless revoked.
    async fn authenticate(&self, hash: &KeyHash) -> StoreResult<Option<AuthContext>>;
}

/// Messages and conversations.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores an inbound message: upserts the contact address (and a contact named after
    /// the profile), finds or creates the active conversation, inserts the message as
    /// `delivered` and appends events. A wamid already stored for the number returns the
    /// existing ids with `created = false` and changes nothing. One message is a batch of
    /// one ([`MessageStore::ingest_inbound_batch`]): the two never drift apart.
    async fn ingest_inbound(&self, org: OrgId, msg: InboundMessage) -> StoreResult<Ingested> {
        self.ingest_inbound_batch(vec![(org, msg)])
            .await?
            .pop()
            .ok_or_else(|| StoreError::other("a batch of one ingested nothing"))
    }

    /// Ingests several inbound messages (possibly of several orgs), in order, with the
    /// semantics of [`MessageStore::ingest_inbound`] for each, in one transaction (group
    /// commit); if the batch fails, nothing of it is stored and callers fall back to one
    /// message at a time.
    async fn ingest_inbound_batch(
        &self,
        batch: Vec<(OrgId, InboundMessage)>,
    ) -> StoreResult<Vec<Ingested>>;

    /// Applies a status monotonically. Unknown wamid → kept, `Deferred`. A batch of one
    /// ([`MessageStore::apply_status_batch`]).
    async fn apply_status(&self, org: OrgId, update: StatusUpdate) -> StoreResult<StatusOutcome> {
        self.apply_status_batch(vec![(org, update)])
            .await?
            .pop()
            .ok_or_else(|| StoreError::other("a batch of one applied nothing"))
    }

    /// Applies several statuses (possibly of several orgs), in order, with the semantics
    /// of [`MessageStore::apply_status`] for each: merged monotonically
    /// ([`crate::MessageState::apply`], planned by [`crate::plan_statuses`]), a duplicate
    /// or late report is `Unchanged`, an unknown wamid is kept and `Deferred` (applied by
    /// [`MessageStore::mark_sent`]), and an org only touches its own numbers' messages
    /// (another org's number is `NotFound("account")`). Reports for one wamid within the
    /// batch merge as if applied one after another (delivered, read, then a late sent:
    /// `Applied`, `Applied`, `Unchanged`, ending at read), and each `Applied` appends its
    /// event. One outcome per update, in order, in one transaction; if the batch fails,
    /// nothing of it is applied and callers fall back to one at a time.
    async fn apply_status_batch(
        &self,
        batch: Vec<(OrgId, StatusUpdate)>,
    ) -> StoreResult<Vec<StatusOutcome>>;

    /// Stores an outgoing message as `pending` (contact address and conversation created
    /// if needed; unread reset) and queues its `send_message` job (payload
    /// `{"message_id": ...}`, run at `scheduled_at` or now), in one transaction. With an
    /// idempotency key, the key is recorded in the same transaction; a key already used
    /// within [`IDEMPOTENCY_TTL_HOURS`] is `Conflict(IdempotencyKey)` and nothing is stored.
    async fn enqueue_outgoing(&self, org: OrgId, msg: NewOutgoing) -> StoreResult<Enqueued>;

    /// The message stored under an idempotency key, if the key was used at or after
    /// `since` (older uses no longer count; a new send under the key replaces them).
    async fn find_idempotent(
        &self,
        org: OrgId,
        key: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<IdempotentSend>>;

    /// Records Meta's acceptance: sets the wamid, moves to `sent` (monotonically), then
    /// applies any statuses that arrived for this wamid before it was known.
    /// `Conflict(Wamid)` if another message of the number has this wamid.
    async fn mark_sent(
        &self,
        org: OrgId,
        id: MessageId,
        wamid: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<StatusOutcome>;

    /// Starts a send attempt of an outgoing message, atomically: a pending message
    /// without a wamid and without an attempt in flight gets the attempt marker and is
    /// returned as [`DispatchStart::Send`]; see [`DispatchStart`] for the other cases.
    /// A batch of one ([`MessageStore::begin_dispatch_many`]).
    async fn begin_dispatch(
        &self,
        org: OrgId,
        id: MessageId,
        at: DateTime<Utc>,
    ) -> StoreResult<DispatchStart> {
        self.begin_dispatch_many(&[(org, id)], at)
            .await?
            .pop()
            .unwrap_or(Err(StoreError::NotFound("message")))
    }

    /// [`MessageStore::begin_dispatch`] for several messages, in one transaction; one
    /// result per item, in order (see [`crate::dispatch_starts`]: an item named twice
    /// finds the attempt its first mention started).
    async fn begin_dispatch_many(
        &self,
        items: &[(OrgId, MessageId)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<StoreResult<DispatchStart>>>;

    /// Clears the attempt marker after Meta definitely did not accept the message
    /// (an error answer, or a connection that never reached Meta), so it may be retried.
    async fn end_dispatch(&self, org: OrgId, id: MessageId) -> StoreResult<()>;

    /// Marks a message failed with Meta's (or wakit's) error, monotonically.
    async fn mark_failed(
        &self,
        org: OrgId,
        id: MessageId,
        error: Value,
        at: DateTime<Utc>,
    ) -> StoreResult<StatusOutcome>;

    /// One message.
    async fn get_message(&self, org: OrgId, id: MessageId) -> StoreResult<MessageRecord>;

    /// Active conversations of a number, newest message first, with unread counts and the
    /// last non-internal message. `NotFound("account")` for a number not in the org.
    async fn list_conversations(
        &self,
        org: OrgId,
        account: AccountId,
        limit: u32,
    ) -> StoreResult<Vec<ConversationSummary>>;

    /// The active conversation between a number and a contact (any form of the phone).
    async fn find_conversation(
        &self,
        org: OrgId,
        account: AccountId,
        contact: &CustomerRef,
    ) -> StoreResult<Option<Conversation>>;

    /// Up to `limit` messages older than `older_than` (or the newest), returned oldest
    /// first; internal messages excluded.
    async fn page_messages(
        &self,
        org: OrgId,
        conversation: ConversationId,
        limit: u32,
        older_than: Option<MessageCursor>,
    ) -> StoreResult<MessagePage>;

    /// Time of the contact's newest incoming message to this number, across its whole
    /// history (for the service window).
    async fn newest_incoming_at(
        &self,
        org: OrgId,
        account: AccountId,
        contact: &CustomerRef,
    ) -> StoreResult<Option<DateTime<Utc>>>;

    /// [`find_conversation`](Self::find_conversation), the newest `limit` messages of
    /// what it finds and [`newest_incoming_at`](Self::newest_incoming_at), read together
    /// (a backend may do it in one transaction). `None` when there is no conversation.
    async fn read_conversation(
        &self,
        org: OrgId,
        account: AccountId,
        contact: &CustomerRef,
        limit: u32,
    ) -> StoreResult<Option<ConversationRead>> {
        let Some(conversation) = self.find_conversation(org, account, contact).await? else {
            return Ok(None);
        };
        let page = self
            .page_messages(org, conversation.id, limit, None)
            .await?;
        let newest_incoming = self.newest_incoming_at(org, account, contact).await?;
        Ok(Some(ConversationRead {
            conversation,
            page,
            newest_incoming,
        }))
    }

    /// Events after `after_seq`, oldest first.
    async fn events_after(&self, org: OrgId, after_seq: i64, limit: u32)
    -> StoreResult<Vec<Event>>;

    /// The seq of the org's newest event (0 when it has none): where a reader that wants
    /// only what comes next starts.
    async fn last_event_seq(&self, org: OrgId) -> StoreResult<i64>;
}

/// How often [`Store::wait_for_events`] looks at the change epoch by default.
pub const EVENT_POLL: std::time::Duration = std::time::Duration::from_millis(5);

/// Waits until `store`'s [`Store::change_epoch`] moves (looked at every [`EVENT_POLL`])
/// or `timeout` passes; sleeps the timeout when the backend has no epoch. The default
/// [`Store::wait_for_events`], and a backend's fallback for commits it is not told of.
pub async fn watch_epoch<S: Store + ?Sized>(store: &S, timeout: std::time::Duration) {
    let until = tokio::time::Instant::now() + timeout;
    let Ok(Some(start)) = store.change_epoch().await else {
        tokio::time::sleep(timeout).await;
        return;
    };
    while tokio::time::Instant::now() < until {
        tokio::time::sleep(EVENT_POLL.min(until - tokio::time::Instant::now())).await;
        if !matches!(store.change_epoch().await, Ok(Some(now)) if now == start) {
            return;
        }
    }
}

/// The address book.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// Searches contacts (see [`ContactQuery`]); ordered by name, then phone.
    async fn search_contacts(
        &self,
        org: OrgId,
        query: ContactQuery,
    ) -> StoreResult<Vec<ContactRef>>;
}

/// The per-number cache of Meta's templates.
#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// Replaces the number's cached templates with a fresh list from Meta.
    async fn replace_templates(
        &self,
        org: OrgId,
        account: AccountId,
        templates: Vec<TemplateRecord>,
    ) -> StoreResult<()>;
    /// Inserts or updates one template (template status webhook).
    async fn upsert_template(
        &self,
        org: OrgId,
        account: AccountId,
        template: TemplateRecord,
    ) -> StoreResult<()>;
    /// The number's cached templates, by name then language, and when the cache was
    /// last replaced (None = never fetched).
    async fn list_templates(
        &self,
        org: OrgId,
        account: AccountId,
    ) -> StoreResult<(Vec<TemplateRecord>, Option<DateTime<Utc>>)>;
}

/// The lease-based job queue.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Queues a job.
    async fn enqueue_job(&self, job: NewJob) -> StoreResult<JobId>;
    /// Atomically leases up to `limit` due jobs of the given kinds (queued with
    /// `run_at <= now`, or running with an expired lease), highest priority then oldest
    /// `run_at` first. Each claim increments `attempts` and gets a fresh lease token.
    async fn claim_jobs(
        &self,
        kinds: &[&str],
        limit: u32,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Job>>;
    /// Puts a leased job back in the queue until `run_at` without counting the claim
    /// as an attempt (pacing: the number has no capacity now). False if the lease was lost.
    async fn defer_job(
        &self,
        id: JobId,
        lease_token: Uuid,
        run_at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Marks a leased job done. False if the lease was lost (expired and re-claimed).
    async fn complete_job(&self, id: JobId, lease_token: Uuid) -> StoreResult<bool>;
    /// Records a failure: back to the queue at `retry_at`, or dead (kept with the error)
    /// when `retry_at` is None. Returns the new state; `None` if the lease was lost.
    async fn fail_job(
        &self,
        id: JobId,
        lease_token: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Option<JobState>>;
    /// Reads a job.
    async fn get_job(&self, id: JobId) -> StoreResult<Job>;
    /// How many jobs are queued or running per (kind, state), for metrics.
    async fn job_counts(&self) -> StoreResult<Vec<(String, String, i64)>>;
    /// Called by a process before its workers start: makes the jobs leased by processes
    /// that are provably gone claimable `now` instead of when their leases expire, and
    /// marks this process as alive for later callers. Never takes a lease from a live
    /// process. Returns how many leases were resumed. SQLite: when no other process runs
    /// workers on the file, every running lease is a dead process's. PostgreSQL: a
    /// replica's liveness is not tracked, so 0 (leases expire after their time).
    async fn resume_orphaned_leases(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// Everything a backend provides.
#[async_trait]
pub trait Store:
    OrgStore
    + AccountStore
    + KeyStore
    + MessageStore
    + ContactStore
    + TemplateStore
    + JobStore
    + InboxStore
    + PeopleStore
    + RetentionStore
    + crate::DataApiStore
    + crate::AgentStore
    + crate::MediaStore
    + crate::WebhookStore
{
    /// `sqlite` or `postgres`: a name for people (logs, `/ping`); code asks the
    /// capability methods below instead.
    fn backend(&self) -> &'static str;
    /// Whether several write transactions run at once (PostgreSQL), so concurrent
    /// workers hide each other's round trips; `false`: one writer at a time (SQLite),
    /// where a second worker would only queue behind the first.
    fn concurrent_writers(&self) -> bool {
        false
    }
    /// Records Meta's acceptance of several sends ([`MessageStore::mark_sent`]) and
    /// completes their jobs, in one transaction; one result per item. A job whose lease
    /// was lost is not an error: the message still gets its wamid.
    async fn finish_sends(&self, items: &[SendAccepted]) -> StoreResult<Vec<StoreResult<()>>>;
    /// Waits until jobs may have been queued (by any process on this database) or
    /// `timeout` passes. Workers call it when idle; the default just sleeps (polling).
    async fn wait_for_jobs(&self, timeout: std::time::Duration) {
        tokio::time::sleep(timeout).await;
    }
    /// Waits until events may have been committed (by any process on this database) or
    /// `timeout` passes; event readers (the event stream, webhook deliveries) call it
    /// when they have caught up. The default watches [`Store::change_epoch`] every
    /// [`EVENT_POLL`] (an in-memory check on SQLite), or sleeps when the backend has no
    /// epoch.
    async fn wait_for_events(&self, timeout: std::time::Duration) {
        watch_epoch(self, timeout).await;
    }
    /// Whether send pacing is shared through the database, so that several worker
    /// processes together hold a number's rate; `false`: the dispatcher paces in memory
    /// (one worker process per database).
    fn shares_pacing(&self) -> bool {
        false
    }
    /// Reserves `count` consecutive send slots `interval` apart for a number, for every
    /// process on this database. `Ok(wait)`: the first slot is `wait` from now (the
    /// database's clock); `Err(later)`: the number has no free slot within `horizon` —
    /// nothing was reserved; ask again after `later`. Only when [`Store::shares_pacing`].
    async fn reserve_send_slots(
        &self,
        account: AccountId,
        interval: std::time::Duration,
        count: u32,
        horizon: std::time::Duration,
    ) -> StoreResult<Result<std::time::Duration, std::time::Duration>> {
        let _ = (account, interval, count, horizon);
        Err(crate::StoreError::other("this store does not share pacing"))
    }
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Checks the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// The connection pools' state, for health endpoints and metrics.
    fn pool_status(&self) -> PoolStatus;
    /// A number that differs from every earlier answer once the database has changed
    /// (a commit by this process or any other) since that answer, so what was read
    /// under one epoch may be reused while the epoch stays the same. `None` when the
    /// backend cannot tell cheaply: then nothing read may be reused.
    async fn change_epoch(&self) -> StoreResult<Option<u64>> {
        Ok(None)
    }
}
