//! Single use under concurrency: however many requests race with one code or
//! one refresh token, at most one of them wins (RFC 6749 §4.1.2, §10.5;
//! RFC 9700 §4.14.2). On PostgreSQL the requests run on separate
//! connections, as they would on separate nodes.

use crate::common::*;
use futures::future::join_all;
use portcullis::store::{
    CodeExchange, NewCode, NewGrant, NewToken, SharedStore, TokenKey, TokenKind,
};
use reqwest::StatusCode;
use serde_json::Value;

const RACERS: usize = 20;

/// Sends the same token request `RACERS` times at once; returns the one
/// success and checks that every other answer is `invalid_grant`.
async fn race(server: &TestServer, form: &[(&str, &str)]) -> Value {
    let responses = join_all((0..RACERS).map(|_| server.token(form))).await;
    let mut winners = Vec::new();
    for response in responses {
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        if status == StatusCode::OK {
            winners.push(body);
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["error"], "invalid_grant", "{body}");
        }
    }
    assert_eq!(winners.len(), 1, "exactly one request wins: {winners:?}");
    winners.remove(0)
}

// RFC 9700 §4.14.2: a refresh token is rotated once. The losers presented a
// token that is (or is being) used, which is reuse: the family is revoked,
// so even the winner's new tokens stop working.
async fn concurrent_refreshes_rotate_exactly_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let first = server.password_token(None).await;
    let refresh = str_field(&first, "refresh_token");
    let winner = race(
        &server,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    for token in [
        str_field(&first, "access_token"),
        str_field(&winner, "access_token"),
        str_field(&winner, "refresh_token"),
    ] {
        assert!(!server.is_active(token).await, "{token} should be revoked");
    }
    let after = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&winner, "refresh_token")),
        ])
        .await;
    assert_eq!(after.status(), StatusCode::BAD_REQUEST);
}

// RFC 6749 §4.1.2: a code is used once; §10.5: a second use revokes the
// tokens issued from it, so the losers revoke the winner's grant.
async fn concurrent_code_exchanges_issue_one_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let redirect_uri = "http://127.0.0.1:8765/callback";
    // No browser flow on this branch yet: the code goes straight to the store.
    let code = portcullis::crypto::new_token();
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .expect("open store");
    store
        .create_code(&NewCode {
            key: portcullis::crypto::token_key(&code),
            client_id: CLIENT_ID.into(),
            user_id: 1,
            redirect_uri: redirect_uri.into(),
            redirect_uri_given: true,
            scope: "profile".into(),
            code_challenge: None,
            expires_at: portcullis::time::now() + 60,
            oidc: None,
            resources: Vec::new(),
        })
        .await
        .expect("create code");
    let winner = race(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
        ],
    )
    .await;
    assert_eq!(winner["scope"], "profile");
    assert!(!server.is_active(str_field(&winner, "access_token")).await);
    let stored = store
        .code(&portcullis::crypto::token_key(&code))
        .await
        .expect("read code")
        .expect("the code is still stored");
    assert!(stored.used && stored.grant_id.is_some(), "{stored:?}");
}

/// `NODES` stores on one database, as separate nodes would hold: on
/// PostgreSQL each has its own pool, so the racing calls below run on
/// separate connections, at the same time.
const NODES: usize = 4;

async fn nodes(database: &FreshDatabase) -> Vec<SharedStore> {
    let mut stores = Vec::with_capacity(NODES);
    // One after the other: SQLite's migrations do not take turns by
    // themselves (a single node needs no such lock).
    for _ in 0..NODES {
        let store = portcullis::store::open(&database.url, 5).await;
        stores.push(store.expect("open store"));
    }
    // The demo client the grants below belong to: a token of a client that
    // does not exist is never active.
    portcullis::demo::seed(stores[0].as_ref(), "http://127.0.0.1/api")
        .await
        .expect("demo data");
    stores
}

fn new_token(kind: TokenKind) -> NewToken {
    let now = portcullis::time::now();
    NewToken {
        key: portcullis::crypto::token_key(&portcullis::crypto::new_token()),
        kind,
        scope: "profile".into(),
        issued_at: now,
        expires_at: now + 3600,
        audience: Vec::new(),
    }
}

fn new_grant() -> NewGrant {
    NewGrant {
        client_id: CLIENT_ID.into(),
        user_id: Some(1),
        created_at: portcullis::time::now(),
        oidc: None,
        resources: Vec::new(),
        client_version: None,
    }
}

