//! The one error type of erp-core.

use crate::domain::{
    CashMovementId, CashSessionId, MovementId, OrderId, OrderStatus, ParkedSaleId, Permission,
    RegisterId, ReturnId, Role,
};

/// Everything that can go wrong in a command, with the facts a person needs to act on it.
///
/// Each variant has a stable machine-readable [`code`](Error::code); frontends map codes (never
/// messages) to HTTP statuses or screen texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Input failed validation.
    #[error("{field}: {reason}")]
    Validation {
        /// The offending field, as the caller named it (`lines[2].quantity`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No such entity.
    #[error("{entity} {key} not found")]
    NotFound {
        /// `customer`, `product`, `order` or `user`.
        entity: &'static str,
        /// The id or key that was looked up.
        key: String,
    },
    /// The acting user's role does not allow the action.
    #[error("a {role} may not {}", action.describe())]
    Forbidden {
        /// The actor's role.
        role: Role,
        /// The refused action.
        action: Permission,
    },
    /// A manager tried to create, change or deactivate an admin, or a user tried to act on
    /// another user above their station.
    #[error("a {role} may not manage a user with role {target}")]
    RoleNotGrantable {
        /// The actor's role.
        role: Role,
        /// The role of the user being managed.
        target: Role,
    },
    /// Wrong username or password (deliberately not saying which).
    #[error("wrong username or password")]
    InvalidCredentials,
    /// A session or refresh token is unknown, expired, revoked or was already used.
    #[error("the session token is invalid or expired; log in again")]
    InvalidToken,
    /// Too many failed logins; try again later.
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    LoginThrottled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The user has been deactivated.
    #[error("user {username} is deactivated")]
    UserInactive {
        /// Who.
        username: String,
    },
    /// Not enough available stock for a line.
    #[error("insufficient stock for {sku}: requested {requested}, available {available}")]
    InsufficientStock {
        /// The line's SKU.
        sku: String,
        /// Units asked for.
        requested: i64,
        /// Units available.
        available: i64,
    },
    /// The product is deactivated and cannot be ordered.
    #[error("product {sku} is inactive")]
    ProductInactive {
        /// The product.
        sku: String,
    },
    /// The customer is deleted and cannot order.
    #[error("customer {id} is deleted")]
    CustomerDeleted {
        /// The customer id.
        id: i64,
    },
    /// A stock change would leave less on hand than is reserved.
    #[error(
        "{sku}: on hand would be {requested_on_hand}, below the {reserved} units reserved by open orders"
    )]
    StockBelowReserved {
        /// The product.
        sku: String,
        /// The on-hand figure the change would produce.
        requested_on_hand: i64,
        /// Units reserved.
        reserved: i64,
    },
    /// The order cannot move from `from` to `to`.
    #[error("an order cannot go from {from} to {to}")]
    InvalidTransition {
        /// Current status.
        from: OrderStatus,
        /// Requested status.
        to: OrderStatus,
    },
    /// The idempotency key was already used by this customer for a different request.
    #[error("idempotency key {key} was already used for order {order_id} with a different request")]
    IdempotencyConflict {
        /// The key.
        key: String,
        /// The order that key created.
        order_id: OrderId,
    },
    /// The idempotency key of a stock change was already used on this product for a different
    /// change.
    #[error(
        "idempotency key {key} was already used for stock movement {movement_id} with a different change"
    )]
    StockRequestConflict {
        /// The key.
        key: String,
        /// The movement that key made.
        movement_id: MovementId,
    },
    /// The idempotency key of a status change was already used on this order for a different
    /// change (another status, or another note).
    #[error(
        "idempotency key {key} was already used for the order's change to {status} with a different request"
    )]
    StatusRequestConflict {
        /// The key.
        key: String,
        /// The status that key moved the order to.
        status: OrderStatus,
    },
    /// The return's idempotency key was already used on this order for a different return.
    #[error(
        "idempotency key {key} was already used for return {return_id} with a different request"
    )]
    ReturnRequestConflict {
        /// The key.
        key: String,
        /// The return that key made.
        return_id: ReturnId,
    },
    /// The idempotency key of a parked cart was already used for a different cart.
    #[error(
        "idempotency key {key} was already used for parked sale {parked_sale_id} with a different cart"
    )]
    ParkRequestConflict {
        /// The key.
        key: String,
        /// The parked sale that key made.
        parked_sale_id: ParkedSaleId,
    },
    /// The idempotency key of a cash movement was already used in the session for a different
    /// movement.
    #[error(
        "idempotency key {key} was already used for cash movement {movement_id} with a different amount, kind or reason"
    )]
    CashRequestConflict {
        /// The key.
        key: String,
        /// The movement that key made.
        movement_id: CashMovementId,
    },
    /// Card, PIX and other tenders together exceed what is due (only cash may, for change).
    #[error("card, PIX and other tenders add up to {non_cash}, more than the {due} due")]
    Overpayment {
        /// What is due.
        due: String,
        /// The non-cash tenders' sum.
        non_cash: String,
    },
    /// The tenders do not cover the sale.
    #[error("the tenders add up to {tendered}, less than the {due} due")]
    PaymentShort {
        /// What is due.
        due: String,
        /// What was tendered.
        tendered: String,
    },
    /// The command needs a manager's or admin's approval, and none (or no valid one) was given.
    #[error("a manager must approve: {reason}")]
    ApprovalRequired {
        /// Why approval is needed, or why the given approver was refused.
        reason: String,
    },
    /// The register has no open cash session.
    #[error("register {register_id} has no open cash session")]
    NoOpenCashSession {
        /// The register.
        register_id: RegisterId,
    },
    /// The register already has an open cash session.
    #[error("register {register_id} already has open cash session {session_id}")]
    CashSessionAlreadyOpen {
        /// The register.
        register_id: RegisterId,
        /// The open session.
        session_id: CashSessionId,
    },
    /// The open session belongs to another operator.
    #[error("cash session {session_id} belongs to another operator")]
    CashSessionNotYours {
        /// The session.
        session_id: CashSessionId,
    },
    /// The session is closed and never changes.
    #[error("cash session {session_id} is closed")]
    CashSessionClosed {
        /// The session.
        session_id: CashSessionId,
    },
    /// The drawer does not hold the cash asked for.
    #[error("the drawer holds {in_drawer} in cash, less than the {requested} asked for")]
    InsufficientCash {
        /// What was asked for.
        requested: String,
        /// What the drawer should hold.
        in_drawer: String,
    },
    /// The order cannot take a payment or a return in its status.
    #[error("order {order_id} is {status}: {why}")]
    OrderNotEligible {
        /// The order.
        order_id: OrderId,
        /// Its status.
        status: OrderStatus,
        /// What it cannot do.
        why: &'static str,
    },
    /// More units would come back than were sold and not yet returned.
    #[error(
        "{sku}: {requested} units cannot come back, only {returnable} were sold and not yet returned"
    )]
    ReturnExceedsSold {
        /// The line.
        sku: String,
        /// Units asked for.
        requested: i64,
        /// Units still returnable.
        returnable: i64,
    },
    /// The refund is more than was paid for the returned units.
    #[error("a refund of {requested} is more than the {refundable} paid for these units")]
    RefundExceedsPaid {
        /// The refund asked for.
        requested: String,
        /// The most that may be refunded.
        refundable: String,
    },
    /// A unique value is taken.
    #[error("{field} {value} is already in use")]
    Duplicate {
        /// `sku`, `email`, `tax_id` or `username`.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// A one-time setup step has already been done (first admin, demo data).
    #[error("{what} has already been done")]
    AlreadyDone {
        /// Which step.
        what: &'static str,
    },
    /// The database stayed too contended to finish the command; it changed nothing. Retry.
    #[error("the database is busy; nothing was changed, try again ({message})")]
    Busy {
        /// Detail for logs.
        message: String,
    },
    /// Too many logins (or other password checks) are waiting for the password hasher; nothing
    /// was tried. Retry after the given time.
    #[error("too many logins at once; try again in {retry_after_secs} s")]
    HashingBusy {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The database cannot be reached; nothing was changed.
    #[error("the database is unavailable ({message})")]
    Unavailable {
        /// Detail for logs.
        message: String,
    },
    /// The connection to the database was lost while the command was committing: it may or may
    /// not have taken effect. Retrying with the same idempotency key tells (a replay if it did,
    /// the command done now if it did not).
    #[error(
        "the connection to the database was lost during the commit; the change may or may not \
         have been made ({message})"
    )]
    OutcomeUnknown {
        /// Detail for logs.
        message: String,
    },
    /// A bug or corrupted data. The detail is for logs, not for clients.
    #[error("internal error: {message}")]
    Internal {
        /// Detail for logs.
        message: String,
    },
}

