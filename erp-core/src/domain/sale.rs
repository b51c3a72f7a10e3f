//! Money at the counter: channels, tenders, payments, discounts, price overrides and the approval
//! rule. Pure arithmetic on [`Money`]; the service applies it inside its transactions.
//!
//! Every figure is exact to the cent: a percent discount is rounded once, half to even, and every
//! total is the plain sum of the figures a receipt prints, so a customer adding up the slip gets
//! the same number.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{
    CashSessionId, CustomerId, IdempotencyKey, Invalid, Money, Note, OrderId, OrderStatus,
    PaymentId, Quantity, Reference, RegisterId, ReturnId, Sku, Timestamp, UserId,
};
use crate::error::Error;

/// How an order reaches its customer.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Channel {
    /// Placed, reserved, picked, shipped and delivered later (the order flow).
    Delivery,
    /// Sold over the counter: paid and handed over in one step, born DELIVERED.
    Counter,
}

impl Channel {
    /// Both channels.
    pub const ALL: [Channel; 2] = [Channel::Delivery, Channel::Counter];

    /// The stable lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Delivery => "delivery",
            Channel::Counter => "counter",
        }
    }

    /// Parses a channel name, ignoring case.
    pub fn parse(text: &str) -> Result<Channel, Invalid> {
        let wanted = text.trim();
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Invalid::new("must be delivery or counter"))
    }

    /// The status an order of this channel is created in.
    pub fn initial_status(self) -> OrderStatus {
        match self {
            Channel::Delivery => OrderStatus::Pending,
            Channel::Counter => OrderStatus::Delivered,
        }
    }
}

/// How money changes hands.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Tender {
    /// Notes and coins: the only tender that may exceed what is due (the rest is change), and the
    /// only one that lives in a till's drawer.
    Cash,
    /// Debit card.
    Debit,
    /// Credit card.
    Credit,
    /// PIX instant transfer.
    Pix,
    /// Voucher or anything else.
    Other,
}

impl Tender {
    /// Every tender, in report order.
    pub const ALL: [Tender; 5] = [
        Tender::Cash,
        Tender::Debit,
        Tender::Credit,
        Tender::Pix,
        Tender::Other,
    ];

    /// The stable lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Tender::Cash => "cash",
            Tender::Debit => "debit",
            Tender::Credit => "credit",
            Tender::Pix => "pix",
            Tender::Other => "other",
        }
    }

    /// A label for slips and reports.
    pub fn label(self) -> &'static str {
        match self {
            Tender::Cash => "Cash",
            Tender::Debit => "Debit card",
            Tender::Credit => "Credit card",
            Tender::Pix => "PIX",
            Tender::Other => "Other",
        }
    }

    /// Parses a tender name, ignoring case.
    pub fn parse(text: &str) -> Result<Tender, Invalid> {
        let wanted = text.trim();
        Tender::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Invalid::new("must be one of cash, debit, credit, pix, other"))
    }

    /// Cash (the drawer's tender).
    pub fn is_cash(self) -> bool {
        self == Tender::Cash
    }
}

macro_rules! named_enum_serde {
    ($name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::Invalid;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                $name::parse(&text).map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use named_enum_serde;

named_enum_serde!(Channel);
named_enum_serde!(Tender);

/// One tender of a payment or refund: how much, and a reference for the non-cash ones.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TenderLine {
    tender: Tender,
    amount: Money,
    reference: Option<Reference>,
}

impl TenderLine {
    /// Checks the amount is more than zero.
    pub fn new(
        tender: Tender,
        amount: Money,
        reference: Option<Reference>,
    ) -> Result<TenderLine, Invalid> {
        if amount == Money::ZERO {
            return Err(Invalid::new("must be more than 0.00"));
        }
        Ok(TenderLine {
            tender,
            amount,
            reference,
        })
    }

    /// The tender.
    pub fn tender(&self) -> Tender {
        self.tender
    }

    /// The amount handed over (or paid out), more than zero.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// The reference, if any.
    pub fn reference(&self) -> Option<&Reference> {
        self.reference.as_ref()
    }
}

/// How a payment of `due` is made up: what counts against the amount due and the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// What the tenders pay off (at most `due`).
    pub paid: Money,
    /// Cash handed back: tendered minus due, never more than the cash tendered.
    pub change: Money,
}

