//! Products: stock at a glance (on hand, reserved, available; low stock highlighted), new products,
//! edits and stock receipts or adjustments with a reason.

use crossterm::event::{Event, KeyCode, KeyEvent};
use erp_core::Actor;
use erp_core::domain::{
    IdempotencyKey, PageRequest, Permission, Product, ProductId, ProductQuery, SearchTerm,
};
use erp_core::input::{ProductInput, ProductPatch, StockInput};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::widgets::{Block, Row, Table, TableState};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::Ctx;
use crate::cart::new_key;
use crate::form::{self, Form, OpenForm, Routed};
use crate::keys::{self, Binding, Hint, key};
use crate::msg::Msg;
use crate::t;
use crate::task::Task;
use crate::widgets::{draw_search_bar, fit, selected_style};

/// What the keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Focus the search field.
    Search,
    /// Previous product.
    Up,
    /// Next product.
    Down,
    /// New product.
    New,
    /// Edit the highlighted product.
    Edit,
    /// Receive or adjust its stock.
    Stock,
    /// Toggle "low stock only".
    Low,
    /// Toggle "include inactive".
    Inactive,
}

const KEYS: &[Binding<Act>] = &[
    key(KeyCode::Char('/'), "/", "search", Act::Search),
    key(KeyCode::Up, "↑↓", "move", Act::Up),
    key(KeyCode::Down, "", "", Act::Down),
    key(KeyCode::Char('n'), "n", "new", Act::New),
    key(KeyCode::Char('e'), "e", "edit", Act::Edit),
    key(KeyCode::Char('r'), "r", "stock in/adjust", Act::Stock),
    key(KeyCode::Char('l'), "l", "low only", Act::Low),
    key(KeyCode::Char('i'), "i", "inactive", Act::Inactive),
];

/// What the open form is for.
#[derive(Debug, Clone)]
pub enum Purpose {
    /// A new product.
    New,
    /// Editing a product.
    Edit(ProductId),
    /// A stock change, with the idempotency key made when the form opened: pressing Enter twice,
    /// or again after an error on the way back, never moves the stock twice.
    Stock(ProductId, IdempotencyKey),
}

/// The products screen.
#[derive(Debug)]
pub struct Products {
    /// The current page.
    pub products: Vec<Product>,
    /// How many match.
    pub total: u64,
    /// The highlighted product.
    pub selected: usize,
    /// The search text.
    pub search: Input,
    /// Typing into the search.
    pub searching: bool,
    /// Only products at or below their reorder level.
    pub low_only: bool,
    /// Show deactivated products too.
    pub include_inactive: bool,
    /// An open form.
    pub form: OpenForm<Purpose>,
    seq: u64,
}

impl Products {
    /// The list, loading.
    pub fn new(ctx: &mut Ctx) -> Products {
        let mut products = Products {
            products: Vec::new(),
            total: 0,
            selected: 0,
            search: Input::default(),
            searching: false,
            low_only: false,
            include_inactive: false,
            form: None,
            seq: 0,
        };
        products.load(ctx);
        products
    }

    /// Whether typed text goes into a field.
    pub fn typing(&self) -> bool {
        self.searching || self.form.is_some()
    }

    fn load(&mut self, ctx: &mut Ctx) {
        let Ok(term) = SearchTerm::parse(self.search.value()) else {
            return;
        };
        self.seq = ctx.next_seq();
        let seq = self.seq;
        let actor = ctx.actor();
        let query = ProductQuery {
            search: term,
            include_inactive: self.include_inactive,
            low_stock_only: self.low_only,
            page: PageRequest::first(200),
            skip_total: false,
        };
        ctx.spawn(Task::new("loading products", move |erp| async move {
            Msg::Products(seq, erp.products(&actor, &query).await)
        }));
    }

