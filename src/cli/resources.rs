//! `portcullis resource …`: the protected resources tokens may be bound to
//! (RFC 8707). A client names one with `resource`; anything not registered
//! here is `invalid_target`.

use super::Invocation;
use crate::oauth::resources;
use crate::store::Resource;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum ResourceCommand {
    /// Register a resource (or change its scopes): its identifier is the
    /// URL clients use, `https://api.example/mcp`.
    Add {
        identifier: String,
        /// The scopes it understands, space-separated: what its protected
        /// resource metadata (RFC 9728) tells clients to ask for.
        #[arg(long, default_value = "")]
        scope: String,
    },
    /// List resources.
    List,
    /// Forget a resource: tokens can no longer be asked for it.
    Remove {
        #[arg(allow_hyphen_values = true)]
        identifier: String,
    },
}

fn resource_json(resource: &Resource) -> serde_json::Value {
    json!({
        "resource": resource.identifier,
        "scope": resource.scope,
        "created_at": resource.created_at,
    })
}

pub(super) async fn run(context: &Invocation, command: ResourceCommand) -> anyhow::Result<()> {
    let store = context.store().await?;
    match command {
        ResourceCommand::Add { identifier, scope } => {
            let resource = resources::registered(identifier, &scope, crate::time::now())
                .map_err(|e| anyhow::anyhow!("{}", e.description))?;
            store.put_resource(&resource).await?;
            context.print(resource_json(&resource), || {
                format!("registered resource {}", resource.identifier)
            });
        }
        ResourceCommand::List => {
            let resources = store.list_resources().await?;
            let listed: Vec<serde_json::Value> = resources.iter().map(resource_json).collect();
            context.print(json!(listed), || {
                resources
                    .iter()
                    .map(|r| format!("{}\t{}", r.identifier, r.scope))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ResourceCommand::Remove { identifier } => {
            anyhow::ensure!(
                store.delete_resource(&identifier).await?,
                "no resource {identifier:?}"
            );
            context.print(json!({ "removed": identifier }), || {
                format!("removed resource {identifier}")
            });
        }
    }
    Ok(())
}
