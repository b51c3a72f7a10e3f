//! The router: one module per resource, assembled here.

pub mod auth;
pub mod customers;
pub mod health;
pub mod metrics;
pub mod orders;
pub mod parked;
pub mod products;
pub mod receipts;
pub mod shop;
pub mod tills;
pub mod users;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::{get, patch, post, put};
use erp_core::domain::{FieldResult, PageRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The header that makes creating an order, changing stock or an order's status safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The `Idempotency-Key` header's text, if the request has one. Sent twice it is refused: which
/// of the two keys the request is to be made once under is not for the server to guess.
pub fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<&str>> {
    if headers.get_all(IDEMPOTENCY_KEY).iter().nth(1).is_some() {
        return Err(erp_core::Error::validation(
            "idempotency_key",
            "must be sent once, not repeated",
        )
        .into());
    }
    headers
        .get(IDEMPOTENCY_KEY)
        .map(|value| {
            value.to_str().map_err(|_| {
                erp_core::Error::validation("idempotency_key", "must be visible ASCII").into()
            })
        })
        .transpose()
}

/// The `Idempotency-Key` of a command that cannot go without one; `detail` tells the client
/// what a retry without a key could do.
pub fn required_idempotency_key<'h>(
    headers: &'h HeaderMap,
    detail: &'static str,
) -> Result<&'h str, ApiError> {
    idempotency_key(headers)?
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "missing_idempotency_key", detail))
}

/// Marks a response as the replay of an earlier request with the same key.
pub fn mark_replayed(headers: &mut HeaderMap) {
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
}

/// 201 for something new, or 200 with `Idempotent-Replayed` for the replay of an earlier request.
pub fn created_or_replayed(replayed: bool, headers: &mut HeaderMap) -> StatusCode {
    if replayed {
        mark_replayed(headers);
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

/// Pagination parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// The page window from query parameters.
pub fn page_request(offset: Option<u64>, limit: Option<u32>) -> Result<PageRequest, ApiError> {
    Ok(PageRequest::new(
        offset.unwrap_or(0),
        limit.unwrap_or(PageRequest::DEFAULT_LIMIT),
    )
    .field("limit")?)
}

/// A `Location` header.
pub fn location(path: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(path) {
        headers.insert(header::LOCATION, value);
    }
    headers
}

/// `/api/v1`: every resource.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/jwt/login", post(auth::login))
        .route("/auth/jwt/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/customers", post(customers::create).get(customers::list))
        .route(
            "/customers/{id}",
            get(customers::get)
                .patch(customers::update)
                .delete(customers::delete),
        )
        .route("/products", post(products::create).get(products::list))
        .route(
            "/products/{id}",
            get(products::get)
                .patch(products::update)
                .delete(products::deactivate),
        )
        .route("/products/{id}/stock", patch(products::adjust_stock))
        .route("/products/{id}/movements", get(products::movements))
        .route("/orders", post(orders::create).get(orders::list))
        .route("/orders/{id}", get(orders::get).delete(orders::cancel))
        .route("/orders/{id}/status", patch(orders::change_status))
        .route("/orders/{id}/history", get(orders::history))
        .route(
            "/registers",
            post(tills::create_register).get(tills::registers),
        )
        .route(
            "/registers/{id}/sessions",
            post(tills::open_session).get(tills::sessions),
        )
        .route("/registers/{id}/cash", post(tills::move_cash))
        .route("/sessions/{id}/report", get(tills::report))
        .route("/sessions/{id}/close", post(tills::close))
        .route("/sales", post(tills::sell))
        .route("/orders/{id}/payments", post(tills::pay))
        .route("/orders/{id}/returns", post(tills::take_back))
        .route("/orders/{id}/receipt", get(receipts::sale))
        .route(
            "/orders/{id}/returns/{return_id}/receipt",
            get(receipts::sale_return),
        )
        .route("/parked-sales", post(parked::park).get(parked::list))
        .route("/parked-sales/{id}/recall", post(parked::recall))
        .route("/settings/shop", get(shop::get).put(shop::put))
        .route("/users", get(users::list))
        .route("/users/{id}", get(users::get).patch(users::update))
        .route("/users/{id}/password", put(users::change_password))
}

/// 404 for unknown paths, as a problem.
pub async fn no_route() -> ApiError {
    ApiError::no_route()
}

/// 405 for a known path with the wrong method, as a problem.
pub async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this resource does not support that method",
    )
}
