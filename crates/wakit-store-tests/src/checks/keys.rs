//! Orgs, numbers and API keys.

use crate::checks::assert_not_found;
use crate::fixture::{Fixture, new_account, secret_box};
use wakit_core::{OrgId, Role};
use wakit_store::secrets::{KeyHash, generate_api_key};
use wakit_store::{AccountStatus, ConflictKey, NewApiKey, Store, StoreError};

/// Orgs and numbers round-trip; tokens come back sealed and open with the key.
pub async fn orgs_and_accounts_round_trip(store: &dyn Store) {
    let org = store
        .create_org("Mirlo", "America/Mexico_City")
        .await
        .unwrap();
    assert_eq!(org.name, "Mirlo");
    assert_eq!(store.get_org(org.id).await.unwrap(), org);
    assert_not_found(store.get_org(OrgId::new()).await, "unknown org");

    let acct = store
        .add_account(org.id, new_account("5215588392274", "238013449404478"))
        .await
        .unwrap();
    assert_eq!(acct.phone.digits(), "5215588392274");
    assert_eq!(acct.phone_number_id, "238013449404478");
    assert_eq!(acct.status, AccountStatus::Connected);
    assert_eq!(
        store.list_accounts(org.id).await.unwrap(),
        vec![acct.clone()]
    );
    let routed = store
        .account_by_phone_number_id("238013449404478")
        .await
        .unwrap();
    assert_eq!(routed, Some(acct.clone()));
    assert_eq!(
        store.account_by_phone_number_id("nope").await.unwrap(),
        None
    );

    let sealed = store.account_token(org.id, acct.id).await.unwrap();
    assert_eq!(
        secret_box().open(&sealed, "238013449404478").unwrap(),
        "EAAG-token-238013449404478"
    );

    let other = store.create_org("Other", "UTC").await.unwrap();
    let dup = store
        .add_account(other.id, new_account("15550001111", "238013449404478"))
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict(ConflictKey::PhoneNumberId))),
        "{dup:?}"
    );
    let orphan = store
        .add_account(OrgId::new(), new_account("15550001111", "999"))
        .await;
    assert_not_found(orphan, "account for unknown org");
}

/// Keys authenticate by hash only, list without the secret, and stop working when revoked.
pub async fn api_keys_authenticate_and_revoke(store: &dyn Store) {
    let f = Fixture::new(store).await;
    let key = generate_api_key();
    let rec = store
        .create_api_key(
            f.org_a,
            NewApiKey {
                name: "ci".into(),
                role: Role::Admin,
                hash: key.hash.clone(),
                prefix: key.prefix.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(rec.prefix, key.prefix);
    assert_eq!(rec.role, Role::Admin);
    assert!(rec.revoked_at.is_none());

    let auth = store
        .authenticate(&KeyHash::of(&key.plain))
        .await
        .unwrap()
        .expect("valid key");
    assert_eq!(
        (auth.org_id, auth.key_id, auth.role),
        (f.org_a, rec.id, Role::Admin)
    );
    assert_eq!(
        store.authenticate(&KeyHash::of("sk_wrong")).await.unwrap(),
        None
    );

    let listed = store.list_api_keys(f.org_a).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, rec.id);
    assert!(store.list_api_keys(f.org_b).await.unwrap().is_empty());

    assert_not_found(
        store.revoke_api_key(Some(f.org_b), rec.id).await,
        "revoke from another org",
    );
    assert!(
        store.authenticate(&key.hash).await.unwrap().is_some(),
        "foreign revoke must not revoke"
    );

    let revoked = store.revoke_api_key(Some(f.org_a), rec.id).await.unwrap();
    let first = revoked.revoked_at.expect("revoked");
    assert_eq!(store.authenticate(&key.hash).await.unwrap(), None);
    let again = store.revoke_api_key(None, rec.id).await.unwrap();
    assert_eq!(
        again.revoked_at,
        Some(first),
        "second revoke keeps the first time"
    );
    assert_not_found(
        store
            .revoke_api_key(None, wakit_core::ApiKeyId::new())
            .await,
        "unknown key",
    );

    let orphan = store
        .create_api_key(
            OrgId::new(),
            NewApiKey {
                name: "x".into(),
                role: Role::Member,
                hash: generate_api_key().hash,
                prefix: "sk_x".into(),
            },
        )
        .await;
    assert_not_found(orphan, "key for unknown org");
}
