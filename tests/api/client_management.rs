//! Client Management (RFC 7592): a self-registered client reads, updates
//! and deletes its registration with its registration access token, and
//! nothing else does.

use crate::common::*;
use crate::dynamic_registration::mcp_client;
use serde_json::{json, Value};

backend_tests! {
    a_client_reads_its_registration_with_its_token,
    an_update_replaces_the_metadata_under_the_registration_rules,
    a_delete_removes_the_client_its_tokens_and_its_registration_token,
    wrong_missing_or_foreign_tokens_get_the_same_401,
}

/// The registration's URL and token.
fn management(registered: &Value) -> (String, String) {
    (
        str_field(registered, "registration_client_uri").to_owned(),
        str_field(registered, "registration_access_token").to_owned(),
    )
}

async fn send(
    server: &TestServer,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = server.http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("an answer")
}

// RFC 7592 §2.1: the current metadata, with the same token.
async fn a_client_reads_its_registration_with_its_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let registered = server.registered(&mcp_client()).await;
    let (url, token) = management(&registered);
    let answer = send(&server, reqwest::Method::GET, &url, Some(&token), None).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let read: Value = answer.json().await.unwrap();
    assert_eq!(read, registered);
}

// RFC 7592 §2.2: the whole metadata is replaced, under the rules of a
// registration; client_id must be the client's; the secret is kept.
async fn an_update_replaces_the_metadata_under_the_registration_rules(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut confidential = mcp_client();
    confidential["token_endpoint_auth_method"] = json!("client_secret_basic");
    let registered = server.registered(&confidential).await;
    let (url, token) = management(&registered);
    let id = str_field(&registered, "client_id");
    let secret = str_field(&registered, "client_secret");
    let mut update = registered.clone();
    update["client_name"] = json!("Renamed");
    update["redirect_uris"] = json!(["http://127.0.0.1:40000/cb"]);
    update["scope"] = json!("email");
    let answer = send(
        &server,
        reqwest::Method::PUT,
        &url,
        Some(&token),
        Some(&update),
    )
    .await;
    assert_eq!(answer.status(), 200);
    let updated: Value = answer.json().await.unwrap();
    assert_eq!(updated["client_name"], "Renamed");
    assert_eq!(
        updated["redirect_uris"],
        json!(["http://127.0.0.1:40000/cb"])
    );
    assert_eq!(updated["scope"], "email");
    assert_eq!(updated["client_id"], id);
    assert!(
        updated.get("client_secret").is_none(),
        "the secret is not rotated"
    );
    let read: Value = send(&server, reqwest::Method::GET, &url, Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read, updated);
    // The secret still authenticates the client.
    let answer = server
        .http
        .post(server.url("/oauth/revoke"))
        .basic_auth(id, Some(secret))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    // Refused: another client_id, a chosen secret, a bad redirect URI, a
    // grant no self-registered client may have.
    for (member, value, error) in [
        ("client_id", json!("another"), "invalid_client_metadata"),
        ("client_secret", json!("chosen"), "invalid_client_metadata"),
        (
            "redirect_uris",
            json!(["javascript:alert(1)"]),
            "invalid_redirect_uri",
        ),
        (
            "grant_types",
            json!(["client_credentials"]),
            "invalid_client_metadata",
        ),
    ] {
        let mut bad = updated.clone();
        bad[member] = value;
        let answer = send(
            &server,
            reqwest::Method::PUT,
            &url,
            Some(&token),
            Some(&bad),
        )
        .await;
        assert_eq!(answer.status(), 400, "{member}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["error"], error, "{member}: {body}");
    }
    let read: Value = send(&server, reqwest::Method::GET, &url, Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read, updated, "a refused update changes nothing");
}

// RFC 7592 §2.3: 204; the client, its tokens and the registration access
// token are gone.
async fn a_delete_removes_the_client_its_tokens_and_its_registration_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut confidential = mcp_client();
    confidential["token_endpoint_auth_method"] = json!("client_secret_basic");
    let registered = server.registered(&confidential).await;
    let (url, token) = management(&registered);
    let id = str_field(&registered, "client_id");
    let answer = send(&server, reqwest::Method::DELETE, &url, Some(&token), None).await;
    assert_eq!(answer.status(), 204);
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .unwrap();
    assert!(store.client(id).await.unwrap().is_none());
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let answer = send(&server, method.clone(), &url, Some(&token), None).await;
        assert_eq!(answer.status(), 401, "{method}");
    }
    let answer = server
        .http
        .post(server.url("/oauth/revoke"))
        .basic_auth(id, Some(str_field(&registered, "client_secret")))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401, "the client is gone");
}

// RFC 7592 §2.1: 401 invalid_token for a missing or wrong token, another
// client's token, or a client that does not exist — the same answer, so
// that it reveals nothing.
async fn wrong_missing_or_foreign_tokens_get_the_same_401(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mine = server.registered(&mcp_client()).await;
    let theirs = server.registered(&mcp_client()).await;
    let (url, _) = management(&mine);
    let (_, foreign) = management(&theirs);
    let nowhere = server.url("/oauth/register/no-such-client");
    let mut answers = Vec::new();
    for (url, token) in [
        (url.as_str(), None),
        (url.as_str(), Some("wrong")),
        (url.as_str(), Some(foreign.as_str())),
        (nowhere.as_str(), Some(foreign.as_str())),
        (nowhere.as_str(), None),
    ] {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let answer = send(&server, method.clone(), url, token, Some(&mine)).await;
            assert_eq!(answer.status(), 401, "{method} {url} {token:?}");
            let challenge = answer.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
            answers.push(answer.text().await.unwrap());
        }
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "{answers:?}");
    // Nothing changed.
    let (url, token) = management(&mine);
    let read: Value = send(&server, reqwest::Method::GET, &url, Some(&token), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read, mine);
}
