//! RFC 6749 §5.2: `error_description` is limited to %x20-21 / %x23-5B /
//! %x5D-7E (printable ASCII without `"` and `\`), and so is every error
//! answer of every endpoint: JSON bodies, redirects and `WWW-Authenticate`.
//! One walk over a corpus of bad requests checks them all, and that none
//! of them is a 5xx.

use crate::common::browser::authorize_path;
use crate::common::*;
use serde_json::Value;

fn allowed(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

fn assert_description(description: &str, request: &str) {
    assert!(
        description.chars().all(allowed),
        "{request}: error_description {description:?} leaves RFC 6749 §5.2's character set"
    );
}

/// Names and values that a careless message would quote back.
const HOSTILE: [&str; 5] = ["a\"b", "back\\slash", "ünïcødé", "tab\there", "\u{202e}rtl"];

/// (what is sent, the request) for every back-channel error in the corpus.
fn back_channel_corpus(server: &TestServer) -> Vec<(String, reqwest::RequestBuilder)> {
    let mut corpus = Vec::new();
    let mut add = |label: String, path: &str, body: String, basic: bool| {
        let mut request = server
            .http
            .post(server.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        if basic {
            request = request.basic_auth(CLIENT_ID, Some(CLIENT_SECRET));
        }
        corpus.push((label, request));
    };
    for path in ["/oauth/token", "/oauth/revoke", "/oauth/introspect"] {
        add(format!("{path}: empty"), path, String::new(), true);
        add(format!("{path}: no client"), path, "token=x".into(), false);
        add(
            format!("{path}: unknown client"),
            path,
            "client_id=nobody&client_secret=x&token=x".into(),
            false,
        );
        for hostile in HOSTILE {
            let encoded: String = form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
            add(
                format!("{path}: repeated {hostile:?}"),
                path,
                format!("{encoded}=1&{encoded}=2"),
                true,
            );
            add(
                format!("{path}: too long {hostile:?}"),
                path,
                format!("{encoded}={}", "x".repeat(5000)),
                true,
            );
        }
    }
    for hostile in HOSTILE {
        let encoded: String = form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
        for body in [
            format!("grant_type={encoded}"),
            format!("grant_type=client_credentials&scope={encoded}"),
            format!("grant_type=password&username={encoded}&password={encoded}"),
            format!("grant_type=refresh_token&refresh_token={encoded}"),
            format!("grant_type=authorization_code&code={encoded}&redirect_uri={encoded}"),
        ] {
            add(format!("token: {body}"), "/oauth/token", body, true);
        }
    }
    corpus.push((
        "token: JSON member not a string".into(),
        server
            .http
            .post(server.url("/oauth/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .json(&serde_json::json!({ "a\"b\\c": [1] })),
    ));
    corpus.push((
        "token: wrong content type".into(),
        server
            .http
            .post(server.url("/oauth/token"))
            .header("Content-Type", "text/ünï\"code")
            .body("grant_type=client_credentials"),
    ));
    corpus
}

async fn every_error_answer_stays_inside_the_rfc_6749_character_set(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut checked = 0;
    for (label, request) in back_channel_corpus(&server) {
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{label}: status {status}");
        let body: Value = response.json().await.expect("a JSON error");
        assert!(body["error"].is_string(), "{label}: {body}");
        assert_description(str_field(&body, "error_description"), &label);
        checked += 1;
    }

    // Errors redirected to the client (§4.1.2.1).
    for hostile in HOSTILE {
        for (name, value) in [("response_type", hostile), ("scope", hostile)] {
            let mut query = vec![
                ("client_id", CLIENT_ID),
                ("redirect_uri", crate::common::browser::REDIRECT_URI),
                ("response_type", "code"),
                ("state", "s"),
            ];
            query.retain(|(n, _)| *n != name);
            query.push((name, value));
            let response = server
                .http
                .get(server.url(&authorize_path(&query)))
                .send()
                .await
                .unwrap();
            let label = format!("authorize {name}={hostile:?}");
            assert_eq!(response.status(), 302, "{label}");
            let location =
                url::Url::parse(response.headers()["location"].to_str().unwrap()).expect("a URL");
            let pairs: std::collections::HashMap<_, _> =
                location.query_pairs().into_owned().collect();
            assert_description(&pairs["error_description"], &label);
            checked += 1;
        }
    }

    // Resource errors (RFC 6750 §3: the same character set).
    for token in HOSTILE.iter().chain(["x"].iter()) {
        let response = server
            .http
            .get(server.url("/api/me"))
            .header(
                "Authorization",
                format!("Bearer {}", token.escape_default()),
            )
            .send()
            .await
            .unwrap();
        let label = format!("/api/me with {token:?}");
        assert_eq!(response.status(), 401, "{label}");
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        assert_description(str_field(&body, "error_description"), &label);
        let quoted = challenge
            .split("error_description=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a description in the challenge");
        assert_description(quoted, &label);
        checked += 1;
    }
    assert!(checked > 60, "the corpus is walked ({checked} answers)");
}

// The registration endpoints quote what they refuse: the same character set.
async fn registration_errors_stay_inside_the_rfc_6749_character_set(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.registration_rate_limit = 0).await;
    let mut checked = 0;
    for hostile in HOSTILE {
        let uri = format!("https://app.example/{hostile}#{hostile}");
        for (member, value) in [
            ("redirect_uris", serde_json::json!([uri])),
            ("redirect_uris", serde_json::json!([hostile])),
            ("grant_types", serde_json::json!([hostile])),
            ("response_types", serde_json::json!([hostile])),
            ("token_endpoint_auth_method", serde_json::json!(hostile)),
            ("application_type", serde_json::json!(hostile)),
            ("scope", serde_json::json!(hostile)),
            ("client_uri", serde_json::json!(hostile)),
        ] {
            let mut body = serde_json::json!({ "redirect_uris": ["http://127.0.0.1/cb"] });
            body[member] = value;
            let response = server.register(&body, None).await;
            let label = format!("register {member} {hostile:?}");
            assert_eq!(response.status(), 400, "{label}");
            let answer: Value = response.json().await.unwrap();
            assert_description(str_field(&answer, "error_description"), &label);
            checked += 1;
        }
        let encoded: String = form_urlencoded::byte_serialize(hostile.as_bytes()).collect();
        let management = server.url(&format!("/oauth/register/{encoded}"));
        let response = server
            .http
            .get(management)
            .bearer_auth("x")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let answer: Value = response.json().await.unwrap();
        assert_description(str_field(&answer, "error_description"), "management");
    }
    assert!(checked >= 40, "the corpus is walked ({checked} answers)");
}

backend_tests! {
    every_error_answer_stays_inside_the_rfc_6749_character_set,
    registration_errors_stay_inside_the_rfc_6749_character_set,
}
