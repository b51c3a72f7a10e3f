//! Key bindings. Each screen declares one table of [`Binding`]s; the same table decides what a key
//! does, fills the footer and the `F1` help overlay, so they can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key, what it is called on screen, and what it does.
#[derive(Clone, Copy, Debug)]
pub struct Binding<A: Copy> {
    /// The key.
    pub code: KeyCode,
    /// Required modifiers (only Ctrl and Alt are compared; Shift comes with the character).
    pub mods: KeyModifiers,
    /// How the key is written in the footer.
    pub hint: &'static str,
    /// What it does, in two or three words.
    pub label: &'static str,
    /// The action.
    pub action: A,
}

/// A binding without modifiers.
pub const fn key<A: Copy>(
    code: KeyCode,
    hint: &'static str,
    label: &'static str,
    action: A,
) -> Binding<A> {
    Binding {
        code,
        mods: KeyModifiers::NONE,
        hint,
        label,
        action,
    }
}

/// A Ctrl binding.
pub const fn ctrl<A: Copy>(
    c: char,
    hint: &'static str,
    label: &'static str,
    action: A,
) -> Binding<A> {
    Binding {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
        hint,
        label,
        action,
    }
}

impl<A: Copy> Binding<A> {
    /// Whether `event` presses this binding.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let relevant = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code_matches = match (self.code, event.code) {
            // Letters match either case unless the binding asks for Ctrl.
            (KeyCode::Char(a), KeyCode::Char(b)) if self.mods.is_empty() => {
                a.eq_ignore_ascii_case(&b)
            }
            (a, b) => a == b,
        };
        code_matches && relevant == self.mods
    }
}

/// The action bound to `event`, if any.
pub fn find<A: Copy>(table: &[Binding<A>], event: &KeyEvent) -> Option<A> {
    table.iter().find(|b| b.matches(event)).map(|b| b.action)
}

/// A line of the footer or the help overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The key as written.
    pub keys: &'static str,
    /// What it does.
    pub label: &'static str,
    /// Shown dimmed when the action is not available (role, state).
    pub enabled: bool,
}

/// Hints for a table; `enabled` says for each action whether it is available now.
pub fn hints<A: Copy>(table: &[Binding<A>], enabled: impl Fn(A) -> bool) -> Vec<Hint> {
    table
        .iter()
        .map(|b| Hint {
            keys: b.hint,
            label: b.label,
            enabled: enabled(b.action),
        })
        .collect()
}

/// What the keys every screen shares do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    /// Show the help overlay.
    Help,
    /// Go to the sale screen.
    Sale,
    /// Go to the orders screen.
    Orders,
    /// Go to the products screen.
    Products,
    /// Go to the customers screen.
    Customers,
    /// Go to the users screen.
    Users,
    /// Log out (another cashier logs in; each keeps their own sale).
    Logout,
    /// Quit.
    Quit,
}

/// The keys every screen shares once logged in.
pub const GLOBAL: &[Binding<Global>] = &[
    key(KeyCode::F(1), "F1", "help", Global::Help),
    key(KeyCode::F(2), "F2", "sale", Global::Sale),
    key(KeyCode::F(3), "F3", "orders", Global::Orders),
    key(KeyCode::F(4), "F4", "products", Global::Products),
    key(KeyCode::F(5), "F5", "customers", Global::Customers),
    key(KeyCode::F(6), "F6", "users", Global::Users),
    key(KeyCode::F(10), "F10", "log out", Global::Logout),
    ctrl('c', "^C", "quit", Global::Quit),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_match_either_case_and_ctrl_is_exact() {
        let table = [
            key(KeyCode::Char('n'), "n", "new", 1),
            ctrl('c', "^C", "quit", 2),
        ];
        let press = |code, mods| KeyEvent::new(code, mods);
        assert_eq!(
            find(&table, &press(KeyCode::Char('N'), KeyModifiers::SHIFT)),
            Some(1)
        );
        assert_eq!(
            find(&table, &press(KeyCode::Char('n'), KeyModifiers::CONTROL)),
            None
        );
        assert_eq!(
            find(&table, &press(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(2)
        );
        assert_eq!(
            find(&table, &press(KeyCode::Char('c'), KeyModifiers::NONE)),
            None
        );
    }
}
