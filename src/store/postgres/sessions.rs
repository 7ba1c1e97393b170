//! Browser sessions.

use super::{optional, PostgresStore};
use crate::store::rows::{self, session_select};
use crate::store::{NewSession, Session, SessionStore, StoreResult, TokenKey};
use async_trait::async_trait;

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        self.run(async |conn| {
            let insert = conn
                .prepare_cached(
                    "INSERT INTO sessions (hash, user_id, created_at, expires_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .await?;
            conn.execute(
                &insert,
                &[
                    &&session.key.0[..],
                    &session.user_id,
                    &session.created_at,
                    &session.expires_at,
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn session(&self, key: &TokenKey) -> StoreResult<Option<Session>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(session_select!(), " WHERE s.hash = $1"))
                .await?;
            optional(
                conn.query_opt(&select, &[&&key.0[..]]).await?,
                rows::session,
            )
        })
        .await
    }

    async fn delete_session(&self, key: &TokenKey) -> StoreResult<()> {
        self.run(async |conn| {
            let delete = conn
                .prepare_cached("DELETE FROM sessions WHERE hash = $1")
                .await?;
            conn.execute(&delete, &[&&key.0[..]]).await?;
            Ok(())
        })
        .await
    }
}
