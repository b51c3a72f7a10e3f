//! Parked sales: a cart put aside at one till and recalled by any till of the shop. Parking
//! reserves nothing; recalling hands the lines back (and removes the cart, so two tills never both
//! get it) and the checkout is an ordinary counter sale, priced and checked then.

use super::orders::live_customer;
use super::{Attempt, Erp, no_unique, rerun_if_taken, store_error};
use crate::Actor;
use crate::domain::{
    IdempotencyKey, NewParkedSale, Parked, ParkedSale, ParkedSaleId, Permission, Recall,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::UniqueKey;

impl Erp {
    /// Parks a cart under a label (operators and up). The register and customer, when given,
    /// must exist (and the customer not be deleted); the SKUs are checked at checkout, not now.
    ///
    /// A cart with an idempotency key ([`NewParkedSale::with_key`]) is parked at most once: the
    /// same cart again under the key gets the cart parked the first time (recalled since or
    /// not), another cart under it is [`Error::ParkRequestConflict`].
    pub async fn park_sale(&self, actor: &Actor, cart: &NewParkedSale) -> Result<ParkedSale> {
        Ok(self.park_sale_once(actor, cart).await?.sale)
    }

    /// [`Erp::park_sale`], saying whether the cart's key had parked it before.
    pub async fn park_sale_once(&self, actor: &Actor, cart: &NewParkedSale) -> Result<Parked> {
        self.run(
            || async { rerun_if_taken(self.try_park(actor, cart).await, UniqueKey::ParkedSaleKey) },
            no_unique,
        )
        .await
    }

    async fn try_park(&self, actor: &Actor, cart: &NewParkedSale) -> Attempt<Parked> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateOrder))
            .await?;
        // Parked before under this key (a retry after a lost answer): that cart, recalled since
        // or not, and nothing new. Looked up first, since a park is rare and a keyed retry after
        // a failure is what the key is for.
        if let Some(key) = cart.key()
            && let Some((parked, fingerprint)) = tx.parked_sale_by_key(key).await?
        {
            if fingerprint != cart.fingerprint() {
                return Err(Error::ParkRequestConflict {
                    key: key.to_string(),
                    parked_sale_id: parked.id,
                }
                .into());
            }
            return Ok(Parked {
                sale: parked,
                replayed: true,
            });
        }
        if let Some(register) = cart.register_id()
            && tx.register(register).await?.is_none()
        {
            return Err(Error::not_found("register", register).into());
        }
        if let Some(customer) = cart.customer_id() {
            live_customer(&mut tx, customer).await?;
        }
        let now = self.now();
        let id = tx.insert_parked_sale(cart, actor.user_id(), now).await?;
        let parked = cart.clone().into_parked(id, actor.user_id(), now);
        let event = DomainEvent::SaleParked {
            parked_sale_id: id,
            label: parked.label.to_string(),
            lines: parked
                .lines
                .iter()
                .map(|l| (l.sku.to_string(), l.quantity.get()))
                .collect(),
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(Parked {
            sale: parked,
            replayed: false,
        })
    }

    /// The parked carts, oldest first (at most [`ParkedSale::MAX_LISTED`]).
    pub async fn parked_sales(&self, actor: &Actor) -> Result<Vec<ParkedSale>> {
        actor.require(Permission::Read)?;
        self.store
            .parked_sales(ParkedSale::MAX_LISTED)
            .await
            .map_err(store_error)
    }

    /// Takes a parked cart back to a till (operators and up): returns its lines and removes it
    /// in the same unit of work, so of two tills recalling one cart only one gets it; the other
    /// gets [`Error::NotFound`]. Nothing is priced or reserved: sell the lines with
    /// [`Erp::sell_at_counter`].
    pub async fn recall_parked_sale(&self, actor: &Actor, id: ParkedSaleId) -> Result<ParkedSale> {
        Ok(self
            .run(|| self.try_recall(actor, id, None), no_unique)
            .await?
            .sale)
    }

    /// [`Erp::recall_parked_sale`] under a key chosen by the caller for this one recall: a retry
    /// by the same user with the same key (after a lost answer) gets the cart it took, marked
    /// replayed, instead of [`Error::NotFound`] for a cart the caller holds. Another key, another
    /// user or no key still gets [`Error::NotFound`] for a taken cart.
    pub async fn recall_parked_sale_once(
        &self,
        actor: &Actor,
        id: ParkedSaleId,
        key: &IdempotencyKey,
    ) -> Result<Recall> {
        self.run(|| self.try_recall(actor, id, Some(key)), no_unique)
            .await
    }

    async fn try_recall(
        &self,
        actor: &Actor,
        id: ParkedSaleId,
        key: Option<&IdempotencyKey>,
    ) -> Attempt<Recall> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateOrder))
            .await?;
        let now = self.now();
        let recall = tx
            .take_parked_sale(id, now, key, actor.user_id())
            .await?
            .ok_or_else(|| Error::not_found("parked sale", id))?;
        if recall.replayed {
            // Taken by this user under this key before: nothing to write, and the locks of the
            // replay's reads go at once.
            tx.commit().await?;
            return Ok(recall);
        }
        self.record(
            &mut tx,
            actor,
            DomainEvent::ParkedSaleRecalled { parked_sale_id: id },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(recall)
    }
}
