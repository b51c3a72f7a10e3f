//! Orders: a list that refreshes itself (orders from other tills and the REST server appear within
//! about two seconds), filters by status and customer, and one order's detail with the moves its
//! state and the user's role allow.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent};
use erp_core::Actor;
use erp_core::domain::{
    Customer, CustomerId, Order, OrderId, OrderQuery, OrderStatus, PageRequest, Permission,
    StatusChange,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table, TableState};

use super::checkout::{ReceiptAct, Slip};
use super::picker::{Picker, PickerEvent};
use super::returns::{Open, ReturnFlow};
use crate::app::{Ctx, Go};
use crate::form::{Form, FormEvent};
use crate::keys::{self, Binding, Hint, key};
use crate::msg::Msg;
use crate::task::Task;
use crate::widgets::{centered, fit, selected_style};
use crate::{i18n, t};

/// Ticks (about a second each) between refreshes.
const REFRESH_TICKS: u64 = 2;

/// What the list's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListAct {
    /// Open the highlighted order.
    Open,
    /// Previous order.
    Up,
    /// Next order.
    Down,
    /// Cycle the status filter.
    Status,
    /// Filter by a customer.
    Customer,
    /// Clear the filters.
    Clear,
    /// Print an order's receipt again, by its number.
    Reprint,
}

const LIST_KEYS: &[Binding<ListAct>] = &[
    key(KeyCode::Enter, "Enter", "open", ListAct::Open),
    key(KeyCode::Up, "↑↓", "move", ListAct::Up),
    key(KeyCode::Down, "", "", ListAct::Down),
    key(KeyCode::Char('s'), "s", "status filter", ListAct::Status),
    key(
        KeyCode::Char('c'),
        "c",
        "customer filter",
        ListAct::Customer,
    ),
    key(KeyCode::Char('x'), "x", "clear filters", ListAct::Clear),
    key(KeyCode::Char('#'), "#", "reprint", ListAct::Reprint),
];

/// What the detail's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailAct {
    /// Move to this status.
    Move(OrderStatus),
    /// Previous line.
    Up,
    /// Next line.
    Down,
    /// Take goods back (a delivered order).
    Return,
    /// Print the order's receipt again.
    Reprint,
    /// Back to the list.
    Back,
}

const DETAIL_KEYS: &[Binding<DetailAct>] = &[
    key(
        KeyCode::Char('c'),
        "c",
        "confirm",
        DetailAct::Move(OrderStatus::Confirmed),
    ),
    key(
        KeyCode::Char('p'),
        "p",
        "pick",
        DetailAct::Move(OrderStatus::Picked),
    ),
    key(
        KeyCode::Char('s'),
        "s",
        "ship",
        DetailAct::Move(OrderStatus::Shipped),
    ),
    key(
        KeyCode::Char('d'),
        "d",
        "deliver",
        DetailAct::Move(OrderStatus::Delivered),
    ),
    key(
        KeyCode::Char('x'),
        "x",
        "cancel order",
        DetailAct::Move(OrderStatus::Cancelled),
    ),
    key(KeyCode::Char('r'), "r", "return", DetailAct::Return),
    key(KeyCode::Char('#'), "#", "reprint", DetailAct::Reprint),
    key(KeyCode::Up, "↑↓", "lines", DetailAct::Up),
    key(KeyCode::Down, "", "", DetailAct::Down),
    key(KeyCode::Esc, "Esc", "back", DetailAct::Back),
];

/// One order opened.
#[derive(Debug)]
pub struct Detail {
    /// The order.
    pub order: Order,
    /// Its history.
    pub history: Vec<StatusChange>,
    /// Its customer.
    pub customer: Customer,
    /// Asking "cancel this order?".
    pub confirming_cancel: bool,
    /// A change is on its way.
    pub moving: bool,
    /// The highlighted line (the lines scroll).
    pub line: usize,
    /// A return being made.
    pub ret: Option<ReturnFlow>,
}

