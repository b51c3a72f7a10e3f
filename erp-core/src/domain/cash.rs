//! Tills and their drawers: registers, cash sessions (the "caixa"), cash put in and taken out, and
//! the X and Z reports.
//!
//! The rule of the drawer: `expected cash = float + cash in - cash out + cash taken - change -
//! cash refunds`. A session is opened with a counted float, collects its register's sales, cash
//! movements and cash refunds while open, and is closed with a count per tender; the close records
//! expected, counted and the difference, and from then on the session never changes.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use serde::{Serialize, Serializer};

use super::sale::named_enum_serde;
use super::{
    CashMovementId, CashSessionId, IdempotencyKey, Invalid, Money, Name, Reason, RegisterId, Sku,
    Tender, Timestamp, UserId,
};
use crate::error::Error;

/// A till's code, as printed on slips and reports: 1 to 32 characters of `A-Z 0-9 - _ . /`,
/// upper-cased (`CAIXA-01`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RegisterCode(String);

impl RegisterCode {
    /// Normalises and validates a code (the same rule as a SKU).
    pub fn parse(text: &str) -> Result<RegisterCode, Invalid> {
        Sku::parse(text).map(|code| RegisterCode(code.as_str().to_string()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegisterCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for RegisterCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegisterCode({})", self.0)
    }
}

/// A till.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Register {
    /// Row id.
    pub id: RegisterId,
    /// Unique code.
    pub code: RegisterCode,
    /// Where it is ("Front counter").
    pub name: Name,
    /// When created.
    pub created_at: Timestamp,
}

/// A new till.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRegister {
    /// Unique code.
    pub code: RegisterCode,
    /// Name.
    pub name: Name,
}

/// A signed amount of money, exact to the cent: a drawer's difference (over is positive, short
/// negative).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MoneyDelta(i64);

impl MoneyDelta {
    /// `counted - expected`.
    pub fn between(counted: Money, expected: Money) -> MoneyDelta {
        MoneyDelta(counted.cents() - expected.cents())
    }

    /// From signed cents.
    pub fn from_cents(cents: i64) -> MoneyDelta {
        MoneyDelta(cents)
    }

    /// Signed cents.
    pub fn cents(self) -> i64 {
        self.0
    }
}

impl fmt::Display for MoneyDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        f.pad(&format!("{sign}{}.{:02}", abs / 100, abs % 100))
    }
}

impl fmt::Debug for MoneyDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MoneyDelta({self})")
    }
}

/// Travels as a string (`"-0.50"`) like [`Money`].
impl Serialize for MoneyDelta {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MoneyDelta {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let amount = Money::parse(digits).map_err(serde::de::Error::custom)?;
        Ok(MoneyDelta(if negative {
            -amount.cents()
        } else {
            amount.cents()
        }))
    }
}

/// One tender's line of a closed session: what should be there, what was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TenderCount {
    /// The tender.
    pub tender: Tender,
    /// What the records say.
    pub expected: Money,
    /// What was counted (cash in the drawer, card totals from the terminal).
    pub counted: Money,
    /// `counted - expected`: over if positive, short if negative.
    pub difference: MoneyDelta,
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionClosing {
    /// Who closed it.
    pub closed_by: Option<UserId>,
    /// When.
    pub closed_at: Timestamp,
    /// One line per tender counted, in [`Tender::ALL`] order.
    pub counts: Vec<TenderCount>,
}

/// One opening of a till's drawer, until its close.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CashSession {
    /// Row id.
    pub id: CashSessionId,
    /// The till.
    pub register_id: RegisterId,
    /// Who opened it (and owns it while it is open).
    pub opened_by: Option<UserId>,
    /// When.
    pub opened_at: Timestamp,
    /// The cash counted into the drawer at opening.
    pub opening_float: Money,
    /// The close, once closed.
    pub closing: Option<SessionClosing>,
}

impl CashSession {
    /// Still taking sales.
    pub fn is_open(&self) -> bool {
        self.closing.is_none()
    }
}

/// A session about to be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCashSession {
    /// The till.
    pub register_id: RegisterId,
    /// Who.
    pub opened_by: Option<UserId>,
    /// When.
    pub opened_at: Timestamp,
    /// The counted float.
    pub opening_float: Money,
}

/// Cash put into or taken out of a drawer other than by a sale or refund.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum CashMovementKind {
    /// Cash added (suprimento): more change for the drawer.
    In,
    /// Cash removed (sangria): taken to the safe or the bank.
    Out,
}

