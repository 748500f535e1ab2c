//! A deleted organization's media does not outlive it: its `media` rows go with the
//! organization, and the retention worker deletes the bytes no organization owns any
//! more — another organization's files stay. On both backends, media on the local disk.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use bytes::Bytes;
use std::convert::Infallible;
use wakit_core::OrgId;
use wakit_server::media::MediaStorage;
use wakit_server::workers::retention::{Pruner, RetentionConfig};
use wakit_store_tests::{Backend, TestStore};

async fn keep(storage: &MediaStorage, org: OrgId, bytes: &'static [u8]) {
    let chunks = futures::stream::iter([Ok::<_, Infallible>(Bytes::from_static(bytes))]);
    storage
        .put_stream(org, chunks, 1 << 20, None)
        .await
        .unwrap();
}

/// Deletes `org`'s row the way `DELETE /rest/v1/organizations` ends: gone from the table.
async fn delete_org(ts: &TestStore, backend: Backend, org: OrgId) {
    use sqlx::Connection;
    let sql = "DELETE FROM organizations WHERE id = $1";
    let done = match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&ts.url).await.unwrap();
            let q = sqlx::query(sql).bind(org.to_string());
            q.execute(&mut conn).await.unwrap()
        }
        .rows_affected(),
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&ts.url).await.unwrap();
            let q = sqlx::query(sql).bind(org.0);
            q.execute(&mut conn).await.unwrap()
        }
        .rows_affected(),
    };
    assert_eq!(done, 1);
}

async fn a_deleted_orgs_files_are_deleted(backend: Backend) {
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let storage = MediaStorage::local(dir.path()).unwrap();
    let gone = ts.store.create_org("Gone", "UTC").await.unwrap().id;
    let stays = ts.store.create_org("Stays", "UTC").await.unwrap().id;
    keep(&storage, gone, b"a photo of the gone org").await;
    keep(&storage, gone, b"a voice note of the gone org").await;
    keep(&storage, stays, b"a photo of the org that stays").await;
    let mut orgs = storage.orgs().await.unwrap();
    orgs.sort();
    let mut both = vec![gone, stays];
    both.sort();
    assert_eq!(orgs, both);

    let pruner =
        Pruner::new(ts.store.clone(), RetentionConfig::default()).with_media(storage.clone());
    pruner.tick().await.unwrap();
    assert_eq!(
        storage.orgs().await.unwrap().len(),
        2,
        "nothing deleted while both exist"
    );

    delete_org(&ts, backend, gone).await;
    pruner.tick().await.unwrap();
    assert_eq!(storage.orgs().await.unwrap(), vec![stays]);
    assert!(
        !dir.path()
            .join(gone.to_string())
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
    );
    assert_eq!(
        storage.delete_org(stays).await.unwrap(),
        1,
        "the other org's file stayed"
    );
}

wakit_store_tests::on_both_backends!(a_deleted_orgs_files_are_deleted);
