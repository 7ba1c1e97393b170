//! One browser's state between requests, kept in two cookies so that any
//! node can serve its next request: a session id (the store keeps only its
//! SHA-256) and, before sign-in, a random seed. Forms carry a CSRF token
//! derived from one of them ([`super::csrf`]).

use super::csrf::{Binding, Csrf};
use super::{form_post, redirect, render, render_error, Answer, PageError};
use crate::http::client_address::ClientAddress;
use crate::http::extract::read_params;
use crate::http::AppState;
use crate::oauth::{OAuthError, Params};
use crate::store::{NewSession, TokenKey, User};
use crate::{crypto, time};
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use minijinja::{context, Value};

/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// The cookies' names. Over https they take the `__Host-` prefix, which
/// browsers accept only from this host, with Secure and Path=/ (RFC 6265bis
/// §4.1.3.2): a sibling subdomain cannot plant them.
#[derive(Debug, Clone, Copy)]
struct CookieNames {
    session: &'static str,
    seed: &'static str,
}

impl CookieNames {
    fn new(secure: bool) -> Self {
        if secure {
            CookieNames {
                session: "__Host-portcullis_session",
                seed: "__Host-portcullis_csrf",
            }
        } else {
            CookieNames {
                session: "portcullis_session",
                seed: "portcullis_csrf",
            }
        }
    }
}

/// The user of a live session.
pub struct SignedIn {
    pub user_id: i64,
    pub username: String,
    /// When the user signed in (Unix seconds).
    pub signed_in_at: i64,
    session_id: String,
    key: TokenKey,
}

pub struct Browser {
    /// The request's cookies plus the changes to send back.
    jar: CookieJar,
    names: CookieNames,
    secure: bool,
    /// Anchors the CSRF token of a browser that is not signed in.
    seed: String,
    pub user: Option<SignedIn>,
    /// For the brute-force limits on sign-in.
    pub address: ClientAddress,
}

