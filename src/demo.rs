//! The demo data of SPEC §1, created idempotently by `serve --demo`.

use crate::crypto;
use crate::oauth::vocabulary::{AuthMethod, GrantType, ResponseType};
use crate::store::{Client, Registrant, Restaurant, Store, StoreError, StoreResult};

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

pub async fn seed(store: &dyn Store) -> anyhow::Result<()> {
    if store.user_by_name("mike").await?.is_none() {
        let hash = crypto::hash_password("pass".into()).await?;
        seeded(store.create_user("mike", &hash).await)?;
    }
    if store.client(DEMO_CLIENT_ID).await?.is_none() {
        // A secret a person chose: Argon2id, not SHA-256 (SPEC §6).
        let secret_hash = crypto::hash_password(DEMO_CLIENT_SECRET.into()).await?;
        seeded(
            store
                .create_client(&Client {
                    client_id: DEMO_CLIENT_ID.into(),
                    client_name: "mike".into(),
                    client_uri: None,
                    secret_hash: Some(secret_hash),
                    redirect_uris: vec![
                        "http://localhost:9000/api/me".into(),
                        "http://127.0.0.1:8765/callback".into(),
                    ],
                    post_logout_redirect_uris: Vec::new(),
                    grant_types: vec![
                        GrantType::AuthorizationCode,
                        GrantType::Password,
                        GrantType::ClientCredentials,
                        GrantType::RefreshToken,
                    ],
                    response_types: vec![ResponseType::Code],
                    scope: "all profile email restaurants:read restaurants:write".into(),
                    token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
                    registrant: Registrant::Operator,
                    resource_server: false,
                    client_id_issued_at: crate::time::now(),
                    client_secret_expires_at: 0,
                })
                .await,
        )?;
    }
    for (name, address, opening_hours) in [
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
    ] {
        store
            .ensure_restaurant(&Restaurant {
                id: 0,
                name: name.into(),
                address: address.into(),
                opening_hours: opening_hours.into(),
            })
            .await?;
    }
    Ok(())
}
