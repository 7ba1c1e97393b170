//! Helpers for bench/run.sh that the public interfaces cannot do quickly:
//!
//! - `start LOG URL -- CMD…`: spawns a server, polls URL (a plain-HTTP
//!   /healthz) every millisecond and prints `{"pid":…,"ready_ms":…}` once
//!   it answers 200 — the time from spawn to ready. The server keeps running.
//! - `access|refresh DATABASE_URL CLIENT_ID USER_ID SCOPE COUNT`: issues
//!   COUNT grants through the store, as the password grant would, and prints
//!   one access (or refresh) token per line: pools for the workloads that
//!   need fresh tokens (a refresh token works once).
//! - `codes DATABASE_URL CLIENT_ID USER_ID SCOPE REDIRECT_URI VERIFIER COUNT`:
//!   authorization codes with the PKCE S256 challenge of VERIFIER, as the
//!   consent page would create them, one per line. They live an hour instead
//!   of the server's 60 s so that a pool outlasts a run.
//! - `openid-codes DATABASE_URL CLIENT_ID USER_ID SCOPE REDIRECT_URI VERIFIER
//!   COUNT`: the same, with the OpenID Connect context the authorize
//!   endpoint records for a request with `openid` in its scope (a sign-in
//!   now, by password, and a `nonce` of its own per code), so that the
//!   exchange of a code whose SCOPE holds `openid` answers with an ID token.
//! - `fill SQLITE_FILE COUNT SAMPLE`: the scale run's store: COUNT live
//!   access tokens, each in its own grant, minted as the server mints them
//!   (so their keys follow each other in time as real ones would) but
//!   written in one bulk transaction; prints SAMPLE of them, evenly spread
//!   over the table, one per line.
//!
//! Writes go through `Store` with many calls in flight, so they share group
//! commits.

use anyhow::{bail, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::stream::{self, StreamExt};
use portcullis::crypto;
use portcullis::oauth::oidc::context::GrantContext;
use portcullis::oauth::oidc::id_token::AuthenticationMethod;
use portcullis::oauth::tokens::{self, Access, Refresh};
use portcullis::oauth::Settings;
use portcullis::store::{self, NewCode, SharedStore};
use std::io::{BufWriter, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const IN_FLIGHT: usize = 512;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("start") => start(&args[1..]),
        Some("access" | "refresh" | "codes" | "openid-codes") => {
            tokio::runtime::Runtime::new()?.block_on(pool(&args[0], &args[1..]))
        }
        Some("fill") => fill(&args[1..]),
        _ => bail!("usage: fixtures start|access|refresh|codes|openid-codes|fill … (see bench/fixtures.rs)"),
    }
}

