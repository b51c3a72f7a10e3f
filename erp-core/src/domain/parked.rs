//! Parked sales: a cart put aside at one till ("the lady in the blue coat went back for milk") and
//! recalled by any till of the shop.
//!
//! A parked cart is only a list of SKUs and quantities under a label. It reserves nothing and
//! freezes no price: recalling it hands the lines back, and the checkout is an ordinary counter
//! sale, priced and checked for stock at that moment.

use std::fmt;

use serde::Serialize;

use sha2::{Digest, Sha256};

use super::{
    CustomerId, IdempotencyKey, Invalid, NewOrder, ParkedSaleId, Quantity, RegisterId, Sku,
    Timestamp, UserId,
};
use crate::error::Error;

/// The name a parked cart goes by at the till: 1 to [`ParkedLabel::MAX_LEN`] characters, one
/// line (a customer's name, "mesa 4", "blue coat").
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ParkedLabel(String);

impl ParkedLabel {
    /// The longest label, in characters: it has to fit a till's list.
    pub const MAX_LEN: usize = 40;

    /// Trims and validates a label.
    pub fn parse(text: &str) -> Result<ParkedLabel, Invalid> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Invalid::new("must not be blank"));
        }
        if text.chars().count() > ParkedLabel::MAX_LEN {
            return Err(Invalid::new("may have at most 40 characters"));
        }
        if text.chars().any(char::is_control) {
            return Err(Invalid::new("must be one line of printable text"));
        }
        Ok(ParkedLabel(text.to_string()))
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ParkedLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for ParkedLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ParkedLabel({:?})", self.0)
    }
}

/// One line of a parked cart.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ParkedLine {
    /// What.
    pub sku: Sku,
    /// How many.
    pub quantity: Quantity,
}

/// A cart to park, validated: a label and 1 to [`NewParkedSale::MAX_LINES`] lines, each SKU once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewParkedSale {
    label: ParkedLabel,
    register_id: Option<RegisterId>,
    customer_id: Option<CustomerId>,
    lines: Vec<ParkedLine>,
    key: Option<IdempotencyKey>,
}

impl NewParkedSale {
    /// The most lines a parked cart holds: as many as the sale it becomes.
    pub const MAX_LINES: usize = NewOrder::MAX_LINES;

    /// Checks the lines (the same rule as a sale's: at least one, each SKU once).
    pub fn new(
        label: ParkedLabel,
        register_id: Option<RegisterId>,
        customer_id: Option<CustomerId>,
        lines: Vec<ParkedLine>,
    ) -> Result<NewParkedSale, Error> {
        let skus: Vec<Sku> = lines.iter().map(|l| l.sku.clone()).collect();
        super::order::check_lines(&skus)?;
        Ok(NewParkedSale {
            label,
            register_id,
            customer_id,
            lines,
            key: None,
        })
    }

    /// Parks at most once under `key`: a repeated request (a retry after a lost answer) gets the
    /// cart parked the first time, even after it was recalled, instead of parking it twice.
    #[must_use]
    pub fn with_key(mut self, key: IdempotencyKey) -> NewParkedSale {
        self.key = Some(key);
        self
    }

    /// The idempotency key, if given.
    pub fn key(&self) -> Option<&IdempotencyKey> {
        self.key.as_ref()
    }

    /// What makes two requests under one key the same cart: the register, the customer and the
    /// lines (SKU and quantity, in any order). Not the label: a retry may name it differently.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "register={:?};customer={:?};",
            self.register_id.map(RegisterId::get),
            self.customer_id.map(CustomerId::get)
        ));
        super::order::hash_sku_lines(
            &mut hasher,
            self.lines
                .iter()
                .map(|l| (l.sku.as_str(), l.quantity.get())),
        );
        crate::auth::hex(&hasher.finalize())
    }

    /// The label.
    pub fn label(&self) -> &ParkedLabel {
        &self.label
    }

    /// The till it was parked at, if given.
    pub fn register_id(&self) -> Option<RegisterId> {
        self.register_id
    }

    /// The customer, if one was chosen before parking.
    pub fn customer_id(&self) -> Option<CustomerId> {
        self.customer_id
    }

    /// The lines.
    pub fn lines(&self) -> &[ParkedLine] {
        &self.lines
    }

    /// The parked sale as stored under `id`.
    pub fn into_parked(self, id: ParkedSaleId, by: Option<UserId>, at: Timestamp) -> ParkedSale {
        ParkedSale {
            id,
            label: self.label,
            register_id: self.register_id,
            customer_id: self.customer_id,
            lines: self.lines,
            parked_by: by,
            parked_at: at,
        }
    }
}

