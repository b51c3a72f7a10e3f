//! The one error type of erp-core.

use crate::domain::{MovementId, OrderId, OrderStatus, Permission, Role};

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
    /// The database cannot be reached; nothing was changed.
    #[error("the database is unavailable ({message})")]
    Unavailable {
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
            Error::IdempotencyConflict { .. } | Error::StockRequestConflict { .. } => {
                "idempotency_conflict"
            }
            Error::Duplicate { .. } => "duplicate",
            Error::AlreadyDone { .. } => "already_done",
            Error::Busy { .. } => "busy",
            Error::Unavailable { .. } => "unavailable",
            Error::Internal { .. } => "internal",
        }
    }

    /// Every code, for documentation and exhaustive mapping tests.
    pub const CODES: [&'static str; 19] = [
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
        "duplicate",
        "already_done",
        "busy",
        "unavailable",
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
            Error::Busy { .. } | Error::Unavailable { .. } | Error::Internal { .. }
        )
    }
}

/// Shorthand for erp-core results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
