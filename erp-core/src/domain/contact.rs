//! E-mail addresses and phone numbers.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::Invalid;

/// An e-mail address, trimmed and lower-cased so that uniqueness does not depend on case.
///
/// The check is deliberately practical rather than RFC 5322 complete: one `@`, a local part of
/// the usual characters without leading, trailing or doubled dots, and a domain of at least two
/// labels. Internationalised domains must be given in their ASCII (punycode) form.
///
/// ```
/// use erp_core::domain::Email;
/// assert_eq!(Email::parse(" Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
/// assert!(Email::parse("ana@localhost").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// The longest address accepted.
    pub const MAX_LEN: usize = 254;

    /// Normalises and validates an address.
    pub fn parse(text: &str) -> Result<Email, Invalid> {
        let normalized = text.trim().to_ascii_lowercase();
        if normalized.is_empty() {
            return Err(Invalid::new("must not be empty"));
        }
        if normalized.len() > Email::MAX_LEN {
            return Err(Invalid::new("is too long"));
        }
        if !normalized.is_ascii() {
            return Err(Invalid::new(
                "must be ASCII (give an internationalised domain in its punycode form)",
            ));
        }
        let Some((local, domain)) = normalized.split_once('@') else {
            return Err(Invalid::new("must contain an @"));
        };
        if domain.contains('@') {
            return Err(Invalid::new("must contain exactly one @"));
        }
        check_local_part(local)?;
        check_domain(domain)?;
        Ok(Email(normalized))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_local_part(local: &str) -> Result<(), Invalid> {
    if local.is_empty() || local.len() > 64 {
        return Err(Invalid::new("must have 1 to 64 characters before the @"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
    if !local.chars().all(allowed) {
        return Err(Invalid::new("has a character not allowed before the @"));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(Invalid::new(
            "must not start, end or double a dot before the @",
        ));
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), Invalid> {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(Invalid::new("must have a domain such as example.com"));
    }
    for label in &labels {
        let valid = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !valid {
            return Err(Invalid::new("has an invalid domain"));
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.len() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::new("has an invalid top-level domain"));
    }
    Ok(())
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A phone number, stored as an optional leading `+` and 8 to 15 digits (the E.164 limit).
/// Spaces, dots, dashes and parentheses people type are dropped.
///
/// ```
/// use erp_core::domain::Phone;
/// assert_eq!(Phone::parse("+55 (11) 98765-4321").unwrap().as_str(), "+5511987654321");
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    /// Normalises and validates a number.
    pub fn parse(text: &str) -> Result<Phone, Invalid> {
        let trimmed = text.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", trimmed),
        };
        let mut digits = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(Invalid::new(
                        "may contain only digits, a leading + and spaces - . ( )",
                    ));
                }
            }
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(Invalid::new("must have 8 to 15 digits"));
        }
        Ok(Phone(format!("{plus}{digits}")))
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.0)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Phone::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised() {
        assert_eq!(
            Email::parse("  Maria.Souza+loja@Example.com.BR ")
                .unwrap()
                .as_str(),
            "maria.souza+loja@example.com.br"
        );
    }

    #[test]
    fn email_rejects_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@example.com",
            "a@b@example.com",
            ".a@example.com",
            "a..b@example.com",
            "a b@example.com",
            "a@-example.com",
            "a@example..com",
            "a@example.1",
            "jos\u{e9}@example.com",
            "a'; DROP TABLE x;--@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn email_rejects_overlong() {
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn phone_keeps_digits_and_plus() {
        assert_eq!(
            Phone::parse("(11) 3456-7890").unwrap().as_str(),
            "1134567890"
        );
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("+1 234 567 890 123 456").is_err());
    }
}