/// A parked cart, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParkedSale {
    /// Its id.
    pub id: ParkedSaleId,
    /// What the till calls it.
    pub label: ParkedLabel,
    /// The till it was parked at.
    pub register_id: Option<RegisterId>,
    /// The customer, if chosen.
    pub customer_id: Option<CustomerId>,
    /// The lines, in the order they were rung up.
    pub lines: Vec<ParkedLine>,
    /// Who parked it.
    pub parked_by: Option<UserId>,
    /// When.
    pub parked_at: Timestamp,
}

/// What parking answered: the cart, and whether it had been parked before under the same key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parked {
    /// The parked cart.
    pub sale: ParkedSale,
    /// True when the key had parked this same cart before: nothing new happened.
    pub replayed: bool,
}

/// What a recall answered: the cart, and whether the recall's key had taken it before (a retry
/// after a lost answer: nothing new happened).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recall {
    /// The cart taken back.
    pub sale: ParkedSale,
    /// True when this recall's key had taken the cart before.
    pub replayed: bool,
}

impl ParkedSale {
    /// The most parked carts a list returns: a shop with more has forgotten some.
    pub const MAX_LISTED: u32 = 500;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, quantity: i64) -> ParkedLine {
        ParkedLine {
            sku: Sku::parse(sku).unwrap(),
            quantity: Quantity::new(quantity).unwrap(),
        }
    }

    #[test]
    fn labels_are_one_short_line() {
        assert_eq!(ParkedLabel::parse("  mesa 4 ").unwrap().as_str(), "mesa 4");
        assert!(ParkedLabel::parse("   ").is_err());
        assert!(ParkedLabel::parse("a\nb").is_err());
        assert!(ParkedLabel::parse(&"é".repeat(40)).is_ok());
        assert!(ParkedLabel::parse(&"é".repeat(41)).is_err());
    }

    #[test]
    fn a_parked_cart_has_one_to_max_lines_each_sku_once() {
        let label = ParkedLabel::parse("blue coat").unwrap();
        assert!(NewParkedSale::new(label.clone(), None, None, vec![]).is_err());
        let twice = vec![line("TEA", 1), line("tea", 2)];
        assert!(NewParkedSale::new(label.clone(), None, None, twice).is_err());
        let many: Vec<ParkedLine> = (0..=NewParkedSale::MAX_LINES)
            .map(|i| line(&format!("SKU-{i}"), 1))
            .collect();
        assert!(NewParkedSale::new(label.clone(), None, None, many.clone()).is_err());
        let most = many[..NewParkedSale::MAX_LINES].to_vec();
        assert!(NewParkedSale::new(label, None, None, most).is_ok());
    }

    #[test]
    fn the_fingerprint_is_the_cart_whatever_its_label_or_line_order() {
        let cart = |label: &str, lines, customer| {
            NewParkedSale::new(
                ParkedLabel::parse(label).unwrap(),
                Some(RegisterId(1)),
                customer,
                lines,
            )
            .unwrap()
            .fingerprint()
        };
        let two = || vec![line("TEA", 1), line("MUG", 2)];
        let same = cart("mesa 4", two(), None);
        assert_eq!(
            same,
            cart("blue coat", two().into_iter().rev().collect(), None)
        );
        assert_ne!(
            same,
            cart("mesa 4", vec![line("TEA", 1), line("MUG", 3)], None)
        );
        assert_ne!(same, cart("mesa 4", two(), Some(CustomerId(7))));
    }
}
