//! The authorization endpoint in a browser: login, consent, the redirect
//! back to the client, and what the code is worth at the token endpoint
//! (RFC 6749 §4.1, §4.2, §10; RFC 7636; RFC 9207).

use crate::common::browser::{
    authorize_path, code_request, fragment_of, location, query_of, set_cookie, Browser, Page,
    REDIRECT_URI,
};
use crate::common::{str_field, Backend, TestServer};
use portcullis::oauth::registration::ClientMetadata;
use serde_json::Value;

backend_tests! {
    approval_redirects_with_code_state_and_iss,
    denial_redirects_with_access_denied_and_state,
    confirm_true_approves,
    consent_is_remembered_per_scope_and_asked_for_new_scopes,
    a_public_clients_user_is_asked_every_time,
    unknown_client_gets_an_error_page_not_a_redirect,
    unregistered_redirect_uri_gets_an_error_page_not_a_redirect,
    missing_response_type_redirects_with_invalid_request,
    repeated_parameter_is_refused,
    code_works_once_and_its_replay_revokes_the_tokens,
    code_is_bound_to_client_and_redirect_uri,
    code_expires,
    pkce_verifier_must_match_the_s256_challenge,
    pkce_plain_is_refused,
    public_client_without_code_challenge_is_invalid_request,
    public_client_with_pkce_gets_tokens_with_its_client_id_only,
    implicit_grant_only_for_clients_registered_for_it,
    wrong_password_and_unknown_user_get_the_same_answer,
    login_and_consent_decisions_need_our_csrf_token,
    cookies_are_httponly_and_samesite_lax,
    cookies_are_secure_when_the_issuer_is_https,
    login_and_consent_cannot_be_framed_nor_leak_referrers,
}

