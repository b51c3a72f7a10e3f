//! The caixa: this till's register and its cash session. Opened with a counted float before the
//! first sale; cash in (suprimento) and out (sangria) with a reason; the X report while open;
//! closed with a blind count per tender, then the expected amounts, the over/short and the Z
//! report. Every rule (one open session per register, whose it is, the drawer's sums) is
//! erp-core's; this module asks and shows.

use crossterm::event::{KeyCode, KeyEvent};
use erp_core::domain::{
    CashMovementKind, CashSession, Money, NewRegister, PageRequest, Permission, Reason,
    RegisterCode, RegisterId, ReportKind, SessionReport, Tender,
};
use erp_core::{Error, input::CloseSessionInput, input::CountInput};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

use super::checkout::tender_name;
use super::sale::{ANSWER_WITHIN, answer_within};
use crate::app::Ctx;
use crate::cart::PendingCash;
use crate::form::{Form, FormEvent};
use crate::keys::{self, Binding, Hint, key};
use crate::msg::{Msg, ReportFor, TillState};
use crate::task::Task;
use crate::widgets::centered;
use crate::{i18n, t};

/// Reads this till's register (setting it up when the user may) and its open session.
pub fn look_up(ctx: &mut Ctx) {
    let actor = ctx.actor();
    let code = ctx.till.register.clone();
    ctx.spawn(Task::new("reading the caixa", move |erp| async move {
        Msg::Till(till_state(&erp, &actor, &code).await)
    }));
}

async fn till_state(
    erp: &erp_core::Erp,
    actor: &erp_core::Actor,
    code: &str,
) -> Result<TillState, Error> {
    let find = |registers: Vec<erp_core::domain::Register>| {
        registers.into_iter().find(|r| r.code.as_str() == code)
    };
    let register = match find(erp.registers(actor).await?) {
        Some(register) => register,
        None if actor.can(Permission::ManageCatalog) => {
            let new = NewRegister {
                code: RegisterCode::parse(code).map_err(|e| e.in_field("register"))?,
                name: erp_core::domain::Name::parse(code).map_err(|e| e.in_field("register"))?,
            };
            match erp.create_register(actor, new).await {
                Ok(register) => register,
                // Another till of the same name set it up meanwhile.
                Err(Error::Duplicate { .. }) => find(erp.registers(actor).await?)
                    .ok_or_else(|| Error::not_found("register", code))?,
                Err(error) => return Err(error),
            }
        }
        None => return Err(Error::not_found("register", code)),
    };
    let session = erp
        .cash_sessions(actor, register.id, PageRequest::first(1))
        .await?
        .items
        .into_iter()
        .next()
        .filter(CashSession::is_open);
    Ok(TillState { register, session })
}

/// The cashier's own open session on this register.
#[derive(Debug)]
pub struct Own(pub RegisterId, pub CashSession);

/// Why there is no session of the cashier's to sell in.
#[derive(Debug)]
pub enum NoSession {
    /// Not looked up yet (or the lookup failed).
    Unknown,
    /// The register's caixa is closed: open it.
    Closed,
    /// Someone else's session is open on this register.
    Others(CashSession),
}

/// The session the cashier sells in, or why there is none.
pub fn own_session(till: Option<&TillState>, ctx: &Ctx) -> Result<Own, NoSession> {
    let till = till.ok_or(NoSession::Unknown)?;
    let session = till.session.clone().ok_or(NoSession::Closed)?;
    let mine = ctx
        .actor
        .as_ref()
        .is_some_and(|a| a.user_id() == session.opened_by);
    if mine {
        Ok(Own(till.register.id, session))
    } else {
        Err(NoSession::Others(session))
    }
}

/// What the caixa menu's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaixaAct {
    /// Open the session with a float.
    Open,
    /// Cash in (suprimento).
    CashIn,
    /// Cash out (sangria).
    CashOut,
    /// The X report.
    XReport,
    /// Close with a blind count.
    Close,
    /// Leave the menu.
    Back,
}

/// The caixa menu (F12).
pub const MENU_KEYS: &[Binding<CaixaAct>] = &[
    key(KeyCode::Char('a'), "a", "open caixa", CaixaAct::Open),
    key(KeyCode::Char('i'), "i", "cash in", CaixaAct::CashIn),
    key(KeyCode::Char('s'), "s", "cash out", CaixaAct::CashOut),
    key(KeyCode::Char('x'), "x", "X report", CaixaAct::XReport),
    key(KeyCode::Char('f'), "f", "close caixa", CaixaAct::Close),
    key(KeyCode::Esc, "Esc", "back", CaixaAct::Back),
];

