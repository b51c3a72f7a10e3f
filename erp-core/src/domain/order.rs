//! Orders, their lines, their history and idempotency.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use super::sale::{minus, refundable};
use super::{
    CashSessionId, Channel, CustomerId, HistoryId, Invalid, Money, Name, Note, OrderId,
    OrderStatus, ProductId, Quantity, RegisterId, Sku, Timestamp, UserId, allocate,
};
use crate::error::Error;

/// An order with its lines. Prices are frozen at the time the order was placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Order {
    /// Row id, also the order number.
    pub id: OrderId,
    /// Who bought.
    pub customer_id: CustomerId,
    /// Where it is in its life.
    pub status: OrderStatus,
    /// Delivery or counter.
    pub channel: Channel,
    /// The lines, in the order they were given.
    pub lines: Vec<OrderLine>,
    /// The discount on the whole order (after the lines' own).
    pub discount: Money,
    /// What is due: the sum of the lines' nets less [`Order::discount`].
    pub total: Money,
    /// What has been paid towards `total` (change not included).
    pub paid: Money,
    /// Cash handed back over what was due.
    pub change: Money,
    /// What has been paid back for returns.
    pub refunded: Money,
    /// The till of a counter sale.
    pub register_id: Option<RegisterId>,
    /// The cash session of a counter sale.
    pub cash_session_id: Option<CashSessionId>,
    /// The manager who approved a discount or price override.
    pub approved_by: Option<UserId>,
    /// The key the client chose; one order per `(customer, key)`.
    pub idempotency_key: IdempotencyKey,
    /// A digest of the request that created it, to tell a replay from a conflicting reuse.
    #[serde(skip)]
    pub request_fingerprint: String,
    /// A note from the person who placed it.
    pub note: Option<Note>,
    /// Who placed it (None: the system).
    pub created_by: Option<UserId>,
    /// When placed.
    pub created_at: Timestamp,
    /// When its status last changed.
    pub updated_at: Timestamp,
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderLine {
    /// The product.
    pub product_id: ProductId,
    /// Its SKU at order time.
    pub sku: Sku,
    /// Its name at order time.
    pub product_name: Name,
    /// Its price at order time.
    pub unit_price: Money,
    /// Units ordered.
    pub quantity: Quantity,
    /// `unit_price * quantity`, before the line's discount.
    pub line_total: Money,
    /// The catalogue price at order time (differs from `unit_price` when overridden).
    pub list_price: Money,
    /// This line's own discount.
    pub discount: Money,
    /// Units that came back by returns.
    pub returned: u32,
}

impl OrderLine {
    /// `line_total - discount`.
    pub fn net(&self) -> Money {
        minus(self.line_total, self.discount)
    }
}

impl Order {
    /// What is still to be paid: `total - paid`.
    pub fn balance_due(&self) -> Money {
        minus(self.total, self.paid)
    }

    /// What each line cost after every discount (the order's discount shared out over the lines'
    /// nets): the most its returns can refund. Adds up to `total` exactly.
    pub fn line_paid_amounts(&self) -> Vec<Money> {
        let nets: Vec<Money> = self.lines.iter().map(OrderLine::net).collect();
        let shares = allocate(self.discount, &nets);
        nets.into_iter()
            .zip(shares)
            .map(|(net, share)| minus(net, share))
            .collect()
    }

    /// The most a return of `returning[i]` units of line `i` may refund: each line's share of
    /// what it cost after every discount ([`refundable`]), capped by what was paid and not yet
    /// refunded (an order delivered unpaid refunds nothing). Lines past `returning` give nothing.
    pub fn refund_cap(&self, returning: &[u32]) -> Money {
        let lines: i64 = self
            .lines
            .iter()
            .zip(self.line_paid_amounts())
            .zip(returning)
            .map(|((line, paid), &units)| {
                refundable(paid, line.quantity, line.returned, units).cents()
            })
            .sum();
        let still_paid = self.paid.cents() - self.refunded.cents();
        Money::from_cents(lines.min(still_paid).max(0)).unwrap_or(Money::ZERO)
    }
}

/// A request to place an order, already validated: 1 to [`NewOrder::MAX_LINES`] lines, each SKU at
/// most once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrder {
    customer_id: CustomerId,
    lines: Vec<LineRequest>,
    idempotency_key: IdempotencyKey,
    note: Option<Note>,
}

/// One requested line: a SKU and how many.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineRequest {
    /// What.
    pub sku: Sku,
    /// How many.
    pub quantity: Quantity,
}

impl NewOrder {
    /// The most lines one order may have.
    pub const MAX_LINES: usize = 200;

