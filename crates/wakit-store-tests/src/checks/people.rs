//! People: users, sessions with rotating refresh tokens, membership and its rules.

use crate::checks::assert_not_found;
use serde_json::json;
use wakit_core::{AgentId, Role};
use wakit_store::people::refresh_token_hash;
use wakit_store::{
    ConflictKey, InvitationStatus, LogoutScope, NewUser, PasswordHash, Rotation, SessionId, Store,
    StoreError, User,
};

async fn user(store: &dyn Store, email: &str) -> User {
    store
        .create_user(NewUser {
            email: email.into(),
            password_hash: PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            user_metadata: json!({"name": email}),
        })
        .await
        .unwrap()
}

/// One address is one user whatever its letter case; sign-in finds it in any case and
/// gets the hash back, never anything else.
pub async fn emails_are_unique_ignoring_case(store: &dyn Store) {
    let ana = user(store, "Ana@Example.com").await;
    assert_eq!(ana.email, "ana@example.com");
    assert_eq!(ana.user_metadata, json!({"name": "Ana@Example.com"}));
    let dup = store
        .create_user(NewUser {
            email: " ANA@example.COM".into(),
            password_hash: PasswordHash("x".into()),
            user_metadata: json!({}),
        })
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict(ConflictKey::Email))),
        "{dup:?}"
    );
    let (found, hash) = store
        .user_credentials("aNa@EXAMPLE.com")
        .await
        .unwrap()
        .expect("found in another case");
    assert_eq!(found, ana);
    assert!(hash.0.starts_with("$argon2id$"));
    assert_eq!(
        store.user_credentials("bob@example.com").await.unwrap(),
        None
    );

    let changed = store
        .set_password(ana.id, PasswordHash("$2b$12$new".into()))
        .await
        .unwrap();
    assert_eq!(store.password_hash(ana.id).await.unwrap().0, "$2b$12$new");
    assert!(changed.updated_at >= ana.updated_at);
    assert_eq!(store.list_users().await.unwrap(), vec![changed]);
}

