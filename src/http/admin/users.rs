//! `/admin/users`: create, rename, set the OpenID Connect claims, set a
//! password, disable. Disabling revokes every grant and session of the
//! user in one store call, and sign-in and the password grant refuse a
//! disabled user.

use super::auth::Caller;
use super::problem::{Body, Page, PageQuery, PathParam, Problem, QueryParams};
use super::AdminState;
use crate::audit::{AccountChange, AuditEvent};
use crate::crypto;
use crate::oauth::oidc::claims::UserClaims;
use crate::oauth::OAuthError;
use crate::store::{User, UserChange};
use axum::http::StatusCode;
use axum::{extract::State, Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// What may be shown of a user: never the password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    id: i64,
    username: String,
    disabled: bool,
    /// OpenID Connect standard claims (Core §5.1); `{}` when none are set.
    claims: UserClaims,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id,
            username: user.username,
            disabled: user.disabled,
            claims: user.claims,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUser {
    username: String,
    password: String,
    /// Standard claims to start with (none when absent).
    #[schema(value_type = Option<UserClaims>)]
    claims: Option<Map<String, Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UserUpdate {
    username: Option<String>,
    /// Replaces every standard claim: one left out is unset, and `{}`
    /// clears them all. `updated_at` becomes now.
    #[schema(value_type = Option<UserClaims>)]
    claims: Option<Map<String, Value>>,
    /// true: the user signs in nowhere and every token and session of
    /// theirs is revoked at once; false: they may sign in again.
    disabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPassword {
    password: String,
}

fn check_username(username: &str) -> Result<(), Problem> {
    if username.is_empty() || username.len() > 200 || username.chars().any(char::is_control) {
        return Err(Problem::bad_request(
            "username must be 1 to 200 characters, none of them control characters",
        ));
    }
    Ok(())
}

/// The claims an operator sets, checked, with `updated_at` now (Core
/// §5.1: when they last changed), as the command line sets them. Kept as a
/// JSON object until here, not `UserClaims`, whose own deserializer drops
/// unknown members: a misspelt claim is refused, not silently lost.
fn checked_claims(given: &Map<String, Value>) -> Result<UserClaims, Problem> {
    let mut claims = UserClaims::from_operator_json(given).map_err(Problem::bad_request)?;
    claims.updated_at = Some(crate::time::now());
    claims
        .validate()
        .map_err(|invalid| Problem::bad_request(invalid.to_string()))?;
    Ok(claims)
}

/// Argon2id off the async workers; a full hashing queue is a 503.
async fn password_hash(password: String) -> Result<String, Problem> {
    if password.is_empty() || password.len() > 1024 {
        return Err(Problem::bad_request("password must be 1 to 1024 bytes"));
    }
    crypto::hash_password(password)
        .await
        .map_err(|_| Problem::from(OAuthError::unavailable("the server is busy, try again")))
}

fn record(admin: &AdminState, caller: &Caller, user: i64, change: AccountChange) {
    let event = AuditEvent::User {
        by: caller.actor(),
        user,
        change,
    };
    caller.record(admin, event);
}

/// Every user, by id.
#[utoipa::path(get, path = "/admin/users", tag = "users", params(PageQuery),
    security(("admin_key" = [])), responses(
    (status = 200, body = Page<UserView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn list(
    State(admin): State<AdminState>,
    QueryParams(page): QueryParams<PageQuery>,
) -> Result<Json<Page<UserView>>, Problem> {
    let limit = page.limit()?;
    let users = admin
        .app
        .provider
        .store
        .list_users(page.after_id()?, limit)
        .await?;
    let views = users.into_iter().map(UserView::from).collect();
    Ok(Json(Page::of(views, limit, |u: &UserView| {
        u.id.to_string()
    })))
}

/// Creates a user.
#[utoipa::path(post, path = "/admin/users", tag = "users", request_body = NewUser,
    security(("admin_key" = [])), responses(
    (status = 201, body = UserView),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
pub async fn create(
    State(admin): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewUser>,
) -> Result<(StatusCode, Json<UserView>), Problem> {
    check_username(&new.username)?;
    let claims = new.claims.as_ref().map(checked_claims).transpose()?;
    let hash = password_hash(new.password).await?;
    let store = &admin.app.provider.store;
    let mut user = store.create_user(&new.username, &hash).await?;
    if let Some(claims) = claims {
        store.set_user_claims(user.id, &claims).await?;
        user.claims = claims;
    }
    record(&admin, &caller, user.id, AccountChange::Created);
    Ok((StatusCode::CREATED, Json(user.into())))
}

async fn find(admin: &AdminState, id: i64) -> Result<User, Problem> {
    admin
        .app
        .provider
        .store
        .user_by_id(id)
        .await?
        .ok_or_else(|| Problem::not_found("no such user"))
}

/// One user.
#[utoipa::path(get, path = "/admin/users/{id}", tag = "users", params(("id" = i64, Path)),
    security(("admin_key" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn read(
    State(admin): State<AdminState>,
    PathParam(id): PathParam<i64>,
) -> Result<Json<UserView>, Problem> {
    Ok(Json(find(&admin, id).await?.into()))
}

/// Renames a user, replaces their claims, disables or enables them. The
/// whole body is checked before anything changes.
#[utoipa::path(patch, path = "/admin/users/{id}", tag = "users", params(("id" = i64, Path)),
    request_body = UserUpdate, security(("admin_key" = [])), responses(
    (status = 200, body = UserView),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
pub async fn update(
    State(admin): State<AdminState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    Body(update): Body<UserUpdate>,
) -> Result<Json<UserView>, Problem> {
    let store = &admin.app.provider.store;
    if let Some(username) = &update.username {
        check_username(username)?;
    }
    let claims = update.claims.as_ref().map(checked_claims).transpose()?;
    if let Some(username) = &update.username {
        let change = UserChange {
            username: Some(username.clone()),
            password_hash: None,
        };
        store
            .update_user(id, &change)
            .await?
            .ok_or_else(|| Problem::not_found("no such user"))?;
    }
    if let Some(claims) = &claims {
        if !store.set_user_claims(id, claims).await? {
            return Err(Problem::not_found("no such user"));
        }
    }
    if update.username.is_some() || claims.is_some() {
        record(&admin, &caller, id, AccountChange::Updated);
    }
    if let Some(disabled) = update.disabled {
        if !store.set_user_disabled(id, disabled).await? {
            return Err(Problem::not_found("no such user"));
        }
        let change = if disabled {
            AccountChange::Disabled
        } else {
            AccountChange::Enabled
        };
        record(&admin, &caller, id, change);
    }
    Ok(Json(find(&admin, id).await?.into()))
}

/// Sets a user's password.
#[utoipa::path(put, path = "/admin/users/{id}/password", tag = "users",
    params(("id" = i64, Path)), request_body = NewPassword, security(("admin_key" = [])),
    responses(
    (status = 204, description = "the password is set"),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn set_password(
    State(admin): State<AdminState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    Body(new): Body<NewPassword>,
) -> Result<StatusCode, Problem> {
    let change = UserChange {
        username: None,
        password_hash: Some(password_hash(new.password).await?),
    };
    admin
        .app
        .provider
        .store
        .update_user(id, &change)
        .await?
        .ok_or_else(|| Problem::not_found("no such user"))?;
    record(&admin, &caller, id, AccountChange::Updated);
    Ok(StatusCode::NO_CONTENT)
}
