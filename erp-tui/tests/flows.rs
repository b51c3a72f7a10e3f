//! Whole sales driven key by key against a real SQLite store, then checked in the database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_shows, logged_in, shop, sqlite, user};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use erp_core::domain::{OrderQuery, Role, Sku};
use erp_core::{Actor, Erp};
use erp_tui::cart::{self, Cart};
use erp_tui::msg::Msg;

async fn stock(erp: &Erp, sku: &str) -> (i64, i64) {
    let p = erp
        .product_by_sku(&Actor::system(), &Sku::parse(sku).unwrap())
        .await
        .unwrap();
    (p.on_hand, p.reserved)
}

async fn orders(erp: &Erp) -> Vec<erp_core::domain::Order> {
    erp.orders(&Actor::system(), &OrderQuery::default())
        .await
        .unwrap()
        .items
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[tokio::test]
async fn a_whole_sale_reserves_stock_and_a_double_confirm_makes_one_order() {
    let db = sqlite();
    let erp = shop(&db.url, true).await;
    user(&erp, "clerk", Role::Operator).await;
    let cart_file = db.dir.path().join("erp.db.cart.json");
    let mut app = logged_in(&erp, "clerk", Cart::default(), Some(cart_file.clone())).await;

    // Search by name, take the highlighted result.
    app.type_text("green tea").await;
    assert_shows(&app.screen(), &["TEA-GRN-20"]);
    app.press(KeyCode::Enter).await;
    // An exact SKU with a quantity: added at once.
    app.type_text("3*cof-250").await;
    app.press(KeyCode::Enter).await;
    // One more coffee from the cart, then a quantity typed for the tea.
    app.press(KeyCode::Tab).await;
    app.press(KeyCode::Char('+')).await;
    app.press(KeyCode::Up).await;
    app.press(KeyCode::Enter).await;
    app.press(KeyCode::Backspace).await;
    app.type_text("2").await;
    app.press(KeyCode::Enter).await;
    assert_shows(&app.screen(), &["6 item(s)", "TOTAL 119.20"]);
    // A named customer instead of the walk-in default.
    app.press(KeyCode::F(8)).await;
    app.type_text("souza").await;
    assert_shows(&app.screen(), &["Ana Beatriz Souza"]);
    app.press(KeyCode::Enter).await;
    assert_shows(&app.screen(), &["Customer: Ana Beatriz Souza"]);
    let saved = cart::load(&cart_file);
    assert_eq!(
        saved.lines.len(),
        2,
        "the cart is on disk after every change"
    );
    let key_before = saved.key.clone().unwrap();

    // Enter pressed twice before the first answer arrives: the second waits for the first.
    let mut tasks = app.app.update(key(KeyCode::F(9)));
    tasks.extend(app.app.update(key(KeyCode::F(9))));
    assert_eq!(tasks.len(), 1, "one order request in flight");
    app.run(tasks).await;
    assert_shows(
        &app.screen(),
        &["Order #1 placed: 6 item(s), total 119.20."],
    );
    // And once more after it: the cart is empty now.
    app.press(KeyCode::F(9)).await;
    assert_shows(&app.screen(), &["The cart is empty."]);

    let placed = orders(&erp).await;
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].idempotency_key.as_str(), key_before);
    assert_eq!(placed[0].total.to_string(), "119.20");
    assert_eq!(stock(&erp, "TEA-GRN-20").await, (45, 2));
    assert_eq!(stock(&erp, "COF-250").await, (60, 4));
    assert!(
        cart::load(&cart_file).lines.is_empty(),
        "the placed cart is gone from disk"
    );
    let found = erp.check_invariants(&Actor::system()).await.unwrap();
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn a_new_customer_is_created_without_leaving_the_sale() {
    let db = sqlite();
    let erp = shop(&db.url, true).await;
    let mut app = logged_in(&erp, "root", Cart::default(), None).await;
    app.type_text("bag-reuse").await;
    app.press(KeyCode::Enter).await;
    app.press(KeyCode::F(7)).await;
    assert_shows(&app.screen(), &["New customer", "E-mail:", "CPF / CNPJ:"]);
    app.type_text("Zé Ninguém").await;
    app.press(KeyCode::Enter).await;
    app.type_text("not an email").await;
    app.press(KeyCode::Enter).await;
    app.press(KeyCode::Enter).await;
    app.press(KeyCode::Enter).await;
    assert_shows(&app.screen(), &["email: must contain an @"]);
    // Back up from the last field to the e-mail.
    app.press(KeyCode::Up).await;
    app.press(KeyCode::Up).await;
    for _ in 0.."not an email".len() {
        app.press(KeyCode::Backspace).await;
    }
    app.type_text("ze@example.com").await;
    for _ in 0..3 {
        app.press(KeyCode::Enter).await;
    }
    assert_shows(&app.screen(), &["Customer: Zé Ninguém"]);
    app.press(KeyCode::F(9)).await;
    let placed = orders(&erp).await;
    assert_eq!(placed.len(), 1);
    let customer = erp
        .customer(&Actor::system(), placed[0].customer_id)
        .await
        .unwrap();
    assert_eq!(customer.name.as_str(), "Zé Ninguém");
}

