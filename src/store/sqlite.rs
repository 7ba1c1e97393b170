//! The embedded SQLite store.
//!
//! Reads go to a pool of connections (WAL lets them run beside the writer).
//! All writes go through one writer task that batches whatever is waiting
//! into a single transaction and fsync ("group commit"): many concurrent
//! token issuances cost one durable commit, and each caller is answered only
//! after the commit that holds its write. A single writer also makes every
//! write operation atomic with respect to the others.

use super::*;
use futures::future::BoxFuture;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Row};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most writes one commit carries; bounds the latency a batch adds.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type WriteJob =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Completion> + Send>;

pub struct SqliteStore {
    reads: SqlitePool,
    writes: mpsc::Sender<WriteJob>,
}

impl SqliteStore {
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before anyone is answered (SPEC §6).
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .disable_statement_logging();
        let mut writer = options.connect().await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&mut writer)
            .await?;
        let reads = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .min_connections(1)
            .connect_with(options.read_only(true))
            .await?;
        let (writes, jobs) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(run_writer(writer, jobs));
        Ok(SqliteStore { reads, writes })
    }

    /// Runs `job` inside the next group commit and returns its result once
    /// that commit is durable. A failing job is rolled back to its savepoint
    /// without disturbing the others in the batch.
    async fn write<T, F>(&self, job: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, sqlx::Error>>
            + Send
            + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            Box::pin(async move {
                let result = in_savepoint(conn, job).await;
                Box::new(move |committed: Result<(), StoreError>| {
                    let _ = answer.send(committed.and(result));
                }) as Completion
            })
        });
        let stopped = || StoreError::Unavailable("the SQLite writer has stopped".into());
        self.writes.send(job).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

async fn in_savepoint<T, F>(conn: &mut SqliteConnection, job: F) -> StoreResult<T>
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, sqlx::Error>>,
{
    sqlx::query("SAVEPOINT job").execute(&mut *conn).await?;
    match job(&mut *conn).await {
        Ok(value) => {
            sqlx::query("RELEASE job").execute(&mut *conn).await?;
            Ok(value)
        }
        Err(error) => {
            sqlx::query("ROLLBACK TO job").execute(&mut *conn).await?;
            sqlx::query("RELEASE job").execute(&mut *conn).await?;
            Err(error.into())
        }
    }
}

async fn run_writer(mut conn: SqliteConnection, mut jobs: mpsc::Receiver<WriteJob>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut completions = Vec::with_capacity(batch.len());
        let committed = match sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await {
            Ok(_) => {
                for job in batch.drain(..) {
                    completions.push(job(&mut conn).await);
                }
                sqlx::query("COMMIT").execute(&mut conn).await.map(|_| ())
            }
            Err(error) => Err(error),
        };
        let outcome = |committed: &Result<(), sqlx::Error>| match committed {
            Ok(()) => Ok(()),
            Err(error) => Err(StoreError::Unavailable(format!("commit failed: {error}"))),
        };
        if committed.is_err() {
            tracing::error!(error = ?committed, "group commit failed");
            let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
            // Jobs that never ran are dropped: their callers see Unavailable.
            batch.clear();
        }
        for completion in completions {
            completion(outcome(&committed));
        }
    }
    let _ = conn.close().await;
}

fn token_kind_code(kind: TokenKind) -> i64 {
    match kind {
        TokenKind::Access => 0,
        TokenKind::Refresh => 1,
    }
}

async fn insert_tokens(
    conn: &mut SqliteConnection,
    grant_id: i64,
    tokens: &[NewToken],
) -> Result<(), sqlx::Error> {
    for token in tokens {
        sqlx::query(
            "INSERT INTO tokens (hash, kind, grant_id, scope, issued_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&token.hash.0[..])
        .bind(token_kind_code(token.kind))
        .bind(grant_id)
        .bind(&token.scope)
        .bind(token.issued_at)
        .bind(token.expires_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn insert_grant(conn: &mut SqliteConnection, grant: &NewGrant) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO grants (client_id, user_id, created_at) VALUES (?, ?, ?) RETURNING id",
    )
    .bind(&grant.client_id)
    .bind(grant.user_id)
    .bind(grant.created_at)
    .fetch_one(&mut *conn)
    .await?;
    row.try_get(0)
}

fn user_from_row(row: SqliteRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
    })
}

fn words(value: &str) -> Vec<String> {
    value.split_whitespace().map(str::to_owned).collect()
}

