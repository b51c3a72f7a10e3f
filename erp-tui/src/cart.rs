//! The sale in progress. It gets its idempotency key when it begins and keeps it until the order
//! is placed, so a double Enter, a retry after an error, or a restart that restores the cart can
//! never place a second order. It is saved to a small file after every change.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use erp_core::domain::{
    CustomerId, DiscountPolicy, IdempotencyKey, Money, PricedSale, Quantity, SaleLine, Sku, Tender,
    price_sale,
};
use erp_core::input::{
    DiscountInput, OrderInput, OrderLineInput, SaleInput, SaleLineInput, TenderInput,
};
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
    /// Units available when last seen, to warn at once when the cart asks for more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
    /// A price other than the catalogue's, in cents (a manager approves it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_cents: Option<i64>,
    /// A discount on this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<CartDiscount>,
}

/// A discount as the cashier typed it: an amount off or a percentage, as erp-core reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CartDiscount {
    /// This much off, a decimal string (`5.00`).
    Amount(String),
    /// This share off, a decimal string (`10`, `12.5`).
    Percent(String),
}

impl CartDiscount {
    /// The discount as erp-core's input.
    pub fn input(&self) -> DiscountInput {
        match self {
            CartDiscount::Amount(amount) => DiscountInput {
                amount: Some(amount.clone()),
                percent: None,
            },
            CartDiscount::Percent(percent) => DiscountInput {
                amount: None,
                percent: Some(percent.clone()),
            },
        }
    }

    /// The discount as erp-core's domain value, if well formed.
    pub fn parse(&self) -> Option<erp_core::domain::Discount> {
        use erp_core::domain::{Discount, Percent};
        match self {
            CartDiscount::Amount(amount) => Money::parse(amount)
                .ok()
                .and_then(|m| Discount::amount(m).ok()),
            CartDiscount::Percent(percent) => Percent::parse(percent).ok().map(Discount::Percent),
        }
    }
}

/// One tender typed in the payment dialog (kept with the cart, so a restart sends the very same
/// sale again and erp-core recognises it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartTender {
    /// `cash`, `debit`, `credit`, `pix`, `other`.
    pub tender: String,
    /// In cents.
    pub cents: i64,
}

impl CartTender {
    /// The tender, if known.
    pub fn tender(&self) -> Option<Tender> {
        Tender::parse(&self.tender).ok()
    }

    /// The amount.
    pub fn amount(&self) -> Money {
        Money::from_cents(self.cents).unwrap_or(Money::ZERO)
    }
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
    /// The register it belongs to (absent in files written before carts were per register).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<String>,
    /// The user whose sale it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// A discount on the whole sale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<CartDiscount>,
    /// The tenders of the payment dialog, once typed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tenders: Vec<CartTender>,
    /// The sale was sent to erp-core under [`Cart::key`] and its outcome is not known: the cart
    /// is frozen (see [`Sent`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<Sent>,
    /// A recall of a parked cart whose answer never came (see [`PendingRecall`]). It outlives
    /// the sales made meanwhile, and a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recalling: Option<PendingRecall>,
    /// A cash in or out whose answer was not certain (see [`PendingCash`]). It outlives the
    /// sales made meanwhile, and a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash: Option<PendingCash>,
}

/// A cash in or out sent under a key whose answer was not certain: entered again the same, it
/// goes under the same key, so erp-core records it once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCash {
    /// The idempotency key it was sent under.
    pub key: String,
    /// Out (sangria) rather than in (suprimento).
    pub out: bool,
    /// How much, in cents.
    pub cents: i64,
    /// Why.
    pub reason: String,
    /// The session it was sent to: its key means nothing in another (keys are unique per
    /// session), so once that session is no longer the open one the movement is not sent again.
    /// Absent in files written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<i64>,
    /// Sent again under its key (after an uncertain answer): a refusal now may follow a first
    /// try that went through.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resent: bool,
}

/// A recall sent under a key of its own whose answer never came: the parked cart may be taken
/// and held for this till by nobody else. ^R sends the same recall again, and erp-core answers
/// the cart it took under the key (or takes it now if the first try never arrived).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRecall {
    /// The parked cart.
    pub id: i64,
    /// The recall's idempotency key.
    pub key: String,
    /// The cart's label, to say which.
    pub label: String,
}

/// A sale sent with the cart's key whose answer never came (or came as an error that does not
/// say whether the sale was made). A counter sale is idempotent per customer and key, so a
/// changed customer or changed lines could make and take payment for the same sale twice: until
/// the outcome is known the cart, its customer, discounts and tenders stay as sent, and the only
/// ways on are sending the very same request again (erp-core replays a sale that was made) or a
/// manager voiding the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sent {
    /// The register the sale was sent for (part of the request: a retry sends it again).
    pub register_id: i64,
    /// erp-core answered that the key already made another sale, this order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<i64>,
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

