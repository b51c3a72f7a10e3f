//! The checkout: the payment dialog (tenders by single keys, split tender, change shown large) and
//! the receipt shown once the sale is made.
//!
//! The dialog only collects tenders; erp-core's `settle` gives the change and refuses card or PIX
//! over the amount due, the same rule `sell_at_counter` applies when the sale is made.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use erp_core::domain::{Money, Tender, TenderLine, settle};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::cart::CartTender;
use crate::keys::{self, Binding, Hint, key};
use crate::widgets::centered;
use crate::{i18n, t};

/// What the payment dialog's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayAct {
    /// Type the amount of this tender.
    Tender(Tender),
    /// Add the typed amount; when the tenders cover the total, make the sale.
    Enter,
    /// Take the last tender off.
    Remove,
    /// Back to the cart (nothing is lost).
    Back,
}

/// The payment dialog's keys: one table for behaviour, footer and help.
pub const PAY_KEYS: &[Binding<PayAct>] = &[
    key(
        KeyCode::Char('c'),
        "c",
        "cash",
        PayAct::Tender(Tender::Cash),
    ),
    key(
        KeyCode::Char('d'),
        "d",
        "debit",
        PayAct::Tender(Tender::Debit),
    ),
    key(
        KeyCode::Char('r'),
        "r",
        "credit",
        PayAct::Tender(Tender::Credit),
    ),
    key(KeyCode::Char('p'), "p", "PIX", PayAct::Tender(Tender::Pix)),
    key(
        KeyCode::Char('o'),
        "o",
        "other",
        PayAct::Tender(Tender::Other),
    ),
    key(KeyCode::Enter, "Enter", "pay", PayAct::Enter),
    key(KeyCode::Delete, "Del", "undo", PayAct::Remove),
    key(KeyCode::Esc, "Esc", "back", PayAct::Back),
];

/// The keys of the dialog of a sale sent without a known answer (the same actions).
const RETRY_KEYS: &[Binding<PayAct>] = &[
    key(KeyCode::Enter, "Enter", "send again", PayAct::Enter),
    key(KeyCode::Esc, "Esc", "back", PayAct::Back),
];

/// What the dialog asks of the sale.
#[derive(Debug, PartialEq, Eq)]
pub enum PayEvent {
    /// Nothing yet.
    None,
    /// The tenders changed (the cart keeps them).
    Changed,
    /// Back to the cart.
    Back,
    /// Make the sale with these tenders.
    Pay(Vec<CartTender>),
}

/// A tender's name on screen.
pub fn tender_name(tender: Tender) -> String {
    t!(match tender {
        Tender::Cash => "tender-cash",
        Tender::Debit => "tender-debit",
        Tender::Credit => "tender-credit",
        Tender::Pix => "tender-pix",
        Tender::Other => "tender-other",
    })
}

/// The payment dialog.
#[derive(Debug, Clone)]
pub struct Payment {
    /// What the sale costs.
    pub due: Money,
    /// Tenders added so far.
    pub tenders: Vec<CartTender>,
    /// The tender being typed.
    pub tender: Tender,
    /// Its amount as typed.
    pub amount: Input,
    /// The amount was filled in by the till: the first key typed replaces it.
    fresh: bool,
    /// A problem with the tenders, or erp-core's answer.
    pub message: Option<String>,
    /// The sale is on its way: keys wait for the answer.
    pub sending: bool,
    /// These tenders were sent and the answer is not known: only the very same sale may go
    /// again (Enter), nothing changes.
    pub locked: bool,
    /// Money going back for a return: the tenders add up to exactly what is due back.
    pub refund: bool,
}

fn tender_line(t: &CartTender) -> Option<TenderLine> {
    TenderLine::new(t.tender()?, t.amount(), None).ok()
}

fn cents_text(amount: Money) -> String {
    match i18n::current() {
        i18n::Lang::PtBr => amount.to_string().replace('.', ","),
        i18n::Lang::En => amount.to_string(),
    }
}

impl Payment {
    /// A dialog for `due`, continuing `tenders` (kept with the cart).
    pub fn new(due: Money, tenders: Vec<CartTender>) -> Payment {
        let mut payment = Payment {
            due,
            tenders,
            tender: Tender::Cash,
            amount: Input::default(),
            fresh: true,
            message: None,
            sending: false,
            locked: false,
            refund: false,
        };
        payment.prefill();
        payment
    }

