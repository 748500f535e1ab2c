//! Stored media: an inbound media message gets exactly one download job with it; files
//! are recorded per organization, and a message's file part is replaced in place.

use chrono::Duration;
use wakit_core::content::{FileRef, Kind};
use wakit_core::{MediaId, MessageContent};
use wakit_store::{DOWNLOAD_MEDIA, DownloadMedia, InboundMessage, NewMedia, Store};

use super::assert_not_found;
use crate::fixture::{Fixture, at};

fn image(meta_id: &str) -> MessageContent {
    let file = FileRef {
        mime_type: "image/jpeg".into(),
        uri: format!("meta://{meta_id}"),
        ..FileRef::default()
    };
    MessageContent::file(Kind::Image, file, Some("la factura".into())).expect("file kind")
}

fn with_content(f: &Fixture<'_>, wamid: &str, content: MessageContent) -> InboundMessage {
    InboundMessage {
        content,
        ..Fixture::inbound(f.acct_a.id, "5215550001111", wamid, 1, "")
    }
}

/// One download job per stored media message, queued with it: none for a text, none
/// again for a redelivered wamid (alone or in a batch).
pub async fn inbound_media_gets_one_download_job(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let first = store
        .ingest_inbound(f.org_a, with_content(&f, "wamid.m1", image("111")))
        .await
        .unwrap();
    f.receive_a("5215550001111", "wamid.t1", 2, "hola").await;
    let again = vec![
        (f.org_a, with_content(&f, "wamid.m1", image("111"))),
        (f.org_a, with_content(&f, "wamid.m2", image("222"))),
    ];
    let batch = store.ingest_inbound_batch(again).await.unwrap();
    assert!(!batch[0].created && batch[1].created);

    let jobs = store
        .claim_jobs(&[DOWNLOAD_MEDIA], 10, Duration::seconds(30), at(3600))
        .await
        .unwrap();
    let mut downloads: Vec<DownloadMedia> =
        jobs.iter().map(|j| j.args().expect("payload")).collect();
    downloads.sort_by_key(|d| d.message_id);
    let mut expected = vec![first.message_id, batch[1].message_id];
    expected.sort();
    assert_eq!(
        downloads.iter().map(|d| d.message_id).collect::<Vec<_>>(),
        expected,
        "exactly the two media messages, once each"
    );
    assert!(downloads.iter().all(|d| d.account_id == f.acct_a.id));
    assert!(jobs.iter().all(|j| j.org_id == Some(f.org_a)));
}

/// A file is recorded for its org only; the message's part is replaced keeping its
/// caption; Meta's id of an upload is cached per number until it expires.
pub async fn media_rows_and_file_parts_stay_in_their_org(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let got = store
        .ingest_inbound(f.org_a, with_content(&f, "wamid.m1", image("111")))
        .await
        .unwrap();
    let new = NewMedia {
        sha256: "ab".repeat(32),
        size: 48211,
        mime_type: "image/jpeg".into(),
        filename: Some("foto.jpg".into()),
        storage_key: format!("{}/ab/{}", f.org_a, "ab".repeat(32)),
        message_id: Some(got.message_id),
    };
    let rec = store.insert_media(f.org_a, new.clone()).await.unwrap();
    assert_eq!((rec.org_id, &rec.file), (f.org_a, &new));
    assert_eq!(store.get_media(f.org_a, rec.id).await.unwrap(), rec);
    assert_not_found(store.get_media(f.org_b, rec.id).await, "another org's file");
    assert_not_found(
        store.get_media(f.org_a, MediaId::new()).await,
        "no such file",
    );

    store
        .set_message_file(f.org_a, got.message_id, rec.file_ref())
        .await
        .unwrap();
    let m = store.get_message(f.org_a, got.message_id).await.unwrap();
    let file = m.content.file.clone().expect("file part");
    assert_eq!(file.uri, format!("internal://media/{}", rec.id));
    assert_eq!(file.id, Some(rec.id.to_string()));
    assert_eq!((file.size, file.name.as_deref()), (48211, Some("foto.jpg")));
    assert_eq!(
        m.content.text.as_deref(),
        Some("la factura"),
        "caption kept"
    );
    assert_not_found(
        store
            .set_message_file(f.org_b, got.message_id, rec.file_ref())
            .await,
        "another org's message",
    );
    let text = f.receive_a("5215550001111", "wamid.t1", 2, "hola").await;
    assert!(
        store
            .set_message_file(f.org_a, text.message_id, rec.file_ref())
            .await
            .is_err(),
        "a text has no file part"
    );

    let until = at(100);
    store
        .cache_meta_media(f.org_a, rec.id, f.acct_a.id, "9988", until)
        .await
        .unwrap();
    let rec = store.get_media(f.org_a, rec.id).await.unwrap();
    assert_eq!(rec.meta_id_for(f.acct_a.id, at(99)), Some("9988"));
    assert_eq!(rec.meta_id_for(f.acct_a.id, at(100)), None, "expired");
    assert_eq!(rec.meta_id_for(f.acct_b.id, at(99)), None, "another number");
    assert_not_found(
        store
            .cache_meta_media(f.org_b, rec.id, f.acct_b.id, "1", until)
            .await,
        "another org's file",
    );
}

