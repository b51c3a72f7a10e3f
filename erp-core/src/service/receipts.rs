//! Receipts of stored sales and returns, built from what the database holds. Printing one again
//! (a reprint) is calling the same method again: the document comes out the same, with the
//! shop's header as it is now.

use super::{Erp, store_error};
use crate::Actor;
use crate::domain::{
    CashSessionId, CustomerId, Order, OrderId, Payment, PaymentKind, Permission, RegisterId,
    ReturnId, UserId,
};
use crate::error::{Error, Result};
use crate::receipt::{self, Names, ReceiptCustomer, ReceiptDocument};

/// How many times a sale's order and payments are read again when a payment landed between the
/// two reads (they are separate reads; the books agree once both see the same commits).
const READ_ATTEMPTS: u32 = 3;

impl Erp {
    /// The receipt of a stored sale: a counter sale, or a delivery order paid in full (else
    /// [`Error::OrderNotEligible`]). Shop header from [`Erp::shop_settings`]; lines, discounts,
    /// tenders and change as stored; the operator who sold it, the register, the time, and the
    /// customer when they gave a CPF or CNPJ. Marked as not a fiscal document.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// use erp_core::receipt::{Language, PaperWidth, ReceiptLayout};
    /// use erp_core::{Actor, Erp};
    /// let erp = Erp::in_memory();
    /// let missing = erp.sale_receipt(&Actor::system(), erp_core::domain::OrderId(1)).await;
    /// assert_eq!(missing.unwrap_err().code(), "not_found");
    /// # });
    /// ```
    pub async fn sale_receipt(&self, actor: &Actor, order_id: OrderId) -> Result<ReceiptDocument> {
        actor.require(Permission::Read)?;
        let (order, payments) = self.paid_order(order_id).await?;
        receipt::stored::check_sale_eligible(&order)?;
        let names = Names {
            operator: self.username(order.created_by).await?,
            register: self.register_code(order.register_id).await?,
            customer: self.receipt_customer(order.customer_id).await?,
        };
        let shop = self.store.shop_settings().await.map_err(store_error)?;
        receipt::stored::sale(shop, &order, &payments, names)
    }

    /// The receipt of a stored return of `order_id`: the units that came back, each at what it
    /// could be refunded for, and the refunds by tender. Marked as not a fiscal document.
    pub async fn return_receipt(
        &self,
        actor: &Actor,
        order_id: OrderId,
        return_id: ReturnId,
    ) -> Result<ReceiptDocument> {
        actor.require(Permission::Read)?;
        let order = self.order(actor, order_id).await?;
        let returns = self.store.returns(order_id).await.map_err(store_error)?;
        let this = returns
            .iter()
            .find(|r| r.id == return_id)
            .ok_or_else(|| Error::not_found("return", return_id))?;
        let names = Names {
            operator: self.username(this.created_by).await?,
            register: self.session_register(this.cash_session_id).await?,
            customer: self.receipt_customer(order.customer_id).await?,
        };
        let shop = self.store.shop_settings().await.map_err(store_error)?;
        receipt::stored::sale_return(shop, &order, &returns, this, names)
    }

    /// The order and its payments, read until they agree (see [`READ_ATTEMPTS`]).
    async fn paid_order(&self, order_id: OrderId) -> Result<(Order, Vec<Payment>)> {
        let mut attempt = 1;
        loop {
            let order = self
                .store
                .order(order_id)
                .await
                .map_err(store_error)?
                .ok_or_else(|| Error::not_found("order", order_id))?;
            let payments = self.store.payments(order_id).await.map_err(store_error)?;
            let tendered: i64 = payments
                .iter()
                .filter(|p| p.kind == PaymentKind::Payment)
                .map(|p| p.amount.cents())
                .sum();
            let settled = tendered - order.change.cents() == order.paid.cents();
            if settled || attempt >= READ_ATTEMPTS {
                // Still apart after the last attempt: the receipt builder reports it.
                return Ok((order, payments));
            }
            attempt += 1;
        }
    }

    async fn username(&self, user: Option<UserId>) -> Result<Option<String>> {
        let Some(id) = user else {
            return Ok(None);
        };
        let found = self.store.user(id).await.map_err(store_error)?;
        Ok(found.map(|record| record.user.username.to_string()))
    }

    async fn register_code(&self, register: Option<RegisterId>) -> Result<Option<String>> {
        let Some(id) = register else {
            return Ok(None);
        };
        let all = self.store.registers().await.map_err(store_error)?;
        Ok(all
            .into_iter()
            .find(|r| r.id == id)
            .map(|r| r.code.to_string()))
    }

    async fn session_register(&self, session: Option<CashSessionId>) -> Result<Option<String>> {
        let Some(id) = session else {
            return Ok(None);
        };
        let found = self.store.cash_session(id).await.map_err(store_error)?;
        self.register_code(found.map(|s| s.register_id)).await
    }

    /// The customer as a receipt names them: only one who gave a CPF or CNPJ (asked for it on
    /// the receipt). The walk-in customer of a counter has none, and is left off.
    async fn receipt_customer(&self, id: CustomerId) -> Result<Option<ReceiptCustomer>> {
        let found = self.store.customer(id).await.map_err(store_error)?;
        Ok(found.and_then(|customer| {
            customer.tax_id.map(|tax_id| ReceiptCustomer {
                name: customer.name.to_string(),
                tax_id: Some(tax_id.formatted()),
            })
        }))
    }
}
