//! The invariants of ARCHITECTURE.md, checked over what a store holds.
//!
//! A store gathers an [`AuditSnapshot`] (per product: its stock and the sums that should explain
//! it; per order: its status, totals and history); [`check`] then lists every way the data breaks
//! the rules. The same check runs after every proptest step, at the end of the concurrency tests,
//! and for operators on a live database.

use std::fmt;

use serde::Serialize;

use super::{
    CashSessionId, Channel, Money, MoneyDelta, OrderId, OrderStatus, ProductId, SessionTotals,
    Tender,
};

/// The stock of one product beside the sums that must explain it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductAudit {
    /// The product.
    pub product_id: ProductId,
    /// Its SKU, for the report.
    pub sku: String,
    /// Stored on-hand units.
    pub on_hand: i64,
    /// Stored reserved units.
    pub reserved: i64,
    /// Sum of the on-hand deltas of its movements.
    pub movements_on_hand: i64,
    /// Sum of the reserved deltas of its movements.
    pub movements_reserved: i64,
    /// Sum of the quantities of its lines on orders that hold a reservation.
    pub open_order_quantity: i64,
}

/// One order's totals and history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderAudit {
    /// The order.
    pub order_id: OrderId,
    /// Its stored status.
    pub status: OrderStatus,
    /// Delivery or counter (where its history starts).
    pub channel: Channel,
    /// Its stored total, in cents.
    pub total_cents: i64,
    /// The sum of its lines' nets less the order's discount, in cents.
    pub lines_total_cents: i64,
    /// How many lines it has.
    pub line_count: u64,
    /// Lines whose total is not unit price times quantity.
    pub mispriced_lines: u64,
    /// Its history as `(from, to)`, oldest first.
    pub history: Vec<(Option<OrderStatus>, OrderStatus)>,
}

/// Everything [`check`] needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditSnapshot {
    /// Every product.
    pub products: Vec<ProductAudit>,
    /// Every order.
    pub orders: Vec<OrderAudit>,
    /// Every order with money or returns recorded against it.
    pub money: Vec<OrderMoneyAudit>,
    /// Every cash session.
    pub sessions: Vec<SessionAudit>,
    /// Rows that name a product no longer (or never) in `products`, per table. On MySQL the
    /// order lines and stock movements have no foreign key to products (it would take a shared
    /// lock on the product row before the stock claim's exclusive one), so the check does.
    pub rows_naming_no_product: Vec<(&'static str, u64)>,
}

/// An order's money and returns beside the rows that must explain them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderMoneyAudit {
    /// The order.
    pub order_id: OrderId,
    /// Delivery or counter.
    pub channel: Channel,
    /// Stored total, cents.
    pub total_cents: i64,
    /// Stored paid, cents.
    pub paid_cents: i64,
    /// Stored change, cents.
    pub change_cents: i64,
    /// Stored refunded, cents.
    pub refunded_cents: i64,
    /// Sum of its payments, cents.
    pub payments_cents: i64,
    /// Sum of its refunds, cents.
    pub refunds_cents: i64,
    /// Lines whose `returned` is more than sold or disagrees with the return rows.
    pub bad_returned_lines: u64,
}

