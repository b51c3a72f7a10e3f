//! Receipts of stored sales and returns, as plain text for a screen or a text printer, or as
//! ESC/POS bytes for a thermal printer. A reprint is the same request again (`reprint=true`
//! marks the paper as a copy).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use erp_core::domain::{OrderId, ReturnId};
use erp_core::receipt::{Language, PaperWidth, ReceiptDocument, ReceiptLayout};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiQuery, AuthUser, PathId};
use crate::state::AppState;

/// How to print a receipt.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReceiptParams {
    /// Characters per line: 32 (58 mm paper), 42 or 48 (80 mm). Default 42.
    #[param(pattern = r"^(32|42|48)$")]
    pub width: Option<String>,
    /// `pt-BR` (default) or `en`: labels, money and dates.
    #[param(pattern = r"^(pt-BR|en)$")]
    pub lang: Option<String>,
    /// `text` (default, text/plain UTF-8) or `escpos` (application/octet-stream: ESC/POS
    /// commands in code page 860, ending with a paper cut).
    #[param(pattern = r"^(text|escpos)$")]
    pub format: Option<String>,
    /// `true` prints the copy mark (2ª via / REPRINT). Default false.
    pub reprint: Option<bool>,
}

/// The output forms.
enum Format {
    Text,
    EscPos,
}

fn bad(field: &'static str, detail: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", detail).with("field", field)
}

impl ReceiptParams {
    fn parse(&self) -> ApiResult<(ReceiptLayout, Format, bool)> {
        let width = match self.width.as_deref().map(str::trim) {
            None => PaperWidth::Columns42,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .and_then(|columns| PaperWidth::from_columns(columns).ok())
                .ok_or_else(|| bad("width", format!("width {text:?} must be 32, 42 or 48")))?,
        };
        let language = match self.lang.as_deref() {
            None => Language::PtBr,
            Some(text) => Language::parse(text)
                .map_err(|_| bad("lang", format!("lang {text:?} must be pt-BR or en")))?,
        };
        let format = match self.format.as_deref().map(str::trim) {
            None | Some("text") => Format::Text,
            Some("escpos") => Format::EscPos,
            Some(other) => {
                return Err(bad(
                    "format",
                    format!("format {other:?} must be text or escpos"),
                ));
            }
        };
        Ok((
            ReceiptLayout::new(width, language),
            format,
            self.reprint.unwrap_or(false),
        ))
    }
}

/// Renders a document as asked.
fn render(
    mut document: ReceiptDocument,
    layout: ReceiptLayout,
    format: Format,
    reprint: bool,
) -> ApiResult<Response> {
    document.reprint = reprint;
    Ok(match format {
        Format::Text => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            document.render_text(layout),
        )
            .into_response(),
        Format::EscPos => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            document.render_escpos(layout)?,
        )
            .into_response(),
    })
}

/// The receipt of a counter sale, or of a delivery order paid in full (else 422
/// `order_not_eligible`). Bad `width`, `lang` or `format`: 400 `invalid_parameter` naming it.
#[utoipa::path(get, path = "/api/v1/orders/{id}/receipt", tag = "tills",
    params(("id" = i64, Path, minimum = 1), ReceiptParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "The receipt", content(
            (String = "text/plain; charset=utf-8"),
            (Vec<u8> = "application/octet-stream"))),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn sale(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<ReceiptParams>,
) -> ApiResult<Response> {
    let (layout, format, reprint) = params.parse()?;
    let document = state.erp.sale_receipt(&actor, OrderId(id)).await?;
    render(document, layout, format, reprint)
}

/// The receipt of a return of an order. Same parameters as the sale's receipt.
#[utoipa::path(get, path = "/api/v1/orders/{id}/returns/{return_id}/receipt", tag = "tills",
    params(("id" = i64, Path, minimum = 1), ("return_id" = i64, Path, minimum = 1),
        ReceiptParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The receipt", content(
            (String = "text/plain; charset=utf-8"),
            (Vec<u8> = "application/octet-stream"))),
        (status = 404, body = Problem)))]
pub async fn sale_return(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    path: Result<Path<(i64, i64)>, axum::extract::rejection::PathRejection>,
    ApiQuery(params): ApiQuery<ReceiptParams>,
) -> ApiResult<Response> {
    let Ok(Path((order, sale_return))) = path else {
        return Err(bad("id", "the ids in the path must be numbers".into()));
    };
    if order <= 0 || sale_return <= 0 {
        return Err(bad("id", "ids are positive".into()));
    }
    let (layout, format, reprint) = params.parse()?;
    let document = state
        .erp
        .return_receipt(&actor, OrderId(order), ReturnId(sale_return))
        .await?;
    render(document, layout, format, reprint)
}
