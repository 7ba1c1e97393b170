//! GET|POST /oauth/authorize (RFC 6749 §3.1, §4.1.1, §4.2.1; OpenID Connect
//! Core §3.1.2): walks the user through sign-in and consent. The rules are
//! `oauth::authorize`'s; this file only asks the user and renders the
//! answer.
//!
//! GET takes the client's request from the query; POST from the form body
//! (Core §3.1.2.1: POST must be supported too). The pages post it back in
//! hidden fields, with the CSRF token, the time the request first arrived
//! and the user's input, so every step validates the whole request again
//! and needs no server-side state but the session. Only the user's own
//! steps (signing in, the consent decision) must come from our pages; a
//! POST that only carries the client's request is an authorization request
//! like a GET.

use super::pages::session::{self, LoginPage, WRONG_CREDENTIALS};
use super::pages::{Answer, Browser, GetOrPost, PageError};
use super::AppState;
use crate::oauth::authorize::{self, AuthorizationRequest, AuthorizeError, Outcome, SignedIn};
use crate::oauth::oidc::prompt::OFFLINE_ACCESS;
use crate::oauth::{ErrorCode, Params};
use crate::store::Registrant;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use minijinja::context;
use url::Url;

/// Fields of our own forms, never part of the client's request nor carried
/// from one page to the next (a password must not become a hidden field).
const PAGE_FIELDS: [&str; 5] = ["csrf_token", "username", "password", "confirm", STARTED_AT];

/// When the client's request first arrived, carried through our pages
/// (see `oauth::oidc::prompt`: a sign-in after it satisfies `prompt=login`
/// and `max_age`).
const STARTED_AT: &str = "request_started_at";

