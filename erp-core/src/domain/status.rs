//! The order state machine.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Invalid;

/// Where an order is in its life.
///
/// ```text
/// PENDING -> CONFIRMED -> PICKED -> SHIPPED -> DELIVERED
///    \___________\______> CANCELLED
/// ```
/// DELIVERED and CANCELLED are final.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum OrderStatus {
    /// Created; its stock is reserved.
    Pending,
    /// Accepted by the shop.
    Confirmed,
    /// Goods taken from the shelf.
    Picked,
    /// Goods left the shop; stock consumed.
    Shipped,
    /// Received by the customer. Final.
    Delivered,
    /// Called off; reserved stock returned. Final.
    Cancelled,
}

/// What a transition does to the stock of the order's lines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StockEffect {
    /// Nothing: the stock stays reserved (or is already gone).
    None,
    /// The reservation is released: `reserved -= qty`.
    Release,
    /// The goods leave: `on_hand -= qty` and `reserved -= qty`.
    Ship,
}

impl OrderStatus {
    /// Every status, in life order.
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Picked,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    /// The statuses this one may move to, in the order a person would offer them.
    pub fn next(self) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match self {
            Pending => &[Confirmed, Cancelled],
            Confirmed => &[Picked, Cancelled],
            Picked => &[Shipped],
            Shipped => &[Delivered],
            Delivered | Cancelled => &[],
        }
    }

    /// The permission moving an order to this status needs: cancelling gives stock back and
    /// drops a customer's order, so it is a manager's decision; every other move is a clerk's.
    pub fn permission_to_enter(self) -> super::Permission {
        if self == OrderStatus::Cancelled {
            super::Permission::CancelOrder
        } else {
            super::Permission::ChangeOrderStatus
        }
    }

    /// Whether `self -> to` is a legal transition.
    pub fn can_become(self, to: OrderStatus) -> bool {
        self.next().contains(&to)
    }

    /// The stock effect of the legal transition `self -> to`.
    pub fn stock_effect(self, to: OrderStatus) -> StockEffect {
        match to {
            OrderStatus::Cancelled => StockEffect::Release,
            OrderStatus::Shipped => StockEffect::Ship,
            _ => StockEffect::None,
        }
    }

    /// No transition leaves this status.
    pub fn is_final(self) -> bool {
        self.next().is_empty()
    }

    /// The order's lines hold a reservation in this status.
    pub fn holds_reservation(self) -> bool {
        matches!(
            self,
            OrderStatus::Pending | OrderStatus::Confirmed | OrderStatus::Picked
        )
    }

    /// The stable upper-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Confirmed => "CONFIRMED",
            OrderStatus::Picked => "PICKED",
            OrderStatus::Shipped => "SHIPPED",
            OrderStatus::Delivered => "DELIVERED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    /// Parses a status name, ignoring case and surrounding space.
    pub fn parse(text: &str) -> Result<OrderStatus, Invalid> {
        let wanted = text.trim();
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                Invalid::new(
                    "must be one of PENDING, CONFIRMED, PICKED, SHIPPED, DELIVERED, CANCELLED",
                )
            })
    }

    /// Whether `path` (the `(from, to)` pairs of a history, oldest first) is a legal life:
    /// it starts with `None -> PENDING` and every later step is a legal transition from the
    /// previous step's target. Returns the first offending step's index.
    pub fn check_path(path: &[(Option<OrderStatus>, OrderStatus)]) -> Result<(), usize> {
        OrderStatus::check_path_from(OrderStatus::Pending, path)
    }

    /// [`OrderStatus::check_path`] for a life that starts at `first` (a counter sale is born
    /// DELIVERED).
    pub fn check_path_from(
        first: OrderStatus,
        path: &[(Option<OrderStatus>, OrderStatus)],
    ) -> Result<(), usize> {
        let mut current: Option<OrderStatus> = None;
        for (index, &(from, to)) in path.iter().enumerate() {
            let legal = match (current, from) {
                (None, None) => index == 0 && to == first,
                (Some(now), Some(from)) => now == from && from.can_become(to),
                _ => false,
            };
            if !legal {
                return Err(index);
            }
            current = Some(to);
        }
        if path.is_empty() { Err(0) } else { Ok(()) }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::parse(s)
    }
}

impl Serialize for OrderStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OrderStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        OrderStatus::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_is_legal() {
        assert!(Pending.can_become(Confirmed));
        assert!(Confirmed.can_become(Picked));
        assert!(Picked.can_become(Shipped));
        assert!(Shipped.can_become(Delivered));
    }

    #[test]
    fn cancel_only_from_pending_or_confirmed() {
        let allowed: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.can_become(Cancelled))
            .collect();
        assert_eq!(allowed, vec![Pending, Confirmed]);
    }

    #[test]
    fn final_states_go_nowhere_and_nothing_skips_or_goes_back() {
        for to in OrderStatus::ALL {
            assert!(!Delivered.can_become(to));
            assert!(!Cancelled.can_become(to));
            assert!(!to.can_become(to), "{to} -> {to}");
            assert!(!to.can_become(Pending));
        }
        assert!(!Pending.can_become(Shipped));
        assert!(!Confirmed.can_become(Delivered));
        assert!(!Shipped.can_become(Picked));
        assert!(Delivered.is_final() && Cancelled.is_final() && !Shipped.is_final());
    }

    #[test]
    fn exactly_six_transitions_exist() {
        let count: usize = OrderStatus::ALL.iter().map(|s| s.next().len()).sum();
        assert_eq!(count, 6);
    }

    #[test]
    fn stock_effects_follow_the_table() {
        assert_eq!(Pending.stock_effect(Cancelled), StockEffect::Release);
        assert_eq!(Confirmed.stock_effect(Cancelled), StockEffect::Release);
        assert_eq!(Picked.stock_effect(Shipped), StockEffect::Ship);
        assert_eq!(Pending.stock_effect(Confirmed), StockEffect::None);
        assert_eq!(Shipped.stock_effect(Delivered), StockEffect::None);
    }

    #[test]
    fn reservation_is_held_until_shipped_or_cancelled() {
        let holding: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.holds_reservation())
            .collect();
        assert_eq!(holding, vec![Pending, Confirmed, Picked]);
    }

    #[test]
    fn parses_names_case_insensitively() {
        assert_eq!(OrderStatus::parse(" shipped ").unwrap(), Shipped);
        assert!(OrderStatus::parse("SENT").is_err());
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()).unwrap(), status);
        }
    }

    #[test]
    fn path_check_accepts_legal_lives_and_names_the_first_bad_step() {
        let good = [
            (None, Pending),
            (Some(Pending), Confirmed),
            (Some(Confirmed), Cancelled),
        ];
        assert_eq!(OrderStatus::check_path(&good), Ok(()));
        let skipped = [(None, Pending), (Some(Pending), Shipped)];
        assert_eq!(OrderStatus::check_path(&skipped), Err(1));
        let broken_chain = [(None, Pending), (Some(Confirmed), Picked)];
        assert_eq!(OrderStatus::check_path(&broken_chain), Err(1));
        let wrong_start = [(None, Confirmed)];
        assert_eq!(OrderStatus::check_path(&wrong_start), Err(0));
        assert_eq!(OrderStatus::check_path(&[]), Err(0));
    }
}
