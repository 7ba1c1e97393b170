//! The admin API for what OpenID Connect and RFC 8707 added: users'
//! standard claims, the signing keys, the protected resources.

use crate::common::admin::Admin;
use crate::common::process::portcullis;
use crate::common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;

backend_tests! {
    users_claims_are_set_shown_and_checked,
    keys_are_listed_and_rotated_with_a_published_successor_per_algorithm,
    resources_are_put_listed_and_deleted_idempotently,
}

const API: &str = "https://api.example/mcp";

/// A request that must be refused with a 400 problem; its `detail`.
async fn bad_request(admin: &Admin<'_>, method: Method, path: &str, body: Value) -> String {
    let answer = admin.send(method, path, Some(body)).await;
    assert_eq!(answer.status(), 400, "{path}");
    assert_eq!(answer.headers()["content-type"], "application/problem+json");
    let problem: Value = answer.json().await.unwrap();
    assert_eq!(problem["status"], 400);
    str_field(&problem, "detail").to_owned()
}

async fn users_claims_are_set_shown_and_checked(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Admin::new(&server).await;
    let before = portcullis::time::now();
    let created = admin
        .expect(
            Method::POST,
            "/admin/users",
            Some(json!({"username": "dora", "password": "explorer-1",
                "claims": {"name": "Dora Márquez"}})),
            201,
        )
        .await;
    assert_eq!(created["claims"]["name"], "Dora Márquez");
    let plain = admin
        .expect(
            Method::POST,
            "/admin/users",
            Some(json!({"username": "boots", "password": "monkey-1"})),
            201,
        )
        .await;
    assert_eq!(plain["claims"], json!({}), "no claims, no updated_at");

    // The demo user, whose claims the UserInfo endpoint then releases.
    let users = admin.expect(Method::GET, "/admin/users", None, 200).await;
    let mike = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "mike")
        .expect("the demo user");
    let path = format!("/admin/users/{}", mike["id"]);
    let claims = json!({
        "name": "Mike Example",
        "email": "mike@example.com",
        "email_verified": true,
        "address": {"country": "FR"},
        // The server's to set: ignored.
        "updated_at": 5,
    });
    let updated = admin
        .expect(Method::PATCH, &path, Some(json!({ "claims": claims })), 200)
        .await;
    let shown = &updated["claims"];
    assert_eq!(shown["email"], "mike@example.com");
    assert_eq!(shown["email_verified"], true);
    assert_eq!(shown["address"], json!({"country": "FR"}));
    assert!(shown["updated_at"].as_i64().unwrap() >= before, "{shown}");
    assert_eq!(
        admin.expect(Method::GET, &path, None, 200).await["claims"],
        *shown
    );
    let tokens = server.password_token(Some("openid email")).await;
    let userinfo: Value = server
        .http
        .get(server.url("/oauth/userinfo"))
        .bearer_auth(str_field(&tokens, "access_token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["email"], "mike@example.com", "{userinfo}");
    assert_eq!(userinfo["email_verified"], true);
    let updates = admin.events("user_updated", 1).await;
    assert_eq!(updates[0]["actor"], "admin_key:tests");

    // Refused, and nothing changes: not the claims, not a username sent
    // along with them.
    for (claims, complaint) in [
        (json!({"email": "not an address"}), "email"),
        (json!({"website": "javascript:alert(1)"}), "website"),
        (json!({"name": "nul\u{0}"}), "name"),
        (json!({"emial": "mike@example.com"}), "emial"),
        (json!({"email_verified": "yes"}), "wrong type"),
    ] {
        let body = json!({"username": "michael", "claims": claims});
        let detail = bad_request(&admin, Method::PATCH, &path, body).await;
        assert!(detail.contains(complaint), "{claims}: {detail}");
    }
    let unchanged = admin.expect(Method::GET, &path, None, 200).await;
    assert_eq!(unchanged["username"], "mike");
    assert_eq!(unchanged["claims"], *shown);
    let body = json!({"username": "diego", "password": "x", "claims": {"locale": "?"}});
    bad_request(&admin, Method::POST, "/admin/users", body).await;

    // `{}` clears them all but updated_at.
    let cleared = admin
        .expect(Method::PATCH, &path, Some(json!({"claims": {}})), 200)
        .await;
    let cleared = cleared["claims"].as_object().unwrap();
    assert_eq!(cleared.keys().collect::<Vec<_>>(), ["updated_at"]);
    admin
        .expect(
            Method::PATCH,
            "/admin/users/999999",
            Some(json!({"claims": {}})),
            404,
        )
        .await;
}

async fn keys_are_listed_and_rotated_with_a_published_successor_per_algorithm(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Admin::new(&server).await;
    let algorithms = ["RS256", "ES256", "EdDSA"];
    let listed = admin.expect(Method::GET, "/admin/keys", None, 200).await;
    let keys = listed.as_array().unwrap();
    for key in keys {
        // The view only: no private key, no JWK.
        let mut fields: Vec<&str> = key.as_object().unwrap().keys().map(|k| &**k).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "activates_at",
                "alg",
                "created_at",
                "kid",
                "removes_at",
                "retires_at",
                "state"
            ]
        );
    }
    let in_state = |keys: &[Value], alg: &str, state: &str| -> Vec<String> {
        keys.iter()
            .filter(|k| k["alg"] == alg && k["state"] == state)
            .map(|k| str_field(k, "kid").to_owned())
            .collect()
    };
    for alg in algorithms {
        assert_eq!(in_state(keys, alg, "signing").len(), 1, "{alg}: {listed}");
        assert!(in_state(keys, alg, "published").is_empty(), "{alg}");
    }

    let before = portcullis::time::now();
    let rotated = admin
        .expect(Method::POST, "/admin/keys/rotate", None, 200)
        .await;
    let after = rotated.as_array().unwrap();
    assert_eq!(after.len(), keys.len() + algorithms.len(), "{rotated}");
    let mut successors = HashSet::new();
    for alg in algorithms {
        assert_eq!(
            in_state(after, alg, "signing"),
            in_state(keys, alg, "signing"),
            "{alg}: the old key signs until its successor is active"
        );
        let published = in_state(after, alg, "published");
        assert_eq!(published.len(), 1, "{alg}: {rotated}");
        let successor = after.iter().find(|k| k["kid"] == published[0]).unwrap();
        assert!(successor["activates_at"].as_i64().unwrap() > before);
        successors.insert(published[0].clone());
    }
    // The running server's own keys rotated: its JWK Set publishes the
    // successors at once, not at its next refresh.
    let jwks = crate::oidc::jwks(&server).await;
    let published: HashSet<String> = jwks
        .keys
        .into_iter()
        .map(|key| key.common.key_id.expect("a kid"))
        .collect();
    assert!(published.is_superset(&successors), "{published:?}");
    let events = admin.events("signing_key_rotated", 3).await;
    let audited: HashSet<String> = events
        .iter()
        .map(|e| {
            assert_eq!(e["actor"], "admin_key:tests");
            str_field(e, "detail").trim_start_matches("kid ").to_owned()
        })
        .collect();
    assert_eq!(audited, successors);

    // The command line shows the same view.
    let url = server.database_url().to_owned();
    let output =
        tokio::task::spawn_blocking(move || portcullis(&url, &["--json", "keys", "list"]).output())
            .await
            .unwrap()
            .expect("keys list runs");
    assert!(output.status.success(), "{output:?}");
    let cli: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let by_kid = |keys: &Value| -> HashSet<(String, String)> {
        keys.as_array()
            .unwrap()
            .iter()
            .map(|k| (str_field(k, "kid").into(), str_field(k, "state").into()))
            .collect()
    };
    assert_eq!(by_kid(&cli), by_kid(&rotated));
}

