//! Seed 004: the Tornado example with its restaurant API. Client `admin` /
//! `getroot` (the demo's) with the scope `restaurent`; the update names
//! the demo's first restaurant by the document's id.

use super::{assert_error, members};
use crate::common::*;
use serde_json::{json, Value};

backend_tests! {
    token_request_with_a_json_body,
    restaurants_without_and_with_a_token,
    update_as_the_document_shows,
    update_needs_a_token_with_the_scope,
    update_refuses_what_it_cannot_apply,
}

/// The document's token request, byte for byte.
const TOKEN_REQUEST: &str = r#"{"client_id": "admin", "client_secret": "getroot", "grant_type": "client_credentials", "scope": "restaurent"}"#;

/// The document's update request.
const UPDATE_URL: &str =
    "/restaurentUpdate?id=5aef5a2318d34d27b700b4b3&Name=Test&Address=Test&open=11am&close=7pm";

async fn token_answer(server: &TestServer) -> reqwest::Response {
    server
        .http
        .post(server.url("/oauth/token"))
        .header("Content-Type", "application/json")
        .body(TOKEN_REQUEST)
        .send()
        .await
        .unwrap()
}

async fn admin_token(server: &TestServer) -> String {
    let body: Value = token_answer(server).await.json().await.unwrap();
    str_field(&body, "access_token").to_owned()
}

/// GET `path` with `Authorization: Bearer <token>` when a token is given.
async fn get(server: &TestServer, path: &str, token: Option<&str>) -> reqwest::Response {
    let request = server.http.get(server.url(path));
    let request = match token {
        Some(token) => request.header("Authorization", format!("Bearer {token}")),
        None => request,
    };
    request.send().await.unwrap()
}

async fn restaurants(server: &TestServer, token: Option<&str>) -> Vec<Value> {
    let response = get(server, "/restaurent", token).await;
    assert_eq!(response.status(), 200);
    let listed: Value = response.json().await.unwrap();
    listed.as_array().expect("a JSON array").clone()
}

fn is_object_id(value: &Value) -> bool {
    value.as_str().is_some_and(|oid| {
        oid.len() == 24
            && oid
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// `{"_id": {"$oid": …}, "Name", "Address", "routine": {"open", "close"}}`
fn assert_detailed(restaurant: &Value) {
    assert_eq!(
        members(restaurant),
        ["Address", "Name", "_id", "routine"],
        "{restaurant}"
    );
    assert!(is_object_id(&restaurant["_id"]["$oid"]), "{restaurant}");
    assert_eq!(members(&restaurant["_id"]), ["$oid"]);
    assert!(restaurant["Name"].is_string() && restaurant["Address"].is_string());
    assert_eq!(members(&restaurant["routine"]), ["close", "open"]);
    assert!(restaurant["routine"]["open"].is_string());
    assert!(restaurant["routine"]["close"].is_string());
}

fn assert_public(restaurant: &Value) {
    assert_eq!(members(restaurant), ["Address", "Name"], "{restaurant}");
    assert!(restaurant["Name"].is_string() && restaurant["Address"].is_string());
}

// curl -i …/oauth/token -X POST -H 'Content-Type: application/json' -d '{…}'
// → {"token_type": "Bearer", "expires_in": 3600, "access_token": …}, not
// to be cached.
async fn token_request_with_a_json_body(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = token_answer(&server).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].is_string());
    assert_eq!(body["scope"], "restaurent");
    assert!(body.get("refresh_token").is_none());
}

// curl …/restaurent (names and addresses) and with the Bearer token (ids
// and hours too). restaurants:read shows the details as well; a token with
// neither scope sees what everyone sees.
async fn restaurants_without_and_with_a_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let public = restaurants(&server, None).await;
    assert_eq!(public.len(), 3);
    public.iter().for_each(assert_public);

    let detailed = restaurants(&server, Some(&admin_token(&server).await)).await;
    assert_eq!(detailed.len(), 3);
    detailed.iter().for_each(assert_detailed);
    assert_eq!(
        detailed[0],
        json!({
            "_id": { "$oid": "5aef5a2318d34d27b700b4b3" },
            "Name": "Chez Mike",
            "Address": "1 Rue de la Paix, Paris",
            "routine": { "open": "12:00", "close": "23:00" },
        })
    );

    let reader = server.password_token(Some("restaurants:read")).await;
    let listed = restaurants(&server, Some(str_field(&reader, "access_token"))).await;
    assert_eq!(listed, detailed);
    let other = server.password_token(Some("profile")).await;
    let listed = restaurants(&server, Some(str_field(&other, "access_token"))).await;
    assert_eq!(listed, public);
}

