//! Grants, tokens and codes: the single-use claims, and the purge of expired
//! rows. Every write here runs on the writer thread, one after the other,
//! so a claim (`UPDATE … WHERE used = 0`) cannot race another.

use super::{mapped, registrations, SqliteStore};
use crate::store::rows::{self, code_columns, grant_columns, token_kind_code, token_select};
use crate::store::*;
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

/// Rows one purge batch deletes, so that a purge of millions of expired
/// tokens never holds the writer for long.
const PURGE_BATCH: i64 = 1000;

fn insert_grant(conn: &Connection, grant: &NewGrant) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO grants (client_id, user_id, created_at, oidc, resources)
         VALUES (?, ?, ?, ?, ?)",
    )?
    .execute(params![
        grant.client_id,
        grant.user_id,
        grant.created_at,
        rows::context_json(&grant.oidc),
        rows::resources_text(&grant.resources)
    ])?;
    Ok(conn.last_insert_rowid())
}

fn insert_tokens(conn: &Connection, grant_id: i64, tokens: &[NewToken]) -> rusqlite::Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO tokens (hash, kind, grant_id, scope, issued_at, expires_at, audience)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )?;
    for token in tokens {
        insert.execute(params![
            &token.key.0[..],
            token_kind_code(token.kind),
            grant_id,
            token.scope,
            token.issued_at,
            token.expires_at,
            rows::resources_text(&token.audience)
        ])?;
    }
    Ok(())
}

#[async_trait]
impl GrantStore for SqliteStore {
    async fn issue_grant(&self, grant: &NewGrant, tokens: &[NewToken]) -> StoreResult<i64> {
        let (grant, tokens) = (grant.clone(), tokens.to_vec());
        self.write(move |conn| {
            let grant_id = insert_grant(conn, &grant)?;
            insert_tokens(conn, grant_id, &tokens)?;
            Ok(grant_id)
        })
        .await
    }

    async fn token(&self, key: &TokenKey) -> StoreResult<Option<TokenRecord>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(token_select!(), " WHERE t.hash = ?"))?
                .query_row([&key.0[..]], mapped(rows::token))
                .optional()
        })
    }

    async fn rotate_refresh(&self, refresh: &TokenKey, tokens: &[NewToken]) -> StoreResult<bool> {
        let (refresh, tokens) = (*refresh, tokens.to_vec());
        self.write(move |conn| {
            let grant_id: Option<i64> = conn
                .prepare_cached(
                    "UPDATE tokens SET used = 1
                     WHERE hash = ? AND kind = 1 AND used = 0 AND revoked = 0
                       AND NOT EXISTS (SELECT 1 FROM grants g
                                       WHERE g.id = tokens.grant_id AND g.revoked = 1)
                     RETURNING grant_id",
                )?
                .query_row([&refresh.0[..]], |row| row.get(0))
                .optional()?;
            let Some(grant_id) = grant_id else {
                return Ok(false);
            };
            insert_tokens(conn, grant_id, &tokens)?;
            Ok(true)
        })
        .await
    }

    async fn revoke_token(&self, key: &TokenKey) -> StoreResult<()> {
        let key = *key;
        self.write(move |conn| {
            conn.prepare_cached("UPDATE tokens SET revoked = 1 WHERE hash = ?")?
                .execute([&key.0[..]])?;
            Ok(())
        })
        .await
    }

    async fn revoke_grant(&self, grant_id: i64) -> StoreResult<()> {
        self.write(move |conn| {
            conn.prepare_cached("UPDATE grants SET revoked = 1 WHERE id = ?")?
                .execute([grant_id])?;
            Ok(())
        })
        .await
    }

    async fn list_grants(
        &self,
        filter: &GrantFilter,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<GrantRecord>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                grant_columns!(),
                " FROM grants WHERE (?1 IS NULL OR user_id = ?1)
                   AND (?2 IS NULL OR client_id = ?2) AND id > ?3
                 ORDER BY id LIMIT ?4"
            ))?
            .query_map(
                params![filter.user_id, filter.client_id, after, limit],
                mapped(rows::grant),
            )?
            .collect()
        })
    }

    async fn create_code(&self, code: &NewCode) -> StoreResult<()> {
        let code = code.clone();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO codes (hash, client_id, user_id, redirect_uri, redirect_uri_given,
                    scope, code_challenge, expires_at, oidc, resources)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )?
            .execute(params![
                &code.key.0[..],
                code.client_id,
                code.user_id,
                code.redirect_uri,
                code.redirect_uri_given,
                code.scope,
                code.code_challenge,
                code.expires_at,
                rows::context_json(&code.oidc),
                rows::resources_text(&code.resources)
            ])?;
            Ok(())
        })
        .await
    }

    async fn code(&self, key: &TokenKey) -> StoreResult<Option<CodeRecord>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                code_columns!(),
                " FROM codes WHERE hash = ?"
            ))?
            .query_row([&key.0[..]], mapped(rows::code))
            .optional()
        })
    }

    async fn exchange_code(
        &self,
        key: &TokenKey,
        grant: &NewGrant,
        tokens: &[NewToken],
    ) -> StoreResult<CodeExchange> {
        let (key, grant, tokens) = (*key, grant.clone(), tokens.to_vec());
        self.write(move |conn| {
            let claimed = conn
                .prepare_cached("UPDATE codes SET used = 1 WHERE hash = ? AND used = 0")?
                .execute([&key.0[..]])?;
            if claimed == 0 {
                let grant_id = conn
                    .prepare_cached("SELECT grant_id FROM codes WHERE hash = ?")?
                    .query_row([&key.0[..]], |row| row.get(0))
                    .optional()?
                    .flatten();
                return Ok(CodeExchange::AlreadyUsed { grant_id });
            }
            let grant_id = insert_grant(conn, &grant)?;
            insert_tokens(conn, grant_id, &tokens)?;
            conn.prepare_cached("UPDATE codes SET grant_id = ? WHERE hash = ?")?
                .execute(params![grant_id, &key.0[..]])?;
            Ok(CodeExchange::Exchanged { grant_id })
        })
        .await
    }
}

