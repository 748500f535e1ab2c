//! `wakit sim`: the Meta Cloud API sandbox alone, pointed at a wakit webhook URL.

use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::str::FromStr;
use wakit_sim::{Chatty, NumberSpec, Quirks, Sim, SimConfig};

/// The app secret used when none is given (wakit must be started with the same one).
const DEFAULT_APP_SECRET: &str = "wakit-sim-secret";

/// Options of `wakit sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (Graph API and the `/_sim` control API).
    #[arg(long, env = "WAKIT_SIM_LISTEN", default_value = "127.0.0.1:9090")]
    pub listen: SocketAddr,
    /// Where webhooks are posted, e.g. http://127.0.0.1:8080/functions/v1/whatsapp-webhook.
    /// Without one, webhooks are held until it is set through the control API.
    #[arg(long, env = "WAKIT_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// Meta app secret: signs every webhook (X-Hub-Signature-256). Give wakit the same.
    #[arg(long, env = "WAKIT_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,
    /// A business number to pre-seed: PHONE_NUMBER_ID:DIGITS:TOKEN[:WABA_ID]. Repeatable.
    #[arg(long = "number", value_name = "PHONE_NUMBER_ID:DIGITS:TOKEN[:WABA]")]
    pub numbers: Vec<NumberArg>,
    /// Meta's webhook quirks (duplicates, reordering, skipped delivered, early statuses).
    #[arg(long, value_enum, default_value = "on")]
    pub quirks: Toggle,
    /// Simulated customers sometimes answer after reading a message.
    #[arg(long)]
    pub chatty: bool,
}

/// `on` / `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Toggle {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// One `--number` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberArg {
    /// Graph id of the number.
    pub phone_number_id: String,
    /// Phone digits.
    pub digits: String,
    /// Access token Graph calls must carry.
    pub token: String,
    /// WABA id (generated when absent).
    pub waba_id: Option<String>,
}

impl FromStr for NumberArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(':').collect();
        let usage = || format!("expected PHONE_NUMBER_ID:DIGITS:TOKEN[:WABA], got {s:?}");
        if !(3..=4).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            return Err(usage());
        }
        let digits_only = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(parts[0]) || parts.get(3).is_some_and(|w| !digits_only(w)) {
            return Err(format!("{}: ids must be digits", usage()));
        }
        Ok(NumberArg {
            phone_number_id: parts[0].to_string(),
            digits: parts[1].to_string(),
            token: parts[2].to_string(),
            waba_id: parts.get(3).map(|w| w.to_string()),
        })
    }
}

/// Runs the sandbox until SIGINT/SIGTERM.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let app_secret = match args.app_secret {
        Some(s) if !s.is_empty() => s,
        _ => {
            tracing::warn!(
                "WAKIT_APP_SECRET is not set: signing webhooks with the sandbox default"
            );
            DEFAULT_APP_SECRET.to_string()
        }
    };
    let config = SimConfig {
        listen: args.listen,
        webhook_url: args.webhook_url.clone(),
        app_secret,
        quirks: match args.quirks {
            Toggle::On => Quirks::meta_like(),
            Toggle::Off => Quirks::none(),
        },
        chatty: args.chatty.then(Chatty::default),
        ..SimConfig::default()
    };
    let sim = Sim::start(config)
        .await
        .with_context(|| format!("cannot start the sandbox on {}", args.listen))?;
    for n in &args.numbers {
        let mut spec = NumberSpec::new(n.digits.clone())
            .id(n.phone_number_id.clone())
            .token(n.token.clone());
        spec.waba_id = n.waba_id.clone();
        let added = sim
            .add_number(spec)
            .with_context(|| format!("cannot add number {}", n.phone_number_id))?;
        println!(
            "number {} (+{}) WABA {}",
            added.phone_number_id, added.display_phone_number, added.waba_id
        );
    }
    println!("Cloud API sandbox");
    println!("  graph:   {}   (WAKIT_GRAPH_URL)", sim.base_url());
    println!("  control: {}   (see docs/sim.md)", sim.control_url());
    println!("  model:   {}   (an AI agent's api_url)", sim.model_url());
    match sim.webhook_url() {
        Some(url) => println!("  webhooks → {url}"),
        None => println!(
            "  webhooks held until a URL is set: POST {}/webhook-url",
            sim.control_url()
        ),
    }
    super::stop::requested().await;
    tracing::info!("sandbox stopping");
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_number_args() {
        let n: NumberArg = "106540352242922:15550783881:tok:102290129340398"
            .parse()
            .expect("parse");
        assert_eq!(n.waba_id.as_deref(), Some("102290129340398"));
        let n: NumberArg = "1:15550783881:tok".parse().expect("parse");
        assert_eq!((n.phone_number_id.as_str(), n.waba_id), ("1", None));
        assert!("1:2".parse::<NumberArg>().is_err());
        assert!("x:15550783881:tok".parse::<NumberArg>().is_err());
        assert!("1::tok".parse::<NumberArg>().is_err());
    }
}
