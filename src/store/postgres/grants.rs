//! Grants, tokens and codes: the single-use claims that must hold across
//! nodes, and the purge of expired rows.

use super::{all, optional, registrations, Outcome, PostgresStore};
use crate::store::rows::{self, code_columns, grant_columns, token_select, TokenColumns};
use crate::store::*;
use async_trait::async_trait;
use deadpool_postgres::Transaction;

/// Rows one purge statement deletes: short statements hold few locks.
const PURGE_BATCH: i64 = 1000;

/// Adds `tokens` to a grant in one statement, whatever their number.
async fn insert_tokens(tx: &Transaction<'_>, grant_id: i64, tokens: &[NewToken]) -> Outcome<()> {
    let columns = TokenColumns::of(tokens);
    let insert = tx
        .prepare_cached(
            "INSERT INTO tokens (hash, kind, scope, issued_at, expires_at, audience, grant_id)
             SELECT hash, kind, scope, issued_at, expires_at, audience, $7
             FROM UNNEST($1::bytea[], $2::smallint[], $3::text[], $4::bigint[], $5::bigint[],
                         $6::text[])
                  AS t(hash, kind, scope, issued_at, expires_at, audience)",
        )
        .await?;
    tx.execute(
        &insert,
        &[
            &columns.keys,
            &columns.kinds,
            &columns.scopes,
            &columns.issued,
            &columns.expires,
            &columns.audiences,
            &grant_id,
        ],
    )
    .await?;
    Ok(())
}

async fn insert_grant(tx: &Transaction<'_>, grant: &NewGrant) -> Outcome<i64> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO grants (client_id, user_id, created_at, oidc, resources)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING id",
        )
        .await?;
    let oidc = rows::context_json(&grant.oidc);
    let resources = rows::resources_text(&grant.resources);
    let row = tx
        .query_one(
            &insert,
            &[
                &grant.client_id,
                &grant.user_id,
                &grant.created_at,
                &oidc,
                &resources,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

#[async_trait]
impl GrantStore for PostgresStore {
    /// One statement, so one round trip and one (implicit) transaction: the
    /// grant and its tokens are committed together or not at all.
    async fn issue_grant(&self, grant: &NewGrant, tokens: &[NewToken]) -> StoreResult<i64> {
        let columns = TokenColumns::of(tokens);
        let oidc = rows::context_json(&grant.oidc);
        let resources = rows::resources_text(&grant.resources);
        self.run(async |conn| {
            let issue = conn
                .prepare_cached(
                    "WITH g AS (
                       INSERT INTO grants (client_id, user_id, created_at, oidc, resources)
                       VALUES ($7, $8, $9, $10, $11)
                       RETURNING id
                     ), t AS (
                       INSERT INTO tokens (hash, kind, scope, issued_at, expires_at, audience,
                                           grant_id)
                       SELECT hash, kind, scope, issued_at, expires_at, audience, g.id
                       FROM g, UNNEST($1::bytea[], $2::smallint[], $3::text[], $4::bigint[],
                                      $5::bigint[], $6::text[])
                            AS t(hash, kind, scope, issued_at, expires_at, audience)
                     )
                     SELECT id FROM g",
                )
                .await?;
            let row = conn
                .query_one(
                    &issue,
                    &[
                        &columns.keys,
                        &columns.kinds,
                        &columns.scopes,
                        &columns.issued,
                        &columns.expires,
                        &columns.audiences,
                        &grant.client_id,
                        &grant.user_id,
                        &grant.created_at,
                        &oidc,
                        &resources,
                    ],
                )
                .await?;
            Ok(row.try_get(0)?)
        })
        .await
    }

    async fn token(&self, key: &TokenKey) -> StoreResult<Option<TokenRecord>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(token_select!(), " WHERE t.hash = $1"))
                .await?;
            optional(conn.query_opt(&select, &[&&key.0[..]]).await?, rows::token)
        })
        .await
    }

    async fn rotate_refresh(&self, refresh: &TokenKey, tokens: &[NewToken]) -> StoreResult<bool> {
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            // A concurrent rotation of the same token waits here on the row
            // lock, then re-reads the row, finds it used and claims nothing.
            let claim = tx
                .prepare_cached(
                    "UPDATE tokens SET used = true
                     WHERE hash = $1 AND kind = 1 AND NOT used AND NOT revoked
                       AND NOT EXISTS (SELECT 1 FROM grants g
                                       WHERE g.id = tokens.grant_id AND g.revoked)
                     RETURNING grant_id",
                )
                .await?;
            // Nothing claimed: dropping the transaction rolls it back.
            let Some(claimed) = tx.query_opt(&claim, &[&&refresh.0[..]]).await? else {
                return Ok(false);
            };
            insert_tokens(&tx, claimed.try_get(0)?, tokens).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn revoke_token(&self, key: &TokenKey) -> StoreResult<()> {
        self.run(async |conn| {
            let revoke = conn
                .prepare_cached("UPDATE tokens SET revoked = true WHERE hash = $1")
                .await?;
            conn.execute(&revoke, &[&&key.0[..]]).await?;
            Ok(())
        })
        .await
    }

    async fn revoke_grant(&self, grant_id: i64) -> StoreResult<()> {
        self.run(async |conn| {
            let revoke = conn
                .prepare_cached("UPDATE grants SET revoked = true WHERE id = $1")
                .await?;
            conn.execute(&revoke, &[&grant_id]).await?;
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
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    grant_columns!(),
                    " FROM grants WHERE ($1::bigint IS NULL OR user_id = $1)
                       AND ($2::text IS NULL OR client_id = $2) AND id > $3
                     ORDER BY id LIMIT $4"
                ))
                .await?;
            let rows = conn
                .query(
                    &select,
                    &[
                        &filter.user_id,
                        &filter.client_id,
                        &after,
                        &i64::from(limit),
                    ],
                )
                .await?;
            all(rows, rows::grant)
        })
        .await
    }

    async fn create_code(&self, code: &NewCode) -> StoreResult<()> {
        let oidc = rows::context_json(&code.oidc);
        let resources = rows::resources_text(&code.resources);
        self.run(async |conn| {
            let insert = conn
                .prepare_cached(
                    "INSERT INTO codes (hash, client_id, user_id, redirect_uri, redirect_uri_given,
                        scope, code_challenge, expires_at, oidc, resources)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .await?;
            conn.execute(
                &insert,
                &[
                    &&code.key.0[..],
                    &code.client_id,
                    &code.user_id,
                    &code.redirect_uri,
                    &code.redirect_uri_given,
                    &code.scope,
                    &code.code_challenge,
                    &code.expires_at,
                    &oidc,
                    &resources,
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn code(&self, key: &TokenKey) -> StoreResult<Option<CodeRecord>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    code_columns!(),
                    " FROM codes WHERE hash = $1"
                ))
                .await?;
            optional(conn.query_opt(&select, &[&&key.0[..]]).await?, rows::code)
        })
        .await
    }

    async fn exchange_code(
        &self,
        key: &TokenKey,
        grant: &NewGrant,
        tokens: &[NewToken],
    ) -> StoreResult<CodeExchange> {
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            // A concurrent exchange of the same code waits here on the row
            // lock until this transaction ends, then finds the code used.
            let claim = tx
                .prepare_cached("UPDATE codes SET used = true WHERE hash = $1 AND NOT used")
                .await?;
            if tx.execute(&claim, &[&&key.0[..]]).await? == 0 {
                // Read after the winner's commit (READ COMMITTED takes a new
                // snapshot per statement), so its grant is visible to revoke.
                let produced = tx
                    .prepare_cached("SELECT grant_id FROM codes WHERE hash = $1")
                    .await?;
                let grant_id = match tx.query_opt(&produced, &[&&key.0[..]]).await? {
                    Some(row) => row.try_get(0)?,
                    None => None,
                };
                return Ok(CodeExchange::AlreadyUsed { grant_id });
            }
            let grant_id = insert_grant(&tx, grant).await?;
            insert_tokens(&tx, grant_id, tokens).await?;
            let link = tx
                .prepare_cached("UPDATE codes SET grant_id = $1 WHERE hash = $2")
                .await?;
            tx.execute(&link, &[&grant_id, &&key.0[..]]).await?;
            tx.commit().await?;
            Ok(CodeExchange::Exchanged { grant_id })
        })
        .await
    }
}

