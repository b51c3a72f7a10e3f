//! Users (managers and admins): staff accounts, roles, deactivation, password resets.

use crossterm::event::{KeyCode, KeyEvent};
use erp_core::Actor;
use erp_core::domain::{FieldResult, PageRequest, Password, Permission, Role, User, UserId};
use erp_core::input::UserInput;
use ratatui::Frame;
use ratatui::layout::Constraint;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::widgets::{Block, Row, Table, TableState};

use crate::app::Ctx;
use crate::form::{self, Form, OpenForm, Routed};
use crate::keys::{self, Binding, Hint, key};
use crate::msg::Msg;
use crate::t;
use crate::task::Task;
use crate::widgets::selected_style;

/// What the keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Previous.
    Up,
    /// Next.
    Down,
    /// New user.
    New,
    /// Change the role.
    Role,
    /// Deactivate or reactivate.
    Active,
    /// Set a new password.
    Password,
}

const KEYS: &[Binding<Act>] = &[
    key(KeyCode::Up, "↑↓", "move", Act::Up),
    key(KeyCode::Down, "", "", Act::Down),
    key(KeyCode::Char('n'), "n", "new user", Act::New),
    key(KeyCode::Char('r'), "r", "role", Act::Role),
    key(KeyCode::Char('a'), "a", "(de)activate", Act::Active),
    key(KeyCode::Char('p'), "p", "password", Act::Password),
];

/// What the open form is for.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// A new user.
    New,
    /// A role change.
    Role(UserId),
    /// A password reset.
    Password(UserId),
}

/// The users screen.
#[derive(Debug)]
pub struct Users {
    /// Users by name.
    pub users: Vec<User>,
    /// The highlighted one.
    pub selected: usize,
    /// An open form.
    pub form: OpenForm<Purpose>,
}

impl Users {
    /// The list, loading.
    pub fn new(ctx: &mut Ctx) -> Users {
        let users = Users {
            users: Vec::new(),
            selected: 0,
            form: None,
        };
        load(ctx);
        users
    }

    /// Whether typed text goes into a field.
    pub fn typing(&self) -> bool {
        self.form.is_some()
    }

    fn submit(
        &mut self,
        purpose: Purpose,
        values: Vec<String>,
        ctx: &mut Ctx,
    ) -> Result<(), erp_core::Error> {
        let actor = ctx.actor();
        match purpose {
            Purpose::New => {
                let new = UserInput {
                    username: values[0].clone(),
                    password: values[1].clone(),
                    role: values[2].clone(),
                }
                .parse()?;
                ctx.spawn(Task::new("creating the user", move |erp| async move {
                    Msg::UserSaved(erp.create_user(&actor, new).await)
                }));
            }
            Purpose::Role(id) => {
                let role = Role::parse(&values[0]).field("role")?;
                ctx.spawn(Task::new("changing the role", move |erp| async move {
                    Msg::UserSaved(erp.set_user_role(&actor, id, role).await)
                }));
            }
            Purpose::Password(id) => {
                let password = Password::new(&values[0]).field("password")?;
                ctx.spawn(Task::new("setting the password", move |erp| async move {
                    let result = match erp.change_password(&actor, id, None, password).await {
                        Ok(()) => erp.user(&actor, id).await,
                        Err(error) => Err(error),
                    };
                    Msg::UserSaved(result)
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
        let selected = self.users.get(self.selected).cloned();
        match keys::find(KEYS, &key) {
            Some(Act::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Act::Down) if self.selected + 1 < self.users.len() => {
                self.selected += 1;
            }
            Some(Act::Down) => {}
            Some(Act::New) => {
                let form = Form::new(
                    t!("user-new-title"),
                    &[
                        &t!("field-username"),
                        &t!("field-password"),
                        &t!("field-role"),
                    ],
                )
                .with_masked(1)
                .with_value(2, "operator")
                .with_message(t!("user-new-hint"));
                self.form = Some((form, Purpose::New));
            }
            Some(Act::Role) => {
                if let Some(user) = selected {
                    let form = Form::new(
                        t!("user-role-title", username = user.username.to_string()),
                        &[&t!("field-role")],
                    )
                    .with_value(0, user.role.to_string())
                    .with_message(t!("user-role-hint"));
                    self.form = Some((form, Purpose::Role(user.id)));
                }
            }
            Some(Act::Password) => {
                if let Some(user) = selected {
                    let form = Form::new(
                        t!("user-password-title", username = user.username.to_string()),
                        &[&t!("field-password")],
                    )
                    .with_masked(0);
                    self.form = Some((form, Purpose::Password(user.id)));
                }
            }
            Some(Act::Active) => {
                if let Some(user) = selected {
                    let actor = ctx.actor();
                    ctx.spawn(Task::new("changing the user", move |erp| async move {
                        Msg::UserSaved(erp.set_user_active(&actor, user.id, !user.active).await)
                    }));
                }
            }
            None => {}
        }
    }

    /// Results.
    pub fn on_msg(&mut self, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Users(Ok(page)) => {
                self.users = page.items;
                self.selected = self.selected.min(self.users.len().saturating_sub(1));
            }
            Msg::Users(Err(error)) => ctx.fail(&error),
            Msg::UserSaved(Ok(user)) => {
                ctx.info(format!(
                    "{} saved ({}, {}).",
                    user.username,
                    user.role,
                    if user.active { "active" } else { "deactivated" }
                ));
                self.form = None;
                load(ctx);
            }
            Msg::UserSaved(Err(error)) => match self.form.as_mut() {
                Some((form, _)) => form.message = Some(crate::notice::explain(&error).text),
                None => ctx.fail(&error),
            },
            _ => {}
        }
    }

    /// The footer.
    pub fn hints(&self, actor: Option<&Actor>) -> Vec<Hint> {
        if self.form.is_some() {
            return form::hints();
        }
        let manage = actor.is_some_and(|a| a.can(Permission::ManageUsers));
        keys::hints(KEYS, |act| matches!(act, Act::Up | Act::Down) || manage)
            .into_iter()
            .filter(|h| !h.keys.is_empty())
            .collect()
    }

    /// Drawing.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let rows: Vec<Row> = self
            .users
            .iter()
            .map(|u| {
                let style = if u.active {
                    Style::new()
                } else {
                    Style::new().fg(Color::DarkGray)
                };
                Row::new(vec![
                    u.username.to_string(),
                    crate::i18n::role(u.role).into_owned(),
                    if u.active { "active" } else { "deactivated" }.to_string(),
                    crate::i18n::time(u.created_at),
                ])
                .style(style)
            })
            .collect();
        let mut state =
            TableState::default().with_selected((!self.users.is_empty()).then_some(self.selected));
        let table = Table::new(
            rows,
            [
                Constraint::Min(16),
                Constraint::Length(10),
                Constraint::Length(12),
                Constraint::Length(16),
            ],
        )
        .header(
            Row::new(vec![
                t!("col-username"),
                t!("col-role"),
                t!("col-status"),
                t!("col-since"),
            ])
            .bold(),
        )
        .row_highlight_style(selected_style())
        .block(Block::bordered().title(" Users "));
        frame.render_stateful_widget(table, area, &mut state);
        if let Some((form, _)) = &self.form {
            form.draw(frame, area);
        }
    }
}

fn load(ctx: &mut Ctx) {
    let actor = ctx.actor();
    ctx.spawn(Task::new("loading users", move |erp| async move {
        Msg::Users(erp.users(&actor, PageRequest::first(200)).await)
    }));
}
