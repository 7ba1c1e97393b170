//! A lost database connection gives 503 for that request and recovers by
//! itself, without a restart (SPEC §7).

use crate::common::*;
use futures::future::join_all;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Asserts that every answer is a success or a 503, the one 5xx that tells
/// the client to try again.
async fn only_ok_or_503(server: &TestServer, requests: usize) -> Vec<StatusCode> {
    let form = [("grant_type", "client_credentials")];
    let responses = join_all((0..requests).map(|_| server.token(&form))).await;
    let statuses: Vec<StatusCode> = responses.iter().map(|r| r.status()).collect();
    for status in &statuses {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::SERVICE_UNAVAILABLE,
            "{statuses:?}"
        );
    }
    statuses
}

async fn recovers_within(server: &TestServer, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if only_ok_or_503(server, 1).await == [StatusCode::OK] {
            return;
        }
        assert!(Instant::now() < deadline, "no recovery within {limit:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// The database server ends every session of the node (a restart, a failover,
// an administrator), one of them in the middle of a request: that request
// answers 503, and the pool replaces the lost connections by itself.
async fn terminated_connections_answer_503_then_are_replaced(backend: Backend) {
    let server = TestServer::start(backend).await;
    server.client_credentials_token().await;
    let url = url::Url::parse(server.database_url()).expect("database URL");
    let database = url.path().trim_start_matches('/').to_owned();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(server.database_url())
        .await
        .expect("an administrator connection");
    // Hold issuance up so that a request is inside the database when its
    // session ends.
    sqlx::query("BEGIN").execute(&mut admin).await.unwrap();
    sqlx::query("LOCK TABLE grants IN EXCLUSIVE MODE")
        .execute(&mut admin)
        .await
        .unwrap();
    let form = [("grant_type", "client_credentials")];
    let (held, terminated) = tokio::join!(server.token(&form), async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = $1 AND wait_event_type = 'Lock'",
            )
            .bind(&database)
            .fetch_one(&mut admin)
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the request never reached the lock"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let terminated: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&database)
        .fetch_all(&mut admin)
        .await
        .expect("terminate the node's sessions");
        sqlx::query("ROLLBACK").execute(&mut admin).await.unwrap();
        terminated
    });
    assert!(!terminated.is_empty(), "the node had open sessions");
    assert_eq!(held.status(), StatusCode::SERVICE_UNAVAILABLE);
    only_ok_or_503(&server, 8).await;
    recovers_within(&server, Duration::from_secs(5)).await;
}

/// A TCP relay to PostgreSQL that the test can cut like a network
/// partition: while cut, nothing gets through in either direction, on open
/// connections and new ones alike, and nothing is refused or reset either.
struct Relay {
    port: u16,
    cut: watch::Sender<bool>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (cut, watching) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut watching = watching.clone();
                let target = target.clone();
                tokio::spawn(async move {
                    let partitioned = *watching.borrow();
                    if !partitioned {
                        let Ok(mut outbound) = TcpStream::connect(target).await else {
                            return;
                        };
                        tokio::select! {
                            _ = copy_bidirectional(&mut inbound, &mut outbound) => return,
                            _ = watching.wait_for(|cut| *cut) => {}
                        }
                    }
                    // Silence, with the sockets held open, until the network
                    // is back; by then the other side has given up on them.
                    let _ = watching.wait_for(|cut| !*cut).await;
                });
            }
        });
        Relay { port, cut }
    }

    fn set_cut(&self, cut: bool) {
        self.cut.send_replace(cut);
    }
}

// The network to the database is lost: requests answer 503 once the pool's
// acquire timeout has passed (not after a hang), and succeed again once the
// network is back.
async fn lost_database_answers_503_then_recovers(backend: Backend) {
    let mut database = backend.fresh_database().await;
    let mut url = url::Url::parse(&database.url).expect("database URL");
    let target = format!(
        "{}:{}",
        url.host_str().expect("a host"),
        url.port().unwrap_or(5432)
    );
    let relay = Relay::start(target).await;
    url.set_port(Some(relay.port)).expect("a port");
    database.url = url.to_string();
    let server = TestServer::start_on(database, |_| {}).await;
    server.client_credentials_token().await;

    relay.set_cut(true);
    let started = Instant::now();
    let statuses = only_ok_or_503(&server, 4).await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::SERVICE_UNAVAILABLE),
        "{statuses:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "answered late");

    relay.set_cut(false);
    recovers_within(&server, Duration::from_secs(10)).await;
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn terminated_connections_answer_503_then_are_replaced() {
        if let Some(backend) = crate::common::Backend::postgres() {
            super::terminated_connections_answer_503_then_are_replaced(backend).await
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lost_database_answers_503_then_recovers() {
        if let Some(backend) = crate::common::Backend::postgres() {
            super::lost_database_answers_503_then_recovers(backend).await
        }
    }
}
