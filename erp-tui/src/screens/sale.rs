//! The sale: search, cart, customer, confirm.
//!
//! Typing searches products by SKU prefix or name. Enter adds the product whose SKU (or barcode)
//! was typed exactly, otherwise the highlighted result; `3*` in front adds three. The cart keeps
//! one idempotency key from its first line until the order is placed, and is saved after every
//! change, so no retry, double key press or restart can place an order twice.

use crossterm::event::{Event, KeyCode, KeyEvent};
use erp_core::domain::{
    Customer, CustomerId, CustomerQuery, PageRequest, Permission, Product, ProductQuery,
    SearchTerm, Sku,
};
use erp_core::{Actor, Error};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::picker::{Picker, PickerEvent, create_customer, new_customer_form};
use crate::app::Ctx;
use crate::cart::{Cart, CartCustomer, new_key};
use crate::form::{Form, FormEvent};
use crate::keys::{self, Binding, Hint, key};
use crate::msg::Msg;
use crate::task::Task;
use crate::widgets::{fit, selected_style};

/// The demo data's walk-in customer, the default for counter sales when it exists.
const WALK_IN_EMAIL: &str = "walk-in@shop.example";
/// Results shown under the search.
const RESULTS: u32 = 6;

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
    /// Place the order.
    Confirm,
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
}

const SEARCH_KEYS: &[Binding<Act>] = &[
    key(KeyCode::Enter, "Enter", "add", Act::Add),
    key(KeyCode::Up, "↑↓", "pick", Act::Up),
    key(KeyCode::Down, "", "", Act::Down),
    key(KeyCode::Tab, "Tab", "cart", Act::Switch),
    key(KeyCode::F(9), "F9", "confirm", Act::Confirm),
    key(KeyCode::F(8), "F8", "customer", Act::Customer),
    key(KeyCode::F(7), "F7", "new", Act::NewCustomer),
    key(KeyCode::Esc, "Esc", "clear", Act::Clear),
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
    key(KeyCode::F(9), "F9", "confirm", Act::Confirm),
    key(KeyCode::F(8), "F8", "customer", Act::Customer),
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
    /// An order is being placed: further confirms wait for it.
    pub placing: bool,
    /// A popup, if open.
    pub popup: Option<Popup>,
    search_seq: u64,
    default_customer_seq: u64,
    ticks: u64,
}