    /// The dialog of a sale sent without a known answer: `tenders` as sent, Enter sends them
    /// again, nothing else changes.
    pub fn retry(due: Money, tenders: Vec<CartTender>) -> Payment {
        let mut payment = Payment::new(due, tenders);
        payment.lock();
        payment.message = Some(t!("pay-retry-note"));
        payment
    }

    /// Nothing may change any more: the tenders were sent.
    pub fn lock(&mut self) {
        self.amount = Input::default();
        self.fresh = true;
        self.locked = true;
    }

    /// What the tenders added so far pay off.
    pub fn tendered(&self) -> Money {
        self.tenders
            .iter()
            .map(CartTender::amount)
            .fold(Money::ZERO, |a, b| a.checked_add(b).unwrap_or(a))
    }

    /// What is still due.
    pub fn remaining(&self) -> Money {
        Money::from_cents((self.due.cents() - self.tendered().cents()).max(0))
            .unwrap_or(Money::ZERO)
    }

    fn prefill(&mut self) {
        let remaining = self.remaining();
        self.amount = if remaining == Money::ZERO {
            Input::default()
        } else {
            Input::new(cents_text(remaining))
        };
        self.fresh = true;
    }

    /// The amount typed, if any and well formed.
    fn typed(&self) -> Result<Option<Money>, String> {
        let text = self.amount.value().trim();
        if text.is_empty() {
            return Ok(None);
        }
        match Money::parse(&i18n::money_input(text)) {
            Ok(m) if m == Money::ZERO => Ok(None),
            Ok(m) => Ok(Some(m)),
            Err(_) => Err(t!("pay-amount-invalid", text = text)),
        }
    }

    /// The tenders with the one being typed, as the sale would get them.
    fn with_typed(&self) -> Result<Vec<CartTender>, String> {
        let mut all = self.tenders.clone();
        if let Some(amount) = self.typed()? {
            all.push(CartTender {
                tender: self.tender.as_str().to_string(),
                cents: amount.cents(),
            });
        }
        Ok(all)
    }

    /// Paid and change so far, counting the amount being typed (erp-core's arithmetic), or why
    /// it cannot be taken.
    pub fn preview(&self) -> Result<(Money, Money), String> {
        let all = self.with_typed()?;
        let lines: Vec<TenderLine> = all.iter().filter_map(tender_line).collect();
        settle(self.due, &lines, false)
            .map(|s| (s.paid, s.change))
            .map_err(|e| crate::notice::explain(&e).text)
    }

    /// A key. While the sale is on its way, keys wait (a second Enter never sends it twice).
    pub fn on_key(&mut self, key: KeyEvent) -> PayEvent {
        if self.sending {
            return PayEvent::None;
        }
        if self.locked {
            return match keys::find(PAY_KEYS, &key) {
                Some(PayAct::Back) => PayEvent::Back,
                Some(PayAct::Enter) if !self.tenders.is_empty() => {
                    self.sending = true;
                    self.message = None;
                    PayEvent::Pay(self.tenders.clone())
                }
                _ => {
                    self.message = Some(t!("pay-locked"));
                    PayEvent::None
                }
            };
        }
        match keys::find(PAY_KEYS, &key) {
            Some(PayAct::Tender(tender)) => {
                self.tender = tender;
                self.message = None;
                if self.fresh || self.amount.value().is_empty() {
                    self.prefill();
                }
                PayEvent::None
            }
            Some(PayAct::Back) => PayEvent::Back,
            Some(PayAct::Remove) => {
                self.tenders.pop();
                self.message = None;
                self.prefill();
                PayEvent::Changed
            }
            Some(PayAct::Enter) => self.enter(),
            None => {
                let is_text = matches!(key.code, KeyCode::Char(c) if c.is_ascii_digit() || c == ',' || c == '.')
                    && !key.modifiers.contains(KeyModifiers::CONTROL);
                if is_text && self.fresh {
                    self.amount = Input::default();
                }
                if is_text
                    || matches!(
                        key.code,
                        KeyCode::Backspace | KeyCode::Left | KeyCode::Right
                    )
                {
                    self.amount.handle_event(&Event::Key(key));
                    self.fresh = false;
                    self.message = None;
                }
                PayEvent::None
            }
        }
    }

