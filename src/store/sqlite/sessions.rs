//! Browser sessions.

use super::{mapped, SqliteStore};
use crate::store::rows::{self, session_select};
use crate::store::{NewSession, Session, SessionStore, StoreResult, TokenKey};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        let session = session.clone();
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO sessions (hash, user_id, created_at, expires_at)
                 VALUES (?, ?, ?, ?)",
            )?
            .execute(params![
                &session.key.0[..],
                session.user_id,
                session.created_at,
                session.expires_at
            ])?;
            Ok(())
        })
        .await
    }

    async fn session(&self, key: &TokenKey) -> StoreResult<Option<Session>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(session_select!(), " WHERE s.hash = ?"))?
                .query_row([&key.0[..]], mapped(rows::session))
                .optional()
        })
    }

    async fn delete_session(&self, key: &TokenKey) -> StoreResult<()> {
        let key = *key;
        self.write(move |conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE hash = ?")?
                .execute([&key.0[..]])?;
            Ok(())
        })
        .await
    }
}
