//! The application: state, the update step (message in, new state and tasks out) and the view.
//!
//! `update` never waits: whatever needs the database becomes a [`Task`] that the driver runs in
//! the background and whose result comes back as a message. `view` only draws.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use erp_core::domain::{OrderId, Permission};
use erp_core::receipt::PaperWidth;
use erp_core::{Actor, Error};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table};

use crate::cart::{Cart, CartStore};
use crate::i18n::{self, Lang};
use crate::keys::{self, GLOBAL, Global, Hint};
use crate::msg::Msg;
use crate::notice::{Notice, NoticeKind, explain};
use crate::screens::{customers, login, orders, products, sale, setup, users};
use crate::t;
use crate::task::Task;
use crate::widgets::{centered, hint_line};

/// Where to go next, as asked by a screen.
#[derive(Debug)]
pub enum Go {
    /// The login screen.
    Login,
    /// Logged in as this user: on to the sale.
    LoggedIn(Actor),
    /// A main screen.
    Tab(Tab),
    /// An order's detail.
    Order(OrderId),
    /// Back from a detail to its list.
    Back,
}

/// The main screens, switched with F2 to F6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// Selling.
    Sale,
    /// Orders list.
    Orders,
    /// Catalogue and stock.
    Products,
    /// Customers.
    Customers,
    /// Staff.
    Users,
}

/// How this till is set up: its register, and where receipts are printed.
#[derive(Clone, Debug)]
pub struct TillConfig {
    /// The register's code (`CAIXA-01`).
    pub register: String,
    /// An ESC/POS printer (a device or a spool file), if any.
    pub printer: Option<std::path::PathBuf>,
    /// The paper's width in columns (also the width of receipts on screen).
    pub paper: PaperWidth,
}

impl Default for TillConfig {
    fn default() -> Self {
        TillConfig {
            register: crate::cart::DEFAULT_REGISTER.to_string(),
            printer: None,
            paper: PaperWidth::Columns42,
        }
    }
}

/// What a screen may ask for while handling a key or a message.
pub struct Ctx {
    /// This till.
    pub till: TillConfig,
    /// Who is logged in.
    pub actor: Option<Actor>,
    /// Background work to start.
    pub tasks: Vec<Task>,
    /// A line for the status bar.
    pub notice: Option<Notice>,
    /// Navigation.
    pub go: Option<Go>,
    /// Save this cart to the cart file.
    pub save_cart: Option<Cart>,
    /// Where the sale in front is saved and whose it is (None: not saved, in tests).
    pub carts: Option<(CartStore, String)>,
    /// Keys of returns sent and not yet answered, per order.
    pub return_keys: crate::return_keys::ReturnKeys,
    seq: u64,
}

impl Ctx {
    /// Starts `task` in the background.
    pub fn spawn(&mut self, task: Task) {
        self.tasks.push(task);
    }

    /// Shows a success line.
    pub fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice::info(text));
    }

    /// Shows why something failed. A user deactivated while logged in is logged out: erp-core
    /// refuses everything they try, so the till asks who is there instead.
    pub fn fail(&mut self, error: &Error) {
        self.notice = Some(explain(error));
        if matches!(error, Error::UserInactive { .. }) && self.actor.is_some() {
            self.go = Some(Go::Login);
        }
    }

    /// A fresh sequence number, to recognise the answer to the latest request.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The logged-in user (the system when none, which screens behind login never see).
    pub fn actor(&self) -> Actor {
        self.actor.clone().unwrap_or_else(Actor::system)
    }

    /// Whether the logged-in user may do `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.actor.as_ref().is_some_and(|a| a.can(permission))
    }
}

/// The screen in front. There is one at a time, so the size of the larger variants costs nothing.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Screen {
    /// Waiting to know whether this is a first run.
    Starting,
    /// Creating the first admin.
    Setup(setup::Setup),
    /// Logging in.
    Login(login::Login),
    /// Selling (its state lives in [`App::sale`] so the cart survives navigation).
    Sale,
    /// Orders and one order's detail.
    Orders(orders::Orders),
    /// Products.
    Products(products::Products),
    /// Customers.
    Customers(customers::Customers),
    /// Users.
    Users(users::Users),
}

