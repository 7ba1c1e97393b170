//! `/admin/resources`: the protected resources tokens may be bound to (RFC
//! 8707), as `portcullis resource …` manages them, under the same rules
//! ([`resources::registered`]). A resource is named by its identifier, a
//! URL, so it travels in the body or the query rather than in the path.

use super::problem::{Body, Page, PageQuery, Problem, QueryParams};
use super::AdminState;
use crate::oauth::resources;
use crate::store::Resource;
use axum::http::StatusCode;
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceView {
    /// The identifier clients send as `resource`, and the `aud` of the
    /// tokens issued for it.
    resource: String,
    /// The scopes it understands, space-separated.
    scope: String,
    /// Unix seconds.
    created_at: i64,
}

impl From<Resource> for ResourceView {
    fn from(resource: Resource) -> Self {
        ResourceView {
            resource: resource.identifier,
            scope: resource.scope,
            created_at: resource.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResourceRequest {
    /// An absolute URI without a fragment.
    #[schema(format = "uri", example = "https://api.example/mcp")]
    resource: String,
    /// The scopes it understands, space-separated: what its protected
    /// resource metadata (RFC 9728) tells clients to ask for.
    #[serde(default)]
    #[schema(example = "profile")]
    scope: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResourceQuery {
    /// The resource's identifier.
    resource: String,
}

/// Every resource, by identifier. The store reads them all (an operator
/// registers a few), and the page is cut here, so that this list reads
/// like every other.
#[utoipa::path(get, path = "/admin/resources", tag = "resources", params(PageQuery),
    security(("admin_key" = [])), responses(
    (status = 200, body = Page<ResourceView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn list(
    State(admin): State<AdminState>,
    QueryParams(page): QueryParams<PageQuery>,
) -> Result<Json<Page<ResourceView>>, Problem> {
    let limit = page.limit()?;
    let after = page.after_text()?;
    let mut resources = admin.app.provider.store.list_resources().await?;
    // By bytes, as the cursor compares: a database's collation may not be.
    resources.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    let views = resources
        .into_iter()
        .filter(|resource| resource.identifier.as_str() > after)
        .take(limit as usize)
        .map(ResourceView::from)
        .collect();
    Ok(Json(Page::of(views, limit, |r: &ResourceView| {
        r.resource.clone()
    })))
}

/// Registers a resource, or replaces the scopes of one (it keeps its
/// `created_at`).
#[utoipa::path(put, path = "/admin/resources", tag = "resources",
    request_body = ResourceRequest, security(("admin_key" = [])), responses(
    (status = 200, body = ResourceView),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn put(
    State(admin): State<AdminState>,
    Body(request): Body<ResourceRequest>,
) -> Result<Json<ResourceView>, Problem> {
    let resource = resources::registered(request.resource, &request.scope, crate::time::now())?;
    let store = &admin.app.provider.store;
    store.put_resource(&resource).await?;
    // Read back for the `created_at` of a resource that existed already.
    let stored = store.resource(&resource.identifier).await?;
    Ok(Json(stored.unwrap_or(resource).into()))
}

/// Forgets a resource: new tokens cannot be asked for it, those already
/// bound to it keep their audience. 204 also when there was no such
/// resource (idempotent).
#[utoipa::path(delete, path = "/admin/resources", tag = "resources", params(ResourceQuery),
    security(("admin_key" = [])), responses(
    (status = 204, description = "forgotten, or there was no such resource"),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn delete(
    State(admin): State<AdminState>,
    QueryParams(query): QueryParams<ResourceQuery>,
) -> Result<StatusCode, Problem> {
    // What could never be registered is not there to forget; and the store
    // is spared what it cannot hold (PostgreSQL refuses a NUL in text).
    if resources::is_identifier(&query.resource) {
        admin
            .app
            .provider
            .store
            .delete_resource(&query.resource)
            .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
