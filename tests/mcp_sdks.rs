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
//! Each SDK also runs the chain against examples/mcp_resource_server.rs,
//! the example resource server on an origin of its own, whose tokens are
//! checked by introspection and must carry its audience: the chain an MCP
//! client runs against an MCP server that Portcullis protects.
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
#[path = "../examples/mcp_resource_server.rs"]
#[allow(dead_code)]
mod example;

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

/// What the SDK is pointed at.
#[derive(Clone, Copy)]
enum Resource {
    /// The example API, `<issuer>/api`.
    ExampleApi,
    /// examples/mcp_resource_server.rs, at `http://127.0.0.1:PORT/mcp`.
    ExampleServer,
}

/// Serves examples/mcp_resource_server.rs with the resource server
/// credentials `id` and `secret`, registered at `server` as a resource
/// with the scope `profile` (what `portcullis resource add` does); returns
/// its resource identifier.
async fn serve_example(server: &TestServer, id: &str, secret: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let resource = format!("http://{}/mcp", listener.local_addr().unwrap());
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .expect("open the store");
    let registered = portcullis::store::Resource {
        identifier: resource.clone(),
        scope: "profile".into(),
        created_at: portcullis::time::now(),
    };
    store.put_resource(&registered).await.expect("a resource");
    let settings = example::Settings::discover(&server.base, &resource, id, secret)
        .await
        .expect("the example finds the introspection endpoint");
    let router = example::router(settings).expect("the example's router");
    tokio::spawn(async move { axum::serve(listener, router).await });
    resource
}

/// Starts a demo server (open registration, the example API registered as
/// a resource with scope `profile`), makes a resource server client for
/// introspection, and runs `program script BASE ID SECRET [RESOURCE]`,
/// which must succeed.
async fn run_against_portcullis(backend: Backend, program: &Path, script: &Path, target: Resource) {
    let server = TestServer::start_with(backend, |config| {
        config.access_token_ttl = ACCESS_TOKEN_TTL;
    })
    .await;
    let (id, secret) = server.add_resource_server("resource server").await;
    let mut args = vec![server.base.clone(), id.clone(), secret.clone()];
    if let Resource::ExampleServer = target {
        args.push(serve_example(&server, &id, &secret).await);
    }
    let run = tokio::process::Command::new(program)
        .arg(script)
        .args(&args)
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

async fn typescript_sdk(backend: Backend, target: Resource) {
    let interop = root().join("tests/interop");
    let Some(node) = installed(
        PathBuf::from("node"),
        interop.join("node_modules/@modelcontextprotocol/sdk/package.json"),
        "run npm ci --prefix tests/interop",
    ) else {
        return;
    };
    run_against_portcullis(backend, &node, &interop.join("mcp_sdk.mjs"), target).await;
}

async fn python_sdk(backend: Backend, target: Resource) {
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
    run_against_portcullis(backend, &python, &script, target).await;
}

async fn typescript_sdk_auth_runs_the_whole_chain(backend: Backend) {
    typescript_sdk(backend, Resource::ExampleApi).await
}

async fn typescript_sdk_reaches_the_example_resource_server(backend: Backend) {
    typescript_sdk(backend, Resource::ExampleServer).await
}

async fn python_sdk_oauth_client_provider_runs_the_whole_chain(backend: Backend) {
    python_sdk(backend, Resource::ExampleApi).await
}

async fn python_sdk_reaches_the_example_resource_server(backend: Backend) {
    python_sdk(backend, Resource::ExampleServer).await
}

backend_tests!(
    typescript_sdk_auth_runs_the_whole_chain,
    typescript_sdk_reaches_the_example_resource_server,
    python_sdk_oauth_client_provider_runs_the_whole_chain,
    python_sdk_reaches_the_example_resource_server,
);
