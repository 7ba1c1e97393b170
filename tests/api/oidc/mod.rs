//! OpenID Connect conformance, over real HTTP: our stand-in for the OpenID
//! Foundation's conformance suite (a Java service we cannot run here),
//! following its "Basic OP" and "Config OP" certification plans
//! (`oidcc-basic-certification-test-plan`, `oidcc-config-certification-
//! test-plan`), the RP-Initiated Logout plan and the form_post variant.
//! Each test is named after the plan item it covers, with `-` as `_`;
//! tests of rules beyond the plans are named after the rule.
//!
//! Every ID token, signed UserInfo answer and JWT access token is checked
//! as a relying party would: against the JWK Set fetched from the
//! discovered `jwks_uri`, with `jsonwebtoken` and `sha2` only, never with
//! the server's own verification code.
//!
//! Covered (plan item → test):
//!
//! - Config OP: `oidcc-discovery-endpoint-verification` →
//!   [`discovery`]: `oidcc_discovery_endpoint_verification`,
//!   `oidcc_discovery_endpoints_are_https`, `oidcc_discovery_jwks` (the
//!   plan's `CheckJwksUri`, `ValidateServerJWKs`,
//!   `EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys`);
//!   `oidcc-rp-initiated-logout-discovery-endpoint-verification` in the
//!   first of them.
//! - Basic OP, in [`id_token`]: `oidcc-server` (with `OP-nonce-code`,
//!   `VerifyState`, the ID token checks and RFC 9207's `iss`),
//!   `oidcc-idtoken-rs256`, `oidcc-idtoken-signature` (one client per
//!   algorithm, `at_hash` by each algorithm's hash),
//!   `oidcc-ensure-request-without-nonce-succeeds-for-code-flow`,
//!   `oidcc-ensure-other-scope-order-succeeds`, `oidcc-refresh-token`.
//! - Basic OP, in [`requests`]: `oidcc-response-type-missing`,
//!   `oidcc-codereuse` and `oidcc-codereuse-30seconds` (one test: the rule
//!   is "used", not a time, so the 30 s wait adds nothing),
//!   `oidcc-ensure-registered-redirect-uri`,
//!   `oidcc-ensure-redirect-uri-in-authorization-request`,
//!   `oidcc-server-client-secret-post`,
//!   `oidcc-ensure-request-with-valid-pkce-succeeds`,
//!   `oidcc-ensure-post-request-succeeds`,
//!   `oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported`,
//!   `oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported`.
//! - Basic OP, in [`prompt`]: `oidcc-prompt-login`,
//!   `oidcc-prompt-none-not-logged-in`, `oidcc-prompt-none-logged-in`,
//!   `oidcc-max-age-1`, `oidcc-max-age-10000`, `oidcc-id-token-hint`,
//!   `oidcc-login-hint`, `oidcc-display-page`, `oidcc-display-popup`,
//!   `oidcc-ui-locales`, `oidcc-claims-locales`,
//!   `oidcc-ensure-request-with-acr-values-succeeds`,
//!   `oidcc-ensure-request-with-unknown-parameter-succeeds`.
//! - Basic OP, in [`userinfo`]: `oidcc-userinfo-get`,
//!   `oidcc-userinfo-post-header`, `oidcc-userinfo-post-body`,
//!   `oidcc-scope-profile`, `oidcc-scope-email`, `oidcc-scope-address`,
//!   `oidcc-scope-phone`, `oidcc-scope-all`, `oidcc-claims-essential`.
//! - RP-Initiated Logout plan, in [`logout`]: `oidcc-rp-initiated-logout`,
//!   `-bad-post-logout-redirect-uri`, `-query-added-to-post-logout-redirect-uri`,
//!   `-modified-id-token-hint`, `-bad-id-token-hint`, `-no-id-token-hint`,
//!   `-no-params`, `-no-post-logout-redirect-uri`, `-only-state`,
//!   `-no-state`.
//! - `oidcc-server-rotate-keys` (manual in the suite: the tester rotates
//!   the keys), in [`keys`], with `portcullis keys rotate` doing it.
//! - Form post plan (`oidcc-formpost-basic-certification-test-plan`), in
//!   [`form_post`]: `oidcc-server` and `oidcc-prompt-none-not-logged-in`
//!   with `response_mode=form_post`; `response_mode=fragment` too.
//!
//! Beyond the plans: consent memory, `prompt=consent`, `offline_access`
//! (Core §11) and withdrawing consent at `/account` in [`consent`]; the
//! UserInfo endpoint's bearer rules and signed answers in [`userinfo`];
//! RFC 9068 JWT access tokens in [`jwt_access_tokens`].
//!
//! Not applicable, and why:
//!
//! - `oidcc-idtoken-unsigned`: for dynamically registered clients only,
//!   and `none` is not offered (`oidcc_discovery_endpoint_verification`
//!   checks it is not listed).
//! - Implicit and hybrid plans, and every item for the response types
//!   `id_token`, `id_token token`, `code id_token`, `code token`,
//!   `code id_token token`: only `code` is offered to OpenID clients
//!   (`token`, legacy OAuth, only to clients registered for it).
//! - `oidcc-ensure-request-object-with-redirect-uri`, `oidcc-request-uri-*`
//!   and request-object tests beyond the two "rejected as unsupported"
//!   ones: `request` and `request_uri` are answered `request_not_supported`
//!   and `request_uri_not_supported` (discovery says both are false).
//! - The Dynamic OP plan (`oidcc-registration-*`, sector identifiers,
//!   pairwise subjects): a Dynamic OP must offer the `id_token` and
//!   `id_token token` response types (Core §15.2), which we do not, and
//!   subjects are public only; RFC 7591 self-registration, where the
//!   operator opens it, has tests of its own.
//! - Front- and back-channel logout plans: not implemented (no `sid`).

