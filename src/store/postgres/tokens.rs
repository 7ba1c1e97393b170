//! Grants, tokens and codes: the single-use claims that must hold across
//! nodes, and the purge of expired rows.

use crate::store::rows::{token_kind, token_kind_code};
use crate::store::*;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::Row;

/// Rows one purge statement deletes: short statements hold few locks.
const PURGE_BATCH: i64 = 1000;

async fn insert_grant(conn: &mut PgConnection, grant: &NewGrant) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO grants (client_id, user_id, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(&grant.client_id)
    .bind(grant.user_id)
    .bind(grant.created_at)
    .fetch_one(conn)
    .await
}

/// New tokens as column arrays, for `UNNEST`.
struct TokenColumns<'a> {
    hashes: Vec<&'a [u8]>,
    kinds: Vec<i16>,
    scopes: Vec<&'a str>,
    issued: Vec<i64>,
    expires: Vec<i64>,
}

impl<'a> TokenColumns<'a> {
    fn of(tokens: &'a [NewToken]) -> Self {
        TokenColumns {
            hashes: tokens.iter().map(|t| &t.hash.0[..]).collect(),
            kinds: tokens.iter().map(|t| token_kind_code(t.kind)).collect(),
            scopes: tokens.iter().map(|t| t.scope.as_str()).collect(),
            issued: tokens.iter().map(|t| t.issued_at).collect(),
            expires: tokens.iter().map(|t| t.expires_at).collect(),
        }
    }
}

/// Adds `tokens` to a grant in one statement, whatever their number.
async fn insert_tokens(
    conn: &mut PgConnection,
    grant_id: i64,
    tokens: &[NewToken],
) -> Result<(), sqlx::Error> {
    let columns = TokenColumns::of(tokens);
    sqlx::query(
        "INSERT INTO tokens (hash, kind, scope, issued_at, expires_at, grant_id)
         SELECT hash, kind, scope, issued_at, expires_at, $6
         FROM UNNEST($1::bytea[], $2::smallint[], $3::text[], $4::bigint[], $5::bigint[])
              AS t(hash, kind, scope, issued_at, expires_at)",
    )
    .bind(columns.hashes)
    .bind(columns.kinds)
    .bind(columns.scopes)
    .bind(columns.issued)
    .bind(columns.expires)
    .bind(grant_id)
    .execute(conn)
    .await?;
    Ok(())
}

fn token_from_row(row: PgRow) -> Result<TokenRecord, sqlx::Error> {
    let kind: i16 = row.try_get("kind")?;
    Ok(TokenRecord {
        kind: token_kind(kind.into()).map_err(|error| sqlx::Error::Decode(error.into()))?,
        grant_id: row.try_get("grant_id")?,
        client_id: row.try_get("client_id")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        scope: row.try_get("scope")?,
        issued_at: row.try_get("issued_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked: row.try_get("revoked")?,
        used: row.try_get("used")?,
    })
}

fn code_from_row(row: PgRow) -> Result<CodeRecord, sqlx::Error> {
    Ok(CodeRecord {
        client_id: row.try_get("client_id")?,
        user_id: row.try_get("user_id")?,
        redirect_uri: row.try_get("redirect_uri")?,
        redirect_uri_given: row.try_get("redirect_uri_given")?,
        scope: row.try_get("scope")?,
        code_challenge: row.try_get("code_challenge")?,
        expires_at: row.try_get("expires_at")?,
        used: row.try_get("used")?,
        grant_id: row.try_get("grant_id")?,
    })
}

/// Deletes, in batches, the rows `statement` selects (`$1` is the time,
/// `$2` the batch size). Each batch locks its rows with `SKIP LOCKED`, so
/// nodes purging at the same time never wait on each other (no deadlock)
/// nor on a request that holds one of the rows.
async fn purge_in_batches(pool: &PgPool, statement: &str, now: i64) -> Result<u64, sqlx::Error> {
    let mut purged = 0;
    loop {
        let batch = sqlx::query(statement)
            .bind(now)
            .bind(PURGE_BATCH)
            .execute(pool);
        let deleted = super::within_deadline(batch).await?.rows_affected();
        purged += deleted;
        if deleted < PURGE_BATCH as u64 {
            return Ok(purged);
        }
    }
}

/// One statement, so one round trip and one (implicit) transaction: the
/// grant and its tokens are committed together or not at all.
pub async fn issue_grant(
    pool: &PgPool,
    grant: &NewGrant,
    tokens: &[NewToken],
) -> Result<i64, sqlx::Error> {
    let columns = TokenColumns::of(tokens);
    sqlx::query_scalar(
        "WITH g AS (
           INSERT INTO grants (client_id, user_id, created_at) VALUES ($6, $7, $8) RETURNING id
         ), t AS (
           INSERT INTO tokens (hash, kind, scope, issued_at, expires_at, grant_id)
           SELECT hash, kind, scope, issued_at, expires_at, g.id
           FROM g, UNNEST($1::bytea[], $2::smallint[], $3::text[], $4::bigint[], $5::bigint[])
                AS t(hash, kind, scope, issued_at, expires_at)
         )
         SELECT id FROM g",
    )
    .bind(columns.hashes)
    .bind(columns.kinds)
    .bind(columns.scopes)
    .bind(columns.issued)
    .bind(columns.expires)
    .bind(&grant.client_id)
    .bind(grant.user_id)
    .bind(grant.created_at)
    .fetch_one(pool)
    .await
}