/// A refresh token works once: rotation spends it and issues the next; presenting a
/// spent token again revokes the whole session, so the newest token stops working too.
pub async fn refresh_tokens_rotate_and_reuse_revokes(store: &dyn Store) {
    let ana = user(store, "ana@example.com").await;
    let (t1, t2, t3) = (
        refresh_token_hash("one"),
        refresh_token_hash("two"),
        refresh_token_hash("three"),
    );
    let session = store.start_session(ana.id, &t1).await.unwrap();
    assert_eq!(session.user_id, ana.id);
    assert_eq!(session.revoked_at, None);
    assert!(
        store
            .get_user(ana.id)
            .await
            .unwrap()
            .last_sign_in_at
            .is_some()
    );

    match store.rotate_refresh_token(&t1, &t2).await.unwrap() {
        Rotation::Rotated { session: s, user } => {
            assert_eq!(s.id, session.id);
            assert_eq!(user.id, ana.id);
        }
        other => panic!("expected a rotation, got {other:?}"),
    }
    assert_eq!(
        store.rotate_refresh_token(&t1, &t3).await.unwrap(),
        Rotation::Reused
    );
    let revoked = store.get_session(session.id).await.unwrap();
    assert!(revoked.revoked_at.is_some(), "reuse revokes the session");
    assert_eq!(
        store.rotate_refresh_token(&t2, &t3).await.unwrap(),
        Rotation::Unknown,
        "the newest token of a revoked session is dead"
    );
    assert_eq!(
        store
            .rotate_refresh_token(&refresh_token_hash("never issued"), &t3)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert_not_found(store.get_session(SessionId::new()).await, "unknown session");
}

/// Sign-out ends this session, the others, or all of the user's, and only the user's.
pub async fn logout_scopes_end_the_right_sessions(store: &dyn Store) {
    let ana = user(store, "ana@example.com").await;
    let bob = user(store, "bob@example.com").await;
    let mut ana_sessions = Vec::new();
    for i in 0..3 {
        let h = refresh_token_hash(&format!("ana{i}"));
        ana_sessions.push(store.start_session(ana.id, &h).await.unwrap().id);
    }
    let bobs = store
        .start_session(bob.id, &refresh_token_hash("bob"))
        .await
        .unwrap()
        .id;
    let live = |id| async move { store.get_session(id).await.unwrap().revoked_at.is_none() };

    store
        .end_sessions(ana_sessions[0], LogoutScope::Local)
        .await
        .unwrap();
    assert!(!live(ana_sessions[0]).await);
    assert!(live(ana_sessions[1]).await);
    store
        .end_sessions(ana_sessions[1], LogoutScope::Others)
        .await
        .unwrap();
    assert!(live(ana_sessions[1]).await);
    assert!(!live(ana_sessions[2]).await);
    store
        .end_sessions(ana_sessions[1], LogoutScope::Global)
        .await
        .unwrap();
    assert!(!live(ana_sessions[1]).await);
    assert!(live(bobs).await, "another user's session is untouched");
    assert_eq!(
        store
            .rotate_refresh_token(&refresh_token_hash("ana2"), &refresh_token_hash("x"))
            .await
            .unwrap(),
        Rotation::Unknown
    );
}

/// An invitation by address is joined by the user created with that address (any
/// case), in the invitation's role; an address already signed up joins at once.
pub async fn invitations_are_joined_on_sign_up(store: &dyn Store) {
    let owner = user(store, "owner@example.com").await;
    let org = store
        .create_org_with_owner(owner.id, "Mirlo", "UTC", "Olga")
        .await
        .unwrap();
    assert_eq!(org.owner.role, Role::Owner);
    assert_eq!(org.owner.user_id, Some(owner.id));
    assert!(org.owner.is_active());
    assert_eq!(store.get_org(org.org.id).await.unwrap(), org.org);

    let invited = store
        .invite_member(org.org.id, "Nuevo@Example.com", Role::Admin)
        .await
        .unwrap();
    assert_eq!(invited.user_id, None);
    assert!(!invited.is_active());
    let nuevo = user(store, "NUEVO@example.com").await;
    assert_eq!(store.memberships(nuevo.id).await.unwrap().len(), 1);
    let joined = &store.memberships(nuevo.id).await.unwrap()[0];
    assert_eq!(
        (joined.id, joined.org_id, joined.role),
        (invited.id, org.org.id, Role::Admin)
    );
    assert_eq!(
        joined.invitation.as_ref().map(|i| i.status),
        Some(InvitationStatus::Accepted)
    );

    let late = store
        .invite_member(org.org.id, "owner@example.com", Role::Member)
        .await
        .unwrap();
    assert_eq!(
        late.user_id,
        Some(owner.id),
        "an existing user joins at once"
    );
    let members = store.list_members(org.org.id).await.unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(members[0], org.owner);
}

/// An organization keeps an active owner: its last one can be neither demoted nor
/// removed; once there is a second owner, either may go.
pub async fn last_owner_is_protected(store: &dyn Store) {
    let ana = user(store, "ana@example.com").await;
    let bob = user(store, "bob@example.com").await;
    let org = store
        .create_org_with_owner(ana.id, "Mirlo", "UTC", "Ana")
        .await
        .unwrap();
    let (o, ana_m) = (org.org.id, org.owner.id);
    let demote = store.set_member_role(o, ana_m, Role::Admin).await;
    assert!(matches!(demote, Err(StoreError::LastOwner)), "{demote:?}");
    let remove = store.remove_member(o, ana_m).await;
    assert!(matches!(remove, Err(StoreError::LastOwner)), "{remove:?}");
    // A pending invitation as owner is not an owner yet.
    store
        .invite_member(o, "later@example.com", Role::Owner)
        .await
        .unwrap();
    let still = store.remove_member(o, ana_m).await;
    assert!(matches!(still, Err(StoreError::LastOwner)), "{still:?}");

    let bob_m = store.add_member(o, bob.id, Role::Member).await.unwrap();
    let bob_m = store
        .set_member_role(o, bob_m.id, Role::Owner)
        .await
        .unwrap();
    assert_eq!(bob_m.role, Role::Owner);
    let ana_admin = store.set_member_role(o, ana_m, Role::Admin).await.unwrap();
    assert_eq!(ana_admin.role, Role::Admin);
    let last = store.remove_member(o, bob_m.id).await;
    assert!(matches!(last, Err(StoreError::LastOwner)), "{last:?}");
    store.remove_member(o, ana_m).await.unwrap();
    assert_eq!(store.memberships(ana.id).await.unwrap(), vec![]);
}

/// Membership methods stay in their org: another org's agent is not found and is
/// left unchanged; a user's memberships list each org once.
pub async fn membership_stays_in_its_tenant(store: &dyn Store) {
    let ana = user(store, "ana@example.com").await;
    let bob = user(store, "bob@example.com").await;
    let a = store
        .create_org_with_owner(ana.id, "A", "UTC", "Ana")
        .await
        .unwrap();
    let b = store
        .create_org_with_owner(bob.id, "B", "UTC", "Bob")
        .await
        .unwrap();
    let b_member = store
        .add_member(b.org.id, ana.id, Role::Member)
        .await
        .unwrap();
    assert_not_found(
        store
            .set_member_role(a.org.id, b.owner.id, Role::Member)
            .await,
        "another org's owner",
    );
    assert_not_found(
        store.remove_member(a.org.id, b_member.id).await,
        "another org's member",
    );
    assert_not_found(
        store
            .set_member_role(a.org.id, AgentId::new(), Role::Admin)
            .await,
        "unknown agent",
    );
    assert_eq!(store.list_members(b.org.id).await.unwrap().len(), 2);
    let orgs: Vec<_> = store
        .memberships(ana.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.org_id, m.role))
        .collect();
    assert_eq!(
        orgs,
        vec![(a.org.id, Role::Owner), (b.org.id, Role::Member)]
    );
    assert_eq!(
        store.list_members(a.org.id).await.unwrap(),
        vec![a.owner.clone()],
        "B's member row is not A's"
    );
}

