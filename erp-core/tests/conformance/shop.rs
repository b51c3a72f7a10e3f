//! The shop's settings, receipts of stored sales and returns, and parked sales, on every backend.

use erp_core::domain::{
    CustomerId, Discount, Disposition, IdempotencyKey, Money, Name, NewCounterSale,
    NewOrderPayment, NewParkedSale, NewRegister, NewReturn, OrderId, OrderStatus, ParkedLabel,
    ParkedLine, ParkedSaleId, Percent, Quantity, RegisterCode, RegisterId, ReturnId,
    ReturnLineRequest, Role, SaleLine, ShopSettings, Sku, TaxId, Tender, TenderLine,
};
use erp_core::input::{CustomerInput, ShopSettingsInput};
use erp_core::receipt::{Language, PaperWidth, ReceiptKind, ReceiptLayout, TenderKind};
use erp_core::{Actor, Erp, Error};

use crate::fixture::Shop;

/// One `#[tokio::test]` per function of this file, for the given backend.
macro_rules! shop_conformance {
    ($backend:expr) => {
        shop_conformance!(@each $backend;
        a_new_shop_has_placeholder_settings_until_an_admin_sets_them,
        only_admins_change_the_shop_settings_and_everyone_reads_them,
        bad_shop_settings_are_refused_and_change_nothing,
        a_counter_sale_receipt_prints_the_stored_figures_and_reprints_the_same,
        a_delivery_order_has_a_receipt_once_paid_in_full,
        a_return_receipt_prints_what_came_back_at_what_it_refunded,
        parked_carts_are_listed_and_recalled_once_by_any_till,
        two_tills_recalling_one_parked_cart_get_it_once,
        parking_is_for_operators_and_checks_what_it_names,
        a_keyed_park_happens_once_even_after_its_cart_is_recalled,
        a_keyed_recall_is_answered_again_to_its_own_retry_only,
        );
    };
    (@each $backend:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                crate::common::run($backend, super::$name).await;
            }
        )*
    };
}

mod memory {
    shop_conformance!(crate::common::Backend::Memory);
}

#[cfg(feature = "sqlite")]
mod sqlite {
    shop_conformance!(crate::common::Backend::Sqlite);
}

#[cfg(feature = "mysql")]
mod mysql {
    shop_conformance!(crate::common::Backend::Mysql);
}

fn emporio() -> ShopSettingsInput {
    ShopSettingsInput {
        name: "Empório Exemplo".into(),
        tax_id: Some("11.222.333/0001-81".into()),
        address: vec!["Rua das Flores, 123".into(), "São Paulo - SP".into()],
        phone: Some("(11) 3333-4444".into()),
        footer: Some("Obrigado!".into()),
        utc_offset_minutes: Some(-180),
    }
}

pub async fn a_new_shop_has_placeholder_settings_until_an_admin_sets_them(erp: Erp) {
    let shop = Shop::new(erp);
    let before = shop.erp.shop_settings(&shop.admin).await.unwrap();
    assert_eq!(before, ShopSettings::unconfigured());

    let wanted = emporio().parse().unwrap();
    let saved = shop
        .erp
        .update_shop_settings(&shop.admin, &wanted)
        .await
        .unwrap();
    assert_eq!(saved, wanted);
    let read = shop.erp.shop_settings(&shop.admin).await.unwrap();
    assert_eq!(read, wanted, "every field comes back as written");
    assert_eq!(
        read.address_lines(),
        ["Rua das Flores, 123", "São Paulo - SP"]
    );

    // A PUT replaces the whole: the optional fields left out are cleared.
    let bare = ShopSettingsInput {
        name: "Empório".into(),
        ..Default::default()
    }
    .parse()
    .unwrap();
    shop.erp
        .update_shop_settings(&shop.admin, &bare)
        .await
        .unwrap();
    let read = shop.erp.shop_settings(&shop.admin).await.unwrap();
    assert_eq!(read, bare);
    assert!(read.tax_id.is_none() && read.address.is_none() && read.phone.is_none());

    let events = shop.erp.events_after(&shop.admin, None, 100).await.unwrap();
    let changes = events
        .iter()
        .filter(|e| e.event_type == "ShopSettingsChanged")
        .count();
    assert_eq!(changes, 2, "one event per change");
}

