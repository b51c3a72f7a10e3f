//! The shop itself: what its receipts say about it.

use chrono::{FixedOffset, Offset, Utc};
use serde::Serialize;

use super::{Invalid, Name, Note, TaxId, TaxIdKind};
use crate::error::Error;

/// The shop as its receipts present it: name, CNPJ, address, a closing line, and the local time
/// its clocks show.
///
/// One per database, so every till and server of the shop prints the same header.
///
/// ```
/// use erp_core::domain::{Name, ShopSettings, TaxId};
/// let shop = ShopSettings::new(
///     Name::parse("Empório Exemplo").unwrap(),
///     Some(TaxId::parse("11.222.333/0001-81").unwrap()),
///     None,
///     None,
///     -180,
/// )
/// .unwrap();
/// assert_eq!(shop.tax_id.unwrap().formatted(), "11.222.333/0001-81");
/// assert!(ShopSettings::new(shop.name, Some(TaxId::parse("529.982.247-25").unwrap()), None, None, 0).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShopSettings {
    /// The trading name, printed first.
    pub name: Name,
    /// The shop's CNPJ (a company id; a CPF is refused).
    pub tax_id: Option<TaxId>,
    /// The address, one or more lines.
    pub address: Option<Note>,
    /// A closing line under every receipt ("Obrigado pela preferência!").
    pub footer: Option<Note>,
    /// The shop's offset from UTC in minutes (-180 for Brasília), for the times printed.
    pub utc_offset_minutes: i32,
}

impl ShopSettings {
    /// The widest offset any time zone uses, in minutes (UTC-12 to UTC+14).
    const OFFSET_RANGE: std::ops::RangeInclusive<i32> = -720..=840;

    /// Validates the settings: the tax id must be a CNPJ, the offset a real one.
    pub fn new(
        name: Name,
        tax_id: Option<TaxId>,
        address: Option<Note>,
        footer: Option<Note>,
        utc_offset_minutes: i32,
    ) -> Result<ShopSettings, Error> {
        if let Some(id) = &tax_id
            && id.kind() != TaxIdKind::Cnpj
        {
            return Err(Invalid::new("must be the shop's CNPJ, not a CPF").in_field("tax_id"));
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
            footer,
            utc_offset_minutes,
        })
    }

    /// The shop's clock offset (UTC for an out-of-range value edited by hand in the database).
    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_minutes * 60).unwrap_or(Utc.fix())
    }
}