mod consent;
mod discovery;
mod form_post;
mod id_token;
mod jose;
mod jwt_access_tokens;
mod keys;
mod logout;
mod prompt;
mod requests;
mod userinfo;

pub use jose::{assert_at_hash, discovery, get_json, header, jwks, verify_id_token, verify_jwt};

use crate::common::browser::{location, Browser, Page, REDIRECT_URI};
use crate::common::{TestServer, CLIENT_ID, CLIENT_SECRET};
use portcullis::oauth::registration::ClientMetadata;
use serde_json::Value;
use std::collections::HashMap;

/// The nonce of our requests: characters a careless OP might re-encode.
pub const NONCE: &str = "n-0S6_WzA2Mj+/=é";
/// The state of our requests.
pub const STATE: &str = "af0ifjsldkj&x=y";

/// A relying party: a registered client and the redirect URI it uses.
#[derive(Debug, Clone)]
pub struct Rp {
    pub client_id: String,
    pub secret: String,
    pub redirect_uri: String,
}

impl Rp {
    /// The demo client, which may ask for `openid profile email
    /// offline_access` and has a `post_logout_redirect_uri`.
    pub fn demo() -> Rp {
        Rp {
            client_id: CLIENT_ID.into(),
            secret: CLIENT_SECRET.into(),
            redirect_uri: REDIRECT_URI.into(),
        }
    }

    /// A confidential client registered by the operator with `metadata`;
    /// it uses its first redirect URI.
    pub async fn register(server: &TestServer, metadata: ClientMetadata) -> Rp {
        let redirect_uri = metadata.redirect_uris[0].clone();
        let (client_id, secret) = server.add_client(metadata).await;
        Rp {
            client_id,
            secret: secret.expect("a confidential client"),
            redirect_uri,
        }
    }

    /// An OpenID client for every standard scope, with the refresh token
    /// grant, whose ID tokens are signed with `alg` (RS256 when `None`).
    pub async fn openid(server: &TestServer, alg: Option<&str>) -> Rp {
        Rp::register(server, openid_metadata(alg)).await
    }

    /// A code request for `scope` with our state and nonce.
    pub fn request(&self, scope: &str) -> AuthRequest {
        AuthRequest(
            [
                ("response_type", "code"),
                ("client_id", &self.client_id),
                ("redirect_uri", &self.redirect_uri),
                ("scope", scope),
                ("state", STATE),
                ("nonce", NONCE),
            ]
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .to_vec(),
        )
    }

    /// POSTs `form` to the token endpoint with client_secret_basic.
    pub async fn token(&self, server: &TestServer, form: &[(&str, &str)]) -> reqwest::Response {
        server
            .http
            .post(server.url("/oauth/token"))
            .basic_auth(&self.client_id, Some(&self.secret))
            .form(form)
            .send()
            .await
            .expect("the token endpoint answers")
    }

    /// Exchanges `code` (Core §3.1.3.1); the successful answer (§3.1.3.3),
    /// checked as the plan's `oidcc-server` does.
    pub async fn exchange(&self, server: &TestServer, code: &str) -> Value {
        let response = self
            .token(
                server,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", &self.redirect_uri),
                ],
            )
            .await;
        token_response(response).await
    }
}

/// The metadata of [`Rp::openid`].
pub fn openid_metadata(alg: Option<&str>) -> ClientMetadata {
    ClientMetadata {
        client_name: "conformance RP".into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: vec!["https://rp.example/callback".into()],
        post_logout_redirect_uris: vec!["https://rp.example/signed-out".into()],
        scope: "openid profile email address phone offline_access".into(),
        id_token_signed_response_alg: alg.map(str::to_owned),
        ..Default::default()
    }
}

/// A successful token response (Core §3.1.3.3, RFC 6749 §5.1): JSON, not
/// cached, a Bearer access token with its lifetime.
pub async fn token_response(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    let header = |name| response.headers()[name].to_str().unwrap().to_owned();
    assert!(header("content-type").starts_with("application/json"));
    assert_eq!(header("cache-control"), "no-store");
    let tokens: Value = response.json().await.expect("JSON");
    assert_eq!(tokens["token_type"], "Bearer", "{tokens}");
    assert!(tokens["access_token"].is_string(), "{tokens}");
    assert!(tokens["expires_in"].as_i64().is_some_and(|s| s > 0));
    tokens
}

