//! Quantities of goods on an order line.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::Invalid;

/// A positive number of units, at most [`Quantity::MAX`].
///
/// ```
/// use erp_core::domain::Quantity;
/// assert_eq!(Quantity::new(3).unwrap().get(), 3);
/// assert!(Quantity::new(0).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Quantity(u32);

impl Quantity {
    /// The most units one line (or one stock movement) may carry.
    pub const MAX: u32 = 1_000_000;

    /// Accepts 1..=[`Quantity::MAX`].
    pub fn new(units: i64) -> Result<Quantity, Invalid> {
        if units <= 0 {
            return Err(Invalid::new("must be at least 1"));
        }
        match u32::try_from(units) {
            Ok(units) if units <= Quantity::MAX => Ok(Quantity(units)),
            _ => Err(Invalid::new(format!("must be at most {}", Quantity::MAX))),
        }
    }

    /// The number of units.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The number of units as a stock delta.
    pub fn as_i64(self) -> i64 {
        i64::from(self.0)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Quantity({})", self.0)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let units = i64::deserialize(deserializer)?;
        Quantity::new(units).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_to_max() {
        assert_eq!(Quantity::new(1).unwrap().get(), 1);
        assert_eq!(Quantity::new(1_000_000).unwrap().get(), 1_000_000);
    }

    #[test]
    fn rejects_zero_negative_and_huge() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(-5).is_err());
        assert!(Quantity::new(1_000_001).is_err());
        assert!(Quantity::new(i64::MAX).is_err());
    }
}
