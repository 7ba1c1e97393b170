//! `portcullis registration token …`: the operator's initial access tokens
//! (RFC 7591 §3), for `--registration token`. A token is printed once;
//! only its key (id and SHA-256) is stored.

use super::Invocation;
use crate::crypto;
use crate::store::InitialAccessToken;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum RegistrationCommand {
    /// Initial access tokens: permissions to register clients.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token; prints it once.
    Create {
        /// How many clients it may register.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i64).range(1..))]
        uses: i64,
        /// Seconds it stays valid (one day).
        #[arg(long = "expires-in", default_value_t = 86_400, value_parser = clap::value_parser!(i64).range(1..))]
        expires_in: i64,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Delete a token by its id.
    Revoke {
        /// Ids are base64url and may start with "-".
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

/// What the command line shows of a token: never its key.
fn token_json(token: &InitialAccessToken) -> serde_json::Value {
    json!({
        "id": token.id,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "uses_left": token.uses_left,
    })
}

pub(super) async fn run(context: &Invocation, command: RegistrationCommand) -> anyhow::Result<()> {
    let RegistrationCommand::Token(command) = command;
    let store = context.store().await?;
    match command {
        TokenCommand::Create { uses, expires_in } => {
            let token = crypto::new_token();
            let now = crate::time::now();
            let stored = InitialAccessToken {
                id: crypto::random_id(),
                key: crypto::token_key(&token),
                created_at: now,
                expires_at: now.saturating_add(expires_in),
                uses_left: uses,
            };
            store.create_initial_access_token(&stored).await?;
            let mut value = token_json(&stored);
            value["token"] = json!(token);
            context.print(value, || {
                format!(
                    "id: {}\ntoken: {token}\n(shown once: it is stored only as a hash; send it \
                     as Authorization: Bearer to the registration endpoint)",
                    stored.id
                )
            });
        }
        TokenCommand::List => {
            let tokens = store.list_initial_access_tokens().await?;
            let listed: Vec<serde_json::Value> = tokens.iter().map(token_json).collect();
            context.print(json!(listed), || {
                tokens
                    .iter()
                    .map(|t| {
                        format!(
                            "{}\tuses left {}\texpires at {}",
                            t.id, t.uses_left, t.expires_at
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        TokenCommand::Revoke { id } => {
            anyhow::ensure!(
                store.revoke_initial_access_token(&id).await?,
                "no initial access token {id:?}"
            );
            context.print(json!({ "revoked": id }), || format!("revoked {id}"));
        }
    }
    Ok(())
}
