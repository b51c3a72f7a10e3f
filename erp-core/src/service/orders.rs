//! Orders: placing them (with reservation and idempotency), moving them along, cancelling them.

use std::collections::{BTreeMap, HashMap};

use super::{Attempt, Erp, Failure, no_unique};
use crate::Actor;
use crate::domain::{
    IdempotencyKey, Money, MovementKind, NewMovement, NewOrder, NewStatusChange, Note, Order,
    OrderDraft, OrderId, OrderLine, OrderQuery, OrderReceipt, OrderStatus, Page, Permission,
    Product, ProductId, StatusChange, StatusChanged, StockEffect,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::{StockClaim, StoreError, Transaction, UniqueKey};

impl Erp {
    /// Places an order: reserves stock for every line or for none, freezes prices, and records
    /// the reservation movements, the first history row and an `OrderCreated` event.
    ///
    /// Idempotent per `(customer, key)`: repeating the same request returns the original order
    /// with `replayed: true`; the same key with a different request fails with
    /// [`Error::IdempotencyConflict`]. Only a successful creation binds a key, so a request that
    /// failed (say, for lack of stock) can be retried with the same key.
    pub async fn create_order(&self, actor: &Actor, request: &NewOrder) -> Result<OrderReceipt> {
        let fingerprint = request.fingerprint();
        self.run(
            || self.try_create_order(actor, request, &fingerprint),
            no_unique,
        )
        .await
    }

    async fn try_create_order(
        &self,
        actor: &Actor,
        request: &NewOrder,
        fingerprint: &str,
    ) -> Attempt<OrderReceipt> {
        match self.place_order(actor, request, fingerprint).await {
            // Another request with this key committed first (we may have waited on its locks).
            // This transaction is gone; read the winner's order and replay it.
            Err(Failure::Store(StoreError::Unique(UniqueKey::IdempotencyKey))) => {
                let winner = self
                    .committed_keyed_order(request.customer_id(), request.idempotency_key())
                    .await?;
                replay(winner, request, fingerprint)
            }
            other => other,
        }
    }

    /// The order an earlier request under `key` made, read in a unit of work of its own (never
    /// the caller's, which may hold its own uncommitted twin).
    pub(crate) async fn keyed_order(
        &self,
        customer: crate::domain::CustomerId,
        key: &IdempotencyKey,
    ) -> Attempt<Option<Order>> {
        let mut tx = self.begin().await?;
        Ok(tx.order_by_idempotency_key(customer, key).await?)
    }

    /// The order whose commit made our insert under `key` fail on the unique index.
    pub(crate) async fn committed_keyed_order(
        &self,
        customer: crate::domain::CustomerId,
        key: &IdempotencyKey,
    ) -> Attempt<Order> {
        self.keyed_order(customer, key).await?.ok_or_else(|| {
            // The winner vanished (impossible once committed): treat as a conflict worth
            // retrying.
            Failure::Store(StoreError::Retryable(
                "idempotency key taken by an order that cannot be read".into(),
            ))
        })
    }

    async fn place_order(
        &self,
        actor: &Actor,
        request: &NewOrder,
        fingerprint: &str,
    ) -> Attempt<OrderReceipt> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateOrder))
            .await?;
        // The key is not looked up first: for a fresh key (nearly every request) that read finds
        // nothing. A key already used fails the order's insert on its unique index, and the
        // earlier order is replayed (`try_create_order`). A refusal before that insert (no
        // stock left, say) asks for the key then, so a repeated request still gets its order.
        match self.write_order(tx, actor, request, fingerprint).await {
            Err(Failure::Rule(refusal)) => match self
                .keyed_order(request.customer_id(), request.idempotency_key())
                .await?
            {
                Some(order) => replay(order, request, fingerprint),
                None => Err(Failure::Rule(refusal)),
            },
            other => other,
        }
    }

    /// Writes and commits the order of `request`; dropped uncommitted on any failure.
    async fn write_order(
        &self,
        mut tx: Box<dyn Transaction>,
        actor: &Actor,
        request: &NewOrder,
        fingerprint: &str,
    ) -> Attempt<OrderReceipt> {
        let customer = live_customer(&mut tx, request.customer_id()).await?;
        let skus: Vec<_> = request.lines().iter().map(|l| l.sku.clone()).collect();
        // Priced from the committed rows, unlocked; the reservation below re-checks price and
        // stock under the lock, which is taken last so it is held for as few statements as can be.
        let products: HashMap<_, _> = tx
            .products_by_sku(&skus)
            .await?
            .into_iter()
            .map(|p| (p.sku.clone(), p))
            .collect();

        let now = self.now();
        let mut lines = Vec::with_capacity(request.lines().len());
        let mut total = crate::domain::Money::ZERO;
        // Units per product (a SKU may appear on several lines) and the price they were sold at.
        let mut wanted_per_product = Claims::new();
        for (index, wanted) in request.lines().iter().enumerate() {
            let product = products
                .get(&wanted.sku)
                .ok_or_else(|| Error::not_found("product", &wanted.sku))?;
            refuse_early(&mut tx, product, StockClaim::Reserve, wanted.quantity).await?;
            let line_total = product
                .price
                .checked_times(wanted.quantity)
                .ok_or_else(|| {
                    Error::validation(
                        format!("lines[{index}].quantity"),
                        "line total is too large",
                    )
                })?;
            total = total
                .checked_add(line_total)
                .ok_or_else(|| Error::validation("lines", "order total is too large"))?;
            wanted_per_product
                .entry(product.id)
                .or_insert((0, product.price))
                .0 += wanted.quantity.as_i64();
            lines.push(OrderLine {
                product_id: product.id,
                sku: product.sku.clone(),
                product_name: product.name.clone(),
                unit_price: product.price,
                quantity: wanted.quantity,
                line_total,
                list_price: product.price,
                discount: crate::domain::Money::ZERO,
                returned: 0,
            });
        }

        let draft = OrderDraft::delivery(
            customer.id,
            lines,
            total,
            request.idempotency_key().clone(),
            fingerprint.to_string(),
            request.note().cloned(),
            actor.user_id(),
            now,
        );
        // Everything that does not lock a product row first: the order (whose unique key on
        // (customer, idempotency key) makes a concurrent or earlier twin fail here), its lines,
        // history, event and movements. No foreign key from lines or movements to products reads
        // those rows on MySQL (migration 0007), so nothing here locks them.
        let order_id = tx.insert_order_header(&draft).await?;
        tx.insert_status_change(&NewStatusChange {
            order_id,
            from: None,
            to: OrderStatus::Pending,
            changed_by: actor.user_id(),
            changed_at: now,
            note: None,
            request_key: None,
        })
        .await?;
        let event = DomainEvent::OrderCreated {
            order_id,
            customer_id: draft.customer_id,
            total: draft.total,
            lines: draft
                .lines
                .iter()
                .map(|l| (l.sku.to_string(), l.quantity.get()))
                .collect(),
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.insert_order_lines(order_id, &draft.lines).await?;
        let movements = claim_movements(
            &wanted_per_product,
            StockClaim::Reserve,
            order_id,
            actor,
            now,
        )?;
        tx.insert_movements(&movements).await?;
        // The product locks last, in ascending id order (the global lock order), one statement
        // each, then COMMIT: the hot rows are locked for two round trips.
        claim_all(&mut tx, &wanted_per_product, StockClaim::Reserve, now).await?;
        tx.commit().await?;
        let order = draft.into_order(order_id);
        Ok(OrderReceipt {
            order,
            replayed: false,
        })
    }

    /// Moves an order to `to` if the state machine allows it and the actor's role does
    /// (cancelling needs [`Permission::CancelOrder`]). Shipping consumes the reserved stock,
    /// cancelling releases it; either way one movement per line is recorded, with one history
    /// row and one event.
    pub async fn change_status(
        &self,
        actor: &Actor,
        order_id: OrderId,
        to: OrderStatus,
        note: Option<Note>,
    ) -> Result<Order> {
        let changed = self
            .run(
                || self.try_change_status(actor, order_id, to, note.as_ref(), None),
                no_unique,
            )
            .await?;
        Ok(changed.order)
    }

    /// Like [`Erp::change_status`], at most once per order and client key: repeating the same
    /// change with the same key (a retry after a timeout or a lost answer) moves nothing and
    /// answers what the first request answered (the order as that change left it), marked as a
    /// replay; the same key with another status or note is [`Error::StatusRequestConflict`]. The
    /// key is written with the change, in its transaction, so the two cannot be separated. A
    /// refused change does not bind its key.
    pub async fn change_status_once(
        &self,
        actor: &Actor,
        order_id: OrderId,
        to: OrderStatus,
        note: Option<Note>,
        key: &IdempotencyKey,
    ) -> Result<StatusChanged> {
        self.run(
            || async {
                match self
                    .try_change_status(actor, order_id, to, note.as_ref(), Some(key))
                    .await
                {
                    // The order lock makes this unlikely; should another request with the key
                    // have committed in between, the next attempt finds its change and replays.
                    Err(Failure::Store(StoreError::Unique(UniqueKey::StatusRequest))) => Err(
                        Failure::Store(StoreError::Retryable("status request key taken".into())),
                    ),
                    other => other,
                }
            },
            no_unique,
        )
        .await
    }

    /// Cancels an order (from PENDING or CONFIRMED), returning its reserved stock.
    pub async fn cancel_order(
        &self,
        actor: &Actor,
        order_id: OrderId,
        note: Option<Note>,
    ) -> Result<Order> {
        self.change_status(actor, order_id, OrderStatus::Cancelled, note)
            .await
    }

    /// Like [`Erp::cancel_order`], at most once per order and client key; see
    /// [`Erp::change_status_once`]. A key shares its order's keys with status changes: the key of
    /// a confirmation cannot also cancel.
    pub async fn cancel_order_once(
        &self,
        actor: &Actor,
        order_id: OrderId,
        note: Option<Note>,
        key: &IdempotencyKey,
    ) -> Result<StatusChanged> {
        self.change_status_once(actor, order_id, OrderStatus::Cancelled, note, key)
            .await
    }

    async fn try_change_status(
        &self,
        actor: &Actor,
        order_id: OrderId,
        to: OrderStatus,
        note: Option<&Note>,
        key: Option<&IdempotencyKey>,
    ) -> Attempt<StatusChanged> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(to.permission_to_enter()))
            .await?;
        // Lock order: the order row first, then its products by ascending id.
        let mut order = tx
            .lock_order(order_id)
            .await?
            .ok_or_else(|| Error::not_found("order", order_id))?;
        // Under the order's lock, so a concurrent request with the same key has either
        // committed its change (found here) or not begun it.
        if let Some(key) = key
            && let Some(done) = tx.status_change_by_request_key(order_id, key).await?
        {
            return replay_status_change(order, done, to, note, key);
        }
        let from = order.status;
        if !from.can_become(to) {
            return Err(Error::InvalidTransition { from, to }.into());
        }
        let now = self.now();
        let effect = from.stock_effect(to);
        if effect != StockEffect::None {
            let mut products =
                lock_products(&mut tx, order.lines.iter().map(|l| l.product_id)).await?;
            let mut movements = Vec::with_capacity(order.lines.len());
            for line in &order.lines {
                let product =
                    products
                        .get_mut(&line.product_id)
                        .ok_or_else(|| Error::Internal {
                            message: format!("order {order_id} names missing product {}", line.sku),
                        })?;
                let (kind, delta) = match effect {
                    StockEffect::Ship => (MovementKind::Shipment, product.ship(line.quantity)?),
                    _ => (MovementKind::Release, product.release(line.quantity)?),
                };
                movements.push(NewMovement {
                    product_id: product.id,
                    kind,
                    delta,
                    order_id: Some(order_id),
                    reason: None,
                    created_by: actor.user_id(),
                    created_at: now,
                    request_key: None,
                });
            }
            for product in products.values_mut() {
                product.updated_at = now;
                tx.update_product(product).await?;
            }
            for movement in &movements {
                tx.insert_movement(movement).await?;
            }
        }
        tx.update_order_status(order_id, to, now).await?;
        tx.insert_status_change(&NewStatusChange {
            order_id,
            from: Some(from),
            to,
            changed_by: actor.user_id(),
            changed_at: now,
            note: note.cloned(),
            request_key: key.cloned(),
        })
        .await?;
        let event = if to == OrderStatus::Cancelled {
            DomainEvent::OrderCancelled { order_id, from }
        } else {
            DomainEvent::OrderStatusChanged { order_id, from, to }
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        order.status = to;
        order.updated_at = now;
        Ok(StatusChanged {
            order,
            replayed: false,
        })
    }

    /// An order with its lines.
    pub async fn order(&self, actor: &Actor, id: OrderId) -> Result<Order> {
        actor.require(Permission::Read)?;
        self.store
            .order(id)
            .await
            .map_err(super::store_error)?
            .ok_or_else(|| Error::not_found("order", id))
    }

    /// A page of orders, newest first, filtered by status, customer and creation time.
    pub async fn orders(&self, actor: &Actor, query: &OrderQuery) -> Result<Page<Order>> {
        actor.require(Permission::Read)?;
        self.store.orders(query).await.map_err(super::store_error)
    }

    /// An order's status history, oldest first.
    pub async fn order_history(&self, actor: &Actor, id: OrderId) -> Result<Vec<StatusChange>> {
        actor.require(Permission::Read)?;
        let history = self
            .store
            .order_history(id)
            .await
            .map_err(super::store_error)?;
        if history.is_empty()
            && self
                .store
                .order(id)
                .await
                .map_err(super::store_error)?
                .is_none()
        {
            return Err(Error::not_found("order", id));
        }
        Ok(history)
    }
}

