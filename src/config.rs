//! Configuration: flags > `PORTCULLIS_*` environment > TOML file > defaults,
//! merged and validated once at start. The rest of the server receives a
//! typed [`Config`] and never reads the environment.

use crate::oauth::registration::redirect_uri::is_loopback;
use anyhow::{bail, Context};
use clap::Args;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use url::Url;

pub const DEFAULT_ADDR: &str = "127.0.0.1:9000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://portcullis.db";

/// Settings every command shares (they name the database).
#[derive(Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// A TOML file with any of the settings below (flags and env win).
    #[arg(long, global = true, env = "PORTCULLIS_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// sqlite://FILE (default sqlite://portcullis.db) or postgres://…
    #[arg(long, global = true, env = "PORTCULLIS_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Settings of `serve`.
#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:9000]
    #[arg(long, env = "PORTCULLIS_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Issuer URL [default: http:// + addr]
    #[arg(long, env = "PORTCULLIS_ISSUER")]
    pub issuer: Option<String>,
    /// Allow an http:// issuer on a non-loopback address (development only).
    #[arg(long, env = "PORTCULLIS_INSECURE_HTTP")]
    pub insecure_http: bool,
    /// Create the demo user, client and restaurants (idempotent).
    #[arg(long, env = "PORTCULLIS_DEMO")]
    pub demo: bool,
    /// Access token lifetime in seconds [default: 3600]
    #[arg(long, env = "PORTCULLIS_ACCESS_TOKEN_TTL")]
    pub access_token_ttl: Option<i64>,
    /// Refresh token lifetime in seconds [default: 2592000, 30 days]
    #[arg(long, env = "PORTCULLIS_REFRESH_TOKEN_TTL")]
    pub refresh_token_ttl: Option<i64>,
    /// Authorization code lifetime in seconds [default: 60]
    #[arg(long, env = "PORTCULLIS_CODE_TTL")]
    pub code_ttl: Option<i64>,
    /// Browser session lifetime in seconds [default: 28800, 8 hours]
    #[arg(long, env = "PORTCULLIS_SESSION_TTL")]
    pub session_ttl: Option<i64>,
    /// Database connections per node [default: 8]
    #[arg(long, env = "PORTCULLIS_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    /// Seconds between purges of expired rows [default: 600]
    #[arg(long, env = "PORTCULLIS_PURGE_INTERVAL")]
    pub purge_interval: Option<u64>,
    /// Failed logins or client authentications allowed per username, client
    /// or address within a window; 0 turns the limits off [default: 10]
    #[arg(long, env = "PORTCULLIS_RATE_LIMIT_FAILURES")]
    pub rate_limit_failures: Option<u32>,
    /// Failed attempts allowed per client address within a window
    /// [default: 100]
    #[arg(long, env = "PORTCULLIS_RATE_LIMIT_ADDRESS_FAILURES")]
    pub rate_limit_address_failures: Option<u32>,
    /// The window of the limits above, in seconds [default: 300]
    #[arg(long, env = "PORTCULLIS_RATE_LIMIT_WINDOW")]
    pub rate_limit_window: Option<i64>,
    /// Take the client address from the last X-Forwarded-For entry (only
    /// behind a reverse proxy that sets it).
    #[arg(long, env = "PORTCULLIS_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Seconds a client has to send its request headers [default: 10]
    #[arg(long, env = "PORTCULLIS_HEADER_TIMEOUT")]
    pub header_timeout: Option<u64>,
    /// Seconds a request may take, body included [default: 30]
    #[arg(long, env = "PORTCULLIS_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    /// Scopes that clients the operator did not register may obtain
    /// without a user (client_credentials), space- or comma-separated
    /// [default: none]
    #[arg(
        long,
        env = "PORTCULLIS_SELF_REGISTERED_CLIENT_CREDENTIALS_SCOPES",
        value_delimiter = ','
    )]
    pub self_registered_client_credentials_scopes: Option<Vec<String>>,
}

/// The TOML file: the same names as the flags, with underscores.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    issuer: Option<String>,
    database_url: Option<String>,
    insecure_http: Option<bool>,
    demo: Option<bool>,
    access_token_ttl: Option<i64>,
    refresh_token_ttl: Option<i64>,
    code_ttl: Option<i64>,
    session_ttl: Option<i64>,
    db_max_connections: Option<u32>,
    purge_interval: Option<u64>,
    scopes_supported: Option<Vec<String>>,
    rate_limit_failures: Option<u32>,
    rate_limit_address_failures: Option<u32>,
    rate_limit_window: Option<i64>,
    trust_forwarded_for: Option<bool>,
    header_timeout: Option<u64>,
    request_timeout: Option<u64>,
    self_registered_client_credentials_scopes: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    /// Without a trailing slash.
    pub issuer: String,
    pub database_url: String,
    pub insecure_http: bool,
    pub demo: bool,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub code_ttl: i64,
    pub session_ttl: i64,
    pub db_max_connections: u32,
    pub purge_interval: u64,
    /// Advertised in the metadata (RFC 8414 `scopes_supported`).
    pub scopes_supported: Vec<String>,
    pub rate_limit_failures: u32,
    pub rate_limit_address_failures: u32,
    pub rate_limit_window: i64,
    pub trust_forwarded_for: bool,
    pub header_timeout: u64,
    pub request_timeout: u64,
    /// See [`crate::oauth::Settings`].
    pub self_registered_client_credentials_scopes: Vec<String>,
}

