//! A real third-party client against the server: the `oauth2` crate builds
//! the authorization URL with PKCE S256 (RFC 7636), a browser signs in and
//! consents, and the crate exchanges the code and then the refresh token
//! (RFC 6749 §4.1.3, §6) as any application would.

#[path = "api/common/mod.rs"]
#[macro_use]
mod common;

use common::browser::{location, query_of, Browser, REDIRECT_URI};
use common::{Backend, TestServer, CLIENT_ID, CLIENT_SECRET};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    Scope, TokenResponse, TokenUrl,
};
use serde_json::{json, Value};

backend_tests! {
    oauth2_crate_completes_the_code_flow_with_pkce_and_refreshes,
}

async fn oauth2_crate_completes_the_code_flow_with_pkce_and_refreshes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let client = BasicClient::new(ClientId::new(CLIENT_ID.into()))
        .set_client_secret(ClientSecret::new(CLIENT_SECRET.into()))
        .set_auth_uri(AuthUrl::new(server.url("/oauth/authorize")).expect("URL"))
        .set_token_uri(TokenUrl::new(server.url("/oauth/token")).expect("URL"))
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).expect("URL"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    assert!(authorize_url.as_str().starts_with(&server.base));

    // The user, in a browser: sign in and allow.
    let path = &authorize_url[url::Position::BeforePath..];
    let answer = Browser::new(&server).authorize_at(path, "yes").await;
    let callback = query_of(&location(&answer));
    assert_eq!(&callback["state"], state.secret());
    // RFC 9207 §2.4: the client checks who answered.
    assert_eq!(callback["iss"], server.base);

    // The crate's own reqwest client, redirects off as its docs require
    // (RFC 6749 §10.5 code leaks via followed redirects).
    let http = oauth2::reqwest::ClientBuilder::new()
        .redirect(oauth2::reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let tokens = client
        .exchange_code(AuthorizationCode::new(callback["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    assert_eq!(tokens.scopes(), Some(&vec![Scope::new("profile".into())]));
    let refresh = tokens.refresh_token().expect("a refresh token");

    let refreshed = client
        .exchange_refresh_token(refresh)
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    let me = server.me(refreshed.access_token().secret()).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.expect("JSON");
    assert_eq!(me, json!({ "id": 1, "username": "mike" }));
}
