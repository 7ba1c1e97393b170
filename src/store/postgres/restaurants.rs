//! The example resource API's restaurants (SPEC §4).

use super::{all, optional, PostgresStore};
use crate::store::rows::{self, restaurant_columns};
use crate::store::{Restaurant, RestaurantKey, RestaurantPatch, RestaurantStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl RestaurantStore for PostgresStore {
    async fn restaurants(&self) -> StoreResult<Vec<Restaurant>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    restaurant_columns!(),
                    " FROM restaurants ORDER BY id"
                ))
                .await?;
            all(conn.query(&select, &[]).await?, rows::restaurant)
        })
        .await
    }

    async fn update_restaurant(
        &self,
        key: &RestaurantKey,
        patch: &RestaurantPatch,
    ) -> StoreResult<Option<Restaurant>> {
        let (id, oid) = key.columns();
        self.run(async |conn| {
            let update = conn
                .prepare_cached(concat!(
                    "UPDATE restaurants SET name = COALESCE($1, name),
                        address = COALESCE($2, address), days = COALESCE($3, days),
                        opens = COALESCE($4, opens), closes = COALESCE($5, closes)
                     WHERE id = $6 OR oid = $7 RETURNING ",
                    restaurant_columns!()
                ))
                .await?;
            let row = conn
                .query_opt(
                    &update,
                    &[
                        &patch.name,
                        &patch.address,
                        &patch.days,
                        &patch.opens,
                        &patch.closes,
                        &id,
                        &oid,
                    ],
                )
                .await?;
            optional(row, rows::restaurant)
        })
        .await
    }

    async fn ensure_restaurant(&self, restaurant: &Restaurant) -> StoreResult<()> {
        let hours = &restaurant.hours;
        self.run(async |conn| {
            let insert = conn
                .prepare_cached(
                    "INSERT INTO restaurants (oid, name, address, days, opens, closes)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .await?;
            conn.execute(
                &insert,
                &[
                    &restaurant.oid,
                    &restaurant.name,
                    &restaurant.address,
                    &hours.days,
                    &hours.opens,
                    &hours.closes,
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }
}
