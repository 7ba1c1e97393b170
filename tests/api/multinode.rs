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

/// Runs the CLI on the shared database; its JSON answer.
async fn cli(database_url: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let (url, all): (String, Vec<String>) = (
        database_url.into(),
        all.iter().map(|a| a.to_string()).collect(),
    );
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = all.iter().map(String::as_str).collect();
        crate::common::process::portcullis(&url, &args).output()
    })
    .await
    .unwrap()
    .expect("the CLI runs");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// client_credentials at `node`: the status and the answer.
async fn client_credentials(node: &Node, id: &str, secret: &str, scope: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(node.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

// A node keeps the clients of client_credentials in memory (issue 15),
// checked against their row's version in the statement that issues: a
// secret rotated, a scope narrowed or a client deleted through another
// node works no more at this one, from the very next request, and a new
// secret works at once.
async fn a_client_changed_at_one_node_is_never_served_from_memory_at_another(backend: Backend) {
    let database = backend.fresh_database().await;
    let a = Node::start(&database.url, &[]).await;
    let b = Node::start(&database.url, &[]).await;
    let key = cli(&database.url, &["admin-key", "create", "--name", "ops"]).await;
    let key = str_field(&key, "key").to_owned();
    let registered = cli(
        &database.url,
        &[
            "client",
            "add",
            "--name",
            "svc",
            "--grant-types",
            "client_credentials",
            "--scope",
            "profile email",
        ],
    )
    .await;
    let id = str_field(&registered, "client_id").to_owned();
    let old = str_field(&registered, "client_secret").to_owned();
    let admin = |method: reqwest::Method, path: String, body: Value| {
        let request = reqwest::Client::new()
            .request(method, b.admin_url(&path))
            .bearer_auth(&key)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    // A caches the client; twice, so the second is served from memory.
    for _ in 0..2 {
        assert_eq!(client_credentials(&a, &id, &old, "email").await.0, 200);
    }
    let token = client_credentials(&a, &id, &old, "email").await.1;
    let token = str_field(&token, "access_token").to_owned();
    let introspect = |secret: String| {
        let request = reqwest::Client::new()
            .post(a.url("/oauth/introspect"))
            .basic_auth(&id, Some(secret))
            .form(&[("token", token.as_str())]);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(introspect(old.clone()).await, 200);

    // The secret rotated at B, with no overlap.
    let rotated = admin(
        reqwest::Method::POST,
        format!("/admin/clients/{id}/secret"),
        serde_json::json!({ "overlap_seconds": 0 }),
    )
    .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let new = str_field(&rotated, "client_secret").to_owned();
    assert_eq!(introspect(old.clone()).await, 401);
    assert_eq!(introspect(new.clone()).await, 200);
    assert_eq!(introspect(old.clone()).await, 401);
    let (status, answer) = client_credentials(&a, &id, &old, "email").await;
    assert_eq!(
        (status, &answer["error"]),
        (401, &Value::from("invalid_client"))
    );
    assert_eq!(client_credentials(&a, &id, &new, "email").await.0, 200);
    assert_eq!(client_credentials(&a, &id, &new, "email").await.0, 200);

    // Its scope narrowed at B.
    let narrowed = admin(
        reqwest::Method::PUT,
        format!("/admin/clients/{id}"),
        serde_json::json!({
            "client_name": "svc",
            "grant_types": ["client_credentials"],
            "scope": "profile",
        }),
    )
    .await;
    assert_eq!(narrowed.status(), 200, "{:?}", narrowed.text().await);
    let (status, answer) = client_credentials(&a, &id, &new, "email").await;
    assert_eq!(
        (status, &answer["error"]),
        (400, &Value::from("invalid_scope"))
    );
    assert_eq!(client_credentials(&a, &id, &new, "profile").await.0, 200);

    // Deleted at B.
    let deleted = admin(
        reqwest::Method::DELETE,
        format!("/admin/clients/{id}"),
        Value::Null,
    )
    .await;
    assert_eq!(deleted.status(), 204);
    let (status, answer) = client_credentials(&a, &id, &new, "profile").await;
    assert_eq!(
        (status, &answer["error"]),
        (401, &Value::from("invalid_client"))
    );
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
    async fn a_client_changed_at_one_node_is_never_served_from_memory_at_another() {
        if let Some(backend) = crate::common::Backend::postgres() {
            super::a_client_changed_at_one_node_is_never_served_from_memory_at_another(backend)
                .await
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_key_rotation_reaches_every_node() {
        if let Some(backend) = crate::common::Backend::postgres() {
            super::a_key_rotation_reaches_every_node(backend).await
        }
    }
}
