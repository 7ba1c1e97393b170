//! Brute-force limits (SPEC §7): failures are counted per username, client
//! and address; over the limit the answer is 429 with Retry-After, before
//! any credential is checked; nobody else is delayed.

use crate::common::*;
use serde_json::Value;

fn limits(config: &mut portcullis::config::Config) {
    config.rate_limit_failures = 3;
    config.rate_limit_address_failures = 6;
    config.rate_limit_window = 60;
    config.trust_forwarded_for = true;
}

async fn password_grant_from(
    server: &TestServer,
    address: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header("X-Forwarded-For", address)
        .form(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

async fn assert_throttled(response: reqwest::Response, window: u64) {
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=window).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string() && body["error_description"].is_string());
}

async fn wrong_passwords_lock_the_username_even_for_the_right_one(backend: Backend) {
    let server = TestServer::start_with(backend, limits).await;
    for _ in 0..3 {
        let r = password_grant_from(&server, "198.51.100.1", "mike", "guess").await;
        assert_eq!(r.status(), 400);
    }
    // From another address, with the right password: still refused.
    let r = password_grant_from(&server, "198.51.100.2", "mike", "pass").await;
    assert_throttled(r, 60).await;
}

async fn locked_username_does_not_delay_other_users(backend: Backend) {
    let server = TestServer::start_with(backend, limits).await;
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .unwrap();
    let hash = portcullis::crypto::hash_password("alice-pw".into())
        .await
        .unwrap();
    store.create_user("alice", &hash).await.unwrap();
    for _ in 0..3 {
        password_grant_from(&server, "198.51.100.1", "mike", "guess").await;
    }
    let r = password_grant_from(&server, "198.51.100.1", "alice", "alice-pw").await;
    assert_eq!(r.status(), 200);
}

async fn one_address_guessing_many_usernames_is_locked(backend: Backend) {
    let server = TestServer::start_with(backend, limits).await;
    for i in 0..6 {
        let r = password_grant_from(&server, "203.0.113.9", &format!("user{i}"), "guess").await;
        assert_eq!(r.status(), 400);
    }
    let r = password_grant_from(&server, "203.0.113.9", "mike", "pass").await;
    assert_throttled(r, 60).await;
    // Everyone else is served as before.
    let r = password_grant_from(&server, "203.0.113.10", "mike", "pass").await;
    assert_eq!(r.status(), 200);
}

// SPEC §8: a secret a person chose (the demo's mike_secret, Argon2id) can
// be guessed, so its client id is locked for everyone.
async fn wrong_chosen_client_secrets_lock_the_client_id(backend: Backend) {
    let server = TestServer::start_with(backend, limits).await;
    for _ in 0..3 {
        let r = server
            .http
            .post(server.url("/oauth/introspect"))
            .basic_auth(CLIENT_ID, Some("guess"))
            .form(&[("token", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = server.token(&[("grant_type", "client_credentials")]).await;
    assert_throttled(r, 60).await;
}

async fn limit_lifts_when_the_window_closes(backend: Backend) {
    let server = TestServer::start_with(backend, |c| {
        limits(c);
        c.rate_limit_window = 2;
    })
    .await;
    for _ in 0..3 {
        password_grant_from(&server, "198.51.100.1", "mike", "guess").await;
    }
    let r = password_grant_from(&server, "198.51.100.1", "mike", "pass").await;
    assert_throttled(r, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let r = password_grant_from(&server, "198.51.100.1", "mike", "pass").await;
    assert_eq!(r.status(), 200);
}

async fn limits_can_be_turned_off(backend: Backend) {
    let server = TestServer::start_with(backend, |c| {
        limits(c);
        c.rate_limit_failures = 0;
    })
    .await;
    for _ in 0..5 {
        password_grant_from(&server, "198.51.100.1", "mike", "guess").await;
    }
    let r = password_grant_from(&server, "198.51.100.1", "mike", "pass").await;
    assert_eq!(r.status(), 200);
}

async fn client_credentials_from(
    server: &TestServer,
    address: &str,
    id: &str,
    secret: &str,
) -> reqwest::Response {
    server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .header("X-Forwarded-For", address)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

// SPEC §8: a server-generated secret cannot be guessed, so wrong ones count
// per (client, address): an outsider locks out nobody but themselves, and
// the client keeps working from everywhere.
async fn generated_secret_failures_lock_out_only_the_guessing_address(backend: Backend) {
    let server = TestServer::start_with(backend, limits).await;
    let (id, secret) = server
        .add_client(portcullis::oauth::registration::ClientMetadata {
            client_name: "api".into(),
            grant_types: vec!["client_credentials".into()],
            scope: "profile".into(),
            ..Default::default()
        })
        .await;
    let secret = secret.unwrap();
    for _ in 0..3 {
        let r = client_credentials_from(&server, "198.51.100.7", &id, "guess").await;
        assert_eq!(r.status(), 401);
    }
    let r = client_credentials_from(&server, "198.51.100.7", &id, "guess").await;
    assert_throttled(r, 60).await;
    let r = client_credentials_from(&server, "198.51.100.8", &id, &secret).await;
    assert_eq!(r.status(), 200, "another address is not locked out");
    let r = client_credentials_from(&server, "198.51.100.8", &id, "typo").await;
    assert_eq!(r.status(), 401, "nor counted against");
    let r = client_credentials_from(&server, "198.51.100.7", &id, &secret).await;
    assert_eq!(
        r.status(),
        200,
        "the right secret works even from the guesser"
    );
}

// SPEC §7: an attempt is counted before it is verified, atomically, so
// concurrent guesses cannot all slip past the limit: of 12 wrong passwords
// at once, at most the limit (3) are even checked.
async fn concurrent_guesses_are_counted_before_they_are_checked(backend: Backend) {
    let server = TestServer::start_with(backend, limits).await;
    let guesses =
        (0..12).map(|i| {
            let server = &server;
            async move {
                password_grant_from(server, "198.51.100.1", "mike", &format!("guess{i}")).await
            }
        });
    let answers = futures::future::join_all(guesses).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 400).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(checked <= 3, "{statuses:?}");
    assert_eq!(checked + throttled, 12, "{statuses:?}");
}

backend_tests! {
    wrong_passwords_lock_the_username_even_for_the_right_one,
    locked_username_does_not_delay_other_users,
    one_address_guessing_many_usernames_is_locked,
    wrong_chosen_client_secrets_lock_the_client_id,
    generated_secret_failures_lock_out_only_the_guessing_address,
    concurrent_guesses_are_counted_before_they_are_checked,
    limit_lifts_when_the_window_closes,
    limits_can_be_turned_off,
}

// SPEC §7: the sign-in page shares the password grant's limits and answers
// an HTML page with 429 and Retry-After.
async fn failed_page_sign_ins_are_limited_too(backend: Backend) {
    let server = TestServer::start_with(backend, limits).await;
    let browser = crate::common::browser::Browser::new(&server);
    for _ in 0..3 {
        let page = browser.sign_in("mike", "guess").await;
        assert_eq!(page.status(), 200);
    }
    let page = browser.sign_in("mike", "pass").await;
    assert_eq!(page.status(), 429);
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    // And the password grant sees the same count.
    let r = password_grant_from(&server, "198.51.100.3", "mike", "pass").await;
    assert_throttled(r, 60).await;
}

mod pages {
    use super::*;
    backend_tests! { failed_page_sign_ins_are_limited_too }
}
