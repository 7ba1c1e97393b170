//! `portcullis user …`

use super::Invocation;
use crate::audit::{self, AccountChange, Actor, AuditEvent};
use crate::crypto;
use crate::store::User;
use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
use std::io::Read;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add { name: String },
    /// List users.
    List,
}

/// What the command line shows of a user: never the password hash.
fn user_json(user: &User) -> serde_json::Value {
    json!({ "id": user.id, "username": user.username })
}

pub(super) async fn run(context: &Invocation, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            anyhow::ensure!(
                !password.is_empty(),
                "the password (standard input) is empty"
            );
            let store = context.store().await?;
            let hash = crypto::hash_password(password).await?;
            let user = store
                .create_user(&name, &hash)
                .await
                .with_context(|| format!("cannot add user {name:?}"))?;
            let event = AuditEvent::User {
                by: Actor::System,
                user: user.id,
                change: AccountChange::Created,
            };
            audit::record_now(store.as_ref(), event).await?;
            context.print(user_json(&user), || {
                format!("added user {} (id {})", user.username, user.id)
            });
        }
        UserCommand::List => {
            let users = context.store().await?.list_users(0, u32::MAX).await?;
            let listed: Vec<serde_json::Value> = users.iter().map(user_json).collect();
            context.print(json!(listed), || {
                users
                    .iter()
                    .map(|u| format!("{}\t{}", u.id, u.username))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}
