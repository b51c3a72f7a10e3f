//! The shop's settings row (one per database, id 1) on both dialects.

use super::rows::Columns;
use super::statement::Statement;
use super::stored;
use crate::domain::{Name, Note, Phone, ShopSettings, TaxId, Timestamp, UserId};
use crate::store::{StoreError, StoreResult};

/// Reads the one row.
pub(crate) fn select() -> Statement {
    Statement::new(
        "SELECT name, tax_id, address, phone, footer, utc_offset_minutes \
         FROM shop_settings WHERE id = 1",
    )
}

/// Writes every field of the one row, and who changed it when.
pub(crate) fn update(settings: &ShopSettings, by: Option<UserId>, at: Timestamp) -> Statement {
    Statement::new(
        "UPDATE shop_settings SET name = ?, tax_id = ?, address = ?, phone = ?, footer = ?, \
         utc_offset_minutes = ?, updated_by = ?, updated_at = ? WHERE id = 1",
    )
    .text(settings.name.as_str())
    .opt_text(settings.tax_id.as_ref().map(TaxId::as_str))
    .opt_text(settings.address.as_ref().map(Note::as_str))
    .opt_text(settings.phone.as_ref().map(Phone::as_str))
    .opt_text(settings.footer.as_ref().map(Note::as_str))
    .int(i64::from(settings.utc_offset_minutes))
    .opt_int(by.map(UserId::get))
    .time(at)
}

/// The row back into settings, every field checked again (a CPF typed into the table by hand is
/// reported, not printed).
pub(crate) fn settings(row: &dyn Columns) -> StoreResult<ShopSettings> {
    let note = |column: &str| -> StoreResult<Option<Note>> {
        row.opt_text(column)?
            .map(|t| stored(Note::parse(&t), column))
            .transpose()
    };
    let offset = i32::try_from(row.int("utc_offset_minutes")?).map_err(|_| {
        StoreError::Other("stored shop_settings.utc_offset_minutes is invalid".into())
    })?;
    ShopSettings::new(
        stored(Name::parse(&row.text("name")?), "shop_settings.name")?,
        row.opt_text("tax_id")?
            .map(|t| stored(TaxId::parse(&t), "shop_settings.tax_id"))
            .transpose()?,
        note("address")?,
        row.opt_text("phone")?
            .map(|p| stored(Phone::parse(&p), "shop_settings.phone"))
            .transpose()?,
        note("footer")?,
        offset,
    )
    .map_err(|e| StoreError::Other(format!("stored shop settings are invalid: {e}")))
}

/// The row must exist (the migration writes it); its absence is a damaged database.
pub(crate) fn the_row(found: Vec<ShopSettings>) -> StoreResult<ShopSettings> {
    found
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Other("the shop_settings row is missing".into()))
}