// RFC 6749 §4.1.2: code and state; RFC 9207 §2: iss.
async fn approval_redirects_with_code_state_and_iss(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    let login = browser
        .page(&authorize_path(&code_request("profile", "xyz")))
        .await;
    assert_eq!(login.status, 200);
    let form = login.form("/oauth/authorize");
    // Every parameter of the request travels with the form.
    for (name, value) in code_request("profile", "xyz") {
        assert_eq!(form.get(name), Some(value), "{name}");
    }
    assert!(form.get("csrf_token").is_some());
    let form = form.set("username", "mike").set("password", "pass");
    let consent = Page::read(browser.submit(&form).await).await;
    assert_eq!(consent.status, 200);
    assert!(consent.html.contains("mike"), "names the client");
    assert!(
        consent.html.contains("<code>profile</code>"),
        "lists the scope"
    );
    assert!(consent.html.contains(r#"name="confirm" value="yes""#));
    assert!(consent.html.contains(r#"name="confirm" value="no""#));

    let answer = browser
        .submit(&consent.form("/oauth/authorize").set("confirm", "yes"))
        .await;
    let url = location(&answer);
    assert!(url.as_str().starts_with(REDIRECT_URI), "{url}");
    let params = query_of(&url);
    assert_eq!(params["state"], "xyz");
    assert_eq!(params["iss"], server.base);
    let tokens = exchange(&server, &params["code"], &[]).await;
    assert_eq!(tokens["scope"], "profile");
    let me = server.me(str_field(&tokens, "access_token")).await;
    assert_eq!(me.status(), 200);
}

// RFC 6749 §4.1.2.1: access_denied, with the state.
async fn denial_redirects_with_access_denied_and_state(backend: Backend) {
    let server = TestServer::start(backend).await;
    let answer = Browser::new(&server)
        .authorize(&code_request("profile", "s1"), "no")
        .await;
    let params = query_of(&location(&answer));
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "s1");
    assert!(!params.contains_key("code"));
}

// SPEC §2: the seeds approve with confirm=true.
async fn confirm_true_approves(backend: Backend) {
    let server = TestServer::start(backend).await;
    for confirm in ["true", "True"] {
        // prompt=consent: the consent given the first time is remembered.
        let mut request = code_request("profile", "s");
        request.push(("prompt", "consent"));
        let answer = Browser::new(&server).authorize(&request, confirm).await;
        assert!(
            query_of(&location(&answer)).contains_key("code"),
            "{confirm}"
        );
    }
}

// The session lives in the store and spans requests, and consent is
// remembered per user and client: the same scopes again are approved
// without a page, a new scope is put to the user (OpenID Connect Core
// §3.1.2.4), and so is everything with prompt=consent.
async fn consent_is_remembered_per_scope_and_asked_for_new_scopes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    browser.code(&code_request("profile", "first")).await;
    let again = browser
        .get(&authorize_path(&code_request("profile", "again")))
        .await;
    let params = query_of(&location(&again));
    assert_eq!(params["state"], "again");
    assert_eq!(
        exchange(&server, &params["code"], &[]).await["scope"],
        "profile"
    );

    let page = browser
        .page(&authorize_path(&code_request("profile email", "second")))
        .await;
    assert_eq!(page.status, 200);
    assert!(!page.html.contains(r#"name="password""#), "no login form");
    assert!(
        page.html.contains("see your email address"),
        "{}",
        page.html
    );
    let form = page.form("/oauth/authorize");
    assert_eq!(form.get("state"), Some("second"));
    let answer = browser.submit(&form.set("confirm", "yes")).await;
    let params = query_of(&location(&answer));
    assert_eq!(params["state"], "second");
    assert_eq!(
        exchange(&server, &params["code"], &[]).await["scope"],
        "profile email"
    );
    // Both now remembered, so either alone passes; prompt=consent asks.
    let email = browser
        .get(&authorize_path(&code_request("email", "e")))
        .await;
    assert!(query_of(&location(&email)).contains_key("code"));
    let mut forced = code_request("email", "forced");
    forced.push(("prompt", "consent"));
    assert_eq!(browser.page(&authorize_path(&forced)).await.status, 200);
}

// RFC 6749 §10.2, RFC 8252 §8.6: anyone can send a public client's
// request, so its user is asked every time.
async fn a_public_clients_user_is_asked_every_time(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (id, _) = server
        .add_client(ClientMetadata {
            client_name: "spa".into(),
            redirect_uris: vec![REDIRECT_URI.into()],
            scope: "profile".into(),
            token_endpoint_auth_method: Some("none".into()),
            ..Default::default()
        })
        .await;
    let browser = Browser::new(&server);
    let request = [
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("scope", "profile"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ];
    browser.code(&request).await;
    let again = browser.page(&authorize_path(&request)).await;
    assert_eq!(again.status, 200, "the consent page again");
    assert!(again.html.contains(r#"name="confirm""#));
}

fn assert_error_page(page: &Page, words: &str) {
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.headers.get("location").is_none());
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.html.contains(words), "{}", page.html);
}

// RFC 6749 §4.1.2.1, §10.15: never redirect for an unknown client.
async fn unknown_client_gets_an_error_page_not_a_redirect(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut request = code_request("profile", "s");
    request[1] = ("client_id", "nobody");
    let page = Browser::new(&server).page(&authorize_path(&request)).await;
    assert_error_page(&page, "not registered");
}

// RFC 6749 §3.1.2.4, §4.1.2.1; RFC 9700 §4.1.3: exact match or no redirect.
async fn unregistered_redirect_uri_gets_an_error_page_not_a_redirect(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    for uri in [
        "https://evil.example/callback",
        "http://127.0.0.1:8765/callback?next=https://evil.example",
        "http://127.0.0.1:8765/callback/",
    ] {
        let mut request = code_request("profile", "s");
        request[2] = ("redirect_uri", uri);
        let page = browser.page(&authorize_path(&request)).await;
        assert_error_page(&page, "redirect_uri is not registered");
    }
}

// RFC 6749 §4.1.2.1: once client and redirect URI are trusted, errors go
// back to the client.
async fn missing_response_type_redirects_with_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let request: Vec<_> = code_request("profile", "s9")
        .into_iter()
        .filter(|(name, _)| *name != "response_type")
        .collect();
    let answer = Browser::new(&server).get(&authorize_path(&request)).await;
    let url = location(&answer);
    assert!(url.as_str().starts_with(REDIRECT_URI));
    let params = query_of(&url);
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(params["state"], "s9");
}

// RFC 6749 §3.1: parameters must not be repeated.
async fn repeated_parameter_is_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut request = code_request("profile", "s");
    request.push(("scope", "all"));
    let page = Browser::new(&server).page(&authorize_path(&request)).await;
    assert_error_page(&page, "repeated");
}

/// Exchanges a code as the demo client.
async fn exchange(server: &TestServer, code: &str, extra: &[(&str, &str)]) -> Value {
    let response = exchange_response(server, code, extra).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON")
}

async fn exchange_response(
    server: &TestServer,
    code: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    form.extend_from_slice(extra);
    server.token(&form).await
}

async fn assert_invalid_grant(response: reqwest::Response) {
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_grant");
}

// RFC 6749 §4.1.2 (one use) and §10.5 (a replay revokes what the code gave).
async fn code_works_once_and_its_replay_revokes_the_tokens(backend: Backend) {
    let server = TestServer::start(backend).await;
    let code = Browser::new(&server)
        .code(&code_request("profile", "s"))
        .await;
    let tokens = exchange(&server, &code, &[]).await;
    let access = str_field(&tokens, "access_token");
    let refresh = str_field(&tokens, "refresh_token");
    assert!(server.is_active(access).await);

    assert_invalid_grant(exchange_response(&server, &code, &[]).await).await;
    assert!(!server.is_active(access).await, "access token revoked");
    assert!(!server.is_active(refresh).await, "refresh token revoked");
}

// RFC 6749 §4.1.3: the code belongs to its client and redirect URI.
async fn code_is_bound_to_client_and_redirect_uri(backend: Backend) {
    let server = TestServer::start(backend).await;
    let code = Browser::new(&server)
        .code(&code_request("profile", "s"))
        .await;
    let (other_id, other_secret) = server
        .add_client(ClientMetadata {
            client_name: "other".into(),
            redirect_uris: vec![REDIRECT_URI.into()],
            scope: "profile".into(),
            ..Default::default()
        })
        .await;
    let by_other = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&other_id, other_secret.as_deref())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .expect("request");
    assert_invalid_grant(by_other).await;
    let other_uri = [("redirect_uri", "http://localhost:9000/api/me")];
    let mut form = vec![("grant_type", "authorization_code"), ("code", &code)];
    form.extend_from_slice(&other_uri);
    assert_invalid_grant(server.token(&form).await).await;
    // Both refusals were about the binding: the right exchange still works.
    exchange(&server, &code, &[]).await;
}

// RFC 6749 §4.1.2: codes are short-lived.
async fn code_expires(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.code_ttl = 1).await;
    let code = Browser::new(&server)
        .code(&code_request("profile", "s"))
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_invalid_grant(exchange_response(&server, &code, &[]).await).await;
}

// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn with_pkce<'a>(mut request: Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    request.push(("code_challenge", CHALLENGE));
    request.push(("code_challenge_method", "S256"));
    request
}

