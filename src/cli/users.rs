//! `portcullis user …`

use super::Invocation;
use crate::audit::{self, AccountChange, Actor, AuditEvent};
use crate::crypto;
use crate::oauth::oidc::claims::UserClaims;
use crate::store::User;
use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
use std::io::Read;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        name: String,
        /// The user's OpenID Connect claims (Core §5.1) as a JSON object:
        /// '{"name": "Mike Example", "email": "mike@example.com",
        /// "email_verified": true}'.
        #[arg(long)]
        claims: Option<String>,
    },
    /// Replace a user's OpenID Connect claims with a JSON object (`{}`
    /// clears them).
    Claims { name: String, claims: String },
    /// List users.
    List,
}

/// What the command line shows of a user: never the password hash.
fn user_json(user: &User) -> serde_json::Value {
    json!({ "id": user.id, "username": user.username, "claims": user.claims })
}

/// Parses and checks claims as an operator typed them: unknown members are
/// a typo here, not a newer version's data, so they are refused.
fn parse_claims(json: &str) -> anyhow::Result<UserClaims> {
    let value: serde_json::Value =
        serde_json::from_str(json).context("the claims are not valid JSON")?;
    let claims: UserClaims =
        serde_json::from_value(value.clone()).context("the claims are not a claims object")?;
    let known = serde_json::to_value(&claims)?;
    if let Some(unknown) = value
        .as_object()
        .and_then(|given| given.keys().find(|name| known.get(name.as_str()).is_none()))
    {
        anyhow::bail!("{unknown:?} is not a standard claim this server keeps (or it is null)");
    }
    claims.validate()?;
    Ok(claims)
}

pub(super) async fn run(context: &Invocation, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name, claims } => {
            let claims = claims.as_deref().map(parse_claims).transpose()?;
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
            let mut user = store
                .create_user(&name, &hash)
                .await
                .with_context(|| format!("cannot add user {name:?}"))?;
            if let Some(claims) = claims {
                store.set_user_claims(user.id, &claims).await?;
                user.claims = claims;
            }
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
        UserCommand::Claims { name, claims } => {
            let claims = parse_claims(&claims)?;
            let store = context.store().await?;
            let mut user = store
                .user_by_name(&name)
                .await?
                .with_context(|| format!("no user {name:?}"))?;
            store.set_user_claims(user.id, &claims).await?;
            user.claims = claims;
            let event = AuditEvent::User {
                by: Actor::System,
                user: user.id,
                change: AccountChange::Updated,
            };
            audit::record_now(store.as_ref(), event).await?;
            context.print(user_json(&user), || {
                format!("updated the claims of {}", user.username)
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
