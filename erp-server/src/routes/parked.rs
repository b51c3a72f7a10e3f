//! Parked sales: a cart put aside at one till and recalled by any till. Parking reserves
//! nothing; recalling returns the lines and removes the cart (a second recall is 404), and the
//! checkout is an ordinary `POST /sales`, priced and checked then.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use erp_core::domain::{FieldResult, IdempotencyKey, ParkedSale, ParkedSaleId};
use erp_core::input::ParkedSaleInput;
use serde::Serialize;
use utoipa::ToSchema;

use super::{created_or_replayed, idempotency_key, location, mark_replayed};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, AuthUser, PathId};
use crate::state::AppState;

/// One line of a parked cart.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParkedLineDto {
    pub sku: String,
    pub quantity: u32,
}

/// A parked cart.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParkedSaleDto {
    pub id: i64,
    /// What the till calls it.
    pub label: String,
    pub register_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// SKUs and quantities only: prices are decided at checkout.
    pub lines: Vec<ParkedLineDto>,
    /// Who parked it.
    pub parked_by: Option<i64>,
    pub parked_at: DateTime<Utc>,
}

impl From<ParkedSale> for ParkedSaleDto {
    fn from(p: ParkedSale) -> Self {
        ParkedSaleDto {
            id: p.id.get(),
            label: p.label.to_string(),
            register_id: p.register_id.map(|r| r.get()),
            customer_id: p.customer_id.map(|c| c.get()),
            lines: p
                .lines
                .into_iter()
                .map(|l| ParkedLineDto {
                    sku: l.sku.to_string(),
                    quantity: l.quantity.get(),
                })
                .collect(),
            parked_by: p.parked_by.map(|u| u.get()),
            parked_at: p.parked_at,
        }
    }
}

/// Parks a cart under a label (operators and up). Nothing is reserved. With an
/// `Idempotency-Key` the cart is parked at most once: the same cart again under the key answers
/// 200 with `Idempotent-Replayed: true` and the cart parked the first time (recalled since or
/// not); another cart under the key is 422 `idempotency_conflict`.
#[utoipa::path(post, path = "/api/v1/parked-sales", tag = "tills",
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 128, pattern = r"^[!-~]+$",
        description = "Optional, 1 to 128 visible ASCII characters, e.g. a UUID per cart")),
    request_body = ParkedSaleInput, security(("bearer" = [])),
    responses((status = 201, body = ParkedSaleDto), (status = 200, body = ParkedSaleDto),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn park(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ParkedSaleInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<ParkedSaleDto>)> {
    let mut cart = input.parse()?;
    if let Some(key) = idempotency_key(&headers)? {
        cart = cart.with_key(IdempotencyKey::parse(key).field("idempotency_key")?);
    }
    let parked = state.erp.park_sale_once(&actor, &cart).await?;
    let mut headers = location(&format!("/api/v1/parked-sales/{}", parked.sale.id));
    let status = created_or_replayed(parked.replayed, &mut headers);
    Ok((status, headers, Json(parked.sale.into())))
}

/// The parked carts of the shop, oldest first (at most 500).
#[utoipa::path(get, path = "/api/v1/parked-sales", tag = "tills", security(("bearer" = [])),
    responses((status = 200, body = Vec<ParkedSaleDto>)))]
pub async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> ApiResult<Json<Vec<ParkedSaleDto>>> {
    let all = state.erp.parked_sales(&actor).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// Takes a parked cart back to a till: answers its lines and removes it, atomically, so of two
/// tills recalling one cart one gets it and the other gets 404 `not_found`. With an
/// `Idempotency-Key` (one per recall) a retry after a lost answer gets the same cart again, 200
/// with `Idempotent-Replayed: true`, instead of 404 for a cart it holds; any other recall of a
/// taken cart stays 404.
#[utoipa::path(post, path = "/api/v1/parked-sales/{id}/recall", tag = "tills",
    params(("id" = i64, Path, minimum = 1),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 128, pattern = r"^[!-~]+$",
        description = "Optional, 1 to 128 visible ASCII characters, e.g. a UUID per recall")),
    security(("bearer" = [])),
    responses((status = 200, body = ParkedSaleDto), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn recall(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    headers: HeaderMap,
    PathId(id): PathId,
) -> ApiResult<(HeaderMap, Json<ParkedSaleDto>)> {
    let id = ParkedSaleId(id);
    let mut answer = HeaderMap::new();
    let sale = match idempotency_key(&headers)? {
        Some(key) => {
            let key = IdempotencyKey::parse(key).field("idempotency_key")?;
            let recall = state.erp.recall_parked_sale_once(&actor, id, &key).await?;
            if recall.replayed {
                mark_replayed(&mut answer);
            }
            recall.sale
        }
        None => state.erp.recall_parked_sale(&actor, id).await?,
    };
    Ok((answer, Json(sale.into())))
}
