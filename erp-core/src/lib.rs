//! # erp-core
//!
//! Order management for shops: customers, products with stock, orders and their state machine,
//! stock reservation, idempotent order creation, users and roles, status history, stock
//! movements and domain events. All business rules live here, once; the TUI, the REST server and
//! any embedding program call the same [`Erp`] methods.
//!
//! ```
//! # futures::executor::block_on(async {
//! use erp_core::{Actor, Erp};
//! use erp_core::input::{CustomerInput, OrderInput, OrderLineInput, ProductInput};
//! use erp_core::domain::OrderStatus;
//!
//! let erp = Erp::in_memory();
//! let admin = Actor::system();
//! erp.create_product(&admin, ProductInput {
//!     sku: "TEA-01".into(), name: "Green tea".into(), price: "4.90".into(),
//!     initial_stock: Some(10), reorder_level: None,
//! }.parse().unwrap()).await.unwrap();
//! let ana = erp.create_customer(&admin, CustomerInput {
//!     name: "Ana".into(), email: "ana@example.com".into(), ..Default::default()
//! }.parse().unwrap()).await.unwrap();
//!
//! let order = OrderInput {
//!     customer_id: ana.id.get(),
//!     lines: vec![OrderLineInput { sku: "tea-01".into(), quantity: 3 }],
//!     note: None,
//! }.parse("till-1-sale-42").unwrap();
//! let placed = erp.create_order(&admin, &order).await.unwrap();
//! assert_eq!(placed.order.total.to_string(), "14.70");
//!
//! // The same request again is a replay, not a second order.
//! let again = erp.create_order(&admin, &order).await.unwrap();
//! assert!(again.replayed);
//! assert_eq!(again.order.id, placed.order.id);
//!
//! let cancelled = erp.cancel_order(&admin, placed.order.id, None).await.unwrap();
//! assert_eq!(cancelled.status, OrderStatus::Cancelled);
//! # });
//! ```
//!
//! Backends: [`store::memory::MemoryStore`] always; SQLite and MySQL with the `sqlite` / `mysql`
//! features (on by default).

#![warn(missing_docs)]

pub mod auth;
mod connect;
pub mod domain;
mod error;
pub mod events;
mod hashing;
pub mod input;
pub mod receipt;
mod service;
pub mod store;
mod sync;

pub use auth::Actor;
pub use connect::{ConnectOptions, redact_url};
pub use error::{Error, Result};
pub use hashing::HashingLimits;
pub use service::{Erp, IssuedRefreshToken, REFRESH_TOKEN_TTL, SeedReport};
