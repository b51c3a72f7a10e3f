//! Customers: search, create, edit, soft delete.

use crossterm::event::{Event, KeyCode, KeyEvent};
use erp_core::Actor;
use erp_core::domain::{Customer, CustomerId, CustomerQuery, PageRequest, Permission, SearchTerm};
use erp_core::input::CustomerPatch;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table, TableState};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::picker::{create_customer, new_customer_form};
use crate::app::Ctx;
use crate::form::{self, Form, OpenForm, Routed};
use crate::keys::{self, Binding, Hint, key};
use crate::msg::Msg;
use crate::t;
use crate::task::Task;
use crate::widgets::{centered, draw_search_bar, fit, selected_style};

/// What the keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Focus the search.
    Search,
    /// Previous.
    Up,
    /// Next.
    Down,
    /// New customer.
    New,
    /// Edit.
    Edit,
    /// Delete (asks first).
    Delete,
}

const KEYS: &[Binding<Act>] = &[
    key(KeyCode::Char('/'), "/", "search", Act::Search),
    key(KeyCode::Up, "↑↓", "move", Act::Up),
    key(KeyCode::Down, "", "", Act::Down),
    key(KeyCode::Char('n'), "n", "new", Act::New),
    key(KeyCode::Char('e'), "e", "edit", Act::Edit),
    key(KeyCode::Char('d'), "d", "delete", Act::Delete),
];

/// The customers screen.
#[derive(Debug)]
pub struct Customers {
    /// The current page.
    pub customers: Vec<Customer>,
    /// How many match.
    pub total: u64,
    /// The highlighted one.
    pub selected: usize,
    /// The search text.
    pub search: Input,
    /// Typing into the search.
    pub searching: bool,
    /// An open form (None id: a new customer).
    pub form: OpenForm<Option<CustomerId>>,
    /// Asking whether to delete this one.
    pub deleting: Option<Customer>,
    seq: u64,
}

impl Customers {
    /// The list, loading.
    pub fn new(ctx: &mut Ctx) -> Customers {
        let mut customers = Customers {
            customers: Vec::new(),
            total: 0,
            selected: 0,
            search: Input::default(),
            searching: false,
            form: None,
            deleting: None,
            seq: 0,
        };
        customers.load(ctx);
        customers
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
        let query = CustomerQuery {
            search: term,
            include_deleted: false,
            page: PageRequest::first(200),
        };
        ctx.spawn(Task::new("loading customers", move |erp| async move {
            Msg::Customers(seq, erp.customers(&actor, &query).await)
        }));
    }

