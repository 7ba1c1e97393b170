//! The store contract: what every engine must do, written once against the
//! traits and run on the in-memory model, SQLite and PostgreSQL (when
//! `PORTCULLIS_TEST_POSTGRES_URL` names a server; mandatory in CI with
//! `PORTCULLIS_REQUIRE_POSTGRES`). A new store method gets its contract
//! here, then its SQL in each engine.

mod operations;

use super::memory::MemoryStore;
use super::*;
use crate::crypto;
use crate::keys::{KeyEncryptionKey, Retirement, SigningAlg, StoredKey};
use crate::oauth::oidc::claims::UserClaims;
use crate::oauth::oidc::context::GrantContext;
use crate::oauth::oidc::id_token::AuthenticationMethod;
use crate::oauth::vocabulary::{AccessTokenFormat, AuthMethod, GrantType, ResponseType};
use futures::future::join_all;
use operations::*;

mod registration;
use registration::*;

/// A store to test and whatever keeps its database alive.
struct Engine {
    store: SharedStore,
    _keep: Box<dyn std::any::Any + Send>,
}

async fn memory() -> Option<Engine> {
    Some(Engine {
        store: Arc::new(MemoryStore::default()),
        _keep: Box::new(()),
    })
}

async fn sqlite() -> Option<Engine> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("contract.db").display());
    let store = open(&url, 4).await.expect("open SQLite");
    Some(Engine {
        store,
        _keep: Box::new(dir),
    })
}

/// A database of its own on the test PostgreSQL server, dropped afterwards.
struct PostgresDatabase {
    server: String,
    name: String,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop runs outside async: clean up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&server).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

async fn postgres() -> Option<Engine> {
    let server = match std::env::var("PORTCULLIS_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("PORTCULLIS_REQUIRE_POSTGRES").is_err(),
                "PORTCULLIS_REQUIRE_POSTGRES is set but PORTCULLIS_TEST_POSTGRES_URL is not"
            );
            eprintln!("NOTICE: PostgreSQL contract skipped: set PORTCULLIS_TEST_POSTGRES_URL");
            return None;
        }
    };
    use sqlx::Connection;
    let name = format!("pc_contract_{}", hex::encode(crypto::random_bytes::<6>()));
    let mut conn = sqlx::PgConnection::connect(&server)
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create a database");
    let mut url = url::Url::parse(&server).expect("a URL");
    url.set_path(&name);
    let store = open(url.as_str(), 4).await.expect("open PostgreSQL");
    Some(Engine {
        store,
        _keep: Box::new(PostgresDatabase { server, name }),
    })
}

/// Declares each contract as a test on every engine.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_memory {
            $(
                #[tokio::test]
                async fn $name() {
                    let engine = super::memory().await.expect("always available");
                    super::$name(engine.store.as_ref()).await
                }
            )*
        }
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let engine = super::sqlite().await.expect("always available");
                    super::$name(engine.store.as_ref()).await
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(engine) = super::postgres().await {
                        super::$name(engine.store.as_ref()).await
                    }
                }
            )*
        }
    };
}

contract! {
    users_are_unique_and_found_by_name_and_id,
    a_client_keeps_every_field,
    clients_are_listed_per_owner_and_deleted_only_by_their_owner,
    deleting_a_client_takes_its_grants_tokens_and_codes,
    tokens_of_a_missing_client_are_revoked_and_never_revive,
    a_token_is_found_with_its_grant_and_user,
    a_refresh_token_rotates_at_most_once,
    revoking_a_grant_revokes_its_tokens_and_stops_rotation,
    a_code_is_exchanged_at_most_once,
    sessions_are_found_with_their_user_and_deleted,
    attempts_count_in_windows_and_release_only_their_own,
    a_server_secret_is_created_once,
    purge_deletes_what_expired_and_the_grants_it_empties,
    restaurants_update_by_id_or_oid_and_refuse_a_taken_name,
    every_registrant_survives_storage,
    an_initial_access_token_is_spent_at_most_as_often_as_it_allows,
    a_client_registration_is_found_by_its_token_updated_and_deleted,
    purge_deletes_self_registered_clients_that_never_held_a_grant,
    a_users_claims_are_replaced_whole,
    a_grants_openid_context_travels_from_code_to_tokens,
    signing_keys_are_inserted_retired_and_deleted_by_plan,
    consents_grow_by_union_and_revoking_one_ends_its_grants,
    clients_are_paged_by_id_and_updated_but_for_their_origin,
    users_are_renamed_and_disabling_one_kills_its_tokens_sessions_and_codes,
    grants_are_listed_by_user_or_client_a_page_at_a_time,
    admin_keys_are_unique_found_by_hash_and_revoked,
    audit_events_keep_their_order_filter_by_kind_and_time_and_purge,
    a_migrated_store_is_ready,
    resources_are_registered_replaced_and_deleted,
    resources_travel_from_code_to_grant_and_audiences_to_tokens,
}

