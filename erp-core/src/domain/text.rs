//! Free text typed by people: names, notes and reasons.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::Invalid;

/// Trims `text` and checks its length and characters. Control characters and the bidirectional
/// overrides (which can make a name display as something else) are refused; newlines only where
/// `multiline` allows them.
fn clean(text: &str, min: usize, max: usize, multiline: bool) -> Result<String, Invalid> {
    let trimmed = text.trim();
    let len = trimmed.chars().count();
    if len < min {
        return Err(Invalid::new(if min == 1 {
            "must not be empty".to_string()
        } else {
            format!("must be at least {min} characters")
        }));
    }
    if len > max {
        return Err(Invalid::new(format!("must be at most {max} characters")));
    }
    let forbidden = |c: char| {
        let control = c.is_control() && !(multiline && (c == '\n' || c == '\t'));
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        control || bidi
    };
    if let Some(bad) = trimmed.chars().find(|c| forbidden(*c)) {
        return Err(Invalid::new(format!(
            "must not contain control characters (found U+{:04X})",
            u32::from(bad)
        )));
    }
    Ok(trimmed.to_string())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, min = $min:expr, max = $max:expr, multiline = $multi:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The longest text accepted, in characters.
            pub const MAX_LEN: usize = $max;

            /// Trims and validates the text.
            pub fn parse(text: &str) -> Result<Self, Invalid> {
                clean(text, $min, $max, $multi).map(Self)
            }

            /// The cleaned text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_type!(
    /// A person's, company's or product's name: 1 to 200 characters, any script, one line.
    Name, min = 1, max = 200, multiline = false
);
impl Name {
    /// A name written in the program itself, known to be valid (a test parses each one).
    pub(crate) fn literal(text: &'static str) -> Name {
        Name(text.to_string())
    }
}

text_type!(
    /// Why stock changed or an order moved: 1 to 200 characters, one line.
    Reason, min = 1, max = 200, multiline = false
);
text_type!(
    /// A payment's reference (card authorisation, PIX transaction id): 1 to 100 characters, one
    /// line.
    Reference, min = 1, max = 100, multiline = false
);
text_type!(
    /// A free note on an order or a status change: up to 1000 characters, several lines allowed.
    Note, min = 1, max = 1000, multiline = true
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_keep_any_script() {
        assert_eq!(
            Name::parse("  José da Silva ").unwrap().as_str(),
            "José da Silva"
        );
        assert_eq!(Name::parse("東京堂 🍵").unwrap().as_str(), "東京堂 🍵");
    }

    #[test]
    fn names_reject_empty_long_control_and_bidi_override() {
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"x".repeat(201)).is_err());
        assert!(Name::parse("a\u{0}b").is_err());
        assert!(Name::parse("two\nlines").is_err());
        assert!(Name::parse("evil\u{202E}gpj.exe").is_err());
    }

    #[test]
    fn notes_allow_several_lines() {
        assert!(Note::parse("line one\nline two").is_ok());
        assert!(Note::parse("bell\u{7}").is_err());
    }

    #[test]
    fn sql_metacharacters_are_just_text() {
        let name = Name::parse("Robert'); DROP TABLE customers;--").unwrap();
        assert_eq!(name.as_str(), "Robert'); DROP TABLE customers;--");
    }
}
