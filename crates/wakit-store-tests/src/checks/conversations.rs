//! Conversation lists, paging and the service-window source.

use crate::fixture::{Fixture, at, customer};
use std::collections::HashSet;
use wakit_core::{Direction, MessageContent};
use wakit_store::Store;

/// Lists put the newest message first; unread counts incoming after the last outgoing.
pub async fn conversations_ordered_by_newest_with_unread(store: &dyn Store) {
    let f = Fixture::new(store).await;
    // X: two incoming, a reply, one more incoming → unread 1, newest at 40.
    f.receive_a("15550000001", "w.x1", 0, "x1").await;
    f.receive_a("15550000001", "w.x2", 1, "x2").await;
    f.send_a("15550000001", 2, "reply").await;
    f.receive_a("15550000001", "w.x3", 40, "x3").await;
    // Y: three incoming, never answered → unread 3, newest at 30.
    for i in 0..3 {
        f.receive_a("15550000002", &format!("w.y{i}"), 28 + i, "y")
            .await;
    }
    // Z: only an outgoing message → unread 0, newest at 50.
    f.send_a("15550000003", 50, "hello z").await;
    // A message arriving late with an old timestamp does not move X up or count past the reply.
    f.receive_a("15550000001", "w.x0", 1, "late").await;

    let list = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    let order: Vec<_> = list
        .iter()
        .map(|c| c.contact.phone.as_str().to_string())
        .collect();
    assert_eq!(order, ["15550000003", "15550000001", "15550000002"]);
    let unread: Vec<_> = list.iter().map(|c| c.unread).collect();
    assert_eq!(unread, [0, 1, 3]);
    let last = list[1].last_message.as_ref().expect("x has messages");
    assert_eq!(
        (last.direction, &last.content),
        (Direction::Incoming, &MessageContent::text("x3"))
    );
    let z_last = list[0].last_message.as_ref().expect("z has a message");
    assert_eq!(z_last.direction, Direction::Outgoing);

    let limited = store
        .list_conversations(f.org_a, f.acct_a.id, 2)
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].id, list[0].id);
    // Replying resets unread.
    f.send_a("15550000002", 60, "ok").await;
    let list = store
        .list_conversations(f.org_a, f.acct_a.id, 10)
        .await
        .unwrap();
    assert_eq!(
        (list[0].contact.phone.as_str(), list[0].unread),
        ("15550000002", 0)
    );
}

/// Paging walks the whole history exactly once, even while new messages arrive and
/// when several messages share a timestamp.
pub async fn paging_is_stable(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let mut conv = None;
    for i in 0..120i64 {
        // Pairs share a timestamp, so order must fall back to the id.
        let got = f
            .receive_a("15551112222", &format!("w.p{i}"), i / 2, &format!("m{i}"))
            .await;
        conv = Some(got.conversation_id);
    }
    let conv = conv.expect("conversation");
    let first = store.page_messages(f.org_a, conv, 50, None).await.unwrap();
    assert_eq!(first.messages.len(), 50);
    assert!(
        first
            .messages
            .windows(2)
            .all(|w| (w[0].timestamp, w[0].id) < (w[1].timestamp, w[1].id)),
        "oldest first"
    );

    let mut seen: Vec<_> = first.messages.iter().map(|m| m.id).collect();
    let mut cursor = first.older;
    let mut pages = 1;
    // New messages arriving mid-walk must not shift older pages.
    f.receive_a("15551112222", "w.new1", 500, "new").await;
    while let Some(c) = cursor {
        let page = store
            .page_messages(f.org_a, conv, 50, Some(c))
            .await
            .unwrap();
        let mut ids: Vec<_> = page.messages.iter().map(|m| m.id).collect();
        ids.extend(seen);
        seen = ids;
        cursor = page.older;
        pages += 1;
        assert!(pages <= 5, "paging does not terminate");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 120);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        120,
        "no message twice"
    );
    let newest = store.page_messages(f.org_a, conv, 1, None).await.unwrap();
    assert_eq!(newest.messages[0].content, MessageContent::text("new"));
    let all = store
        .page_messages(f.org_a, conv, 1000, None)
        .await
        .unwrap();
    assert_eq!((all.messages.len(), all.older), (121, None));
}

