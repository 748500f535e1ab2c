//! The seed of the settings, members and isolation checks (check_settings.py,
//! check_members.py, check_isolation.py), apart from the inbox's: an owner of the first
//! organization, a person who belongs only to the second one, the address a member is
//! invited at, a webhook receiver on 127.0.0.1, and the ids of the first organization's
//! conversation and contact that the second organization's person must never reach.

use serde_json::{Value, json};
use wakit_core::{AccountId, OrgId, Role};
use wakit_server::routes::auth::password;
use wakit_store::{NewUser, Store};

use crate::common::receiver::Receiver;

/// Every seeded person's password.
const PASSWORD: &str = "settings pass phrase";
/// The first organization's owner.
const OWNER: &str = "owner@example.com";
/// A person of the second organization only.
const OUTSIDER: &str = "outsider@example.com";
/// The address the owner invites (as a member) during the check.
const INVITED: &str = "new.member@example.com";

async fn person(store: &dyn Store, email: &str, org: OrgId, role: Role) {
    let hash = password::hash(PASSWORD.into()).await.expect("hash");
    let user = store
        .create_user(NewUser {
            email: email.into(),
            password_hash: hash,
            user_metadata: json!({}),
        })
        .await
        .expect("user");
    store.add_member(org, user.id, role).await.expect("member");
}

/// Seeds the people; the checks' part of the config (`"settings": {...}`). `receiver`
/// must outlive the checks.
pub async fn seed(
    store: &dyn Store,
    org: OrgId,
    account: AccountId,
    other: OrgId,
    receiver: &Receiver,
    anon_key: String,
) -> Value {
    person(store, OWNER, org, Role::Owner).await;
    person(store, OUTSIDER, other, Role::Admin).await;
    let conversations = store
        .list_conversations(org, account, 50)
        .await
        .expect("conversations");
    let first = conversations
        .first()
        .expect("a conversation in the first org");
    let contact = first.contact.contact_id.expect("a contact");
    json!({
        "password": PASSWORD,
        "owner": OWNER,
        "outsider": OUTSIDER,
        "invited": INVITED,
        "anon_key": anon_key,
        "receiver": receiver.url("/hook"),
        "a_org": org.0,
        "a_conversation": first.id.0,
        "a_contact": contact.0,
        "a_contact_name": first.contact.name,
    })
}