pub async fn token(pool: &PgPool, hash: &TokenHash) -> Result<Option<TokenRecord>, sqlx::Error> {
    sqlx::query(
        "SELECT t.kind, t.grant_id, g.client_id, g.user_id, u.username, t.scope,
                t.issued_at, t.expires_at,
                (t.revoked OR g.revoked OR c.client_id IS NULL) AS revoked, t.used
         FROM tokens t
         JOIN grants g ON g.id = t.grant_id
         LEFT JOIN clients c ON c.client_id = g.client_id
         LEFT JOIN users u ON u.id = g.user_id
         WHERE t.hash = $1",
    )
    .bind(&hash.0[..])
    .fetch_optional(pool)
    .await?
    .map(token_from_row)
    .transpose()
}

pub async fn rotate_refresh(
    pool: &PgPool,
    refresh: &TokenHash,
    tokens: &[NewToken],
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // A concurrent rotation of the same token waits here on the row
    // lock, then re-reads the row, finds it used and claims nothing.
    let grant_id: Option<i64> = sqlx::query_scalar(
        "UPDATE tokens SET used = true
         WHERE hash = $1 AND kind = 1 AND NOT used AND NOT revoked
           AND NOT EXISTS (SELECT 1 FROM grants g
                           WHERE g.id = tokens.grant_id AND g.revoked)
         RETURNING grant_id",
    )
    .bind(&refresh.0[..])
    .fetch_optional(&mut *tx)
    .await?;
    // Nothing claimed: dropping the transaction rolls it back.
    let Some(grant_id) = grant_id else {
        return Ok(false);
    };
    insert_tokens(&mut tx, grant_id, tokens).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn revoke_token(pool: &PgPool, hash: &TokenHash) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tokens SET revoked = true WHERE hash = $1")
        .bind(&hash.0[..])
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn revoke_grant(pool: &PgPool, grant_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE grants SET revoked = true WHERE id = $1")
        .bind(grant_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn create_code(pool: &PgPool, code: &NewCode) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO codes (hash, client_id, user_id, redirect_uri, redirect_uri_given, scope,
            code_challenge, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&code.hash.0[..])
    .bind(&code.client_id)
    .bind(code.user_id)
    .bind(&code.redirect_uri)
    .bind(code.redirect_uri_given)
    .bind(&code.scope)
    .bind(&code.code_challenge)
    .bind(code.expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn code(pool: &PgPool, hash: &TokenHash) -> Result<Option<CodeRecord>, sqlx::Error> {
    sqlx::query(
        "SELECT client_id, user_id, redirect_uri, redirect_uri_given, scope, code_challenge,
                expires_at, used, grant_id
         FROM codes WHERE hash = $1",
    )
    .bind(&hash.0[..])
    .fetch_optional(pool)
    .await?
    .map(code_from_row)
    .transpose()
}

pub async fn exchange_code(
    pool: &PgPool,
    hash: &TokenHash,
    grant: &NewGrant,
    tokens: &[NewToken],
) -> Result<CodeExchange, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // A concurrent exchange of the same code waits here on the row
    // lock until this transaction ends, then finds the code used.
    let claimed = sqlx::query("UPDATE codes SET used = true WHERE hash = $1 AND NOT used")
        .bind(&hash.0[..])
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if claimed == 0 {
        // Read after the winner's commit (READ COMMITTED takes a new
        // snapshot per statement), so its grant is visible to revoke.
        let grant_id: Option<i64> =
            sqlx::query_scalar("SELECT grant_id FROM codes WHERE hash = $1")
                .bind(&hash.0[..])
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
        return Ok(CodeExchange::AlreadyUsed { grant_id });
    }
    let grant_id = insert_grant(&mut tx, grant).await?;
    insert_tokens(&mut tx, grant_id, tokens).await?;
    sqlx::query("UPDATE codes SET grant_id = $1 WHERE hash = $2")
        .bind(grant_id)
        .bind(&hash.0[..])
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(CodeExchange::Exchanged { grant_id })
}

pub async fn purge_expired(pool: &PgPool, now: i64) -> Result<u64, sqlx::Error> {
    let mut purged = 0;
    for statement in [
        "DELETE FROM tokens WHERE hash IN (SELECT hash FROM tokens
           WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        // Used codes are kept a while past expiry so that a late
        // replay still revokes what the code produced (RFC 6749 §10.5).
        "DELETE FROM codes WHERE hash IN (SELECT hash FROM codes
           WHERE expires_at <= $1 - 86400 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        "DELETE FROM sessions WHERE hash IN (SELECT hash FROM sessions
           WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        // Windows last at most a day.
        "DELETE FROM failed_attempts WHERE key IN (SELECT key FROM failed_attempts
           WHERE window_start <= $1 - 86400 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        // Runs after the token deletes, in a later snapshot: a grant
        // whose refresh token is being rotated still has that token
        // (the rotation only marks it used, and its lock keeps the
        // purge off it), so it is never deleted under the new tokens.
        // Grants do not expire, they empty: `$1` is not needed.
        "DELETE FROM grants WHERE id IN (SELECT id FROM grants g
           WHERE NOT EXISTS (SELECT 1 FROM tokens t WHERE t.grant_id = g.id)
           AND NOT EXISTS (SELECT 1 FROM codes c WHERE c.grant_id = g.id)
           LIMIT $2 FOR UPDATE SKIP LOCKED)",
    ] {
        purged += purge_in_batches(pool, statement, now).await?;
    }
    Ok(purged)
}
