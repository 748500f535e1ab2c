//! `wakit demo`: one command, no setup. A fresh SQLite database under the data dir, the
//! Cloud API sandbox in-process standing in for Meta, a seeded org with a number,
//! templates and customers who chat, and the real server — API, webhook, workers.

use anyhow::Context;
use clap::Args;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wakit_core::{MessageContent, Phone};
use wakit_server::routes::auth::{AuthConfig, password};
use wakit_server::workers::dispatch::DispatchConfig;
use wakit_server::{AppState, MetaConfig, ServeOptions, WebhookConfig};
use wakit_sim::{Chatty, Inbound, NumberSpec, Sim, SimConfig, SimHandle, TemplateSpec};
use wakit_store::secrets::{SecretBox, generate_api_key};
use wakit_store::{Account, NewAccount, NewApiKey, NewOutgoing, Priority, Store};

use super::db::{data_dir, open_url};

/// Options of `wakit demo` (none needed).
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address the API and webhook listen on.
    #[arg(long, env = "WAKIT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Also seed an AI agent on the sandbox model that answers the customers (2 s after
    /// they write) where no person has answered.
    #[arg(long, env = "WAKIT_DEMO_AI_AGENT")]
    pub ai_agent: bool,
}

/// The demo number (the seed's examples use it).
const PHONE: &str = "5215588392274";
const PHONE_NUMBER_ID: &str = "238013449404478";
const WABA_ID: &str = "102290129340398";
/// Customers who already wrote in: (phone, profile name, first message).
const CUSTOMERS: [(&str, &str, &str); 4] = [
    (
        "5215551234567",
        "Maria Garcia",
        "Hola, ¿tienen envíos a Monterrey?",
    ),
    (
        "5215559876543",
        "Juan Pérez",
        "Buenos días, quiero cambiar mi pedido",
    ),
    (
        "15550405258",
        "Emily Carter",
        "Hi! Is my order #4521 on its way?",
    ),
    (
        "5491155550123",
        "Lucía Fernández",
        "¿A qué hora abren el sábado?",
    ),
];

/// Runs the demo until Ctrl-C / SIGTERM.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (set --listen or WAKIT_LISTEN)",
                args.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");

    let dir = data_dir().join("demo");
    let db_path = dir.join("wakit-demo.db");
    reset(&dir, &db_path)?;
    let store = open_url(&format!("sqlite://{}", db_path.display()), true).await?;
    store.migrate().await?;
    let secrets = SecretBox::from_encoded(&SecretBox::generate_encoded())?;
    let app_secret = random_token("demo-app-secret");

    let sim = Sim::start(SimConfig {
        app_secret: app_secret.clone(),
        webhook_url: Some(format!(
            "{base}{}",
            wakit_server::routes::webhook::WEBHOOK_PATH
        )),
        chatty: Some(Chatty::default()),
        ..SimConfig::default()
    })
    .await
    .context("starting the sandbox")?;

    let (key, account) = seed(&*store, &sim, &secrets).await?;
    if args.ai_agent {
        seed_agent(&*store, &sim, account.org_id).await?;
    }
    let auth = AuthConfig {
        signup: true,
        ..AuthConfig::default()
    };
    let login = demo_login(&*store, &auth, account.org_id).await?;
    let media = wakit_server::media::MediaConfig::local(
        &dir.join("media"),
        wakit_server::media::UrlSigner::new(secrets.derive("media-url")),
    )
    .map_err(anyhow::Error::msg)?;
    let state = AppState {
        api: wakit_server::ApiConfig {
            auth,
            media,
            // Local development: webhooks may go to local receivers.
            webhooks: wakit_server::deliveries::OutboundConfig {
                secrets: Some(secrets.clone()),
                allow_private: true,
                ..Default::default()
            },
            ..Default::default()
        },
        store: store.clone(),
        webhook: WebhookConfig {
            app_secret: Some(app_secret.into_bytes()),
            verify_token: Some("wakit-demo".into()),
        },
        meta: Some(MetaConfig {
            graph: wakit_meta::GraphClient::new(sim.base_url())?,
            secrets,
            dispatch: DispatchConfig::default(),
        }),
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(super::stop::cancel_when_requested(shutdown.clone()));
    let options = ServeOptions {
        drain: Duration::from_secs(5),
        ..ServeOptions::default()
    };
    let server = tokio::spawn(wakit_server::serve(
        listener,
        state,
        shutdown.clone(),
        options,
    ));

    chat(&*store, &sim, &account, args.ai_agent).await?;
    tokio::spawn(lively(sim.clone(), shutdown.clone()));
    print_banner(&base, &sim, &key, &db_path, args.ai_agent);
    print_login(&base, &login);
    server.await??;
    sim.shutdown().await;
    Ok(())
}

