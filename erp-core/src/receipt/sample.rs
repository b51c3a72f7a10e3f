//! A sample receipt with every part filled in.

use chrono::{TimeZone, Utc};

use super::{
    FiscalStatus, ReceiptCustomer, ReceiptDocument, ReceiptKind, ReceiptLine, ReceiptTender,
    TenderKind,
};
use crate::domain::{
    FieldResult, Money, Name, Note, OrderId, Phone, Quantity, ShopSettings, Sku, TaxId,
};
use crate::error::{Error, Result};

fn money(text: &str) -> Result<Money> {
    Money::parse(text).field("amount")
}

fn line(sku: &str, name: &str, quantity: i64, price: &str, discount: &str) -> Result<ReceiptLine> {
    let unit_price = money(price)?;
    let quantity = Quantity::new(quantity).field("quantity")?;
    let discount = money(discount)?;
    let gross = unit_price
        .checked_times(quantity)
        .ok_or_else(|| Error::validation("quantity", "too large"))?;
    let total = Money::from_cents(gross.cents() - discount.cents()).field("discount")?;
    Ok(ReceiptLine {
        sku: Sku::parse(sku).field("sku")?,
        description: name.to_string(),
        quantity,
        unit_price,
        discount,
        total,
    })
}

/// The shop of the samples.
pub(super) fn shop() -> Result<ShopSettings> {
    ShopSettings::new(
        Name::parse("Empório Exemplo Ltda").field("name")?,
        Some(TaxId::parse("11.222.333/0001-81").field("tax_id")?),
        Some(Note::parse("Rua das Flores, 123 - Centro\nSão Paulo - SP").field("address")?),
        Some(Phone::parse("(11) 3333-4444").field("phone")?),
        Some(Note::parse("Obrigado pela preferência!").field("footer")?),
        -180,
    )
}

/// Three lines (one discounted, one with a long name), a sale discount, PIX plus cash with change.
pub(super) fn sale() -> Result<ReceiptDocument> {
    let lines = vec![
        line("TEA-01", "Chá verde", 3, "4.90", "0")?,
        line(
            "COF-250",
            "Café especial torrado em grãos 250 g",
            2,
            "32.50",
            "3.25",
        )?,
        line("MUG-BIG", "Caneca", 1, "1234.50", "0")?,
    ];
    let subtotal = lines
        .iter()
        .try_fold(Money::ZERO, |sum, line| sum.checked_add(line.total))
        .ok_or_else(|| Error::validation("lines", "too large"))?;
    let sale_discount = money("10.00")?;
    let total = Money::from_cents(subtotal.cents() - sale_discount.cents()).field("total")?;
    let pix = money("1000.00")?;
    let cash = money("310.00")?;
    let change = Money::from_cents(pix.cents() + cash.cents() - total.cents()).field("change")?;
    Ok(ReceiptDocument {
        shop: shop()?,
        kind: ReceiptKind::Sale,
        order_id: OrderId(1042),
        issued_at: Utc
            .with_ymd_and_hms(2026, 12, 1, 17, 4, 5)
            .single()
            .ok_or_else(|| Error::validation("issued_at", "no such time"))?,
        operator: Some("ana".to_string()),
        register: Some("CAIXA-01".to_string()),
        customer: Some(ReceiptCustomer {
            name: "Maria da Conceição".to_string(),
            tax_id: Some("529.982.247-25".to_string()),
        }),
        lines,
        subtotal,
        sale_discount,
        not_refunded: Money::ZERO,
        total,
        tenders: vec![
            ReceiptTender {
                kind: TenderKind::Pix,
                amount: pix,
            },
            ReceiptTender {
                kind: TenderKind::Cash,
                amount: cash,
            },
        ],
        change,
        reprint: false,
        fiscal: FiscalStatus::NotFiscal,
    })
}