pub(super) const NOW: i64 = 1_800_000_000;

pub(super) fn new_token(kind: TokenKind, expires_at: i64) -> NewToken {
    NewToken {
        key: crypto::token_key(&crypto::new_token()),
        kind,
        scope: "profile".into(),
        issued_at: NOW,
        expires_at,
        audience: Vec::new(),
    }
}

pub(super) fn grant(client_id: &str, user_id: Option<i64>) -> NewGrant {
    NewGrant {
        client_id: client_id.into(),
        user_id,
        created_at: NOW,
        oidc: None,
        resources: Vec::new(),
    }
}

fn context() -> GrantContext {
    GrantContext {
        auth_time: NOW - 5,
        amr: vec![AuthenticationMethod::Password],
        nonce: Some("n-0S6_WzA2Mj".into()),
        claims: Some(r#"{"userinfo":{"email":null}}"#.into()),
    }
}

pub(super) fn client(client_id: &str, registrant: Registrant) -> Client {
    Client {
        client_id: client_id.into(),
        client_name: format!("client {client_id}"),
        client_uri: Some("https://app.example".into()),
        secret_hash: Some(crypto::sha256_secret_hash("s")),
        redirect_uris: vec![
            "https://app.example/cb".into(),
            "http://127.0.0.1/cb".into(),
        ],
        post_logout_redirect_uris: vec!["https://app.example/bye".into()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        response_types: vec![ResponseType::Code],
        scope: "profile email".into(),
        token_endpoint_auth_method: AuthMethod::ClientSecretPost,
        registrant,
        resource_server: true,
        client_id_issued_at: NOW,
        client_secret_expires_at: 0,
        id_token_signed_response_alg: SigningAlg::Es256,
        userinfo_signed_response_alg: Some(SigningAlg::EdDsa),
        access_token_format: AccessTokenFormat::Jwt,
        previous_secret: Some(PreviousSecret {
            hash: crypto::sha256_secret_hash("old"),
            expires_at: NOW + 60,
        }),
    }
}

pub(super) fn new_code(client_id: &str, user_id: i64) -> NewCode {
    NewCode {
        key: crypto::token_key(&crypto::new_token()),
        client_id: client_id.into(),
        user_id,
        redirect_uri: "https://app.example/cb".into(),
        redirect_uri_given: false,
        scope: "profile".into(),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        expires_at: NOW + 60,
        oidc: Some(context()),
        resources: vec![API.into(), OTHER_API.into()],
    }
}

/// Resources tokens are bound to (RFC 8707).
const API: &str = "https://api.example/mcp";
const OTHER_API: &str = "https://other.example/";

/// A user and a client to hang grants on.
pub(super) async fn user_and_client(store: &dyn Store) -> (User, Client) {
    let user = store.create_user("mike", "hash").await.expect("user");
    let client = client("app", Registrant::Operator);
    store.create_client(&client).await.expect("client");
    (user, client)
}

async fn users_are_unique_and_found_by_name_and_id(store: &dyn Store) {
    let mike = store.create_user("mike", "h1").await.unwrap();
    let alice = store.create_user("alice", "h2").await.unwrap();
    assert_ne!(mike.id, alice.id);
    assert!(matches!(
        store.create_user("mike", "h3").await,
        Err(StoreError::Conflict)
    ));
    let found = store.user_by_name("alice").await.unwrap().unwrap();
    assert_eq!((found.id, found.password_hash.as_str()), (alice.id, "h2"));
    assert_eq!(
        store.user_by_id(mike.id).await.unwrap().unwrap().username,
        "mike"
    );
    assert!(store.user_by_name("nobody").await.unwrap().is_none());
    let listed: Vec<String> = store
        .list_users(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(listed, ["mike", "alice"]);
    // A page, then the page after its last id.
    let first = store.list_users(0, 1).await.unwrap();
    assert_eq!(first[0].username, "mike");
    let next = store.list_users(first[0].id, 1).await.unwrap();
    assert_eq!(next[0].username, "alice");
    assert!(!next[0].disabled);
}

async fn a_client_keeps_every_field(store: &dyn Store) {
    let owner = store.create_user("owner", "h").await.unwrap();
    let stored = client("c1", Registrant::User(owner.id));
    store.create_client(&stored).await.unwrap();
    let read = store.client("c1").await.unwrap().expect("the client");
    assert_eq!(format!("{read:?}"), format!("{stored:?}"));
    assert!(matches!(
        store.create_client(&stored).await,
        Err(StoreError::Conflict)
    ));
    assert!(store.client("c2").await.unwrap().is_none());
}

async fn clients_are_listed_per_owner_and_deleted_only_by_their_owner(store: &dyn Store) {
    let mike = store.create_user("mike", "h").await.unwrap();
    let alice = store.create_user("alice", "h").await.unwrap();
    for (id, registrant) in [
        ("b", Registrant::User(mike.id)),
        ("a", Registrant::User(mike.id)),
        ("c", Registrant::User(alice.id)),
        ("d", Registrant::Operator),
    ] {
        store.create_client(&client(id, registrant)).await.unwrap();
    }
    let ids = |clients: Vec<Client>| -> Vec<String> {
        clients.into_iter().map(|c| c.client_id).collect()
    };
    assert_eq!(
        ids(store.list_clients(Some(mike.id)).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        ids(store.list_clients(None).await.unwrap()),
        ["a", "b", "c", "d"]
    );
    assert!(!store.delete_client("c", Some(mike.id)).await.unwrap());
    assert!(store.delete_client("c", Some(alice.id)).await.unwrap());
    assert!(store.delete_client("d", None).await.unwrap());
    assert!(!store.delete_client("d", None).await.unwrap());
    assert_eq!(ids(store.list_clients(None).await.unwrap()), ["a", "b"]);
}

async fn deleting_a_client_takes_its_grants_tokens_and_codes(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let token = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&token),
        )
        .await
        .unwrap();
    let code = new_code(&client.client_id, user.id);
    store.create_code(&code).await.unwrap();
    assert!(store.delete_client(&client.client_id, None).await.unwrap());
    assert!(store.token(&token.key).await.unwrap().is_none());
    assert!(store.code(&code.key).await.unwrap().is_none());
}

async fn tokens_of_a_missing_client_are_revoked_and_never_revive(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    store.delete_client(&client.client_id, None).await.unwrap();
    // Written by a request that read the client just before it went.
    let late = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&late),
        )
        .await
        .unwrap();
    let record = store.token(&late.key).await.unwrap().expect("still stored");
    assert!(record.revoked && !record.is_active(NOW));
    store.create_client(&client).await.unwrap();
    let revived = store.token(&late.key).await.unwrap();
    assert!(revived.is_none_or(|r| !r.is_active(NOW)));
}