// RFC 7636 §4.6: the verifier must hash to the challenge.
async fn pkce_verifier_must_match_the_s256_challenge(backend: Backend) {
    let server = TestServer::start(backend).await;
    let code = Browser::new(&server)
        .code(&with_pkce(code_request("profile", "s")))
        .await;
    let wrong = VERIFIER.replace('d', "e");
    assert_invalid_grant(exchange_response(&server, &code, &[("code_verifier", &wrong)]).await)
        .await;
    assert_invalid_grant(exchange_response(&server, &code, &[]).await).await;
    exchange(&server, &code, &[("code_verifier", VERIFIER)]).await;
}

// RFC 7636 §4.2 with RFC 9700 §2.1.1: S256 only.
async fn pkce_plain_is_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut request = code_request("profile", "s");
    request.push(("code_challenge", CHALLENGE));
    request.push(("code_challenge_method", "plain"));
    let answer = Browser::new(&server).get(&authorize_path(&request)).await;
    assert_eq!(query_of(&location(&answer))["error"], "invalid_request");
}

async fn public_client(server: &TestServer) -> String {
    let (client_id, secret) = server
        .add_client(ClientMetadata {
            client_name: "spa".into(),
            redirect_uris: vec![REDIRECT_URI.into()],
            scope: "profile".into(),
            token_endpoint_auth_method: Some("none".into()),
            ..Default::default()
        })
        .await;
    assert!(secret.is_none());
    client_id
}

