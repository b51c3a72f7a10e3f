//! A return from a delivered order's detail (`r`): pick lines and quantities (never more than
//! sold minus returned: erp-core enforces it, the screen shows it), restock or write off with a
//! reason, the refund's tenders, a manager's approval, then the return receipt.
//!
//! The return goes through `Erp::record_return` under an idempotency key made for the order and
//! kept until erp-core answers with the return made: a double Enter, a retry after an error,
//! closing and opening the return again, or a restart of the till within a day (the key is kept
//! in a file next to the register's carts, `crate::return_keys`) sends the same key, and erp-core
//! replays (or, if what is asked changed, refuses with a conflict) instead of taking the goods
//! back twice.

use crossterm::event::{KeyCode, KeyEvent};
use erp_core::domain::{Money, Order, OrderStatus, Permission, Tender};
use erp_core::input::{ApproverInput, ReturnInput, ReturnLineInput, TenderInput};
use erp_core::receipt::ReceiptDocument;
use erp_core::{Error, domain::ReturnOutcome};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table, TableState};

use super::checkout::{PayEvent, Payment, ReceiptAct, Slip};
use crate::app::Ctx;
use crate::cart::CartTender;
use crate::form::{Form, FormEvent};
use crate::keys::{self, Binding, Hint, key};
use crate::msg::Msg;
use crate::return_keys::ReturnKeys;
use crate::task::Task;
use crate::widgets::{centered, fit, selected_style};
use crate::{i18n, t};

/// A return made: what erp-core recorded, the order as it is now, and the receipt.
#[derive(Debug)]
pub struct Returned {
    /// The return.
    pub outcome: ReturnOutcome,
    /// The order after it.
    pub order: Order,
    /// The return receipt.
    pub receipt: ReceiptDocument,
}

/// A return's answer that reached no return flow waiting for it (the cashier went elsewhere, or
/// opened the return again, before it came). A return made is said, its receipt printed and
/// given back to show, and its key ends (kept, it would make the next identical return of the
/// order a replay of this one). Any other answer is said, and the key kept for a retry.
pub fn answered_elsewhere(
    key: &str,
    result: Result<Box<Returned>, Error>,
    ctx: &mut Ctx,
) -> Option<Box<Slip>> {
    match result {
        Ok(returned) => {
            let keys = ctx.return_keys.clone();
            let (_, slip) = made(*returned, key, &keys, ctx);
            Some(Box::new(slip))
        }
        Err(error) => {
            ctx.fail(&error);
            None
        }
    }
}

/// A return made under `key`: the key is done with, the return is said, its receipt printed, and
/// the order after it and the receipt's slip are given back.
fn made(returned: Returned, key: &str, keys: &ReturnKeys, ctx: &mut Ctx) -> (Order, Slip) {
    let Returned {
        outcome,
        order,
        receipt,
    } = returned;
    keys.forget(order.id.get(), key);
    let back = &outcome.sale_return;
    ctx.info(t!(
        if outcome.replayed {
            "return-made-replayed"
        } else {
            "return-made"
        },
        id = back.id.to_string(),
        order = order.id.to_string(),
        refund = i18n::money(back.refund_total)
    ));
    let layout = erp_core::receipt::ReceiptLayout::new(ctx.till.paper, i18n::current());
    let text = receipt.render_text(layout);
    super::sale::print(&receipt, ctx);
    let mut slip = Slip::new(
        t!("return-receipt-title", id = back.id.to_string()),
        &text,
        ctx.till.printer.is_some(),
    );
    slip.receipt = Some(receipt);
    (order, slip)
}

/// One order line in the return.
#[derive(Clone, Debug)]
pub struct BackLine {
    /// The line's SKU.
    pub sku: String,
    /// The product's name.
    pub name: String,
    /// Units sold.
    pub sold: u32,
    /// Units returned before.
    pub returned: u32,
    /// Units coming back now.
    pub back: u32,
    /// Written off with this reason (None: back to stock).
    pub write_off: Option<String>,
}

