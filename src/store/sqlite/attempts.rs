//! Attempt counters for the brute-force limits, and the server's secrets.

use super::{mapped, SqliteStore};
use crate::store::rows;
use crate::store::{AttemptStore, Failures, SecretStore, StoreResult};
use async_trait::async_trait;
use rusqlite::params;
use std::sync::LazyLock;

/// [`AttemptStore::failures`]' statement for up to three keys (the limiter
/// counts against at most three), built once rather than on every request.
static FAILURES_SQL: LazyLock<Vec<String>> = LazyLock::new(|| (0..=3).map(failures_sql).collect());

/// One SELECT per key, joined by UNION ALL: `key IN (…)` would build a
/// temporary B-tree of the keys on every call.
fn failures_sql(keys: usize) -> String {
    (0..keys)
        .map(|index| {
            format!(
                "SELECT key, count, window_start FROM failed_attempts
                 WHERE key = ?{} AND window_start > ?1",
                index + 2
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

#[async_trait]
impl AttemptStore for SqliteStore {
    async fn failures(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<(String, Failures)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|conn| {
            let built;
            let sql = match FAILURES_SQL.get(keys.len()) {
                Some(sql) => sql.as_str(),
                None => {
                    built = failures_sql(keys.len());
                    &built
                }
            };
            let opened_after = now - window;
            let values = std::iter::once(&opened_after as &dyn rusqlite::ToSql)
                .chain(keys.iter().map(|key| key as &dyn rusqlite::ToSql));
            conn.prepare_cached(sql)?
                .query_map(rusqlite::params_from_iter(values), mapped(rows::failures))?
                .collect()
        })
    }

    async fn count_attempts(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<Failures>> {
        let keys = keys.to_vec();
        self.write(move |conn| {
            let mut count = conn.prepare_cached(
                "INSERT INTO failed_attempts (key, window_start, count) VALUES (?1, ?2, 1)
                 ON CONFLICT (key) DO UPDATE SET
                   count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END,
                   window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2
                                       ELSE window_start END
                 RETURNING key, count, window_start",
            )?;
            keys.iter()
                .map(|key| {
                    let (_, failures) =
                        count.query_row(params![key, now, window], mapped(rows::failures))?;
                    Ok(failures)
                })
                .collect()
        })
        .await
    }

    async fn release_attempts(&self, counted: &[(String, i64)]) -> StoreResult<()> {
        let counted = counted.to_vec();
        self.write(move |conn| {
            let mut release = conn.prepare_cached(
                "UPDATE failed_attempts SET count = count - 1
                 WHERE key = ? AND window_start = ? AND count > 0",
            )?;
            for (key, window_start) in &counted {
                release.execute(params![key, window_start])?;
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl SecretStore for SqliteStore {
    /// Creates the secret if it is missing, then reads it: of two nodes
    /// starting together, the first insert wins and both read its value.
    async fn server_secret(&self, name: &str) -> StoreResult<Vec<u8>> {
        let name = name.to_owned();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO server_secrets (name, value) VALUES (?, ?)
                 ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![name, crate::crypto::random_bytes::<32>().to_vec()])?;
            conn.prepare_cached("SELECT value FROM server_secrets WHERE name = ?")?
                .query_row([&name], |row| row.get(0))
        })
        .await
    }
}
