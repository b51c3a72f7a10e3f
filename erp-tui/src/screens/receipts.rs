//! Receipts for the till's sales, built from what erp-core stored.
//!
//! Interim: erp-core is getting `Erp::sale_receipt` (built from stored data and the shop's
//! settings); until it lands the till assembles the same document from the sale it just made.

use erp_core::domain::{
    Money, Name, Order, PaidOrder, PaymentKind, SaleReturn, ShopSettings, Tender, refundable,
};
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

/// The shop's header. Interim: a placeholder name until erp-core's receipts read the stored shop
/// settings.
fn shop() -> Result<ShopSettings, Error> {
    let offset = chrono::Local::now().offset().local_minus_utc() / 60;
    ShopSettings::new(
        Name::parse("erp").map_err(|e| e.in_field("shop"))?,
        None,
        None,
        None,
        None,
        offset,
    )
}

async fn receipt_customer(
    erp: &Erp,
    actor: &Actor,
    order: &Order,
) -> Result<Option<ReceiptCustomer>, Error> {
    let customer = erp.customer(actor, order.customer_id).await?;
    Ok(
        (customer.email.as_str() != WALK_IN_EMAIL).then(|| ReceiptCustomer {
            name: customer.name.to_string(),
            tax_id: customer.tax_id.as_ref().map(|t| t.formatted()),
        }),
    )
}

/// The receipt of return `back` of `order` (read after the return) at register `register`:
/// each line at what it refunds (erp-core's `refundable`), and the refund's tenders.
pub async fn return_receipt(
    erp: &Erp,
    actor: &Actor,
    register: &str,
    order: &Order,
    back: &SaleReturn,
    reprint: bool,
) -> Result<ReceiptDocument, Error> {
    let paid = order.line_paid_amounts();
    let lines: Vec<ReceiptLine> = back
        .lines
        .iter()
        .filter_map(|returned| {
            let index = usize::try_from(returned.line_no).ok()?;
            let line = order.lines.get(index)?;
            let before = line.returned.saturating_sub(returned.quantity.get());
            let value = refundable(
                *paid.get(index)?,
                line.quantity,
                before,
                returned.quantity.get(),
            );
            Some(ReceiptLine {
                sku: line.sku.clone(),
                description: line.product_name.to_string(),
                quantity: returned.quantity,
                unit_price: line.unit_price,
                discount: Money::from_cents(
                    (line.unit_price.cents() * returned.quantity.as_i64() - value.cents()).max(0),
                )
                .unwrap_or(Money::ZERO),
                total: value,
            })
        })
        .collect();
    let subtotal = lines.iter().fold(Money::ZERO, |sum, l| {
        sum.checked_add(l.total).unwrap_or(sum)
    });
    Ok(ReceiptDocument {
        shop: shop()?,
        kind: ReceiptKind::Return {
            return_number: back.id.get(),
        },
        order_id: order.id,
        issued_at: back.created_at,
        operator: Some(actor.username().to_string()),
        register: Some(register.to_string()),
        customer: receipt_customer(erp, actor, order).await?,
        lines,
        subtotal,
        sale_discount: Money::ZERO,
        not_refunded: Money::ZERO,
        total: back.refund_total,
        tenders: back
            .refunds
            .iter()
            .map(|p| ReceiptTender {
                kind: kind(p.tender),
                amount: p.amount,
            })
            .collect(),
        change: Money::ZERO,
        reprint,
        fiscal: FiscalStatus::NotFiscal,
    })
}

/// The receipt of a counter sale just made at register `register`.
pub async fn sale_receipt(
    erp: &Erp,
    actor: &Actor,
    register: &str,
    paid: PaidOrder,
) -> Result<(PaidOrder, ReceiptDocument), Error> {
    let order = &paid.order;
    let customer = receipt_customer(erp, actor, order).await?;
    let shop = shop()?;
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
        not_refunded: Money::ZERO,
        total: order.total,
        tenders,
        change: order.change,
        reprint: paid.replayed,
        fiscal: FiscalStatus::NotFiscal,
    };
    Ok((paid, document))
}