pub async fn only_admins_change_the_shop_settings_and_everyone_reads_them(erp: Erp) {
    let shop = Shop::new(erp);
    let wanted = emporio().parse().unwrap();
    for (name, role) in [
        ("vera", Role::Viewer),
        ("otto", Role::Operator),
        ("mona", Role::Manager),
    ] {
        let actor = shop.user(name, role).await;
        let refused = shop.erp.update_shop_settings(&actor, &wanted).await;
        assert!(
            matches!(refused, Err(Error::Forbidden { .. })),
            "{role}: {refused:?}"
        );
        assert_eq!(
            shop.erp.shop_settings(&actor).await.unwrap(),
            ShopSettings::unconfigured(),
            "{role} reads them, unchanged"
        );
    }
    let ada = shop.user("ada", Role::Admin).await;
    shop.erp.update_shop_settings(&ada, &wanted).await.unwrap();
    assert_eq!(shop.erp.shop_settings(&ada).await.unwrap(), wanted);
}

pub async fn bad_shop_settings_are_refused_and_change_nothing(erp: Erp) {
    let shop = Shop::new(erp);
    shop.erp
        .update_shop_settings(&shop.admin, &emporio().parse().unwrap())
        .await
        .unwrap();
    let cpf = ShopSettingsInput {
        tax_id: Some("529.982.247-25".into()),
        ..emporio()
    };
    let err = cpf.parse().unwrap_err();
    assert_eq!(err.code(), "validation_failed");
    // Built by hand past the parser: erp-core checks again.
    let by_hand = ShopSettings {
        tax_id: Some(TaxId::parse("529.982.247-25").unwrap()),
        ..emporio().parse().unwrap()
    };
    let refused = shop.erp.update_shop_settings(&shop.admin, &by_hand).await;
    assert!(
        matches!(refused, Err(Error::Validation { ref field, .. }) if field == "tax_id"),
        "{refused:?}"
    );
    let far = ShopSettings {
        utc_offset_minutes: 10_000,
        ..emporio().parse().unwrap()
    };
    assert!(
        shop.erp
            .update_shop_settings(&shop.admin, &far)
            .await
            .is_err()
    );
    assert_eq!(
        shop.erp.shop_settings(&shop.admin).await.unwrap(),
        emporio().parse().unwrap()
    );
}

// ---------------------------------------------------------------------------------------------
// Receipts