    /// Validates the shape of an order request.
    pub fn new(
        customer_id: CustomerId,
        lines: Vec<LineRequest>,
        idempotency_key: IdempotencyKey,
        note: Option<Note>,
    ) -> Result<NewOrder, Error> {
        let skus: Vec<Sku> = lines.iter().map(|l| l.sku.clone()).collect();
        check_lines(&skus)?;
        Ok(NewOrder {
            customer_id,
            lines,
            idempotency_key,
            note,
        })
    }

    /// Who buys.
    pub fn customer_id(&self) -> CustomerId {
        self.customer_id
    }

    /// The requested lines.
    pub fn lines(&self) -> &[LineRequest] {
        &self.lines
    }

    /// The client's idempotency key.
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }

    /// The note.
    pub fn note(&self) -> Option<&Note> {
        self.note.as_ref()
    }

    /// A digest of what was asked for. Line order does not matter: the same lines in another order
    /// are the same request.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("customer={};", self.customer_id));
        hash_sku_lines(
            &mut hasher,
            self.lines
                .iter()
                .map(|l| (l.sku.as_str(), l.quantity.get())),
        );
        hasher.update(format!("note={:?}", self.note.as_ref().map(Note::as_str)));
        crate::auth::hex(&hasher.finalize())
    }
}

/// Hashes SKU and quantity lines in SKU order, so the same lines in another order digest alike.
/// (Stored fingerprints depend on these exact bytes.)
pub(crate) fn hash_sku_lines<'a>(
    hasher: &mut Sha256,
    lines: impl IntoIterator<Item = (&'a str, u32)>,
) {
    let mut lines: Vec<(&str, u32)> = lines.into_iter().collect();
    lines.sort_unstable();
    for (sku, quantity) in lines {
        hasher.update(format!("line={sku}x{quantity};"));
    }
}

/// The line rule of every order and sale: 1 to [`NewOrder::MAX_LINES`] lines, each SKU once.
pub(crate) fn check_lines(skus: &[Sku]) -> Result<(), Error> {
    if skus.is_empty() {
        return Err(Error::validation(
            "lines",
            "an order needs at least one line",
        ));
    }
    if skus.len() > NewOrder::MAX_LINES {
        return Err(Error::validation(
            "lines",
            format!("an order may have at most {} lines", NewOrder::MAX_LINES),
        ));
    }
    let mut seen = HashSet::new();
    for (index, sku) in skus.iter().enumerate() {
        if !seen.insert(sku) {
            return Err(Error::validation(
                format!("lines[{index}].sku"),
                format!(
                    "{sku} appears on more than one line; use one line with the total quantity"
                ),
            ));
        }
    }
    Ok(())
}

/// An order about to be written: lines priced, total computed, status the channel's first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderDraft {
    /// Who buys.
    pub customer_id: CustomerId,
    /// Delivery or counter.
    pub channel: Channel,
    /// Priced lines.
    pub lines: Vec<OrderLine>,
    /// The order's own discount.
    pub discount: Money,
    /// Sum of the lines' nets less the discount.
    pub total: Money,
    /// Paid at creation.
    pub paid: Money,
    /// Change handed back at creation.
    pub change: Money,
    /// The till of a counter sale.
    pub register_id: Option<RegisterId>,
    /// The cash session of a counter sale.
    pub cash_session_id: Option<CashSessionId>,
    /// The approving manager.
    pub approved_by: Option<UserId>,
    /// The client's key.
    pub idempotency_key: IdempotencyKey,
    /// [`NewOrder::fingerprint`].
    pub request_fingerprint: String,
    /// The note.
    pub note: Option<Note>,
    /// Who.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

impl OrderDraft {
    /// A delivery order: nothing paid, no discount, no till.
    #[allow(clippy::too_many_arguments)]
    pub fn delivery(
        customer_id: CustomerId,
        lines: Vec<OrderLine>,
        total: Money,
        idempotency_key: IdempotencyKey,
        request_fingerprint: String,
        note: Option<Note>,
        created_by: Option<UserId>,
        created_at: Timestamp,
    ) -> OrderDraft {
        OrderDraft {
            customer_id,
            channel: Channel::Delivery,
            lines,
            discount: Money::ZERO,
            total,
            paid: Money::ZERO,
            change: Money::ZERO,
            register_id: None,
            cash_session_id: None,
            approved_by: None,
            idempotency_key,
            request_fingerprint,
            note,
            created_by,
            created_at,
        }
    }

    /// The order as it reads once stored under `id`.
    pub fn into_order(self, id: OrderId) -> Order {
        Order {
            id,
            customer_id: self.customer_id,
            status: self.channel.initial_status(),
            channel: self.channel,
            lines: self.lines,
            discount: self.discount,
            total: self.total,
            paid: self.paid,
            change: self.change,
            refunded: Money::ZERO,
            register_id: self.register_id,
            cash_session_id: self.cash_session_id,
            approved_by: self.approved_by,
            idempotency_key: self.idempotency_key,
            request_fingerprint: self.request_fingerprint,
            note: self.note,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.created_at,
        }
    }
}

