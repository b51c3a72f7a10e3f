//! The behaviour every backend must show. Each function is one rule; `main.rs` runs each against
//! memory, SQLite and MySQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Duration, TimeZone, Utc};
use erp_core::domain::{
    Clock, CustomerQuery, EventId, IdempotencyKey, LoginPolicy, MovementKind, NewUser, Note,
    OrderQuery, OrderStatus, PageRequest, Password, Permission, ProductChanges, ProductQuery,
    Quantity, Reason, Role, SearchTerm, Sku, StockChange, Timestamp, UserChange, Username,
};
use erp_core::events::DomainEvent;
use erp_core::input::{CustomerInput, CustomerPatch, ProductInput};
use erp_core::{Erp, Error};

use crate::fixture::{PASSWORD, Shop};
pub use crate::sales::*;

fn reason(text: &str) -> Reason {
    Reason::parse(text).unwrap()
}

fn term(text: &str) -> Option<SearchTerm> {
    SearchTerm::parse(text).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Products and stock

pub async fn create_product_records_opening_stock_as_a_receipt(erp: Erp) {
    let shop = Shop::new(erp);
    let tea = shop.product("TEA-1", "4.90", 12).await;
    assert_eq!((tea.on_hand, tea.reserved, tea.available()), (12, 0, 12));
    let moves = shop
        .erp
        .movements(&shop.admin, tea.id, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(moves.total, 1);
    assert_eq!(moves.items[0].kind, MovementKind::Receipt);
    assert_eq!(moves.items[0].on_hand_delta, 12);
    let stored = shop.erp.product(&shop.admin, tea.id).await.unwrap();
    assert_eq!(stored, tea, "what create returns is what is stored");
    shop.assert_consistent().await;
}

pub async fn duplicate_sku_is_rejected_even_in_another_case(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 1).await;
    let again = ProductInput {
        sku: " tea-1 ".into(),
        name: "Other tea".into(),
        price: "1.00".into(),
        ..Default::default()
    };
    let err = shop
        .erp
        .create_product(&shop.admin, again.parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::Duplicate {
            field: "sku",
            value: "TEA-1".into()
        }
    );
    let all = shop
        .erp
        .products(&shop.admin, &ProductQuery::default())
        .await
        .unwrap();
    assert_eq!(all.total, 1, "nothing half-created");
    shop.assert_consistent().await;
}

pub async fn receipt_and_adjustment_change_on_hand_with_a_reason(erp: Erp) {
    let shop = Shop::new(erp);
    let tea = shop.product("TEA-1", "4.90", 5).await;
    let after_receipt = shop
        .erp
        .adjust_stock(
            &shop.admin,
            tea.id,
            StockChange::Receipt(erp_core::domain::Quantity::new(10).unwrap()),
            reason("supplier delivery 881"),
        )
        .await
        .unwrap();
    assert_eq!(after_receipt.on_hand, 15);
    let after_count = shop
        .erp
        .adjust_stock(
            &shop.admin,
            tea.id,
            StockChange::adjustment(-3).unwrap(),
            reason("counted 12"),
        )
        .await
        .unwrap();
    assert_eq!(after_count.on_hand, 12);
    let moves = shop
        .erp
        .movements(&shop.admin, tea.id, PageRequest::default())
        .await
        .unwrap();
    let newest = &moves.items[0];
    assert_eq!(newest.kind, MovementKind::Adjustment);
    assert_eq!(newest.on_hand_delta, -3);
    assert_eq!(newest.reason.as_deref(), Some("counted 12"));
    assert_eq!(
        moves.items[1].reason.as_deref(),
        Some("supplier delivery 881")
    );
    shop.assert_consistent().await;
}

pub async fn adjustment_never_takes_stock_below_reserved(erp: Erp) {
    let shop = Shop::new(erp);
    let tea = shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    shop.order(ana.id, &[("TEA-1", 7)], "k1").await.unwrap();
    let err = shop
        .erp
        .adjust_stock(
            &shop.admin,
            tea.id,
            StockChange::adjustment(-4).unwrap(),
            reason("broken"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::StockBelowReserved {
            sku: "TEA-1".into(),
            requested_on_hand: 6,
            reserved: 7
        }
    );
    assert_eq!(shop.stock("TEA-1").await, (10, 7));
    shop.erp
        .adjust_stock(
            &shop.admin,
            tea.id,
            StockChange::adjustment(-3).unwrap(),
            reason("broken"),
        )
        .await
        .unwrap();
    assert_eq!(shop.stock("TEA-1").await, (7, 7));
    shop.assert_consistent().await;
}

pub async fn a_keyed_stock_change_happens_once(erp: Erp) {
    let shop = Shop::new(erp);
    let tea = shop.product("TEA-1", "4.90", 10).await;
    let mug = shop.product("MUG-1", "9.90", 3).await;
    let key = |text: &str| IdempotencyKey::parse(text).unwrap();
    // The admin changes `id`'s stock once per `(id, key)`.
    let once = |id, change, why: &'static str, k: &'static str| {
        let shop = &shop;
        async move {
            shop.erp
                .adjust_stock_once(&shop.admin, id, change, reason(why), &key(k))
                .await
        }
    };
    let receipt = |n: u32| StockChange::Receipt(Quantity::new(i64::from(n)).unwrap());
    let movements = |id| {
        let shop = &shop;
        async move {
            shop.erp
                .movements(&shop.admin, id, PageRequest::first(100))
                .await
                .unwrap()
                .total
        }
    };

    let first = once(tea.id, receipt(5), "delivery 7", "d7").await.unwrap();
    assert!(!first.replayed);
    assert_eq!(first.product.on_hand, 15);
    let count = movements(tea.id).await;

    // The retry after a lost answer: nothing moves, the product comes back as it is.
    let again = once(tea.id, receipt(5), "delivery 7", "d7").await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.product.on_hand, 15);
    assert_eq!(movements(tea.id).await, count);

    // The same key for another change is a conflict naming the movement it made.
    for (change, why) in [(receipt(6), "delivery 7"), (receipt(5), "delivery 8")] {
        let err = once(tea.id, change, why, "d7").await.unwrap_err();
        assert!(
            matches!(err, Error::StockRequestConflict { ref key, .. } if key == "d7"),
            "{err:?}"
        );
        assert_eq!(err.code(), "idempotency_conflict");
    }
    assert_eq!(shop.stock("TEA-1").await, (15, 0));

    // Keys are per product.
    let mug_receipt = once(mug.id, receipt(5), "delivery 7", "d7").await.unwrap();
    assert!(!mug_receipt.replayed);
    assert_eq!(shop.stock("MUG-1").await, (8, 0));

    // A refused change does not bind its key: the corrected one goes through with it.
    let ana = shop.customer("Ana").await;
    shop.order(ana.id, &[("MUG-1", 6)], "k1").await.unwrap();
    let refused = once(
        mug.id,
        StockChange::adjustment(-4).unwrap(),
        "broken",
        "count-1",
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), "stock_below_reserved");
    let corrected = once(
        mug.id,
        StockChange::adjustment(-2).unwrap(),
        "broken",
        "count-1",
    )
    .await
    .unwrap();
    assert!(!corrected.replayed);
    assert_eq!(shop.stock("MUG-1").await, (6, 6));

    // Catalogue rights are checked before anything else.
    let clerk = shop.user("clerk", Role::Operator).await;
    let err = shop
        .erp
        .adjust_stock_once(&clerk, tea.id, receipt(1), reason("x"), &key("d9"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    shop.assert_consistent().await;
}

pub async fn unknown_product_is_not_found(erp: Erp) {
    let shop = Shop::new(erp);
    let missing = erp_core::domain::ProductId(999_999);
    let adjust = shop
        .erp
        .adjust_stock(
            &shop.admin,
            missing,
            StockChange::adjustment(1).unwrap(),
            reason("x"),
        )
        .await;
    assert!(matches!(
        adjust,
        Err(Error::NotFound {
            entity: "product",
            ..
        })
    ));
    assert!(matches!(
        shop.erp.product(&shop.admin, missing).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        shop.erp
            .movements(&shop.admin, missing, PageRequest::default())
            .await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        shop.erp
            .product_by_sku(&shop.admin, &Sku::parse("NOPE").unwrap())
            .await,
        Err(Error::NotFound { .. })
    ));
}

pub async fn price_change_keeps_the_price_frozen_on_placed_orders(erp: Erp) {
    let shop = Shop::new(erp);
    let tea = shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let placed = shop
        .order(ana.id, &[("TEA-1", 2)], "k1")
        .await
        .unwrap()
        .order;
    let changes = ProductChanges {
        name: Some(erp_core::domain::Name::parse("Green tea").unwrap()),
        price: Some(erp_core::domain::Money::parse("5.50").unwrap()),
        reorder_level: Some(4),
        active: None,
    };
    let updated = shop
        .erp
        .update_product(&shop.admin, tea.id, changes)
        .await
        .unwrap();
    assert_eq!(updated.price.to_string(), "5.50");
    assert_eq!(updated.name.as_str(), "Green tea");
    assert_eq!(updated.reorder_level, 4);
    let order = shop.erp.order(&shop.admin, placed.id).await.unwrap();
    assert_eq!(order.lines[0].unit_price.to_string(), "4.90");
    assert_eq!(order.lines[0].product_name.as_str(), "Product TEA-1");
    assert_eq!(order.total.to_string(), "9.80");
    let next = shop
        .order(ana.id, &[("TEA-1", 2)], "k2")
        .await
        .unwrap()
        .order;
    assert_eq!(next.total.to_string(), "11.00");
    shop.assert_consistent().await;
}

pub async fn deactivated_product_cannot_be_ordered_and_leaves_the_default_list(erp: Erp) {
    let shop = Shop::new(erp);
    let tea = shop.product("TEA-1", "4.90", 10).await;
    shop.product("TEA-2", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let off = shop
        .erp
        .deactivate_product(&shop.admin, tea.id)
        .await
        .unwrap();
    assert!(!off.active);
    let err = shop.order(ana.id, &[("TEA-1", 1)], "k1").await.unwrap_err();
    assert_eq!(
        err,
        Error::ProductInactive {
            sku: "TEA-1".into()
        }
    );
    let listed = shop
        .erp
        .products(&shop.admin, &ProductQuery::default())
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    let everything = shop
        .erp
        .products(
            &shop.admin,
            &ProductQuery {
                include_inactive: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(everything.total, 2);
    shop.erp
        .update_product(
            &shop.admin,
            tea.id,
            ProductChanges {
                active: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    shop.order(ana.id, &[("TEA-1", 1)], "k1").await.unwrap();
    shop.assert_consistent().await;
}

pub async fn product_search_matches_sku_prefix_or_name_ignoring_case(erp: Erp) {
    let shop = Shop::new(erp);
    for (sku, name) in [
        ("COF-250", "Café torrado 250 g"),
        ("COF-500", "Coffee beans 500 g"),
        ("TEA-GRN", "Green tea"),
        ("MUG-1", "Coffee mug 50%_off!"),
    ] {
        let input = ProductInput {
            sku: sku.into(),
            name: name.into(),
            price: "1.00".into(),
            ..Default::default()
        };
        shop.erp
            .create_product(&shop.admin, input.parse().unwrap())
            .await
            .unwrap();
    }
    let search = |text: &str| ProductQuery {
        search: term(text),
        ..Default::default()
    };
    let skus = |page: erp_core::domain::Page<erp_core::domain::Product>| -> Vec<String> {
        page.items.iter().map(|p| p.sku.to_string()).collect()
    };
    let by_prefix = shop
        .erp
        .products(&shop.admin, &search("cof-"))
        .await
        .unwrap();
    assert_eq!(skus(by_prefix), vec!["COF-250", "COF-500"]);
    let by_name = shop
        .erp
        .products(&shop.admin, &search("COFFEE"))
        .await
        .unwrap();
    assert_eq!(skus(by_name), vec!["COF-500", "MUG-1"]);
    let accented = shop
        .erp
        .products(&shop.admin, &search("CAFÉ"))
        .await
        .unwrap();
    assert_eq!(skus(accented), vec!["COF-250"]);
    let wildcard = shop
        .erp
        .products(&shop.admin, &search("50%_"))
        .await
        .unwrap();
    assert_eq!(
        skus(wildcard),
        vec!["MUG-1"],
        "% and _ are literal characters"
    );
    let sql_text = shop
        .erp
        .products(&shop.admin, &search("' OR 1=1 --"))
        .await
        .unwrap();
    assert_eq!(sql_text.total, 0);
}

/// Issue 9, part 3: a cashier types `feijao` for "Feijão" and `acucar` for "AÇÚCAR".
pub async fn search_ignores_accents_and_case_for_products_and_customers(erp: Erp) {
    let shop = Shop::new(erp);
    for (sku, name) in [
        ("BEAN-BLK", "Feijão preto 1 kg"),
        ("SUG-1K", "AÇÚCAR refinado 1 kg"),
        ("WATER", "Água mineral"),
        ("RICE", "Arroz branco"),
    ] {
        let input = ProductInput {
            sku: sku.into(),
            name: name.into(),
            price: "1.00".into(),
            ..Default::default()
        };
        shop.erp
            .create_product(&shop.admin, input.parse().unwrap())
            .await
            .unwrap();
    }
    let found = |text: &'static str| {
        let erp = shop.erp.clone();
        let admin = shop.admin.clone();
        async move {
            let query = ProductQuery {
                search: term(text),
                ..Default::default()
            };
            let page = erp.products(&admin, &query).await.unwrap();
            page.items
                .iter()
                .map(|p| p.sku.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("feijao").await, vec!["BEAN-BLK"]);
    assert_eq!(found("FEIJÃO").await, vec!["BEAN-BLK"]);
    assert_eq!(found("acucar").await, vec!["SUG-1K"]);
    assert_eq!(found("agua").await, vec!["WATER"]);
    assert!(found("feijoada").await.is_empty());
    let joao = shop
        .erp
        .create_customer(
            &shop.admin,
            CustomerInput {
                name: "João Pedro Lima".into(),
                email: "jp@example.com".into(),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let customers = shop
        .erp
        .customers(
            &shop.admin,
            &CustomerQuery {
                search: term("joao"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        customers.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![joao.id]
    );
}

pub async fn product_list_is_ordered_by_sku_with_pages_and_total(erp: Erp) {
    let shop = Shop::new(erp);
    for sku in ["C", "A", "E", "B", "D"] {
        shop.product(sku, "1.00", 1).await;
    }
    let page = shop
        .erp
        .products(
            &shop.admin,
            &ProductQuery {
                page: PageRequest::new(1, 2).unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    let skus: Vec<_> = page.items.iter().map(|p| p.sku.to_string()).collect();
    assert_eq!(skus, vec!["B", "C"]);
    let past_end = shop
        .erp
        .products(
            &shop.admin,
            &ProductQuery {
                page: PageRequest::new(10, 2).unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(past_end.items.is_empty());
    assert_eq!(past_end.total, 5);
}

pub async fn type_ahead_search_can_skip_the_count(erp: Erp) {
    let shop = Shop::new(erp);
    for sku in ["TEA-1", "TEA-2", "TEA-3", "MUG-1"] {
        shop.product(sku, "1.00", 1).await;
    }
    let query = |skip_total| ProductQuery {
        search: term("tea"),
        page: PageRequest::new(0, 2).unwrap(),
        skip_total,
        ..Default::default()
    };
    let counted = shop.erp.products(&shop.admin, &query(false)).await.unwrap();
    let uncounted = shop.erp.products(&shop.admin, &query(true)).await.unwrap();
    assert_eq!(counted.items, uncounted.items);
    assert_eq!(counted.total, 3);
    assert_eq!(uncounted.total, 2, "offset + rows returned");
}

pub async fn low_stock_filter_lists_available_at_or_below_reorder_level(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("PLENTY", "1.00", 50).await;
    shop.product("EMPTY", "1.00", 0).await;
    shop.product("EDGE", "1.00", 2).await; // reorder level 2 in the fixture
    shop.product("RESERVED", "1.00", 5).await;
    let ana = shop.customer("Ana").await;
    shop.order(ana.id, &[("RESERVED", 4)], "k").await.unwrap();
    let low = shop
        .erp
        .products(
            &shop.admin,
            &ProductQuery {
                low_stock_only: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let skus: Vec<_> = low.items.iter().map(|p| p.sku.to_string()).collect();
    assert_eq!(skus, vec!["EDGE", "EMPTY", "RESERVED"]);
}

// ---------------------------------------------------------------------------------------------
// Customers

fn customer_input(name: &str, email: &str, tax_id: Option<&str>) -> CustomerInput {
    CustomerInput {
        name: name.into(),
        email: email.into(),
        phone: Some("+55 11 98765-4321".into()),
        tax_id: tax_id.map(Into::into),
    }
}

pub async fn customer_email_is_unique_among_live_customers(erp: Erp) {
    let shop = Shop::new(erp);
    let first = shop
        .erp
        .create_customer(
            &shop.admin,
            customer_input("Ana", "ana@example.com", None)
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    let clash = shop
        .erp
        .create_customer(
            &shop.admin,
            customer_input("Ana B", "ANA@example.com", None)
                .parse()
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        clash,
        Error::Duplicate {
            field: "email",
            value: "ana@example.com".into()
        }
    );
    shop.erp
        .delete_customer(&shop.admin, first.id)
        .await
        .unwrap();
    let reused = shop
        .erp
        .create_customer(
            &shop.admin,
            customer_input("Ana B", "ana@example.com", None)
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_ne!(reused.id, first.id);
}

pub async fn customer_tax_id_is_unique_among_live_customers(erp: Erp) {
    let shop = Shop::new(erp);
    let first = shop
        .erp
        .create_customer(
            &shop.admin,
            customer_input("Ana", "ana@example.com", Some("529.982.247-25"))
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    let clash = shop
        .erp
        .create_customer(
            &shop.admin,
            customer_input("Bia", "bia@example.com", Some("52998224725"))
                .parse()
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        clash,
        Error::Duplicate {
            field: "tax_id",
            value: "529.982.247-25".into()
        }
    );
    // Customers without a tax id never clash with each other.
    for (name, email) in [("Cid", "cid@example.com"), ("Dan", "dan@example.com")] {
        shop.erp
            .create_customer(
                &shop.admin,
                customer_input(name, email, None).parse().unwrap(),
            )
            .await
            .unwrap();
    }
    shop.erp
        .delete_customer(&shop.admin, first.id)
        .await
        .unwrap();
    shop.erp
        .create_customer(
            &shop.admin,
            customer_input("Bia", "bia@example.com", Some("52998224725"))
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
}

pub async fn customer_update_changes_fields_and_clears_optional_ones(erp: Erp) {
    let shop = Shop::new(erp);
    let ana = shop
        .erp
        .create_customer(
            &shop.admin,
            customer_input("Ana", "ana@example.com", Some("529.982.247-25"))
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    let bia = shop.customer("Bia").await;
    let patch: CustomerPatch =
        serde_json::from_str(r#"{"name": "Ana Souza", "phone": null, "tax_id": null}"#).unwrap();
    let updated = shop
        .erp
        .update_customer(&shop.admin, ana.id, patch.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(updated.name.as_str(), "Ana Souza");
    assert_eq!(updated.phone, None);
    assert_eq!(updated.tax_id, None);
    assert_eq!(updated.email.as_str(), "ana@example.com");
    assert_eq!(
        shop.erp.customer(&shop.admin, ana.id).await.unwrap(),
        updated
    );
    let steal: CustomerPatch = serde_json::from_str(r#"{"email": "ana@example.com"}"#).unwrap();
    let err = shop
        .erp
        .update_customer(&shop.admin, bia.id, steal.parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Duplicate { field: "email", .. }));
}

pub async fn deleted_customer_cannot_order_or_be_edited_and_deleting_twice_is_harmless(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "1.00", 5).await;
    let ana = shop.customer("Ana").await;
    let placed = shop
        .order(ana.id, &[("TEA-1", 1)], "k1")
        .await
        .unwrap()
        .order;
    shop.erp.delete_customer(&shop.admin, ana.id).await.unwrap();
    shop.erp.delete_customer(&shop.admin, ana.id).await.unwrap();
    let err = shop.order(ana.id, &[("TEA-1", 1)], "k2").await.unwrap_err();
    assert_eq!(err, Error::CustomerDeleted { id: ana.id.get() });
    let patch: CustomerPatch = serde_json::from_str(r#"{"name": "Zombie"}"#).unwrap();
    let err = shop
        .erp
        .update_customer(&shop.admin, ana.id, patch.parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err, Error::CustomerDeleted { id: ana.id.get() });
    // Old orders and the customer record stay readable.
    let still = shop.erp.customer(&shop.admin, ana.id).await.unwrap();
    assert!(still.deleted_at.is_some());
    assert_eq!(
        shop.erp
            .order(&shop.admin, placed.id)
            .await
            .unwrap()
            .customer_id,
        ana.id
    );
    let live = shop
        .erp
        .customers(&shop.admin, &CustomerQuery::default())
        .await
        .unwrap();
    assert_eq!(live.total, 0);
    let all = shop
        .erp
        .customers(
            &shop.admin,
            &CustomerQuery {
                include_deleted: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.total, 1);
    shop.assert_consistent().await;
}

pub async fn customer_search_matches_name_email_or_tax_id_in_name_order(erp: Erp) {
    let shop = Shop::new(erp);
    for (name, email, tax) in [
        ("Zé Ramos", "ze@example.com", None),
        ("Ana Souza", "ana@loja.example", Some("529.982.247-25")),
        (
            "Bruno Ávila",
            "bruno@example.com",
            Some("11.222.333/0001-81"),
        ),
    ] {
        shop.erp
            .create_customer(
                &shop.admin,
                customer_input(name, email, tax).parse().unwrap(),
            )
            .await
            .unwrap();
    }
    let names = |q: &str| {
        let erp = shop.erp.clone();
        let admin = shop.admin.clone();
        let query = CustomerQuery {
            search: term(q),
            ..Default::default()
        };
        async move {
            erp.customers(&admin, &query)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.name.to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        names("").await,
        vec!["Ana Souza", "Bruno Ávila", "Zé Ramos"]
    );
    assert_eq!(names("ávila").await, vec!["Bruno Ávila"]);
    assert_eq!(names("LOJA").await, vec!["Ana Souza"]);
    assert_eq!(names("5299").await, vec!["Ana Souza"]);
    assert_eq!(names("zé").await, vec!["Zé Ramos"]);
    let paged = shop
        .erp
        .customers(
            &shop.admin,
            &CustomerQuery {
                page: PageRequest::new(2, 1).unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(paged.total, 3);
    assert_eq!(paged.items[0].name.as_str(), "Zé Ramos");
}

// ---------------------------------------------------------------------------------------------
// Orders

pub async fn order_reserves_stock_and_freezes_prices_and_total(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    shop.product("MUG-1", "19.99", 3).await;
    let ana = shop.customer("Ana").await;
    let receipt = shop
        .order(ana.id, &[("MUG-1", 3), ("tea-1", 2)], "k1")
        .await
        .unwrap();
    assert!(!receipt.replayed);
    let order = receipt.order;
    assert_eq!(order.status, OrderStatus::Pending);
    assert_eq!(order.lines.len(), 2);
    assert_eq!(
        order.lines[0].sku.as_str(),
        "MUG-1",
        "lines keep their order"
    );
    assert_eq!(order.lines[0].line_total.to_string(), "59.97");
    assert_eq!(order.lines[1].line_total.to_string(), "9.80");
    assert_eq!(order.total.to_string(), "69.77");
    assert_eq!(shop.stock("TEA-1").await, (10, 2));
    assert_eq!(shop.stock("MUG-1").await, (3, 3));
    let stored = shop.erp.order(&shop.admin, order.id).await.unwrap();
    assert_eq!(stored, order, "what create returns is what is stored");
    let history = shop.erp.order_history(&shop.admin, order.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].from, history[0].to),
        (None, OrderStatus::Pending)
    );
    shop.assert_consistent().await;
}

/// Text and time written with an order (its lines, history, movements and event) come back
/// exactly: quotes, backslashes, placeholders, statement separators and characters beyond the
/// basic plane included, and instants to the microsecond.
pub async fn an_order_keeps_every_character_and_instant_it_was_given(erp: Erp) {
    let shop = Shop::new(erp);
    let name = "O'Brien \"Café\" \\ ? ; -- ´ 😀 ';DROP TABLE orders;#";
    let sku = "Q-1/A";
    let odd = shop
        .erp
        .create_product(
            &shop.admin,
            ProductInput {
                sku: sku.into(),
                name: name.into(),
                price: "0.10".into(),
                initial_stock: Some(5),
                reorder_level: Some(0),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(odd.name.as_str(), name);
    let ana = shop.customer("Ana").await;
    let order = shop.order(ana.id, &[(sku, 2)], "k1").await.unwrap().order;
    assert_eq!(order.lines[0].product_name.as_str(), name);
    let stored = shop.erp.order(&shop.admin, order.id).await.unwrap();
    assert_eq!(stored, order, "what create returns is what is stored");
    let history = shop.erp.order_history(&shop.admin, order.id).await.unwrap();
    assert_eq!(
        history[0].changed_at, order.created_at,
        "the instant, to the microsecond"
    );
    let movements = shop
        .erp
        .movements(&shop.admin, odd.id, PageRequest::default())
        .await
        .unwrap();
    assert!(
        movements.items.iter().any(|m| m.order_id == Some(order.id)
            && m.created_at == order.created_at
            && m.reserved_delta == 2),
        "{movements:?}"
    );
    let events = shop.erp.events_after(&shop.admin, None, 100).await.unwrap();
    let created = events
        .iter()
        .find(|e| e.event_type == "OrderCreated")
        .unwrap();
    assert_eq!(created.occurred_at, order.created_at);
    match created.decode().unwrap() {
        DomainEvent::OrderCreated { lines, .. } => {
            assert_eq!(lines, vec![(odd.sku.to_string(), 2)]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(shop.stock(sku).await, (5, 2));
    shop.assert_consistent().await;
}

pub async fn order_fails_whole_when_any_line_lacks_stock(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    shop.product("MUG-1", "19.99", 3).await;
    let ana = shop.customer("Ana").await;
    let err = shop
        .order(ana.id, &[("TEA-1", 2), ("MUG-1", 4)], "k1")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::InsufficientStock {
            sku: "MUG-1".into(),
            requested: 4,
            available: 3
        }
    );
    assert_eq!(shop.stock("TEA-1").await, (10, 0), "no line reserved");
    assert_eq!(shop.stock("MUG-1").await, (3, 0));
    let orders = shop
        .erp
        .orders(&shop.admin, &OrderQuery::default())
        .await
        .unwrap();
    assert_eq!(orders.total, 0);
    shop.assert_consistent().await;
}

pub async fn order_with_unknown_sku_or_customer_is_not_found_and_changes_nothing(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let err = shop
        .order(ana.id, &[("TEA-1", 1), ("GHOST", 1)], "k1")
        .await
        .unwrap_err();
    assert_eq!(err, Error::not_found("product", "GHOST"));
    let err = shop
        .order(erp_core::domain::CustomerId(424_242), &[("TEA-1", 1)], "k1")
        .await
        .unwrap_err();
    assert_eq!(err, Error::not_found("customer", 424_242));
    assert_eq!(shop.stock("TEA-1").await, (10, 0));
    shop.assert_consistent().await;
}

pub async fn same_key_and_same_request_replays_the_original_order(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    shop.product("MUG-1", "9.00", 10).await;
    let ana = shop.customer("Ana").await;
    let first = shop
        .order(ana.id, &[("TEA-1", 2), ("MUG-1", 1)], "till-7-sale-1")
        .await
        .unwrap();
    // The same lines in another order are the same request.
    let again = shop
        .order(ana.id, &[("MUG-1", 1), ("TEA-1", 2)], "till-7-sale-1")
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.order, first.order);
    assert_eq!(shop.stock("TEA-1").await, (10, 2), "reserved once");
    let orders = shop
        .erp
        .orders(&shop.admin, &OrderQuery::default())
        .await
        .unwrap();
    assert_eq!(orders.total, 1);
    shop.assert_consistent().await;
}

pub async fn same_key_with_a_different_request_is_a_conflict(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let first = shop.order(ana.id, &[("TEA-1", 2)], "k1").await.unwrap();
    let err = shop.order(ana.id, &[("TEA-1", 3)], "k1").await.unwrap_err();
    assert_eq!(
        err,
        Error::IdempotencyConflict {
            key: "k1".into(),
            order_id: first.order.id
        }
    );
    assert_eq!(shop.stock("TEA-1").await, (10, 2));
    shop.assert_consistent().await;
}

/// A repeated request gets its order back whatever has happened since: the last units sold, the
/// product withdrawn. Only a different request under the key is refused, as a conflict.
pub async fn a_repeated_order_is_replayed_after_its_stock_is_gone(erp: Erp) {
    let shop = Shop::new(erp);
    let tea = shop.product("TEA-1", "4.90", 2).await;
    let ana = shop.customer("Ana").await;
    let first = shop.order(ana.id, &[("TEA-1", 2)], "k1").await.unwrap();
    let again = shop.order(ana.id, &[("TEA-1", 2)], "k1").await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.order, first.order);
    let err = shop.order(ana.id, &[("TEA-1", 1)], "k1").await.unwrap_err();
    assert_eq!(
        err,
        Error::IdempotencyConflict {
            key: "k1".into(),
            order_id: first.order.id
        }
    );
    shop.erp
        .deactivate_product(&shop.admin, tea.id)
        .await
        .unwrap();
    let later = shop.order(ana.id, &[("TEA-1", 2)], "k1").await.unwrap();
    assert!(later.replayed);
    assert_eq!(later.order.id, first.order.id);
    assert_eq!(shop.stock("TEA-1").await, (2, 2), "reserved once");
    shop.assert_consistent().await;
}

pub async fn a_failed_order_does_not_bind_its_key(erp: Erp) {
    let shop = Shop::new(erp);
    let tea = shop.product("TEA-1", "4.90", 1).await;
    let ana = shop.customer("Ana").await;
    let err = shop.order(ana.id, &[("TEA-1", 5)], "k1").await.unwrap_err();
    assert!(matches!(err, Error::InsufficientStock { .. }));
    shop.erp
        .adjust_stock(
            &shop.admin,
            tea.id,
            StockChange::adjustment(4).unwrap(),
            reason("found more"),
        )
        .await
        .unwrap();
    let retried = shop.order(ana.id, &[("TEA-1", 5)], "k1").await.unwrap();
    assert!(!retried.replayed);
    assert_eq!(shop.stock("TEA-1").await, (5, 5));
    shop.assert_consistent().await;
}

pub async fn keys_are_per_customer(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let bia = shop.customer("Bia").await;
    let a = shop.order(ana.id, &[("TEA-1", 1)], "same").await.unwrap();
    let b = shop.order(bia.id, &[("TEA-1", 1)], "same").await.unwrap();
    assert!(!b.replayed);
    assert_ne!(a.order.id, b.order.id);
    assert_eq!(shop.stock("TEA-1").await, (10, 2));
}

pub async fn full_lifecycle_ships_stock_out_and_records_every_step(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let order = shop
        .order(ana.id, &[("TEA-1", 4)], "k1")
        .await
        .unwrap()
        .order;
    let confirmed = shop
        .erp
        .change_status(
            &shop.admin,
            order.id,
            OrderStatus::Confirmed,
            Some(Note::parse("paid").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(confirmed.status, OrderStatus::Confirmed);
    let picked = shop.advance(&confirmed, OrderStatus::Picked).await;
    assert_eq!(
        shop.stock("TEA-1").await,
        (10, 4),
        "still reserved until shipped"
    );
    let shipped = shop.advance(&picked, OrderStatus::Shipped).await;
    assert_eq!(shop.stock("TEA-1").await, (6, 0), "goods left");
    let delivered = shop.advance(&shipped, OrderStatus::Delivered).await;
    assert_eq!(delivered.status, OrderStatus::Delivered);
    assert_eq!(shop.stock("TEA-1").await, (6, 0));
    let history = shop.erp.order_history(&shop.admin, order.id).await.unwrap();
    let steps: Vec<_> = history.iter().map(|h| (h.from, h.to)).collect();
    use OrderStatus::*;
    assert_eq!(
        steps,
        vec![
            (None, Pending),
            (Some(Pending), Confirmed),
            (Some(Confirmed), Picked),
            (Some(Picked), Shipped),
            (Some(Shipped), Delivered)
        ]
    );
    assert_eq!(history[1].note.as_ref().map(Note::as_str), Some("paid"));
    let tea = shop
        .erp
        .product_by_sku(&shop.admin, &Sku::parse("TEA-1").unwrap())
        .await
        .unwrap();
    let moves = shop
        .erp
        .movements(&shop.admin, tea.id, PageRequest::default())
        .await
        .unwrap();
    let kinds: Vec<_> = moves.items.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        vec![
            MovementKind::Shipment,
            MovementKind::Reservation,
            MovementKind::Receipt
        ]
    );
    assert_eq!(moves.items[0].order_id, Some(order.id));
    assert_eq!(
        shop.erp.order(&shop.admin, order.id).await.unwrap().status,
        Delivered
    );
    shop.assert_consistent().await;
}

pub async fn cancel_returns_reserved_stock(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let pending = shop
        .order(ana.id, &[("TEA-1", 3)], "k1")
        .await
        .unwrap()
        .order;
    let confirmed = shop
        .order(ana.id, &[("TEA-1", 4)], "k2")
        .await
        .unwrap()
        .order;
    let confirmed = shop.advance(&confirmed, OrderStatus::Confirmed).await;
    assert_eq!(shop.stock("TEA-1").await, (10, 7));
    let cancelled = shop
        .erp
        .cancel_order(
            &shop.admin,
            pending.id,
            Some(Note::parse("changed mind").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(shop.stock("TEA-1").await, (10, 4));
    shop.erp
        .cancel_order(&shop.admin, confirmed.id, None)
        .await
        .unwrap();
    assert_eq!(shop.stock("TEA-1").await, (10, 0));
    shop.assert_consistent().await;
}

pub async fn shipped_or_picked_order_cannot_be_cancelled(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let a = shop
        .order(ana.id, &[("TEA-1", 1)], "k1")
        .await
        .unwrap()
        .order;
    let picked = shop.advance(&a, OrderStatus::Picked).await;
    let err = shop
        .erp
        .cancel_order(&shop.admin, picked.id, None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidTransition {
            from: OrderStatus::Picked,
            to: OrderStatus::Cancelled
        }
    );
    let shipped = shop.advance(&picked, OrderStatus::Shipped).await;
    let err = shop
        .erp
        .cancel_order(&shop.admin, shipped.id, None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidTransition {
            from: OrderStatus::Shipped,
            to: OrderStatus::Cancelled
        }
    );
    assert_eq!(shop.stock("TEA-1").await, (9, 0));
    shop.assert_consistent().await;
}

pub async fn illegal_transitions_are_refused_and_change_nothing(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let order = shop
        .order(ana.id, &[("TEA-1", 2)], "k1")
        .await
        .unwrap()
        .order;
    for to in [
        OrderStatus::Pending,
        OrderStatus::Picked,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
    ] {
        let err = shop
            .erp
            .change_status(&shop.admin, order.id, to, None)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            Error::InvalidTransition {
                from: OrderStatus::Pending,
                to
            }
        );
    }
    let delivered = shop.advance(&order, OrderStatus::Delivered).await;
    for to in OrderStatus::ALL {
        let err = shop
            .erp
            .change_status(&shop.admin, delivered.id, to, None)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            Error::InvalidTransition {
                from: OrderStatus::Delivered,
                to
            }
        );
    }
    let history = shop.erp.order_history(&shop.admin, order.id).await.unwrap();
    assert_eq!(history.len(), 5, "refused changes leave no history");
    shop.assert_consistent().await;
}

pub async fn a_keyed_status_change_happens_once_and_replays_its_answer(erp: Erp) {
    use OrderStatus::{Cancelled, Confirmed, Picked};
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let key = |text: &str| IdempotencyKey::parse(text).unwrap();
    let note = |text: &str| Some(Note::parse(text).unwrap());
    let placed = |k: &'static str| {
        let shop = &shop;
        async move { shop.order(ana.id, &[("TEA-1", 2)], k).await.unwrap().order }
    };
    let once = |id, to, why: Option<Note>, k: &'static str| {
        let shop = &shop;
        async move {
            shop.erp
                .change_status_once(&shop.admin, id, to, why, &key(k))
                .await
        }
    };
    let history = |id| {
        let shop = &shop;
        async move { shop.erp.order_history(&shop.admin, id).await.unwrap().len() }
    };
    let order = placed("o1").await;

    let first = once(order.id, Confirmed, None, "c1").await.unwrap();
    assert!(!first.replayed);
    assert_eq!(first.order.status, Confirmed);
    assert_eq!(history(order.id).await, 2);

    // The retry after a lost answer: nothing moves, the first answer comes back.
    let again = once(order.id, Confirmed, None, "c1").await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.order, first.order);
    assert_eq!(history(order.id).await, 2);

    // Without a key, the repeated confirmation is the transition the order already made.
    let err = shop
        .erp
        .change_status(&shop.admin, order.id, Confirmed, None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidTransition {
            from: Confirmed,
            to: Confirmed
        }
    );

    // The same key for another change (another status, a cancellation, another note) is a
    // conflict naming what the key did.
    for (to, why) in [
        (Picked, None),
        (Cancelled, None),
        (Confirmed, note("call first")),
    ] {
        let err = once(order.id, to, why, "c1").await.unwrap_err();
        assert_eq!(
            err,
            Error::StatusRequestConflict {
                key: "c1".into(),
                status: Confirmed
            }
        );
        assert_eq!(err.code(), "idempotency_conflict");
    }
    let err = shop
        .erp
        .cancel_order_once(&shop.admin, order.id, None, &key("c1"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "idempotency_conflict");
    assert_eq!(history(order.id).await, 2);

    // Once the order has moved on, the retry still answers what the first request answered.
    let picked = once(order.id, Picked, note("aisle 3"), "p1").await.unwrap();
    assert_eq!(picked.order.status, Picked);
    let late = once(order.id, Confirmed, None, "c1").await.unwrap();
    assert!(late.replayed);
    assert_eq!(late.order, first.order);
    let picked_again = once(order.id, Picked, note("aisle 3"), "p1").await.unwrap();
    assert_eq!(picked_again.order, picked.order);
    assert_eq!(history(order.id).await, 3);

    // Keys are per order; a refused change does not bind its key.
    let other = placed("o2").await;
    let refused = once(other.id, Picked, None, "c1").await.unwrap_err();
    assert_eq!(refused.code(), "invalid_transition");
    let confirmed = once(other.id, Confirmed, None, "c1").await.unwrap();
    assert!(!confirmed.replayed);

    // A keyed cancellation releases the reservation once.
    assert_eq!(shop.stock("TEA-1").await, (10, 4));
    let cancel = |k: &'static str| {
        let shop = &shop;
        async move {
            shop.erp
                .cancel_order_once(&shop.admin, other.id, note("changed mind"), &key(k))
                .await
        }
    };
    let cancelled = cancel("x1").await.unwrap();
    assert!(!cancelled.replayed);
    assert_eq!(cancelled.order.status, Cancelled);
    assert_eq!(shop.stock("TEA-1").await, (10, 2));
    let cancelled_again = cancel("x1").await.unwrap();
    assert!(cancelled_again.replayed);
    assert_eq!(cancelled_again.order, cancelled.order);
    assert_eq!(shop.stock("TEA-1").await, (10, 2));

    // Rights are checked before the key is looked at: an operator cannot cancel, not even by
    // replaying a manager's cancellation.
    let clerk = shop.user("clerk", Role::Operator).await;
    let err = shop
        .erp
        .cancel_order_once(&clerk, other.id, note("changed mind"), &key("x1"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    shop.assert_consistent().await;
}

pub async fn concurrent_status_changes_with_one_key_change_the_order_once(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "4.90", 10).await;
    let ana = shop.customer("Ana").await;
    let order = shop
        .order(ana.id, &[("TEA-1", 2)], "o1")
        .await
        .unwrap()
        .order;
    let key = IdempotencyKey::parse("ship-1").unwrap();
    let order = shop.advance(&order, OrderStatus::Picked).await;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let erp = shop.erp.clone();
            let admin = shop.admin.clone();
            let key = key.clone();
            tokio::spawn(async move {
                erp.change_status_once(&admin, order.id, OrderStatus::Shipped, None, &key)
                    .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap().unwrap());
    }
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1);
    assert!(answers.iter().all(|a| a.order == answers[0].order));
    assert_eq!(shop.stock("TEA-1").await, (8, 0), "shipped once");
    let history = shop.erp.order_history(&shop.admin, order.id).await.unwrap();
    assert_eq!(history.len(), 4);
    shop.assert_consistent().await;
}

pub async fn unknown_order_is_not_found(erp: Erp) {
    let shop = Shop::new(erp);
    let missing = erp_core::domain::OrderId(777_777);
    assert_eq!(
        shop.erp.order(&shop.admin, missing).await.unwrap_err(),
        Error::not_found("order", missing)
    );
    assert_eq!(
        shop.erp
            .order_history(&shop.admin, missing)
            .await
            .unwrap_err(),
        Error::not_found("order", missing)
    );
    assert_eq!(
        shop.erp
            .change_status(&shop.admin, missing, OrderStatus::Confirmed, None)
            .await
            .unwrap_err(),
        Error::not_found("order", missing)
    );
}

/// A clock tests can move.
struct TestClock(AtomicI64);

impl TestClock {
    fn at(when: Timestamp) -> Arc<TestClock> {
        Arc::new(TestClock(AtomicI64::new(when.timestamp_micros())))
    }

    fn advance(&self, by: Duration) {
        self.0
            .fetch_add(by.num_microseconds().unwrap_or(0), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        chrono::DateTime::from_timestamp_micros(self.0.load(Ordering::SeqCst)).unwrap()
    }
}

pub async fn order_list_filters_by_status_customer_and_time_newest_first(erp: Erp) {
    let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
    let shop = Shop::new(erp.with_clock(clock.clone()));
    shop.product("TEA-1", "1.00", 100).await;
    let ana = shop.customer("Ana").await;
    let bia = shop.customer("Bia").await;
    let o1 = shop
        .order(ana.id, &[("TEA-1", 1)], "k1")
        .await
        .unwrap()
        .order;
    clock.advance(Duration::days(1));
    let o2 = shop
        .order(bia.id, &[("TEA-1", 1)], "k2")
        .await
        .unwrap()
        .order;
    clock.advance(Duration::days(1));
    let o3 = shop
        .order(ana.id, &[("TEA-1", 1)], "k3")
        .await
        .unwrap()
        .order;
    shop.advance(&o3, OrderStatus::Confirmed).await;
    let ids = |q: OrderQuery| {
        let erp = shop.erp.clone();
        let admin = shop.admin.clone();
        async move {
            erp.orders(&admin, &q)
                .await
                .unwrap()
                .items
                .iter()
                .map(|o| o.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(OrderQuery::default()).await, vec![o3.id, o2.id, o1.id]);
    assert_eq!(
        ids(OrderQuery {
            customer_id: Some(ana.id),
            ..Default::default()
        })
        .await,
        vec![o3.id, o1.id]
    );
    assert_eq!(
        ids(OrderQuery {
            status: Some(OrderStatus::Pending),
            ..Default::default()
        })
        .await,
        vec![o2.id, o1.id]
    );
    let day_two = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    assert_eq!(
        ids(OrderQuery {
            created_from: Some(day_two),
            created_before: Some(day_two + Duration::days(1)),
            ..Default::default()
        })
        .await,
        vec![o2.id]
    );
    let listed = shop
        .erp
        .orders(
            &shop.admin,
            &OrderQuery {
                page: PageRequest::new(0, 1).unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 3);
    assert_eq!(
        listed.items[0].lines.len(),
        1,
        "listed orders carry their lines"
    );
    assert_eq!(
        listed.items[0].created_at, o3.created_at,
        "times survive storage exactly"
    );
}

// ---------------------------------------------------------------------------------------------
// Users, logins and permissions

pub async fn the_first_admin_is_created_once(erp: Erp) {
    assert!(!erp.has_users().await.unwrap());
    let admin = erp
        .bootstrap_admin(
            Username::parse("Owner").unwrap(),
            Password::new(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert_eq!(admin.username.as_str(), "owner");
    assert!(erp.has_users().await.unwrap());
    let again = erp
        .bootstrap_admin(
            Username::parse("intruder").unwrap(),
            Password::new(PASSWORD).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(again, Error::AlreadyDone { .. }));
    let actor = erp.authenticate("OWNER", PASSWORD).await.unwrap();
    assert_eq!(actor.user_id(), Some(admin.id));
    assert_eq!(actor.role(), Role::Admin);
}

pub async fn wrong_password_and_unknown_user_fail_alike(erp: Erp) {
    let shop = Shop::new(erp);
    shop.user("ana", Role::Operator).await;
    assert_eq!(
        shop.erp
            .authenticate("ana", "not the password")
            .await
            .unwrap_err(),
        Error::InvalidCredentials
    );
    assert_eq!(
        shop.erp.authenticate("nobody", PASSWORD).await.unwrap_err(),
        Error::InvalidCredentials
    );
    assert_eq!(
        shop.erp
            .authenticate("bad name!", PASSWORD)
            .await
            .unwrap_err(),
        Error::InvalidCredentials
    );
}

pub async fn repeated_login_failures_make_the_user_wait(erp: Erp) {
    let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap());
    let shop = Shop::new(erp.with_clock(clock.clone()));
    shop.user("ana", Role::Operator).await;
    for _ in 0..3 {
        assert_eq!(
            shop.erp
                .authenticate("ana", "wrong password")
                .await
                .unwrap_err(),
            Error::InvalidCredentials
        );
    }
    // Even the right password waits now.
    assert_eq!(
        shop.erp.authenticate("ana", PASSWORD).await.unwrap_err(),
        Error::LoginThrottled {
            retry_after_secs: 1
        }
    );
    clock.advance(Duration::seconds(2));
    shop.erp.authenticate("ana", PASSWORD).await.unwrap();
    // Success resets the count.
    assert_eq!(
        shop.erp
            .authenticate("ana", "wrong password")
            .await
            .unwrap_err(),
        Error::InvalidCredentials
    );
    shop.erp.authenticate("ana", PASSWORD).await.unwrap();
}

fn noon() -> Arc<TestClock> {
    TestClock::at(Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap())
}

pub async fn unknown_and_known_names_are_throttled_alike(erp: Erp) {
    let shop = Shop::new(erp.with_clock(noon()));
    shop.user("ana", Role::Operator).await;
    let mut answers = Vec::new();
    for name in ["ana", "nobody"] {
        let mut seen = Vec::new();
        for _ in 0..5 {
            let outcome = shop
                .erp
                .authenticate_from(name, "wrong password", "10.0.0.1")
                .await;
            seen.push(outcome.unwrap_err());
        }
        answers.push(seen);
    }
    let throttled = Error::LoginThrottled {
        retry_after_secs: 1,
    };
    let expected = [
        vec![Error::InvalidCredentials; 3],
        vec![throttled.clone(), throttled],
    ]
    .concat();
    assert_eq!(answers[0], expected, "a real user");
    assert_eq!(answers[1], expected, "a name nobody has: the same answers");
}

/// Failed-login counters that no longer count are deleted, in batches; counters that still count
/// stay, and still throttle.
pub async fn forgotten_login_failures_are_deleted_and_live_ones_kept(erp: Erp) {
    let clock = noon();
    let shop = Shop::new(erp.with_clock(clock.clone()));
    shop.user("ana", Role::Operator).await;
    for address in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        let _ = shop
            .erp
            .authenticate_from("ana", "wrong password", address)
            .await;
    }
    clock.advance(Duration::minutes(20));
    for _ in 0..3 {
        let _ = shop
            .erp
            .authenticate_from("ana", "wrong password", "10.0.0.9")
            .await;
    }
    let still_counted = shop
        .erp
        .authenticate_from("ana", "wrong password", "10.0.0.9")
        .await
        .unwrap_err();
    assert!(matches!(still_counted, Error::LoginThrottled { .. }));
    // Three addresses, each with a counter for the name and one for the whole address; batches
    // of two.
    let deleted = shop
        .erp
        .delete_forgotten_login_failures(&shop.admin, 2, 10)
        .await
        .unwrap();
    assert_eq!(deleted, 6);
    assert_eq!(
        shop.erp
            .delete_forgotten_login_failures(&shop.admin, 2, 10)
            .await
            .unwrap(),
        0
    );
    let after = shop
        .erp
        .authenticate_from("ana", "wrong password", "10.0.0.9")
        .await
        .unwrap_err();
    assert!(
        matches!(after, Error::LoginThrottled { .. }),
        "a live counter was deleted: {after:?}"
    );
    let cashier = shop.user("clerk", Role::Operator).await;
    assert!(matches!(
        shop.erp
            .delete_forgotten_login_failures(&cashier, 2, 10)
            .await
            .unwrap_err(),
        Error::Forbidden { .. }
    ));
}

pub async fn the_right_password_from_a_fresh_address_is_let_in(erp: Erp) {
    let clock = noon();
    let shop = Shop::new(erp.with_clock(clock.clone()));
    shop.user("ana", Role::Operator).await;
    for _ in 0..3 {
        assert_eq!(
            shop.erp
                .authenticate_from("ana", "wrong password", "10.0.0.66")
                .await,
            Err(Error::InvalidCredentials)
        );
    }
    // The guessing address waits, even with the right password...
    assert_eq!(
        shop.erp
            .authenticate_from("ana", PASSWORD, "10.0.0.66")
            .await,
        Err(Error::LoginThrottled {
            retry_after_secs: 1
        })
    );
    // ...while Ana, from her own address, is let in.
    shop.erp
        .authenticate_from("ana", PASSWORD, "10.0.0.7")
        .await
        .unwrap();
    // A failure every few minutes keeps nobody out for good: a quiet quarter of an hour and the
    // count is forgotten.
    clock.advance(Duration::minutes(16));
    shop.erp
        .authenticate_from("ana", PASSWORD, "10.0.0.66")
        .await
        .unwrap();
}

pub async fn parallel_wrong_guesses_are_all_counted(erp: Erp) {
    let policy = LoginPolicy {
        failures_per_address: 8,
    };
    let shop = Shop::new(erp.with_clock(noon()).with_login_policy(policy));
    shop.user("ana", Role::Operator).await;
    let guess = |name: String, address: &'static str| {
        let erp = shop.erp.clone();
        tokio::spawn(async move {
            erp.authenticate_from(&name, "wrong password", address)
                .await
                .unwrap_err()
        })
    };
    // Twelve guesses at one name from one address at once: each reads the count the one before
    // it wrote, so only the first three are checked.
    let guesses: Vec<_> = (0..12).map(|_| guess("ana".into(), "10.0.0.1")).collect();
    let mut checked = 0;
    for outcome in guesses {
        match outcome.await.unwrap() {
            Error::InvalidCredentials => checked += 1,
            Error::LoginThrottled { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(checked, 3);
    // Eight guesses at eight names from another address at once: every one is counted, so the
    // address has reached its limit and even the right password waits.
    let guesses: Vec<_> = (0..8)
        .map(|i| guess(format!("guess-{i}"), "10.0.0.2"))
        .collect();
    for outcome in guesses {
        assert_eq!(outcome.await.unwrap(), Error::InvalidCredentials);
    }
    assert!(matches!(
        shop.erp
            .authenticate_from("ana", PASSWORD, "10.0.0.2")
            .await,
        Err(Error::LoginThrottled { .. })
    ));
    shop.erp
        .authenticate_from("ana", PASSWORD, "10.0.0.3")
        .await
        .unwrap();
}

pub async fn the_permission_matrix_is_enforced_for_every_role(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "1.00", 100).await;
    let customer = shop.customer("Ana").await;
    let roles = [
        (Role::Viewer, shop.user("viewer", Role::Viewer).await),
        (Role::Operator, shop.user("operator", Role::Operator).await),
        (Role::Manager, shop.user("manager", Role::Manager).await),
        (Role::Admin, shop.user("admin", Role::Admin).await),
    ];
    for (role, actor) in &roles {
        let allowed = |p: Permission| role.allows(p);
        let check = |permission: Permission, result: Result<(), Error>| {
            if allowed(permission) {
                assert!(result.is_ok(), "{role} should {permission:?}: {result:?}");
            } else {
                assert_eq!(
                    result,
                    Err(Error::Forbidden {
                        role: *role,
                        action: permission
                    }),
                    "{role} must not {permission:?}"
                );
            }
        };
        // Read
        check(
            Permission::Read,
            shop.erp
                .orders(actor, &OrderQuery::default())
                .await
                .map(|_| ()),
        );
        check(
            Permission::Read,
            shop.erp
                .customers(actor, &CustomerQuery::default())
                .await
                .map(|_| ()),
        );
        // Place an order
        let placed = shop
            .order_as(actor, customer.id, &[("TEA-1", 1)], &format!("key-{role}"))
            .await;
        check(
            Permission::CreateOrder,
            placed.as_ref().map(|_| ()).map_err(Clone::clone),
        );
        // Use an order made by the admin for the status checks.
        let order = shop
            .order(customer.id, &[("TEA-1", 1)], &format!("admin-{role}"))
            .await
            .unwrap()
            .order;
        check(
            Permission::ChangeOrderStatus,
            shop.erp
                .change_status(actor, order.id, OrderStatus::Confirmed, None)
                .await
                .map(|_| ()),
        );
        check(
            Permission::CancelOrder,
            shop.erp
                .cancel_order(actor, order.id, None)
                .await
                .map(|_| ()),
        );
        check(
            Permission::ManageCatalog,
            shop.erp
                .create_product(
                    actor,
                    ProductInput {
                        sku: format!("NEW-{role}"),
                        name: "New".into(),
                        price: "1.00".into(),
                        ..Default::default()
                    }
                    .parse()
                    .unwrap(),
                )
                .await
                .map(|_| ()),
        );
        check(
            Permission::CreateCustomer,
            shop.erp
                .create_customer(
                    actor,
                    customer_input("New", &format!("new-{role}@example.com"), None)
                        .parse()
                        .unwrap(),
                )
                .await
                .map(|_| ()),
        );
        let tea = shop
            .erp
            .product_by_sku(actor, &Sku::parse("TEA-1").unwrap())
            .await
            .unwrap();
        check(
            Permission::ManageCatalog,
            shop.erp
                .adjust_stock(
                    actor,
                    tea.id,
                    StockChange::adjustment(1).unwrap(),
                    reason("count"),
                )
                .await
                .map(|_| ()),
        );
        check(
            Permission::ManageUsers,
            shop.erp
                .users(actor, PageRequest::default())
                .await
                .map(|_| ()),
        );
        check(
            Permission::Operate,
            shop.erp.check_invariants(actor).await.map(|_| ()),
        );
    }
    shop.assert_consistent().await;
}

pub async fn a_manager_cannot_make_or_manage_an_admin(erp: Erp) {
    let shop = Shop::new(erp);
    let manager = shop.user("manager", Role::Manager).await;
    let new_user = |name: &str, role| NewUser {
        username: Username::parse(name).unwrap(),
        password: Password::new(PASSWORD).unwrap(),
        role,
    };
    let err = shop
        .erp
        .create_user(&manager, new_user("boss", Role::Admin))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::RoleNotGrantable {
            role: Role::Manager,
            target: Role::Admin
        }
    );
    let clerk = shop
        .erp
        .create_user(&manager, new_user("clerk", Role::Operator))
        .await
        .unwrap();
    let err = shop
        .erp
        .set_user_role(&manager, clerk.id, Role::Admin)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RoleNotGrantable { .. }));
    let admin = shop
        .erp
        .create_user(&shop.admin, new_user("root2", Role::Admin))
        .await
        .unwrap();
    assert!(matches!(
        shop.erp.set_user_active(&manager, admin.id, false).await,
        Err(Error::RoleNotGrantable { .. })
    ));
    assert!(matches!(
        shop.erp
            .change_password(
                &manager,
                admin.id,
                None,
                Password::new("another password").unwrap()
            )
            .await,
        Err(Error::RoleNotGrantable { .. })
    ));
    let promoted = shop
        .erp
        .set_user_role(&manager, clerk.id, Role::Manager)
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Manager);
    let operator = shop.user("oper", Role::Operator).await;
    assert!(matches!(
        shop.erp
            .create_user(&operator, new_user("x-y", Role::Viewer))
            .await,
        Err(Error::Forbidden { .. })
    ));
}

pub async fn role_and_active_change_in_one_transaction(erp: Erp) {
    let shop = Shop::new(erp);
    let manager = shop.user("boss", Role::Manager).await;
    let clerk = shop.user("clerk", Role::Operator).await;
    let id = clerk.user_id().unwrap();
    let both = UserChange {
        role: Some(Role::Viewer),
        active: Some(false),
    };
    let changed = shop.erp.update_user(&manager, id, both).await.unwrap();
    assert_eq!((changed.role, changed.active), (Role::Viewer, false));
    let events = shop
        .erp
        .events_after(&shop.admin, None, 1000)
        .await
        .unwrap();
    let updates = events
        .iter()
        .filter(|e| e.event_type == "UserUpdated" && e.aggregate_id == id.get())
        .count();
    assert_eq!(updates, 1, "one command, one event");

    // Refused as a whole: the grantable part is not applied either.
    let too_high = UserChange {
        role: Some(Role::Admin),
        active: Some(true),
    };
    assert!(matches!(
        shop.erp.update_user(&manager, id, too_high).await,
        Err(Error::RoleNotGrantable { .. })
    ));
    assert!(matches!(
        shop.erp
            .update_user(&manager, id, UserChange::default())
            .await,
        Err(Error::Validation { .. })
    ));
    let user = shop.erp.user(&shop.admin, id).await.unwrap();
    assert_eq!((user.role, user.active), (Role::Viewer, false));
}

pub async fn duplicate_username_is_rejected(erp: Erp) {
    let shop = Shop::new(erp);
    shop.user("ana", Role::Operator).await;
    let err = shop
        .erp
        .create_user(
            &shop.admin,
            NewUser {
                username: Username::parse("ANA").unwrap(),
                password: Password::new(PASSWORD).unwrap(),
                role: Role::Viewer,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::Duplicate {
            field: "username",
            value: "ana".into()
        }
    );
}

pub async fn own_password_change_needs_the_current_password(erp: Erp) {
    let shop = Shop::new(erp);
    let ana = shop.user("ana", Role::Operator).await;
    let id = ana.user_id().unwrap();
    let new = Password::new("a brand new password").unwrap();
    assert_eq!(
        shop.erp
            .change_password(&ana, id, Some("wrong"), new.clone())
            .await
            .unwrap_err(),
        Error::InvalidCredentials
    );
    shop.erp
        .change_password(&ana, id, Some(PASSWORD), new)
        .await
        .unwrap();
    assert_eq!(
        shop.erp.authenticate("ana", PASSWORD).await.unwrap_err(),
        Error::InvalidCredentials
    );
    shop.erp
        .authenticate("ana", "a brand new password")
        .await
        .unwrap();
    // A manager resets it without knowing it.
    let manager = shop.user("boss", Role::Manager).await;
    shop.erp
        .change_password(&manager, id, None, Password::new("reset by boss").unwrap())
        .await
        .unwrap();
    shop.erp.authenticate("ana", "reset by boss").await.unwrap();
}

pub async fn a_deactivated_user_can_neither_log_in_nor_act(erp: Erp) {
    let shop = Shop::new(erp);
    let ana = shop.user("ana", Role::Operator).await;
    let id = ana.user_id().unwrap();
    let manager = shop.user("boss", Role::Manager).await;
    assert!(matches!(
        shop.erp
            .set_user_active(&manager, manager.user_id().unwrap(), false)
            .await,
        Err(Error::Validation { .. })
    ));
    let off = shop.erp.set_user_active(&manager, id, false).await.unwrap();
    assert!(!off.active);
    assert_eq!(
        shop.erp.authenticate("ana", PASSWORD).await.unwrap_err(),
        Error::UserInactive {
            username: "ana".into()
        }
    );
    assert!(matches!(
        shop.erp.actor(id).await,
        Err(Error::UserInactive { .. })
    ));
    shop.erp.set_user_active(&manager, id, true).await.unwrap();
    shop.erp.authenticate("ana", PASSWORD).await.unwrap();
}

/// An open till keeps the `Actor` it got at login; every command must still read the user afresh.
pub async fn an_actor_deactivated_or_demoted_after_login_is_refused_by_the_next_command(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("TEA-1", "1.00", 10).await;
    let customer = shop.customer("Ana").await;
    let manager = shop.user("boss", Role::Manager).await;
    let cashier = shop.user("cashier", Role::Operator).await;
    let clerk = shop.user("clerk", Role::Manager).await;
    shop.order_as(&cashier, customer.id, &[("TEA-1", 1)], "before")
        .await
        .unwrap();

    shop.erp
        .set_user_active(&manager, cashier.user_id().unwrap(), false)
        .await
        .unwrap();
    let inactive = Error::UserInactive {
        username: "cashier".into(),
    };
    assert_eq!(
        shop.order_as(&cashier, customer.id, &[("TEA-1", 1)], "after")
            .await
            .unwrap_err(),
        inactive
    );
    // A replay of a sale made while active is refused too: nothing is done in their name.
    assert_eq!(
        shop.order_as(&cashier, customer.id, &[("TEA-1", 1)], "before")
            .await
            .unwrap_err(),
        inactive
    );
    let order = shop
        .order(customer.id, &[("TEA-1", 1)], "admin")
        .await
        .unwrap()
        .order;
    assert_eq!(
        shop.erp
            .change_status(&cashier, order.id, OrderStatus::Confirmed, None)
            .await
            .unwrap_err(),
        inactive
    );
    assert_eq!(
        shop.erp.issue_refresh_token(&cashier).await.unwrap_err(),
        inactive
    );
    assert_eq!(
        shop.stock("TEA-1").await,
        (10, 2),
        "only the two sales made"
    );

    // Demoted to viewer: the stale actor still says manager, the database says viewer.
    shop.erp
        .set_user_role(&shop.admin, clerk.user_id().unwrap(), Role::Viewer)
        .await
        .unwrap();
    assert_eq!(clerk.role(), Role::Manager);
    assert_eq!(
        shop.erp
            .cancel_order(&clerk, order.id, None)
            .await
            .unwrap_err(),
        Error::Forbidden {
            role: Role::Viewer,
            action: Permission::CancelOrder
        }
    );
    assert_eq!(
        shop.erp
            .set_user_active(&clerk, cashier.user_id().unwrap(), true)
            .await
            .unwrap_err(),
        Error::Forbidden {
            role: Role::Viewer,
            action: Permission::ManageUsers
        }
    );

    // Reactivated, the same open till sells again.
    shop.erp
        .set_user_active(&manager, cashier.user_id().unwrap(), true)
        .await
        .unwrap();
    shop.order_as(&cashier, customer.id, &[("TEA-1", 1)], "after")
        .await
        .unwrap();
    shop.assert_consistent().await;
}

pub async fn refresh_tokens_rotate_and_a_reused_one_revokes_its_family(erp: Erp) {
    let shop = Shop::new(erp);
    let ana = shop.user("ana", Role::Operator).await;
    let first = shop.erp.issue_refresh_token(&ana).await.unwrap();
    let second = shop.erp.rotate_refresh_token(&first.token).await.unwrap();
    assert_eq!(second.actor.user_id(), ana.user_id());
    assert_ne!(second.token, first.token);
    // The old token comes back: someone copied it. Both holders are logged out.
    assert_eq!(
        shop.erp
            .rotate_refresh_token(&first.token)
            .await
            .unwrap_err(),
        Error::InvalidToken
    );
    assert_eq!(
        shop.erp
            .rotate_refresh_token(&second.token)
            .await
            .unwrap_err(),
        Error::InvalidToken
    );
    // Logout revokes a fresh family.
    let other = shop.erp.issue_refresh_token(&ana).await.unwrap();
    shop.erp.revoke_refresh_token(&other.token).await.unwrap();
    assert_eq!(
        shop.erp
            .rotate_refresh_token(&other.token)
            .await
            .unwrap_err(),
        Error::InvalidToken
    );
    assert_eq!(
        shop.erp.rotate_refresh_token("garbage").await.unwrap_err(),
        Error::InvalidToken
    );
    // A password change ends every session.
    let session = shop.erp.issue_refresh_token(&ana).await.unwrap();
    shop.erp
        .change_password(
            &ana,
            ana.user_id().unwrap(),
            Some(PASSWORD),
            Password::new("new password!").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        shop.erp
            .rotate_refresh_token(&session.token)
            .await
            .unwrap_err(),
        Error::InvalidToken
    );
}

// ---------------------------------------------------------------------------------------------
// Events, demo data, invariants

pub async fn every_command_writes_its_event_to_the_outbox(erp: Erp) {
    let shop = Shop::new(erp);
    let tea = shop.product("TEA-1", "2.00", 10).await;
    let ana = shop.customer("Ana").await;
    let order = shop
        .order(ana.id, &[("TEA-1", 3)], "k1")
        .await
        .unwrap()
        .order;
    shop.order(ana.id, &[("TEA-1", 3)], "k1").await.unwrap(); // replay: no new event
    shop.erp
        .change_status(&shop.admin, order.id, OrderStatus::Confirmed, None)
        .await
        .unwrap();
    shop.erp
        .cancel_order(&shop.admin, order.id, None)
        .await
        .unwrap();
    shop.erp
        .adjust_stock(
            &shop.admin,
            tea.id,
            StockChange::adjustment(-1).unwrap(),
            reason("broken"),
        )
        .await
        .unwrap();
    let events = shop.erp.events_after(&shop.admin, None, 100).await.unwrap();
    let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        vec![
            "ProductCreated",
            "CustomerCreated",
            "OrderCreated",
            "OrderStatusChanged",
            "OrderCancelled",
            "StockAdjusted"
        ]
    );
    assert!(events.windows(2).all(|w| w[0].id < w[1].id), "ids increase");
    match events[2].decode().unwrap() {
        DomainEvent::OrderCreated {
            order_id,
            total,
            lines,
            ..
        } => {
            assert_eq!(order_id, order.id);
            assert_eq!(total.to_string(), "6.00");
            assert_eq!(lines, vec![("TEA-1".to_string(), 3)]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(events[2].aggregate_type, "order");
    assert_eq!(events[2].aggregate_id, order.id.get());
    // A failed command writes nothing.
    let _ = shop
        .order(ana.id, &[("TEA-1", 999)], "k2")
        .await
        .unwrap_err();
    let after = shop
        .erp
        .events_after(&shop.admin, Some(events[5].id), 100)
        .await
        .unwrap();
    assert!(after.is_empty());
}

pub async fn published_events_leave_the_unpublished_queue(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("A", "1.00", 1).await;
    shop.product("B", "1.00", 1).await;
    shop.product("C", "1.00", 1).await;
    let pending = shop.erp.unpublished_events(&shop.admin, 10).await.unwrap();
    assert_eq!(pending.len(), 3);
    let first_two: Vec<EventId> = pending[..2].iter().map(|e| e.id).collect();
    shop.erp
        .mark_events_published(&shop.admin, &first_two)
        .await
        .unwrap();
    let left = shop.erp.unpublished_events(&shop.admin, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, pending[2].id);
    let all = shop.erp.events_after(&shop.admin, None, 10).await.unwrap();
    assert!(all[0].published_at.is_some() && all[2].published_at.is_none());
}

pub async fn the_outbox_backlog_counts_what_waits_and_since_when(erp: Erp) {
    let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
    let shop = Shop::new(erp.with_clock(clock.clone()));
    let empty = shop.erp.outbox_backlog(&shop.admin).await.unwrap();
    assert_eq!((empty.unpublished, empty.oldest), (0, None));
    shop.product("A", "1.00", 1).await;
    clock.advance(Duration::minutes(5));
    shop.product("B", "1.00", 1).await;
    shop.product("C", "1.00", 1).await;
    let events = shop.erp.events_after(&shop.admin, None, 10).await.unwrap();
    let backlog = shop.erp.outbox_backlog(&shop.admin).await.unwrap();
    assert_eq!(backlog.unpublished, 3);
    assert_eq!(backlog.oldest, Some(events[0].occurred_at));
    shop.erp
        .mark_events_published(&shop.admin, &[events[0].id])
        .await
        .unwrap();
    let backlog = shop.erp.outbox_backlog(&shop.admin).await.unwrap();
    assert_eq!(backlog.unpublished, 2);
    assert_eq!(backlog.oldest, Some(events[1].occurred_at));
    assert_eq!(
        events[1].occurred_at - events[0].occurred_at,
        Duration::minutes(5)
    );
    let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
    shop.erp
        .mark_events_published(&shop.admin, &ids)
        .await
        .unwrap();
    let done = shop.erp.outbox_backlog(&shop.admin).await.unwrap();
    assert_eq!((done.unpublished, done.oldest), (0, None));
}

pub async fn published_events_are_deleted_after_their_retention_and_unpublished_ones_kept(
    erp: Erp,
) {
    let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap());
    let shop = Shop::new(erp.with_clock(clock.clone()));
    for sku in ["A", "B", "C", "D", "E"] {
        shop.product(sku, "1.00", 1).await;
    }
    let events = shop.erp.events_after(&shop.admin, None, 10).await.unwrap();
    assert_eq!(events.len(), 5);
    let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
    // A, B and C published at 9:00; D an hour later; E never.
    shop.erp
        .mark_events_published(&shop.admin, &ids[..3])
        .await
        .unwrap();
    clock.advance(Duration::hours(1));
    shop.erp
        .mark_events_published(&shop.admin, &ids[3..4])
        .await
        .unwrap();
    let day = std::time::Duration::from_secs(24 * 3600);
    let minutes_30 = std::time::Duration::from_secs(30 * 60);
    // Nothing is older than a day yet.
    let deleted = shop
        .erp
        .delete_published_events(&shop.admin, day, 2, 10)
        .await
        .unwrap();
    assert_eq!(deleted, 0);
    // Past 30 minutes: the three published at 9:00 go, in batches of two.
    clock.advance(Duration::minutes(1));
    let deleted = shop
        .erp
        .delete_published_events(&shop.admin, minutes_30, 2, 10)
        .await
        .unwrap();
    assert_eq!(deleted, 3);
    let left: Vec<EventId> = shop
        .erp
        .events_after(&shop.admin, None, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(left, ids[3..].to_vec());
    // A week later, only the unpublished one is left; one batch per call when asked so.
    clock.advance(Duration::days(7));
    let deleted = shop
        .erp
        .delete_published_events(&shop.admin, minutes_30, 1, 1)
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    let left = shop.erp.events_after(&shop.admin, None, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, ids[4]);
    assert!(left[0].published_at.is_none());
    let pending = shop.erp.unpublished_events(&shop.admin, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    // Only an operator may delete events.
    let viewer = shop.user("vera", Role::Viewer).await;
    let refused = shop
        .erp
        .delete_published_events(&viewer, minutes_30, 10, 10)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Forbidden { .. }), "{refused:?}");
}

pub async fn demo_data_loads_once_and_is_consistent(erp: Erp) {
    let shop = Shop::new(erp);
    shop.product("COF-250", "1.00", 1).await; // an existing SKU is left alone
    let report = shop.erp.seed_demo(&shop.admin).await.unwrap();
    assert!(report.products >= 30, "{report:?}");
    assert_eq!(report.customers, 6);
    let again = shop.erp.seed_demo(&shop.admin).await.unwrap_err();
    assert!(matches!(again, Error::AlreadyDone { .. }));
    let products = shop
        .erp
        .products(&shop.admin, &ProductQuery::default())
        .await
        .unwrap();
    assert_eq!(products.total as usize, report.products + 1);
    let kept = shop
        .erp
        .product_by_sku(&shop.admin, &Sku::parse("COF-250").unwrap())
        .await
        .unwrap();
    assert_eq!(kept.price.to_string(), "1.00");
    let walk_in = shop
        .erp
        .customers(
            &shop.admin,
            &CustomerQuery {
                search: term("walk-in"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(walk_in.total, 1);
    shop.assert_consistent().await;
}

pub async fn a_mixed_workload_keeps_every_invariant(erp: Erp) {
    let shop = Shop::new(erp);
    let operator = shop.user("oper", Role::Operator).await;
    let skus = ["A", "B", "C", "D"];
    for sku in skus {
        shop.product(sku, "3.30", 20).await;
    }
    let ana = shop.customer("Ana").await;
    let mut open = Vec::new();
    for i in 0..24i64 {
        let a = skus[(i % 4) as usize];
        let b = skus[((i + 1) % 4) as usize];
        match shop
            .order_as(
                &operator,
                ana.id,
                &[(a, 1 + i % 3), (b, 1)],
                &format!("w-{i}"),
            )
            .await
        {
            Ok(receipt) => open.push(receipt.order),
            Err(Error::InsufficientStock { .. }) => {}
            Err(other) => panic!("unexpected {other}"),
        }
        if i % 5 == 4
            && let Some(order) = open.pop()
        {
            shop.erp
                .cancel_order(&shop.admin, order.id, None)
                .await
                .unwrap();
        }
        if i % 7 == 6
            && let Some(order) = open.pop()
        {
            shop.advance(&order, OrderStatus::Shipped).await;
        }
    }
    shop.assert_consistent().await;
}
