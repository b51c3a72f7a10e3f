//! Products and the stock rules.

use serde::{Deserialize, Serialize};

use super::{
    IdempotencyKey, Invalid, Money, MovementId, Name, OrderId, ProductId, Quantity, Reason, Sku,
    Timestamp, UserId,
};
use crate::error::Error;

/// A product of the catalogue with its stock.
///
/// Stock invariants: `on_hand >= 0`, `reserved >= 0`, `reserved <= on_hand`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Product {
    /// Row id.
    pub id: ProductId,
    /// Unique product code.
    pub sku: Sku,
    /// Display name.
    pub name: Name,
    /// Current unit price; orders freeze the price they were placed at.
    pub price: Money,
    /// Units physically in the shop.
    pub on_hand: i64,
    /// Units promised to open orders.
    pub reserved: i64,
    /// At or below this many available units the product counts as low on stock.
    pub reorder_level: i64,
    /// Inactive products stay on old orders but cannot be ordered.
    pub active: bool,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed (including stock).
    pub updated_at: Timestamp,
}

/// How a stock command changed a product: the deltas its movement row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StockDelta {
    /// Change of `on_hand`.
    pub on_hand: i64,
    /// Change of `reserved`.
    pub reserved: i64,
}

impl Product {
    /// Units that can still be promised: `on_hand - reserved`.
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }

    /// Available stock is at or below the reorder level.
    pub fn is_low_on_stock(&self) -> bool {
        self.available() <= self.reorder_level
    }

    /// Reserves `quantity` for an order, or explains why it cannot.
    pub fn reserve(&mut self, quantity: Quantity) -> Result<StockDelta, Error> {
        if !self.active {
            return Err(Error::ProductInactive {
                sku: self.sku.to_string(),
            });
        }
        if quantity.as_i64() > self.available() {
            return Err(Error::InsufficientStock {
                sku: self.sku.to_string(),
                requested: quantity.as_i64(),
                available: self.available().max(0),
            });
        }
        self.reserved += quantity.as_i64();
        Ok(StockDelta {
            on_hand: 0,
            reserved: quantity.as_i64(),
        })
    }

    /// Returns a reservation (order cancelled).
    pub fn release(&mut self, quantity: Quantity) -> Result<StockDelta, Error> {
        self.take_reserved(quantity, 0)
    }

    /// Consumes a reservation as the goods leave (order shipped).
    pub fn ship(&mut self, quantity: Quantity) -> Result<StockDelta, Error> {
        self.take_reserved(quantity, quantity.as_i64())
    }

    fn take_reserved(&mut self, quantity: Quantity, leaving: i64) -> Result<StockDelta, Error> {
        let units = quantity.as_i64();
        if units > self.reserved || leaving > self.on_hand {
            // Only reachable if stored data already broke the invariants.
            return Err(Error::Internal {
                message: format!(
                    "product {} holds {} reserved / {} on hand, cannot take {units}",
                    self.sku, self.reserved, self.on_hand
                ),
            });
        }
        self.reserved -= units;
        self.on_hand -= leaving;
        Ok(StockDelta {
            on_hand: -leaving,
            reserved: -units,
        })
    }

    /// Sells `quantity` over the counter: the goods leave at once, nothing is reserved. Only
    /// available units can be sold (reserved ones are promised to open orders).
    pub fn sell(&mut self, quantity: Quantity) -> Result<StockDelta, Error> {
        if !self.active {
            return Err(Error::ProductInactive {
                sku: self.sku.to_string(),
            });
        }
        if quantity.as_i64() > self.available() {
            return Err(Error::InsufficientStock {
                sku: self.sku.to_string(),
                requested: quantity.as_i64(),
                available: self.available().max(0),
            });
        }
        self.on_hand -= quantity.as_i64();
        Ok(StockDelta {
            on_hand: -quantity.as_i64(),
            reserved: 0,
        })
    }

    /// Puts returned units back on the shelf (inactive products too: the goods are here).
    pub fn take_back(&mut self, quantity: Quantity) -> Result<StockDelta, Error> {
        let units = quantity.as_i64();
        if self.on_hand + units > MAX_ON_HAND {
            return Err(Error::validation(
                "quantity",
                format!("would take stock past {MAX_ON_HAND}"),
            ));
        }
        self.on_hand += units;
        Ok(StockDelta {
            on_hand: units,
            reserved: 0,
        })
    }

    /// Changes `on_hand` by `delta` (a receipt or a count correction). Stock never drops below
    /// what open orders have reserved.
    pub fn adjust(&mut self, delta: i64) -> Result<StockDelta, Error> {
        let new_on_hand = self
            .on_hand
            .checked_add(delta)
            .filter(|n| *n <= MAX_ON_HAND)
            .ok_or_else(|| Error::Validation {
                field: "quantity".into(),
                reason: format!("would take stock past {MAX_ON_HAND}"),
            })?;
        if new_on_hand < self.reserved {
            return Err(Error::StockBelowReserved {
                sku: self.sku.to_string(),
                requested_on_hand: new_on_hand,
                reserved: self.reserved,
            });
        }
        self.on_hand = new_on_hand;
        Ok(StockDelta {
            on_hand: delta,
            reserved: 0,
        })
    }
}

