//! A test-only https server on 127.0.0.1 with a certificate from a test
//! certificate authority. It writes raw HTTP/1.1 so that tests can send
//! what a well-behaved server would not (a lying Content-Length, an endless
//! body), and it counts connections and requests so that tests can show
//! what never reached it.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// What the server sends for a path.
#[derive(Clone)]
pub enum Reply {
    /// These bytes, head and body, as they are.
    Raw(Vec<u8>),
    /// A 200 JSON answer whose chunked body never ends.
    Endless,
    /// Another reply, after a pause.
    Slow(Duration, Box<Reply>),
}

/// An answer with a status line, headers and a body; Content-Length is
/// added unless the headers already frame the body.
pub fn answer(status: &str, headers: &[&str], body: &[u8]) -> Reply {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    let framed = headers.iter().any(|h| {
        let h = h.to_ascii_lowercase();
        h.starts_with("content-length") || h.starts_with("transfer-encoding")
    });
    if !framed {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    Reply::Raw(bytes)
}

/// A 200 answer with a JSON body and extra headers.
pub fn json(body: &serde_json::Value, headers: &[&str]) -> Reply {
    let mut all = vec!["Content-Type: application/json"];
    all.extend_from_slice(headers);
    answer("200 OK", &all, body.to_string().as_bytes())
}

/// `body` in chunks of 1 KiB (RFC 9112 §7.1).
pub fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(1024) {
        out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[derive(Default)]
pub struct Counters {
    pub connections: AtomicUsize,
    pub requests: Mutex<Vec<String>>,
    /// Bytes of endless bodies written before the reader hung up.
    pub endless_bytes: AtomicUsize,
}

pub struct TestServer {
    pub addr: SocketAddr,
    /// The test certificate authority, to trust in the fetcher.
    pub ca_pem: String,
    pub counters: Arc<Counters>,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let (ca_pem, acceptor) = tls();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = TestServer {
            addr: listener.local_addr().unwrap(),
            ca_pem,
            counters: Arc::default(),
            routes: Arc::default(),
        };
        let (counters, routes) = (server.counters.clone(), server.routes.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                counters.connections.fetch_add(1, Ordering::SeqCst);
                let (acceptor, counters, routes) =
                    (acceptor.clone(), counters.clone(), routes.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        serve(tls, &counters, &routes).await;
                    }
                });
            }
        });
        server
    }

    /// `https://127.0.0.1:PORT{path}`: a client_id served here.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_owned(), reply);
    }

    pub fn requests(&self, path: &str) -> usize {
        let requests = self.counters.requests.lock().unwrap();
        requests.iter().filter(|p| *p == path).count()
    }

    pub fn connections(&self) -> usize {
        self.counters.connections.load(Ordering::SeqCst)
    }
}

fn tls() -> (String, TlsAcceptor) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let leaf =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_der: CertificateDer<'static> =
        leaf.signed_by(&leaf_key, &issuer).unwrap().der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf_der], key)
        .unwrap();
    (ca_pem, TlsAcceptor::from(Arc::new(config)))
}

async fn serve<S>(mut stream: S, counters: &Counters, routes: &Mutex<HashMap<String, Reply>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
    counters.requests.lock().unwrap().push(path.clone());
    let reply = routes.lock().unwrap().get(&path).cloned();
    let mut reply = reply.unwrap_or_else(|| answer("404 Not Found", &[], b""));
    while let Reply::Slow(pause, inner) = reply {
        tokio::time::sleep(pause).await;
        reply = *inner;
    }
    match reply {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
        }
        Reply::Endless => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                        Transfer-Encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = chunked(&[b' '; 1024]);
            let chunk = &chunk[..chunk.len() - 5]; // without the last-chunk
                                                   // Bounded: 64 MiB at most, in case nobody hangs up.
            for _ in 0..64 * 1024 {
                if stream.write_all(chunk).await.is_err() || stream.flush().await.is_err() {
                    return;
                }
                counters.endless_bytes.fetch_add(1024, Ordering::SeqCst);
            }
        }
        Reply::Slow(..) => unreachable!("unwrapped above"),
    }
    let _ = stream.shutdown().await;
}
