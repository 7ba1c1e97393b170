//! What operators keep in the store: admin keys and audit events.

use super::{all, optional, PostgresStore};
use crate::store::rows::{self, admin_key_columns, audit_columns};
use crate::store::*;
use async_trait::async_trait;

/// Audit rows one purge statement deletes: short statements hold few locks.
const PURGE_BATCH: i64 = 1000;

#[async_trait]
impl AdminKeyStore for PostgresStore {
    async fn create_admin_key(&self, key: &AdminKey) -> StoreResult<()> {
        self.run(async |conn| {
            let insert = conn
                .prepare_cached(concat!(
                    "INSERT INTO admin_keys (",
                    admin_key_columns!(),
                    ") VALUES ($1, $2, $3)"
                ))
                .await?;
            conn.execute(&insert, &[&key.name, &key.key_hash, &key.created_at])
                .await?;
            Ok(())
        })
        .await
    }

    async fn admin_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<AdminKey>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    admin_key_columns!(),
                    " FROM admin_keys WHERE key_hash = $1"
                ))
                .await?;
            optional(
                conn.query_opt(&select, &[&key_hash]).await?,
                rows::admin_key,
            )
        })
        .await
    }

    async fn list_admin_keys(&self) -> StoreResult<Vec<AdminKey>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    admin_key_columns!(),
                    " FROM admin_keys ORDER BY name"
                ))
                .await?;
            all(conn.query(&select, &[]).await?, rows::admin_key)
        })
        .await
    }

    async fn delete_admin_key(&self, name: &str) -> StoreResult<bool> {
        self.run(async |conn| {
            let delete = conn
                .prepare_cached("DELETE FROM admin_keys WHERE name = $1")
                .await?;
            Ok(conn.execute(&delete, &[&name]).await? == 1)
        })
        .await
    }
}

#[async_trait]
impl AuditStore for PostgresStore {
    /// One statement for the whole batch, whatever its size.
    async fn record_audit(&self, events: &[AuditRecord]) -> StoreResult<()> {
        let at: Vec<i64> = events.iter().map(|e| e.at).collect();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let actors: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
        let clients: Vec<Option<&str>> = events.iter().map(|e| e.client_id.as_deref()).collect();
        let addresses: Vec<Option<&str>> = events.iter().map(|e| e.address.as_deref()).collect();
        let outcomes: Vec<String> = events.iter().map(|e| e.outcome.to_string()).collect();
        let details: Vec<Option<&str>> = events.iter().map(|e| e.detail.as_deref()).collect();
        self.run(async |conn| {
            let insert = conn
                .prepare_cached(
                    "INSERT INTO audit_events (at, kind, actor, client_id, address, outcome, detail)
                     SELECT at, kind, actor, client_id, address, outcome, detail FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[],
                                          $5::text[], $6::text[], $7::text[])
                     WITH ORDINALITY AS e(at, kind, actor, client_id, address, outcome, detail, n)
                     ORDER BY n",
                )
                .await?;
            conn.execute(
                &insert,
                &[
                    &at, &kinds, &actors, &clients, &addresses, &outcomes, &details,
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<StoredAudit>> {
        let kind = query.kind.map(|k| k.as_str());
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    audit_columns!(),
                    " FROM audit_events
                     WHERE at >= $1 AND ($2::text IS NULL OR kind = $2) AND id > $3
                     ORDER BY id LIMIT $4"
                ))
                .await?;
            let rows = conn
                .query(
                    &select,
                    &[&query.since, &kind, &query.after, &i64::from(query.limit)],
                )
                .await?;
            all(rows, rows::audit)
        })
        .await
    }

    async fn purge_audit(&self, before: i64) -> StoreResult<u64> {
        let mut purged = 0;
        loop {
            let deleted = self
                .run(async |conn| {
                    let delete = conn
                        .prepare_cached(
                            "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events
                               WHERE at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
                        )
                        .await?;
                    Ok(conn.execute(&delete, &[&before, &PURGE_BATCH]).await?)
                })
                .await?;
            purged += deleted;
            if deleted < PURGE_BATCH as u64 {
                return Ok(purged);
            }
        }
    }
}