/// Settles `due` with `tenders`.
///
/// Card, PIX and other tenders together never exceed what is due; cash may, and the excess is the
/// change. With `full`, the tenders must cover `due` (a counter sale); without, they may pay part
/// of it (a payment on an open order).
///
/// ```
/// use erp_core::domain::{Money, Tender, TenderLine, settle};
/// let m = |t: &str| Money::parse(t).unwrap();
/// let tenders = [
///     TenderLine::new(Tender::Pix, m("50.00"), None).unwrap(),
///     TenderLine::new(Tender::Cash, m("40.00"), None).unwrap(),
/// ];
/// let settled = settle(m("82.70"), &tenders, true).unwrap();
/// assert_eq!((settled.paid, settled.change), (m("82.70"), m("7.30")));
/// ```
pub fn settle(due: Money, tenders: &[TenderLine], full: bool) -> Result<Settlement, Error> {
    let sum = |cash: bool| {
        tenders
            .iter()
            .filter(|t| t.tender.is_cash() == cash)
            .try_fold(Money::ZERO, |total, t| total.checked_add(t.amount))
            .ok_or_else(|| Error::validation("tenders", "the amounts are too large"))
    };
    let (cash, non_cash) = (sum(true)?, sum(false)?);
    if non_cash > due {
        return Err(Error::Overpayment {
            due: due.to_string(),
            non_cash: non_cash.to_string(),
        });
    }
    let tendered = cash
        .checked_add(non_cash)
        .ok_or_else(|| Error::validation("tenders", "the amounts are too large"))?;
    if full && tendered < due {
        return Err(Error::PaymentShort {
            due: due.to_string(),
            tendered: tendered.to_string(),
        });
    }
    let change_cents = (tendered.cents() - due.cents()).max(0);
    let change = Money::from_cents(change_cents).map_err(|e| e.in_field("tenders"))?;
    let paid =
        Money::from_cents(tendered.cents() - change_cents).map_err(|e| e.in_field("tenders"))?;
    Ok(Settlement { paid, change })
}

/// A percentage with at most two decimals, more than 0 and at most 100.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    /// 10 %, the default discount limit above which a manager must approve.
    pub const TEN: Percent = Percent(1000);

    /// Parses `"10"`, `"12.5"`, `"7.25"`.
    pub fn parse(text: &str) -> Result<Percent, Invalid> {
        let trimmed = text.trim().trim_end_matches('%').trim();
        // The same well-formedness rule as money: digits and one dot.
        let value = Money::parse(trimmed)
            .map_err(|e| Invalid::new(format!("{e} (a percentage such as 10 or 12.5)")))?;
        Percent::from_basis_points(value.cents())
    }

    /// From hundredths of a percent: 1250 is 12.50 %.
    pub fn from_basis_points(points: i64) -> Result<Percent, Invalid> {
        if points <= 0 {
            return Err(Invalid::new("must be more than 0"));
        }
        if points > 10_000 {
            return Err(Invalid::new("must be at most 100"));
        }
        u32::try_from(points)
            .map(Percent)
            .map_err(|_| Invalid::new("must be at most 100"))
    }

    /// Hundredths of a percent.
    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// This share of `base`, rounded to the cent half to even (banker's rounding: no drift
    /// upwards over many sales).
    pub fn of(self, base: Money) -> Money {
        let exact = Decimal::from(base.cents()) * Decimal::from(self.0) / Decimal::from(10_000);
        let cents = exact
            .round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven)
            .mantissa();
        // At most `base`, so it fits.
        Money::from_cents(i64::try_from(cents).unwrap_or(0)).unwrap_or(Money::ZERO)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = Decimal::new(i64::from(self.0), 2).normalize();
        f.pad(&format!("{value}%"))
    }
}

impl fmt::Debug for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Percent({self})")
    }
}

/// A discount as the till gives it: an amount off, or a percentage of what it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Discount {
    /// This much off (more than zero).
    Amount(Money),
    /// This share off.
    Percent(Percent),
}