/// The most units of one product the shop can hold; keeps sums far from overflow.
pub const MAX_ON_HAND: i64 = 1_000_000_000;

/// A new product. The opening stock is recorded as a receipt.
#[derive(Clone, Debug)]
pub struct NewProduct {
    /// Unique code.
    pub sku: Sku,
    /// Name.
    pub name: Name,
    /// Unit price.
    pub price: Money,
    /// Opening stock (0 or more).
    pub initial_stock: i64,
    /// Low-stock threshold (0 or more).
    pub reorder_level: i64,
}

/// Changes to a product; `None` leaves a field as it is. Stock changes go through
/// [`StockChange`], never through an edit.
#[derive(Clone, Debug, Default)]
pub struct ProductChanges {
    /// New name.
    pub name: Option<Name>,
    /// New price (open orders keep theirs).
    pub price: Option<Money>,
    /// New low-stock threshold.
    pub reorder_level: Option<i64>,
    /// Reactivate or deactivate.
    pub active: Option<bool>,
}

/// Checks a threshold or opening stock: 0 ..= [`MAX_ON_HAND`].
pub fn parse_stock_level(value: i64) -> Result<i64, Invalid> {
    if value < 0 {
        return Err(Invalid::new("must not be negative"));
    }
    if value > MAX_ON_HAND {
        return Err(Invalid::new(format!("must be at most {MAX_ON_HAND}")));
    }
    Ok(value)
}

/// A stock command from a person: goods received, or a correction after counting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockChange {
    /// Goods arrived: `on_hand += quantity`.
    Receipt(Quantity),
    /// A correction of `on_hand` by a signed, non-zero amount.
    Adjustment(i64),
}

impl StockChange {
    /// Builds an adjustment; zero and absurd amounts are refused.
    pub fn adjustment(delta: i64) -> Result<StockChange, Invalid> {
        if delta == 0 {
            return Err(Invalid::new("must not be zero"));
        }
        if delta.unsigned_abs() > MAX_ON_HAND.unsigned_abs() {
            return Err(Invalid::new(format!("must be within ±{MAX_ON_HAND}")));
        }
        Ok(StockChange::Adjustment(delta))
    }

    /// The change to `on_hand`.
    pub fn delta(self) -> i64 {
        match self {
            StockChange::Receipt(quantity) => quantity.as_i64(),
            StockChange::Adjustment(delta) => delta,
        }
    }

    /// The movement kind it records.
    pub fn kind(self) -> MovementKind {
        match self {
            StockChange::Receipt(_) => MovementKind::Receipt,
            StockChange::Adjustment(_) => MovementKind::Adjustment,
        }
    }
}

/// Why stock moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MovementKind {
    /// Goods received (also the opening stock).
    Receipt,
    /// A correction of on-hand stock.
    Adjustment,
    /// Units reserved by a new order.
    Reservation,
    /// A reservation returned by a cancelled order.
    Release,
    /// Units that left with a shipped order.
    Shipment,
    /// Units that left over the counter (a counter sale: never reserved).
    Sale,
    /// Units that came back with a return, to the shelf.
    Return,
}