/// A key the till made (or read back from its cart file) as erp-core's idempotency key; one
/// that does not parse (a file edited by hand) is a validation error, never sent.
pub fn till_key(text: &str) -> Result<IdempotencyKey, erp_core::Error> {
    IdempotencyKey::parse(text).map_err(|e| erp_core::Error::validation("key", e.to_string()))
}

impl Cart {
    /// An empty cart for the next sale that keeps this one's unanswered requests (a recall, a
    /// cash movement): they belong to the till, not to the sale.
    pub fn next_keeping_pending(&mut self) -> Cart {
        Cart {
            recalling: self.recalling.take(),
            cash: self.cash.take(),
            ..Cart::default()
        }
    }

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
                available: None,
                override_cents: None,
                discount: None,
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

    /// The displayed total after discounts and overrides (the sale's total is computed by
    /// erp-core at the current prices; this is the same arithmetic, erp-core's `price_sale`).
    pub fn total(&self) -> Money {
        match self.priced(DiscountPolicy::default()) {
            Some(priced) => priced.total,
            None => self.gross(),
        }
    }

    /// The cart priced by erp-core's rule: every figure a receipt prints and what needs a
    /// manager. None when a line or discount is not well formed.
    pub fn priced(&self, policy: DiscountPolicy) -> Option<PricedSale> {
        let lines: Vec<(Money, SaleLine)> = self
            .lines
            .iter()
            .map(|l| {
                Some((
                    Money::from_cents(l.price_cents).ok()?,
                    SaleLine {
                        sku: Sku::parse(&l.sku).ok()?,
                        quantity: Quantity::new(i64::from(l.quantity)).ok()?,
                        unit_price: match l.override_cents {
                            Some(cents) => Some(Money::from_cents(cents).ok()?),
                            None => None,
                        },
                        discount: match &l.discount {
                            Some(d) => Some(d.parse()?),
                            None => None,
                        },
                    },
                ))
            })
            .collect::<Option<_>>()?;
        let refs: Vec<(Money, &SaleLine)> = lines.iter().map(|(p, l)| (*p, l)).collect();
        let discount = match &self.discount {
            Some(d) => Some(d.parse()?),
            None => None,
        };
        price_sale(&refs, discount, policy).ok()
    }

    /// Sum of the lines at their catalogue prices, before discounts.
    pub fn gross(&self) -> Money {
        let cents = self
            .lines
            .iter()
            .map(|l| l.price_cents.saturating_mul(i64::from(l.quantity)))
            .fold(0i64, i64::saturating_add);
        Money::from_cents(cents.min(Money::MAX_CENTS)).unwrap_or(Money::ZERO)
    }

