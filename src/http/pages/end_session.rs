//! GET|POST /oauth/logout, the end-session endpoint (OpenID Connect
//! RP-Initiated Logout 1.0). `oauth::end_session` decides; this file asks
//! the user when it must, signs out, and sends the browser on.

use super::{Answer, Browser, GetOrPost, PageError};
use crate::http::AppState;
use crate::oauth::end_session;
use crate::oauth::oidc::logout::{EndSessionRequest, LogoutDecision};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use minijinja::context;

/// Our confirmation form's own fields, not the relying party's request.
const PAGE_FIELDS: [&str; 2] = ["csrf_token", "confirm"];

/// GET|POST /oauth/logout: a relying party's request (§2 allows both), or
/// (POST) our confirmation form.
pub async fn end_session(
    State(state): State<AppState>,
    mut browser: Browser,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = match GetOrPost::read(&method, &uri, headers, body).await {
        Ok(request) => step(&state, &mut browser, request).await,
        Err(error) => Err(error),
    };
    browser.respond(&state, result)
}

async fn step(
    state: &AppState,
    browser: &mut Browser,
    request: GetOrPost,
) -> Result<Answer, PageError> {
    let GetOrPost {
        params,
        headers,
        posted,
    } = request;
    let headers = &headers;
    let confirmed = posted && params.get("confirm").is_some();
    if confirmed {
        // Only our page may confirm: otherwise any site could sign users out.
        browser.check_form(&state.csrf, headers, &params)?;
    }
    let request = EndSessionRequest::parse(&params);
    let session_user = browser.user.as_ref().map(|user| user.user_id);
    match end_session::decide(&state.provider, &request, session_user, confirmed).await? {
        LogoutDecision::ConfirmFirst => {
            let fields: Vec<(&str, &str)> = params
                .iter()
                .filter(|(name, _)| !PAGE_FIELDS.contains(name))
                .collect();
            Ok(Answer::page("logout.html", context! { fields }))
        }
        LogoutDecision::LogOutAndRedirect { uri } => {
            browser.sign_out(state).await?;
            Ok(Answer::see_other(uri))
        }
        LogoutDecision::LogOutAndShowPage => {
            browser.sign_out(state).await?;
            Ok(Answer::page("signed_out.html", context! {}))
        }
        LogoutDecision::Invalid(error) => Err(PageError::bad_request(error.description)),
    }
}