/// The whole state of the till.
pub struct App {
    /// The screen in front.
    pub screen: Screen,
    /// The sale in progress (kept while other screens are visited).
    pub sale: sale::Sale,
    /// Who is logged in.
    pub actor: Option<Actor>,
    /// The status bar.
    pub notice: Option<Notice>,
    /// The help overlay is open.
    pub help: bool,
    /// Background tasks not yet answered.
    pub busy: usize,
    /// The user asked to quit.
    pub quit: bool,
    /// Where this register keeps each user's sale (None: not saved, in tests).
    pub carts: Option<CartStore>,
    /// Whose sale [`App::sale`] is.
    sale_owner: Option<String>,
    /// `memory`, `sqlite` or `mysql`, for the header.
    pub backend: &'static str,
    /// Clock ticks (about a second each) without a key before the till locks; 0 never locks.
    pub lock_after: u64,
    /// Ticks since the last key.
    idle: u64,
    /// Asking whether to quit with a sale in progress.
    pub confirm_quit: bool,
    /// The language of every word on screen.
    pub lang: Lang,
    /// The shop's offset from UTC in minutes (its settings), for the times shown; read at login.
    pub shop_offset: Option<i32>,
    /// The register and the printer.
    pub config: TillConfig,
    /// Keys of returns sent and not yet answered, per order (kept next to the carts, across
    /// restarts).
    return_keys: crate::return_keys::ReturnKeys,
    seq: u64,
}

/// How long a till waits, idle, before it asks for the password again: five minutes.
pub const LOCK_AFTER_SECS: u64 = 300;

impl App {
    /// A new app. Returns the tasks to start: finding out whether this is a first run.
    pub fn new(backend: &'static str, carts: Option<CartStore>) -> (App, Vec<Task>) {
        let mut app = App {
            screen: Screen::Starting,
            sale: sale::Sale::new(Cart::default()),
            actor: None,
            notice: None,
            help: false,
            busy: 1,
            quit: false,
            carts,
            sale_owner: None,
            backend,
            lock_after: LOCK_AFTER_SECS,
            idle: 0,
            confirm_quit: false,
            lang: Lang::En,
            shop_offset: None,
            config: TillConfig::default(),
            return_keys: Default::default(),
            seq: 0,
        };
        if let Some(carts) = &app.carts {
            app.config.register = carts.register().to_string();
            app.return_keys = crate::return_keys::ReturnKeys::in_file(carts.returns_path());
        }
        let task = Task::new("checking for users", |erp| async move {
            Msg::UsersExist(erp.has_users().await)
        });
        (app, vec![task])
    }

    /// Whether the focused element takes typed text (then `q` types a q instead of quitting).
    fn typing(&self) -> bool {
        match &self.screen {
            Screen::Starting => false,
            Screen::Setup(_) | Screen::Login(_) => true,
            Screen::Sale => self.sale.typing(),
            Screen::Orders(s) => s.typing(),
            Screen::Products(s) => s.typing(),
            Screen::Customers(s) => s.typing(),
            Screen::Users(s) => s.typing(),
        }
    }