/// Starts from an empty database each run, so the printed key and data always match.
fn reset(dir: &std::path::Path, db: &std::path::Path) -> anyhow::Result<()> {
    super::db::create_private_dir(dir)?;
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.display());
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {path}")),
        }
    }
    Ok(())
}

fn random_token(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// The org, its number (in wakit and in the sandbox), templates and an API key.
async fn seed(
    store: &dyn Store,
    sim: &SimHandle,
    secrets: &SecretBox,
) -> anyhow::Result<(String, Account)> {
    let org = store
        .create_org("Mirlo Demo", "America/Mexico_City")
        .await?;
    let token = random_token("EAAG-demo");
    sim.add_number(
        NumberSpec::new(PHONE)
            .id(PHONE_NUMBER_ID)
            .token(token.clone())
            .waba(WABA_ID)
            .name("Mirlo"),
    )?;
    // hello_world takes no parameters (like Meta's sample), so the seed's template curl
    // (`"components": []`) works as written; appointment_reminder is positional,
    // order_update named.
    for (lang, body) in [
        ("es", "¡Hola! Gracias por escribirnos."),
        ("en_US", "Hello! Thanks for reaching out."),
    ] {
        sim.add_template(
            WABA_ID,
            TemplateSpec::body("hello_world", lang, "UTILITY", body),
        )?;
    }
    sim.add_template(
        WABA_ID,
        TemplateSpec::body(
            "appointment_reminder",
            "es",
            "UTILITY",
            "Hola {{1}}, te esperamos el {{2}}.",
        ),
    )?;
    sim.add_template(
        WABA_ID,
        TemplateSpec::body(
            "order_update",
            "es",
            "UTILITY",
            "Hola {{name}}, tu pedido {{order}} está en camino.",
        ),
    )?;
    let account = store
        .add_account(
            org.id,
            NewAccount {
                phone: Phone::parse(PHONE)?,
                name: "Mirlo".into(),
                phone_number_id: PHONE_NUMBER_ID.into(),
                waba_id: WABA_ID.into(),
                access_token: secrets.seal(&token, PHONE_NUMBER_ID),
            },
        )
        .await?;
    super::admin::queue_refresh(store, &account).await?;
    let key = generate_api_key();
    store
        .create_api_key(
            org.id,
            NewApiKey {
                name: "demo".into(),
                role: wakit_core::Role::Owner,
                hash: key.hash,
                prefix: key.prefix,
            },
        )
        .await?;
    Ok((key.plain, account))
}

/// An AI agent on the sandbox model answers the customers (the sandbox's deterministic
/// echo, or `calculator` for arithmetic), after a 2 s debounce.
async fn seed_agent(
    store: &dyn Store,
    sim: &SimHandle,
    org: wakit_core::OrgId,
) -> anyhow::Result<()> {
    let (config, _) = wakit_core::AgentConfig::from_json(serde_json::json!({
        "api_url": sim.model_url(), "model": "sandbox",
        "instructions": "You are Mirlo's assistant. Answer briefly and kindly.",
        "tools": [{"provider": "local", "type": "function", "name": "calculator"}],
    }))
    .map_err(anyhow::Error::msg)?;
    let agent = wakit_store::NewAiAgent {
        id: wakit_core::AgentId::new(),
        name: "Mirlo AI".into(),
        config,
        api_key: None,
    };
    store.create_ai_agent(org, agent).await?;
    let settings = wakit_store::AgentSettings {
        response_delay_seconds: 2,
        ..wakit_store::AgentSettings::default()
    };
    store.set_agent_settings(org, &settings).await?;
    Ok(())
}

/// Customers write in through the sandbox (signed webhooks, like Meta); the business
/// answers two of them through the dispatcher — a person, so an AI agent (`agent`)
/// steps back in those conversations (paused) and answers the others.
async fn chat(
    store: &dyn Store,
    sim: &SimHandle,
    account: &Account,
    agent: bool,
) -> anyhow::Result<()> {
    for (phone, name, text) in CUSTOMERS {
        sim.customer_writes(PHONE_NUMBER_ID, phone, Some(name), Inbound::text(text))?;
    }
    // Give the webhook a moment so the replies land after the questions.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let replies = [
        (
            CUSTOMERS[0].0,
            "¡Hola María! Sí, enviamos a Monterrey en 2-3 días.",
        ),
        (
            CUSTOMERS[2].0,
            "Hi Emily! Yes, it left our warehouse this morning.",
        ),
    ];
    for (to, text) in replies {
        let sent = store
            .enqueue_outgoing(
                account.org_id,
                NewOutgoing {
                    account_id: account.id,
                    to: Phone::parse(to)?.into(),
                    content: MessageContent::text(text),
                    scheduled_at: None,
                    agent_id: None,
                    priority: Priority::Interactive,
                    idempotency: None,
                },
            )
            .await?;
        if !agent {
            continue;
        }
        let paused = wakit_store::ConversationAgent {
            paused_at: Some(chrono::Utc::now()),
            ..wakit_store::ConversationAgent::default()
        };
        store
            .set_conversation_agent(account.org_id, sent.message.conversation_id, &paused)
            .await?;
    }
    Ok(())
}