impl Discount {
    /// An amount off; zero is refused (no discount is no discount).
    pub fn amount(value: Money) -> Result<Discount, Invalid> {
        if value == Money::ZERO {
            return Err(Invalid::new("must be more than 0.00"));
        }
        Ok(Discount::Amount(value))
    }

    /// What it takes off `base`. An amount larger than `base` is refused: no line or sale goes
    /// below zero.
    pub fn off(self, base: Money) -> Result<Money, Invalid> {
        match self {
            Discount::Percent(percent) => Ok(percent.of(base)),
            Discount::Amount(value) if value > base => Err(Invalid::new(format!(
                "{value} is more than the {base} it applies to"
            ))),
            Discount::Amount(value) => Ok(value),
        }
    }

    fn describe(self) -> String {
        match self {
            Discount::Amount(value) => format!("amount {value}"),
            Discount::Percent(percent) => format!("percent {}", percent.basis_points()),
        }
    }
}

/// The shop's rule for discounts: above `limit` of the line or sale, a manager approves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscountPolicy {
    /// The largest discount an operator gives alone, as a share of what it applies to.
    pub limit: Percent,
}

impl Default for DiscountPolicy {
    fn default() -> Self {
        DiscountPolicy {
            limit: Percent::TEN,
        }
    }
}

impl DiscountPolicy {
    /// Whether `discount` on `base` goes past the limit. A percentage is compared as given (10 %
    /// is within a 10 % limit even where rounding to the cent lands a hair above); an amount is
    /// compared exactly, in cents.
    pub fn needs_approval(self, discount: Discount, base: Money) -> bool {
        match discount {
            Discount::Percent(percent) => percent > self.limit,
            Discount::Amount(value) => {
                i128::from(value.cents()) * 10_000
                    > i128::from(base.cents()) * i128::from(self.limit.basis_points())
            }
        }
    }
}

/// Why a command needs a manager's approval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalReason {
    /// A line's discount is over the limit.
    LineDiscount {
        /// The line's index.
        line: usize,
    },
    /// The sale's discount is over the limit.
    SaleDiscount,
    /// A line is sold at another price than the catalogue's.
    PriceOverride {
        /// The line's index.
        line: usize,
    },
    /// Goods come back and money goes out.
    Return,
}

impl fmt::Display for ApprovalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApprovalReason::LineDiscount { line } => {
                write!(f, "the discount on line {line} is over the limit")
            }
            ApprovalReason::SaleDiscount => f.write_str("the sale discount is over the limit"),
            ApprovalReason::PriceOverride { line } => {
                write!(f, "line {line} overrides the catalogue price")
            }
            ApprovalReason::Return => f.write_str("a return needs a manager"),
        }
    }
}

/// A manager's or admin's login typed at the till to approve one command. Checked when the
/// command runs; never printed, logged or stored (only the approver's user id is recorded).
#[derive(Clone, PartialEq, Eq)]
pub struct ApproverCredentials {
    username: String,
    password: String,
}

impl ApproverCredentials {
    /// Wraps a username and password as typed.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> ApproverCredentials {
        ApproverCredentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The approver's login name as typed.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password, for checking.
    pub fn expose_password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for ApproverCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApproverCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// One line of a counter sale as asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SaleLine {
    /// What.
    pub sku: Sku,
    /// How many.
    pub quantity: Quantity,
    /// A price other than the catalogue's (needs approval).
    pub unit_price: Option<Money>,
    /// A discount on this line.
    pub discount: Option<Discount>,
}

/// A counter sale, validated: 1 to [`NewOrder::MAX_LINES`](super::NewOrder::MAX_LINES) lines with
/// distinct SKUs, 1 to [`NewCounterSale::MAX_TENDERS`] tenders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCounterSale {
    register_id: RegisterId,
    customer_id: CustomerId,
    lines: Vec<SaleLine>,
    discount: Option<Discount>,
    tenders: Vec<TenderLine>,
    idempotency_key: IdempotencyKey,
    note: Option<Note>,
    approver: Option<ApproverCredentials>,
}

impl NewCounterSale {
    /// The most tenders one sale or refund may be split into.
    pub const MAX_TENDERS: usize = 10;

