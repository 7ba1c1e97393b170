//! Users.

use super::{mapped, SqliteStore};
use crate::oauth::oidc::claims::UserClaims;
use crate::store::rows::{self, user_columns};
use crate::store::{StoreResult, User, UserStore};
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

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.read(|conn| {
            conn.prepare_cached(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users ORDER BY id"
            ))?
            .query_map([], mapped(rows::user))?
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
}
