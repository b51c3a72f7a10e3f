//! A cart to park, as a till sends it.

use serde::Deserialize;

use super::{OrderLineInput, at_most_order_lines, positive_id, sku_and_quantity};
use crate::domain::{CustomerId, FieldResult, NewParkedSale, ParkedLabel, ParkedLine, RegisterId};
use crate::error::Result;

/// A cart to park under a label.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParkedSaleInput {
    /// What the till calls it (1 to 40 characters, one line): "mesa 4", "blue coat".
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 40,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub label: String,
    /// The till it is parked at.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub register_id: Option<i64>,
    /// The customer, if one was chosen.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub customer_id: Option<i64>,
    /// The lines (1 to 200, each SKU once); no prices: the checkout prices them.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 200))]
    pub lines: Vec<OrderLineInput>,
}

impl ParkedSaleInput {
    /// Validates the cart.
    pub fn parse(&self) -> Result<NewParkedSale> {
        let label = ParkedLabel::parse(&self.label).field("label")?;
        if let Some(id) = self.register_id {
            positive_id(id, "register_id")?;
        }
        if let Some(id) = self.customer_id {
            positive_id(id, "customer_id")?;
        }
        at_most_order_lines(self.lines.len())?;
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let (sku, quantity) = sku_and_quantity(i, &line.sku, line.quantity)?;
                Ok(ParkedLine { sku, quantity })
            })
            .collect::<Result<Vec<_>>>()?;
        NewParkedSale::new(
            label,
            self.register_id.map(RegisterId),
            self.customer_id.map(CustomerId),
            lines,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn line(sku: &str, quantity: i64) -> OrderLineInput {
        OrderLineInput {
            sku: sku.into(),
            quantity,
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        let valid = ParkedSaleInput {
            label: "mesa 4".into(),
            register_id: Some(1),
            customer_id: None,
            lines: vec![line("TEA", 2)],
        };
        assert_eq!(valid.parse().unwrap().lines().len(), 1);
        let cases = [
            (
                ParkedSaleInput {
                    label: "x".repeat(41),
                    ..valid.clone()
                },
                "label",
            ),
            (
                ParkedSaleInput {
                    register_id: Some(0),
                    ..valid.clone()
                },
                "register_id",
            ),
            (
                ParkedSaleInput {
                    customer_id: Some(-1),
                    ..valid.clone()
                },
                "customer_id",
            ),
            (
                ParkedSaleInput {
                    lines: vec![],
                    ..valid.clone()
                },
                "lines",
            ),
            (
                ParkedSaleInput {
                    lines: vec![line("TEA", 0)],
                    ..valid.clone()
                },
                "lines[0].quantity",
            ),
            (
                ParkedSaleInput {
                    lines: vec![line("TEA", 1), line("tea", 1)],
                    ..valid.clone()
                },
                "lines[1].sku",
            ),
            (
                ParkedSaleInput {
                    lines: vec![line("TEA", 1); 201],
                    ..valid.clone()
                },
                "lines",
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