impl CashMovementKind {
    /// The stable lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CashMovementKind::In => "in",
            CashMovementKind::Out => "out",
        }
    }

    /// Parses `in` or `out`.
    pub fn parse(text: &str) -> Result<CashMovementKind, Invalid> {
        match text.trim().to_ascii_lowercase().as_str() {
            "in" => Ok(CashMovementKind::In),
            "out" => Ok(CashMovementKind::Out),
            _ => Err(Invalid::new("must be in or out")),
        }
    }
}

named_enum_serde!(CashMovementKind);

/// A cash movement as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CashMovement {
    /// Row id.
    pub id: CashMovementId,
    /// The session.
    pub cash_session_id: CashSessionId,
    /// In or out.
    pub kind: CashMovementKind,
    /// How much (more than zero).
    pub amount: Money,
    /// Why.
    pub reason: Reason,
    /// Who.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

/// A cash movement about to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCashMovement {
    /// The session.
    pub cash_session_id: CashSessionId,
    /// In or out.
    pub kind: CashMovementKind,
    /// How much.
    pub amount: Money,
    /// Why.
    pub reason: Reason,
    /// Who.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
    /// The client's idempotency key, if it gave one (unique per session; a retry under it is
    /// answered from whichever session of the register holds it).
    pub request_key: Option<IdempotencyKey>,
}

/// What a keyed cash movement answered: the movement, and whether the key had made it before
/// (a retry after a lost answer: nothing new happened).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovedCash {
    /// The movement.
    pub movement: CashMovement,
    /// True when the key had made this movement before.
    pub replayed: bool,
}

/// What went through a session, summed from its records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SessionTotals {
    /// Counter sales made in it.
    pub sales: u64,
    /// Their value before any discount.
    pub gross: Money,
    /// Their discounts, line and sale.
    pub discounts: Money,
    /// Returns refunded through it.
    pub returns: u64,
    /// Money received, per tender (cash as handed over, change not deducted).
    pub taken: BTreeMap<Tender, Money>,
    /// Money paid back for returns, per tender.
    pub refunded: BTreeMap<Tender, Money>,
    /// Change handed back.
    pub change: Money,
    /// Cash put in (suprimento).
    pub cash_in: Money,
    /// Cash taken out (sangria).
    pub cash_out: Money,
}

impl SessionTotals {
    fn get(map: &BTreeMap<Tender, Money>, tender: Tender) -> i64 {
        map.get(&tender).map_or(0, |m| m.cents())
    }

    /// What should be in hand for `tender` after opening with `float`, in signed cents (only
    /// corrupted data makes it negative).
    pub fn expected_cents(&self, tender: Tender, float: Money) -> i64 {
        let moved = Self::get(&self.taken, tender) - Self::get(&self.refunded, tender);
        if tender.is_cash() {
            float.cents() + self.cash_in.cents() - self.cash_out.cents() + moved
                - self.change.cents()
        } else {
            moved
        }
    }

    /// [`SessionTotals::expected_cents`] as money; negative is reported, not hidden.
    pub fn expected(&self, tender: Tender, float: Money) -> Result<Money, Error> {
        let cents = self.expected_cents(tender, float);
        Money::from_cents(cents).map_err(|_| Error::Internal {
            message: format!(
                "the records give an expected {tender} of {}",
                MoneyDelta(cents)
            ),
        })
    }

    /// Whether anything went through `tender` (it must be counted at close).
    pub fn used(&self, tender: Tender) -> bool {
        tender.is_cash() || self.taken.contains_key(&tender) || self.refunded.contains_key(&tender)
    }

    /// Net sales: gross less discounts less refunds.
    pub fn net(&self) -> i64 {
        self.gross.cents()
            - self.discounts.cents()
            - self.refunded.values().map(|m| m.cents()).sum::<i64>()
    }
}

/// Checks a close's counts against what the session expects: cash always, and every other tender
/// the session used; each once. Returns the lines to record, in [`Tender::ALL`] order.
pub fn reconcile(
    totals: &SessionTotals,
    float: Money,
    counted: &[(Tender, Money)],
) -> Result<Vec<TenderCount>, Error> {
    let mut given: BTreeMap<Tender, Money> = BTreeMap::new();
    for (index, (tender, amount)) in counted.iter().enumerate() {
        if given.insert(*tender, *amount).is_some() {
            return Err(Error::validation(
                format!("counts[{index}].tender"),
                format!("{tender} is counted twice"),
            ));
        }
    }
    let mut lines = Vec::new();
    for tender in Tender::ALL {
        let expected = totals.expected(tender, float)?;
        match given.get(&tender) {
            Some(counted) => lines.push(TenderCount {
                tender,
                expected,
                counted: *counted,
                difference: MoneyDelta::between(*counted, expected),
            }),
            None if totals.used(tender) => {
                return Err(Error::validation(
                    "counts",
                    format!("count {tender} too (the records expect {expected})"),
                ));
            }
            None => {}
        }
    }
    Ok(lines)
}

