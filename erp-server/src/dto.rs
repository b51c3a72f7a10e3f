//! What the API answers with: plain JSON shapes documented in the OpenAPI schema. Money is a
//! decimal string (`"12.50"`), times are RFC 3339 in UTC.

use chrono::{DateTime, Utc};
use erp_core::domain::{
    CashMovement, CashSession, Customer, Order, OrderLine, OrderStatus, Page, PaidOrder, Payment,
    Product, Register, SaleReturn, SessionReport, StatusChange, StockMovement, User,
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
    /// RECEIPT, ADJUSTMENT, RESERVATION, RELEASE, SHIPMENT, SALE or RETURN.
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
    /// unit_price * quantity, before the line's discount.
    pub line_total: String,
    /// The catalogue price when sold (differs from unit_price when overridden).
    pub list_price: String,
    /// This line's own discount.
    pub discount: String,
    /// Units that came back by returns.
    pub returned: u32,
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
            list_price: l.list_price.to_string(),
            discount: l.discount.to_string(),
            returned: l.returned,
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
    /// delivery or counter.
    pub channel: String,
    pub lines: Vec<OrderLineDto>,
    /// The discount on the whole order.
    pub discount: String,
    /// What is due: lines' nets less the discount.
    pub total: String,
    /// Paid towards the total.
    pub paid: String,
    /// total - paid.
    pub balance_due: String,
    /// Cash handed back.
    pub change: String,
    /// Paid back for returns.
    pub refunded: String,
    pub register_id: Option<i64>,
    pub cash_session_id: Option<i64>,
    /// The manager who approved a discount or price override.
    pub approved_by: Option<i64>,
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
            channel: o.channel.to_string(),
            balance_due: o.balance_due().to_string(),
            discount: o.discount.to_string(),
            paid: o.paid.to_string(),
            change: o.change.to_string(),
            refunded: o.refunded.to_string(),
            register_id: o.register_id.map(|r| r.get()),
            cash_session_id: o.cash_session_id.map(|s| s.get()),
            approved_by: o.approved_by.map(|u| u.get()),
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

/// A payment (money in) or refund (money back out).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDto {
    pub id: i64,
    pub order_id: i64,
    /// payment or refund.
    pub kind: String,
    /// cash, debit, credit, pix or other.
    pub tender: String,
    /// As handed over (cash: including what came back as change).
    pub amount: String,
    pub reference: Option<String>,
    pub cash_session_id: Option<i64>,
    pub return_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<Payment> for PaymentDto {
    fn from(p: Payment) -> Self {
        PaymentDto {
            id: p.id.get(),
            order_id: p.order_id.get(),
            kind: p.kind.to_string(),
            tender: p.tender.to_string(),
            amount: p.amount.to_string(),
            reference: p.reference.map(|r| r.to_string()),
            cash_session_id: p.cash_session_id.map(|s| s.get()),
            return_id: p.return_id.map(|r| r.get()),
            created_by: p.created_by.map(|u| u.get()),
            created_at: p.created_at,
        }
    }
}

/// An order with the payments a sale or payment just recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaidOrderDto {
    pub order: OrderDto,
    pub payments: Vec<PaymentDto>,
}

impl From<PaidOrder> for PaidOrderDto {
    fn from(p: PaidOrder) -> Self {
        PaidOrderDto {
            order: p.order.into(),
            payments: p.payments.into_iter().map(Into::into).collect(),
        }
    }
}

/// A till.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterDto {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<Register> for RegisterDto {
    fn from(r: Register) -> Self {
        RegisterDto {
            id: r.id.get(),
            code: r.code.to_string(),
            name: r.name.to_string(),
            created_at: r.created_at,
        }
    }
}

/// One tender's count at a close.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountDto {
    pub tender: String,
    pub expected: String,
    pub counted: String,
    /// counted - expected: negative is short.
    pub difference: String,
}

/// A cash session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDto {
    pub id: i64,
    pub register_id: i64,
    pub opened_by: Option<i64>,
    pub opened_at: DateTime<Utc>,
    pub opening_float: String,
    pub open: bool,
    pub closed_by: Option<i64>,
    pub closed_at: Option<DateTime<Utc>>,
    pub counts: Vec<CountDto>,
}

