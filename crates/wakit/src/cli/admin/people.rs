//! `wakit admin user ...` (people who sign in at `/auth/v1`) and
//! `wakit admin supabase-keys` (the anon and service-role keys Supabase clients use).

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use serde_json::json;
use std::io::BufRead;
use wakit_core::{OrgId, Role};
use wakit_server::routes::auth::password;
use wakit_store::{ConflictKey, NewUser, Store, StoreError, UserId};

use super::print;
use crate::cli::db::DbArgs;

/// `wakit admin user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (its pending invitations are joined); prints its id. The password
    /// is read from standard input with --password-stdin, else asked for on the terminal.
    Create {
        /// The user's e-mail address (unique, in any letter case).
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Make the user a member of this organization.
        #[arg(long, requires = "role")]
        org: Option<OrgId>,
        /// The member's role in --org.
        #[arg(long, requires = "org", value_parser = ["owner", "admin", "member"])]
        role: Option<String>,
    },
    /// List users (never their passwords).
    List,
    /// Delete a user (by id or e-mail address) with their sessions and memberships.
    /// Refused while they are an organization's last owner.
    Delete {
        /// The user's id or e-mail address.
        user: String,
    },
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let pass = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        rpassword::prompt_password("Password: ").context("reading the password")?
    };
    if let Err(e) = password::check_strength(&pass) {
        bail!(
            "the password is too weak: at least {} characters ({})",
            password::MIN_PASSWORD_CHARS,
            e.code()
        );
    }
    Ok(pass)
}

/// Runs a user command.
pub async fn run(store: &dyn Store, j: bool, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create {
            email,
            password_stdin,
            org,
            role,
        } => {
            let pass = read_password(password_stdin)?;
            let hash = password::hash(pass)
                .await
                .map_err(|e| anyhow!("cannot hash the password ({})", e.code()))?;
            let user = store
                .create_user(NewUser {
                    email: email.clone(),
                    password_hash: hash,
                    user_metadata: json!({}),
                })
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(ConflictKey::Email) => {
                        anyhow!("a user with the address {email} exists")
                    }
                    e => e.into(),
                })?;
            if let (Some(org), Some(role)) = (org, role) {
                let role: Role = role.parse()?;
                store
                    .add_member(org, user.id, role)
                    .await
                    .map_err(|e| super::explain(e, Some(org), None))?;
            }
            print(
                j,
                json!({"id": user.id, "email": user.email}),
                &user.id.to_string(),
            );
        }
        UserCommand::Delete { user } => {
            let id = match user.parse::<uuid::Uuid>() {
                Ok(id) => UserId(id),
                Err(_) => match store.user_credentials(&user).await? {
                    Some((found, _)) => found.id,
                    None => bail!("no user {user}"),
                },
            };
            store.delete_user(id).await.map_err(|e| match e {
                StoreError::LastOwner => anyhow!(
                    "user {user} is the last owner of an organization; make another member its owner first"
                ),
                StoreError::NotFound(_) => anyhow!("no user {user}"),
                e => e.into(),
            })?;
            print(
                j,
                json!({"id": id, "deleted": true}),
                &format!("deleted {id}"),
            );
        }
        UserCommand::List => {
            let users = store.list_users().await?;
            if j {
                let list: Vec<_> = users
                    .iter()
                    .map(|u| {
                        json!({"id": u.id, "email": u.email, "created_at": u.created_at,
                                    "last_sign_in_at": u.last_sign_in_at})
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else {
                println!("{:<36}  EMAIL", "ID");
                for u in users {
                    println!("{:<36}  {}", u.id, u.email);
                }
            }
        }
    }
    Ok(())
}

/// Prints the anon and service-role keys (HS256 JWTs signed with the JWT secret).
pub fn supabase_keys(db: &DbArgs, j: bool) -> anyhow::Result<()> {
    let secret = crate::cli::jwt::load(db)?;
    let anon = secret
        .api_key(false)
        .map_err(|e| anyhow!("cannot sign the anon key ({})", e.code()))?;
    let service = secret
        .api_key(true)
        .map_err(|e| anyhow!("cannot sign the service-role key ({})", e.code()))?;
    print(
        j,
        json!({"anon": anon, "service_role": service}),
        &format!("anon          {anon}\nservice_role  {service}"),
    );
    Ok(())
}
