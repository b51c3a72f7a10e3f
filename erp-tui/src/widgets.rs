//! Drawing helpers shared by the screens.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::keys::Hint;

/// A `width` x `height` rectangle centred in `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// The footer line: each key bold, disabled ones dimmed.
pub fn hint_line(hints: &[Hint]) -> Line<'static> {
    let mut spans = Vec::with_capacity(hints.len() * 3);
    for hint in hints {
        let (key_style, label_style) = if hint.enabled {
            (
                Style::new().add_modifier(Modifier::BOLD).fg(Color::Cyan),
                Style::new(),
            )
        } else {
            (
                Style::new().fg(Color::DarkGray),
                Style::new().fg(Color::DarkGray),
            )
        };
        spans.push(Span::styled(hint.keys, key_style));
        spans.push(Span::styled(
            format!(" {} ", crate::i18n::label(hint.label)),
            label_style,
        ));
    }
    Line::from(spans)
}

/// The hints laid out on at most `lines` footer lines of `width` columns, in order, each line
/// as full as it goes. When they do not fit, the ones before the last (help, which lists them
/// all) go first.
pub fn wrap_hints(mut hints: Vec<Hint>, width: usize, lines: usize) -> Vec<Vec<Hint>> {
    let shown = |h: &Hint| h.keys.chars().count() + crate::i18n::label(h.label).chars().count() + 2;
    loop {
        let mut rows: Vec<Vec<Hint>> = Vec::new();
        let mut used = 0;
        for hint in &hints {
            let w = shown(hint);
            match rows.last_mut() {
                Some(row) if used + w <= width => {
                    row.push(hint.clone());
                    used += w;
                }
                _ => {
                    rows.push(vec![hint.clone()]);
                    used = w;
                }
            }
        }
        if rows.len() <= lines.max(1) || hints.len() <= 1 {
            return rows;
        }
        hints.remove(hints.len() - 2);
    }
}

/// The highlight of the selected table row.
pub fn selected_style() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// Shortens `text` to `width` characters with an ellipsis.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// Width of the search field of a list screen.
const SEARCH_WIDTH: usize = 24;

/// The one-line search field of a list screen followed by `summary`; while `typing`, the field is
/// highlighted and holds the cursor.
pub fn draw_search_bar(
    frame: &mut ratatui::Frame,
    area: Rect,
    search: &tui_input::Input,
    typing: bool,
    summary: String,
) {
    let field_style = if typing {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new().add_modifier(Modifier::UNDERLINED)
    };
    let label = "Search: ";
    frame.render_widget(
        ratatui::widgets::Paragraph::new(Line::from(vec![
            Span::raw(label),
            Span::styled(
                format!("{:<SEARCH_WIDTH$}", fit(search.value(), SEARCH_WIDTH)),
                field_style,
            ),
            Span::raw(format!("  {summary}")),
        ])),
        area,
    );
    if typing {
        let cursor = search.visual_cursor().min(SEARCH_WIDTH - 1) + label.len();
        let x = area.x.saturating_add(u16::try_from(cursor).unwrap_or(0));
        frame.set_cursor_position((x, area.y));
    }
}