// RFC 7636 §4.4.1 with RFC 9700 §2.1.1: PKCE is required of public clients.
async fn public_client_without_code_challenge_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let client_id = public_client(&server).await;
    let mut request = code_request("profile", "s");
    request[1] = ("client_id", &client_id);
    let answer = Browser::new(&server).get(&authorize_path(&request)).await;
    let params = query_of(&location(&answer));
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(params["state"], "s");
}

// RFC 6749 §2.1, §3.2.1 with RFC 7636 §4.5: client_id and verifier, no secret.
async fn public_client_with_pkce_gets_tokens_with_its_client_id_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let client_id = public_client(&server).await;
    let mut request = with_pkce(code_request("profile", "s"));
    request[1] = ("client_id", &client_id);
    let code = Browser::new(&server).code(&request).await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &client_id),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.expect("JSON");
    assert!(tokens["access_token"].is_string());
}

// RFC 6749 §4.2 with RFC 9700 §2.1.2: the implicit grant is legacy, only for
// clients registered for it; its token comes in the fragment (§4.2.2)
// without a refresh token.
async fn implicit_grant_only_for_clients_registered_for_it(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    let mut request = code_request("profile", "s");
    request[0] = ("response_type", "token");
    let refused = browser.get(&authorize_path(&request)).await;
    let url = location(&refused);
    assert_eq!(fragment_of(&url)["error"], "unauthorized_client");
    assert!(!url.as_str().contains("access_token"));

    let (client_id, _) = server
        .add_client(ClientMetadata {
            client_name: "legacy".into(),
            grant_types: vec!["implicit".into()],
            response_types: vec!["token".into()],
            redirect_uris: vec![REDIRECT_URI.into()],
            scope: "profile".into(),
            ..Default::default()
        })
        .await;
    request[1] = ("client_id", &client_id);
    let answer = browser.authorize(&request, "yes").await;
    let url = location(&answer);
    assert!(url.query().is_none(), "nothing in the query: {url}");
    let fragment = fragment_of(&url);
    assert_eq!(fragment["token_type"], "Bearer");
    assert_eq!(fragment["state"], "s");
    assert_eq!(fragment["iss"], server.base);
    assert!(!fragment.contains_key("refresh_token"));
    assert_eq!(server.me(&fragment["access_token"]).await.status(), 200);
}

