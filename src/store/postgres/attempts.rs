//! Attempt counters for the brute-force limits, and the server's secrets.

use super::{all, PostgresStore};
use crate::store::rows;
use crate::store::{AttemptStore, Failures, SecretStore, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl AttemptStore for PostgresStore {
    async fn failures(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<(String, Failures)>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(
                    "SELECT key, count, window_start FROM failed_attempts
                     WHERE window_start > $1 AND key = ANY($2)",
                )
                .await?;
            all(
                conn.query(&select, &[&(now - window), &keys]).await?,
                rows::failures,
            )
        })
        .await
    }

    async fn count_attempts(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<Failures>> {
        let counted = self
            .run(async |conn| {
                // One statement over the keys in sorted order: two requests
                // counting against the same keys lock them in the same
                // order, so they cannot deadlock. DISTINCT because an
                // upsert may not touch a row twice.
                let upsert = conn
                    .prepare_cached(
                        "INSERT INTO failed_attempts AS f (key, window_start, count)
                         SELECT DISTINCT key, $2::bigint, 1 FROM UNNEST($1::text[]) AS k(key)
                         ORDER BY key
                         ON CONFLICT (key) DO UPDATE SET
                           count = CASE WHEN f.window_start <= $2 - $3 THEN 1
                                        ELSE f.count + 1 END,
                           window_start = CASE WHEN f.window_start <= $2 - $3 THEN $2
                                               ELSE f.window_start END
                         RETURNING key, count, window_start",
                    )
                    .await?;
                all(
                    conn.query(&upsert, &[&keys, &now, &window]).await?,
                    rows::failures,
                )
            })
            .await?;
        // RETURNING follows no particular order: answer in the keys' order.
        keys.iter()
            .map(|key| {
                counted
                    .iter()
                    .find(|(counted, _)| counted == key)
                    .map(|(_, failures)| *failures)
                    .ok_or_else(|| {
                        crate::store::StoreError::Database("a key was not counted".into())
                    })
            })
            .collect()
    }

    async fn release_attempts(&self, counted: &[(String, i64)]) -> StoreResult<()> {
        let (keys, windows): (Vec<&str>, Vec<i64>) =
            counted.iter().map(|(k, w)| (k.as_str(), *w)).unzip();
        self.run(async |conn| {
            let release = conn
                .prepare_cached(
                    "UPDATE failed_attempts AS f SET count = f.count - 1
                     FROM UNNEST($1::text[], $2::bigint[]) AS r(key, window_start)
                     WHERE f.key = r.key AND f.window_start = r.window_start AND f.count > 0",
                )
                .await?;
            conn.execute(&release, &[&keys, &windows]).await?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl SecretStore for PostgresStore {
    /// Creates the secret if it is missing, then reads it: of two nodes
    /// starting together, the first insert wins and both read its value.
    async fn server_secret(&self, name: &str) -> StoreResult<Vec<u8>> {
        self.run(async |conn| {
            let insert = conn
                .prepare_cached(
                    "INSERT INTO server_secrets (name, value) VALUES ($1, $2)
                     ON CONFLICT (name) DO NOTHING",
                )
                .await?;
            let value = crate::crypto::random_bytes::<32>().to_vec();
            conn.execute(&insert, &[&name, &value]).await?;
            let select = conn
                .prepare_cached("SELECT value FROM server_secrets WHERE name = $1")
                .await?;
            Ok(conn.query_one(&select, &[&name]).await?.try_get(0)?)
        })
        .await
    }
}
