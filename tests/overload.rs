//! A flood of password grants (SPEC §7, issue 12 item 7): the Argon2 queue
//! is bounded, so the excess is answered 503 with Retry-After at once
//! instead of queueing; memory stays flat and other endpoints are not
//! delayed. A binary of its own, with the server in its own process, so
//! that the flood shares no hashing threads with other tests.

#[path = "api/common/mod.rs"]
#[macro_use]
mod common;

use common::process::{portcullis, Node};
use common::*;
use futures::future::join_all;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Peak resident memory of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

async fn password_flood_is_shed_without_delaying_others(backend: Backend) {
    let database = backend.fresh_database().await;
    let node = Node::start(&database.url, &["--rate-limit-failures", "0"]).await;
    let added = portcullis(
        &database.url,
        &[
            "--json",
            "client",
            "add",
            "--name",
            "api",
            "--grant-types",
            "client_credentials",
        ],
    )
    .stdout(Stdio::piped())
    .output()
    .expect("client add");
    let added: serde_json::Value = serde_json::from_slice(&added.stdout).expect("JSON");
    let (id, secret) = (
        str_field(&added, "client_id"),
        str_field(&added, "client_secret"),
    );
    let http = reqwest::Client::new();

    // Distinct wrong passwords: no two attempts are the same, so each needs
    // its own Argon2 work.
    let flood = join_all((0..400).map(|i| {
        http.post(node.url("/oauth/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "password"),
                ("username", "mike"),
                ("password", &format!("guess-{i}")),
            ])
            .send()
    }));
    let others = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let health = http
            .get(node.url("/healthz"))
            .send()
            .await
            .expect("healthz");
        let token = http
            .post(node.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("client_credentials");
        (health.status(), token.status(), started.elapsed())
    };
    let (answers, (health, token, waited)) = tokio::join!(flood, others);
    assert_eq!(health, 200);
    assert_eq!(token, 200);
    assert!(
        waited < Duration::from_secs(2),
        "other requests waited {waited:?}"
    );

    let mut shed = 0;
    for answer in answers {
        let answer = answer.expect("an answer");
        match answer.status().as_u16() {
            400 => {}
            503 => {
                assert_eq!(answer.headers()["retry-after"], "1");
                let body: serde_json::Value = answer.json().await.expect("JSON");
                assert_eq!(body["error"], "temporarily_unavailable");
                shed += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(shed > 0, "a flood beyond the queue is shed");
    let peak = peak_rss_kib(node.child.id());
    assert!(peak < 160 * 1024, "peak RSS {peak} KiB");
}

backend_tests! {
    password_flood_is_shed_without_delaying_others,
}