/// A popup of the caixa.
#[derive(Debug, Clone)]
pub enum CaixaPopup {
    /// The menu.
    Menu,
    /// Counting the opening float.
    Open(Form),
    /// Cash in or out: amount and reason.
    Move(Form, CashMovementKind),
    /// The blind count at close, one field per tender.
    Count(Form, Vec<Tender>),
    /// Waiting for erp-core.
    Waiting(String),
}

/// The label of the task that moves cash (the sale writes the cart before it runs).
pub const MOVING_CASH: &str = "moving cash";

/// What the caixa asks of the sale after a key.
pub enum CaixaEvent {
    /// Keep this popup.
    Keep(CaixaPopup),
    /// Close it.
    Done,
}

fn money_field(text: &str) -> Result<Money, String> {
    Money::parse(&i18n::money_input(text)).map_err(|e| {
        t!(
            "caixa-amount-invalid",
            text = text.trim(),
            reason = e.to_string()
        )
    })
}

impl CaixaPopup {
    /// The form that opens the caixa.
    pub fn open_form() -> CaixaPopup {
        CaixaPopup::Open(
            Form::new(t!("caixa-open-title"), &[&t!("caixa-float")])
                .with_message(t!("caixa-open-hint")),
        )
    }

    fn move_form(kind: CashMovementKind) -> CaixaPopup {
        CaixaPopup::Move(move_fields(kind), kind)
    }

    /// The movement still awaiting a sure answer, filled in: Enter sends it again under its key.
    fn pending_form(pending: &PendingCash) -> CaixaPopup {
        let kind = pending_kind(pending);
        let form = move_fields(kind)
            .with_value(0, i18n::money_typed(pending_amount(pending)))
            .with_value(1, pending.reason.clone())
            .with_focus_on_last()
            .with_message(t!("caixa-move-pending"));
        CaixaPopup::Move(form, kind)
    }

