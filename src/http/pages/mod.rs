//! The browser side (SPEC §5): server-rendered pages and what they share
//! with the authorization endpoint's login and consent pages: templates
//! compiled into the binary, the browser's cookies, CSRF and the security
//! headers. Handlers decide an [`Answer`] or a [`PageError`];
//! [`Browser::respond`] turns either into HTML or a redirect.
//!
//! Over 400 lines because the answer types and their rendering are one
//! vocabulary every page module uses; each page lives in its own module.

pub mod account;
mod browser;
pub mod clients;
mod csrf;
pub mod end_session;
pub mod session;

pub use browser::Browser;
pub use csrf::Csrf;

use super::extract::{self, read_params, BodyError};
use super::AppState;
use crate::oauth::oidc::response_mode::{Answer as ClientAnswer, FormPost};
use crate::oauth::{ErrorCode, OAuthError, Params};
use crate::store::StoreError;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use minijinja::{context, Environment, UndefinedBehavior, Value};
use std::borrow::Cow;
use tower_http::set_header::SetResponseHeaderLayer;

/// Every template, embedded so that the binary needs no files at run time.
const TEMPLATES: [(&str, &str); 11] = [
    (
        "account.html",
        include_str!("../../../templates/account.html"),
    ),
    (
        "logout.html",
        include_str!("../../../templates/logout.html"),
    ),
    (
        "signed_out.html",
        include_str!("../../../templates/signed_out.html"),
    ),
    ("base.html", include_str!("../../../templates/base.html")),
    (
        "hidden_fields.html",
        include_str!("../../../templates/hidden_fields.html"),
    ),
    ("error.html", include_str!("../../../templates/error.html")),
    ("login.html", include_str!("../../../templates/login.html")),
    (
        "consent.html",
        include_str!("../../../templates/consent.html"),
    ),
    (
        "clients.html",
        include_str!("../../../templates/clients.html"),
    ),
    (
        "client_details.html",
        include_str!("../../../templates/client_details.html"),
    ),
    (
        "client_created.html",
        include_str!("../../../templates/client_created.html"),
    ),
];

const STYLESHEET: &str = include_str!("../../../static/style.css");

/// The compiled templates. `.html` names are autoescaped, so request values
/// can be shown as they are.
pub struct Templates(Environment<'static>);

impl Templates {
    /// Compiles every template; a syntax error stops the server at start.
    pub fn load() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        // A misspelt variable fails the render instead of printing nothing.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        Ok(Templates(env))
    }

    fn render(&self, name: &str, context: Value) -> Result<String, minijinja::Error> {
        self.0.get_template(name)?.render(context)
    }
}

/// What a page handler decided.
#[derive(Debug)]
pub enum Answer {
    Page {
        status: StatusCode,
        template: &'static str,
        context: Value,
    },
    Redirect {
        status: StatusCode,
        location: String,
    },
    /// The authorization response as an auto-submitted form (OAuth 2.0
    /// Form Post Response Mode).
    FormPost(FormPost),
}

impl Answer {
    /// The authorization endpoint's answer to a client, after a GET (302)
    /// or a form POST (303).
    pub fn to_client(answer: ClientAnswer, after_post: bool) -> Self {
        match answer {
            ClientAnswer::Redirect(location) if after_post => Answer::see_other(location),
            ClientAnswer::Redirect(location) => Answer::Redirect {
                status: StatusCode::FOUND,
                location,
            },
            ClientAnswer::FormPost(form) => Answer::FormPost(form),
        }
    }

    pub fn page(template: &'static str, context: Value) -> Self {
        Answer::Page {
            status: StatusCode::OK,
            template,
            context,
        }
    }

    pub fn with_status(self, status: StatusCode) -> Self {
        match self {
            Answer::Page {
                template, context, ..
            } => Answer::Page {
                status,
                template,
                context,
            },
            redirect => redirect,
        }
    }

    /// The answer to a form POST: the browser follows it with a GET and
    /// does not resend the form (RFC 9110 §15.4.4; RFC 9700 §4.12 for
    /// redirects to clients).
    pub fn see_other(location: impl Into<String>) -> Self {
        Answer::Redirect {
            status: StatusCode::SEE_OTHER,
            location: location.into(),
        }
    }
}

/// Why a page request failed, shown on an error page; never a redirect.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    message: Cow<'static, str>,
    /// Seconds, for a 429 (SPEC §7).
    retry_after: Option<u64>,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        PageError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn heading(&self) -> &'static str {
        match self.status {
            StatusCode::FORBIDDEN => "Request refused",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            status if status.is_server_error() => "Temporarily unavailable",
            _ => "Invalid request",
        }
    }
}

impl From<OAuthError> for PageError {
    fn from(error: OAuthError) -> Self {
        let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let message = match (error.code, error.retry_after) {
            (ErrorCode::TooManyAttempts, Some(seconds)) => {
                format!("Too many failed sign-ins. Try again in {seconds} seconds.").into()
            }
            _ => error.description,
        };
        PageError {
            retry_after: error.retry_after,
            ..PageError::new(status, message)
        }
    }
}

/// A database fault: 503 when it may pass, 500 otherwise (logged by the
/// conversion to [`OAuthError`]).
impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        OAuthError::from(error).into()
    }
}

impl From<BodyError> for PageError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => PageError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is larger than 64 KiB.",
            ),
            BodyError::Invalid(error) => error.into(),
        }
    }
}

/// The parameters of a query string, as strictly decoded as a form body
/// (RFC 6749 §3.1: UTF-8, no repeated parameters).
pub fn query_params(uri: &Uri) -> Result<Params, PageError> {
    let pairs = extract::parse_urlencoded(uri.query().unwrap_or("").as_bytes())?;
    Ok(Params::from_pairs(pairs)?)
}

