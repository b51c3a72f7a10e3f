//! The rate-limit middleware: per client IP on every API request, and per user when the request
//! carries a valid access token. Answers carry `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset` (seconds) of the tighter budget; a refused request gets 429 `rate_limited`
//! with `Retry-After`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::bearer;
use crate::forwarded::client_ip;
use crate::rate_limit::Decision;
use crate::state::AppState;

pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let ip = client_ip(
        request.headers(),
        peer,
        state.config.trusted_proxies.as_ref(),
    );
    let mut decisions = Vec::with_capacity(2);
    if state.config.ip_per_minute > 0 {
        decisions.push(
            state
                .limiter
                .check(&format!("ip:{ip}"), state.config.ip_per_minute)
                .await,
        );
    }
    if state.config.user_per_minute > 0
        && let Some(claims) = bearer(request.headers()).and_then(|t| state.jwt.verify(t))
    {
        decisions.push(
            state
                .limiter
                .check(
                    &format!("user:{}", claims.sub),
                    state.config.user_per_minute,
                )
                .await,
        );
    }
    if let Some(refused) = decisions.iter().find(|d| !d.allowed) {
        let seconds = refused.retry_after_ms.div_ceil(1000).max(1);
        let mut response = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests; try again in {seconds} s"),
        )
        .retry_after(seconds)
        .into_response();
        add_headers(response.headers_mut(), refused);
        return response;
    }
    let mut response = next.run(request).await;
    if let Some(tightest) = decisions.iter().min_by_key(|d| d.remaining) {
        add_headers(response.headers_mut(), tightest);
    }
    response
}

fn add_headers(headers: &mut HeaderMap, decision: &Decision) {
    let reset = decision.reset_ms.div_ceil(1000);
    for (name, value) in [
        ("ratelimit-limit", u64::from(decision.limit)),
        ("ratelimit-remaining", u64::from(decision.remaining)),
        ("ratelimit-reset", reset),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            headers.insert(name, value);
        }
    }
}
