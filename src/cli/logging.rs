//! Where log lines go and how they look: `--log-format text` for people,
//! `json` (one object per line, with the request's span: its id, method
//! and route) for log collectors. Both write to standard error, from a
//! thread of their own: a request formats its line and queues it, and
//! never waits for a write(2) (the access log is a line per request, and
//! writing each from the request cost a quarter of a SQLite node's
//! throughput, docs/performance.md).

use crate::config::LogFormat;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// The formatting layer of `format`, writing to `writer`; the server's and
/// the tests' (tests/secrets_not_logged.rs) are the same.
pub fn layer<W>(format: LogFormat, writer: W) -> Box<dyn Layer<Registry> + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let text = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false);
    match format {
        LogFormat::Text => Box::new(text),
        LogFormat::Json => Box::new(text.json().flatten_event(true)),
    }
}

/// Installs the process's logger: `RUST_LOG` filters (default `info`),
/// and `access_log` says whether each request gets its line. Lines queued
/// when the returned guard is dropped are written then, so it must live as
/// long as the process logs.
pub fn init(format: LogFormat, access_log: bool) -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let access = if access_log { "info" } else { "off" };
    let filter = filter.add_directive(
        format!("portcullis::access={access}")
            .parse()
            .expect("a valid directive"),
    );
    // Not lossy: when the queue is full a request waits for the writer
    // rather than a line being dropped. The queue's slots are allocated up
    // front: the default 128,000 lines took 4 MiB of resident memory;
    // 4,096 lines still absorb any burst the writer cannot follow at once.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(4096)
        .lossy(false)
        .finish(std::io::stderr());
    let _ = tracing_subscriber::registry()
        .with(layer(format, writer))
        .with(filter)
        .try_init();
    guard
}
