//! Receipts for the till, from erp-core: `Erp::sale_receipt` and `Erp::return_receipt` build
//! them from what was stored (figures, operator, register, customer) and the shop's settings, so
//! a receipt shown after a sale, printed again later, or asked of the REST server is the same
//! document.

use erp_core::domain::{Order, OrderId, PaidOrder, SaleReturn};
use erp_core::receipt::ReceiptDocument;
use erp_core::{Actor, Erp, Error};

/// The receipt of a counter sale just made (marked as a reprint when erp-core replayed it).
pub async fn sale_receipt(
    erp: &Erp,
    actor: &Actor,
    paid: PaidOrder,
) -> Result<(PaidOrder, ReceiptDocument), Error> {
    let mut receipt = erp.sale_receipt(actor, paid.order.id).await?;
    receipt.reprint = paid.replayed;
    Ok((paid, receipt))
}

/// The receipt of return `back` of `order` (a reprint when erp-core replayed it).
pub async fn return_receipt(
    erp: &Erp,
    actor: &Actor,
    order: &Order,
    back: &SaleReturn,
    reprint: bool,
) -> Result<ReceiptDocument, Error> {
    let mut receipt = erp.return_receipt(actor, order.id, back.id).await?;
    receipt.reprint = reprint;
    Ok(receipt)
}

/// The receipt of order `id` printed again.
pub async fn reprint(erp: &Erp, actor: &Actor, id: OrderId) -> Result<ReceiptDocument, Error> {
    let mut receipt = erp.sale_receipt(actor, id).await?;
    receipt.reprint = true;
    Ok(receipt)
}
