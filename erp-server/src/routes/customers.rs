//! Customers.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use erp_core::domain::{CustomerId, CustomerQuery, FieldResult, SearchTerm};
use erp_core::input::{CustomerInput, CustomerPatch};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{location, page_request};
use crate::dto::{CustomerDto, PageDto};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser, PathId};
use crate::state::AppState;

/// Customer list parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerParams {
    /// Search in name and e-mail (case-insensitive substring) or a tax id prefix.
    #[param(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub q: Option<String>,
    /// Include soft-deleted customers.
    pub include_deleted: Option<bool>,
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Creates a customer.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CustomerInput,
    security(("bearer" = [])),
    responses((status = 201, body = CustomerDto), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(input): ApiJson<CustomerInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<CustomerDto>)> {
    let customer = state.erp.create_customer(&actor, input.parse()?).await?;
    let headers = location(&format!("/api/v1/customers/{}", customer.id));
    Ok((StatusCode::CREATED, headers, Json(customer.into())))
}

/// Lists customers by name.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerParams),
    security(("bearer" = [])), responses((status = 200, body = PageDto<CustomerDto>)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(params): ApiQuery<CustomerParams>,
) -> ApiResult<Json<PageDto<CustomerDto>>> {
    let query = CustomerQuery {
        search: SearchTerm::parse(params.q.as_deref().unwrap_or("")).field("q")?,
        include_deleted: params.include_deleted.unwrap_or(false),
        page: page_request(params.offset, params.limit)?,
    };
    let page = state.erp.customers(&actor, &query).await?;
    Ok(Json(PageDto::from_page(page, Into::into)))
}

/// One customer (deleted ones too).
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = [])),
    responses((status = 200, body = CustomerDto), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
) -> ApiResult<Json<CustomerDto>> {
    Ok(Json(
        state.erp.customer(&actor, CustomerId(id)).await?.into(),
    ))
}

/// Changes a customer: absent fields stay, `null` clears phone or tax id.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = i64, Path, minimum = 1)), request_body = CustomerPatch, security(("bearer" = [])),
    responses((status = 200, body = CustomerDto), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<CustomerPatch>,
) -> ApiResult<Json<CustomerDto>> {
    let customer = state
        .erp
        .update_customer(&actor, CustomerId(id), patch.parse()?)
        .await?;
    Ok(Json(customer.into()))
}

/// Soft-deletes a customer (their orders stay). Deleting again is harmless.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    state.erp.delete_customer(&actor, CustomerId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