// Nothing may tell an unknown user from a wrong password (RFC 6749 §10.7
// spirit; OWASP authentication guidance).
async fn wrong_password_and_unknown_user_get_the_same_answer(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut answers = Vec::new();
    for (username, password) in [("mike", "wrong"), ("nobody", "pass")] {
        let browser = Browser::new(&server);
        let login = browser
            .page(&authorize_path(&code_request("profile", "s")))
            .await;
        let form = login
            .form("/oauth/authorize")
            .set("username", username)
            .set("password", password);
        let page = Page::read(browser.submit(&form).await).await;
        assert!(set_cookie(&page.headers, "portcullis_session").is_none());
        assert!(page.html.contains("Wrong username or password."));
        // The form comes back, still carrying the request.
        assert_eq!(page.form("/oauth/authorize").get("state"), Some("s"));
        // The same page but for the CSRF token, the username typed and
        // when the request arrived (two requests, maybe two seconds).
        let form = page.form("/oauth/authorize");
        let csrf = form.get("csrf_token").expect("CSRF token");
        let started = form.get("request_started_at").expect("request time");
        let html = page
            .html
            .replace(csrf, "")
            .replace(started, "")
            .replace(&format!(r#"value="{username}""#), "");
        answers.push((page.status, html));
    }
    assert_eq!(answers[0], answers[1]);
}

// RFC 6749 §10.12: signing in and the consent decision need the CSRF
// token of our own forms.
async fn login_and_consent_decisions_need_our_csrf_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    let login = browser
        .page(&authorize_path(&code_request("profile", "s")))
        .await;
    let form = login
        .form("/oauth/authorize")
        .set("username", "mike")
        .set("password", "pass");
    for forged in [
        form.clone().without("csrf_token"),
        form.clone().set("csrf_token", "x"),
    ] {
        let page = Page::read(browser.submit(&forged).await).await;
        assert_eq!(page.status, 403);
        assert!(set_cookie(&page.headers, "portcullis_session").is_none());
    }
    // A cross-site approval: signed in, but the form was not ours.
    let consent = Page::read(browser.submit(&form).await).await;
    let forged = consent
        .form("/oauth/authorize")
        .set("confirm", "yes")
        .without("csrf_token");
    let answer = browser.submit(&forged).await;
    assert_eq!(answer.status(), 403);
    assert!(answer.headers().get("location").is_none());
    // Without the session, the form's fields approve nothing: the request
    // is shown again, starting with the login form.
    let cookieless = server
        .http
        .post(server.url("/oauth/authorize"))
        .form(
            &consent
                .form("/oauth/authorize")
                .set("confirm", "yes")
                .fields,
        )
        .send()
        .await
        .expect("request");
    let page = Page::read(cookieless).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains(r#"name="password""#), "{}", page.html);
}

fn assert_cookie_flags(cookie: &str) {
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
}

// SPEC §5: cookies are HttpOnly and SameSite=Lax (RFC 6265bis §8.8).
async fn cookies_are_httponly_and_samesite_lax(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    let login = browser
        .page(&authorize_path(&code_request("profile", "s")))
        .await;
    let csrf = set_cookie(&login.headers, "portcullis_csrf").expect("CSRF cookie");
    assert_cookie_flags(&csrf);
    assert!(!csrf.contains("Secure"), "plain http on loopback: {csrf}");
    let form = login
        .form("/oauth/authorize")
        .set("username", "mike")
        .set("password", "pass");
    let consent = browser.submit(&form).await;
    let session = set_cookie(consent.headers(), "portcullis_session").expect("session cookie");
    assert_cookie_flags(&session);
}

// SPEC §5: Secure over https, with the `__Host-` prefix that no sibling
// subdomain can plant (RFC 6265bis §4.1.3.2). An issuer spelt in capitals
// is https all the same.
async fn cookies_are_secure_when_the_issuer_is_https(backend: Backend) {
    for issuer in ["https://auth.example", "HTTPS://Auth.Example"] {
        let server = TestServer::start_with(backend.clone(), |c| c.set_issuer(issuer)).await;
        let login = Browser::new(&server)
            .page(&authorize_path(&code_request("profile", "s")))
            .await;
        let csrf = set_cookie(&login.headers, "__Host-portcullis_csrf").expect("CSRF cookie");
        assert!(csrf.contains("Secure") && csrf.contains("Path=/"), "{csrf}");
        assert!(!csrf.contains("Domain"), "{csrf}");
        assert!(set_cookie(&login.headers, "portcullis_csrf").is_none());
        assert!(login
            .header("strict-transport-security")
            .contains("max-age"));
        let metadata: serde_json::Value = server
            .http
            .get(server.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .expect("metadata")
            .json()
            .await
            .expect("JSON");
        assert_eq!(metadata["issuer"], "https://auth.example", "{issuer}");
    }
}

fn assert_page_headers(headers: &reqwest::header::HeaderMap) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let csp = header("content-security-policy").expect("CSP");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header("x-frame-options"), Some("DENY"));
    assert_eq!(header("referrer-policy"), Some("no-referrer"));
    assert_eq!(header("cache-control"), Some("no-store"));
}

// RFC 6749 §10.13 (clickjacking) and RFC 9700 §4.2.4 (referrer leaks).
async fn login_and_consent_cannot_be_framed_nor_leak_referrers(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    let login = browser
        .page(&authorize_path(&code_request("profile", "s")))
        .await;
    assert_page_headers(&login.headers);
    let form = login
        .form("/oauth/authorize")
        .set("username", "mike")
        .set("password", "pass");
    let consent = Page::read(browser.submit(&form).await).await;
    assert_page_headers(&consent.headers);
    let answer = browser
        .submit(&consent.form("/oauth/authorize").set("confirm", "yes"))
        .await;
    assert_page_headers(answer.headers());
}
