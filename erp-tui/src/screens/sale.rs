//! The sale: search, cart, customer, confirm.
//!
//! Typing searches products by SKU prefix or name. Enter adds the product whose SKU (or barcode)
//! was typed exactly, otherwise the highlighted result; `3*` in front adds three. The cart keeps
//! one idempotency key from its first line until the order is placed, and is saved after every
//! change, so no retry, double key press or restart can place an order twice.

use std::collections::VecDeque;

use crossterm::event::{Event, KeyCode, KeyEvent};
use erp_core::domain::{
    Customer, CustomerId, CustomerQuery, Money, PageRequest, Permission, Product, ProductQuery,
    Quantity, SearchTerm, Sku,
};
use erp_core::input::ApproverInput;
use erp_core::{Actor, Error};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::caixa::{self, CaixaPopup};
use super::checkout::{PayEvent, Payment, ReceiptAct, Slip};
use super::picker::{Picker, PickerEvent, create_customer, new_customer_form};
use crate::app::Ctx;
use crate::cart::{Cart, CartCustomer, PendingRecall, Sent, new_key, till_key};
use crate::form::{Form, FormEvent};
use crate::keys::{self, Binding, Hint, ctrl, key};
use crate::msg::{Msg, Sold, TillState};
use crate::notice::Notice;
use crate::task::Task;
use crate::widgets::{fit, selected_style};
use crate::{i18n, t};

/// The demo data's walk-in customer, the default for counter sales when it exists.
const WALK_IN_EMAIL: &str = "walk-in@shop.example";
/// Results shown under the search.
const RESULTS: u32 = 6;
/// What creating a customer needs (erp-core's permission matrix: operators may, at the counter).
const CREATE_CUSTOMER: Permission = Permission::CreateCustomer;

/// What the sale's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Add the typed SKU or the highlighted result.
    Add,
    /// Previous result or line.
    Up,
    /// Next result or line.
    Down,
    /// Switch between search and cart.
    Switch,
    /// Pick the customer.
    Customer,
    /// Create a customer.
    NewCustomer,
    /// Take payment.
    Confirm,
    /// The caixa: open, cash in and out, X report, close.
    Caixa,
    /// A discount or another price on the line (in the cart), or on the whole sale.
    Discount,
    /// Clear the search text.
    Clear,
    /// One more of the line.
    More,
    /// One less of the line.
    Less,
    /// Remove the line.
    Remove,
    /// Type the line's quantity.
    Quantity,
    /// Void a sale whose payment was sent without a known answer (a manager's login).
    Void,
    /// Park the sale under a label; a new sale starts.
    Park,
    /// List the parked sales to recall one.
    Recall,
}

/// Keys of a frozen sale (sent, answer unknown), looked up before the others: F9 sends the same
/// sale again, ^X asks a manager to void it.
const FROZEN_KEYS: &[Binding<Act>] = &[
    key(KeyCode::F(9), "F9", "send again", Act::Confirm),
    ctrl('x', "^X", "void (manager)", Act::Void),
    key(KeyCode::F(12), "F12", "caixa", Act::Caixa),
];

const SEARCH_KEYS: &[Binding<Act>] = &[
    key(KeyCode::Enter, "Enter", "add", Act::Add),
    key(KeyCode::Up, "↑↓", "pick", Act::Up),
    key(KeyCode::Down, "", "", Act::Down),
    key(KeyCode::Tab, "Tab", "cart", Act::Switch),
    key(KeyCode::F(9), "F9", "pay", Act::Confirm),
    key(KeyCode::F(8), "F8", "customer", Act::Customer),
    key(KeyCode::F(7), "F7", "new", Act::NewCustomer),
    key(KeyCode::F(12), "F12", "caixa", Act::Caixa),
    key(KeyCode::F(11), "F11", "sale discount", Act::Discount),
    key(KeyCode::Esc, "Esc", "clear", Act::Clear),
    ctrl('p', "^P", "park", Act::Park),
    ctrl('r', "^R", "recall", Act::Recall),
];

const CART_KEYS: &[Binding<Act>] = &[
    key(KeyCode::Char('+'), "+/-", "qty", Act::More),
    key(KeyCode::Char('-'), "", "", Act::Less),
    key(KeyCode::Enter, "Enter", "set qty", Act::Quantity),
    key(KeyCode::Delete, "Del", "remove", Act::Remove),
    key(KeyCode::Backspace, "", "", Act::Remove),
    key(KeyCode::Up, "↑↓", "line", Act::Up),
    key(KeyCode::Down, "", "", Act::Down),
    key(KeyCode::Tab, "Tab", "search", Act::Switch),
    key(KeyCode::F(9), "F9", "pay", Act::Confirm),
    key(KeyCode::Char('%'), "%", "discount/price", Act::Discount),
    key(KeyCode::F(8), "F8", "customer", Act::Customer),
    key(KeyCode::F(12), "F12", "caixa", Act::Caixa),
    ctrl('p', "^P", "park", Act::Park),
];

/// Which part of the screen takes keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// The search field.
    Search,
    /// The cart.
    Cart,
}

/// A popup over the sale.
#[derive(Debug)]
pub enum Popup {
    /// Choosing the customer.
    Picker(Picker),
    /// Creating a customer.
    NewCustomer(Form),
    /// Typing a line's quantity.
    Quantity(Form, usize),
    /// Taking payment.
    Payment(Payment),
    /// A receipt or report, as printed.
    Slip(Box<Slip>),
    /// The caixa: opening, cash in and out, closing.
    Caixa(CaixaPopup),
    /// A manager's login to approve the sale (discount, price override).
    Approval(Form, Payment),
    /// A discount (and, on a line, another price): the line's index, or None for the sale.
    Discount(Form, Option<usize>),
    /// A manager's login to void a frozen sale (true: being checked).
    Void(Form, bool),
    /// The label to park the sale under.
    Park(Form),
    /// The parked sales, one highlighted (true: being recalled).
    Parked(Vec<erp_core::domain::ParkedSale>, usize, bool),
}

/// The sale screen.
#[derive(Debug)]
pub struct Sale {
    /// The cart, saved after every change.
    pub cart: Cart,
    /// The search text.
    pub search: Input,
    /// Products matching it.
    pub results: Vec<Product>,
    /// The highlighted result.
    pub selected: usize,
    /// Search or cart.
    pub focus: Focus,
    /// The highlighted cart line.
    pub line: usize,
    /// A popup, if open.
    pub popup: Option<Popup>,
    /// Codes ended by Enter and not yet resolved, oldest first (a scanner sends many at once).
    pub queue: VecDeque<Entry>,
    /// The front of the queue is being looked up.
    pub resolving: bool,
    /// Codes of this sale that matched no product, shown until the sale ends or Esc.
    pub unknown: Vec<String>,
    /// The cart's prices are being checked before paying.
    pub checking: bool,
    /// This till's register and its open session, once looked up.
    pub till: Option<TillState>,
    /// Asked to open the caixa after login already (asked once; F12 opens it later).
    till_asked: bool,
    /// A manager's login given for this sale (kept in memory only, never saved).
    approver: Option<ApproverInput>,
    /// The sale in flight carries a manager's login (a refused login is checked before erp-core
    /// looks the key up, so that refusal does not tell whether the sale exists).
    sent_with_approver: bool,
    /// The cart's frozen state before the sale in flight was sent, put back if it never left.
    sent_before: Option<Sent>,
    /// A park, a recall or a caixa request is in flight: the cart takes no change, and the till
    /// no other cashier, until it answers.
    busy: Option<Busy>,

    /// The search text the shown results answer.
    results_for: String,
    /// The text being searched.
    searching_for: String,
    /// The highlight was moved by hand since the text last changed.
    picked: bool,
    search_seq: u64,
    default_customer_seq: u64,
    ticks: u64,
}

/// What the cart waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Busy {
    /// The cart is being parked under its key: once parked it is cleared, so nothing may be added
    /// meanwhile (it would be cleared unparked).
    Parking(Option<String>),
    /// A parked sale is being recalled into the empty cart.
    Recalling,
    /// The caixa asked erp-core something (open, cash in or out, a report, the close): its
    /// answer belongs to this cashier's caixa popup, so nobody else may take the till meanwhile.
    Caixa,
}

/// One code (or name) ended by Enter, waiting for its turn.
#[derive(Clone, Debug)]
pub struct Entry {
    /// What was typed, without the quantity.
    pub code: String,
    /// Units.
    pub quantity: u32,
    /// The row highlighted for this very text when Enter was pressed, if it may be used.
    pub picked: Option<Product>,
}

/// Splits `3*TEA-01` into a quantity and the rest. A quantity that is not 1 to
/// [`Quantity::MAX`] is refused rather than clamped.
fn quantity_prefix(text: &str) -> Result<(u32, &str), String> {
    match text.split_once('*') {
        Some((n, rest)) if !n.trim().is_empty() && n.trim().chars().all(|c| c.is_ascii_digit()) => {
            match n.trim().parse::<u32>() {
                Ok(n) if (1..=Quantity::MAX).contains(&n) => Ok((n, rest.trim())),
                _ => Err(t!(
                    "sale-quantity-refused",
                    quantity = n.trim(),
                    max = Quantity::MAX.to_string()
                )),
            }
        }
        _ => Ok((1, text)),
    }
}

/// Whether typed text is a code (a scanned barcode or a SKU) rather than words of a name: no
/// spaces and at least one digit. A code that matches nothing is reported, never replaced by
/// whatever row happens to be highlighted.
fn looks_like_code(text: &str) -> bool {
    !text.chars().any(char::is_whitespace) && text.chars().any(|c| c.is_ascii_digit())
}

/// Money as the till shows it.
fn money_of(cents: i64) -> Money {
    Money::from_cents(cents).unwrap_or(Money::ZERO)
}

impl Sale {
    /// A sale continuing `cart` (restored from the cart file).
    pub fn new(cart: Cart) -> Sale {
        Sale {
            cart,
            search: Input::default(),
            results: Vec::new(),
            selected: 0,
            focus: Focus::Search,
            line: 0,
            popup: None,
            queue: VecDeque::new(),
            resolving: false,
            busy: None,
            unknown: Vec::new(),
            checking: false,
            till: None,
            till_asked: false,
            approver: None,
            sent_with_approver: false,
            sent_before: None,
            results_for: String::new(),
            searching_for: String::new(),
            picked: false,
            search_seq: 0,
            default_customer_seq: 0,
            ticks: 0,
        }
    }

    /// A park, a recall or a caixa request is in flight.
    pub fn is_busy(&self) -> bool {
        self.busy.is_some()
    }

    /// Whether typed text goes into a field.
    pub fn typing(&self) -> bool {
        self.popup.is_some() || self.focus == Focus::Search
    }

    /// Called when the sale comes to the front: fresh results, a default customer, and the
    /// register's session.
    pub fn on_enter(&mut self, ctx: &mut Ctx) {
        if let Some(pending) = &self.cart.recalling {
            ctx.notice = Some(Notice::error(t!(
                "recall-unanswered",
                label = pending.label.as_str()
            )));
        }
        self.search(ctx);
        self.find_walk_in(ctx);
        caixa::look_up(ctx);
    }

