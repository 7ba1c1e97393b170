//! Secrets never reach the logs nor the audit events: every flow runs with
//! tracing at trace level for every crate, written both as text and as JSON
//! (`--log-format json`) by the server's own formatting layers, and no
//! password, client secret, token or code may appear in what was logged or
//! in the audit events the flows recorded. A binary of its own, since the
//! subscriber is global.

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

/// What was logged as text, and as JSON lines.
fn captured_logs() -> (Captured, Captured) {
    static LOGS: OnceLock<(Captured, Captured)> = OnceLock::new();
    LOGS.get_or_init(|| {
        use portcullis::cli::logging::layer;
        use portcullis::config::LogFormat;
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let (text, json) = (Captured::default(), Captured::default());
        let (to_text, to_json) = (text.clone(), json.clone());
        tracing_subscriber::registry()
            .with(vec![
                layer(LogFormat::Text, move || to_text.clone()),
                layer(LogFormat::Json, move || to_json.clone()),
            ])
            .with(tracing_subscriber::EnvFilter::new("trace"))
            .init();
        (text, json)
    })
    .clone()
}

/// Every audit event the flows recorded, as text, once the recorder has
/// written the last one (the revocation).
async fn audit_events(database_url: &str) -> String {
    let store = portcullis::store::open(database_url, 1).await.unwrap();
    let query = portcullis::store::AuditQuery {
        since: 0,
        kind: None,
        after: 0,
        limit: 10_000,
    };
    for _ in 0..100 {
        let events = store.audit_events(&query).await.unwrap();
        let revoked = portcullis::audit::AuditKind::TokensRevoked;
        if events.iter().any(|e| e.record.kind == revoked) {
            return format!("{events:?}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the audit events were not recorded");
}

async fn run_every_flow(backend: Backend) -> (Vec<String>, String) {
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
    let events = audit_events(server.database_url()).await;
    (secrets, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_logs_or_audit_events() {
    let (text_logs, json_logs) = captured_logs();
    let (mut secrets, mut events) = run_every_flow(Backend::Sqlite).await;
    if let Some(postgres) = Backend::postgres() {
        let (more, recorded) = run_every_flow(postgres).await;
        secrets.extend(more);
        events.push_str(&recorded);
    }
    let text = String::from_utf8_lossy(&text_logs.0.lock().unwrap()).to_string();
    let json = String::from_utf8_lossy(&json_logs.0.lock().unwrap()).to_string();
    // The captures work: requests were logged, with their request id.
    assert!(text.contains("/oauth/token"), "nothing was logged as text");
    let line = json
        .lines()
        .find(|line| line.contains("\"route\":\"/oauth/token\""))
        .expect("a JSON line for a token request");
    let line: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
    assert!(line.to_string().contains("request_id"), "{line}");
    assert!(
        events.contains("SignIn"),
        "the audit events were read: {events}"
    );
    for (what, written) in [
        ("text logs", &text),
        ("JSON logs", &json),
        ("audit", &events),
    ] {
        for secret in secrets.iter().filter(|s| s.len() >= 8) {
            assert!(
                !written.contains(secret.as_str()),
                "a secret in the {what}: {secret}"
            );
        }
        // Short demo secrets: look for them as parameter values.
        for pattern in ["password=pass", "\"pass\"", "mike_secret"] {
            assert!(!written.contains(pattern), "{pattern} in the {what}");
        }
    }
}
