//! Configuration: every setting declared once, in [`Config`], as a clap
//! argument with its flag, its `PORTCULLIS_*` environment variable and its
//! default. The TOML file (`--config`) is read first and its values become
//! the arguments' defaults, so clap itself applies flags > environment >
//! file > built-in defaults. Validated once at start; the rest of the
//! server receives the typed [`Config`] and never reads the environment.
//!
//! This file is long because it is the one list of settings, each with its
//! documentation; what is derived from them is in `derived.rs`, the TOML
//! file in `file.rs`.

use crate::keys::{KeyEncryptionKey, RotationPolicy};
use crate::oauth::registration::dynamic::RegistrationMode;
use crate::oauth::registration::metadata_document::{AllowEntry, FetchPolicy};
use crate::oauth::registration::redirect_uri::is_loopback;
use anyhow::{bail, Context};
use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use url::Url;

mod derived;
mod file;
pub use file::parse_command_line;

/// The scopes of the demo client and the example resource API; OpenID
/// Connect's are always added (see [`Config::validated`]).
pub const DEFAULT_SCOPES: [&str; 5] = [
    "all",
    "profile",
    "email",
    "restaurants:read",
    "restaurants:write",
];

/// What self-registered clients may ask for unless the operator says
/// otherwise: signing in and reading the user's profile and email, and
/// staying signed in; never an API's scopes (those are the operator's to
/// open). Only those among `scopes_supported` count.
pub const DEFAULT_REGISTRATION_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// Every setting. In the TOML file the keys are these names
/// (`access_token_ttl = 600`); an unknown key is an error.
#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_ADDR",
        default_value = "127.0.0.1:9000"
    )]
    pub addr: SocketAddr,
    /// Issuer URL [default: http:// + addr]. Normalised by validation: lower
    /// case scheme and host, no trailing slash.
    #[arg(long, global = true, env = "PORTCULLIS_ISSUER")]
    issuer: Option<String>,
    /// sqlite://FILE or postgres://…
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_DATABASE_URL",
        default_value = "sqlite://portcullis.db"
    )]
    pub database_url: String,
    /// Allow an http:// issuer on a non-loopback host, and plain http
    /// redirect URIs on any host (development only).
    #[arg(long, global = true, env = "PORTCULLIS_INSECURE_HTTP", action = ArgAction::SetTrue)]
    pub insecure_http: bool,
    /// Create the demo users, clients and restaurants (idempotent).
    #[arg(long, global = true, env = "PORTCULLIS_DEMO", action = ArgAction::SetTrue)]
    pub demo: bool,
    /// Access token lifetime in seconds.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_ACCESS_TOKEN_TTL",
        default_value_t = 3600
    )]
    pub access_token_ttl: i64,
    /// Refresh token lifetime in seconds (30 days).
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_REFRESH_TOKEN_TTL",
        default_value_t = 2_592_000
    )]
    pub refresh_token_ttl: i64,
    /// Authorization code lifetime in seconds.
    #[arg(long, global = true, env = "PORTCULLIS_CODE_TTL", default_value_t = 60)]
    pub code_ttl: i64,
    /// Browser session lifetime in seconds (8 hours).
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_SESSION_TTL",
        default_value_t = 28_800
    )]
    pub session_ttl: i64,
    /// Database connections per node.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_DB_MAX_CONNECTIONS",
        default_value_t = 8
    )]
    pub db_max_connections: u32,
    /// Seconds between purges of expired rows.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_PURGE_INTERVAL",
        default_value_t = 600
    )]
    pub purge_interval: u64,
    /// Scopes advertised in the metadata, besides OpenID Connect's (openid,
    /// profile, email, address, phone, offline_access); clients may
    /// register only these.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_SCOPES_SUPPORTED",
        value_delimiter = ',',
        default_values_t = DEFAULT_SCOPES.map(String::from)
    )]
    pub scopes_supported: Vec<String>,
    /// Failed logins or client authentications allowed per username, client
    /// or (client, address) within a window; 0 turns the limits off.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_RATE_LIMIT_FAILURES",
        default_value_t = 10
    )]
    pub rate_limit_failures: u32,
    /// Failed attempts allowed per client address within a window.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_RATE_LIMIT_ADDRESS_FAILURES",
        default_value_t = 100
    )]
    pub rate_limit_address_failures: u32,
    /// The window of the limits above, in seconds.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_RATE_LIMIT_WINDOW",
        default_value_t = 300
    )]
    pub rate_limit_window: i64,
    /// Take the client address from the last X-Forwarded-For entry (only
    /// behind a reverse proxy that sets it).
    #[arg(long, global = true, env = "PORTCULLIS_TRUST_FORWARDED_FOR", action = ArgAction::SetTrue)]
    pub trust_forwarded_for: bool,
    /// Seconds a client has to send its request headers.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_HEADER_TIMEOUT",
        default_value_t = 10
    )]
    pub header_timeout: u64,
    /// Seconds a request may take, body included.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_REQUEST_TIMEOUT",
        default_value_t = 30
    )]
    pub request_timeout: u64,
    /// Address of the operators' listener: metrics, health, the admin API.
    /// Never the public port; keep it on loopback or a private network.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_ADMIN_ADDR",
        default_value = "127.0.0.1:9001"
    )]
    pub admin_addr: SocketAddr,
    /// Collect Prometheus metrics (`--metrics false` turns them off; the
    /// benchmark compares both).
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_METRICS",
        default_value_t = true,
        action = ArgAction::Set
    )]
    pub metrics: bool,
    /// Days audit events are kept before the purge deletes them.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_AUDIT_RETENTION",
        default_value_t = 90
    )]
    pub audit_retention: i64,
    /// `text` for people, `json` (one object per line) for log collectors.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
    /// One log line per request: route, status, latency (target
    /// `portcullis::access`). Off by default: a line per request costs a
    /// SQLite node about a fifth of its throughput (docs/performance.md).
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_ACCESS_LOG",
        default_value_t = false,
        action = ArgAction::Set
    )]
    pub access_log: bool,
    /// Seconds in-flight requests get to finish after SIGTERM.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_SHUTDOWN_TIMEOUT",
        default_value_t = 10
    )]
    pub shutdown_timeout: u64,
    /// Scopes that clients the operator did not register may obtain
    /// without a user (client_credentials), comma-separated.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_SELF_REGISTERED_CLIENT_CREDENTIALS_SCOPES",
        value_delimiter = ','
    )]
    pub self_registered_client_credentials_scopes: Vec<String>,
    /// Self-registration at /oauth/register (RFC 7591): off; open to
    /// anyone; or token, with an initial access token from `portcullis
    /// registration token create` [default: off, open with --demo].
    #[arg(long, global = true, env = "PORTCULLIS_REGISTRATION", value_enum)]
    pub registration: Option<RegistrationMode>,
    /// Scopes self-registered clients may register, comma-separated; those
    /// not in scopes_supported are left out.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_REGISTRATION_SCOPES",
        value_delimiter = ',',
        default_values_t = DEFAULT_REGISTRATION_SCOPES.map(String::from)
    )]
    pub registration_scopes: Vec<String>,
    /// Registrations allowed per client address per hour; 0 turns the
    /// limit off.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_REGISTRATION_RATE_LIMIT",
        default_value_t = 20
    )]
    pub registration_rate_limit: u32,
    /// Seconds after which a self-registered client that never obtained a
    /// token is deleted (24 hours).
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_REGISTRATION_UNUSED_TTL",
        default_value_t = 86_400
    )]
    pub registration_unused_ttl: i64,
    /// Accept Client ID Metadata Documents: a client_id that is an https
    /// URL is fetched and describes a public client (MCP 2025-11-25)
    /// [default: true with --demo, else false].
    #[arg(long, global = true, env = "PORTCULLIS_CLIENT_METADATA_DOCUMENTS")]
    pub client_metadata_documents: Option<bool>,
    /// A host, address or network (CIDR) metadata documents may be fetched
    /// from although it is private, loopback or link-local (repeat, or
    /// comma-separated). For development only.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_METADATA_DOCUMENT_ALLOW",
        value_delimiter = ','
    )]
    pub metadata_document_allow: Vec<AllowEntry>,
    /// A PEM file of certificate authorities trusted for metadata documents
    /// besides the public ones (a private CA).
    #[arg(long, global = true, env = "PORTCULLIS_METADATA_DOCUMENT_CA")]
    pub metadata_document_ca: Option<PathBuf>,
    /// The key that encrypts signing keys at rest: 32 random bytes in
    /// base64 (`openssl rand -base64 32`). Required to serve, unless a file
    /// is named; `--demo` creates one beside an SQLite database.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_KEY_ENCRYPTION_KEY",
        hide_env_values = true
    )]
    pub key_encryption_key: Option<String>,
    /// A file holding the key-encryption key (base64 text).
    #[arg(long, global = true, env = "PORTCULLIS_KEY_ENCRYPTION_KEY_FILE")]
    pub key_encryption_key_file: Option<PathBuf>,
    /// Days a signing key signs before a successor replaces it.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_KEY_ROTATION_DAYS",
        default_value_t = 90
    )]
    pub key_rotation_days: i64,
    /// Seconds a new signing key is published before it signs, so that
    /// relying parties' cached JWK Sets know it (1 day).
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_KEY_PUBLICATION_DELAY",
        default_value_t = 86_400
    )]
    pub key_publication_delay: i64,
    /// Seconds between each node's look at the signing keys (new keys from
    /// other nodes, rotation).
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_KEY_REFRESH_INTERVAL",
        default_value_t = 60
    )]
    pub key_refresh_interval: u64,
    /// ID token lifetime in seconds.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_ID_TOKEN_TTL",
        default_value_t = 3600
    )]
    pub id_token_ttl: i64,
    /// Lifetime of RFC 9068 JWT access tokens in seconds: short, since a
    /// revoked JWT stays verifiable offline until it expires.
    #[arg(
        long,
        global = true,
        env = "PORTCULLIS_JWT_ACCESS_TOKEN_TTL",
        default_value_t = 300
    )]
    pub jwt_access_token_ttl: i64,
}

