//! GET|POST /oauth/authorize (RFC 6749 §3.1, §4.1.1, §4.2.1): walks the
//! user through login and consent. The rules are `oauth::authorize`'s;
//! this file only asks the user and renders the answer.
//!
//! GET takes the client's request from the query; POST from the form body
//! (OpenID Connect Core §3.1.2.1: POST must be supported too). The pages
//! post it back in hidden fields, with the CSRF token and the user's input,
//! so every step validates the whole request again and needs no
//! server-side state but the session. Only the user's own steps (signing
//! in, the consent decision) must come from our pages; a POST that only
//! carries the client's request is an authorization request like a GET.

use super::extract::read_params;
use super::pages::session::{self, LoginPage, WRONG_CREDENTIALS};
use super::pages::{query_params, Answer, Browser, PageError};
use super::AppState;
use crate::oauth::authorize::{self, AuthorizationRequest, AuthorizeError};
use crate::oauth::Params;
use crate::store::Registrant;
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

/// POST /oauth/authorize: an authorization request, or our login and
/// consent forms.
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
    let request = match authorize::validate(&state.provider, &params, browser.user.is_some()).await
    {
        Ok(request) => request,
        Err(error) => return rejected(error, StatusCode::FOUND),
    };
    next_page(state, browser, &request, &params).await
}

async fn submit(
    state: &AppState,
    browser: &mut Browser,
    headers: &HeaderMap,
    body: Body,
) -> Result<Answer, PageError> {
    let form = read_params(headers, body).await?;
    let params = request_params(&form)?;
    let signed_in = browser.user.is_some();
    let request = match authorize::validate(&state.provider, &params, signed_in).await {
        Ok(request) => request,
        Err(error) => return rejected(error, StatusCode::SEE_OTHER),
    };
    if form.get("username").is_some() || form.get("password").is_some() {
        // Our login form: no other site may sign a user in (login CSRF).
        browser.check_form(&state.csrf, headers, &form)?;
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
        return consent(state, &request, &params).await;
    }
    let (Some(user), Some(confirm)) = (&browser.user, form.get("confirm")) else {
        // The client's request, as a GET would bring it; a decision
        // without a signed-in user approves nothing.
        return next_page(state, browser, &request, &params).await;
    };
    // The consent decision: only from our consent page.
    browser.check_form(&state.csrf, headers, &form)?;
    // SPEC §2: "yes", and "true"/"True" as the seeds send it.
    let location = if matches!(confirm, "yes" | "true" | "True") {
        authorize::approve(&state.provider, &request, user.user_id, browser.address.0).await?
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

async fn next_page(
    state: &AppState,
    browser: &Browser,
    request: &AuthorizationRequest,
    params: &Params,
) -> Result<Answer, PageError> {
    match browser.user {
        None => Ok(login(request, params, None, None)),
        Some(_) => consent(state, request, params).await,
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

/// The consent page. Names are chosen by whoever registered the client, so
/// the page also shows what cannot be chosen freely (SPEC §8, RFC 6819
/// §4.4.1.4): the client_id, who vouches for the client, and the host the
/// browser will be sent to, parsed (so `https://a.example@evil.example/`
/// shows evil.example) and in its punycode form (so a Cyrillic look-alike
/// of a familiar name shows as `xn--…`).
async fn consent(
    state: &AppState,
    request: &AuthorizationRequest,
    params: &Params,
) -> Result<Answer, PageError> {
    let client = &request.client;
    // Registration accepts any absolute client_uri: link only to web pages.
    let client_link = client
        .client_uri
        .as_deref()
        .filter(|uri| Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    let registered_by = match client.registrant {
        Registrant::Operator | Registrant::MetadataDocument => None,
        Registrant::User(owner) => Some(
            state
                .provider
                .store
                .user_by_id(owner)
                .await?
                .map_or_else(|| "a former user".to_owned(), |user| user.username),
        ),
    };
    let destination = Url::parse(&request.redirect_uri).ok();
    let destination_host = destination
        .as_ref()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| {
            destination.map_or_else(String::new, |url| format!("{}:", url.scheme()))
        });
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    Ok(Answer::page(
        "consent.html",
        context! {
            client_name => client.client_name,
            client_id => client.client_id,
            client_link,
            verified => client.registrant.is_operator(),
            registered_by,
            scopes => request.scope.split_whitespace().collect::<Vec<_>>(),
            destination_host,
            destination => request.redirect_uri,
            fields => params.iter().collect::<Vec<_>>(),
            // Signing out from here comes back to this request.
            here => format!("/oauth/authorize?{query}"),
        },
    ))
}
