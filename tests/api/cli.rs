//! The operator's command line: users, clients, purge, config refusals,
//! and demo seeding that can run twice.

use crate::common::*;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn portcullis(database_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(["--database-url", database_url])
        .args(args)
        .env_remove("PORTCULLIS_CONFIG")
        .env("PORTCULLIS_KEY_ENCRYPTION_KEY", TEST_KEK)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

async fn user_add_reads_the_password_from_stdin(backend: Backend) {
    let server = TestServer::start(backend).await;
    let url = server.database_url().to_owned();
    let added = json_of(&portcullis(
        &url,
        &["--json", "user", "add", "alice"],
        Some("wonderland\n"),
    ));
    assert_eq!(added["username"], "alice");
    assert!(added.get("password_hash").is_none());
    let listed = json_of(&portcullis(&url, &["--json", "user", "list"], None));
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mike", "alice"]);
    let response = server
        .token(&[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "wonderland"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    // A second user of the same name is refused.
    let again = portcullis(&url, &["user", "add", "alice"], Some("x"));
    assert!(!again.status.success());
}

// OpenID Connect claims (Core §5.1) from flags and JSON, merged on update;
// unknown claims and bad values are refused.
async fn user_claims_are_set_and_updated(backend: Backend) {
    let server = TestServer::start(backend).await;
    let url = server.database_url().to_owned();
    let added = json_of(&portcullis(
        &url,
        &[
            "--json",
            "user",
            "add",
            "alice",
            "--name",
            "Alice",
            "--email",
            "a@example.com",
        ],
        Some("wonderland\n"),
    ));
    assert_eq!(added["claims"]["name"], "Alice");
    let updated = json_of(&portcullis(
        &url,
        &[
            "--json",
            "user",
            "update",
            "alice",
            "--email-verified",
            "true",
            "--claims",
            r#"{"website": "https://alice.example", "name": null}"#,
        ],
        None,
    ));
    let claims = &updated["claims"];
    assert_eq!(claims["email"], "a@example.com", "kept");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["website"], "https://alice.example");
    assert!(claims.get("name").is_none(), "null removes a claim");
    for refused in [
        &[
            "user",
            "update",
            "alice",
            "--claims",
            r#"{"favourite_colour": "red"}"#,
        ][..],
        &["user", "update", "alice", "--email", "not an address"],
        &["user", "update", "nobody", "--name", "N"],
    ] {
        let output = portcullis(&url, refused, None);
        assert!(!output.status.success(), "{refused:?}");
    }
}

async fn client_add_prints_a_secret_that_works_once_shown(backend: Backend) {
    let server = TestServer::start(backend).await;
    let url = server.database_url().to_owned();
    let added = json_of(&portcullis(
        &url,
        &[
            "--json",
            "client",
            "add",
            "--name",
            "bench",
            "--grant-types",
            "client_credentials",
            "--scope",
            "profile email",
        ],
        None,
    ));
    let (id, secret) = (
        str_field(&added, "client_id"),
        str_field(&added, "client_secret"),
    );
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The list never shows a secret again.
    let listed = portcullis(&url, &["--json", "client", "list"], None);
    let text = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(text.contains(id) && !text.contains(secret));

    let removed = portcullis(&url, &["client", "remove", id], None);
    assert!(removed.status.success());
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(!portcullis(&url, &["client", "remove", id], None)
        .status
        .success());
}

async fn client_add_refuses_invalid_metadata(backend: Backend) {
    let database = backend.fresh_database().await;
    let output = portcullis(
        &database.url,
        &[
            "client",
            "add",
            "--name",
            "web",
            "--grant-types",
            "authorization_code",
        ],
        None,
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("redirect_uris"));
}

async fn token_purge_deletes_expired_tokens(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.access_token_ttl = 1).await;
    let url = server.database_url().to_owned();
    server.client_credentials_token().await;
    server.client_credentials_token().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let purged = json_of(&portcullis(&url, &["--json", "token", "purge"], None));
    // Two tokens and their two grants.
    assert_eq!(purged["purged"], 4, "{purged}");
}

// SPEC §1: `--demo` twice on one database neither fails nor duplicates.
// A renamed demo restaurant keeps its oid, so it is not seeded again.
async fn demo_seeding_is_idempotent(backend: Backend) {
    let server = TestServer::start(backend).await;
    let writer = server.password_token(Some("restaurants:write")).await;
    let renamed = server
        .http
        .patch(server.url("/api/restaurants/1"))
        .bearer_auth(str_field(&writer, "access_token"))
        .json(&serde_json::json!({ "name": "Chez Michel" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let database = server.stop().await;
    let server = TestServer::start_on(database, |_| {}).await;
    let url = server.database_url().to_owned();
    let users = json_of(&portcullis(&url, &["--json", "user", "list"], None));
    assert_eq!(users.as_array().unwrap().len(), 1);
    let clients = json_of(&portcullis(&url, &["--json", "client", "list"], None));
    let mut ids: Vec<&str> = clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| str_field(c, "client_id"))
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["admin", "mike_id", "test_client"]);
    let restaurants: Value = server
        .http
        .get(server.url("/api/restaurants"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(restaurants.as_array().unwrap().len(), 3, "{restaurants}");
    assert_eq!(server.password_token(None).await["token_type"], "Bearer");
}

async fn migrate_creates_the_schema(backend: Backend) {
    let database = backend.fresh_database().await;
    let output = json_of(&portcullis(&database.url, &["--json", "migrate"], None));
    assert_eq!(output["migrated"], true);
    let listed = json_of(&portcullis(
        &database.url,
        &["--json", "client", "list"],
        None,
    ));
    assert_eq!(listed, serde_json::json!([]));
}

backend_tests! {
    user_add_reads_the_password_from_stdin,
    user_claims_are_set_and_updated,
    client_add_prints_a_secret_that_works_once_shown,
    client_add_refuses_invalid_metadata,
    token_purge_deletes_expired_tokens,
    demo_seeding_is_idempotent,
    migrate_creates_the_schema,
}

// SPEC §1: an http:// issuer off loopback is refused with a clear message.
#[test]
fn serve_refuses_a_public_http_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let output = portcullis(
        &url,
        &[
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--issuer",
            "http://auth.example.com",
        ],
        None,
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--insecure-http"), "{stderr}");
}

#[test]
fn serve_refuses_an_unknown_config_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("portcullis.toml");
    std::fs::write(&config, "adress = \"127.0.0.1:1\"\n").unwrap();
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let output = portcullis(&url, &["--config", config.to_str().unwrap(), "serve"], None);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid config file"));
}

#[test]
fn version_names_the_commit() {
    let output = portcullis("sqlite://unused.db", &["--version"], None);
    assert!(output.status.success());
    let version = String::from_utf8_lossy(&output.stdout);
    assert!(
        version.starts_with(&format!(
            "portcullis {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{version}"
    );
}