/// Deleting a user: refused (nothing changes) while they are an organization's last
/// owner; then their sessions, memberships and credentials are gone; a second delete
/// is `NotFound`.
pub async fn deleting_a_user_keeps_every_org_owned(store: &dyn Store) {
    let ana = user(store, "ana@example.com").await;
    let bob = user(store, "bob@example.com").await;
    let mirlo = store
        .create_org_with_owner(ana.id, "Mirlo", "UTC", "Ana")
        .await
        .unwrap();
    let other = store
        .create_org_with_owner(bob.id, "Other", "UTC", "Bob")
        .await
        .unwrap();
    store
        .add_member(other.org.id, ana.id, Role::Member)
        .await
        .unwrap();
    let session = store
        .start_session(ana.id, &refresh_token_hash("t1"))
        .await
        .unwrap();

    let refused = store.delete_user(ana.id).await;
    assert!(matches!(refused, Err(StoreError::LastOwner)), "{refused:?}");
    assert_eq!(
        store.memberships(ana.id).await.unwrap().len(),
        2,
        "nothing changed"
    );

    let bob_m = store
        .add_member(mirlo.org.id, bob.id, Role::Owner)
        .await
        .unwrap();
    assert_eq!(bob_m.role, Role::Owner);
    store.delete_user(ana.id).await.unwrap();
    assert_not_found(store.get_user(ana.id).await, "user");
    assert!(
        store
            .user_credentials("ana@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.get_session(session.id).await.is_err(),
        "sessions go with the user"
    );
    for org in [mirlo.org.id, other.org.id] {
        let left = store.list_members(org).await.unwrap();
        assert!(left.iter().all(|m| m.user_id != Some(ana.id)), "{left:?}");
    }
    assert_eq!(store.memberships(bob.id).await.unwrap().len(), 2);
    assert_not_found(store.delete_user(ana.id).await, "user");
}
