//! The till's words in the cashier's language: Brazilian Portuguese or English.
//!
//! Messages are Fluent (Project Fluent) files, `erp-tui/locales/<language>/till.ftl`, embedded at
//! compile time by `fluent-templates`; a translator edits them without touching code, and Fluent
//! picks plural forms by the language's own rules. Key labels of the footer and help are the
//! English words of the key tables; their translations are the messages `key-<words>`.
//!
//! The language is chosen once (`--lang`, else `LC_ALL` / `LC_MESSAGES` / `LANG`), held by the
//! [`App`](crate::app::App), and made current on its thread for each update and frame, so two
//! tills in one test process can speak different languages.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Local, TimeZone};
use erp_core::domain::{Money, Timestamp};
pub use erp_core::receipt::Language as Lang;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Fluent wraps arguments in Unicode bidi isolation marks, meant for right-to-left
        // scripts; a terminal would print them as stray characters.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static PT_BR: LanguageIdentifier = langid!("pt-BR");

thread_local! {
    static CURRENT: Cell<Lang> = const { Cell::new(Lang::En) };
    /// The shop's offset from UTC in minutes, once read from its settings.
    static SHOP_OFFSET: Cell<Option<i32>> = const { Cell::new(None) };
}

/// Shows times on the shop's clock (its settings' offset from UTC, in minutes), as its receipts
/// print them; `None`: on this machine's clock, until the settings are read.
pub fn set_shop_offset(minutes: Option<i32>) {
    SHOP_OFFSET.with(|offset| offset.set(minutes));
}

/// The language of a locale name as the environment writes it (`pt_BR.UTF-8`, `en_US`, `C`).
pub fn parse_locale(text: &str) -> Option<Lang> {
    let lower = text.trim().to_ascii_lowercase();
    let base = lower
        .split(['.', '@'])
        .next()
        .unwrap_or_default()
        .replace('_', "-");
    match base.as_str() {
        "pt-br" | "pt" => Some(Lang::PtBr),
        "c" | "posix" | "en" => Some(Lang::En),
        other if other.starts_with("en-") => Some(Lang::En),
        _ => None,
    }
}

/// The language the environment asks for, the way POSIX orders the variables; English when
/// none names one the till speaks.
pub fn from_env() -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .and_then(|value| parse_locale(&value))
        .unwrap_or(Lang::En)
}

/// Makes `lang` the language of this thread's words.
pub fn set(lang: Lang) {
    CURRENT.with(|current| current.set(lang));
}

/// The language of this thread's words.
pub fn current() -> Lang {
    CURRENT.with(Cell::get)
}

fn id(lang: Lang) -> &'static LanguageIdentifier {
    match lang {
        Lang::PtBr => &PT_BR,
        Lang::En => &EN,
    }
}

/// The message `id` with `args`, in the current language.
pub fn text(id: &str, args: &[(&'static str, FluentValue<'_>)]) -> String {
    let lang = id_of_current();
    if args.is_empty() {
        return LOCALES.lookup(lang, id);
    }
    let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
        .collect();
    LOCALES.lookup_with_args(lang, id, &map)
}

fn id_of_current() -> &'static LanguageIdentifier {
    id(current())
}

/// A key table's label (English words) in the current language.
pub fn label(english: &'static str) -> Cow<'static, str> {
    word("key", english)
}

/// A role's name in the current language.
pub fn role(role: erp_core::domain::Role) -> Cow<'static, str> {
    word("role", role.as_str())
}

/// What a permission allows, in the current language.
pub fn action(permission: erp_core::domain::Permission) -> Cow<'static, str> {
    word("action", permission.describe())
}

/// An order status in the current language.
pub fn status(status: erp_core::domain::OrderStatus) -> Cow<'static, str> {
    word("status", status.as_str())
}