async fn a_token_is_found_with_its_grant_and_user(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let access = new_token(TokenKind::Access, NOW + 3600);
    let refresh = new_token(TokenKind::Refresh, NOW + 7200);
    let grant_id = store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            &[access.clone(), refresh.clone()],
        )
        .await
        .unwrap();
    let record = store.token(&access.key).await.unwrap().expect("the token");
    assert_eq!(record.kind, TokenKind::Access);
    assert_eq!(record.grant_id, grant_id);
    assert_eq!(record.client_id, "app");
    assert_eq!(record.user_id, Some(user.id));
    assert_eq!(record.username.as_deref(), Some("mike"));
    assert_eq!(record.scope, "profile");
    assert_eq!((record.issued_at, record.expires_at), (NOW, NOW + 3600));
    assert!(record.is_active(NOW) && !record.is_active(NOW + 3600));
    let record = store.token(&refresh.key).await.unwrap().expect("the token");
    assert_eq!(record.kind, TokenKind::Refresh);
    // Without a user (client_credentials).
    let userless = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, None),
            std::slice::from_ref(&userless),
        )
        .await
        .unwrap();
    let record = store
        .token(&userless.key)
        .await
        .unwrap()
        .expect("the token");
    assert_eq!((record.user_id, record.username), (None, None));
    // Revoking one token leaves its grant's others alone.
    store.revoke_token(&access.key).await.unwrap();
    assert!(store.token(&access.key).await.unwrap().unwrap().revoked);
    assert!(!store.token(&refresh.key).await.unwrap().unwrap().revoked);
    let unknown = crypto::token_key(&crypto::new_token());
    assert!(store.token(&unknown).await.unwrap().is_none());
}

