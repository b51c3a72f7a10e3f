//! Untrusted input as programs and people send it, and its parsing into commands.
//!
//! Each `*Input` type deserialises from JSON (unknown fields refused) or is filled from a form,
//! and `parse` turns it into the validated command, naming the offending field in
//! [`Error::Validation`] (`lines[1].quantity`). The server and the TUI both use these, so the two
//! agree on what is valid.

use serde::{Deserialize, Deserializer};

use crate::domain::{
    ApproverCredentials, CashMovementKind, CustomerChanges, CustomerId, Discount, Disposition,
    Email, FieldResult, IdempotencyKey, LineRequest, Money, Name, NewCounterSale, NewCustomer,
    NewOrder, NewOrderPayment, NewProduct, NewRegister, NewReturn, NewUser, Note, OrderId,
    OrderStatus, Password, Percent, Phone, ProductChanges, Quantity, Reason, Reference,
    RegisterCode, RegisterId, ReturnLineRequest, Role, SaleLine, Sku, StockChange, TaxId, Tender,
    TenderLine, Username, parse_stock_level,
};
use crate::error::{Error, Result};

mod parked;
mod shop;
pub use parked::ParkedSaleInput;
pub use shop::ShopSettingsInput;

/// Distinguishes a missing field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Parses an optional text field, treating blank as absent.
fn optional<T>(
    value: Option<&str>,
    field: &str,
    parse: impl Fn(&str) -> Result<T, crate::domain::Invalid>,
) -> Result<Option<T>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => parse(text).field(field).map(Some),
    }
}

/// Refuses an id that cannot name a row.
fn positive_id(id: i64, field: &str) -> Result<()> {
    if id <= 0 {
        return Err(Error::validation(field, "must be a positive id"));
    }
    Ok(())
}

/// Refuses more lines than an order (or a counter sale, which is an order) may have.
/// Line `i`'s SKU and quantity, with errors that name `lines[i].sku` / `lines[i].quantity`.
fn sku_and_quantity(i: usize, sku: &str, quantity: i64) -> Result<(Sku, Quantity)> {
    Ok((
        Sku::parse(sku).field(&format!("lines[{i}].sku"))?,
        Quantity::new(quantity).field(&format!("lines[{i}].quantity"))?,
    ))
}

fn at_most_order_lines(count: usize) -> Result<()> {
    if count > NewOrder::MAX_LINES {
        return Err(Error::validation(
            "lines",
            format!("an order may have at most {} lines", NewOrder::MAX_LINES),
        ));
    }
    Ok(())
}

/// A request to place an order.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    /// Who buys.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub customer_id: i64,
    /// What.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 200))]
    pub lines: Vec<OrderLineInput>,
    /// An optional note.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 1000,
            pattern = r#"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub note: Option<String>,
}

/// One line of an [`OrderInput`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderLineInput {
    /// The product's SKU.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 32,
            pattern = r#"^[A-Za-z0-9][A-Za-z0-9._/-]*$"#
        )
    )]
    pub sku: String,
    /// How many units.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: i64,
}

impl OrderInput {
    /// Validates the request under the client's idempotency key.
    pub fn parse(&self, idempotency_key: &str) -> Result<NewOrder> {
        let key = IdempotencyKey::parse(idempotency_key).field("idempotency_key")?;
        positive_id(self.customer_id, "customer_id")?;
        at_most_order_lines(self.lines.len())?;
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let (sku, quantity) = sku_and_quantity(i, &line.sku, line.quantity)?;
                Ok(LineRequest { sku, quantity })
            })
            .collect::<Result<Vec<_>>>()?;
        let note = optional(self.note.as_deref(), "note", Note::parse)?;
        NewOrder::new(CustomerId(self.customer_id), lines, key, note)
    }
}

/// A status change.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// The status to move to, e.g. `CONFIRMED`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r#"^(PENDING|CONFIRMED|PICKED|SHIPPED|DELIVERED|CANCELLED)$"#)
    )]
    pub status: String,
    /// Why, optionally.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 1000,
            pattern = r#"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub note: Option<String>,
}

