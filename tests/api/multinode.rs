//! Several stateless nodes on one database (PostgreSQL): whatever one node
//! does, every other node sees at once.

use crate::common::process::Node;
use crate::common::*;
use serde_json::Value;

async fn post(node: &Node, path: &str, form: &[(&str, &str)]) -> Value {
    reqwest::Client::new()
        .post(node.url(path))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

// Token at A, introspect at B, revoke at C, introspect at A → inactive.
async fn revocation_at_one_node_is_seen_by_all(backend: Backend) {
    let database = backend.fresh_database().await;
    let a = Node::start(&database.url, &[]).await;
    let b = Node::start(&database.url, &[]).await;
    let c = Node::start(&database.url, &[]).await;
    let tokens = post(
        &a,
        "/oauth/token",
        &[
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "pass"),
        ],
    )
    .await;
    let access = str_field(&tokens, "access_token");
    assert_eq!(
        post(&b, "/oauth/introspect", &[("token", access)]).await["active"],
        true
    );
    post(&c, "/oauth/revoke", &[("token", access)]).await;
    assert_eq!(
        post(&a, "/oauth/introspect", &[("token", access)]).await["active"],
        false
    );
    // And the refresh token rotated at B cannot be replayed at C.
    let refresh = str_field(&tokens, "refresh_token");
    let rotated = post(
        &b,
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert!(rotated["access_token"].is_string(), "{rotated}");
    let replay = post(
        &c,
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(replay["error"], "invalid_grant");
    let new_access = str_field(&rotated, "access_token");
    assert_eq!(
        post(&a, "/oauth/introspect", &[("token", new_access)]).await["active"],
        false
    );
}

// Sign in at A, consent at B, exchange the code at C: the session and the
// code live in the shared database.
async fn browser_flow_can_cross_nodes(backend: Backend) {
    use crate::common::browser::{self, Browser, Page};
    let database = backend.fresh_database().await;
    let a = Node::start(&database.url, &[]).await;
    let b = Node::start(&database.url, &[]).await;
    let c = Node::start(&database.url, &[]).await;
    let mut browser = Browser::at(&a.base);
    let query = browser::code_request("profile", "xyz");
    let login = browser.page(&browser::authorize_path(&query)).await;
    let form = login
        .form("/oauth/authorize")
        .set("username", "mike")
        .set("password", "pass");
    let consent = Page::read(browser.submit(&form).await).await;
    browser.switch_to(&b.base);
    let approved = browser
        .submit(&consent.form("/oauth/authorize").set("confirm", "yes"))
        .await;
    let location = browser::location(&approved);
    let params = browser::query_of(&location);
    assert_eq!(params["state"], "xyz");
    let tokens = post(
        &c,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &params["code"]),
            ("redirect_uri", browser::REDIRECT_URI),
        ],
    )
    .await;
    assert_eq!(tokens["scope"], "profile", "{tokens}");
    let access = str_field(&tokens, "access_token");
    assert_eq!(
        post(&a, "/oauth/introspect", &[("token", access)]).await["username"],
        "mike"
    );
}

/// The `kid`s a node publishes.
async fn published_kids(node: &Node) -> Vec<String> {
    let jwks: Value = reqwest::get(node.url("/oauth/jwks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut kids: Vec<String> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|key| str_field(key, "kid").to_owned())
        .collect();
    kids.sort();
    kids
}

// Signing keys live in the database: a rotation made anywhere (here by the
// operator's command) is published by every node within one refresh
// interval, so a relying party that fetched the JWK Set from any node can
// verify what any node signs.
async fn a_key_rotation_reaches_every_node(backend: Backend) {
    let database = backend.fresh_database().await;
    let often = ["--key-refresh-interval", "1"];
    let a = Node::start(&database.url, &often).await;
    let b = Node::start(&database.url, &often).await;
    let before = published_kids(&a).await;
    assert_eq!(published_kids(&b).await, before, "one set of keys");
    let url = database.url.clone();
    let rotated = tokio::task::spawn_blocking(move || {
        crate::common::process::portcullis(&url, &["keys", "rotate"]).output()
    })
    .await
    .unwrap()
    .expect("portcullis keys rotate runs");
    assert!(rotated.status.success(), "{rotated:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (on_a, on_b) = (published_kids(&a).await, published_kids(&b).await);
        if on_a.len() > before.len() && on_a == on_b {
            assert!(before.iter().all(|kid| on_a.contains(kid)), "old keys stay");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the nodes did not publish the new keys: {on_a:?} {on_b:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

// Multi-node only makes sense on a shared server database.
mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn revocation_at_one_node_is_seen_by_all() {
        if let Some(backend) = crate::common::Backend::postgres() {
            super::revocation_at_one_node_is_seen_by_all(backend).await
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn browser_flow_can_cross_nodes() {
        if let Some(backend) = crate::common::Backend::postgres() {
            super::browser_flow_can_cross_nodes(backend).await
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_key_rotation_reaches_every_node() {
        if let Some(backend) = crate::common::Backend::postgres() {
            super::a_key_rotation_reaches_every_node(backend).await
        }
    }
}
