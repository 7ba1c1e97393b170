//! Users.

use super::{mapped, SqliteStore};
use crate::oauth::oidc::claims::UserClaims;
use crate::store::rows::{self, user_columns};
use crate::store::{StoreResult, User, UserChange, UserStore};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User> {
        let (username, password_hash) = (username.to_owned(), password_hash.to_owned());
        self.write(move |conn| {
            conn.prepare_cached(concat!(
                "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)
                 RETURNING ",
                user_columns!()
            ))?
            .query_row(
                params![username, password_hash, crate::time::now()],
                mapped(rows::user),
            )
        })
        .await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE username = ?"
            ))?
            .query_row([username], mapped(rows::user))
            .optional()
        })
    }

    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE id = ?"
            ))?
            .query_row([id], mapped(rows::user))
            .optional()
        })
    }

    async fn list_users(&self, after: i64, limit: u32) -> StoreResult<Vec<User>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE id > ? ORDER BY id LIMIT ?"
            ))?
            .query_map(params![after, limit], mapped(rows::user))?
            .collect()
        })
    }

    async fn set_user_claims(&self, user_id: i64, claims: &UserClaims) -> StoreResult<bool> {
        let claims = rows::to_json(claims);
        self.write(move |conn| {
            let updated = conn
                .prepare_cached("UPDATE users SET claims = ? WHERE id = ?")?
                .execute(params![claims, user_id])?;
            Ok(updated == 1)
        })
        .await
    }

    async fn update_user(&self, id: i64, change: &UserChange) -> StoreResult<Option<User>> {
        let change = change.clone();
        self.write(move |conn| {
            conn.prepare_cached(concat!(
                "UPDATE users SET username = COALESCE(?, username),
                   password_hash = COALESCE(?, password_hash)
                 WHERE id = ? RETURNING ",
                user_columns!()
            ))?
            .query_row(
                params![change.username, change.password_hash, id],
                mapped(rows::user),
            )
            .optional()
        })
        .await
    }

    async fn set_user_disabled(&self, id: i64, disabled: bool) -> StoreResult<bool> {
        self.write(move |conn| {
            let found = conn
                .prepare_cached("UPDATE users SET disabled = ? WHERE id = ?")?
                .execute(params![disabled, id])?;
            if found == 0 || !disabled {
                return Ok(found == 1);
            }
            for statement in [
                "UPDATE grants SET revoked = 1 WHERE user_id = ?",
                "DELETE FROM sessions WHERE user_id = ?",
                "DELETE FROM codes WHERE user_id = ? AND used = 0",
            ] {
                conn.prepare_cached(statement)?.execute([id])?;
            }
            Ok(true)
        })
        .await
    }
}