    /// A key; `till` is the register and its open session, if known; `sale_frozen` says a sale
    /// was sent and its outcome is unknown; `pending_cash` is the cash movement last sent.
    pub fn on_key(
        self,
        key: KeyEvent,
        till: Option<&TillState>,
        sale_frozen: bool,
        pending_cash: &mut Option<PendingCash>,
        ctx: &mut Ctx,
    ) -> CaixaEvent {
        match self {
            CaixaPopup::Menu => {
                if let Some(stale) = take_stale(pending_cash, till) {
                    // Said on its own, the key pressed not acted on: whatever it did would say
                    // something else on the one notice line, and this must be read.
                    ctx.notice = Some(stale_notice(&stale));
                    return CaixaEvent::Keep(CaixaPopup::Menu);
                }
                menu_key(key, till, sale_frozen, pending_cash.as_ref(), ctx)
            }
            CaixaPopup::Waiting(text) => CaixaEvent::Keep(CaixaPopup::Waiting(text)),
            CaixaPopup::Open(mut form) => match form.on_key(key) {
                FormEvent::Cancel => CaixaEvent::Done,
                FormEvent::None => CaixaEvent::Keep(CaixaPopup::Open(form)),
                FormEvent::Submit(values) => {
                    let Some(till) = till else {
                        look_up(ctx);
                        form.message = Some(t!("caixa-looking-up"));
                        return CaixaEvent::Keep(CaixaPopup::Open(form));
                    };
                    match money_field(&values[0]) {
                        Err(message) => {
                            form.message = Some(message);
                            CaixaEvent::Keep(CaixaPopup::Open(form))
                        }
                        Ok(float) => {
                            let actor = ctx.actor();
                            let register = till.register.id;
                            ctx.spawn(Task::new("opening the caixa", move |erp| async move {
                                let opening = erp.open_cash_session(&actor, register, float);
                                Msg::SessionOpened(answer_within(ANSWER_WITHIN, opening).await)
                            }));
                            CaixaEvent::Keep(CaixaPopup::Waiting(t!("caixa-opening")))
                        }
                    }
                }
            },
            CaixaPopup::Move(mut form, kind) => match form.on_key(key) {
                FormEvent::Cancel => CaixaEvent::Done,
                FormEvent::None => CaixaEvent::Keep(CaixaPopup::Move(form, kind)),
                FormEvent::Submit(values) => {
                    let amount = money_field(&values[0]);
                    let reason = Reason::parse(values[1].trim())
                        .map_err(|e| t!("caixa-reason-needed", reason = e.to_string()));
                    match (amount, reason, till) {
                        (Ok(amount), Ok(reason), Some(till)) => {
                            let actor = ctx.actor();
                            let register = till.register.id;
                            // The same movement after an uncertain answer goes under its key;
                            // another waits until that one has its answer, or a different
                            // retyping of it (another amount, a reason spelt otherwise) would be
                            // recorded a second time under a new key.
                            let out = kind == CashMovementKind::Out;
                            let (key, resent) = match pending_cash.as_ref() {
                                Some(p)
                                    if p.out == out
                                        && p.cents == amount.cents()
                                        && p.reason == reason.as_str() =>
                                {
                                    (p.key.clone(), true)
                                }
                                Some(p) => {
                                    form.message = Some(pending_first(p));
                                    return CaixaEvent::Keep(CaixaPopup::Move(form, kind));
                                }
                                None => (crate::cart::new_key(), false),
                            };
                            *pending_cash = Some(PendingCash {
                                key: key.clone(),
                                out,
                                cents: amount.cents(),
                                reason: reason.to_string(),
                                session: till.session.as_ref().map(|s| s.id.get()),
                                resent,
                            });
                            ctx.spawn(Task::new(MOVING_CASH, move |erp| async move {
                                let key = match crate::cart::till_key(&key) {
                                    Ok(key) => key,
                                    Err(error) => return Msg::CashMoved(Err(error)),
                                };
                                let moving = erp
                                    .move_cash_once(&actor, register, kind, amount, reason, &key);
                                Msg::CashMoved(answer_within(ANSWER_WITHIN, moving).await)
                            }));
                            CaixaEvent::Keep(CaixaPopup::Waiting(t!("caixa-saving")))
                        }
                        (Err(message), _, _) | (_, Err(message), _) => {
                            form.message = Some(message);
                            CaixaEvent::Keep(CaixaPopup::Move(form, kind))
                        }
                        (_, _, None) => {
                            look_up(ctx);
                            CaixaEvent::Done
                        }
                    }
                }
            },
            CaixaPopup::Count(mut form, tenders) => match form.on_key(key) {
                FormEvent::Cancel => CaixaEvent::Done,
                FormEvent::None => CaixaEvent::Keep(CaixaPopup::Count(form, tenders)),
                FormEvent::Submit(values) => {
                    let mut counts = Vec::with_capacity(tenders.len());
                    for (tender, value) in tenders.iter().zip(&values) {
                        match money_field(value) {
                            Ok(amount) => counts.push(CountInput {
                                tender: tender.as_str().to_string(),
                                counted: amount.to_string(),
                            }),
                            Err(message) => {
                                form.message = Some(format!("{}: {message}", tender_name(*tender)));
                                return CaixaEvent::Keep(CaixaPopup::Count(form, tenders));
                            }
                        }
                    }
                    let parsed = CloseSessionInput { counts }.parse();
                    match (parsed, till.and_then(|t| t.session.clone())) {
                        (Ok(counted), Some(session)) => {
                            let actor = ctx.actor();
                            ctx.spawn(Task::new("closing the caixa", move |erp| async move {
                                let closed = close(&erp, &actor, session.id, &counted).await;
                                Msg::Report(ReportFor::Z, closed)
                            }));
                            CaixaEvent::Keep(CaixaPopup::Waiting(t!("caixa-closing")))
                        }
                        (Err(error), _) => {
                            form.message = Some(crate::notice::explain(&error).text);
                            CaixaEvent::Keep(CaixaPopup::Count(form, tenders))
                        }
                        (_, None) => CaixaEvent::Done,
                    }
                }
            },
        }
    }

    /// The footer.
    pub fn hints(&self) -> Vec<Hint> {
        match self {
            CaixaPopup::Menu => keys::hints(MENU_KEYS, |_| true),
            CaixaPopup::Waiting(_) => Vec::new(),
            _ => crate::form::hints(),
        }
    }