    /// Looks up the walk-in customer for a sale without one.
    fn find_walk_in(&mut self, ctx: &mut Ctx) {
        if self.cart.customer.is_none() {
            self.default_customer_seq = ctx.next_seq();
            let seq = self.default_customer_seq;
            let actor = ctx.actor();
            ctx.spawn(Task::new(
                "finding the walk-in customer",
                move |erp| async move {
                    let query = CustomerQuery {
                        search: SearchTerm::parse(WALK_IN_EMAIL).ok().flatten(),
                        include_deleted: false,
                        page: PageRequest::first(5),
                    };
                    Msg::Customers(seq, erp.customers(&actor, &query).await)
                },
            ));
        }
    }

    /// Keeps the availability figures fresh while the screen is idle.
    pub fn on_tick(&mut self, ctx: &mut Ctx) {
        self.ticks += 1;
        if self.ticks.is_multiple_of(3) && self.popup.is_none() {
            self.search(ctx);
        }
    }

    fn search(&mut self, ctx: &mut Ctx) {
        let typed = self.search.value().to_string();
        let text = quantity_prefix(&typed).map_or(typed.as_str(), |(_, text)| text);
        let Ok(term) = SearchTerm::parse(text) else {
            return;
        };
        self.searching_for = typed.clone();
        self.search_seq = ctx.next_seq();
        let seq = self.search_seq;
        let actor = ctx.actor();
        let query = ProductQuery {
            search: term,
            page: PageRequest::first(RESULTS),
            // The till shows no total: skipping the count keeps typing fast on big catalogues.
            skip_total: true,
            ..ProductQuery::default()
        };
        ctx.spawn(Task::new("searching products", move |erp| async move {
            Msg::Products(seq, erp.products(&actor, &query).await)
        }));
    }

    /// Refuses any change to a frozen sale (sent, outcome unknown) or to a cart being parked or
    /// recalled, saying why and what can be done. True when refused.
    fn frozen(&self, ctx: &mut Ctx) -> bool {
        if let Some(busy) = &self.busy {
            ctx.notice = Some(Notice::error(match busy {
                Busy::Parking(_) => t!("sale-busy-parking"),
                Busy::Recalling => t!("sale-busy-recalling"),
                Busy::Caixa => t!("sale-busy-caixa"),
            }));
            return true;
        }
        self.sent_frozen(ctx)
    }

    /// Refuses any change to a sale sent with its outcome unknown. True when refused.
    fn sent_frozen(&self, ctx: &mut Ctx) -> bool {
        let Some(sent) = &self.cart.sent else {
            return false;
        };
        ctx.notice = Some(Notice::error(match sent.conflict {
            Some(id) => t!("sale-frozen-conflict", id = id.to_string()),
            None => t!("sale-frozen"),
        }));
        true
    }

    /// Refuses to park or recall while scanned codes still wait for their products (they would
    /// land in a cart being cleared or filled). True when refused.
    fn scans_pending(&self, ctx: &mut Ctx) -> bool {
        if self.resolving || !self.queue.is_empty() {
            ctx.notice = Some(Notice::error(t!("sale-scans-pending")));
            return true;
        }
        false
    }

    fn changed(&mut self, ctx: &mut Ctx) {
        ctx.save_cart = Some(self.cart.clone());
        self.line = self.line.min(self.cart.lines.len().saturating_sub(1));
    }

    fn add(&mut self, product: &Product, quantity: u32, ctx: &mut Ctx) {
        if self.frozen(ctx) {
            return;
        }
        if !product.active {
            ctx.notice = Some(Notice::error(t!(
                "sale-not-sold",
                sku = product.sku.as_str()
            )));
            return;
        }
        let in_cart = self
            .cart
            .lines
            .iter()
            .find(|l| l.sku == product.sku.as_str())
            .map_or(0, |l| l.quantity);
        if u64::from(in_cart) + u64::from(quantity) > u64::from(Quantity::MAX) {
            ctx.notice = Some(Notice::error(t!(
                "sale-line-max",
                sku = product.sku.as_str(),
                max = Quantity::MAX.to_string()
            )));
            return;
        }
        self.cart.add(
            product.sku.as_str(),
            product.name.as_str(),
            product.price,
            quantity,
        );
        if let Some(line) = self
            .cart
            .lines
            .iter_mut()
            .find(|l| l.sku == product.sku.as_str())
        {
            line.available = Some(product.available());
        }
        if !self.warn_if_short(product.sku.as_str(), ctx) {
            ctx.info(t!(
                "sale-added",
                quantity = quantity.to_string(),
                name = product.name.as_str()
            ));
        }
        self.line = self
            .cart
            .lines
            .iter()
            .position(|l| l.sku == product.sku.as_str())
            .unwrap_or(0);
        self.changed(ctx);
    }

    /// Warns when a line asks for more than was last seen available; says whether it did.
    fn warn_if_short(&self, sku: &str, ctx: &mut Ctx) -> bool {
        let Some(line) = self.cart.lines.iter().find(|l| l.sku == sku) else {
            return false;
        };
        match line.available {
            Some(available) if i64::from(line.quantity) > available => {
                ctx.notice = Some(Notice::error(t!(
                    "sale-short",
                    quantity = line.quantity.to_string(),
                    available = available.max(0).to_string(),
                    sku = line.sku.as_str()
                )));
                true
            }
            _ => false,
        }
    }

    /// Enter in the search field: what was typed is one code (or name), queued behind those
    /// still being looked up, and the field is free at once for the next scan.
    fn add_typed(&mut self, ctx: &mut Ctx) {
        // While the cart is parked or recalled the code waits in the queue (`next_in_queue`).
        if self.sent_frozen(ctx) {
            self.clear_search(ctx);
            return;
        }
        let typed = self.search.value().to_string();
        // The highlight counts only if it belongs to the results of exactly this text.
        let highlighted = (self.results_for == typed)
            .then(|| self.results.get(self.selected).cloned())
            .flatten();
        let (quantity, code) = match quantity_prefix(typed.trim()) {
            Ok(parsed) => parsed,
            Err(message) => {
                ctx.notice = Some(Notice::error(message));
                self.clear_search(ctx);
                return;
            }
        };
        if code.is_empty() && highlighted.is_none() {
            return;
        }
        let picked = if code.is_empty() || self.picked || !looks_like_code(code) {
            highlighted
        } else {
            None
        };
        self.queue.push_back(Entry {
            code: code.to_string(),
            quantity,
            picked,
        });
        self.clear_search(ctx);
        self.next_in_queue(ctx);
    }

    fn clear_search(&mut self, ctx: &mut Ctx) {
        self.search.reset();
        self.selected = 0;
        self.picked = false;
        self.search(ctx);
    }

    /// Resolves queued codes one at a time, in the order they were ended.
    fn next_in_queue(&mut self, ctx: &mut Ctx) {
        // Codes ended while the cart is parked or recalled wait for the answer: once parked, they
        // go into the next sale.
        while !self.resolving && self.busy.is_none() {
            let Some(entry) = self.queue.front().cloned() else {
                return;
            };
            // The highlighted row is the typed SKU (or the code was empty): no need to ask.
            if let Some(product) = &entry.picked
                && (entry.code.is_empty()
                    || Sku::parse(&entry.code).is_ok_and(|sku| sku == product.sku))
            {
                self.queue.pop_front();
                self.add(product, entry.quantity, ctx);
                continue;
            }
            self.resolving = true;
            let actor = ctx.actor();
            let Entry { code, picked, .. } = entry;
            ctx.spawn(Task::new("looking up the code", move |erp| async move {
                let found = match Sku::parse(&code) {
                    Ok(sku) => match erp.product_by_sku(&actor, &sku).await {
                        Ok(product) => Ok(Some(product)),
                        Err(Error::NotFound { .. }) => Ok(None),
                        Err(error) => Err(error),
                    },
                    Err(_) => Ok(None),
                };
                // Words of a name typed and ended before their results came: the top result.
                let found = match found {
                    Ok(None) if picked.is_none() && !looks_like_code(&code) => {
                        match SearchTerm::parse(&code) {
                            Ok(Some(term)) => {
                                let query = ProductQuery {
                                    search: Some(term),
                                    page: PageRequest::first(1),
                                    skip_total: true,
                                    ..ProductQuery::default()
                                };
                                erp.products(&actor, &query)
                                    .await
                                    .map(|page| page.items.into_iter().next())
                            }
                            _ => Ok(None),
                        }
                    }
                    other => other,
                };
                Msg::Scanned(code, found)
            }));
        }
    }

    /// The answer for the front of the queue.
    fn resolved(&mut self, found: Result<Option<Product>, Error>, ctx: &mut Ctx) {
        let Some(entry) = self.queue.pop_front() else {
            return;
        };
        self.resolving = false;
        match (found, entry.picked) {
            (Ok(Some(product)), _) | (Ok(None), Some(product)) => {
                self.add(&product, entry.quantity, ctx)
            }
            (Ok(None), None) => {
                let shown = entry.code.to_uppercase();
                ctx.notice = Some(Notice::error(if looks_like_code(&entry.code) {
                    t!("sale-code-not-found", code = shown.as_str())
                } else {
                    t!("sale-name-not-found", text = entry.code.as_str())
                }));
                self.unknown.push(shown);
            }
            (Err(error), _) => {
                let mut notice = crate::notice::explain(&error);
                notice.text = t!(
                    "sale-not-added",
                    code = entry.code.as_str(),
                    reason = notice.text.as_str()
                );
                ctx.notice = Some(notice);
                self.unknown.push(entry.code.to_uppercase());
            }
        }
        self.next_in_queue(ctx);
    }

    /// F9: checks what can be checked here, reads the cart's prices again, then opens the
    /// payment dialog.
    fn confirm(&mut self, ctx: &mut Ctx) {
        if self.checking {
            return;
        }
        if let Some(sent) = &self.cart.sent {
            // Sent without a known answer: only the very same sale goes again, with no price
            // check or caixa check (erp-core replays a sale that was made, whatever changed
            // since).
            if sent.conflict.is_some() {
                self.frozen(ctx);
            } else if !ctx.can(Permission::CreateOrder) {
                ctx.fail(&Error::Forbidden {
                    role: ctx.actor().role(),
                    action: Permission::CreateOrder,
                });
            } else {
                self.popup = Some(Popup::Payment(Payment::retry(
                    self.cart.total(),
                    self.cart.tenders.clone(),
                )));
            }
            return;
        }
        if !self.queue.is_empty() {
            ctx.notice = Some(Notice::error(t!("sale-still-looking-up")));
            return;
        }
        if self.cart.is_empty() {
            ctx.notice = Some(Notice::error(t!("sale-empty-cart")));
            return;
        }
        if self.cart.customer.is_none() {
            ctx.notice = Some(Notice::error(t!("sale-pick-customer")));
            return;
        }
        if !ctx.can(Permission::CreateOrder) {
            ctx.fail(&Error::Forbidden {
                role: ctx.actor().role(),
                action: Permission::CreateOrder,
            });
            return;
        }
        // The caixa first: a counter sale goes into this register's open session, the cashier's.
        match caixa::own_session(self.till.as_ref(), ctx) {
            Ok(_) => {}
            Err(caixa::NoSession::Unknown) => {
                ctx.notice = Some(Notice::error(t!("caixa-looking-up")));
                caixa::look_up(ctx);
                return;
            }
            Err(caixa::NoSession::Closed) => {
                self.popup = Some(Popup::Caixa(CaixaPopup::open_form()));
                return;
            }
            Err(caixa::NoSession::Others(session)) => {
                ctx.notice = Some(Notice::error(t!(
                    "caixa-not-yours",
                    session = session.id.to_string()
                )));
                return;
            }
        }
        // Prices may have changed since the lines were added: the cart must show what the sale
        // will charge before money is taken.
        self.checking = true;
        let actor = ctx.actor();
        let key = self.cart.key.clone();
        let skus: Vec<String> = self.cart.lines.iter().map(|l| l.sku.clone()).collect();
        ctx.spawn(Task::new("checking prices", move |erp| async move {
            let mut products = Vec::with_capacity(skus.len());
            for sku in skus {
                let Ok(parsed) = Sku::parse(&sku) else {
                    continue;
                };
                match erp.product_by_sku(&actor, &parsed).await {
                    Ok(product) => products.push(product),
                    // Unknown or gone: erp-core says so when the sale is made.
                    Err(Error::NotFound { .. }) => {}
                    Err(error) => return Msg::CartChecked(key, Err(error)),
                }
            }
            Msg::CartChecked(key, Ok(products))
        }));
    }

