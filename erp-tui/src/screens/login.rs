//! Login: username and a masked password. erp-core says why a login fails and throttles
//! repeated failures; this screen only shows it.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::{Ctx, Go};
use crate::form::{Form, FormEvent};
use crate::keys::Hint;
use crate::msg::Msg;
use crate::t;
use crate::task::Task;

/// Username and a masked password.
fn login_form(title: String) -> Form {
    let (username, password) = (t!("field-username"), t!("field-password"));
    Form::new(title, &[&username, &password]).with_masked(1)
}

/// The login screen.
#[derive(Debug)]
pub struct Login {
    /// Username and password.
    pub form: Form,
    /// A login is being checked.
    pub checking: bool,
}

impl Login {
    /// An empty form.
    pub fn new() -> Login {
        Login {
            form: login_form(t!("login-title")),
            checking: false,
        }
    }

    /// The lock screen of an idle till: `username` is filled in, the cursor waits at the
    /// password. Another user may still log in instead.
    pub fn locked(username: &str) -> Login {
        let mut form = login_form(t!("login-locked-title")).with_value(0, username.to_string());
        form.focus = 1;
        Login {
            form,
            checking: false,
        }
    }

    /// The footer.
    pub fn hints(&self) -> Vec<Hint> {
        vec![
            Hint {
                keys: "Enter",
                label: "next / log in",
                enabled: !self.checking,
            },
            Hint {
                keys: "^C",
                label: "quit",
                enabled: true,
            },
        ]
    }

    /// Keys.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) {
        if self.checking {
            return;
        }
        if let FormEvent::Submit(values) = self.form.on_key(key) {
            let (username, password) = (values[0].clone(), values[1].clone());
            self.checking = true;
            ctx.spawn(Task::new("logging in", move |erp| async move {
                Msg::LoggedIn(erp.authenticate(&username, &password).await)
            }));
        }
    }

    /// Results.
    pub fn on_msg(&mut self, msg: Msg, ctx: &mut Ctx) {
        if let Msg::LoggedIn(result) = msg {
            self.checking = false;
            match result {
                Ok(actor) => ctx.go = Some(Go::LoggedIn(actor)),
                Err(error) => {
                    ctx.fail(&error);
                    // Keep the username, clear the password.
                    let username = self.form.value(0).to_string();
                    self.form = login_form(self.form.title.clone()).with_value(0, username);
                    self.form.focus = 1;
                }
            }
        }
    }

    /// Drawing.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        self.form.draw(frame, area);
    }
}

impl Default for Login {
    fn default() -> Self {
        Login::new()
    }
}
