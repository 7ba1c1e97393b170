//! Seeds 001 (Authlib's Flask example with the client page) and 003 (the
//! same with MongoDB): create a client on the start page, then the same
//! curl commands in both documents. Their own user logs in with any name;
//! here it is the demo's mike / pass.

use super::{assert_token_answer, form_data};
use crate::common::browser::{location, query_of, Browser, Page};
use crate::common::*;
use serde_json::{json, Value};

backend_tests! {
    client_created_on_the_start_page,
    password_grant_then_api_me,
    authorization_code_flow_then_api_me,
}

/// A registered client's id and secret.
struct Registered {
    client_id: String,
    client_secret: String,
}

/// Signs in as mike on `/` and creates the documents' client.
async fn register(server: &TestServer) -> (Registered, Page) {
    let browser = Browser::new(server);
    assert_eq!(browser.sign_in("mike", "pass").await.status(), 303);
    let form = browser
        .page("/")
        .await
        .form("/clients")
        .set("client_name", "test")
        .set("client_uri", "https://authlib.org/")
        .add("grant_types", "authorization_code")
        .add("grant_types", "password")
        .set("redirect_uris", "https://authlib.org/")
        .set("response_types", "code")
        .set("scope", "profile")
        .set("token_endpoint_auth_method", "client_secret_basic");
    let created = Page::read(browser.submit(&form).await).await;
    assert_eq!(created.status, 201, "{}", created.html);
    let registered = Registered {
        client_id: created.text_after("<dt>client_id</dt><dd>"),
        client_secret: created.text_after("<dt>client_secret</dt><dd>"),
    };
    (registered, created)
}

// The "Client Info" and "Client Metadata" the documents show.
async fn client_created_on_the_start_page(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (client, page) = register(&server).await;
    assert!(!client.client_id.is_empty() && !client.client_secret.is_empty());
    assert!(page
        .text_after("<dt>client_id_issued_at</dt><dd>")
        .parse::<i64>()
        .is_ok());
    assert_eq!(
        page.text_after("<dt>client_secret_expires_at</dt><dd>"),
        "0 (never)"
    );
    assert!(page.html.contains("<h2>test</h2>"), "client_name");
    for (field, value) in [
        ("client_uri", "https://authlib.org/"),
        ("grant_types", "authorization_code, password"),
        ("redirect_uris", "https://authlib.org/"),
        ("response_types", "code"),
        ("scope", "profile"),
        ("token_endpoint_auth_method", "client_secret_basic"),
    ] {
        assert_eq!(
            page.text_after(&format!("<dt>{field}</dt><dd>")),
            value,
            "{field}"
        );
    }
}

async fn api_me(server: &TestServer, access_token: &str) -> Value {
    // curl -H "Authorization: Bearer ${access_token}" …/api/me
    let response = server
        .http
        .get(server.url("/api/me"))
        .header("Authorization", format!("Bearer {access_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

// curl -u ${client_id}:${client_secret} -XPOST …/oauth/token
//   -F grant_type=password -F username=${username} -F password=valid
//   -F scope=profile
// then /api/me.
async fn password_grant_then_api_me(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (client, _) = register(&server).await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&client.client_id, Some(&client.client_secret))
        .multipart(form_data(&[
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "pass"),
            ("scope", "profile"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    // The documents' answer has a refresh token too; SPEC §2 gives one
    // only to a client registered for the refresh_token grant, which the
    // documents' client is not.
    assert_token_answer(&tokens, "profile", false);
    assert_eq!(
        api_me(&server, str_field(&tokens, "access_token")).await,
        json!({ "id": 1, "username": "mike" })
    );
}

// open …/oauth/authorize?response_type=code&client_id=${client_id}&scope=profile
// (no redirect_uri: the client has one), sign in and approve, back at
// ${redirect_uri}/?code=${code}; then
// curl -u ${client_id}:${client_secret} -XPOST …/oauth/token
//   -F grant_type=authorization_code -F scope=profile -F code=${code}
// and /api/me.
async fn authorization_code_flow_then_api_me(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (client, _) = register(&server).await;
    let answer = Browser::new(&server)
        .authorize_at(
            &format!(
                "/oauth/authorize?response_type=code&client_id={}&scope=profile",
                client.client_id
            ),
            "yes",
        )
        .await;
    let back = location(&answer);
    assert_eq!(
        back.as_str().split('?').next(),
        Some("https://authlib.org/")
    );
    let code = query_of(&back)["code"].clone();

    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&client.client_id, Some(&client.client_secret))
        .multipart(form_data(&[
            ("grant_type", "authorization_code"),
            ("scope", "profile"),
            ("code", &code),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_token_answer(&tokens, "profile", false);
    assert_eq!(
        api_me(&server, str_field(&tokens, "access_token")).await,
        json!({ "id": 1, "username": "mike" })
    );
}
