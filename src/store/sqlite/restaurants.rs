//! The example resource API's restaurants (SPEC §4).

use super::{mapped, SqliteStore};
use crate::store::rows::{self, restaurant_columns};
use crate::store::{Restaurant, RestaurantKey, RestaurantPatch, RestaurantStore, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

#[async_trait]
impl RestaurantStore for SqliteStore {
    async fn restaurants(&self) -> StoreResult<Vec<Restaurant>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                restaurant_columns!(),
                " FROM restaurants ORDER BY id"
            ))?
            .query_map([], mapped(rows::restaurant))?
            .collect()
        })
    }

    async fn update_restaurant(
        &self,
        key: &RestaurantKey,
        patch: &RestaurantPatch,
    ) -> StoreResult<Option<Restaurant>> {
        let (key, patch) = (key.clone(), patch.clone());
        self.write(move |conn| {
            let (id, oid) = key.columns();
            conn.prepare_cached(concat!(
                "UPDATE restaurants SET name = COALESCE(?, name), address = COALESCE(?, address),
                    days = COALESCE(?, days), opens = COALESCE(?, opens),
                    closes = COALESCE(?, closes)
                 WHERE id = ? OR oid = ? RETURNING ",
                restaurant_columns!()
            ))?
            .query_row(
                params![
                    patch.name,
                    patch.address,
                    patch.days,
                    patch.opens,
                    patch.closes,
                    id,
                    oid
                ],
                mapped(rows::restaurant),
            )
            .optional()
        })
        .await
    }

    async fn ensure_restaurant(&self, restaurant: &Restaurant) -> StoreResult<()> {
        let restaurant = restaurant.clone();
        self.write(move |conn| {
            let hours = &restaurant.hours;
            conn.prepare_cached(
                "INSERT INTO restaurants (oid, name, address, days, opens, closes)
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                restaurant.oid,
                restaurant.name,
                restaurant.address,
                hours.days,
                hours.opens,
                hours.closes
            ])?;
            Ok(())
        })
        .await
    }
}
