//! The start page (SPEC §5): sign in, list your clients, register one with
//! the metadata of RFC 7591 §2, delete one.

use super::session::{safe_next, sign_in_page};
use super::{query_params, Answer, Browser, PageError};
use crate::audit::{Actor, AuditEvent, ClientChange};
use crate::http::extract::{parse_urlencoded, read_body};
use crate::http::AppState;
use crate::oauth::registration::{self, ClientInformation, ClientMetadata};
use crate::oauth::vocabulary::{AuthMethod, GrantType, ResponseType};
use crate::oauth::{OAuthError, Params};
use crate::store::Registrant;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

/// GET /
pub async fn home(State(state): State<AppState>, browser: Browser, uri: Uri) -> Response {
    let result = show_home(&state, &browser, &uri).await;
    browser.respond(&state, result)
}

async fn show_home(state: &AppState, browser: &Browser, uri: &Uri) -> Result<Answer, PageError> {
    match &browser.user {
        None => {
            let query = query_params(uri)?;
            Ok(sign_in_page(safe_next(query.get("next")), None, None))
        }
        Some(user) => clients_page(state, user.user_id, &ClientForm::blank(), None).await,
    }
}

/// The registration form's values, kept when registration fails.
#[derive(Debug, Serialize)]
struct ClientForm {
    client_name: String,
    client_uri: String,
    grant_types: Vec<String>,
    /// One per line, as typed.
    redirect_uris: String,
    response_types: Vec<String>,
    scope: String,
    token_endpoint_auth_method: String,
}

impl ClientForm {
    fn blank() -> Self {
        ClientForm {
            client_name: String::new(),
            client_uri: String::new(),
            grant_types: vec!["authorization_code".into()],
            redirect_uris: String::new(),
            response_types: Vec::new(),
            scope: String::new(),
            token_endpoint_auth_method: "client_secret_basic".into(),
        }
    }

    /// Decodes the posted form. Checkboxes send `grant_types` and
    /// `response_types` once per ticked box, so those two may repeat; every
    /// other field goes through [`Params`] and may not (RFC 6749 §3.1).
    async fn read(headers: &HeaderMap, body: Body) -> Result<(Self, Params), PageError> {
        let urlencoded = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err(PageError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the registration form as application/x-www-form-urlencoded.",
            ));
        }
        let body = read_body(body).await?;
        let (mut grant_types, mut response_types, mut single) =
            (Vec::new(), Vec::new(), Vec::new());
        for (name, value) in parse_urlencoded(&body)? {
            match name.as_str() {
                "grant_types" => grant_types.push(value),
                "response_types" => response_types.push(value),
                _ => single.push((name, value)),
            }
        }
        let params = Params::from_pairs(single)?;
        let field = |name| params.get(name).unwrap_or_default().to_owned();
        let form = ClientForm {
            client_name: field("client_name"),
            client_uri: field("client_uri"),
            grant_types,
            redirect_uris: field("redirect_uris"),
            response_types,
            scope: field("scope"),
            token_endpoint_auth_method: field("token_endpoint_auth_method"),
        };
        Ok((form, params))
    }

    fn metadata(&self) -> ClientMetadata {
        let present = |value: &str| {
            let value = value.trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        ClientMetadata {
            client_name: self.client_name.clone(),
            client_uri: present(&self.client_uri),
            grant_types: self.grant_types.clone(),
            redirect_uris: self.redirect_uris.lines().filter_map(present).collect(),
            post_logout_redirect_uris: Vec::new(),
            response_types: self.response_types.clone(),
            scope: self.scope.clone(),
            token_endpoint_auth_method: present(&self.token_endpoint_auth_method),
            ..ClientMetadata::default()
        }
    }
}

async fn clients_page(
    state: &AppState,
    user_id: i64,
    form: &ClientForm,
    error: Option<&OAuthError>,
) -> Result<Answer, PageError> {
    let clients = state.provider.store.list_clients(Some(user_id)).await?;
    let clients: Vec<ClientInformation> = clients.iter().map(ClientInformation::from).collect();
    Ok(Answer::page(
        "clients.html",
        context! {
            clients,
            form,
            error => error.map(|e| context! { code => e.code.as_str(), description => e.description }),
            grant_types => GrantType::ALL,
            response_types => ResponseType::ALL,
            auth_methods => AuthMethod::ALL,
        },
    ))
}

/// POST /clients
pub async fn create(
    State(state): State<AppState>,
    browser: Browser,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = register(&state, &browser, &headers, body).await;
    browser.respond(&state, result)
}

async fn register(
    state: &AppState,
    browser: &Browser,
    headers: &HeaderMap,
    body: Body,
) -> Result<Answer, PageError> {
    let (form, params) = ClientForm::read(headers, body).await?;
    browser.check_form(&state.csrf, headers, &params)?;
    let Some(user) = &browser.user else {
        return Ok(Answer::see_other("/"));
    };
    let registrant = Registrant::User(user.user_id);
    match registration::register(
        form.metadata(),
        registrant,
        &state.config.registration_policy(),
    ) {
        // RFC 7591 §3.2.2: invalid_redirect_uri, invalid_client_metadata.
        Err(error) => Ok(clients_page(state, user.user_id, &form, Some(&error))
            .await?
            .with_status(StatusCode::BAD_REQUEST)),
        Ok(registered) => {
            state
                .provider
                .store
                .create_client(&registered.client)
                .await?;
            record_change(
                state,
                browser,
                user.user_id,
                &registered.client.client_id,
                ClientChange::Created,
            );
            // RFC 7591 §3.2.1: the secret is shown here once; the store
            // keeps only its hash.
            Ok(Answer::page(
                "client_created.html",
                context! {
                    client => ClientInformation::from(&registered.client),
                    client_secret => registered.client_secret,
                },
            )
            .with_status(StatusCode::CREATED))
        }
    }
}

/// POST /clients/delete
pub async fn delete(
    State(state): State<AppState>,
    browser: Browser,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = remove(&state, &browser, &headers, body).await;
    browser.respond(&state, result)
}

async fn remove(
    state: &AppState,
    browser: &Browser,
    headers: &HeaderMap,
    body: Body,
) -> Result<Answer, PageError> {
    let form = browser.read_form(state, headers, body).await?;
    let Some(user) = &browser.user else {
        return Ok(Answer::see_other("/"));
    };
    let client_id = form.require("client_id")?;
    // Owner-scoped in one store call: someone else's client is "not found".
    if state
        .provider
        .store
        .delete_client(client_id, Some(user.user_id))
        .await?
    {
        record_change(
            state,
            browser,
            user.user_id,
            client_id,
            ClientChange::Deleted,
        );
        Ok(Answer::see_other("/"))
    } else {
        Err(PageError::new(
            StatusCode::NOT_FOUND,
            "You have no client with this client_id.",
        ))
    }
}

/// A user created or deleted one of their clients.
fn record_change(
    state: &AppState,
    browser: &Browser,
    user: i64,
    client_id: &str,
    change: ClientChange,
) {
    let event = AuditEvent::Client {
        by: Actor::User(user),
        client_id: client_id.to_owned(),
        change,
    };
    state.provider.audit.record(event, browser.address.0);
}
