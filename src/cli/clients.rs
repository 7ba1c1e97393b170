//! `portcullis client …`: the operator registers clients (RFC 7591 rules,
//! with the server's settings).

use super::Invocation;
use crate::audit::{self, Actor, AuditEvent, ClientChange};
use crate::oauth::registration::{self, ClientInformation, ClientMetadata};
use crate::oauth::vocabulary::{self, AccessTokenFormat};
use crate::store::Registrant;
use clap::Subcommand;
use serde_json::json;

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client; prints its client_id and, once, its secret.
    Add {
        #[arg(long)]
        name: String,
        /// Grant types, space- or comma-separated
        /// [default: authorization_code]
        #[arg(long = "grant-types", value_delimiter = ',')]
        grant_types: Vec<String>,
        /// A redirect URI (repeat for several).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// The scopes the client may ask for, space-separated.
        #[arg(long, default_value = "")]
        scope: String,
        /// client_secret_basic, client_secret_post or none (public client).
        #[arg(long = "auth-method", default_value = "client_secret_basic")]
        auth_method: String,
        #[arg(long = "client-uri")]
        client_uri: Option<String>,
        /// A resource server: may introspect every token, not only its own.
        #[arg(long = "resource-server")]
        resource_server: bool,
        /// Where RP-Initiated Logout may send the user back (repeat for
        /// several).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// RS256, ES256 or EdDSA [default: RS256].
        #[arg(long = "id-token-alg")]
        id_token_alg: Option<String>,
        /// Sign UserInfo answers with RS256, ES256 or EdDSA [default: plain
        /// JSON].
        #[arg(long = "userinfo-alg")]
        userinfo_alg: Option<String>,
        /// `jwt` for RFC 9068 access tokens resource servers can verify
        /// offline; `opaque` tokens are revoked at once everywhere.
        #[arg(long = "access-token-format", default_value = "opaque")]
        access_token_format: AccessTokenFormat,
    },
    /// List clients.
    List,
    /// Delete a client with all its tokens.
    Remove {
        /// Generated ids are base64url and may start with "-".
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
}

pub(super) async fn run(context: &Invocation, command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Add {
            name,
            grant_types,
            redirect_uris,
            scope,
            auth_method,
            client_uri,
            resource_server,
            post_logout_redirect_uris,
            id_token_alg,
            userinfo_alg,
            access_token_format,
        } => {
            let metadata = ClientMetadata {
                client_name: name,
                client_uri,
                grant_types: grant_types
                    .iter()
                    .flat_map(|g| g.split_whitespace())
                    .map(str::to_owned)
                    .collect(),
                redirect_uris,
                scope,
                token_endpoint_auth_method: Some(auth_method),
                post_logout_redirect_uris,
                id_token_signed_response_alg: id_token_alg,
                userinfo_signed_response_alg: userinfo_alg,
                ..ClientMetadata::default()
            };
            let mut registered = registration::register(
                metadata,
                Registrant::Operator,
                &context.config.registration_policy(),
            )
            .map_err(|e| anyhow::anyhow!("{}", e.description))?;
            registered.client.resource_server = resource_server;
            registered.client.access_token_format = access_token_format;
            let store = context.store().await?;
            store.create_client(&registered.client).await?;
            record(
                store.as_ref(),
                &registered.client.client_id,
                ClientChange::Created,
            )
            .await?;
            let client = &registered.client;
            let mut value = json!(ClientInformation::from(client));
            value["resource_server"] = json!(client.resource_server);
            value["access_token_format"] = json!(client.access_token_format);
            value["client_secret"] = json!(registered.client_secret);
            context.print(value, || {
                let mut text = format!("client_id: {}", client.client_id);
                if let Some(secret) = &registered.client_secret {
                    text.push_str(&format!(
                        "\nclient_secret: {secret}\n(shown once: it is stored only as a hash)"
                    ));
                }
                text
            });
        }
        ClientCommand::List => {
            let clients = context.store().await?.list_clients(None).await?;
            // Who registered each: the operator finds self-registered
            // clients among them, to remove one that misbehaves.
            let listed: Vec<serde_json::Value> = clients
                .iter()
                .map(|c| {
                    let mut value = json!(ClientInformation::from(c));
                    value["registrant"] = json!(c.registrant.kind());
                    value
                })
                .collect();
            context.print(json!(listed), || {
                clients
                    .iter()
                    .map(|c| {
                        format!(
                            "{}\t{}\t{}\t{}\t{}",
                            c.client_id,
                            c.client_name,
                            vocabulary::join_words(&c.grant_types).replace(' ', ","),
                            c.scope,
                            c.registrant.kind()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ClientCommand::Remove { client_id } => {
            let store = context.store().await?;
            let removed = store.delete_client(&client_id, None).await?;
            anyhow::ensure!(removed, "no client {client_id:?}");
            record(store.as_ref(), &client_id, ClientChange::Deleted).await?;
            context.print(json!({ "removed": client_id }), || {
                format!("removed client {client_id}")
            });
        }
    }
    Ok(())
}

/// The operator changed a client, from the command line.
async fn record(
    store: &dyn crate::store::Store,
    client_id: &str,
    change: ClientChange,
) -> anyhow::Result<()> {
    let event = AuditEvent::Client {
        by: Actor::System,
        client_id: client_id.to_owned(),
        change,
    };
    audit::record_now(store, event).await
}
