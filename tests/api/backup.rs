//! `portcullis backup` under write load: the copy passes SQLite's
//! integrity check and holds every token acknowledged before the backup
//! began. PostgreSQL is refused with a pointer to pg_dump.

use crate::common::process::{portcullis, Node};
use crate::common::*;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

async fn a_backup_under_load_is_whole_and_holds_every_acknowledged_token(backend: Backend) {
    let database = backend.fresh_database().await;
    let url = database.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    if !url.starts_with("sqlite:") {
        let refused = portcullis(&url, &["backup", copy.to_str().unwrap()])
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));
        return;
    }
    let node = Node::start(&url, &[]).await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let mut load = Vec::new();
    for _ in 0..8 {
        let (token_url, acknowledged, running) = (
            node.url("/oauth/token"),
            acknowledged.clone(),
            running.clone(),
        );
        load.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            while running.load(Ordering::Relaxed) {
                let answer: Value = http
                    .post(&token_url)
                    .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                acknowledged
                    .lock()
                    .unwrap()
                    .push(answer["access_token"].as_str().unwrap().to_owned());
            }
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    let backup = portcullis(&url, &["--json", "backup", copy.to_str().unwrap()])
        .output()
        .unwrap();
    running.store(false, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    assert!(backup.status.success());
    let answer: Value = serde_json::from_slice(&backup.stdout).unwrap();
    assert!(answer["pages"].as_i64().unwrap() > 0);
    let during = acknowledged.lock().unwrap().len() - before.len();
    assert!(
        before.len() > 20 && during > 0,
        "the load ran: {} then {during}",
        before.len()
    );
    let conn = rusqlite::Connection::open(&copy).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mut find = conn
        .prepare("SELECT count(*) FROM tokens WHERE hash = ?")
        .unwrap();
    for token in &before {
        let key = portcullis::crypto::token_key(token);
        let found: i64 = find.query_row([&key.0[..]], |row| row.get(0)).unwrap();
        assert_eq!(
            found, 1,
            "a token acknowledged before the backup is missing"
        );
    }
    // A second backup to the same file is refused rather than overwriting.
    let again = portcullis(&url, &["backup", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success());
    drop(node);
}

backend_tests! {
    a_backup_under_load_is_whole_and_holds_every_acknowledged_token,
}