impl StatusInput {
    /// Validates the change.
    pub fn parse(&self) -> Result<(OrderStatus, Option<Note>)> {
        let status = OrderStatus::parse(&self.status).field("status")?;
        let note = optional(self.note.as_deref(), "note", Note::parse)?;
        Ok((status, note))
    }
}

/// A new customer.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Name.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub name: String,
    /// E-mail.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 254,
            pattern = r#"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$"#
        )
    )]
    pub email: String,
    /// Phone, optional.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 40,
            pattern = r#"^(\s*|\s*\+?[ .()-]*([0-9][ .()-]*){8,15})$"#
        )
    )]
    pub phone: Option<String>,
    /// CPF or CNPJ, optional.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 24,
            pattern = r#"^(\s*|\s*([0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}|[0-9A-Za-z]{2}\.?[0-9A-Za-z]{3}\.?[0-9A-Za-z]{3}/?[0-9A-Za-z]{4}-?[0-9]{2})\s*)$"#
        )
    )]
    pub tax_id: Option<String>,
}

impl CustomerInput {
    /// Validates the customer.
    pub fn parse(&self) -> Result<NewCustomer> {
        Ok(NewCustomer {
            name: Name::parse(&self.name).field("name")?,
            email: Email::parse(&self.email).field("email")?,
            phone: optional(self.phone.as_deref(), "phone", Phone::parse)?,
            tax_id: optional(self.tax_id.as_deref(), "tax_id", TaxId::parse)?,
        })
    }
}

/// Changes to a customer: absent fields stay, `null` clears phone or tax id.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(min_properties = 1))]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    /// New name.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub name: Option<String>,
    /// New e-mail.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 254,
            pattern = r#"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]$"#
        )
    )]
    pub email: Option<String>,
    /// New phone, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 40,
            pattern = r#"^(\s*|\s*\+?[ .()-]*([0-9][ .()-]*){8,15})$"#
        )
    )]
    pub phone: Option<Option<String>>,
    /// New tax id, or `null` to clear.
    #[serde(default, deserialize_with = "double_option")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 24,
            pattern = r#"^(\s*|\s*([0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}|[0-9A-Za-z]{2}\.?[0-9A-Za-z]{3}\.?[0-9A-Za-z]{3}/?[0-9A-Za-z]{4}-?[0-9]{2})\s*)$"#
        )
    )]
    pub tax_id: Option<Option<String>>,
}

impl CustomerPatch {
    /// Validates the changes; at least one field must be given.
    pub fn parse(&self) -> Result<CustomerChanges> {
        let changes = CustomerChanges {
            name: self
                .name
                .as_deref()
                .map(|n| Name::parse(n).field("name"))
                .transpose()?,
            email: self
                .email
                .as_deref()
                .map(|e| Email::parse(e).field("email"))
                .transpose()?,
            phone: self
                .phone
                .as_ref()
                .map(|p| optional(p.as_deref(), "phone", Phone::parse))
                .transpose()?,
            tax_id: self
                .tax_id
                .as_ref()
                .map(|t| optional(t.as_deref(), "tax_id", TaxId::parse))
                .transpose()?,
        };
        if changes.is_empty() {
            return Err(Error::validation("body", "nothing to change"));
        }
        Ok(changes)
    }
}

/// A new product. `price` is a string such as `"12.50"`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    /// Code.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 32,
            pattern = r#"^[A-Za-z0-9][A-Za-z0-9._/-]*$"#
        )
    )]
    pub sku: String,
    /// Name.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub name: String,
    /// Unit price as a decimal string.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 15,
            pattern = r#"^[0-9]{1,12}(\.[0-9]{1,2})?$"#
        )
    )]
    pub price: String,
    /// Opening stock (default 0).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000000))]
    pub initial_stock: Option<i64>,
    /// Low-stock threshold (default 0).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000000))]
    pub reorder_level: Option<i64>,
}