    /// The cart's products as they are now: changed prices are shown and the sale waits for
    /// another F9; otherwise the payment dialog opens.
    fn checked(&mut self, current: Vec<Product>, ctx: &mut Ctx) {
        let mut changes = Vec::new();
        for product in &current {
            if let Some(line) = self
                .cart
                .lines
                .iter_mut()
                .find(|l| l.sku == product.sku.as_str())
            {
                line.available = Some(product.available());
                if line.price_cents != product.price.cents() {
                    changes.push(format!(
                        "{} {} → {}",
                        line.sku,
                        i18n::money(money_of(line.price_cents)),
                        i18n::money(product.price)
                    ));
                    line.price_cents = product.price.cents();
                }
            }
        }
        if !changes.is_empty() {
            self.changed(ctx);
            ctx.notice = Some(Notice::error(t!(
                "sale-price-changed",
                changes = changes.join(", ")
            )));
            return;
        }
        self.popup = Some(Popup::Payment(Payment::new(
            self.cart.total(),
            self.cart.tenders.clone(),
        )));
    }

    /// Makes the counter sale with `tenders`, under the cart's key: a second press, a retry or a
    /// restart sends the same sale with the same key, and erp-core replays it. From the moment it
    /// is sent until its outcome is known the cart is frozen, on disk before the request leaves.
    fn pay(&mut self, mut payment: Payment, ctx: &mut Ctx) {
        let register = match &self.cart.sent {
            // A retry goes to the register it was sent for (part of the request).
            Some(sent) => Some(sent.register_id),
            None => caixa::own_session(self.till.as_ref(), ctx)
                .ok()
                .map(|caixa::Own(register, _)| register.get()),
        };
        let (Some(customer), Some(register)) = (self.cart.customer.clone(), register) else {
            payment.sending = false;
            payment.message = Some(t!("caixa-closed"));
            self.popup = Some(Popup::Payment(payment));
            return;
        };
        let key = match &self.cart.key {
            Some(key) => key.clone(),
            None => {
                let key = new_key();
                self.cart.key = Some(key.clone());
                key
            }
        };
        self.cart.tenders = payment.tenders.clone();
        let mut input = self
            .cart
            .sale_input(register, CustomerId(customer.id), &payment.tenders);
        input.approver = self.approver.clone();
        match input.parse(&key) {
            Err(error) => {
                payment.sending = false;
                payment.message = Some(crate::notice::explain(&error).text);
                self.changed(ctx);
            }
            Ok(sale) => {
                payment.sending = true;
                self.sent_with_approver = input.approver.is_some();
                self.sent_before = self.cart.sent.clone();
                self.cart.sent = Some(Sent {
                    register_id: register,
                    conflict: None,
                });
                // A crash from here on comes back frozen, with the same sale to send again.
                let written_first = self.written_first(ctx);
                let actor = ctx.actor();
                ctx.spawn(Task::new("making the sale", move |erp| async move {
                    if let Err(error) = written_first.write() {
                        return Msg::SaleNotSent(key, error);
                    }
                    let result = match erp.sell_at_counter(&actor, &sale).await {
                        Ok(paid) => super::receipts::sale_receipt(&erp, &actor, paid)
                            .await
                            .map(|(paid, receipt)| Box::new(Sold { paid, receipt })),
                        Err(error) => Err(error),
                    };
                    Msg::Sold(key, result)
                }));
            }
        }
        self.popup = Some(Popup::Payment(payment));
    }

    /// The answer to [`Sale::pay`] for this cart.
    fn sold(&mut self, result: Result<Box<Sold>, Error>, ctx: &mut Ctx) {
        let mut payment = match self.popup.take() {
            Some(Popup::Payment(payment)) => payment,
            other => {
                self.popup = other;
                Payment::new(self.cart.total(), self.cart.tenders.clone())
            }
        };
        payment.sending = false;
        let result = match result {
            Ok(sold) => Ok(sold),
            Err(error) if refused_for_certain(&error, self.sent_with_approver) => {
                // erp-core looked the key up, found no sale and refused this one: nothing was
                // made, the cart may change again.
                self.cart.sent = None;
                payment.locked = false;
                self.changed(ctx);
                Err(error)
            }
            Err(Error::IdempotencyConflict { order_id, .. }) => {
                // The key already made a sale with other lines or tenders (a cart changed after
                // a lost answer, by an older till). A fresh key could sell the same goods twice:
                // the cart stays frozen until a manager looks and voids it.
                if let Some(sent) = self.cart.sent.as_mut() {
                    sent.conflict = Some(order_id.get());
                }
                self.changed(ctx);
                ctx.notice = Some(Notice::error(t!(
                    "sale-frozen-conflict",
                    id = order_id.to_string()
                )));
                return;
            }
            Err(Error::ApprovalRequired { reason }) => {
                // The manager's login was refused before erp-core looked the key up: still
                // unknown, the same sale goes again with another login.
                payment.lock();
                let form = approval_form(&reason);
                self.popup = Some(Popup::Approval(form, payment));
                return;
            }
            Err(error) => {
                // A lost or failed answer: the sale may or may not have been made (whatever the
                // error says about nothing having changed, an earlier send may have).
                payment.lock();
                payment.message = Some(t!("pay-unknown-outcome"));
                if matches!(error, Error::UserInactive { .. }) {
                    ctx.fail(&error);
                } else {
                    ctx.notice = Some(Notice::error(t!("sale-unknown-outcome")));
                }
                self.popup = Some(Popup::Payment(payment));
                return;
            }
        };
        match result {
            Ok(sold) => {
                let Sold { paid, receipt } = *sold;
                let order = &paid.order;
                let items = order.lines.iter().map(|l| l.quantity.get()).sum::<u32>();
                ctx.info(t!(
                    if paid.replayed {
                        "sale-sold-replayed"
                    } else {
                        "sale-sold"
                    },
                    id = order.id.to_string(),
                    items = items,
                    total = i18n::money(order.total),
                    change = i18n::money(order.change)
                ));
                let layout = erp_core::receipt::ReceiptLayout::new(ctx.till.paper, i18n::current());
                let text = receipt.render_text(layout);
                let printable = ctx.till.printer.is_some();
                print(&receipt, ctx);
                let mut slip = Slip::new(
                    t!("receipt-title", id = order.id.to_string()),
                    &text,
                    printable,
                );
                slip.receipt = Some(receipt);
                slip.enter_label = "next sale";
                self.popup = Some(Popup::Slip(Box::new(slip)));
                self.new_sale(ctx);
            }
            Err(Error::ApprovalRequired { reason }) => {
                let form = approval_form(&reason);
                self.popup = Some(Popup::Approval(form, payment));
            }
            Err(error @ (Error::NoOpenCashSession { .. } | Error::CashSessionNotYours { .. })) => {
                ctx.fail(&error);
                caixa::look_up(ctx);
            }
            Err(error) => {
                payment.message = Some(crate::notice::explain(&error).text);
                ctx.fail(&error);
                self.popup = Some(Popup::Payment(payment));
            }
        }
    }

    /// Parks the cart under `label` (erp-core keeps SKUs and quantities, the customer and the
    /// register; the cart is cleared once it is parked).
    fn park(&mut self, label: &str, ctx: &mut Ctx) -> Result<(), String> {
        let input = erp_core::input::ParkedSaleInput {
            label: label.to_string(),
            register_id: self.till.as_ref().map(|t| t.register.id.get()),
            customer_id: self.cart.customer.as_ref().map(|c| c.id),
            lines: self
                .cart
                .lines
                .iter()
                .map(|l| erp_core::input::OrderLineInput {
                    sku: l.sku.clone(),
                    quantity: i64::from(l.quantity),
                })
                .collect(),
        };
        let mut parked = input.parse().map_err(|e| crate::notice::explain(&e).text)?;
        // Under the cart's key: parking again after a lost answer gets the cart parked the first
        // time, never a second copy.
        if let Some(key) = self.cart.key.as_deref().and_then(|k| till_key(k).ok()) {
            parked = parked.with_key(key);
        }
        let actor = ctx.actor();
        let key = self.cart.key.clone();
        self.busy = Some(Busy::Parking(key.clone()));
        ctx.spawn(Task::new("parking the sale", move |erp| async move {
            Msg::Parked(
                key,
                answer_within(ANSWER_WITHIN, erp.park_sale(&actor, &parked)).await,
            )
        }));
        Ok(())
    }

    /// The cart as it is now, for the task that sends a request to write before it sends (in
    /// place of the usual save after this step), so a crash in between comes back with the
    /// request to make again.
    fn written_first(&self, ctx: &mut Ctx) -> CartWrite {
        ctx.save_cart = None;
        CartWrite {
            cart: self.cart.clone(),
            carts: ctx.carts.clone(),
            version: ctx.next_seq(),
        }
    }

    /// Sends `pending` (again); the cart takes no change until it is answered. The task writes
    /// the cart, with the pending recall, before it sends: a crash from there on comes back with
    /// the recall to ask again.
    fn send_recall(&mut self, pending: PendingRecall, ctx: &mut Ctx) {
        self.busy = Some(Busy::Recalling);
        let written_first = self.written_first(ctx);
        let actor = ctx.actor();
        ctx.spawn(Task::new("recalling a sale", move |erp| async move {
            if let Err(error) = written_first.write() {
                return Msg::Recalled(Err(Error::Unavailable {
                    message: format!(
                        "the cart file could not be written, so nothing was asked: {error}"
                    ),
                }));
            }
            Msg::Recalled(recall(&erp, &actor, &pending).await)
        }));
    }

