//! Assembling and running the server.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderName;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use erp_core::Erp;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::ServeArgs;
use crate::error::ApiError;
use crate::jwt::JwtKeys;
use crate::metrics::Metrics;
use crate::openapi::ApiDoc;
use crate::rate_limit::RateLimiter;
use crate::redis_link::RedisLink;
use crate::routes;
use crate::serve::{ConnectionLimits, serve_connections};
use crate::state::AppState;

/// The header carrying each request's id (set if the client did not send one, echoed back).
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// The state for `args` over `erp`.
pub fn state(args: &ServeArgs, erp: Erp) -> anyhow::Result<AppState> {
    let redis = match &args.redis_url {
        Some(url) => Some(Arc::new(RedisLink::new(url.expose())?)),
        None => None,
    };
    let erp = erp
        .with_login_policy(args.login_policy())
        .with_hashing_limits(args.hashing_limits());
    Ok(AppState {
        erp,
        jwt: JwtKeys::from_config(args)?,
        limiter: Arc::new(RateLimiter::new(redis.clone(), &args.redis_prefix)),
        redis,
        config: Arc::new(args.clone()),
        metrics: Arc::new(Metrics::new()),
    })
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let api = routes::api().route_layer(middleware::from_fn_with_state(
        state.clone(),
        crate::limits::rate_limit,
    ));
    let request_id = HeaderName::from_static(REQUEST_ID);
    let mut router = Router::new()
        .route("/health", get(routes::health::alive))
        .route("/health/ready", get(routes::health::ready));
    if state.config.metrics {
        router = router.route("/metrics", get(routes::metrics::scrape));
    }
    router
        .merge(SwaggerUi::new("/docs").url("/api/schema", ApiDoc::openapi()))
        .nest("/api/v1", api)
        .fallback(routes::no_route)
        .method_not_allowed_fallback(routes::wrong_method)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::serve::request_timeout,
        ))
        .layer(middleware::from_fn(crate::serve::close_if_body_unread))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            ApiError::from(erp_core::Error::Internal {
                message: "handler panicked".into(),
            })
            .into_response()
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        // Outside everything that can answer (handlers, refusals, the timeout, a caught panic),
        // inside the request id: one log line and one metrics sample per request.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::request_log::observe,
        ))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// A server running in the background (tests, embedding).
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    relay: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes requests in flight (closing connections still open after the
    /// shutdown deadline), stops the relay: it finishes its pass and gives its lease up, or is
    /// left behind after a few seconds (a pass stuck on a dead database must not hold the exit).
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        let served = self.task.await?;
        if let Some(relay) = self.relay {
            let _ = tokio::time::timeout(RELAY_STOP, relay).await;
        }
        served
    }
}

/// How long stopping waits for the relay's last pass and lease release.
const RELAY_STOP: std::time::Duration = std::time::Duration::from_secs(3);

/// Binds, starts the relay (with Redis) and serves in a background task.
pub async fn spawn(args: ServeArgs, erp: Erp) -> anyhow::Result<RunningServer> {
    let state = state(&args, erp.clone())?;
    let listener = TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    let (shutdown, stop) = watch::channel(false);
    let relay = state.redis.clone().map(|redis| {
        tokio::spawn(crate::relay::run(
            erp,
            redis,
            args.relay_settings(),
            stop.clone(),
        ))
    });
    tokio::spawn(metrics_upkeep(state.metrics.clone(), stop.clone()));
    tokio::spawn(forget_login_failures(state.erp.clone(), stop.clone()));
    let limits = ConnectionLimits {
        header_read: args.header_read_timeout(),
        shutdown_deadline: args.shutdown_deadline(),
    };
    let task = tokio::spawn(serve_connections(listener, router(state), stop, limits));
    Ok(RunningServer {
        addr,
        shutdown,
        task,
        relay,
    })
}

/// Folds recorded latencies into their histograms every few seconds, so that samples do not pile
/// up between scrapes (or forever, when nothing scrapes).
async fn metrics_upkeep(metrics: Arc<Metrics>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => metrics.run_upkeep(),
            _ = stop.changed() => return,
        }
    }
}

/// Deletes failed-login counters that no longer count, once a minute: a guesser trying many
/// names from many addresses would otherwise grow the table without end. Every server does it;
/// the deletes go by primary key and skip counters a login has just updated, so they never
/// compete with logins for more than a row.
async fn forget_login_failures(erp: Erp, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            _ = stop.changed() => return,
        }
        match erp
            .delete_forgotten_login_failures(&erp_core::Actor::system(), 1_000, 20)
            .await
        {
            Ok(0) => {}
            Ok(deleted) => tracing::debug!(deleted, "deleted forgotten failed-login counters"),
            Err(error) => tracing::warn!(%error, "deleting forgotten failed-login counters failed"),
        }
    }
}

/// Serves until SIGTERM or Ctrl-C, then shuts down gracefully.
pub async fn serve(args: ServeArgs, erp: Erp) -> anyhow::Result<()> {
    let server = spawn(args, erp).await?;
    tracing::info!(addr = %server.addr, "listening");
    // A line on stdout too, for scripts and tests that start the binary on port 0.
    println!("erp-server listening on {}", server.url());
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.stop().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
