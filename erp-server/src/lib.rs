//! erp-server: the REST API over erp-core.
//!
//! A thin layer: extractors parse and authenticate, handlers call [`erp_core::Erp`], and
//! [`error::ApiError`] maps erp-core's error codes to HTTP statuses in one place. Rate limits and
//! the event stream use Redis when it is there and degrade gracefully when it is not.

pub mod app;
pub mod config;
pub mod dto;
pub mod error;
pub mod extract;
pub mod forwarded;
pub mod jwt;
pub mod limits;
pub mod log_throttle;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod redis_link;
pub mod relay;
pub mod request_log;
pub mod routes;
pub mod serve;
pub mod state;