async fn a_refresh_token_rotates_at_most_once(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let refresh = new_token(TokenKind::Refresh, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&refresh),
        )
        .await
        .unwrap();
    let attempts = (0..8).map(|_| {
        let next = [
            new_token(TokenKind::Access, NOW + 60),
            new_token(TokenKind::Refresh, NOW + 60),
        ];
        async move {
            (
                store.rotate_refresh(&refresh.key, &next).await.unwrap(),
                next,
            )
        }
    });
    let outcomes = join_all(attempts).await;
    let winners: Vec<_> = outcomes.iter().filter(|(won, _)| *won).collect();
    assert_eq!(winners.len(), 1, "exactly one rotation wins");
    let (_, minted) = winners[0];
    assert!(store.token(&refresh.key).await.unwrap().unwrap().used);
    for token in minted {
        assert!(store
            .token(&token.key)
            .await
            .unwrap()
            .unwrap()
            .is_active(NOW));
    }
    for (_, lost) in outcomes.iter().filter(|(won, _)| !*won) {
        assert!(store.token(&lost[0].key).await.unwrap().is_none());
    }
    // An access token never rotates.
    let access = new_token(TokenKind::Access, NOW + 60);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&access),
        )
        .await
        .unwrap();
    assert!(!store.rotate_refresh(&access.key, &[]).await.unwrap());
}

async fn revoking_a_grant_revokes_its_tokens_and_stops_rotation(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let access = new_token(TokenKind::Access, NOW + 60);
    let refresh = new_token(TokenKind::Refresh, NOW + 60);
    let grant_id = store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            &[access.clone(), refresh.clone()],
        )
        .await
        .unwrap();
    store.revoke_grant(grant_id).await.unwrap();
    for key in [access.key, refresh.key] {
        assert!(store.token(&key).await.unwrap().unwrap().revoked);
    }
    let next = [new_token(TokenKind::Access, NOW + 60)];
    assert!(!store.rotate_refresh(&refresh.key, &next).await.unwrap());
}

async fn a_code_is_exchanged_at_most_once(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let code = new_code(&client.client_id, user.id);
    store.create_code(&code).await.unwrap();
    let read = store.code(&code.key).await.unwrap().expect("the code");
    assert_eq!(read.client_id, "app");
    assert_eq!(read.user_id, user.id);
    assert_eq!(read.redirect_uri, "https://app.example/cb");
    assert!(!read.redirect_uri_given && !read.used && read.grant_id.is_none());
    assert_eq!(read.oidc, Some(context()));
    assert_eq!(read.code_challenge, code.code_challenge);
    assert_eq!(
        (read.scope.as_str(), read.expires_at),
        ("profile", NOW + 60)
    );
    let attempts = (0..8).map(|_| {
        let tokens = [new_token(TokenKind::Access, NOW + 60)];
        let grant = grant(&client.client_id, Some(user.id));
        async move {
            store
                .exchange_code(&code.key, &grant, &tokens)
                .await
                .unwrap()
        }
    });
    let outcomes = join_all(attempts).await;
    let won: Vec<i64> = outcomes
        .iter()
        .filter_map(|o| match o {
            CodeExchange::Exchanged { grant_id } => Some(*grant_id),
            CodeExchange::AlreadyUsed { .. } => None,
        })
        .collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    for outcome in &outcomes {
        if let CodeExchange::AlreadyUsed { grant_id } = outcome {
            assert_eq!(*grant_id, Some(won[0]), "the loser learns what to revoke");
        }
    }
    let read = store.code(&code.key).await.unwrap().unwrap();
    assert!(read.used && read.grant_id == Some(won[0]));
}

async fn sessions_are_found_with_their_user_and_deleted(store: &dyn Store) {
    let user = store.create_user("mike", "h").await.unwrap();
    let key = crypto::token_key(&crypto::new_token());
    store
        .create_session(&NewSession {
            key,
            user_id: user.id,
            created_at: NOW,
            expires_at: NOW + 60,
        })
        .await
        .unwrap();
    let session = store.session(&key).await.unwrap().expect("the session");
    assert_eq!(session.user_id, user.id);
    assert_eq!(session.username, "mike");
    assert_eq!((session.created_at, session.expires_at), (NOW, NOW + 60));
    store.delete_session(&key).await.unwrap();
    assert!(store.session(&key).await.unwrap().is_none());
}

