//! Rows back into domain types, for both dialects.
//!
//! Each dialect says how to read a typed column ([`Columns`]: SQLite keeps money in cents and time
//! in microseconds, MySQL in DECIMAL and DATETIME); the mapping from columns to domain types, with
//! every stored value passing its domain check again, is written once here. Both schemas use the
//! same table and column names.

use super::stored;
use crate::domain::audit::OrderAudit;
use crate::domain::{
    CashMovement, CashMovementId, CashMovementKind, CashSession, CashSessionId, Channel, Customer,
    CustomerId, Email, EventId, HistoryId, IdempotencyKey, Money, MoneyDelta, MovementId,
    MovementKind, Name, Note, Order, OrderId, OrderLine, OrderStatus, Payment, PaymentId,
    PaymentKind, Phone, Product, ProductId, Quantity, Reason, Reference, Register, RegisterCode,
    RegisterId, ReturnId, ReturnedLine, Role, SaleReturn, SessionClosing, Sku, StatusChange,
    StockMovement, TaxId, Tender, TenderCount, Timestamp, User, UserId, UserRecord, Username,
};
use crate::events::EventRecord;
use crate::store::{RefreshTokenRecord, StoreError, StoreResult};

/// Typed column access on a row of one dialect.
pub(crate) trait Columns {
    /// An integer column.
    fn int(&self, column: &str) -> StoreResult<i64>;
    /// A nullable integer column.
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    /// A boolean column.
    fn flag(&self, column: &str) -> StoreResult<bool>;
    /// A text column.
    fn text(&self, column: &str) -> StoreResult<String>;
    /// A nullable text column.
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    /// A timestamp column.
    fn time(&self, column: &str) -> StoreResult<Timestamp>;
    /// A nullable timestamp column.
    fn opt_time(&self, column: &str) -> StoreResult<Option<Timestamp>>;
    /// A money column.
    fn money(&self, column: &str) -> StoreResult<Money>;
    /// A nullable money column.
    fn opt_money(&self, column: &str) -> StoreResult<Option<Money>>;
    /// A signed money column, in cents.
    fn signed_cents(&self, column: &str) -> StoreResult<i64>;
}

/// The customer columns.
pub(crate) const CUSTOMER_COLUMNS: &str =
    "id, name, email, phone, tax_id, created_at, updated_at, deleted_at";
/// The user columns.
pub(crate) const USER_COLUMNS: &str =
    "id, username, password_hash, role, active, created_at, updated_at";
/// The outbox columns.
pub(crate) const EVENT_COLUMNS: &str =
    "id, event_type, aggregate_type, aggregate_id, payload, actor, occurred_at, published_at";
/// The refresh token columns.
pub(crate) const TOKEN_COLUMNS: &str =
    "token_hash, family, user_id, issued_at, expires_at, used_at, revoked_at";
/// The movement columns.
pub(crate) const MOVEMENT_COLUMNS: &str = "id, product_id, kind, on_hand_delta, reserved_delta, \
                                           order_id, reason, created_by, created_at";
/// The product columns.
pub(crate) const PRODUCT_COLUMNS: &str = "id, sku, name, price, on_hand, reserved, reorder_level, \
                                          active, created_at, updated_at";
/// The order columns (lines are read apart).
pub(crate) const ORDER_COLUMNS: &str = "id, customer_id, status, total, idempotency_key, \
                                        request_fingerprint, note, created_by, created_at, \
                                        updated_at, channel, discount, paid, change_given, \
                                        refunded, register_id, cash_session_id, approved_by";
/// The order line columns.
pub(crate) const LINE_COLUMNS: &str = "order_id, line_no, product_id, sku, product_name, \
                                       unit_price, quantity, line_total, list_price, discount, \
                                       returned";
/// The register columns.
pub(crate) const REGISTER_COLUMNS: &str = "id, code, name, created_at";
/// The cash session columns (counts are read apart).
pub(crate) const SESSION_COLUMNS: &str =
    "id, register_id, opened_by, opened_at, opening_float, closed_by, closed_at";
/// The closing count columns.
pub(crate) const COUNT_COLUMNS: &str = "cash_session_id, tender, expected, counted, difference";
/// The cash movement columns.
pub(crate) const CASH_MOVEMENT_COLUMNS: &str =
    "id, cash_session_id, kind, amount, reason, created_by, created_at";
/// The payment columns.
pub(crate) const PAYMENT_COLUMNS: &str = "id, order_id, kind, tender, amount, reference, \
                                         cash_session_id, return_id, created_by, created_at";
/// The return columns (lines and refunds are read apart).
pub(crate) const RETURN_COLUMNS: &str = "id, order_id, idempotency_key, request_fingerprint, \
                                        refund_total, cash_session_id, approved_by, note, \
                                        created_by, created_at";
