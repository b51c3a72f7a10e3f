//! The shop's own settings: what every receipt prints about it. Anyone signed in reads them;
//! admins change them.

use axum::Json;
use axum::extract::State;
use erp_core::domain::ShopSettings;
use erp_core::input::ShopSettingsInput;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, AuthUser};
use crate::state::AppState;

/// The shop as its receipts present it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopSettingsDto {
    /// The trading name.
    pub name: String,
    /// The CNPJ, formatted (`11.222.333/0001-81`).
    pub tax_id: Option<String>,
    /// The address, one entry per printed line.
    pub address: Vec<String>,
    /// The phone number (digits, a leading + kept).
    pub phone: Option<String>,
    /// The closing line under every receipt.
    pub footer: Option<String>,
    /// Offset from UTC in minutes of the times printed.
    pub utc_offset_minutes: i32,
}

impl From<ShopSettings> for ShopSettingsDto {
    fn from(shop: ShopSettings) -> Self {
        ShopSettingsDto {
            address: shop
                .address_lines()
                .into_iter()
                .map(str::to_string)
                .collect(),
            name: shop.name.to_string(),
            tax_id: shop.tax_id.map(|t| t.formatted()),
            phone: shop.phone.map(|p| p.to_string()),
            footer: shop.footer.map(|f| f.to_string()),
            utc_offset_minutes: shop.utc_offset_minutes,
        }
    }
}

/// The shop's settings (a placeholder name until an admin sets them).
#[utoipa::path(get, path = "/api/v1/settings/shop", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = ShopSettingsDto)))]
pub async fn get(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> ApiResult<Json<ShopSettingsDto>> {
    Ok(Json(state.erp.shop_settings(&actor).await?.into()))
}

/// Replaces the shop's settings (admins only). Optional fields left out are cleared; the CNPJ is
/// checked (a CPF or a wrong check digit is 422 `validation_failed` naming `tax_id`).
#[utoipa::path(put, path = "/api/v1/settings/shop", tag = "settings",
    request_body = ShopSettingsInput, security(("bearer" = [])),
    responses((status = 200, body = ShopSettingsDto), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn put(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(input): ApiJson<ShopSettingsInput>,
) -> ApiResult<Json<ShopSettingsDto>> {
    let saved = state
        .erp
        .update_shop_settings(&actor, &input.parse()?)
        .await?;
    Ok(Json(saved.into()))
}
