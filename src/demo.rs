//! The demo data of SPEC §1, created idempotently by `serve --demo`: the
//! user, clients and restaurants that the example servers' walkthroughs
//! use (README, "Coming from the example servers"), so that their requests
//! work with only host and port changed.

use crate::crypto;
use crate::keys::SigningAlg;
use crate::oauth::oidc::claims::UserClaims;
use crate::oauth::vocabulary::{AccessTokenFormat, AuthMethod, GrantType, ResponseType};
use crate::store::{
    Client, OpeningHours, Registrant, Resource, Restaurant, Store, StoreError, StoreResult,
};

/// Another node seeding the same empty database at the same moment wins
/// the insert; that is as good as having seeded it here.
fn seeded(result: StoreResult<impl Sized>) -> StoreResult<()> {
    match result {
        Ok(_) | Err(StoreError::Conflict) => Ok(()),
        Err(error) => Err(error),
    }
}

pub const DEMO_CLIENT_ID: &str = "mike_id";
pub const DEMO_CLIENT_SECRET: &str = "mike_secret";

/// A confidential client whose secret a person chose (the seeds print it).
struct DemoClient {
    client_id: &'static str,
    secret: &'static str,
    client_name: &'static str,
    grant_types: &'static [GrantType],
    response_types: &'static [ResponseType],
    redirect_uris: &'static [&'static str],
    post_logout_redirect_uris: &'static [&'static str],
    scope: &'static str,
    token_endpoint_auth_method: AuthMethod,
}

const CLIENTS: [DemoClient; 3] = [
    // Authlib's example servers (seeds 000, 001, 003) and the README.
    DemoClient {
        client_id: DEMO_CLIENT_ID,
        secret: DEMO_CLIENT_SECRET,
        client_name: "mike",
        grant_types: &[
            GrantType::AuthorizationCode,
            GrantType::Password,
            GrantType::ClientCredentials,
            GrantType::RefreshToken,
        ],
        response_types: &[ResponseType::Code],
        redirect_uris: &[
            "http://localhost:9000/api/me",
            "http://127.0.0.1:8765/callback",
        ],
        // README, "Signing users in with OpenID Connect".
        post_logout_redirect_uris: &["http://127.0.0.1:8765/signed-out"],
        scope: "all openid profile email offline_access restaurants:read restaurants:write",
        token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
    },
    // The aioauth FastAPI example (seed 002): `curl -u 'test_client:password'`.
    DemoClient {
        client_id: "test_client",
        secret: "password",
        client_name: "aioauth FastAPI example",
        grant_types: &[GrantType::AuthorizationCode, GrantType::RefreshToken],
        response_types: &[ResponseType::Code],
        redirect_uris: &["https://www.example.com/redirect"],
        post_logout_redirect_uris: &[],
        scope: "email",
        token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
    },
    // The Tornado example (seed 004), which sends its credentials in a JSON
    // body.
    DemoClient {
        client_id: "admin",
        secret: "getroot",
        client_name: "Tornado example",
        grant_types: &[GrantType::ClientCredentials],
        response_types: &[],
        redirect_uris: &[],
        post_logout_redirect_uris: &[],
        scope: "restaurent",
        token_endpoint_auth_method: AuthMethod::ClientSecretPost,
    },
];

/// The Tornado seed's update request names this restaurant
/// (`/restaurentUpdate?id=5aef5a2318d34d27b700b4b3&…`): the demo's first.
pub const SEED_RESTAURANT_OID: &str = "5aef5a2318d34d27b700b4b3";

const RESTAURANTS: [(&str, &str, &str); 3] = [
    (
        "Chez Mike",
        "1 Rue de la Paix, Paris",
        "Mon-Sat 12:00-23:00",
    ),
    (
        "The Rusty Crab",
        "42 Harbour Road, Brighton",
        "Daily 11:00-22:00",
    ),
    (
        "Portcullis Pizza",
        "7 Castle Street, Edinburgh",
        "Tue-Sun 17:00-23:30",
    ),
];

/// Every scope the demo clients are registered with: `serve --demo`
/// advertises them (RFC 8414 `scopes_supported`) beside the configured ones.
pub fn scopes() -> impl Iterator<Item = &'static str> {
    CLIENTS.iter().flat_map(|client| client.scope.split(' '))
}

/// The scopes of the example API as a resource (RFC 8707, RFC 9728): what
/// MCP clients that register themselves ask for, so among those
/// self-registration opens by default.
pub const API_SCOPES: &str = "profile";

/// Seeds the demo data; `api` is the example API's resource identifier
/// (`<issuer>/api`).
pub async fn seed(store: &dyn Store, api: &str) -> anyhow::Result<()> {
    if store.user_by_name("mike").await?.is_none() {
        let hash = crypto::hash_password("pass".into()).await?;
        match store.create_user("mike", &hash).await {
            Ok(mike) => _ = store.set_user_claims(mike.id, &mike_claims()).await?,
            // Another node seeded mike (and his claims) first.
            Err(StoreError::Conflict) => {}
            Err(error) => return Err(error.into()),
        }
    }
    if store.resource(api).await?.is_none() {
        let resource = Resource {
            identifier: api.to_owned(),
            scope: API_SCOPES.into(),
            created_at: crate::time::now(),
        };
        store.put_resource(&resource).await?;
    }
    // Each missing client costs an Argon2id hash: hash them side by side.
    futures::future::try_join_all(CLIENTS.iter().map(|client| ensure_client(store, client)))
        .await?;
    for (index, (name, address, hours)) in RESTAURANTS.into_iter().enumerate() {
        let oid = match index {
            0 => SEED_RESTAURANT_OID.to_owned(),
            _ => crypto::object_id(),
        };
        store
            .ensure_restaurant(&Restaurant {
                id: 0,
                oid,
                name: name.into(),
                address: address.into(),
                hours: OpeningHours::parse(hours),
            })
            .await?;
    }
    Ok(())
}

/// What OpenID Connect relying parties learn about the demo user.
fn mike_claims() -> UserClaims {
    UserClaims {
        name: Some("Mike Example".into()),
        given_name: Some("Mike".into()),
        family_name: Some("Example".into()),
        preferred_username: Some("mike".into()),
        email: Some("mike@example.com".into()),
        email_verified: Some(true),
        ..UserClaims::default()
    }
}

async fn ensure_client(store: &dyn Store, client: &DemoClient) -> anyhow::Result<()> {
    if store.client(client.client_id).await?.is_some() {
        return Ok(());
    }
    // A secret a person chose: Argon2id, not SHA-256 (SPEC §6).
    let secret_hash = crypto::hash_password(client.secret.into()).await?;
    seeded(
        store
            .create_client(&Client {
                client_id: client.client_id.into(),
                client_name: client.client_name.into(),
                client_uri: None,
                secret_hash: Some(secret_hash),
                redirect_uris: client.redirect_uris.iter().map(|s| s.to_string()).collect(),
                post_logout_redirect_uris: client
                    .post_logout_redirect_uris
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                grant_types: client.grant_types.to_vec(),
                response_types: client.response_types.to_vec(),
                scope: client.scope.into(),
                token_endpoint_auth_method: client.token_endpoint_auth_method,
                registrant: Registrant::Operator,
                resource_server: false,
                id_token_signed_response_alg: SigningAlg::Rs256,
                userinfo_signed_response_alg: None,
                access_token_format: AccessTokenFormat::Opaque,
                client_id_issued_at: crate::time::now(),
                client_secret_expires_at: 0,
                previous_secret: None,
                version: None,
            })
            .await,
    )?;
    Ok(())
}