    /// Validates the shape of a sale.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        register_id: RegisterId,
        customer_id: CustomerId,
        lines: Vec<SaleLine>,
        discount: Option<Discount>,
        tenders: Vec<TenderLine>,
        idempotency_key: IdempotencyKey,
        note: Option<Note>,
        approver: Option<ApproverCredentials>,
    ) -> Result<NewCounterSale, Error> {
        let skus: Vec<_> = lines.iter().map(|l| l.sku.clone()).collect();
        super::order::check_lines(&skus)?;
        check_tenders(&tenders, "tenders", 1)?;
        Ok(NewCounterSale {
            register_id,
            customer_id,
            lines,
            discount,
            tenders,
            idempotency_key,
            note,
            approver,
        })
    }

    /// The till.
    pub fn register_id(&self) -> RegisterId {
        self.register_id
    }
    /// Who buys (the walk-in customer when nobody in particular).
    pub fn customer_id(&self) -> CustomerId {
        self.customer_id
    }
    /// The lines.
    pub fn lines(&self) -> &[SaleLine] {
        &self.lines
    }
    /// The discount on the whole sale.
    pub fn discount(&self) -> Option<Discount> {
        self.discount
    }
    /// How it is paid.
    pub fn tenders(&self) -> &[TenderLine] {
        &self.tenders
    }
    /// The client's key.
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        &self.idempotency_key
    }
    /// The note.
    pub fn note(&self) -> Option<&Note> {
        self.note.as_ref()
    }
    /// The approving manager's login, if one was given.
    pub fn approver(&self) -> Option<&ApproverCredentials> {
        self.approver.as_ref()
    }

    /// A digest of what was asked for (never of the approver): the same sale again is a replay.
    pub fn fingerprint(&self) -> String {
        let mut lines: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{}x{}@{:?}-{:?}",
                    l.sku,
                    l.quantity,
                    l.unit_price.map(Money::cents),
                    l.discount.map(Discount::describe)
                )
            })
            .collect();
        lines.sort_unstable();
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "counter;register={};customer={};",
            self.register_id, self.customer_id
        ));
        for line in lines {
            hasher.update(format!("line={line};"));
        }
        hasher.update(format!(
            "discount={:?};",
            self.discount.map(Discount::describe)
        ));
        hash_tenders(&mut hasher, &self.tenders);
        hasher.update(format!("note={:?}", self.note.as_ref().map(Note::as_str)));
        crate::auth::hex(&hasher.finalize())
    }
}

pub(crate) fn hash_tenders(hasher: &mut Sha256, tenders: &[TenderLine]) {
    for t in tenders {
        hasher.update(format!(
            "tender={}:{}:{:?};",
            t.tender,
            t.amount.cents(),
            t.reference.as_ref().map(Reference::as_str)
        ));
    }
}

/// At least `min` and at most [`NewCounterSale::MAX_TENDERS`] tenders.
pub(crate) fn check_tenders(tenders: &[TenderLine], field: &str, min: usize) -> Result<(), Error> {
    if tenders.len() < min {
        return Err(Error::validation(field, "give at least one tender"));
    }
    if tenders.len() > NewCounterSale::MAX_TENDERS {
        return Err(Error::validation(
            field,
            format!("at most {} tenders", NewCounterSale::MAX_TENDERS),
        ));
    }
    Ok(())
}

/// A line as priced for a sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PricedLine {
    /// The catalogue price.
    pub list_price: Money,
    /// The price charged (the list price unless overridden).
    pub unit_price: Money,
    /// `unit_price * quantity`.
    pub gross: Money,
    /// This line's own discount.
    pub discount: Money,
    /// `gross - discount`.
    pub net: Money,
}

/// A sale as priced: every figure a slip prints, and what needs a manager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedSale {
    /// The lines.
    pub lines: Vec<PricedLine>,
    /// Sum of the lines' nets.
    pub subtotal: Money,
    /// The discount on the whole sale.
    pub discount: Money,
    /// `subtotal - discount`: what is due.
    pub total: Money,
    /// What needs approval (empty: nothing).
    pub approvals: Vec<ApprovalReason>,
}