    fn enter(&mut self) -> PayEvent {
        let all = match self.with_typed() {
            Ok(all) => all,
            Err(message) => {
                self.message = Some(message);
                return PayEvent::None;
            }
        };
        if all.len() > erp_core::domain::NewCounterSale::MAX_TENDERS {
            self.message = Some(t!(
                "pay-too-many",
                max = erp_core::domain::NewCounterSale::MAX_TENDERS.to_string()
            ));
            return PayEvent::None;
        }
        let lines: Vec<TenderLine> = all.iter().filter_map(tender_line).collect();
        if let Err(error) = settle(self.due, &lines, false) {
            self.message = Some(crate::notice::explain(&error).text);
            return PayEvent::None;
        }
        if self.refund {
            let total = all.iter().map(|t| t.cents).sum::<i64>();
            if total > self.due.cents() {
                self.message = Some(t!("refund-over", amount = i18n::money(self.due)));
                return PayEvent::None;
            }
        }
        let covered = settle(self.due, &lines, true).is_ok();
        self.tenders = all;
        if covered && !self.tenders.is_empty() {
            self.sending = true;
            self.message = None;
            return PayEvent::Pay(self.tenders.clone());
        }
        // Part paid: the rest in cash unless another tender is chosen.
        self.tender = Tender::Cash;
        self.prefill();
        PayEvent::Changed
    }

    /// The footer.
    pub fn hints(&self) -> Vec<Hint> {
        if self.locked {
            return keys::hints(RETRY_KEYS, |_| !self.sending);
        }
        keys::hints(PAY_KEYS, |_| !self.sending)
            .into_iter()
            .map(|mut hint| {
                if self.refund && hint.label == "pay" {
                    hint.label = "refund";
                }
                hint
            })
            .collect()
    }

    /// Draws the dialog over `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let height = 15u16.saturating_add(u16::try_from(self.tenders.len()).unwrap_or(0));
        let popup = centered(area, 62, height);
        frame.render_widget(Clear, popup);
        let block = Block::bordered()
            .title(format!(
                " {} ",
                t!(if self.refund {
                    "refund-title"
                } else {
                    "pay-title"
                })
            ))
            .border_style(Style::new().fg(Color::Cyan))
            .bold();
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let [
            due_area,
            list_area,
            field_area,
            sums_area,
            _,
            change_area,
            message_area,
        ] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(u16::try_from(self.tenders.len()).unwrap_or(0)),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(4),
            Constraint::Min(1),
        ])
        .areas(inner);
        let width = usize::from(inner.width);
        let row = |label: String, value: String| {
            let pad = width.saturating_sub(label.chars().count() + value.chars().count() + 1);
            format!("{label}{}{value} ", " ".repeat(pad))
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                row(
                    t!(if self.refund { "refund-due" } else { "pay-due" }),
                    i18n::money(self.due),
                ),
                Style::new().bold().fg(Color::Yellow),
            )),
            due_area,
        );
        let listed: Vec<Line> = self
            .tenders
            .iter()
            .map(|t| {
                let name = t.tender().map_or_else(|| t.tender.clone(), tender_name);
                Line::from(row(format!("  {name}"), i18n::money(t.amount())))
            })
            .collect();
        frame.render_widget(Paragraph::new(listed), list_area);
        let label = format!("{:<14}", format!("{}:", tender_name(self.tender)));
        let field_width = 14usize;
        let shown: String = self.amount.value().chars().take(field_width).collect();
        let field_style = if self.sending {
            Style::new().underlined()
        } else {
            Style::new().reversed()
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!("> {label}"), Style::new().bold()),
                Span::styled(format!("{shown:>field_width$}"), field_style),
            ])),
            field_area,
        );
        let preview = self.preview();
        let (paid, change) = preview.clone().unwrap_or((self.tendered(), Money::ZERO));
        let remaining =
            Money::from_cents((self.due.cents() - paid.cents()).max(0)).unwrap_or(Money::ZERO);
        frame.render_widget(
            Paragraph::new(format!(
                "{}   {}",
                t!("pay-paid", amount = i18n::money(paid)),
                t!("pay-remaining", amount = i18n::money(remaining))
            )),
            sums_area,
        );
        let change_style = Style::new().fg(Color::Green).add_modifier(Modifier::BOLD);
        let mut change_lines = vec![Line::from(Span::styled(
            t!("pay-change", amount = i18n::money(change)),
            change_style,
        ))];
        for big in big_digits(&cents_text(change)) {
            change_lines.push(Line::from(Span::styled(format!("   {big}"), change_style)));
        }
        if !self.refund {
            frame.render_widget(Paragraph::new(change_lines), change_area);
        }
        let message = if self.sending {
            Some(
                Line::from(t!(if self.refund {
                    "refund-sending"
                } else {
                    "pay-sending"
                }))
                .fg(Color::Cyan),
            )
        } else if let Some(message) = &self.message {
            Some(Line::from(message.as_str()).fg(Color::Red).bold())
        } else if let Err(problem) = preview {
            Some(Line::from(problem).fg(Color::Red))
        } else {
            None
        };
        if let Some(message) = message {
            frame.render_widget(
                Paragraph::new(message).wrap(ratatui::widgets::Wrap { trim: true }),
                message_area,
            );
        }
    }
}

