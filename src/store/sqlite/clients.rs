//! Clients, and what deleting one takes along.

use super::{mapped, SqliteStore};
use crate::store::rows::{self, client_columns, ClientColumns};
use crate::store::{Client, ClientStore, StoreResult};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

/// Removes the grants (and their tokens) of a client id: when the client is
/// deleted, and before a client takes the id again.
fn delete_grants_of(conn: &Connection, client_id: &str) -> rusqlite::Result<()> {
    for statement in [
        "DELETE FROM tokens WHERE grant_id IN (SELECT id FROM grants WHERE client_id = ?)",
        "DELETE FROM grants WHERE client_id = ?",
    ] {
        conn.prepare_cached(statement)?.execute([client_id])?;
    }
    Ok(())
}

/// Inserts a client, first removing grants an earlier client of its id
/// left behind (see [`ClientStore::create_client`]).
pub(super) fn insert_client(conn: &Connection, c: &ClientColumns) -> rusqlite::Result<()> {
    delete_grants_of(conn, &c.client_id)?;
    conn.prepare_cached(concat!(
        "INSERT INTO clients (",
        client_columns!(),
        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
        c.client_secret_expires_at,
        c.post_logout_redirect_uris,
        c.id_token_signed_response_alg,
        c.userinfo_signed_response_alg,
        c.access_token_format,
        c.previous_secret_hash,
        c.previous_secret_expires_at,
        c.registrant
    ])?;
    Ok(())
}

/// Replaces what may change of a client (all but its id, registrant and
/// issue time); with `only_dynamic`, only if it registered itself (RFC
/// 7592 updates). Returns how many rows changed.
pub(super) fn update_client(
    conn: &Connection,
    c: &ClientColumns,
    only_dynamic: bool,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE clients SET client_name = ?, client_uri = ?, secret_hash = ?,
           redirect_uris = ?, grant_types = ?, response_types = ?, scope = ?,
           token_endpoint_auth_method = ?, resource_server = ?,
           client_secret_expires_at = ?, post_logout_redirect_uris = ?,
           previous_secret_hash = ?, previous_secret_expires_at = ?,
           id_token_signed_response_alg = ?, userinfo_signed_response_alg = ?,
           access_token_format = ?
         WHERE client_id = ? AND (NOT ? OR registrant = 'dynamic')",
    )?
    .execute(params![
        c.client_name,
        c.client_uri,
        c.secret_hash,
        c.redirect_uris,
        c.grant_types,
        c.response_types,
        c.scope,
        c.token_endpoint_auth_method,
        c.resource_server,
        c.client_secret_expires_at,
        c.post_logout_redirect_uris,
        c.previous_secret_hash,
        c.previous_secret_expires_at,
        c.id_token_signed_response_alg,
        c.userinfo_signed_response_alg,
        c.access_token_format,
        c.client_id,
        only_dynamic
    ])
}

#[async_trait]
impl ClientStore for SqliteStore {
    async fn create_client(&self, client: &Client) -> StoreResult<()> {
        let c = ClientColumns::of(client);
        self.write(move |conn| insert_client(conn, &c)).await
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                client_columns!(),
                " FROM clients WHERE client_id = ?"
            ))?
            .query_row([client_id], mapped(rows::client))
            .optional()
        })
    }

    async fn list_clients(&self, owner: Option<i64>) -> StoreResult<Vec<Client>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                client_columns!(),
                " FROM clients WHERE ?1 IS NULL OR owner_id = ?1
                 ORDER BY client_id_issued_at, client_id"
            ))?
            .query_map([owner], mapped(rows::client))?
            .collect()
        })
    }

    async fn delete_client(&self, client_id: &str, owner: Option<i64>) -> StoreResult<bool> {
        let client_id = client_id.to_owned();
        self.write(move |conn| {
            let deleted = conn
                .prepare_cached(
                    "DELETE FROM clients WHERE client_id = ?1 AND (?2 IS NULL OR owner_id = ?2)",
                )?
                .execute(params![client_id, owner])?;
            if deleted == 0 {
                return Ok(false);
            }
            delete_grants_of(conn, &client_id)?;
            for statement in [
                "DELETE FROM codes WHERE client_id = ?",
                "DELETE FROM consents WHERE client_id = ?",
            ] {
                conn.prepare_cached(statement)?.execute([&client_id])?;
            }
            Ok(true)
        })
        .await
    }

    async fn clients_page(&self, after: &str, limit: u32) -> StoreResult<Vec<Client>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                client_columns!(),
                " FROM clients WHERE client_id > ? ORDER BY client_id LIMIT ?"
            ))?
            .query_map(params![after, limit], mapped(rows::client))?
            .collect()
        })
    }

    async fn update_client(&self, client: &Client) -> StoreResult<bool> {
        let c = ClientColumns::of(client);
        self.write(move |conn| Ok(update_client(conn, &c, false)? == 1))
            .await
    }
}
