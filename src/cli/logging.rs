//! Where log lines go and how they look: `--log-format text` for people,
//! `json` (one object per line, with the request's span: its id, method
//! and route) for log collectors. Both write to standard error.

use crate::config::LogFormat;
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

/// Installs the process's logger: `RUST_LOG` filters (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::registry()
        .with(layer(format, std::io::stderr))
        .with(filter)
        .try_init();
}