impl ProductInput {
    /// Validates the product.
    pub fn parse(&self) -> Result<NewProduct> {
        Ok(NewProduct {
            sku: Sku::parse(&self.sku).field("sku")?,
            name: Name::parse(&self.name).field("name")?,
            price: Money::parse(&self.price).field("price")?,
            initial_stock: parse_stock_level(self.initial_stock.unwrap_or(0))
                .field("initial_stock")?,
            reorder_level: parse_stock_level(self.reorder_level.unwrap_or(0))
                .field("reorder_level")?,
        })
    }
}

/// Changes to a product; stock is changed with [`StockInput`] instead.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(min_properties = 1))]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    /// New name.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub name: Option<String>,
    /// New price as a decimal string.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 15,
            pattern = r#"^[0-9]{1,12}(\.[0-9]{1,2})?$"#
        )
    )]
    pub price: Option<String>,
    /// New low-stock threshold.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000000))]
    pub reorder_level: Option<i64>,
    /// Reactivate (`true`) or deactivate (`false`).
    #[serde(default)]
    pub active: Option<bool>,
}

impl ProductPatch {
    /// Validates the changes; at least one field must be given.
    pub fn parse(&self) -> Result<ProductChanges> {
        let changes = ProductChanges {
            name: self
                .name
                .as_deref()
                .map(|n| Name::parse(n).field("name"))
                .transpose()?,
            price: self
                .price
                .as_deref()
                .map(|p| Money::parse(p).field("price"))
                .transpose()?,
            reorder_level: self
                .reorder_level
                .map(|r| parse_stock_level(r).field("reorder_level"))
                .transpose()?,
            active: self.active,
        };
        if changes.name.is_none()
            && changes.price.is_none()
            && changes.reorder_level.is_none()
            && changes.active.is_none()
        {
            return Err(Error::validation("body", "nothing to change"));
        }
        Ok(changes)
    }
}

/// A stock receipt or adjustment.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StockInput {
    /// `receipt` (goods in, quantity positive) or `adjustment` (signed correction).
    #[cfg_attr(feature = "openapi", schema(pattern = r#"^(receipt|adjustment)$"#))]
    pub kind: String,
    /// Units.
    #[cfg_attr(feature = "openapi", schema(minimum = -1000000000, maximum = 1000000000))]
    pub quantity: i64,
    /// Why.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub reason: String,
}

impl StockInput {
    /// Validates the change.
    pub fn parse(&self) -> Result<(StockChange, Reason)> {
        let change = match self.kind.trim().to_ascii_lowercase().as_str() {
            "receipt" => StockChange::Receipt(Quantity::new(self.quantity).field("quantity")?),
            "adjustment" => StockChange::adjustment(self.quantity).field("quantity")?,
            _ => return Err(Error::validation("kind", "must be receipt or adjustment")),
        };
        let reason = Reason::parse(&self.reason).field("reason")?;
        Ok((change, reason))
    }
}

/// A new user.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    /// Login name.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 3,
            max_length = 32,
            pattern = r#"^[A-Za-z][A-Za-z0-9._-]*$"#
        )
    )]
    pub username: String,
    /// Initial password.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 8,
            max_length = 128,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F]*$"#
        )
    )]
    pub password: String,
    /// `viewer`, `operator`, `manager` or `admin`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r#"^(viewer|operator|manager|admin)$"#)
    )]
    pub role: String,
}

impl std::fmt::Debug for UserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInput")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl UserInput {
    /// Validates the user.
    pub fn parse(&self) -> Result<NewUser> {
        Ok(NewUser {
            username: Username::parse(&self.username).field("username")?,
            password: Password::new(&self.password).field("password")?,
            role: Role::parse(&self.role).field("role")?,
        })
    }
}

/// A discount as sent: exactly one of `amount` (`"1.50"`) or `percent` (`"10"`, `"12.5"`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DiscountInput {
    /// An amount off, as a decimal string.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 15,
            pattern = r#"^[0-9]{1,12}(\.[0-9]{1,2})?$"#
        )
    )]
    pub amount: Option<String>,
    /// A percentage off, more than 0 and at most 100.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 6,
            pattern = r#"^[0-9]{1,3}(\.[0-9]{1,2})?$"#
        )
    )]
    pub percent: Option<String>,
}

