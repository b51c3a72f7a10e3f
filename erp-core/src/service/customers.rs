//! Customers.

use super::{Attempt, Erp, store_error};
use crate::Actor;
use crate::domain::{
    Customer, CustomerChanges, CustomerId, CustomerQuery, Email, NewCustomer, Page, Permission,
    TaxId,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::{CustomerDraft, UniqueKey};

/// Explains a unique violation on a customer write.
fn taken(key: UniqueKey, email: &Email, tax_id: Option<&TaxId>) -> Error {
    match key {
        UniqueKey::CustomerEmail => Error::Duplicate {
            field: "email",
            value: email.to_string(),
        },
        UniqueKey::CustomerTaxId => Error::Duplicate {
            field: "tax_id",
            value: tax_id.map(TaxId::formatted).unwrap_or_default(),
        },
        other => super::no_unique(other),
    }
}

impl Erp {
    /// Adds a customer. E-mail and tax id must not belong to another live customer.
    /// Operators may add customers (at the counter); editing and deleting stay with managers.
    pub async fn create_customer(&self, actor: &Actor, new: NewCustomer) -> Result<Customer> {
        self.run(
            || self.try_create_customer(actor, &new),
            |key| taken(key, &new.email, new.tax_id.as_ref()),
        )
        .await
    }

    async fn try_create_customer(&self, actor: &Actor, new: &NewCustomer) -> Attempt<Customer> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateCustomer))
            .await?;
        let id = tx
            .insert_customer(&CustomerDraft {
                customer: new.clone(),
                created_at: now,
            })
            .await?;
        self.record(
            &mut tx,
            actor,
            DomainEvent::CustomerCreated { customer_id: id },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Customer {
            id,
            name: new.name.clone(),
            email: new.email.clone(),
            phone: new.phone.clone(),
            tax_id: new.tax_id.clone(),
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
    }

    /// Edits a live customer.
    pub async fn update_customer(
        &self,
        actor: &Actor,
        id: CustomerId,
        changes: CustomerChanges,
    ) -> Result<Customer> {
        let email = changes.email.clone();
        let tax_id = changes.tax_id.clone().flatten();
        self.run(
            || self.try_update_customer(actor, id, &changes),
            |key| match (&email, key) {
                (Some(email), UniqueKey::CustomerEmail) => taken(key, email, None),
                (_, UniqueKey::CustomerTaxId) => Error::Duplicate {
                    field: "tax_id",
                    value: tax_id.as_ref().map(TaxId::formatted).unwrap_or_default(),
                },
                _ => super::no_unique(key),
            },
        )
        .await
    }

    async fn try_update_customer(
        &self,
        actor: &Actor,
        id: CustomerId,
        changes: &CustomerChanges,
    ) -> Attempt<Customer> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::ManageCatalog))
            .await?;
        let mut customer = tx
            .lock_customer(id)
            .await?
            .ok_or_else(|| Error::not_found("customer", id))?;
        if !customer.is_live() {
            return Err(Error::CustomerDeleted { id: id.get() }.into());
        }
        changes.apply_to(&mut customer);
        let now = self.now();
        customer.updated_at = now;
        tx.update_customer(&customer).await?;
        self.record(
            &mut tx,
            actor,
            DomainEvent::CustomerUpdated { customer_id: id },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Soft-deletes a customer: their orders stay, their e-mail and tax id become free, and they
    /// can no longer order. Deleting a deleted customer does nothing.
    pub async fn delete_customer(&self, actor: &Actor, id: CustomerId) -> Result<()> {
        self.run(|| self.try_delete_customer(actor, id), super::no_unique)
            .await
    }

    async fn try_delete_customer(&self, actor: &Actor, id: CustomerId) -> Attempt<()> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::ManageCatalog))
            .await?;
        let mut customer = tx
            .lock_customer(id)
            .await?
            .ok_or_else(|| Error::not_found("customer", id))?;
        if !customer.is_live() {
            return Ok(());
        }
        let now = self.now();
        customer.deleted_at = Some(now);
        customer.updated_at = now;
        tx.update_customer(&customer).await?;
        self.record(
            &mut tx,
            actor,
            DomainEvent::CustomerDeleted { customer_id: id },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A customer by id (deleted ones too, for old orders).
    pub async fn customer(&self, actor: &Actor, id: CustomerId) -> Result<Customer> {
        actor.require(Permission::Read)?;
        self.store
            .customer(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| Error::not_found("customer", id))
    }

    /// A page of customers by name, searched by name, e-mail or tax id.
    pub async fn customers(&self, actor: &Actor, query: &CustomerQuery) -> Result<Page<Customer>> {
        actor.require(Permission::Read)?;
        self.store.customers(query).await.map_err(store_error)
    }
}