/// The newest incoming time covers the whole history, not one page.
pub async fn newest_incoming_spans_whole_history(store: &dyn Store) {
    let f = Fixture::new(store).await;
    assert_eq!(
        store
            .newest_incoming_at(f.org_a, f.acct_a.id, &customer("15553334444"))
            .await
            .unwrap(),
        None
    );
    f.receive_a("15553334444", "w.only", 7, "hola").await;
    for i in 0..30 {
        f.send_a("15553334444", 100 + i, "out").await;
    }
    let conv = store
        .find_conversation(f.org_a, f.acct_a.id, &customer("15553334444"))
        .await
        .unwrap()
        .expect("conv");
    let page = store
        .page_messages(f.org_a, conv.id, 10, None)
        .await
        .unwrap();
    assert!(
        page.messages
            .iter()
            .all(|m| m.direction == Direction::Outgoing)
    );
    let newest = store
        .newest_incoming_at(f.org_a, f.acct_a.id, &customer("15553334444"))
        .await
        .unwrap();
    assert_eq!(newest, Some(at(7)));
    assert_eq!(
        store
            .find_conversation(f.org_a, f.acct_a.id, &customer("15559999999"))
            .await
            .unwrap(),
        None
    );
}

/// `read_conversation` answers what its three parts answer: the conversation, its newest
/// page (an older incoming message outside the page still sets the window) and `None`
/// for a contact without a conversation.
pub async fn read_conversation_matches_its_parts(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let contact = customer("15553335555");
    f.receive_a("15553335555", "w.read", 7, "hola").await;
    for i in 0..12 {
        f.send_a("15553335555", 100 + i, "out").await;
    }
    let read = store
        .read_conversation(f.org_a, f.acct_a.id, &contact, 5)
        .await
        .unwrap()
        .expect("a conversation");
    let conv = store
        .find_conversation(f.org_a, f.acct_a.id, &contact)
        .await
        .unwrap()
        .expect("conv");
    let page = store
        .page_messages(f.org_a, conv.id, 5, None)
        .await
        .unwrap();
    assert_eq!(read.conversation, conv);
    assert_eq!(read.page, page);
    assert_eq!(read.page.messages.len(), 5);
    assert_eq!(read.page.messages[4].timestamp, at(111), "newest last");
    assert_eq!(read.newest_incoming, Some(at(7)));
    let other = store
        .read_conversation(f.org_a, f.acct_a.id, &customer("15559999998"), 5)
        .await
        .unwrap();
    assert_eq!(other, None);
}

/// Writes append events in order, per org.
pub async fn writes_append_events(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let got = f.receive_a("15556667777", "w.ev", 0, "hola").await;
    let events = store.events_after(f.org_a, 0, 100).await.unwrap();
    let kinds: Vec<_> = events
        .iter()
        .map(|e| (e.entity.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("contacts", "insert"),
            ("conversations", "insert"),
            ("messages", "insert")
        ]
    );
    assert_eq!(events[2].row_id, got.message_id.as_uuid());
    assert!(events[0].seq < events[1].seq && events[1].seq < events[2].seq);
    let after = store
        .events_after(f.org_a, events[1].seq, 100)
        .await
        .unwrap();
    assert_eq!(after.len(), 1);
    let e = f.send_a("15556667777", 1, "r").await;
    store
        .mark_sent(f.org_a, e.message.id, "w.ev.out", at(2))
        .await
        .unwrap();
    let more = store
        .events_after(f.org_a, events[2].seq, 100)
        .await
        .unwrap();
    let kinds: Vec<_> = more
        .iter()
        .map(|e| (e.entity.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(kinds, [("messages", "insert"), ("messages", "update")]);
}

/// The change epoch stays put while nothing is written and moves on with every commit,
/// so a read reused under one epoch is never older than a write that came before it.
pub async fn change_epoch_moves_with_every_commit(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let Some(first) = store.change_epoch().await.expect("epoch") else {
        return; // The backend cannot tell: nothing is ever reused.
    };
    let again = store.change_epoch().await.expect("epoch");
    assert_eq!(again, Some(first), "no commit, same epoch");
    let mut last = first;
    for i in 0..3 {
        f.receive_a("15550000009", &format!("w.epoch{i}"), i, "hi")
            .await;
        let now = store.change_epoch().await.expect("epoch").expect("some");
        assert_ne!(now, last, "a commit moves the epoch on (message {i})");
        last = now;
    }
    store
        .enqueue_outgoing(
            f.org_b,
            Fixture::outgoing(f.acct_b.id, "15550000008", 9, "other org"),
        )
        .await
        .unwrap();
    let after_b = store.change_epoch().await.expect("epoch").expect("some");
    assert_ne!(after_b, last, "any org's commit moves it on");
}
