//! Domain events and the outbox.
//!
//! Every command writes its events to the outbox table in the same transaction as its change, so
//! an event exists if and only if the change committed. erp-server relays them to a Redis Stream;
//! any program can also read the outbox directly ([`crate::Erp::events_after`]).

use serde::{Deserialize, Serialize};

use crate::domain::{
    CashMovementKind, CashSessionId, CustomerId, EventId, Money, MoneyDelta, MovementKind, OrderId,
    OrderStatus, ParkedSaleId, PaymentId, PaymentKind, ProductId, RegisterId, ReturnId, Role,
    Tender, Timestamp, UserId,
};

/// Something that happened, as other programs learn of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DomainEvent {
    /// An order was placed (PENDING, stock reserved).
    OrderCreated {
        /// The order.
        order_id: OrderId,
        /// Its customer.
        customer_id: CustomerId,
        /// Its total.
        total: Money,
        /// `(sku, quantity)` per line.
        lines: Vec<(String, u32)>,
    },
    /// An order moved along (not cancelled).
    OrderStatusChanged {
        /// The order.
        order_id: OrderId,
        /// Before.
        from: OrderStatus,
        /// After.
        to: OrderStatus,
    },
    /// An order was cancelled and its reservation released.
    OrderCancelled {
        /// The order.
        order_id: OrderId,
        /// The status it was cancelled from.
        from: OrderStatus,
    },
    /// Stock was received or corrected by a person.
    StockAdjusted {
        /// The product.
        product_id: ProductId,
        /// Its SKU.
        sku: String,
        /// Receipt or adjustment.
        kind: MovementKind,
        /// Change of on hand.
        on_hand_delta: i64,
        /// On hand after.
        on_hand: i64,
        /// Reserved (unchanged).
        reserved: i64,
    },
    /// A product was created.
    ProductCreated {
        /// The product.
        product_id: ProductId,
        /// Its SKU.
        sku: String,
    },
    /// A product's name, price, threshold or active flag changed.
    ProductUpdated {
        /// The product.
        product_id: ProductId,
        /// Its SKU.
        sku: String,
    },
    /// A customer was created.
    CustomerCreated {
        /// The customer.
        customer_id: CustomerId,
    },
    /// A customer was edited.
    CustomerUpdated {
        /// The customer.
        customer_id: CustomerId,
    },
    /// A customer was soft-deleted.
    CustomerDeleted {
        /// The customer.
        customer_id: CustomerId,
    },
    /// A user was created.
    UserCreated {
        /// The user.
        user_id: UserId,
        /// Login name.
        username: String,
        /// Role.
        role: Role,
    },
    /// A user's role, password or active flag changed.
    UserUpdated {
        /// The user.
        user_id: UserId,
    },
    /// A counter sale was paid and handed over (born DELIVERED, stock gone).
    SaleCompleted {
        /// The order.
        order_id: OrderId,
        /// The till.
        register_id: RegisterId,
        /// The cash session.
        cash_session_id: CashSessionId,
        /// What was due.
        total: Money,
        /// The change handed back.
        change: Money,
        /// `(sku, quantity)` per line.
        lines: Vec<(String, u32)>,
    },
    /// Money came in for an order or went back out for a return.
    PaymentRecorded {
        /// The payment.
        payment_id: PaymentId,
        /// The order.
        order_id: OrderId,
        /// In or out.
        kind: PaymentKind,
        /// How.
        tender: Tender,
        /// How much.
        amount: Money,
    },
    /// Cash was put into or taken out of a drawer.
    CashMoved {
        /// The session.
        cash_session_id: CashSessionId,
        /// In or out.
        kind: CashMovementKind,
        /// How much.
        amount: Money,
    },
    /// A till was opened with a float.
    SessionOpened {
        /// The session.
        cash_session_id: CashSessionId,
        /// The till.
        register_id: RegisterId,
        /// The float.
        opening_float: Money,
    },
    /// A till was closed and counted.
    SessionClosed {
        /// The session.
        cash_session_id: CashSessionId,
        /// The till.
        register_id: RegisterId,
        /// Counted minus expected cash.
        cash_difference: MoneyDelta,
    },
    /// Goods came back.
    ReturnRecorded {
        /// The return.
        return_id: ReturnId,
        /// The order.
        order_id: OrderId,
        /// What was paid back.
        refund_total: Money,
    },
    /// A till was set up.
    RegisterCreated {
        /// The till.
        register_id: RegisterId,
        /// Its code.
        code: String,
    },
    /// The shop's settings (what receipts print about it) were changed.
    ShopSettingsChanged {
        /// The shop's name now.
        name: String,
    },
    /// A cart was parked at a till.
    SaleParked {
        /// The parked cart.
        parked_sale_id: ParkedSaleId,
        /// Its label.
        label: String,
        /// `(sku, quantity)` per line.
        lines: Vec<(String, u32)>,
    },
    /// A parked cart was recalled (and is gone from the parked list).
    ParkedSaleRecalled {
        /// The parked cart.
        parked_sale_id: ParkedSaleId,
    },
}

