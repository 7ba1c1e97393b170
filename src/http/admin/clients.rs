//! `/admin/clients`: the operator's clients, under the registration rules
//! of RFC 7591 (`oauth::registration`), answered with the view type
//! [`ClientInformation`], never the stored row.

use super::auth::Caller;
use super::problem::{Body, Page, PageQuery, PathParam, Problem, QueryParams};
use super::AdminState;
use crate::audit::{AuditEvent, ClientChange};
use crate::crypto;
use crate::oauth::registration::{self, ClientInformation, ClientMetadata};
use crate::oauth::vocabulary::AccessTokenFormat;
use crate::store::{Client, PreviousSecret, Registrant};
use axum::http::StatusCode;
use axum::{extract::State, Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A client's metadata (RFC 7591 §2), as `POST` registers it and `PUT`
/// replaces it; omitted lists and values take the RFC's defaults.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientRequest {
    client_name: String,
    client_uri: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    response_types: Vec<String>,
    #[serde(default)]
    scope: String,
    token_endpoint_auth_method: Option<String>,
    /// OpenID Connect Registration §2: RS256, ES256 or EdDSA.
    id_token_signed_response_alg: Option<String>,
    /// Signed UserInfo answers; plain JSON when absent.
    userinfo_signed_response_alg: Option<String>,
    /// `jwt` for RFC 9068 access tokens.
    #[serde(default = "opaque")]
    access_token_format: AccessTokenFormat,
    /// May introspect every token (README, "Introspection").
    #[serde(default)]
    resource_server: bool,
}

fn opaque() -> AccessTokenFormat {
    AccessTokenFormat::Opaque
}

/// A client as the admin API shows it: its registration information, and
/// `client_secret` only in the answer that created it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminClient {
    #[serde(flatten)]
    information: ClientInformation,
    resource_server: bool,
    access_token_format: AccessTokenFormat,
    /// Until when the secret replaced by the last rotation still works.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_secret_expires_at: Option<i64>,
    /// Shown once: only its SHA-256 is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl AdminClient {
    fn of(client: &Client, client_secret: Option<String>) -> Self {
        AdminClient {
            information: ClientInformation::from(client),
            resource_server: client.resource_server,
            access_token_format: client.access_token_format,
            previous_secret_expires_at: client.previous_secret.as_ref().map(|p| p.expires_at),
            client_secret,
        }
    }
}

/// Checks `request` under the registration rules: a new client with a new
/// id and, unless public, a new secret.
fn registered(
    admin: &AdminState,
    request: ClientRequest,
) -> Result<registration::Registered, Problem> {
    let metadata = ClientMetadata {
        client_name: request.client_name,
        client_uri: request.client_uri,
        grant_types: request.grant_types,
        redirect_uris: request.redirect_uris,
        post_logout_redirect_uris: request.post_logout_redirect_uris,
        response_types: request.response_types,
        scope: request.scope,
        token_endpoint_auth_method: request.token_endpoint_auth_method,
        id_token_signed_response_alg: request.id_token_signed_response_alg,
        userinfo_signed_response_alg: request.userinfo_signed_response_alg,
    };
    let policy = admin.app.config.registration_policy();
    let mut registered = registration::register(metadata, Registrant::Operator, &policy)?;
    registered.client.resource_server = request.resource_server;
    registered.client.access_token_format = request.access_token_format;
    Ok(registered)
}

async fn find(admin: &AdminState, client_id: &str) -> Result<Client, Problem> {
    admin
        .app
        .provider
        .store
        .client(client_id)
        .await?
        .ok_or_else(|| Problem::not_found("no such client"))
}

fn record(admin: &AdminState, caller: &Caller, client_id: &str, change: ClientChange) {
    let event = AuditEvent::Client {
        by: caller.actor(),
        client_id: client_id.to_owned(),
        change,
    };
    caller.record(admin, event);
}