/// GET|POST /oauth/authorize: an authorization request, or (POST) our
/// sign-in and consent forms.
pub async fn authorize(
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

/// One step of the request: check it, apply the user's input (a sign-in,
/// a consent decision), then ask what comes next.
async fn step(
    state: &AppState,
    browser: &mut Browser,
    request: GetOrPost,
) -> Result<Answer, PageError> {
    let GetOrPost {
        params: all,
        headers,
        posted,
    } = request;
    let headers = &headers;
    let provider = &state.provider;
    let params = request_params(&all)?;
    // Absent on the request's first step, which our pages then carry.
    let carried_start: Option<i64> = all.get(STARTED_AT).and_then(|at| at.parse().ok());
    let started_at = carried_start.unwrap_or_else(|| provider.clock.now());
    let request = match authorize::validate(provider, &params, browser.user.is_some()).await {
        Ok(request) => request,
        Err(error) => return rejected(error, posted),
    };
    let page = Pages {
        request: &request,
        params: &params,
        started_at,
    };
    if all.get("username").is_some() || all.get("password").is_some() {
        // Our sign-in form: no other site may sign a user in (login CSRF).
        browser.check_form(&state.csrf, headers, &all)?;
        if !session::log_in(state, browser, &all).await? {
            return Ok(page.login(all.get("username"), Some(WRONG_CREDENTIALS)));
        }
    }
    let mut consent_given = false;
    if let (Some(_), Some(confirm)) = (&browser.user, all.get("confirm")) {
        // The consent decision: only from our consent page.
        browser.check_form(&state.csrf, headers, &all)?;
        // SPEC §2: "yes", and "true"/"True" as the seeds send it.
        if !matches!(confirm, "yes" | "true" | "True") {
            let denied = authorize::deny(provider, &request, ErrorCode::AccessDenied);
            return Ok(Answer::to_client(denied, posted));
        }
        consent_given = true;
    }
    let session = browser.user.as_ref().map(|user| SignedIn {
        user_id: user.user_id,
        auth_time: user.signed_in_at,
    });
    let address = browser.address.0;
    match authorize::proceed(
        provider,
        &request,
        session,
        carried_start,
        consent_given,
        address,
    )
    .await?
    {
        Outcome::ShowLogin => {
            // Signing in again (prompt=login, max_age): the name is known.
            let signed_in = browser.user.as_ref().map(|user| user.username.as_str());
            let username = request.oidc.login_hint.as_deref().or(signed_in);
            Ok(page.login(username, None))
        }
        Outcome::ShowConsent => page.consent(state).await,
        Outcome::Answer(answer) => Ok(Answer::to_client(answer, posted)),
    }
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
fn rejected(error: AuthorizeError, posted: bool) -> Result<Answer, PageError> {
    match error {
        AuthorizeError::NoRedirect(message) => Err(PageError::bad_request(message)),
        AuthorizeError::Server(error) => Err(error.into()),
        AuthorizeError::ToClient(answer) => Ok(Answer::to_client(answer, posted)),
    }
}

/// The pages of one request.
struct Pages<'a> {
    request: &'a AuthorizationRequest,
    params: &'a Params,
    started_at: i64,
}

impl Pages<'_> {
    /// The client's request and when it first arrived, as hidden fields.
    fn fields(&self) -> Vec<(&str, String)> {
        self.params
            .iter()
            .map(|(name, value)| (name, value.to_owned()))
            .chain([(STARTED_AT, self.started_at.to_string())])
            .collect()
    }

    fn login(&self, username: Option<&str>, error: Option<&str>) -> Answer {
        let fields = self.fields();
        session::login_page(LoginPage {
            action: "/oauth/authorize",
            fields: fields.iter().map(|(n, v)| (*n, v.as_str())).collect(),
            client_name: Some(&self.request.client.client_name),
            username,
            error,
        })
    }

    /// The consent page. Names are chosen by whoever registered the client,
    /// so the page also shows what cannot be chosen freely (SPEC §8, RFC
    /// 6819 §4.4.1.4): the client_id, who vouches for the client, and the
    /// host the browser will be sent to, parsed (so
    /// `https://a.example@evil.example/` shows evil.example) and in its
    /// punycode form (so a Cyrillic look-alike of a familiar name shows as
    /// `xn--…`).
    async fn consent(&self, state: &AppState) -> Result<Answer, PageError> {
        let client = &self.request.client;
        // Registration accepts any absolute client_uri: link only to web pages.
        let client_link = client
            .client_uri
            .as_deref()
            .filter(|uri| Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
        let registered_by = match client.registrant {
            Registrant::User(owner) => Some(
                state
                    .provider
                    .store
                    .user_by_id(owner)
                    .await?
                    .map_or_else(|| "a former user".to_owned(), |user| user.username),
            ),
            _ => None,
        };
        let destination = Url::parse(&self.request.redirect_uri).ok();
        let destination_host = destination
            .as_ref()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| {
                destination.map_or_else(String::new, |url| format!("{}:", url.scheme()))
            });
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.params.iter())
            .finish();
        let scopes: Vec<&str> = self.request.scope.split_whitespace().collect();
        Ok(Answer::page(
            "consent.html",
            context! {
                client_name => client.client_name,
                client_id => client.client_id,
                client_link,
                verified => client.registrant.is_operator(),
                registered_by,
                offline => scopes.contains(&OFFLINE_ACCESS),
                scopes => scopes
                    .iter()
                    .filter(|s| **s != OFFLINE_ACCESS)
                    .map(|s| (s, scope_meaning(s)))
                    .collect::<Vec<_>>(),
                destination_host,
                resources => self.request.resources,
                destination => self.request.redirect_uri,
                fields => self.fields(),
                // Signing out from here comes back to this request.
                here => format!("/oauth/authorize?{query}"),
            },
        ))
    }
}

/// What the standard scopes let a client learn, in the user's words
/// (OpenID Connect Core §5.4); other scopes are the operator's and show as
/// named.
fn scope_meaning(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "openid" => "know who you are when you sign in",
        "profile" => "see your name and username",
        "email" => "see your email address",
        "address" => "see your postal address",
        "phone" => "see your phone number",
        _ => return None,
    })
}
