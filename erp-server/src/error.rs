//! Every failure as an RFC 9457 problem (`application/problem+json`) with a stable `code`.
//!
//! erp-core's error codes are mapped to HTTP statuses here and only here ([`status_of`]); the
//! server adds its own codes for what happens before erp-core is reached (malformed JSON, a
//! missing header, a rate limit). Internal errors are logged with the request and never shown.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use erp_core::Error;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::log_throttle::Throttled;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:erp:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, stable summary of the problem kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong in this case, for a person.
    pub detail: String,
    /// The stable machine-readable code (erp-core's or the server's own).
    pub code: String,
    /// Facts of the error (field, sku, requested, available, from, to, ...), by name.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub facts: Map<String, Value>,
}

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    facts: Map<String, Value>,
    retry_after: Option<u64>,
    www_authenticate: bool,
}

impl ApiError {
    /// A server-side problem (no erp-core error behind it).
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            facts: Map::new(),
            retry_after: None,
            www_authenticate: false,
        }
    }

    /// Adds a fact to the body.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> ApiError {
        self.facts.insert(name.to_string(), value.into());
        self
    }

    /// Sets `Retry-After`.
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// 400: the body is not JSON at all.
    pub fn malformed_json(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", detail)
    }

    /// 401: no valid credentials were presented.
    pub fn unauthenticated(detail: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail);
        error.www_authenticate = true;
        error
    }

    /// 404 for a path nobody serves.
    pub fn no_route() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// The status and code this error answers with (for tests and logs).
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The HTTP status of each erp-core error code: the one table of the API.
pub fn status_of(code: &str) -> StatusCode {
    match code {
        "validation_failed"
        | "insufficient_stock"
        | "product_inactive"
        | "customer_deleted"
        | "stock_below_reserved"
        | "idempotency_conflict"
        | "overpayment"
        | "payment_short"
        | "insufficient_cash"
        | "order_not_eligible"
        | "return_exceeds_sold"
        | "refund_exceeds_paid" => StatusCode::UNPROCESSABLE_ENTITY,
        "not_found" => StatusCode::NOT_FOUND,
        "forbidden" | "role_not_grantable" | "user_inactive" | "approval_required"
        | "session_not_yours" => StatusCode::FORBIDDEN,
        "invalid_credentials" | "invalid_token" => StatusCode::UNAUTHORIZED,
        "login_throttled" => StatusCode::TOO_MANY_REQUESTS,
        "invalid_transition"
        | "duplicate"
        | "already_done"
        | "no_open_session"
        | "session_already_open"
        | "session_closed" => StatusCode::CONFLICT,
        "busy" | "unavailable" | "outcome_unknown" => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The short title of each code.
fn title_of(code: &str) -> &'static str {
    match code {
        "validation_failed" => "Invalid input",
        "insufficient_stock" => "Insufficient stock",
        "product_inactive" => "Product is inactive",
        "customer_deleted" => "Customer is deleted",
        "stock_below_reserved" => "Stock would fall below what is reserved",
        "idempotency_conflict" => "Idempotency key reused with a different request",
        "not_found" => "Not found",
        "forbidden" => "Forbidden",
        "role_not_grantable" => "Role not grantable",
        "user_inactive" => "User is deactivated",
        "invalid_credentials" => "Wrong username or password",
        "invalid_token" => "Invalid or expired token",
        "login_throttled" => "Too many failed logins",
        "invalid_transition" => "Illegal status change",
        "duplicate" => "Already in use",
        "overpayment" => "Card or PIX over the amount due",
        "payment_short" => "Tenders do not cover the total",
        "approval_required" => "Manager approval required",
        "no_open_session" => "No open cash session",
        "session_already_open" => "Cash session already open",
        "session_not_yours" => "Cash session belongs to another operator",
        "session_closed" => "Cash session is closed",
        "insufficient_cash" => "Not enough cash in the drawer",
        "order_not_eligible" => "Order cannot take this",
        "return_exceeds_sold" => "Return exceeds what was sold",
        "refund_exceeds_paid" => "Refund exceeds what was paid",
        "already_done" => "Already done",
        "busy" => "Busy",
        "unavailable" => "Service unavailable",
        "outcome_unknown" => "Outcome unknown",
        "malformed_json" => "Malformed JSON",
        "unsupported_media_type" => "Unsupported media type",
        "payload_too_large" => "Payload too large",
        "unauthenticated" => "Authentication required",
        "rate_limited" => "Too many requests",
        "missing_idempotency_key" => "Idempotency-Key header required",
        "invalid_parameter" => "Invalid parameter",
        "method_not_allowed" => "Method not allowed",
        "timeout" => "Request timed out",
        _ => "Internal error",
    }
}

/// While the database is down or a row stays contended, every request meets the same failure:
/// one line per 10 s (with how many were left out) instead of one per request.
static UNAVAILABLE_LOG: Throttled = Throttled::new(Duration::from_secs(10));
static BUSY_LOG: Throttled = Throttled::new(Duration::from_secs(10));

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        let code = error.code();
        let status = status_of(code);
        let mut api = ApiError::new(status, code, error.to_string());
        match &error {
            Error::Validation { field, reason } => {
                api = api
                    .with("field", field.as_str())
                    .with("reason", reason.as_str());
            }
            Error::NotFound { entity, key } => {
                api = api.with("entity", *entity).with("key", key.as_str());
            }
            Error::Forbidden { role, action } => {
                api = api
                    .with("role", role.as_str())
                    .with("action", json!(action));
            }
            Error::RoleNotGrantable { role, target } => {
                api = api
                    .with("role", role.as_str())
                    .with("target", target.as_str());
            }
            Error::LoginThrottled { retry_after_secs } => {
                api = api
                    .with("retry_after", *retry_after_secs)
                    .retry_after(*retry_after_secs);
            }
            Error::InvalidCredentials | Error::InvalidToken => {
                api.www_authenticate = true;
            }
            Error::UserInactive { username } => api = api.with("username", username.as_str()),
            Error::InsufficientStock {
                sku,
                requested,
                available,
            } => {
                api = api
                    .with("sku", sku.as_str())
                    .with("requested", *requested)
                    .with("available", *available);
            }
            Error::ProductInactive { sku } => api = api.with("sku", sku.as_str()),
            Error::CustomerDeleted { id } => api = api.with("customer_id", *id),
            Error::StockBelowReserved {
                sku,
                requested_on_hand,
                reserved,
            } => {
                api = api
                    .with("sku", sku.as_str())
                    .with("requested_on_hand", *requested_on_hand)
                    .with("reserved", *reserved);
            }
            Error::InvalidTransition { from, to } => {
                api = api.with("from", from.as_str()).with("to", to.as_str());
            }
            Error::IdempotencyConflict { key, order_id } => {
                api = api
                    .with("key", key.as_str())
                    .with("order_id", order_id.get());
            }
            Error::StockRequestConflict { key, movement_id } => {
                api = api
                    .with("key", key.as_str())
                    .with("movement_id", movement_id.get());
            }
            Error::StatusRequestConflict { key, status } => {
                api = api
                    .with("key", key.as_str())
                    .with("changed_to", status.as_str());
            }
            Error::ReturnRequestConflict { key, return_id } => {
                api = api
                    .with("key", key.as_str())
                    .with("return_id", return_id.get());
            }
            Error::ParkRequestConflict {
                key,
                parked_sale_id,
            } => {
                api = api
                    .with("key", key.as_str())
                    .with("parked_sale_id", parked_sale_id.get());
            }
            Error::CashRequestConflict { key, movement_id } => {
                api = api
                    .with("key", key.as_str())
                    .with("movement_id", movement_id.get());
            }
            Error::Overpayment { due, non_cash } => {
                api = api
                    .with("due", due.as_str())
                    .with("non_cash", non_cash.as_str());
            }
            Error::PaymentShort { due, tendered } => {
                api = api
                    .with("due", due.as_str())
                    .with("tendered", tendered.as_str());
            }
            Error::ApprovalRequired { reason } => api = api.with("reason", reason.as_str()),
            Error::NoOpenCashSession { register_id } => {
                api = api.with("register_id", register_id.get());
            }
            Error::CashSessionAlreadyOpen {
                register_id,
                session_id,
            } => {
                api = api
                    .with("register_id", register_id.get())
                    .with("session_id", session_id.get());
            }
            Error::CashSessionNotYours { session_id } | Error::CashSessionClosed { session_id } => {
                api = api.with("session_id", session_id.get());
            }
            Error::InsufficientCash {
                requested,
                in_drawer,
            } => {
                api = api
                    .with("requested", requested.as_str())
                    .with("in_drawer", in_drawer.as_str());
            }
            Error::OrderNotEligible {
                order_id,
                status,
                why,
            } => {
                api = api
                    .with("order_id", order_id.get())
                    .with("order_status", status.as_str())
                    .with("why", *why);
            }
            Error::ReturnExceedsSold {
                sku,
                requested,
                returnable,
            } => {
                api = api
                    .with("sku", sku.as_str())
                    .with("requested", *requested)
                    .with("returnable", *returnable);
            }
            Error::RefundExceedsPaid {
                requested,
                refundable,
            } => {
                api = api
                    .with("requested", requested.as_str())
                    .with("refundable", refundable.as_str());
            }
            Error::Duplicate { field, value } => {
                api = api.with("field", *field).with("value", value.as_str());
            }
            Error::AlreadyDone { what } => api = api.with("what", *what),
            Error::Busy { .. } => {
                if let Some(left_out) = BUSY_LOG.admit() {
                    tracing::warn!(%error, left_out, "database busy after retries");
                }
                api.detail = "the database is busy; nothing was changed, try again".into();
                api = api.retry_after(1);
            }
            Error::HashingBusy { retry_after_secs } => {
                tracing::warn!("login refused: the password hashing queue is full");
                api = api.retry_after(*retry_after_secs);
            }
            Error::Unavailable { .. } => {
                if let Some(left_out) = UNAVAILABLE_LOG.admit() {
                    tracing::error!(%error, left_out, "database unavailable");
                }
                api.detail = "the database is unavailable; nothing was changed".into();
                api = api.retry_after(5);
            }
            Error::OutcomeUnknown { .. } => {
                tracing::error!(%error, "connection lost during a commit");
                api.detail = "the connection to the database was lost while the change was being \
                              committed, so it may or may not have been made: retry with the same \
                              Idempotency-Key, which replays the change if it was made and makes \
                              it otherwise"
                    .into();
                api = api.retry_after(5);
            }
            Error::Internal { .. } => {
                tracing::error!(%error, "internal error");
                api.detail = "an internal error occurred; it has been logged".into();
            }
        }
        api
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("urn:erp:problem:{}", self.code),
            title: title_of(self.code).to_string(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_string(),
            facts: self.facts,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        if self.www_authenticate {
            headers.insert(
                HeaderName::from_static("www-authenticate"),
                HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_maps_to_a_client_status_or_503_except_internal() {
        for code in Error::CODES {
            let status = status_of(code);
            match code {
                "internal" => assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR),
                "busy" | "unavailable" | "outcome_unknown" => {
                    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE)
                }
                _ => assert!(status.is_client_error(), "{code} -> {status}"),
            }
            if code != "internal" {
                assert_ne!(title_of(code), "Internal error", "{code} has a title");
            }
        }
    }

    #[test]
    fn insufficient_stock_carries_its_facts() {
        let api = ApiError::from(Error::InsufficientStock {
            sku: "TEA".into(),
            requested: 3,
            available: 1,
        });
        assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(api.facts["sku"], "TEA");
        assert_eq!(api.facts["requested"], 3);
        assert_eq!(api.facts["available"], 1);
    }

    #[test]
    fn internal_details_are_not_shown() {
        let api = ApiError::from(Error::Internal {
            message: "secret table name".into(),
        });
        assert!(!api.detail.contains("secret"));
    }
}
