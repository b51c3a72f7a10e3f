//! Prometheus metrics, rendered at `GET /metrics`.
//!
//! Recorded through the `metrics` facade into a `metrics-exporter-prometheus` recorder that this
//! server owns rather than installs process-wide: an embedder's own recorder is left alone, and
//! servers sharing a process (the tests) count apart. The request counters and latency histograms
//! are recorded as requests finish; the database and outbox gauges are read when scraped, so they
//! are never older than the scrape.

use std::time::Duration;

use axum::http::Method;
use chrono::{DateTime, Utc};
use erp_core::events::OutboxBacklog;
use erp_core::store::PoolStatus;
use metrics::Unit;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Requests answered, by method, route template and status.
pub const REQUESTS: &str = "http_requests_total";
/// Time from the request's head to its answer, by method, route template and status.
pub const DURATION: &str = "http_request_duration_seconds";

/// Latency buckets, in seconds: from a cached read to the request timeout's neighbourhood.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The route label of a request that matched no route: raw paths would let any client create
/// label values without end.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// What the database and outbox looked like at scrape time; `None` where it could not be read.
pub struct Readings {
    /// The connection pool, if the backend has one.
    pub pool: Option<PoolStatus>,
    /// The outbox backlog, if the database answered in time.
    pub backlog: Option<OutboxBacklog>,
    /// When the readings were taken.
    pub now: DateTime<Utc>,
    /// Transactions erp-core ran again after a deadlock, lock timeout or (on Galera) a
    /// certification failure, since the server started ([`erp_core::Erp::retries`]).
    pub retries: u64,
}

/// The server's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// An empty set, with the metrics described.
    pub fn new() -> Metrics {
        // Only an empty bucket list is refused; without buckets the latency would be a summary.
        let builder = match PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_string()), LATENCY_BUCKETS)
        {
            Ok(builder) => builder,
            Err(_) => PrometheusBuilder::new(),
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            metrics::describe_counter!(REQUESTS, Unit::Count, "HTTP requests answered");
            metrics::describe_histogram!(DURATION, Unit::Seconds, "HTTP request latency");
            metrics::describe_gauge!(
                "erp_database_up",
                "1 when the database answered the last scrape's queries in time"
            );
            metrics::describe_gauge!("erp_db_pool_size", "Open database connections");
            metrics::describe_gauge!("erp_db_pool_idle", "Idle database connections");
            metrics::describe_gauge!("erp_db_pool_max", "Most database connections allowed");
            metrics::describe_gauge!(
                "erp_outbox_unpublished",
                "Events in the outbox not yet published to the stream"
            );
            metrics::describe_counter!(
                "erp_transaction_retries_total",
                Unit::Count,
                "Transactions run again after a deadlock, lock timeout or certification failure"
            );
            metrics::describe_gauge!(
                "erp_relay_lag_seconds",
                Unit::Seconds,
                "Age of the oldest unpublished event (0 when none waits)"
            );
        });
        Metrics { recorder, handle }
    }

    /// Counts and times one answered request.
    pub fn record_request(&self, method: &Method, route: &str, status: u16, took: Duration) {
        metrics::with_local_recorder(&self.recorder, || {
            let labels = [
                ("method", method_label(method).to_string()),
                ("route", route.to_string()),
                ("status", status.to_string()),
            ];
            metrics::counter!(REQUESTS, &labels).increment(1);
            metrics::histogram!(DURATION, &labels).record(took.as_secs_f64());
        });
    }

    /// The text exposition of every metric, with the gauges set from `readings`.
    pub fn render(&self, readings: &Readings) -> String {
        metrics::with_local_recorder(&self.recorder, || {
            if let Some(pool) = readings.pool {
                metrics::gauge!("erp_db_pool_size").set(f64::from(pool.size));
                metrics::gauge!("erp_db_pool_idle").set(f64::from(pool.idle));
                metrics::gauge!("erp_db_pool_max").set(f64::from(pool.max));
            }
            metrics::counter!("erp_transaction_retries_total").absolute(readings.retries);
            let up = readings.backlog.is_some();
            metrics::gauge!("erp_database_up").set(if up { 1.0 } else { 0.0 });
            // Without an answer the backlog gauges keep their last values; `erp_database_up`
            // says they are stale.
            if let Some(backlog) = &readings.backlog {
                metrics::gauge!("erp_outbox_unpublished").set(backlog.unpublished as f64);
                let lag = backlog.oldest.map_or(0.0, |oldest| {
                    (readings.now - oldest)
                        .to_std()
                        .map_or(0.0, |age| age.as_secs_f64())
                });
                metrics::gauge!("erp_relay_lag_seconds").set(lag);
            }
        });
        self.handle.render()
    }

    /// Folds recorded latencies into their histograms; without it (or a scrape) samples pile up.
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }
}

/// The method as a label: the standard ones by name, anything else as `other`, so that made-up
/// methods cannot create label values without end.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