/// What the purge deletes, in batches of `$2` rows expired at `$1`. Each
/// batch locks its rows with `SKIP LOCKED`, so nodes purging at the same
/// time never wait on each other (no deadlock) nor on a request that holds
/// one of the rows.
const PURGE_STATEMENTS: [&str; 5] = [
    "DELETE FROM tokens WHERE hash IN (SELECT hash FROM tokens
       WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Used codes are kept a while past expiry so that a late replay still
    // revokes what the code produced (RFC 6749 §10.5).
    "DELETE FROM codes WHERE hash IN (SELECT hash FROM codes
       WHERE expires_at <= $1::bigint - 86400 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM sessions WHERE hash IN (SELECT hash FROM sessions
       WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Windows last at most a day.
    "DELETE FROM failed_attempts WHERE key IN (SELECT key FROM failed_attempts
       WHERE window_start <= $1::bigint - 86400 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Runs after the token deletes, in a later snapshot: a grant whose
    // refresh token is being rotated still has that token (the rotation
    // only marks it used, and its lock keeps the purge off it), so it is
    // never deleted under the new tokens. Grants do not expire, they empty:
    // `$1` is there only to share the other statements' parameters.
    "DELETE FROM grants WHERE id IN (SELECT id FROM grants g
       WHERE NOT EXISTS (SELECT 1 FROM tokens t WHERE t.grant_id = g.id)
       AND NOT EXISTS (SELECT 1 FROM codes c WHERE c.grant_id = g.id)
       AND $1::bigint IS NOT NULL
       LIMIT $2 FOR UPDATE SKIP LOCKED)",
];

/// Deletes what expired at `now` (after marking the registrations of
/// clients that hold a grant as used, before any grant can go), then the
/// self-registered clients registered at or before `unused_before` that
/// never held one.
pub(super) async fn purge_expired(
    store: &PostgresStore,
    now: i64,
    unused_before: i64,
) -> StoreResult<u64> {
    store
        .run(async |conn| {
            let mark = conn.prepare_cached(registrations::MARK_USED).await?;
            Ok(conn.execute(&mark, &[]).await?)
        })
        .await?;
    let statements = PURGE_STATEMENTS
        .into_iter()
        .map(|statement| (statement, now))
        .chain([(registrations::PURGE_UNUSED, unused_before)]);
    let mut purged = 0;
    for (statement, time) in statements {
        loop {
            let deleted = store
                .run(async |conn| {
                    let delete = conn.prepare_cached(statement).await?;
                    Ok(conn.execute(&delete, &[&time, &PURGE_BATCH]).await?)
                })
                .await?;
            purged += deleted;
            if deleted < PURGE_BATCH as u64 {
                break;
            }
        }
    }
    Ok(purged)
}