fn m(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn tender(t: Tender, amount: &str) -> TenderLine {
    TenderLine::new(t, m(amount), None).unwrap()
}

fn line(sku: &str, quantity: i64, discount: Option<Discount>) -> SaleLine {
    SaleLine {
        sku: Sku::parse(sku).unwrap(),
        quantity: Quantity::new(quantity).unwrap(),
        unit_price: None,
        discount,
    }
}

fn pct(text: &str) -> Discount {
    Discount::Percent(Percent::parse(text).unwrap())
}

/// A configured shop with COF (32.50 x 10) and TEA (4.90 x 20), a register, a customer who
/// gives her CPF, a walk-in customer without one, and an operator with an open till.
struct Counter {
    shop: Shop,
    register: RegisterId,
    maria: CustomerId,
    walk_in: CustomerId,
    ana: Actor,
}

impl Counter {
    async fn new(erp: Erp) -> Counter {
        let shop = Shop::new(erp);
        shop.erp
            .update_shop_settings(&shop.admin, &emporio().parse().unwrap())
            .await
            .unwrap();
        shop.product("COF", "32.50", 10).await;
        shop.product("TEA", "4.90", 20).await;
        let maria = shop
            .erp
            .create_customer(
                &shop.admin,
                CustomerInput {
                    name: "Maria da Conceição".into(),
                    email: "maria@example.com".into(),
                    phone: None,
                    tax_id: Some("529.982.247-25".into()),
                }
                .parse()
                .unwrap(),
            )
            .await
            .unwrap()
            .id;
        let walk_in = shop.customer("Consumidor final").await.id;
        let register = shop
            .erp
            .create_register(
                &shop.admin,
                NewRegister {
                    code: RegisterCode::parse("CAIXA-01").unwrap(),
                    name: Name::parse("Front").unwrap(),
                },
            )
            .await
            .unwrap()
            .id;
        let ana = shop.user("ana", Role::Operator).await;
        shop.erp
            .open_cash_session(&ana, register, m("100.00"))
            .await
            .unwrap();
        Counter {
            shop,
            register,
            maria,
            walk_in,
            ana,
        }
    }

    /// 2 COF at 5 % off and 3 TEA, 10 % off the sale (within the limit), PIX 50.00 and cash
    /// 30.00: the sale the receipt tests print.
    async fn sell(&self, customer: CustomerId, key: &str) -> erp_core::domain::PaidOrder {
        let sale = NewCounterSale::new(
            self.register,
            customer,
            vec![line("COF", 2, Some(pct("5"))), line("TEA", 3, None)],
            Some(pct("10")),
            vec![tender(Tender::Pix, "50.00"), tender(Tender::Cash, "30.00")],
            IdempotencyKey::parse(key).unwrap(),
            None,
            None,
        )
        .unwrap();
        self.shop
            .erp
            .sell_at_counter(&self.ana, &sale)
            .await
            .unwrap()
    }
}

pub async fn a_counter_sale_receipt_prints_the_stored_figures_and_reprints_the_same(erp: Erp) {
    let counter = Counter::new(erp).await;
    let sold = counter.sell(counter.maria, "r1").await;
    let order = &sold.order;
    let receipt = counter
        .shop
        .erp
        .sale_receipt(&counter.ana, order.id)
        .await
        .unwrap();

    assert_eq!(receipt.kind, ReceiptKind::Sale);
    assert_eq!(receipt.order_id, order.id);
    assert_eq!(receipt.shop, emporio().parse().unwrap());
    assert_eq!(receipt.operator.as_deref(), Some("ana"));
    assert_eq!(receipt.register.as_deref(), Some("CAIXA-01"));
    let customer = receipt.customer.as_ref().unwrap();
    assert_eq!(customer.tax_id.as_deref(), Some("529.982.247-25"));
    assert_eq!(receipt.issued_at, order.created_at);
    // The stored figures: COF 65.00 - 3.25 = 61.75, TEA 14.70; 10 % of 76.45 is 7.645, 7.64
    // half-even: 68.81; 80.00 tendered, 11.19 change.
    let totals: Vec<Money> = receipt.lines.iter().map(|l| l.total).collect();
    assert_eq!(totals, [m("61.75"), m("14.70")]);
    assert_eq!(receipt.lines[0].discount, m("3.25"));
    assert_eq!(receipt.subtotal, m("76.45"));
    assert_eq!(receipt.sale_discount, order.discount);
    assert_eq!(receipt.total, order.total);
    assert_eq!(receipt.total, m("68.81"));
    assert_eq!(
        receipt.subtotal.cents() - receipt.sale_discount.cents(),
        receipt.total.cents(),
        "the total is the printed lines less the printed discount"
    );
    let tenders: Vec<(TenderKind, Money)> =
        receipt.tenders.iter().map(|t| (t.kind, t.amount)).collect();
    assert_eq!(
        tenders,
        [
            (TenderKind::Pix, m("50.00")),
            (TenderKind::Cash, m("30.00"))
        ]
    );
    assert_eq!(receipt.change, order.change);
    assert_eq!(receipt.change, m("11.19"));
    assert!(!receipt.reprint);

    for width in PaperWidth::ALL {
        let text = receipt.render_text(ReceiptLayout::new(width, Language::PtBr));
        assert!(text.contains("NÃO É DOCUMENTO FISCAL"), "{text}");
        assert!(text.contains("CNPJ 11.222.333/0001-81"), "{text}");
        assert!(text.contains("R$ 68,81"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= width.columns()));
    }

    // A reprint is the same call: the same document.
    let again = counter
        .shop
        .erp
        .sale_receipt(&counter.shop.admin, order.id)
        .await
        .unwrap();
    assert_eq!(again, receipt);

    // The walk-in customer gave no CPF: no customer block.
    let walk_in = counter.sell(counter.walk_in, "r2").await;
    let receipt = counter
        .shop
        .erp
        .sale_receipt(&counter.ana, walk_in.order.id)
        .await
        .unwrap();
    assert!(receipt.customer.is_none());

    let missing = counter
        .shop
        .erp
        .sale_receipt(&counter.ana, OrderId(999_999))
        .await;
    assert_eq!(missing.unwrap_err().code(), "not_found");
}

pub async fn a_delivery_order_has_a_receipt_once_paid_in_full(erp: Erp) {
    let counter = Counter::new(erp).await;
    let placed = counter
        .shop
        .order(counter.walk_in, &[("TEA", 2)], "d1")
        .await
        .unwrap()
        .order;
    let unpaid = counter.shop.erp.sale_receipt(&counter.ana, placed.id).await;
    assert!(
        matches!(unpaid, Err(Error::OrderNotEligible { .. })),
        "{unpaid:?}"
    );
    let half = NewOrderPayment::new(placed.id, vec![tender(Tender::Pix, "5.00")], None).unwrap();
    counter
        .shop
        .erp
        .pay_order(&counter.ana, &half)
        .await
        .unwrap();
    assert!(
        counter
            .shop
            .erp
            .sale_receipt(&counter.ana, placed.id)
            .await
            .is_err()
    );
    let rest = NewOrderPayment::new(placed.id, vec![tender(Tender::Credit, "4.80")], None).unwrap();
    counter
        .shop
        .erp
        .pay_order(&counter.ana, &rest)
        .await
        .unwrap();

    let receipt = counter
        .shop
        .erp
        .sale_receipt(&counter.ana, placed.id)
        .await
        .unwrap();
    assert_eq!(receipt.total, m("9.80"));
    assert_eq!(receipt.lines.len(), 1);
    assert_eq!(receipt.lines[0].total, m("9.80"));
    let tenders: Vec<(TenderKind, Money)> =
        receipt.tenders.iter().map(|t| (t.kind, t.amount)).collect();
    assert_eq!(
        tenders,
        [
            (TenderKind::Pix, m("5.00")),
            (TenderKind::CreditCard, m("4.80"))
        ]
    );
    assert_eq!(receipt.change, Money::ZERO);
    assert!(receipt.register.is_none(), "paid away from a till");

    let cancelled = counter
        .shop
        .order(counter.walk_in, &[("TEA", 1)], "d2")
        .await
        .unwrap()
        .order;
    counter
        .shop
        .erp
        .cancel_order(&counter.shop.admin, cancelled.id, None)
        .await
        .unwrap();
    let refused = counter
        .shop
        .erp
        .sale_receipt(&counter.ana, cancelled.id)
        .await;
    assert_eq!(refused.unwrap_err().code(), "order_not_eligible");
    assert_eq!(
        counter
            .shop
            .advance(&placed, OrderStatus::Delivered)
            .await
            .status,
        OrderStatus::Delivered
    );
}

pub async fn a_return_receipt_prints_what_came_back_at_what_it_refunded(erp: Erp) {
    let counter = Counter::new(erp).await;
    let sold = counter.sell(counter.maria, "r1").await;
    let order_id = sold.order.id;
    let boss = counter.shop.user("boss", Role::Manager).await;
    let give_back = |key: &str, qty: i64, refund: &str| {
        NewReturn::new(
            order_id,
            vec![ReturnLineRequest {
                sku: Sku::parse("COF").unwrap(),
                quantity: Quantity::new(qty).unwrap(),
                disposition: Disposition::Restock,
            }],
            vec![tender(Tender::Cash, refund)],
            Some(counter.register),
            IdempotencyKey::parse(key).unwrap(),
            None,
            None,
        )
        .unwrap()
    };
    // The COF line cost 61.75 less its share of the 7.64 sale discount (6.17, by the nets
    // 61.75 : 14.70): 55.58 for 2 units, 27.79 each. The second return pays back less than it
    // could, and the receipt says so.
    let first = counter
        .shop
        .erp
        .record_return(&boss, &give_back("b1", 1, "27.79"))
        .await
        .unwrap()
        .sale_return;
    let second = counter
        .shop
        .erp
        .record_return(&boss, &give_back("b2", 1, "20.00"))
        .await
        .unwrap()
        .sale_return;

    let receipt = counter
        .shop
        .erp
        .return_receipt(&counter.ana, order_id, first.id)
        .await
        .unwrap();
    assert_eq!(
        receipt.kind,
        ReceiptKind::Return {
            return_number: first.id.get()
        }
    );
    assert_eq!(receipt.operator.as_deref(), Some("boss"));
    assert_eq!(receipt.register.as_deref(), Some("CAIXA-01"));
    assert_eq!(receipt.lines.len(), 1);
    let line = &receipt.lines[0];
    assert_eq!((line.unit_price, line.quantity.get()), (m("32.50"), 1));
    assert_eq!(line.total, m("27.79"));
    assert_eq!(line.discount, m("4.71"));
    assert_eq!(receipt.subtotal, m("27.79"));
    assert_eq!(receipt.not_refunded, Money::ZERO);
    assert_eq!(receipt.total, first.refund_total);
    assert_eq!(receipt.tenders.len(), 1);
    assert_eq!(receipt.tenders[0].amount, m("27.79"));

    let receipt = counter
        .shop
        .erp
        .return_receipt(&counter.ana, order_id, second.id)
        .await
        .unwrap();
    assert_eq!(
        receipt.lines[0].total,
        m("27.79"),
        "the second unit's share"
    );
    assert_eq!(receipt.not_refunded, m("7.79"));
    assert_eq!(receipt.total, m("20.00"));
    assert_eq!(
        receipt.subtotal.cents() - receipt.not_refunded.cents(),
        receipt.total.cents()
    );
    let text = receipt.render_text(ReceiptLayout::new(PaperWidth::Columns42, Language::En));
    assert!(
        text.contains("RETURN") && text.contains("Not refunded"),
        "{text}"
    );

    let wrong = counter
        .shop
        .erp
        .return_receipt(&counter.ana, order_id, ReturnId(second.id.get() + 100))
        .await;
    assert_eq!(wrong.unwrap_err().code(), "not_found");
}

// ---------------------------------------------------------------------------------------------
// Parked sales

fn cart(label: &str, lines: &[(&str, i64)], register: Option<RegisterId>) -> NewParkedSale {
    NewParkedSale::new(
        ParkedLabel::parse(label).unwrap(),
        register,
        None,
        lines
            .iter()
            .map(|(sku, quantity)| ParkedLine {
                sku: Sku::parse(sku).unwrap(),
                quantity: Quantity::new(*quantity).unwrap(),
            })
            .collect(),
    )
    .unwrap()
}

pub async fn parked_carts_are_listed_and_recalled_once_by_any_till(erp: Erp) {
    let counter = Counter::new(erp).await;
    let bia = counter.shop.user("bia", Role::Operator).await;
    let before = counter.shop.stock("TEA").await;
    let parked = counter
        .shop
        .erp
        .park_sale(
            &counter.ana,
            &cart(
                "blue coat",
                &[("TEA", 3), ("COF", 1)],
                Some(counter.register),
            ),
        )
        .await
        .unwrap();
    assert_eq!(parked.label.as_str(), "blue coat");
    assert_eq!(parked.register_id, Some(counter.register));
    assert_eq!(parked.parked_by, counter.ana.user_id());
    assert_eq!(
        counter.shop.stock("TEA").await,
        before,
        "parking reserves nothing"
    );
    let other = counter
        .shop
        .erp
        .park_sale(&counter.ana, &cart("mesa 4", &[("TEA", 1)], None))
        .await
        .unwrap();

    let listed = counter.shop.erp.parked_sales(&bia).await.unwrap();
    assert_eq!(
        listed,
        vec![parked.clone(), other.clone()],
        "oldest first, as stored"
    );

    // Another till recalls it: the lines come back, the cart is gone.
    let recalled = counter
        .shop
        .erp
        .recall_parked_sale(&bia, parked.id)
        .await
        .unwrap();
    assert_eq!(recalled, parked);
    let again = counter.shop.erp.recall_parked_sale(&bia, parked.id).await;
    assert_eq!(again.unwrap_err().code(), "not_found");
    assert_eq!(
        counter.shop.erp.parked_sales(&bia).await.unwrap(),
        vec![other]
    );

    let events = counter
        .shop
        .erp
        .events_after(&counter.shop.admin, None, 1000)
        .await
        .unwrap();
    let count = |kind: &str| events.iter().filter(|e| e.event_type == kind).count();
    assert_eq!((count("SaleParked"), count("ParkedSaleRecalled")), (2, 1));
    counter.shop.assert_consistent().await;
}

pub async fn two_tills_recalling_one_parked_cart_get_it_once(erp: Erp) {
    let counter = Counter::new(erp).await;
    let tills: Vec<Actor> = futures::future::join_all((0..4).map(|i| {
        let shop = &counter.shop;
        async move { shop.user(&format!("till{i}"), Role::Operator).await }
    }))
    .await;
    for round in 0..3 {
        let parked = counter
            .shop
            .erp
            .park_sale(
                &counter.ana,
                &cart(&format!("cart {round}"), &[("TEA", 1)], None),
            )
            .await
            .unwrap();
        let attempts = tills.iter().map(|till| {
            let erp = counter.shop.erp.clone();
            let till = till.clone();
            tokio::spawn(async move { erp.recall_parked_sale(&till, parked.id).await })
        });
        let outcomes: Vec<Result<_, Error>> = futures::future::join_all(attempts)
            .await
            .into_iter()
            .map(|joined| joined.unwrap())
            .collect();
        let won: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        assert_eq!(won.len(), 1, "round {round}: {outcomes:?}");
        assert_eq!(won[0].id, parked.id);
        for lost in outcomes.iter().filter_map(|o| o.as_ref().err()) {
            assert_eq!(lost.code(), "not_found", "{lost:?}");
        }
    }
    assert!(
        counter
            .shop
            .erp
            .parked_sales(&counter.ana)
            .await
            .unwrap()
            .is_empty()
    );
    let events = counter
        .shop
        .erp
        .events_after(&counter.shop.admin, None, 1000)
        .await
        .unwrap();
    let recalled = events
        .iter()
        .filter(|e| e.event_type == "ParkedSaleRecalled")
        .count();
    assert_eq!(recalled, 3, "one recall event per cart");
}

pub async fn parking_is_for_operators_and_checks_what_it_names(erp: Erp) {
    let counter = Counter::new(erp).await;
    let vera = counter.shop.user("vera", Role::Viewer).await;
    let refused = counter
        .shop
        .erp
        .park_sale(&vera, &cart("x", &[("TEA", 1)], None))
        .await;
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    let parked = counter
        .shop
        .erp
        .park_sale(&counter.ana, &cart("y", &[("TEA", 1)], None))
        .await
        .unwrap();
    let refused = counter.shop.erp.recall_parked_sale(&vera, parked.id).await;
    assert!(
        matches!(refused, Err(Error::Forbidden { .. })),
        "{refused:?}"
    );
    assert_eq!(
        counter.shop.erp.parked_sales(&vera).await.unwrap().len(),
        1,
        "viewers see them"
    );

    let nowhere = counter
        .shop
        .erp
        .park_sale(
            &counter.ana,
            &cart("z", &[("TEA", 1)], Some(RegisterId(424_242))),
        )
        .await;
    assert_eq!(nowhere.unwrap_err().code(), "not_found");
    let nobody = NewParkedSale::new(
        ParkedLabel::parse("w").unwrap(),
        None,
        Some(CustomerId(424_242)),
        vec![ParkedLine {
            sku: Sku::parse("TEA").unwrap(),
            quantity: Quantity::new(1).unwrap(),
        }],
    )
    .unwrap();
    let refused = counter.shop.erp.park_sale(&counter.ana, &nobody).await;
    assert_eq!(refused.unwrap_err().code(), "not_found");
    // An unknown SKU is parked (the checkout finds it out): parking checks no stock.
    counter
        .shop
        .erp
        .park_sale(&counter.ana, &cart("v", &[("NOPE-1", 99)], None))
        .await
        .unwrap();
    let missing = counter
        .shop
        .erp
        .recall_parked_sale(&counter.ana, ParkedSaleId(424_242))
        .await;
    assert_eq!(missing.unwrap_err().code(), "not_found");
    assert_eq!(counter.shop.erp.parked_sales(&vera).await.unwrap().len(), 2);
}

/// A cart parked under a key is parked once: the same cart again (another label, a retry after a
/// lost answer, eight at once) gets the first one back, even once it was recalled; another cart
/// under the key is a conflict; carts without a key are parked as often as asked.
pub async fn a_keyed_park_happens_once_even_after_its_cart_is_recalled(erp: Erp) {
    let counter = Counter::new(erp).await;
    let erp = &counter.shop.erp;
    let ana = &counter.ana;
    let key = || IdempotencyKey::parse("cart-7f3a").unwrap();
    let keyed = |label: &str, lines: &[(&str, i64)]| {
        cart(label, lines, Some(counter.register)).with_key(key())
    };
    let first = erp
        .park_sale_once(ana, &keyed("mesa 4", &[("TEA", 2), ("MUG", 1)]))
        .await
        .unwrap();
    assert!(!first.replayed);
    let again = erp
        .park_sale_once(ana, &keyed("retry", &[("MUG", 1), ("TEA", 2)]))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.sale, first.sale, "the first cart, label and all");
    assert_eq!(erp.parked_sales(ana).await.unwrap().len(), 1);

    let conflict = erp
        .park_sale_once(ana, &keyed("mesa 4", &[("TEA", 3), ("MUG", 1)]))
        .await
        .unwrap_err();
    assert_eq!(
        conflict,
        Error::ParkRequestConflict {
            key: "cart-7f3a".into(),
            parked_sale_id: first.sale.id
        }
    );
    assert_eq!(conflict.code(), "idempotency_conflict");

    erp.recall_parked_sale(ana, first.sale.id).await.unwrap();
    let late = erp
        .park_sale_once(ana, &keyed("mesa 4", &[("TEA", 2), ("MUG", 1)]))
        .await
        .unwrap();
    assert!(
        late.replayed,
        "a late retry does not park the recalled cart again"
    );
    assert_eq!(late.sale.id, first.sale.id);
    assert!(erp.parked_sales(ana).await.unwrap().is_empty());
    assert_eq!(
        erp.recall_parked_sale(ana, first.sale.id)
            .await
            .unwrap_err()
            .code(),
        "not_found",
        "recalled once"
    );

    let racing = (0..8).map(|_| {
        let erp = erp.clone();
        let ana = ana.clone();
        let cart =
            cart("race", &[("TEA", 1)], None).with_key(IdempotencyKey::parse("cart-race").unwrap());
        tokio::spawn(async move { erp.park_sale_once(&ana, &cart).await })
    });
    let parked: Vec<_> = futures::future::join_all(racing)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();
    assert_eq!(
        parked.iter().filter(|p| !p.replayed).count(),
        1,
        "{parked:?}"
    );
    assert!(parked.iter().all(|p| p.sale.id == parked[0].sale.id));
    assert_eq!(erp.parked_sales(ana).await.unwrap().len(), 1);

    for _ in 0..2 {
        erp.park_sale(ana, &cart("no key", &[("TEA", 1)], None))
            .await
            .unwrap();
    }
    assert_eq!(erp.parked_sales(ana).await.unwrap().len(), 3);
}