    fn submit(
        &mut self,
        purpose: Purpose,
        values: Vec<String>,
        ctx: &mut Ctx,
    ) -> Result<(), erp_core::Error> {
        let actor = ctx.actor();
        let number = |text: &str, field: &str| -> Result<Option<i64>, erp_core::Error> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<i64>()
                .map(Some)
                .map_err(|_| erp_core::Error::validation(field, "must be a whole number"))
        };
        match purpose {
            Purpose::New => {
                let input = ProductInput {
                    sku: values[0].clone(),
                    name: values[1].clone(),
                    price: crate::i18n::money_input(&values[2]),
                    initial_stock: number(&values[3], "opening stock")?,
                    reorder_level: number(&values[4], "reorder level")?,
                };
                let product = input.parse()?;
                ctx.spawn(Task::new("creating the product", move |erp| async move {
                    Msg::ProductSaved(erp.create_product(&actor, product).await)
                }));
            }
            Purpose::Edit(id) => {
                // Either language's answer, whichever the till speaks.
                let active = match values[3].trim().to_lowercase().as_str() {
                    "y" | "yes" | "s" | "sim" => Some(true),
                    "n" | "no" | "não" | "nao" => Some(false),
                    "" => None,
                    _ => return Err(erp_core::Error::validation("active", "answer y or n")),
                };
                let patch = ProductPatch {
                    name: Some(values[0].clone()).filter(|v| !v.trim().is_empty()),
                    price: Some(crate::i18n::money_input(&values[1]))
                        .filter(|v| !v.trim().is_empty()),
                    reorder_level: number(&values[2], "reorder level")?,
                    active,
                };
                let changes = patch.parse()?;
                ctx.spawn(Task::new("saving the product", move |erp| async move {
                    Msg::ProductSaved(erp.update_product(&actor, id, changes).await)
                }));
            }
            Purpose::Stock(id, key) => {
                let input = StockInput {
                    kind: stock_kind(&values[0]),
                    quantity: number(&values[1], "quantity")?.unwrap_or(0),
                    reason: values[2].clone(),
                };
                let (change, reason) = input.parse()?;
                ctx.spawn(Task::new("changing stock", move |erp| async move {
                    let adjusted = erp
                        .adjust_stock_once(&actor, id, change, reason, &key)
                        .await;
                    Msg::ProductSaved(adjusted.map(|a| a.product))
                }));
            }
        }
        Ok(())
    }

    /// Keys.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) {
        match form::route_key(&mut self.form, key) {
            Routed::NoForm => {}
            Routed::Taken => return,
            Routed::Submit(purpose, values) => {
                if let Err(error) = self.submit(purpose, values, ctx) {
                    form::show_error(&mut self.form, &error);
                }
                return;
            }
        }
        if self.searching {
            match key.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Down => self.searching = false,
                _ => {
                    if self.search.handle_event(&Event::Key(key)).is_some() {
                        self.selected = 0;
                        self.load(ctx);
                    }
                }
            }
            return;
        }
        let manage = ctx.can(Permission::ManageCatalog);
        match keys::find(KEYS, &key) {
            Some(Act::Search) => self.searching = true,
            Some(Act::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Act::Down) if self.selected + 1 < self.products.len() => {
                self.selected += 1;
            }
            Some(Act::Down) => {}
            Some(Act::Low) => {
                self.low_only = !self.low_only;
                self.load(ctx);
            }
            Some(Act::Inactive) => {
                self.include_inactive = !self.include_inactive;
                self.load(ctx);
            }
            Some(Act::New | Act::Edit | Act::Stock) if !manage => {
                ctx.fail(&erp_core::Error::Forbidden {
                    role: ctx.actor().role(),
                    action: Permission::ManageCatalog,
                })
            }
            Some(Act::New) => {
                let form = Form::new(
                    t!("product-new-title"),
                    &[
                        &t!("field-sku"),
                        &t!("field-name"),
                        &t!("field-price"),
                        &t!("field-opening-stock"),
                        &t!("field-reorder-level"),
                    ],
                )
                .with_value(3, "0")
                .with_value(4, "0")
                .with_message(t!("product-new-hint"));
                self.form = Some((form, Purpose::New));
            }
            Some(Act::Edit) => {
                if let Some(p) = self.products.get(self.selected) {
                    let form = Form::new(
                        t!("product-edit-title", sku = p.sku.to_string()),
                        &[
                            &t!("field-name"),
                            &t!("field-price"),
                            &t!("field-reorder-level"),
                            &t!("field-active-yn"),
                        ],
                    )
                    .with_value(0, p.name.to_string())
                    .with_value(1, p.price.to_string())
                    .with_value(2, p.reorder_level.to_string())
                    .with_value(
                        3,
                        if p.active {
                            t!("answer-yes")
                        } else {
                            t!("answer-no")
                        },
                    )
                    .with_message(t!("product-edit-hint"));
                    self.form = Some((form, Purpose::Edit(p.id)));
                }
            }
            Some(Act::Stock) => {
                if let Some(p) = self.products.get(self.selected) {
                    let form = Form::new(
                        t!(
                            "product-stock-title",
                            sku = p.sku.to_string(),
                            on_hand = p.on_hand,
                            reserved = p.reserved
                        ),
                        &[
                            &t!("field-kind"),
                            &t!("field-quantity"),
                            &t!("field-reason"),
                        ],
                    )
                    .with_value(0, t!("stock-kind-receipt"))
                    .with_message(t!("product-stock-hint"));
                    // A fresh key is 32 hex digits, always a valid key.
                    if let Ok(key) = IdempotencyKey::parse(&new_key()) {
                        self.form = Some((form, Purpose::Stock(p.id, key)));
                    }
                }
            }
            None => {}
        }
    }

    /// Results.
    pub fn on_msg(&mut self, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Products(seq, result) if seq == self.seq => match result {
                Ok(page) => {
                    self.total = page.total;
                    self.products = page.items;
                    self.selected = self.selected.min(self.products.len().saturating_sub(1));
                }
                Err(error) => ctx.fail(&error),
            },
            Msg::ProductSaved(result) => match result {
                Ok(product) => {
                    ctx.info(format!(
                        "{} saved: on hand {}, reserved {}, available {}.",
                        product.sku,
                        product.on_hand,
                        product.reserved,
                        product.available()
                    ));
                    self.form = None;
                    self.load(ctx);
                }
                Err(error) => match self.form.as_mut() {
                    Some((form, _)) => form.message = Some(crate::notice::explain(&error).text),
                    None => ctx.fail(&error),
                },
            },
            _ => {}
        }
    }

    /// The footer.
    pub fn hints(&self, actor: Option<&Actor>) -> Vec<Hint> {
        if self.form.is_some() {
            return form::hints();
        }
        if self.searching {
            return vec![Hint {
                keys: "Enter",
                label: "done searching",
                enabled: true,
            }];
        }
        let manage = actor.is_some_and(|a| a.can(Permission::ManageCatalog));
        keys::hints(KEYS, |act| {
            !matches!(act, Act::New | Act::Edit | Act::Stock) || manage
        })
        .into_iter()
        .filter(|h| !h.keys.is_empty())
        .collect()
    }

    /// Drawing.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let [top, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
        let mut summary = String::new();
        if self.low_only {
            summary.push_str(&t!("products-low-only"));
            summary.push(' ');
        }
        if self.include_inactive {
            summary.push_str(&t!("products-with-inactive"));
        }
        summary.push_str("  ");
        summary.push_str(&t!("products-count", count = self.total));
        draw_search_bar(frame, top, &self.search, self.searching, summary);
        let rows: Vec<Row> = self
            .products
            .iter()
            .map(|p| {
                let style = if !p.active {
                    Style::new().fg(Color::DarkGray)
                } else if p.available() <= 0 {
                    Style::new().fg(Color::Red)
                } else if p.is_low_on_stock() {
                    Style::new().fg(Color::Yellow)
                } else {
                    Style::new()
                };
                let flag = if !p.active {
                    t!("products-flag-off")
                } else if p.is_low_on_stock() {
                    t!("products-flag-low")
                } else {
                    String::new()
                };
                Row::new(vec![
                    p.sku.to_string(),
                    fit(p.name.as_str(), 26),
                    format!("{:>11}", crate::i18n::money(p.price)),
                    format!("{:>7}", p.on_hand),
                    format!("{:>7}", p.reserved),
                    format!("{:>7}", p.available()),
                    flag,
                ])
                .style(style)
            })
            .collect();
        let mut state = TableState::default()
            .with_selected((!self.products.is_empty()).then_some(self.selected));
        let table = Table::new(
            rows,
            [
                Constraint::Length(14),
                Constraint::Min(12),
                Constraint::Length(11),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(7),
                // "BAIXO", the longest flag.
                Constraint::Length(5),
            ],
        )
        .header(
            Row::new(vec![
                t!("col-sku"),
                t!("col-product"),
                format!("{:>11}", t!("col-price")),
                t!("col-on-hand"),
                t!("col-reserved"),
                format!("{:>7}", t!("col-available")),
                String::new(),
            ])
            .bold(),
        )
        .row_highlight_style(selected_style())
        .block(Block::bordered().title(format!(" {} ", t!("tab-products"))));
        frame.render_stateful_widget(table, list, &mut state);
        if let Some((form, _)) = &self.form {
            form.draw(frame, area);
        }
    }
}

/// The stock change kind erp-core parses (`receipt`, `adjustment`) for what the cashier typed, in
/// either language.
fn stock_kind(typed: &str) -> String {
    match typed.trim().to_lowercase().as_str() {
        "entrada" => "receipt".to_string(),
        "ajuste" => "adjustment".to_string(),
        _ => typed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::stock_kind;

    #[test]
    fn portuguese_stock_kinds_are_erp_cores_words() {
        assert_eq!(stock_kind("Entrada"), "receipt");
        assert_eq!(stock_kind(" ajuste "), "adjustment");
        assert_eq!(stock_kind("receipt"), "receipt");
        // Anything else goes to erp-core, which names what it accepts.
        assert_eq!(stock_kind("roubo"), "roubo");
    }
}
