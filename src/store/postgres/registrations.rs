//! Initial access tokens and self-registered clients (RFC 7591, RFC 7592).
//! Spending a use of an initial access token is a conditional `UPDATE`:
//! a concurrent registration on another node waits on its row lock, then
//! finds the uses it left.

use super::clients::{self, insert_client};
use super::{all, optional, PostgresStore};
use crate::store::rows::ClientColumns;
use crate::store::rows::{self, client_registration_select, initial_access_token_columns};
use crate::store::*;
use async_trait::async_trait;

#[async_trait]
impl RegistrationStore for PostgresStore {
    async fn create_initial_access_token(&self, token: &InitialAccessToken) -> StoreResult<()> {
        self.run(async |conn| {
            let insert = conn
                .prepare_cached(concat!(
                    "INSERT INTO initial_access_tokens (",
                    initial_access_token_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5)"
                ))
                .await?;
            conn.execute(
                &insert,
                &[
                    &token.id,
                    &&token.key.0[..],
                    &token.created_at,
                    &token.expires_at,
                    &token.uses_left,
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn initial_access_token(
        &self,
        key: &TokenKey,
    ) -> StoreResult<Option<InitialAccessToken>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    initial_access_token_columns!(),
                    " FROM initial_access_tokens WHERE hash = $1"
                ))
                .await?;
            optional(
                conn.query_opt(&select, &[&&key.0[..]]).await?,
                rows::initial_access_token,
            )
        })
        .await
    }

    async fn list_initial_access_tokens(&self) -> StoreResult<Vec<InitialAccessToken>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    initial_access_token_columns!(),
                    " FROM initial_access_tokens ORDER BY created_at, id"
                ))
                .await?;
            all(conn.query(&select, &[]).await?, rows::initial_access_token)
        })
        .await
    }

    async fn revoke_initial_access_token(&self, id: &str) -> StoreResult<bool> {
        self.run(async |conn| {
            let delete = conn
                .prepare_cached("DELETE FROM initial_access_tokens WHERE id = $1")
                .await?;
            Ok(conn.execute(&delete, &[&id]).await? > 0)
        })
        .await
    }

    async fn register_client(
        &self,
        registration: &ClientRegistration,
        initial: Option<&TokenKey>,
        now: i64,
    ) -> StoreResult<bool> {
        let columns = ClientColumns::of(&registration.client);
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            if let Some(initial) = initial {
                let spend = tx
                    .prepare_cached(
                        "UPDATE initial_access_tokens SET uses_left = uses_left - 1
                         WHERE hash = $1 AND uses_left > 0 AND expires_at > $2",
                    )
                    .await?;
                // Nothing spent: dropping the transaction rolls it back.
                if tx.execute(&spend, &[&&initial.0[..], &now]).await? == 0 {
                    return Ok(false);
                }
            }
            insert_client(&tx, &columns).await?;
            let insert = tx
                .prepare_cached(
                    "INSERT INTO client_registrations
                        (client_id, hash, application_type, registered_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .await?;
            tx.execute(
                &insert,
                &[
                    &columns.client_id,
                    &&registration.access_token.0[..],
                    &registration.application_type.as_str(),
                    &columns.client_id_issued_at,
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn client_registration(&self, key: &TokenKey) -> StoreResult<Option<ClientRegistration>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(client_registration_select!(), " WHERE r.hash = $1"))
                .await?;
            optional(
                conn.query_opt(&select, &[&&key.0[..]]).await?,
                rows::client_registration,
            )
        })
        .await
    }

    async fn update_registration(&self, registration: &ClientRegistration) -> StoreResult<bool> {
        let c = ClientColumns::of(&registration.client);
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            let updated = clients::update_client(&tx, &c, true).await?;
            let kind = tx
                .prepare_cached(
                    "UPDATE client_registrations SET application_type = $1 WHERE client_id = $2",
                )
                .await?;
            tx.execute(
                &kind,
                &[&registration.application_type.as_str(), &c.client_id],
            )
            .await?;
            tx.commit().await?;
            Ok(updated > 0)
        })
        .await
    }
}

/// Marks the registrations of clients that hold a grant as used. The purge
/// runs it before it deletes any grant, so that a client is marked before
/// its last grant can go.
pub(super) const MARK_USED: &str = "UPDATE client_registrations r SET used = true
     WHERE NOT used AND EXISTS (SELECT 1 FROM grants g WHERE g.client_id = r.client_id)";

/// Deletes up to `$2` self-registered clients registered at or before `$1`
/// that never held a grant (their registrations go with them, ON DELETE
/// CASCADE); a purge statement like those of `grants.rs`.
pub(super) const PURGE_UNUSED: &str = "DELETE FROM clients WHERE client_id IN
       (SELECT r.client_id FROM client_registrations r
        WHERE NOT r.used AND r.registered_at <= $1
          AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.client_id = r.client_id)
        LIMIT $2 FOR UPDATE OF r SKIP LOCKED)";
