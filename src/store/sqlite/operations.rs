//! What operators keep in the store: admin keys and audit events.

use super::{mapped, SqliteStore};
use crate::store::rows::{self, admin_key_columns, audit_columns};
use crate::store::*;
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

/// Audit rows one purge write deletes, so the writer is never held long.
const PURGE_BATCH: i64 = 1000;

#[async_trait]
impl AdminKeyStore for SqliteStore {
    async fn create_admin_key(&self, key: &AdminKey) -> StoreResult<()> {
        let key = key.clone();
        self.write(move |conn| {
            conn.prepare_cached(concat!(
                "INSERT INTO admin_keys (",
                admin_key_columns!(),
                ") VALUES (?, ?, ?)"
            ))?
            .execute(params![key.name, key.key_hash, key.created_at])?;
            Ok(())
        })
        .await
    }

    async fn admin_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<AdminKey>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                admin_key_columns!(),
                " FROM admin_keys WHERE key_hash = ?"
            ))?
            .query_row([key_hash], mapped(rows::admin_key))
            .optional()
        })
    }

    async fn list_admin_keys(&self) -> StoreResult<Vec<AdminKey>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                admin_key_columns!(),
                " FROM admin_keys ORDER BY name"
            ))?
            .query_map([], mapped(rows::admin_key))?
            .collect()
        })
    }

    async fn delete_admin_key(&self, name: &str) -> StoreResult<bool> {
        let name = name.to_owned();
        self.write(move |conn| {
            let deleted = conn
                .prepare_cached("DELETE FROM admin_keys WHERE name = ?")?
                .execute([name])?;
            Ok(deleted == 1)
        })
        .await
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn record_audit(&self, events: &[AuditRecord]) -> StoreResult<()> {
        let events = events.to_vec();
        self.write(move |conn| {
            let mut insert = conn.prepare_cached(
                "INSERT INTO audit_events (at, kind, actor, client_id, address, outcome, detail)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )?;
            for event in &events {
                insert.execute(params![
                    event.at,
                    event.kind.as_str(),
                    event.actor,
                    event.client_id,
                    event.address,
                    event.outcome.to_string(),
                    event.detail
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<StoredAudit>> {
        let kind = query.kind.map(|k| k.as_str());
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                audit_columns!(),
                " FROM audit_events WHERE at >= ?1 AND (?2 IS NULL OR kind = ?2) AND id > ?3
                 ORDER BY id LIMIT ?4"
            ))?
            .query_map(
                params![query.since, kind, query.after, query.limit],
                mapped(rows::audit),
            )?
            .collect()
        })
    }

    async fn purge_audit(&self, before: i64) -> StoreResult<u64> {
        let mut purged = 0;
        loop {
            let deleted = self
                .write(move |conn| {
                    conn.prepare_cached(
                        "DELETE FROM audit_events WHERE id IN
                           (SELECT id FROM audit_events WHERE at < ? LIMIT ?)",
                    )?
                    .execute(params![before, PURGE_BATCH])
                })
                .await? as u64;
            purged += deleted;
            if deleted < PURGE_BATCH as u64 {
                return Ok(purged);
            }
        }
    }
}
