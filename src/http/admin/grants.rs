//! `/admin/grants`: a user's or a client's grants (each the family of
//! tokens one authorization produced), and revoking one.

use super::auth::Caller;
use super::problem::{Page, PageQuery, PathParam, Problem, QueryParams};
use super::AdminState;
use crate::audit::AuditEvent;
use crate::store::{GrantFilter, GrantRecord};
use axum::http::StatusCode;
use axum::{extract::State, Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    id: i64,
    client_id: String,
    /// Absent for a grant without a user (client_credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<i64>,
    created_at: i64,
    /// Revoked grants' tokens are all dead.
    revoked: bool,
}

impl From<GrantRecord> for GrantView {
    fn from(grant: GrantRecord) -> Self {
        GrantView {
            id: grant.id,
            client_id: grant.client_id,
            user_id: grant.user_id,
            created_at: grant.created_at,
            revoked: grant.revoked,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantQuery {
    /// Only this user's grants.
    user_id: Option<i64>,
    /// Only this client's grants.
    client_id: Option<String>,
}

/// Grants by id, of a user, a client, or all.
#[utoipa::path(get, path = "/admin/grants", tag = "grants", params(GrantQuery, PageQuery),
    security(("admin_key" = [])), responses(
    (status = 200, body = Page<GrantView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn list(
    State(admin): State<AdminState>,
    QueryParams(filter): QueryParams<GrantQuery>,
    QueryParams(page): QueryParams<PageQuery>,
) -> Result<Json<Page<GrantView>>, Problem> {
    let limit = page.limit()?;
    let filter = GrantFilter {
        user_id: filter.user_id,
        client_id: filter.client_id,
    };
    let grants = admin
        .app
        .provider
        .store
        .list_grants(&filter, page.after_id()?, limit)
        .await?;
    let views = grants.into_iter().map(GrantView::from).collect();
    Ok(Json(Page::of(views, limit, |g: &GrantView| {
        g.id.to_string()
    })))
}

/// Revokes a grant and every token it issued; 204 also for a grant that
/// is already revoked or gone (idempotent).
#[utoipa::path(delete, path = "/admin/grants/{id}", tag = "grants", params(("id" = i64, Path)),
    security(("admin_key" = [])), responses(
    (status = 204, description = "revoked, or there was nothing to revoke"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "the id is not a grant id", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn revoke(
    State(admin): State<AdminState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Result<StatusCode, Problem> {
    admin.app.provider.store.revoke_grant(id).await?;
    let event = AuditEvent::TokensRevoked {
        by: caller.actor(),
        client_id: None,
        what: format!("grant {id}"),
    };
    caller.record(&admin, event);
    Ok(StatusCode::NO_CONTENT)
}
