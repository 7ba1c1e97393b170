//! Secrets never reach the logs: every flow runs with tracing at debug for
//! every crate, and no password, client secret, token or code may appear in
//! what was logged. A binary of its own, since the subscriber is global.

#[path = "api/common/mod.rs"]
#[macro_use]
mod common;

use common::*;
use portcullis::oauth::registration::ClientMetadata;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured_logs() -> Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        logs
    })
    .clone()
}

async fn run_every_flow(backend: Backend) -> Vec<String> {
    let server = TestServer::start_with(backend, |c| c.rate_limit_failures = 3).await;
    let mut secrets = vec![CLIENT_SECRET.to_owned(), "pass".to_owned()];
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .unwrap();
    let password = "correct-horse-battery-staple".to_owned();
    let hash = portcullis::crypto::hash_password(password.clone())
        .await
        .unwrap();
    store.create_user("carol", &hash).await.unwrap();
    secrets.push(password.clone());
    let (client_id, client_secret) = server
        .add_client(ClientMetadata {
            client_name: "logged".into(),
            grant_types: vec!["client_credentials".into()],
            ..Default::default()
        })
        .await;
    let client_secret = client_secret.unwrap();
    secrets.push(client_secret.clone());

    let machine: serde_json::Value = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.push(str_field(&machine, "access_token").to_owned());

    let user: serde_json::Value = server
        .token(&[
            ("grant_type", "password"),
            ("username", "carol"),
            ("password", &password),
        ])
        .await
        .json()
        .await
        .unwrap();
    let refreshed: serde_json::Value = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&user, "refresh_token")),
        ])
        .await
        .json()
        .await
        .unwrap();
    for body in [&user, &refreshed] {
        for field in ["access_token", "refresh_token"] {
            secrets.push(str_field(body, field).to_owned());
        }
    }
    let access = str_field(&refreshed, "access_token");
    server.me(access).await;
    server.introspect(access).await;
    // A replayed refresh token, failed logins and a throttled one.
    server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&user, "refresh_token")),
        ])
        .await;
    for _ in 0..4 {
        server
            .token(&[
                ("grant_type", "password"),
                ("username", "carol"),
                ("password", "wrong-guess-123"),
            ])
            .await;
    }
    secrets.push("wrong-guess-123".into());
    server
        .post_form(
            "/oauth/revoke",
            &[("token", str_field(&refreshed, "refresh_token"))],
        )
        .await;
    secrets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_debug_logs() {
    let logs = captured_logs();
    let mut secrets = run_every_flow(Backend::Sqlite).await;
    if let Some(postgres) = Backend::postgres() {
        secrets.extend(run_every_flow(postgres).await);
    }
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    // The capture works: requests were logged at debug.
    assert!(text.contains("/oauth/token"), "nothing was logged");
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(
            !text.contains(secret.as_str()),
            "a secret was logged: {secret}"
        );
    }
    // Short demo secrets: look for them as parameter values.
    for pattern in ["password=pass", "\"pass\"", "mike_secret"] {
        assert!(!text.contains(pattern), "{pattern} was logged");
    }
}
