//! Slow clients (slowloris) are cut off by the header and request timeouts.

use crate::common::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn short_timeouts(config: &mut portcullis::config::Config) {
    config.header_timeout = 1;
    config.request_timeout = 1;
}

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the server answers or closes; returns what it sent.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> String {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
            Err(_) => panic!("the server kept a slow client for more than {limit:?}"),
        }
    }
    String::from_utf8_lossy(&answer).to_string()
}

async fn headers_sent_too_slowly_are_cut_off(backend: Backend) {
    let server = TestServer::start_with(backend, short_timeouts).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

async fn body_sent_too_slowly_is_answered_408(backend: Backend) {
    let server = TestServer::start_with(backend, short_timeouts).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(
            b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // And the server goes on serving everyone else.
    let response = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

backend_tests! {
    headers_sent_too_slowly_are_cut_off,
    body_sent_too_slowly_is_answered_408,
}
