//! Grants, tokens and codes: the single-use claims that must hold across
//! nodes, and the purge of expired rows.

use super::{all, optional, registrations, PostgresStore};
use crate::store::rows::{self, code_columns, grant_columns, token_kind_code, token_select};
use crate::store::*;
use async_trait::async_trait;
use tokio_postgres::types::ToSql;

/// Rows one purge statement deletes: short statements hold few locks.
const PURGE_BATCH: i64 = 1000;

/// New tokens as column arrays, inserted in one statement with `UNNEST`.
pub struct TokenColumns<'a> {
    pub keys: Vec<&'a [u8]>,
    pub kinds: Vec<i16>,
    pub scopes: Vec<&'a str>,
    pub issued: Vec<i64>,
    pub expires: Vec<i64>,
    pub audiences: Vec<Option<String>>,
}

impl<'a> TokenColumns<'a> {
    pub fn of(tokens: &'a [NewToken]) -> Self {
        TokenColumns {
            keys: tokens.iter().map(|t| &t.key.0[..]).collect(),
            kinds: tokens.iter().map(|t| token_kind_code(t.kind)).collect(),
            scopes: tokens.iter().map(|t| t.scope.as_str()).collect(),
            issued: tokens.iter().map(|t| t.issued_at).collect(),
            expires: tokens.iter().map(|t| t.expires_at).collect(),
            audiences: tokens
                .iter()
                .map(|t| rows::resources_text(&t.audience))
                .collect(),
        }
    }
}

/// Inserts the tokens `$1`…`$6` (a [`TokenColumns`], as parallel arrays)
/// into the grant whose id the CTE `grant` returns: the tail every issuing
/// statement shares, so each issues a grant's tokens in one statement,
/// whatever their number.
macro_rules! insert_tokens_of {
    ($grant:literal) => {
        concat!(
            "INSERT INTO tokens (hash, kind, scope, issued_at, expires_at, audience, grant_id)
             SELECT hash, kind, scope, issued_at, expires_at, audience, ",
            $grant,
            ".id FROM ",
            $grant,
            ", UNNEST($1::bytea[], $2::smallint[], $3::text[], $4::bigint[], $5::bigint[],
                      $6::text[])
                  AS t(hash, kind, scope, issued_at, expires_at, audience)"
        )
    };
}

/// The parameters `$1`…`$6` of [`insert_tokens_of!`].
fn token_params<'a>(columns: &'a TokenColumns) -> [&'a (dyn ToSql + Sync); 6] {
    [
        &columns.keys,
        &columns.kinds,
        &columns.scopes,
        &columns.issued,
        &columns.expires,
        &columns.audiences,
    ]
}

#[async_trait]
impl GrantStore for PostgresStore {
    /// One statement, so one round trip and one (implicit) transaction: the
    /// grant and its tokens are committed together or not at all. Nothing
    /// is written for a client no longer at `grant.client_version`.
    async fn issue_grant(&self, grant: &NewGrant, tokens: &[NewToken]) -> StoreResult<i64> {
        let columns = TokenColumns::of(tokens);
        let oidc = rows::context_json(&grant.oidc);
        let resources = rows::resources_text(&grant.resources);
        self.run(async |conn| {
            let issue = conn
                .prepare_cached(concat!(
                    // For a cached client (`$12`), only if the client is
                    // still at that version (`client_cache`).
                    "WITH g AS (
                       INSERT INTO grants (client_id, user_id, created_at, oidc, resources)
                       SELECT $7, $8, $9, $10, $11
                       WHERE $12::bigint IS NULL
                          OR EXISTS (SELECT 1 FROM clients WHERE client_id = $7 AND version = $12)
                       RETURNING id
                     ), t AS (",
                    insert_tokens_of!("g"),
                    ")
                     SELECT id FROM g",
                ))
                .await?;
            let grant_params: [&(dyn ToSql + Sync); 6] = [
                &grant.client_id,
                &grant.user_id,
                &grant.created_at,
                &oidc,
                &resources,
                &grant.client_version,
            ];
            let params = [&token_params(&columns)[..], &grant_params[..]].concat();
            let issued = conn.query_opt(&issue, &params).await?;
            Ok(issued.map(|row| row.try_get(0)).transpose()?)
        })
        .await?
        .ok_or(StoreError::Stale)
    }

