//! Picking a customer: type to search by name, e-mail or tax id, Enter picks, Ctrl-N creates one
//! without leaving.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use erp_core::domain::{Customer, CustomerQuery, PageRequest, SearchTerm};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table, TableState};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::app::Ctx;
use crate::msg::Msg;
use crate::t;
use crate::task::Task;
use crate::widgets::{centered, fit, selected_style};

/// What a key did to the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerEvent {
    /// Nothing to report.
    None,
    /// This customer was chosen.
    Picked(Box<Customer>),
    /// Create a new customer.
    New,
    /// Esc.
    Cancel,
}

/// The customer picker popup.
#[derive(Debug)]
pub struct Picker {
    /// The search text.
    pub input: Input,
    /// The latest results.
    pub results: Vec<Customer>,
    /// The highlighted result.
    pub selected: usize,
    seq: u64,
}

impl Picker {
    /// Opens the picker and lists the first customers.
    pub fn open(ctx: &mut Ctx) -> Picker {
        let mut picker = Picker {
            input: Input::default(),
            results: Vec::new(),
            selected: 0,
            seq: 0,
        };
        picker.search(ctx);
        picker
    }

    fn search(&mut self, ctx: &mut Ctx) {
        let Ok(term) = SearchTerm::parse(self.input.value()) else {
            return;
        };
        self.seq = ctx.next_seq();
        let seq = self.seq;
        let actor = ctx.actor();
        let query = CustomerQuery {
            search: term,
            include_deleted: false,
            page: PageRequest::first(8),
        };
        ctx.spawn(Task::new("finding customers", move |erp| async move {
            Msg::Customers(seq, erp.customers(&actor, &query).await)
        }));
    }

    /// Keys.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> PickerEvent {
        match key.code {
            KeyCode::Esc => PickerEvent::Cancel,
            KeyCode::Enter => match self.results.get(self.selected) {
                Some(customer) => PickerEvent::Picked(Box::new(customer.clone())),
                None => PickerEvent::None,
            },
            KeyCode::Char('n') if key.modifiers.contains(KeyModifiers::CONTROL) => PickerEvent::New,
            KeyCode::F(7) => PickerEvent::New,
            KeyCode::Up => {
                self.selected = self.selected.saturating_sub(1);
                PickerEvent::None
            }
            KeyCode::Down => {
                if self.selected + 1 < self.results.len() {
                    self.selected += 1;
                }
                PickerEvent::None
            }
            _ => {
                if self.input.handle_event(&Event::Key(key)).is_some() {
                    self.search(ctx);
                }
                PickerEvent::None
            }
        }
    }

    /// Takes results of its own latest search; returns whether they were its.
    pub fn on_results(
        &mut self,
        seq: u64,
        result: Result<Vec<Customer>, erp_core::Error>,
        ctx: &mut Ctx,
    ) -> bool {
        if seq != self.seq {
            return false;
        }
        match result {
            Ok(customers) => {
                self.results = customers;
                self.selected = 0;
            }
            Err(error) => ctx.fail(&error),
        }
        true
    }

    /// Drawing.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let popup = centered(area, 70, 14);
        frame.render_widget(Clear, popup);
        let block = Block::bordered().title(format!(" {} ", crate::t!("picker-title")));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let [input_area, list_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
        let width = usize::from(input_area.width.saturating_sub(9));
        frame.render_widget(
            Paragraph::new(Line::from(format!(
                "{}: {}",
                crate::t!("picker-search"),
                fit(self.input.value(), width)
            ))),
            input_area,
        );
        let cursor = u16::try_from(self.input.visual_cursor().min(width)).unwrap_or(0);
        frame.set_cursor_position((input_area.x + 8 + cursor, input_area.y));
        let rows: Vec<Row> = self
            .results
            .iter()
            .map(|c| {
                Row::new(vec![
                    fit(c.name.as_str(), 28),
                    fit(c.email.as_str(), 26),
                    c.tax_id.as_ref().map(|t| t.formatted()).unwrap_or_default(),
                ])
            })
            .collect();
        let mut state = TableState::default().with_selected(Some(self.selected));
        let table = Table::new(
            rows,
            [
                Constraint::Length(28),
                Constraint::Length(26),
                Constraint::Min(10),
            ],
        )
        .header(
            Row::new(vec![t!("field-name"), t!("field-email"), t!("col-tax-id")])
                .style(Style::new().bold()),
        )
        .row_highlight_style(selected_style());
        frame.render_stateful_widget(table, list_area, &mut state);
    }
}

/// The form for a new customer (used by the sale and the customers screen).
pub fn new_customer_form() -> crate::form::Form {
    crate::form::Form::new(
        t!("customer-new-title"),
        &[
            &t!("field-name"),
            &t!("field-email"),
            &t!("field-phone"),
            &t!("field-tax-id"),
        ],
    )
    .with_message(t!("customer-new-hint"))
}

/// Starts creating a customer from the form's values.
pub fn create_customer(values: &[String], ctx: &mut Ctx) -> Result<(), erp_core::Error> {
    let input = erp_core::input::CustomerInput {
        name: values[0].clone(),
        email: values[1].clone(),
        phone: Some(values[2].clone()),
        tax_id: Some(values[3].clone()),
    };
    let customer = input.parse()?;
    let actor = ctx.actor();
    ctx.spawn(Task::new("creating the customer", move |erp| async move {
        Msg::CustomerSaved(erp.create_customer(&actor, customer).await)
    }));
    Ok(())
}

/// The picker's keys, for the footer.
pub fn hints() -> Vec<crate::keys::Hint> {
    [("Enter", "choose"), ("^N", "new"), ("Esc", "close")]
        .into_iter()
        .map(|(keys, label)| crate::keys::Hint {
            keys,
            label,
            enabled: true,
        })
        .collect()
}