/// How log lines are written.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Only the settings, for [`Config::new`].
#[derive(Parser)]
struct SettingsOnly {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// The defaults, for a server on `addr` with the given database (tests
    /// and tools): no file, and no environment either.
    pub fn new(addr: SocketAddr, database_url: &str) -> Self {
        let command = SettingsOnly::command().mut_args(|arg| arg.env(None));
        let addr = addr.to_string();
        let matches = command.get_matches_from([
            "portcullis",
            "--addr",
            &addr,
            "--database-url",
            database_url,
        ]);
        SettingsOnly::from_arg_matches(&matches)
            .map(|only| only.config)
            .unwrap_or_else(|error| error.exit())
    }

    /// The issuer identifier (RFC 8414 §2), once validated.
    pub fn issuer(&self) -> &str {
        self.issuer.as_deref().unwrap_or_default()
    }

    pub fn set_issuer(&mut self, issuer: impl Into<String>) {
        self.issuer = Some(issuer.into());
    }

    /// Checks the settings and normalises the issuer; every start goes
    /// through here.
    pub fn validated(mut self) -> anyhow::Result<Self> {
        let raw = self
            .issuer
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr));
        let issuer =
            Url::parse(&raw).with_context(|| format!("the issuer {raw:?} is not a URL"))?;
        if issuer.cannot_be_a_base() || issuer.host().is_none() {
            bail!("the issuer {raw:?} must be an absolute URL with a host");
        }
        // RFC 8414 §2: https, no query, no fragment.
        if issuer.query().is_some() || issuer.fragment().is_some() {
            bail!("the issuer {raw:?} must not have a query or fragment");
        }
        match issuer.scheme() {
            "https" => {}
            "http" if self.insecure_http || is_loopback(&issuer) => {}
            "http" => bail!(
                "refusing to start: the issuer {raw} uses http:// on a non-loopback host, so \
                 tokens and passwords would cross the network in clear. Serve it over https \
                 (--issuer https://…) or, for development only, pass --insecure-http."
            ),
            other => bail!("the issuer must be an https:// URL, not {other}://"),
        }
        // Once, here: the URL's own spelling, with the scheme and host in
        // lower case (`HTTPS://Auth.Example` is https://auth.example, whose
        // cookies must be Secure), without a trailing slash.
        self.issuer = Some(issuer.as_str().trim_end_matches('/').to_owned());
        for (name, value) in [
            ("access_token_ttl", self.access_token_ttl),
            ("refresh_token_ttl", self.refresh_token_ttl),
            ("code_ttl", self.code_ttl),
            ("session_ttl", self.session_ttl),
            ("rate_limit_window", self.rate_limit_window),
            ("header_timeout", self.header_timeout as i64),
            ("request_timeout", self.request_timeout as i64),
            ("registration_unused_ttl", self.registration_unused_ttl),
            ("key_rotation_days", self.key_rotation_days),
            ("key_refresh_interval", self.key_refresh_interval as i64),
            ("id_token_ttl", self.id_token_ttl),
            ("jwt_access_token_ttl", self.jwt_access_token_ttl),
            ("audit_retention", self.audit_retention),
        ] {
            if value <= 0 {
                bail!("{name} must be a positive number of seconds, not {value}");
            }
        }
        if self.key_publication_delay < 0 {
            bail!("key_publication_delay must not be negative");
        }
        // The public port carries only the OAuth surface; the operators'
        // routes must never be reachable through it.
        if self.admin_addr.port() == self.addr.port() && self.addr.port() != 0 {
            bail!(
                "the admin listener ({}) must not share the public port ({}): choose another \
                 --admin-addr",
                self.admin_addr,
                self.addr
            );
        }
        if self.db_max_connections == 0 {
            bail!("db_max_connections must be at least 1");
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            bail!(
                "the database URL must start with sqlite:// or postgres://, not {:?}",
                self.database_url
            );
        }
        // Space-separated lists in a flag or the file mean the same.
        for list in [
            &mut self.scopes_supported,
            &mut self.self_registered_client_credentials_scopes,
            &mut self.registration_scopes,
        ] {
            *list = list
                .iter()
                .flat_map(|scopes| scopes.split_whitespace())
                .map(str::to_owned)
                .collect();
        }
        self.scopes_supported =
            crate::oauth::oidc::discovery::scopes_supported(&self.scopes_supported);
        Ok(self)
    }

    /// Cookies get the Secure flag when the issuer is https (normalised to
    /// lower case by [`Config::validated`]).
    pub fn secure_cookies(&self) -> bool {
        self.issuer().starts_with("https://")
    }
}

#[cfg(test)]
mod tests;
