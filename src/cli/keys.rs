//! `portcullis keys …`: the signing keys of ID tokens and JWT access
//! tokens, as every node shares them through the database.

use super::Invocation;
use crate::audit::{self, Actor, AuditEvent};
use crate::keys::{KeySummary, SigningKeys};
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// List the keys: published, signing, retired.
    List,
    /// Publish a successor for every algorithm now; each starts signing
    /// once its publication delay has passed, and the keys it replaces
    /// stay published until the tokens they signed have expired. Use it
    /// when a key may have leaked.
    Rotate,
}

pub(super) async fn run(context: &Invocation, command: KeysCommand) -> anyhow::Result<()> {
    let store = context.store().await?;
    let now = crate::time::now();
    if let KeysCommand::Rotate = command {
        let config = &context.config;
        let keys = SigningKeys::open(
            store.clone(),
            config.key_encryption_key()?,
            config.rotation_policy(),
            now,
        )
        .await?;
        for kid in keys.rotate(now).await? {
            let event = AuditEvent::SigningKeyRotated {
                by: Actor::System,
                kid,
            };
            audit::record_now(store.as_ref(), event).await?;
        }
    }
    let keys = store.signing_keys().await?;
    let listed: Vec<KeySummary> = keys.iter().map(|key| KeySummary::of(key, now)).collect();
    context.print(json!(listed), || {
        listed
            .iter()
            .map(|key| format!("{}\t{}\t{}", key.kid, key.alg.as_str(), key.state.as_str()))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}
