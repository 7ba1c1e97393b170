//! Protected resources (RFC 8707).

use super::{mapped, SqliteStore};
use crate::store::rows::{self, resource_columns};
use crate::store::{Resource, ResourceStore, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

#[async_trait]
impl ResourceStore for SqliteStore {
    async fn put_resource(&self, resource: &Resource) -> StoreResult<()> {
        let resource = resource.clone();
        self.write(move |conn| {
            conn.prepare_cached(concat!(
                "INSERT INTO resources (",
                resource_columns!(),
                ") VALUES (?, ?, ?) ON CONFLICT (identifier) DO UPDATE SET scope = excluded.scope"
            ))?
            .execute(params![
                resource.identifier,
                resource.scope,
                resource.created_at
            ])?;
            Ok(())
        })
        .await
    }

    async fn resource(&self, identifier: &str) -> StoreResult<Option<Resource>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                resource_columns!(),
                " FROM resources WHERE identifier = ?"
            ))?
            .query_row([identifier], mapped(rows::resource))
            .optional()
        })
    }

    async fn list_resources(&self) -> StoreResult<Vec<Resource>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                resource_columns!(),
                " FROM resources ORDER BY identifier"
            ))?
            .query_map([], mapped(rows::resource))?
            .collect()
        })
    }

    async fn delete_resource(&self, identifier: &str) -> StoreResult<bool> {
        let identifier = identifier.to_owned();
        self.write(move |conn| {
            let deleted = conn
                .prepare_cached("DELETE FROM resources WHERE identifier = ?")?
                .execute([identifier])?;
            Ok(deleted == 1)
        })
        .await
    }
}