    async fn token(&self, key: &TokenKey) -> StoreResult<Option<TokenRecord>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(token_select!(), " WHERE t.hash = $1"))
                .await?;
            optional(conn.query_opt(&select, &[&&key.0[..]]).await?, rows::token)
        })
        .await
    }

    /// One statement: the claim and the new tokens are committed together,
    /// and a concurrent rotation of the same token waits on the claimed
    /// row's lock, then re-reads it, finds it used and claims nothing, so
    /// it inserts nothing either.
    async fn rotate_refresh(&self, refresh: &TokenKey, tokens: &[NewToken]) -> StoreResult<bool> {
        let columns = TokenColumns::of(tokens);
        self.run(async |conn| {
            let rotate = conn
                .prepare_cached(concat!(
                    "WITH claim AS (
                       UPDATE tokens SET used = true
                       WHERE hash = $7 AND kind = 1 AND NOT used AND NOT revoked
                         AND NOT EXISTS (SELECT 1 FROM grants g
                                         WHERE g.id = tokens.grant_id AND g.revoked)
                       RETURNING grant_id AS id
                     ), t AS (",
                    insert_tokens_of!("claim"),
                    ")
                     SELECT id FROM claim"
                ))
                .await?;
            let params = token_params(&columns);
            let claimed = conn
                .query_opt(&rotate, &[&params[..], &[&&refresh.0[..]]].concat())
                .await?;
            Ok(claimed.is_some())
        })
        .await
    }

    async fn revoke_token(&self, key: &TokenKey) -> StoreResult<()> {
        self.run(async |conn| {
            let revoke = conn
                .prepare_cached("UPDATE tokens SET revoked = true WHERE hash = $1")
                .await?;
            conn.execute(&revoke, &[&&key.0[..]]).await?;
            Ok(())
        })
        .await
    }

    async fn revoke_grant(&self, grant_id: i64) -> StoreResult<()> {
        self.run(async |conn| {
            let revoke = conn
                .prepare_cached("UPDATE grants SET revoked = true WHERE id = $1")
                .await?;
            conn.execute(&revoke, &[&grant_id]).await?;
            Ok(())
        })
        .await
    }

    async fn list_grants(
        &self,
        filter: &GrantFilter,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<GrantRecord>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    grant_columns!(),
                    " FROM grants WHERE ($1::bigint IS NULL OR user_id = $1)
                       AND ($2::text IS NULL OR client_id = $2) AND id > $3
                     ORDER BY id LIMIT $4"
                ))
                .await?;
            let rows = conn
                .query(
                    &select,
                    &[
                        &filter.user_id,
                        &filter.client_id,
                        &after,
                        &i64::from(limit),
                    ],
                )
                .await?;
            all(rows, rows::grant)
        })
        .await
    }

    async fn create_code(&self, code: &NewCode) -> StoreResult<()> {
        let oidc = rows::context_json(&code.oidc);
        let resources = rows::resources_text(&code.resources);
        self.run(async |conn| {
            let insert = conn
                .prepare_cached(
                    "INSERT INTO codes (hash, client_id, user_id, redirect_uri, redirect_uri_given,
                        scope, code_challenge, expires_at, oidc, resources)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .await?;
            conn.execute(
                &insert,
                &[
                    &&code.key.0[..],
                    &code.client_id,
                    &code.user_id,
                    &code.redirect_uri,
                    &code.redirect_uri_given,
                    &code.scope,
                    &code.code_challenge,
                    &code.expires_at,
                    &oidc,
                    &resources,
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn code(&self, key: &TokenKey) -> StoreResult<Option<CodeRecord>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT ",
                    code_columns!(),
                    " FROM codes WHERE hash = $1"
                ))
                .await?;
            optional(conn.query_opt(&select, &[&&key.0[..]]).await?, rows::code)
        })
        .await
    }

    /// One statement: the claim takes the grant's id from its sequence, so
    /// the grant, its tokens and the code's link to it are written together.
    /// A concurrent exchange of the same code waits on the code's row lock
    /// until this statement commits, then finds the code used and writes
    /// nothing.
    async fn exchange_code(
        &self,
        key: &TokenKey,
        grant: &NewGrant,
        tokens: &[NewToken],
    ) -> StoreResult<CodeExchange> {
        let columns = TokenColumns::of(tokens);
        let oidc = rows::context_json(&grant.oidc);
        let resources = rows::resources_text(&grant.resources);
        self.run(async |conn| {
            let exchange = conn
                .prepare_cached(concat!(
                    "WITH claim AS (
                       UPDATE codes
                       SET used = true, grant_id = nextval(pg_get_serial_sequence('grants', 'id'))
                       WHERE hash = $7 AND NOT used
                       RETURNING grant_id
                     ), g AS (
                       INSERT INTO grants (id, client_id, user_id, created_at, oidc, resources)
                       OVERRIDING SYSTEM VALUE
                       SELECT grant_id, $8, $9, $10, $11, $12 FROM claim
                       RETURNING id
                     ), t AS (",
                    insert_tokens_of!("g"),
                    ")
                     SELECT id FROM g"
                ))
                .await?;
            let params = token_params(&columns);
            let code = &key.0[..];
            let grant_params: [&(dyn ToSql + Sync); 6] = [
                &code,
                &grant.client_id,
                &grant.user_id,
                &grant.created_at,
                &oidc,
                &resources,
            ];
            if let Some(row) = conn
                .query_opt(&exchange, &[&params[..], &grant_params[..]].concat())
                .await?
            {
                return Ok(CodeExchange::Exchanged {
                    grant_id: row.try_get(0)?,
                });
            }
            // Used already. Read after the winner's commit (READ COMMITTED
            // takes a new snapshot per statement), so its grant is visible
            // to revoke.
            let produced = conn
                .prepare_cached("SELECT grant_id FROM codes WHERE hash = $1")
                .await?;
            let grant_id = match conn.query_opt(&produced, &[&code]).await? {
                Some(row) => row.try_get(0)?,
                None => None,
            };
            Ok(CodeExchange::AlreadyUsed { grant_id })
        })
        .await
    }
}

