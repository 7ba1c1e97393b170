//! An unknown username costs the same Argon2id work as a wrong password, so
//! answer times do not reveal which usernames exist.

use crate::common::*;
use std::time::{Duration, Instant};

/// The median time of a wrong password for `username`, sent by a client
/// whose generated secret costs no Argon2 work, so that the user's password
/// is the only hash on either side.
async fn median_time(server: &TestServer, client: &(String, String), username: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        let response = server
            .http
            .post(server.url("/oauth/token"))
            .basic_auth(&client.0, Some(&client.1))
            .form(&[
                ("grant_type", "password"),
                ("username", username),
                ("password", "wrong"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        times.push(started.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

async fn unknown_username_costs_as_much_as_a_wrong_password(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.rate_limit_failures = 0).await;
    let (id, secret) = server
        .add_client(portcullis::oauth::registration::ClientMetadata {
            client_name: "app".into(),
            grant_types: vec!["password".into()],
            ..Default::default()
        })
        .await;
    let client = (id, secret.expect("a generated secret"));
    let known = median_time(&server, &client, "mike").await;
    let unknown = median_time(&server, &client, "nobody-by-this-name").await;
    // Without the dummy hash the unknown name would answer ~100x faster;
    // the bounds are wide so that a noisy machine cannot fail the test.
    let ratio = unknown.as_secs_f64() / known.as_secs_f64();
    assert!(ratio > 0.5, "unknown {unknown:?} vs known {known:?}");
}

backend_tests! {
    unknown_username_costs_as_much_as_a_wrong_password,
}