/// A cash session's records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionAudit {
    /// The session.
    pub session_id: CashSessionId,
    /// Its opening float.
    pub opening_float: Money,
    /// Its sums.
    pub totals: SessionTotals,
    /// The expected cash its close recorded (None: open).
    pub closed_expected_cash: Option<Money>,
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Inconsistency {
    /// `on_hand < 0` or `reserved < 0` or `reserved > on_hand`.
    StockOutOfBounds {
        /// Product.
        sku: String,
        /// Stored on hand.
        on_hand: i64,
        /// Stored reserved.
        reserved: i64,
    },
    /// On-hand stock does not equal the sum of its movements.
    OnHandDisagreesWithMovements {
        /// Product.
        sku: String,
        /// Stored.
        on_hand: i64,
        /// Sum of movements.
        movements: i64,
    },
    /// Reserved stock does not equal the sum of its movements.
    ReservedDisagreesWithMovements {
        /// Product.
        sku: String,
        /// Stored.
        reserved: i64,
        /// Sum of movements.
        movements: i64,
    },
    /// Reserved stock does not equal what open orders hold.
    ReservedDisagreesWithOpenOrders {
        /// Product.
        sku: String,
        /// Stored.
        reserved: i64,
        /// Sum of open order lines.
        open_orders: i64,
    },
    /// An order's total is not the sum of its lines, or a line is mispriced, or it has no lines.
    OrderTotalWrong {
        /// Order.
        order_id: OrderId,
        /// Stored total, cents.
        total_cents: i64,
        /// Sum of line totals, cents.
        lines_total_cents: i64,
    },
    /// An order's payments do not add up to what it says was paid plus change, or a counter sale
    /// is not paid in full.
    PaymentsDisagree {
        /// Order.
        order_id: OrderId,
        /// Stored paid plus change, cents.
        recorded_cents: i64,
        /// Sum of payments, cents.
        payments_cents: i64,
    },
    /// An order's refunds do not add up to what it says was refunded, or exceed what was paid.
    RefundsDisagree {
        /// Order.
        order_id: OrderId,
        /// Stored refunded, cents.
        refunded_cents: i64,
        /// Sum of refunds, cents.
        refunds_cents: i64,
    },
    /// More units came back than were sold, or a line's returned count disagrees with its returns.
    ReturnedDisagrees {
        /// Order.
        order_id: OrderId,
        /// How many lines.
        lines: u64,
    },
    /// A session's expected cash is negative, or its close recorded another expected cash than
    /// float + cash in - cash out + cash taken - change - cash refunds.
    CashDisagrees {
        /// Session.
        session_id: CashSessionId,
        /// What the close recorded (None: open).
        recorded: Option<Money>,
        /// What the records add up to.
        computed: MoneyDelta,
    },
    /// An order's history is not a legal path of the state machine.
    IllegalHistory {
        /// Order.
        order_id: OrderId,
        /// Index of the first bad step.
        step: usize,
    },
    /// An order's status is not where its history ends.
    StatusDisagreesWithHistory {
        /// Order.
        order_id: OrderId,
        /// Stored status.
        status: OrderStatus,
        /// Where the history ends.
        history_ends_at: Option<OrderStatus>,
    },
    /// Rows of `table` name a product that does not exist.
    RowsNameNoProduct {
        /// The table.
        table: &'static str,
        /// How many rows.
        rows: u64,
    },
}

impl fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inconsistency::StockOutOfBounds {
                sku,
                on_hand,
                reserved,
            } => write!(
                f,
                "{sku}: stock out of bounds (on hand {on_hand}, reserved {reserved})"
            ),
            Inconsistency::OnHandDisagreesWithMovements {
                sku,
                on_hand,
                movements,
            } => write!(
                f,
                "{sku}: on hand is {on_hand} but its movements add up to {movements}"
            ),
            Inconsistency::ReservedDisagreesWithMovements {
                sku,
                reserved,
                movements,
            } => write!(
                f,
                "{sku}: reserved is {reserved} but its movements add up to {movements}"
            ),
            Inconsistency::ReservedDisagreesWithOpenOrders {
                sku,
                reserved,
                open_orders,
            } => write!(
                f,
                "{sku}: reserved is {reserved} but open orders hold {open_orders}"
            ),
            Inconsistency::OrderTotalWrong {
                order_id,
                total_cents,
                lines_total_cents,
            } => write!(
                f,
                "order {order_id}: total {total_cents} cents but lines add up to {lines_total_cents} cents (or a line is mispriced)"
            ),
            Inconsistency::PaymentsDisagree {
                order_id,
                recorded_cents,
                payments_cents,
            } => write!(
                f,
                "order {order_id}: paid plus change is {} but its payments add up to {} (or a counter sale is not paid in full)",
                MoneyDelta::from_cents(*recorded_cents),
                MoneyDelta::from_cents(*payments_cents)
            ),
            Inconsistency::RefundsDisagree {
                order_id,
                refunded_cents,
                refunds_cents,
            } => write!(
                f,
                "order {order_id}: refunded is {} but its refunds add up to {} (or exceed what was paid)",
                MoneyDelta::from_cents(*refunded_cents),
                MoneyDelta::from_cents(*refunds_cents)
            ),
            Inconsistency::ReturnedDisagrees { order_id, lines } => write!(
                f,
                "order {order_id}: {lines} lines returned more than sold or disagree with their returns"
            ),
            Inconsistency::CashDisagrees {
                session_id,
                recorded,
                computed,
            } => write!(
                f,
                "cash session {session_id}: expected cash recorded {} but the records add up to {computed}",
                recorded.map_or("nothing".to_string(), |m| m.to_string())
            ),
            Inconsistency::RowsNameNoProduct { table, rows } => {
                write!(
                    f,
                    "{rows} row(s) of {table} name a product that does not exist"
                )
            }
            Inconsistency::IllegalHistory { order_id, step } => {
                write!(
                    f,
                    "order {order_id}: history step {step} is not a legal transition"
                )
            }
            Inconsistency::StatusDisagreesWithHistory {
                order_id,
                status,
                history_ends_at,
            } => write!(
                f,
                "order {order_id}: status is {status} but its history ends at {}",
                history_ends_at.map_or("nothing".to_string(), |s| s.to_string())
            ),
        }
    }
}

