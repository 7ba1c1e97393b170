//! The official MCP client SDKs, unmodified, against a real Portcullis on
//! SQLite and PostgreSQL: the TypeScript SDK's `auth()` helper
//! (tests/interop/mcp_sdk.mjs) and the Python SDK's `OAuthClientProvider`
//! (tests/interop/python/mcp_sdk.py), each given only the example
//! resource's URL `<issuer>/api`, run the chain an MCP client runs with no
//! per-client setup: 401 → protected resource metadata (RFC 9728) →
//! authorization server metadata (RFC 8414) → registration (RFC 7591) →
//! authorization code with PKCE and `resource` (RFC 8707), the user signing
//! in and consenting on Portcullis's pages → token → the protected call →
//! a refresh when the access token expires, with rotation observed.
//!
//! The access tokens live a few seconds here, so that each SDK refreshes
//! on its own (the TypeScript one on the 401 of an expired token, the
//! Python one before sending a request with one). The scripts read each
//! token's audience by introspection with a resource server's credentials.
//!
//! Skipped with a notice where the SDKs are not installed (`npm ci
//! --prefix tests/interop`; the virtualenv target/mcp-venv from
//! tests/interop/python/requirements.txt), unless PORTCULLIS_REQUIRE_INTEROP
//! is set (.ci/run installs both and sets it).

#[path = "api/common/mod.rs"]
#[macro_use]
mod common;

use common::{Backend, TestServer};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Long enough for a flow to use its token, short enough to wait out.
const ACCESS_TOKEN_TTL: i64 = 3;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `program` if `installed` exists; `None` (with a notice) otherwise,
/// unless CI made the interop tests mandatory.
fn installed(program: PathBuf, installed: PathBuf, how: &str) -> Option<PathBuf> {
    if installed.exists() {
        return Some(program);
    }
    assert!(
        std::env::var("PORTCULLIS_REQUIRE_INTEROP").is_err(),
        "PORTCULLIS_REQUIRE_INTEROP is set but {} is missing: {how}",
        installed.display()
    );
    eprintln!("NOTICE: MCP SDK test skipped: {how}");
    None
}

/// Starts a demo server (open registration, the example API registered as
/// a resource with scope `profile`), makes a resource server client for
/// introspection, and runs `program script BASE ID SECRET`, which must
/// succeed.
async fn run_against_portcullis(backend: Backend, program: &Path, script: &Path) {
    let server = TestServer::start_with(backend, |config| {
        config.access_token_ttl = ACCESS_TOKEN_TTL;
    })
    .await;
    let (id, secret) = server.add_resource_server("example API").await;
    let run = tokio::process::Command::new(program)
        .arg(script)
        .args([&server.base, &id, &secret])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the SDK finishes within two minutes")
        .expect("the interpreter runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).to_string();
    assert!(
        output.status.success(),
        "{} failed\nstdout: {}\nstderr: {}",
        script.display(),
        text(&output.stdout),
        text(&output.stderr)
    );
    eprintln!("{}", text(&output.stdout).trim());
}

async fn typescript_sdk_auth_runs_the_whole_chain(backend: Backend) {
    let interop = root().join("tests/interop");
    let Some(node) = installed(
        PathBuf::from("node"),
        interop.join("node_modules/@modelcontextprotocol/sdk/package.json"),
        "run npm ci --prefix tests/interop",
    ) else {
        return;
    };
    run_against_portcullis(backend, &node, &interop.join("mcp_sdk.mjs")).await;
}

async fn python_sdk_oauth_client_provider_runs_the_whole_chain(backend: Backend) {
    let python = root().join("target/mcp-venv/bin/python");
    let Some(python) = installed(
        python.clone(),
        python,
        "python3 -m venv target/mcp-venv && target/mcp-venv/bin/pip install \
         -r tests/interop/python/requirements.txt",
    ) else {
        return;
    };
    let script = root().join("tests/interop/python/mcp_sdk.py");
    run_against_portcullis(backend, &python, &script).await;
}

backend_tests!(
    typescript_sdk_auth_runs_the_whole_chain,
    python_sdk_oauth_client_provider_runs_the_whole_chain,
);
