//! A resource server protected by Portcullis, as an MCP server's HTTP
//! endpoint must be (MCP authorization, 2025-06-18 and later), in a few
//! dozen lines of axum:
//!
//! - its protected resource metadata (RFC 9728 §3) at
//!   `/.well-known/oauth-protected-resource/<path>`, naming Portcullis;
//! - every 401 names that metadata (`resource_metadata`, RFC 9728 §5.1),
//!   so that a client finds the authorization server from the 401 alone;
//! - tokens are checked by introspection (RFC 7662) with the credentials of
//!   a resource-server client, and accepted only if their `aud` names this
//!   resource (RFC 8707 §2; MCP "Token Audience Binding and Validation"):
//!   a token for another resource, or for none, is `invalid_token`.
//!
//! ```sh
//! portcullis resource add http://127.0.0.1:9100/mcp --scope profile
//! portcullis client add --name mcp --grant-types client_credentials --resource-server
//! PORTCULLIS_ISSUER=http://127.0.0.1:9000 RESOURCE=http://127.0.0.1:9100/mcp \
//!   CLIENT_ID=… CLIENT_SECRET=… cargo run --example mcp_resource_server
//! ```
//!
//! tests/example_resource_server.rs runs it against a real Portcullis.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Clone)]
pub struct Settings {
    /// The authorization server's issuer, e.g. `http://127.0.0.1:9000`.
    pub issuer: String,
    /// This resource's identifier, the URL clients call (RFC 8707 §2).
    pub resource: String,
    pub introspection_endpoint: String,
    /// A client registered with `--resource-server`: it may introspect
    /// tokens issued to other clients.
    pub client_id: String,
    pub client_secret: String,
}

impl Settings {
    /// Finds the introspection endpoint in the server's RFC 8414 metadata.
    pub async fn discover(
        issuer: &str,
        resource: &str,
        client_id: &str,
        client_secret: &str,
    ) -> anyhow::Result<Settings> {
        let url = format!("{issuer}/.well-known/oauth-authorization-server");
        let response = http_client()?.get(url).send().await?.error_for_status()?;
        let metadata: Value = response.json().await?;
        let endpoint = metadata["introspection_endpoint"].as_str();
        let endpoint = endpoint.ok_or_else(|| anyhow::anyhow!("no introspection_endpoint"))?;
        Ok(Settings {
            issuer: issuer.to_owned(),
            resource: resource.to_owned(),
            introspection_endpoint: endpoint.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
        })
    }

    /// RFC 9728 §3.1: the well-known segment goes between host and path.
    fn metadata_url(&self) -> String {
        let url = url::Url::parse(&self.resource).expect("the resource is a URL");
        let origin = &url[..url::Position::BeforePath];
        format!(
            "{origin}/.well-known/oauth-protected-resource{}",
            url.path()
        )
    }
}

/// reqwest with rustls on aws-lc-rs and the Mozilla roots, for an https
/// issuer: this crate builds reqwest without a crypto provider or roots of
/// its own (see Cargo.toml), so the example brings both.
fn http_client() -> anyhow::Result<reqwest::Client> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .build()?)
}

struct Server {
    settings: Settings,
    http: reqwest::Client,
}

pub fn router(settings: Settings) -> anyhow::Result<Router> {
    let path = url::Url::parse(&settings.resource)?.path().to_owned();
    let http = http_client()?;
    let server = Arc::new(Server { settings, http });
    Ok(Router::new()
        .route(
            &format!("/.well-known/oauth-protected-resource{path}"),
            get(metadata),
        )
        .route(&path, get(call).post(call))
        .with_state(server))
}

/// RFC 9728 §2: who protects this resource and what it understands.
async fn metadata(State(server): State<Arc<Server>>) -> Json<Value> {
    Json(json!({
        "resource": server.settings.resource,
        "authorization_servers": [server.settings.issuer],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["profile"],
    }))
}

/// The protected endpoint (an MCP server would handle JSON-RPC here).
async fn call(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    // RFC 6750 §3.1: no token, a challenge without an error code.
    let Some(token) = token else {
        return challenge(&server.settings, None);
    };
    match introspect(&server, token).await {
        Ok(Some(info)) => Json(json!({
            "client_id": info["client_id"],
            "username": info["username"],
            "scope": info["scope"],
        }))
        .into_response(),
        Ok(None) => challenge(&server.settings, Some("invalid_token")),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// What the token is, if it is active and meant for this resource.
async fn introspect(server: &Server, token: &str) -> reqwest::Result<Option<Value>> {
    let Settings {
        client_id,
        client_secret,
        ..
    } = &server.settings;
    let info: Value = server
        .http
        .post(&server.settings.introspection_endpoint)
        .basic_auth(client_id, Some(client_secret))
        .form(&[("token", token)])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    // RFC 7662 §2.2: `aud` is one string or a list of them.
    let ours = |aud: &Value| aud.as_str() == Some(server.settings.resource.as_str());
    let for_us = match &info["aud"] {
        Value::Array(audiences) => audiences.iter().any(ours),
        aud => ours(aud),
    };
    Ok((info["active"] == true && for_us).then_some(info))
}

fn challenge(settings: &Settings, error: Option<&str>) -> Response {
    let mut value = format!("Bearer resource_metadata=\"{}\"", settings.metadata_url());
    if let Some(error) = error {
        value.push_str(&format!(", error=\"{error}\""));
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, value)],
    )
        .into_response()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let settings = Settings::discover(
        &var("PORTCULLIS_ISSUER", "http://127.0.0.1:9000"),
        &var("RESOURCE", "http://127.0.0.1:9100/mcp"),
        &std::env::var("CLIENT_ID")?,
        &std::env::var("CLIENT_SECRET")?,
    )
    .await?;
    let listener = tokio::net::TcpListener::bind(var("ADDR", "127.0.0.1:9100")).await?;
    println!(
        "protecting {} on {}",
        settings.resource,
        listener.local_addr()?
    );
    axum::serve(listener, router(settings)?).await?;
    Ok(())
}