/// The answer to a status change whose key already made `done`: the order as that change left it
/// (what the first request answered, even if the order has moved on since), if the request is the
/// same; the same key with another status or note is a conflict.
fn replay_status_change(
    mut order: Order,
    done: StatusChange,
    to: OrderStatus,
    note: Option<&Note>,
    key: &IdempotencyKey,
) -> Attempt<StatusChanged> {
    if done.to != to || done.note.as_ref() != note {
        return Err(Error::StatusRequestConflict {
            key: key.to_string(),
            status: done.to,
        }
        .into());
    }
    order.status = done.to;
    order.updated_at = done.changed_at;
    Ok(StatusChanged {
        order,
        replayed: true,
    })
}

/// The original order for a repeated key: a replay if the request is the same, else a conflict.
fn replay(order: Order, request: &NewOrder, fingerprint: &str) -> Attempt<OrderReceipt> {
    let order = same_request(order, request.idempotency_key(), fingerprint)?;
    Ok(OrderReceipt {
        order,
        replayed: true,
    })
}

/// The order a repeated key found, if it was made by the same request (`fingerprint`); the same
/// key with another request is a conflict. Orders and counter sales share this rule.
pub(crate) fn same_request(
    order: Order,
    key: &IdempotencyKey,
    fingerprint: &str,
) -> Attempt<Order> {
    if order.request_fingerprint == fingerprint {
        Ok(order)
    } else {
        Err(Error::IdempotencyConflict {
            key: key.to_string(),
            order_id: order.id,
        }
        .into())
    }
}