/// The orders screen.
#[derive(Debug)]
pub struct Orders {
    /// The current page, newest first.
    pub orders: Vec<Order>,
    /// How many orders match.
    pub total: u64,
    /// Customer names by id.
    pub names: HashMap<i64, String>,
    /// The highlighted order.
    pub selected: usize,
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Only this customer.
    pub customer: Option<(CustomerId, String)>,
    /// The open order.
    pub detail: Option<Detail>,
    /// Picking a customer for the filter.
    pub picker: Option<Picker>,
    /// Asking which order's receipt to print again.
    pub reprint: Option<Form>,
    /// A receipt printed again, shown.
    pub slip: Option<Box<Slip>>,
    seq: u64,
    ticks: u64,
    opening: Option<OrderId>,
}

/// Whether `actor` may move an order to `to`.
pub fn allowed(actor: Option<&Actor>, to: OrderStatus) -> bool {
    actor.is_some_and(|a| a.can(to.permission_to_enter()))
}

fn status_color(status: OrderStatus) -> Color {
    match status {
        OrderStatus::Pending => Color::Yellow,
        OrderStatus::Confirmed | OrderStatus::Picked => Color::Cyan,
        OrderStatus::Shipped | OrderStatus::Delivered => Color::Green,
        OrderStatus::Cancelled => Color::DarkGray,
    }
}

impl Orders {
    /// The list, loading.
    pub fn new(ctx: &mut Ctx) -> Orders {
        let mut orders = Orders {
            orders: Vec::new(),
            total: 0,
            names: HashMap::new(),
            selected: 0,
            status: None,
            customer: None,
            detail: None,
            picker: None,
            reprint: None,
            slip: None,
            seq: 0,
            ticks: 0,
            opening: None,
        };
        orders.load(ctx);
        orders
    }

    /// Whether typed text goes into a field.
    pub fn typing(&self) -> bool {
        self.picker.is_some()
            || self.reprint.is_some()
            || self
                .detail
                .as_ref()
                .and_then(|d| d.ret.as_ref())
                .is_some_and(ReturnFlow::typing)
    }

    /// Whether an order is open.
    pub fn detail_open(&self) -> bool {
        self.detail.is_some()
    }

    fn load(&mut self, ctx: &mut Ctx) {
        self.seq = ctx.next_seq();
        let seq = self.seq;
        let actor = ctx.actor();
        let query = OrderQuery {
            status: self.status,
            customer_id: self.customer.as_ref().map(|(id, _)| *id),
            page: PageRequest::first(100),
            ..OrderQuery::default()
        };
        let known: Vec<i64> = self.names.keys().copied().collect();
        ctx.spawn(Task::new("loading orders", move |erp| async move {
            let page = match erp.orders(&actor, &query).await {
                Ok(page) => page,
                Err(error) => return Msg::Orders(seq, Err(error)),
            };
            let mut names = Vec::new();
            for order in &page.items {
                let id = order.customer_id.get();
                if known.contains(&id) || names.iter().any(|(n, _)| *n == id) {
                    continue;
                }
                if let Ok(customer) = erp.customer(&actor, order.customer_id).await {
                    names.push((id, customer.name.to_string()));
                }
            }
            Msg::Orders(seq, Ok((page, names)))
        }));
    }

    /// Opens an order's detail.
    pub fn open(&mut self, id: OrderId, ctx: &mut Ctx) {
        self.opening = Some(id);
        let actor = ctx.actor();
        ctx.spawn(Task::new("loading the order", move |erp| async move {
            let result = async {
                let order = erp.order(&actor, id).await?;
                let history = erp.order_history(&actor, id).await?;
                let customer = erp.customer(&actor, order.customer_id).await?;
                Ok((order, history, customer))
            }
            .await;
            Msg::OrderDetail(result)
        }));
    }

    /// Back from the detail to the list.
    pub fn back(&mut self, ctx: &mut Ctx) {
        self.detail = None;
        self.opening = None;
        self.load(ctx);
    }

    /// Refreshes the list or the open order every couple of seconds.
    pub fn on_tick(&mut self, ctx: &mut Ctx) {
        self.ticks += 1;
        if !self.ticks.is_multiple_of(REFRESH_TICKS)
            || self.picker.is_some()
            || self.reprint.is_some()
            || self.slip.is_some()
        {
            return;
        }
        match &self.detail {
            Some(detail) if !detail.moving && !detail.confirming_cancel && detail.ret.is_none() => {
                let id = detail.order.id;
                self.open(id, ctx);
            }
            Some(_) => {}
            None => self.load(ctx),
        }
    }