impl BackLine {
    /// What may still come back.
    pub fn returnable(&self) -> u32 {
        self.sold.saturating_sub(self.returned)
    }
}

/// Where the return is.
#[derive(Debug)]
pub enum Step {
    /// Choosing lines and quantities.
    Lines,
    /// Typing the write-off reason of a line.
    Reason(Form),
    /// The refund's tenders.
    Refund(Payment),
    /// A manager's login (the tenders chosen).
    Approval(Form, Vec<CartTender>),
    /// Sent, waiting for erp-core (the tenders sent).
    Sending(Vec<CartTender>),
    /// The return receipt.
    Receipt(Box<Slip>),
}

/// What the lines step's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackAct {
    /// Previous line.
    Up,
    /// Next line.
    Down,
    /// One more unit back.
    More,
    /// One less.
    Less,
    /// Restock or write off.
    WriteOff,
    /// On to the refund.
    Next,
    /// Close without returning.
    Close,
}

/// The lines step's keys.
pub const BACK_KEYS: &[Binding<BackAct>] = &[
    key(KeyCode::Up, "↑↓", "line", BackAct::Up),
    key(KeyCode::Down, "", "", BackAct::Down),
    key(KeyCode::Char('+'), "+/-", "qty", BackAct::More),
    key(KeyCode::Char('-'), "", "", BackAct::Less),
    key(KeyCode::Char('w'), "w", "write off", BackAct::WriteOff),
    key(KeyCode::Enter, "Enter", "refund", BackAct::Next),
    key(KeyCode::Esc, "Esc", "back", BackAct::Close),
];

/// A return being made.
#[derive(Debug)]
pub struct ReturnFlow {
    /// The order, as read when the return opened.
    pub order: Order,
    /// The return's idempotency key.
    pub key: String,
    /// Its lines.
    pub lines: Vec<BackLine>,
    /// The highlighted line.
    pub line: usize,
    /// The step.
    pub step: Step,
    /// What went wrong last.
    pub message: Option<String>,
    keys: ReturnKeys,
}

/// Whether the return is still open after a key.
pub enum Open {
    /// Keep it.
    Yes,
    /// Closed (and, if the order changed, it should be read again).
    Closed,
}

impl ReturnFlow {
    /// A return of `order`, if it may have one: a DELIVERED order with units not yet returned.
    pub fn open(order: &Order, ctx: &mut Ctx) -> Option<ReturnFlow> {
        if order.status != OrderStatus::Delivered {
            ctx.notice = Some(crate::notice::Notice::error(t!(
                "return-not-delivered",
                id = order.id.to_string(),
                status = i18n::status(order.status)
            )));
            return None;
        }
        if !ctx.can(Permission::CreateOrder) {
            ctx.fail(&Error::Forbidden {
                role: ctx.actor().role(),
                action: Permission::CreateOrder,
            });
            return None;
        }
        let lines: Vec<BackLine> = order
            .lines
            .iter()
            .map(|l| BackLine {
                sku: l.sku.to_string(),
                name: l.product_name.to_string(),
                sold: l.quantity.get(),
                returned: l.returned,
                back: 0,
                write_off: None,
            })
            .collect();
        if lines.iter().all(|l| l.returnable() == 0) {
            ctx.notice = Some(crate::notice::Notice::error(t!(
                "return-nothing-left",
                id = order.id.to_string()
            )));
            return None;
        }
        let keys = ctx.return_keys.clone();
        Some(ReturnFlow {
            key: keys.key_for(order.id.get()),
            order: order.clone(),
            lines,
            line: 0,
            step: Step::Lines,
            message: None,
            keys,
        })
    }

    /// Whether typed text goes into a field.
    pub fn typing(&self) -> bool {
        matches!(
            self.step,
            Step::Reason(_) | Step::Refund(_) | Step::Approval(..)
        )
    }

    /// What the chosen units may refund at most (erp-core's rule).
    pub fn refundable(&self) -> Money {
        let returning: Vec<u32> = self.lines.iter().map(|line| line.back).collect();
        self.order.refund_cap(&returning)
    }

