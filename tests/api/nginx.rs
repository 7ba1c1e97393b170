//! The README's production set-up, run for real: deploy/nginx.conf in front
//! of two nodes on one PostgreSQL database, nginx from Debian's packages
//! started by the test on loopback.

use crate::common::process::{free_port, Node};
use crate::common::*;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set (by .ci/run) to make the nginx test mandatory.
const REQUIRE_NGINX_ENV: &str = "PORTCULLIS_REQUIRE_NGINX";

fn nginx_binary() -> Option<&'static str> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

/// nginx running the repository's config with the given nodes; stopped on drop.
struct Nginx {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    base: String,
}

impl Nginx {
    async fn start(binary: &str, nodes: [&Node; 2]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        let site =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf"))
                .unwrap()
                .replace(
                    "127.0.0.1:9001",
                    nodes[0].base.trim_start_matches("http://"),
                )
                .replace(
                    "127.0.0.1:9002",
                    nodes[1].base.trim_start_matches("http://"),
                )
                .replace("127.0.0.1:8080", &listen);
        let prefix = dir.path().display().to_string();
        let config = format!(
            "daemon off;\nmaster_process off;\nerror_log {prefix}/error.log;\npid {prefix}/nginx.pid;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n\
               fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n  scgi_temp_path {prefix}/scgi;\n\
             {site}\n}}\n"
        );
        let config_path = dir.path().join("nginx.conf");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(binary)
            .args(["-p", &prefix, "-c"])
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Nginx {
            child,
            _dir: dir,
            base: format!("http://{listen}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::get(format!("{}/healthz", nginx.base)).await {
                if r.status() == 200 {
                    return nginx;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = nginx.child.kill();
        let _ = nginx.child.wait();
        panic!("nginx did not start; see its error.log");
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn two_nodes_behind_nginx_share_one_database(backend: Backend) {
    let Some(binary) = nginx_binary() else {
        assert!(
            std::env::var(REQUIRE_NGINX_ENV).is_err(),
            "{REQUIRE_NGINX_ENV} is set but nginx is not installed"
        );
        eprintln!("NOTICE: nginx test skipped: nginx is not installed");
        return;
    };
    let database = backend.fresh_database().await;
    let trust = ["--trust-forwarded-for"];
    let first = Node::start(&database.url, &trust).await;
    let mut second = Node::start(&database.url, &trust).await;
    let nginx = Nginx::start(binary, [&first, &second]).await;
    let http = reqwest::Client::new();
    let call = |path: &str, form: Vec<(&'static str, String)>| {
        http.post(format!("{}{path}", nginx.base))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&form)
            .send()
    };
    // Round robin: consecutive requests land on both nodes, and each sees
    // what the other wrote.
    let mut tokens = Vec::new();
    for _ in 0..4 {
        let body: Value = call(
            "/oauth/token",
            vec![("grant_type", "client_credentials".into())],
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        tokens.push(str_field(&body, "access_token").to_owned());
    }
    for token in &tokens {
        let info: Value = call("/oauth/introspect", vec![("token", token.clone())])
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["active"], true);
    }
    call("/oauth/revoke", vec![("token", tokens[0].clone())])
        .await
        .unwrap();
    for _ in 0..2 {
        let info: Value = call("/oauth/introspect", vec![("token", tokens[0].clone())])
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["active"], false);
    }
    // One node goes down: nginx sends everything to the other.
    second.kill();
    for _ in 0..4 {
        let response = call(
            "/oauth/token",
            vec![("grant_type", "client_credentials".into())],
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 200);
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_nodes_behind_nginx_share_one_database() {
        if let Some(backend) = crate::common::Backend::postgres() {
            super::two_nodes_behind_nginx_share_one_database(backend).await
        }
    }
}