/// Every client, by client_id.
#[utoipa::path(get, path = "/admin/clients", tag = "clients", params(PageQuery),
    security(("admin_key" = [])), responses(
    (status = 200, body = Page<AdminClient>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn list(
    State(admin): State<AdminState>,
    QueryParams(page): QueryParams<PageQuery>,
) -> Result<Json<Page<AdminClient>>, Problem> {
    let limit = page.limit()?;
    let after = page.after_text()?;
    let clients = admin.app.provider.store.clients_page(after, limit).await?;
    let views = clients.iter().map(|c| AdminClient::of(c, None)).collect();
    Ok(Json(Page::of(views, limit, |c: &AdminClient| {
        c.information.client_id.clone()
    })))
}

/// Registers a client; the answer shows its secret once.
#[utoipa::path(post, path = "/admin/clients", tag = "clients", request_body = ClientRequest,
    security(("admin_key" = [])), responses(
    (status = 201, body = AdminClient),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn create(
    State(admin): State<AdminState>,
    Extension(caller): Extension<Caller>,
    Body(request): Body<ClientRequest>,
) -> Result<(StatusCode, Json<AdminClient>), Problem> {
    let registered = registered(&admin, request)?;
    admin
        .app
        .provider
        .store
        .create_client(&registered.client)
        .await?;
    record(
        &admin,
        &caller,
        &registered.client.client_id,
        ClientChange::Created,
    );
    let view = AdminClient::of(&registered.client, registered.client_secret);
    Ok((StatusCode::CREATED, Json(view)))
}

/// One client.
#[utoipa::path(get, path = "/admin/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)), security(("admin_key" = [])), responses(
    (status = 200, body = AdminClient),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn read(
    State(admin): State<AdminState>,
    PathParam(client_id): PathParam<String>,
) -> Result<Json<AdminClient>, Problem> {
    Ok(Json(AdminClient::of(
        &find(&admin, &client_id).await?,
        None,
    )))
}

/// Replaces a client's metadata under the registration rules. Its id and
/// secret stay; a public client made confidential gets a secret, shown in
/// this answer once.
#[utoipa::path(put, path = "/admin/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)), request_body = ClientRequest,
    security(("admin_key" = [])), responses(
    (status = 200, body = AdminClient),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn update(
    State(admin): State<AdminState>,
    Extension(caller): Extension<Caller>,
    PathParam(client_id): PathParam<String>,
    Body(request): Body<ClientRequest>,
) -> Result<Json<AdminClient>, Problem> {
    let stored = find(&admin, &client_id).await?;
    let registered = registered(&admin, request)?;
    let public = registered.client.is_public();
    let (secret_hash, client_secret) = match (&stored.secret_hash, public) {
        (_, true) => (None, None),
        (Some(hash), false) => (Some(hash.clone()), None),
        (None, false) => (
            registered.client.secret_hash.clone(),
            registered.client_secret,
        ),
    };
    let client = Client {
        client_id: stored.client_id,
        registrant: stored.registrant,
        client_id_issued_at: stored.client_id_issued_at,
        previous_secret: stored.previous_secret.filter(|_| !public),
        secret_hash,
        ..registered.client
    };
    if !admin.app.provider.store.update_client(&client).await? {
        return Err(Problem::not_found("no such client"));
    }
    record(&admin, &caller, &client.client_id, ClientChange::Updated);
    Ok(Json(AdminClient::of(&client, client_secret)))
}

/// Deletes a client with its grants and tokens; 204 also when it is
/// already gone (idempotent).
#[utoipa::path(delete, path = "/admin/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)), security(("admin_key" = [])), responses(
    (status = 204, description = "deleted, or there was no such client"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn delete(
    State(admin): State<AdminState>,
    Extension(caller): Extension<Caller>,
    PathParam(client_id): PathParam<String>,
) -> Result<StatusCode, Problem> {
    if admin
        .app
        .provider
        .store
        .delete_client(&client_id, None)
        .await?
    {
        record(&admin, &caller, &client_id, ClientChange::Deleted);
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Rotation {
    /// Seconds the replaced secret keeps working, 0 to 30 days (default:
    /// one day), so that clients can move to the new one without downtime.
    #[schema(minimum = 0, maximum = 2592000)]
    overlap_seconds: Option<i64>,
}

/// Gives a confidential client a new secret; the previous one works until
/// the overlap window ends.
#[utoipa::path(post, path = "/admin/clients/{client_id}/secret", tag = "clients",
    params(("client_id" = String, Path)), request_body = Rotation,
    security(("admin_key" = [])), responses(
    (status = 200, body = AdminClient),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 413, body = Problem, content_type = "application/problem+json"),
    (status = 415, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
pub async fn rotate_secret(
    State(admin): State<AdminState>,
    Extension(caller): Extension<Caller>,
    PathParam(client_id): PathParam<String>,
    Body(rotation): Body<Rotation>,
) -> Result<Json<AdminClient>, Problem> {
    let overlap = rotation.overlap_seconds.unwrap_or(86_400);
    if !(0..=2_592_000).contains(&overlap) {
        return Err(Problem::bad_request(
            "overlap_seconds must be between 0 and 2592000",
        ));
    }
    let stored = find(&admin, &client_id).await?;
    let Some(current) = stored.secret_hash.clone() else {
        return Err(Problem::bad_request("a public client has no secret"));
    };
    let secret = crypto::random_secret();
    let client = Client {
        secret_hash: Some(crypto::sha256_secret_hash(&secret)),
        previous_secret: Some(PreviousSecret {
            hash: current,
            expires_at: crate::time::now() + overlap,
        }),
        ..stored
    };
    if !admin.app.provider.store.update_client(&client).await? {
        return Err(Problem::not_found("no such client"));
    }
    record(
        &admin,
        &caller,
        &client.client_id,
        ClientChange::SecretRotated,
    );
    Ok(Json(AdminClient::of(&client, Some(secret))))
}