/// The customer an order or sale is for, read with a shared lock so it cannot be deleted until
/// commit; a deleted customer cannot buy.
pub(crate) async fn live_customer(
    tx: &mut Box<dyn Transaction>,
    id: crate::domain::CustomerId,
) -> Attempt<crate::domain::Customer> {
    let customer = tx
        .share_customer(id)
        .await?
        .ok_or_else(|| Error::not_found("customer", id))?;
    if !customer.is_live() {
        return Err(Error::CustomerDeleted {
            id: customer.id.get(),
        }
        .into());
    }
    Ok(customer)
}

/// The rule's verdict on the unlocked snapshot refuses early what cannot succeed. A refusal is
/// confirmed under the product's lock before it is given: on MySQL the snapshot dates from the
/// transaction's first read, and stock may have come back since (while a lock on the customer
/// was awaited, say). If the locked row allows the claim, the command runs again on fresh data.
pub(crate) async fn refuse_early(
    tx: &mut Box<dyn Transaction>,
    product: &Product,
    claim: StockClaim,
    quantity: crate::domain::Quantity,
) -> Attempt<()> {
    match claim.apply(&mut product.clone(), quantity) {
        Ok(_) => Ok(()),
        Err(_) => Err(why_not_claimed(tx, product.id, claim, quantity, product.price).await),
    }
}