    /// The counter sale for erp-core (`register`, `customer`, `tenders`): lines with their
    /// overrides and discounts, and the sale's discount.
    pub fn sale_input(
        &self,
        register: i64,
        customer: CustomerId,
        tenders: &[CartTender],
    ) -> SaleInput {
        SaleInput {
            register_id: register,
            customer_id: customer.get(),
            lines: self
                .lines
                .iter()
                .map(|l| SaleLineInput {
                    sku: l.sku.clone(),
                    quantity: i64::from(l.quantity),
                    unit_price: l
                        .override_cents
                        .map(|c| Money::from_cents(c).unwrap_or(Money::ZERO).to_string()),
                    discount: l.discount.as_ref().map(CartDiscount::input),
                })
                .collect(),
            discount: self.discount.as_ref().map(CartDiscount::input),
            tenders: tenders
                .iter()
                .map(|t| TenderInput {
                    tender: t.tender.clone(),
                    amount: t.amount().to_string(),
                    reference: None,
                })
                .collect(),
            note: None,
            approver: None,
        }
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

    /// Sent and not answered for certain: nothing in it may change.
    pub fn is_frozen(&self) -> bool {
        self.sent.is_some()
    }
}

/// The register (till) name used when none is given: `--register` / `ERP_REGISTER` name it.
pub const DEFAULT_REGISTER: &str = "CAIXA-01";

/// A register name: 1 to 32 letters, digits, `-` or `_`, upper-cased. It names a directory, so
/// nothing else is accepted.
pub fn register_name(text: &str) -> Result<String, String> {
    let name = text.trim().to_ascii_uppercase();
    let valid = (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if valid {
        Ok(name)
    } else {
        Err(format!(
            "register name {text:?}: use 1 to 32 letters, digits, - or _ (like CAIXA-01)"
        ))
    }
}

/// Where a till keeps its sales in progress: one file per register and user, so two tills on
/// one database, or two cashiers taking turns at one till, never pick up each other's sale or
/// idempotency key.
#[derive(Clone, Debug)]
pub struct CartStore {
    dir: PathBuf,
    register: String,
    /// The version last written per user: saves run as background tasks and may finish out of
    /// order, and an older cart must never overwrite a newer one (a frozen cart above all).
    written: Arc<Mutex<HashMap<String, u64>>>,
}

/// Held while this process is the till of its register; dropping it lets another start.
#[derive(Debug)]
pub struct RegisterLock {
    _file: std::fs::File,
}

impl CartStore {
    /// Carts of `register` under `base`.
    pub fn new(base: &Path, register: &str) -> Result<CartStore, String> {
        let register = register_name(register)?;
        Ok(CartStore {
            dir: base.join(&register),
            register,
            written: Arc::default(),
        })
    }

    /// Carts of `register` for the database at `database_url`: in a `.tills` directory next to a
    /// SQLite file, else under the user's state directory, per database.
    pub fn for_database(database_url: &str, register: &str) -> Result<CartStore, String> {
        CartStore::new(&tills_dir(database_url), register)
    }

    /// The file of the register's unanswered return keys.
    pub fn returns_path(&self) -> PathBuf {
        self.dir.join("returns.json")
    }

    /// The register's name.
    pub fn register(&self) -> &str {
        &self.register
    }

    /// The file of `user`'s sale at this register.
    pub fn path(&self, user: &str) -> PathBuf {
        // Usernames are already restricted to `[a-z0-9._-]` starting with a letter (erp-core's
        // `Username`); anything else is replaced so a name can never leave the directory.
        let safe: String = user
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{safe}.cart.json"))
    }

    /// `user`'s sale at this register. A cart saved for another register or user (a copied
    /// file) is not taken over: that would reuse someone else's idempotency key.
    pub fn load(&self, user: &str) -> Cart {
        let cart = load(&self.path(user));
        let ours = cart.register.as_deref() == Some(self.register.as_str())
            && cart.user.as_deref() == Some(user);
        if ours { cart } else { Cart::default() }
    }

    /// Saves `user`'s sale, stamped with this register and user.
    pub fn save(&self, user: &str, cart: &Cart) -> std::io::Result<()> {
        let mut stamped = cart.clone();
        stamped.register = Some(self.register.clone());
        stamped.user = Some(user.to_string());
        save(&self.path(user), &stamped)
    }

    /// Saves `user`'s sale as of `version` (increasing with every change), unless a later version
    /// was written already. Saves of one store take turns.
    pub fn save_version(&self, user: &str, cart: &Cart, version: u64) -> std::io::Result<()> {
        let mut written = self
            .written
            .lock()
            .map_err(|_| std::io::Error::other("the cart store's lock was poisoned"))?;
        if written.get(user).is_some_and(|last| *last > version) {
            return Ok(());
        }
        self.save(user, cart)?;
        written.insert(user.to_string(), version);
        Ok(())
    }

    /// Makes this process the register's till. Fails while another process holds it: two tills
    /// started with the same register name would otherwise share their carts.
    pub fn claim(&self) -> Result<RegisterLock, String> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let path = self.dir.join("register.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(RegisterLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "register {} is already open in another till on this machine; start this one \
                 with --register and another name (like CAIXA-02)",
                self.register
            )),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(format!("cannot lock {}: {e}", path.display()))
            }
        }
    }
}

