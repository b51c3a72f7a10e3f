//! Exact money: a non-negative amount with exactly two decimal places.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Invalid, Quantity};

/// A non-negative amount of the shop's currency, exact to the cent.
///
/// Built from text (`"12.50"`) or from cents, never from a float. Amounts with more than two
/// decimal places are rejected rather than rounded, so nothing is silently lost.
///
/// ```
/// use erp_core::domain::Money;
/// let price = Money::parse("12.5").unwrap();
/// assert_eq!(price.to_string(), "12.50");
/// assert_eq!(price.cents(), 1250);
/// assert!(Money::parse("0.001").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(Decimal::ZERO);
    /// The largest amount any field can hold (fits `DECIMAL(14,2)`): 999 999 999 999.99.
    pub const MAX_CENTS: i64 = 99_999_999_999_999;

    /// Parses a decimal string such as `"12.50"`, `"12.5"` or `"12"`.
    pub fn parse(text: &str) -> Result<Money, Invalid> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if trimmed.starts_with('-') {
            return Err(Invalid::new("must not be negative"));
        }
        // Decimal::from_str accepts forms we do not want from people (exponents, underscores).
        let well_formed = trimmed.chars().all(|c| c.is_ascii_digit() || c == '.');
        if !well_formed
            || !trimmed.starts_with(|c: char| c.is_ascii_digit())
            || trimmed.matches('.').count() > 1
            || trimmed.ends_with('.')
        {
            return Err(Invalid::new(
                "must be a decimal amount such as 12.50 (digits and one dot)",
            ));
        }
        let value =
            Decimal::from_str(trimmed).map_err(|_| Invalid::new("is not a valid amount"))?;
        Money::from_decimal(value)
    }

    /// Builds an amount from a decimal; rejects negatives and more than two decimal places.
    pub fn from_decimal(value: Decimal) -> Result<Money, Invalid> {
        if value.is_sign_negative() {
            if !value.is_zero() {
                return Err(Invalid::new("must not be negative"));
            }
            return Ok(Money::ZERO);
        }
        let normalized = value.normalize();
        if normalized.scale() > 2 {
            return Err(Invalid::new("must have at most two decimal places"));
        }
        let mut exact = normalized;
        exact.rescale(2);
        let cents = exact.mantissa();
        if cents > i128::from(Money::MAX_CENTS) {
            return Err(Invalid::new("is too large"));
        }
        Ok(Money(exact))
    }

    /// Builds an amount from whole cents.
    pub fn from_cents(cents: i64) -> Result<Money, Invalid> {
        if cents < 0 {
            return Err(Invalid::new("must not be negative"));
        }
        if cents > Money::MAX_CENTS {
            return Err(Invalid::new("is too large"));
        }
        Ok(Money(Decimal::new(cents, 2)))
    }

    /// The amount in cents.
    pub fn cents(self) -> i64 {
        // Invariant: scale 2 and at most MAX_CENTS, so the mantissa fits.
        i64::try_from(self.0.mantissa()).unwrap_or(i64::MAX)
    }

    /// The amount as a decimal with scale 2.
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// `self + other`, or `None` past [`Money::MAX_CENTS`].
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.cents()
            .checked_add(other.cents())
            .and_then(|cents| Money::from_cents(cents).ok())
    }

    /// `self * quantity`, or `None` past [`Money::MAX_CENTS`].
    pub fn checked_times(self, quantity: Quantity) -> Option<Money> {
        self.cents()
            .checked_mul(i64::from(quantity.get()))
            .and_then(|cents| Money::from_cents(cents).ok())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // pad() honours width and alignment, so amounts line up in receipts and tables.
        f.pad(&format!("{:.2}", self.0))
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl FromStr for Money {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

/// Money travels as a string (`"12.50"`) so no JSON client turns it into a float.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_amounts_to_two_places() {
        assert_eq!(Money::parse("12.50").unwrap().to_string(), "12.50");
        assert_eq!(Money::parse("12.5").unwrap().to_string(), "12.50");
        assert_eq!(Money::parse(" 7 ").unwrap().to_string(), "7.00");
        assert_eq!(Money::parse("0").unwrap(), Money::ZERO);
        assert_eq!(Money::parse("1.10").unwrap().cents(), 110);
    }

    #[test]
    fn trailing_zeros_beyond_cents_are_exact_not_rounded() {
        assert_eq!(Money::parse("3.1400").unwrap().cents(), 314);
    }

    #[test]
    fn rejects_sub_cent_precision_instead_of_rounding() {
        let err = Money::parse("0.005").unwrap_err();
        assert!(err.reason().contains("two decimal places"));
    }

    #[test]
    fn rejects_negative_garbage_and_exponents() {
        for bad in [
            "-1", "-0", ".5", "", " ", "abc", "1e3", "1,50", "1.2.3", "NaN", "1_000", "12.", "+",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn rejects_amounts_beyond_the_column_width() {
        assert!(Money::parse("999999999999.99").is_ok());
        assert!(Money::parse("1000000000000.00").is_err());
    }

    #[test]
    fn arithmetic_is_exact_and_checked() {
        let price = Money::parse("0.10").unwrap();
        let three = Quantity::new(3).unwrap();
        assert_eq!(price.checked_times(three).unwrap().to_string(), "0.30");
        let max = Money::from_cents(Money::MAX_CENTS).unwrap();
        assert!(max.checked_add(price).is_none());
        assert!(max.checked_times(three).is_none());
    }

    #[test]
    fn display_honours_width_and_alignment() {
        let price = Money::parse("9.8").unwrap();
        assert_eq!(format!("[{price:>7}]"), "[   9.80]");
        assert_eq!(format!("[{price:<6}]"), "[9.80  ]");
    }

    #[test]
    fn serializes_as_a_string() {
        let price = Money::parse("19.9").unwrap();
        assert_eq!(serde_json::to_string(&price).unwrap(), "\"19.90\"");
        let back: Money = serde_json::from_str("\"19.90\"").unwrap();
        assert_eq!(back, price);
        assert!(serde_json::from_str::<Money>("19.9").is_err());
    }
}