/// X (while open, changes nothing) or Z (the closing report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ReportKind {
    /// A reading while the session is open.
    X,
    /// The report of a closed session.
    Z,
}

/// One tender's line in a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TenderSummary {
    /// The tender.
    pub tender: Tender,
    /// Received.
    pub taken: Money,
    /// Paid back.
    pub refunded: Money,
    /// Expected in hand (cash: with float, movements and change).
    pub expected: Money,
    /// Counted at close (Z only).
    pub counted: Option<Money>,
    /// `counted - expected` (Z only).
    pub difference: Option<MoneyDelta>,
}

/// An X or Z report of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionReport {
    /// X or Z.
    pub kind: ReportKind,
    /// The till.
    pub register: Register,
    /// The session.
    pub session: CashSession,
    /// Who opened it, by login name.
    pub opened_by: String,
    /// Who closed it, by login name (Z only).
    pub closed_by: Option<String>,
    /// The sums.
    pub totals: SessionTotals,
    /// One line per tender used, in [`Tender::ALL`] order.
    pub tenders: Vec<TenderSummary>,
    /// When the report was made.
    pub generated_at: Timestamp,
}

impl SessionReport {
    /// Builds the report of `session` from its sums.
    pub fn new(
        register: Register,
        session: CashSession,
        opened_by: String,
        closed_by: Option<String>,
        totals: SessionTotals,
        generated_at: Timestamp,
    ) -> Result<SessionReport, Error> {
        let counts: BTreeMap<Tender, TenderCount> = session
            .closing
            .iter()
            .flat_map(|c| c.counts.iter().map(|line| (line.tender, *line)))
            .collect();
        let mut tenders = Vec::new();
        for tender in Tender::ALL {
            if !totals.used(tender) && !counts.contains_key(&tender) {
                continue;
            }
            let count = counts.get(&tender);
            tenders.push(TenderSummary {
                tender,
                taken: totals.taken.get(&tender).copied().unwrap_or(Money::ZERO),
                refunded: totals.refunded.get(&tender).copied().unwrap_or(Money::ZERO),
                expected: totals.expected(tender, session.opening_float)?,
                counted: count.map(|c| c.counted),
                difference: count.map(|c| c.difference),
            });
        }
        Ok(SessionReport {
            kind: if session.is_open() {
                ReportKind::X
            } else {
                ReportKind::Z
            },
            register,
            session,
            opened_by,
            closed_by,
            totals,
            tenders,
            generated_at,
        })
    }

