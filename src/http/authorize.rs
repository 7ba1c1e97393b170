//! GET|POST /oauth/authorize (RFC 6749 §3.1, §4.1.1, §4.2.1): walks the
//! user through login and consent. The rules are `oauth::authorize`'s;
//! this file only asks the user and renders the answer.
//!
//! GET takes the client's request from the query. The pages post it back
//! in hidden fields, with the CSRF token and the user's input, so every
//! step validates the whole request again and needs no server-side state
//! but the session.

use super::pages::session::{self, LoginPage, WRONG_CREDENTIALS};
use super::pages::{query_params, Answer, Browser, PageError};
use super::AppState;
use crate::oauth::authorize::{self, AuthorizationRequest, AuthorizeError};
use crate::oauth::Params;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use minijinja::context;
use url::Url;

/// Fields of our own forms, never part of the client's request nor carried
/// from one page to the next (a password must not become a hidden field).
const PAGE_FIELDS: [&str; 4] = ["csrf_token", "username", "password", "confirm"];

/// GET /oauth/authorize
pub async fn get(State(state): State<AppState>, browser: Browser, uri: Uri) -> Response {
    let result = show(&state, &browser, &uri).await;
    browser.respond(&state, result)
}

/// POST /oauth/authorize: our login and consent forms. Clients send the
/// request with GET (§3.1: POST is optional), so a POST without our CSRF
/// token is refused.
pub async fn post(
    State(state): State<AppState>,
    mut browser: Browser,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = submit(&state, &mut browser, &headers, body).await;
    browser.respond(&state, result)
}

async fn show(state: &AppState, browser: &Browser, uri: &Uri) -> Result<Answer, PageError> {
    let params = request_params(&query_params(uri)?)?;
    let request = match authorize::validate(&state.provider, &params).await {
        Ok(request) => request,
        Err(error) => return rejected(error, StatusCode::FOUND),
    };
    Ok(next_page(browser, &request, &params))
}

async fn submit(
    state: &AppState,
    browser: &mut Browser,
    headers: &HeaderMap,
    body: Body,
) -> Result<Answer, PageError> {
    let form = browser.read_form(headers, body).await?;
    let params = request_params(&form)?;
    let request = match authorize::validate(&state.provider, &params).await {
        Ok(request) => request,
        Err(error) => return rejected(error, StatusCode::SEE_OTHER),
    };
    if form.get("username").is_some() || form.get("password").is_some() {
        // Signing in only leads to the consent page: approval always takes
        // a second, deliberate step.
        if !session::log_in(state, browser, &form).await? {
            return Ok(login(
                &request,
                &params,
                form.get("username"),
                Some(WRONG_CREDENTIALS),
            ));
        }
        return Ok(consent(&request, &params));
    }
    let (Some(user), Some(confirm)) = (&browser.user, form.get("confirm")) else {
        return Ok(next_page(browser, &request, &params));
    };
    // SPEC §2: "yes", and "true"/"True" as the seeds send it.
    let location = if matches!(confirm, "yes" | "true" | "True") {
        authorize::approve(&state.provider, &request, user.user_id).await?
    } else {
        authorize::deny(&state.provider, &request)
    };
    Ok(Answer::see_other(location))
}

/// The client's request without our forms' fields.
fn request_params(all: &Params) -> Result<Params, PageError> {
    let request = all
        .iter()
        .filter(|(name, _)| !PAGE_FIELDS.contains(name))
        .map(|(name, value)| (name.to_owned(), value.to_owned()));
    Ok(Params::from_pairs(request)?)
}

/// §4.1.2.1: an unknown client or redirect URI is told to the user only;
/// other errors go back to the client.
fn rejected(error: AuthorizeError, redirect_status: StatusCode) -> Result<Answer, PageError> {
    match error {
        AuthorizeError::NoRedirect(message) => Err(PageError::bad_request(message)),
        AuthorizeError::Server(error) => Err(error.into()),
        AuthorizeError::Redirect { location } => Ok(Answer::Redirect {
            status: redirect_status,
            location,
        }),
    }
}

fn next_page(browser: &Browser, request: &AuthorizationRequest, params: &Params) -> Answer {
    match browser.user {
        None => login(request, params, None, None),
        Some(_) => consent(request, params),
    }
}

fn login(
    request: &AuthorizationRequest,
    params: &Params,
    username: Option<&str>,
    error: Option<&str>,
) -> Answer {
    session::login_page(LoginPage {
        action: "/oauth/authorize",
        fields: params.iter().collect(),
        client_name: Some(&request.client.client_name),
        username,
        error,
    })
}

fn consent(request: &AuthorizationRequest, params: &Params) -> Answer {
    // Registration accepts any absolute client_uri: link only to web pages.
    let client_link = request
        .client
        .client_uri
        .as_deref()
        .filter(|uri| Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    Answer::page(
        "consent.html",
        context! {
            client => request.client,
            client_link,
            scopes => request.scope.split_whitespace().collect::<Vec<_>>(),
            destination => request.redirect_uri,
            fields => params.iter().collect::<Vec<_>>(),
            // Signing out from here comes back to this request.
            here => format!("/oauth/authorize?{query}"),
        },
    )
}