/// Why a product's conditional claim ([`Transaction::claim_stock`]) changed no row: read under
/// the lock, the rule says (no longer active, not enough left); if it now allows the claim, the
/// price or stock moved since the unlocked read, and the whole command runs again on fresh data.
pub(crate) async fn why_not_claimed(
    tx: &mut Box<dyn Transaction>,
    id: ProductId,
    claim: StockClaim,
    quantity: crate::domain::Quantity,
    price: Money,
) -> Failure {
    let locked = match tx.lock_products(&[id]).await {
        Ok(mut found) => found.pop(),
        Err(error) => return error.into(),
    };
    let Some(mut product) = locked else {
        return Error::not_found("product", id).into();
    };
    match claim.apply(&mut product, quantity) {
        Err(refused) => refused.into(),
        Ok(_) if product.price != price => {
            StoreError::Retryable("the price changed while the sale was priced".into()).into()
        }
        Ok(_) => StoreError::Retryable("stock changed while the sale was priced".into()).into(),
    }
}

/// Units per product (a SKU may appear on several lines) and the price they are sold at, in
/// ascending product id order: the global lock order of [`claim_all`].
pub(crate) type Claims = BTreeMap<ProductId, (i64, Money)>;

/// The stock movements that claiming `claims` records, one per product.
pub(crate) fn claim_movements(
    claims: &Claims,
    claim: StockClaim,
    order_id: OrderId,
    actor: &Actor,
    now: crate::domain::Timestamp,
) -> Attempt<Vec<NewMovement>> {
    let mut movements = Vec::with_capacity(claims.len());
    for (&product_id, &(units, _)) in claims {
        claimed_quantity(units)?;
        let (on_hand, reserved) = match claim {
            StockClaim::Reserve => (0, units),
            StockClaim::Sell => (-units, 0),
        };
        movements.push(NewMovement {
            product_id,
            kind: claim.movement(),
            delta: crate::domain::StockDelta { on_hand, reserved },
            order_id: Some(order_id),
            reason: None,
            created_by: actor.user_id(),
            created_at: now,
            request_key: None,
        });
    }
    Ok(movements)
}

