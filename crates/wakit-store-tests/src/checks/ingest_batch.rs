//! Batch ingest is one-by-one ingest in one transaction: the same rows, events and
//! answers, whatever the batch mixes (new contacts, phone forms, profile changes,
//! duplicates of stored and of earlier batch messages, older timestamps).

use crate::fixture::{Fixture, customer};
use wakit_core::{AccountId, OrgId};
use wakit_store::{ContactQuery, InboundMessage, Ingested, Store};

/// `(from, profile, wamid, secs, text)` of each message, in order.
const SCENARIO: &[(&str, Option<&str>, &str, i64, &str)] = &[
    // A new contact without a profile name (an unnamed contact).
    ("5215551234567", None, "y1", 10, "hola"),
    // The same contact in Meta's other Mexican form, now with a profile name.
    ("525551234567", Some("Ana María"), "y2", 11, "¿siguen ahí?"),
    // A contact stored before the batch, no profile.
    ("15550001000", None, "x1", 12, "buenas"),
    // Meta retries: an earlier message of the batch, then one stored before it.
    ("5215551234567", None, "y1", 10, "hola"),
    ("15550001000", Some("Xavier"), "p0", 1, "antes"),
    // A new contact with an older timestamp than the conversation's others.
    ("5215559876543", Some("Zoé"), "z1", 9, "tarde"),
    ("5215559876543", Some("Zoé"), "z0", 8, "más tarde"),
    ("525551234567", Some("Ana María"), "y3", 13, "gracias"),
];

fn messages(account: AccountId) -> Vec<InboundMessage> {
    SCENARIO
        .iter()
        .map(|(from, profile, wamid, secs, text)| {
            let mut m = Fixture::inbound(account, from, wamid, *secs, text);
            m.profile_name = profile.map(str::to_string);
            m
        })
        .collect()
}

/// What an org ended with, comparable across orgs (no ids).
async fn state(store: &dyn Store, org: OrgId, account: AccountId) -> Vec<String> {
    let mut out = Vec::new();
    for c in store.list_conversations(org, account, 50).await.unwrap() {
        let page = store.page_messages(org, c.id, 50, None).await.unwrap();
        let texts: Vec<_> = page
            .messages
            .iter()
            .map(|m| {
                let wamid = m.external_id.as_deref().unwrap_or("-");
                format!("{wamid}@{}={:?}", m.timestamp, m.content.text)
            })
            .collect();
        let last = c.last_message.as_ref().and_then(|m| m.external_id.clone());
        out.push(format!(
            "{:?} {} unread={} last={last:?} {texts:?}",
            c.contact.name,
            c.contact.phone.as_str(),
            c.unread
        ));
    }
    for name in ["ana", "xavier", "zoe"] {
        let query = ContactQuery {
            name: Some(name.into()),
            number: None,
            limit: 10,
        };
        let found = store.search_contacts(org, query).await.unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|c| (c.name.clone(), c.phone.as_str().to_string()))
            .collect();
        out.push(format!("search {name}: {names:?}"));
    }
    // A batch may create its contacts before the conversations and messages: their
    // events are compared as a count, the others in order.
    let events = store.events_after(org, 0, 500).await.unwrap();
    let (contacts, kinds): (Vec<_>, Vec<_>) = events
        .iter()
        .map(|e| format!("{}.{}", e.entity, e.action))
        .partition(|k| k.starts_with("contacts."));
    out.push(format!("events {kinds:?}, contact events {contacts:?}"));
    out
}

/// Org A ingests the scenario one message at a time, org B as one batch: both end the
/// same, and the answers agree.
pub async fn batch_ingest_matches_one_by_one(store: &dyn Store) {
    let f = Fixture::new(store).await;
    // Before the batch: contact X with one message, in both orgs.
    for (org, account) in [(f.org_a, f.acct_a.id), (f.org_b, f.acct_b.id)] {
        let mut m = Fixture::inbound(account, "15550001000", "p0", 1, "antes");
        m.profile_name = Some("Xavier".into());
        store.ingest_inbound(org, m).await.unwrap();
    }

    let mut one_by_one: Vec<Ingested> = Vec::new();
    for m in messages(f.acct_a.id) {
        one_by_one.push(store.ingest_inbound(f.org_a, m).await.unwrap());
    }
    let batch = messages(f.acct_b.id)
        .into_iter()
        .map(|m| (f.org_b, m))
        .collect();
    let batched = store.ingest_inbound_batch(batch).await.unwrap();

    let created = |got: &[Ingested]| got.iter().map(|g| g.created).collect::<Vec<_>>();
    assert_eq!(created(&batched), created(&one_by_one));
    assert_eq!(
        created(&batched),
        [true, true, true, false, false, true, true, true]
    );
    // Duplicates answer with the message they repeat; one contact, one conversation.
    assert_eq!(batched[3].message_id, batched[0].message_id);
    assert_eq!(batched[1].conversation_id, batched[0].conversation_id);
    assert_eq!(batched[7].conversation_id, batched[0].conversation_id);
    assert_eq!(batched[6].conversation_id, batched[5].conversation_id);
    assert_eq!(batched[4].conversation_id, batched[2].conversation_id);

    let a = state(store, f.org_a, f.acct_a.id).await;
    let b = state(store, f.org_b, f.acct_b.id).await;
    assert_eq!(b, a);
    assert_eq!(
        a.len(),
        3 + 3 + 1,
        "three conversations, three searches, events: {a:#?}"
    );
    assert!(
        store
            .find_conversation(f.org_b, f.acct_b.id, &customer("525551234567"))
            .await
            .unwrap()
            .is_some()
    );
}

/// Two batches at once over the same contacts, in opposite orders, with some wamids in
/// both: neither fails (no deadlock), each message is stored once, one conversation per
/// contact.
pub async fn concurrent_batches_over_shared_contacts(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let contact = |i: usize| format!("52155500100{:02}", i % 10);
    let batch = |round: usize, range: Vec<usize>| -> Vec<(OrgId, InboundMessage)> {
        range
            .into_iter()
            .map(|i| {
                let wamid = format!("c.{round}.{i}");
                let mut m = Fixture::inbound(f.acct_a.id, &contact(i), &wamid, i as i64, "hola");
                // A new profile name each round: existing contacts get updated too.
                m.profile_name = Some(format!("Contacto {round}"));
                (f.org_a, m)
            })
            .collect()
    };
    // Round 0 creates the contacts, round 1 finds them. Within a round: 0..40
    // forwards, 35..75 backwards, so the batches meet their contacts in opposite
    // orders, and c.35..c.39 are in both.
    for round in 0..2 {
        let forwards = batch(round, (0..40).collect());
        let backwards = batch(round, (35..75).rev().collect());
        let (a, b) = futures::join!(
            store.ingest_inbound_batch(forwards),
            store.ingest_inbound_batch(backwards)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let created = a.iter().chain(&b).filter(|g| g.created).count();
        assert_eq!(created, 75, "round {round}: every wamid stored once");
    }

    let convs = store
        .list_conversations(f.org_a, f.acct_a.id, 50)
        .await
        .unwrap();
    assert_eq!(convs.len(), 10);
    let mut stored = 0;
    for c in &convs {
        let page = store.page_messages(f.org_a, c.id, 50, None).await.unwrap();
        stored += page.messages.len();
        assert_eq!(
            c.contact.name.as_deref(),
            Some("Contacto 0"),
            "named by round 0"
        );
    }
    assert_eq!(stored, 150);
}