    fn move_to(&mut self, to: OrderStatus, ctx: &mut Ctx) {
        let Some(detail) = self.detail.as_mut() else {
            return;
        };
        if detail.moving {
            return;
        }
        let order = &detail.order;
        if !order.status.can_become(to) {
            ctx.notice = Some(crate::notice::Notice::error(t!(
                "order-cannot-become",
                id = order.id.to_string(),
                status = i18n::status(order.status),
                to = i18n::status(to)
            )));
            return;
        }
        let needed = to.permission_to_enter();
        if !ctx.can(needed) {
            ctx.fail(&erp_core::Error::Forbidden {
                role: ctx.actor().role(),
                action: needed,
            });
            return;
        }
        if to == OrderStatus::Cancelled && !detail.confirming_cancel {
            detail.confirming_cancel = true;
            return;
        }
        detail.confirming_cancel = false;
        detail.moving = true;
        let id = detail.order.id;
        let actor = ctx.actor();
        ctx.spawn(Task::new("changing the status", move |erp| async move {
            Msg::StatusChanged(erp.change_status(&actor, id, to, None).await)
        }));
    }

    /// Asks erp-core for order `id`'s receipt, to print it again.
    fn ask_reprint(id: OrderId, ctx: &mut Ctx) {
        let actor = ctx.actor();
        ctx.spawn(Task::new("reprinting", move |erp| async move {
            Msg::Reprinted(
                super::receipts::reprint(&erp, &actor, id)
                    .await
                    .map(Box::new),
            )
        }));
    }

