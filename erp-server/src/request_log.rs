//! One log line and one metrics sample per request.
//!
//! The line says what was asked and how it went, and nothing a client sent as content: the method,
//! the route template (`/api/v1/orders/{id}`, never the raw path or its query string, which may
//! carry names or tokens), the status, the latency in milliseconds and the request id, at INFO so
//! the default log level shows it. Bodies and headers other than the request id are never read
//! here. Handlers' own log lines carry the same method, route and request id through the span.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::app::REQUEST_ID;
use crate::metrics::UNMATCHED_ROUTE;
use crate::state::AppState;

/// Logs and counts each request once it is answered, whatever answered it (a handler, a
/// refusal, the timeout, a caught panic).
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_string();
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let span = tracing::info_span!("request", %method, %route, %request_id);
    let response = next.run(request).instrument(span).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.record_request(&method, &route, status, took);
    // Whole microseconds, shown as milliseconds with three decimals.
    let latency_ms = u64::try_from(took.as_micros()).unwrap_or(u64::MAX) as f64 / 1000.0;
    tracing::info!(%method, %route, status, latency_ms, %request_id, "request");
    response
}
