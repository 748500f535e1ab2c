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

/// One organization's contacts never change another's search: org B's answers are the
/// same before and after org A gains hundreds of contacts matching the same terms (and
/// org A's never include B's); parts of 1 and 2 characters match as substrings too.
pub async fn contact_search_is_scoped_by_org(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let b_people = [
        ("5215551230001", "Mar Azul"),
        ("5215551230002", "Tomás Marín"),
        ("16505550003", "Li"),
    ];
    for (i, (phone, name)) in b_people.iter().enumerate() {
        let mut m = Fixture::inbound(f.acct_b.id, phone, &format!("w.b{i}"), i as i64, "hola");
        m.profile_name = Some(name.to_string());
        store.ingest_inbound(f.org_b, m).await.unwrap();
    }
    let queries = [
        q(Some("mar"), None, 10),
        q(Some("marin"), None, 10),
        q(Some("ma"), None, 10),
        q(Some("i"), None, 10),
        q(Some("li"), None, 10),
        q(None, Some("555123"), 10),
        q(None, Some("03"), 10),
        q(None, Some("5"), 10),
        q(Some("azul"), Some("0001"), 10),
        q(Some("a"), Some("1230"), 10),
        q(None, None, 10),
    ];
    let queries = &queries;
    let answers = |org| async move {
        let mut out = Vec::new();
        for query in queries.iter().cloned() {
            let hits = store.search_contacts(org, query).await.unwrap();
            out.push(
                hits.into_iter()
                    .map(|h| (h.name.unwrap_or_default(), h.phone.as_str().to_string()))
                    .collect::<Vec<_>>(),
            );
        }
        out
    };
    let before = answers(f.org_b).await;
    let names_of =
        |i: usize| -> Vec<&str> { before[i].iter().map(|(name, _)| name.as_str()).collect() };
    assert_eq!(names_of(0), ["Mar Azul", "Tomás Marín"]);
    assert_eq!(names_of(1), ["Tomás Marín"]);
    assert_eq!(names_of(2), ["Mar Azul", "Tomás Marín"], "2 characters");
    assert_eq!(names_of(3), ["Li", "Tomás Marín"], "1 character");
    assert_eq!(names_of(4), ["Li"]);
    assert_eq!(names_of(5), ["Mar Azul", "Tomás Marín"]);
    assert_eq!(names_of(6), ["Li"], "2 digits");
    assert_eq!(before[7].len(), 3, "1 digit");
    assert_eq!(names_of(8), ["Mar Azul"]);
    assert_eq!(names_of(9), ["Mar Azul", "Tomás Marín"]);
    assert_eq!(before[10].len(), 3);

    // Org A: 300 contacts matching every term above, in the same number range.
    let batch: Vec<_> = (0..300)
        .map(|i| {
            let mut m = Fixture::inbound(
                f.acct_a.id,
                &format!("52155512{:05}", i),
                &format!("w.a{i}"),
                i,
                "hola",
            );
            m.profile_name = Some(format!("Amar Marín Li Azul {i:03}"));
            (f.org_a, m)
        })
        .collect();
    store.ingest_inbound_batch(batch).await.unwrap();
    assert_eq!(
        answers(f.org_b).await,
        before,
        "org A's rows changed org B's answers"
    );
    let a = store
        .search_contacts(f.org_a, q(Some("mar"), Some("0001"), 500))
        .await
        .unwrap();
    assert_eq!(
        a.len(),
        11,
        "org A's own: 5215551200001 and 52155512000[1]x"
    );
    assert!(
        store
            .search_contacts(f.org_a, q(Some("tomas"), None, 10))
            .await
            .unwrap()
            .is_empty(),
        "org A never sees org B's contacts"
    );
}
