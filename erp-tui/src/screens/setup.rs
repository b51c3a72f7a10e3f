//! First run: create the first admin (there is never a default password), then offer the demo
//! catalogue.

use crossterm::event::{KeyCode, KeyEvent};
use erp_core::domain::{FieldResult, Password, Username};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Stylize;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::{Ctx, Go};
use crate::form::{Form, FormEvent};
use crate::keys::Hint;
use crate::msg::Msg;
use crate::t;
use crate::task::Task;

/// The first-run steps.
#[derive(Debug)]
pub enum Step {
    /// Filling in the admin.
    Admin(Form),
    /// Creating it.
    Creating,
    /// Asking about demo data.
    OfferDemo(erp_core::Actor),
    /// Loading it.
    Seeding(erp_core::Actor),
}

/// The first-run screen.
#[derive(Debug)]
pub struct Setup {
    /// Where we are.
    pub step: Step,
}

fn admin_form() -> Form {
    Form::new(
        t!("setup-admin-title"),
        &[
            &t!("field-username"),
            &t!("field-password"),
            &t!("field-password-again"),
        ],
    )
    .with_masked(1)
    .with_masked(2)
    .with_message(t!("setup-admin-message"))
}

impl Setup {
    /// Starts with the admin form.
    pub fn new() -> Setup {
        Setup {
            step: Step::Admin(admin_form()),
        }
    }

    /// The footer.
    pub fn hints(&self) -> Vec<Hint> {
        match self.step {
            Step::OfferDemo(_) => vec![
                Hint {
                    keys: "y",
                    label: "load demo data",
                    enabled: true,
                },
                Hint {
                    keys: "n",
                    label: "start empty",
                    enabled: true,
                },
            ],
            _ => vec![Hint {
                keys: "Enter",
                label: "next / create",
                enabled: true,
            }],
        }
    }

    /// Keys.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) {
        match &mut self.step {
            Step::Admin(form) => {
                if let FormEvent::Submit(values) = form.on_key(key) {
                    let checked = Username::parse(&values[0])
                        .field("username")
                        .and_then(|u| Password::new(&values[1]).field("password").map(|p| (u, p)));
                    match checked {
                        Err(error) => ctx.fail(&error),
                        Ok(_) if values[1] != values[2] => {
                            ctx.notice =
                                Some(crate::notice::Notice::error(t!("setup-passwords-differ")));
                        }
                        Ok((username, password)) => {
                            let typed = values[1].clone();
                            self.step = Step::Creating;
                            ctx.spawn(Task::new("creating the admin", move |erp| async move {
                                let name = username.to_string();
                                let result = match erp.bootstrap_admin(username, password).await {
                                    Ok(_) => erp.authenticate(&name, &typed).await,
                                    Err(error) => Err(error),
                                };
                                Msg::Bootstrapped(result)
                            }));
                        }
                    }
                }
            }
            Step::OfferDemo(actor) => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    let actor = actor.clone();
                    self.step = Step::Seeding(actor.clone());
                    ctx.spawn(Task::new("loading demo data", move |erp| async move {
                        Msg::Seeded(erp.seed_demo(&actor).await)
                    }));
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    ctx.go = Some(Go::LoggedIn(actor.clone()));
                }
                _ => {}
            },
            Step::Creating | Step::Seeding(_) => {}
        }
    }

    /// Results.
    pub fn on_msg(&mut self, msg: Msg, ctx: &mut Ctx) {
        match msg {
            Msg::Bootstrapped(Ok(actor)) => self.step = Step::OfferDemo(actor),
            Msg::Bootstrapped(Err(error)) => {
                ctx.fail(&error);
                if matches!(error, erp_core::Error::AlreadyDone { .. }) {
                    // Another till finished the first run meanwhile.
                    ctx.go = Some(Go::Login);
                } else {
                    self.step = Step::Admin(admin_form());
                }
            }
            Msg::Seeded(result) => {
                if let Step::Seeding(actor) = &self.step {
                    match result {
                        Ok(report) => ctx.info(t!(
                            "setup-demo-loaded",
                            products = report.products,
                            customers = report.customers
                        )),
                        Err(error) => ctx.fail(&error),
                    }
                    ctx.go = Some(Go::LoggedIn(actor.clone()));
                }
            }
            _ => {}
        }
    }

    /// Drawing.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        match &self.step {
            Step::Admin(form) => form.draw(frame, area),
            Step::Creating => frame.render_widget(Paragraph::new(t!("setup-creating")), area),
            Step::OfferDemo(actor) => {
                let text = vec![
                    Line::from(t!("setup-admin-created", username = actor.username())).bold(),
                    Line::from(""),
                    Line::from(t!("setup-demo-offer")),
                    Line::from(""),
                    Line::from(t!("setup-demo-keys")),
                ];
                frame.render_widget(
                    Paragraph::new(text)
                        .wrap(Wrap { trim: true })
                        .block(Block::bordered().title(format!(" {} ", t!("setup-welcome")))),
                    area,
                );
            }
            Step::Seeding(_) => frame.render_widget(Paragraph::new(t!("setup-seeding")), area),
        }
    }
}

impl Default for Setup {
    fn default() -> Self {
        Setup::new()
    }
}
