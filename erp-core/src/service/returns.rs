//! Returns: units of a delivered order come back (to the shelf or written off) and money goes back
//! out, never more units than were sold and never more money than was paid for them.
//!
//! Lock order: the order row first (two returns of one order take turns, and each reads the
//! lines' `returned` counts only once it holds the order), then the till's cash session, then the
//! restocked products by ascending id.

use std::collections::BTreeMap;

use super::orders::lock_products;
use super::sales::{Approval, own_open_session};
use super::{Attempt, Erp, Failure, no_unique, store_error};
use crate::Actor;
use crate::domain::{
    ApprovalReason, Disposition, Money, MovementKind, NewMovement, NewPayment, NewReturn, OrderId,
    OrderStatus, PaymentKind, Permission, ReturnOutcome, ReturnedLine, SaleReturn, Tender,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::{ReturnDraft, StoreError, UniqueKey};

impl Erp {
    /// Takes back units of a DELIVERED order and pays money back.
    ///
    /// Each line returns at most what was sold and not yet returned
    /// ([`Error::ReturnExceedsSold`]); the refund is at most what was paid for those units after
    /// every discount ([`Error::RefundExceedsPaid`]); cash is paid from the register's open
    /// session, which must hold it. A manager approves every return. Idempotent per
    /// `(order, key)`.
    pub async fn record_return(&self, actor: &Actor, request: &NewReturn) -> Result<ReturnOutcome> {
        let approval = self.check_approver(request.approver()).await?;
        let fingerprint = request.fingerprint();
        self.run(
            || self.try_return(actor, request, &approval, &fingerprint),
            no_unique,
        )
        .await
    }

    async fn try_return(
        &self,
        actor: &Actor,
        request: &NewReturn,
        approval: &Approval,
        fingerprint: &str,
    ) -> Attempt<ReturnOutcome> {
        match self.take_back(actor, request, approval, fingerprint).await {
            Err(Failure::Store(StoreError::Unique(UniqueKey::ReturnKey))) => {
                let mut tx = self.begin().await?;
                match tx
                    .return_by_key(request.order_id(), request.idempotency_key())
                    .await?
                {
                    Some(found) => replay_return(found, request, fingerprint),
                    None => Err(Failure::Store(StoreError::Retryable(
                        "return key taken by a return that cannot be read".into(),
                    ))),
                }
            }
            other => other,
        }
    }

    async fn take_back(
        &self,
        actor: &Actor,
        request: &NewReturn,
        approval: &Approval,
        fingerprint: &str,
    ) -> Attempt<ReturnOutcome> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateOrder))
            .await?;
        // Nothing is locked or written before the approval is settled.
        let approved_by = approval.approve(actor, &[ApprovalReason::Return])?;
        // The order lock first: the lines and money read with it are current.
        let mut order = tx
            .lock_order(request.order_id())
            .await?
            .ok_or_else(|| Error::not_found("order", request.order_id()))?;
        if let Some(found) = tx
            .return_by_key(request.order_id(), request.idempotency_key())
            .await?
        {
            return replay_return(found, request, fingerprint);
        }
        if order.status != OrderStatus::Delivered {
            return Err(Error::OrderNotEligible {
                order_id: order.id,
                status: order.status,
                why: "only delivered goods come back",
            }
            .into());
        }

        let mut lines = Vec::with_capacity(request.lines().len());
        let mut returning = vec![0; order.lines.len()];
        for (index, wanted) in request.lines().iter().enumerate() {
            let (line_no, line) = order
                .lines
                .iter()
                .enumerate()
                .find(|(_, l)| l.sku == wanted.sku)
                .ok_or_else(|| {
                    Error::validation(
                        format!("lines[{index}].sku"),
                        format!("{} is not on order {}", wanted.sku, order.id),
                    )
                })?;
            let returnable = line.quantity.get().saturating_sub(line.returned);
            if wanted.quantity.get() > returnable {
                return Err(Error::ReturnExceedsSold {
                    sku: wanted.sku.to_string(),
                    requested: wanted.quantity.as_i64(),
                    returnable: i64::from(returnable),
                }
                .into());
            }
            returning[line_no] = wanted.quantity.get();
            let (restocked, reason) = match &wanted.disposition {
                Disposition::Restock => (true, None),
                Disposition::WriteOff(reason) => (false, Some(reason.clone())),
            };
            lines.push(ReturnedLine {
                line_no: u32::try_from(line_no).unwrap_or(u32::MAX),
                product_id: line.product_id,
                sku: line.sku.clone(),
                quantity: wanted.quantity,
                restocked,
                reason,
            });
        }
        let cap = order.refund_cap(&returning);
        let refund_total = request
            .refunds()
            .iter()
            .try_fold(Money::ZERO, |sum, t| sum.checked_add(t.amount()))
            .ok_or_else(|| Error::validation("refunds", "the amounts are too large"))?;
        if refund_total > cap {
            return Err(Error::RefundExceedsPaid {
                requested: refund_total.to_string(),
                refundable: cap.to_string(),
            }
            .into());
        }

        let cash = request
            .refunds()
            .iter()
            .filter(|t| t.tender() == Tender::Cash)
            .map(|t| t.amount().cents())
            .sum::<i64>();
        let session = match request.register_id() {
            Some(register) => {
                let session = own_open_session(&mut tx, actor, register, cash > 0).await?;
                if cash > 0 {
                    let totals = tx.cash_session_totals(session.id).await?;
                    let in_drawer = totals.expected_cents(Tender::Cash, session.opening_float);
                    if cash > in_drawer {
                        return Err(Error::InsufficientCash {
                            requested: crate::domain::MoneyDelta::from_cents(cash).to_string(),
                            in_drawer: crate::domain::MoneyDelta::from_cents(in_drawer).to_string(),
                        }
                        .into());
                    }
                }
                Some(session)
            }
            None if cash > 0 => {
                return Err(Error::validation(
                    "register_id",
                    "cash is paid back from a till: give the register with the open session",
                )
                .into());
            }
            None => None,
        };

        let now = self.now();
        let draft = ReturnDraft {
            order_id: order.id,
            lines,
            refund_total,
            cash_session_id: session.as_ref().map(|s| s.id),
            approved_by,
            idempotency_key: request.idempotency_key().clone(),
            request_fingerprint: fingerprint.to_string(),
            note: request.note().cloned(),
            created_by: actor.user_id(),
            created_at: now,
        };
        let return_id = tx.insert_return(&draft).await?;
        let mut refunds = Vec::with_capacity(request.refunds().len());
        for tender in request.refunds() {
            let new = NewPayment {
                order_id: order.id,
                kind: PaymentKind::Refund,
                tender: tender.tender(),
                amount: tender.amount(),
                reference: tender.reference().cloned(),
                cash_session_id: draft.cash_session_id,
                return_id: Some(return_id),
                created_by: actor.user_id(),
                created_at: now,
            };
            let id = tx.insert_payment(&new).await?;
            let refund = new.into_payment(id);
            let event = DomainEvent::PaymentRecorded {
                payment_id: id,
                order_id: order.id,
                kind: refund.kind,
                tender: refund.tender,
                amount: refund.amount,
            };
            self.record(&mut tx, actor, event, now).await?;
            refunds.push(refund);
        }
        let mut back: BTreeMap<crate::domain::ProductId, i64> = BTreeMap::new();
        for line in &draft.lines {
            let stored = &mut order.lines[line.line_no as usize];
            stored.returned += line.quantity.get();
            tx.set_line_returned(order.id, line.line_no, stored.returned)
                .await?;
            if line.restocked {
                *back.entry(line.product_id).or_default() += line.quantity.as_i64();
            }
        }
        order.refunded = order
            .refunded
            .checked_add(refund_total)
            .unwrap_or(order.refunded);
        order.updated_at = now;
        tx.update_order_money(&order).await?;
        let event = DomainEvent::ReturnRecorded {
            return_id,
            order_id: order.id,
            refund_total,
        };
        self.record(&mut tx, actor, event, now).await?;
        if !back.is_empty() {
            let mut products = lock_products(&mut tx, back.keys().copied()).await?;
            for (product_id, units) in &back {
                let product = products
                    .get_mut(product_id)
                    .ok_or_else(|| Error::Internal {
                        message: format!("order {} names missing product {product_id}", order.id),
                    })?;
                let quantity =
                    crate::domain::Quantity::new(*units).map_err(|e| e.in_field("lines"))?;
                let delta = product.take_back(quantity)?;
                product.updated_at = now;
                tx.insert_movement(&NewMovement {
                    product_id: *product_id,
                    kind: MovementKind::Return,
                    delta,
                    order_id: Some(order.id),
                    reason: None,
                    created_by: actor.user_id(),
                    created_at: now,
                    request_key: None,
                })
                .await?;
                tx.update_product(product).await?;
            }
        }
        tx.commit().await?;
        Ok(ReturnOutcome {
            sale_return: draft.into_return(return_id, refunds),
            replayed: false,
        })
    }

    /// An order's returns, oldest first, with their refunds.
    pub async fn returns(&self, actor: &Actor, order: OrderId) -> Result<Vec<SaleReturn>> {
        self.order(actor, order).await?;
        self.store.returns(order).await.map_err(store_error)
    }
}

fn replay_return(
    found: SaleReturn,
    request: &NewReturn,
    fingerprint: &str,
) -> Attempt<ReturnOutcome> {
    if found.request_fingerprint == fingerprint {
        Ok(ReturnOutcome {
            sale_return: found,
            replayed: true,
        })
    } else {
        Err(Error::ReturnRequestConflict {
            key: request.idempotency_key().to_string(),
            return_id: found.id,
        }
        .into())
    }
}