async fn attempts_count_in_windows_and_release_only_their_own(store: &dyn Store) {
    let keys = vec!["a".to_string(), "b".to_string()];
    let first = store.count_attempts(&keys, NOW, 60).await.unwrap();
    assert_eq!(
        first,
        [Failures {
            count: 1,
            window_start: NOW
        }; 2]
    );
    let second = store
        .count_attempts(&keys[..1], NOW + 10, 60)
        .await
        .unwrap();
    assert_eq!(
        second,
        [Failures {
            count: 2,
            window_start: NOW
        }]
    );
    let mut open = store.failures(&keys, NOW + 10, 60).await.unwrap();
    open.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        open,
        [
            (
                "a".to_string(),
                Failures {
                    count: 2,
                    window_start: NOW
                }
            ),
            (
                "b".to_string(),
                Failures {
                    count: 1,
                    window_start: NOW
                }
            ),
        ]
    );
    // A closed window does not show, and the next attempt opens a new one.
    assert!(store
        .failures(&keys, NOW + 60, 60)
        .await
        .unwrap()
        .is_empty());
    let reopened = store
        .count_attempts(&keys[1..], NOW + 60, 60)
        .await
        .unwrap();
    assert_eq!(
        reopened,
        [Failures {
            count: 1,
            window_start: NOW + 60
        }]
    );
    // A release counts only against the window it was taken in.
    store
        .release_attempts(&[("a".into(), NOW), ("b".into(), NOW)])
        .await
        .unwrap();
    let after = store.failures(&keys, NOW + 61, 60).await.unwrap();
    assert_eq!(
        after,
        [(
            "b".to_string(),
            Failures {
                count: 1,
                window_start: NOW + 60
            }
        )]
    );
    let released = store.failures(&keys[..1], NOW + 10, 60).await.unwrap();
    assert_eq!(
        released,
        [(
            "a".to_string(),
            Failures {
                count: 1,
                window_start: NOW
            }
        )]
    );
}

async fn a_server_secret_is_created_once(store: &dyn Store) {
    let first = store.server_secret("csrf").await.unwrap();
    assert_eq!(first.len(), 32);
    assert_eq!(store.server_secret("csrf").await.unwrap(), first);
    assert_ne!(store.server_secret("other").await.unwrap(), first);
}

async fn purge_deletes_what_expired_and_the_grants_it_empties(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let expired = new_token(TokenKind::Access, NOW - 1);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&expired),
        )
        .await
        .unwrap();
    let live = new_token(TokenKind::Refresh, NOW + 60);
    let half = new_token(TokenKind::Access, NOW - 1);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            &[live.clone(), half.clone()],
        )
        .await
        .unwrap();
    let session_key = crypto::token_key(&crypto::new_token());
    store
        .create_session(&NewSession {
            key: session_key,
            user_id: user.id,
            created_at: NOW - 100,
            expires_at: NOW - 1,
        })
        .await
        .unwrap();
    // Two expired tokens, one session, one emptied grant.
    assert_eq!(store.purge_expired(NOW, NOW - 86400).await.unwrap(), 4);
    assert!(store.token(&expired.key).await.unwrap().is_none());
    assert!(store.token(&half.key).await.unwrap().is_none());
    assert!(store
        .token(&live.key)
        .await
        .unwrap()
        .unwrap()
        .is_active(NOW));
    assert!(store.session(&session_key).await.unwrap().is_none());
    assert_eq!(store.purge_expired(NOW, NOW - 86400).await.unwrap(), 0);
}

async fn restaurants_update_by_id_or_oid_and_refuse_a_taken_name(store: &dyn Store) {
    for (oid, name) in [
        ("5aef5a2318d34d27b700b4b3", "Chez Mike"),
        ("0123456789abcdef01234567", "Crab"),
    ] {
        let restaurant = Restaurant {
            id: 0,
            oid: oid.into(),
            name: name.into(),
            address: "1 Road".into(),
            hours: OpeningHours::parse("Mon-Sat 12:00-23:00"),
        };
        store.ensure_restaurant(&restaurant).await.unwrap();
        // Idempotent: seeding twice adds nothing.
        store.ensure_restaurant(&restaurant).await.unwrap();
    }
    let listed = store.restaurants().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].hours.to_string(), "Mon-Sat 12:00-23:00");
    let by_oid = RestaurantKey::oid("5AEF5A2318D34D27B700B4B3").expect("an oid");
    let patch = RestaurantPatch {
        address: Some("2 Road".into()),
        ..Default::default()
    };
    let updated = store
        .update_restaurant(&by_oid, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.address.as_str()),
        ("Chez Mike", "2 Road")
    );
    let by_id = RestaurantKey::Id(listed[1].id);
    let taken = RestaurantPatch {
        name: Some("Chez Mike".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.update_restaurant(&by_id, &taken).await,
        Err(StoreError::Conflict)
    ));
    let missing = RestaurantKey::Id(i64::MAX);
    assert!(store
        .update_restaurant(&missing, &patch)
        .await
        .unwrap()
        .is_none());
}