/// A client-chosen key that makes order creation safe to retry: 1 to 128 visible ASCII characters
/// (an HTTP header value), e.g. a UUID.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 128;

    /// Validates a key (surrounding space is trimmed).
    pub fn parse(text: &str) -> Result<IdempotencyKey, Invalid> {
        let key = text.trim();
        if key.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if key.len() > IdempotencyKey::MAX_LEN {
            return Err(Invalid::new(format!(
                "must be at most {} characters",
                IdempotencyKey::MAX_LEN
            )));
        }
        if !key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(Invalid::new(
                "must be visible ASCII characters without spaces",
            ));
        }
        Ok(IdempotencyKey(key.to_string()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

impl<'de> Deserialize<'de> for IdempotencyKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        IdempotencyKey::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One step of an order's life, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    /// Row id.
    pub id: HistoryId,
    /// The order.
    pub order_id: OrderId,
    /// The status before (None for creation).
    pub from: Option<OrderStatus>,
    /// The status after.
    pub to: OrderStatus,
    /// Who (None: the system).
    pub changed_by: Option<UserId>,
    /// When.
    pub changed_at: Timestamp,
    /// Why, if given.
    pub note: Option<Note>,
}

/// A history row about to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStatusChange {
    /// The order.
    pub order_id: OrderId,
    /// The status before.
    pub from: Option<OrderStatus>,
    /// The status after.
    pub to: OrderStatus,
    /// Who.
    pub changed_by: Option<UserId>,
    /// When.
    pub changed_at: Timestamp,
    /// Why.
    pub note: Option<Note>,
    /// The client's idempotency key of the status change, if it sent one: a retried request finds
    /// this row instead of failing as a transition the order already made.
    pub request_key: Option<IdempotencyKey>,
}

/// The outcome of a status change (or cancellation) made at most once per key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChanged {
    /// The order as the change left it: for a replay, the answer the first request got.
    pub order: Order,
    /// True when the key had already been used for this same change: nothing moved this time.
    pub replayed: bool,
}

/// The result of placing an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderReceipt {
    /// The order.
    pub order: Order,
    /// True when the key had already been used with this same request: nothing new was created and
    /// this is the original order.
    pub replayed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, qty: i64) -> LineRequest {
        LineRequest {
            sku: Sku::parse(sku).unwrap(),
            quantity: Quantity::new(qty).unwrap(),
        }
    }

    fn key() -> IdempotencyKey {
        IdempotencyKey::parse("k-1").unwrap()
    }

    #[test]
    fn an_order_needs_lines_and_unique_skus() {
        assert!(NewOrder::new(CustomerId(1), vec![], key(), None).is_err());
        let err = NewOrder::new(CustomerId(1), vec![line("A", 1), line("a", 2)], key(), None)
            .unwrap_err();
        assert!(matches!(err, Error::Validation { field, .. } if field == "lines[1].sku"));
        let many = (0..201).map(|i| line(&format!("S{i}"), 1)).collect();
        assert!(NewOrder::new(CustomerId(1), many, key(), None).is_err());
    }

    #[test]
    fn fingerprint_ignores_line_order_but_not_content() {
        let a =
            NewOrder::new(CustomerId(1), vec![line("A", 1), line("B", 2)], key(), None).unwrap();
        let b =
            NewOrder::new(CustomerId(1), vec![line("B", 2), line("A", 1)], key(), None).unwrap();
        let c =
            NewOrder::new(CustomerId(1), vec![line("A", 1), line("B", 3)], key(), None).unwrap();
        let d =
            NewOrder::new(CustomerId(2), vec![line("A", 1), line("B", 2)], key(), None).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
        assert_ne!(a.fingerprint(), d.fingerprint());
        assert_eq!(a.fingerprint().len(), 64);
    }

    /// Fingerprints are stored with orders: the bytes they digest must never change, or a
    /// replay of an older order would become a conflict.
    #[test]
    fn the_fingerprint_digests_the_bytes_stored_fingerprints_were_made_of() {
        let order = NewOrder::new(
            CustomerId(7),
            vec![line("A-1", 3), line("A", 5)],
            key(),
            None,
        )
        .unwrap();
        let expected =
            crate::auth::hex(&Sha256::digest(b"customer=7;line=Ax5;line=A-1x3;note=None"));
        assert_eq!(order.fingerprint(), expected);
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert!(IdempotencyKey::parse("3f1c2a9e-0b7d-4c55-9a51-2f6f1b7e9d10").is_ok());
        for bad in ["", "  ", "has space", "tab\tkey", "ção", &"k".repeat(129)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