fn start(args: &[String]) -> anyhow::Result<()> {
    let [log, url, dashes, command @ ..] = args else {
        bail!("usage: fixtures start LOG URL -- CMD…");
    };
    anyhow::ensure!(dashes == "--" && !command.is_empty(), "missing -- CMD…");
    let url = url::Url::parse(url)?;
    let authority = format!(
        "{}:{}",
        url.host_str().context("no host")?,
        url.port_or_known_default().context("no port")?
    );
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n",
        url.path()
    );
    let log = std::fs::File::create(log)?;
    let started = Instant::now();
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", command[0]))?;
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = child.try_wait()? {
            bail!("the server exited during start-up: {status}");
        }
        if answers_ok(&authority, &request) {
            let ready_ms = started.elapsed().as_secs_f64() * 1000.0;
            println!(r#"{{"pid":{},"ready_ms":{ready_ms:.1}}}"#, child.id());
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    bail!("the server was not ready after 30 s")
}

fn answers_ok(authority: &str, request: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(authority) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut answer = Vec::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_end(&mut answer).is_ok()
        && answer.starts_with(b"HTTP/1.1 200")
}

async fn pool(kind: &str, args: &[String]) -> anyhow::Result<()> {
    let (url, client_id, user_id, scope) = match args {
        [url, client, user, scope, ..] => (url, client, user.parse::<i64>()?, scope),
        _ => bail!("usage: fixtures {kind} DATABASE_URL CLIENT_ID USER_ID SCOPE …"),
    };
    let store = store::open(url, 2).await?;
    let count: usize = args.last().context("COUNT")?.parse()?;
    let made: Vec<anyhow::Result<String>> = match kind {
        "codes" | "openid-codes" => {
            let [.., redirect_uri, verifier, _] = args else {
                bail!("usage: fixtures {kind} DATABASE_URL CLIENT USER SCOPE REDIRECT_URI VERIFIER COUNT");
            };
            let challenge = URL_SAFE_NO_PAD.encode(crypto::sha256(verifier.as_bytes()));
            let openid = kind == "openid-codes";
            stream::iter(0..count)
                .map(|_| {
                    let code = Code {
                        client_id,
                        user_id,
                        scope,
                        redirect_uri,
                        challenge: &challenge,
                        openid,
                    };
                    code.create(&store)
                })
                .buffer_unordered(IN_FLIGHT)
                .collect()
                .await
        }
        _ => {
            let refresh = kind == "refresh";
            stream::iter(0..count)
                .map(|_| grant(&store, client_id, user_id, scope, refresh))
                .buffer_unordered(IN_FLIGHT)
                .collect()
                .await
        }
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    for token in made {
        writeln!(out, "{}", token?)?;
    }
    out.flush()?;
    Ok(())
}

async fn grant(
    store: &SharedStore,
    client_id: &str,
    user_id: i64,
    scope: &str,
    refresh: bool,
) -> anyhow::Result<String> {
    let settings = Settings {
        issuer: String::new(),
        // Long enough to outlast any run.
        access_token_ttl: 24 * 3600,
        refresh_token_ttl: 24 * 3600,
        code_ttl: 3600,
        self_registered_client_credentials_scopes: Vec::new(),
        id_token_ttl: 3600,
        jwt_access_token_ttl: 300,
    };
    let now = portcullis::time::now();
    let minted = tokens::mint(
        &settings,
        now,
        scope,
        Refresh::WithScope(scope),
        Access::opaque(),
    )?;
    let grant = tokens::new_grant(client_id, Some(user_id), now);
    store.issue_grant(&grant, &minted.rows).await?;
    let response = minted.response;
    Ok(if refresh {
        response.refresh_token.context("no refresh token")?
    } else {
        response.access_token
    })
}

/// One code to mint, as the consent page would create it.
struct Code<'a> {
    client_id: &'a str,
    user_id: i64,
    scope: &'a str,
    redirect_uri: &'a str,
    challenge: &'a str,
    /// With the OpenID Connect context of an `openid` request.
    openid: bool,
}

impl Code<'_> {
    async fn create(self, store: &SharedStore) -> anyhow::Result<String> {
        let code = crypto::new_token();
        let now = portcullis::time::now();
        // What src/oauth/authorize/decision.rs records for an `openid`
        // request: the session's sign-in (here, now), by password, and the
        // request's nonce (a fresh one per code, as clients send them).
        let oidc = self.openid.then(|| GrantContext {
            auth_time: now,
            amr: vec![AuthenticationMethod::Password],
            nonce: Some(crypto::new_token()),
            claims: None,
        });
        store
            .create_code(&NewCode {
                key: crypto::token_key(&code),
                client_id: self.client_id.to_owned(),
                user_id: self.user_id,
                redirect_uri: self.redirect_uri.to_owned(),
                redirect_uri_given: true,
                scope: self.scope.to_owned(),
                code_challenge: Some(self.challenge.to_owned()),
                expires_at: now + 3600,
                oidc,
                resources: Vec::new(),
            })
            .await?;
        Ok(code)
    }
}

fn fill(args: &[String]) -> anyhow::Result<()> {
    let [file, count, sample] = args else {
        bail!("usage: fixtures fill SQLITE_FILE COUNT SAMPLE");
    };
    let (count, sample): (u64, u64) = (count.parse()?, sample.parse()?);
    let every = (count / sample.max(1)).max(1);
    let mut conn = rusqlite::Connection::open(file)?;
    // A bulk load, not the server's durable path: one transaction, no fsync.
    conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF;")?;
    let now = portcullis::time::now();
    let tx = conn.transaction()?;
    {
        let mut grant = tx.prepare(
            "INSERT INTO grants (client_id, user_id, created_at) VALUES ('bulk-client', 1, ?)",
        )?;
        let mut token = tx.prepare(
            "INSERT INTO tokens (hash, kind, grant_id, scope, issued_at, expires_at)
             VALUES (?, 0, ?, 'profile', ?, ?)",
        )?;
        let mut out = BufWriter::new(std::io::stdout().lock());
        for index in 0..count {
            grant.execute([now])?;
            let grant_id = tx.last_insert_rowid();
            let access_token = crypto::new_token();
            let key = crypto::token_key(&access_token);
            token.execute(rusqlite::params![
                &key.0[..],
                grant_id,
                now,
                now + 30 * 86400
            ])?;
            if index % every == 0 {
                writeln!(out, "{access_token}")?;
            }
        }
        out.flush()?;
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA journal_mode = WAL;")?;
    Ok(())
}
