//! Initial access tokens and self-registered clients (RFC 7591, RFC 7592).
//! Spending a use of an initial access token is a conditional `UPDATE` on
//! the writer thread, so concurrent registrations cannot spend more uses
//! than the token has.

use super::clients::{self, insert_client};
use super::{mapped, SqliteStore};
use crate::store::rows::ClientColumns;
use crate::store::rows::{self, client_registration_select, initial_access_token_columns};
use crate::store::*;
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

#[async_trait]
impl RegistrationStore for SqliteStore {
    async fn create_initial_access_token(&self, token: &InitialAccessToken) -> StoreResult<()> {
        let token = token.clone();
        self.write(move |conn| {
            conn.prepare_cached(concat!(
                "INSERT INTO initial_access_tokens (",
                initial_access_token_columns!(),
                ") VALUES (?, ?, ?, ?, ?)"
            ))?
            .execute(params![
                token.id,
                &token.key.0[..],
                token.created_at,
                token.expires_at,
                token.uses_left
            ])?;
            Ok(())
        })
        .await
    }

    async fn initial_access_token(
        &self,
        key: &TokenKey,
    ) -> StoreResult<Option<InitialAccessToken>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                initial_access_token_columns!(),
                " FROM initial_access_tokens WHERE hash = ?"
            ))?
            .query_row([&key.0[..]], mapped(rows::initial_access_token))
            .optional()
        })
    }

    async fn list_initial_access_tokens(&self) -> StoreResult<Vec<InitialAccessToken>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                initial_access_token_columns!(),
                " FROM initial_access_tokens ORDER BY created_at, id"
            ))?
            .query_map([], mapped(rows::initial_access_token))?
            .collect()
        })
    }

    async fn revoke_initial_access_token(&self, id: &str) -> StoreResult<bool> {
        let id = id.to_owned();
        self.write(move |conn| {
            let deleted = conn
                .prepare_cached("DELETE FROM initial_access_tokens WHERE id = ?")?
                .execute([id])?;
            Ok(deleted > 0)
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
        let (application_type, access_token) =
            (registration.application_type, registration.access_token);
        let initial = initial.copied();
        self.write(move |conn| {
            if let Some(initial) = initial {
                let spent = conn
                    .prepare_cached(
                        "UPDATE initial_access_tokens SET uses_left = uses_left - 1
                         WHERE hash = ? AND uses_left > 0 AND expires_at > ?",
                    )?
                    .execute(params![&initial.0[..], now])?;
                if spent == 0 {
                    return Ok(false);
                }
            }
            insert_client(conn, &columns)?;
            conn.prepare_cached(
                "INSERT INTO client_registrations
                    (client_id, hash, application_type, registered_at)
                 VALUES (?, ?, ?, ?)",
            )?
            .execute(params![
                columns.client_id,
                &access_token.0[..],
                application_type.as_str(),
                columns.client_id_issued_at
            ])?;
            Ok(true)
        })
        .await
    }

    async fn client_registration(&self, key: &TokenKey) -> StoreResult<Option<ClientRegistration>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(client_registration_select!(), " WHERE r.hash = ?"))?
                .query_row([&key.0[..]], mapped(rows::client_registration))
                .optional()
        })
    }

    async fn update_registration(&self, registration: &ClientRegistration) -> StoreResult<bool> {
        let c = ClientColumns::of(&registration.client);
        let application_type = registration.application_type;
        self.write(move |conn| {
            let updated = clients::update_client(conn, &c, true)?;
            conn.prepare_cached(
                "UPDATE client_registrations SET application_type = ? WHERE client_id = ?",
            )?
            .execute(params![application_type.as_str(), c.client_id])?;
            Ok(updated > 0)
        })
        .await
    }
}

/// Marks the registrations of clients that hold a grant as used; the purge
/// runs it before it deletes any grant, so that a client is marked before
/// its last grant can go.
pub(super) fn mark_used(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE client_registrations SET used = 1
         WHERE used = 0 AND EXISTS (SELECT 1 FROM grants g
                                    WHERE g.client_id = client_registrations.client_id)",
    )?
    .execute([])?;
    Ok(())
}

/// Deletes up to `?2` self-registered clients registered at or before `?1`
/// that never held a grant (their registrations go with them, ON DELETE
/// CASCADE); a purge statement like those of `grants.rs`.
pub(super) const PURGE_UNUSED: &str = "DELETE FROM clients WHERE client_id IN
       (SELECT r.client_id FROM client_registrations r
        WHERE r.used = 0 AND r.registered_at <= ?1
          AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.client_id = r.client_id)
        LIMIT ?2)
     RETURNING NULL";
