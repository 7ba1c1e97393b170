//! What every request leaves behind, on both listeners: a request id (the
//! trusted proxy's `X-Request-Id`, or a new one), returned in the answer
//! and carried by every log line of the request; one access log line with
//! the route, status and latency; and the request metric. Never the raw
//! path or query: they can carry codes, tokens and state (RFC 6749 §10.3).

use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::{FromFnLayer, Next};
use axum::response::Response;
use futures::future::BoxFuture;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Which listener a request came in on, for the metric's label.
#[derive(Clone)]
pub struct Observed {
    state: AppState,
    listener: &'static str,
}

type Middleware = fn(State<Observed>, Request, Next) -> BoxFuture<'static, Response>;

/// The middleware for the router of `listener`; its outermost layer, so
/// that the latency covers every other layer.
pub fn layer(
    state: AppState,
    listener: &'static str,
) -> FromFnLayer<Middleware, Observed, (State<Observed>, Request)> {
    let middleware: Middleware =
        |observed, request, next| Box::pin(observe(observed, request, next));
    axum::middleware::from_fn_with_state(Observed { state, listener }, middleware)
}

async fn observe(State(observed): State<Observed>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let method = method_label(request.method());
    let id = request_id(&observed.state, &request);
    let span =
        tracing::info_span!("request", request_id = %id.to_str().unwrap_or(""), method, route);
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    observed.state.provider.metrics.request(
        observed.listener,
        route,
        method,
        status,
        elapsed.as_secs_f64(),
    );
    span.in_scope(|| {
        tracing::info!(
            target: "portcullis::access",
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "answered"
        )
    });
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// A method as a label: the standard ones, and "other" for any invented
/// method (a client may send anything; labels stay a bounded set).
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [&Method; 7] = [
        &Method::GET,
        &Method::POST,
        &Method::PUT,
        &Method::PATCH,
        &Method::DELETE,
        &Method::HEAD,
        &Method::OPTIONS,
    ];
    KNOWN
        .iter()
        .find(|known| **known == method)
        .map_or("other", |known| known.as_str())
}

/// The id a trusted proxy gave the request (`--trust-forwarded-for`, the
/// same trust as its X-Forwarded-For), if it is short and plain; otherwise
/// a new random one (128 bits).
fn request_id(state: &AppState, request: &Request) -> HeaderValue {
    let forwarded = state
        .config
        .trust_forwarded_for
        .then(|| request.headers().get(&REQUEST_ID))
        .flatten()
        .filter(|id| {
            (1..=128).contains(&id.len())
                && id
                    .as_bytes()
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
        });
    match forwarded {
        Some(id) => id.clone(),
        None => HeaderValue::from_str(&format!("{:032x}", rand::random::<u128>()))
            .unwrap_or(HeaderValue::from_static("unknown")),
    }
}
