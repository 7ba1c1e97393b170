//! examples/mcp_resource_server.rs against a real Portcullis, on SQLite and
//! PostgreSQL, set up as the README says: the resource registered with
//! `portcullis resource add`, its introspection credentials made with
//! `portcullis client add --resource-server`. The example's own router is
//! served here (the file is compiled into this test as a module, so what
//! runs is the example's code, not a copy of it).

#[path = "api/common/mod.rs"]
#[macro_use]
mod common;
#[path = "../examples/mcp_resource_server.rs"]
#[allow(dead_code)]
mod example;

use common::process::portcullis;
use common::{str_field, Backend, TestServer};
use reqwest::StatusCode;
use serde_json::Value;

/// Runs a `portcullis` command on the server's database (asserting
/// success); returns its JSON output.
fn cli(server: &TestServer, args: &[&str]) -> Value {
    let output = portcullis(server.database_url(), args)
        .output()
        .expect("portcullis runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "portcullis {args:?}: {stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("JSON from {args:?}: {stdout}"))
}

/// A password-grant access token for mike, for `resource` if given.
async fn token(server: &TestServer, resource: Option<&str>) -> String {
    let mut form = vec![
        ("grant_type", "password"),
        ("username", "mike"),
        ("password", "pass"),
        ("scope", "profile"),
    ];
    if let Some(resource) = resource {
        form.push(("resource", resource));
    }
    let response = server.token(&form).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    str_field(&body, "access_token").to_owned()
}

async fn the_example_accepts_only_tokens_for_itself(backend: Backend) {
    let server = TestServer::start(backend).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let resource = format!("{origin}/mcp");

    // The operator's two steps (README, "Protecting an MCP server").
    cli(
        &server,
        &["--json", "resource", "add", &resource, "--scope", "profile"],
    );
    let credentials = cli(
        &server,
        &[
            "--json",
            "client",
            "add",
            "--name",
            "mcp",
            "--grant-types",
            "client_credentials",
            "--resource-server",
        ],
    );
    let settings = example::Settings::discover(
        &server.base,
        &resource,
        str_field(&credentials, "client_id"),
        str_field(&credentials, "client_secret"),
    )
    .await
    .expect("the example finds the introspection endpoint");
    let router = example::router(settings).expect("the example's router");
    tokio::spawn(async move { axum::serve(listener, router).await });

    let http = &server.http;
    let call = |token: Option<String>| {
        let mut request = http.get(&resource);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap() }
    };
    let challenge = |response: &reqwest::Response| {
        let value = &response.headers()["www-authenticate"];
        value.to_str().unwrap().to_owned()
    };

    // Without a token: 401 naming the metadata (RFC 9728 §5.1), which
    // names Portcullis (§2).
    let metadata_url = format!("{origin}/.well-known/oauth-protected-resource/mcp");
    let refused = call(None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&refused),
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );
    let metadata: Value = http
        .get(&metadata_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], resource.as_str());
    assert_eq!(metadata["authorization_servers"][0], server.base.as_str());

    // A token asked for this resource (RFC 8707) works.
    let ours = token(&server, Some(&resource)).await;
    let answered = call(Some(ours.clone())).await;
    assert_eq!(answered.status(), StatusCode::OK);
    let body: Value = answered.json().await.unwrap();
    assert_eq!(body["username"], "mike", "{body}");

    // A token for the example API, one for no resource in particular, and
    // a made-up one are invalid_token here, with the metadata named.
    let for_the_api = token(&server, Some(&server.url("/api"))).await;
    let for_nothing = token(&server, None).await;
    for token in [for_the_api, for_nothing, "made-up".to_owned()] {
        let refused = call(Some(token)).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge(&refused),
            format!("Bearer resource_metadata=\"{metadata_url}\", error=\"invalid_token\"")
        );
    }

    // Introspection is live: once revoked, the good token is refused too.
    let revoked = server
        .post_form("/oauth/revoke", &[("token", ours.as_str())])
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(call(Some(ours)).await.status(), StatusCode::UNAUTHORIZED);
}

backend_tests!(the_example_accepts_only_tokens_for_itself);
