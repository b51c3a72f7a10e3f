//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Liveness.
#[derive(Serialize, ToSchema)]
pub struct Alive {
    /// Always "ok".
    pub status: &'static str,
}

/// Readiness of each dependency.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    /// "ok" when the process can serve and the database answers.
    pub status: &'static str,
    /// "ok" or "unavailable".
    pub database: &'static str,
    /// "ok", "unavailable" (serving on fallbacks) or "disabled" (not configured).
    pub redis: &'static str,
}

/// The process is alive.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Alive)))]
pub async fn alive() -> Json<Alive> {
    Json(Alive { status: "ok" })
}

/// How long the readiness probe waits for the database or Redis: a probe that gets no answer
/// within this counts the dependency as unavailable, so load balancers (which give up after a
/// second or two) always get an answer.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(900);

/// The database and Redis status. 503 when the database does not answer; Redis being down only
/// degrades (rate limits per process, events wait in the outbox). Answers within a second.
#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, body = Ready), (status = 503, body = Ready)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let database = async {
        matches!(
            tokio::time::timeout(READY_TIMEOUT, state.erp.ping()).await,
            Ok(Ok(()))
        )
    };
    let redis = async {
        match &state.redis {
            None => "disabled",
            Some(link) => match tokio::time::timeout(READY_TIMEOUT, link.ping()).await {
                Ok(true) => "ok",
                _ => "unavailable",
            },
        }
    };
    let (database, redis) = tokio::join!(database, redis);
    let status = if database {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Ready {
            status: if database { "ok" } else { "unavailable" },
            database: if database { "ok" } else { "unavailable" },
            redis,
        }),
    )
}