/// The scopes the demo client and the example resource API use.
pub const DEFAULT_SCOPES: [&str; 5] = [
    "all",
    "profile",
    "email",
    "restaurants:read",
    "restaurants:write",
];

impl Config {
    /// Defaults for a server on `addr` with the given database.
    pub fn new(addr: SocketAddr, database_url: &str) -> Self {
        Config {
            addr,
            issuer: format!("http://{addr}"),
            database_url: database_url.to_owned(),
            insecure_http: false,
            demo: false,
            access_token_ttl: 3600,
            refresh_token_ttl: 30 * 24 * 3600,
            code_ttl: 60,
            session_ttl: 8 * 3600,
            db_max_connections: 8,
            purge_interval: 600,
            scopes_supported: DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
            rate_limit_failures: 10,
            rate_limit_address_failures: 100,
            rate_limit_window: 300,
            trust_forwarded_for: false,
            header_timeout: 10,
            request_timeout: 30,
            self_registered_client_credentials_scopes: Vec::new(),
        }
    }

    /// Merges flags and environment (already in `common` and `serve`, by
    /// clap) over the TOML file over the defaults, and validates the result.
    pub fn resolve(common: &CommonArgs, serve: &ServeArgs) -> anyhow::Result<Self> {
        let file = match &common.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let addr = serve.addr.or(file.addr).unwrap_or_else(|| {
            DEFAULT_ADDR
                .parse()
                .expect("the default address is a valid socket address")
        });
        let database_url = common
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let defaults = Config::new(addr, &database_url);
        let config = Config {
            issuer: serve
                .issuer
                .clone()
                .or(file.issuer)
                .unwrap_or(defaults.issuer),
            insecure_http: serve.insecure_http || file.insecure_http.unwrap_or(false),
            demo: serve.demo || file.demo.unwrap_or(false),
            access_token_ttl: serve
                .access_token_ttl
                .or(file.access_token_ttl)
                .unwrap_or(defaults.access_token_ttl),
            refresh_token_ttl: serve
                .refresh_token_ttl
                .or(file.refresh_token_ttl)
                .unwrap_or(defaults.refresh_token_ttl),
            code_ttl: serve
                .code_ttl
                .or(file.code_ttl)
                .unwrap_or(defaults.code_ttl),
            session_ttl: serve
                .session_ttl
                .or(file.session_ttl)
                .unwrap_or(defaults.session_ttl),
            db_max_connections: serve
                .db_max_connections
                .or(file.db_max_connections)
                .unwrap_or(defaults.db_max_connections),
            purge_interval: serve
                .purge_interval
                .or(file.purge_interval)
                .unwrap_or(defaults.purge_interval),
            scopes_supported: file
                .scopes_supported
                .unwrap_or(defaults.scopes_supported.clone()),
            rate_limit_failures: serve
                .rate_limit_failures
                .or(file.rate_limit_failures)
                .unwrap_or(defaults.rate_limit_failures),
            rate_limit_address_failures: serve
                .rate_limit_address_failures
                .or(file.rate_limit_address_failures)
                .unwrap_or(defaults.rate_limit_address_failures),
            rate_limit_window: serve
                .rate_limit_window
                .or(file.rate_limit_window)
                .unwrap_or(defaults.rate_limit_window),
            trust_forwarded_for: serve.trust_forwarded_for
                || file.trust_forwarded_for.unwrap_or(false),
            header_timeout: serve
                .header_timeout
                .or(file.header_timeout)
                .unwrap_or(defaults.header_timeout),
            request_timeout: serve
                .request_timeout
                .or(file.request_timeout)
                .unwrap_or(defaults.request_timeout),
            self_registered_client_credentials_scopes: serve
                .self_registered_client_credentials_scopes
                .clone()
                .or(file.self_registered_client_credentials_scopes)
                .map(|scopes| {
                    scopes
                        .iter()
                        .flat_map(|s| s.split_whitespace())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            ..defaults
        };
        config.validated()
    }

    /// Checks the settings and normalises the issuer; every start goes
    /// through here.
    pub fn validated(mut self) -> anyhow::Result<Self> {
        let issuer = Url::parse(&self.issuer)
            .with_context(|| format!("the issuer {:?} is not a URL", self.issuer))?;
        if issuer.cannot_be_a_base() || issuer.host().is_none() {
            bail!(
                "the issuer {:?} must be an absolute URL with a host",
                self.issuer
            );
        }
        // RFC 8414 §2: https, no query, no fragment.
        if issuer.query().is_some() || issuer.fragment().is_some() {
            bail!(
                "the issuer {:?} must not have a query or fragment",
                self.issuer
            );
        }
        match issuer.scheme() {
            "https" => {}
            "http" if self.insecure_http || is_loopback(&issuer) => {}
            "http" => bail!(
                "refusing to start: the issuer {} uses http:// on a non-loopback host, so \
                 tokens and passwords would cross the network in clear. Serve it over https \
                 (--issuer https://…) or, for development only, pass --insecure-http.",
                self.issuer
            ),
            other => bail!("the issuer must be an https:// URL, not {other}://"),
        }
        // Once, here: the URL's own spelling, with the scheme and host in
        // lower case (`HTTPS://Auth.Example` is https://auth.example, whose
        // cookies must be Secure), without a trailing slash.
        self.issuer = issuer.as_str().trim_end_matches('/').to_owned();
        for (name, value) in [
            ("access_token_ttl", self.access_token_ttl),
            ("refresh_token_ttl", self.refresh_token_ttl),
            ("code_ttl", self.code_ttl),
            ("session_ttl", self.session_ttl),
            ("rate_limit_window", self.rate_limit_window),
            ("header_timeout", self.header_timeout as i64),
            ("request_timeout", self.request_timeout as i64),
        ] {
            if value <= 0 {
                bail!("{name} must be a positive number of seconds, not {value}");
            }
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
        Ok(self)
    }

    /// Cookies get the Secure flag when the issuer is https (normalised to
    /// lower case by [`Config::validated`]).
    pub fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// The rules for registering clients on this server.
    pub fn registration_policy(&self) -> crate::oauth::registration::RegistrationPolicy<'_> {
        crate::oauth::registration::RegistrationPolicy {
            scopes_supported: &self.scopes_supported,
            insecure_http: self.insecure_http,
        }
    }
}

/// The database URL for commands other than `serve`.
pub fn database_url(common: &CommonArgs) -> anyhow::Result<String> {
    let file = match &common.config {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    Ok(common
        .database_url
        .clone()
        .or(file.database_url)
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()))
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(issuer: &str) -> Config {
        Config {
            issuer: issuer.into(),
            ..Config::new("127.0.0.1:9000".parse().unwrap(), DEFAULT_DATABASE_URL)
        }
    }

    #[test]
    fn http_issuer_on_a_public_host_is_refused() {
        let err = config("http://auth.example.com").validated().unwrap_err();
        assert!(err.to_string().contains("--insecure-http"), "{err}");
    }

    #[test]
    fn http_issuer_on_loopback_is_allowed() {
        assert!(config("http://127.0.0.1:9000").validated().is_ok());
        assert!(config("http://localhost:9000/").validated().is_ok());
    }

    #[test]
    fn insecure_http_allows_a_public_http_issuer() {
        let mut c = config("http://auth.example.com");
        c.insecure_http = true;
        assert!(c.validated().is_ok());
    }

    #[test]
    fn an_uppercase_https_issuer_is_https() {
        let c = config("HTTPS://Auth.Example.COM/").validated().unwrap();
        assert_eq!(c.issuer, "https://auth.example.com");
        assert!(c.secure_cookies());
    }

    #[test]
    fn issuer_loses_its_trailing_slash() {
        let c = config("https://auth.example.com/").validated().unwrap();
        assert_eq!(c.issuer, "https://auth.example.com");
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "addr = \"127.0.0.1:7000\"\ncode_ttl = 30\naccess_token_ttl = 10\n",
        )
        .unwrap();
        let common = CommonArgs {
            config: Some(path),
            ..Default::default()
        };
        let serve = ServeArgs {
            access_token_ttl: Some(20),
            ..Default::default()
        };
        let c = Config::resolve(&common, &serve).unwrap();
        assert_eq!(c.addr.port(), 7000);
        assert_eq!(c.code_ttl, 30);
        assert_eq!(c.access_token_ttl, 20);
        assert_eq!(c.refresh_token_ttl, 30 * 24 * 3600);
        assert_eq!(c.issuer, "http://127.0.0.1:7000");
    }

    #[test]
    fn unknown_keys_in_the_file_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "adr = \"127.0.0.1:7000\"\n").unwrap();
        let common = CommonArgs {
            config: Some(path),
            ..Default::default()
        };
        assert!(Config::resolve(&common, &ServeArgs::default()).is_err());
    }
}
