//! Protected resources (RFC 8707).

use super::{all, optional, PostgresStore};
use crate::store::rows::{self, resource_columns};
use crate::store::{Resource, ResourceStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl ResourceStore for PostgresStore {
    async fn put_resource(&self, resource: &Resource) -> StoreResult<()> {
        self.run(async |conn| {
            let upsert = conn
                .prepare_cached(concat!(
                    "INSERT INTO resources (",
                    resource_columns!(),
                    ") VALUES ($1, $2, $3)
                     ON CONFLICT (identifier) DO UPDATE SET scope = excluded.scope"
                ))
                .await?;
            conn.execute(
                &upsert,
                &[&resource.identifier, &resource.scope, &resource.created_at],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn resource(&self, identifier: &str) -> StoreResult<Option<Resource>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    resource_columns!(),
                    " FROM resources WHERE identifier = $1"
                ))
                .await?;
            optional(
                conn.query_opt(&select, &[&identifier]).await?,
                rows::resource,
            )
        })
        .await
    }

    async fn list_resources(&self) -> StoreResult<Vec<Resource>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    resource_columns!(),
                    " FROM resources ORDER BY identifier"
                ))
                .await?;
            all(conn.query(&select, &[]).await?, rows::resource)
        })
        .await
    }

    async fn delete_resource(&self, identifier: &str) -> StoreResult<bool> {
        self.run(async |conn| {
            let delete = conn
                .prepare_cached("DELETE FROM resources WHERE identifier = $1")
                .await?;
            Ok(conn.execute(&delete, &[&identifier]).await? == 1)
        })
        .await
    }
}
