//! The shop itself: what its receipts say about it.

use chrono::{FixedOffset, Offset, Utc};
use serde::Serialize;

use super::{Invalid, Name, Note, Phone, TaxId, TaxIdKind};
use crate::error::Error;

/// The shop as its receipts present it: name, CNPJ, address, phone, a closing line, and the local
/// time its clocks show.
///
/// One per database, so every till and server of the shop prints the same header. A database
/// starts with [`ShopSettings::unconfigured`] until an admin sets them
/// ([`Erp::update_shop_settings`](crate::Erp::update_shop_settings)).
///
/// ```
/// use erp_core::domain::{Name, ShopSettings, TaxId};
/// let shop = ShopSettings::new(
///     Name::parse("Empório Exemplo").unwrap(),
///     Some(TaxId::parse("11.222.333/0001-81").unwrap()),
///     None,
///     None,
///     None,
///     -180,
/// )
/// .unwrap();
/// assert_eq!(shop.tax_id.unwrap().formatted(), "11.222.333/0001-81");
/// let cpf = TaxId::parse("529.982.247-25").unwrap();
/// assert!(ShopSettings::new(shop.name, Some(cpf), None, None, None, 0).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShopSettings {
    /// The trading name, printed first.
    pub name: Name,
    /// The shop's CNPJ (a company id; a CPF is refused).
    pub tax_id: Option<TaxId>,
    /// The address, one or more lines (at most [`ShopSettings::MAX_ADDRESS_LINES`]).
    pub address: Option<Note>,
    /// The shop's phone number.
    pub phone: Option<Phone>,
    /// A closing line under every receipt ("Obrigado pela preferência!").
    pub footer: Option<Note>,
    /// The shop's offset from UTC in minutes (-180 for Brasília), for the times printed.
    pub utc_offset_minutes: i32,
}

impl ShopSettings {
    /// The widest offset any time zone uses, in minutes (UTC-12 to UTC+14).
    const OFFSET_RANGE: std::ops::RangeInclusive<i32> = -720..=840;

    /// The most address lines a receipt header prints.
    pub const MAX_ADDRESS_LINES: usize = 4;

    /// The most lines of the closing text.
    pub const MAX_FOOTER_LINES: usize = 4;

    /// The brasília offset the unconfigured settings start with, in minutes.
    pub const BRASILIA_OFFSET: i32 = -180;

    /// Validates the settings: the tax id must be a CNPJ, the offset a real one, the address and
    /// the footer a few lines each (a receipt header, not a letter).
    pub fn new(
        name: Name,
        tax_id: Option<TaxId>,
        address: Option<Note>,
        phone: Option<Phone>,
        footer: Option<Note>,
        utc_offset_minutes: i32,
    ) -> Result<ShopSettings, Error> {
        if let Some(id) = &tax_id
            && id.kind() != TaxIdKind::Cnpj
        {
            return Err(Invalid::new("must be the shop's CNPJ, not a CPF").in_field("tax_id"));
        }
        if address
            .as_ref()
            .is_some_and(|a| a.as_str().lines().count() > ShopSettings::MAX_ADDRESS_LINES)
        {
            return Err(Invalid::new("may have at most 4 lines").in_field("address"));
        }
        if footer
            .as_ref()
            .is_some_and(|f| f.as_str().lines().count() > ShopSettings::MAX_FOOTER_LINES)
        {
            return Err(Invalid::new("may have at most 4 lines").in_field("footer"));
        }
        if !ShopSettings::OFFSET_RANGE.contains(&utc_offset_minutes) {
            return Err(
                Invalid::new("must be between -720 and 840 minutes").in_field("utc_offset_minutes")
            );
        }
        Ok(ShopSettings {
            name,
            tax_id,
            address,
            phone,
            footer,
            utc_offset_minutes,
        })
    }

    /// What a new database holds until an admin sets the shop up: a placeholder name, no CNPJ,
    /// Brasília time. The migrations write the same row.
    pub fn unconfigured() -> ShopSettings {
        ShopSettings {
            name: Name::literal(ShopSettings::UNCONFIGURED_NAME),
            tax_id: None,
            address: None,
            phone: None,
            footer: None,
            utc_offset_minutes: ShopSettings::BRASILIA_OFFSET,
        }
    }

    /// The placeholder name of [`ShopSettings::unconfigured`].
    pub const UNCONFIGURED_NAME: &'static str = "Minha Loja";

    /// The address, line by line.
    pub fn address_lines(&self) -> Vec<&str> {
        self.address
            .as_ref()
            .map_or_else(Vec::new, |a| a.as_str().lines().collect())
    }

    /// The shop's clock offset (UTC for an out-of-range value edited by hand in the database).
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes * 60).unwrap_or(Utc.fix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unconfigured_shop_is_valid_settings() {
        let shop = ShopSettings::unconfigured();
        assert_eq!(
            Name::parse(ShopSettings::UNCONFIGURED_NAME).unwrap(),
            shop.name
        );
        let again = ShopSettings::new(shop.name.clone(), None, None, None, None, -180).unwrap();
        assert_eq!(again, shop);
    }

    #[test]
    fn long_addresses_and_footers_are_refused() {
        let five = Note::parse("a\nb\nc\nd\ne").unwrap();
        let name = Name::parse("Shop").unwrap();
        let err = ShopSettings::new(name.clone(), None, Some(five.clone()), None, None, 0);
        assert!(matches!(err, Err(Error::Validation { ref field, .. }) if field == "address"));
        let err = ShopSettings::new(name, None, None, None, Some(five), 0);
        assert!(matches!(err, Err(Error::Validation { ref field, .. }) if field == "footer"));
    }
}
