//! `/admin/audit`: the security events (README, "Audit events").

use super::problem::{Page, PageQuery, Problem, QueryParams};
use super::AdminState;
use crate::audit::{AuditKind, Outcome};
use crate::store::{AuditQuery, StoredAudit};
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    id: i64,
    /// Unix seconds.
    at: i64,
    kind: AuditKind,
    /// `user:ID`, `client:ID`, `admin_key:NAME`, `system` or `anonymous`.
    actor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

impl From<StoredAudit> for AuditView {
    fn from(event: StoredAudit) -> Self {
        let record = event.record;
        AuditView {
            id: event.id,
            at: record.at,
            kind: record.kind,
            actor: record.actor,
            client_id: record.client_id,
            address: record.address,
            outcome: record.outcome,
            detail: record.detail,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Events at or after this time (Unix seconds; default: all kept).
    since: Option<i64>,
    /// Only events of this kind.
    kind: Option<AuditKind>,
}

/// Audit events in the order they were recorded.
#[utoipa::path(get, path = "/admin/audit", tag = "audit", params(AuditFilter, PageQuery),
    security(("admin_key" = [])), responses(
    (status = 200, body = Page<AuditView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn list(
    State(admin): State<AdminState>,
    QueryParams(filter): QueryParams<AuditFilter>,
    QueryParams(page): QueryParams<PageQuery>,
) -> Result<Json<Page<AuditView>>, Problem> {
    let limit = page.limit()?;
    let query = AuditQuery {
        since: filter.since.unwrap_or(0),
        kind: filter.kind,
        after: page.after_id()?,
        limit,
    };
    let events = admin.app.provider.store.audit_events(&query).await?;
    let views = events.into_iter().map(AuditView::from).collect();
    Ok(Json(Page::of(views, limit, |e: &AuditView| {
        e.id.to_string()
    })))
}
