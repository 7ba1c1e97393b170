//! Real `portcullis serve` processes, for tests that need several nodes,
//! a kill -9, or a proxy in front.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The binary with a database URL and no stray configuration.
pub fn portcullis(database_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command
        .args(["--database-url", database_url])
        .args(args)
        .env_remove("PORTCULLIS_CONFIG")
        .env("PORTCULLIS_KEY_ENCRYPTION_KEY", super::TEST_KEK)
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// A server process; killed (SIGKILL) when dropped.
pub struct Node {
    pub child: Child,
    pub base: String,
    /// Its admin listener, on a free port of its own.
    pub admin_base: String,
}

impl Node {
    /// Starts `serve --demo` on a free port and waits until it answers.
    pub async fn start(database_url: &str, extra: &[&str]) -> Node {
        Self::start_on_port(database_url, free_port(), extra).await
    }

    pub async fn start_on_port(database_url: &str, port: u16, extra: &[&str]) -> Node {
        let addr = format!("127.0.0.1:{port}");
        let admin_addr = format!("127.0.0.1:{}", free_port());
        let mut args = vec![
            "serve",
            "--demo",
            "--addr",
            &addr,
            "--admin-addr",
            &admin_addr,
        ];
        args.extend_from_slice(extra);
        let child = portcullis(database_url, &args)
            .stdout(Stdio::null())
            .spawn()
            .expect("the server starts");
        let node = Node {
            child,
            base: format!("http://{addr}"),
            admin_base: format!("http://{admin_addr}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{}/healthz", node.base)).send().await {
                if r.status() == 200 {
                    return node;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the server at {addr} did not become ready");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("{}{}", self.admin_base, path)
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}
