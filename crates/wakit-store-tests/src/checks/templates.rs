//! The template cache.

use crate::fixture::Fixture;
use serde_json::json;
use wakit_store::{Store, TemplateRecord};

fn template(id: &str, name: &str, lang: &str, status: &str) -> TemplateRecord {
    TemplateRecord {
        id: id.into(),
        name: name.into(),
        language: lang.into(),
        status: status.into(),
        category: "UTILITY".into(),
        components: json!([{"type": "BODY", "text": "Hello {{1}}"}]),
    }
}

/// Replacing swaps the whole list; a status webhook updates one template at once.
pub async fn template_cache_replaces_and_upserts(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let (empty, synced) = store.list_templates(f.org_a, f.acct_a.id).await.unwrap();
    assert!(empty.is_empty() && synced.is_none());

    let first = vec![
        template("1", "order_update", "es", "APPROVED"),
        template("2", "hello_world", "es", "APPROVED"),
        template("3", "hello_world", "en_US", "APPROVED"),
    ];
    store
        .replace_templates(f.org_a, f.acct_a.id, first)
        .await
        .unwrap();
    let (list, synced) = store.list_templates(f.org_a, f.acct_a.id).await.unwrap();
    let keys: Vec<_> = list
        .iter()
        .map(|t| (t.name.as_str(), t.language.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("hello_world", "en_US"),
            ("hello_world", "es"),
            ("order_update", "es")
        ]
    );
    assert!(synced.is_some());
    assert_eq!(
        list[0].components,
        json!([{"type": "BODY", "text": "Hello {{1}}"}])
    );

    store
        .upsert_template(
            f.org_a,
            f.acct_a.id,
            template("1", "order_update", "es", "PAUSED"),
        )
        .await
        .unwrap();
    store
        .upsert_template(
            f.org_a,
            f.acct_a.id,
            template("4", "new_one", "es", "PENDING"),
        )
        .await
        .unwrap();
    let (list, _) = store.list_templates(f.org_a, f.acct_a.id).await.unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(
        list.iter().find(|t| t.id == "1").map(|t| t.status.as_str()),
        Some("PAUSED")
    );

    store
        .replace_templates(
            f.org_a,
            f.acct_a.id,
            vec![template("9", "only", "es", "APPROVED")],
        )
        .await
        .unwrap();
    let (list, _) = store.list_templates(f.org_a, f.acct_a.id).await.unwrap();
    assert_eq!(
        list.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["9"]
    );
    assert!(
        store
            .list_templates(f.org_b, f.acct_b.id)
            .await
            .unwrap()
            .0
            .is_empty()
    );
}