    /// The report as plain text, `width` columns wide (32, 42 or 48 for thermal printers; at
    /// least 32). Not a fiscal document, and says so.
    pub fn render(&self, width: usize) -> String {
        let width = width.max(32);
        let mut out = String::new();
        let rule = "-".repeat(width);
        let row = |out: &mut String, label: &str, value: &str| {
            let pad = width.saturating_sub(label.chars().count() + value.chars().count());
            let _ = writeln!(out, "{label}{}{value}", " ".repeat(pad.max(1)));
        };
        let center = |out: &mut String, text: &str| {
            let pad = width.saturating_sub(text.chars().count()) / 2;
            let _ = writeln!(out, "{}{text}", " ".repeat(pad));
        };
        let title = match self.kind {
            ReportKind::X => "X REPORT (session open)",
            ReportKind::Z => "Z REPORT (session closed)",
        };
        center(&mut out, title);
        center(&mut out, "NOT A FISCAL DOCUMENT");
        out.push_str(&rule);
        out.push('\n');
        row(&mut out, "Register", self.register.code.as_str());
        row(&mut out, "Session", &self.session.id.to_string());
        row(&mut out, "Opened by", &self.opened_by);
        row(&mut out, "Opened", &stamp(self.session.opened_at));
        if let Some(closing) = &self.session.closing {
            row(
                &mut out,
                "Closed by",
                self.closed_by.as_deref().unwrap_or("-"),
            );
            row(&mut out, "Closed", &stamp(closing.closed_at));
        }
        out.push_str(&rule);
        out.push('\n');
        let t = &self.totals;
        row(&mut out, "Sales", &t.sales.to_string());
        row(&mut out, "Gross", &t.gross.to_string());
        row(&mut out, "Discounts", &format!("-{}", t.discounts));
        let refunds = t.refunded.values().map(|m| m.cents()).sum::<i64>();
        row(
            &mut out,
            &format!("Returns ({})", t.returns),
            &MoneyDelta(-refunds).to_string(),
        );
        row(&mut out, "Net", &MoneyDelta(t.net()).to_string());
        out.push_str(&rule);
        out.push('\n');
        // Net per tender: cash is what stayed, so the change handed back comes off it and the
        // lines add up to the net above.
        for line in &self.tenders {
            let change = if line.tender.is_cash() {
                t.change.cents()
            } else {
                0
            };
            let net = MoneyDelta(line.taken.cents() - line.refunded.cents() - change);
            row(&mut out, line.tender.label(), &net.to_string());
        }
        out.push_str(&rule);
        out.push('\n');
        row(
            &mut out,
            "Opening float",
            &self.session.opening_float.to_string(),
        );
        row(&mut out, "Cash in", &t.cash_in.to_string());
        row(&mut out, "Cash out", &format!("-{}", t.cash_out));
        let cash_taken = t.taken.get(&Tender::Cash).copied().unwrap_or(Money::ZERO);
        row(&mut out, "Cash taken", &cash_taken.to_string());
        row(&mut out, "Change given", &format!("-{}", t.change));
        let cash_refunds = t
            .refunded
            .get(&Tender::Cash)
            .copied()
            .unwrap_or(Money::ZERO);
        row(&mut out, "Cash refunds", &format!("-{cash_refunds}"));
        for line in &self.tenders {
            out.push_str(&rule);
            out.push('\n');
            row(
                &mut out,
                &format!("{} expected", line.tender.label()),
                &line.expected.to_string(),
            );
            if let (Some(counted), Some(difference)) = (line.counted, line.difference) {
                row(
                    &mut out,
                    &format!("{} counted", line.tender.label()),
                    &counted.to_string(),
                );
                let verdict = match difference.cents() {
                    0 => "Difference",
                    d if d < 0 => "Short",
                    _ => "Over",
                };
                row(&mut out, verdict, &difference.to_string());
            }
        }
        out.push_str(&rule);
        out.push('\n');
        row(&mut out, "Printed", &stamp(self.generated_at));
        out
    }
}

fn stamp(at: Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn totals() -> SessionTotals {
        SessionTotals {
            sales: 3,
            gross: m("120.00"),
            discounts: m("5.00"),
            returns: 1,
            taken: [(Tender::Cash, m("80.00")), (Tender::Pix, m("40.00"))].into(),
            refunded: [(Tender::Cash, m("10.00"))].into(),
            change: m("5.00"),
            cash_in: m("20.00"),
            cash_out: m("50.00"),
        }
    }

    #[test]
    fn expected_cash_follows_the_drawer_rule() {
        // 100 + 20 - 50 + 80 - 5 - 10
        assert_eq!(
            totals().expected(Tender::Cash, m("100")).unwrap(),
            m("135.00")
        );
        assert_eq!(
            totals().expected(Tender::Pix, m("100")).unwrap(),
            m("40.00")
        );
        assert_eq!(
            totals().expected(Tender::Debit, m("100")).unwrap(),
            Money::ZERO
        );
    }

    #[test]
    fn a_close_counts_cash_and_every_tender_used() {
        let t = totals();
        let err = reconcile(&t, m("100"), &[(Tender::Cash, m("135"))]).unwrap_err();
        assert!(matches!(err, Error::Validation { ref field, .. } if field == "counts"));
        let twice = [(Tender::Cash, m("1")), (Tender::Cash, m("1"))];
        assert!(reconcile(&t, m("100"), &twice).is_err());
        let lines = reconcile(
            &t,
            m("100"),
            &[(Tender::Pix, m("40")), (Tender::Cash, m("134.50"))],
        )
        .unwrap();
        assert_eq!(lines[0].tender, Tender::Cash);
        assert_eq!(lines[0].difference, MoneyDelta::from_cents(-50));
        assert_eq!(lines[0].difference.to_string(), "-0.50");
        assert_eq!(lines[1].difference.to_string(), "0.00");
    }

    #[test]
    fn register_codes_are_upper_case() {
        assert_eq!(
            RegisterCode::parse(" caixa-01 ").unwrap().as_str(),
            "CAIXA-01"
        );
        assert!(RegisterCode::parse("caixa 01").is_err());
    }

    #[test]
    fn net_is_gross_less_discounts_and_refunds() {
        assert_eq!(totals().net(), 12_000 - 500 - 1_000);
    }
}
