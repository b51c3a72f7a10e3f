//! Customers.

use serde::Serialize;

use super::{CustomerId, Email, Name, Phone, TaxId, Timestamp};

/// A customer of the shop. Deleting is soft: the row stays for old orders, and its e-mail and tax
/// id become free for a new customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Customer {
    /// Row id.
    pub id: CustomerId,
    /// Name.
    pub name: Name,
    /// E-mail, unique among live customers.
    pub email: Email,
    /// Phone, if given.
    pub phone: Option<Phone>,
    /// CPF or CNPJ, unique among live customers, if given.
    pub tax_id: Option<TaxId>,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
    /// When deleted; `None` while live.
    pub deleted_at: Option<Timestamp>,
}

impl Customer {
    /// Not soft-deleted.
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }
}

/// A customer to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCustomer {
    /// Name.
    pub name: Name,
    /// E-mail.
    pub email: Email,
    /// Phone.
    pub phone: Option<Phone>,
    /// CPF or CNPJ.
    pub tax_id: Option<TaxId>,
}

/// Changes to a customer; `None` leaves a field unchanged, `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerChanges {
    /// New name.
    pub name: Option<Name>,
    /// New e-mail.
    pub email: Option<Email>,
    /// New or cleared phone.
    pub phone: Option<Option<Phone>>,
    /// New or cleared tax id.
    pub tax_id: Option<Option<TaxId>>,
}

impl CustomerChanges {
    /// Nothing would change.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none() && self.phone.is_none() && self.tax_id.is_none()
    }

    /// Applies the changes to `customer`.
    pub fn apply_to(&self, customer: &mut Customer) {
        if let Some(name) = &self.name {
            customer.name = name.clone();
        }
        if let Some(email) = &self.email {
            customer.email = email.clone();
        }
        if let Some(phone) = &self.phone {
            customer.phone = phone.clone();
        }
        if let Some(tax_id) = &self.tax_id {
            customer.tax_id = tax_id.clone();
        }
    }
}
