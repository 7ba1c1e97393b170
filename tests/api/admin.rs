//! The admin listener: its own port, keys for everything but the probes,
//! problem details, the clients, users and grants of the admin API.

use crate::common::admin::Admin;
use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn probes_are_open_and_everything_else_needs_a_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    let http = &server.http;
    for probe in ["/healthz", "/readyz"] {
        let answer = http.get(server.admin_url(probe)).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{probe}");
    }
    for path in ["/metrics", "/admin/clients", "/openapi.json"] {
        let anonymous = http.get(server.admin_url(path)).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{path}");
        assert_eq!(
            anonymous.headers()["content-type"],
            "application/problem+json"
        );
        assert!(anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        let wrong = http
            .get(server.admin_url(path))
            .bearer_auth("pca_not-a-key")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path}");
    }
    // The public port carries the OAuth surface only.
    for path in ["/metrics", "/admin/clients", "/openapi.json", "/readyz"] {
        let public = http.get(server.url(path)).send().await.unwrap();
        assert_eq!(public.status(), 404, "{path} on the public port");
    }
    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // A revoked key stops working at once.
    let admin = Admin::new(&server).await;
    admin.expect(Method::GET, "/admin/clients", None, 200).await;
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .unwrap();
    assert!(store.delete_admin_key("tests").await.unwrap());
    admin.expect(Method::GET, "/admin/clients", None, 401).await;
}

async fn clients_are_created_read_updated_and_deleted_idempotently(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Admin::new(&server).await;
    let created = admin
        .expect(
            Method::POST,
            "/admin/clients",
            Some(json!({
                "client_name": "batch",
                "grant_types": ["client_credentials"],
                "scope": "profile",
                "resource_server": true,
            })),
            201,
        )
        .await;
    let id = str_field(&created, "client_id").to_owned();
    let secret = str_field(&created, "client_secret").to_owned();
    assert_eq!(created["resource_server"], true);
    let token = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    let read = admin
        .expect(Method::GET, &format!("/admin/clients/{id}"), None, 200)
        .await;
    assert_eq!(read["client_name"], "batch");
    assert!(
        read.get("client_secret").is_none(),
        "a secret is shown once"
    );
    let updated = admin
        .expect(
            Method::PUT,
            &format!("/admin/clients/{id}"),
            Some(json!({"client_name": "renamed", "grant_types": ["client_credentials"]})),
            200,
        )
        .await;
    assert_eq!(updated["client_name"], "renamed");
    assert_eq!(updated["client_id"], id.as_str());
    // Bad metadata is a 400 problem naming the RFC 7591 error.
    let refused = admin
        .send(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_name": "x", "redirect_uris": ["javascript:alert(1)"]})),
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["status"], 400);
    assert!(str_field(&problem, "detail").contains("invalid_redirect_uri"));
    // Not JSON at all: still a problem, never a 5xx.
    let garbage = server
        .http
        .post(server.admin_url("/admin/clients"))
        .bearer_auth(&admin.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    assert_eq!(
        garbage.headers()["content-type"],
        "application/problem+json"
    );
    // Pages: one client per page, following `next`.
    let page = admin
        .expect(Method::GET, "/admin/clients?limit=1", None, 200)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let next = str_field(&page, "next");
    let second = admin
        .expect(
            Method::GET,
            &format!("/admin/clients?limit=1&after={next}"),
            None,
            200,
        )
        .await;
    assert_ne!(
        second["items"][0]["client_id"],
        page["items"][0]["client_id"]
    );
    // Deleting twice is 204 twice; the client's tokens die with it.
    for _ in 0..2 {
        admin
            .expect(Method::DELETE, &format!("/admin/clients/{id}"), None, 204)
            .await;
    }
    admin
        .expect(Method::GET, &format!("/admin/clients/{id}"), None, 404)
        .await;
}

async fn a_rotated_secret_overlaps_with_the_previous_one(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Admin::new(&server).await;
    let client_token = |id: String, secret: String| {
        let server = &server;
        async move {
            server
                .http
                .post(server.url("/oauth/token"))
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // The demo client's secret is human-chosen (Argon2id): it overlaps too.
    let rotated = admin
        .expect(
            Method::POST,
            &format!("/admin/clients/{CLIENT_ID}/secret"),
            Some(json!({"overlap_seconds": 600})),
            200,
        )
        .await;
    let new_secret = str_field(&rotated, "client_secret").to_owned();
    assert!(rotated["previous_secret_expires_at"].as_i64().unwrap() > portcullis::time::now());
    for secret in [CLIENT_SECRET.to_owned(), new_secret.clone()] {
        assert_eq!(
            client_token(CLIENT_ID.into(), secret).await,
            200,
            "both work"
        );
    }
    // Rotating again with no overlap: only the newest secret works.
    let again = admin
        .expect(
            Method::POST,
            &format!("/admin/clients/{CLIENT_ID}/secret"),
            Some(json!({"overlap_seconds": 0})),
            200,
        )
        .await;
    let newest = str_field(&again, "client_secret").to_owned();
    assert_eq!(client_token(CLIENT_ID.into(), newest).await, 200);
    for old in [CLIENT_SECRET.to_owned(), new_secret] {
        assert_eq!(client_token(CLIENT_ID.into(), old).await, 401, "expired");
    }
    let refused = admin
        .send(
            Method::POST,
            &format!("/admin/clients/{CLIENT_ID}/secret"),
            Some(json!({"overlap_seconds": -1})),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

async fn disabling_a_user_revokes_everything_and_refuses_sign_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Admin::new(&server).await;
    let user = admin
        .expect(
            Method::POST,
            "/admin/users",
            Some(json!({"username": "dora", "password": "explorer-1"})),
            201,
        )
        .await;
    let id = user["id"].as_i64().unwrap();
    assert!(user.get("password_hash").is_none());
    let grant = |password: &'static str| {
        let server = &server;
        async move {
            server
                .token(&[
                    ("grant_type", "password"),
                    ("username", "dora"),
                    ("password", password),
                ])
                .await
        }
    };
    let tokens: Value = grant("explorer-1").await.json().await.unwrap();
    let access = str_field(&tokens, "access_token");
    assert!(server.is_active(access).await);
    // A browser session of hers, on the pages.
    let browser = crate::common::browser::Browser::new(&server);
    browser.sign_in("dora", "explorer-1").await;
    assert!(browser.cookie("portcullis_session").is_some());
    let listed = admin
        .expect(
            Method::GET,
            &format!("/admin/grants?user_id={id}"),
            None,
            200,
        )
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let disabled = admin
        .expect(
            Method::PATCH,
            &format!("/admin/users/{id}"),
            Some(json!({"disabled": true})),
            200,
        )
        .await;
    assert_eq!(disabled["disabled"], true);
    assert!(!server.is_active(access).await, "her access token died");
    let refresh = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&tokens, "refresh_token")),
        ])
        .await;
    assert_eq!(refresh.status(), 400, "her refresh token died");
    assert_eq!(
        grant("explorer-1").await.status(),
        400,
        "the password grant refuses her"
    );
    let home = browser.page("/").await;
    assert!(
        home.forms().iter().any(|f| f.action == "/login"),
        "her session ended"
    );
    let again = browser.sign_in("dora", "explorer-1").await;
    assert_eq!(
        again.status(),
        200,
        "the sign-in page again, not a redirect"
    );

    admin
        .expect(
            Method::PATCH,
            &format!("/admin/users/{id}"),
            Some(json!({"disabled": false})),
            200,
        )
        .await;
    admin
        .expect(
            Method::PUT,
            &format!("/admin/users/{id}/password"),
            Some(json!({"password": "explorer-2"})),
            204,
        )
        .await;
    assert_eq!(grant("explorer-1").await.status(), 400);
    assert_eq!(grant("explorer-2").await.status(), 200);
    let renamed = admin
        .expect(
            Method::PATCH,
            &format!("/admin/users/{id}"),
            Some(json!({"username": "mike"})),
            409,
        )
        .await;
    assert_eq!(renamed["status"], 409);
}

