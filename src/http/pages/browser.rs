//! One browser's state between requests, kept in two cookies so that any
//! node can serve its next request: a session id (the store keeps only its
//! SHA-256) and a CSRF token checked by double submission.

use super::{redirect, render, render_error, Answer, PageError};
use crate::http::extract::read_params;
use crate::http::throttle::ClientAddress;
use crate::http::AppState;
use crate::oauth::{OAuthError, Params};
use crate::store::{NewSession, TokenHash, User};
use crate::{crypto, time};
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use minijinja::{context, Value};

pub const SESSION_COOKIE: &str = "portcullis_session";
pub const CSRF_COOKIE: &str = "portcullis_csrf";
/// The form field that must repeat the CSRF cookie.
pub const CSRF_FIELD: &str = "csrf_token";

/// The user of a live session.
pub struct SignedIn {
    pub user_id: i64,
    pub username: String,
    hash: TokenHash,
}

pub struct Browser {
    /// The request's cookies plus the changes to send back.
    jar: CookieJar,
    csrf: String,
    /// Whether `csrf` came from the request (false: minted just now, so no
    /// form can carry it yet).
    csrf_was_sent: bool,
    secure: bool,
    pub user: Option<SignedIn>,
    /// For the brute-force limits on sign-in.
    pub address: ClientAddress,
}

/// What our own secrets look like (see [`crypto::random_secret`]); any
/// other cookie value is replaced rather than echoed into pages.
fn is_secret(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let sent_csrf = jar
            .get(CSRF_COOKIE)
            .map(|c| c.value())
            .filter(|v| is_secret(v))
            .map(str::to_owned);
        let mut browser = Browser {
            csrf_was_sent: sent_csrf.is_some(),
            csrf: sent_csrf.unwrap_or_else(crypto::random_secret),
            secure: state.config.secure_cookies(),
            user: None,
            address: ClientAddress::from_request_parts(parts, state)
                .await
                .unwrap_or(ClientAddress(None)),
            jar,
        };
        if !browser.csrf_was_sent {
            let cookie = browser.cookie(CSRF_COOKIE, browser.csrf.clone());
            browser.jar = std::mem::take(&mut browser.jar).add(cookie);
        }
        let session_id = browser
            .jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned());
        if let Some(session_id) = session_id {
            match signed_in(state, &session_id).await {
                Ok(Some(user)) => browser.user = Some(user),
                // Expired or signed out elsewhere: forget the cookie too.
                Ok(None) => browser.forget_session(),
                Err(error) => {
                    let error = PageError::from(error);
                    return Err(render_error(state, &error, context! {}));
                }
            }
        }
        Ok(browser)
    }
}

async fn signed_in(state: &AppState, session_id: &str) -> Result<Option<SignedIn>, OAuthError> {
    let hash = crypto::token_hash(session_id);
    let session = state.provider.store.session(&hash).await?;
    // The store keeps sessions until the purge: expiry is decided here.
    Ok(session
        .filter(|s| s.expires_at > time::now())
        .map(|s| SignedIn {
            user_id: s.user_id,
            username: s.username,
            hash,
        }))
}

impl Browser {
    /// HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site
    /// POSTs), Path=/, Secure over https (SPEC §5).
    fn cookie(&self, name: &'static str, value: String) -> Cookie<'static> {
        Cookie::build((name, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .secure(self.secure)
            .build()
    }

    fn forget_session(&mut self) {
        let removal = self.cookie(SESSION_COOKIE, String::new());
        self.jar = std::mem::take(&mut self.jar).remove(removal);
    }

    /// Double-submit check (RFC 6749 §10.12): another site can make the
    /// browser post a form, but can neither read nor set our cookie, so it
    /// cannot put the cookie's value in the form.
    pub fn check_csrf(&self, params: &Params) -> Result<(), PageError> {
        let sent = params.get(CSRF_FIELD).unwrap_or("");
        if self.csrf_was_sent && crypto::constant_time_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::new(
                StatusCode::FORBIDDEN,
                "This form has expired or did not come from this site. Go back, reload the \
                 page and try again.",
            ))
        }
    }

    /// Reads a posted form and checks its CSRF token: every page form but
    /// client registration (whose checkboxes repeat names) comes in here.
    pub async fn read_form(&self, headers: &HeaderMap, body: Body) -> Result<Params, PageError> {
        let params = read_params(headers, body).await?;
        self.check_csrf(&params)?;
        Ok(params)
    }

    /// Starts a session for `user`. The id is new at every sign-in so that
    /// one planted before it is worthless (session fixation).
    pub async fn sign_in(&mut self, state: &AppState, user: &User) -> Result<(), OAuthError> {
        self.sign_out(state).await?;
        let session_id = crypto::new_token();
        let now = time::now();
        let hash = crypto::token_hash(&session_id);
        state
            .provider
            .store
            .create_session(&NewSession {
                hash,
                user_id: user.id,
                created_at: now,
                expires_at: now + state.config.session_ttl,
            })
            .await?;
        let cookie = self.cookie(SESSION_COOKIE, session_id);
        self.jar = std::mem::take(&mut self.jar).add(cookie);
        self.user = Some(SignedIn {
            user_id: user.id,
            username: user.username.clone(),
            hash,
        });
        Ok(())
    }

    /// Ends the session in the store (for every node) and in the browser.
    pub async fn sign_out(&mut self, state: &AppState) -> Result<(), OAuthError> {
        if let Some(user) = self.user.take() {
            state.provider.store.delete_session(&user.hash).await?;
        }
        if self.jar.get(SESSION_COOKIE).is_some() {
            self.forget_session();
        }
        Ok(())
    }

    /// What every page needs: the CSRF token for its forms and who is
    /// signed in.
    fn common(&self) -> Value {
        context! {
            csrf_token => self.csrf,
            user => self.user.as_ref().map(|u| u.username.as_str()),
        }
    }

    /// Renders the handler's decision, with the cookie changes.
    pub fn respond(self, state: &AppState, result: Result<Answer, PageError>) -> Response {
        let common = self.common();
        let response = match result {
            Ok(Answer::Page {
                status,
                template,
                context,
            }) => render(state, status, template, context! { ..context, ..common }),
            Ok(Answer::Redirect { status, location }) => redirect(status, &location)
                .unwrap_or_else(|error| render_error(state, &error, common)),
            Err(error) => render_error(state, &error, common),
        };
        (self.jar, response).into_response()
    }
}
