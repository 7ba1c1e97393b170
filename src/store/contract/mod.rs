//! The store contract: what every engine must do, written once against the
//! traits and run on the in-memory model, SQLite and PostgreSQL (when
//! `PORTCULLIS_TEST_POSTGRES_URL` names a server; mandatory in CI with
//! `PORTCULLIS_REQUIRE_POSTGRES`). A new store method gets its contract
//! here, then its SQL in each engine.

mod accounts;
mod grants;
mod openid;
mod operations;
mod resources;
mod sessions;

use super::memory::MemoryStore;
use super::*;
use crate::crypto;
use crate::keys::SigningAlg;
use crate::oauth::oidc::context::GrantContext;
use crate::oauth::oidc::id_token::AuthenticationMethod;
use crate::oauth::vocabulary::{AccessTokenFormat, AuthMethod, GrantType, ResponseType};
use accounts::*;
use futures::future::join_all;
use grants::*;
use openid::*;
use operations::*;
use resources::*;
use sessions::*;

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
    a_client_is_read_with_a_token_or_without_one,
    a_cached_client_is_used_only_while_unchanged,
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
        client_version: None,
    }
}

pub(super) fn context() -> GrantContext {
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
        version: None,
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
pub(super) const API: &str = "https://api.example/mcp";
pub(super) const OTHER_API: &str = "https://other.example/";

/// A user and a client to hang grants on.
pub(super) async fn user_and_client(store: &dyn Store) -> (User, Client) {
    let user = store.create_user("mike", "hash").await.expect("user");
    let client = client("app", Registrant::Operator);
    store.create_client(&client).await.expect("client");
    (user, client)
}
