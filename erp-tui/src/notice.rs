//! The status line's messages, and the one place where erp-core's errors become words on screen.

use erp_core::Error;

use crate::{i18n, t};

/// How a notice is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// Information or success.
    Info,
    /// Something did not work; nothing else changed.
    Error,
}

/// One line for the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// How to show it.
    pub kind: NoticeKind,
    /// What it says.
    pub text: String,
}

impl Notice {
    /// Information or success.
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            kind: NoticeKind::Info,
            text: text.into(),
        }
    }

    /// A problem.
    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            kind: NoticeKind::Error,
            text: text.into(),
        }
    }
}

/// What a person at the till reads for each erp-core error. Every error the TUI shows passes
/// through here, keyed by erp-core's variants (which carry its stable codes), so the wording is
/// decided once. Database detail is cut to one short line: the cashier needs to know that nothing
/// was changed and whether to retry, not the driver's text.
pub fn explain(error: &Error) -> Notice {
    let text = match error {
        Error::Validation { field, reason } => {
            t!(
                "error-validation",
                field = field.replace('_', " "),
                reason = reason.as_str()
            )
        }
        Error::NotFound { entity, key } => {
            t!("error-not-found", entity = *entity, key = key.as_str())
        }
        Error::Forbidden { role, action } => t!(
            "error-forbidden",
            role = i18n::role(*role),
            action = i18n::action(*action)
        ),
        Error::RoleNotGrantable { role, target } => t!(
            "error-role-not-grantable",
            role = i18n::role(*role),
            target = i18n::role(*target)
        ),
        Error::InvalidCredentials => t!("error-invalid-credentials"),
        Error::InvalidToken => t!("error-invalid-token"),
        Error::LoginThrottled { retry_after_secs } => {
            t!(
                "error-login-throttled",
                seconds = retry_after_secs.to_string()
            )
        }
        Error::UserInactive { username } => {
            t!("error-user-inactive", username = username.as_str())
        }
        Error::InsufficientStock {
            sku,
            requested,
            available,
        } => t!(
            "error-insufficient-stock",
            sku = sku.as_str(),
            requested = requested.to_string(),
            available = available.to_string()
        ),
        Error::ProductInactive { sku } => t!("error-product-inactive", sku = sku.as_str()),
        Error::CustomerDeleted { id } => t!("error-customer-deleted", id = id.to_string()),
        Error::StockBelowReserved {
            sku,
            requested_on_hand,
            reserved,
        } => t!(
            "error-stock-below-reserved",
            sku = sku.as_str(),
            on_hand = requested_on_hand.to_string(),
            reserved = reserved.to_string()
        ),
        Error::InvalidTransition { from, to } => t!(
            "error-invalid-transition",
            from = i18n::status(*from),
            to = i18n::status(*to)
        ),
        Error::IdempotencyConflict { order_id, .. } => {
            t!("error-idempotency-conflict", id = order_id.to_string())
        }
        Error::StockRequestConflict { .. } => t!("error-stock-request-conflict"),
        Error::StatusRequestConflict { status, .. } => t!(
            "error-status-request-conflict",
            status = i18n::status(*status)
        ),
        Error::ReturnRequestConflict { return_id, .. } => {
            t!("error-return-request-conflict", id = return_id.to_string())
        }
        Error::CashRequestConflict { movement_id, .. } => {
            t!("error-cash-request-conflict", id = movement_id.to_string())
        }
        Error::ParkRequestConflict { parked_sale_id, .. } => {
            t!(
                "error-park-request-conflict",
                id = parked_sale_id.to_string()
            )
        }
        Error::Overpayment { due, non_cash } => t!(
            "error-overpayment",
            due = due.as_str(),
            non_cash = non_cash.as_str()
        ),
        Error::PaymentShort { due, tendered } => t!(
            "error-payment-short",
            due = due.as_str(),
            tendered = tendered.as_str()
        ),
        Error::ApprovalRequired { reason } => {
            t!("error-approval-required", reason = reason.as_str())
        }
        Error::NoOpenCashSession { register_id } => {
            t!(
                "error-no-open-cash-session",
                register = register_id.to_string()
            )
        }
        Error::CashSessionAlreadyOpen { session_id, .. } => {
            t!(
                "error-cash-session-already-open",
                session = session_id.to_string()
            )
        }
        Error::CashSessionNotYours { session_id } => {
            t!(
                "error-cash-session-not-yours",
                session = session_id.to_string()
            )
        }
        Error::CashSessionClosed { session_id } => {
            t!(
                "error-cash-session-closed",
                session = session_id.to_string()
            )
        }
        Error::InsufficientCash {
            requested,
            in_drawer,
        } => t!(
            "error-insufficient-cash",
            requested = requested.as_str(),
            in_drawer = in_drawer.as_str()
        ),
        Error::OrderNotEligible {
            order_id,
            status,
            why,
        } => t!(
            "error-order-not-eligible",
            id = order_id.to_string(),
            status = i18n::status(*status),
            why = *why
        ),
        Error::ReturnExceedsSold {
            sku,
            requested,
            returnable,
        } => t!(
            "error-return-exceeds-sold",
            sku = sku.as_str(),
            requested = requested.to_string(),
            returnable = returnable.to_string()
        ),
        Error::RefundExceedsPaid {
            requested,
            refundable,
        } => t!(
            "error-refund-exceeds-paid",
            requested = requested.as_str(),
            refundable = refundable.as_str()
        ),
        Error::Duplicate { field, value } => t!(
            "error-duplicate",
            field = field.replace('_', " "),
            value = value.as_str()
        ),
        Error::AlreadyDone { what } => t!("error-already-done", what = *what),
        Error::Busy { .. } => t!("error-busy"),
        Error::HashingBusy { retry_after_secs } => {
            t!("error-hashing-busy", seconds = retry_after_secs.to_string())
        }
        Error::Unavailable { message } => {
            t!("error-unavailable", detail = first_line(message))
        }
        Error::OutcomeUnknown { .. } => t!("error-outcome-unknown"),
        Error::Internal { message } => t!("error-internal", detail = first_line(message)),
    };
    Notice::error(text)
}

/// Keeps driver detail to one short line.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        short.push('…');
    }
    short
}