/// Lists every inconsistency in `snapshot`; empty when all invariants hold.
pub fn check(snapshot: &AuditSnapshot) -> Vec<Inconsistency> {
    let mut found = Vec::new();
    for p in &snapshot.products {
        if p.on_hand < 0 || p.reserved < 0 || p.reserved > p.on_hand {
            found.push(Inconsistency::StockOutOfBounds {
                sku: p.sku.clone(),
                on_hand: p.on_hand,
                reserved: p.reserved,
            });
        }
        if p.on_hand != p.movements_on_hand {
            found.push(Inconsistency::OnHandDisagreesWithMovements {
                sku: p.sku.clone(),
                on_hand: p.on_hand,
                movements: p.movements_on_hand,
            });
        }
        if p.reserved != p.movements_reserved {
            found.push(Inconsistency::ReservedDisagreesWithMovements {
                sku: p.sku.clone(),
                reserved: p.reserved,
                movements: p.movements_reserved,
            });
        }
        if p.reserved != p.open_order_quantity {
            found.push(Inconsistency::ReservedDisagreesWithOpenOrders {
                sku: p.sku.clone(),
                reserved: p.reserved,
                open_orders: p.open_order_quantity,
            });
        }
    }
    for o in &snapshot.orders {
        if o.total_cents != o.lines_total_cents || o.mispriced_lines > 0 || o.line_count == 0 {
            found.push(Inconsistency::OrderTotalWrong {
                order_id: o.order_id,
                total_cents: o.total_cents,
                lines_total_cents: o.lines_total_cents,
            });
        }
        if let Err(step) = OrderStatus::check_path_from(o.channel.initial_status(), &o.history) {
            found.push(Inconsistency::IllegalHistory {
                order_id: o.order_id,
                step,
            });
        }
        let ends_at = o.history.last().map(|(_, to)| *to);
        if ends_at != Some(o.status) {
            found.push(Inconsistency::StatusDisagreesWithHistory {
                order_id: o.order_id,
                status: o.status,
                history_ends_at: ends_at,
            });
        }
    }
    for m in &snapshot.money {
        let full = m.channel != Channel::Counter || m.paid_cents == m.total_cents;
        if m.payments_cents != m.paid_cents + m.change_cents || !full {
            found.push(Inconsistency::PaymentsDisagree {
                order_id: m.order_id,
                recorded_cents: m.paid_cents + m.change_cents,
                payments_cents: m.payments_cents,
            });
        }
        if m.refunds_cents != m.refunded_cents || m.refunded_cents > m.paid_cents {
            found.push(Inconsistency::RefundsDisagree {
                order_id: m.order_id,
                refunded_cents: m.refunded_cents,
                refunds_cents: m.refunds_cents,
            });
        }
        if m.bad_returned_lines > 0 {
            found.push(Inconsistency::ReturnedDisagrees {
                order_id: m.order_id,
                lines: m.bad_returned_lines,
            });
        }
    }
    for s in &snapshot.sessions {
        let computed = s.totals.expected_cents(Tender::Cash, s.opening_float);
        let recorded_ok = s.closed_expected_cash.is_none_or(|r| r.cents() == computed);
        if computed < 0 || !recorded_ok {
            found.push(Inconsistency::CashDisagrees {
                session_id: s.session_id,
                recorded: s.closed_expected_cash,
                computed: MoneyDelta::from_cents(computed),
            });
        }
    }
    for &(table, rows) in &snapshot.rows_naming_no_product {
        if rows > 0 {
            found.push(Inconsistency::RowsNameNoProduct { table, rows });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    fn product(on_hand: i64, reserved: i64) -> ProductAudit {
        ProductAudit {
            product_id: ProductId(1),
            sku: "TEA".into(),
            on_hand,
            reserved,
            movements_on_hand: on_hand,
            movements_reserved: reserved,
            open_order_quantity: reserved,
        }
    }

    fn order(status: OrderStatus, history: Vec<(Option<OrderStatus>, OrderStatus)>) -> OrderAudit {
        OrderAudit {
            order_id: OrderId(7),
            status,
            channel: Channel::Delivery,
            total_cents: 500,
            lines_total_cents: 500,
            line_count: 1,
            mispriced_lines: 0,
            history,
        }
    }

    #[test]
    fn consistent_data_has_no_findings() {
        let snapshot = AuditSnapshot {
            products: vec![product(10, 3)],
            orders: vec![order(
                Confirmed,
                vec![(None, Pending), (Some(Pending), Confirmed)],
            )],
            ..Default::default()
        };
        assert!(check(&snapshot).is_empty());
    }

    #[test]
    fn each_stock_rule_is_reported() {
        let mut p = product(10, 3);
        p.reserved = 11;
        p.movements_on_hand = 9;
        p.open_order_quantity = 2;
        let found = check(&AuditSnapshot {
            products: vec![p],
            ..Default::default()
        });
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Inconsistency::StockOutOfBounds { .. }))
        );
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Inconsistency::OnHandDisagreesWithMovements { .. }))
        );
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Inconsistency::ReservedDisagreesWithMovements { .. }))
        );
        assert!(
            found
                .iter()
                .any(|f| matches!(f, Inconsistency::ReservedDisagreesWithOpenOrders { .. }))
        );
    }

    #[test]
    fn rows_naming_no_product_are_reported_per_table() {
        let found = check(&AuditSnapshot {
            rows_naming_no_product: vec![("order_lines", 0), ("stock_movements", 2)],
            ..Default::default()
        });
        assert_eq!(
            found,
            vec![Inconsistency::RowsNameNoProduct {
                table: "stock_movements",
                rows: 2
            }]
        );
    }

    #[test]
    fn illegal_histories_and_status_mismatch_are_reported() {
        let skipped = order(Shipped, vec![(None, Pending), (Some(Pending), Shipped)]);
        let lagging = order(Picked, vec![(None, Pending), (Some(Pending), Confirmed)]);
        let mut bad_total = order(Pending, vec![(None, Pending)]);
        bad_total.lines_total_cents = 400;
        let found = check(&AuditSnapshot {
            orders: vec![skipped, lagging, bad_total],
            ..Default::default()
        });
        assert_eq!(
            found,
            vec![
                Inconsistency::IllegalHistory {
                    order_id: OrderId(7),
                    step: 1
                },
                Inconsistency::StatusDisagreesWithHistory {
                    order_id: OrderId(7),
                    status: Picked,
                    history_ends_at: Some(Confirmed)
                },
                Inconsistency::OrderTotalWrong {
                    order_id: OrderId(7),
                    total_cents: 500,
                    lines_total_cents: 400
                },
            ]
        );
    }
}
