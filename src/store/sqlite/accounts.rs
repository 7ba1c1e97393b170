//! Users, clients, browser sessions, brute-force counters and the example
//! resource API.

use crate::store::rows::ClientColumns;
use crate::store::*;
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::sync::LazyLock;

fn user_from_row(row: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: row.get("id")?,
        username: row.get("username")?,
        password_hash: row.get("password_hash")?,
    })
}

/// The columns [`client_from_row`] reads, in its order. Rows on hot paths
/// are read by position: rusqlite finds a column by name with a scan of
/// all the names.
macro_rules! client_columns {
    () => {
        "client_id, client_name, client_uri, secret_hash, redirect_uris, grant_types,
         response_types, scope, token_endpoint_auth_method, owner_id, resource_server,
         client_id_issued_at, client_secret_expires_at"
    };
}

fn client_from_row(row: &Row) -> rusqlite::Result<Client> {
    ClientColumns {
        client_id: row.get(0)?,
        client_name: row.get(1)?,
        client_uri: row.get(2)?,
        secret_hash: row.get(3)?,
        redirect_uris: row.get(4)?,
        grant_types: row.get(5)?,
        response_types: row.get(6)?,
        scope: row.get(7)?,
        token_endpoint_auth_method: row.get(8)?,
        owner_id: row.get(9)?,
        resource_server: row.get(10)?,
        client_id_issued_at: row.get(11)?,
        client_secret_expires_at: row.get(12)?,
    }
    .into_client()
    .map_err(|error| rusqlite::Error::FromSqlConversionFailure(0, Type::Text, error.into()))
}

/// The columns [`restaurant_from_row`] reads, in its order.
macro_rules! restaurant_columns {
    () => {
        "id, oid, name, address, days, opens, closes"
    };
}

fn restaurant_from_row(row: &Row) -> rusqlite::Result<Restaurant> {
    Ok(Restaurant {
        id: row.get(0)?,
        oid: row.get(1)?,
        name: row.get(2)?,
        address: row.get(3)?,
        hours: OpeningHours {
            days: row.get(4)?,
            opens: row.get(5)?,
            closes: row.get(6)?,
        },
    })
}

pub fn create_user(
    conn: &Connection,
    username: &str,
    password_hash: &str,
) -> rusqlite::Result<User> {
    conn.prepare_cached(
        "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)
         RETURNING id, username, password_hash",
    )?
    .query_row(
        params![username, password_hash, crate::time::now()],
        user_from_row,
    )
}

pub fn user_by_name(conn: &Connection, username: &str) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached("SELECT id, username, password_hash FROM users WHERE username = ?")?
        .query_row([username], user_from_row)
        .optional()
}

pub fn user_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<User>> {
    conn.prepare_cached("SELECT id, username, password_hash FROM users WHERE id = ?")?
        .query_row([id], user_from_row)
        .optional()
}

pub fn list_users(conn: &Connection) -> rusqlite::Result<Vec<User>> {
    conn.prepare_cached("SELECT id, username, password_hash FROM users ORDER BY id")?
        .query_map([], user_from_row)?
        .collect()
}

pub fn create_client(conn: &Connection, client: &Client) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "DELETE FROM tokens WHERE grant_id IN (SELECT id FROM grants WHERE client_id = ?)",
    )?
    .execute([&client.client_id])?;
    conn.prepare_cached("DELETE FROM grants WHERE client_id = ?")?
        .execute([&client.client_id])?;
    let c = ClientColumns::of(client);
    conn.prepare_cached(concat!(
        "INSERT INTO clients (",
        client_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))?
    .execute(params![
        c.client_id,
        c.client_name,
        c.client_uri,
        c.secret_hash,
        c.redirect_uris,
        c.grant_types,
        c.response_types,
        c.scope,
        c.token_endpoint_auth_method,
        c.owner_id,
        c.resource_server,
        c.client_id_issued_at,
        c.client_secret_expires_at
    ])?;
    Ok(())
}

pub fn client(conn: &Connection, client_id: &str) -> rusqlite::Result<Option<Client>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        client_columns!(),
        " FROM clients WHERE client_id = ?"
    ))?
    .query_row([client_id], client_from_row)
    .optional()
}

pub fn list_clients(conn: &Connection, owner: Option<i64>) -> rusqlite::Result<Vec<Client>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        client_columns!(),
        " FROM clients WHERE ?1 IS NULL OR owner_id = ?1
             ORDER BY client_id_issued_at, client_id"
    ))?
    .query_map([owner], client_from_row)?
    .collect()
}

pub fn delete_client(
    conn: &Connection,
    client_id: &str,
    owner: Option<i64>,
) -> rusqlite::Result<bool> {
    let deleted = conn
        .prepare_cached(
            "DELETE FROM clients WHERE client_id = ?1 AND (?2 IS NULL OR owner_id = ?2)",
        )?
        .execute(params![client_id, owner])?;
    if deleted == 0 {
        return Ok(false);
    }
    for statement in [
        "DELETE FROM tokens WHERE grant_id IN (SELECT id FROM grants WHERE client_id = ?)",
        "DELETE FROM grants WHERE client_id = ?",
        "DELETE FROM codes WHERE client_id = ?",
    ] {
        conn.prepare_cached(statement)?.execute([client_id])?;
    }
    Ok(true)
}

