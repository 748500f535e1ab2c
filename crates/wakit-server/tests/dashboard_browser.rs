//! The dashboard in a real browser: Playwright for Python (pinned by
//! crates/wakit-dashboard/tests/browser/requirements.txt, installed into target/py-browser
//! by .ci/run) drives Debian's Chromium against the real server with the sandbox as
//! Meta, on both engines, in one browser launch: sign-in, the session cookie and CSRF,
//! password change and sign-out (check_signin.py); the inbox — a customer's message
//! arriving live, a reply whose status ticks live, a template to a closed window, the
//! organization switcher, phone width and axe-core (check_inbox.py). Screenshots go to
//! target/screenshots/.
//!
//! Without the virtualenv or Chromium the check is skipped with a loud NOTE, except
//! under `CI=true`.

mod common;
#[allow(dead_code)]
#[path = "../../wakit-sim/tests/common/external.rs"]
mod external;
#[path = "dashboard_browser/settings_seed.rs"]
mod settings_seed;

use common::auth::{JWT_SECRET, run_steps};
use common::meta::eventually;
use common::sandbox::{connect_number, fast_dispatch, world_with};
use serde_json::json;
use std::path::{Path, PathBuf};
use wakit_core::Role;
use wakit_server::ApiConfig;
use wakit_server::routes::auth::{AuthConfig, JwtSecret, password};
use wakit_sim::{Inbound, Quirks, TemplateSpec};
use wakit_store::{NewUser, Store};
use wakit_store_tests::fixture::Fixture;
use wakit_store_tests::{Backend, TestStore};

const PLAYWRIGHT: &str = "1.64.1";
const CHROMIUM: &str = "/usr/bin/chromium";
const EMAIL: &str = "agent@example.com";
const PASSWORD: &str = "correct horse battery";
/// A customer who writes in during the test (her window is open).
const MARIA: (&str, &str) = ("5215551234567", "Maria Garcia");
/// A customer who wrote two days ago (his window is closed).
const JUAN: (&str, &str) = ("5215559876543", "Juan Pérez");
/// Juan's earlier messages (more than a page of history).
const HISTORY: i64 = 60;
/// Conversations on the second number (with the first's, more than a page of the list).
const CROWD: i64 = 32;
/// The other organization's customer.
const OLA: (&str, &str) = ("4791234567", "Ola Nordmann");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    workspace().join("target/py-browser/bin/python")
}

fn browser_ready() -> bool {
    let python = python();
    let probe = external::probe(
        python.to_str().expect("path"),
        &[
            "-c",
            "import importlib.metadata as m; print(m.version('playwright'))",
        ],
    );
    let found =
        external::exactly("playwright", probe, PLAYWRIGHT).and_then(|()| {
            match Path::new(CHROMIUM).exists() {
                true => Ok(()),
                false => Err(format!("{CHROMIUM} is missing (apt-get install chromium)")),
            }
        });
    external::ready(
        "dashboard browser",
        "python3 -m venv target/py-browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 target/py-browser/bin/pip install -r crates/wakit-dashboard/tests/browser/requirements.txt; apt-get install -y chromium",
        found,
    )
}

/// A person who can sign in, a member of `org` with `role`.
async fn person(store: &dyn Store, org: wakit_core::OrgId, role: Role) -> wakit_store::User {
    let hash = password::hash(PASSWORD.into()).await.expect("hash");
    let user = store
        .create_user(NewUser {
            email: EMAIL.into(),
            password_hash: hash,
            user_metadata: json!({"name": "Agent"}),
        })
        .await
        .expect("user");
    store.add_member(org, user.id, role).await.expect("member");
    user
}

/// Waits (bounded) until `phone` has a conversation on `account`.
async fn conversation_of(store: &dyn Store, account: &wakit_store::Account, phone: &str) {
    eventually(&format!("{phone}'s message is stored"), || async {
        let list = store
            .list_conversations(account.org_id, account.id, 50)
            .await
            .expect("conversations");
        list.iter().any(|c| c.contact.phone.as_str() == phone)
    })
    .await;
}

