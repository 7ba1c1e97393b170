//! Crash safety (SPEC §7): a server killed with SIGKILL while clients are
//! issuing tokens loses no token whose answer was received.

use crate::common::process::{free_port, portcullis, Node};
use crate::common::*;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn sigkill_loses_no_acknowledged_token(backend: Backend) {
    let database = backend.fresh_database().await;
    let url = database.url.clone();
    let added = portcullis(
        &url,
        &[
            "--json",
            "client",
            "add",
            "--name",
            "load",
            "--grant-types",
            "client_credentials",
        ],
    )
    .output()
    .unwrap();
    assert!(added.status.success());
    let client: Value = serde_json::from_slice(&added.stdout).unwrap();
    let id = str_field(&client, "client_id").to_owned();
    let secret = str_field(&client, "client_secret").to_owned();

    let port = free_port();
    let mut server = Node::start_on_port(&url, port, &[]).await;
    let base = server.base.clone();
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (base, id, secret, received) =
            (base.clone(), id.clone(), secret.clone(), received.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let until = Instant::now() + Duration::from_secs(10);
            while Instant::now() < until {
                let answer = http
                    .post(format!("{base}/oauth/token"))
                    .basic_auth(&id, Some(&secret))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await;
                let Ok(response) = answer else { break };
                let Ok(body) = response.json::<Value>().await else {
                    break;
                };
                if let Some(token) = body["access_token"].as_str() {
                    received.lock().unwrap().push(token.to_owned());
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    for client in clients {
        client.await.unwrap();
    }
    let tokens = received.lock().unwrap().clone();
    assert!(
        tokens.len() > 50,
        "only {} tokens were issued",
        tokens.len()
    );

    let mut server = Node::start_on_port(&url, port, &[]).await;
    let http = reqwest::Client::new();
    for token in &tokens {
        let info: Value = http
            .post(format!("{base}/oauth/introspect"))
            .basic_auth(&id, Some(&secret))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            info["active"], true,
            "a token acknowledged before the crash was lost"
        );
    }
    server.kill();

    if url.starts_with("sqlite:") {
        let conn = rusqlite::Connection::open(url.trim_start_matches("sqlite://")).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
    drop(database);
}

backend_tests! {
    sigkill_loses_no_acknowledged_token,
}
