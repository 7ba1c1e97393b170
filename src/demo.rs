//! The demo data of SPEC §1, created idempotently by `serve --demo`.

use crate::crypto;
use crate::store::{Client, OpeningHours, Restaurant, Store, StoreError, StoreResult};

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
                    grant_types: [
                        "authorization_code",
                        "password",
                        "client_credentials",
                        "refresh_token",
                    ]
                    .map(String::from)
                    .to_vec(),
                    response_types: vec!["code".into()],
                    scope: "all profile email restaurants:read restaurants:write".into(),
                    token_endpoint_auth_method: "client_secret_basic".into(),
                    owner_id: None,
                    client_id_issued_at: crate::time::now(),
                    client_secret_expires_at: 0,
                })
                .await,
        )?;
    }
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
