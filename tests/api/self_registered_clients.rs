//! What a self-registered client may do once registered: the rules for
//! clients nobody vouches for (SPEC §8), and the purge of those that never
//! obtained a token.

use crate::common::browser::{authorize_path, location, query_of, Browser, Page};
use crate::common::*;
use crate::dynamic_registration::{cli, mcp_client};
use serde_json::{json, Value};

backend_tests! {
    clients_that_never_obtained_a_token_are_purged,
    self_registered_clients_get_no_userless_tokens,
    the_consent_page_marks_self_registered_clients_unverified,
    errors_before_sign_in_are_not_redirected_to_self_registered_clients,
    the_operator_lists_and_removes_self_registered_clients,
}

// The operator sees who registered each client, and removes a
// self-registered one like any other (with its registration token).
async fn the_operator_lists_and_removes_self_registered_clients(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.registration_rate_limit = 0).await;
    // Generated ids are base64url: one starting with "-" (one in 64) is an
    // id, not a flag, to `client remove`.
    let mut registered = server.registered(&mcp_client()).await;
    for _ in 0..2000 {
        if str_field(&registered, "client_id").starts_with('-') {
            break;
        }
        registered = server.registered(&mcp_client()).await;
    }
    let id = str_field(&registered, "client_id");
    assert!(id.starts_with('-'), "{id}");
    let url = server.database_url().to_owned();
    let listed = cli(&url, &["--json", "client", "list"]);
    let kinds: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (str_field(c, "client_id"), str_field(c, "registrant")))
        .collect();
    assert!(kinds.contains(&(id, "dynamic")), "{kinds:?}");
    assert!(kinds.contains(&("mike_id", "operator")), "{kinds:?}");
    cli(&url, &["--json", "client", "remove", id]);
    let read = server
        .http
        .get(str_field(&registered, "registration_client_uri"))
        .bearer_auth(str_field(&registered, "registration_access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 401);
}

// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Runs the code flow with PKCE for a self-registered public client as
/// mike; returns the token answer.
async fn code_flow(server: &TestServer, client_id: &str) -> Value {
    let redirect_uri = mcp_client()["redirect_uris"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = Browser::new(server);
    let code = browser
        .code(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", &redirect_uri),
            ("scope", "profile"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let answer = server
        .http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

// README: a self-registered client that never obtained a token is deleted
// `--registration-unused-ttl` after registering, by `token purge` and the
// periodic purge; one that did obtain a token stays, even once its tokens
// have expired and been purged.
async fn clients_that_never_obtained_a_token_are_purged(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.access_token_ttl = 1).await;
    let unused = server.registered(&mcp_client()).await;
    let used = server.registered(&mcp_client()).await;
    let used_id = str_field(&used, "client_id");
    let tokens = code_flow(&server, used_id).await;
    // Past the tokens' lifetime and the registrations' one-second TTL.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let url = server.database_url().to_owned();
    let purge = |ttl: &'static str| {
        let url = url.clone();
        move || {
            cli(
                &url,
                &["--json", "--registration-unused-ttl", ttl, "token", "purge"],
            )
        }
    };
    // The refresh token is alive: the grant is kept, the client marked.
    purge("1")();
    let store = portcullis::store::open(&url, 1).await.unwrap();
    let unused_id = str_field(&unused, "client_id");
    assert!(store.client(unused_id).await.unwrap().is_none());
    assert!(store.client(used_id).await.unwrap().is_some());
    // Once every token is gone, the client that used them still stays.
    let now = portcullis::time::now();
    store.purge_expired(now + 40 * 86_400, now).await.unwrap();
    assert!(store
        .token(&portcullis::crypto::token_key(str_field(
            &tokens,
            "refresh_token"
        )))
        .await
        .unwrap()
        .is_none());
    purge("1")();
    assert!(store.client(used_id).await.unwrap().is_some());
    // A registration younger than the TTL stays.
    let young = server.registered(&mcp_client()).await;
    purge("3600")();
    assert!(store
        .client(str_field(&young, "client_id"))
        .await
        .unwrap()
        .is_some());
}

// SPEC §8: no user-less tokens for clients the operator did not register;
// a self-registered client cannot even hold those grants.
async fn self_registered_clients_get_no_userless_tokens(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.self_registered_client_credentials_scopes = vec!["profile".into()];
    })
    .await;
    let mut confidential = mcp_client();
    confidential["token_endpoint_auth_method"] = json!("client_secret_basic");
    let body = server.registered(&confidential).await;
    let (id, secret) = (
        str_field(&body, "client_id"),
        str_field(&body, "client_secret"),
    );
    for form in [
        vec![("grant_type", "client_credentials")],
        vec![
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "pass"),
        ],
    ] {
        let answer = server
            .http
            .post(server.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
        let error: Value = answer.json().await.unwrap();
        assert_eq!(error["error"], "unauthorized_client", "{form:?}: {error}");
    }
}

// SPEC §8: the consent page says the client is unverified.
async fn the_consent_page_marks_self_registered_clients_unverified(backend: Backend) {
    let server = TestServer::start(backend).await;
    let body = server.registered(&mcp_client()).await;
    let browser = Browser::new(&server);
    assert_eq!(browser.sign_in("mike", "pass").await.status(), 303);
    let path = authorize_path(&[
        ("response_type", "code"),
        ("client_id", str_field(&body, "client_id")),
        ("scope", "profile"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let consent = browser.page(&path).await;
    assert_eq!(consent.status, 200, "{}", consent.html);
    assert!(consent.html.contains("unverified"), "{}", consent.html);
    assert!(!consent.html.contains("registered by the operator"));
}

// RFC 9700 §4.11.2: before the user signs in, a self-registered client's
// bad requests are shown on a page, not redirected to it.
async fn errors_before_sign_in_are_not_redirected_to_self_registered_clients(backend: Backend) {
    let server = TestServer::start(backend).await;
    let body = server.registered(&mcp_client()).await;
    // A public client without PKCE: invalid_request (RFC 7636 §4.4.1).
    let path = authorize_path(&[
        ("response_type", "code"),
        ("client_id", str_field(&body, "client_id")),
        ("state", "s"),
    ]);
    let answer = server.http.get(server.url(&path)).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let page = Page::read(answer).await;
    assert!(page.html.contains("invalid_request"), "{}", page.html);
    // Signed in, the same error goes back to the client (RFC 6749 §4.1.2.1).
    let browser = Browser::new(&server);
    browser.sign_in("mike", "pass").await;
    let answer = browser.get(&path).await;
    assert_eq!(query_of(&location(&answer))["error"], "invalid_request");
}