/// An authorization request's parameters, in order.
#[derive(Debug, Clone)]
pub struct AuthRequest(pub Vec<(String, String)>);

impl AuthRequest {
    /// Sets `name` (replacing it if present).
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self = self.without(name);
        self.0.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.0.retain(|(n, _)| n != name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `/oauth/authorize?…`, as a GET request.
    pub fn path(&self) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.0)
            .finish();
        format!("/oauth/authorize?{query}")
    }
}

/// A page the user was shown on the way back to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Login,
    Consent,
}

/// The authorization response as the client received it.
pub struct Callback {
    pub params: HashMap<String, String>,
    /// The pages the user went through, in order.
    pub shown: Vec<Shown>,
    /// With `response_mode=form_post`, the page that posts the response.
    pub form_post: Option<Page>,
}

impl Callback {
    pub fn code(&self) -> &str {
        self.params
            .get("code")
            .unwrap_or_else(|| panic!("no code in {:?}", self.params))
    }

    pub fn error(&self) -> &str {
        self.params
            .get("error")
            .unwrap_or_else(|| panic!("no error in {:?}", self.params))
    }
}

/// Sends `request` from `browser` and goes through whatever pages come,
/// signing in as mike and allowing, until the answer to the client: a
/// redirect to its redirect URI (query response mode, Core §3.1.2.5) or
/// the page that posts it there (`form_post`); checks its `state` and
/// `iss` (RFC 9207 §2).
pub async fn authorize(server: &TestServer, browser: &Browser, request: &AuthRequest) -> Callback {
    let response = browser.get(&request.path()).await;
    follow(server, browser, request, response, "mike", "pass").await
}

/// [`authorize`] from a response already received, signing in as
/// `username` if asked.
pub async fn follow(
    server: &TestServer,
    browser: &Browser,
    request: &AuthRequest,
    mut response: reqwest::Response,
    username: &str,
    password: &str,
) -> Callback {
    let redirect_uri = request.get("redirect_uri").expect("a redirect_uri");
    let mut shown = Vec::new();
    let mut form_post = None;
    let redirect = loop {
        if response.status() != 200 {
            break Some(response);
        }
        let page = Page::read(response).await;
        if page.forms().iter().any(|form| form.action == redirect_uri) {
            form_post = Some(page);
            break None;
        }
        let form = page.form("/oauth/authorize");
        let form = if page.html.contains(r#"name="password""#) {
            shown.push(Shown::Login);
            form.set("username", username).set("password", password)
        } else if page.html.contains(r#"name="confirm""#) {
            shown.push(Shown::Consent);
            form.set("confirm", "yes")
        } else {
            panic!("neither sign-in nor consent: {}", page.html)
        };
        assert!(shown.len() <= 3, "a loop of pages: {shown:?}");
        response = browser.submit(&form).await;
    };
    let params: HashMap<String, String> = match (&form_post, redirect) {
        (Some(page), _) => page.form(redirect_uri).fields.into_iter().collect(),
        (None, Some(response)) => {
            let url = location(&response);
            assert!(url.as_str().starts_with(redirect_uri), "{url}");
            url.query_pairs().into_owned().collect()
        }
        (None, None) => unreachable!("a page or a redirect"),
    };
    assert_eq!(
        params.get("state").map(String::as_str),
        request.get("state")
    );
    assert_eq!(params["iss"], server.base, "RFC 9207 §2");
    Callback {
        params,
        shown,
        form_post,
    }
}

/// A browser in which mike signed in (at the start page, not through a
/// client).
pub async fn signed_in_browser(server: &TestServer) -> Browser {
    let browser = Browser::new(server);
    let answer = browser.sign_in("mike", "pass").await;
    assert!(answer.status().is_redirection(), "{}", answer.status());
    assert!(browser.cookie("portcullis_session").is_some());
    browser
}

/// The whole code flow for `request` in `browser`: the callback, the token
/// response and the verified ID token's claims (with `at_hash` checked).
pub async fn code_flow(
    server: &TestServer,
    browser: &Browser,
    rp: &Rp,
    request: &AuthRequest,
) -> (Callback, Value, Value) {
    let callback = authorize(server, browser, request).await;
    let tokens = rp.exchange(server, callback.code()).await;
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    let claims = verify_id_token(server, rp, id_token).await;
    assert_at_hash(id_token, &claims, tokens["access_token"].as_str().unwrap());
    (callback, tokens, claims)
}

/// A second user, jane (password "pass"), made with the admin API.
pub async fn add_jane(server: &TestServer) -> i64 {
    let admin = crate::common::admin::Admin::new(server).await;
    let body = serde_json::json!({"username": "jane", "password": "pass"});
    let created = admin
        .expect(reqwest::Method::POST, "/admin/users", Some(body), 201)
        .await;
    created["id"].as_i64().expect("an id")
}
