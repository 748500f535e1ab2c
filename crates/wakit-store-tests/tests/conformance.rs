//! Runs every conformance check against SQLite and PostgreSQL.

use wakit_store_tests::checks;
use wakit_store_tests::{Backend, TestStore};

/// Registers checks: the first list runs on both engines; after `; postgres_only:` and
/// `; sqlite_only:`, checks of a behaviour one engine alone has. The other engine's test
/// of such a check is declared and ignored with the reason (`test sqlite::<check> ...
/// ignored, postgres only`), so every run lists it and counts it among the ignored.
macro_rules! conformance {
    (
        $($module:ident :: $check:ident),* $(,)?
        ; postgres_only: $($pm:ident :: $pg:ident),* $(,)?
        ; sqlite_only: $($sm:ident :: $sq:ident),* $(,)?
    ) => {
        mod sqlite {
            use super::*;
            $( conformance!(@run Sqlite, $module::$check); )*
            $( conformance!(@run Sqlite, $sm::$sq); )*
            $( conformance!(@skip "postgres only", $pg); )*
        }
        mod postgres {
            use super::*;
            $( conformance!(@run Postgres, $module::$check); )*
            $( conformance!(@run Postgres, $pm::$pg); )*
            $( conformance!(@skip "sqlite only", $sq); )*
        }
    };
    (@run $backend:ident, $module:ident :: $check:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $check() {
            let Some(ts) = TestStore::fresh(Backend::$backend).await else { return };
            checks::$module::$check(&*ts.store).await;
        }
    };
    // The reason must be a literal for libtest to print it (a `concat!` is dropped).
    (@skip $reason:literal, $check:ident) => {
        #[test]
        #[ignore = $reason]
        fn $check() {}
    };
}

conformance!(
    agents::ai_agents_round_trip_with_sealed_keys,
    agents::ai_agents_are_tenant_isolated,
    agents::agent_settings_and_conversation_state,
    agents::ingest_queues_one_turn_per_new_message,
    keys::orgs_and_accounts_round_trip,
    keys::api_keys_authenticate_and_revoke,
    people::emails_are_unique_ignoring_case,
    people::refresh_tokens_rotate_and_reuse_revokes,
    people::logout_scopes_end_the_right_sessions,
    people::invitations_are_joined_on_sign_up,
    people::last_owner_is_protected,
    people::membership_stays_in_its_tenant,
    people::deleting_a_user_keeps_every_org_owned,
    ingest::ingest_creates_contact_conversation_and_message,
    ingest::ingest_is_idempotent_on_wamid,
    ingest::concurrent_duplicate_ingest_stores_one,
    ingest::concurrent_new_contact_messages_share_one_conversation,
    ingest::phone_forms_are_one_contact,
    ingest::content_round_trips_through_storage,
    ingest::batch_ingest_is_idempotent_and_all_or_nothing,
    ingest_batch::batch_ingest_matches_one_by_one,
    ingest_batch::concurrent_batches_over_shared_contacts,
    ingest_race::concurrent_batches_mixing_new_and_known_contacts,
    status::statuses_are_monotonic_in_any_order,
    status::status_before_send_response_is_applied_later,
    status::failures_keep_the_error,
    status_batch::batch_statuses_match_one_by_one,
    status_batch::batch_statuses_stay_in_their_tenant,
    status_batch::concurrent_batches_and_sends,
    conversations::conversations_ordered_by_newest_with_unread,
    conversations::paging_is_stable,
    conversations::newest_incoming_spans_whole_history,
    conversations::read_conversation_matches_its_parts,
    conversations::writes_append_events,
    event_order::readers_miss_nothing_while_writers_race,
    conversations::change_epoch_moves_with_every_commit,
    contacts::contact_search_folds_and_matches_digits,
    contacts::contact_search_handles_common_terms,
    contacts::contact_search_by_whole_number_in_any_form,
    contacts::contact_search_is_scoped_by_org,
    templates::template_cache_replaces_and_upserts,
    inbox::inbox_keeps_bodies_and_queues_their_processing,
    inbox::inbox_batch_is_one_commit_with_one_job,
    inbox::inbox_retries_failed_bodies,
    inbox::inbox_keeps_ignored_bodies_for_a_replay,
    inbox::replayed_bodies_are_stored_once,
    jobs::concurrent_claims_never_share_a_job,
    jobs::expired_lease_returns_job_to_queue,
    jobs::failed_jobs_retry_then_dead_letter,
    jobs::claims_follow_priority_and_schedule,
    tenancy::tenant_isolation_for_every_method,
    dispatch::dispatch_marks_attempts_and_never_reopens_a_sent_message,
    dispatch::deferred_jobs_wait_without_spending_attempts,
    dispatch::account_health_and_settings_are_recorded,
    dispatch::dispatch_batches_answer_per_item,
    idempotency::idempotency_keys_name_one_message_per_org,
    identities::username_customer_joins_their_phone_later,
    identities::phone_contact_absorbs_its_username_history,
    identities::racing_identity_forms_end_in_one_contact,
    identities::bsuids_stay_in_their_org,
    retention::tables_stay_bounded_across_prune_cycles,
    retention::each_kind_is_kept_for_its_own_time,
    retention::prunes_are_capped_and_safe_to_run_at_once,
    media::inbound_media_gets_one_download_job,
    media::media_rows_and_file_parts_stay_in_their_org,
    media::media_retention_deletes_rows_then_unnamed_keys,
    webhooks::webhook_endpoints_round_trip_per_org,
    webhooks::fanout_moves_the_cursor_once,
    webhooks::deliveries_are_claimed_in_order_with_leases,
    webhook_deliveries::deliveries_retry_and_recover_per_org,
    webhook_deliveries::finished_deliveries_are_pruned_pending_ones_kept,
    webhook_deliveries::delivery_log_keeps_every_attempt_per_org,
    webhook_deliveries::attempts_are_recorded_in_batches,
    jobs::queued_jobs_wake_waiting_workers,
    ; postgres_only:
    pacing::shared_pacing_reserves_consecutive_blocks,
    ; sqlite_only:
    pacing::pacing_is_not_shared_through_sqlite,
);

/// Checks that need the database's URL (other processes' connections to it).
macro_rules! conformance_with_database {
    ($($module:ident :: $check:ident),* $(,)?) => {
        mod sqlite_database {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let ts = TestStore::fresh(Backend::Sqlite).await.expect("sqlite always runs");
                    checks::$module::$check(&ts).await;
                }
            )*
        }
        mod postgres_database {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(ts) = TestStore::fresh(Backend::Postgres).await else { return };
                    checks::$module::$check(&ts).await;
                }
            )*
        }
    };
}

conformance_with_database!(leases::leases_of_gone_processes_resume_at_start);