/// Prices a sale: each line at its price (catalogue or override) less its discount, then the
/// sale's discount on the subtotal. Errors name the field (`lines[2].discount`).
pub fn price_sale(
    lines: &[(Money, &SaleLine)],
    discount: Option<Discount>,
    policy: DiscountPolicy,
) -> Result<PricedSale, Error> {
    let too_large = |field: String| Error::validation(field, "the amount is too large");
    let mut priced = Vec::with_capacity(lines.len());
    let mut approvals = Vec::new();
    let mut subtotal = Money::ZERO;
    for (index, (list_price, line)) in lines.iter().enumerate() {
        let unit_price = line.unit_price.unwrap_or(*list_price);
        if unit_price != *list_price {
            approvals.push(ApprovalReason::PriceOverride { line: index });
        }
        let gross = unit_price
            .checked_times(line.quantity)
            .ok_or_else(|| too_large(format!("lines[{index}].quantity")))?;
        let off = match line.discount {
            Some(d) => {
                if policy.needs_approval(d, gross) {
                    approvals.push(ApprovalReason::LineDiscount { line: index });
                }
                d.off(gross)
                    .map_err(|e| e.in_field(format!("lines[{index}].discount")))?
            }
            None => Money::ZERO,
        };
        let net = minus(gross, off);
        subtotal = subtotal
            .checked_add(net)
            .ok_or_else(|| too_large("lines".into()))?;
        priced.push(PricedLine {
            list_price: *list_price,
            unit_price,
            gross,
            discount: off,
            net,
        });
    }
    let off = match discount {
        Some(d) => {
            if policy.needs_approval(d, subtotal) {
                approvals.push(ApprovalReason::SaleDiscount);
            }
            d.off(subtotal).map_err(|e| e.in_field("discount"))?
        }
        None => Money::ZERO,
    };
    Ok(PricedSale {
        lines: priced,
        subtotal,
        discount: off,
        total: minus(subtotal, off),
        approvals,
    })
}

/// `a - b` for `b <= a`.
pub(crate) fn minus(a: Money, b: Money) -> Money {
    Money::from_cents(a.cents() - b.cents()).unwrap_or(Money::ZERO)
}

/// Splits `amount` over `weights` in proportion, to the cent, so that the parts add up to
/// `amount` exactly (largest remainder; ties go to the earlier weight). All zero weights: the
/// whole amount cannot be placed and every part is zero.
///
/// ```
/// use erp_core::domain::{Money, allocate};
/// let m = |t: &str| Money::parse(t).unwrap();
/// let parts = allocate(m("1.00"), &[m("1.00"), m("1.00"), m("1.00")]);
/// assert_eq!(parts, vec![m("0.34"), m("0.33"), m("0.33")]);
/// ```
pub fn allocate(amount: Money, weights: &[Money]) -> Vec<Money> {
    let total: i128 = weights.iter().map(|w| i128::from(w.cents())).sum();
    if total == 0 {
        return vec![Money::ZERO; weights.len()];
    }
    let amount = i128::from(amount.cents());
    let mut parts: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| {
            let share = amount * i128::from(w.cents());
            (share / total, share % total)
        })
        .collect();
    let placed: i128 = parts.iter().map(|(q, _)| q).sum();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| parts[*b].1.cmp(&parts[*a].1).then(a.cmp(b)));
    for index in order
        .into_iter()
        .take(usize::try_from(amount - placed).unwrap_or(0))
    {
        parts[index].0 += 1;
    }
    parts
        .into_iter()
        .map(|(cents, _)| {
            Money::from_cents(i64::try_from(cents).unwrap_or(0)).unwrap_or(Money::ZERO)
        })
        .collect()
}

/// What may be refunded for `returning` more units of a line of `quantity` units that cost
/// `paid` in all (after every discount), `returned_before` units having come back already. The
/// parts of successive returns add up to `paid` exactly once every unit is back, and never more.
pub fn refundable(paid: Money, quantity: Quantity, returned_before: u32, returning: u32) -> Money {
    let q = i128::from(quantity.get());
    let cumulative =
        |units: u32| i128::from(paid.cents()) * i128::from(units.min(quantity.get())) / q;
    let cents = cumulative(returned_before.saturating_add(returning)) - cumulative(returned_before);
    Money::from_cents(i64::try_from(cents).unwrap_or(0)).unwrap_or(Money::ZERO)
}