    /// The answer to a recall: the cart, or why not. Only a refusal ends the pending recall
    /// without its cart; a failure that leaves the outcome open keeps it for ^R, which sends it
    /// again before anything else.
    fn recall_answered(&mut self, result: Result<Box<crate::msg::Recalled>, Error>, ctx: &mut Ctx) {
        match result {
            Ok(recalled) => {
                if self
                    .cart
                    .recalling
                    .as_ref()
                    .is_some_and(|p| p.id == recalled.parked.id.get())
                {
                    self.cart.recalling = None;
                    self.changed(ctx);
                }
                self.recalled(*recalled, ctx);
            }
            // A refusal (not found: another till has it; forbidden; a bad key) is final: asking
            // again would be refused again. A deactivated user keeps it for when they return.
            Err(error)
                if error.is_client_error() && !matches!(error, Error::UserInactive { .. }) =>
            {
                if self.cart.recalling.take().is_some() {
                    self.changed(ctx);
                }
                ctx.fail(&error);
            }
            Err(error) => match &self.cart.recalling {
                Some(pending) if matches!(error, Error::OutcomeUnknown { .. }) => {
                    ctx.notice = Some(Notice::error(t!(
                        "recall-unanswered",
                        label = pending.label.as_str()
                    )));
                }
                _ => ctx.fail(&error),
            },
        }
    }

    /// A recalled sale becomes the cart: its lines at today's prices (checked again at F9), its
    /// customer or the walk-in.
    fn recalled(&mut self, recalled: crate::msg::Recalled, ctx: &mut Ctx) {
        let crate::msg::Recalled {
            parked,
            products,
            customer,
        } = recalled;
        if !self.cart.is_empty() || self.cart.is_frozen() || ctx.actor.is_none() {
            // Asked for by a sale that is no longer on this screen (another cashier logged in
            // meanwhile; this one's cart is never refilled while a recall is in flight), or
            // answered after its cashier was logged out (deactivated): the recalled sale goes
            // back to the parked list rather than into a cart nobody may sell, and if even that
            // fails its lines are shown, never dropped in silence.
            ctx.notice = Some(Notice::error(t!("recall-cart-busy")));
            let actor = ctx.actor();
            ctx.spawn(Task::new("parking the sale again", move |erp| async move {
                let result = park_again(&erp, &actor, &parked).await;
                Msg::Reparked(Box::new(parked), result)
            }));
            return;
        }
        // Another recall still unanswered stays pending.
        let mut cart = self.cart.next_keeping_pending();
        for line in &parked.lines {
            let quantity = line.quantity.get();
            match products.iter().find(|p| p.sku == line.sku) {
                Some(product) => {
                    cart.add(
                        product.sku.as_str(),
                        product.name.as_str(),
                        product.price,
                        quantity,
                    );
                    if let Some(l) = cart.lines.last_mut() {
                        l.available = Some(product.available());
                    }
                }
                None => cart.add(line.sku.as_str(), line.sku.as_str(), Money::ZERO, quantity),
            }
        }
        // A customer that could not be read stays the sale's customer (by number), never
        // silently the walk-in: F8 changes it, and F9 refuses one that can no longer buy.
        let unread = parked.customer_id.filter(|_| customer.is_none());
        cart.customer = match (customer, unread) {
            (Some(c), _) => Some(CartCustomer {
                id: c.id.get(),
                name: c.name.to_string(),
            }),
            (None, Some(id)) => Some(CartCustomer {
                id: id.get(),
                name: t!("customer-number", id = id.to_string()),
            }),
            (None, None) => None,
        };
        self.cart = cart;
        self.approver = None;
        self.unknown.clear();
        self.line = self.cart.lines.len().saturating_sub(1);
        match unread {
            Some(id) => {
                ctx.notice = Some(Notice::error(t!(
                    "recalled-customer-unread",
                    label = parked.label.as_str(),
                    id = id.to_string()
                )));
            }
            None => ctx.info(t!(
                "recalled",
                label = parked.label.as_str(),
                count = self.cart.lines.len()
            )),
        }
        self.changed(ctx);
        self.find_walk_in(ctx);
    }

    /// The next sale starts afresh, with the walk-in customer.
    fn new_sale(&mut self, ctx: &mut Ctx) {
        self.cart = self.cart.next_keeping_pending();
        // A price check of the old cart may still answer; it is ignored (another key), so it must
        // not keep F9 waiting.
        self.checking = false;
        self.approver = None;
        self.unknown.clear();
        self.focus = Focus::Search;
        self.line = 0;
        self.changed(ctx);
        self.search(ctx);
        self.find_walk_in(ctx);
    }

    /// The answer to a manager's login given to void the frozen sale `key`.
    fn void_checked(&mut self, key: &str, result: Result<Actor, Error>, ctx: &mut Ctx) {
        let Some(Popup::Void(mut form, true)) = self.popup.take() else {
            return;
        };
        if self.cart.key.as_deref() != Some(key) || !self.cart.is_frozen() {
            return;
        }
        match result {
            Ok(manager) if manager.can(Permission::Supervise) => {
                ctx.info(t!(
                    "sale-voided",
                    name = manager.username(),
                    key = key.get(key.len().saturating_sub(8)..).unwrap_or(key)
                ));
                self.popup = None;
                self.new_sale(ctx);
            }
            Ok(other) => {
                form.message = Some(t!("void-not-manager", name = other.username()));
                self.popup = Some(Popup::Void(form, false));
            }
            Err(error) => {
                form.message = Some(crate::notice::explain(&error).text);
                self.popup = Some(Popup::Void(form, false));
            }
        }
    }

    fn act(&mut self, act: Act, ctx: &mut Ctx) {
        let changes_the_sale = matches!(
            act,
            Act::Park
                | Act::Recall
                | Act::Customer
                | Act::NewCustomer
                | Act::Discount
                | Act::More
                | Act::Less
                | Act::Remove
                | Act::Quantity
        );
        // F9 and the caixa wait for whatever is in flight too (a caixa request would take its
        // busy mark).
        let waits = matches!(act, Act::Confirm | Act::Caixa) && self.busy.is_some();
        if (changes_the_sale || waits) && self.frozen(ctx) {
            return;
        }
        match act {
            Act::Add => self.add_typed(ctx),
            Act::Up if self.focus == Focus::Search => {
                self.selected = self.selected.saturating_sub(1);
                self.picked = true;
            }
            Act::Down if self.focus == Focus::Search => {
                if self.selected + 1 < self.results.len() {
                    self.selected += 1;
                }
                self.picked = true;
            }
            Act::Up => self.line = self.line.saturating_sub(1),
            Act::Down => {
                if self.line + 1 < self.cart.lines.len() {
                    self.line += 1;
                }
            }
            Act::Switch => {
                self.focus = match self.focus {
                    Focus::Search if !self.cart.is_empty() => Focus::Cart,
                    _ => Focus::Search,
                }
            }
            Act::Customer => self.popup = Some(Popup::Picker(Picker::open(ctx))),
            Act::NewCustomer => self.new_customer(ctx),
            Act::Confirm => self.confirm(ctx),
            Act::Discount => self.open_discount(ctx),
            Act::Caixa => {
                caixa::look_up(ctx);
                self.popup = Some(Popup::Caixa(CaixaPopup::Menu));
            }
            Act::Void => {
                if self.cart.is_frozen() {
                    self.popup = Some(Popup::Void(void_form(), false));
                }
            }
            Act::Park => {
                if self.cart.is_empty() {
                    ctx.notice = Some(Notice::error(t!("sale-empty-cart")));
                } else if !self.scans_pending(ctx) {
                    self.popup = Some(Popup::Park(
                        Form::new(t!("park-title"), &[&t!("park-label")])
                            .with_message(t!("park-hint")),
                    ));
                }
            }
            Act::Recall => {
                if !self.cart.is_empty() {
                    ctx.notice = Some(Notice::error(t!("recall-cart-busy")));
                    return;
                }
                if self.scans_pending(ctx) {
                    return;
                }
                if let Some(pending) = self.cart.recalling.clone() {
                    // The unanswered recall first, under its own key.
                    self.send_recall(pending, ctx);
                    return;
                }
                let actor = ctx.actor();
                ctx.spawn(Task::new("listing parked sales", move |erp| async move {
                    Msg::ParkedList(erp.parked_sales(&actor).await)
                }));
            }
            Act::Clear => {
                self.unknown.clear();
                self.clear_search(ctx);
            }
            Act::More | Act::Less => {
                if let Some(line) = self.cart.lines.get(self.line) {
                    let sku = line.sku.clone();
                    let quantity = if act == Act::More {
                        line.quantity.saturating_add(1)
                    } else {
                        line.quantity.saturating_sub(1)
                    };
                    if quantity > Quantity::MAX {
                        ctx.notice = Some(Notice::error(t!(
                            "sale-max-per-line",
                            max = Quantity::MAX.to_string()
                        )));
                        return;
                    }
                    self.cart.set_quantity(self.line, quantity);
                    if act == Act::More {
                        self.warn_if_short(&sku, ctx);
                    }
                    if self.cart.is_empty() {
                        self.focus = Focus::Search;
                    }
                    self.changed(ctx);
                }
            }
            Act::Remove => {
                self.cart.remove(self.line);
                if self.cart.is_empty() {
                    self.focus = Focus::Search;
                }
                self.changed(ctx);
            }
            Act::Quantity => {
                if let Some(line) = self.cart.lines.get(self.line) {
                    let field = t!("sale-quantity-field");
                    let form = Form::new(
                        t!("sale-quantity-title", sku = line.sku.as_str()),
                        &[&field],
                    )
                    .with_value(0, line.quantity.to_string())
                    .with_message(t!("sale-quantity-hint"));
                    self.popup = Some(Popup::Quantity(form, self.line));
                }
            }
        }
    }

    /// F7: the form opens only for a role that may submit it.
    fn new_customer(&mut self, ctx: &mut Ctx) {
        if ctx.can(CREATE_CUSTOMER) {
            self.popup = Some(Popup::NewCustomer(new_customer_form()));
        } else {
            ctx.fail(&Error::Forbidden {
                role: ctx.actor().role(),
                action: CREATE_CUSTOMER,
            });
        }
    }

