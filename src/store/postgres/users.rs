//! Users.

use super::{all, optional, PostgresStore};
use crate::oauth::oidc::claims::UserClaims;
use crate::store::rows::{self, user_columns};
use crate::store::{StoreResult, User, UserChange, UserStore};
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

    async fn list_users(&self, after: i64, limit: u32) -> StoreResult<Vec<User>> {
        self.run(async |client| {
            let select = client
                .prepare_cached(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE id > $1 ORDER BY id LIMIT $2"
                ))
                .await?;
            all(
                client.query(&select, &[&after, &i64::from(limit)]).await?,
                rows::user,
            )
        })
        .await
    }

    async fn update_user(&self, id: i64, change: &UserChange) -> StoreResult<Option<User>> {
        self.run(async |client| {
            let update = client
                .prepare_cached(concat!(
                    "UPDATE users SET username = COALESCE($1, username),
                       password_hash = COALESCE($2, password_hash)
                     WHERE id = $3 RETURNING ",
                    user_columns!()
                ))
                .await?;
            optional(
                client
                    .query_opt(&update, &[&change.username, &change.password_hash, &id])
                    .await?,
                rows::user,
            )
        })
        .await
    }

    async fn set_user_disabled(&self, id: i64, disabled: bool) -> StoreResult<bool> {
        self.run(async |conn| {
            let tx = conn.transaction().await?;
            let flag = tx
                .prepare_cached("UPDATE users SET disabled = $1 WHERE id = $2")
                .await?;
            let found = tx.execute(&flag, &[&disabled, &id]).await? == 1;
            if found && disabled {
                for statement in [
                    "UPDATE grants SET revoked = true WHERE user_id = $1",
                    "DELETE FROM sessions WHERE user_id = $1",
                    "DELETE FROM codes WHERE user_id = $1 AND NOT used",
                ] {
                    let statement = tx.prepare_cached(statement).await?;
                    tx.execute(&statement, &[&id]).await?;
                }
            }
            tx.commit().await?;
            Ok(found)
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
