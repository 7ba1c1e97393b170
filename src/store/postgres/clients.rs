//! Clients, and what deleting one takes along.

use super::{all, optional, Outcome, PostgresStore};
use crate::store::rows::{self, client_columns, ClientColumns};
use crate::store::{Client, ClientStore, StoreResult};
use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Transaction};

/// Removes the grants (and their tokens) of a client id: when the client is
/// deleted, and before a client takes the id again.
async fn delete_grants_of(tx: &Transaction<'_>, client_id: &str) -> Outcome<()> {
    for statement in [
        "DELETE FROM tokens WHERE grant_id IN (SELECT id FROM grants WHERE client_id = $1)",
        "DELETE FROM grants WHERE client_id = $1",
    ] {
        let delete = tx.prepare_cached(statement).await?;
        tx.execute(&delete, &[&client_id]).await?;
    }
    Ok(())
}

/// Inserts a client, first removing grants an earlier client of its id
/// left behind (see [`ClientStore::create_client`]).
pub(super) async fn insert_client(tx: &Transaction<'_>, c: &ClientColumns) -> Outcome<()> {
    delete_grants_of(tx, &c.client_id).await?;
    let insert = tx
        .prepare_cached(concat!(
            "INSERT INTO clients (",
            client_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
              $17, $18, $19, $20)"
        ))
        .await?;
    tx.execute(
        &insert,
        &[
            &c.client_id,
            &c.client_name,
            &c.client_uri,
            &c.secret_hash,
            &c.redirect_uris,
            &c.grant_types,
            &c.response_types,
            &c.scope,
            &c.token_endpoint_auth_method,
            &c.owner_id,
            &c.resource_server,
            &c.client_id_issued_at,
            &c.client_secret_expires_at,
            &c.post_logout_redirect_uris,
            &c.id_token_signed_response_alg,
            &c.userinfo_signed_response_alg,
            &c.access_token_format,
            &c.previous_secret_hash,
            &c.previous_secret_expires_at,
            &c.registrant,
        ],
    )
    .await?;
    Ok(())
}

/// Replaces what may change of a client (all but its id, registrant and
/// issue time); with `only_dynamic`, only if it registered itself (RFC
/// 7592 updates). Returns how many rows changed.
pub(super) async fn update_client(
    conn: &impl GenericClient,
    c: &ClientColumns,
    only_dynamic: bool,
) -> Outcome<u64> {
    let update = conn
        .prepare_cached(
            "UPDATE clients SET client_name = $1, client_uri = $2, secret_hash = $3,
               redirect_uris = $4, grant_types = $5, response_types = $6, scope = $7,
               token_endpoint_auth_method = $8, resource_server = $9,
               client_secret_expires_at = $10, post_logout_redirect_uris = $11,
               previous_secret_hash = $12, previous_secret_expires_at = $13,
               id_token_signed_response_alg = $14, userinfo_signed_response_alg = $15,
               access_token_format = $16
             WHERE client_id = $17 AND (NOT $18 OR registrant = 'dynamic')",
        )
        .await?;
    Ok(conn
        .execute(
            &update,
            &[
                &c.client_name,
                &c.client_uri,
                &c.secret_hash,
                &c.redirect_uris,
                &c.grant_types,
                &c.response_types,
                &c.scope,
                &c.token_endpoint_auth_method,
                &c.resource_server,
                &c.client_secret_expires_at,
                &c.post_logout_redirect_uris,
                &c.previous_secret_hash,
                &c.previous_secret_expires_at,
                &c.id_token_signed_response_alg,
                &c.userinfo_signed_response_alg,
                &c.access_token_format,
                &c.client_id,
                &only_dynamic,
            ],
        )
        .await?)
}

#[async_trait]
impl ClientStore for PostgresStore {
    async fn create_client(&self, client: &Client) -> StoreResult<()> {
        let c = ClientColumns::of(client);
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            insert_client(&tx, &c).await?;
            Ok(tx.commit().await?)
        })
        .await
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM clients WHERE client_id = $1"
                ))
                .await?;
            optional(conn.query_opt(&select, &[&client_id]).await?, rows::client)
        })
        .await
    }

    async fn cached_client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        if let Some(client) = self.clients.get(client_id) {
            return Ok(Some(client));
        }
        let client = self
            .run(async |conn| {
                let select = conn
                    .prepare_cached(concat!(
                        "SELECT ",
                        client_columns!(),
                        ", version FROM clients WHERE client_id = $1"
                    ))
                    .await?;
                optional(
                    conn.query_opt(&select, &[&client_id]).await?,
                    rows::versioned_client,
                )
            })
            .await?;
        if let Some(client) = &client {
            self.clients.put(client.clone());
        }
        Ok(client)
    }

    fn forget_cached_client(&self, client_id: &str) {
        self.clients.forget(client_id);
    }

    async fn list_clients(&self, owner: Option<i64>) -> StoreResult<Vec<Client>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM clients WHERE $1::bigint IS NULL OR owner_id = $1
                     ORDER BY client_id_issued_at, client_id"
                ))
                .await?;
            all(conn.query(&select, &[&owner]).await?, rows::client)
        })
        .await
    }

    async fn delete_client(&self, client_id: &str, owner: Option<i64>) -> StoreResult<bool> {
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            let delete = tx
                .prepare_cached(
                    "DELETE FROM clients
                     WHERE client_id = $1 AND ($2::bigint IS NULL OR owner_id = $2)",
                )
                .await?;
            if tx.execute(&delete, &[&client_id, &owner]).await? == 0 {
                return Ok(false);
            }
            delete_grants_of(&tx, client_id).await?;
            for statement in [
                "DELETE FROM codes WHERE client_id = $1",
                "DELETE FROM consents WHERE client_id = $1",
            ] {
                let delete = tx.prepare_cached(statement).await?;
                tx.execute(&delete, &[&client_id]).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn clients_page(&self, after: &str, limit: u32) -> StoreResult<Vec<Client>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM clients WHERE client_id > $1 ORDER BY client_id LIMIT $2"
                ))
                .await?;
            all(
                conn.query(&select, &[&after, &i64::from(limit)]).await?,
                rows::client,
            )
        })
        .await
    }

    async fn update_client(&self, client: &Client) -> StoreResult<bool> {
        let c = ClientColumns::of(client);
        self.run(async |conn| Ok(update_client(&*conn, &c, false).await? == 1))
            .await
    }
}
