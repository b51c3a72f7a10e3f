//! The status line's messages, and the one place where erp-core's errors become words on screen.

use erp_core::Error;

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
        Error::Validation { field, reason } => format!("{}: {reason}", field.replace('_', " ")),
        Error::NotFound { entity, key } => format!("No {entity} {key} was found."),
        Error::Forbidden { role, action } => {
            format!("Your role ({role}) may not {}.", action.describe())
        }
        Error::RoleNotGrantable { role, target } => {
            format!("A {role} may not manage a user with role {target}.")
        }
        Error::InvalidCredentials => "Wrong username or password.".to_string(),
        Error::InvalidToken => "Your session has ended; log in again.".to_string(),
        Error::LoginThrottled { retry_after_secs } => {
            format!("Too many failed logins: wait {retry_after_secs} s before trying again.")
        }
        Error::UserInactive { username } => {
            format!("User {username} is deactivated; ask a manager.")
        }
        Error::InsufficientStock {
            sku,
            requested,
            available,
        } => format!(
            "Not enough {sku}: {requested} requested, {available} available. The cart is kept."
        ),
        Error::ProductInactive { sku } => {
            format!("{sku} is no longer sold (inactive). Remove it from the cart.")
        }
        Error::CustomerDeleted { id } => {
            format!("Customer {id} has been deleted; pick another customer.")
        }
        Error::StockBelowReserved {
            sku,
            requested_on_hand,
            reserved,
        } => format!(
            "{sku}: on hand would be {requested_on_hand}, below the {reserved} reserved by open orders."
        ),
        Error::InvalidTransition { from, to } => format!(
            "The order is {from} now and cannot become {to} (it may have changed elsewhere)."
        ),
        Error::IdempotencyConflict { order_id, .. } => format!(
            "This sale was already placed as order #{order_id} before the cart changed; see Orders."
        ),
        Error::StockRequestConflict { .. } => {
            "This stock change was already recorded differently; reopen the form and check the stock."
                .to_string()
        }
        Error::ReturnRequestConflict { return_id, .. } => format!(
            "This return was already recorded differently as return #{return_id}; see the order."
        ),
        Error::Overpayment { due, non_cash } => format!(
            "Card, PIX and other tenders come to {non_cash}, more than the {due} due; only cash may be more."
        ),
        Error::PaymentShort { due, tendered } => {
            format!("The tenders come to {tendered}; {due} is due. Add a tender.")
        }
        Error::ApprovalRequired { reason } => {
            format!("A manager must approve: {reason}. Ask a manager to type their login.")
        }
        Error::NoOpenCashSession { register_id } => {
            format!("Register {register_id} has no open cash session; open the till first.")
        }
        Error::CashSessionAlreadyOpen { session_id, .. } => {
            format!("This register already has open session {session_id}.")
        }
        Error::CashSessionNotYours { session_id } => {
            format!("Cash session {session_id} belongs to another operator.")
        }
        Error::CashSessionClosed { session_id } => {
            format!("Cash session {session_id} is closed and cannot change.")
        }
        Error::InsufficientCash {
            requested,
            in_drawer,
        } => format!("The drawer should hold {in_drawer} in cash, less than {requested}."),
        Error::OrderNotEligible {
            order_id,
            status,
            why,
        } => format!("Order #{order_id} is {status}: {why}."),
        Error::ReturnExceedsSold {
            sku,
            requested,
            returnable,
        } => format!("{sku}: only {returnable} can come back, not {requested}."),
        Error::RefundExceedsPaid {
            requested,
            refundable,
        } => format!("At most {refundable} can be refunded for these units, not {requested}."),
        Error::Duplicate { field, value } => {
            format!("{} {value} is already in use.", field.replace('_', " "))
        }
        Error::AlreadyDone { what } => format!("Already done: {what}."),
        Error::Busy { .. } => "The database is busy; nothing was changed. Try again.".to_string(),
        Error::Unavailable { message } => format!(
            "The database cannot be reached; nothing was changed. Try again. ({})",
            first_line(message)
        ),
        Error::Internal { message } => format!(
            "Something went wrong inside erp; nothing was changed. ({})",
            first_line(message)
        ),
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
