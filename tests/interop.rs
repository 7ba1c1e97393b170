//! Interoperability with a real third-party client: openid-client (npm, v6)
//! registers itself (RFC 7591), discovers the OpenID Provider, runs the
//! code flow with PKCE through our login and consent pages (ID token and
//! UserInfo checked by the library), refreshes, and reads and deletes its
//! registration (RFC 7592), in tests/interop/dynamic_registration.mjs, on
//! SQLite and PostgreSQL.
//! Skipped with a notice where `npm ci --prefix tests/interop` has not run,
//! unless PORTCULLIS_REQUIRE_INTEROP is set (.ci/run runs it and sets it).

#[path = "api/common/mod.rs"]
#[macro_use]
mod common;

use common::{Backend, TestServer};
use std::path::Path;

backend_tests!(openid_client_registers_itself_and_runs_the_code_flow);

async fn openid_client_registers_itself_and_runs_the_code_flow(backend: Backend) {
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    if !interop.join("node_modules/openid-client").exists() {
        assert!(
            std::env::var("PORTCULLIS_REQUIRE_INTEROP").is_err(),
            "PORTCULLIS_REQUIRE_INTEROP is set but tests/interop/node_modules is missing"
        );
        eprintln!("NOTICE: interop test skipped: run npm ci --prefix tests/interop");
        return;
    }
    // serve --demo opens registration.
    let server = TestServer::start(backend).await;
    let output = tokio::process::Command::new("node")
        .arg(interop.join("dynamic_registration.mjs"))
        .arg(&server.base)
        .output()
        .await
        .expect("node runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).to_string();
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
}
