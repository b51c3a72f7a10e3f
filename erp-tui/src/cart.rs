//! The sale in progress. It gets its idempotency key when it begins and keeps it until the order
//! is placed, so a double Enter, a retry after an error, or a restart that restores the cart can
//! never place a second order. It is saved to a small file after every change.

use std::path::{Path, PathBuf};

use erp_core::domain::{CustomerId, Money, Quantity};
use erp_core::input::{OrderInput, OrderLineInput};
use serde::{Deserialize, Serialize};

/// A cart line: what is shown and what will be ordered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// The product's SKU.
    pub sku: String,
    /// Its name when added.
    pub name: String,
    /// Its price when added, in cents (the order freezes the price current at confirmation).
    pub price_cents: i64,
    /// Units.
    pub quantity: u32,
}

/// The customer of the sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartCustomer {
    /// Id.
    pub id: i64,
    /// Name, for the screen.
    pub name: String,
}

/// The sale in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    /// Made when the first line is added; kept until the order is placed.
    pub key: Option<String>,
    /// Who buys.
    pub customer: Option<CartCustomer>,
    /// The lines, one per SKU.
    pub lines: Vec<CartLine>,
}

/// 128 random bits as hex: a fresh idempotency key.
pub fn new_key() -> String {
    let mut bytes = [0u8; 16];
    // Without secure randomness fall back to the clock: keys only need to be unique per customer.
    if getrandom::getrandom(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes = nanos.to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("till-{hex}")
}

impl Cart {
    /// Adds `quantity` of a product, merging with its line; starts the key if needed.
    pub fn add(&mut self, sku: &str, name: &str, price: Money, quantity: u32) {
        if self.key.is_none() {
            self.key = Some(new_key());
        }
        match self.lines.iter_mut().find(|l| l.sku == sku) {
            Some(line) => line.quantity = line.quantity.saturating_add(quantity).min(Quantity::MAX),
            None => self.lines.push(CartLine {
                sku: sku.to_string(),
                name: name.to_string(),
                price_cents: price.cents(),
                quantity: quantity.min(Quantity::MAX),
            }),
        }
    }

    /// Sets a line's quantity (0 removes it).
    pub fn set_quantity(&mut self, index: usize, quantity: u32) {
        if quantity == 0 {
            self.remove(index);
        } else if let Some(line) = self.lines.get_mut(index) {
            line.quantity = quantity.min(Quantity::MAX);
        }
    }

    /// Removes a line.
    pub fn remove(&mut self, index: usize) {
        if index < self.lines.len() {
            self.lines.remove(index);
        }
    }

    /// The displayed total (the order's total is computed by erp-core at the current prices).
    pub fn total(&self) -> Money {
        let cents = self
            .lines
            .iter()
            .map(|l| l.price_cents.saturating_mul(i64::from(l.quantity)))
            .fold(0i64, i64::saturating_add);
        Money::from_cents(cents.min(Money::MAX_CENTS)).unwrap_or(Money::ZERO)
    }

    /// The order request for erp-core.
    pub fn order_input(&self, customer: CustomerId) -> OrderInput {
        OrderInput {
            customer_id: customer.get(),
            lines: self
                .lines
                .iter()
                .map(|l| OrderLineInput {
                    sku: l.sku.clone(),
                    quantity: i64::from(l.quantity),
                })
                .collect(),
            note: None,
        }
    }

    /// Nothing in it.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Where the cart is kept: next to a SQLite database file, else in the user's state directory.
pub fn cart_path(database_url: &str) -> PathBuf {
    if let Some(path) = database_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        return PathBuf::from(format!("{path}.cart.json"));
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("erp-tui").join("cart.json")
}

/// Reads a saved cart; a missing or unreadable file is an empty cart.
pub fn load(path: &Path) -> Cart {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Saves the cart atomically (write a temporary file, then rename), or removes the file when the
/// cart is empty.
pub fn save(path: &Path, cart: &Cart) -> std::io::Result<()> {
    if cart.is_empty() && cart.key.is_none() {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, serde_json::to_vec_pretty(cart)?)?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn the_key_is_made_once_and_lines_merge_by_sku() {
        let mut cart = Cart::default();
        cart.add("TEA", "Tea", money("2.50"), 1);
        let key = cart.key.clone();
        cart.add("TEA", "Tea", money("2.50"), 2);
        cart.add("MUG", "Mug", money("9.90"), 1);
        assert_eq!(cart.key, key);
        assert_eq!(cart.lines.len(), 2);
        assert_eq!(cart.lines[0].quantity, 3);
        assert_eq!(cart.total().to_string(), "17.40");
        cart.set_quantity(0, 0);
        assert_eq!(cart.lines.len(), 1);
    }

    #[test]
    fn a_saved_cart_comes_back_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("erp.db.cart.json");
        let mut cart = Cart::default();
        cart.add("TEA", "Tea", money("2.50"), 4);
        save(&path, &cart).unwrap();
        assert_eq!(load(&path), cart);
        save(&path, &Cart::default()).unwrap();
        assert!(!path.exists());
        assert_eq!(load(&path), Cart::default());
    }

    #[test]
    fn carts_live_next_to_sqlite_files() {
        assert_eq!(
            cart_path("sqlite://shop/erp.db"),
            PathBuf::from("shop/erp.db.cart.json")
        );
    }
}