/// Splits `3*TEA-01` into a quantity and the rest.
fn quantity_prefix(text: &str) -> (u32, &str) {
    match text.split_once('*') {
        Some((n, rest)) => match n.trim().parse::<u32>() {
            Ok(n) if n > 0 => (n, rest.trim()),
            _ => (1, text),
        },
        None => (1, text),
    }
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
            placing: false,
            popup: None,
            search_seq: 0,
            default_customer_seq: 0,
            ticks: 0,
        }
    }

    /// Whether typed text goes into a field.
    pub fn typing(&self) -> bool {
        self.popup.is_some() || self.focus == Focus::Search
    }

    /// Called when the sale comes to the front: fresh results, and a default customer.
    pub fn on_enter(&mut self, ctx: &mut Ctx) {
        self.search(ctx);
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
        let (_, text) = quantity_prefix(self.search.value());
        let Ok(term) = SearchTerm::parse(text) else {
            return;
        };
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

    fn changed(&mut self, ctx: &mut Ctx) {
        ctx.save_cart = Some(self.cart.clone());
        self.line = self.line.min(self.cart.lines.len().saturating_sub(1));
    }

    fn add(&mut self, product: &Product, quantity: u32, ctx: &mut Ctx) {
        if !product.active {
            ctx.notice = Some(crate::notice::Notice::error(format!(
                "{} is no longer sold.",
                product.sku
            )));
            return;
        }
        self.cart.add(
            product.sku.as_str(),
            product.name.as_str(),
            product.price,
            quantity,
        );
        let in_cart = self
            .cart
            .lines
            .iter()
            .find(|l| l.sku == product.sku.as_str())
            .map_or(0, |l| i64::from(l.quantity));
        if in_cart > product.available() {
            ctx.notice = Some(crate::notice::Notice::error(format!(
                "{} in the cart, but only {} of {} available.",
                in_cart,
                product.available().max(0),
                product.sku
            )));
        } else {
            ctx.info(format!("Added {quantity} × {}.", product.name));
        }
        self.line = self
            .cart
            .lines
            .iter()
            .position(|l| l.sku == product.sku.as_str())
            .unwrap_or(0);
        self.search.reset();
        self.search(ctx);
        self.changed(ctx);
    }

    fn add_typed(&mut self, ctx: &mut Ctx) {
        let (quantity, code) = quantity_prefix(self.search.value());
        let code = code.to_string();
        let highlighted = self.results.get(self.selected).cloned();
        if code.is_empty() {
            if let Some(product) = highlighted {
                self.add(&product, quantity, ctx);
            }
            return;
        }
        match Sku::parse(&code) {
            // The highlighted result is the typed SKU: no need to ask the database again.
            Ok(sku) if highlighted.as_ref().is_some_and(|p| p.sku == sku) => {
                if let Some(product) = highlighted {
                    self.add(&product, quantity, ctx);
                }
            }
            Ok(sku) => {
                let actor = ctx.actor();
                ctx.spawn(Task::new("looking up the SKU", move |erp| async move {
                    let result = erp.product_by_sku(&actor, &sku).await;
                    Msg::Scanned(code, quantity, result)
                }));
            }
            Err(_) => match highlighted {
                Some(product) => self.add(&product, quantity, ctx),
                None => ctx.notice = Some(crate::notice::Notice::error("No product matches.")),
            },
        }
    }

    fn confirm(&mut self, ctx: &mut Ctx) {
        if self.placing {
            // A second Enter while the first is on its way: the same key would replay anyway.
            return;
        }
        if self.cart.is_empty() {
            ctx.notice = Some(crate::notice::Notice::error("The cart is empty."));
            return;
        }
        let Some(customer) = &self.cart.customer else {
            ctx.notice = Some(crate::notice::Notice::error("Pick a customer first (F8)."));
            return;
        };
        if !ctx.can(Permission::CreateOrder) {
            ctx.fail(&Error::Forbidden {
                role: ctx.actor().role(),
                action: Permission::CreateOrder,
            });
            return;
        }
        let key = match &self.cart.key {
            Some(key) => key.clone(),
            None => {
                let key = new_key();
                self.cart.key = Some(key.clone());
                key
            }
        };
        match self.cart.order_input(CustomerId(customer.id)).parse(&key) {
            Err(error) => ctx.fail(&error),
            Ok(order) => {
                self.placing = true;
                let actor = ctx.actor();
                ctx.spawn(Task::new("placing the order", move |erp| async move {
                    Msg::OrderPlaced(erp.create_order(&actor, &order).await)
                }));
            }
        }
    }

    fn act(&mut self, act: Act, ctx: &mut Ctx) {
        match act {
            Act::Add => self.add_typed(ctx),
            Act::Up if self.focus == Focus::Search => {
                self.selected = self.selected.saturating_sub(1)
            }
            Act::Down if self.focus == Focus::Search => {
                if self.selected + 1 < self.results.len() {
                    self.selected += 1;
                }
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
            Act::NewCustomer => self.popup = Some(Popup::NewCustomer(new_customer_form())),
            Act::Confirm => self.confirm(ctx),
            Act::Clear => {
                self.search.reset();
                self.search(ctx);
            }
            Act::More | Act::Less => {
                if let Some(line) = self.cart.lines.get(self.line) {
                    let quantity = if act == Act::More {
                        line.quantity.saturating_add(1)
                    } else {
                        line.quantity.saturating_sub(1)
                    };
                    self.cart.set_quantity(self.line, quantity);
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
                    let form = Form::new(format!("Quantity of {}", line.sku), &["Quantity"])
                        .with_value(0, line.quantity.to_string())
                        .with_message("0 removes the line.");
                    self.popup = Some(Popup::Quantity(form, self.line));
                }
            }
        }
    }

    /// Keys.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) {
        if let Some(kind) = self.popup.as_ref().map(popup_kind) {
            self.on_popup_key(kind, key, ctx);
            return;
        }
        let table = match self.focus {
            Focus::Search => SEARCH_KEYS,
            Focus::Cart => CART_KEYS,
        };
        if let Some(act) = keys::find(table, &key) {
            self.act(act, ctx);
        } else if self.focus == Focus::Search
            && self.search.handle_event(&Event::Key(key)).is_some()
        {
            self.selected = 0;
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
                PickerEvent::New => self.popup = Some(Popup::NewCustomer(new_customer_form())),
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
                        Ok(quantity) if quantity <= erp_core::domain::Quantity::MAX => {
                            self.cart.set_quantity(index, quantity);
                            self.popup = None;
                            if self.cart.is_empty() {
                                self.focus = Focus::Search;
                            }
                            self.changed(ctx);
                        }
                        _ => form.message = Some("Type a whole number of units.".into()),
                    },
                    FormEvent::Cancel => self.popup = None,
                    FormEvent::None => {}
                }
            }
            _ => self.popup = None,
        }
    }

    fn set_customer(&mut self, customer: &Customer, ctx: &mut Ctx) {
        self.cart.customer = Some(CartCustomer {
            id: customer.id.get(),
            name: customer.name.to_string(),
        });
        ctx.info(format!("Customer: {}.", customer.name));
        self.changed(ctx);
    }

    /// Results.
    pub fn on_msg(&mut self, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Products(seq, result) if seq == self.search_seq => match result {
                Ok(page) => {
                    self.results = page.items;
                    self.selected = self.selected.min(self.results.len().saturating_sub(1));
                }
                Err(error) => ctx.fail(&error),
            },
            Msg::Scanned(code, quantity, result) => match result {
                Ok(product) => self.add(&product, quantity, ctx),
                Err(Error::NotFound { .. }) => match self.results.get(self.selected).cloned() {
                    Some(product) => self.add(&product, quantity, ctx),
                    None => {
                        ctx.notice = Some(crate::notice::Notice::error(format!(
                            "No product with SKU {}.",
                            code.to_uppercase()
                        )))
                    }
                },
                Err(error) => ctx.fail(&error),
            },
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
                Ok(customer) => {
                    self.set_customer(&customer, ctx);
                    self.popup = None;
                }
                Err(error) => {
                    let text = crate::notice::explain(&error).text;
                    match self.popup.as_mut() {
                        Some(Popup::NewCustomer(form)) => form.message = Some(text),
                        _ => ctx.fail(&error),
                    }
                }
            },
            Msg::OrderPlaced(result) => {
                self.placing = false;
                match result {
                    Ok(receipt) => {
                        let order = receipt.order;
                        ctx.info(format!(
                            "Order #{} placed: {} item(s), total {}{}.",
                            order.id,
                            order.lines.iter().map(|l| l.quantity.get()).sum::<u32>(),
                            order.total,
                            if receipt.replayed {
                                " (it had already gone through)"
                            } else {
                                ""
                            }
                        ));
                        let customer = self.cart.customer.clone();
                        self.cart = Cart {
                            key: None,
                            customer,
                            lines: Vec::new(),
                        };
                        self.focus = Focus::Search;
                        self.line = 0;
                        self.changed(ctx);
                        self.search(ctx);
                    }
                    Err(Error::IdempotencyConflict { order_id, .. }) => {
                        // The key already made an order with other lines (placed before a lost
                        // answer, then the cart changed). This cart needs a key of its own.
                        self.cart.key = Some(new_key());
                        self.changed(ctx);
                        ctx.notice = Some(crate::notice::Notice::error(format!(
                            "This sale already became order #{order_id} before it changed; press \
                             F9 again to place it as a new order."
                        )));
                    }
                    Err(error) => ctx.fail(&error),
                }
            }
            _ => {}
        }
    }

    /// The footer.
    pub fn hints(&self, actor: Option<&Actor>) -> Vec<Hint> {
        if let Some(popup) = &self.popup {
            let text = match popup {
                Popup::Picker(_) => "Enter pick  ^N new  Esc close",
                _ => "Enter next/save  Esc cancel",
            };
            return vec![Hint {
                keys: "",
                label: text,
                enabled: true,
            }];
        }
        let table = match self.focus {
            Focus::Search => SEARCH_KEYS,
            Focus::Cart => CART_KEYS,
        };
        let may_order = actor.is_some_and(|a| a.can(Permission::CreateOrder));
        let may_create_customer = actor.is_some_and(|a| a.can(Permission::ManageCatalog));
        keys::hints(table, |act| match act {
            Act::Confirm => may_order && !self.cart.is_empty() && !self.placing,
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
            .map_or_else(|| "none (F8 to pick)".to_string(), |c| c.name.clone());
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw("Customer: "),
                Span::styled(customer, Style::new().bold()),
            ])),
            customer_area,
        );
        let focused = self.focus == Focus::Search && self.popup.is_none();
        let label = "Search SKU/name: ";
        let width = usize::from(search_area.width).saturating_sub(label.len() + 1);
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
                Span::raw(label),
                Span::styled(format!("{shown:<width$}"), field_style),
            ])),
            search_area,
        );
        if focused {
            let cursor = self.search.visual_cursor().saturating_sub(scroll);
            let x = search_area.x + u16::try_from(label.len() + cursor).unwrap_or(0);
            frame
                .set_cursor_position((x.min(search_area.right().saturating_sub(1)), search_area.y));
        }
        self.draw_results(frame, results_area);
        self.draw_cart(frame, cart_area);
        let count: u32 = self.cart.lines.iter().map(|l| l.quantity).sum();
        let status = if self.placing {
            "  placing the order…"
        } else {
            ""
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw(format!("{count} item(s)   ")),
                Span::styled(
                    format!("TOTAL {}", self.cart.total()),
                    Style::new().bold().fg(Color::Yellow),
                ),
                Span::raw(status),
            ])),
            total_area,
        );
        match &self.popup {
            Some(Popup::Picker(picker)) => picker.draw(frame, area),
            Some(Popup::NewCustomer(form)) | Some(Popup::Quantity(form, _)) => {
                form.draw(frame, area)
            }
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
                    format!("{:>9}", p.price),
                    format!("{available:>6}"),
                ])
                .style(style)
            })
            .collect();
        let mut state = TableState::default();
        if self.focus == Focus::Search && !self.results.is_empty() {
            state.select(Some(self.selected));
        }
        let table = Table::new(
            rows,
            [
                Constraint::Length(14),
                Constraint::Min(20),
                Constraint::Length(9),
                Constraint::Length(6),
            ],
        )
        .header(Row::new(vec!["SKU", "Product", "    Price", " Avail"]).style(Style::new().bold()))
        .row_highlight_style(selected_style())
        .block(Block::bordered().title(" Products "));
        frame.render_stateful_widget(table, area, &mut state);
    }

    fn draw_cart(&self, frame: &mut Frame, area: Rect) {
        let rows: Vec<Row> = self
            .cart
            .lines
            .iter()
            .map(|l| {
                let total = erp_core::domain::Money::from_cents(
                    l.price_cents.saturating_mul(i64::from(l.quantity)),
                )
                .unwrap_or(erp_core::domain::Money::ZERO);
                let price = erp_core::domain::Money::from_cents(l.price_cents)
                    .unwrap_or(erp_core::domain::Money::ZERO);
                Row::new(vec![
                    l.sku.clone(),
                    fit(&l.name, 28),
                    format!("{:>5}", l.quantity),
                    format!("{price:>9}"),
                    format!("{total:>10}"),
                ])
            })
            .collect();
        let mut state = TableState::default();
        if self.focus == Focus::Cart {
            state.select(Some(self.line));
        }
        let title = if self.cart.is_empty() {
            " Cart (empty) ".to_string()
        } else {
            " Cart ".to_string()
        };
        let border = if self.focus == Focus::Cart {
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
                Constraint::Length(9),
                Constraint::Length(10),
            ],
        )
        .header(
            Row::new(vec!["SKU", "Product", "  Qty", "    Price", "     Total"])
                .style(Style::new().add_modifier(Modifier::BOLD)),
        )
        .row_highlight_style(selected_style())
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
}

fn popup_kind(popup: &Popup) -> PopupKind {
    match popup {
        Popup::Picker(_) => PopupKind::Picker,
        Popup::NewCustomer(_) => PopupKind::NewCustomer,
        Popup::Quantity(..) => PopupKind::Quantity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantity_prefix_is_optional() {
        assert_eq!(quantity_prefix("3*TEA"), (3, "TEA"));
        assert_eq!(quantity_prefix("TEA"), (1, "TEA"));
        assert_eq!(quantity_prefix("x*TEA"), (1, "x*TEA"));
        assert_eq!(quantity_prefix("0*TEA"), (1, "0*TEA"));
    }
}