/// A recall under a key takes the cart once; a retry by the same user under that key (after a
/// lost answer, or eight at once) gets the same cart back, marked replayed, while any other
/// recall of it (another key, another user with the same key, no key) is `not_found`.
pub async fn a_keyed_recall_is_answered_again_to_its_own_retry_only(erp: Erp) {
    let counter = Counter::new(erp).await;
    let erp = &counter.shop.erp;
    let ana = &counter.ana;
    let mine = IdempotencyKey::parse("recall-1").unwrap();
    let parked = erp
        .park_sale(
            ana,
            &cart("mesa 5", &[("TEA", 2), ("MUG", 1)], Some(counter.register)),
        )
        .await
        .unwrap();
    let taken = erp
        .recall_parked_sale_once(ana, parked.id, &mine)
        .await
        .unwrap();
    assert!(!taken.replayed);
    assert_eq!(taken.sale, parked);
    assert!(erp.parked_sales(ana).await.unwrap().is_empty());

    let retried = erp
        .recall_parked_sale_once(ana, parked.id, &mine)
        .await
        .unwrap();
    assert!(retried.replayed, "the retry of the same recall");
    assert_eq!(retried.sale, parked, "the same cart, lines and all");
    let other = IdempotencyKey::parse("recall-2").unwrap();
    let bia = counter.shop.user("bia", Role::Operator).await;
    for refused in [
        erp.recall_parked_sale_once(ana, parked.id, &other).await,
        erp.recall_parked_sale_once(&bia, parked.id, &mine).await,
        erp.recall_parked_sale(ana, parked.id)
            .await
            .map(|sale| erp_core::domain::Recall {
                sale,
                replayed: false,
            }),
    ] {
        assert_eq!(
            refused.unwrap_err().code(),
            "not_found",
            "another till's recall"
        );
    }
    assert!(
        erp.parked_sales(ana).await.unwrap().is_empty(),
        "and it stays taken"
    );

    let racing_cart = erp
        .park_sale(ana, &cart("race", &[("TEA", 1)], None))
        .await
        .unwrap();
    let racing = (0..8).map(|_| {
        let erp = erp.clone();
        let ana = ana.clone();
        let key = IdempotencyKey::parse("recall-race").unwrap();
        tokio::spawn(async move {
            erp.recall_parked_sale_once(&ana, racing_cart.id, &key)
                .await
        })
    });
    let recalls: Vec<_> = futures::future::join_all(racing)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();
    assert_eq!(
        recalls.iter().filter(|r| !r.replayed).count(),
        1,
        "taken once: {recalls:?}"
    );
    assert!(recalls.iter().all(|r| r.sale.id == racing_cart.id));
}
