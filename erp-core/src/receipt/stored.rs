//! Receipts of what the database holds: a stored sale (a counter sale, or a delivery order paid
//! in full) and a stored return. Every amount printed is a stored one or an exact share of one,
//! and the totals are checked to be exact sums of the printed lines, so a receipt never shows a
//! figure the books do not.

use super::{
    FiscalStatus, ReceiptCustomer, ReceiptDocument, ReceiptKind, ReceiptLine, ReceiptTender,
    TenderKind,
};
use crate::domain::{
    Channel, Money, Order, OrderStatus, Payment, PaymentKind, SaleReturn, ShopSettings, Tender,
    refundable,
};
use crate::error::{Error, Result};

/// Who and where, as the receipt names them (looked up by the service).
pub(crate) struct Names {
    /// The operator's login name.
    pub operator: Option<String>,
    /// The register's code.
    pub register: Option<String>,
    /// The customer, when they gave a CPF or CNPJ for the receipt.
    pub customer: Option<ReceiptCustomer>,
}

impl From<Tender> for TenderKind {
    fn from(tender: Tender) -> TenderKind {
        match tender {
            Tender::Cash => TenderKind::Cash,
            Tender::Debit => TenderKind::DebitCard,
            Tender::Credit => TenderKind::CreditCard,
            Tender::Pix => TenderKind::Pix,
            Tender::Other => TenderKind::Other,
        }
    }
}

fn sum(amounts: impl IntoIterator<Item = Money>) -> Result<Money> {
    amounts
        .into_iter()
        .try_fold(Money::ZERO, Money::checked_add)
        .ok_or_else(|| Error::Internal {
            message: "receipt amounts overflow".into(),
        })
}

fn less(a: Money, b: Money, what: &str) -> Result<Money> {
    Money::from_cents(a.cents() - b.cents()).map_err(|_| Error::Internal {
        message: format!("stored figures disagree: {what} would be negative"),
    })
}

/// Refuses to print figures that do not add up (a damaged row), rather than print them.
fn agree(printed: Money, stored: Money, what: &str) -> Result<()> {
    if printed == stored {
        Ok(())
    } else {
        Err(Error::Internal {
            message: format!("{what}: printed lines add up to {printed}, the books say {stored}"),
        })
    }
}

/// Whether `order` has a sale receipt: a counter sale always (born paid), a delivery order once
/// it is paid in full and not cancelled.
pub(crate) fn check_sale_eligible(order: &Order) -> Result<()> {
    let why = match (order.channel, order.status) {
        (Channel::Counter, _) => return Ok(()),
        (_, OrderStatus::Cancelled) => "a cancelled order has no receipt",
        _ if order.balance_due() > Money::ZERO => {
            "a delivery order has a receipt once it is paid in full"
        }
        _ => return Ok(()),
    };
    Err(Error::OrderNotEligible {
        order_id: order.id,
        status: order.status,
        why,
    })
}