/// `12,60` in digits three lines tall (seven-segment style), so the change reads from across the
/// counter.
pub fn big_digits(text: &str) -> [String; 3] {
    let mut rows = [String::new(), String::new(), String::new()];
    for c in text.chars() {
        let glyph: [&str; 3] = match c {
            '0' => [" _ ", "| |", "|_|"],
            '1' => ["   ", "  |", "  |"],
            '2' => [" _ ", " _|", "|_ "],
            '3' => [" _ ", " _|", " _|"],
            '4' => ["   ", "|_|", "  |"],
            '5' => [" _ ", "|_ ", " _|"],
            '6' => [" _ ", "|_ ", "|_|"],
            '7' => [" _ ", "  |", "  |"],
            '8' => [" _ ", "|_|", "|_|"],
            '9' => [" _ ", "|_|", " _|"],
            ',' => ["  ", "  ", " ,"],
            '.' => ["  ", "  ", " ."],
            _ => continue,
        };
        for (row, part) in rows.iter_mut().zip(glyph) {
            row.push_str(part);
            row.push(' ');
        }
    }
    rows
}

/// What the receipt view's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptAct {
    /// Scroll up.
    Up,
    /// Scroll down.
    Down,
    /// Print it again.
    Print,
    /// Close it: on to the next sale.
    Close,
}

/// The receipt view's keys.
pub const RECEIPT_KEYS: &[Binding<ReceiptAct>] = &[
    key(KeyCode::Enter, "Enter", "next sale", ReceiptAct::Close),
    key(KeyCode::Esc, "", "", ReceiptAct::Close),
    key(KeyCode::Up, "↑↓", "scroll", ReceiptAct::Up),
    key(KeyCode::Down, "", "", ReceiptAct::Down),
    key(KeyCode::Char('p'), "p", "print", ReceiptAct::Print),
];

/// A receipt (or report) shown as the paper would print it.
#[derive(Debug, Clone)]
pub struct Slip {
    /// The title of the popup.
    pub title: String,
    /// The text, one line per printed line.
    pub lines: Vec<String>,
    /// The first line shown.
    pub scroll: usize,
    /// A printer is set up.
    pub printable: bool,
    /// The receipt shown, printed again with `p` (a report prints as its text).
    pub receipt: Option<erp_core::receipt::ReceiptDocument>,
    /// What Enter does, for the footer: `next sale` after a receipt, `close` for a report.
    pub enter_label: &'static str,
}

impl Slip {
    /// A slip of `text`.
    pub fn new(title: impl Into<String>, text: &str, printable: bool) -> Slip {
        Slip {
            title: title.into(),
            lines: text.lines().map(str::to_string).collect(),
            scroll: 0,
            printable,
            receipt: None,
            enter_label: "close",
        }
    }

