//! A two-tenant world for checks: orgs A and B, each with one connected number, and
//! helpers to make inbound messages and outgoing sends.

use chrono::{DateTime, Duration, TimeZone, Utc};
use wakit_core::{AccountId, MessageContent, OrgId, Phone};
use wakit_store::secrets::SecretBox;
use wakit_store::{
    Account, Enqueued, InboundMessage, Ingested, NewAccount, NewOutgoing, Priority, Store,
};

/// Two orgs with a number each.
pub struct Fixture<'a> {
    /// The store under test.
    pub store: &'a dyn Store,
    /// Org A.
    pub org_a: OrgId,
    /// Org A's number.
    pub acct_a: Account,
    /// Org B.
    pub org_b: OrgId,
    /// Org B's number.
    pub acct_b: Account,
}

/// A fixed base time, so checks are reproducible.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0)
        .single()
        .expect("valid")
}

/// `t0() + s` seconds.
pub fn at(s: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(s)
}

/// Parses a phone, panicking on bad test data.
pub fn customer(s: &str) -> wakit_core::CustomerRef {
    phone(s).into()
}

/// A phone number (test input, known valid).
pub fn phone(s: &str) -> Phone {
    Phone::parse(s).expect("valid test phone")
}

/// The key tests seal tokens with.
pub fn secret_box() -> SecretBox {
    SecretBox::new([7u8; 32])
}

/// A number to connect with a sealed token.
pub fn new_account(phone_digits: &str, phone_number_id: &str) -> NewAccount {
    NewAccount {
        phone: phone(phone_digits),
        name: format!("Number {phone_number_id}"),
        phone_number_id: phone_number_id.to_string(),
        waba_id: format!("waba-{phone_number_id}"),
        access_token: secret_box().seal(&format!("EAAG-token-{phone_number_id}"), phone_number_id),
    }
}

impl<'a> Fixture<'a> {
    /// Creates the two orgs and their numbers.
    pub async fn new(store: &'a dyn Store) -> Fixture<'a> {
        let org_a = store
            .create_org("Org A", "America/Mexico_City")
            .await
            .expect("org a")
            .id;
        let org_b = store.create_org("Org B", "UTC").await.expect("org b").id;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let acct_a = store
            .add_account(
                org_a,
                new_account("5215588392274", &format!("pnid-a-{suffix}")),
            )
            .await
            .expect("account a");
        let acct_b = store
            .add_account(
                org_b,
                new_account("15550405258", &format!("pnid-b-{suffix}")),
            )
            .await
            .expect("account b");
        Fixture {
            store,
            org_a,
            acct_a,
            org_b,
            acct_b,
        }
    }

    /// An inbound text on `account` from `from`, with `wamid`, at `t0 + secs`.
    pub fn inbound(
        account: AccountId,
        from: &str,
        wamid: &str,
        secs: i64,
        text: &str,
    ) -> InboundMessage {
        InboundMessage {
            account_id: account,
            from: phone(from).into(),
            profile_name: None,
            wamid: wamid.to_string(),
            timestamp: at(secs),
            content: MessageContent::text(text),
        }
    }

    /// Ingests an inbound text into org A.
    pub async fn receive_a(&self, from: &str, wamid: &str, secs: i64, text: &str) -> Ingested {
        self.store
            .ingest_inbound(
                self.org_a,
                Self::inbound(self.acct_a.id, from, wamid, secs, text),
            )
            .await
            .expect("ingest")
    }

    /// Queues a text from org A's number to `to`, scheduled at `t0 + secs`.
    pub async fn send_a(&self, to: &str, secs: i64, text: &str) -> Enqueued {
        self.store
            .enqueue_outgoing(self.org_a, Self::outgoing(self.acct_a.id, to, secs, text))
            .await
            .expect("enqueue")
    }

    /// A pending text send on `account` to `to`, scheduled at `t0 + secs`.
    pub fn outgoing(account: AccountId, to: &str, secs: i64, text: &str) -> NewOutgoing {
        NewOutgoing {
            account_id: account,
            to: phone(to).into(),
            content: MessageContent::text(text),
            scheduled_at: Some(at(secs)),
            agent_id: None,
            priority: Priority::Normal,
            idempotency: None,
        }
    }
}
