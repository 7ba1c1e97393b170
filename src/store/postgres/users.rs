//! Users.

use super::{all, optional, PostgresStore};
use crate::oauth::oidc::claims::UserClaims;
use crate::store::rows::{self, user_columns};
use crate::store::{StoreResult, User, UserStore};
use async_trait::async_trait;

#[async_trait]
impl UserStore for PostgresStore {
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User> {
        self.run(async |client| {
            let insert = client
                .prepare_cached(concat!(
                    "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3)
                     RETURNING ",
                    user_columns!()
                ))
                .await?;
            let row = client
                .query_one(&insert, &[&username, &password_hash, &crate::time::now()])
                .await?;
            Ok(rows::user(&row)?)
        })
        .await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.run(async |client| {
            let select = client
                .prepare_cached(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE username = $1"
                ))
                .await?;
            optional(client.query_opt(&select, &[&username]).await?, rows::user)
        })
        .await
    }

    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.run(async |client| {
            let select = client
                .prepare_cached(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE id = $1"
                ))
                .await?;
            optional(client.query_opt(&select, &[&id]).await?, rows::user)
        })
        .await
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.run(async |client| {
            let select = client
                .prepare_cached(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users ORDER BY id"
                ))
                .await?;
            all(client.query(&select, &[]).await?, rows::user)
        })
        .await
    }

    async fn set_user_claims(&self, user_id: i64, claims: &UserClaims) -> StoreResult<bool> {
        let claims = rows::to_json(claims);
        self.run(async |client| {
            let update = client
                .prepare_cached("UPDATE users SET claims = $1 WHERE id = $2")
                .await?;
            Ok(client.execute(&update, &[&claims, &user_id]).await? == 1)
        })
        .await
    }
}