    /// Keys.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) {
        if let Some(slip) = self.slip.as_mut() {
            match slip.on_key(key) {
                Some(ReceiptAct::Close) => self.slip = None,
                Some(ReceiptAct::Print) => {
                    if let Some(receipt) = &slip.receipt {
                        super::sale::print(receipt, ctx);
                    }
                }
                _ => {}
            }
            return;
        }
        if let Some(form) = self.reprint.as_mut() {
            match form.on_key(key) {
                FormEvent::Cancel => self.reprint = None,
                FormEvent::None => {}
                FormEvent::Submit(values) => {
                    let typed = values[0].trim().trim_start_matches('#');
                    match typed.parse::<i64>() {
                        Ok(id) if id > 0 => {
                            self.reprint = None;
                            Self::ask_reprint(OrderId(id), ctx);
                        }
                        _ => form.message = Some(t!("reprint-invalid", text = typed)),
                    }
                }
            }
            return;
        }
        if let Some(picker) = self.picker.as_mut() {
            match picker.on_key(key, ctx) {
                PickerEvent::Picked(customer) => {
                    self.customer = Some((customer.id, customer.name.to_string()));
                    self.picker = None;
                    self.selected = 0;
                    self.load(ctx);
                }
                PickerEvent::Cancel => self.picker = None,
                PickerEvent::New | PickerEvent::None => {}
            }
            return;
        }
        if let Some(detail) = self.detail.as_mut() {
            if let Some(ret) = detail.ret.as_mut() {
                if let Open::Closed = ret.on_key(key, ctx) {
                    detail.ret = None;
                    let id = detail.order.id;
                    self.open(id, ctx);
                }
                return;
            }
            if detail.confirming_cancel {
                match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => {
                        self.move_to(OrderStatus::Cancelled, ctx)
                    }
                    _ => detail.confirming_cancel = false,
                }
                return;
            }
            match keys::find(DETAIL_KEYS, &key) {
                Some(DetailAct::Move(to)) => self.move_to(to, ctx),
                Some(DetailAct::Up) => detail.line = detail.line.saturating_sub(1),
                Some(DetailAct::Down) if detail.line + 1 < detail.order.lines.len() => {
                    detail.line += 1;
                }
                Some(DetailAct::Down) => {}
                Some(DetailAct::Return) => detail.ret = ReturnFlow::open(&detail.order, ctx),
                Some(DetailAct::Reprint) => Self::ask_reprint(detail.order.id, ctx),
                Some(DetailAct::Back) => ctx.go = Some(Go::Back),
                None => {}
            }
            return;
        }
        match keys::find(LIST_KEYS, &key) {
            Some(ListAct::Open) => {
                if let Some(order) = self.orders.get(self.selected) {
                    let id = order.id;
                    self.open(id, ctx);
                }
            }
            Some(ListAct::Up) => self.selected = self.selected.saturating_sub(1),
            Some(ListAct::Down) if self.selected + 1 < self.orders.len() => {
                self.selected += 1;
            }
            Some(ListAct::Down) => {}
            Some(ListAct::Status) => {
                self.status = match self.status {
                    None => Some(OrderStatus::ALL[0]),
                    Some(s) => OrderStatus::ALL
                        .iter()
                        .position(|x| *x == s)
                        .and_then(|i| OrderStatus::ALL.get(i + 1).copied()),
                };
                self.selected = 0;
                self.load(ctx);
            }
            Some(ListAct::Customer) => self.picker = Some(Picker::open(ctx)),
            Some(ListAct::Reprint) => {
                self.reprint = Some(
                    Form::new(t!("reprint-title"), &[&t!("reprint-field")])
                        .with_message(t!("reprint-hint")),
                );
            }
            Some(ListAct::Clear) => {
                self.status = None;
                self.customer = None;
                self.load(ctx);
            }
            None => {}
        }
    }

    /// Results.
    pub fn on_msg(&mut self, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Orders(seq, result) if seq == self.seq => match result {
                Ok((page, names)) => {
                    self.names.extend(names);
                    self.total = page.total;
                    self.orders = page.items;
                    self.selected = self.selected.min(self.orders.len().saturating_sub(1));
                }
                Err(error) => ctx.fail(&error),
            },
            Msg::OrderDetail(result) => {
                let Some(opening) = self.opening else {
                    return;
                };
                match result {
                    Ok((order, history, customer)) if order.id == opening => {
                        let same = self.detail.as_ref().filter(|d| d.order.id == order.id);
                        let confirming = same.is_some_and(|d| d.confirming_cancel);
                        let line = same.map_or(0, |d| d.line).min(order.lines.len());
                        let ret = self.detail.as_mut().and_then(|d| d.ret.take());
                        self.detail = Some(Detail {
                            order,
                            history,
                            customer,
                            confirming_cancel: confirming,
                            moving: false,
                            line,
                            ret,
                        });
                    }
                    Ok(_) => {}
                    Err(error) => {
                        ctx.fail(&error);
                        self.opening = None;
                    }
                }
            }
            Msg::StatusChanged(result) => {
                if let Some(detail) = self.detail.as_mut() {
                    detail.moving = false;
                }
                match result {
                    Ok(order) => {
                        ctx.info(t!(
                            "order-moved",
                            id = order.id.to_string(),
                            status = i18n::status(order.status)
                        ));
                        self.open(order.id, ctx);
                    }
                    Err(error) => ctx.fail(&error),
                }
            }
            Msg::Reprinted(result) => match result {
                Ok(receipt) => {
                    let layout =
                        erp_core::receipt::ReceiptLayout::new(ctx.till.paper, i18n::current());
                    let text = receipt.render_text(layout);
                    super::sale::print(&receipt, ctx);
                    let mut slip = Slip::new(
                        t!("reprint-slip-title", id = receipt.order_id.to_string()),
                        &text,
                        ctx.till.printer.is_some(),
                    );
                    slip.receipt = Some(*receipt);
                    self.slip = Some(Box::new(slip));
                }
                Err(error) => ctx.fail(&error),
            },
            Msg::Returned(key, result) => match self.detail.as_mut() {
                Some(detail) if detail.ret.as_ref().is_some_and(|ret| ret.awaits(&key)) => {
                    if let Some(ret) = detail.ret.as_mut()
                        && let Some(order) = ret.on_answer(&key, result, ctx)
                    {
                        detail.order = order;
                    }
                }
                _ => {
                    if let Some(slip) = super::returns::answered_elsewhere(&key, result, ctx)
                        && self.slip.is_none()
                    {
                        self.slip = Some(slip);
                    }
                }
            },
            Msg::Customers(seq, result) => {
                if let Some(picker) = self.picker.as_mut() {
                    picker.on_results(seq, result.map(|p| p.items), ctx);
                }
            }
            _ => {}
        }
    }

    /// The footer.
    pub fn hints(&self, actor: Option<&Actor>) -> Vec<Hint> {
        if let Some(slip) = &self.slip {
            return slip.hints();
        }
        if self.reprint.is_some() {
            return crate::form::hints();
        }
        if self.picker.is_some() {
            return super::picker::hints()
                .into_iter()
                .filter(|h| h.keys != "^N")
                .collect();
        }
        match &self.detail {
            Some(Detail { ret: Some(ret), .. }) => ret.hints(),
            Some(detail) if detail.confirming_cancel => vec![
                Hint {
                    keys: "y",
                    label: "yes, cancel it",
                    enabled: true,
                },
                Hint {
                    keys: "n",
                    label: "no",
                    enabled: true,
                },
            ],
            Some(detail) => keys::hints(DETAIL_KEYS, |act| match act {
                // Only the moves the state machine allows are offered; those the role forbids
                // are shown dimmed.
                DetailAct::Move(to) => {
                    detail.order.status.can_become(to) && allowed(actor, to) && !detail.moving
                }
                DetailAct::Return => actor.is_some_and(|a| a.can(Permission::CreateOrder)),
                _ => true,
            })
            .into_iter()
            .zip(DETAIL_KEYS)
            .filter(|(h, b)| match b.action {
                DetailAct::Move(to) => detail.order.status.can_become(to),
                DetailAct::Return => detail.order.status == OrderStatus::Delivered,
                _ => !h.keys.is_empty(),
            })
            .map(|(h, _)| h)
            .collect(),
            None => keys::hints(LIST_KEYS, |_| true)
                .into_iter()
                .filter(|h| !h.keys.is_empty())
                .collect(),
        }
    }

    /// Drawing.
    pub fn draw(&self, frame: &mut Frame, area: Rect, actor: Option<&Actor>) {
        if let Some(detail) = &self.detail {
            self.draw_detail(detail, frame, area, actor);
            if let Some(ret) = &detail.ret {
                ret.draw(frame, area);
            }
            self.draw_popups(frame, area);
            return;
        }
        let [filters, list] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
        let all = t!("orders-all");
        let filter_text = t!(
            "orders-filters",
            status = self
                .status
                .map_or(all.clone(), |s| i18n::status(s).into_owned()),
            customer = self.customer.as_ref().map_or(all, |(_, n)| n.clone()),
            count = self.total,
            seconds = REFRESH_TICKS.to_string()
        );
        frame.render_widget(Paragraph::new(filter_text), filters);
        let rows: Vec<Row> = self
            .orders
            .iter()
            .map(|o| {
                let name = self
                    .names
                    .get(&o.customer_id.get())
                    .cloned()
                    .unwrap_or_else(|| format!("#{}", o.customer_id));
                Row::new(vec![
                    format!("#{}", o.id),
                    i18n::time(o.created_at),
                    fit(&name, 24),
                    i18n::status(o.status).into_owned(),
                    format!("{:>3}", o.lines.len()),
                    format!("{:>12}", i18n::money(o.total)),
                ])
                .style(Style::new().fg(status_color(o.status)))
            })
            .collect();
        let mut state =
            TableState::default().with_selected((!self.orders.is_empty()).then_some(self.selected));
        let table = Table::new(
            rows,
            [
                Constraint::Length(6),
                Constraint::Length(16),
                Constraint::Min(12),
                Constraint::Length(10),
                Constraint::Length(6),
                Constraint::Length(12),
            ],
        )
        .header(
            Row::new(vec![
                t!("col-order"),
                t!("col-placed"),
                t!("col-customer"),
                t!("col-status"),
                t!("col-lines"),
                format!("{:>12}", t!("col-total")),
            ])
            .bold(),
        )
        .row_highlight_style(selected_style())
        .block(Block::bordered().title(format!(" {} ", t!("orders-title"))));
        frame.render_stateful_widget(table, list, &mut state);
        if let Some(picker) = &self.picker {
            picker.draw(frame, area);
        }
        self.draw_popups(frame, area);
    }

    fn draw_popups(&self, frame: &mut Frame, area: Rect) {
        if let Some(form) = &self.reprint {
            form.draw(frame, area);
        }
        if let Some(slip) = &self.slip {
            slip.draw(frame, area);
        }
    }

    fn draw_detail(&self, detail: &Detail, frame: &mut Frame, area: Rect, actor: Option<&Actor>) {
        let order = &detail.order;
        let lines_height = u16::try_from(order.lines.len())
            .unwrap_or(10)
            .saturating_add(3)
            .min(10);
        let [head, lines, history] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Length(lines_height),
            Constraint::Min(3),
        ])
        .areas(area);
        let next: Vec<Span> = order
            .status
            .next()
            .iter()
            .map(|to| {
                let style = if allowed(actor, *to) {
                    Style::new().fg(Color::Cyan)
                } else {
                    Style::new().fg(Color::DarkGray)
                };
                Span::styled(format!("{} ", i18n::status(*to)), style)
            })
            .collect();
        let mut next_line = vec![Span::raw(format!("{} ", t!("order-next")))];
        if next.is_empty() {
            next_line.push(Span::raw(t!("order-final")));
        } else {
            next_line.extend(next);
        }
        frame.render_widget(
            Paragraph::new(vec![
                Line::from(vec![
                    Span::raw(format!(
                        "{}  ",
                        t!("order-heading", id = order.id.to_string())
                    ))
                    .bold(),
                    Span::styled(
                        i18n::status(order.status),
                        Style::new().fg(status_color(order.status)).bold(),
                    ),
                    Span::raw(format!(
                        "   {}",
                        t!("order-total", total = i18n::money(order.total))
                    ))
                    .bold(),
                ]),
                Line::from(t!(
                    "order-customer-placed",
                    customer = detail.customer.name.as_str(),
                    placed = i18n::time(order.created_at)
                )),
                Line::from(next_line),
            ]),
            head,
        );
        let rows: Vec<Row> = order
            .lines
            .iter()
            .map(|l| {
                Row::new(vec![
                    l.sku.to_string(),
                    fit(l.product_name.as_str(), 30),
                    format!("{:>5}", l.quantity),
                    format!("{:>11}", i18n::money(l.unit_price)),
                    format!("{:>12}", i18n::money(l.line_total)),
                ])
            })
            .collect();
        let mut state =
            TableState::default().with_selected((!order.lines.is_empty()).then_some(detail.line));
        let count = order.lines.len().to_string();
        let title = if usize::from(lines_height.saturating_sub(3)) < order.lines.len() {
            t!("order-lines-scroll", count = count)
        } else {
            t!("order-lines", count = count)
        };
        let title = format!(" {title} ");
        frame.render_stateful_widget(
            Table::new(
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
                .bold(),
            )
            .row_highlight_style(selected_style())
            .block(Block::bordered().title(title)),
            lines,
            &mut state,
        );
        let rows: Vec<Row> = detail
            .history
            .iter()
            .map(|h| {
                Row::new(vec![
                    i18n::time(h.changed_at),
                    h.from
                        .map_or("—".to_string(), |s| i18n::status(s).into_owned()),
                    i18n::status(h.to).into_owned(),
                    h.note.as_ref().map(|n| n.to_string()).unwrap_or_default(),
                ])
            })
            .collect();
        frame.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(16),
                    Constraint::Length(10),
                    Constraint::Length(10),
                    Constraint::Min(10),
                ],
            )
            .header(
                Row::new(vec![
                    t!("col-when"),
                    t!("col-from"),
                    t!("col-to"),
                    t!("col-note"),
                ])
                .bold(),
            )
            .block(Block::bordered().title(format!(" {} ", t!("order-history")))),
            history,
        );
        if detail.confirming_cancel {
            let popup = centered(area, 50, 5);
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from(t!("order-cancel-question", id = order.id.to_string())).bold(),
                    Line::from(t!("order-cancel-stock")),
                    Line::from(t!("order-cancel-keys")),
                ])
                .block(Block::bordered().title(format!(" {} ", t!("order-cancel-title")))),
                popup,
            );
        }
    }
}