/// What customers write in on their own while the demo runs.
const LINES: [&str; 6] = [
    "¿Siguen abiertos hoy?",
    "Hola, ¿me ayudan con mi pedido?",
    "Is the blue one back in stock?",
    "¿Hacen factura?",
    "Thanks, that solved it!",
    "¿Cuánto tarda el envío a Guadalajara?",
];

/// Keeps the inbox lively: every 20–45 s one of the customers writes a line (through
/// the sandbox, as Meta would deliver it), while the sandbox's chatty customers are on
/// (`POST /_sim/chatty {"enabled": false}` quiets both), until the demo stops.
async fn lively(sim: SimHandle, stop: CancellationToken) {
    use rand::Rng;
    let mut turn = 0usize;
    loop {
        let wait = Duration::from_secs(rand::thread_rng().gen_range(20..=45));
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
        if !sim.is_chatty() {
            continue;
        }
        let (phone, name, _) = CUSTOMERS[turn % CUSTOMERS.len()];
        let line = LINES[turn % LINES.len()];
        turn += 1;
        if let Err(e) = sim.customer_writes(PHONE_NUMBER_ID, phone, Some(name), Inbound::text(line))
        {
            tracing::warn!(error = %e, "demo customer could not write");
        }
    }
}

fn print_banner(base: &str, sim: &SimHandle, key: &str, db: &std::path::Path, agent: bool) {
    let api = format!("{base}/functions/v1/api");
    let control = sim.control_url();
    println!(
        "\nwakit demo is running (Ctrl-C to stop)\n\
         \n  API base URL   {api}\
         \n  API key        {key}\
         \n  Number         +{PHONE} (phone-number id {PHONE_NUMBER_ID})\
         \n  Meta sandbox   {graph}   control: {control}\
         \n  Database       {db} (fresh each run)\
         {agent}\
         \n\nTry:\
         \n  curl {api}/ping\
         \n  curl -H \"Authorization: Bearer {key}\" {api}/accounts\
         \n  # a customer writes in (through the sandbox, signed like Meta):\
         \n  curl -X POST {control}/customers/5215551234567/messages \\\
         \n       -H 'Content-Type: application/json' \\\
         \n       -d '{{\"phone_number_id\":\"{PHONE_NUMBER_ID}\",\"text\":\"¿Siguen abiertos?\"}}'\
         \n",
        graph = sim.base_url(),
        db = db.display(),
        agent = if agent {
            "\n  AI agent       Mirlo AI on the sandbox model: answers customers 2 s after they write"
        } else {
            ""
        },
    );
}

/// The demo's sign-in: the anon key, and a user who owns the demo org.
struct DemoLogin {
    anon: String,
    email: &'static str,
    password: String,
}

/// Creates the demo user, an owner of the demo org.
async fn demo_login(
    store: &dyn Store,
    auth: &AuthConfig,
    org: wakit_core::OrgId,
) -> anyhow::Result<DemoLogin> {
    let email = "demo@wakit.local";
    let pass = random_token("demo");
    let hash = password::hash(pass.clone())
        .await
        .map_err(|e| anyhow::anyhow!("cannot hash the demo password ({})", e.code()))?;
    let user = store
        .create_user(wakit_store::NewUser {
            email: email.into(),
            password_hash: hash,
            user_metadata: serde_json::json!({"name": "Demo"}),
        })
        .await?;
    store
        .add_member(org, user.id, wakit_core::Role::Owner)
        .await?;
    let anon = auth
        .secret
        .api_key(false)
        .map_err(|e| anyhow::anyhow!("cannot sign the anon key ({})", e.code()))?;
    Ok(DemoLogin {
        anon,
        email,
        password: pass,
    })
}

fn print_login(base: &str, login: &DemoLogin) {
    println!(
        "Dashboard (the team inbox; customers write in every half minute or so):\
         \n  open           {base}/\
         \n  demo login     {email} / {password}\
         \n\nSupabase clients (sign-in at {base}/auth/v1, fresh each run):\
         \n  anon key       {anon}\
         \n",
        anon = login.anon,
        email = login.email,
        password = login.password,
    );
}