impl MovementKind {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "RECEIPT",
            MovementKind::Adjustment => "ADJUSTMENT",
            MovementKind::Reservation => "RESERVATION",
            MovementKind::Release => "RELEASE",
            MovementKind::Shipment => "SHIPMENT",
            MovementKind::Sale => "SALE",
            MovementKind::Return => "RETURN",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<MovementKind> {
        [
            MovementKind::Receipt,
            MovementKind::Adjustment,
            MovementKind::Reservation,
            MovementKind::Release,
            MovementKind::Shipment,
            MovementKind::Sale,
            MovementKind::Return,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// One change of one product's stock, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StockMovement {
    /// Row id.
    pub id: MovementId,
    /// The product.
    pub product_id: ProductId,
    /// Why.
    pub kind: MovementKind,
    /// Change of on-hand units.
    pub on_hand_delta: i64,
    /// Change of reserved units.
    pub reserved_delta: i64,
    /// The order behind it, if any.
    pub order_id: Option<OrderId>,
    /// The reason a person gave, if any.
    pub reason: Option<String>,
    /// Who (None: the system).
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

/// The outcome of a stock change made at most once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockAdjusted {
    /// The product as it is now.
    pub product: Product,
    /// True when the key had already been used for this same change: nothing moved this time.
    pub replayed: bool,
}

/// A movement about to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMovement {
    /// The product.
    pub product_id: ProductId,
    /// Why.
    pub kind: MovementKind,
    /// The deltas.
    pub delta: StockDelta,
    /// The order behind it, if any.
    pub order_id: Option<OrderId>,
    /// The reason a person gave, if any.
    pub reason: Option<Reason>,
    /// Who.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
    /// The client's idempotency key, for a receipt or adjustment that must happen once.
    pub request_key: Option<IdempotencyKey>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn product(on_hand: i64, reserved: i64) -> Product {
        Product {
            id: ProductId(1),
            sku: Sku::parse("TEA").unwrap(),
            name: Name::parse("Tea").unwrap(),
            price: Money::parse("3.50").unwrap(),
            on_hand,
            reserved,
            reorder_level: 2,
            active: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn qty(n: i64) -> Quantity {
        Quantity::new(n).unwrap()
    }

    #[test]
    fn reserve_takes_from_available_only() {
        let mut p = product(10, 7);
        assert_eq!(p.reserve(qty(3)).unwrap().reserved, 3);
        assert_eq!((p.on_hand, p.reserved, p.available()), (10, 10, 0));
    }

    #[test]
    fn reserve_beyond_available_names_sku_requested_and_available() {
        let mut p = product(10, 7);
        match p.reserve(qty(4)) {
            Err(Error::InsufficientStock {
                sku,
                requested,
                available,
            }) => assert_eq!((sku.as_str(), requested, available), ("TEA", 4, 3)),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(p.reserved, 7, "a failed reservation changes nothing");
    }

    #[test]
    fn inactive_products_cannot_be_reserved() {
        let mut p = product(10, 0);
        p.active = false;
        assert!(matches!(
            p.reserve(qty(1)),
            Err(Error::ProductInactive { .. })
        ));
    }

    #[test]
    fn release_returns_reserved_stock() {
        let mut p = product(10, 4);
        let delta = p.release(qty(4)).unwrap();
        assert_eq!(
            delta,
            StockDelta {
                on_hand: 0,
                reserved: -4
            }
        );
        assert_eq!((p.on_hand, p.reserved), (10, 0));
    }

    #[test]
    fn ship_consumes_on_hand_and_reservation() {
        let mut p = product(10, 4);
        let delta = p.ship(qty(3)).unwrap();
        assert_eq!(
            delta,
            StockDelta {
                on_hand: -3,
                reserved: -3
            }
        );
        assert_eq!((p.on_hand, p.reserved), (7, 1));
    }

    #[test]
    fn taking_more_than_reserved_is_reported_not_hidden() {
        let mut p = product(10, 1);
        assert!(matches!(p.ship(qty(2)), Err(Error::Internal { .. })));
        assert!(matches!(p.release(qty(2)), Err(Error::Internal { .. })));
    }

    #[test]
    fn adjustment_never_takes_stock_below_reserved() {
        let mut p = product(10, 6);
        assert!(matches!(
            p.adjust(-5),
            Err(Error::StockBelowReserved {
                requested_on_hand: 5,
                reserved: 6,
                ..
            })
        ));
        assert_eq!(p.adjust(-4).unwrap().on_hand, -4);
        assert_eq!((p.on_hand, p.available()), (6, 0));
        assert_eq!(p.adjust(5).unwrap().on_hand, 5);
    }

    #[test]
    fn adjustment_cannot_overflow() {
        let mut p = product(MAX_ON_HAND, 0);
        assert!(matches!(p.adjust(1), Err(Error::Validation { .. })));
        assert!(StockChange::adjustment(0).is_err());
        assert!(StockChange::adjustment(i64::MIN).is_err());
    }

    #[test]
    fn low_stock_is_available_at_or_below_the_reorder_level() {
        assert!(product(5, 3).is_low_on_stock());
        assert!(!product(5, 2).is_low_on_stock());
    }
}