#[tokio::test]
async fn insufficient_stock_names_the_line_and_keeps_the_cart() {
    let db = sqlite();
    let erp = shop(&db.url, true).await;
    let mut app = logged_in(&erp, "root", Cart::default(), None).await;
    app.type_text("5*TEA-CHAM-15").await;
    app.press(KeyCode::Enter).await;
    assert_shows(
        &app.screen(),
        &["5 in the cart, but only 4 of TEA-CHAM-15 available."],
    );
    app.press(KeyCode::F(9)).await;
    assert_shows(
        &app.screen(),
        &[
            "Not enough TEA-CHAM-15: 5 requested, 4 available. The cart is kept.",
            "5 item(s)",
        ],
    );
    assert!(orders(&erp).await.is_empty());
    // Fix the quantity and confirm: same key, now it goes through.
    app.press(KeyCode::Tab).await;
    app.press(KeyCode::Char('-')).await;
    app.press(KeyCode::F(9)).await;
    assert_shows(&app.screen(), &["Order #1 placed: 4 item(s)"]);
    assert_eq!(stock(&erp, "TEA-CHAM-15").await, (4, 4));
}

#[tokio::test]
async fn a_restart_restores_the_cart_and_never_orders_twice() {
    let db = sqlite();
    let erp = shop(&db.url, true).await;
    let cart_file = db.dir.path().join("erp.db.cart.json");
    let mut first = logged_in(&erp, "root", Cart::default(), Some(cart_file.clone())).await;
    first.type_text("2*MLK-1L").await;
    first.press(KeyCode::Enter).await;
    // The order goes through but the till dies before it hears back: the request is made, its
    // answer is dropped, and the app is gone.
    let tasks = first.app.update(key(KeyCode::F(9)));
    assert_eq!(tasks.len(), 1);
    for task in tasks {
        let _lost_answer = task.run(erp.clone()).await;
    }
    drop(first);
    assert_eq!(orders(&erp).await.len(), 1);

    // The till restarts: the cart comes back from disk with its key, and confirming it again
    // finds the order already placed instead of placing another.
    let restored = cart::load(&cart_file);
    assert_eq!(restored.lines.len(), 1);
    let mut second = logged_in(&erp, "root", restored, Some(cart_file.clone())).await;
    assert_shows(&second.screen(), &["MLK-1L", "2 item(s)"]);
    second.press(KeyCode::F(9)).await;
    assert_shows(
        &second.screen(),
        &["Order #1 placed", "already gone through"],
    );
    assert_eq!(orders(&erp).await.len(), 1);
    assert_eq!(stock(&erp, "MLK-1L").await, (96, 2));
}

#[tokio::test]
async fn two_tills_on_one_database_see_each_others_orders() {
    let db = sqlite();
    let erp = shop(&db.url, true).await;
    // Two apps, each with its own connection pool to the same file, as two tills would be.
    let other = Erp::connect(&db.url, &erp_core::ConnectOptions::default())
        .await
        .unwrap();
    let mut left = logged_in(&erp, "root", Cart::default(), None).await;
    let mut right = logged_in(&other, "root", Cart::default(), None).await;
    right.press(KeyCode::F(3)).await;
    left.press(KeyCode::F(3)).await;
    assert_shows(&right.screen(), &["(0 orders)"]);

    left.press(KeyCode::F(2)).await;
    left.type_text("SALT-1K").await;
    left.press(KeyCode::Enter).await;
    left.press(KeyCode::F(9)).await;
    assert_shows(&left.screen(), &["Order #1 placed"]);
    // The orders list refreshes itself every two ticks (seconds).
    right.tick().await;
    right.tick().await;
    assert_shows(
        &right.screen(),
        &["#1", "Walk-in customer", "PENDING", "3.19", "(1 order)"],
    );

    right.press(KeyCode::F(2)).await;
    right.type_text("2*SALT-1K").await;
    right.press(KeyCode::Enter).await;
    right.press(KeyCode::F(9)).await;
    left.press(KeyCode::F(3)).await;
    left.tick().await;
    left.tick().await;
    assert_shows(&left.screen(), &["#2", "#1", "6.38", "(2 orders)"]);
}

#[tokio::test]
async fn order_moves_follow_the_state_machine_and_the_role() {
    let db = sqlite();
    let erp = shop(&db.url, true).await;
    user(&erp, "boss", Role::Manager).await;
    let mut app = logged_in(&erp, "boss", Cart::default(), None).await;
    app.type_text("PEN-BLU-3").await;
    app.press(KeyCode::Enter).await;
    app.press(KeyCode::F(9)).await;
    app.press(KeyCode::F(3)).await;
    app.press(KeyCode::Enter).await;
    // Shipping is not offered for a pending order; pressing it does nothing.
    app.press(KeyCode::Char('s')).await;
    assert_shows(&app.screen(), &["PENDING"]);
    app.press(KeyCode::Char('c')).await;
    assert_shows(&app.screen(), &["CONFIRMED", "p pick", "x cancel order"]);
    app.press(KeyCode::Char('x')).await;
    assert_shows(
        &app.screen(),
        &["Cancel order #1?", "Its reserved stock goes back"],
    );
    app.press(KeyCode::Char('n')).await;
    assert_shows(&app.screen(), &["CONFIRMED"]);
    app.press(KeyCode::Char('x')).await;
    app.press(KeyCode::Char('y')).await;
    assert_shows(
        &app.screen(),
        &["Order #1 is now CANCELLED.", "none (final)"],
    );
    assert_eq!(stock(&erp, "PEN-BLU-3").await, (64, 0));
    let history = erp
        .order_history(&Actor::system(), erp_core::domain::OrderId(1))
        .await
        .unwrap();
    assert_eq!(history.len(), 3);
}