/// The return line columns.
pub(crate) const RETURN_LINE_COLUMNS: &str =
    "return_id, line_no, product_id, sku, quantity, restocked, reason";
/// The history columns.
pub(crate) const HISTORY_COLUMNS: &str =
    "id, order_id, from_status, to_status, changed_by, changed_at, note";

pub(crate) fn status(text: &str) -> StoreResult<OrderStatus> {
    stored(OrderStatus::parse(text), "status")
}

fn opt_status(text: Option<String>) -> StoreResult<Option<OrderStatus>> {
    text.map(|s| status(&s)).transpose()
}

fn note(text: Option<String>, column: &str) -> StoreResult<Option<Note>> {
    text.map(|n| stored(Note::parse(&n), column)).transpose()
}

pub(crate) fn customer(row: &dyn Columns) -> StoreResult<Customer> {
    Ok(Customer {
        id: CustomerId(row.int("id")?),
        name: stored(Name::parse(&row.text("name")?), "customers.name")?,
        email: stored(Email::parse(&row.text("email")?), "customers.email")?,
        phone: row
            .opt_text("phone")?
            .map(|p| stored(Phone::parse(&p), "customers.phone"))
            .transpose()?,
        tax_id: row
            .opt_text("tax_id")?
            .map(|t| stored(TaxId::parse(&t), "customers.tax_id"))
            .transpose()?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        deleted_at: row.opt_time("deleted_at")?,
    })
}

