//! Grants, tokens and codes: the single-use claims, and the purge of expired
//! rows. Every write here runs on the writer thread, one after the other,
//! so a claim (`UPDATE … WHERE used = 0`) cannot race another.

use crate::store::rows::{token_kind, token_kind_code};
use crate::store::*;
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};

fn insert_grant(conn: &Connection, grant: &NewGrant) -> rusqlite::Result<i64> {
    conn.prepare_cached("INSERT INTO grants (client_id, user_id, created_at) VALUES (?, ?, ?)")?
        .execute(params![grant.client_id, grant.user_id, grant.created_at])?;
    Ok(conn.last_insert_rowid())
}

fn insert_tokens(conn: &Connection, grant_id: i64, tokens: &[NewToken]) -> rusqlite::Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO tokens (hash, kind, grant_id, scope, issued_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )?;
    for token in tokens {
        insert.execute(params![
            &token.hash.0[..],
            token_kind_code(token.kind),
            grant_id,
            token.scope,
            token.issued_at,
            token.expires_at
        ])?;
    }
    Ok(())
}

/// Reads the columns of [`token`]'s SELECT by position (see
/// `client_columns!` in accounts.rs for why).
fn token_from_row(row: &Row) -> rusqlite::Result<TokenRecord> {
    let kind = token_kind(row.get(0)?).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(0, Type::Integer, error.into())
    })?;
    Ok(TokenRecord {
        kind,
        grant_id: row.get(1)?,
        client_id: row.get(2)?,
        user_id: row.get(3)?,
        username: row.get(4)?,
        scope: row.get(5)?,
        issued_at: row.get(6)?,
        expires_at: row.get(7)?,
        revoked: row.get(8)?,
        used: row.get(9)?,
    })
}

fn code_from_row(row: &Row) -> rusqlite::Result<CodeRecord> {
    Ok(CodeRecord {
        client_id: row.get("client_id")?,
        user_id: row.get("user_id")?,
        redirect_uri: row.get("redirect_uri")?,
        redirect_uri_given: row.get("redirect_uri_given")?,
        scope: row.get("scope")?,
        code_challenge: row.get("code_challenge")?,
        expires_at: row.get("expires_at")?,
        used: row.get("used")?,
        grant_id: row.get("grant_id")?,
    })
}

pub fn issue_grant(
    conn: &Connection,
    grant: &NewGrant,
    tokens: &[NewToken],
) -> rusqlite::Result<i64> {
    let grant_id = insert_grant(conn, grant)?;
    insert_tokens(conn, grant_id, tokens)?;
    Ok(grant_id)
}

pub fn token(conn: &Connection, hash: &TokenHash) -> rusqlite::Result<Option<TokenRecord>> {
    conn.prepare_cached(
        "SELECT t.kind, t.grant_id, g.client_id, g.user_id, u.username, t.scope,
                t.issued_at, t.expires_at,
                (t.revoked OR g.revoked OR c.client_id IS NULL) AS revoked, t.used
         FROM tokens t
         JOIN grants g ON g.id = t.grant_id
         LEFT JOIN clients c ON c.client_id = g.client_id
         LEFT JOIN users u ON u.id = g.user_id
         WHERE t.hash = ?",
    )?
    .query_row([&hash.0[..]], token_from_row)
    .optional()
}

pub fn rotate_refresh(
    conn: &Connection,
    refresh: &TokenHash,
    tokens: &[NewToken],
) -> rusqlite::Result<bool> {
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
    insert_tokens(conn, grant_id, tokens)?;
    Ok(true)
}

pub fn revoke_token(conn: &Connection, hash: &TokenHash) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE tokens SET revoked = 1 WHERE hash = ?")?
        .execute([&hash.0[..]])?;
    Ok(())
}

pub fn revoke_grant(conn: &Connection, grant_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE grants SET revoked = 1 WHERE id = ?")?
        .execute([grant_id])?;
    Ok(())
}

pub fn create_code(conn: &Connection, code: &NewCode) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO codes (hash, client_id, user_id, redirect_uri, redirect_uri_given, scope,
            code_challenge, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        &code.hash.0[..],
        code.client_id,
        code.user_id,
        code.redirect_uri,
        code.redirect_uri_given,
        code.scope,
        code.code_challenge,
        code.expires_at
    ])?;
    Ok(())
}

pub fn code(conn: &Connection, hash: &TokenHash) -> rusqlite::Result<Option<CodeRecord>> {
    conn.prepare_cached(
        "SELECT client_id, user_id, redirect_uri, redirect_uri_given, scope, code_challenge,
                expires_at, used, grant_id
         FROM codes WHERE hash = ?",
    )?
    .query_row([&hash.0[..]], code_from_row)
    .optional()
}

pub fn exchange_code(
    conn: &Connection,
    hash: &TokenHash,
    grant: &NewGrant,
    tokens: &[NewToken],
) -> rusqlite::Result<CodeExchange> {
    let claimed = conn
        .prepare_cached("UPDATE codes SET used = 1 WHERE hash = ? AND used = 0")?
        .execute([&hash.0[..]])?;
    if claimed == 0 {
        let grant_id = conn
            .prepare_cached("SELECT grant_id FROM codes WHERE hash = ?")?
            .query_row([&hash.0[..]], |row| row.get(0))
            .optional()?
            .flatten();
        return Ok(CodeExchange::AlreadyUsed { grant_id });
    }
    let grant_id = insert_grant(conn, grant)?;
    insert_tokens(conn, grant_id, tokens)?;
    conn.prepare_cached("UPDATE codes SET grant_id = ? WHERE hash = ?")?
        .execute(params![grant_id, &hash.0[..]])?;
    Ok(CodeExchange::Exchanged { grant_id })
}

/// Runs one of [`PURGE_STATEMENTS`]: deletes up to `limit` expired rows and
/// the grants that the deleted tokens and codes leave empty. Returns how
/// many expired rows went (fewer than `limit`: none are left) and how many
/// grants.
pub fn purge_batch(
    conn: &Connection,
    statement: &str,
    now: i64,
    limit: i64,
) -> rusqlite::Result<(u64, u64)> {
    let mut emptied: Vec<Option<i64>> = conn
        .prepare_cached(statement)?
        .query_map(params![now, limit], |row| row.get(0))?
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

/// What the purge deletes, each returning the grant its rows belonged to
/// (NULL where there is none). `?1` is the time, `?2` the batch size.
pub const PURGE_STATEMENTS: [&str; 4] = [
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