    /// Keys.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) {
        if let Some(kind) = self.popup.as_ref().map(popup_kind) {
            match kind {
                PopupKind::Checkout => {
                    if let Some(popup) = self.popup.take() {
                        self.on_checkout_key(popup, key, ctx);
                    }
                }
                _ => self.on_popup_key(kind, key, ctx),
            }
            return;
        }
        let table = match self.focus {
            Focus::Search => SEARCH_KEYS,
            Focus::Cart => CART_KEYS,
        };
        let act = if self.cart.is_frozen() {
            keys::find(FROZEN_KEYS, &key).or_else(|| keys::find(table, &key))
        } else {
            keys::find(table, &key)
        };
        if let Some(act) = act {
            self.act(act, ctx);
        } else if self.focus == Focus::Search
            && self.search.handle_event(&Event::Key(key)).is_some()
        {
            self.selected = 0;
            self.picked = false;
            self.search(ctx);
        }
    }

    fn on_popup_key(&mut self, kind: PopupKind, key: KeyEvent, ctx: &mut Ctx) {
        match (kind, self.popup.as_mut()) {
            (PopupKind::Picker, Some(Popup::Picker(picker))) => match picker.on_key(key, ctx) {
                PickerEvent::Picked(customer) => {
                    self.set_customer(&customer, ctx);
                    self.popup = None;
                }
                PickerEvent::New => {
                    self.popup = None;
                    self.new_customer(ctx);
                }
                PickerEvent::Cancel => self.popup = None,
                PickerEvent::None => {}
            },
            (PopupKind::NewCustomer, Some(Popup::NewCustomer(form))) => match form.on_key(key) {
                FormEvent::Submit(values) => {
                    if let Err(error) = create_customer(&values, ctx) {
                        form.message = Some(crate::notice::explain(&error).text);
                    }
                }
                FormEvent::Cancel => self.popup = None,
                FormEvent::None => {}
            },
            (PopupKind::Quantity, Some(Popup::Quantity(form, index))) => {
                let index = *index;
                match form.on_key(key) {
                    FormEvent::Submit(values) => match values[0].trim().parse::<u32>() {
                        Ok(quantity) if quantity <= Quantity::MAX => {
                            self.cart.set_quantity(index, quantity);
                            self.popup = None;
                            if self.cart.is_empty() {
                                self.focus = Focus::Search;
                            } else if let Some(line) = self.cart.lines.get(index) {
                                let sku = line.sku.clone();
                                self.warn_if_short(&sku, ctx);
                            }
                            self.changed(ctx);
                        }
                        _ => {
                            form.message =
                                Some(t!("sale-quantity-invalid", max = Quantity::MAX.to_string()))
                        }
                    },
                    FormEvent::Cancel => self.popup = None,
                    FormEvent::None => {}
                }
            }
            _ => self.popup = None,
        }
    }

    /// Keys of the payment dialog, the receipt, the caixa and the approval: the popup is taken
    /// out and put back unless it closed.
    fn on_checkout_key(&mut self, popup: Popup, key: KeyEvent, ctx: &mut Ctx) {
        match popup {
            Popup::Payment(mut payment) => match payment.on_key(key) {
                PayEvent::Back => {
                    self.cart.tenders = payment.tenders;
                    self.changed(ctx);
                }
                PayEvent::Changed => {
                    self.cart.tenders = payment.tenders.clone();
                    self.changed(ctx);
                    self.popup = Some(Popup::Payment(payment));
                }
                PayEvent::Pay(_) => self.pay(payment, ctx),
                PayEvent::None => self.popup = Some(Popup::Payment(payment)),
            },
            Popup::Slip(mut slip) => match slip.on_key(key) {
                Some(ReceiptAct::Close) => {}
                Some(ReceiptAct::Print) => {
                    match &slip.receipt {
                        Some(receipt) => print(receipt, ctx),
                        None => print_text(slip.lines.join("\n"), ctx),
                    }
                    self.popup = Some(Popup::Slip(slip));
                }
                _ => self.popup = Some(Popup::Slip(slip)),
            },
            Popup::Caixa(caixa) => {
                let asked = ctx.tasks.len();
                let frozen = self.cart.is_frozen();
                let cash_before = self.cart.cash.clone();
                match caixa.on_key(key, self.till.as_ref(), frozen, &mut self.cart.cash, ctx) {
                    caixa::CaixaEvent::Keep(caixa) => {
                        if matches!(caixa, CaixaPopup::Waiting(_))
                            && ctx.tasks.len() > asked
                            && self.busy.is_none()
                        {
                            self.busy = Some(Busy::Caixa);
                        }
                        if self.cart.cash != cash_before {
                            self.cash_key_written_first(ctx);
                        }
                        self.popup = Some(Popup::Caixa(caixa));
                    }
                    caixa::CaixaEvent::Done => {}
                }
                // A movement dropped (sent to a session no longer open) stays dropped after a
                // restart.
                if self.cart.cash.is_none() && cash_before.is_some() {
                    self.changed(ctx);
                }
            }
            Popup::Approval(mut form, mut payment) => match form.on_key(key) {
                FormEvent::Cancel => self.popup = Some(Popup::Payment(payment)),
                FormEvent::None => self.popup = Some(Popup::Approval(form, payment)),
                FormEvent::Submit(values) => {
                    self.approver = Some(ApproverInput {
                        username: values[0].trim().to_string(),
                        password: values[1].clone(),
                    });
                    payment.sending = true;
                    self.pay(payment, ctx);
                }
            },
            Popup::Park(mut form) => match form.on_key(key) {
                FormEvent::Cancel => {}
                FormEvent::None => self.popup = Some(Popup::Park(form)),
                FormEvent::Submit(values) => match self.park(values[0].trim(), ctx) {
                    Ok(()) => {}
                    Err(message) => {
                        form.message = Some(message);
                        self.popup = Some(Popup::Park(form));
                    }
                },
            },
            Popup::Parked(list, selected, true) => {
                self.popup = Some(Popup::Parked(list, selected, true))
            }
            Popup::Parked(list, mut selected, false) => match keys::find(PARKED_KEYS, &key) {
                Some(ParkedAct::Up) => {
                    selected = selected.saturating_sub(1);
                    self.popup = Some(Popup::Parked(list, selected, false));
                }
                Some(ParkedAct::Down) => {
                    if selected + 1 < list.len() {
                        selected += 1;
                    }
                    self.popup = Some(Popup::Parked(list, selected, false));
                }
                Some(ParkedAct::Recall) => {
                    if !self.cart.is_empty() {
                        ctx.notice = Some(Notice::error(t!("recall-cart-busy")));
                        self.popup = Some(Popup::Parked(list, selected, false));
                    } else if self.busy.is_some() || self.scans_pending(ctx) {
                        self.popup = Some(Popup::Parked(list, selected, false));
                    } else if let Some(pending) = self.cart.recalling.clone() {
                        // A recall went unanswered since this list was read: it comes first,
                        // or its cart would stay taken under a key nobody holds.
                        self.send_recall(pending, ctx);
                    } else if let Some(parked) = list.get(selected) {
                        // Written down before it is sent: a lost answer or a restart asks again
                        // under the same key instead of leaving the cart taken and unseen.
                        let pending = PendingRecall {
                            id: parked.id.get(),
                            key: new_key(),
                            label: parked.label.to_string(),
                        };
                        self.cart.recalling = Some(pending.clone());
                        self.send_recall(pending, ctx);
                        self.popup = Some(Popup::Parked(list, selected, true));
                    }
                }
                Some(ParkedAct::Close) => {}
                None => self.popup = Some(Popup::Parked(list, selected, false)),
            },
            Popup::Void(form, true) => self.popup = Some(Popup::Void(form, true)),
            Popup::Void(mut form, false) => match form.on_key(key) {
                FormEvent::Cancel => {}
                FormEvent::None => self.popup = Some(Popup::Void(form, false)),
                FormEvent::Submit(values) => {
                    let username = values[0].trim().to_string();
                    let password = values[1].clone();
                    let key = self.cart.key.clone().unwrap_or_default();
                    ctx.spawn(Task::new("checking the manager", move |erp| async move {
                        Msg::VoidChecked(key, erp.authenticate(&username, &password).await)
                    }));
                    self.popup = Some(Popup::Void(form, true));
                }
            },
            Popup::Discount(mut form, line) => match form.on_key(key) {
                FormEvent::Cancel => {}
                FormEvent::None => self.popup = Some(Popup::Discount(form, line)),
                FormEvent::Submit(values) => match self.set_discount(line, &values) {
                    Ok(()) => {
                        // A new discount is a new approval: a manager approves what they saw.
                        self.approver = None;
                        self.changed(ctx);
                        ctx.info(t!("discount-set", total = i18n::money(self.cart.total())));
                    }
                    Err(message) => {
                        form.message = Some(message);
                        self.popup = Some(Popup::Discount(form, line));
                    }
                },
            },
            other => self.popup = Some(other),
        }
    }

    /// `%` on a cart line (its discount and price) or F11 (the sale's discount).
    fn open_discount(&mut self, ctx: &mut Ctx) {
        if self.cart.is_empty() {
            ctx.notice = Some(Notice::error(t!("sale-empty-cart")));
            return;
        }
        let shown = |d: &Option<crate::cart::CartDiscount>| match d {
            Some(crate::cart::CartDiscount::Amount(a)) => a.clone(),
            Some(crate::cart::CartDiscount::Percent(p)) => format!("{p}%"),
            None => String::new(),
        };
        let form = match (self.focus, self.cart.lines.get(self.line)) {
            (Focus::Cart, Some(line)) => {
                let price = money_of(line.override_cents.unwrap_or(line.price_cents)).to_string();
                Form::new(
                    t!("discount-line-title", sku = line.sku.as_str()),
                    &[&t!("discount-field"), &t!("discount-price")],
                )
                .with_value(0, shown(&line.discount))
                .with_value(1, price)
                .with_message(t!("discount-hint"))
            }
            _ => Form::new(t!("discount-sale-title"), &[&t!("discount-field")])
                .with_value(0, shown(&self.cart.discount))
                .with_message(t!("discount-hint")),
        };
        let line = (self.focus == Focus::Cart).then_some(self.line);
        self.popup = Some(Popup::Discount(form, line));
    }

    /// Reads a discount form: `10%` or `5,00` (empty: none), and on a line its price.
    fn set_discount(&mut self, line: Option<usize>, values: &[String]) -> Result<(), String> {
        let text = values.first().map_or("", |v| v.trim());
        let discount = if text.is_empty() {
            None
        } else if let Some(percent) = text.strip_suffix('%') {
            let percent = i18n::money_input(percent);
            erp_core::domain::Percent::parse(&percent).map_err(|e| e.to_string())?;
            Some(crate::cart::CartDiscount::Percent(percent))
        } else {
            let amount = Money::parse(&i18n::money_input(text)).map_err(|e| e.to_string())?;
            Some(crate::cart::CartDiscount::Amount(amount.to_string()))
        };
        match line.and_then(|i| self.cart.lines.get_mut(i)) {
            Some(cart_line) => {
                let price_text = values.get(1).map_or("", |v| v.trim());
                let price = if price_text.is_empty() {
                    None
                } else {
                    let price =
                        Money::parse(&i18n::money_input(price_text)).map_err(|e| e.to_string())?;
                    (price.cents() != cart_line.price_cents).then_some(price.cents())
                };
                let before = cart_line.clone();
                cart_line.discount = discount;
                cart_line.override_cents = price;
                if self
                    .cart
                    .priced(erp_core::domain::DiscountPolicy::default())
                    .is_none()
                {
                    if let Some(l) = line.and_then(|i| self.cart.lines.get_mut(i)) {
                        *l = before;
                    }
                    return Err(t!("discount-too-large"));
                }
            }
            None => {
                let before = self.cart.discount.clone();
                self.cart.discount = discount;
                if self
                    .cart
                    .priced(erp_core::domain::DiscountPolicy::default())
                    .is_none()
                {
                    self.cart.discount = before;
                    return Err(t!("discount-too-large"));
                }
            }
        }
        // The tenders typed for the old total no longer fit.
        self.cart.tenders.clear();
        Ok(())
    }

    fn set_customer(&mut self, customer: &Customer, ctx: &mut Ctx) {
        if self.frozen(ctx) {
            return;
        }
        self.cart.customer = Some(CartCustomer {
            id: customer.id.get(),
            name: customer.name.to_string(),
        });
        ctx.info(t!("sale-customer-set", name = customer.name.as_str()));
        self.changed(ctx);
    }

    /// Results.
    pub fn on_msg(&mut self, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Products(seq, result) if seq == self.search_seq => match result {
                Ok(page) => {
                    self.results = page.items;
                    self.results_for = self.searching_for.clone();
                    self.selected = self.selected.min(self.results.len().saturating_sub(1));
                }
                Err(error) => ctx.fail(&error),
            },
            // Answers are matched to what asked: a lookup to the code at the front of this sale's
            // queue, a price check and a sale to this cart's key. Another sale's late answer
            // (another cashier's, or one already finished) changes nothing here.
            Msg::Scanned(code, found)
                if self.resolving && self.queue.front().is_some_and(|e| e.code == code) =>
            {
                self.resolved(found, ctx);
            }
            Msg::CartChecked(key, result) => {
                if key != self.cart.key || !self.checking {
                    return;
                }
                self.checking = false;
                match result {
                    Ok(products) => self.checked(products, ctx),
                    Err(error) => ctx.fail(&error),
                }
            }
            Msg::Sold(key, result) => {
                if self.cart.key.as_deref() == Some(key.as_str()) {
                    self.sold(result, ctx);
                } else if let Ok(sold) = result {
                    ctx.info(t!(
                        "sale-sold-elsewhere",
                        id = sold.paid.order.id.to_string()
                    ));
                }
            }
            Msg::SaleNotSent(key, error) if self.cart.key.as_deref() == Some(key.as_str()) => {
                // Never sent: the cart is as frozen as it was before.
                self.cart.sent = self.sent_before.take();
                if let Some(Popup::Payment(payment)) = self.popup.as_mut() {
                    payment.sending = false;
                    payment.message = Some(t!("cart-not-saved", error = error.as_str()));
                }
            }
            Msg::VoidChecked(key, result) => self.void_checked(&key, result, ctx),
            // Only the cart that was parked is cleared: an answer that comes after this screen's
            // cart changed hands (another cashier logged in) clears nothing.
            Msg::Parked(key, result) => {
                let asked_here = self.busy == Some(Busy::Parking(key.clone()));
                if asked_here {
                    self.busy = None;
                }
                let ours = asked_here && self.cart.key == key;
                match result {
                    Ok(parked) => {
                        // "a new sale starts" only when this cart was the one parked.
                        let said = if ours { "parked" } else { "parked-again" };
                        ctx.info(t!(
                            said,
                            label = parked.label.as_str(),
                            id = parked.id.to_string()
                        ));
                        if ours {
                            self.new_sale(ctx);
                        }
                    }
                    Err(error) => ctx.fail(&error),
                }
                self.next_in_queue(ctx);
            }
            Msg::ParkedList(result) => match result {
                // A list asked for before a recall went unanswered: that recall comes first.
                Ok(_) if self.cart.recalling.is_some() => {}
                Ok(list) if list.is_empty() => {
                    ctx.notice = Some(Notice::error(t!("recall-none")));
                }
                Ok(list) => {
                    if self.popup.is_none() {
                        self.popup = Some(Popup::Parked(list, 0, false));
                    }
                }
                Err(error) => ctx.fail(&error),
            },
            Msg::Reparked(parked, result) => match result {
                Ok(again) => ctx.info(t!(
                    "parked-again",
                    label = again.label.as_str(),
                    id = again.id.to_string()
                )),
                Err(error) => {
                    let lines: Vec<String> = parked
                        .lines
                        .iter()
                        .map(|l| format!("{} x{}", l.sku, l.quantity.get()))
                        .collect();
                    ctx.notice = Some(Notice::error(t!(
                        "repark-failed",
                        label = parked.label.as_str(),
                        lines = lines.join(", ")
                    )));
                    // The whole of it, to read, copy or print, unless the cashier is in the
                    // middle of something else (then the line above says it).
                    if self.popup.is_none() {
                        let mut text = vec![crate::notice::explain(&error).text, String::new()];
                        text.extend(lines);
                        if let Some(customer) = parked.customer_id {
                            text.push(t!("repark-failed-customer", id = customer.to_string()));
                        }
                        self.popup = Some(Popup::Slip(Box::new(Slip::new(
                            t!("repark-failed-title", label = parked.label.as_str()),
                            &text.join("\n"),
                            ctx.till.printer.is_some(),
                        ))));
                    }
                }
            },
            Msg::Recalled(result) => {
                if let Some(Popup::Parked(..)) = self.popup {
                    self.popup = None;
                }
                if self.busy == Some(Busy::Recalling) {
                    self.busy = None;
                }
                self.recall_answered(result, ctx);
                self.next_in_queue(ctx);
            }
            Msg::Till(result) => self.on_till(result, ctx),
            Msg::SessionOpened(result) => {
                self.caixa_answered();
                if let Some(Popup::Caixa(_)) = self.popup {
                    self.popup = None;
                }
                match result {
                    Ok(session) => {
                        ctx.info(t!(
                            "caixa-opened",
                            session = session.id.to_string(),
                            float = i18n::money(session.opening_float)
                        ));
                        if let Some(till) = self.till.as_mut() {
                            till.session = Some(session);
                        }
                    }
                    Err(error) => {
                        ctx.fail(&error);
                        caixa::look_up(ctx);
                    }
                }
            }
            Msg::CashMoved(result) => {
                self.caixa_answered();
                if let Some(Popup::Caixa(_)) = self.popup {
                    self.popup = None;
                }
                // Known either way: the next movement gets a key of its own.
                let known = match &result {
                    Ok(_) => true,
                    Err(error) => {
                        error.is_client_error() && !matches!(error, Error::UserInactive { .. })
                    }
                };
                let ended = if known { self.cart.cash.take() } else { None };
                if ended.is_some() {
                    self.changed(ctx);
                }
                match result {
                    // A movement sent again and refused because its session is no longer open
                    // (or not this cashier's): erp-core would have answered a first try that
                    // went through, in whatever session, so this one was not made.
                    Err(
                        Error::NoOpenCashSession { .. }
                        | Error::CashSessionNotYours { .. }
                        | Error::CashSessionClosed { .. },
                    ) if ended.as_ref().is_some_and(|p| p.resent) => {
                        if let Some(unmade) = &ended {
                            ctx.notice = Some(caixa::not_made_notice(unmade));
                        }
                        caixa::look_up(ctx);
                    }
                    Ok(erp_core::domain::MovedCash {
                        movement,
                        replayed: true,
                    }) => ctx.info(t!(
                        "caixa-moved-replayed",
                        id = movement.id.to_string(),
                        amount = i18n::money(movement.amount),
                        reason = movement.reason.as_str()
                    )),
                    Ok(erp_core::domain::MovedCash { movement, .. }) => ctx.info(t!(
                        match movement.kind {
                            erp_core::domain::CashMovementKind::In => "caixa-moved-in",
                            erp_core::domain::CashMovementKind::Out => "caixa-moved-out",
                        },
                        amount = i18n::money(movement.amount),
                        reason = movement.reason.as_str()
                    )),
                    Err(error) if known || matches!(error, Error::UserInactive { .. }) => {
                        ctx.fail(&error)
                    }
                    Err(_) => ctx.notice = Some(Notice::error(t!("caixa-move-unanswered"))),
                }
            }
            Msg::Report(purpose, result) => {
                self.caixa_answered();
                self.on_report(purpose, result, ctx);
            }
            Msg::Printed(Err(error)) => ctx.fail(&error),
            // A return answered after the cashier left the orders screen.
            Msg::Returned(key, result) => {
                if let Some(slip) = super::returns::answered_elsewhere(&key, result, ctx)
                    && self.popup.is_none()
                {
                    self.popup = Some(Popup::Slip(slip));
                }
            }
            Msg::Customers(seq, result) if seq == self.default_customer_seq => {
                if let Ok(page) = result
                    && self.cart.customer.is_none()
                    && let Some(walk_in) = page
                        .items
                        .iter()
                        .find(|c| c.email.as_str() == WALK_IN_EMAIL)
                {
                    self.cart.customer = Some(CartCustomer {
                        id: walk_in.id.get(),
                        name: walk_in.name.to_string(),
                    });
                }
            }
            Msg::Customers(seq, result) => {
                if let Some(Popup::Picker(picker)) = self.popup.as_mut() {
                    picker.on_results(seq, result.map(|p| p.items), ctx);
                }
            }
            Msg::CustomerSaved(result) => match result {
                // Only the sale's own new-customer form sets the cart's customer: a customer
                // saved on the customers screen (answered after the cashier came back here)
                // leaves the sale alone.
                Ok(customer) => {
                    if let Some(Popup::NewCustomer(_)) = self.popup {
                        self.set_customer(&customer, ctx);
                        self.popup = None;
                    }
                }
                Err(error) => {
                    let text = crate::notice::explain(&error).text;
                    match self.popup.as_mut() {
                        Some(Popup::NewCustomer(form)) => form.message = Some(text),
                        _ => ctx.fail(&error),
                    }
                }
            },
            _ => {}
        }
    }

    /// A cash movement about to go under a new key: its task writes the cart, with the key,
    /// before it sends, so a restart after an uncertain answer still sends the same key.
    fn cash_key_written_first(&mut self, ctx: &mut Ctx) {
        let Some(at) = ctx.tasks.iter().position(|t| t.label == caixa::MOVING_CASH) else {
            return;
        };
        let moving = ctx.tasks.remove(at);
        let written_first = self.written_first(ctx);
        ctx.spawn(Task::new(caixa::MOVING_CASH, move |erp| async move {
            if let Err(error) = written_first.write() {
                // Nothing was sent: a refusal of its own (the key ends with it), not an unknown.
                return Msg::CashMoved(Err(Error::validation(
                    "cart file",
                    format!("could not be written, so nothing was sent: {error}"),
                )));
            }
            moving.run(erp).await
        }));
    }

    /// The caixa's request was answered: the till may change hands again.
    fn caixa_answered(&mut self) {
        if self.busy == Some(Busy::Caixa) {
            self.busy = None;
        }
    }

    fn on_till(&mut self, result: Result<TillState, Error>, ctx: &mut Ctx) {
        match result {
            Ok(state) => {
                let closed = state.session.is_none();
                self.till = Some(state);
                // Once per login, before the first sale: count the float.
                if closed
                    && !self.till_asked
                    && self.popup.is_none()
                    && self.busy.is_none()
                    && ctx.can(Permission::CreateOrder)
                {
                    self.till_asked = true;
                    self.popup = Some(Popup::Caixa(CaixaPopup::open_form()));
                }
                // A lookup's wait ends here; a request's (open, move, report, close) ends only
                // with its own answer, or a cashier would take the menu for a cancel and ask twice.
                if let Some(Popup::Caixa(caixa::CaixaPopup::Waiting(_))) = self.popup
                    && self.busy != Some(Busy::Caixa)
                {
                    self.popup = Some(Popup::Caixa(CaixaPopup::Menu));
                }
            }
            Err(Error::NotFound {
                entity: "register",
                key,
            }) => {
                ctx.notice = Some(Notice::error(t!("caixa-register-missing", register = key)));
            }
            Err(error) => ctx.fail(&error),
        }
    }

    fn on_report(
        &mut self,
        purpose: crate::msg::ReportFor,
        result: Result<erp_core::domain::SessionReport, Error>,
        ctx: &mut Ctx,
    ) {
        use crate::msg::ReportFor;
        if let Some(Popup::Caixa(_)) = self.popup {
            self.popup = None;
        }
        let report = match result {
            Ok(report) => report,
            Err(error) => {
                ctx.fail(&error);
                // A close refused (the session closed elsewhere, say) or unanswered: the caixa's
                // state is read again rather than taken as still open.
                if purpose == ReportFor::Z {
                    caixa::look_up(ctx);
                }
                return;
            }
        };
        let width = ctx.till.paper.columns();
        // The slip's first line names the report: the popup names the register and session.
        let popup_title = t!(
            "report-popup-title",
            register = report.register.code.to_string(),
            session = report.session.id.to_string()
        );
        match purpose {
            ReportFor::Count => self.popup = Some(Popup::Caixa(caixa::count_form(&report))),
            ReportFor::X => {
                let text = caixa::report_text(&report, width);
                self.popup = Some(Popup::Slip(Box::new(Slip::new(
                    popup_title,
                    &text,
                    ctx.till.printer.is_some(),
                ))));
            }
            ReportFor::Z => {
                let text = caixa::report_text(&report, width);
                let cash = report
                    .tenders
                    .iter()
                    .find(|t| t.tender.is_cash())
                    .and_then(|t| t.difference)
                    .map_or(0, |d| d.cents());
                ctx.info(t!(
                    "caixa-closed-with",
                    session = report.session.id.to_string(),
                    difference = caixa::signed_money(cash)
                ));
                print_text(text.clone(), ctx);
                self.popup = Some(Popup::Slip(Box::new(Slip::new(
                    popup_title,
                    &text,
                    ctx.till.printer.is_some(),
                ))));
                if let Some(till) = self.till.as_mut() {
                    till.session = None;
                }
            }
        }
    }

    /// The footer.
    pub fn hints(&self, actor: Option<&Actor>) -> Vec<Hint> {
        if let Some(popup) = &self.popup {
            return match popup {
                Popup::Picker(_) => super::picker::hints(),
                Popup::Payment(payment) => payment.hints(),
                Popup::Slip(slip) => slip.hints(),
                Popup::Caixa(caixa) => caixa.hints(),
                Popup::NewCustomer(_)
                | Popup::Quantity(..)
                | Popup::Approval(..)
                | Popup::Void(..)
                | Popup::Park(_)
                | Popup::Discount(..) => crate::form::hints(),
                Popup::Parked(..) => keys::hints(PARKED_KEYS, |_| true)
                    .into_iter()
                    .filter(|h| !h.keys.is_empty())
                    .collect(),
            };
        }
        let table = match self.focus {
            Focus::Search => SEARCH_KEYS,
            Focus::Cart => CART_KEYS,
        };
        let may_order = actor.is_some_and(|a| a.can(Permission::CreateOrder));
        let may_create_customer = actor.is_some_and(|a| a.can(CREATE_CUSTOMER));
        if let Some(sent) = &self.cart.sent {
            return keys::hints(FROZEN_KEYS, |act| match act {
                Act::Confirm => may_order && sent.conflict.is_none(),
                Act::Caixa => may_order,
                _ => true,
            });
        }
        keys::hints(table, |act| match act {
            Act::Confirm => may_order && !self.cart.is_empty() && !self.checking,
            Act::Caixa => may_order,
            Act::NewCustomer => may_create_customer,
            _ => true,
        })
        .into_iter()
        .filter(|h| !h.keys.is_empty())
        .collect()
    }

    /// Drawing.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let [
            customer_area,
            search_area,
            results_area,
            cart_area,
            total_area,
        ] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(RESULTS as u16 + 3),
            Constraint::Min(4),
            Constraint::Length(1),
        ])
        .areas(area);
        let customer = self
            .cart
            .customer
            .as_ref()
            .map_or_else(|| t!("sale-no-customer"), |c| c.name.clone());
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw(format!("{}: ", t!("sale-customer"))),
                Span::styled(customer, Style::new().bold()),
            ])),
            customer_area,
        );
        let focused = self.focus == Focus::Search && self.popup.is_none();
        let label = format!("{}: ", t!("sale-search"));
        let width = usize::from(search_area.width).saturating_sub(label.chars().count() + 1);
        let scroll = self.search.visual_scroll(width);
        let shown: String = self
            .search
            .value()
            .chars()
            .skip(scroll)
            .take(width)
            .collect();
        let field_style = if focused {
            Style::new().reversed()
        } else {
            Style::new().underlined()
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw(label.clone()),
                Span::styled(format!("{shown:<width$}"), field_style),
            ])),
            search_area,
        );
        if focused {
            let cursor = self.search.visual_cursor().saturating_sub(scroll);
            let x = search_area.x + u16::try_from(label.chars().count() + cursor).unwrap_or(0);
            frame
                .set_cursor_position((x.min(search_area.right().saturating_sub(1)), search_area.y));
        }
        self.draw_results(frame, results_area);
        self.draw_cart(frame, cart_area);
        let count: u32 = self.cart.lines.iter().map(|l| l.quantity).sum();
        let status = if self.checking {
            format!("  {}", t!("sale-checking"))
        } else if !self.queue.is_empty() {
            format!("  {}", t!("sale-looking-up"))
        } else {
            String::new()
        };
        let mut total_line = vec![
            Span::raw(format!("{}   ", t!("sale-items", count = count))),
            Span::styled(
                t!("sale-total", total = i18n::money(self.cart.total())),
                Style::new().bold().fg(Color::Yellow),
            ),
            Span::raw(status),
        ];
        if !self.unknown.is_empty() {
            total_line.push(Span::styled(
                format!(
                    "  {}",
                    t!("sale-not-found-list", codes = self.unknown.join(" "))
                ),
                Style::new().fg(Color::Red).bold(),
            ));
        }
        frame.render_widget(Paragraph::new(Line::from(total_line)), total_area);
        match &self.popup {
            Some(Popup::Picker(picker)) => picker.draw(frame, area),
            Some(Popup::NewCustomer(form))
            | Some(Popup::Quantity(form, _))
            | Some(Popup::Approval(form, _))
            | Some(Popup::Void(form, _))
            | Some(Popup::Park(form))
            | Some(Popup::Discount(form, _)) => form.draw(frame, area),
            Some(Popup::Parked(list, selected, _)) => draw_parked(frame, area, list, *selected),
            Some(Popup::Payment(payment)) => payment.draw(frame, area),
            Some(Popup::Slip(slip)) => slip.draw(frame, area),
            Some(Popup::Caixa(caixa)) => caixa.draw(frame, area, self.till.as_ref()),
            None => {}
        }
    }

    fn draw_results(&self, frame: &mut Frame, area: Rect) {
        let rows: Vec<Row> = self
            .results
            .iter()
            .map(|p| {
                let available = p.available();
                let style = if available <= 0 {
                    Style::new().fg(Color::Red)
                } else if p.is_low_on_stock() {
                    Style::new().fg(Color::Yellow)
                } else {
                    Style::new()
                };
                Row::new(vec![
                    p.sku.to_string(),
                    fit(p.name.as_str(), 34),
                    format!("{:>11}", i18n::money(p.price)),
                    format!("{available:>6}"),
                ])
                .style(style)
            })
            .collect();
        let mut state = TableState::default();
        if self.focus == Focus::Search && !self.results.is_empty() {
            state.select(Some(self.selected));
        }
        let empty = self.results.is_empty() && self.results_for == self.search.value();
        let title = if empty && !self.search.value().trim().is_empty() {
            format!(
                " {} ",
                t!("sale-no-match", text = self.search.value().trim())
            )
        } else {
            format!(" {} ", t!("sale-results"))
        };
        let table = Table::new(
            rows,
            [
                Constraint::Length(14),
                Constraint::Min(20),
                Constraint::Length(11),
                Constraint::Length(6),
            ],
        )
        .header(
            Row::new(vec![
                t!("col-sku"),
                t!("col-product"),
                format!("{:>11}", t!("col-price")),
                format!("{:>6}", t!("col-available")),
            ])
            .style(Style::new().bold()),
        )
        .row_highlight_style(selected_style())
        .block(Block::bordered().title(title));
        frame.render_stateful_widget(table, area, &mut state);
    }

    fn draw_cart(&self, frame: &mut Frame, area: Rect) {
        // Each line at what it charges: another price than the catalogue's is marked `*`, and
        // the line's discount follows its name; the total is after that discount.
        let priced = self
            .cart
            .priced(erp_core::domain::DiscountPolicy::default());
        let rows: Vec<Row> = self
            .cart
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let figures = priced.as_ref().and_then(|p| p.lines.get(i));
                let price = figures.map_or(money_of(l.price_cents), |f| f.unit_price);
                let total = figures.map_or_else(
                    || money_of(l.price_cents.saturating_mul(i64::from(l.quantity))),
                    |f| f.net,
                );
                let marked = if l.override_cents.is_some() {
                    format!("*{}", i18n::money(price))
                } else {
                    i18n::money(price)
                };
                let discount = match &l.discount {
                    Some(crate::cart::CartDiscount::Percent(p)) => {
                        format!(" -{}%", p.replace('.', &i18n::decimal_sign()))
                    }
                    Some(crate::cart::CartDiscount::Amount(_)) => format!(
                        " -{}",
                        i18n::money(figures.map_or(Money::ZERO, |f| f.discount))
                    ),
                    None => String::new(),
                };
                let width = 28usize.saturating_sub(discount.chars().count());
                Row::new(vec![
                    Line::from(l.sku.clone()),
                    Line::from(vec![
                        Span::raw(fit(&l.name, width)),
                        Span::styled(discount, Style::new().fg(Color::Yellow)),
                    ]),
                    Line::from(format!("{:>5}", l.quantity)),
                    Line::from(format!("{marked:>11}")),
                    Line::from(format!("{:>12}", i18n::money(total))),
                ])
            })
            .collect();
        // The current line (the one just added, while scanning) is always selected, so the
        // table scrolls to keep it in view; it is highlighted only while the cart has the keys.
        let mut state = TableState::default();
        if !self.cart.is_empty() {
            state.select(Some(self.line.min(self.cart.lines.len() - 1)));
        }
        let highlight = if self.focus == Focus::Cart {
            selected_style()
        } else {
            Style::new()
        };
        let title = match &self.cart.sent {
            Some(sent) => Line::from(format!(
                " {} ",
                match sent.conflict {
                    Some(id) => t!("sale-cart-conflict", id = id.to_string()),
                    None => t!("sale-cart-frozen"),
                }
            ))
            .style(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)),
            None if self.cart.is_empty() => Line::from(format!(" {} ", t!("sale-cart-empty"))),
            None => Line::from(format!(" {} ", t!("sale-cart"))),
        };
        let border = if self.cart.is_frozen() {
            Style::new().fg(Color::Red)
        } else if self.focus == Focus::Cart {
            Style::new().fg(Color::Cyan)
        } else {
            Style::new()
        };
        let table = Table::new(
            rows,
            [
                Constraint::Length(14),
                Constraint::Min(16),
                Constraint::Length(5),
                Constraint::Length(11),
                Constraint::Length(12),
            ],
        )
        .header(
            Row::new(vec![
                t!("col-sku"),
                t!("col-product"),
                format!("{:>5}", t!("col-qty")),
                format!("{:>11}", t!("col-price")),
                format!("{:>12}", t!("col-total")),
            ])
            .style(Style::new().add_modifier(Modifier::BOLD)),
        )
        .row_highlight_style(highlight)
        .block(Block::bordered().title(title).border_style(border));
        frame.render_stateful_widget(table, area, &mut state);
    }
}