impl DomainEvent {
    /// The event's type name, e.g. `OrderCreated`.
    pub fn event_type(&self) -> &'static str {
        match self {
            DomainEvent::OrderCreated { .. } => "OrderCreated",
            DomainEvent::OrderStatusChanged { .. } => "OrderStatusChanged",
            DomainEvent::OrderCancelled { .. } => "OrderCancelled",
            DomainEvent::StockAdjusted { .. } => "StockAdjusted",
            DomainEvent::ProductCreated { .. } => "ProductCreated",
            DomainEvent::ProductUpdated { .. } => "ProductUpdated",
            DomainEvent::CustomerCreated { .. } => "CustomerCreated",
            DomainEvent::CustomerUpdated { .. } => "CustomerUpdated",
            DomainEvent::CustomerDeleted { .. } => "CustomerDeleted",
            DomainEvent::UserCreated { .. } => "UserCreated",
            DomainEvent::UserUpdated { .. } => "UserUpdated",
            DomainEvent::SaleCompleted { .. } => "SaleCompleted",
            DomainEvent::PaymentRecorded { .. } => "PaymentRecorded",
            DomainEvent::CashMoved { .. } => "CashMoved",
            DomainEvent::SessionOpened { .. } => "SessionOpened",
            DomainEvent::SessionClosed { .. } => "SessionClosed",
            DomainEvent::ReturnRecorded { .. } => "ReturnRecorded",
            DomainEvent::RegisterCreated { .. } => "RegisterCreated",
            DomainEvent::ShopSettingsChanged { .. } => "ShopSettingsChanged",
            DomainEvent::SaleParked { .. } => "SaleParked",
            DomainEvent::ParkedSaleRecalled { .. } => "ParkedSaleRecalled",
        }
    }

    /// The kind and id of the entity the event is about.
    pub fn aggregate(&self) -> (&'static str, i64) {
        match self {
            DomainEvent::OrderCreated { order_id, .. }
            | DomainEvent::OrderStatusChanged { order_id, .. }
            | DomainEvent::OrderCancelled { order_id, .. }
            | DomainEvent::SaleCompleted { order_id, .. }
            | DomainEvent::PaymentRecorded { order_id, .. }
            | DomainEvent::ReturnRecorded { order_id, .. } => ("order", order_id.get()),
            DomainEvent::CashMoved {
                cash_session_id, ..
            }
            | DomainEvent::SessionOpened {
                cash_session_id, ..
            }
            | DomainEvent::SessionClosed {
                cash_session_id, ..
            } => ("cash_session", cash_session_id.get()),
            DomainEvent::RegisterCreated { register_id, .. } => ("register", register_id.get()),
            // One shop per database: its settings are row 1.
            DomainEvent::ShopSettingsChanged { .. } => ("shop", 1),
            DomainEvent::SaleParked { parked_sale_id, .. }
            | DomainEvent::ParkedSaleRecalled { parked_sale_id } => {
                ("parked_sale", parked_sale_id.get())
            }
            DomainEvent::StockAdjusted { product_id, .. }
            | DomainEvent::ProductCreated { product_id, .. }
            | DomainEvent::ProductUpdated { product_id, .. } => ("product", product_id.get()),
            DomainEvent::CustomerCreated { customer_id }
            | DomainEvent::CustomerUpdated { customer_id }
            | DomainEvent::CustomerDeleted { customer_id } => ("customer", customer_id.get()),
            DomainEvent::UserCreated { user_id, .. } | DomainEvent::UserUpdated { user_id } => {
                ("user", user_id.get())
            }
        }
    }
}

/// An event about to be written to the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// `DomainEvent::event_type`.
    pub event_type: &'static str,
    /// Entity kind.
    pub aggregate_type: &'static str,
    /// Entity id.
    pub aggregate_id: i64,
    /// The event as JSON.
    pub payload: String,
    /// Who caused it.
    pub actor: Option<UserId>,
    /// When.
    pub occurred_at: Timestamp,
}

impl NewEvent {
    /// Serialises `event` for the outbox.
    pub fn new(event: &DomainEvent, actor: Option<UserId>, occurred_at: Timestamp) -> NewEvent {
        let (aggregate_type, aggregate_id) = event.aggregate();
        NewEvent {
            event_type: event.event_type(),
            aggregate_type,
            aggregate_id,
            // Serialising these plain enums cannot fail; an empty object would still be valid JSON.
            payload: serde_json::to_string(event).unwrap_or_else(|_| "{}".to_string()),
            actor,
            occurred_at,
        }
    }
}

/// What waits in the outbox for a relay: for monitoring how far publishing lags behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxBacklog {
    /// Events not yet published.
    pub unpublished: u64,
    /// When the oldest of them happened; `None` when nothing waits.
    pub oldest: Option<Timestamp>,
}

/// An event as stored in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    /// Unique, increasing id (consumers de-duplicate on it).
    pub id: EventId,
    /// Type name.
    pub event_type: String,
    /// Entity kind.
    pub aggregate_type: String,
    /// Entity id.
    pub aggregate_id: i64,
    /// The event as JSON.
    pub payload: String,
    /// Who caused it.
    pub actor: Option<UserId>,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When a relay published it, if one has.
    pub published_at: Option<Timestamp>,
}

impl EventRecord {
    /// Decodes the payload.
    pub fn decode(&self) -> Result<DomainEvent, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }
}
