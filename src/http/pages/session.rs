//! Signing in and out (SPEC §5). The start page's form posts to /login;
//! the authorization endpoint's login form shares [`log_in`] and
//! [`login_page`].

use super::{Answer, Browser, PageError};
use crate::audit::AuditEvent;
use crate::crypto;
use crate::http::AppState;
use crate::limits::Counter;
use crate::oauth::Params;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use minijinja::context;

/// The same words for an unknown user and a wrong password.
pub const WRONG_CREDENTIALS: &str = "Wrong username or password.";

/// Checks the form's `username` and `password` and, if they are right,
/// signs the browser in. An unknown user costs the same Argon2 work as a
/// wrong password and gets the same answer: nothing tells whether a user
/// exists. The caller has checked that the form came from our page.
pub async fn log_in(
    state: &AppState,
    browser: &mut Browser,
    form: &Params,
) -> Result<bool, PageError> {
    let username = form.get("username").unwrap_or_default();
    let password = form.get("password").unwrap_or_default().to_owned();
    // SPEC §7: the same limits as the password grant, counted first.
    let counters = Counter::username(username).and_address(browser.address.0);
    let user = state.provider.store.user_by_name(username).await?;
    // verify_password does the same work for an unknown user (None).
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verify = crypto::verify_password(stored.clone(), password.clone());
    let verified = state
        .provider
        .limiter
        .verify_chosen(counters, stored.as_deref(), &password, verify)
        .await?;
    // A disabled user gets the answer of a wrong password.
    let signed_in = user.filter(|user| verified && !user.disabled);
    let event = AuditEvent::SignIn {
        username: username.to_owned(),
        user: signed_in.as_ref().map(|user| user.id),
        client_id: None,
        succeeded: signed_in.is_some(),
    };
    state.provider.audit.record(event, browser.address.0);
    match signed_in {
        Some(user) => {
            browser.sign_in(state, &user).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The sign-in form, posting to `action` with `fields` carried along.
pub struct LoginPage<'a> {
    pub action: &'a str,
    pub fields: Vec<(&'a str, &'a str)>,
    /// The client the user signs in for, on the authorization endpoint.
    pub client_name: Option<&'a str>,
    /// Shown again after a failed attempt.
    pub username: Option<&'a str>,
    pub error: Option<&'a str>,
}

pub fn login_page(page: LoginPage) -> Answer {
    Answer::page(
        "login.html",
        context! {
            action => page.action,
            fields => page.fields,
            client_name => page.client_name,
            username => page.username,
            error => page.error,
        },
    )
}

/// The start page's sign-in form, which comes back to `next`.
pub fn sign_in_page<'a>(
    next: &'a str,
    username: Option<&'a str>,
    error: Option<&'a str>,
) -> Answer {
    login_page(LoginPage {
        action: "/login",
        fields: vec![("next", next)],
        client_name: None,
        username,
        error,
    })
}

/// Where to go after signing in or out: a path on this origin, or `/`.
/// `//host` and `/\host` are read by browsers as another host, and they
/// drop tabs and newlines before parsing, so none of those pass (an open
/// redirector would lend our name to phishing, RFC 6749 §10.15).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

/// POST /login
pub async fn login(
    State(state): State<AppState>,
    mut browser: Browser,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = submit_login(&state, &mut browser, &headers, body).await;
    browser.respond(&state, result)
}

async fn submit_login(
    state: &AppState,
    browser: &mut Browser,
    headers: &HeaderMap,
    body: Body,
) -> Result<Answer, PageError> {
    let form = browser.read_form(state, headers, body).await?;
    let next = safe_next(form.get("next"));
    if log_in(state, browser, &form).await? {
        Ok(Answer::see_other(next))
    } else {
        Ok(sign_in_page(
            next,
            form.get("username"),
            Some(WRONG_CREDENTIALS),
        ))
    }
}

/// POST /logout
pub async fn logout(
    State(state): State<AppState>,
    mut browser: Browser,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = submit_logout(&state, &mut browser, &headers, body).await;
    browser.respond(&state, result)
}

async fn submit_logout(
    state: &AppState,
    browser: &mut Browser,
    headers: &HeaderMap,
    body: Body,
) -> Result<Answer, PageError> {
    let form = browser.read_form(state, headers, body).await?;
    browser.sign_out(state).await?;
    Ok(Answer::see_other(safe_next(form.get("next"))))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_origin() {
        assert_eq!(
            safe_next(Some("/oauth/authorize?a=b")),
            "/oauth/authorize?a=b"
        );
        for hostile in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "https://evil.example",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
