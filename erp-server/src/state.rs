//! The state every handler shares.

use std::sync::Arc;

use erp_core::Erp;

use crate::config::ServeArgs;
use crate::jwt::JwtKeys;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::redis_link::RedisLink;

/// Everything a request may need: the ERP, the token keys, the limiter, Redis and the settings.
#[derive(Clone)]
pub struct AppState {
    /// The business.
    pub erp: Erp,
    /// Access token keys.
    pub jwt: JwtKeys,
    /// Rate limits and failed-login counts.
    pub limiter: Arc<RateLimiter>,
    /// Redis, when configured.
    pub redis: Option<Arc<RedisLink>>,
    /// The serve settings.
    pub config: Arc<ServeArgs>,
    /// Request counts and latencies, rendered at `/metrics`.
    pub metrics: Arc<Metrics>,
}
