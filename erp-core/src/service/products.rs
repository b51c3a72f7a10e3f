//! Products and stock.

use super::orders::lock_products;
use super::{Attempt, Erp, no_unique, rerun_if_taken, store_error};
use crate::Actor;
use crate::domain::{
    IdempotencyKey, MovementKind, NewMovement, NewProduct, Page, PageRequest, Permission, Product,
    ProductChanges, ProductId, ProductQuery, Reason, Sku, StockAdjusted, StockChange, StockDelta,
    StockMovement,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::{ProductDraft, UniqueKey};

impl Erp {
    /// Adds a product to the catalogue. A positive opening stock is recorded as a receipt.
    pub async fn create_product(&self, actor: &Actor, new: NewProduct) -> Result<Product> {
        let sku = new.sku.clone();
        self.run(
            || self.try_create_product(actor, &new),
            |key| match key {
                UniqueKey::Sku => Error::Duplicate {
                    field: "sku",
                    value: sku.to_string(),
                },
                other => no_unique(other),
            },
        )
        .await
    }

    async fn try_create_product(&self, actor: &Actor, new: &NewProduct) -> Attempt<Product> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::ManageCatalog))
            .await?;
        let draft = ProductDraft {
            sku: new.sku.clone(),
            name: new.name.clone(),
            price: new.price,
            on_hand: new.initial_stock,
            reorder_level: new.reorder_level,
            created_at: now,
        };
        let id = tx.insert_product(&draft).await?;
        if new.initial_stock > 0 {
            tx.insert_movement(&NewMovement {
                product_id: id,
                kind: MovementKind::Receipt,
                delta: StockDelta {
                    on_hand: new.initial_stock,
                    reserved: 0,
                },
                order_id: None,
                reason: Reason::parse("opening stock").ok(),
                created_by: actor.user_id(),
                created_at: now,
                request_key: None,
            })
            .await?;
        }
        let event = DomainEvent::ProductCreated {
            product_id: id,
            sku: new.sku.to_string(),
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(Product {
            id,
            sku: draft.sku,
            name: draft.name,
            price: draft.price,
            on_hand: draft.on_hand,
            reserved: 0,
            reorder_level: draft.reorder_level,
            active: true,
            created_at: now,
            updated_at: now,
        })
    }

    /// Edits a product's name, price, reorder level or active flag. Open orders keep the price
    /// they were placed at.
    pub async fn update_product(
        &self,
        actor: &Actor,
        id: ProductId,
        changes: ProductChanges,
    ) -> Result<Product> {
        self.run(|| self.try_update_product(actor, id, &changes), no_unique)
            .await
    }

    async fn try_update_product(
        &self,
        actor: &Actor,
        id: ProductId,
        changes: &ProductChanges,
    ) -> Attempt<Product> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::ManageCatalog))
            .await?;
        let mut product = lock_products(&mut tx, [id])
            .await?
            .remove(&id)
            .ok_or_else(|| Error::not_found("product", id))?;
        if let Some(name) = &changes.name {
            product.name = name.clone();
        }
        if let Some(price) = changes.price {
            product.price = price;
        }
        if let Some(level) = changes.reorder_level {
            product.reorder_level = level;
        }
        if let Some(active) = changes.active {
            product.active = active;
        }
        let now = self.now();
        product.updated_at = now;
        tx.update_product(&product).await?;
        let event = DomainEvent::ProductUpdated {
            product_id: id,
            sku: product.sku.to_string(),
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(product)
    }

    /// Takes a product off sale. It stays on past orders and can be reactivated.
    pub async fn deactivate_product(&self, actor: &Actor, id: ProductId) -> Result<Product> {
        let changes = ProductChanges {
            active: Some(false),
            ..ProductChanges::default()
        };
        self.update_product(actor, id, changes).await
    }

    /// Receives goods or corrects on-hand stock, with a reason. On hand never drops below what
    /// open orders have reserved.
    pub async fn adjust_stock(
        &self,
        actor: &Actor,
        id: ProductId,
        change: StockChange,
        reason: Reason,
    ) -> Result<Product> {
        let adjusted = self
            .run(
                || self.try_adjust_stock(actor, id, change, &reason, None),
                no_unique,
            )
            .await?;
        Ok(adjusted.product)
    }

    /// Like [`Erp::adjust_stock`], at most once per product and client key: repeating the same
    /// change with the same key (a retry after a timeout or a lost connection) moves nothing and
    /// answers with the product as it is, marked as a replay; the same key with a different change
    /// is [`Error::StockRequestConflict`].
    pub async fn adjust_stock_once(
        &self,
        actor: &Actor,
        id: ProductId,
        change: StockChange,
        reason: Reason,
        key: &IdempotencyKey,
    ) -> Result<StockAdjusted> {
        self.run(
            || async {
                // The product lock makes a taken key unlikely.
                let attempt = self
                    .try_adjust_stock(actor, id, change, &reason, Some(key))
                    .await;
                rerun_if_taken(attempt, UniqueKey::StockRequest)
            },
            no_unique,
        )
        .await
    }

    async fn try_adjust_stock(
        &self,
        actor: &Actor,
        id: ProductId,
        change: StockChange,
        reason: &Reason,
        key: Option<&IdempotencyKey>,
    ) -> Attempt<StockAdjusted> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::ManageCatalog))
            .await?;
        let mut product = lock_products(&mut tx, [id])
            .await?
            .remove(&id)
            .ok_or_else(|| Error::not_found("product", id))?;
        if let Some(key) = key
            && let Some(done) = tx.movement_by_request_key(id, key).await?
        {
            let same = done.kind == change.kind()
                && done.on_hand_delta == change.delta()
                && done.reason.as_deref() == Some(reason.as_str());
            if !same {
                return Err(Error::StockRequestConflict {
                    key: key.to_string(),
                    movement_id: done.id,
                }
                .into());
            }
            return Ok(StockAdjusted {
                product,
                replayed: true,
            });
        }
        let delta = product.adjust(change.delta())?;
        let now = self.now();
        product.updated_at = now;
        tx.update_product(&product).await?;
        tx.insert_movement(&NewMovement {
            product_id: id,
            kind: change.kind(),
            delta,
            order_id: None,
            reason: Some(reason.clone()),
            created_by: actor.user_id(),
            created_at: now,
            request_key: key.cloned(),
        })
        .await?;
        let event = DomainEvent::StockAdjusted {
            product_id: id,
            sku: product.sku.to_string(),
            kind: change.kind(),
            on_hand_delta: delta.on_hand,
            on_hand: product.on_hand,
            reserved: product.reserved,
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(StockAdjusted {
            product,
            replayed: false,
        })
    }

    /// A product by id.
    pub async fn product(&self, actor: &Actor, id: ProductId) -> Result<Product> {
        actor.require(Permission::Read)?;
        self.store
            .product(id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| Error::not_found("product", id))
    }

    /// A product by SKU (what a barcode scanner types).
    pub async fn product_by_sku(&self, actor: &Actor, sku: &Sku) -> Result<Product> {
        actor.require(Permission::Read)?;
        self.store
            .product_by_sku(sku)
            .await
            .map_err(store_error)?
            .ok_or_else(|| Error::not_found("product", sku))
    }

    /// A page of products by SKU, searched by SKU prefix or name.
    pub async fn products(&self, actor: &Actor, query: &ProductQuery) -> Result<Page<Product>> {
        actor.require(Permission::Read)?;
        self.store.products(query).await.map_err(store_error)
    }

    /// A product's stock movements, newest first.
    pub async fn movements(
        &self,
        actor: &Actor,
        id: ProductId,
        page: PageRequest,
    ) -> Result<Page<StockMovement>> {
        actor.require(Permission::Read)?;
        if self.store.product(id).await.map_err(store_error)?.is_none() {
            return Err(Error::not_found("product", id));
        }
        self.store.movements(id, page).await.map_err(store_error)
    }
}