/// What the purge deletes, in batches of `$2` rows expired at `$1`. Each
/// batch locks its rows with `SKIP LOCKED`, so nodes purging at the same
/// time never wait on each other (no deadlock) nor on a request that holds
/// one of the rows.
const PURGE_STATEMENTS: [&str; 5] = [
    "DELETE FROM tokens WHERE hash IN (SELECT hash FROM tokens
       WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Used codes are kept a while past expiry so that a late replay still
    // revokes what the code produced (RFC 6749 §10.5).
    "DELETE FROM codes WHERE hash IN (SELECT hash FROM codes
       WHERE expires_at <= $1::bigint - 86400 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    "DELETE FROM sessions WHERE hash IN (SELECT hash FROM sessions
       WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Windows last at most a day.
    "DELETE FROM failed_attempts WHERE key IN (SELECT key FROM failed_attempts
       WHERE window_start <= $1::bigint - 86400 LIMIT $2 FOR UPDATE SKIP LOCKED)",
    // Runs after the token deletes, in a later snapshot: a grant whose
    // refresh token is being rotated still has that token (the rotation
    // only marks it used, and its lock keeps the purge off it), so it is
    // never deleted under the new tokens. Grants do not expire, they empty:
    // `$1` is there only to share the other statements' parameters.
    "DELETE FROM grants WHERE id IN (SELECT id FROM grants g
       WHERE NOT EXISTS (SELECT 1 FROM tokens t WHERE t.grant_id = g.id)
       AND NOT EXISTS (SELECT 1 FROM codes c WHERE c.grant_id = g.id)
       AND $1::bigint IS NOT NULL
       LIMIT $2 FOR UPDATE SKIP LOCKED)",
];

/// Deletes what expired at `now` (after marking the registrations of
/// clients that hold a grant as used, before any grant can go), then the
/// self-registered clients registered at or before `unused_before` that
/// never held one.
pub(super) async fn purge_expired(
    store: &PostgresStore,
    now: i64,
    unused_before: i64,
) -> StoreResult<u64> {
    store
        .run(async |conn| {
            let mark = conn.prepare_cached(registrations::MARK_USED).await?;
            Ok(conn.execute(&mark, &[]).await?)
        })
        .await?;
    let statements = PURGE_STATEMENTS
        .into_iter()
        .map(|statement| (statement, now))
        .chain([(registrations::PURGE_UNUSED, unused_before)]);
    let mut purged = 0;
    for (statement, time) in statements {
        loop {
            let deleted = store
                .run(async |conn| {
                    let delete = conn.prepare_cached(statement).await?;
                    Ok(conn.execute(&delete, &[&time, &PURGE_BATCH]).await?)
                })
                .await?;
            purged += deleted;
            if deleted < PURGE_BATCH as u64 {
                break;
            }
        }
    }
    Ok(purged)
}
