//! The end-to-end browser test: Debian's Chromium, driven by Playwright
//! (tests/e2e/*.mjs), against a server booted here: the OAuth code flow
//! (flow.mjs), and OpenID Connect with npm openid-client as the relying
//! party (oidc.mjs). Saves screenshots of the pages. Skipped with a notice where Chromium or the npm
//! package is missing, unless PORTCULLIS_REQUIRE_BROWSER is set (.ci/run
//! installs both and sets it).

#[path = "api/common/mod.rs"]
mod common;

use common::{Backend, TestServer};
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_registers_a_client_and_runs_the_code_flow() {
    run("flow.mjs").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relying_party_signs_the_user_in_and_out_with_openid_connect() {
    run("oidc.mjs").await;
}

/// Runs a script of tests/e2e against a server booted here.
async fn run(script: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    let ready = Path::new("/usr/bin/chromium").exists()
        && e2e.join("node_modules/playwright-core").exists();
    if !ready {
        assert!(
            std::env::var("PORTCULLIS_REQUIRE_BROWSER").is_err(),
            "PORTCULLIS_REQUIRE_BROWSER is set but Chromium or playwright-core is missing"
        );
        eprintln!("NOTICE: browser test skipped: install chromium and run npm ci in tests/e2e");
        return;
    }
    let server = TestServer::start(Backend::Sqlite).await;
    // PORTCULLIS_SCREENSHOTS=docs/screenshots refreshes the README's images.
    let shots = match std::env::var("PORTCULLIS_SCREENSHOTS") {
        Ok(dir) => root.join(dir),
        Err(_) => root.join("target/screenshots"),
    };
    std::fs::create_dir_all(&shots).unwrap();
    let output = tokio::process::Command::new("node")
        .arg(e2e.join(script))
        .arg(&server.base)
        .arg(&shots)
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