    /// The update step: one message in, state changed, tasks out.
    pub fn update(&mut self, msg: Msg) -> Vec<Task> {
        i18n::set(self.lang);
        i18n::set_shop_offset(self.shop_offset);
        let mut ctx = Ctx {
            till: self.config.clone(),
            actor: self.actor.clone(),
            tasks: Vec::new(),
            notice: None,
            go: None,
            save_cart: None,
            carts: self.carts.clone().zip(self.sale_owner.clone()),
            return_keys: self.return_keys.clone(),
            seq: self.seq,
        };
        let is_result = !matches!(msg, Msg::Key(_) | Msg::Tick | Msg::Resize);
        if is_result {
            self.busy = self.busy.saturating_sub(1);
        }
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key, &mut ctx),
            Msg::Key(_) | Msg::Resize => {}
            Msg::Tick => self.on_tick(&mut ctx),
            Msg::CartSaved(Err(error)) => {
                ctx.notice = Some(Notice::error(t!("cart-not-saved", error = error)));
            }
            Msg::CartSaved(Ok(())) => {}
            Msg::ShopOffset(Ok(minutes)) => {
                self.shop_offset = Some(minutes);
                i18n::set_shop_offset(self.shop_offset);
            }
            // Times stay on this machine's clock; nothing else depends on it.
            Msg::ShopOffset(Err(_)) => {}
            Msg::UsersExist(result) => match result {
                Ok(true) => self.screen = Screen::Login(login::Login::new()),
                Ok(false) => self.screen = Screen::Setup(setup::Setup::new()),
                Err(error) => ctx.fail(&error),
            },
            other => self.route(other, &mut ctx),
        }
        self.apply(ctx)
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) {
        self.idle = 0;
        if self.help {
            // Any key closes the help overlay.
            self.help = false;
            return;
        }
        if self.confirm_quit {
            self.confirm_quit = false;
            self.quit = matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y'));
            return;
        }
        // A message stays until the next action: typed characters keep it, other keys clear it
        // (whatever they lead to may say something new).
        let typed =
            matches!(key.code, KeyCode::Char(_)) && !key.modifiers.contains(KeyModifiers::CONTROL);
        if !typed {
            self.notice = None;
        }
        let logged_in = self.actor.is_some();
        if let Some(global) = keys::find(GLOBAL, &key) {
            // Leaving while a park, recall or caixa request is in flight would leave its answer
            // to another sale (or none): the cart file would still hold a sale that is parked, a
            // recalled sale would be shown to nobody, a caixa answer would reach someone else.
            if matches!(global, Global::Quit | Global::Logout) && self.sale.is_busy() {
                ctx.notice = Some(Notice::error(t!("sale-busy-leave")));
                return;
            }
            match global {
                Global::Quit => {
                    self.quit = true;
                    return;
                }
                Global::Help => {
                    self.help = true;
                    return;
                }
                _ if !logged_in => {}
                Global::Logout => {
                    let name = self.actor.as_ref().map(|a| a.username().to_string());
                    self.go(Go::Login, ctx);
                    if let Some(name) = name {
                        ctx.info(if self.sale.cart.is_empty() {
                            t!("logged-out", name = name)
                        } else {
                            t!("logged-out-sale-kept", name = name)
                        });
                    }
                    return;
                }
                Global::Sale => return self.go(Go::Tab(Tab::Sale), ctx),
                Global::Orders => return self.go(Go::Tab(Tab::Orders), ctx),
                Global::Products => return self.go(Go::Tab(Tab::Products), ctx),
                Global::Customers => return self.go(Go::Tab(Tab::Customers), ctx),
                Global::Users => return self.go(Go::Tab(Tab::Users), ctx),
            }
        }
        if !self.typing() {
            match key.code {
                KeyCode::Char('q') | KeyCode::Char('Q') => {
                    if self.sale.is_busy() {
                        ctx.notice = Some(Notice::error(t!("sale-busy-leave")));
                    } else if logged_in && !self.sale.cart.is_empty() {
                        self.confirm_quit = true;
                    } else {
                        self.quit = true;
                    }
                    return;
                }
                KeyCode::Char('?') => {
                    self.help = true;
                    return;
                }
                _ => {}
            }
        }
        match &mut self.screen {
            Screen::Starting => {}
            Screen::Setup(s) => s.on_key(key, ctx),
            Screen::Login(s) => s.on_key(key, ctx),
            Screen::Sale => self.sale.on_key(key, ctx),
            Screen::Orders(s) => s.on_key(key, ctx),
            Screen::Products(s) => s.on_key(key, ctx),
            Screen::Customers(s) => s.on_key(key, ctx),
            Screen::Users(s) => s.on_key(key, ctx),
        }
    }

    fn on_tick(&mut self, ctx: &mut Ctx) {
        if let Some(actor) = &self.actor {
            self.idle += 1;
            if self.lock_after > 0 && self.idle >= self.lock_after && !self.sale.is_busy() {
                let username = actor.username().to_string();
                self.go(Go::Login, ctx);
                self.screen = Screen::Login(login::Login::locked(&username));
                self.help = false;
                self.confirm_quit = false;
                ctx.notice = Some(Notice::error(t!(
                    "locked",
                    minutes = self.lock_after.div_ceil(60).to_string(),
                    name = username
                )));
                return;
            }
        }
        match &mut self.screen {
            Screen::Orders(s) => s.on_tick(ctx),
            Screen::Sale => self.sale.on_tick(ctx),
            _ => {}
        }
    }

    /// Sends a result to the screen that asked for it; the sale hears about its own even when
    /// another screen is in front.
    fn route(&mut self, msg: Msg, ctx: &mut Ctx) {
        // The login and first-run screens take only their own answers: whatever the sale asked
        // for before a log-out or an idle lock still reaches it.
        match (&mut self.screen, msg) {
            (Screen::Setup(s), msg @ (Msg::Bootstrapped(_) | Msg::Seeded(_))) => s.on_msg(msg, ctx),
            (Screen::Login(s), msg @ Msg::LoggedIn(_)) => s.on_msg(msg, ctx),
            (
                Screen::Orders(s),
                msg @ (Msg::Orders(..)
                | Msg::OrderDetail(_)
                | Msg::StatusChanged(_)
                | Msg::Returned(..)
                | Msg::Reprinted(_)),
            )
            | (Screen::Orders(s), msg @ Msg::Customers(..)) => s.on_msg(msg, ctx),
            (Screen::Products(s), msg @ (Msg::Products(..) | Msg::ProductSaved(_))) => {
                s.on_msg(msg, ctx)
            }
            (
                Screen::Customers(s),
                msg @ (Msg::Customers(..) | Msg::CustomerSaved(_) | Msg::CustomerDeleted(_)),
            ) => s.on_msg(msg, ctx),
            (Screen::Users(s), msg @ (Msg::Users(_) | Msg::UserSaved(_))) => s.on_msg(msg, ctx),
            (_, msg) => self.sale.on_msg(msg, ctx),
        }
    }

    fn go(&mut self, go: Go, ctx: &mut Ctx) {
        // A message belongs to the screen it was said on.
        self.notice = None;
        match go {
            Go::Login => {
                self.actor = None;
                ctx.actor = None;
                self.screen = Screen::Login(login::Login::new());
            }
            Go::LoggedIn(actor) => {
                // A cashier sent to the login screen by a forced logout (deactivated) may have
                // left a park, recall or caixa request in flight. Another cashier's sale would
                // replace theirs before the answer comes, and that answer would then clear or
                // fill the wrong cart. It comes within the till's answer limit, so the next
                // cashier waits.
                if self.sale.is_busy()
                    && let Some(owner) = self
                        .sale_owner
                        .as_deref()
                        .filter(|owner| *owner != actor.username())
                {
                    ctx.notice = Some(Notice::error(t!(
                        "login-wait-sale-busy",
                        name = owner,
                        seconds = crate::screens::sale::ANSWER_WITHIN.as_secs().to_string()
                    )));
                    return;
                }
                if ctx.notice.is_none() {
                    ctx.info(t!("welcome", name = actor.username()));
                }
                if self.sale_owner.as_deref() != Some(actor.username()) {
                    // Each user has a sale of their own at this register.
                    let cart = self
                        .carts
                        .as_ref()
                        .map(|carts| carts.load(actor.username()))
                        .unwrap_or_default();
                    self.sale = sale::Sale::new(cart);
                    self.sale_owner = Some(actor.username().to_string());
                }
                let reader = actor.clone();
                ctx.spawn(Task::new(
                    "reading the shop's clock",
                    move |erp| async move {
                        let settings = erp.shop_settings(&reader).await;
                        Msg::ShopOffset(settings.map(|shop| shop.utc_offset_minutes))
                    },
                ));
                self.actor = Some(actor.clone());
                ctx.actor = Some(actor);
                self.screen = Screen::Sale;
                self.sale.on_enter(ctx);
            }
            Go::Back => {
                if let Screen::Orders(s) = &mut self.screen {
                    s.back(ctx);
                }
            }
            Go::Tab(Tab::Sale) => {
                self.screen = Screen::Sale;
                self.sale.on_enter(ctx);
            }
            Go::Tab(Tab::Orders) => self.screen = Screen::Orders(orders::Orders::new(ctx)),
            Go::Tab(Tab::Products) => self.screen = Screen::Products(products::Products::new(ctx)),
            Go::Tab(Tab::Customers) => {
                self.screen = Screen::Customers(customers::Customers::new(ctx))
            }
            Go::Tab(Tab::Users) => {
                if ctx.can(Permission::ManageUsers) {
                    self.screen = Screen::Users(users::Users::new(ctx));
                } else {
                    ctx.notice = Some(Notice::error(t!("only-managers-manage-users")));
                }
            }
            Go::Order(id) => {
                let mut list = orders::Orders::new(ctx);
                list.open(id, ctx);
                self.screen = Screen::Orders(list);
            }
        }
    }

    /// Applies what the screens asked for and returns the tasks to start.
    fn apply(&mut self, mut ctx: Ctx) -> Vec<Task> {
        if let Some(go) = ctx.go.take() {
            self.go(go, &mut ctx);
        }
        if let Some(notice) = ctx.notice.take() {
            self.notice = Some(notice);
        }
        if let Some(cart) = ctx.save_cart.take()
            && let Some(carts) = self.carts.clone()
            && let Some(user) = self.sale_owner.clone()
        {
            let version = ctx.next_seq();
            ctx.tasks
                .push(Task::new("saving the cart", move |_| async move {
                    Msg::CartSaved(
                        carts
                            .save_version(&user, &cart, version)
                            .map_err(|e| e.to_string()),
                    )
                }));
        }
        self.seq = ctx.seq;
        self.busy += ctx.tasks.len();
        ctx.tasks
    }

    // -----------------------------------------------------------------------------------------
    // View

    /// The hints of the screen in front.
    fn hints(&self) -> Vec<Hint> {
        let ctx_actor = self.actor.as_ref();
        match &self.screen {
            Screen::Starting => Vec::new(),
            Screen::Setup(s) => s.hints(),
            Screen::Login(s) => s.hints(),
            Screen::Sale => self.sale.hints(ctx_actor),
            Screen::Orders(s) => s.hints(ctx_actor),
            Screen::Products(s) => s.hints(ctx_actor),
            Screen::Customers(s) => s.hints(ctx_actor),
            Screen::Users(s) => s.hints(ctx_actor),
        }
    }

    fn title(&self) -> String {
        t!(match &self.screen {
            Screen::Starting => "title-starting",
            Screen::Setup(_) => "title-first-run",
            Screen::Login(_) => "title-login",
            Screen::Sale => "tab-sale",
            Screen::Orders(s) if s.detail_open() => "title-order",
            Screen::Orders(_) => "tab-orders",
            Screen::Products(_) => "tab-products",
            Screen::Customers(_) => "tab-customers",
            Screen::Users(_) => "tab-users",
        })
    }

    /// Draws the whole screen. Works from 80x24 up; smaller terminals get a note.
    pub fn view(&self, frame: &mut Frame) {
        i18n::set(self.lang);
        i18n::set_shop_offset(self.shop_offset);
        let area = frame.area();
        if area.width < 60 || area.height < 16 {
            frame.render_widget(Paragraph::new(t!("terminal-too-small")), area);
            return;
        }
        let mut hints = self.hints();
        hints.push(Hint {
            keys: "F1",
            label: "help",
            enabled: true,
        });
        // The keys take a second footer line when one is not enough (80 columns, Portuguese).
        let footer_lines = crate::widgets::wrap_hints(hints.clone(), usize::from(area.width), 2);
        let [header, body, notice, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(8),
            Constraint::Length(1),
            Constraint::Length(u16::try_from(footer_lines.len()).unwrap_or(1)),
        ])
        .areas(area);
        self.draw_header(frame, header);
        match &self.screen {
            Screen::Starting => {
                frame.render_widget(Paragraph::new(t!("opening-database")), body);
            }
            Screen::Setup(s) => s.draw(frame, body),
            Screen::Login(s) => s.draw(frame, body),
            Screen::Sale => self.sale.draw(frame, body),
            Screen::Orders(s) => s.draw(frame, body, self.actor.as_ref()),
            Screen::Products(s) => s.draw(frame, body),
            Screen::Customers(s) => s.draw(frame, body),
            Screen::Users(s) => s.draw(frame, body),
        }
        if let Some(n) = &self.notice {
            let style = match n.kind {
                NoticeKind::Info => Style::new().fg(Color::Green),
                NoticeKind::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            };
            frame.render_widget(Paragraph::new(Span::styled(n.text.clone(), style)), notice);
        }
        let shown: Vec<Line> = footer_lines.iter().map(|row| hint_line(row)).collect();
        frame.render_widget(Paragraph::new(shown), footer);
        if self.help {
            self.draw_help(frame, area, &hints);
        }
        if self.confirm_quit {
            let popup = centered(area, 56, 5);
            frame.render_widget(Clear, popup);
            let items: u32 = self.sale.cart.lines.iter().map(|l| l.quantity).sum();
            frame.render_widget(
                Paragraph::new(vec![
                    Line::from(t!("quit-question", items = items)).bold(),
                    Line::from(t!("quit-kept")),
                    Line::from(t!("quit-keys")),
                ])
                .block(Block::bordered().title(format!(" {} ", t!("quit-title")))),
                popup,
            );
        }
    }

    fn draw_header(&self, frame: &mut Frame, area: Rect) {
        let mut spans = vec![Span::styled(" erp ", Style::new().reversed().bold())];
        if self.actor.is_none() {
            spans.push(Span::raw(format!(" {} ", self.title())).bold());
        } else {
            let tabs = [
                ("F2", "tab-sale", Tab::Sale),
                ("F3", "tab-orders", Tab::Orders),
                ("F4", "tab-products", Tab::Products),
                ("F5", "tab-customers", Tab::Customers),
                ("F6", "tab-users", Tab::Users),
            ];
            let active = |tab: Tab| {
                matches!(
                    (&self.screen, tab),
                    (Screen::Sale, Tab::Sale)
                        | (Screen::Orders(_), Tab::Orders)
                        | (Screen::Products(_), Tab::Products)
                        | (Screen::Customers(_), Tab::Customers)
                        | (Screen::Users(_), Tab::Users)
                )
            };
            // Every tab named when there is room for them and who is logged in; otherwise
            // (Portuguese words are longer) only the screen in front is named.
            let full: usize = tabs
                .iter()
                .map(|(key, label, _)| key.len() + t!(label).chars().count() + 2)
                .sum();
            let right_len = self.actor.as_ref().map_or(0, |a| {
                a.username().chars().count() + i18n::role(a.role()).chars().count() + 6
            }) + self
                .carts
                .as_ref()
                .map_or(self.backend, |carts| carts.register())
                .chars()
                .count();
            let named_all = 5 + full + right_len + 2 <= usize::from(area.width);
            for (key, label, tab) in tabs {
                let style = if active(tab) {
                    Style::new().fg(Color::Cyan).bold()
                } else {
                    Style::new().fg(Color::DarkGray)
                };
                let text = if named_all || active(tab) {
                    format!(" {key} {}", t!(label))
                } else {
                    format!(" {key}")
                };
                spans.push(Span::styled(text, style));
            }
        }
        let place = self
            .carts
            .as_ref()
            .map_or(self.backend, |carts| carts.register());
        let right = match &self.actor {
            Some(actor) => format!(
                "{} ({}) · {place}",
                actor.username(),
                i18n::role(actor.role())
            ),
            None => place.to_string(),
        };
        // An ASCII mark: emoji widths differ between terminals and would shift the line.
        let busy = if self.busy > 0 { " *" } else { "" };
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        let width = usize::from(area.width);
        // At least one space between the tabs and the name, and one at the end.
        let room = width.saturating_sub(used + busy.chars().count() + 2);
        let right = crate::widgets::fit(&right, room);
        let gap = width.saturating_sub(used + right.chars().count() + busy.chars().count() + 1);
        spans.push(Span::raw(" ".repeat(gap)));
        spans.push(Span::styled(right, Style::new().fg(Color::Yellow)));
        spans.push(Span::raw(busy));
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn draw_help(&self, frame: &mut Frame, area: Rect, hints: &[Hint]) {
        let mut all: Vec<Hint> = hints.to_vec();
        if self.actor.is_some() {
            all.extend(keys::hints(GLOBAL, |g| {
                g != Global::Users
                    || self
                        .actor
                        .as_ref()
                        .is_some_and(|a| a.can(Permission::ManageUsers))
            }));
        } else {
            all.push(Hint {
                keys: "^C",
                label: "quit",
                enabled: true,
            });
        }
        all.dedup_by(|a, b| a.keys == b.keys);
        let height = u16::try_from(all.len()).unwrap_or(20).saturating_add(4);
        let popup = centered(area, 56, height);
        frame.render_widget(Clear, popup);
        let rows: Vec<Row> = all
            .iter()
            .map(|h| {
                let style = if h.enabled {
                    Style::new()
                } else {
                    Style::new().fg(Color::DarkGray)
                };
                let label = if h.enabled {
                    i18n::label(h.label).into_owned()
                } else {
                    t!("not-available", label = i18n::label(h.label))
                };
                Row::new(vec![h.keys.to_string(), label]).style(style)
            })
            .collect();
        let table = Table::new(rows, [Constraint::Length(10), Constraint::Min(10)]).block(
            Block::bordered()
                .title(format!(" {} ", t!("help-title", screen = self.title())))
                .title_bottom(format!(" {} ", t!("help-closes"))),
        );
        frame.render_widget(table, popup);
    }
}