async fn resources_are_put_listed_and_deleted_idempotently(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Admin::new(&server).await;
    let put = |body: Value| admin.expect(Method::PUT, "/admin/resources", Some(body), 200);
    let created = put(json!({"resource": API, "scope": " profile  email profile"})).await;
    assert_eq!(created["resource"], API);
    assert_eq!(created["scope"], "profile email");
    let replaced = put(json!({"resource": API, "scope": "profile"})).await;
    assert_eq!(replaced["scope"], "profile");
    assert_eq!(replaced["created_at"], created["created_at"]);
    let other = "https://other.example/";
    assert_eq!(put(json!({ "resource": other })).await["scope"], "");

    let listed = admin
        .expect(Method::GET, "/admin/resources", None, 200)
        .await;
    let identifiers: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| str_field(r, "resource"))
        .collect();
    assert!(identifiers.contains(&API) && identifiers.contains(&other));
    // A page at a time, like every list.
    let mut paged = Vec::new();
    let mut query = "limit=1".to_owned();
    loop {
        let page = admin
            .expect(Method::GET, &format!("/admin/resources?{query}"), None, 200)
            .await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 1);
        paged.extend(items.iter().map(|r| str_field(r, "resource").to_owned()));
        match page["next"].as_str() {
            Some(next) => query = format!("limit=1&after={}", urlencoding(next)),
            None => break,
        }
    }
    assert_eq!(paged, identifiers);

    // A registered resource is one tokens can be asked for.
    let for_api = || server.token(&[("grant_type", "client_credentials"), ("resource", API)]);
    assert_eq!(for_api().await.status(), 200);

    for bad in [
        "https://api.example/mcp#section",
        "api/mcp",
        "https://api.example/a b",
        "https://api.example/\u{0}",
    ] {
        let detail = bad_request(
            &admin,
            Method::PUT,
            "/admin/resources",
            json!({ "resource": bad }),
        )
        .await;
        assert!(detail.contains("RFC 8707"), "{bad}: {detail}");
    }
    let quote = json!({"resource": API, "scope": "a\"b"});
    bad_request(&admin, Method::PUT, "/admin/resources", quote).await;

    let delete = format!("/admin/resources?resource={}", urlencoding(API));
    for _ in 0..2 {
        admin.expect(Method::DELETE, &delete, None, 204).await;
    }
    // No resource holds a control character: the request is malformed.
    admin
        .expect(Method::DELETE, "/admin/resources?resource=%00", None, 400)
        .await;
    admin
        .expect(Method::DELETE, "/admin/resources", None, 400)
        .await;
    let listed = admin
        .expect(Method::GET, "/admin/resources", None, 200)
        .await;
    assert!(!listed.to_string().contains(API), "{listed}");
    assert!(
        listed.to_string().contains(other),
        "only that one: {listed}"
    );
    let refused: Value = for_api().await.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_target");
}

/// `value` as a query parameter's value.
fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