// The HTTP races above are spread out by client authentication (Argon2, one
// hash per core at a time); here the store calls themselves collide.
async fn store_rotates_a_refresh_token_once(backend: Backend) {
    let database = backend.fresh_database().await;
    let stores = nodes(&database).await;
    let refresh = new_token(TokenKind::Refresh);
    stores[0]
        .issue_grant(&new_grant(), std::slice::from_ref(&refresh))
        .await
        .expect("issue grant");
    let rotations = join_all((0..RACERS).map(|i| {
        let tokens = [new_token(TokenKind::Access), new_token(TokenKind::Refresh)];
        let store = stores[i % NODES].clone();
        async move { store.rotate_refresh(&refresh.key, &tokens).await }
    }))
    .await;
    let rotated = rotations
        .into_iter()
        .map(|rotation| rotation.expect("rotate"))
        .filter(|rotated| *rotated)
        .count();
    assert_eq!(rotated, 1);
}

async fn store_exchanges_a_code_once(backend: Backend) {
    let database = backend.fresh_database().await;
    let stores = nodes(&database).await;
    let key: TokenKey = portcullis::crypto::token_key(&portcullis::crypto::new_token());
    stores[0]
        .create_code(&NewCode {
            key,
            client_id: CLIENT_ID.into(),
            user_id: 1,
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
            redirect_uri_given: true,
            scope: "profile".into(),
            code_challenge: None,
            expires_at: portcullis::time::now() + 60,
            oidc: None,
            resources: Vec::new(),
        })
        .await
        .expect("create code");
    let exchanges = join_all((0..RACERS).map(|i| {
        let tokens = [new_token(TokenKind::Access), new_token(TokenKind::Refresh)];
        let store = stores[i % NODES].clone();
        async move { store.exchange_code(&key, &new_grant(), &tokens).await }
    }))
    .await;
    let outcomes: Vec<CodeExchange> = exchanges
        .into_iter()
        .map(|exchange| exchange.expect("exchange"))
        .collect();
    let winners: Vec<i64> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            CodeExchange::Exchanged { grant_id } => Some(*grant_id),
            CodeExchange::AlreadyUsed { .. } => None,
        })
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    // Every loser learns which grant the code produced, to revoke it (§10.5).
    let produced = Some(winners[0]);
    for outcome in &outcomes {
        if let CodeExchange::AlreadyUsed { grant_id } = outcome {
            assert_eq!(*grant_id, produced, "{outcomes:?}");
        }
    }
}

// Every node runs the periodic purge: running it at once on several nodes
// deletes each expired row once, keeps the live ones, and does not deadlock.
async fn concurrent_purges_delete_each_expired_row_once(backend: Backend) {
    let database = backend.fresh_database().await;
    let stores = nodes(&database).await;
    let now = portcullis::time::now();
    // More than one purge batch, all in one grant that empties.
    let expired: Vec<NewToken> = (0..2500)
        .map(|_| NewToken {
            expires_at: now - 1,
            ..new_token(TokenKind::Access)
        })
        .collect();
    stores[0]
        .issue_grant(&new_grant(), &expired)
        .await
        .expect("issue expired tokens");
    let live = new_token(TokenKind::Refresh);
    stores[0]
        .issue_grant(&new_grant(), std::slice::from_ref(&live))
        .await
        .expect("issue a live token");
    let purges = join_all(
        stores
            .iter()
            .map(|store| store.purge_expired(now, now - 86_400)),
    )
    .await;
    let purged: u64 = purges.into_iter().map(|purge| purge.expect("purge")).sum();
    assert_eq!(
        purged,
        expired.len() as u64 + 1,
        "the tokens and their grant"
    );
    let kept = stores[0].token(&live.key).await.expect("read token");
    assert!(kept.is_some_and(|token| token.is_active(now)));
}

// Nodes started together all run the migrations at start; the migrator's
// advisory lock makes them take turns instead of failing on each other's
// half-created tables.
async fn nodes_starting_together_migrate_once(backend: Backend) {
    let database = backend.fresh_database().await;
    let opened = join_all((0..4).map(|_| portcullis::store::open(&database.url, 2))).await;
    for store in opened {
        let store = store.expect("every node opens the store");
        assert!(store
            .list_users(0, u32::MAX)
            .await
            .expect("the schema exists")
            .is_empty());
    }
}

backend_tests! {
    concurrent_refreshes_rotate_exactly_once,
    concurrent_code_exchanges_issue_one_token,
    store_rotates_a_refresh_token_once,
    store_exchanges_a_code_once,
    concurrent_purges_delete_each_expired_row_once,
}

// Several nodes on one database only exist with PostgreSQL.
mod postgres_only {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nodes_starting_together_migrate_once() {
        if let Some(backend) = crate::common::Backend::postgres() {
            super::nodes_starting_together_migrate_once(backend).await
        }
    }
}