async fn the_dashboard_in_a_browser(backend: Backend) {
    if !browser_ready() {
        return;
    }
    let Some(ts) = TestStore::fresh(backend).await else {
        return;
    };
    let api = ApiConfig {
        auth: AuthConfig {
            secret: JwtSecret::new(JWT_SECRET.as_bytes()).expect("secret"),
            signup: true, // an invited member signs up (check_members.py)
            ..AuthConfig::default()
        },
        // Webhooks to the test's receiver on 127.0.0.1 (check_settings.py).
        webhooks: common::outbound::outbound(true),
        ..ApiConfig::default()
    };
    let world = world_with(ts, Quirks::default(), fast_dispatch(), api).await;
    let (store, account) = (world.ts.store.clone(), world.account.clone());
    let org = account.org_id;
    let user = person(&*store, org, Role::Admin).await;
    // Juan wrote two days ago: his window is closed.
    let mut old = Fixture::inbound(account.id, JUAN.0, "wamid.juan", 0, "¿Tienen talla M?");
    old.profile_name = Some(JUAN.1.into());
    old.timestamp = chrono::Utc::now() - chrono::Duration::hours(48);
    store.ingest_inbound(org, old).await.expect("ingest");
    // Juan's history is longer than a page: 60 earlier messages.
    for i in 0..HISTORY {
        let mut earlier = Fixture::inbound(
            account.id,
            JUAN.0,
            &format!("wamid.juan.{i}"),
            0,
            &format!("earlier {i}"),
        );
        earlier.timestamp =
            chrono::Utc::now() - chrono::Duration::hours(50) + chrono::Duration::minutes(i);
        store.ingest_inbound(org, earlier).await.expect("ingest");
    }
    // A second number with more conversations than a page of the list.
    let (second, _) = connect_number(&world.ts, &world.sim, org, "5215500000002").await;
    for i in 0..CROWD {
        let phone = format!("52155600000{i:02}");
        let mut hello = Fixture::inbound(second.id, &phone, &format!("wamid.crowd.{i}"), 0, "hola");
        hello.profile_name = Some(format!("Customer {i:02}"));
        hello.timestamp =
            chrono::Utc::now() - chrono::Duration::hours(72) + chrono::Duration::minutes(i);
        store.ingest_inbound(org, hello).await.expect("ingest");
    }
    // Maria writes now, through the sandbox (a signed webhook, as Meta sends it).
    world
        .sim
        .customer_writes(
            &account.phone_number_id,
            MARIA.0,
            Some(MARIA.1),
            Inbound::text("Hola, ¿tienen envíos a Monterrey?"),
        )
        .expect("customer writes");
    conversation_of(&*store, &account, MARIA.0).await;
    world
        .sim
        .add_template(
            &account.waba_id,
            TemplateSpec::body(
                "appointment_reminder",
                "es",
                "UTILITY",
                "Hola {{1}}, te esperamos el {{2}}.",
            ),
        )
        .expect("template");
    // A second organization the person is a plain member of, with its own customer.
    let other = store.create_org("Zeta Org", "UTC").await.expect("org").id;
    let (other_number, _) = connect_number(&world.ts, &world.sim, other, "4790000001").await;
    let mut hello = Fixture::inbound(other_number.id, OLA.0, "wamid.ola", 0, "Hei!");
    hello.profile_name = Some(OLA.1.into());
    hello.timestamp = chrono::Utc::now();
    store.ingest_inbound(other, hello).await.expect("ingest");
    store
        .add_member(other, user.id, Role::Member)
        .await
        .expect("member");

    // The settings, members and isolation checks' seed (their own module).
    let receiver = common::receiver::Receiver::start().await;
    let anon = JwtSecret::new(JWT_SECRET.as_bytes())
        .expect("secret")
        .api_key(false)
        .expect("anon key");
    let settings = settings_seed::seed(&*store, org, account.id, other, &receiver, anon).await;

    let engine = format!("{backend:?}").to_lowercase();
    let config = json!({
        "settings": settings,
        "base": world.server.root(),
        "email": EMAIL,
        "password": PASSWORD,
        "engine": engine,
        "screenshots": workspace().join("target/screenshots"),
        "control": world.sim.control_url(),
        "phone_number_id": account.phone_number_id,
        "org": "Org",
        "other_org": "Zeta Org",
        "open": {"phone": MARIA.0, "name": MARIA.1},
        "closed": {"phone": JUAN.0, "name": JUAN.1},
        "other": {"phone": OLA.0, "name": OLA.1},
        "org_id": org.0,
        "anon": JwtSecret::new(JWT_SECRET.as_bytes()).expect("secret").api_key(false).expect("anon"),
        "history": HISTORY + 1,
        "conversations": CROWD + 2,
    });
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), config.to_string()).expect("config");
    let script = workspace().join("crates/wakit-dashboard/tests/browser/check_dashboard.py");
    let mut cmd = std::process::Command::new(python());
    cmd.arg(&script).arg(file.path());
    run_steps(cmd, &script, 8).await;
    world.server.stop().await;
    world.sim.shutdown().await;
}

on_both_backends!(the_dashboard_in_a_browser);