/// The receipt of a stored sale, from the order, its payments and the names around it.
pub(crate) fn sale(
    shop: ShopSettings,
    order: &Order,
    payments: &[Payment],
    names: Names,
) -> Result<ReceiptDocument> {
    check_sale_eligible(order)?;
    let mut lines = Vec::with_capacity(order.lines.len());
    for line in &order.lines {
        lines.push(ReceiptLine {
            sku: line.sku.clone(),
            description: line.product_name.to_string(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            discount: line.discount,
            total: less(line.line_total, line.discount, "a line's net")?,
        });
    }
    let subtotal = sum(lines.iter().map(|l| l.total))?;
    let total = less(subtotal, order.discount, "the total")?;
    agree(total, order.total, "order total")?;
    let paid: Vec<&Payment> = payments
        .iter()
        .filter(|p| p.kind == PaymentKind::Payment && p.order_id == order.id)
        .collect();
    let tendered = sum(paid.iter().map(|p| p.amount))?;
    // What was tendered is the amount paid plus the change handed back.
    agree(
        less(tendered, order.change, "tendered less change")?,
        order.paid,
        "order payments",
    )?;
    // A counter sale happened when it was created; a delivery order's receipt is dated by the
    // payment that settled it.
    let issued_at = match order.channel {
        Channel::Counter => order.created_at,
        Channel::Delivery => paid
            .iter()
            .map(|p| p.created_at)
            .max()
            .unwrap_or(order.created_at),
    };
    Ok(ReceiptDocument {
        shop,
        kind: ReceiptKind::Sale,
        order_id: order.id,
        issued_at,
        operator: names.operator,
        register: names.register,
        customer: names.customer,
        lines,
        subtotal,
        sale_discount: order.discount,
        total,
        not_refunded: Money::ZERO,
        tenders: paid
            .iter()
            .map(|p| ReceiptTender {
                kind: p.tender.into(),
                amount: p.amount,
            })
            .collect(),
        change: order.change,
        reprint: false,
        fiscal: FiscalStatus::NotFiscal,
    })
}

/// The receipt of `this` return of `order`. `earlier` are the order's returns before it (any
/// others are ignored): each line is worth what the return could refund for it then, the same
/// share [`refundable`] computed when the return was recorded.
pub(crate) fn sale_return(
    shop: ShopSettings,
    order: &Order,
    all_returns: &[SaleReturn],
    this: &SaleReturn,
    names: Names,
) -> Result<ReceiptDocument> {
    let paid_per_line = order.line_paid_amounts();
    let mut lines = Vec::with_capacity(this.lines.len());
    for returned in &this.lines {
        let index = usize::try_from(returned.line_no).unwrap_or(usize::MAX);
        let (Some(line), Some(paid)) = (order.lines.get(index), paid_per_line.get(index)) else {
            return Err(Error::Internal {
                message: format!(
                    "return {} names line {} of order {}, which has no such line",
                    this.id, returned.line_no, order.id
                ),
            });
        };
        let before: u32 = all_returns
            .iter()
            .filter(|r| r.id < this.id)
            .flat_map(|r| &r.lines)
            .filter(|l| l.line_no == returned.line_no)
            .map(|l| l.quantity.get())
            .sum();
        let value = refundable(*paid, line.quantity, before, returned.quantity.get());
        let gross = line
            .unit_price
            .checked_times(returned.quantity)
            .ok_or_else(|| Error::Internal {
                message: "receipt amounts overflow".into(),
            })?;
        lines.push(ReceiptLine {
            sku: line.sku.clone(),
            description: line.product_name.to_string(),
            quantity: returned.quantity,
            unit_price: line.unit_price,
            discount: less(gross, value, "a returned line's discount")?,
            total: value,
        });
    }
    let subtotal = sum(lines.iter().map(|l| l.total))?;
    let refunds: Vec<&Payment> = this
        .refunds
        .iter()
        .filter(|p| p.kind == PaymentKind::Refund)
        .collect();
    agree(
        sum(refunds.iter().map(|p| p.amount))?,
        this.refund_total,
        "return refunds",
    )?;
    Ok(ReceiptDocument {
        shop,
        kind: ReceiptKind::Return {
            return_number: this.id.get(),
        },
        order_id: order.id,
        issued_at: this.created_at,
        operator: names.operator,
        register: names.register,
        customer: names.customer,
        lines,
        subtotal,
        sale_discount: Money::ZERO,
        // A refund may be less than the goods were worth (an order delivered unpaid, or a
        // partial refund agreed at the counter): the difference is printed, not hidden.
        not_refunded: less(subtotal, this.refund_total, "the refund")?,
        total: this.refund_total,
        tenders: refunds
            .iter()
            .map(|p| ReceiptTender {
                kind: p.tender.into(),
                amount: p.amount,
            })
            .collect(),
        change: Money::ZERO,
        reprint: false,
        fiscal: FiscalStatus::NotFiscal,
    })
}