/// The directory of every register's carts for one database.
fn tills_dir(database_url: &str) -> PathBuf {
    if let Some(path) = sqlite_file(database_url) {
        return PathBuf::from(format!("{path}.tills"));
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("erp-tui").join(database_label(database_url))
}

fn sqlite_file(database_url: &str) -> Option<&str> {
    let path = database_url.strip_prefix("sqlite://")?;
    Some(path.split('?').next().unwrap_or(path))
}

/// `host_db` of a server URL, without credentials, fit for a directory name.
fn database_label(database_url: &str) -> String {
    let rest = database_url
        .split_once("://")
        .map_or(database_url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let rest = rest.split('?').next().unwrap_or(rest);
    rest.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The one cart file every till of a SQLite database used to share (`erp.db.cart.json`).
/// Nothing tells which till's sale it holds, so no till loads it: the first till to start
/// renames it aside (the rename is atomic, so only one does) and reports what it held.
pub fn set_aside_shared_cart(database_url: &str) -> Option<(PathBuf, Cart)> {
    let old = PathBuf::from(format!("{}.cart.json", sqlite_file(database_url)?));
    let cart = load(&old);
    let aside = old.with_extension("json.unclaimed");
    std::fs::rename(&old, &aside).ok()?;
    Some((aside, cart))
}

/// Reads a saved cart; a missing or unreadable file is an empty cart.
pub fn load(path: &Path) -> Cart {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Saves the cart atomically (write a temporary file, then rename), or removes the file when the
/// cart holds nothing to keep.
pub fn save(path: &Path, cart: &Cart) -> std::io::Result<()> {
    if cart.is_empty() && cart.key.is_none() && cart.recalling.is_none() && cart.cash.is_none() {
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
    fn each_register_and_user_has_a_cart_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("erp.db").display());
        let one = CartStore::for_database(&url, "caixa-01").unwrap();
        let two = CartStore::for_database(&url, "CAIXA-02").unwrap();
        assert_eq!(one.register(), "CAIXA-01");
        assert_eq!(
            one.path("ana"),
            dir.path().join("erp.db.tills/CAIXA-01/ana.cart.json")
        );
        let mut cart = Cart::default();
        cart.add("TEA", "Tea", money("2.50"), 1);
        one.save("ana", &cart).unwrap();
        assert_eq!(one.load("ana").lines, cart.lines);
        assert!(one.load("bob").is_empty());
        assert!(two.load("ana").is_empty());
        // A file copied from another register is not taken over.
        std::fs::create_dir_all(two.path("ana").parent().unwrap()).unwrap();
        std::fs::copy(one.path("ana"), two.path("ana")).unwrap();
        assert!(two.load("ana").is_empty());
    }

    #[test]
    fn an_older_save_never_overwrites_a_frozen_cart() {
        let dir = tempfile::tempdir().unwrap();
        let store = CartStore::new(dir.path(), "CAIXA-01").unwrap();
        let mut cart = Cart::default();
        cart.add("TEA", "Tea", money("2.50"), 1);
        let mut frozen = cart.clone();
        frozen.sent = Some(Sent {
            register_id: 1,
            conflict: None,
        });
        store.save_version("ana", &frozen, 7).unwrap();
        // A save queued before the sale was sent finishes after it: skipped.
        store.save_version("ana", &cart, 5).unwrap();
        assert!(store.load("ana").is_frozen());
        // Another user's saves are counted apart.
        store.save_version("bob", &cart, 1).unwrap();
        assert_eq!(store.load("bob").lines, cart.lines);
        store.save_version("ana", &cart, 8).unwrap();
        assert!(!store.load("ana").is_frozen());
    }

    #[test]
    fn register_names_are_path_safe() {
        assert!(register_name("../etc").is_err());
        assert!(register_name("").is_err());
        assert!(register_name("a b").is_err());
        assert_eq!(register_name(" caixa_2 ").unwrap(), "CAIXA_2");
    }

    #[test]
    fn a_register_is_open_in_one_process_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = CartStore::new(dir.path(), "CAIXA-01").unwrap();
        let held = store.claim().unwrap();
        assert!(store.claim().unwrap_err().contains("already open"));
        drop(held);
        store.claim().unwrap();
    }

    #[test]
    fn the_old_shared_cart_is_set_aside_once_and_never_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("erp.db");
        let url = format!("sqlite://{}", db.display());
        let mut cart = Cart::default();
        cart.add("BRD-LOAF", "Sourdough loaf", money("17.00"), 1);
        save(&dir.path().join("erp.db.cart.json"), &cart).unwrap();
        let (aside, found) = set_aside_shared_cart(&url).unwrap();
        assert_eq!(found.lines, cart.lines);
        assert!(aside.exists());
        assert!(
            set_aside_shared_cart(&url).is_none(),
            "only the first till sees it"
        );
        // The shared file is gone from where tills looked, kept whole beside it, and a till's
        // own store (which never reads the shared name) starts empty even for the user whose
        // sale it may have been.
        assert!(!dir.path().join("erp.db.cart.json").exists());
        assert_eq!(load(&aside).lines, cart.lines);
        let store = CartStore::for_database(&url, "CAIXA-01").unwrap();
        assert_ne!(store.path("root"), dir.path().join("erp.db.cart.json"));
        assert!(store.load("root").is_empty());
    }

    #[test]
    fn server_urls_keep_no_credentials_in_the_path() {
        let label = database_label("mysql://till:secret@db.shop:3306/erp");
        assert_eq!(label, "db_shop_3306_erp");
    }
}