/// Which popup is open, without borrowing it.
#[derive(Clone, Copy)]
enum PopupKind {
    Picker,
    NewCustomer,
    Quantity,
    /// Payment, receipt, caixa and approval: handled by value.
    Checkout,
}

fn popup_kind(popup: &Popup) -> PopupKind {
    match popup {
        Popup::Picker(_) => PopupKind::Picker,
        Popup::Discount(..) => PopupKind::Checkout,
        Popup::NewCustomer(_) => PopupKind::NewCustomer,
        Popup::Quantity(..) => PopupKind::Quantity,
        Popup::Payment(_)
        | Popup::Slip(_)
        | Popup::Caixa(_)
        | Popup::Approval(..)
        | Popup::Park(_)
        | Popup::Parked(..)
        | Popup::Void(..) => PopupKind::Checkout,
    }
}

/// Whether erp-core's refusal of a counter sale says for certain that no sale exists under its
/// customer and key. A counter sale looks its key up first thing in its transaction and replays
/// a sale it finds; the errors below come only after that look-up found nothing, so the refused
/// request made nothing and none before it did (a frozen cart never changes its customer). A
/// lost answer, a failure before the look-up (a refused manager's login is checked before it,
/// hence `with_approver`) or anything unforeseen leaves the outcome unknown.
fn refused_for_certain(error: &Error, with_approver: bool) -> bool {
    match error {
        Error::InsufficientStock { .. }
        | Error::ProductInactive { .. }
        | Error::CustomerDeleted { .. }
        | Error::Overpayment { .. }
        | Error::PaymentShort { .. }
        | Error::NoOpenCashSession { .. }
        | Error::CashSessionNotYours { .. }
        | Error::CashSessionClosed { .. }
        | Error::Validation { .. } => true,
        Error::NotFound { entity, .. } => matches!(*entity, "product" | "customer"),
        Error::ApprovalRequired { .. } => !with_approver,
        _ => false,
    }
}