pub(crate) fn product(row: &dyn Columns) -> StoreResult<Product> {
    Ok(Product {
        id: ProductId(row.int("id")?),
        sku: stored(Sku::parse(&row.text("sku")?), "products.sku")?,
        name: stored(Name::parse(&row.text("name")?), "products.name")?,
        price: row.money("price")?,
        on_hand: row.int("on_hand")?,
        reserved: row.int("reserved")?,
        reorder_level: row.int("reorder_level")?,
        active: row.flag("active")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// An order row; its lines are attached by the caller.
pub(crate) fn order(row: &dyn Columns) -> StoreResult<Order> {
    Ok(Order {
        id: OrderId(row.int("id")?),
        customer_id: CustomerId(row.int("customer_id")?),
        status: status(&row.text("status")?)?,
        lines: Vec::new(),
        total: row.money("total")?,
        idempotency_key: stored(
            IdempotencyKey::parse(&row.text("idempotency_key")?),
            "orders.idempotency_key",
        )?,
        request_fingerprint: row.text("request_fingerprint")?,
        note: note(row.opt_text("note")?, "orders.note")?,
        created_by: row.opt_int("created_by")?.map(UserId),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        channel: stored(Channel::parse(&row.text("channel")?), "orders.channel")?,
        discount: row.money("discount")?,
        paid: row.money("paid")?,
        change: row.money("change_given")?,
        refunded: row.money("refunded")?,
        register_id: row.opt_int("register_id")?.map(RegisterId),
        cash_session_id: row.opt_int("cash_session_id")?.map(CashSessionId),
        approved_by: row.opt_int("approved_by")?.map(UserId),
    })
}

pub(crate) fn order_line(row: &dyn Columns) -> StoreResult<(OrderId, OrderLine)> {
    Ok((
        OrderId(row.int("order_id")?),
        OrderLine {
            product_id: ProductId(row.int("product_id")?),
            sku: stored(Sku::parse(&row.text("sku")?), "order_lines.sku")?,
            product_name: stored(
                Name::parse(&row.text("product_name")?),
                "order_lines.product_name",
            )?,
            unit_price: row.money("unit_price")?,
            quantity: stored(Quantity::new(row.int("quantity")?), "order_lines.quantity")?,
            line_total: row.money("line_total")?,
            list_price: match row.opt_money("list_price")? {
                Some(price) => price,
                None => row.money("unit_price")?,
            },
            discount: row.money("discount")?,
            returned: u32::try_from(row.int("returned")?).unwrap_or(0),
        },
    ))
}

fn tender(text: &str) -> StoreResult<Tender> {
    stored(Tender::parse(text), "tender")
}

pub(crate) fn register(row: &dyn Columns) -> StoreResult<Register> {
    Ok(Register {
        id: RegisterId(row.int("id")?),
        code: stored(RegisterCode::parse(&row.text("code")?), "registers.code")?,
        name: stored(Name::parse(&row.text("name")?), "registers.name")?,
        created_at: row.time("created_at")?,
    })
}

/// A session row; a closed one's counts are attached by the caller.
pub(crate) fn cash_session(row: &dyn Columns) -> StoreResult<CashSession> {
    let closed_at = row.opt_time("closed_at")?;
    Ok(CashSession {
        id: CashSessionId(row.int("id")?),
        register_id: RegisterId(row.int("register_id")?),
        opened_by: row.opt_int("opened_by")?.map(UserId),
        opened_at: row.time("opened_at")?,
        opening_float: row.money("opening_float")?,
        closing: match closed_at {
            Some(closed_at) => Some(SessionClosing {
                closed_by: row.opt_int("closed_by")?.map(UserId),
                closed_at,
                counts: Vec::new(),
            }),
            None => None,
        },
    })
}

pub(crate) fn tender_count(row: &dyn Columns) -> StoreResult<(CashSessionId, TenderCount)> {
    Ok((
        CashSessionId(row.int("cash_session_id")?),
        TenderCount {
            tender: tender(&row.text("tender")?)?,
            expected: row.money("expected")?,
            counted: row.money("counted")?,
            difference: MoneyDelta::from_cents(row.signed_cents("difference")?),
        },
    ))
}

pub(crate) fn cash_movement(row: &dyn Columns) -> StoreResult<CashMovement> {
    Ok(CashMovement {
        id: CashMovementId(row.int("id")?),
        cash_session_id: CashSessionId(row.int("cash_session_id")?),
        kind: stored(
            CashMovementKind::parse(&row.text("kind")?),
            "cash_movements.kind",
        )?,
        amount: row.money("amount")?,
        reason: stored(Reason::parse(&row.text("reason")?), "cash_movements.reason")?,
        created_by: row.opt_int("created_by")?.map(UserId),
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn payment(row: &dyn Columns) -> StoreResult<Payment> {
    Ok(Payment {
        id: PaymentId(row.int("id")?),
        order_id: OrderId(row.int("order_id")?),
        kind: stored(PaymentKind::parse(&row.text("kind")?), "payments.kind")?,
        tender: tender(&row.text("tender")?)?,
        amount: row.money("amount")?,
        reference: row
            .opt_text("reference")?
            .map(|r| stored(Reference::parse(&r), "payments.reference"))
            .transpose()?,
        cash_session_id: row.opt_int("cash_session_id")?.map(CashSessionId),
        return_id: row.opt_int("return_id")?.map(ReturnId),
        created_by: row.opt_int("created_by")?.map(UserId),
        created_at: row.time("created_at")?,
    })
}

/// A return row; its lines and refunds are attached by the caller.
pub(crate) fn sale_return(row: &dyn Columns) -> StoreResult<SaleReturn> {
    Ok(SaleReturn {
        id: ReturnId(row.int("id")?),
        order_id: OrderId(row.int("order_id")?),
        lines: Vec::new(),
        refunds: Vec::new(),
        refund_total: row.money("refund_total")?,
        cash_session_id: row.opt_int("cash_session_id")?.map(CashSessionId),
        approved_by: row.opt_int("approved_by")?.map(UserId),
        idempotency_key: stored(
            IdempotencyKey::parse(&row.text("idempotency_key")?),
            "returns.idempotency_key",
        )?,
        request_fingerprint: row.text("request_fingerprint")?,
        note: note(row.opt_text("note")?, "returns.note")?,
        created_by: row.opt_int("created_by")?.map(UserId),
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn return_line(row: &dyn Columns) -> StoreResult<(ReturnId, ReturnedLine)> {
    Ok((
        ReturnId(row.int("return_id")?),
        ReturnedLine {
            line_no: u32::try_from(row.int("line_no")?).unwrap_or(0),
            product_id: ProductId(row.int("product_id")?),
            sku: stored(Sku::parse(&row.text("sku")?), "return_lines.sku")?,
            quantity: stored(Quantity::new(row.int("quantity")?), "return_lines.quantity")?,
            restocked: row.flag("restocked")?,
            reason: row
                .opt_text("reason")?
                .map(|r| stored(Reason::parse(&r), "return_lines.reason"))
                .transpose()?,
        },
    ))
}

/// `(tender, sum)` of a grouped sum.
pub(crate) fn tender_sum(row: &dyn Columns) -> StoreResult<(Tender, Money)> {
    Ok((tender(&row.text("tender")?)?, row.money("total")?))
}

/// Attaches lines (as read by [`order_line`], in line order) to their orders.
pub(crate) fn attach(orders: &mut [Order], lines: Vec<(OrderId, OrderLine)>) {
    for (order_id, line) in lines {
        if let Some(order) = orders.iter_mut().find(|o| o.id == order_id) {
            order.lines.push(line);
        }
    }
}

pub(crate) fn user(row: &dyn Columns) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        user: User {
            id: UserId(row.int("id")?),
            username: stored(Username::parse(&row.text("username")?), "users.username")?,
            role: stored(Role::parse(&row.text("role")?), "users.role")?,
            active: row.flag("active")?,
            created_at: row.time("created_at")?,
            updated_at: row.time("updated_at")?,
        },
        password_hash: row.text("password_hash")?,
    })
}

/// `failures, last_failure_at` of `login_failures`.
pub(crate) fn login_failures(row: &dyn Columns) -> StoreResult<(u32, Option<Timestamp>)> {
    Ok((
        u32::try_from(row.int("failures")?).unwrap_or(u32::MAX),
        row.opt_time("last_failure_at")?,
    ))
}

pub(crate) fn event(row: &dyn Columns) -> StoreResult<EventRecord> {
    Ok(EventRecord {
        id: EventId(row.int("id")?),
        event_type: row.text("event_type")?,
        aggregate_type: row.text("aggregate_type")?,
        aggregate_id: row.int("aggregate_id")?,
        payload: row.text("payload")?,
        actor: row.opt_int("actor")?.map(UserId),
        occurred_at: row.time("occurred_at")?,
        published_at: row.opt_time("published_at")?,
    })
}

pub(crate) fn refresh_token(row: &dyn Columns) -> StoreResult<RefreshTokenRecord> {
    Ok(RefreshTokenRecord {
        token_hash: row.text("token_hash")?,
        family: row.text("family")?,
        user_id: UserId(row.int("user_id")?),
        issued_at: row.time("issued_at")?,
        expires_at: row.time("expires_at")?,
        used_at: row.opt_time("used_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}

pub(crate) fn status_change(row: &dyn Columns) -> StoreResult<StatusChange> {
    Ok(StatusChange {
        id: HistoryId(row.int("id")?),
        order_id: OrderId(row.int("order_id")?),
        from: opt_status(row.opt_text("from_status")?)?,
        to: status(&row.text("to_status")?)?,
        changed_by: row.opt_int("changed_by")?.map(UserId),
        changed_at: row.time("changed_at")?,
        note: note(row.opt_text("note")?, "order_status_history.note")?,
    })
}

pub(crate) fn movement(row: &dyn Columns) -> StoreResult<StockMovement> {
    let kind = row.text("kind")?;
    Ok(StockMovement {
        id: MovementId(row.int("id")?),
        product_id: ProductId(row.int("product_id")?),
        kind: MovementKind::parse(&kind).ok_or_else(|| {
            StoreError::Other(format!("stored movement kind {kind:?} is invalid"))
        })?,
        on_hand_delta: row.int("on_hand_delta")?,
        reserved_delta: row.int("reserved_delta")?,
        order_id: row.opt_int("order_id")?.map(OrderId),
        reason: row.opt_text("reason")?,
        created_by: row.opt_int("created_by")?.map(UserId),
        created_at: row.time("created_at")?,
    })
}

/// One order's totals for the audit: `id, status, total_cents, lines_total_cents, line_count,
/// mispriced`.
pub(crate) fn order_audit(row: &dyn Columns) -> StoreResult<OrderAudit> {
    Ok(OrderAudit {
        order_id: OrderId(row.int("id")?),
        status: status(&row.text("status")?)?,
        channel: stored(Channel::parse(&row.text("channel")?), "orders.channel")?,
        total_cents: row.int("total_cents")?,
        lines_total_cents: row.int("lines_total_cents")?,
        line_count: u64::try_from(row.int("line_count")?).unwrap_or(0),
        mispriced_lines: u64::try_from(row.int("mispriced")?).unwrap_or(0),
        history: Vec::new(),
    })
}

/// One step of an order's history for the audit: `order_id, from_status, to_status`.
pub(crate) type HistoryStep = (OrderId, Option<OrderStatus>, OrderStatus);

pub(crate) fn history_step(row: &dyn Columns) -> StoreResult<HistoryStep> {
    Ok((
        OrderId(row.int("order_id")?),
        opt_status(row.opt_text("from_status")?)?,
        status(&row.text("to_status")?)?,
    ))
}

/// Attaches history steps (ordered by order and id) to the audited orders.
pub(crate) fn attach_history(orders: &mut [OrderAudit], steps: Vec<HistoryStep>) {
    let position: std::collections::HashMap<OrderId, usize> = orders
        .iter()
        .enumerate()
        .map(|(index, order)| (order.order_id, index))
        .collect();
    for (order_id, from, to) in steps {
        if let Some(index) = position.get(&order_id) {
            orders[*index].history.push((from, to));
        }
    }
}

/// One product's stock figures for the audit.
pub(crate) fn product_audit(row: &dyn Columns) -> StoreResult<crate::domain::audit::ProductAudit> {
    Ok(crate::domain::audit::ProductAudit {
        product_id: ProductId(row.int("id")?),
        sku: row.text("sku")?,
        on_hand: row.int("on_hand")?,
        reserved: row.int("reserved")?,
        movements_on_hand: row.int("movements_on_hand")?,
        movements_reserved: row.int("movements_reserved")?,
        open_order_quantity: row.int("open_order_quantity")?,
    })
}