impl From<CashSession> for SessionDto {
    fn from(s: CashSession) -> Self {
        let closing = s.closing.as_ref();
        SessionDto {
            id: s.id.get(),
            register_id: s.register_id.get(),
            opened_by: s.opened_by.map(|u| u.get()),
            opened_at: s.opened_at,
            opening_float: s.opening_float.to_string(),
            open: s.is_open(),
            closed_by: closing.and_then(|c| c.closed_by).map(|u| u.get()),
            closed_at: closing.map(|c| c.closed_at),
            counts: closing
                .map(|c| {
                    c.counts
                        .iter()
                        .map(|line| CountDto {
                            tender: line.tender.to_string(),
                            expected: line.expected.to_string(),
                            counted: line.counted.to_string(),
                            difference: line.difference.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Cash put in or taken out.
#[derive(Debug, Serialize, ToSchema)]
pub struct CashMovementDto {
    pub id: i64,
    pub cash_session_id: i64,
    /// in or out.
    pub kind: String,
    pub amount: String,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<CashMovement> for CashMovementDto {
    fn from(m: CashMovement) -> Self {
        CashMovementDto {
            id: m.id.get(),
            cash_session_id: m.cash_session_id.get(),
            kind: m.kind.to_string(),
            amount: m.amount.to_string(),
            reason: m.reason.to_string(),
            created_by: m.created_by.map(|u| u.get()),
            created_at: m.created_at,
        }
    }
}

/// One tender's line of a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenderSummaryDto {
    pub tender: String,
    pub taken: String,
    pub refunded: String,
    pub expected: String,
    pub counted: Option<String>,
    pub difference: Option<String>,
}

/// An X (open) or Z (closed) report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDto {
    /// X or Z.
    pub kind: String,
    pub register: RegisterDto,
    pub session: SessionDto,
    pub opened_by: String,
    pub closed_by: Option<String>,
    pub sales: u64,
    pub gross: String,
    pub discounts: String,
    pub returns: u64,
    pub change_given: String,
    pub cash_in: String,
    pub cash_out: String,
    pub tenders: Vec<TenderSummaryDto>,
    pub generated_at: DateTime<Utc>,
    /// The report as printed, when a width was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl ReportDto {
    /// The report, with its text at `width` columns if asked.
    pub fn new(r: SessionReport, width: Option<usize>) -> ReportDto {
        let text = width.map(|w| r.render(w.clamp(32, 48)));
        ReportDto {
            kind: format!("{:?}", r.kind),
            register: r.register.into(),
            session: r.session.into(),
            opened_by: r.opened_by,
            closed_by: r.closed_by,
            sales: r.totals.sales,
            gross: r.totals.gross.to_string(),
            discounts: r.totals.discounts.to_string(),
            returns: r.totals.returns,
            change_given: r.totals.change.to_string(),
            cash_in: r.totals.cash_in.to_string(),
            cash_out: r.totals.cash_out.to_string(),
            tenders: r
                .tenders
                .iter()
                .map(|t| TenderSummaryDto {
                    tender: t.tender.to_string(),
                    taken: t.taken.to_string(),
                    refunded: t.refunded.to_string(),
                    expected: t.expected.to_string(),
                    counted: t.counted.map(|c| c.to_string()),
                    difference: t.difference.map(|d| d.to_string()),
                })
                .collect(),
            generated_at: r.generated_at,
            text,
        }
    }
}

/// One returned line.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnedLineDto {
    pub sku: String,
    pub quantity: u32,
    /// Back to stock (true) or written off.
    pub restocked: bool,
    pub reason: Option<String>,
}

/// A return with its refunds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnDto {
    pub id: i64,
    pub order_id: i64,
    pub lines: Vec<ReturnedLineDto>,
    pub refunds: Vec<PaymentDto>,
    pub refund_total: String,
    pub cash_session_id: Option<i64>,
    /// The approving manager's user id.
    pub approved_by: Option<i64>,
    pub idempotency_key: String,
    pub note: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<SaleReturn> for ReturnDto {
    fn from(r: SaleReturn) -> Self {
        ReturnDto {
            id: r.id.get(),
            order_id: r.order_id.get(),
            lines: r
                .lines
                .into_iter()
                .map(|l| ReturnedLineDto {
                    sku: l.sku.to_string(),
                    quantity: l.quantity.get(),
                    restocked: l.restocked,
                    reason: l.reason.map(|x| x.to_string()),
                })
                .collect(),
            refunds: r.refunds.into_iter().map(Into::into).collect(),
            refund_total: r.refund_total.to_string(),
            cash_session_id: r.cash_session_id.map(|s| s.get()),
            approved_by: r.approved_by.map(|u| u.get()),
            idempotency_key: r.idempotency_key.to_string(),
            note: r.note.map(|n| n.to_string()),
            created_by: r.created_by.map(|u| u.get()),
            created_at: r.created_at,
        }
    }
}