/// What the parked sales list's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ParkedAct {
    Up,
    Down,
    Recall,
    Close,
}

const PARKED_KEYS: &[Binding<ParkedAct>] = &[
    key(KeyCode::Up, "↑↓", "pick", ParkedAct::Up),
    key(KeyCode::Down, "", "", ParkedAct::Down),
    key(KeyCode::Enter, "Enter", "recall", ParkedAct::Recall),
    key(KeyCode::Esc, "Esc", "back", ParkedAct::Close),
];

/// How long the till waits for a park, a recall or a caixa request, during which the cart takes
/// no change and the till no other cashier. A connection that went silent (no reset, no answer)
/// would otherwise hold the till for as long as TCP takes to give up.
pub(crate) const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(15);

/// A cart to write from a background task, as of a version (see [`Sale::written_first`]).
struct CartWrite {
    cart: Cart,
    carts: Option<(crate::cart::CartStore, String)>,
    version: u64,
}

impl CartWrite {
    /// Writes it, unless no cart store is set (tests) or a later version was written already.
    fn write(self) -> Result<(), String> {
        match self.carts {
            Some((store, user)) => store
                .save_version(&user, &self.cart, self.version)
                .map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
}

/// `work`'s answer, or an unknown outcome after `limit` ([`ANSWER_WITHIN`]): the work may still
/// have been done (a park is then answered by parking again under the same key).
pub(crate) async fn answer_within<T>(
    limit: std::time::Duration,
    work: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(Error::OutcomeUnknown {
            message: format!("no answer within {} ms", limit.as_millis()),
        })
    })
}