    /// Draws the popup over `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, till: Option<&TillState>) {
        match self {
            CaixaPopup::Open(form) | CaixaPopup::Move(form, _) | CaixaPopup::Count(form, _) => {
                form.draw(frame, area)
            }
            CaixaPopup::Waiting(text) => {
                let popup = centered(area, 40, 3);
                frame.render_widget(Clear, popup);
                frame.render_widget(
                    Paragraph::new(text.as_str()).block(Block::bordered()),
                    popup,
                );
            }
            CaixaPopup::Menu => {
                let status = match till {
                    None => t!("caixa-unknown"),
                    Some(TillState {
                        register,
                        session: Some(session),
                    }) => t!(
                        "caixa-status-open",
                        register = register.code.as_str(),
                        session = session.id.to_string(),
                        since = i18n::time(session.opened_at)
                    ),
                    Some(TillState { register, .. }) => {
                        t!("caixa-status-closed", register = register.code.as_str())
                    }
                };
                let mut lines = vec![Line::from(status).bold(), Line::from("")];
                for binding in MENU_KEYS.iter().filter(|b| b.action != CaixaAct::Back) {
                    lines.push(Line::from(format!(
                        "  {:<4} {}",
                        binding.hint,
                        i18n::label(binding.label)
                    )));
                }
                let height = u16::try_from(lines.len()).unwrap_or(8) + 2;
                let popup = centered(area, 56, height);
                frame.render_widget(Clear, popup);
                frame.render_widget(
                    Paragraph::new(lines).block(
                        Block::bordered()
                            .title(format!(" {} ", t!("caixa-title")))
                            .border_style(Style::new().fg(Color::Cyan)),
                    ),
                    popup,
                );
            }
        }
    }
}

/// Closes session `id` with `counted`. When the answer says nothing certain (lost, or the
/// session already closed: an earlier try that went through), the session's report is read: a
/// session closed by this user is their close, whose Z would otherwise never be shown or
/// printed. Closed by someone else (a supervisor, elsewhere), it is not: this count was not
/// taken, and the answer stays the refusal.
async fn close(
    erp: &erp_core::Erp,
    actor: &erp_core::Actor,
    id: erp_core::domain::CashSessionId,
    counted: &[(Tender, Money)],
) -> Result<SessionReport, Error> {
    let closing = erp.close_cash_session(actor, id, counted);
    match answer_within(ANSWER_WITHIN, closing).await {
        Err(
            error @ (Error::OutcomeUnknown { .. }
            | Error::Unavailable { .. }
            | Error::CashSessionClosed { .. }),
        ) => match answer_within(ANSWER_WITHIN, erp.session_report(actor, id)).await {
            Ok(report)
                if report.session.closing.as_ref().is_some_and(|closing| {
                    closing.closed_by.is_some() && closing.closed_by == actor.user_id()
                }) =>
            {
                Ok(report)
            }
            _ => Err(error),
        },
        other => other,
    }
}

/// The amount and reason fields of a cash in or out.
fn move_fields(kind: CashMovementKind) -> Form {
    let title = t!(match kind {
        CashMovementKind::In => "caixa-in-title",
        CashMovementKind::Out => "caixa-out-title",
    });
    Form::new(title, &[&t!("caixa-amount"), &t!("caixa-reason")])
}

fn pending_kind(pending: &PendingCash) -> CashMovementKind {
    if pending.out {
        CashMovementKind::Out
    } else {
        CashMovementKind::In
    }
}

fn pending_amount(pending: &PendingCash) -> Money {
    Money::from_cents(pending.cents).unwrap_or(Money::ZERO)
}

/// Why another movement must wait, naming the one awaiting its answer.
fn pending_first(pending: &PendingCash) -> String {
    t!(
        match pending_kind(pending) {
            CashMovementKind::In => "caixa-move-pending-in-first",
            CashMovementKind::Out => "caixa-move-pending-out-first",
        },
        amount = i18n::money(pending_amount(pending)),
        reason = pending.reason.as_str()
    )
}

/// Where to look for a movement whose outcome the till will not learn: its session's report.
pub fn stale_notice(stale: &PendingCash) -> crate::notice::Notice {
    ended_notice("caixa-move-stale", stale)
}

/// A movement sent again that erp-core says was never made, its session being closed now.
pub fn not_made_notice(unmade: &PendingCash) -> crate::notice::Notice {
    ended_notice("caixa-move-not-made", unmade)
}

/// Message `id` about a movement whose key ended with its session: that session, how much, why.
fn ended_notice(id: &str, ended: &PendingCash) -> crate::notice::Notice {
    crate::notice::Notice::error(t!(
        id,
        session = ended
            .session
            .map_or_else(|| "?".to_string(), |id| id.to_string()),
        amount = i18n::money(pending_amount(ended)),
        reason = ended.reason.as_str()
    ))
}