fn client_from_row(row: SqliteRow) -> Result<Client, sqlx::Error> {
    let redirect_uris: String = row.try_get("redirect_uris")?;
    Ok(Client {
        client_id: row.try_get("client_id")?,
        client_name: row.try_get("client_name")?,
        client_uri: row.try_get("client_uri")?,
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: serde_json::from_str(&redirect_uris)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        grant_types: words(row.try_get("grant_types")?),
        response_types: words(row.try_get("response_types")?),
        scope: row.try_get("scope")?,
        token_endpoint_auth_method: row.try_get("token_endpoint_auth_method")?,
        owner_id: row.try_get("owner_id")?,
        client_id_issued_at: row.try_get("client_id_issued_at")?,
        client_secret_expires_at: row.try_get("client_secret_expires_at")?,
    })
}

fn restaurant_from_row(row: SqliteRow) -> Result<Restaurant, sqlx::Error> {
    Ok(Restaurant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        address: row.try_get("address")?,
        opening_hours: row.try_get("opening_hours")?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User> {
        let (username, password_hash) = (username.to_owned(), password_hash.to_owned());
        self.write(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(
                    "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)
                     RETURNING id, username, password_hash",
                )
                .bind(&username)
                .bind(&password_hash)
                .bind(crate::time::now())
                .fetch_one(conn)
                .await?;
                user_from_row(row)
            })
        })
        .await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT id, username, password_hash FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(&self.reads)
            .await?;
        Ok(row.map(user_from_row).transpose()?)
    }

    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT id, username, password_hash FROM users WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reads)
            .await?;
        Ok(row.map(user_from_row).transpose()?)
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query("SELECT id, username, password_hash FROM users ORDER BY id")
            .fetch_all(&self.reads)
            .await?;
        Ok(rows
            .into_iter()
            .map(user_from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn create_client(&self, client: &Client) -> StoreResult<()> {
        let client = client.clone();
        let redirect_uris = serde_json::to_string(&client.redirect_uris)
            .map_err(|e| StoreError::Database(e.to_string()))?;
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO clients (client_id, client_name, client_uri, secret_hash,
                        redirect_uris, grant_types, response_types, scope,
                        token_endpoint_auth_method, owner_id, client_id_issued_at,
                        client_secret_expires_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&client.client_id)
                .bind(&client.client_name)
                .bind(&client.client_uri)
                .bind(&client.secret_hash)
                .bind(&redirect_uris)
                .bind(client.grant_types.join(" "))
                .bind(client.response_types.join(" "))
                .bind(&client.scope)
                .bind(&client.token_endpoint_auth_method)
                .bind(client.owner_id)
                .bind(client.client_id_issued_at)
                .bind(client.client_secret_expires_at)
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        let row = sqlx::query("SELECT * FROM clients WHERE client_id = ?")
            .bind(client_id)
            .fetch_optional(&self.reads)
            .await?;
        Ok(row.map(client_from_row).transpose()?)
    }

    async fn list_clients(&self, owner: Option<i64>) -> StoreResult<Vec<Client>> {
        let rows = sqlx::query(
            "SELECT * FROM clients WHERE ?1 IS NULL OR owner_id = ?1
             ORDER BY client_id_issued_at, client_id",
        )
        .bind(owner)
        .fetch_all(&self.reads)
        .await?;
        Ok(rows
            .into_iter()
            .map(client_from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn delete_client(&self, client_id: &str, owner: Option<i64>) -> StoreResult<bool> {
        let client_id = client_id.to_owned();
        self.write(move |conn| {
            Box::pin(async move {
                let deleted = sqlx::query(
                    "DELETE FROM clients WHERE client_id = ?1 AND (?2 IS NULL OR owner_id = ?2)",
                )
                .bind(&client_id)
                .bind(owner)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if deleted == 0 {
                    return Ok(false);
                }
                for statement in [
                    "DELETE FROM tokens WHERE grant_id IN (SELECT id FROM grants WHERE client_id = ?)",
                    "DELETE FROM grants WHERE client_id = ?",
                    "DELETE FROM codes WHERE client_id = ?",
                ] {
                    sqlx::query(statement).bind(&client_id).execute(&mut *conn).await?;
                }
                Ok(true)
            })
        })
        .await
    }

    async fn issue_grant(&self, grant: &NewGrant, tokens: &[NewToken]) -> StoreResult<i64> {
        let (grant, tokens) = (grant.clone(), tokens.to_vec());
        self.write(move |conn| {
            Box::pin(async move {
                let grant_id = insert_grant(conn, &grant).await?;
                insert_tokens(conn, grant_id, &tokens).await?;
                Ok(grant_id)
            })
        })
        .await
    }

    async fn token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>> {
        let row = sqlx::query(
            "SELECT t.kind, t.grant_id, g.client_id, g.user_id, u.username, t.scope,
                    t.issued_at, t.expires_at, (t.revoked OR g.revoked) AS revoked, t.used
             FROM tokens t
             JOIN grants g ON g.id = t.grant_id
             LEFT JOIN users u ON u.id = g.user_id
             WHERE t.hash = ?",
        )
        .bind(&hash.0[..])
        .fetch_optional(&self.reads)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let kind: i64 = row.try_get("kind")?;
        Ok(Some(TokenRecord {
            kind: if kind == 1 {
                TokenKind::Refresh
            } else {
                TokenKind::Access
            },
            grant_id: row.try_get("grant_id")?,
            client_id: row.try_get("client_id")?,
            user_id: row.try_get("user_id")?,
            username: row.try_get("username")?,
            scope: row.try_get("scope")?,
            issued_at: row.try_get("issued_at")?,
            expires_at: row.try_get("expires_at")?,
            revoked: row.try_get("revoked")?,
            used: row.try_get("used")?,
        }))
    }

    async fn rotate_refresh(&self, refresh: &TokenHash, tokens: &[NewToken]) -> StoreResult<bool> {
        let (refresh, tokens) = (*refresh, tokens.to_vec());
        self.write(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(
                    "UPDATE tokens SET used = 1
                     WHERE hash = ? AND kind = 1 AND used = 0 AND revoked = 0
                       AND NOT EXISTS (SELECT 1 FROM grants g
                                       WHERE g.id = tokens.grant_id AND g.revoked = 1)
                     RETURNING grant_id",
                )
                .bind(&refresh.0[..])
                .fetch_optional(&mut *conn)
                .await?;
                let Some(row) = row else { return Ok(false) };
                let grant_id: i64 = row.try_get(0)?;
                insert_tokens(conn, grant_id, &tokens).await?;
                Ok(true)
            })
        })
        .await
    }

    async fn revoke_token(&self, hash: &TokenHash) -> StoreResult<()> {
        let hash = *hash;
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("UPDATE tokens SET revoked = 1 WHERE hash = ?")
                    .bind(&hash.0[..])
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    async fn revoke_grant(&self, grant_id: i64) -> StoreResult<()> {
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("UPDATE grants SET revoked = 1 WHERE id = ?")
                    .bind(grant_id)
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    async fn create_code(&self, code: &NewCode) -> StoreResult<()> {
        let code = code.clone();
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO codes (hash, client_id, user_id, redirect_uri, scope,
                        code_challenge, expires_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&code.hash.0[..])
                .bind(&code.client_id)
                .bind(code.user_id)
                .bind(&code.redirect_uri)
                .bind(&code.scope)
                .bind(&code.code_challenge)
                .bind(code.expires_at)
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn code(&self, hash: &TokenHash) -> StoreResult<Option<CodeRecord>> {
        let row = sqlx::query(
            "SELECT client_id, user_id, redirect_uri, scope, code_challenge, expires_at, used,
                    grant_id
             FROM codes WHERE hash = ?",
        )
        .bind(&hash.0[..])
        .fetch_optional(&self.reads)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(CodeRecord {
            client_id: row.try_get("client_id")?,
            user_id: row.try_get("user_id")?,
            redirect_uri: row.try_get("redirect_uri")?,
            scope: row.try_get("scope")?,
            code_challenge: row.try_get("code_challenge")?,
            expires_at: row.try_get("expires_at")?,
            used: row.try_get("used")?,
            grant_id: row.try_get("grant_id")?,
        }))
    }

    async fn exchange_code(
        &self,
        hash: &TokenHash,
        grant: &NewGrant,
        tokens: &[NewToken],
    ) -> StoreResult<CodeExchange> {
        let (hash, grant, tokens) = (*hash, grant.clone(), tokens.to_vec());
        self.write(move |conn| {
            Box::pin(async move {
                let claimed = sqlx::query("UPDATE codes SET used = 1 WHERE hash = ? AND used = 0")
                    .bind(&hash.0[..])
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if claimed == 0 {
                    let grant_id = sqlx::query_scalar("SELECT grant_id FROM codes WHERE hash = ?")
                        .bind(&hash.0[..])
                        .fetch_optional(&mut *conn)
                        .await?
                        .flatten();
                    return Ok(CodeExchange::AlreadyUsed { grant_id });
                }
                let grant_id = insert_grant(conn, &grant).await?;
                insert_tokens(conn, grant_id, &tokens).await?;
                sqlx::query("UPDATE codes SET grant_id = ? WHERE hash = ?")
                    .bind(grant_id)
                    .bind(&hash.0[..])
                    .execute(&mut *conn)
                    .await?;
                Ok(CodeExchange::Exchanged { grant_id })
            })
        })
        .await
    }

    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        let session = session.clone();
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO sessions (hash, user_id, created_at, expires_at)
                     VALUES (?, ?, ?, ?)",
                )
                .bind(&session.hash.0[..])
                .bind(session.user_id)
                .bind(session.created_at)
                .bind(session.expires_at)
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn session(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        let row = sqlx::query(
            "SELECT s.user_id, u.username, s.created_at, s.expires_at
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?",
        )
        .bind(&hash.0[..])
        .fetch_optional(&self.reads)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Session {
            user_id: row.try_get("user_id")?,
            username: row.try_get("username")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        }))
    }

    async fn delete_session(&self, hash: &TokenHash) -> StoreResult<()> {
        let hash = *hash;
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("DELETE FROM sessions WHERE hash = ?")
                    .bind(&hash.0[..])
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        self.write(move |conn| {
            Box::pin(async move {
                let mut purged = 0;
                for statement in [
                    "DELETE FROM tokens WHERE expires_at <= ?",
                    // Used codes are kept a while past expiry so that a late
                    // replay still revokes what the code produced (RFC 6749 §10.5).
                    "DELETE FROM codes WHERE expires_at <= ? - 86400",
                    "DELETE FROM sessions WHERE expires_at <= ?",
                    // Windows last at most a day.
                    "DELETE FROM failed_attempts WHERE window_start <= ? - 86400",
                ] {
                    purged += sqlx::query(statement)
                        .bind(now)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                }
                purged += sqlx::query(
                    "DELETE FROM grants WHERE NOT EXISTS (SELECT 1 FROM tokens WHERE grant_id = grants.id)
                       AND NOT EXISTS (SELECT 1 FROM codes WHERE grant_id = grants.id)",
                )
                .execute(&mut *conn)
                .await?
                .rows_affected();
                Ok(purged)
            })
        })
        .await
    }

    async fn failures(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<(String, Failures)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; keys.len()].join(", ");
        let sql = format!(
            "SELECT key, count, window_start FROM failed_attempts
             WHERE window_start > ? AND key IN ({placeholders})"
        );
        let mut query = sqlx::query(&sql).bind(now - window);
        for key in keys {
            query = query.bind(key);
        }
        let rows = query.fetch_all(&self.reads).await?;
        rows.into_iter()
            .map(|row| {
                Ok((
                    row.try_get("key")?,
                    Failures {
                        count: row.try_get("count")?,
                        window_start: row.try_get("window_start")?,
                    },
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn add_failure(&self, keys: &[String], now: i64, window: i64) -> StoreResult<()> {
        let keys = keys.to_vec();
        self.write(move |conn| {
            Box::pin(async move {
                for key in &keys {
                    sqlx::query(
                        "INSERT INTO failed_attempts (key, window_start, count) VALUES (?1, ?2, 1)
                         ON CONFLICT (key) DO UPDATE SET
                           count = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE count + 1 END,
                           window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2
                                               ELSE window_start END",
                    )
                    .bind(key)
                    .bind(now)
                    .bind(window)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn restaurants(&self) -> StoreResult<Vec<Restaurant>> {
        let rows = sqlx::query("SELECT * FROM restaurants ORDER BY id")
            .fetch_all(&self.reads)
            .await?;
        Ok(rows
            .into_iter()
            .map(restaurant_from_row)
            .collect::<Result<_, _>>()?)
    }

    async fn update_restaurant(
        &self,
        id: i64,
        patch: &RestaurantPatch,
    ) -> StoreResult<Option<Restaurant>> {
        let patch = patch.clone();
        self.write(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(
                    "UPDATE restaurants SET name = COALESCE(?, name),
                        address = COALESCE(?, address), opening_hours = COALESCE(?, opening_hours)
                     WHERE id = ? RETURNING *",
                )
                .bind(&patch.name)
                .bind(&patch.address)
                .bind(&patch.opening_hours)
                .bind(id)
                .fetch_optional(conn)
                .await?;
                row.map(restaurant_from_row).transpose()
            })
        })
        .await
    }

    async fn ensure_restaurant(&self, restaurant: &Restaurant) -> StoreResult<()> {
        let restaurant = restaurant.clone();
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO restaurants (name, address, opening_hours) VALUES (?, ?, ?)
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(&restaurant.name)
                .bind(&restaurant.address)
                .bind(&restaurant.opening_hours)
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }
}
