//! Users, clients, browser sessions, brute-force counters and the example
//! resource API: rows written by one statement each, or one transaction.

use crate::store::rows::ClientColumns;
use crate::store::*;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::Row;

fn user_from_row(row: PgRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
    })
}

fn client_from_row(row: PgRow) -> Result<Client, sqlx::Error> {
    ClientColumns {
        client_id: row.try_get("client_id")?,
        client_name: row.try_get("client_name")?,
        client_uri: row.try_get("client_uri")?,
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: row.try_get("redirect_uris")?,
        grant_types: row.try_get("grant_types")?,
        response_types: row.try_get("response_types")?,
        scope: row.try_get("scope")?,
        token_endpoint_auth_method: row.try_get("token_endpoint_auth_method")?,
        owner_id: row.try_get("owner_id")?,
        resource_server: row.try_get("resource_server")?,
        client_id_issued_at: row.try_get("client_id_issued_at")?,
        client_secret_expires_at: row.try_get("client_secret_expires_at")?,
    }
    .into_client()
    .map_err(|error| sqlx::Error::Decode(error.into()))
}

fn restaurant_from_row(row: PgRow) -> Result<Restaurant, sqlx::Error> {
    Ok(Restaurant {
        id: row.try_get("id")?,
        oid: row.try_get("oid")?,
        name: row.try_get("name")?,
        address: row.try_get("address")?,
        hours: OpeningHours {
            days: row.try_get("days")?,
            opens: row.try_get("opens")?,
            closes: row.try_get("closes")?,
        },
    })
}

pub async fn create_user(
    pool: &PgPool,
    username: &str,
    password_hash: &str,
) -> Result<User, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)
         RETURNING id, username, password_hash",
    )
    .bind(username)
    .bind(password_hash)
    .bind(crate::time::now())
    .fetch_one(pool)
    .await?;
    user_from_row(row)
}

pub async fn user_by_name(pool: &PgPool, username: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query("SELECT id, username, password_hash FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await?
        .map(user_from_row)
        .transpose()
}

pub async fn user_by_id(pool: &PgPool, id: i64) -> Result<Option<User>, sqlx::Error> {
    sqlx::query("SELECT id, username, password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .map(user_from_row)
        .transpose()
}

pub async fn list_users(pool: &PgPool) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query("SELECT id, username, password_hash FROM users ORDER BY id")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(user_from_row)
        .collect()
}

pub async fn create_client(pool: &PgPool, client: &Client) -> Result<(), sqlx::Error> {
    let c = ClientColumns::of(client);
    let mut tx = pool.begin().await?;
    sqlx::query(
        "DELETE FROM tokens WHERE grant_id IN (SELECT id FROM grants WHERE client_id = $1)",
    )
    .bind(&c.client_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM grants WHERE client_id = $1")
        .bind(&c.client_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO clients (client_id, client_name, client_uri, secret_hash,
            redirect_uris, grant_types, response_types, scope,
            token_endpoint_auth_method, owner_id, resource_server, client_id_issued_at,
            client_secret_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&c.client_id)
    .bind(&c.client_name)
    .bind(&c.client_uri)
    .bind(&c.secret_hash)
    .bind(&c.redirect_uris)
    .bind(&c.grant_types)
    .bind(&c.response_types)
    .bind(&c.scope)
    .bind(&c.token_endpoint_auth_method)
    .bind(c.owner_id)
    .bind(c.resource_server)
    .bind(c.client_id_issued_at)
    .bind(c.client_secret_expires_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

pub async fn client(pool: &PgPool, client_id: &str) -> Result<Option<Client>, sqlx::Error> {
    sqlx::query("SELECT * FROM clients WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(pool)
        .await?
        .map(client_from_row)
        .transpose()
}

pub async fn list_clients(pool: &PgPool, owner: Option<i64>) -> Result<Vec<Client>, sqlx::Error> {
    sqlx::query(
        "SELECT * FROM clients WHERE $1::bigint IS NULL OR owner_id = $1
         ORDER BY client_id_issued_at, client_id",
    )
    .bind(owner)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(client_from_row)
    .collect()
}

pub async fn delete_client(
    pool: &PgPool,
    client_id: &str,
    owner: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let deleted = sqlx::query(
        "DELETE FROM clients WHERE client_id = $1 AND ($2::bigint IS NULL OR owner_id = $2)",
    )
    .bind(client_id)
    .bind(owner)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if deleted == 0 {
        return Ok(false);
    }
    for statement in [
        "DELETE FROM tokens WHERE grant_id IN (SELECT id FROM grants WHERE client_id = $1)",
        "DELETE FROM grants WHERE client_id = $1",
        "DELETE FROM codes WHERE client_id = $1",
    ] {
        sqlx::query(statement)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

pub async fn create_session(pool: &PgPool, session: &NewSession) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (hash, user_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&session.hash.0[..])
    .bind(session.user_id)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn session(pool: &PgPool, hash: &TokenHash) -> Result<Option<Session>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.user_id, u.username, s.created_at, s.expires_at
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = $1",
    )
    .bind(&hash.0[..])
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Session {
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    }))
}

pub async fn delete_session(pool: &PgPool, hash: &TokenHash) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE hash = $1")
        .bind(&hash.0[..])
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn failures(
    pool: &PgPool,
    keys: &[String],
    now: i64,
    window: i64,
) -> Result<Vec<(String, Failures)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT key, count, window_start FROM failed_attempts
         WHERE window_start > $1 AND key = ANY($2)",
    )
    .bind(now - window)
    .bind(keys)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let failures = Failures {
                count: row.try_get("count")?,
                window_start: row.try_get("window_start")?,
            };
            Ok((row.try_get("key")?, failures))
        })
        .collect()
}