/// Takes the movement awaiting an answer when it was sent to a session that is no longer the
/// register's open one (closed meanwhile, by this till or elsewhere): sent again, its key would
/// be new in the next session and the movement recorded there too. Whether it was made shows in
/// its own session's report. Kept while the till's state is unknown.
fn take_stale(
    pending_cash: &mut Option<PendingCash>,
    till: Option<&TillState>,
) -> Option<PendingCash> {
    let till = till?;
    let sent_to = pending_cash.as_ref()?.session?;
    let open = till.session.as_ref().map(|s| s.id.get());
    if open == Some(sent_to) {
        return None;
    }
    pending_cash.take()
}

fn menu_key(
    key: KeyEvent,
    till: Option<&TillState>,
    sale_frozen: bool,
    cash_pending: Option<&PendingCash>,
    ctx: &mut Ctx,
) -> CaixaEvent {
    let Some(act) = keys::find(MENU_KEYS, &key) else {
        return CaixaEvent::Keep(CaixaPopup::Menu);
    };
    let session = till.and_then(|t| t.session.clone());
    match (act, session) {
        (CaixaAct::Back, _) => CaixaEvent::Done,
        (CaixaAct::Open, None) => CaixaEvent::Keep(CaixaPopup::open_form()),
        (CaixaAct::Open, Some(session)) => {
            ctx.notice = Some(crate::notice::Notice::error(t!(
                "caixa-already-open",
                session = session.id.to_string()
            )));
            CaixaEvent::Done
        }
        (_, None) => {
            ctx.notice = Some(crate::notice::Notice::error(t!("caixa-closed")));
            CaixaEvent::Keep(CaixaPopup::Menu)
        }
        (CaixaAct::CashIn | CaixaAct::CashOut, Some(_)) if cash_pending.is_some() => {
            CaixaEvent::Keep(cash_pending.map_or(CaixaPopup::Menu, CaixaPopup::pending_form))
        }
        (CaixaAct::CashIn, Some(_)) => {
            CaixaEvent::Keep(CaixaPopup::move_form(CashMovementKind::In))
        }
        (CaixaAct::CashOut, Some(_)) => {
            CaixaEvent::Keep(CaixaPopup::move_form(CashMovementKind::Out))
        }
        // A sale whose outcome is unknown may still be made, in the session open then: closing
        // first would count its cash in this session and record the sale in the next.
        (CaixaAct::Close, Some(_)) if sale_frozen => {
            ctx.notice = Some(crate::notice::Notice::error(t!("caixa-close-frozen-sale")));
            CaixaEvent::Keep(CaixaPopup::Menu)
        }
        // Likewise a cash movement without a sure answer: entered again after the close it
        // would go to the next session, where its key is new.
        (CaixaAct::Close, Some(_)) if cash_pending.is_some() => {
            ctx.notice = cash_pending.map(|pending| {
                crate::notice::Notice::error(t!(
                    "caixa-close-cash-pending",
                    amount = i18n::money(pending_amount(pending)),
                    reason = pending.reason.as_str()
                ))
            });
            CaixaEvent::Keep(CaixaPopup::Menu)
        }
        (act @ (CaixaAct::XReport | CaixaAct::Close), Some(session)) => {
            let purpose = if act == CaixaAct::XReport {
                ReportFor::X
            } else {
                ReportFor::Count
            };
            let actor = ctx.actor();
            ctx.spawn(Task::new("reading the session", move |erp| async move {
                let reading = erp.session_report(&actor, session.id);
                Msg::Report(purpose, answer_within(ANSWER_WITHIN, reading).await)
            }));
            CaixaEvent::Keep(CaixaPopup::Waiting(t!("caixa-reading")))
        }
    }
}

/// The blind count: a field for cash and for each tender the session took, no amounts shown.
pub fn count_form(report: &SessionReport) -> CaixaPopup {
    let tenders: Vec<Tender> = report.tenders.iter().map(|t| t.tender).collect();
    let tenders = if tenders.is_empty() {
        vec![Tender::Cash]
    } else {
        tenders
    };
    let labels: Vec<String> = tenders.iter().map(|t| tender_name(*t)).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    CaixaPopup::Count(
        Form::new(t!("caixa-count-title"), &refs).with_message(t!("caixa-count-hint")),
        tenders,
    )
}