/// Whether money came in or went back out.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum PaymentKind {
    /// Money received for an order.
    Payment,
    /// Money paid back for a return.
    Refund,
}

impl PaymentKind {
    /// The stable lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentKind::Payment => "payment",
            PaymentKind::Refund => "refund",
        }
    }

    /// Parses a kind name.
    pub fn parse(text: &str) -> Result<PaymentKind, Invalid> {
        match text.trim().to_ascii_lowercase().as_str() {
            "payment" => Ok(PaymentKind::Payment),
            "refund" => Ok(PaymentKind::Refund),
            _ => Err(Invalid::new("must be payment or refund")),
        }
    }
}

named_enum_serde!(PaymentKind);

/// Money received for an order, or paid back for a return, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// Row id.
    pub id: PaymentId,
    /// The order.
    pub order_id: OrderId,
    /// In or out.
    pub kind: PaymentKind,
    /// How.
    pub tender: Tender,
    /// How much was handed over (cash: including what came back as change).
    pub amount: Money,
    /// Card authorisation, PIX id, voucher number.
    pub reference: Option<Reference>,
    /// The cash session it went through, if taken or paid at a till.
    pub cash_session_id: Option<CashSessionId>,
    /// The return it refunds.
    pub return_id: Option<ReturnId>,
    /// Who took or paid it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

/// A payment about to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    /// The order.
    pub order_id: OrderId,
    /// In or out.
    pub kind: PaymentKind,
    /// How.
    pub tender: Tender,
    /// How much.
    pub amount: Money,
    /// Reference.
    pub reference: Option<Reference>,
    /// Its cash session.
    pub cash_session_id: Option<CashSessionId>,
    /// The return it refunds.
    pub return_id: Option<ReturnId>,
    /// Who.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

impl NewPayment {
    /// The row as it reads once stored under `id`.
    pub fn into_payment(self, id: PaymentId) -> Payment {
        Payment {
            id,
            order_id: self.order_id,
            kind: self.kind,
            tender: self.tender,
            amount: self.amount,
            reference: self.reference,
            cash_session_id: self.cash_session_id,
            return_id: self.return_id,
            created_by: self.created_by,
            created_at: self.created_at,
        }
    }
}

/// A payment on an order that is not paid in full yet (a delivery order paid later or on
/// delivery), optionally at a till.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrderPayment {
    /// The order.
    pub order_id: OrderId,
    /// How (1 to [`NewCounterSale::MAX_TENDERS`]).
    pub tenders: Vec<TenderLine>,
    /// The till it is taken at; its open session, which must be the actor's, records it.
    pub register_id: Option<RegisterId>,
}

impl NewOrderPayment {
    /// Validates the shape.
    pub fn new(
        order_id: OrderId,
        tenders: Vec<TenderLine>,
        register_id: Option<RegisterId>,
    ) -> Result<NewOrderPayment, Error> {
        check_tenders(&tenders, "tenders", 1)?;
        Ok(NewOrderPayment {
            order_id,
            tenders,
            register_id,
        })
    }
}