fn claimed_quantity(units: i64) -> Attempt<crate::domain::Quantity> {
    Ok(crate::domain::Quantity::new(units)
        .map_err(|_| Error::validation("lines", "too many units of one product"))?)
}

/// Claims every product of `claims` in ascending id order (one conditional UPDATE each), or
/// fails the attempt with the rule's reason. Called last before COMMIT: from the first claim on,
/// the unit of work holds the product's row lock, which every order for that product waits for.
pub(crate) async fn claim_all(
    tx: &mut Box<dyn Transaction>,
    claims: &Claims,
    claim: StockClaim,
    now: crate::domain::Timestamp,
) -> Attempt<()> {
    for (&product_id, &(units, price)) in claims {
        let quantity = claimed_quantity(units)?;
        if !tx
            .claim_stock(product_id, claim, quantity, price, now)
            .await?
        {
            return Err(why_not_claimed(tx, product_id, claim, quantity, price).await);
        }
    }
    Ok(())
}

/// Locks the given products in ascending id order (the global lock order) and returns them by id.
pub(crate) async fn lock_products(
    tx: &mut Box<dyn Transaction>,
    ids: impl IntoIterator<Item = ProductId>,
) -> Attempt<BTreeMap<ProductId, Product>> {
    let mut ordered: Vec<ProductId> = ids.into_iter().collect();
    ordered.sort_unstable();
    ordered.dedup();
    let locked = tx.lock_products(&ordered).await?;
    Ok(locked.into_iter().map(|p| (p.id, p)).collect())
}