/// English words from the code, or their translation: the message `<kind>-<words>`.
fn word(kind: &str, english: &'static str) -> Cow<'static, str> {
    if current() == Lang::En || english.is_empty() {
        return Cow::Borrowed(english);
    }
    // `yes, cancel it` is `key-yes-cancel-it`: words joined by single dashes.
    let words: Vec<String> = english
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let key = format!("{kind}-{}", words.join("-"));
    LOCALES
        .try_lookup(id_of_current(), &key)
        .map_or(Cow::Borrowed(english), Cow::Owned)
}

/// Money as this till shows it: `R$ 1.234,56` in Portuguese; in English the plain amount
/// (`1234.56`) the till always showed.
pub fn money(amount: Money) -> String {
    match current() {
        Lang::PtBr => erp_core::receipt::format_money(amount, Lang::PtBr),
        Lang::En => amount.to_string(),
    }
}

/// Money as a cashier would type it, for a field filled in beforehand (`1234,56` in Portuguese,
/// `1234.56` in English): no currency sign, no thousands grouping.
pub fn money_typed(amount: Money) -> String {
    let cents = amount.cents();
    format!("{}{}{:02}", cents / 100, decimal_sign(), cents % 100)
}

/// The decimal sign of the current language (`,` in Portuguese).
pub fn decimal_sign() -> String {
    match current() {
        Lang::PtBr => ",".to_string(),
        Lang::En => ".".to_string(),
    }
}

/// Money typed by a cashier, in the form erp-core parses: `18,50`, `18.50`, `1.234,56` and
/// `1,234.56` all mean what a person means by them (the last separator is the decimal one, and
/// any other must group thousands with the other sign). Text that is none of these (`1.2.3`,
/// `1,2.50`) is handed on as typed, so erp-core refuses it instead of guessing.
pub fn money_input(typed: &str) -> String {
    let text = typed.trim();
    let Some(at) = text.rfind([',', '.']) else {
        return text.to_string();
    };
    let (units, cents) = text.split_at(at);
    let cents = cents.get(1..).unwrap_or_default();
    let decimal = if text[at..].starts_with(',') {
        ','
    } else {
        '.'
    };
    let thousands = if decimal == ',' { '.' } else { ',' };
    let digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    let groups: Vec<&str> = units.split(thousands).collect();
    let grouped = match groups.split_first() {
        Some((first, rest)) if !rest.is_empty() => {
            first.len() <= 3 && digits(first) && rest.iter().all(|g| g.len() == 3 && digits(g))
        }
        _ => digits(units),
    };
    if !grouped || units.contains(decimal) || !digits(cents) {
        return text.to_string();
    }
    format!("{}.{cents}", groups.concat())
}

/// A moment in the local time zone (`TZ`), in the one format every screen uses.
pub fn time(at: Timestamp) -> String {
    // The shop's clock, as on its receipts: a till whose machine is set to another zone (or
    // left on UTC) would otherwise show its reports three hours off what it prints on sales.
    let shop = SHOP_OFFSET
        .with(Cell::get)
        .and_then(|minutes| FixedOffset::east_opt(minutes.saturating_mul(60)));
    match shop {
        Some(zone) => time_in(at, &zone),
        None => time_in(at, &Local),
    }
}

/// [`time`] in a given zone (tests).
pub fn time_in<Z: TimeZone>(at: Timestamp, zone: &Z) -> String
where
    Z::Offset: std::fmt::Display,
{
    let local: DateTime<Z> = at.with_timezone(zone);
    match current() {
        Lang::PtBr => local.format("%d/%m/%Y %H:%M").to_string(),
        Lang::En => local.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// `t!("id")` or `t!("id", name = value, ...)`: a message in the current language.
#[macro_export]
macro_rules! t {
    ($id:expr) => {
        $crate::i18n::text($id, &[])
    };
    ($id:expr, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::text(
            $id,
            &[$((stringify!($name), $crate::i18n::arg($value))),+],
        )
    };
}

/// A message argument.
pub fn arg<'a>(value: impl Into<FluentValue<'a>>) -> FluentValue<'a> {
    value.into()
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, TimeZone, Utc};

    use super::*;

    #[test]
    fn the_environment_names_the_language() {
        assert_eq!(parse_locale("pt_BR.UTF-8"), Some(Lang::PtBr));
        assert_eq!(parse_locale("pt-BR"), Some(Lang::PtBr));
        assert_eq!(parse_locale("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(parse_locale("C"), Some(Lang::En));
        assert_eq!(parse_locale("de_DE"), None);
    }

    #[test]
    fn messages_speak_the_current_language() {
        set(Lang::PtBr);
        assert_eq!(t!("sale-empty-cart"), "O carrinho está vazio.");
        assert_eq!(label("confirm"), "conclui");
        assert_eq!(label("no such label"), "no such label");
        assert_eq!(money(Money::parse("1234.56").unwrap()), "R$ 1.234,56");
        set(Lang::En);
        assert_eq!(t!("sale-empty-cart"), "The cart is empty.");
        assert_eq!(label("confirm"), "confirm");
        assert_eq!(money(Money::parse("1234.56").unwrap()), "1234.56");
    }

    #[test]
    fn typed_money_takes_either_decimal_separator() {
        assert_eq!(money_input("18,50"), "18.50");
        assert_eq!(money_input("18.50"), "18.50");
        assert_eq!(money_input(" 1.234,56 "), "1234.56");
        assert_eq!(money_input("1,234.56"), "1234.56");
        assert_eq!(money_input("7"), "7");
        assert_eq!(money_input("0,5"), "0.5");
        // Not money: left as typed for erp-core to refuse, never read as 12.3 or 1.250.
        for bad in ["1.2.3", "1,2.50", "1.23,4,5", "12,", ",5", "1.2345,00"] {
            assert_eq!(money_input(bad), bad);
            assert!(Money::parse(&money_input(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            Money::parse(&money_input("18,5")).unwrap().to_string(),
            "18.50"
        );
    }

    #[test]
    fn money_filled_in_reads_back_as_the_same_amount() {
        for (lang, shown) in [(Lang::PtBr, "1234,05"), (Lang::En, "1234.05")] {
            set(lang);
            let amount = Money::parse("1234.05").unwrap();
            assert_eq!(money_typed(amount), shown);
            assert_eq!(Money::parse(&money_input(&money_typed(amount))), Ok(amount));
        }
        assert_eq!(money_typed(Money::ZERO), "0.00");
    }

    #[test]
    fn times_follow_the_shops_clock_once_it_is_known() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 14, 5, 0).unwrap();
        set(Lang::PtBr);
        set_shop_offset(Some(-180));
        assert_eq!(time(at), "01/12/2026 11:05");
        set_shop_offset(Some(330));
        assert_eq!(time(at), "01/12/2026 19:35");
        set_shop_offset(None);
        assert_eq!(time(at), time_in(at, &Local));
        set(Lang::En);
    }

    #[test]
    fn times_are_local_in_one_format() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 14, 5, 0).unwrap();
        let brasilia = FixedOffset::west_opt(3 * 3600).unwrap();
        set(Lang::PtBr);
        assert_eq!(time_in(at, &brasilia), "01/12/2026 11:05");
        set(Lang::En);
        assert_eq!(time_in(at, &brasilia), "2026-12-01 11:05");
    }
}