pub fn create_session(conn: &Connection, session: &NewSession) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
    )?
    .execute(params![
        &session.hash.0[..],
        session.user_id,
        session.created_at,
        session.expires_at
    ])?;
    Ok(())
}

pub fn session(conn: &Connection, hash: &TokenHash) -> rusqlite::Result<Option<Session>> {
    conn.prepare_cached(
        "SELECT s.user_id, u.username, s.created_at, s.expires_at
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?",
    )?
    .query_row([&hash.0[..]], |row| {
        Ok(Session {
            user_id: row.get("user_id")?,
            username: row.get("username")?,
            created_at: row.get("created_at")?,
            expires_at: row.get("expires_at")?,
        })
    })
    .optional()
}

pub fn delete_session(conn: &Connection, hash: &TokenHash) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sessions WHERE hash = ?")?
        .execute([&hash.0[..]])?;
    Ok(())
}

/// [`failures`]' statement for up to three keys (the limiter's subjects),
/// built once rather than on every request.
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

pub fn failures(
    conn: &Connection,
    keys: &[String],
    now: i64,
    window: i64,
) -> rusqlite::Result<Vec<(String, Failures)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let built;
    let sql = match FAILURES_SQL.get(keys.len()) {
        Some(sql) => sql.as_str(),
        None => {
            built = failures_sql(keys.len());
            &built
        }
    };
    let mut query = conn.prepare_cached(sql)?;
    let opened_after = now - window;
    let values = std::iter::once(&opened_after as &dyn rusqlite::ToSql)
        .chain(keys.iter().map(|key| key as &dyn rusqlite::ToSql));
    let rows = query.query_map(rusqlite::params_from_iter(values), |row| {
        let failures = Failures {
            count: row.get(1)?,
            window_start: row.get(2)?,
        };
        Ok((row.get(0)?, failures))
    })?;
    rows.collect()
}

pub fn count_attempts(
    conn: &Connection,
    keys: &[String],
    now: i64,
    window: i64,
) -> rusqlite::Result<Vec<Failures>> {
    let mut count = conn.prepare_cached(
        "INSERT INTO failed_attempts (key, window_start, count) VALUES (?1, ?2, 1)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END,
           window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END
         RETURNING count, window_start",
    )?;
    keys.iter()
        .map(|key| {
            count.query_row(params![key, now, window], |row| {
                Ok(Failures {
                    count: row.get(0)?,
                    window_start: row.get(1)?,
                })
            })
        })
        .collect()
}

pub fn release_attempts(conn: &Connection, counted: &[(String, i64)]) -> rusqlite::Result<()> {
    let mut release = conn.prepare_cached(
        "UPDATE failed_attempts SET count = count - 1
         WHERE key = ? AND window_start = ? AND count > 0",
    )?;
    for (key, window_start) in counted {
        release.execute(params![key, window_start])?;
    }
    Ok(())
}

/// Creates the secret if it is missing, then reads it: of two nodes
/// starting together, the first insert wins and both read its value.
pub fn server_secret(conn: &Connection, name: &str) -> rusqlite::Result<Vec<u8>> {
    conn.prepare_cached(
        "INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
    )?
    .execute(params![name, crate::crypto::random_bytes::<32>().to_vec()])?;
    conn.prepare_cached("SELECT value FROM server_secrets WHERE name = ?")?
        .query_row([name], |row| row.get(0))
}

pub fn restaurants(conn: &Connection) -> rusqlite::Result<Vec<Restaurant>> {
    conn.prepare_cached(concat!(
        "SELECT ",
        restaurant_columns!(),
        " FROM restaurants ORDER BY id"
    ))?
    .query_map([], restaurant_from_row)?
    .collect()
}

pub fn update_restaurant(
    conn: &Connection,
    key: &RestaurantKey,
    patch: &RestaurantPatch,
) -> rusqlite::Result<Option<Restaurant>> {
    let (id, oid) = key.columns();
    conn.prepare_cached(concat!(
        "UPDATE restaurants SET name = COALESCE(?, name), address = COALESCE(?, address),
            days = COALESCE(?, days), opens = COALESCE(?, opens), closes = COALESCE(?, closes)
         WHERE id = ? OR oid = ? RETURNING ",
        restaurant_columns!()
    ))?
    .query_row(
        params![
            patch.name,
            patch.address,
            patch.days,
            patch.opens,
            patch.closes,
            id,
            oid
        ],
        restaurant_from_row,
    )
    .optional()
}

pub fn ensure_restaurant(conn: &Connection, restaurant: &Restaurant) -> rusqlite::Result<()> {
    let hours = &restaurant.hours;
    conn.prepare_cached(
        "INSERT INTO restaurants (oid, name, address, days, opens, closes)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )?
    .execute(params![
        restaurant.oid,
        restaurant.name,
        restaurant.address,
        hours.days,
        hours.opens,
        hours.closes
    ])?;
    Ok(())
}
