//! Signing keys and remembered consents.

use super::{all, PostgresStore};
use crate::keys::{Retirement, StoredKey};
use crate::store::rows::{self, consent_select, signing_key_columns};
use crate::store::{ConsentRecord, ConsentStore, KeyStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl KeyStore for PostgresStore {
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    signing_key_columns!(),
                    " FROM signing_keys ORDER BY created_at, kid"
                ))
                .await?;
            all(conn.query(&select, &[]).await?, rows::signing_key)
        })
        .await
    }

    async fn apply_key_plan(
        &self,
        create: &[StoredKey],
        retire: &[Retirement],
        delete: &[String],
    ) -> StoreResult<()> {
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            let insert = tx
                .prepare_cached(concat!(
                    "INSERT INTO signing_keys (",
                    signing_key_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (kid) DO NOTHING"
                ))
                .await?;
            for key in create {
                let jwk = rows::to_json(&key.public_jwk);
                tx.execute(
                    &insert,
                    &[
                        &key.kid,
                        &key.alg.as_str(),
                        &jwk,
                        &key.encrypted_private,
                        &key.created_at,
                        &key.activates_at,
                        &key.retires_at,
                        &key.removes_at,
                    ],
                )
                .await?;
            }
            let mark = tx
                .prepare_cached(
                    "UPDATE signing_keys SET retires_at = $1, removes_at = $2
                     WHERE kid = $3 AND retires_at IS NULL",
                )
                .await?;
            for retirement in retire {
                tx.execute(
                    &mark,
                    &[
                        &retirement.retires_at,
                        &retirement.removes_at,
                        &retirement.kid,
                    ],
                )
                .await?;
            }
            let remove = tx
                .prepare_cached("DELETE FROM signing_keys WHERE kid = $1")
                .await?;
            for kid in delete {
                tx.execute(&remove, &[kid]).await?;
            }
            Ok(tx.commit().await?)
        })
        .await
    }
}

#[async_trait]
impl ConsentStore for PostgresStore {
    async fn consent(&self, user_id: i64, client_id: &str) -> StoreResult<Option<String>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached("SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2")
                .await?;
            let row = conn.query_opt(&select, &[&user_id, &client_id]).await?;
            Ok(row.map(|row| row.try_get(0)).transpose()?)
        })
        .await
    }

    async fn remember_consent(
        &self,
        user_id: i64,
        client_id: &str,
        scope: &str,
        now: i64,
    ) -> StoreResult<()> {
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            // Locks the row (when there is one) so that two consents given
            // at once both end up in the union.
            let select = tx
                .prepare_cached(
                    "SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2 FOR UPDATE",
                )
                .await?;
            let held: Option<String> = match tx.query_opt(&select, &[&user_id, &client_id]).await? {
                Some(row) => Some(row.try_get(0)?),
                None => None,
            };
            let scope = rows::scope_union(held.as_deref().unwrap_or_default(), scope);
            let upsert = tx
                .prepare_cached(
                    "INSERT INTO consents (user_id, client_id, scope, granted_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (user_id, client_id)
                     DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
                )
                .await?;
            tx.execute(&upsert, &[&user_id, &client_id, &scope, &now])
                .await?;
            Ok(tx.commit().await?)
        })
        .await
    }

    async fn consents(&self, user_id: i64) -> StoreResult<Vec<ConsentRecord>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    consent_select!(),
                    " WHERE k.user_id = $1 ORDER BY c.client_name, k.client_id"
                ))
                .await?;
            all(conn.query(&select, &[&user_id]).await?, rows::consent)
        })
        .await
    }

    async fn revoke_consent(&self, user_id: i64, client_id: &str) -> StoreResult<()> {
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            for statement in [
                "DELETE FROM consents WHERE user_id = $1 AND client_id = $2",
                "UPDATE grants SET revoked = true WHERE user_id = $1 AND client_id = $2",
            ] {
                let prepared = tx.prepare_cached(statement).await?;
                tx.execute(&prepared, &[&user_id, &client_id]).await?;
            }
            Ok(tx.commit().await?)
        })
        .await
    }
}