impl DiscountInput {
    fn parse(&self, field: &str) -> Result<Discount> {
        match (&self.amount, &self.percent) {
            (Some(amount), None) => Discount::amount(Money::parse(amount).field(field)?)
                .field(&format!("{field}.amount")),
            (None, Some(percent)) => Ok(Discount::Percent(
                Percent::parse(percent).field(&format!("{field}.percent"))?,
            )),
            _ => Err(Error::validation(
                field,
                "give exactly one of amount or percent",
            )),
        }
    }
}

/// One tender of a payment or refund.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenderInput {
    /// `cash`, `debit`, `credit`, `pix` or `other`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r#"^(cash|debit|credit|pix|other)$"#)
    )]
    pub tender: String,
    /// More than zero, as a decimal string.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 20,
            pattern = r#"^(0*[1-9][0-9]{0,11}(\.[0-9]{1,2})?|0+\.([1-9][0-9]?|0[1-9]))$"#
        )
    )]
    pub amount: String,
    /// Card authorisation, PIX id, voucher number (optional).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 100,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub reference: Option<String>,
}

fn tenders(inputs: &[TenderInput], field: &str) -> Result<Vec<TenderLine>> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let at = format!("{field}[{i}]");
            TenderLine::new(
                Tender::parse(&t.tender).field(&format!("{at}.tender"))?,
                Money::parse(&t.amount).field(&format!("{at}.amount"))?,
                optional(
                    t.reference.as_deref(),
                    &format!("{at}.reference"),
                    Reference::parse,
                )?,
            )
            .field(&format!("{at}.amount"))
        })
        .collect()
}

/// A manager's login typed at the till to approve a discount, price override or return. Checked
/// when the command runs; never logged or stored.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproverInput {
    /// The manager's login name.
    pub username: String,
    /// The manager's password.
    pub password: String,
}

impl std::fmt::Debug for ApproverInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApproverInput")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl ApproverInput {
    fn credentials(&self) -> ApproverCredentials {
        ApproverCredentials::new(self.username.as_str(), self.password.as_str())
    }
}

/// One line of a counter sale.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SaleLineInput {
    /// The product's SKU.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 32,
            pattern = r#"^[A-Za-z0-9][A-Za-z0-9._/-]*$"#
        )
    )]
    pub sku: String,
    /// How many units.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: i64,
    /// A price other than the catalogue's (needs approval), as a decimal string.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 15,
            pattern = r#"^[0-9]{1,12}(\.[0-9]{1,2})?$"#
        )
    )]
    pub unit_price: Option<String>,
    /// A discount on this line.
    #[serde(default)]
    pub discount: Option<DiscountInput>,
}

/// A counter sale: paid and handed over at once.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SaleInput {
    /// The till, whose open session must be the caller's.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub register_id: i64,
    /// Who buys (the walk-in customer when nobody in particular).
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub customer_id: i64,
    /// What.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 200))]
    pub lines: Vec<SaleLineInput>,
    /// A discount on the whole sale.
    #[serde(default)]
    pub discount: Option<DiscountInput>,
    /// How it is paid: they cover the total; only cash may exceed it (the rest is change).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 10))]
    pub tenders: Vec<TenderInput>,
    /// An optional note.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 1000,
            pattern = r#"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub note: Option<String>,
    /// A manager's login, when a discount or price needs approval.
    #[serde(default)]
    pub approver: Option<ApproverInput>,
}