    /// A key.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Open {
        let step = std::mem::replace(&mut self.step, Step::Lines);
        self.step = match step {
            Step::Lines => return self.on_lines_key(key, ctx),
            Step::Reason(mut form) => match form.on_key(key) {
                FormEvent::Cancel => Step::Lines,
                FormEvent::None => Step::Reason(form),
                FormEvent::Submit(values) => {
                    let reason = values[0].trim().to_string();
                    match erp_core::domain::Reason::parse(&reason) {
                        Ok(_) => {
                            if let Some(line) = self.lines.get_mut(self.line) {
                                line.write_off = Some(reason);
                            }
                            Step::Lines
                        }
                        Err(error) => {
                            form.message = Some(error.to_string());
                            Step::Reason(form)
                        }
                    }
                }
            },
            Step::Refund(mut payment) => match payment.on_key(key) {
                PayEvent::Back => Step::Lines,
                PayEvent::Pay(tenders) => self.approve_or_send(tenders, ctx),
                PayEvent::Changed | PayEvent::None => Step::Refund(payment),
            },
            Step::Approval(mut form, tenders) => match form.on_key(key) {
                FormEvent::Cancel => self.refund_step(tenders),
                FormEvent::None => Step::Approval(form, tenders),
                FormEvent::Submit(values) => {
                    let approver = ApproverInput {
                        username: values[0].trim().to_string(),
                        password: values[1].clone(),
                    };
                    self.send(tenders, Some(approver), ctx)
                }
            },
            // A second Enter waits for the answer.
            sending @ Step::Sending(_) => sending,
            Step::Receipt(mut slip) => match slip.on_key(key) {
                Some(ReceiptAct::Close) => return Open::Closed,
                Some(ReceiptAct::Print) => {
                    if let Some(receipt) = &slip.receipt {
                        super::sale::print(receipt, ctx);
                    }
                    Step::Receipt(slip)
                }
                _ => Step::Receipt(slip),
            },
        };
        Open::Yes
    }

    fn on_lines_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Open {
        self.message = None;
        match keys::find(BACK_KEYS, &key) {
            Some(BackAct::Up) => self.line = self.line.saturating_sub(1),
            Some(BackAct::Down) if self.line + 1 < self.lines.len() => self.line += 1,
            Some(BackAct::Down) => {}
            Some(BackAct::More) => {
                if let Some(line) = self.lines.get_mut(self.line) {
                    if line.back < line.returnable() {
                        line.back += 1;
                    } else {
                        self.message = Some(t!(
                            "return-at-most",
                            sku = line.sku.as_str(),
                            returnable = line.returnable()
                        ));
                    }
                }
            }
            Some(BackAct::Less) => {
                if let Some(line) = self.lines.get_mut(self.line) {
                    line.back = line.back.saturating_sub(1);
                }
            }
            Some(BackAct::WriteOff) => {
                if let Some(line) = self.lines.get_mut(self.line)
                    && line.write_off.take().is_none()
                {
                    let form = Form::new(
                        t!("return-reason-title", sku = line.sku.as_str()),
                        &[&t!("return-reason")],
                    )
                    .with_message(t!("return-reason-hint"));
                    self.step = Step::Reason(form);
                }
            }
            Some(BackAct::Next) => {
                if self.lines.iter().all(|l| l.back == 0) {
                    self.message = Some(t!("return-pick-lines"));
                } else if self.refundable() == Money::ZERO {
                    // Nothing was paid for these units: nothing goes back but the goods.
                    self.step = self.approve_or_send(Vec::new(), ctx);
                } else {
                    self.step = self.refund_step(Vec::new());
                }
            }
            Some(BackAct::Close) => return Open::Closed,
            None => {}
        }
        Open::Yes
    }

    fn refund_step(&self, tenders: Vec<CartTender>) -> Step {
        let mut payment = Payment::new(self.refundable(), tenders);
        payment.refund = true;
        Step::Refund(payment)
    }

    /// A manager approves every return: a manager at the till approves their own, anyone else
    /// is asked for a manager's login on the spot.
    fn approve_or_send(&mut self, tenders: Vec<CartTender>, ctx: &mut Ctx) -> Step {
        if ctx.can(Permission::Supervise) {
            self.send(tenders, None, ctx)
        } else {
            Step::Approval(approval_form(), tenders)
        }
    }

    fn input(&self, tenders: &[CartTender], approver: Option<ApproverInput>) -> ReturnInput {
        ReturnInput {
            lines: self
                .lines
                .iter()
                .filter(|l| l.back > 0)
                .map(|l| ReturnLineInput {
                    sku: l.sku.clone(),
                    quantity: i64::from(l.back),
                    write_off: l.write_off.is_some(),
                    reason: l.write_off.clone(),
                })
                .collect(),
            refunds: tenders
                .iter()
                .map(|t| TenderInput {
                    tender: t.tender.clone(),
                    amount: t.amount().to_string(),
                    reference: None,
                })
                .collect(),
            register_id: None,
            note: None,
            approver,
        }
    }

    fn send(
        &mut self,
        tenders: Vec<CartTender>,
        approver: Option<ApproverInput>,
        ctx: &mut Ctx,
    ) -> Step {
        let input = self.input(&tenders, approver);
        if let Err(error) = input.parse(self.order.id, &self.key) {
            self.message = Some(crate::notice::explain(&error).text);
            return Step::Lines;
        }
        let cash = tenders.iter().any(|t| t.tender() == Some(Tender::Cash));
        let order_id = self.order.id;
        let key = self.key.clone();
        let actor = ctx.actor();
        let register = ctx.till.register.clone();
        ctx.spawn(Task::new("recording the return", move |erp| async move {
            let result = async {
                let mut input = input;
                // Cash goes back out of this till's drawer: its open session (erp-core checks
                // it is open, the cashier's, and holds the cash). Other tenders need no drawer.
                if cash {
                    let registers = erp.registers(&actor).await?;
                    let found = registers
                        .iter()
                        .find(|r| r.code.as_str() == register)
                        .ok_or_else(|| Error::not_found("register", &register))?;
                    input.register_id = Some(found.id.get());
                }
                let request = input.parse(order_id, &key)?;
                let outcome = erp.record_return(&actor, &request).await?;
                let order = erp.order(&actor, order_id).await?;
                let receipt = super::receipts::return_receipt(
                    &erp,
                    &actor,
                    &order,
                    &outcome.sale_return,
                    outcome.replayed,
                )
                .await?;
                Ok(Box::new(Returned {
                    outcome,
                    order,
                    receipt,
                }))
            }
            .await;
            Msg::Returned(key, result)
        }));
        Step::Sending(tenders)
    }

    /// erp-core's answer. Returns the order as it is now once the return is made.
    pub fn on_answer(
        &mut self,
        key: &str,
        result: Result<Box<Returned>, Error>,
        ctx: &mut Ctx,
    ) -> Option<Order> {
        if key != self.key {
            return None;
        }
        let step = std::mem::replace(&mut self.step, Step::Lines);
        let Step::Sending(tenders) = step else {
            self.step = step;
            return None;
        };
        match result {
            Ok(returned) => {
                let (order, mut slip) = made(*returned, &self.key, &self.keys, ctx);
                slip.enter_label = "back";
                self.step = Step::Receipt(Box::new(slip));
                Some(order)
            }
            Err(Error::ApprovalRequired { reason }) => {
                let mut form = approval_form();
                form.message = Some(t!("approval-why", reason = reason));
                self.step = Step::Approval(form, tenders);
                None
            }
            Err(Error::ReturnRequestConflict { return_id, .. }) => {
                // Under this key a return was made already, with other lines or tenders (sent
                // before, its answer lost). The next return gets a key of its own, once a person
                // has looked.
                self.keys.forget(self.order.id.get(), &self.key);
                self.key = self.keys.key_for(self.order.id.get());
                self.message = Some(t!("return-conflict", id = return_id.to_string()));
                None
            }
            Err(error) => {
                let text = crate::notice::explain(&error).text;
                ctx.fail(&error);
                if tenders.is_empty() {
                    self.message = Some(text);
                } else {
                    let mut step = self.refund_step(tenders);
                    if let Step::Refund(payment) = &mut step {
                        payment.message = Some(text);
                    }
                    self.step = step;
                }
                None
            }
        }
    }

    /// Whether this flow sent the return under `key` and waits for its answer.
    pub fn awaits(&self, key: &str) -> bool {
        self.key == key && matches!(self.step, Step::Sending(_))
    }

    /// The footer.
    pub fn hints(&self) -> Vec<Hint> {
        match &self.step {
            Step::Lines => keys::hints(BACK_KEYS, |_| true)
                .into_iter()
                .filter(|h| !h.keys.is_empty())
                .collect(),
            Step::Reason(_) | Step::Approval(..) => crate::form::hints(),
            Step::Refund(payment) => payment.hints(),
            Step::Sending(_) => Vec::new(),
            Step::Receipt(slip) => slip.hints(),
        }
    }

    /// Draws the return over `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let popup = centered(area, 76, area.height);
        frame.render_widget(Clear, popup);
        let block = Block::bordered()
            .title(format!(
                " {} ",
                t!("return-title", id = self.order.id.to_string())
            ))
            .border_style(Style::new().fg(Color::Cyan));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let [table_area, sums_area, message_area] = Layout::vertical([
            Constraint::Min(3),
            Constraint::Length(1),
            Constraint::Length(2),
        ])
        .areas(inner);
        let rows: Vec<Row> = self
            .lines
            .iter()
            .map(|l| {
                let goes = match &l.write_off {
                    Some(reason) => t!("return-write-off", reason = reason.as_str()),
                    None => t!("return-restock"),
                };
                let style = if l.returnable() == 0 {
                    Style::new().fg(Color::DarkGray)
                } else if l.back > 0 {
                    Style::new().bold()
                } else {
                    Style::new()
                };
                Row::new(vec![
                    l.sku.clone(),
                    fit(&l.name, 18),
                    format!("{:>5}", l.sold),
                    format!("{:>5}", l.returnable()),
                    format!("{:>5}", l.back),
                    fit(&goes, 22),
                ])
                .style(style)
            })
            .collect();
        let mut state = TableState::default().with_selected(Some(self.line));
        frame.render_stateful_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(13),
                    Constraint::Min(10),
                    Constraint::Length(5),
                    Constraint::Length(5),
                    Constraint::Length(5),
                    Constraint::Length(22),
                ],
            )
            .header(
                Row::new(vec![
                    t!("col-sku"),
                    t!("col-product"),
                    format!("{:>5}", t!("col-sold")),
                    format!("{:>5}", t!("col-returnable")),
                    format!("{:>5}", t!("col-back")),
                    t!("col-goes"),
                ])
                .bold(),
            )
            .row_highlight_style(selected_style()),
            table_area,
            &mut state,
        );
        frame.render_widget(
            Paragraph::new(t!("return-refundable", amount = i18n::money(self.refundable())).bold()),
            sums_area,
        );
        let message = match (&self.step, &self.message) {
            (Step::Sending(_), _) => Some(Line::from(t!("return-sending")).fg(Color::Cyan)),
            (_, Some(message)) => Some(Line::from(message.as_str()).fg(Color::Red).bold()),
            _ => None,
        };
        if let Some(message) = message {
            frame.render_widget(
                Paragraph::new(message).wrap(ratatui::widgets::Wrap { trim: true }),
                message_area,
            );
        }
        match &self.step {
            Step::Reason(form) | Step::Approval(form, _) => form.draw(frame, area),
            Step::Refund(payment) => payment.draw(frame, area),
            Step::Receipt(slip) => slip.draw(frame, area),
            Step::Lines | Step::Sending(_) => {}
        }
    }
}

fn approval_form() -> Form {
    Form::new(
        t!("approval-title"),
        &[&t!("approval-user"), &t!("approval-password")],
    )
    .with_masked(1)
    .with_message(t!("return-approval-why"))
}