/// A difference of money with its sign (`-0,50`, `+1,00`, `0,00`).
pub fn signed_money(cents: i64) -> String {
    let abs = Money::from_cents(cents.abs()).unwrap_or(Money::ZERO);
    match cents {
        c if c < 0 => format!("-{}", i18n::money(abs)),
        c if c > 0 => format!("+{}", i18n::money(abs)),
        _ => i18n::money(abs),
    }
}

/// An X or Z report in the till's language, `width` columns wide.
pub fn report_text(report: &SessionReport, width: usize) -> String {
    let width = width.max(32);
    let mut out = String::new();
    let rule = "-".repeat(width);
    let row = |label: String, value: String| {
        let pad = width.saturating_sub(label.chars().count() + value.chars().count());
        format!("{label}{}{value}\n", " ".repeat(pad.max(1)))
    };
    let money = |m: Money| i18n::money(m);
    let delta = |cents: i64| {
        let abs = Money::from_cents(cents.abs()).unwrap_or(Money::ZERO);
        if cents < 0 {
            format!("-{}", i18n::money(abs))
        } else {
            i18n::money(abs)
        }
    };
    let totals = &report.totals;
    let title = t!(match report.kind {
        ReportKind::X => "report-x",
        ReportKind::Z => "report-z",
    });
    let mut text = String::new();
    let pad = width.saturating_sub(title.chars().count()) / 2;
    text.push_str(&format!("{}{title}\n", " ".repeat(pad)));
    let notice = t!("report-not-fiscal");
    let pad = width.saturating_sub(notice.chars().count()) / 2;
    text.push_str(&format!("{}{notice}\n{rule}\n", " ".repeat(pad)));
    out.push_str(&row(
        t!("report-register"),
        report.register.code.to_string(),
    ));
    out.push_str(&row(t!("report-session"), report.session.id.to_string()));
    out.push_str(&row(t!("report-opened-by"), report.opened_by.clone()));
    out.push_str(&row(
        t!("report-opened"),
        i18n::time(report.session.opened_at),
    ));
    if let Some(closing) = &report.session.closing {
        out.push_str(&row(
            t!("report-closed-by"),
            report.closed_by.clone().unwrap_or_default(),
        ));
        out.push_str(&row(t!("report-closed"), i18n::time(closing.closed_at)));
    }
    out.push_str(&rule);
    out.push('\n');
    // The drawer first: what each tender should hold and, once counted, the over/short.
    for line in &report.tenders {
        let name = tender_name(line.tender);
        out.push_str(&row(
            t!("report-expected", tender = name.as_str()),
            money(line.expected),
        ));
        if let (Some(counted), Some(difference)) = (line.counted, line.difference) {
            out.push_str(&row(
                t!("report-counted", tender = name.as_str()),
                money(counted),
            ));
            let verdict = match difference.cents() {
                0 => t!("report-even"),
                d if d < 0 => t!("report-short"),
                _ => t!("report-over"),
            };
            out.push_str(&row(verdict, delta(difference.cents())));
        }
    }
    out.push_str(&rule);
    out.push('\n');
    out.push_str(&row(t!("report-sales"), totals.sales.to_string()));
    out.push_str(&row(t!("report-gross"), money(totals.gross)));
    out.push_str(&row(
        t!("report-discounts"),
        delta(-totals.discounts.cents()),
    ));
    let refunds: i64 = totals.refunded.values().map(|m| m.cents()).sum();
    out.push_str(&row(
        t!("report-returns", count = totals.returns.to_string()),
        delta(-refunds),
    ));
    out.push_str(&row(t!("report-net"), delta(totals.net())));
    out.push_str(&rule);
    out.push('\n');
    for line in &report.tenders {
        let change = if line.tender.is_cash() {
            totals.change.cents()
        } else {
            0
        };
        out.push_str(&row(
            tender_name(line.tender),
            delta(line.taken.cents() - line.refunded.cents() - change),
        ));
    }
    out.push_str(&rule);
    out.push('\n');
    out.push_str(&row(
        t!("report-float"),
        money(report.session.opening_float),
    ));
    out.push_str(&row(t!("report-cash-in"), money(totals.cash_in)));
    out.push_str(&row(t!("report-cash-out"), delta(-totals.cash_out.cents())));
    out.push_str(&row(t!("report-change"), delta(-totals.change.cents())));
    out.push_str(&rule);
    out.push('\n');
    out.push_str(&row(t!("report-printed"), i18n::time(report.generated_at)));
    text.push_str(&out);
    text
}