// curl -i "…/restaurentUpdate?id=5aef5a2318d34d27b700b4b3&Name=Test
// &Address=Test&open=11am&close=7pm" -H 'Authorization: Bearer …'
// → {"message": "Successful"}, and both APIs show the change.
async fn update_as_the_document_shows(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = admin_token(&server).await;
    let response = get(&server, UPDATE_URL, Some(&token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "message": "Successful" })
    );
    assert_eq!(
        restaurants(&server, Some(&token)).await[0],
        json!({
            "_id": { "$oid": "5aef5a2318d34d27b700b4b3" },
            "Name": "Test",
            "Address": "Test",
            "routine": { "open": "11am", "close": "7pm" },
        })
    );
    let reader = server.password_token(Some("restaurants:read")).await;
    let api: Value = get(
        &server,
        "/api/restaurants",
        Some(str_field(&reader, "access_token")),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        api[0],
        json!({ "id": 1, "name": "Test", "address": "Test", "opening_hours": "Mon-Sat 11am-7pm" })
    );
}

// RFC 6750 §3.1: no token or a bad one → 401; a token without
// restaurent or restaurants:write → 403.
async fn update_needs_a_token_with_the_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let missing = get(&server, UPDATE_URL, None).await;
    assert_eq!(missing.status(), 401);
    assert!(missing.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer realm=\"portcullis\", resource_metadata="));
    let bad = get(
        &server,
        UPDATE_URL,
        Some("c51d4e91-ca89-4bab-a2d1-e68e523b8e59"),
    )
    .await;
    assert_eq!(bad.status(), 401);
    let challenge = bad.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    for scope in ["profile", "restaurants:read"] {
        let tokens = server.password_token(Some(scope)).await;
        let refused = get(
            &server,
            UPDATE_URL,
            Some(str_field(&tokens, "access_token")),
        )
        .await;
        assert_error(refused, 403, "insufficient_scope").await;
    }
    let writer = server.password_token(Some("restaurants:write")).await;
    let allowed = get(
        &server,
        UPDATE_URL,
        Some(str_field(&writer, "access_token")),
    )
    .await;
    assert_eq!(allowed.status(), 200);
}

// A missing, malformed or unknown id, a name another restaurant has and
// values no restaurant has are JSON errors, never a 5xx.
async fn update_refuses_what_it_cannot_apply(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = admin_token(&server).await;
    let long = "x".repeat(201);
    for (path, status, error) in [
        ("/restaurentUpdate?Name=Test", 400, "invalid_request"),
        (
            "/restaurentUpdate?id=5aef&Name=Test",
            400,
            "invalid_request",
        ),
        (
            "/restaurentUpdate?id=5aef5a2318d34d27b700b4b4&Name=Test",
            404,
            "not_found",
        ),
        (
            "/restaurentUpdate?id=5aef5a2318d34d27b700b4b3&Name=The%20Rusty%20Crab",
            409,
            "conflict",
        ),
        (
            "/restaurentUpdate?id=5aef5a2318d34d27b700b4b3&open=1%0A1am",
            400,
            "invalid_request",
        ),
        (
            &format!("/restaurentUpdate?id=5aef5a2318d34d27b700b4b3&Address={long}"),
            400,
            "invalid_request",
        ),
    ] {
        let response = get(&server, path, Some(&token)).await;
        assert_error(response, status, error).await;
    }
    // The seed updates with GET, but a HEAD changes nothing.
    let head = server
        .http
        .head(server.url("/restaurentUpdate?id=5aef5a2318d34d27b700b4b3&Name=Headed"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 405);
    assert_eq!(restaurants(&server, None).await[0]["Name"], "Chez Mike");
}
