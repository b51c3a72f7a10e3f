//! `GET /metrics`: the Prometheus text exposition.
//!
//! Unauthenticated, as scrapers expect, and outside the rate limits; it shows counts and
//! latencies per route template, pool and outbox figures, and no data of the shop. Where that is
//! too much, turn it off with `ERP_METRICS=false` or keep `/metrics` off the public side of the
//! proxy.

use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use erp_core::Actor;

use crate::metrics::Readings;
use crate::state::AppState;

/// How long a scrape waits for the outbox figures: scrapers time out after a few seconds, and a
/// database that does not answer shows as `erp_database_up 0` rather than a hung scrape.
const DATABASE_TIMEOUT: Duration = Duration::from_millis(900);

/// Request counts and latency histograms by route template and status, the database pool, the
/// outbox backlog and the relay's lag, in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "health", responses(
    (status = 200, description = "Prometheus text exposition format 0.0.4",
     content_type = "text/plain", body = String)))]
pub async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    let backlog =
        tokio::time::timeout(DATABASE_TIMEOUT, state.erp.outbox_backlog(&Actor::system()))
            .await
            .ok()
            .and_then(Result::ok);
    let readings = Readings {
        pool: state.erp.pool_status(),
        backlog,
        now: chrono::Utc::now(),
        retries: state.erp.retries(),
    };
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(&readings),
    )
}
