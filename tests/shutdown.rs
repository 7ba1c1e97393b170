//! Graceful shutdown under load: SIGTERM while many clients are asking for
//! tokens. Every request gets a complete answer or is refused (or reset)
//! before any byte of an answer; the process exits 0; and every token that
//! was acknowledged, and every audit event of an answered request, is in
//! the database when the server starts again on it. A binary of its own:
//! a real process, and a load that should not share the machine with
//! other tests' timing.

#[path = "api/common/mod.rs"]
#[macro_use]
mod common;

use common::process::{portcullis, Node};
use common::*;
use futures::StreamExt;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Outcomes {
    tokens: Vec<String>,
    signed_in: usize,
    refused: usize,
}

/// One request's outcome: a token (or a sign-in), a refusal before any
/// byte, or a panic for an answer cut short.
async fn ask(request: reqwest::RequestBuilder, outcomes: &Mutex<Outcomes>, password: bool) -> bool {
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(error) => {
            // Refused, or closed before an answer began: nothing was said.
            assert!(
                error.is_connect() || error.is_request(),
                "a request failed otherwise: {error:?}"
            );
            outcomes.lock().unwrap().refused += 1;
            return false;
        }
    };
    let status = answer.status();
    let body: Value = answer
        .json()
        .await
        .unwrap_or_else(|error| panic!("an answer ({status}) was cut short: {error}"));
    if status == 200 {
        let mut outcomes = outcomes.lock().unwrap();
        outcomes
            .tokens
            .push(body["access_token"].as_str().unwrap().to_owned());
        if password {
            outcomes.signed_in += 1;
        }
    } else {
        assert_eq!(status, 503, "an answer other than a token or a 503: {body}");
    }
    true
}

/// Whether `token` is active, asking as each of `clients` (a client
/// learns only about its own tokens).
async fn active(http: &reqwest::Client, url: &str, clients: &[(&str, &str)], token: &str) -> bool {
    for (client, secret) in clients {
        let info: Value = http
            .post(url)
            .basic_auth(client, Some(secret))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if info["active"] == true {
            return true;
        }
    }
    false
}

async fn sigterm_finishes_what_it_answers_and_loses_nothing(backend: Backend) {
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
    let client: Value = serde_json::from_slice(&added.stdout).unwrap();
    let (id, secret) = (
        str_field(&client, "client_id").to_owned(),
        str_field(&client, "client_secret").to_owned(),
    );
    let port = process::free_port();
    // No lock-out: the slow requests below are wrong passwords.
    let mut server = Node::start_on_port(
        &url,
        port,
        &["--shutdown-timeout", "10", "--rate-limit-failures", "0"],
    )
    .await;
    let base = server.base.clone();
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let until = Instant::now() + Duration::from_secs(4);
    let mut clients = Vec::new();
    for n in 0..24 {
        let (base, id, secret, outcomes) =
            (base.clone(), id.clone(), secret.clone(), outcomes.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            // A few clients sign in by password: their audit events must
            // survive the shutdown too.
            let password = n % 8 == 0;
            while Instant::now() < until {
                let request = if password {
                    http.post(format!("{base}/oauth/token"))
                        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                        .form(&[
                            ("grant_type", "password"),
                            ("username", "mike"),
                            ("password", "pass"),
                        ])
                } else {
                    http.post(format!("{base}/oauth/token"))
                        .basic_auth(&id, Some(&secret))
                        .form(&[("grant_type", "client_credentials")])
                };
                if !ask(request, &outcomes, password).await {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = outcomes.lock().unwrap().tokens.len();
    assert!(before > 50, "the load is running ({before} tokens)");
    // Slow requests in flight at SIGTERM (each its own Argon2 work, on a
    // connection of its own) must still be answered in full.
    let slow: Vec<_> = (0..16)
        .map(|n| {
            let request = reqwest::Client::new()
                .post(format!("{base}/oauth/token"))
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .form(&[
                    ("grant_type", "password"),
                    ("username", "mike"),
                    ("password", &format!("wrong-{n}")),
                ]);
            tokio::spawn(async move {
                let answer = request.send().await.expect("an answer, not a reset");
                let status = answer.status();
                let body: Value = answer.json().await.expect("a whole answer");
                (status, body)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // SAFETY: kill(2) on the pid of our own child process.
    assert_eq!(
        unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) },
        0
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "SIGTERM exits 0, not {status}");
    for request in slow {
        let (status, body) = request.await.unwrap();
        assert!(status == 400 || status == 503, "{status} {body}");
    }
    for client in clients {
        client.await.unwrap();
    }
    let outcomes = Arc::try_unwrap(outcomes)
        .ok()
        .unwrap()
        .into_inner()
        .unwrap();
    assert!(outcomes.refused > 0, "requests after SIGTERM were refused");

    let restarted = Node::start_on_port(&url, port, &[]).await;
    let http = reqwest::Client::new();
    let introspection = restarted.url("/oauth/introspect");
    let clients = [(CLIENT_ID, CLIENT_SECRET), (id.as_str(), secret.as_str())];
    let active: Vec<bool> = futures::stream::iter(&outcomes.tokens)
        .map(|token| active(&http, &introspection, &clients, token))
        .buffer_unordered(16)
        .collect()
        .await;
    let lost = active.iter().filter(|active| !**active).count();
    assert_eq!(
        lost,
        0,
        "{lost} of {} acknowledged tokens were lost",
        active.len()
    );
    let store = portcullis::store::open(&url, 1).await.unwrap();
    let query = portcullis::store::AuditQuery {
        since: 0,
        kind: Some(portcullis::audit::AuditKind::SignIn),
        after: 0,
        limit: 100_000,
    };
    let recorded = store.audit_events(&query).await.unwrap().len();
    assert!(
        recorded >= outcomes.signed_in,
        "{recorded} sign-in events for {} answered sign-ins",
        outcomes.signed_in
    );
    drop(restarted);
    drop(database);
}

backend_tests! {
    sigterm_finishes_what_it_answers_and_loses_nothing,
}