/// The result of a counter sale or of a payment on an order: the order as it is now and the
/// payments that command recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaidOrder {
    /// The order (a counter sale: DELIVERED and paid).
    pub order: super::Order,
    /// The payments recorded (a replay: the original ones).
    pub payments: Vec<Payment>,
    /// True when the key had been used for this same sale: nothing new happened.
    pub replayed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn tender(t: Tender, amount: &str) -> TenderLine {
        TenderLine::new(t, m(amount), None).unwrap()
    }

    fn line(quantity: i64, price: Option<&str>, discount: Option<Discount>) -> SaleLine {
        SaleLine {
            sku: Sku::parse("TEA").unwrap(),
            quantity: Quantity::new(quantity).unwrap(),
            unit_price: price.map(m),
            discount,
        }
    }

    fn pct(text: &str) -> Discount {
        Discount::Percent(Percent::parse(text).unwrap())
    }

    #[test]
    fn tenders_and_channels_parse_by_name() {
        for t in Tender::ALL {
            assert_eq!(Tender::parse(&t.as_str().to_uppercase()).unwrap(), t);
        }
        assert!(Tender::parse("cheque").is_err());
        assert_eq!(Channel::parse("Counter").unwrap(), Channel::Counter);
        assert_eq!(Channel::Counter.initial_status(), OrderStatus::Delivered);
        assert_eq!(Channel::Delivery.initial_status(), OrderStatus::Pending);
    }

    #[test]
    fn zero_tenders_are_refused() {
        assert!(TenderLine::new(Tender::Cash, Money::ZERO, None).is_err());
    }

    #[test]
    fn cash_may_exceed_the_total_and_the_rest_is_change() {
        let s = settle(m("82.70"), &[tender(Tender::Cash, "100")], true).unwrap();
        assert_eq!((s.paid, s.change), (m("82.70"), m("17.30")));
        let split = [tender(Tender::Pix, "50"), tender(Tender::Cash, "32.70")];
        let s = settle(m("82.70"), &split, true).unwrap();
        assert_eq!((s.paid, s.change), (m("82.70"), Money::ZERO));
    }

    #[test]
    fn card_and_pix_never_exceed_what_is_due() {
        let over = [tender(Tender::Debit, "50"), tender(Tender::Pix, "40")];
        assert!(matches!(
            settle(m("82.70"), &over, true),
            Err(Error::Overpayment { .. })
        ));
        // Even with cash beside it, the card part alone may not pass the total.
        let with_cash = [tender(Tender::Credit, "90"), tender(Tender::Cash, "1")];
        assert!(matches!(
            settle(m("82.70"), &with_cash, false),
            Err(Error::Overpayment { .. })
        ));
    }

    #[test]
    fn a_sale_must_be_covered_a_payment_may_be_partial() {
        let short = [tender(Tender::Cash, "10"), tender(Tender::Debit, "20")];
        let err = settle(m("30.01"), &short, true).unwrap_err();
        assert_eq!(err.code(), "payment_short");
        let part = settle(m("30.01"), &short, false).unwrap();
        assert_eq!((part.paid, part.change), (m("30.00"), Money::ZERO));
    }

    #[test]
    fn percent_rounds_half_to_even_at_the_cent() {
        // 10 % of 0.25 is 2.5 cents: to 2; of 0.35 is 3.5 cents: to 4.
        let ten = Percent::parse("10").unwrap();
        assert_eq!(ten.of(m("0.25")), m("0.02"));
        assert_eq!(ten.of(m("0.35")), m("0.04"));
        assert_eq!(Percent::parse("12.5").unwrap().of(m("9.99")), m("1.25"));
        assert_eq!(Percent::parse("100").unwrap().of(m("9.99")), m("9.99"));
        assert_eq!(Percent::parse("12.5").unwrap().to_string(), "12.5%");
    }

    #[test]
    fn percent_is_within_zero_and_a_hundred() {
        for bad in ["0", "100.01", "-5", "abc", "1.234", ""] {
            assert!(Percent::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Percent::parse("0.01").is_ok());
    }

    #[test]
    fn an_amount_discount_cannot_make_a_line_negative() {
        assert!(Discount::amount(Money::ZERO).is_err());
        let d = Discount::amount(m("5.01")).unwrap();
        assert!(d.off(m("5.00")).is_err());
        assert_eq!(d.off(m("5.01")).unwrap(), m("5.01"));
    }

    #[test]
    fn the_limit_is_exact_at_the_boundary() {
        let policy = DiscountPolicy::default();
        let amount = |t: &str| Discount::amount(m(t)).unwrap();
        assert!(!policy.needs_approval(amount("1.00"), m("10.00")));
        assert!(policy.needs_approval(amount("1.01"), m("10.00")));
        assert!(!policy.needs_approval(pct("10"), m("9.99")));
        assert!(policy.needs_approval(pct("10.01"), m("9.99")));
    }

    #[test]
    fn totals_are_the_sums_of_the_printed_figures() {
        let a = line(3, None, Some(pct("10")));
        let b = line(1, None, Some(Discount::amount(m("0.50")).unwrap()));
        let sale = price_sale(
            &[(m("3.33"), &a), (m("2.00"), &b)],
            Some(pct("5")),
            DiscountPolicy::default(),
        )
        .unwrap();
        assert_eq!(sale.lines[0].gross, m("9.99"));
        assert_eq!(sale.lines[0].discount, m("1.00")); // 99.9 cents, half-even
        assert_eq!(sale.lines[0].net, m("8.99"));
        assert_eq!(sale.lines[1].net, m("1.50"));
        assert_eq!(sale.subtotal, m("10.49"));
        assert_eq!(sale.discount, m("0.52")); // 52.45 cents
        assert_eq!(sale.total, m("9.97"));
        let printed: i64 =
            sale.lines.iter().map(|l| l.net.cents()).sum::<i64>() - sale.discount.cents();
        assert_eq!(printed, sale.total.cents());
        // 0.50 off 2.00 is 25 %: over the limit.
        assert_eq!(
            sale.approvals,
            vec![ApprovalReason::LineDiscount { line: 1 }]
        );
    }

    #[test]
    fn price_overrides_and_big_sale_discounts_need_approval() {
        let cheaper = line(1, Some("1.00"), None);
        let same = line(1, Some("2.00"), None);
        let sale = price_sale(
            &[(m("2.00"), &cheaper), (m("2.00"), &same)],
            Some(pct("50")),
            DiscountPolicy::default(),
        )
        .unwrap();
        assert_eq!(
            sale.approvals,
            vec![
                ApprovalReason::PriceOverride { line: 0 },
                ApprovalReason::SaleDiscount
            ]
        );
        assert_eq!(sale.total, m("1.50"));
        let err = price_sale(
            &[(m("2.00"), &same)],
            Some(Discount::amount(m("2.01")).unwrap()),
            DiscountPolicy::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Validation { ref field, .. } if field == "discount"));
    }

    #[test]
    fn allocation_adds_up_exactly() {
        let parts = allocate(m("0.52"), &[m("8.99"), m("1.50")]);
        assert_eq!(parts.iter().map(|p| p.cents()).sum::<i64>(), 52);
        assert_eq!(parts, vec![m("0.45"), m("0.07")]);
        assert_eq!(allocate(m("0.00"), &[m("1.00")]), vec![Money::ZERO]);
        assert_eq!(allocate(m("1.00"), &[Money::ZERO]), vec![Money::ZERO]);
    }

    #[test]
    fn refunds_of_successive_returns_add_up_to_what_was_paid() {
        let q = Quantity::new(3).unwrap();
        let paid = m("10.00");
        let first = refundable(paid, q, 0, 1);
        let second = refundable(paid, q, 1, 1);
        let third = refundable(paid, q, 2, 1);
        assert_eq!((first, second, third), (m("3.33"), m("3.33"), m("3.34")));
        assert_eq!(
            refundable(paid, q, 3, 1),
            Money::ZERO,
            "nothing past the sold units"
        );
        assert_eq!(refundable(paid, q, 0, 3), paid);
    }

    #[test]
    fn approver_credentials_never_print_the_password() {
        let creds = ApproverCredentials::new("boss", "hunter2-secret");
        assert!(!format!("{creds:?}").contains("hunter2"));
    }

    #[test]
    fn the_fingerprint_ignores_the_approver_and_line_order() {
        let key = IdempotencyKey::parse("k").unwrap();
        let mut other = line(2, None, None);
        other.sku = Sku::parse("MUG").unwrap();
        let make = |lines: Vec<SaleLine>, approver| {
            NewCounterSale::new(
                RegisterId(1),
                CustomerId(1),
                lines,
                None,
                vec![tender(Tender::Cash, "10")],
                key.clone(),
                None,
                approver,
            )
            .unwrap()
        };
        let a = make(vec![line(1, None, None), other.clone()], None);
        let b = make(
            vec![other.clone(), line(1, None, None)],
            Some(ApproverCredentials::new("boss", "pw")),
        );
        let c = make(vec![line(1, None, Some(pct("5"))), other], None);
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
