//! The command line (clap): `serve`, `migrate`, `user`, `client`, `token`.

use crate::config::{self, CommonArgs, Config, ServeArgs};
use crate::crypto;
use crate::oauth::registration::{self, ClientInformation, ClientMetadata};
use crate::oauth::vocabulary;
use crate::store::{self, Registrant, SharedStore};
use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::json;
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "portcullis",
    version,
    about = "An OAuth 2.0 authorization server"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Token maintenance.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add { name: String },
    /// List users.
    List,
}

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
        /// Accept plain http redirect URIs on any host (development only).
        #[arg(long, env = "PORTCULLIS_INSECURE_HTTP")]
        insecure_http: bool,
    },
    /// List clients.
    List,
    /// Delete a client with all its tokens.
    Remove { client_id: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Delete expired tokens, codes and sessions.
    Purge,
}

pub fn run(cli: Cli) -> ExitCode {
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(execute(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open_store(common: &CommonArgs) -> anyhow::Result<SharedStore> {
    let url = config::database_url(common)?;
    store::open(&url, 2).await
}

/// Prints `value` as JSON with `--json`, or `human` otherwise.
fn print(json_output: bool, value: serde_json::Value, human: impl FnOnce() -> String) {
    if json_output {
        println!("{value}");
    } else {
        println!("{}", human());
    }
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let common = &cli.common;
    match cli.command {
        Command::Serve(args) => serve(Config::resolve(common, &args)?).await,
        Command::Migrate => {
            open_store(common).await?;
            print(common.json, json!({ "migrated": true }), || {
                "migrated".into()
            });
            Ok(())
        }
        Command::User(UserCommand::Add { name }) => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            anyhow::ensure!(
                !password.is_empty(),
                "the password (standard input) is empty"
            );
            let store = open_store(common).await?;
            let hash = crypto::hash_password(password).await?;
            let user = store
                .create_user(&name, &hash)
                .await
                .with_context(|| format!("cannot add user {name:?}"))?;
            print(common.json, user_json(&user), || {
                format!("added user {} (id {})", user.username, user.id)
            });
            Ok(())
        }
        Command::User(UserCommand::List) => {
            let users = open_store(common).await?.list_users().await?;
            let listed: Vec<serde_json::Value> = users.iter().map(user_json).collect();
            print(common.json, json!(listed), || {
                users
                    .iter()
                    .map(|u| format!("{}\t{}", u.id, u.username))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }
        Command::Client(ClientCommand::Add {
            name,
            grant_types,
            redirect_uris,
            scope,
            auth_method,
            client_uri,
            resource_server,
            insecure_http,
        }) => {
            let metadata = ClientMetadata {
                client_name: name,
                client_uri,
                grant_types: grant_types
                    .iter()
                    .flat_map(|g| g.split_whitespace())
                    .map(str::to_owned)
                    .collect(),
                redirect_uris,
                post_logout_redirect_uris: Vec::new(),
                response_types: Vec::new(),
                scope,
                token_endpoint_auth_method: Some(auth_method),
            };
            let mut config = Config::resolve(common, &ServeArgs::default())?;
            config.insecure_http |= insecure_http;
            let mut registered = registration::register(
                metadata,
                Registrant::Operator,
                &config.registration_policy(),
            )
            .map_err(|e| anyhow::anyhow!("{}", e.description))?;
            registered.client.resource_server = resource_server;
            open_store(common)
                .await?
                .create_client(&registered.client)
                .await?;
            let client = &registered.client;
            let mut value = json!(ClientInformation::from(client));
            value["resource_server"] = json!(client.resource_server);
            value["client_secret"] = json!(registered.client_secret);
            print(common.json, value, || {
                let mut text = format!("client_id: {}", client.client_id);
                if let Some(secret) = &registered.client_secret {
                    text.push_str(&format!(
                        "\nclient_secret: {secret}\n(shown once: it is stored only as a hash)"
                    ));
                }
                text
            });
            Ok(())
        }
        Command::Client(ClientCommand::List) => {
            let clients = open_store(common).await?.list_clients(None).await?;
            let listed: Vec<ClientInformation> =
                clients.iter().map(ClientInformation::from).collect();
            print(common.json, json!(listed), || {
                clients
                    .iter()
                    .map(|c| {
                        format!(
                            "{}\t{}\t{}\t{}",
                            c.client_id,
                            c.client_name,
                            vocabulary::join_words(&c.grant_types).replace(' ', ","),
                            c.scope
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }
        Command::Client(ClientCommand::Remove { client_id }) => {
            let removed = open_store(common)
                .await?
                .delete_client(&client_id, None)
                .await?;
            anyhow::ensure!(removed, "no client {client_id:?}");
            print(common.json, json!({ "removed": client_id }), || {
                format!("removed client {client_id}")
            });
            Ok(())
        }
        Command::Token(TokenCommand::Purge) => {
            let purged = open_store(common)
                .await?
                .purge_expired(crate::time::now())
                .await?;
            print(common.json, json!({ "purged": purged }), || {
                format!("purged {purged} expired rows")
            });
            Ok(())
        }
    }
}

/// What the command line shows of a user: never the password hash.
fn user_json(user: &crate::store::User) -> serde_json::Value {
    json!({ "id": user.id, "username": user.username })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("cannot listen on {}", config.addr))?;
    let (addr, issuer) = (config.addr, config.issuer.clone());
    let app = crate::app::App::build(config).await?;
    tracing::info!(%addr, %issuer, "portcullis listening");
    app.serve(listener, shutdown_signal()).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
