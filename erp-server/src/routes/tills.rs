//! Money at the counter: registers, cash sessions (open, cash in/out, X report, close with counts,
//! Z report), counter sales, payments on orders and returns.
//!
//! Approval travels as the approver's login in the request body (`approver`); the server never
//! logs request bodies, and erp-core checks the login when the command runs and records only the
//! approver's user id.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use erp_core::domain::{CashSessionId, FieldResult, IdempotencyKey, OrderId, RegisterId};
use erp_core::input::{
    CashMovementInput, CloseSessionInput, OpenSessionInput, PaymentInput, RegisterInput,
    ReturnInput, SaleInput,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    PageParams, created_or_replayed, idempotency_key, location, page_request,
    required_idempotency_key,
};
use crate::dto::{
    CashMovementDto, PageDto, PaidOrderDto, RegisterDto, ReportDto, ReturnDto, SessionDto,
};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser, PathId};
use crate::state::AppState;

fn required_key(headers: &HeaderMap) -> ApiResult<&str> {
    required_idempotency_key(
        headers,
        "send an Idempotency-Key header (e.g. a fresh UUID per sale or return) so a retry never \
         charges or refunds twice",
    )
}

/// Report parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Also render the report as text this many columns wide (32, 42 or 48).
    #[param(minimum = 32, maximum = 48)]
    pub width: Option<usize>,
}

/// Sets up a till (managers and admins).
#[utoipa::path(post, path = "/api/v1/registers", tag = "tills", request_body = RegisterInput,
    security(("bearer" = [])),
    responses((status = 201, body = RegisterDto), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_register(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(input): ApiJson<RegisterInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<RegisterDto>)> {
    let register = state.erp.create_register(&actor, input.parse()?).await?;
    let headers = location(&format!("/api/v1/registers/{}", register.id));
    Ok((StatusCode::CREATED, headers, Json(register.into())))
}

/// Every till, by code.
#[utoipa::path(get, path = "/api/v1/registers", tag = "tills", security(("bearer" = [])),
    responses((status = 200, body = Vec<RegisterDto>)))]
