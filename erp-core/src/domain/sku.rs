//! Stock-keeping units.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::Invalid;

/// A product code, unique across the catalogue: trimmed, upper-cased, 1 to 32 characters of
/// `A-Z 0-9 - _ . /`, starting with a letter or digit. Barcodes (EAN-13, UPC) are valid SKUs.
///
/// ```
/// use erp_core::domain::Sku;
/// assert_eq!(Sku::parse(" abc-12 ").unwrap().as_str(), "ABC-12");
/// assert!(Sku::parse("has space").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Sku(String);

impl Sku {
    /// The longest SKU accepted.
    pub const MAX_LEN: usize = 32;

    /// Normalises and validates a SKU.
    pub fn parse(text: &str) -> Result<Sku, Invalid> {
        let normalized = text.trim().to_ascii_uppercase();
        if normalized.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if normalized.chars().count() > Sku::MAX_LEN {
            return Err(Invalid::new(format!(
                "must be at most {} characters",
                Sku::MAX_LEN
            )));
        }
        if !normalized.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new("must start with a letter or a digit"));
        }
        if let Some(bad) = normalized
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
        {
            return Err(Invalid::new(format!(
                "may contain only letters, digits and - _ . / (found {bad:?})"
            )));
        }
        Ok(Sku(normalized))
    }

    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sku({})", self.0)
    }
}

impl<'de> Deserialize<'de> for Sku {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Sku::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(Sku::parse("  tea-001 ").unwrap().as_str(), "TEA-001");
        assert_eq!(
            Sku::parse("7891234567895").unwrap().as_str(),
            "7891234567895"
        );
    }

    #[test]
    fn rejects_empty_long_and_odd_characters() {
        assert!(Sku::parse("").is_err());
        assert!(Sku::parse("   ").is_err());
        assert!(Sku::parse(&"A".repeat(33)).is_err());
        assert!(Sku::parse("-LEADING").is_err());
        for bad in ["A B", "A'B", "A;DROP", "A%", "Ä1", "A\u{0}"] {
            assert!(Sku::parse(bad).is_err(), "{bad:?}");
        }
    }
}
