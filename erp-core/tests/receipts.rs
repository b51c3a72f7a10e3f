//! Snapshots of the receipt of a stored counter sale, and of a return of it, at every paper width
//! in both languages (insta: the expected text is committed under `tests/snapshots/`). The sale
//! goes through the real service on the in-memory store with a fixed clock, so the receipt is
//! built from stored figures exactly as a till's would be.

#![cfg(not(loom))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use erp_core::domain::{
    Clock, Discount, Disposition, IdempotencyKey, Money, Name, NewCounterSale, NewRegister,
    NewReturn, NewUser, Password, Percent, Quantity, RegisterCode, ReturnLineRequest, Role,
    SaleLine, Sku, Tender, TenderLine, Timestamp, Username,
};
use erp_core::input::{CustomerInput, ProductInput, ShopSettingsInput};
use erp_core::receipt::{Language, PaperWidth, ReceiptDocument, ReceiptLayout};
use erp_core::{Actor, Erp};

struct Fixed(Timestamp);

impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        self.0
    }
}

fn m(text: &str) -> Money {
    Money::parse(text).unwrap()
}

/// The sale of a shift: two coffees at 5 % off, three teas and a mug at list price, 10 % off the
/// sale, paid 100.00 by PIX and 30.00 in cash; then one coffee comes back, refunded in cash.
async fn stored_sale_and_return() -> (ReceiptDocument, ReceiptDocument) {
    let when = Utc.with_ymd_and_hms(2026, 12, 1, 17, 4, 5).unwrap();
    let erp = Erp::in_memory().with_clock(Arc::new(Fixed(when)));
    let admin = Actor::system();
    erp.update_shop_settings(
        &admin,
        &ShopSettingsInput {
            name: "Empório Exemplo Ltda".into(),
            tax_id: Some("11.222.333/0001-81".into()),
            address: vec![
                "Rua das Flores, 123 - Centro".into(),
                "São Paulo - SP".into(),
            ],
            phone: Some("(11) 3333-4444".into()),
            footer: Some("Obrigado pela preferência!".into()),
            utc_offset_minutes: None,
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    for (sku, name, price) in [
        ("COF-250", "Café especial torrado em grãos 250 g", "32.50"),
        ("TEA-01", "Chá verde", "4.90"),
        ("MUG-01", "Caneca", "39.90"),
    ] {
        erp.create_product(
            &admin,
            ProductInput {
                sku: sku.into(),
                name: name.into(),
                price: price.into(),
                initial_stock: Some(50),
                reorder_level: Some(2),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    }
    let maria = erp
        .create_customer(
            &admin,
            CustomerInput {
                name: "Maria da Conceição".into(),
                email: "maria@example.com".into(),
                phone: None,
                tax_id: Some("52998224725".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let register = erp
        .create_register(
            &admin,
            NewRegister {
                code: RegisterCode::parse("CAIXA-01").unwrap(),
                name: Name::parse("Front").unwrap(),
            },
        )
        .await
        .unwrap();
    for (name, role) in [("ana", Role::Operator), ("boss", Role::Manager)] {
        erp.create_user(
            &admin,
            NewUser {
                username: Username::parse(name).unwrap(),
                password: Password::new("a long enough password").unwrap(),
                role,
            },
        )
        .await
        .unwrap();
    }
    let ana = erp
        .authenticate("ana", "a long enough password")
        .await
        .unwrap();
    let boss = erp
        .authenticate("boss", "a long enough password")
        .await
        .unwrap();
    erp.open_cash_session(&ana, register.id, m("100.00"))
        .await
        .unwrap();
    let line = |sku: &str, quantity: i64, discount: Option<Discount>| SaleLine {
        sku: Sku::parse(sku).unwrap(),
        quantity: Quantity::new(quantity).unwrap(),
        unit_price: None,
        discount,
    };
    let five = Discount::Percent(Percent::parse("5").unwrap());
    let sale = NewCounterSale::new(
        register.id,
        maria.id,
        vec![
            line("COF-250", 2, Some(five)),
            line("TEA-01", 3, None),
            line("MUG-01", 1, None),
        ],
        Some(Discount::Percent(Percent::TEN)),
        vec![
            TenderLine::new(Tender::Pix, m("100.00"), None).unwrap(),
            TenderLine::new(Tender::Cash, m("30.00"), None).unwrap(),
        ],
        IdempotencyKey::parse("snapshot-sale").unwrap(),
        None,
        None,
    )
    .unwrap();
    let sold = erp.sell_at_counter(&ana, &sale).await.unwrap();
    let back = NewReturn::new(
        sold.order.id,
        vec![ReturnLineRequest {
            sku: Sku::parse("COF-250").unwrap(),
            quantity: Quantity::new(1).unwrap(),
            disposition: Disposition::Restock,
        }],
        vec![TenderLine::new(Tender::Cash, m("27.00"), None).unwrap()],
        Some(register.id),
        IdempotencyKey::parse("snapshot-return").unwrap(),
        None,
        None,
    )
    .unwrap();
    let returned = erp.record_return(&boss, &back).await.unwrap().sale_return;
    let sale = erp.sale_receipt(&ana, sold.order.id).await.unwrap();
    let sale_return = erp
        .return_receipt(&ana, sold.order.id, returned.id)
        .await
        .unwrap();
    (sale, sale_return)
}

fn render(document: &ReceiptDocument, columns: u32, language: Language) -> String {
    let layout = ReceiptLayout::new(PaperWidth::from_columns(columns).unwrap(), language);
    let text = document.render_text(layout);
    assert!(text.lines().all(|l| l.chars().count() <= columns as usize));
    text
}

#[tokio::test]
async fn stored_sale_receipt_at_every_width_and_language() {
    let (sale, _) = stored_sale_and_return().await;
    // The printed figures add up: lines to the subtotal, less the discount to the total.
    let lines: i64 = sale.lines.iter().map(|l| l.total.cents()).sum();
    assert_eq!(lines, sale.subtotal.cents());
    assert_eq!(
        sale.subtotal.cents() - sale.sale_discount.cents(),
        sale.total.cents()
    );
    insta::assert_snapshot!("sale_pt_br_32", render(&sale, 32, Language::PtBr));
    insta::assert_snapshot!("sale_pt_br_42", render(&sale, 42, Language::PtBr));
    insta::assert_snapshot!("sale_pt_br_48", render(&sale, 48, Language::PtBr));
    insta::assert_snapshot!("sale_en_32", render(&sale, 32, Language::En));
    insta::assert_snapshot!("sale_en_42", render(&sale, 42, Language::En));
    insta::assert_snapshot!("sale_en_48", render(&sale, 48, Language::En));
}

#[tokio::test]
async fn stored_return_receipt_in_both_languages() {
    let (_, sale_return) = stored_sale_and_return().await;
    insta::assert_snapshot!("return_pt_br_42", render(&sale_return, 42, Language::PtBr));
    insta::assert_snapshot!("return_en_32", render(&sale_return, 32, Language::En));
}

#[tokio::test]
async fn a_reprint_is_marked_as_a_copy() {
    let (mut sale, _) = stored_sale_and_return().await;
    sale.reprint = true;
    let text = render(&sale, 42, Language::PtBr);
    assert!(text.contains("2ª VIA"), "{text}");
}
