//! `portcullis user …`

use super::Invocation;
use crate::audit::{self, AccountChange, Actor, AuditEvent};
use crate::crypto;
use crate::oauth::oidc::claims::UserClaims;
use crate::store::User;
use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::Read;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        username: String,
        #[command(flatten)]
        claims: ClaimFlags,
    },
    /// Change a user's OpenID Connect claims; those not named stay.
    Update {
        username: String,
        #[command(flatten)]
        claims: ClaimFlags,
    },
    /// List users.
    List,
}

/// A user's OpenID Connect claims (Core §5.1): the usual ones as flags,
/// any standard claim with `--claims`.
#[derive(Args, Debug, Default)]
pub struct ClaimFlags {
    /// Full name, as shown: "Mike Example".
    #[arg(long)]
    name: Option<String>,
    #[arg(long = "given-name")]
    given_name: Option<String>,
    #[arg(long = "family-name")]
    family_name: Option<String>,
    /// The name the user goes by in applications (not necessarily unique).
    #[arg(long = "preferred-username")]
    preferred_username: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// Whether the email address was verified (true or false).
    #[arg(long = "email-verified")]
    email_verified: Option<bool>,
    /// E.164 recommended: "+33 1 23 45 67 89".
    #[arg(long = "phone-number")]
    phone_number: Option<String>,
    /// A BCP 47 language tag: fr-FR.
    #[arg(long)]
    locale: Option<String>,
    /// Any standard claims as a JSON object, applied before the flags;
    /// `null` removes one: '{"address": {"country": "FR"}, "website": null}'.
    #[arg(long)]
    claims: Option<String>,
}

impl ClaimFlags {
    /// `claims` with these changes, checked (`UserClaims::validate`).
    fn apply(self, claims: UserClaims) -> anyhow::Result<UserClaims> {
        let mut claims = match &self.claims {
            Some(json) => merge_json(claims, json)?,
            None => claims,
        };
        let flags = [
            (&mut claims.name, self.name),
            (&mut claims.given_name, self.given_name),
            (&mut claims.family_name, self.family_name),
            (&mut claims.preferred_username, self.preferred_username),
            (&mut claims.email, self.email),
            (&mut claims.phone_number, self.phone_number),
            (&mut claims.locale, self.locale),
        ];
        for (claim, value) in flags {
            if value.is_some() {
                *claim = value;
            }
        }
        if self.email_verified.is_some() {
            claims.email_verified = self.email_verified;
        }
        // Core §5.1: when the claims last changed.
        claims.updated_at = Some(crate::time::now());
        claims.validate()?;
        Ok(claims)
    }
}

/// Applies a JSON object of claims over `claims`; `null` removes one.
fn merge_json(claims: UserClaims, json: &str) -> anyhow::Result<UserClaims> {
    let given: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).context("--claims is not a JSON object")?;
    let mut merged = claims.to_map();
    for (name, value) in given {
        match value {
            serde_json::Value::Null => merged.remove(&name),
            value => merged.insert(name, value),
        };
    }
    UserClaims::from_operator_json(&merged).map_err(|e| anyhow::anyhow!("--claims: {e}"))
}

/// What the command line shows of a user: never the password hash.
fn user_json(user: &User) -> serde_json::Value {
    json!({ "id": user.id, "username": user.username, "claims": user.claims })
}

pub(super) async fn run(context: &Invocation, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { username, claims } => {
            let claims = claims.apply(UserClaims::default())?;
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
                .create_user(&username, &hash)
                .await
                .with_context(|| format!("cannot add user {username:?}"))?;
            store.set_user_claims(user.id, &claims).await?;
            user.claims = claims;
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
        UserCommand::Update { username, claims } => {
            let store = context.store().await?;
            let mut user = store
                .user_by_name(&username)
                .await?
                .with_context(|| format!("no user {username:?}"))?;
            let claims = claims.apply(user.claims.clone())?;
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
