//! A form popup: labelled text fields (tui-input), one focused, passwords masked.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::keys::Hint;
use crate::widgets::centered;

/// One field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Shown before the input.
    pub label: String,
    /// The text.
    pub input: Input,
    /// Shown as `•`.
    pub masked: bool,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormEvent {
    /// Nothing to report.
    None,
    /// Enter on the last field: the values, in field order.
    Submit(Vec<String>),
    /// Esc.
    Cancel,
}

/// A form a list screen opened, with what it is for (which record, which action).
pub type OpenForm<P> = Option<(Form, P)>;

/// What became of a key offered to a screen's open form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed<P> {
    /// No form is open: the screen handles the key itself.
    NoForm,
    /// The form took the key (typing, moving, or Esc, which closed it).
    Taken,
    /// Enter on the last field: submit these values for this purpose.
    Submit(P, Vec<String>),
}

/// Offers `key` to the form open in `slot`, closing it on Esc.
pub fn route_key<P: Clone>(slot: &mut OpenForm<P>, key: KeyEvent) -> Routed<P> {
    let Some((form, purpose)) = slot.as_mut() else {
        return Routed::NoForm;
    };
    match form.on_key(key) {
        FormEvent::Submit(values) => Routed::Submit(purpose.clone(), values),
        FormEvent::Cancel => {
            *slot = None;
            Routed::Taken
        }
        FormEvent::None => Routed::Taken,
    }
}

/// Shows under the fields why a submit was refused; the form stays open with what was typed.
pub fn show_error<P>(slot: &mut OpenForm<P>, error: &erp_core::Error) {
    if let Some((form, _)) = slot.as_mut() {
        form.message = Some(crate::notice::explain(error).text);
    }
}

/// The footer while a form is open.
pub fn hints() -> Vec<Hint> {
    vec![
        Hint {
            keys: "Enter",
            label: "next/save",
            enabled: true,
        },
        Hint {
            keys: "Tab",
            label: "move",
            enabled: true,
        },
        Hint {
            keys: "Esc",
            label: "cancel",
            enabled: true,
        },
    ]
}

/// A popup of fields.
#[derive(Debug, Clone)]
pub struct Form {
    /// The popup's title.
    pub title: String,
    /// The fields.
    pub fields: Vec<Field>,
    /// The focused field.
    pub focus: usize,
    /// A line under the fields (what is wrong, what to type).
    pub message: Option<String>,
}

impl Form {
    /// A form with empty fields.
    pub fn new(title: impl Into<String>, labels: &[&str]) -> Form {
        Form {
            title: title.into(),
            fields: labels
                .iter()
                .map(|label| Field {
                    label: (*label).to_string(),
                    input: Input::default(),
                    // Labels from the code are English; a translated form marks its password
                    // fields with `with_masked`.
                    masked: label.to_ascii_lowercase().contains("password"),
                })
                .collect(),
            focus: 0,
            message: None,
        }
    }

    /// Prefills field `index`.
    pub fn with_value(mut self, index: usize, value: impl Into<String>) -> Form {
        if let Some(field) = self.fields.get_mut(index) {
            field.input = Input::new(value.into());
        }
        self
    }

    /// Masks field `index` (a password).
    pub fn with_masked(mut self, index: usize) -> Form {
        if let Some(field) = self.fields.get_mut(index) {
            field.masked = true;
        }
        self
    }

    /// Starts on the last field, so that Enter submits a form filled in beforehand.
    pub fn with_focus_on_last(mut self) -> Form {
        self.focus = self.fields.len().saturating_sub(1);
        self
    }

    /// Sets the line under the fields.
    pub fn with_message(mut self, message: impl Into<String>) -> Form {
        self.message = Some(message.into());
        self
    }

    /// The value of field `index`.
    pub fn value(&self, index: usize) -> &str {
        self.fields.get(index).map_or("", |f| f.input.value())
    }

