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

/// The database and Redis status. 503 when the database does not answer; Redis being down only
/// degrades (rate limits per process, events wait in the outbox).
#[utoipa::path(get, path = "/health/ready", tag = "health", responses(
    (status = 200, body = Ready), (status = 503, body = Ready)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Ready>) {
    let database = state.erp.ping().await.is_ok();
    let redis = match &state.redis {
        None => "disabled",
        Some(link) if link.ping().await => "ok",
        Some(_) => "unavailable",
    };
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