    fn submit(
        &mut self,
        id: Option<CustomerId>,
        values: Vec<String>,
        ctx: &mut Ctx,
    ) -> Result<(), erp_core::Error> {
        match id {
            None => create_customer(&values, ctx),
            Some(id) => {
                let optional = |v: &String| Some(Some(v.clone()).filter(|v| !v.trim().is_empty()));
                let patch = CustomerPatch {
                    name: Some(values[0].clone()),
                    email: Some(values[1].clone()),
                    phone: optional(&values[2]),
                    tax_id: optional(&values[3]),
                };
                let changes = patch.parse()?;
                let actor = ctx.actor();
                ctx.spawn(Task::new("saving the customer", move |erp| async move {
                    Msg::CustomerSaved(erp.update_customer(&actor, id, changes).await)
                }));
                Ok(())
            }
        }
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
        if let Some(customer) = self.deleting.take() {
            if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                let actor = ctx.actor();
                let id = customer.id;
                ctx.spawn(Task::new("deleting the customer", move |erp| async move {
                    Msg::CustomerDeleted(erp.delete_customer(&actor, id).await)
                }));
            }
            return;
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
            Some(Act::Down) if self.selected + 1 < self.customers.len() => {
                self.selected += 1;
            }
            Some(Act::Down) => {}
            Some(Act::New | Act::Edit | Act::Delete) if !manage => {
                ctx.fail(&erp_core::Error::Forbidden {
                    role: ctx.actor().role(),
                    action: Permission::ManageCatalog,
                })
            }
            Some(Act::New) => self.form = Some((new_customer_form(), None)),
            Some(Act::Edit) => {
                if let Some(c) = self.customers.get(self.selected) {
                    let form = Form::new(
                        t!("customer-edit-title", name = c.name.to_string()),
                        &[
                            &t!("field-name"),
                            &t!("field-email"),
                            &t!("field-phone"),
                            &t!("field-tax-id"),
                        ],
                    )
                    .with_value(0, c.name.to_string())
                    .with_value(1, c.email.to_string())
                    .with_value(
                        2,
                        c.phone.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                    )
                    .with_value(
                        3,
                        c.tax_id.as_ref().map(|t| t.formatted()).unwrap_or_default(),
                    )
                    .with_message(t!("customer-edit-hint"));
                    self.form = Some((form, Some(c.id)));
                }
            }
            Some(Act::Delete) => self.deleting = self.customers.get(self.selected).cloned(),
            None => {}
        }
    }

    /// Results.
    pub fn on_msg(&mut self, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Customers(seq, result) if seq == self.seq => match result {
                Ok(page) => {
                    self.total = page.total;
                    self.customers = page.items;
                    self.selected = self.selected.min(self.customers.len().saturating_sub(1));
                }
                Err(error) => ctx.fail(&error),
            },
            Msg::CustomerSaved(result) => match result {
                Ok(customer) => {
                    ctx.info(format!("{} saved.", customer.name));
                    self.form = None;
                    self.load(ctx);
                }
                Err(error) => match self.form.as_mut() {
                    Some((form, _)) => form.message = Some(crate::notice::explain(&error).text),
                    None => ctx.fail(&error),
                },
            },
            Msg::CustomerDeleted(result) => {
                match result {
                    Ok(()) => ctx.info("Customer deleted; their orders stay."),
                    Err(error) => ctx.fail(&error),
                }
                self.load(ctx);
            }
            _ => {}
        }
    }

    /// The footer.
    pub fn hints(&self, actor: Option<&Actor>) -> Vec<Hint> {
        if self.form.is_some() {
            return form::hints();
        }
        if self.deleting.is_some() {
            return vec![Hint {
                keys: "y",
                label: "yes, delete",
                enabled: true,
            }];
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
            !matches!(act, Act::New | Act::Edit | Act::Delete) || manage
        })
        .into_iter()
        .filter(|h| !h.keys.is_empty())
        .collect()
    }

    /// Drawing.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let [top, list] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
        let summary = format!("{} customer(s)", self.total);
        draw_search_bar(frame, top, &self.search, self.searching, summary);
        let rows: Vec<Row> = self
            .customers
            .iter()
            .map(|c| {
                Row::new(vec![
                    fit(c.name.as_str(), 24),
                    fit(c.email.as_str(), 24),
                    c.phone.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                    c.tax_id.as_ref().map(|t| t.formatted()).unwrap_or_default(),
                ])
            })
            .collect();
        let mut state = TableState::default()
            .with_selected((!self.customers.is_empty()).then_some(self.selected));
        let table = Table::new(
            rows,
            [
                Constraint::Min(18),
                Constraint::Length(24),
                Constraint::Length(14),
                Constraint::Length(18),
            ],
        )
        .header(
            Row::new(vec![
                t!("field-name"),
                t!("field-email"),
                t!("field-phone"),
                t!("field-tax-id"),
            ])
            .bold(),
        )
        .row_highlight_style(selected_style())
        .block(Block::bordered().title(" Customers "));
        frame.render_stateful_widget(table, list, &mut state);
        if let Some((form, _)) = &self.form {
            form.draw(frame, area);
        }
        if let Some(customer) = &self.deleting {
            let popup = centered(area, 54, 5);
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from(format!("Delete {}?", customer.name)).bold(),
                    Line::from("Their orders stay; they can no longer order."),
                    Line::from("y: yes, delete    any other key: no"),
                ])
                .block(Block::bordered().title(" Confirm ")),
                popup,
            );
        }
    }
}