    /// Handles a key: typing, moving between fields, submitting, cancelling.
    pub fn on_key(&mut self, key: KeyEvent) -> FormEvent {
        match key.code {
            KeyCode::Esc => FormEvent::Cancel,
            KeyCode::Enter if self.focus + 1 >= self.fields.len() => FormEvent::Submit(
                self.fields
                    .iter()
                    .map(|f| f.input.value().to_string())
                    .collect(),
            ),
            KeyCode::Enter | KeyCode::Tab | KeyCode::Down => {
                self.focus = (self.focus + 1) % self.fields.len().max(1);
                FormEvent::None
            }
            KeyCode::BackTab | KeyCode::Up => {
                self.focus = (self.focus + self.fields.len().max(1) - 1) % self.fields.len().max(1);
                FormEvent::None
            }
            _ if key.modifiers.contains(KeyModifiers::CONTROL) => FormEvent::None,
            _ => {
                if let Some(field) = self.fields.get_mut(self.focus) {
                    field.input.handle_event(&Event::Key(key));
                }
                FormEvent::None
            }
        }
    }

    /// Draws the popup over `area` and places the cursor in the focused field.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let height = u16::try_from(self.fields.len()).unwrap_or(8) + 6;
        let popup = centered(area, 64, height);
        frame.render_widget(Clear, popup);
        let block = Block::bordered().title(format!(" {} ", self.title)).bold();
        let inner = block.inner(popup);
        frame.render_widget(block, popup);
        let mut rows: Vec<Constraint> = self.fields.iter().map(|_| Constraint::Length(1)).collect();
        rows.push(Constraint::Length(1));
        rows.push(Constraint::Min(2));
        let areas = Layout::vertical(rows).split(inner);
        let label_width = 16u16;
        for (index, field) in self.fields.iter().enumerate() {
            let row = areas[index];
            let [label_area, input_area] =
                Layout::horizontal([Constraint::Length(label_width), Constraint::Min(1)])
                    .areas(row);
            let focused = index == self.focus;
            let label_style = if focused {
                Style::new().add_modifier(Modifier::BOLD)
            } else {
                Style::new()
            };
            frame.render_widget(
                Paragraph::new(Span::styled(format!("{}:", field.label), label_style)),
                label_area,
            );
            let width = usize::from(input_area.width.saturating_sub(1).max(1));
            let scroll = field.input.visual_scroll(width);
            let text: String = if field.masked {
                "•".repeat(field.input.value().chars().count())
            } else {
                field.input.value().to_string()
            };
            let input_style = if focused {
                Style::new().reversed()
            } else {
                Style::new().underlined()
            };
            let shown: String = text.chars().skip(scroll).take(width).collect();
            let padded = format!("{shown:<width$}");
            frame.render_widget(
                Paragraph::new(Span::styled(padded, input_style)),
                input_area,
            );
            if focused {
                let cursor = field.input.visual_cursor().saturating_sub(scroll);
                let x = input_area.x
                    + u16::try_from(cursor)
                        .unwrap_or(0)
                        .min(input_area.width.saturating_sub(1));
                frame.set_cursor_position((x, input_area.y));
            }
        }
        let help = Line::from(
            hints()
                .iter()
                .flat_map(|h| {
                    [
                        Span::raw(h.keys).bold(),
                        Span::raw(format!(" {}  ", crate::i18n::label(h.label))),
                    ]
                })
                .collect::<Vec<_>>(),
        );
        let message_area = areas[self.fields.len() + 1];
        let mut lines = vec![help];
        if let Some(message) = &self.message {
            lines.insert(0, Line::from(message.as_str()).yellow());
        }
        frame.render_widget(
            Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
            message_area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_moves_and_submits() {
        let mut form = Form::new("New", &["Name", "Password"]);
        for c in "Ana".chars() {
            form.on_key(press(KeyCode::Char(c)));
        }
        assert_eq!(form.on_key(press(KeyCode::Enter)), FormEvent::None);
        for c in "secret!!".chars() {
            form.on_key(press(KeyCode::Char(c)));
        }
        assert!(form.fields[1].masked);
        assert_eq!(
            form.on_key(press(KeyCode::Enter)),
            FormEvent::Submit(vec!["Ana".into(), "secret!!".into()])
        );
        assert_eq!(form.on_key(press(KeyCode::Esc)), FormEvent::Cancel);
    }
}