/// Media retention: the oldest files of every org go first, each message's part says
/// it expired (type, name and size kept), and a storage key is handed back for
/// deletion only once no remaining file names it.
pub async fn media_retention_deletes_rows_then_unnamed_keys(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let got = store
        .ingest_inbound(f.org_a, with_content(&f, "wamid.m1", image("111")))
        .await
        .unwrap();
    let new = |org: wakit_core::OrgId, sha: &str, message| NewMedia {
        sha256: sha.repeat(32),
        size: 48211,
        mime_type: "image/jpeg".into(),
        filename: Some("foto.jpg".into()),
        storage_key: format!("{org}/{sha}/{}", sha.repeat(32)),
        message_id: message,
    };
    let first = store
        .insert_media(f.org_a, new(f.org_a, "ab", Some(got.message_id)))
        .await
        .unwrap();
    store
        .set_message_file(f.org_a, got.message_id, first.file_ref())
        .await
        .unwrap();
    // The same bytes uploaded again later: a second row under the same key.
    let again = store
        .insert_media(f.org_a, new(f.org_a, "ab", None))
        .await
        .unwrap();
    let other = store
        .insert_media(f.org_b, new(f.org_b, "cd", None))
        .await
        .unwrap();
    assert!(first.created_at < again.created_at && again.created_at <= other.created_at);

    let gone = store.expire_media(again.created_at, 10).await.unwrap();
    assert_eq!(gone.rows, 1);
    assert!(gone.unnamed.is_empty(), "the key is still named: {gone:?}");
    assert_not_found(store.get_media(f.org_a, first.id).await, "an expired file");
    let m = store.get_message(f.org_a, got.message_id).await.unwrap();
    let part = m.content.file.clone().expect("file part");
    assert_eq!(part.error.as_deref(), Some(wakit_store::media::EXPIRED));
    assert_eq!(part.id, None);
    assert_eq!((part.size, part.name.as_deref()), (48211, Some("foto.jpg")));
    assert_eq!(
        m.content.text.as_deref(),
        Some("la factura"),
        "caption kept"
    );

    let later = chrono::Utc::now() + Duration::hours(1);
    let gone = store.expire_media(later, 1).await.unwrap();
    let want = |key: &str| wakit_store::ExpiredMedia {
        rows: 1,
        unnamed: vec![key.to_string()],
    };
    assert_eq!(gone, want(&again.file.storage_key), "oldest first, one");
    assert_eq!(store.get_media(f.org_b, other.id).await.unwrap(), other);
    let gone = store.expire_media(later, 10).await.unwrap();
    assert_eq!(gone, want(&other.file.storage_key));
    let none = store.expire_media(later, 10).await.unwrap();
    assert_eq!(none, wakit_store::ExpiredMedia::default());
}
