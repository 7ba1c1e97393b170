//! A caller of the admin API, with a key of its own.

use super::TestServer;
use reqwest::Method;
use serde_json::Value;
use std::time::{Duration, Instant};

/// An admin API caller with a key.
pub struct Admin<'a> {
    pub server: &'a TestServer,
    pub key: String,
}

impl<'a> Admin<'a> {
    pub async fn new(server: &'a TestServer) -> Admin<'a> {
        let key = server.admin_key("tests").await;
        Admin { server, key }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self
            .server
            .http
            .request(method, self.server.admin_url(path))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("an answer")
    }

    /// A request that must answer `status`; its JSON body, if any.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let response = self.send(method, path, body).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        response.json().await.unwrap_or(Value::Null)
    }

    /// The audit events of `kind`, waiting for the recorder (events are
    /// written asynchronously) until there are `at_least`.
    pub async fn events(&self, kind: &str, at_least: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let page = self
                .expect(Method::GET, &format!("/admin/audit?kind={kind}"), None, 200)
                .await;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            if items.len() >= at_least || Instant::now() > deadline {
                assert!(items.len() >= at_least, "{kind}: {items:?}");
                return items;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