#[tokio::test]
async fn a_refused_product_form_stays_open_with_the_reason_and_saves_once_fixed() {
    let db = sqlite();
    let erp = shop(&db.url, false).await;
    let mut app = logged_in(&erp, "root", Cart::default(), None).await;
    app.press(KeyCode::F(4)).await;
    app.press(KeyCode::Char('n')).await;
    for (value, last) in [
        ("NEW-1", false),
        ("Thing", false),
        ("12.345", false),
        ("", false),
        ("", true),
    ] {
        app.type_text(value).await;
        app.press(KeyCode::Enter).await;
        if last {
            break;
        }
    }
    // Three decimals are not money: the form stays open, says why, and keeps what was typed.
    let screen = app.screen();
    assert_shows(
        &screen,
        &[
            "New product",
            "price: must have at most two decimal places",
            "12.345",
            "Thing",
        ],
    );
    assert!(
        erp.product_by_sku(&Actor::system(), &Sku::parse("NEW-1").unwrap())
            .await
            .is_err(),
        "nothing saved"
    );
    // Back to the price, fix it, submit from the last field.
    for _ in 0..2 {
        app.press(KeyCode::Up).await;
    }
    app.press(KeyCode::Backspace).await;
    for _ in 0..2 {
        app.press(KeyCode::Down).await;
    }
    app.press(KeyCode::Enter).await;
    assert!(!app.screen().contains("New product"), "the form closed");
    let saved = erp
        .product_by_sku(&Actor::system(), &Sku::parse("NEW-1").unwrap())
        .await
        .unwrap();
    assert_eq!(saved.price.to_string(), "12.34");
    // Esc on a new form closes it without saving anything.
    app.press(KeyCode::Char('n')).await;
    app.type_text("NEW-2").await;
    app.press(KeyCode::Esc).await;
    assert!(!app.screen().contains("New product"));
    assert!(
        erp.product_by_sku(&Actor::system(), &Sku::parse("NEW-2").unwrap())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_stock_receipt_entered_twice_moves_stock_once() {
    let db = sqlite();
    let erp = shop(&db.url, true).await;
    let mut app = logged_in(&erp, "root", Cart::default(), None).await;
    app.press(KeyCode::F(4)).await;
    // The first product of the demo catalogue, by SKU order.
    let first = erp
        .products(&Actor::system(), &erp_core::domain::ProductQuery::default())
        .await
        .unwrap()
        .items[0]
        .clone();
    app.press(KeyCode::Char('r')).await;
    assert_shows(&app.screen(), &["Stock of", first.sku.as_str()]);
    app.press(KeyCode::Enter).await;
    app.type_text("12").await;
    app.press(KeyCode::Enter).await;
    app.type_text("delivery 88").await;
    // Enter twice before the first answer arrives: two requests, one key.
    let mut tasks = app.app.update(key(KeyCode::Enter));
    tasks.extend(app.app.update(key(KeyCode::Enter)));
    assert_eq!(tasks.len(), 2, "both presses reached the database");
    app.run(tasks).await;
    assert_shows(&app.screen(), &["saved: on hand"]);
    let sku = first.sku.as_str();
    assert_eq!(
        stock(&erp, sku).await,
        (first.on_hand + 12, first.reserved),
        "the stock moved once"
    );
    let found = erp.check_invariants(&Actor::system()).await.unwrap();
    assert!(found.is_empty(), "{found:?}");
}

/// Item 4 of issue 9: a till left open by a user a manager deactivated no longer sells.
#[tokio::test]
async fn a_user_deactivated_while_logged_in_cannot_sell_and_is_logged_out() {
    let db = sqlite();
    let erp = shop(&db.url, true).await;
    user(&erp, "clerk", Role::Operator).await;
    let mut app = logged_in(&erp, "clerk", Cart::default(), None).await;
    app.type_text("SALT-1K").await;
    app.press(KeyCode::Enter).await;
    let clerk = erp
        .users(&Actor::system(), erp_core::domain::PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|u| u.username.as_str() == "clerk")
        .unwrap();
    erp.set_user_active(&Actor::system(), clerk.id, false)
        .await
        .unwrap();

    app.press(KeyCode::F(9)).await;
    let screen = app.screen();
    assert_shows(
        &screen,
        &["User clerk is deactivated; ask a manager.", "Username:"],
    );
    assert!(orders(&erp).await.is_empty(), "nothing was sold");
}
