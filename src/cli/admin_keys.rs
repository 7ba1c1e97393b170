//! `portcullis admin-key …`: the keys of the admin API. A key is shown once,
//! at creation; the store keeps only its SHA-256.

use super::Invocation;
use crate::audit::{self, AuditEvent};
use crate::crypto;
use crate::store::{AdminKey, StoreError};
use clap::Subcommand;
use serde_json::json;

/// What every key starts with, so that a leaked one is recognisable (in a
/// secret scanner, say).
const PREFIX: &str = "pca_";

#[derive(Subcommand, Debug)]
pub enum AdminKeyCommand {
    /// Create a key; prints it once.
    Create {
        /// A name for the key, unique: who or what uses it.
        #[arg(long)]
        name: String,
    },
    /// List the keys' names (never the keys).
    List,
    /// Revoke a key at once.
    Revoke { name: String },
}

pub(super) async fn run(context: &Invocation, command: AdminKeyCommand) -> anyhow::Result<()> {
    let store = context.store().await?;
    match command {
        AdminKeyCommand::Create { name } => {
            anyhow::ensure!(
                !name.is_empty() && name.len() <= 100 && !name.chars().any(char::is_control),
                "a key's name is 1 to 100 printable characters"
            );
            let key = format!("{PREFIX}{}", crypto::random_secret());
            let stored = AdminKey {
                name: name.clone(),
                key_hash: crypto::sha256_secret_hash(&key),
                created_at: crate::time::now(),
            };
            match store.create_admin_key(&stored).await {
                Err(StoreError::Conflict) => anyhow::bail!("a key named {name:?} exists"),
                other => other?,
            }
            audit::record_now(
                store.as_ref(),
                AuditEvent::AdminKeyCreated { name: name.clone() },
            )
            .await?;
            context.print(json!({ "name": name, "key": key }), || {
                format!("admin key {name}: {key}\n(shown once: it is stored only as a hash)")
            });
        }
        AdminKeyCommand::List => {
            let keys = store.list_admin_keys().await?;
            let listed: Vec<_> = keys
                .iter()
                .map(|k| json!({ "name": k.name, "created_at": k.created_at }))
                .collect();
            context.print(json!(listed), || {
                keys.iter()
                    .map(|k| format!("{}\t{}", k.name, k.created_at))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AdminKeyCommand::Revoke { name } => {
            anyhow::ensure!(
                store.delete_admin_key(&name).await?,
                "no admin key {name:?}"
            );
            audit::record_now(
                store.as_ref(),
                AuditEvent::AdminKeyRevoked { name: name.clone() },
            )
            .await?;
            context.print(json!({ "revoked": name }), || format!("revoked {name}"));
        }
    }
    Ok(())
}
