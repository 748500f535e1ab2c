//! The bulk loader the storage and API benchmarks share: one measured org with two
//! numbers, `--messages` messages over `--conversations` conversations and `--contacts`
//! contacts (so each contact has a conversation on each number), one outgoing send in
//! `--outgoing-every`, plus a second org of interleaved noise. Loaded through the
//! Store's batch ingest, as the webhook worker writes.

use anyhow::Context;
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wakit_core::{ConversationId, MessageContent, OrgId, Phone};
use wakit_store::secrets::SecretBox;
use wakit_store::{Account, InboundMessage, NewAccount, NewOutgoing, Priority, Store};

use crate::data;

/// The corpus's shape (options shared by the benchmarks that load one).
#[derive(clap::Args, Clone, Debug)]
pub struct Shape {
    /// Messages in the measured org at the end.
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: usize,
    /// Conversations in the measured org.
    #[arg(long, default_value_t = 100_000)]
    pub conversations: usize,
    /// Contacts in the measured org.
    #[arg(long, default_value_t = 50_000)]
    pub contacts: usize,
    /// Messages of the noise org (interleaved).
    #[arg(long, default_value_t = 100_000)]
    pub noise: usize,
    /// Messages per ingest transaction while loading.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// One outgoing message every N messages.
    #[arg(long, default_value_t = 20)]
    pub outgoing_every: usize,
}

impl Shape {
    /// "N messages / N conversations / N contacts (+N noise messages in a second org)".
    pub fn describe(&self) -> String {
        format!(
            "{} messages / {} conversations / {} contacts (+{} noise messages in a second org)",
            self.messages, self.conversations, self.contacts, self.noise
        )
    }
}

/// The loaded data and what the benchmarks need to address it.
pub struct Corpus {
    /// The store it is loaded into.
    pub store: Arc<dyn Store>,
    /// The measured org.
    pub org: OrgId,
    /// Its two numbers; conversation `c` is on `accounts[c % 2]`.
    pub accounts: Vec<Account>,
    noise_org: OrgId,
    noise_account: Account,
    /// Conversation `c`'s id, once it has a message.
    pub conversations: Vec<Option<ConversationId>>,
    /// Messages loaded into the measured org so far.
    pub loaded: usize,
    /// Time spent loading them.
    pub load_time: Duration,
    /// The generator (seeded: every run loads the same data).
    pub rng: StdRng,
    shape: Shape,
}

impl Corpus {
    /// Creates the two orgs and their numbers; loads nothing yet.
    pub async fn create(store: Arc<dyn Store>, shape: &Shape) -> anyhow::Result<Corpus> {
        let sealer = SecretBox::new([1u8; 32]);
        let number = |digits: &str, name: &str, pnid: &str| -> anyhow::Result<NewAccount> {
            Ok(NewAccount {
                phone: Phone::parse(digits)?,
                name: name.into(),
                phone_number_id: pnid.into(),
                waba_id: "waba".into(),
                access_token: sealer.seal("token", pnid),
            })
        };
        let org = store.create_org("Bench", "UTC").await?.id;
        let mut accounts = Vec::new();
        for i in 0..2 {
            let acct = number(
                &format!("52155000000{i}"),
                &format!("Bench {i}"),
                &format!("bench-{i}"),
            )?;
            accounts.push(store.add_account(org, acct).await?);
        }
        let noise_org = store.create_org("Noise", "UTC").await?.id;
        let noise_account = store
            .add_account(noise_org, number("15550000000", "Noise", "noise")?)
            .await?;
        Ok(Corpus {
            store,
            org,
            accounts,
            noise_org,
            noise_account,
            conversations: vec![None; shape.conversations],
            loaded: 0,
            load_time: Duration::ZERO,
            rng: StdRng::seed_from_u64(42),
            shape: shape.clone(),
        })
    }

    /// The second org (the noise's), with one number.
    pub fn noise_org(&self) -> OrgId {
        self.noise_org
    }

    /// Messages loaded per second so far.
    pub fn load_rate(&self) -> f64 {
        self.loaded as f64 / self.load_time.as_secs_f64()
    }

    /// The ids of the conversations that have messages.
    pub fn known_conversations(&self) -> Vec<ConversationId> {
        self.conversations.iter().flatten().copied().collect()
    }

    /// Up to `n` contact phones that have a conversation on `accounts[account]`.
    pub fn contacts_on(&self, account: usize, n: usize) -> Vec<String> {
        self.conversations
            .iter()
            .enumerate()
            .filter(|(c, id)| id.is_some() && c % 2 == account)
            .map(|(c, _)| data::phone(0, (c / 2) % self.shape.contacts))
            .take(n)
            .collect()
    }

    /// Loads messages (and the noise org's share) until the measured org has `target`.
    pub async fn load_until(&mut self, target: usize) -> anyhow::Result<()> {
        let shape = self.shape.clone();
        let base = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .context("time")?;
        let noise_every = (shape.messages / shape.noise.max(1)).max(1);
        let started = Instant::now();
        while self.loaded < target {
            let n = shape.batch.min(target - self.loaded);
            let mut batch = Vec::with_capacity(n + n / noise_every + 1);
            let mut outgoing = Vec::new();
            let mut slots: Vec<Option<usize>> = Vec::with_capacity(n);
            for _ in 0..n {
                let k = self.loaded;
                self.loaded += 1;
                let c = self.rng.gen_range(0..shape.conversations);
                let (acct, contact) = (c % 2, (c / 2) % shape.contacts);
                let at = base + ChronoDuration::milliseconds(k as i64 * 50);
                if k % shape.outgoing_every == shape.outgoing_every - 1
                    && self.conversations[c].is_some()
                {
                    outgoing.push(NewOutgoing {
                        account_id: self.accounts[acct].id,
                        to: Phone::parse(&data::phone(0, contact))?.into(),
                        content: MessageContent::text(data::body(&mut self.rng)),
                        scheduled_at: Some(at),
                        agent_id: None,
                        priority: Priority::Normal,
                        idempotency: None,
                    });
                    continue;
                }
                slots.push(Some(c));
                batch.push((
                    self.org,
                    InboundMessage {
                        account_id: self.accounts[acct].id,
                        from: Phone::parse(&data::phone(0, contact))?.into(),
                        profile_name: Some(data::name(contact)),
                        wamid: format!("wamid.bench.{k}"),
                        timestamp: at,
                        content: MessageContent::text(data::body(&mut self.rng)),
                    },
                ));
                if k.is_multiple_of(noise_every) {
                    slots.push(None);
                    let nc = self.rng.gen_range(0..shape.contacts);
                    batch.push((
                        self.noise_org,
                        InboundMessage {
                            account_id: self.noise_account.id,
                            from: Phone::parse(&data::phone(1, nc))?.into(),
                            profile_name: Some(data::name(nc + 7)),
                            wamid: format!("wamid.noise.{k}"),
                            timestamp: at,
                            content: MessageContent::text(data::body(&mut self.rng)),
                        },
                    ));
                }
            }
            let results = self.store.ingest_inbound_batch(batch).await?;
            // Results come back in input order; remember each measured conversation's id.
            for (r, slot) in results.iter().zip(&slots) {
                if let Some(c) = slot {
                    self.conversations[*c].get_or_insert(r.conversation_id);
                }
            }
            for o in outgoing {
                self.store.enqueue_outgoing(self.org, o).await?;
            }
        }
        self.load_time += started.elapsed();
        Ok(())
    }
}
