//! Postgres-specific tests: connection options, error mapping, lock-based concurrency,
//! index usage. Behaviour shared with SQLite lives in the `wakit-store-tests` suite.
//!
//! They run when `WAKIT_TEST_POSTGRES_URL` names a server (each test creates and drops
//! its own database); otherwise they print a line and pass, unless
//! `WAKIT_TEST_REQUIRE_POSTGRES=1`, which makes a missing URL a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod concurrency;
mod connect;
mod plans;
mod rls;

use std::io::Write;

use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::{Connection, Executor};
use wakit_core::{MessageContent, OrgId, Phone};
use wakit_store::secrets::SealedSecret;
use wakit_store::{Account, AccountStore, NewAccount, NewOutgoing, OrgStore, Priority, Store};

use crate::{PgOptions, PgStore};

/// A fresh database on the test server, dropped on `Drop`.
pub(super) struct TestDb {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDb {
    pub(super) async fn create() -> Option<TestDb> {
        let admin_url = match std::env::var("WAKIT_TEST_POSTGRES_URL") {
            Ok(u) if !u.trim().is_empty() => u,
            _ => {
                assert_ne!(
                    std::env::var("WAKIT_TEST_REQUIRE_POSTGRES").as_deref(),
                    Ok("1"),
                    "WAKIT_TEST_REQUIRE_POSTGRES=1 but WAKIT_TEST_POSTGRES_URL is not set"
                );
                // Once, to the real stderr (libtest captures `eprintln!`), so the skip shows.
                static NOTICE: std::sync::Once = std::sync::Once::new();
                NOTICE.call_once(|| {
                    let _ = writeln!(
                        std::io::stderr(),
                        "NOTE: PostgreSQL tests skipped (set WAKIT_TEST_POSTGRES_URL=postgres://... to run them)"
                    );
                });
                return None;
            }
        };
        let name = format!("wakit_pg_unit_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("reach WAKIT_TEST_POSTGRES_URL");
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .expect("create database");
        let url = with_database(&admin_url, &name);
        Some(TestDb {
            admin_url,
            name,
            url,
        })
    }

    pub(super) async fn store(&self, options: PgOptions) -> PgStore {
        let store = PgStore::connect(&self.url, options).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                    let _ = c
                        .execute(
                            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str(),
                        )
                        .await;
                }
            });
        })
        .join();
    }
}

/// `admin_url` with its database name replaced by `db` (query string kept).
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let host_end = base.find("://").map_or(0, |i| i + 3);
    let host = base[host_end..]
        .find('/')
        .map_or(base, |i| &base[..host_end + i]);
    match query {
        Some(q) => format!("{host}/{db}?{q}"),
        None => format!("{host}/{db}"),
    }
}

pub(super) fn at(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0)
        .single()
        .expect("time")
        + Duration::seconds(s)
}

pub(super) fn new_account(pnid: &str) -> NewAccount {
    NewAccount {
        phone: Phone::parse("5215588392274").expect("phone"),
        name: "Test".into(),
        phone_number_id: pnid.into(),
        waba_id: "waba".into(),
        access_token: SealedSecret(vec![1, 2, 3]),
    }
}

pub(super) async fn org_with_account(store: &PgStore, pnid: &str) -> (OrgId, Account) {
    let org = store.create_org("Org", "UTC").await.expect("org").id;
    let acct = store
        .add_account(org, new_account(pnid))
        .await
        .expect("account");
    (org, acct)
}

pub(super) fn outgoing(account: &Account, to: &str) -> NewOutgoing {
    NewOutgoing {
        account_id: account.id,
        to: Phone::parse(to).expect("phone").into(),
        content: MessageContent::text("hola"),
        scheduled_at: Some(at(0)),
        agent_id: None,
        priority: Priority::Normal,
        idempotency: None,
    }
}
