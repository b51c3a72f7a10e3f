//! Money at the counter: counter sales, payments on orders and the approval rule.
//!
//! A counter sale takes its locks in the global order: its register's open cash session (shared:
//! sales only add cash), the customer (shared), then its products by ascending id. The products'
//! stock is written last, just before commit, so the hot rows are held for as short as possible.

use std::collections::HashMap;

use super::orders::{
    Claims, claim_all, claim_movements, live_customer, refuse_early, same_request,
};
use super::{Attempt, Erp, Failure, no_unique};
use crate::Actor;
use crate::domain::{
    ApprovalReason, ApproverCredentials, CashSession, Channel, NewCounterSale, NewOrderPayment,
    NewPayment, NewStatusChange, Note, Order, OrderDraft, OrderLine, OrderStatus, PaidOrder,
    Payment, PaymentKind, Permission, RegisterId, TenderLine, UserId, price_sale, settle,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::{StockClaim, StoreError, Transaction, UniqueKey};

/// A manager's login typed at the till, checked before the unit of work (checking a password is
/// slow and must not hold locks).
pub(crate) enum Approval {
    /// A manager or admin, checked now.
    Verified(Option<UserId>),
    /// No login was given.
    Nobody,
}

impl Approval {
    /// The approver for `reasons`, or why there is none. `actor` is the acting user as read in
    /// the command's own transaction: a manager or admin approves their own command.
    pub(crate) fn approve(
        &self,
        actor: &Actor,
        reasons: &[ApprovalReason],
    ) -> Result<Option<UserId>> {
        let Some(first) = reasons.first() else {
            return Ok(None);
        };
        if actor.can(Permission::Supervise) {
            return Ok(actor.user_id());
        }
        match self {
            Approval::Verified(approver) => Ok(*approver),
            Approval::Nobody => Err(Error::ApprovalRequired {
                reason: first.to_string(),
            }),
        }
    }
}

impl Erp {
    /// Checks an approver's login now: it must be an active manager or admin. The password is
    /// never logged; a refusal does not say which part was wrong.
    pub(crate) async fn check_approver(
        &self,
        given: Option<&ApproverCredentials>,
    ) -> Result<Approval> {
        let Some(credentials) = given else {
            return Ok(Approval::Nobody);
        };
        let approver = match self
            .authenticate(credentials.username(), credentials.expose_password())
            .await
        {
            Ok(approver) => approver,
            Err(
                Error::InvalidCredentials
                | Error::UserInactive { .. }
                | Error::LoginThrottled { .. },
            ) => {
                return Err(Error::ApprovalRequired {
                    reason: "the approver's login was refused".into(),
                });
            }
            Err(other) => return Err(other),
        };
        if !approver.can(Permission::Supervise) {
            return Err(Error::ApprovalRequired {
                reason: format!("{} is not a manager", approver.username()),
            });
        }
        Ok(Approval::Verified(approver.user_id()))
    }

    /// Sells over the counter: in one unit of work the stock leaves (a SALE movement per line,
    /// nothing reserved), the tenders are recorded on the register's open cash session (which must
    /// be the actor's), and the order is born DELIVERED and paid, with one history row.
    ///
    /// The tenders must cover the total; only cash may exceed it, and the excess is the change.
    /// Discounts over the shop's limit and price overrides need a manager
    /// ([`Error::ApprovalRequired`]). Idempotent per `(customer, key)` like
    /// [`Erp::create_order`].
    pub async fn sell_at_counter(&self, actor: &Actor, sale: &NewCounterSale) -> Result<PaidOrder> {
        let approval = self.check_approver(sale.approver()).await?;
        let fingerprint = sale.fingerprint();
        let sold = self
            .run(
                || self.try_sell(actor, sale, &approval, &fingerprint),
                no_unique,
            )
            .await?;
        if sold.replayed {
            let payments = self
                .store
                .payments(sold.order.id)
                .await
                .map_err(super::store_error)?;
            return Ok(PaidOrder { payments, ..sold });
        }
        Ok(sold)
    }

    async fn try_sell(
        &self,
        actor: &Actor,
        sale: &NewCounterSale,
        approval: &Approval,
        fingerprint: &str,
    ) -> Attempt<PaidOrder> {
        match self.sell(actor, sale, approval, fingerprint).await {
            Err(Failure::Store(StoreError::Unique(UniqueKey::IdempotencyKey))) => {
                let winner = self
                    .committed_keyed_order(sale.customer_id(), sale.idempotency_key())
                    .await?;
                replay_sale(winner, sale, fingerprint)
            }
            other => other,
        }
    }

    async fn sell(
        &self,
        actor: &Actor,
        sale: &NewCounterSale,
        approval: &Approval,
        fingerprint: &str,
    ) -> Attempt<PaidOrder> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateOrder))
            .await?;
        if let Some(order) = tx
            .order_by_idempotency_key(sale.customer_id(), sale.idempotency_key())
            .await?
        {
            return replay_sale(order, sale, fingerprint);
        }
        let session = own_open_session(&mut tx, actor, sale.register_id(), false).await?;
        let customer = live_customer(&mut tx, sale.customer_id()).await?;
        let skus: Vec<_> = sale.lines().iter().map(|l| l.sku.clone()).collect();
        // Priced from the committed rows, unlocked; the stock is claimed under the lock at the
        // end, which re-checks price and availability (see `place_order`).
        let products: HashMap<_, _> = tx
            .products_by_sku(&skus)
            .await?
            .into_iter()
            .map(|p| (p.sku.clone(), p))
            .collect();

        let mut priced_input = Vec::with_capacity(sale.lines().len());
        for line in sale.lines() {
            let product = products
                .get(&line.sku)
                .ok_or_else(|| Error::not_found("product", &line.sku))?;
            priced_input.push((product.price, line));
        }
        let priced = price_sale(&priced_input, sale.discount(), self.discount_policy())?;
        let approved_by = approval.approve(actor, &priced.approvals)?;
        let settled = settle(priced.total, sale.tenders(), true)?;

        let now = self.now();
        let mut lines = Vec::with_capacity(sale.lines().len());
        let mut claims = Claims::new();
        for (wanted, figures) in sale.lines().iter().zip(&priced.lines) {
            let product = products
                .get(&wanted.sku)
                .ok_or_else(|| Error::not_found("product", &wanted.sku))?;
            refuse_early(&mut tx, product, StockClaim::Sell, wanted.quantity).await?;
            claims.entry(product.id).or_insert((0, product.price)).0 += wanted.quantity.as_i64();
            lines.push(OrderLine {
                product_id: product.id,
                sku: product.sku.clone(),
                product_name: product.name.clone(),
                unit_price: figures.unit_price,
                quantity: wanted.quantity,
                line_total: figures.gross,
                list_price: figures.list_price,
                discount: figures.discount,
                returned: 0,
            });
        }
        let draft = OrderDraft {
            channel: Channel::Counter,
            discount: priced.discount,
            paid: settled.paid,
            change: settled.change,
            register_id: Some(sale.register_id()),
            cash_session_id: Some(session.id),
            approved_by,
            ..OrderDraft::delivery(
                customer.id,
                lines,
                priced.total,
                sale.idempotency_key().clone(),
                fingerprint.to_string(),
                sale.note().cloned(),
                actor.user_id(),
                now,
            )
        };
        let order_id = tx.insert_order_header(&draft).await?;
        tx.insert_status_change(&NewStatusChange {
            order_id,
            from: None,
            to: OrderStatus::Delivered,
            changed_by: actor.user_id(),
            changed_at: now,
            note: Note::parse("sold and handed over at the counter").ok(),
            request_key: None,
        })
        .await?;
        let payments = self
            .record_tenders(
                &mut tx,
                actor,
                order_id,
                sale.tenders(),
                Some(&session),
                now,
            )
            .await?;
        let event = DomainEvent::SaleCompleted {
            order_id,
            register_id: sale.register_id(),
            cash_session_id: session.id,
            total: draft.total,
            change: draft.change,
            lines: draft
                .lines
                .iter()
                .map(|l| (l.sku.to_string(), l.quantity.get()))
                .collect(),
        };
        self.record(&mut tx, actor, event, now).await?;
        tx.insert_order_lines(order_id, &draft.lines).await?;
        let movements = claim_movements(&claims, StockClaim::Sell, order_id, actor, now)?;
        tx.insert_movements(&movements).await?;
        // The stock last: the product rows are the hottest, so their locks are taken just before
        // commit, in ascending id order (no foreign key reads them earlier: migration 0007).
        claim_all(&mut tx, &claims, StockClaim::Sell, now).await?;
        let order = draft.into_order(order_id);
        tx.commit().await?;
        Ok(PaidOrder {
            order,
            payments,
            replayed: false,
        })
    }

    /// Writes one payment per tender and its event.
    async fn record_tenders(
        &self,
        tx: &mut Box<dyn Transaction>,
        actor: &Actor,
        order_id: crate::domain::OrderId,
        tenders: &[TenderLine],
        session: Option<&CashSession>,
        now: crate::domain::Timestamp,
    ) -> Attempt<Vec<Payment>> {
        let mut payments = Vec::with_capacity(tenders.len());
        for tender in tenders {
            let new = NewPayment {
                order_id,
                kind: PaymentKind::Payment,
                tender: tender.tender(),
                amount: tender.amount(),
                reference: tender.reference().cloned(),
                cash_session_id: session.map(|s| s.id),
                return_id: None,
                created_by: actor.user_id(),
                created_at: now,
            };
            let id = tx.insert_payment(&new).await?;
            let payment = new.into_payment(id);
            let event = DomainEvent::PaymentRecorded {
                payment_id: id,
                order_id,
                kind: payment.kind,
                tender: payment.tender,
                amount: payment.amount,
            };
            self.record(tx, actor, event, now).await?;
            payments.push(payment);
        }
        Ok(payments)
    }

    /// Takes a payment on an order not yet paid in full (a delivery order paid later or on
    /// delivery). Card, PIX and other tenders never exceed the balance due; a payment on an order
    /// gives no change, so cash does not either. Taken at a till (`register_id`), it goes through
    /// the till's open session, which must be the actor's.
    pub async fn pay_order(&self, actor: &Actor, payment: &NewOrderPayment) -> Result<PaidOrder> {
        self.run(|| self.try_pay(actor, payment), no_unique).await
    }

    async fn try_pay(&self, actor: &Actor, payment: &NewOrderPayment) -> Attempt<PaidOrder> {
        let mut tx = self.begin().await?;
        let actor = &self
            .authorize(&mut tx, actor, Some(Permission::CreateOrder))
            .await?;
        let mut order = tx
            .lock_order(payment.order_id)
            .await?
            .ok_or_else(|| Error::not_found("order", payment.order_id))?;
        if order.status == OrderStatus::Cancelled {
            return Err(Error::OrderNotEligible {
                order_id: order.id,
                status: order.status,
                why: "a cancelled order takes no payment",
            }
            .into());
        }
        let due = order.balance_due();
        let settled = settle(due, &payment.tenders, false)?;
        if settled.change > crate::domain::Money::ZERO {
            return Err(Error::Overpayment {
                due: due.to_string(),
                non_cash: (settled.paid.checked_add(settled.change))
                    .unwrap_or(settled.paid)
                    .to_string(),
            }
            .into());
        }
        let session = match payment.register_id {
            Some(register) => Some(own_open_session(&mut tx, actor, register, false).await?),
            None => None,
        };
        let now = self.now();
        let payments = self
            .record_tenders(
                &mut tx,
                actor,
                order.id,
                &payment.tenders,
                session.as_ref(),
                now,
            )
            .await?;
        order.paid = order
            .paid
            .checked_add(settled.paid)
            .ok_or_else(|| Error::validation("tenders", "the amounts are too large"))?;
        order.updated_at = now;
        tx.update_order_money(&order).await?;
        tx.commit().await?;
        Ok(PaidOrder {
            order,
            payments,
            replayed: false,
        })
    }

    /// An order's payments and refunds, oldest first.
    pub async fn payments(
        &self,
        actor: &Actor,
        order: crate::domain::OrderId,
    ) -> Result<Vec<Payment>> {
        actor.require(Permission::Read)?;
        self.order(actor, order).await?;
        self.store.payments(order).await.map_err(super::store_error)
    }
}

