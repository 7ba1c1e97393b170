//! The command line (clap): `serve`, `migrate`, `user`, `client`,
//! `registration`, `resource`, `token`, `keys`, `admin-key`, `audit`, `backup`.
//! Every setting of [`Config`] is a global flag, so any command reads the
//! same database and rules as the server would.

mod admin_keys;
mod clients;
mod keys;
pub mod logging;
mod operations;
mod registration;
mod resources;
mod users;

use crate::config::Config;
use crate::store::{self, SharedStore};
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "portcullis",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("PORTCULLIS_GIT_COMMIT"), ")"),
    about = "An OAuth 2.0 and OpenID Connect authorization server"
)]
pub struct Cli {
    /// A TOML file with any of the settings below (flags and environment
    /// win); its keys are the flags' names with underscores.
    #[arg(long, global = true, env = "PORTCULLIS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(flatten)]
    pub settings: Config,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(clients::ClientCommand),
    /// Self-registration (RFC 7591): initial access tokens.
    #[command(subcommand)]
    Registration(registration::RegistrationCommand),
    /// Protected resources tokens may be bound to (RFC 8707).
    #[command(subcommand)]
    Resource(resources::ResourceCommand),
    /// Token maintenance.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The keys that sign ID tokens and JWT access tokens.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Keys of the admin API.
    #[command(subcommand)]
    AdminKey(admin_keys::AdminKeyCommand),
    /// Show audit events.
    Audit {
        /// Unix seconds, or a time ago: 90m, 24h, 7d [default: all kept].
        #[arg(long, value_parser = operations::parse_since)]
        since: Option<i64>,
        /// Only events of this kind (sign_in, locked_out, client_created…).
        #[arg(long)]
        kind: Option<crate::audit::AuditKind>,
    },
    /// Copy the SQLite database to a new file while the server runs.
    Backup { path: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Delete expired tokens, codes and sessions, and self-registered
    /// clients that never obtained a token.
    Purge,
}

/// Parses the process's arguments (after the config file) and runs them.
pub fn main() -> ExitCode {
    let cli = match crate::config::parse_command_line::<Cli>(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(error) => match error.downcast::<clap::Error>() {
            // --help, --version and usage errors, in clap's own words.
            Ok(clap) => clap.exit(),
            Err(error) => {
                eprintln!("error: {error:#}");
                return ExitCode::FAILURE;
            }
        },
    };
    run(cli)
}

fn run(cli: Cli) -> ExitCode {
    let _flushed_at_exit = logging::init(cli.settings.log_format, cli.settings.access_log);
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

/// What a command works with: the validated settings, and the store on
/// demand.
struct Invocation {
    config: Config,
    json: bool,
}

impl Invocation {
    async fn store(&self) -> anyhow::Result<SharedStore> {
        store::open(&self.config.database_url, 2).await
    }

    /// Prints `value` as JSON with `--json`, or `human` otherwise.
    fn print(&self, value: serde_json::Value, human: impl FnOnce() -> String) {
        if self.json {
            println!("{value}");
        } else {
            println!("{}", human());
        }
    }
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let context = Invocation {
        config: cli.settings.validated()?,
        json: cli.json,
    };
    match cli.command {
        Command::Serve => serve(context.config).await,
        Command::Migrate => {
            context.store().await?;
            context.print(json!({ "migrated": true }), || "migrated".into());
            Ok(())
        }
        Command::User(command) => users::run(&context, command).await,
        Command::Client(command) => clients::run(&context, command).await,
        Command::Registration(command) => registration::run(&context, command).await,
        Command::Keys(command) => keys::run(&context, command).await,
        Command::Resource(command) => resources::run(&context, command).await,
        Command::AdminKey(command) => admin_keys::run(&context, command).await,
        Command::Audit { since, kind } => {
            operations::audit(&context, since.unwrap_or(0), kind).await
        }
        Command::Backup { path } => operations::backup(&context, &path).await,
        Command::Token(TokenCommand::Purge) => {
            let now = crate::time::now();
            let unused_before = now - context.config.registration_unused_ttl;
            let purged = context
                .store()
                .await?
                .purge_expired(now, unused_before)
                .await?;
            context.print(json!({ "purged": purged }), || {
                format!("purged {purged} expired rows")
            });
            Ok(())
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let bind = |addr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))
    };
    let (public, admin) = (bind(config.addr).await?, bind(config.admin_addr).await?);
    let (addr, admin_addr) = (config.addr, config.admin_addr);
    let issuer = config.issuer().to_owned();
    let app = crate::app::App::build(config).await?;
    tracing::info!(%addr, %admin_addr, %issuer, version = env!("CARGO_PKG_VERSION"),
        commit = env!("PORTCULLIS_GIT_COMMIT"), "portcullis listening");
    app.serve(public, admin, shutdown_signal()).await;
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