async fn a_users_claims_are_replaced_whole(store: &dyn Store) {
    let user = store.create_user("mike", "h").await.unwrap();
    assert_eq!(user.claims, UserClaims::default());
    let claims = UserClaims {
        name: Some("Mike Example".into()),
        email: Some("mike@example.com".into()),
        email_verified: Some(true),
        ..UserClaims::default()
    };
    assert!(store.set_user_claims(user.id, &claims).await.unwrap());
    assert_eq!(
        store.user_by_id(user.id).await.unwrap().unwrap().claims,
        claims
    );
    assert_eq!(
        store.user_by_name("mike").await.unwrap().unwrap().claims,
        claims
    );
    assert!(!store.set_user_claims(i64::MAX, &claims).await.unwrap());
}

async fn a_grants_openid_context_travels_from_code_to_tokens(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let with_context = NewGrant {
        oidc: Some(context().for_grant()),
        ..grant(&client.client_id, Some(user.id))
    };
    let token = new_token(TokenKind::Refresh, NOW + 60);
    store
        .issue_grant(&with_context, std::slice::from_ref(&token))
        .await
        .unwrap();
    let record = store.token(&token.key).await.unwrap().unwrap();
    assert_eq!(record.oidc, Some(context().for_grant()));
    let plain = new_token(TokenKind::Access, NOW + 60);
    store
        .issue_grant(
            &grant(&client.client_id, None),
            std::slice::from_ref(&plain),
        )
        .await
        .unwrap();
    assert_eq!(store.token(&plain.key).await.unwrap().unwrap().oidc, None);
    // The code's exchange writes it with the grant too.
    let code = new_code(&client.client_id, user.id);
    store.create_code(&code).await.unwrap();
    let exchanged = new_token(TokenKind::Refresh, NOW + 60);
    store
        .exchange_code(&code.key, &with_context, std::slice::from_ref(&exchanged))
        .await
        .unwrap();
    let record = store.token(&exchanged.key).await.unwrap().unwrap();
    assert_eq!(record.oidc, Some(context().for_grant()));
}

async fn signing_keys_are_inserted_retired_and_deleted_by_plan(store: &dyn Store) {
    let kek =
        KeyEncryptionKey::from_base64("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=").unwrap();
    let first = StoredKey::generate(SigningAlg::Es256, &kek, NOW, NOW).unwrap();
    let second = StoredKey::generate(SigningAlg::EdDsa, &kek, NOW + 1, NOW + 60).unwrap();
    let both = [first.clone(), second.clone()];
    store.apply_key_plan(&both, &[], &[]).await.unwrap();
    // Inserting a key twice (two nodes planning at once) keeps one.
    store.apply_key_plan(&both, &[], &[]).await.unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].kid, first.kid);
    assert_eq!(keys[0].public_jwk, first.public_jwk);
    assert_eq!(keys[0].encrypted_private, first.encrypted_private);
    assert_eq!((keys[1].activates_at, keys[1].retires_at), (NOW + 60, None));
    let retire = |at: i64| Retirement {
        kid: first.kid.clone(),
        retires_at: at,
        removes_at: at + 100,
    };
    store
        .apply_key_plan(&[], &[retire(NOW + 10)], &[])
        .await
        .unwrap();
    // A key already retired keeps its times.
    store
        .apply_key_plan(&[], &[retire(NOW + 20)], &[])
        .await
        .unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(
        (keys[0].retires_at, keys[0].removes_at),
        (Some(NOW + 10), Some(NOW + 110))
    );
    store
        .apply_key_plan(&[], &[], std::slice::from_ref(&first.kid))
        .await
        .unwrap();
    let kids: Vec<String> = store
        .signing_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, [second.kid]);
}