pub async fn count_attempts(
    pool: &PgPool,
    keys: &[String],
    now: i64,
    window: i64,
) -> Result<Vec<Failures>, sqlx::Error> {
    // One statement over the keys in sorted order: two requests counting
    // against the same keys lock them in the same order, so they cannot
    // deadlock. DISTINCT because an upsert may not touch a row twice.
    let rows = sqlx::query(
        "INSERT INTO failed_attempts AS f (key, window_start, count)
         SELECT DISTINCT key, $2::bigint, 1 FROM UNNEST($1::text[]) AS k(key) ORDER BY key
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN f.window_start <= $2 - $3 THEN 1 ELSE f.count + 1 END,
           window_start = CASE WHEN f.window_start <= $2 - $3 THEN $2
                               ELSE f.window_start END
         RETURNING key, count, window_start",
    )
    .bind(keys)
    .bind(now)
    .bind(window)
    .fetch_all(pool)
    .await?;
    let mut counted = Vec::with_capacity(keys.len());
    for key in keys {
        let row = rows
            .iter()
            .find(|row| row.try_get::<&str, _>("key").ok() == Some(key.as_str()))
            .ok_or_else(|| sqlx::Error::RowNotFound)?;
        counted.push(Failures {
            count: row.try_get("count")?,
            window_start: row.try_get("window_start")?,
        });
    }
    Ok(counted)
}

pub async fn release_attempts(pool: &PgPool, counted: &[(String, i64)]) -> Result<(), sqlx::Error> {
    let (keys, windows): (Vec<&str>, Vec<i64>) =
        counted.iter().map(|(k, w)| (k.as_str(), *w)).unzip();
    sqlx::query(
        "UPDATE failed_attempts AS f SET count = f.count - 1
         FROM UNNEST($1::text[], $2::bigint[]) AS r(key, window_start)
         WHERE f.key = r.key AND f.window_start = r.window_start AND f.count > 0",
    )
    .bind(keys)
    .bind(windows)
    .execute(pool)
    .await?;
    Ok(())
}

/// Creates the secret if it is missing, then reads it, in one statement:
/// of two nodes starting together, the first insert wins and both read
/// its value.
pub async fn server_secret(pool: &PgPool, name: &str) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(crate::crypto::random_bytes::<32>().to_vec())
    .execute(pool)
    .await?;
    sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
}

pub async fn restaurants(pool: &PgPool) -> Result<Vec<Restaurant>, sqlx::Error> {
    sqlx::query("SELECT * FROM restaurants ORDER BY id")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(restaurant_from_row)
        .collect()
}

pub async fn update_restaurant(
    pool: &PgPool,
    key: &RestaurantKey,
    patch: &RestaurantPatch,
) -> Result<Option<Restaurant>, sqlx::Error> {
    let (id, oid) = key.columns();
    sqlx::query(
        "UPDATE restaurants SET name = COALESCE($1, name), address = COALESCE($2, address),
            days = COALESCE($3, days), opens = COALESCE($4, opens), closes = COALESCE($5, closes)
         WHERE id = $6 OR oid = $7 RETURNING *",
    )
    .bind(&patch.name)
    .bind(&patch.address)
    .bind(&patch.days)
    .bind(&patch.opens)
    .bind(&patch.closes)
    .bind(id)
    .bind(oid)
    .fetch_optional(pool)
    .await?
    .map(restaurant_from_row)
    .transpose()
}

pub async fn ensure_restaurant(pool: &PgPool, restaurant: &Restaurant) -> Result<(), sqlx::Error> {
    let hours = &restaurant.hours;
    sqlx::query(
        "INSERT INTO restaurants (oid, name, address, days, opens, closes)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(&restaurant.oid)
    .bind(&restaurant.name)
    .bind(&restaurant.address)
    .bind(&hours.days)
    .bind(&hours.opens)
    .bind(&hours.closes)
    .execute(pool)
    .await?;
    Ok(())
}