impl SaleInput {
    /// Validates the sale under the client's idempotency key.
    pub fn parse(&self, idempotency_key: &str) -> Result<NewCounterSale> {
        let key = IdempotencyKey::parse(idempotency_key).field("idempotency_key")?;
        positive_id(self.register_id, "register_id")?;
        positive_id(self.customer_id, "customer_id")?;
        at_most_order_lines(self.lines.len())?;
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let (sku, quantity) = sku_and_quantity(i, &line.sku, line.quantity)?;
                Ok(SaleLine {
                    sku,
                    quantity,
                    unit_price: line
                        .unit_price
                        .as_deref()
                        .map(|p| Money::parse(p).field(&format!("lines[{i}].unit_price")))
                        .transpose()?,
                    discount: line
                        .discount
                        .as_ref()
                        .map(|d| d.parse(&format!("lines[{i}].discount")))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        NewCounterSale::new(
            RegisterId(self.register_id),
            CustomerId(self.customer_id),
            lines,
            self.discount
                .as_ref()
                .map(|d| d.parse("discount"))
                .transpose()?,
            tenders(&self.tenders, "tenders")?,
            key,
            optional(self.note.as_deref(), "note", Note::parse)?,
            self.approver.as_ref().map(ApproverInput::credentials),
        )
    }
}

/// A payment on an order.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// How (together at most the balance due).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 10))]
    pub tenders: Vec<TenderInput>,
    /// The till it is taken at (its open session must be the caller's), if any.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub register_id: Option<i64>,
}

impl PaymentInput {
    /// Validates the payment for order `order_id`.
    pub fn parse(&self, order_id: OrderId) -> Result<NewOrderPayment> {
        NewOrderPayment::new(
            order_id,
            tenders(&self.tenders, "tenders")?,
            self.register_id.map(RegisterId),
        )
    }
}

/// One line of a return.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReturnLineInput {
    /// The order line's SKU.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 32,
            pattern = r#"^[A-Za-z0-9][A-Za-z0-9._/-]*$"#
        )
    )]
    pub sku: String,
    /// Units coming back.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: i64,
    /// `true`: written off (not back to stock), with `reason`.
    #[serde(default)]
    pub write_off: bool,
    /// Why written off.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 200,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub reason: Option<String>,
}

/// A return of goods from a delivered order.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// What comes back.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 200))]
    pub lines: Vec<ReturnLineInput>,
    /// The money paid back (none: an exchange).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub refunds: Vec<TenderInput>,
    /// The till a cash refund comes from.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub register_id: Option<i64>,
    /// An optional note.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 1000,
            pattern = r#"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub note: Option<String>,
    /// The approving manager's login (not needed when the caller is a manager).
    #[serde(default)]
    pub approver: Option<ApproverInput>,
}

impl ReturnInput {
    /// Validates the return of order `order_id` under the client's idempotency key.
    pub fn parse(&self, order_id: OrderId, idempotency_key: &str) -> Result<NewReturn> {
        let key = IdempotencyKey::parse(idempotency_key).field("idempotency_key")?;
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let disposition = if line.write_off {
                    let reason = line.reason.as_deref().unwrap_or_default();
                    Disposition::WriteOff(
                        Reason::parse(reason).field(&format!("lines[{i}].reason"))?,
                    )
                } else {
                    Disposition::Restock
                };
                let (sku, quantity) = sku_and_quantity(i, &line.sku, line.quantity)?;
                Ok(ReturnLineRequest {
                    sku,
                    quantity,
                    disposition,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        NewReturn::new(
            order_id,
            lines,
            tenders(&self.refunds, "refunds")?,
            self.register_id.map(RegisterId),
            key,
            optional(self.note.as_deref(), "note", Note::parse)?,
            self.approver.as_ref().map(ApproverInput::credentials),
        )
    }
}

/// A new till.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    /// Unique code, e.g. `CAIXA-01`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 32,
            pattern = r#"^[A-Za-z0-9][A-Za-z0-9._/-]*$"#
        )
    )]
    pub code: String,
    /// Where it is.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub name: String,
}

impl RegisterInput {
    /// Validates the till.
    pub fn parse(&self) -> Result<NewRegister> {
        Ok(NewRegister {
            code: RegisterCode::parse(&self.code).field("code")?,
            name: Name::parse(&self.name).field("name")?,
        })
    }
}

/// Opening a till with a counted float.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenSessionInput {
    /// The cash counted into the drawer, as a decimal string.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 15,
            pattern = r#"^[0-9]{1,12}(\.[0-9]{1,2})?$"#
        )
    )]
    pub opening_float: String,
}

