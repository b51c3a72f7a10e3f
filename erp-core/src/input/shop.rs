//! The shop's settings as an admin sends them.

use serde::Deserialize;

use super::optional;
use crate::domain::{FieldResult, Name, Note, Phone, ShopSettings, TaxId};
use crate::error::{Error, Result};

/// The shop's settings, replaced whole (`PUT`): a missing optional field clears it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShopSettingsInput {
    /// The trading name, printed first on every receipt (1 to 200 characters).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub name: String,
    /// The shop's CNPJ, with or without punctuation (a CPF is refused).
    #[serde(default)]
    pub tax_id: Option<String>,
    /// The address, one entry per printed line (at most 4).
    #[serde(default)]
    pub address: Vec<String>,
    /// The shop's phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// A closing line under every receipt (at most 4 lines).
    #[serde(default)]
    pub footer: Option<String>,
    /// The shop's offset from UTC in minutes, for the times printed (default -180, Brasília).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = -720, maximum = 840))]
    pub utc_offset_minutes: Option<i32>,
}

impl ShopSettingsInput {
    /// Validates the settings.
    pub fn parse(&self) -> Result<ShopSettings> {
        let name = Name::parse(&self.name).field("name")?;
        let tax_id = optional(self.tax_id.as_deref(), "tax_id", TaxId::parse)?;
        let mut lines = Vec::with_capacity(self.address.len());
        for (index, line) in self.address.iter().enumerate() {
            let field = format!("address[{index}]");
            if line.contains(['\n', '\r']) {
                return Err(Error::validation(field, "must be one line"));
            }
            let line = line.trim();
            if line.is_empty() {
                return Err(Error::validation(field, "must not be blank"));
            }
            lines.push(line);
        }
        if lines.len() > ShopSettings::MAX_ADDRESS_LINES {
            return Err(Error::validation(
                "address",
                format!("may have at most {} lines", ShopSettings::MAX_ADDRESS_LINES),
            ));
        }
        let address = if lines.is_empty() {
            None
        } else {
            Some(Note::parse(&lines.join("\n")).field("address")?)
        };
        let phone = optional(self.phone.as_deref(), "phone", Phone::parse)?;
        let footer = optional(self.footer.as_deref(), "footer", Note::parse)?;
        ShopSettings::new(
            name,
            tax_id,
            address,
            phone,
            footer,
            self.utc_offset_minutes
                .unwrap_or(ShopSettings::BRASILIA_OFFSET),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> ShopSettingsInput {
        ShopSettingsInput {
            name: "Empório".into(),
            tax_id: Some("11.222.333/0001-81".into()),
            address: vec!["Rua A, 1".into(), "São Paulo - SP".into()],
            phone: Some("(11) 3333-4444".into()),
            footer: Some("Volte sempre".into()),
            utc_offset_minutes: None,
        }
    }

    #[test]
    fn valid_settings_parse_with_brasilia_time_by_default() {
        let shop = valid().parse().unwrap();
        assert_eq!(shop.address_lines(), ["Rua A, 1", "São Paulo - SP"]);
        assert_eq!(shop.utc_offset_minutes, -180);
        assert_eq!(shop.tax_id.unwrap().formatted(), "11.222.333/0001-81");
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: Vec<(ShopSettingsInput, &str)> = vec![
            (
                ShopSettingsInput {
                    name: " ".into(),
                    ..valid()
                },
                "name",
            ),
            (
                ShopSettingsInput {
                    tax_id: Some("11.222.333/0001-82".into()),
                    ..valid()
                },
                "tax_id",
            ),
            (
                ShopSettingsInput {
                    tax_id: Some("529.982.247-25".into()),
                    ..valid()
                },
                "tax_id",
            ),
            (
                ShopSettingsInput {
                    address: vec!["a\nb".into()],
                    ..valid()
                },
                "address[0]",
            ),
            (
                ShopSettingsInput {
                    address: vec!["a".into(), "".into()],
                    ..valid()
                },
                "address[1]",
            ),
            (
                ShopSettingsInput {
                    address: vec!["a".into(); 5],
                    ..valid()
                },
                "address",
            ),
            (
                ShopSettingsInput {
                    phone: Some("12".into()),
                    ..valid()
                },
                "phone",
            ),
            (
                ShopSettingsInput {
                    utc_offset_minutes: Some(900),
                    ..valid()
                },
                "utc_offset_minutes",
            ),
        ];
        for (input, field) in cases {
            let err = input.parse().unwrap_err();
            assert!(
                matches!(err, Error::Validation { field: ref f, .. } if f == field),
                "{field}: {err:?}"
            );
        }
    }
}