/// What the purge deletes, each returning the grant its rows belonged to
/// (NULL where there is none). `?1` is the time, `?2` the batch size.
/// Marking used registrations comes first (see `registrations::mark_used`).
const PURGE_STATEMENTS: [&str; 4] = [
    "DELETE FROM tokens WHERE hash IN
       (SELECT hash FROM tokens WHERE expires_at <= ?1 LIMIT ?2)
     RETURNING grant_id",
    // Used codes are kept a while past expiry so that a late replay still
    // revokes what the code produced (RFC 6749 §10.5).
    "DELETE FROM codes WHERE hash IN
       (SELECT hash FROM codes WHERE expires_at <= ?1 - 86400 LIMIT ?2)
     RETURNING grant_id",
    "DELETE FROM sessions WHERE hash IN
       (SELECT hash FROM sessions WHERE expires_at <= ?1 LIMIT ?2)
     RETURNING NULL",
    // Windows last at most a day.
    "DELETE FROM failed_attempts WHERE key IN
       (SELECT key FROM failed_attempts WHERE window_start <= ?1 - 86400 LIMIT ?2)
     RETURNING NULL",
];

/// Deletes expired rows in batches, each its own write, so that requests
/// interleave with a long purge; then the self-registered clients
/// registered at or before `unused_before` that never held a grant.
pub(super) async fn purge_expired(
    store: &SqliteStore,
    now: i64,
    unused_before: i64,
) -> StoreResult<u64> {
    store.write(registrations::mark_used).await?;
    let statements = PURGE_STATEMENTS
        .into_iter()
        .map(|statement| (statement, now))
        .chain([(registrations::PURGE_UNUSED, unused_before)]);
    let mut purged = 0;
    for (statement, time) in statements {
        loop {
            let (expired, grants) = store
                .write(move |conn| purge_batch(conn, statement, time))
                .await?;
            purged += expired + grants;
            if expired < PURGE_BATCH as u64 {
                break;
            }
        }
    }
    Ok(purged)
}

/// Runs one purge statement: deletes up to a batch of expired rows
/// and the grants that the deleted tokens and codes leave empty. Returns
/// how many expired rows went (fewer than a batch: none are left) and how
/// many grants.
fn purge_batch(conn: &Connection, statement: &str, now: i64) -> rusqlite::Result<(u64, u64)> {
    let mut emptied: Vec<Option<i64>> = conn
        .prepare_cached(statement)?
        .query_map(params![now, PURGE_BATCH], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let expired = emptied.len() as u64;
    emptied.sort_unstable();
    emptied.dedup();
    // Grants do not expire, they empty: one goes when its last token and
    // its code have gone.
    let mut drop_grant = conn.prepare_cached(
        "DELETE FROM grants WHERE id = ?1
           AND NOT EXISTS (SELECT 1 FROM tokens WHERE grant_id = ?1)
           AND NOT EXISTS (SELECT 1 FROM codes WHERE grant_id = ?1)",
    )?;
    let mut grants = 0;
    for grant_id in emptied.into_iter().flatten() {
        grants += drop_grant.execute([grant_id])? as u64;
    }
    Ok((expired, grants))
}
