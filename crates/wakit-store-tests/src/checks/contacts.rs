//! Contact search: case- and accent-insensitive names, partial digits.

use crate::fixture::Fixture;
use wakit_store::{ContactQuery, Store};

fn q(name: Option<&str>, number: Option<&str>, limit: u32) -> ContactQuery {
    ContactQuery {
        name: name.map(String::from),
        number: number.map(String::from),
        limit,
    }
}

/// Names match ignoring case and accents, numbers match any part, both AND, neither lists all.
pub async fn contact_search_folds_and_matches_digits(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let people = [
        ("5215551230001", "María García"),
        ("5215551230002", "MARIO Pérez"),
        ("5215559990003", "José Martínez"),
        ("16505550004", "Ana 100% Real"),
        ("16505550005", "Zoë"),
    ];
    for (i, (phone, name)) in people.iter().enumerate() {
        let mut m = Fixture::inbound(f.acct_a.id, phone, &format!("w.c{i}"), i as i64, "hola");
        m.profile_name = Some(name.to_string());
        store.ingest_inbound(f.org_a, m).await.unwrap();
    }
    let names = |hits: Vec<wakit_store::ContactRef>| -> Vec<String> {
        hits.into_iter()
            .map(|h| h.name.unwrap_or_default())
            .collect()
    };
    let s = |query| async move { names(store.search_contacts(f.org_a, query).await.unwrap()) };

    assert_eq!(s(q(Some("maria"), None, 10)).await, ["María García"]);
    assert_eq!(s(q(Some("GARCÍA"), None, 10)).await, ["María García"]);
    assert_eq!(
        s(q(Some("mari"), None, 10)).await,
        ["María García", "MARIO Pérez"]
    );
    assert_eq!(s(q(Some("perez"), None, 10)).await, ["MARIO Pérez"]);
    assert_eq!(s(q(Some("zoe"), None, 10)).await, ["Zoë"]);
    assert_eq!(
        s(q(Some("ma"), None, 10)).await,
        ["José Martínez", "María García", "MARIO Pérez"],
        "short queries work too"
    );
    assert_eq!(
        s(q(Some("100%"), None, 10)).await,
        ["Ana 100% Real"],
        "wildcards are literal"
    );
    assert!(s(q(Some("%"), None, 10)).await.len() == 1);
    assert!(s(q(Some("nobody"), None, 10)).await.is_empty());

    assert_eq!(
        s(q(None, Some("555123"), 10)).await,
        ["María García", "MARIO Pérez"]
    );
    assert_eq!(
        s(q(None, Some("+1 650"), 10)).await,
        ["Ana 100% Real", "Zoë"]
    );
    assert_eq!(s(q(None, Some("0003"), 10)).await, ["José Martínez"]);
    assert_eq!(
        s(q(Some("mario"), Some("0002"), 10)).await,
        ["MARIO Pérez"],
        "both → AND"
    );
    assert!(s(q(Some("mario"), Some("0001"), 10)).await.is_empty());

    let all = s(q(None, None, 10)).await;
    assert_eq!(
        all,
        [
            "Ana 100% Real",
            "José Martínez",
            "María García",
            "MARIO Pérez",
            "Zoë"
        ],
        "neither → all by name"
    );
    assert_eq!(s(q(None, None, 2)).await.len(), 2, "limit");
}

/// A term shared by hundreds of contacts still returns the first matches by name, and
/// the same answer a rare term's search would give.
pub async fn contact_search_handles_common_terms(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let mut batch = Vec::new();
    for i in 0..500 {
        let mut m = Fixture::inbound(
            f.acct_a.id,
            &format!("1650{:07}", i),
            &format!("w.common{i}"),
            i,
            "hola",
        );
        // Reverse order of insertion vs. name order, with a few non-matching names mixed in.
        m.profile_name = Some(if i % 10 == 0 {
            format!("Zed {i:03}")
        } else {
            format!("Ána {:03}", 999 - i)
        });
        batch.push((f.org_a, m));
    }
    store.ingest_inbound_batch(batch).await.unwrap();
    let hits = store
        .search_contacts(f.org_a, q(Some("ana"), None, 5))
        .await
        .unwrap();
    let names: Vec<_> = hits
        .iter()
        .map(|h| h.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        ["Ána 500", "Ána 501", "Ána 502", "Ána 503", "Ána 504"]
    );
    let hits = store
        .search_contacts(f.org_a, q(Some("ana 7"), Some("1650"), 3))
        .await
        .unwrap();
    let names: Vec<_> = hits
        .iter()
        .map(|h| h.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["Ána 700", "Ána 701", "Ána 702"]);
    let hits = store
        .search_contacts(f.org_a, q(Some("ana 7"), None, 200))
        .await
        .unwrap();
    assert_eq!(hits.len(), 100 - 10, "every match when the limit allows");
    let rare = store
        .search_contacts(f.org_a, q(Some("zed 49"), None, 10))
        .await
        .unwrap();
    assert_eq!(
        rare.iter()
            .map(|h| h.name.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["Zed 490"]
    );
}

/// A whole number typed in another of its forms (Mexico without the 1) finds the contact.
pub async fn contact_search_by_whole_number_in_any_form(store: &dyn Store) {
    let f = Fixture::new(store).await;
    f.receive_a("5215551239876", "w.form", 0, "hola").await;
    for typed in ["525551239876", "+52 1 55 5123 9876", "5123 9876"] {
        let hits = store
            .search_contacts(f.org_a, q(None, Some(typed), 10))
            .await
            .unwrap();
        assert_eq!(hits.len(), 1, "{typed}");
        assert_eq!(hits[0].phone.as_str(), "5215551239876");
    }
}
