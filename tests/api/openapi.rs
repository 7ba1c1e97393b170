//! The admin API's OpenAPI document: every route it lists refuses a
//! request without a key or with a wrong one, and schemathesis, fuzzing the
//! API from the document, finds no 5xx and no answer off the schema.

use crate::common::admin::Admin;
use crate::common::process::{portcullis, Node};
use crate::common::*;
use reqwest::Method;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// Every (method, path) of the document, with `{params}` filled in, and
/// whether it asks for the admin key.
fn operations(document: &Value) -> Vec<(Method, String, bool)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let path = path
            .replace("{client_id}", "some-client")
            .replace("{id}", "1");
        for (method, operation) in item.as_object().expect("a path item") {
            let method: Method = method.to_uppercase().parse().expect("a method");
            let keyed = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("admin_key").is_some()));
            found.push((method, path.clone(), keyed));
        }
    }
    found
}

async fn every_admin_route_refuses_a_missing_or_wrong_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Admin::new(&server).await;
    let document = admin.expect(Method::GET, "/openapi.json", None, 200).await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let operations = operations(&document);
    assert!(operations.len() >= 15, "{operations:?}");
    let open: Vec<&str> = operations
        .iter()
        .filter(|(_, _, keyed)| !keyed)
        .map(|(_, path, _)| path.as_str())
        .collect();
    assert_eq!(open, ["/healthz", "/readyz"], "only the probes are open");
    for (method, path, _) in operations.iter().filter(|(_, _, keyed)| *keyed) {
        for key in [
            None,
            Some("pca_wrong"),
            Some(&admin.key[..admin.key.len() - 1]),
        ] {
            let mut request = server.http.request(method.clone(), server.admin_url(path));
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            // A body that would be valid, so only the key can be wrong.
            let answer = request.json(&serde_json::json!({})).send().await.unwrap();
            assert_eq!(answer.status(), 401, "{method} {path} with {key:?}");
        }
    }
}

backend_tests! {
    every_admin_route_refuses_a_missing_or_wrong_key,
}

/// tests/schemathesis/requirements.txt installed in a virtualenv (by
/// .ci/run), or `PORTCULLIS_SCHEMATHESIS` naming the executable.
fn schemathesis() -> Option<PathBuf> {
    let path = std::env::var_os("PORTCULLIS_SCHEMATHESIS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/schemathesis-venv/bin/schemathesis")
        },
        PathBuf::from,
    );
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("PORTCULLIS_REQUIRE_SCHEMATHESIS").is_none(),
        "PORTCULLIS_REQUIRE_SCHEMATHESIS is set but {} is missing",
        path.display()
    );
    eprintln!(
        "NOTICE: schemathesis test skipped: python3 -m venv target/schemathesis-venv && \
         target/schemathesis-venv/bin/pip install -r tests/schemathesis/requirements.txt"
    );
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_off_the_schema() {
    let Some(schemathesis) = schemathesis() else {
        return;
    };
    let database = Backend::Sqlite.fresh_database().await;
    let node = Node::start(&database.url, &[]).await;
    let created = portcullis(
        &database.url,
        &["--json", "admin-key", "create", "--name", "fuzz"],
    )
    .output()
    .expect("admin-key create");
    let key: Value = serde_json::from_slice(&created.stdout).expect("JSON");
    let key = str_field(&key, "key");
    let document = reqwest::Client::new()
        .get(node.admin_url("/openapi.json"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("openapi.json");
    std::fs::write(&schema, document).unwrap();
    let authorization = format!("Authorization: Bearer {key}");
    let output = Command::new(schemathesis)
        .args(["run", schema.to_str().unwrap(), "--url", &node.admin_base])
        .args(["--header", &authorization])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance",
        ])
        .args(["--max-examples", "15", "--seed", "18", "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing", "--no-color"])
        .args(["--generation-database", "none"])
        .current_dir(dir.path())
        .output()
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    drop(node);
}