/// A request to an endpoint that takes GET and POST alike (the
/// authorization endpoint, OpenID Connect Core §3.1.2.1; the end-session
/// endpoint, RP-Initiated Logout 1.0 §2).
pub struct GetOrPost {
    /// From the query of a GET, the form body of a POST.
    pub params: Params,
    /// What vouches for a form of ours (origin, fetch metadata): none for
    /// a GET, since a link carries no form.
    pub headers: HeaderMap,
    pub posted: bool,
}

impl GetOrPost {
    pub async fn read(
        method: &Method,
        uri: &Uri,
        headers: HeaderMap,
        body: Body,
    ) -> Result<Self, PageError> {
        if method == Method::POST {
            let params = read_params(&headers, body).await?;
            return Ok(GetOrPost {
                params,
                headers,
                posted: true,
            });
        }
        Ok(GetOrPost {
            params: query_params(uri)?,
            headers: HeaderMap::new(),
            posted: false,
        })
    }
}

/// Renders a template; a template bug is a 500 page, never a panic.
fn render(state: &AppState, status: StatusCode, template: &str, context: Value) -> Response {
    match state.templates.render(template, context) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, template, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

fn render_error(state: &AppState, error: &PageError, common: Value) -> Response {
    let context = context! {
        heading => error.heading(),
        message => error.message,
        ..common
    };
    let mut response = render(state, error.status, "error.html", context);
    if let Some(seconds) = error.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The form_post page, with the one script it needs allowed by a fresh
/// nonce and nothing else (no other script, no framing).
fn form_post(form: &FormPost) -> Response {
    let nonce = crate::crypto::random_secret();
    let policy = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; frame-ancestors 'none'; \
         form-action {}",
        form_action_source(&form.action)
    );
    let mut response = Html(form.html(&nonce)).into_response();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// The origin the form posts to, as a CSP source (the redirect URI was
/// checked at registration; a URL that is not one posts nowhere).
fn form_action_source(action: &str) -> String {
    url::Url::parse(action)
        .ok()
        .filter(|url| url.origin().is_tuple())
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_else(|| "'none'".into())
}

fn redirect(status: StatusCode, location: &str) -> Result<Response, PageError> {
    let location = HeaderValue::try_from(location)
        .map_err(|_| PageError::bad_request("The address to go to next is not valid."))?;
    Ok((status, [(header::LOCATION, location)]).into_response())
}

/// The headers of every page and of the authorization endpoint's answers.
pub fn secure_headers(pages: Router<AppState>) -> Router<AppState> {
    let set =
        |name, value| SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value));
    pages
        // Login and consent must not be framed (clickjacking, RFC 6749
        // §10.13), and no script runs but ours (there is none; the
        // form_post page sets its own policy for its one script). No
        // form-action: browsers apply it to the redirect to the client.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'; default-src 'self'"),
        ))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        // Answers and pages carry codes, tokens and state in their URLs:
        // none of it may leak to other sites (RFC 9700 §4.2.4).
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        // Pages show CSRF tokens, client secrets and authorization requests.
        .layer(set(header::CACHE_CONTROL, "no-store"))
}

/// GET /static/style.css
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders_with_a_minimal_context() {
        let templates = Templates::load().unwrap();
        let client = context! {
            client_id => "id", client_name => "<app>", client_uri => "https://app.example",
            grant_types => ["authorization_code"], response_types => ["code"],
            redirect_uris => ["https://app.example/cb"], scope => "profile",
            token_endpoint_auth_method => "client_secret_basic",
            client_id_issued_at => 1, client_secret_expires_at => 0,
        };
        let form = context! {
            client_name => "", client_uri => "", grant_types => ["authorization_code"],
            redirect_uris => "", response_types => Vec::<String>::new(), scope => "",
            token_endpoint_auth_method => "client_secret_basic",
        };
        let common = context! { csrf_token => "t", user => "mike", fields => [("a", "b")] };
        let mut rendered = Vec::new();
        for (name, context) in [
            ("error.html", context! { heading => "h", message => "m" }),
            ("login.html", context! { action => "/login" }),
            (
                "consent.html",
                context! {
                    client_name => "<app>", client_id => "id", verified => false,
                    registered_by => "alice", scopes => [("profile", Some("see your name"))], offline => true,
                    resources => ["https://api.example/<app>"],
                    destination_host => "app.example", destination => "https://app.example/cb",
                },
            ),
            (
                "clients.html",
                context! { clients => std::slice::from_ref(&client), form, grant_types => ["implicit"],
                response_types => ["code"], auth_methods => ["none"] },
            ),
            (
                "client_created.html",
                context! { client, client_secret => "s" },
            ),
            (
                "account.html",
                context! {
                    consents => [context! {
                        client_id => "id", client_name => "<app>", scopes => ["openid"],
                        granted_at => "Tue, 01 Dec 2026 15:00:00 GMT",
                    }],
                    revoked => "<app>",
                },
            ),
            ("logout.html", context! {}),
            ("signed_out.html", context! {}),
        ] {
            let html = templates
                .render(name, context! { ..context, ..common.clone() })
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            assert!(html.contains("<h1>"), "{name} has a heading");
            assert!(!html.contains("<app>"), "{name} escapes values");
            rendered.push(name);
        }
        // Every page, that is every template but the ones pages include.
        let pages = TEMPLATES.iter().filter(|(name, _)| {
            !["base.html", "hidden_fields.html", "client_details.html"].contains(name)
        });
        for (name, _) in pages {
            assert!(rendered.contains(name), "{name} is rendered here");
        }
    }
}