// PostgreSQL refuses a NUL in text: ids, filters and cursors that decode
// to a control character are the caller's mistake, on both engines.
async fn control_characters_in_paths_and_queries_are_400(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Admin::new(&server).await;
    for path in [
        "/admin/clients?after=%00",
        "/admin/clients/a%00b",
        "/admin/grants?client_id=%00",
        "/admin/resources?after=%0A",
    ] {
        let problem = admin.expect(Method::GET, path, None, 400).await;
        assert_eq!(problem["status"], 400, "{path}");
    }
}

async fn grants_are_listed_and_revoked_idempotently(backend: Backend) {
    let server = TestServer::start(backend).await;
    let admin = Admin::new(&server).await;
    let token = server.client_credentials_token().await;
    let access = str_field(&token, "access_token");
    let listed = admin
        .expect(
            Method::GET,
            &format!("/admin/grants?client_id={CLIENT_ID}"),
            None,
            200,
        )
        .await;
    let grant = &listed["items"][0];
    assert_eq!(grant["client_id"], CLIENT_ID);
    assert!(grant.get("user_id").is_none());
    let id = grant["id"].as_i64().unwrap();
    for _ in 0..2 {
        admin
            .expect(Method::DELETE, &format!("/admin/grants/{id}"), None, 204)
            .await;
    }
    assert!(!server.is_active(access).await);
    admin
        .expect(Method::GET, "/admin/grants?after=x", None, 400)
        .await;
    admin
        .expect(Method::GET, "/admin/grants?limit=0", None, 400)
        .await;
}

async fn readiness_needs_this_builds_schema(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ready = || server.http.get(server.admin_url("/readyz")).send();
    assert_eq!(ready().await.unwrap().status(), 200);
    // Another version's schema: as if a newer node had migrated past us.
    let url = server.database_url();
    if let Some(file) = url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(file).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    } else {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
            .await
            .unwrap();
        sqlx::query(
            "DELETE FROM _sqlx_migrations
             WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let answer = ready().await.unwrap();
    assert_eq!(answer.status(), 503);
    assert_eq!(answer.headers()["content-type"], "application/problem+json");
    // Liveness does not depend on the database.
    let alive = server
        .http
        .get(server.admin_url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(alive.status(), 200);
}

backend_tests! {
    probes_are_open_and_everything_else_needs_a_key,
    readiness_needs_this_builds_schema,
    clients_are_created_read_updated_and_deleted_idempotently,
    a_rotated_secret_overlaps_with_the_previous_one,
    disabling_a_user_revokes_everything_and_refuses_sign_in,
    grants_are_listed_and_revoked_idempotently,
    control_characters_in_paths_and_queries_are_400,
}