/// Parks a recalled sale again as it was; without its customer if that customer can no longer
/// buy (deleted meanwhile), rather than lose the lines.
async fn park_again(
    erp: &erp_core::Erp,
    actor: &Actor,
    parked: &erp_core::domain::ParkedSale,
) -> Result<erp_core::domain::ParkedSale, Error> {
    // One key per recalled cart: a retry of this very re-park is answered, not repeated.
    let key = till_key(&format!("park-again-{}", parked.id))?;
    let again = |customer| {
        erp_core::domain::NewParkedSale::new(
            parked.label.clone(),
            parked.register_id,
            customer,
            parked.lines.clone(),
        )
        .map(|cart| cart.with_key(key.clone()))
    };
    match erp.park_sale(actor, &again(parked.customer_id)?).await {
        Err(Error::CustomerDeleted { .. } | Error::NotFound { .. })
            if parked.customer_id.is_some() =>
        {
            erp.park_sale(actor, &again(None)?).await
        }
        other => other,
    }
}

/// Takes parked sale `pending.id` back under the recall's key (erp-core marks it taken in the same
/// unit of work, so of two tills only one gets it, and a retry under the key gets it again), then
/// reads its products and customer as they are now.
async fn recall(
    erp: &erp_core::Erp,
    actor: &Actor,
    pending: &PendingRecall,
) -> Result<Box<crate::msg::Recalled>, Error> {
    let key = till_key(&pending.key)?;
    let id = erp_core::domain::ParkedSaleId(pending.id);
    let taking = erp.recall_parked_sale_once(actor, id, &key);
    let parked = answer_within(ANSWER_WITHIN, taking).await?.sale;
    // Recalled and gone from the list: from here on nothing may lose it, so a product or
    // customer that cannot be read (or not in time) is left out of the lookups, not fatal.
    let mut products = Vec::with_capacity(parked.lines.len());
    let mut customer = None;
    let lookups = async {
        for line in &parked.lines {
            if let Ok(product) = erp.product_by_sku(actor, &line.sku).await {
                products.push(product);
            }
        }
        if let Some(id) = parked.customer_id {
            customer = erp.customer(actor, id).await.ok();
        }
    };
    let _in_time = tokio::time::timeout(ANSWER_WITHIN, lookups).await;
    Ok(Box::new(crate::msg::Recalled {
        parked,
        products,
        customer,
    }))
}

fn draw_parked(
    frame: &mut Frame,
    area: Rect,
    list: &[erp_core::domain::ParkedSale],
    selected: usize,
) {
    let popup = crate::widgets::centered(area, 70, area.height.saturating_sub(2));
    frame.render_widget(ratatui::widgets::Clear, popup);
    let rows: Vec<Row> = list
        .iter()
        .map(|p| {
            let units: u32 = p.lines.iter().map(|l| l.quantity.get()).sum();
            Row::new(vec![
                format!("#{}", p.id),
                fit(p.label.as_str(), 30),
                format!("{units:>5}"),
                i18n::time(p.parked_at),
            ])
        })
        .collect();
    let mut state = TableState::default().with_selected(Some(selected));
    frame.render_stateful_widget(
        Table::new(
            rows,
            [
                Constraint::Length(5),
                Constraint::Min(12),
                Constraint::Length(5),
                Constraint::Length(16),
            ],
        )
        .header(
            Row::new(vec![
                "#".to_string(),
                t!("col-label"),
                format!("{:>5}", t!("col-items")),
                t!("col-parked"),
            ])
            .style(Style::new().add_modifier(Modifier::BOLD)),
        )
        .row_highlight_style(selected_style())
        .block(
            Block::bordered()
                .title(format!(" {} ", t!("recall-title")))
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        popup,
        &mut state,
    );
}

/// The form asking a manager to void a frozen sale.
fn void_form() -> Form {
    Form::new(
        t!("void-title"),
        &[&t!("approval-user"), &t!("approval-password")],
    )
    .with_masked(1)
    .with_message(t!("void-why"))
}

/// The form asking for a manager's login, saying why.
fn approval_form(reason: &str) -> Form {
    Form::new(
        t!("approval-title"),
        &[&t!("approval-user"), &t!("approval-password")],
    )
    .with_masked(1)
    .with_message(t!("approval-why", reason = reason))
}

/// Sends `receipt` to the till's printer, if one is set up.
pub(crate) fn print(receipt: &erp_core::receipt::ReceiptDocument, ctx: &mut Ctx) {
    let Some(path) = ctx.till.printer.clone() else {
        return;
    };
    let layout = erp_core::receipt::ReceiptLayout::new(ctx.till.paper, i18n::current());
    let receipt = receipt.clone();
    ctx.spawn(Task::new("printing", move |_| async move {
        Msg::Printed(erp_core::receipt::print_to_path(&receipt, layout, &path))
    }));
}

/// Sends a report's text to the printer (plain text: reports have no ESC/POS layout).
fn print_text(text: String, ctx: &mut Ctx) {
    let Some(path) = ctx.till.printer.clone() else {
        return;
    };
    ctx.spawn(Task::new("printing", move |_| async move {
        let written = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut device| {
                use std::io::Write as _;
                device.write_all(text.as_bytes())?;
                device.write_all(b"\n\n\n")?;
                device.flush()
            });
        Msg::Printed(written.map_err(|error| Error::Unavailable {
            message: format!("printer {}: {error}", path.display()),
        }))
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A park or recall that never answers gives the till back as an unknown outcome.
    #[tokio::test]
    async fn a_silent_answer_becomes_an_unknown_outcome() {
        let limit = std::time::Duration::from_millis(20);
        let silent = std::future::pending::<Result<(), Error>>();
        let answer = answer_within(limit, silent).await;
        assert!(
            matches!(answer, Err(Error::OutcomeUnknown { .. })),
            "{answer:?}"
        );
        assert_eq!(
            answer_within(limit, async { Ok::<_, Error>(7) }).await,
            Ok(7)
        );
    }

    #[test]
    fn quantity_prefix_is_optional_and_never_clamped() {
        assert_eq!(quantity_prefix("3*TEA"), Ok((3, "TEA")));
        assert_eq!(quantity_prefix("TEA"), Ok((1, "TEA")));
        assert_eq!(quantity_prefix("x*TEA"), Ok((1, "x*TEA")));
        assert!(quantity_prefix("0*TEA").is_err());
        assert!(quantity_prefix("4294967295*TEA").is_err());
        assert!(quantity_prefix("1000001*TEA").is_err());
        assert_eq!(quantity_prefix("1000000*TEA"), Ok((1_000_000, "TEA")));
    }

    #[test]
    fn codes_have_digits_and_no_spaces() {
        assert!(looks_like_code("7891000100103"));
        assert!(looks_like_code("COF-500JAM-GUAVA-300"));
        assert!(!looks_like_code("green tea"));
        assert!(!looks_like_code("sugar"));
    }
}
