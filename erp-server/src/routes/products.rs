//! Products and stock.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use erp_core::domain::{FieldResult, IdempotencyKey, ProductId, ProductQuery, SearchTerm};
use erp_core::input::{ProductInput, ProductPatch, StockInput};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{PageParams, idempotency_key, location, mark_replayed, page_request};
use crate::dto::{MovementDto, PageDto, ProductDto};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, ApiQuery, AuthUser, PathId};
use crate::state::AppState;

/// Product list parameters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductParams {
    /// A SKU prefix or part of the name (case-insensitive).
    #[param(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub q: Option<String>,
    /// Include deactivated products.
    pub include_inactive: Option<bool>,
    /// Only products at or below their reorder level.
    pub low_stock: Option<bool>,
    /// Rows to skip (default 0).
    pub offset: Option<u64>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Adds a product; a positive `initial_stock` is recorded as a receipt.
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = ProductInput,
    security(("bearer" = [])),
    responses((status = 201, body = ProductDto), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(input): ApiJson<ProductInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<ProductDto>)> {
    let product = state.erp.create_product(&actor, input.parse()?).await?;
    let headers = location(&format!("/api/v1/products/{}", product.id));
    Ok((StatusCode::CREATED, headers, Json(product.into())))
}

/// Lists products by SKU.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(ProductParams),
    security(("bearer" = [])), responses((status = 200, body = PageDto<ProductDto>)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(params): ApiQuery<ProductParams>,
) -> ApiResult<Json<PageDto<ProductDto>>> {
    let query = ProductQuery {
        search: SearchTerm::parse(params.q.as_deref().unwrap_or("")).field("q")?,
        include_inactive: params.include_inactive.unwrap_or(false),
        low_stock_only: params.low_stock.unwrap_or(false),
        page: page_request(params.offset, params.limit)?,
        skip_total: false,
    };
    let page = state.erp.products(&actor, &query).await?;
    Ok(Json(PageDto::from_page(page, Into::into)))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = [])),
    responses((status = 200, body = ProductDto), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
) -> ApiResult<Json<ProductDto>> {
    Ok(Json(state.erp.product(&actor, ProductId(id)).await?.into()))
}

/// Changes name, price, reorder level or active flag (stock changes go through /stock).
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = i64, Path, minimum = 1)), request_body = ProductPatch, security(("bearer" = [])),
    responses((status = 200, body = ProductDto), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<ProductPatch>,
) -> ApiResult<Json<ProductDto>> {
    let product = state
        .erp
        .update_product(&actor, ProductId(id), patch.parse()?)
        .await?;
    Ok(Json(product.into()))
}

/// Receives goods (`receipt`, positive) or corrects stock (`adjustment`, signed), with a reason.
/// On hand never drops below what open orders reserved. With an `Idempotency-Key` the change
/// happens at most once: repeating it with the same key moves nothing and answers with
/// `Idempotent-Replayed: true`; the same key with another change is 422 `idempotency_conflict`.
#[utoipa::path(patch, path = "/api/v1/products/{id}/stock", tag = "products",
    params(("id" = i64, Path, minimum = 1),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 128, pattern = r"^[!-~]+$",
            description = "Optional, 1 to 128 visible ASCII characters, e.g. a UUID per change")),
    request_body = StockInput, security(("bearer" = [])),
    responses((status = 200, body = ProductDto), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn adjust_stock(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiJson(input): ApiJson<StockInput>,
) -> ApiResult<(HeaderMap, Json<ProductDto>)> {
    let (change, reason) = input.parse()?;
    let id = ProductId(id);
    let mut response_headers = HeaderMap::new();
    let Some(key) = idempotency_key(&headers)? else {
        let product = state.erp.adjust_stock(&actor, id, change, reason).await?;
        return Ok((response_headers, Json(product.into())));
    };
    let key = IdempotencyKey::parse(key).field("idempotency_key")?;
    let adjusted = state
        .erp
        .adjust_stock_once(&actor, id, change, reason, &key)
        .await?;
    if adjusted.replayed {
        mark_replayed(&mut response_headers);
    }
    Ok((response_headers, Json(adjusted.product.into())))
}

/// The product's stock movements, newest first.
#[utoipa::path(get, path = "/api/v1/products/{id}/movements", tag = "products",
    params(("id" = i64, Path, minimum = 1), PageParams), security(("bearer" = [])),
    responses((status = 200, body = PageDto<MovementDto>), (status = 404, body = Problem)))]
pub async fn movements(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<Json<PageDto<MovementDto>>> {
    let page = page_request(params.offset, params.limit)?;
    let movements = state.erp.movements(&actor, ProductId(id), page).await?;
    Ok(Json(PageDto::from_page(movements, Into::into)))
}

/// Deactivates a product: it stays on past orders but can no longer be ordered. Reactivate with
/// `PATCH {"active": true}`.
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = i64, Path, minimum = 1)), security(("bearer" = [])),
    responses((status = 200, body = ProductDto), (status = 404, body = Problem)))]
pub async fn deactivate(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
) -> ApiResult<Json<ProductDto>> {
    Ok(Json(
        state
            .erp
            .deactivate_product(&actor, ProductId(id))
            .await?
            .into(),
    ))
}
