//! Signing keys and remembered consents.

use super::{mapped, SqliteStore};
use crate::keys::{Retirement, StoredKey};
use crate::store::rows::{self, consent_select, signing_key_columns};
use crate::store::{ConsentRecord, ConsentStore, KeyStore, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

#[async_trait]
impl KeyStore for SqliteStore {
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                signing_key_columns!(),
                " FROM signing_keys ORDER BY created_at, kid"
            ))?
            .query_map([], mapped(rows::signing_key))?
            .collect()
        })
    }

    async fn apply_key_plan(
        &self,
        create: &[StoredKey],
        retire: &[Retirement],
        delete: &[String],
    ) -> StoreResult<()> {
        let (create, retire, delete) = (create.to_vec(), retire.to_vec(), delete.to_vec());
        self.write(move |conn| {
            let mut insert = conn.prepare_cached(concat!(
                "INSERT INTO signing_keys (",
                signing_key_columns!(),
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING"
            ))?;
            for key in &create {
                insert.execute(params![
                    key.kid,
                    key.alg.as_str(),
                    rows::to_json(&key.public_jwk),
                    key.encrypted_private,
                    key.created_at,
                    key.activates_at,
                    key.retires_at,
                    key.removes_at
                ])?;
            }
            let mut mark = conn.prepare_cached(
                "UPDATE signing_keys SET retires_at = ?, removes_at = ?
                 WHERE kid = ? AND retires_at IS NULL",
            )?;
            for retirement in &retire {
                mark.execute(params![
                    retirement.retires_at,
                    retirement.removes_at,
                    retirement.kid
                ])?;
            }
            let mut remove = conn.prepare_cached("DELETE FROM signing_keys WHERE kid = ?")?;
            for kid in &delete {
                remove.execute([kid])?;
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl ConsentStore for SqliteStore {
    async fn consent(&self, user_id: i64, client_id: &str) -> StoreResult<Option<String>> {
        self.read(|conn| {
            conn.prepare_cached("SELECT scope FROM consents WHERE user_id = ? AND client_id = ?")?
                .query_row(params![user_id, client_id], |row| row.get(0))
                .optional()
        })
    }

    async fn remember_consent(
        &self,
        user_id: i64,
        client_id: &str,
        scope: &str,
        now: i64,
    ) -> StoreResult<()> {
        let (client_id, scope) = (client_id.to_owned(), scope.to_owned());
        self.write(move |conn| {
            let held: Option<String> = conn
                .prepare_cached("SELECT scope FROM consents WHERE user_id = ? AND client_id = ?")?
                .query_row(params![user_id, client_id], |row| row.get(0))
                .optional()?;
            let scope = rows::scope_union(held.as_deref().unwrap_or_default(), &scope);
            conn.prepare_cached(
                "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (user_id, client_id)
                 DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
            )?
            .execute(params![user_id, client_id, scope, now])?;
            Ok(())
        })
        .await
    }

    async fn consents(&self, user_id: i64) -> StoreResult<Vec<ConsentRecord>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                consent_select!(),
                " WHERE k.user_id = ? ORDER BY c.client_name, k.client_id"
            ))?
            .query_map([user_id], mapped(rows::consent))?
            .collect()
        })
    }

    async fn revoke_consent(&self, user_id: i64, client_id: &str) -> StoreResult<()> {
        let client_id = client_id.to_owned();
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM consents WHERE user_id = ? AND client_id = ?")?
                .execute(params![user_id, client_id])?;
            conn.prepare_cached(
                "UPDATE grants SET revoked = 1 WHERE user_id = ? AND client_id = ?",
            )?
            .execute(params![user_id, client_id])?;
            Ok(())
        })
        .await
    }
}
