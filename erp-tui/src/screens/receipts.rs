//! Receipts for the till's sales, built from what erp-core stored.
//!
//! Interim: erp-core is getting `Erp::sale_receipt` (built from stored data and the shop's
//! settings); until it lands the till assembles the same document from the sale it just made.

use erp_core::domain::{Money, Name, PaidOrder, PaymentKind, ShopSettings, Tender};
use erp_core::receipt::{
    FiscalStatus, ReceiptCustomer, ReceiptDocument, ReceiptKind, ReceiptLine, ReceiptTender,
    TenderKind,
};
use erp_core::{Actor, Erp, Error};

/// The e-mail of the demo data's walk-in customer, who is not named on receipts.
pub const WALK_IN_EMAIL: &str = "walk-in@shop.example";

fn kind(tender: Tender) -> TenderKind {
    match tender {
        Tender::Cash => TenderKind::Cash,
        Tender::Debit => TenderKind::DebitCard,
        Tender::Credit => TenderKind::CreditCard,
        Tender::Pix => TenderKind::Pix,
        Tender::Other => TenderKind::Other,
    }
}

/// The receipt of a counter sale just made at register `register`.
pub async fn sale_receipt(
    erp: &Erp,
    actor: &Actor,
    register: &str,
    paid: PaidOrder,
) -> Result<(PaidOrder, ReceiptDocument), Error> {
    let order = &paid.order;
    let customer = erp.customer(actor, order.customer_id).await?;
    let customer = (customer.email.as_str() != WALK_IN_EMAIL).then(|| ReceiptCustomer {
        name: customer.name.to_string(),
        tax_id: customer.tax_id.as_ref().map(|t| t.formatted()),
    });
    let offset = chrono::Local::now().offset().local_minus_utc() / 60;
    let shop = ShopSettings::new(
        Name::parse("erp").map_err(|e| e.in_field("shop"))?,
        None,
        None,
        None,
        offset,
    )?;
    let lines: Vec<ReceiptLine> = order
        .lines
        .iter()
        .map(|l| ReceiptLine {
            sku: l.sku.clone(),
            description: l.product_name.to_string(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount: l.discount,
            total: l.net(),
        })
        .collect();
    let subtotal = lines.iter().fold(Money::ZERO, |sum, l| {
        sum.checked_add(l.total).unwrap_or(sum)
    });
    let tenders = paid
        .payments
        .iter()
        .filter(|p| p.kind == PaymentKind::Payment)
        .map(|p| ReceiptTender {
            kind: kind(p.tender),
            amount: p.amount,
        })
        .collect();
    let document = ReceiptDocument {
        shop,
        kind: ReceiptKind::Sale,
        order_id: order.id,
        issued_at: order.created_at,
        operator: Some(actor.username().to_string()),
        register: Some(register.to_string()),
        customer,
        lines,
        subtotal,
        sale_discount: order.discount,
        total: order.total,
        tenders,
        change: order.change,
        reprint: paid.replayed,
        fiscal: FiscalStatus::NotFiscal,
    };
    Ok((paid, document))
}