impl Error {
    /// The stable code of this error, for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation { .. } => "validation_failed",
            Error::NotFound { .. } => "not_found",
            Error::Forbidden { .. } => "forbidden",
            Error::RoleNotGrantable { .. } => "role_not_grantable",
            Error::InvalidCredentials => "invalid_credentials",
            Error::InvalidToken => "invalid_token",
            Error::LoginThrottled { .. } => "login_throttled",
            Error::UserInactive { .. } => "user_inactive",
            Error::InsufficientStock { .. } => "insufficient_stock",
            Error::ProductInactive { .. } => "product_inactive",
            Error::CustomerDeleted { .. } => "customer_deleted",
            Error::StockBelowReserved { .. } => "stock_below_reserved",
            Error::InvalidTransition { .. } => "invalid_transition",
            Error::IdempotencyConflict { .. }
            | Error::StockRequestConflict { .. }
            | Error::StatusRequestConflict { .. }
            | Error::ReturnRequestConflict { .. }
            | Error::ParkRequestConflict { .. }
            | Error::CashRequestConflict { .. } => "idempotency_conflict",
            Error::Overpayment { .. } => "overpayment",
            Error::PaymentShort { .. } => "payment_short",
            Error::ApprovalRequired { .. } => "approval_required",
            Error::NoOpenCashSession { .. } => "no_open_session",
            Error::CashSessionAlreadyOpen { .. } => "session_already_open",
            Error::CashSessionNotYours { .. } => "session_not_yours",
            Error::CashSessionClosed { .. } => "session_closed",
            Error::InsufficientCash { .. } => "insufficient_cash",
            Error::OrderNotEligible { .. } => "order_not_eligible",
            Error::ReturnExceedsSold { .. } => "return_exceeds_sold",
            Error::RefundExceedsPaid { .. } => "refund_exceeds_paid",
            Error::Duplicate { .. } => "duplicate",
            Error::AlreadyDone { .. } => "already_done",
            Error::Busy { .. } | Error::HashingBusy { .. } => "busy",
            Error::Unavailable { .. } => "unavailable",
            Error::OutcomeUnknown { .. } => "outcome_unknown",
            Error::Internal { .. } => "internal",
        }
    }

    /// Every code, for documentation and exhaustive mapping tests.
    pub const CODES: [&'static str; 31] = [
        "validation_failed",
        "not_found",
        "forbidden",
        "role_not_grantable",
        "invalid_credentials",
        "invalid_token",
        "login_throttled",
        "user_inactive",
        "insufficient_stock",
        "product_inactive",
        "customer_deleted",
        "stock_below_reserved",
        "invalid_transition",
        "idempotency_conflict",
        "overpayment",
        "payment_short",
        "approval_required",
        "no_open_session",
        "session_already_open",
        "session_not_yours",
        "session_closed",
        "insufficient_cash",
        "order_not_eligible",
        "return_exceeds_sold",
        "refund_exceeds_paid",
        "duplicate",
        "already_done",
        "busy",
        "unavailable",
        "outcome_unknown",
        "internal",
    ];

    /// A validation error for `field`.
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A not-found error.
    pub fn not_found(entity: &'static str, key: impl ToString) -> Error {
        Error::NotFound {
            entity,
            key: key.to_string(),
        }
    }

    /// The error is the caller's (bad input, rules, permissions), not the system's.
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            Error::Busy { .. }
                | Error::HashingBusy { .. }
                | Error::Unavailable { .. }
                | Error::OutcomeUnknown { .. }
                | Error::Internal { .. }
        )
    }
}

/// Shorthand for erp-core results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
