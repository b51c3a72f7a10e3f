//! What the API answers with: plain JSON shapes documented in the OpenAPI schema. Money is a
//! decimal string (`"12.50"`), times are RFC 3339 in UTC.

use chrono::{DateTime, Utc};
use erp_core::domain::{
    Customer, Order, OrderLine, OrderStatus, Page, Product, StatusChange, StockMovement, User,
};
use serde::Serialize;
use utoipa::ToSchema;

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageDto<T: ToSchema> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows the whole list has.
    pub total: u64,
    /// Rows skipped.
    pub offset: u64,
    /// Page size.
    pub limit: u32,
}

impl<T: ToSchema> PageDto<T> {
    /// Converts a page of domain values.
    pub fn from_page<D>(page: Page<D>, f: impl FnMut(D) -> T) -> PageDto<T> {
        let page = page.map(f);
        PageDto {
            items: page.items,
            total: page.total,
            offset: page.offset,
            limit: page.limit,
        }
    }
}

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub username: String,
    /// viewer, operator, manager or admin.
    pub role: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        UserDto {
            id: u.id.get(),
            username: u.username.to_string(),
            role: u.role.to_string(),
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDto {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    /// CPF or CNPJ with punctuation.
    pub tax_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set once soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<Customer> for CustomerDto {
    fn from(c: Customer) -> Self {
        CustomerDto {
            id: c.id.get(),
            name: c.name.to_string(),
            email: c.email.to_string(),
            phone: c.phone.map(|p| p.to_string()),
            tax_id: c.tax_id.map(|t| t.formatted()),
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
        }
    }
}

/// A product with its stock.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDto {
    pub id: i64,
    pub sku: String,
    pub name: String,
    /// Unit price, e.g. "12.50".
    pub price: String,
    pub on_hand: i64,
    pub reserved: i64,
    /// on_hand - reserved.
    pub available: i64,
    pub reorder_level: i64,
    /// available <= reorder_level.
    pub low_stock: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductDto {
    fn from(p: Product) -> Self {
        ProductDto {
            available: p.available(),
            low_stock: p.is_low_on_stock(),
            id: p.id.get(),
            sku: p.sku.to_string(),
            name: p.name.to_string(),
            price: p.price.to_string(),
            on_hand: p.on_hand,
            reserved: p.reserved,
            reorder_level: p.reorder_level,
            active: p.active,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A stock movement.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementDto {
    pub id: i64,
    pub product_id: i64,
    /// RECEIPT, ADJUSTMENT, RESERVATION, RELEASE or SHIPMENT.
    pub kind: String,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub order_id: Option<i64>,
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<StockMovement> for MovementDto {
    fn from(m: StockMovement) -> Self {
        MovementDto {
            id: m.id.get(),
            product_id: m.product_id.get(),
            kind: m.kind.as_str().to_string(),
            on_hand_delta: m.on_hand_delta,
            reserved_delta: m.reserved_delta,
            order_id: m.order_id.map(|o| o.get()),
            reason: m.reason,
            created_by: m.created_by.map(|u| u.get()),
            created_at: m.created_at,
        }
    }
}

/// One line of an order, priced when the order was placed.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineDto {
    pub product_id: i64,
    pub sku: String,
    pub product_name: String,
    pub unit_price: String,
    pub quantity: u32,
    pub line_total: String,
}

impl From<OrderLine> for OrderLineDto {
    fn from(l: OrderLine) -> Self {
        OrderLineDto {
            product_id: l.product_id.get(),
            sku: l.sku.to_string(),
            product_name: l.product_name.to_string(),
            unit_price: l.unit_price.to_string(),
            quantity: l.quantity.get(),
            line_total: l.line_total.to_string(),
        }
    }
}

/// One step of an order's life.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryDto {
    /// Null for the creation.
    pub from: Option<String>,
    pub to: String,
    pub changed_by: Option<i64>,
    pub changed_at: DateTime<Utc>,
    pub note: Option<String>,
}

impl From<StatusChange> for HistoryDto {
    fn from(h: StatusChange) -> Self {
        HistoryDto {
            from: h.from.map(|s| s.to_string()),
            to: h.to.to_string(),
            changed_by: h.changed_by.map(|u| u.get()),
            changed_at: h.changed_at,
            note: h.note.map(|n| n.to_string()),
        }
    }
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    pub id: i64,
    pub customer_id: i64,
    /// PENDING, CONFIRMED, PICKED, SHIPPED, DELIVERED or CANCELLED.
    pub status: String,
    /// The statuses this order may move to next.
    pub next_statuses: Vec<String>,
    pub lines: Vec<OrderLineDto>,
    pub total: String,
    pub idempotency_key: String,
    pub note: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The status history, oldest first (on single-order reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryDto>>,
}

impl From<Order> for OrderDto {
    fn from(o: Order) -> Self {
        OrderDto {
            id: o.id.get(),
            customer_id: o.customer_id.get(),
            status: o.status.to_string(),
            next_statuses: o.status.next().iter().map(OrderStatus::to_string).collect(),
            lines: o.lines.into_iter().map(Into::into).collect(),
            total: o.total.to_string(),
            idempotency_key: o.idempotency_key.to_string(),
            note: o.note.map(|n| n.to_string()),
            created_by: o.created_by.map(|u| u.get()),
            created_at: o.created_at,
            updated_at: o.updated_at,
            history: None,
        }
    }
}

/// Tokens handed out by login and refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    /// The access token (JWT) for `Authorization: Bearer`.
    pub access_token: String,
    /// Always "Bearer".
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Exchange it at /auth/jwt/refresh for new tokens; each is good for one use.
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: UserDto,
}