pub async fn registers(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> ApiResult<Json<Vec<RegisterDto>>> {
    let all = state.erp.registers(&actor).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Opens the till's drawer with a counted float; one open session per register (409
/// `session_already_open`).
#[utoipa::path(post, path = "/api/v1/registers/{id}/sessions", tag = "tills",
    request_body = OpenSessionInput, params(("id" = i64, Path, minimum = 1)),
    security(("bearer" = [])),
    responses((status = 201, body = SessionDto), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn open_session(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiJson(input): ApiJson<OpenSessionInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<SessionDto>)> {
    let session = state
        .erp
        .open_cash_session(&actor, RegisterId(id), input.parse()?)
        .await?;
    let headers = location(&format!("/api/v1/sessions/{}", session.id));
    Ok((StatusCode::CREATED, headers, Json(session.into())))
}

/// A till's sessions, newest first (an open one comes first).
#[utoipa::path(get, path = "/api/v1/registers/{id}/sessions", tag = "tills",
    params(("id" = i64, Path, minimum = 1), PageParams), security(("bearer" = [])),
    responses((status = 200, body = PageDto<SessionDto>)))]
pub async fn sessions(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<PageDto<SessionDto>>> {
    let page = page_request(params.offset, params.limit)?;
    let found = state
        .erp
        .cash_sessions(&actor, RegisterId(id), page)
        .await?;
    Ok(Json(PageDto::from_page(found, Into::into)))
}

/// Cash in (suprimento) or out (sangria) of the till's open drawer, with a reason. Cash out
/// never exceeds what the drawer should hold (422 `insufficient_cash`). With an
/// `Idempotency-Key` the movement is made at most once per register: the same movement again
/// under the key answers 200 with `Idempotent-Replayed: true` and the movement made, even after
/// its session was closed (a retry is never made again in the next session); another amount,
/// kind or reason under it is 422 `idempotency_conflict`.
#[utoipa::path(post, path = "/api/v1/registers/{id}/cash", tag = "tills",
    request_body = CashMovementInput,
    params(("id" = i64, Path, minimum = 1),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 128, pattern = r"^[!-~]+$",
        description = "Optional, 1 to 128 visible ASCII characters, e.g. a UUID per movement")),
    security(("bearer" = [])),
    responses((status = 201, body = CashMovementDto), (status = 200, body = CashMovementDto),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn move_cash(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    PathId(id): PathId,
    ApiJson(input): ApiJson<CashMovementInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<CashMovementDto>)> {
    let (kind, amount, reason) = input.parse()?;
    let mut answer = HeaderMap::new();
    let register = RegisterId(id);
    let (status, moved) = match idempotency_key(&headers)? {
        Some(key) => {
            let key = IdempotencyKey::parse(key).field("idempotency_key")?;
            let moved = state
                .erp
                .move_cash_once(&actor, register, kind, amount, reason, &key)
                .await?;
            let status = created_or_replayed(moved.replayed, &mut answer);
            (status, moved.movement)
        }
        None => (
            StatusCode::CREATED,
            state
                .erp
                .move_cash(&actor, register, kind, amount, reason)
                .await?,
        ),
    };
    Ok((status, answer, Json(moved.into())))
}

/// The X report of an open session or the Z report of a closed one.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/report", tag = "tills",
    params(("id" = i64, Path, minimum = 1), ReportParams), security(("bearer" = [])),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> ApiResult<Json<ReportDto>> {
    let report = state.erp.session_report(&actor, CashSessionId(id)).await?;
    Ok(Json(ReportDto::new(report, params.width)))
}

/// Closes a session with the count per tender (cash, and every other tender it took) and
/// answers its Z report. A closed session never changes (409 `session_closed`).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/close", tag = "tills",
    request_body = CloseSessionInput, params(("id" = i64, Path, minimum = 1), ReportParams),
    security(("bearer" = [])),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn close(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<ReportParams>,
    ApiJson(input): ApiJson<CloseSessionInput>,
) -> ApiResult<Json<ReportDto>> {
    let counts = input.parse()?;
    let report = state
        .erp
        .close_cash_session(&actor, CashSessionId(id), &counts)
        .await?;
    Ok(Json(ReportDto::new(report, params.width)))
}

/// A counter sale: paid and handed over at once (born DELIVERED). `Idempotency-Key` is
/// required; a repeat answers 200 with the original sale and `Idempotent-Replayed: true`.
#[utoipa::path(post, path = "/api/v1/sales", tag = "tills", request_body = SaleInput,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 128, pattern = r"^[!-~]+$", description = "1 to 128 visible ASCII characters, e.g. a UUID")),
    security(("bearer" = [])),
    responses((status = 201, body = PaidOrderDto, description = "sold"),
        (status = 200, body = PaidOrderDto, description = "replay of the original sale"),
        (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn sell(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SaleInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<PaidOrderDto>)> {
    let key = required_key(&headers)?;
    let sale = input.parse(key)?;
    let sold = state.erp.sell_at_counter(&actor, &sale).await?;
    let mut response_headers = location(&format!("/api/v1/orders/{}", sold.order.id));
    let status = created_or_replayed(sold.replayed, &mut response_headers);
    Ok((status, response_headers, Json(sold.into())))
}

/// Takes a payment on an order (card, PIX and other never over the balance due; an order
/// payment gives no change).
#[utoipa::path(post, path = "/api/v1/orders/{id}/payments", tag = "tills",
    request_body = PaymentInput, params(("id" = i64, Path, minimum = 1)),
    security(("bearer" = [])),
    responses((status = 201, body = PaidOrderDto), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn pay(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiJson(input): ApiJson<PaymentInput>,
) -> ApiResult<(StatusCode, Json<PaidOrderDto>)> {
    let payment = input.parse(OrderId(id))?;
    let paid = state.erp.pay_order(&actor, &payment).await?;
    Ok((StatusCode::CREATED, Json(paid.into())))
}

/// Takes back goods of a delivered order and pays money back. A manager approves (the caller,
/// or `approver` in the body). `Idempotency-Key` is required.
#[utoipa::path(post, path = "/api/v1/orders/{id}/returns", tag = "tills",
    request_body = ReturnInput,
    params(("id" = i64, Path, minimum = 1),
        ("Idempotency-Key" = String, Header, min_length = 1, max_length = 128, pattern = r"^[!-~]+$", description = "1 to 128 visible ASCII characters, e.g. a UUID")),
    security(("bearer" = [])),
    responses((status = 201, body = ReturnDto, description = "recorded"),
        (status = 200, body = ReturnDto, description = "replay of the original return"),
        (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn take_back(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ReturnInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<ReturnDto>)> {
    let key = required_key(&headers)?;
    let request = input.parse(OrderId(id), key)?;
    let outcome = state.erp.record_return(&actor, &request).await?;
    let mut response_headers = HeaderMap::new();
    let status = created_or_replayed(outcome.replayed, &mut response_headers);
    Ok((status, response_headers, Json(outcome.sale_return.into())))
}