async fn consents_grow_by_union_and_revoking_one_ends_its_grants(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    assert_eq!(
        store.consent(user.id, &client.client_id).await.unwrap(),
        None
    );
    store
        .remember_consent(user.id, &client.client_id, "openid profile", NOW)
        .await
        .unwrap();
    store
        .remember_consent(user.id, &client.client_id, "profile email", NOW + 5)
        .await
        .unwrap();
    let held = store.consent(user.id, &client.client_id).await.unwrap();
    assert_eq!(held.as_deref(), Some("openid profile email"));
    let listed = store.consents(user.id).await.unwrap();
    assert_eq!(
        listed,
        [ConsentRecord {
            client_id: client.client_id.clone(),
            client_name: client.client_name.clone(),
            scope: "openid profile email".into(),
            granted_at: NOW + 5,
        }]
    );
    let token = new_token(TokenKind::Refresh, NOW + 60);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&token),
        )
        .await
        .unwrap();
    store
        .revoke_consent(user.id, &client.client_id)
        .await
        .unwrap();
    assert_eq!(
        store.consent(user.id, &client.client_id).await.unwrap(),
        None
    );
    assert!(store.token(&token.key).await.unwrap().unwrap().revoked);
    assert!(store.consents(user.id).await.unwrap().is_empty());
}

async fn resources_are_registered_replaced_and_deleted(store: &dyn Store) {
    let api = Resource {
        identifier: API.into(),
        scope: "profile".into(),
        created_at: NOW,
    };
    store.put_resource(&api).await.unwrap();
    let rescoped = Resource {
        scope: "profile email".into(),
        created_at: NOW + 5,
        ..api.clone()
    };
    store.put_resource(&rescoped).await.unwrap();
    let read = store.resource(API).await.unwrap().expect("registered");
    assert_eq!(read.scope, "profile email", "put replaces the scopes");
    assert_eq!(read.created_at, NOW, "and keeps when it was registered");
    assert!(store.resource(OTHER_API).await.unwrap().is_none());
    assert_eq!(store.list_resources().await.unwrap(), [read]);
    assert!(store.delete_resource(API).await.unwrap());
    assert!(!store.delete_resource(API).await.unwrap());
    assert!(store.list_resources().await.unwrap().is_empty());
}

async fn resources_travel_from_code_to_grant_and_audiences_to_tokens(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let code = new_code(&client.client_id, user.id);
    store.create_code(&code).await.unwrap();
    let read = store.code(&code.key).await.unwrap().unwrap();
    assert_eq!(read.resources, [API, OTHER_API]);
    let access = NewToken {
        audience: vec![API.into()],
        ..new_token(TokenKind::Access, NOW + 60)
    };
    let refresh = new_token(TokenKind::Refresh, NOW + 60);
    let remembered = NewGrant {
        resources: read.resources.clone(),
        ..grant(&client.client_id, Some(user.id))
    };
    store
        .exchange_code(&code.key, &remembered, &[access.clone(), refresh.clone()])
        .await
        .unwrap();
    let token = store.token(&access.key).await.unwrap().unwrap();
    assert_eq!(token.audience, [API]);
    assert_eq!(token.grant_resources, [API, OTHER_API]);
    let token = store.token(&refresh.key).await.unwrap().unwrap();
    assert!(token.audience.is_empty());
    // A rotation's tokens keep theirs; a grant issued at once too.
    let narrowed = NewToken {
        audience: vec![OTHER_API.into()],
        ..new_token(TokenKind::Access, NOW + 60)
    };
    assert!(store
        .rotate_refresh(&refresh.key, std::slice::from_ref(&narrowed))
        .await
        .unwrap());
    let token = store.token(&narrowed.key).await.unwrap().unwrap();
    assert_eq!(token.audience, [OTHER_API]);
    let direct = NewToken {
        audience: vec![API.into(), OTHER_API.into()],
        ..new_token(TokenKind::Access, NOW + 60)
    };
    let bound = NewGrant {
        resources: direct.audience.clone(),
        ..grant(&client.client_id, None)
    };
    store
        .issue_grant(&bound, std::slice::from_ref(&direct))
        .await
        .unwrap();
    let token = store.token(&direct.key).await.unwrap().unwrap();
    assert_eq!(token.audience, [API, OTHER_API]);
    assert_eq!(token.grant_resources, [API, OTHER_API]);
}