/// What our own random values look like (see [`crypto::random_secret`] and
/// [`crypto::new_token`]); any other cookie value is ignored.
fn is_ours(value: &str) -> bool {
    matches!(value.len(), 43 | 64)
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The value of cookie `name`, if the request carries exactly one. Two
/// cookies of one name mean one was planted (by a sibling subdomain, or a
/// plain-http page) beside ours, and which one the browser lists last is
/// not ours to guess: both are ignored.
fn single_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut values = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(n, _)| *n == name)
        .map(|(_, value)| value);
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let secure = state.config.secure_cookies();
        let names = CookieNames::new(secure);
        let seed = single_cookie(&parts.headers, names.seed)
            .filter(|v| is_ours(v))
            .map(str::to_owned);
        let session_id = single_cookie(&parts.headers, names.session).map(str::to_owned);
        let Ok(address) = ClientAddress::from_request_parts(parts, state).await;
        let mut browser = Browser {
            jar: CookieJar::from_headers(&parts.headers),
            names,
            secure,
            seed: String::new(),
            user: None,
            address,
        };
        match seed {
            Some(seed) => browser.seed = seed,
            None => browser.new_seed(),
        }
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
    if !is_ours(session_id) {
        return Ok(None);
    }
    let key = crypto::token_key(session_id);
    let session = state.provider.store.session(&key).await?;
    // The store keeps sessions until the purge: expiry is decided here.
    Ok(session
        .filter(|s| s.expires_at > time::now())
        .map(|s| SignedIn {
            user_id: s.user_id,
            username: s.username,
            signed_in_at: s.created_at,
            session_id: session_id.to_owned(),
            key,
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

    /// A fresh seed, so that no token from before survives a sign-in or a
    /// sign-out.
    fn new_seed(&mut self) {
        self.seed = crypto::random_secret();
        let cookie = self.cookie(self.names.seed, self.seed.clone());
        self.jar = std::mem::take(&mut self.jar).add(cookie);
    }

    fn forget_session(&mut self) {
        let removal = self.cookie(self.names.session, String::new());
        self.jar = std::mem::take(&mut self.jar).remove(removal);
    }

    /// What this browser's CSRF token is bound to: its session once signed
    /// in (which a forger cannot read), its seed before.
    fn binding(&self) -> Binding<'_> {
        match &self.user {
            Some(user) => Binding::Session(&user.session_id),
            None => Binding::Seed(&self.seed),
        }
    }

    /// Checks that a state-changing form came from our own pages: posted
    /// from this origin, with the token this browser's pages carry.
    pub fn check_form(
        &self,
        csrf: &Csrf,
        headers: &HeaderMap,
        form: &Params,
    ) -> Result<(), PageError> {
        let token_matches = csrf.verify(self.binding(), form.get(CSRF_FIELD).unwrap_or(""));
        if csrf.same_origin(headers) && token_matches {
            Ok(())
        } else {
            Err(PageError::forbidden(
                "This form has expired or did not come from this site. Go back, reload the \
                 page and try again.",
            ))
        }
    }

    /// Reads a posted form and checks that it came from our pages: every
    /// page form but client registration (whose checkboxes repeat names)
    /// and the authorization request itself comes in here.
    pub async fn read_form(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<Params, PageError> {
        let params = read_params(headers, body).await?;
        self.check_form(&state.csrf, headers, &params)?;
        Ok(params)
    }

    /// Starts a session for `user`. The id is new at every sign-in so that
    /// one planted before it is worthless (session fixation).
    pub async fn sign_in(&mut self, state: &AppState, user: &User) -> Result<(), OAuthError> {
        self.sign_out(state).await?;
        let session_id = crypto::new_token();
        let now = time::now();
        let key = crypto::token_key(&session_id);
        state
            .provider
            .store
            .create_session(&NewSession {
                key,
                user_id: user.id,
                created_at: now,
                expires_at: now + state.config.session_ttl,
            })
            .await?;
        let cookie = self.cookie(self.names.session, session_id.clone());
        self.jar = std::mem::take(&mut self.jar).add(cookie);
        self.user = Some(SignedIn {
            user_id: user.id,
            username: user.username.clone(),
            signed_in_at: now,
            session_id,
            key,
        });
        Ok(())
    }

    /// Ends the session in the store (for every node) and in the browser.
    pub async fn sign_out(&mut self, state: &AppState) -> Result<(), OAuthError> {
        if let Some(user) = self.user.take() {
            state.provider.store.delete_session(&user.key).await?;
        }
        if self.jar.get(self.names.session).is_some() {
            self.forget_session();
        }
        self.new_seed();
        Ok(())
    }

    /// What every page needs: the CSRF token for its forms and who is
    /// signed in.
    fn common(&self, csrf: &Csrf) -> Value {
        context! {
            csrf_token => csrf.token(self.binding()),
            user => self.user.as_ref().map(|u| u.username.as_str()),
        }
    }

    /// Renders the handler's decision, with the cookie changes.
    pub fn respond(self, state: &AppState, result: Result<Answer, PageError>) -> Response {
        let common = self.common(&state.csrf);
        let response = match result {
            Ok(Answer::Page {
                status,
                template,
                context,
            }) => render(state, status, template, context! { ..context, ..common }),
            Ok(Answer::Redirect { status, location }) => redirect(status, &location)
                .unwrap_or_else(|error| render_error(state, &error, common)),
            Ok(Answer::FormPost(form)) => form_post(&form),
            Err(error) => render_error(state, &error, common),
        };
        (self.jar, response).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doubled_cookie_counts_as_none() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1; portcullis_csrf=ours".parse().unwrap());
        assert_eq!(single_cookie(&headers, "portcullis_csrf"), Some("ours"));
        headers.append(header::COOKIE, "portcullis_csrf=planted".parse().unwrap());
        assert_eq!(single_cookie(&headers, "portcullis_csrf"), None);
    }
}
