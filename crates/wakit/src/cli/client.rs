//! Commands whose implementation is still to come. Their names are fixed now so
//! scripts and docs can rely on them; running one says so plainly.

use clap::Args;

/// Arguments of a command that is not built yet (accepted and ignored).
#[derive(Debug, Args)]
pub struct Unbuilt {
    /// Arguments for the future command.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

/// Fails with a clear message.
pub fn unbuilt(name: &str) -> anyhow::Result<()> {
    anyhow::bail!(
        "`wakit {name}` is not available in this build yet; see the README for what works today"
    )
}