impl OpenSessionInput {
    /// Validates the float.
    pub fn parse(&self) -> Result<Money> {
        Money::parse(&self.opening_float).field("opening_float")
    }
}

/// Cash in (suprimento) or out (sangria).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CashMovementInput {
    /// `in` or `out`.
    #[cfg_attr(feature = "openapi", schema(pattern = r#"^(in|out)$"#))]
    pub kind: String,
    /// More than zero, as a decimal string.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 20,
            pattern = r#"^(0*[1-9][0-9]{0,11}(\.[0-9]{1,2})?|0+\.([1-9][0-9]?|0[1-9]))$"#
        )
    )]
    pub amount: String,
    /// Why.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r#"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*[^\s\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069][^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"#
        )
    )]
    pub reason: String,
}

impl CashMovementInput {
    /// Validates the movement.
    pub fn parse(&self) -> Result<(CashMovementKind, Money, Reason)> {
        let amount = Money::parse(&self.amount).field("amount")?;
        if amount == Money::ZERO {
            return Err(Error::validation("amount", "must be more than 0.00"));
        }
        Ok((
            CashMovementKind::parse(&self.kind).field("kind")?,
            amount,
            Reason::parse(&self.reason).field("reason")?,
        ))
    }
}

/// One tender's count at close.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CountInput {
    /// The tender.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r#"^(cash|debit|credit|pix|other)$"#)
    )]
    pub tender: String,
    /// What was counted, as a decimal string.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 15,
            pattern = r#"^[0-9]{1,12}(\.[0-9]{1,2})?$"#
        )
    )]
    pub counted: String,
}

/// Closing a till: the count of cash and of every other tender the session took.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CloseSessionInput {
    /// The counts.
    pub counts: Vec<CountInput>,
}

