//! A browser for the page tests: keeps cookies, follows no redirect by
//! itself, reads the forms of a page (their hidden fields, as rendered) and
//! submits them.

use super::{TestServer, CLIENT_ID};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

pub const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

pub struct Browser {
    pub http: reqwest::Client,
    pub cookies: Arc<Jar>,
    base: String,
}

/// A page as received.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

/// A form of a page: where it posts and what it carries.
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Browser {
    pub fn new(server: &TestServer) -> Browser {
        Self::at(&server.base)
    }

    /// A browser talking to the server at `base`.
    pub fn at(base: &str) -> Browser {
        let cookies = Arc::new(Jar::default());
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_provider(cookies.clone())
                .build()
                .expect("client"),
            cookies,
            base: base.to_owned(),
        }
    }

    /// Sends the next requests to another node; cookies stay (they are
    /// per host, not per port), as a load balancer would do.
    pub fn switch_to(&mut self, base: &str) {
        self.base = base.to_owned();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    pub async fn page(&self, path: &str) -> Page {
        Page::read(self.get(path).await).await
    }

    pub async fn submit(&self, form: &Form) -> reqwest::Response {
        self.http
            .post(self.url(&form.action))
            .form(&form.fields)
            .send()
            .await
            .expect("request")
    }

    /// The value of one of our cookies (HttpOnly hides it from scripts,
    /// not from the cookie store).
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = Url::parse(&self.base).expect("base URL");
        let header = self.cookies.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (n, v) = pair.split_once('=')?;
            (n == name).then(|| v.to_owned())
        })
    }

    /// Signs in as mike on the start page.
    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Response {
        let form = self
            .page("/")
            .await
            .form("/login")
            .set("username", username)
            .set("password", password);
        self.submit(&form).await
    }

    /// Sends the authorization request `query`, signs in as mike and
    /// answers the consent page with `confirm`; returns that answer.
    pub async fn authorize(&self, query: &[(&str, &str)], confirm: &str) -> reqwest::Response {
        self.authorize_at(&authorize_path(query), confirm).await
    }

    /// [`Browser::authorize`] for a request already built into a path
    /// (`/oauth/authorize?…`), as a client library builds it.
    pub async fn authorize_at(&self, path: &str, confirm: &str) -> reqwest::Response {
        let login = self.page(path).await;
        assert_eq!(login.status, 200, "login page: {}", login.html);
        let form = login
            .form("/oauth/authorize")
            .set("username", "mike")
            .set("password", "pass");
        let consent = Page::read(self.submit(&form).await).await;
        assert_eq!(consent.status, 200, "consent page: {}", consent.html);
        let form = consent.form("/oauth/authorize").set("confirm", confirm);
        self.submit(&form).await
    }

    /// The code of an approved authorization request.
    pub async fn code(&self, query: &[(&str, &str)]) -> String {
        let answer = self.authorize(query, "yes").await;
        let params = query_of(&location(&answer));
        params
            .get("code")
            .unwrap_or_else(|| panic!("no code in {params:?}"))
            .clone()
    }
}

pub fn authorize_path(query: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    format!("/oauth/authorize?{query}")
}

/// An authorization request of the demo client for `scope` and `state`.
pub fn code_request<'a>(scope: &'a str, state: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", scope),
        ("state", state),
    ]
}

/// Where a redirect sends the browser (asserting it is one).
pub fn location(response: &reqwest::Response) -> Url {
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {}",
        response.status()
    );
    let location = response
        .headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .expect("ASCII Location");
    Url::parse(location)
        .or_else(|_| Url::parse("http://this.origin").and_then(|base| base.join(location)))
        .expect("a URL")
}

pub fn query_of(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

pub fn fragment_of(url: &Url) -> HashMap<String, String> {
    form_urlencoded::parse(url.fragment().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The `Set-Cookie` header that sets `name`.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

impl Page {
    pub async fn read(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            headers: response.headers().clone(),
            html: response.text().await.expect("body"),
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    pub fn forms(&self) -> Vec<Form> {
        let mut forms = Vec::new();
        let mut rest = self.html.as_str();
        while let Some(start) = rest.find("<form") {
            let tag_end = start + rest[start..].find('>').expect("form tag ends");
            let end = rest[start..]
                .find("</form>")
                .map_or(rest.len(), |e| start + e);
            let form_attributes = attributes(&rest[start + 5..tag_end]);
            let mut fields = Vec::new();
            let mut inner = &rest[tag_end..end];
            while let Some(input) = inner.find("<input") {
                let input_end = input + inner[input..].find('>').expect("input tag ends");
                let input_attributes = attributes(&inner[input + 6..input_end]);
                if input_attributes.get("type").map(String::as_str) == Some("hidden") {
                    fields.push((
                        input_attributes["name"].clone(),
                        input_attributes["value"].clone(),
                    ));
                }
                inner = &inner[input_end..];
            }
            forms.push(Form {
                action: form_attributes["action"].clone(),
                fields,
            });
            rest = &rest[end..];
        }
        forms
    }

    /// The first form posting to `action`.
    pub fn form(&self, action: &str) -> Form {
        self.forms()
            .into_iter()
            .find(|f| f.action == action)
            .unwrap_or_else(|| panic!("no form to {action} in {}", self.html))
    }

    /// The first text after `marker` (skipping tags), e.g. the value of a
    /// `<dt>name</dt><dd>` pair.
    pub fn text_after(&self, marker: &str) -> String {
        let start = self.html.find(marker).expect("marker on the page") + marker.len();
        let mut rest = self.html[start..].trim_start();
        while rest.starts_with('<') {
            rest = rest[rest.find('>').expect("tag ends") + 1..].trim_start();
        }
        let end = rest.find('<').expect("text ends");
        unescape(rest[..end].trim())
    }
}

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a field, replacing any of the same name.
    pub fn set(self, name: &str, value: &str) -> Form {
        self.without(name).add(name, value)
    }

    /// Adds a field (names may repeat, as ticked checkboxes do).
    pub fn add(mut self, name: &str, value: &str) -> Form {
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without(mut self, name: &str) -> Form {
        self.fields.retain(|(n, _)| n != name);
        self
    }
}

/// `name="value"` pairs of a tag (our templates always quote with `"`).
fn attributes(tag: &str) -> HashMap<String, String> {
    let mut attributes = HashMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq]
            .split_whitespace()
            .last()
            .unwrap_or("")
            .to_owned();
        let value_end = eq + 2 + rest[eq + 2..].find('"').expect("closing quote");
        attributes.insert(name, unescape(&rest[eq + 2..value_end]));
        rest = &rest[value_end + 1..];
    }
    attributes
}

/// Undoes HTML escaping: named entities we emit and numeric ones.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = amp + rest[amp..].find(';').expect("entity ends");
        let entity = &rest[amp + 1..semi];
        let decoded = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            _ => {
                let code = match entity.strip_prefix("#x").or(entity.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => entity.trim_start_matches('#').parse(),
                };
                char::from_u32(code.expect("numeric entity")).expect("a character")
            }
        };
        out.push(decoded);
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    out
}