/// The original sale for a repeated key: a replay if the request is the same, else a conflict.
/// Its payments are read after the unit of work (see [`Erp::sell_at_counter`]).
fn replay_sale(order: Order, sale: &NewCounterSale, fingerprint: &str) -> Attempt<PaidOrder> {
    let order = same_request(order, sale.idempotency_key(), fingerprint)?;
    Ok(PaidOrder {
        order,
        payments: Vec::new(),
        replayed: true,
    })
}

/// The register's open cash session, locked (shared or exclusive), which must be the actor's
/// (supervisors may use anyone's when `exclusive`: cash out or a refund from another till).
pub(crate) async fn own_open_session(
    tx: &mut Box<dyn Transaction>,
    actor: &Actor,
    register: RegisterId,
    exclusive: bool,
) -> Attempt<CashSession> {
    let Some(session) = tx.lock_open_cash_session(register, exclusive).await? else {
        if tx.register(register).await?.is_none() {
            return Err(Error::not_found("register", register).into());
        }
        return Err(Error::NoOpenCashSession {
            register_id: register,
        }
        .into());
    };
    let supervising = exclusive && actor.can(Permission::Supervise);
    if session.opened_by != actor.user_id() && !supervising {
        return Err(Error::CashSessionNotYours {
            session_id: session.id,
        }
        .into());
    }
    Ok(session)
}
