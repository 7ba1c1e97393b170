//! Audience-bound tokens: RFC 8707 resource indicators at the authorization
//! and token endpoints, `aud` in introspection, the example API refusing
//! tokens for other resources, and its RFC 9728 metadata.

use crate::common::browser::{authorize_path, code_request, location, query_of, Browser};
use crate::common::*;
use portcullis::store::Resource;
use serde_json::{json, Value};

backend_tests! {
    the_example_api_publishes_its_metadata_and_names_it_in_every_challenge,
    a_code_for_resources_gives_tokens_bound_to_them,
    a_refresh_narrows_the_audience_and_never_widens_it,
    unknown_resources_are_invalid_target_at_both_endpoints,
    tokens_without_a_resource_keep_working_at_the_example_api,
}

const OTHER: &str = "https://other.example/mcp";

/// Registers `identifier` as the operator would.
async fn add_resource(server: &TestServer, identifier: &str) {
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .expect("open store");
    let resource = Resource {
        identifier: identifier.into(),
        scope: "profile".into(),
        created_at: portcullis::time::now(),
    };
    store.put_resource(&resource).await.expect("resource");
}

fn api(server: &TestServer) -> String {
    server.url("/api")
}

async fn call_api(server: &TestServer, token: &str) -> reqwest::Response {
    server
        .http
        .get(api(server))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// A code for `resources`, exchanged with `at_token` as its `resource`s.
async fn tokens_for(server: &TestServer, resources: &[&str], at_token: &[&str]) -> Value {
    let mut query = code_request("profile", "s");
    query.extend(resources.iter().map(|r| ("resource", *r)));
    // Consent is remembered per client and scope: ask each time anyway.
    query.push(("prompt", "consent"));
    let code = Browser::new(server).code(&query).await;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", crate::common::browser::REDIRECT_URI),
    ];
    form.extend(at_token.iter().map(|r| ("resource", *r)));
    let response = server.token(&form).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

// RFC 9728 §3.1-§3.2 and §5.1.
async fn the_example_api_publishes_its_metadata_and_names_it_in_every_challenge(backend: Backend) {
    let server = TestServer::start(backend).await;
    let url = server.url("/.well-known/oauth-protected-resource/api");
    let metadata: Value = server
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], api(&server));
    assert_eq!(metadata["authorization_servers"], json!([server.base]));
    assert_eq!(metadata["scopes_supported"], json!(["profile"]));
    // The resource's own address answers 401 with the metadata named, as
    // strict MCP clients need (its URL must equal the resource).
    let refused = server.http.post(api(&server)).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(&format!("resource_metadata=\"{url}\"")),
        "{challenge}"
    );
}

// RFC 8707 §2.1-§2.2; RFC 7662 §2.2 `aud`.
async fn a_code_for_resources_gives_tokens_bound_to_them(backend: Backend) {
    let server = TestServer::start(backend).await;
    add_resource(&server, OTHER).await;
    let api = api(&server);
    // The consent page says where the access is for.
    let browser = Browser::new(&server);
    browser.sign_in("mike", "pass").await;
    let mut query = code_request("profile", "s");
    query.extend([("resource", api.as_str()), ("resource", OTHER)]);
    let consent = browser.page(&authorize_path(&query)).await;
    assert!(consent.html.contains("other.example"), "{}", consent.html);
    let both = tokens_for(&server, &[&api, OTHER], &[]).await;
    let access = str_field(&both, "access_token");
    assert_eq!(server.introspect(access).await["aud"], json!([api, OTHER]));
    assert_eq!(call_api(&server, access).await.status(), 200);

    let other_only = tokens_for(&server, &[&api, OTHER], &[OTHER]).await;
    let access = str_field(&other_only, "access_token");
    assert_eq!(server.introspect(access).await["aud"], OTHER);
    // A token for another resource is refused here (RFC 9068 §4; MCP).
    let refused = call_api(&server, access).await;
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

async fn a_refresh_narrows_the_audience_and_never_widens_it(backend: Backend) {
    let server = TestServer::start(backend).await;
    add_resource(&server, OTHER).await;
    let api = api(&server);
    let issued = tokens_for(&server, &[&api], &[]).await;
    let refresh = |token: String, resource: &'static str| {
        let server = &server;
        async move {
            let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", &token)];
            if !resource.is_empty() {
                form.push(("resource", resource));
            }
            server.token(&form).await
        }
    };
    let wider = refresh(str_field(&issued, "refresh_token").into(), OTHER).await;
    assert_eq!(wider.status(), 400);
    assert_eq!(
        wider.json::<Value>().await.unwrap()["error"],
        "invalid_target"
    );
    // The refused request spent nothing: the same token still refreshes,
    // to the grant's whole audience.
    let same = refresh(str_field(&issued, "refresh_token").into(), "").await;
    assert_eq!(same.status(), 200);
    let same: Value = same.json().await.unwrap();
    assert_eq!(
        server.introspect(str_field(&same, "access_token")).await["aud"],
        api
    );
}

async fn unknown_resources_are_invalid_target_at_both_endpoints(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut query = code_request("profile", "s1");
    query.push(("resource", "https://unknown.example/"));
    // An operator's client: its errors go back at once (RFC 6749 §4.1.2.1).
    let answer = Browser::new(&server).get(&authorize_path(&query)).await;
    let back = query_of(&location(&answer));
    assert_eq!(back["error"], "invalid_target");
    assert_eq!(back["state"], "s1");
    for resource in [
        "https://unknown.example/",
        "not a uri",
        "https://x.example/#f",
    ] {
        let response = server
            .token(&[("grant_type", "client_credentials"), ("resource", resource)])
            .await;
        assert_eq!(response.status(), 400, "{resource}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_target", "{resource}");
    }
    // Several resources at once are allowed (RFC 8707 §2), each checked.
    let api = api(&server);
    let response = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("resource", &api),
            ("resource", "https://unknown.example/"),
        ])
        .await;
    assert_eq!(response.status(), 400);
}

// The seeds send no resource: their tokens have no audience and work.
async fn tokens_without_a_resource_keep_working_at_the_example_api(backend: Backend) {
    let server = TestServer::start(backend).await;
    let issued = server.password_token(None).await;
    let access = str_field(&issued, "access_token");
    assert!(server.introspect(access).await.get("aud").is_none());
    let answer = call_api(&server, access).await;
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["username"], "mike");
    assert_eq!(body["resource"], api(&server));
}
