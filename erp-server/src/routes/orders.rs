//! Orders.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use erp_core::domain::{
    CustomerId, FieldResult, IdempotencyKey, Note, OrderId, OrderQuery, OrderStatus, StatusChanged,
};
use erp_core::input::{OrderInput, StatusInput};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    created_or_replayed, idempotency_key, location, mark_replayed, page_request,
    required_idempotency_key,
};
use crate::dto::{HistoryDto, OrderDto, PageDto};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser, CommandUser, PathId};
use crate::state::AppState;

/// Order list parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderParams {
    /// Only orders in this status.
    #[param(pattern = r"^(PENDING|CONFIRMED|PICKED|SHIPPED|DELIVERED|CANCELLED)$")]
    pub status: Option<String>,
    /// Only orders of this customer.
    #[param(minimum = 1)]
    pub customer_id: Option<i64>,
    /// Only orders created at or after this time (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Only orders created before this time (RFC 3339).
    pub created_before: Option<DateTime<Utc>>,
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Cancellation note.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CancelParams {
    /// Why (optional).
    #[param(
        min_length = 1,
        max_length = 1000,
        pattern = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"
    )]
    pub note: Option<String>,
}

/// Places an order. `Idempotency-Key` is required and scoped per customer: repeating the same
/// request for the same customer with the same key answers 200 with the original order and
/// `Idempotent-Replayed: true`; the same customer and key with another body is 422
/// `idempotency_conflict`; the same key for another customer places that customer's order.
/// Stock for every line is reserved, or nothing is.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = OrderInput,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 128, pattern = r"^[!-~]+$", description = "1 to 128 visible ASCII characters, e.g. a UUID; scoped per customer")),
    security(("bearer" = [])),
    responses((status = 201, body = OrderDto, description = "created"),
        (status = 200, body = OrderDto, description = "replay of the original order"),
        (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    CommandUser(actor): CommandUser,
    headers: HeaderMap,
    ApiJson(input): ApiJson<OrderInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<OrderDto>)> {
    let key = required_idempotency_key(
        &headers,
        "send an Idempotency-Key header (e.g. a fresh UUID per order) so a retry never \
         orders twice",
    )?;
    let request = input.parse(key)?;
    let receipt = state.erp.create_order(&actor, &request).await?;
    let mut response_headers = location(&format!("/api/v1/orders/{}", receipt.order.id));
    let status = created_or_replayed(receipt.replayed, &mut response_headers);
    Ok((status, response_headers, Json(receipt.order.into())))
}

/// Lists orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderParams),
    security(("bearer" = [])),
    responses((status = 200, body = PageDto<OrderDto>), (status = 400, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(params): ApiQuery<OrderParams>,
) -> ApiResult<Json<PageDto<OrderDto>>> {
    let query = OrderQuery {
        status: params
            .status
            .as_deref()
            .map(|s| OrderStatus::parse(s).field("status"))
            .transpose()?,
        customer_id: params.customer_id.map(CustomerId),
        created_from: params.created_from,
        created_before: params.created_before,
        page: page_request(params.offset, params.limit)?,
    };
    let page = state.erp.orders(&actor, &query).await?;
    Ok(Json(PageDto::from_page(page, Into::into)))
}

/// One order with its lines, totals and history.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
) -> ApiResult<Json<OrderDto>> {
    let order = state.erp.order(&actor, OrderId(id)).await?;
    let history = state.erp.order_history(&actor, OrderId(id)).await?;
    let mut dto = OrderDto::from(order);
    dto.history = Some(history.into_iter().map(Into::into).collect());
    Ok(Json(dto))
}

/// Moves an order to another status if the state machine and the caller's role allow it. With an
/// `Idempotency-Key` the change happens at most once: repeating it with the same key moves
/// nothing and answers what the first request answered, with `Idempotent-Replayed: true`; the
/// same key with another status or note is 422 `idempotency_conflict`. Keys are per order and
/// shared with cancellations.
#[utoipa::path(patch, path = "/api/v1/orders/{id}/status", tag = "orders",
    params(("id" = i64, Path, minimum = 1),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 128, pattern = r"^[!-~]+$",
            description = "Optional, 1 to 128 visible ASCII characters, e.g. a UUID per change; scoped per order")),
    request_body = StatusInput, security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn change_status(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<StatusInput>,
) -> ApiResult<(HeaderMap, Json<OrderDto>)> {
    let (to, note) = input.parse()?;
    let id = OrderId(id);
    let Some(key) = status_request_key(&headers)? else {
        let order = state.erp.change_status(&actor, id, to, note).await?;
        return Ok((HeaderMap::new(), Json(order.into())));
    };
    let changed = state
        .erp
        .change_status_once(&actor, id, to, note, &key)
        .await?;
    Ok(replayable(changed))
}

/// Cancels an order (from PENDING or CONFIRMED); its reserved stock is returned. With an
/// `Idempotency-Key` a retry replays the first answer, as for status changes (whose keys it
/// shares).
#[utoipa::path(delete, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = i64, Path, minimum = 1), CancelParams,
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 128, pattern = r"^[!-~]+$",
            description = "Optional, 1 to 128 visible ASCII characters, e.g. a UUID per change; scoped per order")),
    security(("bearer" = [])),
    responses((status = 200, body = OrderDto), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<CancelParams>,
) -> ApiResult<(HeaderMap, Json<OrderDto>)> {
    let note = params
        .note
        .as_deref()
        .map(|n| Note::parse(n).field("note"))
        .transpose()?;
    let id = OrderId(id);
    let Some(key) = status_request_key(&headers)? else {
        let order = state.erp.cancel_order(&actor, id, note).await?;
        return Ok((HeaderMap::new(), Json(order.into())));
    };
    let changed = state.erp.cancel_order_once(&actor, id, note, &key).await?;
    Ok(replayable(changed))
}

/// The optional key of a status change or cancellation, validated.
fn status_request_key(headers: &HeaderMap) -> ApiResult<Option<IdempotencyKey>> {
    idempotency_key(headers)?
        .map(|key| IdempotencyKey::parse(key).field("idempotency_key"))
        .transpose()
        .map_err(Into::into)
}

/// The answer to a keyed status change: the order, marked as a replay when it is one.
fn replayable(changed: StatusChanged) -> (HeaderMap, Json<OrderDto>) {
    let mut headers = HeaderMap::new();
    if changed.replayed {
        mark_replayed(&mut headers);
    }
    (headers, Json(changed.order.into()))
}

/// The order's status history, oldest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/history", tag = "orders",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = [])),
    responses((status = 200, body = Vec<HistoryDto>), (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
) -> ApiResult<Json<Vec<HistoryDto>>> {
    let history = state.erp.order_history(&actor, OrderId(id)).await?;
    Ok(Json(history.into_iter().map(Into::into).collect()))
}