impl CloseSessionInput {
    /// Validates the counts.
    pub fn parse(&self) -> Result<Vec<(Tender, Money)>> {
        self.counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                Ok((
                    Tender::parse(&c.tender).field(&format!("counts[{i}].tender"))?,
                    Money::parse(&c.counted).field(&format!("counts[{i}].counted"))?,
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_json(json: &str) -> Result<NewOrder> {
        let input: OrderInput =
            serde_json::from_str(json).map_err(|e| Error::validation("body", e.to_string()))?;
        input.parse("key-1")
    }

    #[test]
    fn a_valid_order_parses_with_normalised_skus() {
        let order = order_json(
            r#"{"customer_id": 3, "lines": [{"sku": "tea-01", "quantity": 2}], "note": " hi "}"#,
        )
        .unwrap();
        assert_eq!(order.customer_id(), CustomerId(3));
        assert_eq!(order.lines()[0].sku.as_str(), "TEA-01");
        assert_eq!(order.note().unwrap().as_str(), "hi");
    }

    #[test]
    fn order_errors_name_the_line_and_field() {
        let err = order_json(
            r#"{"customer_id": 3, "lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 0}]}"#,
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::Validation { ref field, .. } if field == "lines[1].quantity"),
            "{err:?}"
        );
        let err = order_json(r#"{"customer_id": 3, "lines": [{"sku": "A B", "quantity": 1}]}"#)
            .unwrap_err();
        assert!(matches!(err, Error::Validation { ref field, .. } if field == "lines[0].sku"));
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused() {
        assert!(order_json(r#"{"customer_id": 3, "lines": [], "admin": true}"#).is_err());
        assert!(order_json(r#"{"customer_id": "3", "lines": []}"#).is_err());
        assert!(
            order_json(r#"{"customer_id": 3, "lines": [{"sku": "A", "quantity": 1.5}]}"#).is_err()
        );
    }

    #[test]
    fn bad_idempotency_key_is_a_validation_error() {
        let input = OrderInput {
            customer_id: 1,
            lines: vec![OrderLineInput {
                sku: "A".into(),
                quantity: 1,
            }],
            note: None,
        };
        let err = input.parse("has space").unwrap_err();
        assert!(matches!(err, Error::Validation { ref field, .. } if field == "idempotency_key"));
    }

    #[test]
    fn customer_patch_tells_absent_from_null() {
        let patch: CustomerPatch = serde_json::from_str(r#"{"phone": null}"#).unwrap();
        assert_eq!(patch.parse().unwrap().phone, Some(None));
        let patch: CustomerPatch = serde_json::from_str(r#"{"name": "Ana"}"#).unwrap();
        let changes = patch.parse().unwrap();
        assert_eq!(changes.phone, None);
        let empty: CustomerPatch = serde_json::from_str("{}").unwrap();
        assert!(empty.parse().is_err());
    }

    #[test]
    fn product_price_must_be_a_decimal_string() {
        let ok: ProductInput =
            serde_json::from_str(r#"{"sku": "A", "name": "A", "price": "1.50"}"#).unwrap();
        assert_eq!(ok.parse().unwrap().price.to_string(), "1.50");
        assert!(
            serde_json::from_str::<ProductInput>(r#"{"sku": "A", "name": "A", "price": 1.5}"#)
                .is_err()
        );
        let negative = ProductInput {
            initial_stock: Some(-1),
            ..ok
        };
        assert!(
            matches!(negative.parse(), Err(Error::Validation { field, .. }) if field == "initial_stock")
        );
    }

    #[test]
    fn stock_input_kinds() {
        let receipt = StockInput {
            kind: "receipt".into(),
            quantity: 5,
            reason: "delivery".into(),
        };
        assert_eq!(
            receipt.parse().unwrap().0,
            StockChange::Receipt(Quantity::new(5).unwrap())
        );
        let negative_receipt = StockInput {
            quantity: -5,
            ..receipt.clone()
        };
        assert!(negative_receipt.parse().is_err());
        let adjustment = StockInput {
            kind: "Adjustment".into(),
            quantity: -2,
            reason: "broken".into(),
        };
        assert_eq!(adjustment.parse().unwrap().0, StockChange::Adjustment(-2));
        let no_reason = StockInput {
            reason: " ".into(),
            ..adjustment
        };
        assert!(no_reason.parse().is_err());
    }

    #[test]
    fn a_sale_parses_and_names_bad_fields() {
        let sale: SaleInput = serde_json::from_str(
            r#"{"register_id": 1, "customer_id": 2,
                "lines": [{"sku": "tea", "quantity": 2, "discount": {"percent": "10"}}],
                "tenders": [{"tender": "pix", "amount": "5.00"}, {"tender": "cash", "amount": "20"}],
                "approver": {"username": "boss", "password": "secret-password"}}"#,
        )
        .unwrap();
        assert!(!format!("{sale:?}").contains("secret"));
        let parsed = sale.parse("k").unwrap();
        assert_eq!(parsed.tenders().len(), 2);
        assert!(parsed.approver().is_some());
        for (json, field) in [
            (r#"{"tender": "cash", "amount": "0"}"#, "tenders[0].amount"),
            (r#"{"tender": "cash", "amount": "-1"}"#, "tenders[0].amount"),
            (r#"{"tender": "gold", "amount": "1"}"#, "tenders[0].tender"),
        ] {
            let mut bad = sale.clone();
            bad.tenders = vec![serde_json::from_str(json).unwrap()];
            let err = bad.parse("k").unwrap_err();
            assert!(
                matches!(err, Error::Validation { field: ref f, .. } if f == field),
                "{err:?}"
            );
        }
        let mut over = sale.clone();
        over.lines[0].discount = Some(DiscountInput {
            amount: None,
            percent: Some("100.5".into()),
        });
        assert!(over.parse("k").is_err());
        let mut both = sale;
        both.discount = Some(DiscountInput {
            amount: Some("1".into()),
            percent: Some("1".into()),
        });
        assert!(both.parse("k").is_err());
    }

    #[test]
    fn user_input_never_prints_the_password() {
        let input = UserInput {
            username: "ana".into(),
            password: "secret-password".into(),
            role: "operator".into(),
        };
        assert!(!format!("{input:?}").contains("secret"));
    }
}