    /// A key; returns the action taken.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<ReceiptAct> {
        let act = keys::find(RECEIPT_KEYS, &key)?;
        match act {
            ReceiptAct::Up => self.scroll = self.scroll.saturating_sub(1),
            ReceiptAct::Down => {
                if self.scroll + 1 < self.lines.len() {
                    self.scroll += 1;
                }
            }
            ReceiptAct::Print | ReceiptAct::Close => {}
        }
        Some(act)
    }

    /// The footer.
    pub fn hints(&self) -> Vec<Hint> {
        keys::hints(RECEIPT_KEYS, |act| {
            act != ReceiptAct::Print || self.printable
        })
        .into_iter()
        .filter(|h| !h.keys.is_empty())
        .map(|mut hint| {
            // Enter goes on to the next sale after a sale's receipt, else it closes the slip.
            if hint.keys == "Enter" {
                hint.label = self.enter_label;
            }
            hint
        })
        .collect()
    }

    /// Draws the slip centred over `area`, as tall as it fits.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let width = self
            .lines
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(32)
            .max(self.title.chars().count() + 2);
        let width = u16::try_from(width + 4).unwrap_or(52);
        let popup = centered(area, width, area.height);
        frame.render_widget(Clear, popup);
        let block = Block::bordered()
            .title(format!(" {} ", self.title))
            .border_style(Style::new().fg(Color::Cyan));
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let rows = usize::from(inner.height);
        let start = self.scroll.min(self.lines.len().saturating_sub(rows));
        let shown: Vec<Line> = self
            .lines
            .iter()
            .skip(start)
            .take(rows)
            .map(|l| Line::from(format!(" {l}")))
            .collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn typed(payment: &mut Payment, text: &str) -> PayEvent {
        let mut last = PayEvent::None;
        for c in text.chars() {
            last = payment.on_key(press(KeyCode::Char(c)));
        }
        last
    }

    #[test]
    fn cash_over_the_total_gives_change_and_pays_once() {
        i18n::set(i18n::Lang::En);
        let mut payment = Payment::new(money("37.40"), Vec::new());
        assert_eq!(payment.amount.value(), "37.40", "cash is prefilled");
        typed(&mut payment, "50");
        assert_eq!(payment.preview(), Ok((money("37.40"), money("12.60"))));
        let paid = payment.on_key(press(KeyCode::Enter));
        assert_eq!(
            paid,
            PayEvent::Pay(vec![CartTender {
                tender: "cash".into(),
                cents: 5000
            }])
        );
        assert_eq!(
            payment.on_key(press(KeyCode::Enter)),
            PayEvent::None,
            "a second Enter waits for the answer"
        );
    }

    #[test]
    fn split_tender_fills_the_rest_in_cash_and_refuses_card_over_the_total() {
        i18n::set(i18n::Lang::En);
        let mut payment = Payment::new(money("37.40"), Vec::new());
        payment.on_key(press(KeyCode::Char('p')));
        typed(&mut payment, "20");
        assert_eq!(payment.on_key(press(KeyCode::Enter)), PayEvent::Changed);
        assert_eq!(payment.tender, Tender::Cash);
        assert_eq!(payment.amount.value(), "17.40");
        payment.on_key(press(KeyCode::Char('d')));
        typed(&mut payment, "30");
        assert_eq!(payment.on_key(press(KeyCode::Enter)), PayEvent::None);
        assert!(payment.message.is_some(), "debit over what is due");
        assert_eq!(payment.tenders.len(), 1);
        payment.on_key(press(KeyCode::Delete));
        assert!(payment.tenders.is_empty());
    }

    #[test]
    fn a_malformed_amount_is_refused() {
        i18n::set(i18n::Lang::En);
        let mut payment = Payment::new(money("5.00"), Vec::new());
        typed(&mut payment, "1.2.3");
        assert_eq!(payment.on_key(press(KeyCode::Enter)), PayEvent::None);
        assert!(payment.message.is_some());
    }

    #[test]
    fn big_digits_have_three_rows_of_equal_width() {
        let rows = big_digits("12,60");
        assert_eq!(rows[2], "  | |_   , |_| |_| ");
        assert!(
            rows.iter()
                .all(|r| r.chars().count() == rows[0].chars().count())
        );
    }
}
