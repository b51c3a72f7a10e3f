//! Real concurrency on real databases: many tasks on separate connections (and, on MySQL, two
//! operating-system processes) racing for the same stock and the same idempotency key. Every test
//! ends with the invariant check on the database itself.
//!
//! MySQL tests need `ERP_TEST_MYSQL_URL` (skipped without it unless `ERP_REQUIRE_SERVICES=1`).
//! The same races run on a three-node Galera cluster (`ERP_TEST_GALERA_URLS`, see `.ci/galera`)
//! with the tasks' connections spread over the nodes, where row locks are local to a node and a
//! conflict between nodes surfaces at COMMIT.

#![cfg(all(not(loom), feature = "sqlite", feature = "mysql"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod common;

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{Backend, TestDb};
use erp_core::domain::{
    CustomerId, IdempotencyKey, OrderQuery, OrderStatus, PageRequest, ProductQuery, Quantity,
    Reason, StockChange,
};
use erp_core::input::{CustomerInput, OrderInput, OrderLineInput, ProductInput};
use erp_core::{Actor, ConnectOptions, Erp, Error};

/// These tests open up to 64 connections each; running two at once could exhaust the MySQL
/// server's connection limit, so they take turns (within this test binary).
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    TURN.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

fn options(connections: u32) -> ConnectOptions {
    ConnectOptions {
        max_connections: connections,
        acquire_timeout: Duration::from_secs(60),
        ..ConnectOptions::default()
    }
}

async fn product(erp: &Erp, sku: &str, stock: i64) {
    let input = ProductInput {
        sku: sku.into(),
        name: format!("Product {sku}"),
        price: "2.50".into(),
        initial_stock: Some(stock),
        reorder_level: None,
    };
    erp.create_product(&Actor::system(), input.parse().unwrap())
        .await
        .unwrap();
}

async fn customer(erp: &Erp, name: &str) -> CustomerId {
    let input = CustomerInput {
        name: name.into(),
        email: format!("{name}@example.com"),
        ..Default::default()
    };
    erp.create_customer(&Actor::system(), input.parse().unwrap())
        .await
        .unwrap()
        .id
}

fn order(customer: CustomerId, lines: &[(&str, i64)], key: &str) -> erp_core::domain::NewOrder {
    OrderInput {
        customer_id: customer.get(),
        lines: lines
            .iter()
            .map(|(sku, quantity)| OrderLineInput {
                sku: (*sku).into(),
                quantity: *quantity,
            })
            .collect(),
        note: None,
    }
    .parse(key)
    .unwrap()
}

async fn assert_consistent(erp: &Erp) {
    let found = erp.check_invariants(&Actor::system()).await.unwrap();
    assert!(found.is_empty(), "inconsistencies: {found:#?}");
}

/// The invariant check on every node, once each has applied everything, and every node showing
/// the same stock.
async fn assert_consistent_everywhere(db: &TestDb) {
    db.sync_nodes().await;
    let mut figures = Vec::new();
    for erp in db.erps(&options(2)).await {
        assert_consistent(&erp).await;
        let page = ProductQuery {
            page: PageRequest::new(0, 500).unwrap(),
            ..Default::default()
        };
        let products = erp.products(&Actor::system(), &page).await.unwrap();
        let stock: Vec<(String, i64, i64)> = products
            .items
            .iter()
            .map(|p| (p.sku.to_string(), p.on_hand, p.reserved))
            .collect();
        figures.push(stock);
    }
    assert!(
        figures.windows(2).all(|w| w[0] == w[1]),
        "the nodes disagree: {figures:?}"
    );
}

async fn stock(erp: &Erp, sku: &str) -> (i64, i64) {
    let p = erp
        .product_by_sku(
            &Actor::system(),
            &erp_core::domain::Sku::parse(sku).unwrap(),
        )
        .await
        .unwrap();
    (p.on_hand, p.reserved)
}

async fn with_db(backend: Backend, connections: u32) -> Option<TestDb> {
    common::open(backend, &options(connections)).await
}

// ---------------------------------------------------------------------------------------------

/// 64 tasks, each with a store (and so a connection) of its own, as if 64 tills were open,
/// order one unit of a product with 10 left: exactly ten succeed, the rest are told there is no
/// stock, and the stock figures are exact.
async fn last_units_are_sold_exactly_once(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 2).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "LAST", 10).await;
    let buyer = customer(&erp, "buyer").await;
    db.sync_nodes().await;
    let mut tills = Vec::new();
    for i in 0..64 {
        tills.push(Erp::connect(db.node(i), &options(1)).await.unwrap());
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(64));
    let mut tasks = Vec::new();
    for (i, till) in tills.into_iter().enumerate() {
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            till.create_order(
                &Actor::system(),
                &order(buyer, &[("LAST", 1)], &format!("t{i}")),
            )
            .await
        }));
    }
    let mut sold = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(receipt) => {
                assert!(!receipt.replayed);
                sold += 1;
            }
            Err(Error::InsufficientStock { available, .. }) => {
                assert_eq!(available, 0);
                refused += 1;
            }
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((sold, refused), (10, 54));
    db.sync_nodes().await;
    assert_eq!(stock(&erp, "LAST").await, (10, 10));
    assert_consistent_everywhere(&db).await;
    db.remove().await;
}

/// 32 identical requests with one idempotency key at the same moment: one order, and every one of
/// the 32 answers carries its id.
async fn one_key_makes_one_order_under_concurrency(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 32).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "KEY", 100).await;
    let buyer = customer(&erp, "buyer").await;
    db.sync_nodes().await;
    let request = order(buyer, &[("KEY", 3)], "the-one-key");
    let erps = db.erps(&options(11)).await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let erp = erps[i % erps.len()].clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            erp.create_order(&Actor::system(), &request).await
        }));
    }
    let mut ids = HashSet::new();
    let mut originals = 0;
    for task in tasks {
        let receipt = task.await.unwrap().unwrap();
        ids.insert(receipt.order.id);
        if !receipt.replayed {
            originals += 1;
        }
    }
    assert_eq!(ids.len(), 1, "all answers carry the same order");
    assert_eq!(originals, 1, "exactly one answer created it");
    db.sync_nodes().await;
    let orders = erp
        .orders(&Actor::system(), &OrderQuery::default())
        .await
        .unwrap();
    assert_eq!(orders.total, 1);
    assert_eq!(stock(&erp, "KEY").await, (100, 3));
    assert_consistent_everywhere(&db).await;
    db.remove().await;
}

/// 32 tasks sending one stock receipt with one key at once (a client retrying over several
/// connections): the stock moves once, one answer made the change and the rest are replays.
async fn one_key_moves_stock_once_under_concurrency(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 32).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "RCV", 10).await;
    let id = erp
        .product_by_sku(
            &Actor::system(),
            &erp_core::domain::Sku::parse("RCV").unwrap(),
        )
        .await
        .unwrap()
        .id;
    db.sync_nodes().await;
    let key = IdempotencyKey::parse("delivery-4711").unwrap();
    let erps = db.erps(&options(11)).await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let erp = erps[i % erps.len()].clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let change = StockChange::Receipt(Quantity::new(7).unwrap());
            let why = Reason::parse("delivery 4711").unwrap();
            erp.adjust_stock_once(&Actor::system(), id, change, why, &key)
                .await
        }));
    }
    let mut originals = 0;
    for task in tasks {
        if !task.await.unwrap().unwrap().replayed {
            originals += 1;
        }
    }
    assert_eq!(originals, 1, "exactly one answer moved the stock");
    db.sync_nodes().await;
    assert_eq!(stock(&erp, "RCV").await, (17, 0));
    assert_consistent_everywhere(&db).await;
    db.remove().await;
}

/// Ten seconds of 32 tasks placing, cancelling, moving along and restocking orders over 50
/// products, then the invariant check on the database: movement sums equal stock, reserved equals
/// open quantities, every history is a legal path.
async fn mixed_workload_keeps_the_invariants(backend: Backend, seconds: u64) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 32).await else {
        return;
    };
    let erp = db.erp.clone();
    let skus: Vec<String> = (0..50).map(|i| format!("MIX-{i:02}")).collect();
    for sku in &skus {
        product(&erp, sku, 40).await;
    }
    let buyers = [customer(&erp, "ana").await, customer(&erp, "bia").await];
    db.sync_nodes().await;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let erps = db.erps(&options(11)).await;
    let mut tasks = Vec::new();
    for worker in 0..32u64 {
        let erp = erps[usize::try_from(worker).unwrap() % erps.len()].clone();
        let skus = skus.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(worker);
            let mut mine = Vec::new();
            let mut outcomes = [0u32; 4];
            let mut step = 0u64;
            while Instant::now() < deadline {
                step += 1;
                let action = rng.u8(0..10);
                let result: Result<(), Error> = match action {
                    0..=4 => {
                        let a = &skus[rng.usize(0..skus.len())];
                        let b = &skus[rng.usize(0..skus.len())];
                        let lines: Vec<(&str, i64)> = if a == b {
                            vec![(a.as_str(), rng.i64(1..4))]
                        } else {
                            vec![(a.as_str(), rng.i64(1..4)), (b.as_str(), rng.i64(1..3))]
                        };
                        let buyer = buyers[rng.usize(0..2)];
                        let key = format!("w{worker}-s{step}");
                        erp.create_order(&Actor::system(), &order(buyer, &lines, &key))
                            .await
                            .map(|r| mine.push(r.order.id))
                    }
                    5 | 6 if !mine.is_empty() => {
                        let id = mine[rng.usize(0..mine.len())];
                        let current = erp.order(&Actor::system(), id).await.unwrap();
                        match current.status.next().first() {
                            Some(next) => erp
                                .change_status(&Actor::system(), id, *next, None)
                                .await
                                .map(|_| ()),
                            None => Ok(()),
                        }
                    }
                    7 if !mine.is_empty() => {
                        let id = mine.swap_remove(rng.usize(0..mine.len()));
                        erp.cancel_order(&Actor::system(), id, None)
                            .await
                            .map(|_| ())
                    }
                    _ => {
                        let sku = &skus[rng.usize(0..skus.len())];
                        let p = erp
                            .product_by_sku(
                                &Actor::system(),
                                &erp_core::domain::Sku::parse(sku).unwrap(),
                            )
                            .await
                            .unwrap();
                        let delta = if rng.bool() { 5 } else { -3 };
                        erp.adjust_stock(
                            &Actor::system(),
                            p.id,
                            StockChange::adjustment(delta).unwrap(),
                            Reason::parse("cycle count").unwrap(),
                        )
                        .await
                        .map(|_| ())
                    }
                };
                match result {
                    Ok(()) => outcomes[0] += 1,
                    Err(Error::InsufficientStock { .. } | Error::StockBelowReserved { .. }) => {
                        outcomes[1] += 1
                    }
                    // Another worker's order moved on first: the state machine refused ours.
                    Err(Error::InvalidTransition { .. }) => outcomes[2] += 1,
                    Err(Error::Busy { .. }) => outcomes[3] += 1,
                    Err(other) => panic!("unexpected error: {other:?}"),
                }
            }
            outcomes
        }));
    }
    let mut totals = [0u32; 4];
    for task in tasks {
        let outcomes = task.await.unwrap();
        for (total, n) in totals.iter_mut().zip(outcomes) {
            *total += n;
        }
    }
    eprintln!(
        "{backend:?} mixed workload: {} ok, {} refused for stock, {} stale transitions, {} busy",
        totals[0], totals[1], totals[2], totals[3]
    );
    assert!(totals[0] > 100, "the workload did real work: {totals:?}");
    assert_consistent_everywhere(&db).await;
    db.remove().await;
}

/// Futures dropped at random points (a client hanging up, a task aborted) leave no partial order:
/// every order that exists is complete and every invariant holds.
///
/// With one connection in the pool, a connection lost to a cancellation (sqlx 0.8 on MySQL can
/// leave one waiting forever for the answer to a statement it never sent) stops everything after.
async fn cancelled_commands_leave_no_partial_order(backend: Backend, connections: u32) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, connections).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "A", 1000).await;
    product(&erp, "B", 1000).await;
    let buyer = customer(&erp, "buyer").await;
    let mut rng = fastrand::Rng::with_seed(7);
    for i in 0..200 {
        let erp = erp.clone();
        let request = order(buyer, &[("A", 2), ("B", 1)], &format!("abort-{i}"));
        let task = tokio::spawn(async move { erp.create_order(&Actor::system(), &request).await });
        tokio::time::sleep(Duration::from_micros(rng.u64(0..3000))).await;
        task.abort();
        let _ = task.await;
    }
    // Let rollbacks of aborted transactions reach the database, and commits already sent finish:
    // an aborted task does not stop a COMMIT its connection has sent (SQLite's worker thread runs
    // it to the end, later when the machine is busy), and one landing between the two reads below
    // would count a sold unit without its order. Settled means two reads agree; a partial order
    // never would, and the assertions below still fail on it after the deadline.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let placed = erp
            .orders(&Actor::system(), &OrderQuery::default())
            .await
            .unwrap()
            .total;
        let (_, reserved) = stock(&erp, "A").await;
        if reserved == 2 * i64::try_from(placed).unwrap() || std::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let orders = erp
        .orders(
            &Actor::system(),
            &OrderQuery {
                page: PageRequest::new(0, 500).unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for order in &orders.items {
        assert_eq!(order.lines.len(), 2, "order {} is complete", order.id);
        let history = erp.order_history(&Actor::system(), order.id).await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].to, OrderStatus::Pending);
    }
    let (a_on_hand, a_reserved) = stock(&erp, "A").await;
    assert_eq!(a_on_hand, 1000);
    assert_eq!(a_reserved, 2 * i64::try_from(orders.total).unwrap());
    eprintln!(
        "{backend:?}: {} of 200 aborted orders had committed",
        orders.total
    );
    assert_consistent(&erp).await;
    db.remove().await;
}

/// 64 tills order at once, each one unit of two hot products, half of them listing the lines in
/// the opposite order: the product locks are taken in one global order whatever the request's,
/// so no deadlock reaches a caller (nor exhausts the retries), and exactly the stock is sold.
async fn opposite_line_orders_sell_exactly_the_stock(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 2).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "HOT-A", 40).await;
    product(&erp, "HOT-B", 40).await;
    let buyer = customer(&erp, "buyer").await;
    db.sync_nodes().await;
    let mut tills = Vec::new();
    for i in 0..64 {
        tills.push(Erp::connect(db.node(i), &options(1)).await.unwrap());
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(64));
    let mut tasks = Vec::new();
    for (i, till) in tills.into_iter().enumerate() {
        let start = start.clone();
        let lines: &[(&str, i64)] = if i % 2 == 0 {
            &[("HOT-A", 1), ("HOT-B", 1)]
        } else {
            &[("HOT-B", 1), ("HOT-A", 1)]
        };
        let request = order(buyer, lines, &format!("opposite-{i}"));
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            till.create_order(&Actor::system(), &request).await
        }));
    }
    let (mut sold, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => sold += 1,
            Err(Error::InsufficientStock { .. }) => refused += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((sold, refused), (40, 24));
    db.sync_nodes().await;
    assert_eq!(stock(&erp, "HOT-A").await, (40, 40));
    assert_eq!(stock(&erp, "HOT-B").await, (40, 40));
    assert_consistent_everywhere(&db).await;
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_opposite_line_orders_sell_exactly_the_stock() {
    opposite_line_orders_sell_exactly_the_stock(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_opposite_line_orders_sell_exactly_the_stock() {
    opposite_line_orders_sell_exactly_the_stock(Backend::Mysql).await;
}

/// The pool does not ping connections before use: when the server has dropped every pooled
/// connection (a restart, an idle timeout, an administrator's KILL), the next commands still
/// succeed on fresh connections instead of failing once per dead one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_connections_the_server_dropped_are_replaced_unseen() {
    use sqlx::Connection;
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(Backend::Mysql, 3).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "K", 100).await;
    let buyer = customer(&erp, "buyer").await;
    // Fill the pool: three commands at once hold three connections.
    let warm: Vec<_> = (0..3)
        .map(|i| {
            let erp = erp.clone();
            tokio::spawn(async move {
                erp.create_order(
                    &Actor::system(),
                    &order(buyer, &[("K", 1)], &format!("w{i}")),
                )
                .await
            })
        })
        .collect();
    for task in warm {
        task.await.unwrap().unwrap();
    }
    let database = db.url.rsplit('/').next().unwrap().to_string();
    let server = common::mysql_url().unwrap();
    let mut admin = sqlx::mysql::MySqlConnection::connect(&server)
        .await
        .unwrap();
    let ids: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM information_schema.processlist WHERE db = ?")
            .bind(&database)
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert!(!ids.is_empty(), "the pool holds connections to {database}");
    for (id,) in &ids {
        sqlx::query(&format!("KILL CONNECTION {id}"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 0..6 {
        erp.create_order(
            &Actor::system(),
            &order(buyer, &[("K", 1)], &format!("after-{i}")),
        )
        .await
        .unwrap_or_else(|e| panic!("order {i} after the kill: {e:?}"));
        stock(&erp, "K").await;
    }
    assert_eq!(stock(&erp, "K").await, (100, 9));
    assert_consistent(&erp).await;
    db.remove().await;
}

/// A refusal for stock is confirmed under the product's lock, not read from the snapshot MySQL
/// took at the order's first read: stock received while the order waited for its customer's lock
/// is sold, not refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_stock_that_came_back_while_an_order_waited_is_not_refused() {
    use sqlx::Connection;
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(Backend::Mysql, 4).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "BACK", 0).await;
    let buyer = customer(&erp, "buyer").await;
    erp.create_user(
        &Actor::system(),
        erp_core::domain::NewUser {
            username: erp_core::domain::Username::parse("clerk").unwrap(),
            password: erp_core::domain::Password::new("a long enough password").unwrap(),
            role: erp_core::domain::Role::Operator,
        },
    )
    .await
    .unwrap();
    // A user's order reads the user first: that read fixes the transaction's snapshot.
    let clerk = erp
        .authenticate("clerk", "a long enough password")
        .await
        .unwrap();
    let mut holder = sqlx::mysql::MySqlConnection::connect(&db.url)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("SELECT id FROM customers WHERE id = ? FOR UPDATE")
        .bind(buyer.get())
        .execute(&mut holder)
        .await
        .unwrap();
    let placing = {
        let erp = erp.clone();
        tokio::spawn(async move {
            erp.create_order(&clerk, &order(buyer, &[("BACK", 1)], "came-back"))
                .await
        })
    };
    // The order has its snapshot and waits for the customer; the delivery arrives meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !placing.is_finished(),
        "the order waits for the customer's lock"
    );
    let id = erp
        .product_by_sku(
            &Actor::system(),
            &erp_core::domain::Sku::parse("BACK").unwrap(),
        )
        .await
        .unwrap()
        .id;
    erp.adjust_stock(
        &Actor::system(),
        id,
        StockChange::Receipt(Quantity::new(5).unwrap()),
        Reason::parse("delivery").unwrap(),
    )
    .await
    .unwrap();
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    let placed = placing.await.unwrap();
    assert!(
        placed.is_ok(),
        "sold from the stock that came back: {placed:?}"
    );
    assert_eq!(stock(&erp, "BACK").await, (5, 1));
    assert_consistent(&erp).await;
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_last_units_are_sold_exactly_once() {
    last_units_are_sold_exactly_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_last_units_are_sold_exactly_once() {
    last_units_are_sold_exactly_once(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_one_key_makes_one_order_under_concurrency() {
    one_key_makes_one_order_under_concurrency(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_one_key_makes_one_order_under_concurrency() {
    one_key_makes_one_order_under_concurrency(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_one_key_moves_stock_once_under_concurrency() {
    one_key_moves_stock_once_under_concurrency(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_one_key_moves_stock_once_under_concurrency() {
    one_key_moves_stock_once_under_concurrency(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_mixed_workload_keeps_the_invariants() {
    mixed_workload_keeps_the_invariants(Backend::Sqlite, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_mixed_workload_keeps_the_invariants() {
    mixed_workload_keeps_the_invariants(Backend::Mysql, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_mixed_workload_keeps_the_invariants() {
    mixed_workload_keeps_the_invariants(Backend::Memory, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_cancelled_commands_leave_no_partial_order() {
    cancelled_commands_leave_no_partial_order(Backend::Sqlite, 16).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_cancelled_commands_leave_no_partial_order() {
    cancelled_commands_leave_no_partial_order(Backend::Mysql, 16).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_cancelled_commands_never_lose_the_only_connection() {
    cancelled_commands_leave_no_partial_order(Backend::Mysql, 1).await;
}

// ---------------------------------------------------------------------------------------------
// Two operating-system processes

/// The env var that turns [`race_worker_process`] from a skipped test into a racer.
const RACE_URL: &str = "ERP_RACE_DATABASE_URL";
/// When the racers start ordering, in milliseconds since the Unix epoch.
const RACE_START: &str = "ERP_RACE_START_AT_MS";

/// Not a test of its own: the body each child process runs in
/// [`two_processes_race_for_the_same_stock`]. It orders from 16 tasks until the stock is
/// gone and prints the orders it placed and how often it was told the database was busy (a
/// command that exhausted its retries; like any client, it then sends the same request, with the
/// same key, again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by the two-process race tests"]
async fn race_worker_process() {
    let url = std::env::var(RACE_URL).expect("started by the two-process race test");
    let customer = CustomerId(std::env::var("ERP_RACE_CUSTOMER").unwrap().parse().unwrap());
    let tag = std::env::var("ERP_RACE_TAG").unwrap();
    let erp = Erp::connect(&url, &options(16)).await.unwrap();
    // Both racers start at the moment the parent chose, whichever process was quicker to start
    // and connect: otherwise one can sell the whole stock before the other arrives.
    let start_at: u128 = std::env::var(RACE_START).unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    if let Some(wait) = start_at.checked_sub(now) {
        tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap())).await;
    }
    let mut tasks = Vec::new();
    for worker in 0..16 {
        let erp = erp.clone();
        let tag = tag.clone();
        tasks.push(tokio::spawn(async move {
            let (mut placed, mut busy) = (Vec::new(), 0u64);
            let mut attempt = 0;
            loop {
                let key = format!("{tag}-{worker}-{attempt}");
                // Every process also sends the shared key once: one order must come of it.
                let request = if attempt == 0 {
                    order(customer, &[("RACE", 1)], "shared-key")
                } else {
                    order(customer, &[("RACE", 1)], &key)
                };
                match erp.create_order(&Actor::system(), &request).await {
                    Ok(receipt) if !receipt.replayed => placed.push(receipt.order.id.get()),
                    Ok(_) => {}
                    Err(Error::InsufficientStock { .. }) => break,
                    Err(Error::Busy { .. }) => {
                        busy += 1;
                        continue;
                    }
                    Err(other) => panic!("unexpected error: {other:?}"),
                }
                attempt += 1;
            }
            (placed, busy)
        }));
    }
    let (mut placed, mut busy) = (Vec::new(), 0);
    for task in tasks {
        let (mine, my_busy) = task.await.unwrap();
        placed.extend(mine);
        busy += my_busy;
    }
    let result = serde_json::json!({"placed": placed, "busy": busy, "retries": erp.retries()});
    println!("RACE-RESULT {result}");
}

/// Two processes (on two nodes of a cluster) sell the same stock.
async fn two_processes_race_for_the_same_stock(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 4).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "RACE", 150).await;
    let buyer = customer(&erp, "buyer").await;
    db.sync_nodes().await;
    let exe = std::env::current_exe().unwrap();
    // Time for both children to start and connect, even on a loaded machine.
    let start_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 3_000;
    let children: Vec<_> = ["left", "right"]
        .into_iter()
        .enumerate()
        .map(|(i, tag)| {
            tokio::process::Command::new(&exe)
                .args(["race_worker_process", "--exact", "--nocapture", "--ignored"])
                .env(RACE_URL, db.node(i))
                .env(RACE_START, start_at.to_string())
                .env("ERP_RACE_CUSTOMER", buyer.get().to_string())
                .env("ERP_RACE_TAG", tag)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let (mut per_process, mut busy, mut retries) = (Vec::new(), 0, 0);
    for child in children {
        let output = child.wait_with_output().await.unwrap();
        assert!(output.status.success(), "a racing process failed");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("RACE-RESULT "))
            .expect("the racer reports its orders");
        let result: serde_json::Value = serde_json::from_str(line).unwrap();
        let ids: Vec<i64> = serde_json::from_value(result["placed"].clone()).unwrap();
        busy += result["busy"].as_u64().unwrap();
        retries += result["retries"].as_u64().unwrap();
        per_process.push(ids);
    }
    eprintln!("{backend:?} two processes: 150 orders, {retries} retries, {busy} busy answers");
    if backend == Backend::Mysql {
        // One server queues the racers on the row lock: nobody runs out of retries. (On a
        // cluster, node-local locks let racers on two nodes collide at commit, and a hot row
        // can exhaust a command's retries; the client's retry with the same key is then safe.)
        assert_eq!(busy, 0, "no command ran out of retries");
    }
    let all: Vec<i64> = per_process.iter().flatten().copied().collect();
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "no order counted twice");
    assert_eq!(all.len(), 150, "exactly the stock was sold");
    let split: Vec<usize> = per_process.iter().map(Vec::len).collect();
    eprintln!("{backend:?} two processes: sold {split:?}");
    if backend == Backend::Mysql {
        // The row lock queues both processes' racers. On a cluster each node's commits abort
        // the other node's lock holder, and one node can win every race for a while: fairness
        // is not promised there, exactness is.
        assert!(
            split.iter().all(|n| *n > 0),
            "both processes sold something: {split:?}"
        );
    }
    let shared = erp
        .orders(
            &Actor::system(),
            &OrderQuery {
                customer_id: Some(buyer),
                page: PageRequest::new(0, 500).unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let with_shared_key = shared
        .items
        .iter()
        .filter(|o| o.idempotency_key.as_str() == "shared-key")
        .count();
    assert_eq!(
        with_shared_key, 1,
        "the shared key made one order across processes"
    );
    db.sync_nodes().await;
    assert_eq!(stock(&erp, "RACE").await, (150, 150));
    assert_consistent_everywhere(&db).await;
    let listed = erp
        .products(&Actor::system(), &ProductQuery::default())
        .await
        .unwrap();
    assert_eq!(listed.total, 1);
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_two_processes_race_for_the_same_stock() {
    two_processes_race_for_the_same_stock(Backend::Mysql).await;
}

// ---------------------------------------------------------------------------------------------
// Dropped connections and manual edits

/// While 8 tasks place orders on MySQL, another session kills their connections again and again.
/// Commands fail as "unavailable" (or "outcome unknown" when the kill landed during the commit),
/// never half-done: afterwards every order is complete and every invariant holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_killed_connections_leave_consistent_data() {
    let _turn = one_at_a_time().await;
    let Some(server_url) = common::mysql_url() else {
        return;
    };
    let Some(db) = with_db(Backend::Mysql, 8).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "A", 100_000).await;
    product(&erp, "B", 100_000).await;
    let buyer = customer(&erp, "buyer").await;
    let database: String = db.url.rsplit('/').next().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(4);
    let killer = tokio::spawn(async move {
        let admin = sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(1)
            .connect(&server_url)
            .await
            .unwrap();
        let mut kills = 0;
        while Instant::now() < deadline {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT CAST(id AS SIGNED) FROM information_schema.processlist \
                 WHERE db = ? AND id <> CONNECTION_ID()",
            )
            .bind(&database)
            .fetch_all(&admin)
            .await
            .unwrap();
            for id in ids {
                if sqlx::raw_sql(&format!("KILL CONNECTION {id}"))
                    .execute(&admin)
                    .await
                    .is_ok()
                {
                    kills += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        kills
    });
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let erp = erp.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut lost) = (0, 0);
            let mut step = 0;
            while Instant::now() < deadline {
                step += 1;
                let request = order(buyer, &[("A", 1), ("B", 2)], &format!("k{worker}-{step}"));
                match erp.create_order(&Actor::system(), &request).await {
                    Ok(_) => ok += 1,
                    Err(
                        Error::Unavailable { .. }
                        | Error::Busy { .. }
                        | Error::OutcomeUnknown { .. },
                    ) => lost += 1,
                    Err(other) => panic!("unexpected error: {other:?}"),
                }
            }
            (ok, lost)
        }));
    }
    let (mut ok, mut lost) = (0, 0);
    for task in tasks {
        let (o, l) = task.await.unwrap();
        ok += o;
        lost += l;
    }
    let kills = killer.await.unwrap();
    eprintln!("killed {kills} connections: {ok} orders placed, {lost} refused as unavailable");
    assert!(kills > 0 && ok > 0, "the test exercised both sides");
    let orders = erp
        .orders(
            &Actor::system(),
            &OrderQuery {
                page: PageRequest::new(0, 500).unwrap(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(orders.items.iter().all(|o| o.lines.len() == 2));
    assert_consistent(&erp).await;
    db.remove().await;
}

/// Breaks the data behind erp-core's back with plain SQL and expects the invariant check to name
/// each inconsistency.
async fn invariant_check_reports_manual_sql_edits(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 4).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "EDIT", 10).await;
    let buyer = customer(&erp, "buyer").await;
    let placed = erp
        .create_order(&Actor::system(), &order(buyer, &[("EDIT", 2)], "k"))
        .await
        .unwrap()
        .order;
    assert_consistent(&erp).await;
    let edits = [
        "UPDATE products SET on_hand = on_hand + 5 WHERE sku = 'EDIT'",
        &format!(
            "UPDATE orders SET status = 'SHIPPED' WHERE id = {}",
            placed.id
        ),
    ];
    match backend {
        Backend::Sqlite => {
            use sqlx::Connection;
            let mut conn = sqlx::sqlite::SqliteConnection::connect(&db.url)
                .await
                .unwrap();
            for edit in edits {
                sqlx::raw_sql(edit).execute(&mut conn).await.unwrap();
            }
        }
        Backend::Mysql | Backend::Galera => {
            use sqlx::Connection;
            let mut conn = sqlx::mysql::MySqlConnection::connect(&db.url)
                .await
                .unwrap();
            for edit in edits {
                sqlx::raw_sql(edit).execute(&mut conn).await.unwrap();
            }
        }
        Backend::Memory => unreachable!("no SQL behind the memory store"),
    }
    let found = erp.check_invariants(&Actor::system()).await.unwrap();
    let kinds: Vec<String> = found
        .iter()
        .map(|f| {
            serde_json::to_value(f).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "on_hand_disagrees_with_movements",
            "reserved_disagrees_with_open_orders",
            "status_disagrees_with_history"
        ],
        "{found:#?}"
    );
    db.remove().await;
}

#[tokio::test]
async fn sqlite_invariant_check_reports_manual_sql_edits() {
    invariant_check_reports_manual_sql_edits(Backend::Sqlite).await;
}

#[tokio::test]
async fn mysql_invariant_check_reports_manual_sql_edits() {
    invariant_check_reports_manual_sql_edits(Backend::Mysql).await;
}

/// Order lines and stock movements have no foreign key to products on MySQL (the stock claim
/// takes the product's lock last, migration 0007): a row naming a missing product, made behind
/// erp-core's back, is named by the invariant check on either backend.
async fn invariant_check_names_rows_without_their_product(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 4).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "GONE", 10).await;
    product(&erp, "LAST", 10).await;
    let buyer = customer(&erp, "buyer").await;
    let placed = erp
        .create_order(&Actor::system(), &order(buyer, &[("GONE", 2)], "k"))
        .await
        .unwrap()
        .order;
    // A counter sale of LAST, one unit of it brought back.
    let (_, register) = open_till(&db.url, &erp, "CAIXA-G").await;
    let sold = erp
        .sell_at_counter(&Actor::system(), &counter_sale(register, buyer, 2, "sale"))
        .await
        .unwrap()
        .order;
    let back = one_unit_of_last_back(sold.id, register, "back");
    let returned = erp.record_return(&Actor::system(), &back).await.unwrap();
    assert_consistent(&erp).await;
    let id = placed.id;
    let return_id = returned.sale_return.id;
    let edits = [
        format!("UPDATE order_lines SET product_id = 999999 WHERE order_id = {id}"),
        format!("UPDATE stock_movements SET product_id = 999999 WHERE order_id = {id}"),
        format!("UPDATE return_lines SET product_id = 999999 WHERE return_id = {return_id}"),
    ];
    match backend {
        Backend::Sqlite => {
            use sqlx::Connection;
            let mut conn = sqlx::sqlite::SqliteConnection::connect(&db.url)
                .await
                .unwrap();
            sqlx::raw_sql("PRAGMA foreign_keys = OFF")
                .execute(&mut conn)
                .await
                .unwrap();
            for edit in &edits {
                sqlx::raw_sql(edit).execute(&mut conn).await.unwrap();
            }
        }
        Backend::Mysql | Backend::Galera => {
            use sqlx::Connection;
            let mut conn = sqlx::mysql::MySqlConnection::connect(&db.url)
                .await
                .unwrap();
            // No foreign_key_checks switch: the edits must pass with the server's defaults.
            for edit in &edits {
                sqlx::raw_sql(edit).execute(&mut conn).await.unwrap();
            }
        }
        Backend::Memory => unreachable!("no SQL behind the memory store"),
    }
    let found = erp.check_invariants(&Actor::system()).await.unwrap();
    let orphans: Vec<_> = found
        .iter()
        .filter_map(|f| match f {
            erp_core::domain::audit::Inconsistency::RowsNameNoProduct { table, rows } => {
                Some((*table, *rows))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        orphans,
        vec![
            ("order_lines", 1),
            ("stock_movements", 1),
            ("return_lines", 1)
        ],
        "{found:#?}"
    );
    db.remove().await;
}

#[tokio::test]
async fn sqlite_invariant_check_names_rows_without_their_product() {
    invariant_check_names_rows_without_their_product(Backend::Sqlite).await;
}

#[tokio::test]
async fn mysql_invariant_check_names_rows_without_their_product() {
    invariant_check_names_rows_without_their_product(Backend::Mysql).await;
}

/// The SQLite file keeps everything across a reopen (a till restarted), and migrations run once.
#[tokio::test]
async fn sqlite_data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("till.db").display());
    let first = Erp::connect(&url, &options(2)).await.unwrap();
    product(&first, "KEEP", 7).await;
    let buyer = customer(&first, "buyer").await;
    first
        .create_order(&Actor::system(), &order(buyer, &[("KEEP", 2)], "k"))
        .await
        .unwrap();
    drop(first);
    let again = Erp::connect(&url, &options(2)).await.unwrap();
    assert_eq!(stock(&again, "KEEP").await, (7, 2));
    let replay = again
        .create_order(&Actor::system(), &order(buyer, &[("KEEP", 2)], "k"))
        .await
        .unwrap();
    assert!(replay.replayed, "the key is remembered across restarts");
    Erp::migrate(&url, &options(1)).await.unwrap();
    assert_consistent(&again).await;
}

/// A database URL that points nowhere is reported as unavailable, not as a crash.
#[tokio::test]
async fn unreachable_database_is_unavailable() {
    let options = ConnectOptions {
        acquire_timeout: Duration::from_secs(2),
        ..ConnectOptions::default()
    };
    let err = Erp::connect("mysql://nobody@127.0.0.1:1/none", &options)
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "unavailable");
    let err = Erp::connect("postgres://x@y/z", &options)
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "validation_failed");
    let err = Erp::connect("sqlite:///nonexistent-dir/deeper/erp.db", &options)
        .await
        .err()
        .unwrap();
    assert_eq!(err.code(), "unavailable");
}

// ---------------------------------------------------------------------------------------------
// A three-node Galera cluster: the same races with the connections spread over the nodes

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_last_units_are_sold_exactly_once() {
    last_units_are_sold_exactly_once(Backend::Galera).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_one_key_makes_one_order_under_concurrency() {
    one_key_makes_one_order_under_concurrency(Backend::Galera).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_one_key_moves_stock_once_under_concurrency() {
    one_key_moves_stock_once_under_concurrency(Backend::Galera).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn galera_mixed_workload_keeps_the_invariants() {
    mixed_workload_keeps_the_invariants(Backend::Galera, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn galera_two_processes_race_for_the_same_stock() {
    two_processes_race_for_the_same_stock(Backend::Galera).await;
}

/// An empty database next to a test's (which `with_db` has migrated already): its URL on every
/// node (four, wrapping round a cluster's), and a connection to the server to look into it.
struct EmptyDatabase {
    name: String,
    urls: Vec<String>,
    admin: sqlx::mysql::MySqlConnection,
}

impl EmptyDatabase {
    async fn beside(db: &TestDb) -> EmptyDatabase {
        use sqlx::Connection;
        let name = format!("erp_mig_{:016x}", fastrand::u64(..));
        let mut admin = sqlx::mysql::MySqlConnection::connect(db.node(0))
            .await
            .unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE `{name}`"))
            .execute(&mut admin)
            .await
            .unwrap();
        db.sync_nodes().await;
        let urls = (0..4)
            .map(|i| {
                let node = db.node(i);
                let root = node.rsplit_once('/').map_or(node, |(root, _)| root);
                format!("{root}/{name}")
            })
            .collect();
        EmptyDatabase { name, urls, admin }
    }

    async fn count(&mut self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM `{}`.{table}", self.name))
            .fetch_one(&mut self.admin)
            .await
            .unwrap()
    }

    /// Every migration recorded once and the lease given back.
    async fn assert_migrated_once(&mut self) {
        let recorded = self.count("schema_migrations").await;
        let versions: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(DISTINCT version) FROM `{}`.schema_migrations",
            self.name
        ))
        .fetch_one(&mut self.admin)
        .await
        .unwrap();
        assert!(recorded > 0, "the migrations were recorded");
        assert_eq!(recorded, versions, "each migration was recorded once");
        assert_eq!(
            self.count("schema_migrations_lease").await,
            0,
            "the lease was given back"
        );
    }

    async fn drop(mut self) {
        sqlx::raw_sql(&format!("DROP DATABASE `{}`", self.name))
            .execute(&mut self.admin)
            .await
            .unwrap();
    }
}

/// Servers starting together on a fresh database, one per node (and two on the first), each
/// migrating: every one succeeds and each migration is recorded once. (`GET_LOCK` would not keep
/// them apart: a cluster does not replicate it.)
async fn migrations_run_once_when_servers_start_together(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 1).await else {
        return;
    };
    let mut fresh = EmptyDatabase::beside(&db).await;
    // Two servers migrating at once would both create the tables (IF NOT EXISTS) and then
    // both record the migration: the second insert fails, and so does that server's start.
    let one = options(1);
    let starts = fresh.urls.iter().map(|url| Erp::migrate(url, &one));
    for outcome in futures::future::join_all(starts).await {
        outcome.unwrap();
    }
    fresh.assert_migrated_once().await;
    fresh.drop().await;
    db.remove().await;
}

/// A server migrating through one node while another node keeps creating the migration tables
/// (`IF NOT EXISTS`), as servers starting there do before they queue for the lease. On a cluster
/// that DDL runs on every node and aborts the migrating server's statements on those tables (its
/// lease renewal, its record of a migration): the server must ride that out, not fail to start.
/// CI once saw one of three servers starting together exit on such an abort.
async fn migrations_ride_out_ddl_from_other_servers(backend: Backend) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 1).await else {
        return;
    };
    let mut fresh = EmptyDatabase::beside(&db).await;
    let done = AtomicBool::new(false);
    let migrating = async {
        let migrated = Erp::migrate(&fresh.urls[0], &options(1)).await;
        done.store(true, Ordering::Relaxed);
        migrated
    };
    let creating = async {
        use sqlx::Connection;
        let mut conn = sqlx::mysql::MySqlConnection::connect(&fresh.urls[1])
            .await
            .unwrap();
        let mut created = 0u32;
        while !done.load(Ordering::Relaxed) {
            sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS schema_migrations (\
                   version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, \
                   checksum CHAR(64) NOT NULL, applied_at DATETIME(6) NOT NULL\
                 ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4; \
                 CREATE TABLE IF NOT EXISTS schema_migrations_lease (\
                   id TINYINT NOT NULL PRIMARY KEY, holder CHAR(32) NOT NULL, \
                   expires_at DATETIME(6) NOT NULL\
                 ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
            )
            .execute(&mut conn)
            .await
            .unwrap();
            created += 1;
        }
        created
    };
    let (migrated, created) = tokio::join!(migrating, creating);
    migrated.unwrap();
    assert!(created > 0, "the other node created the tables meanwhile");
    fresh.assert_migrated_once().await;
    fresh.drop().await;
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_migrations_ride_out_ddl_from_other_servers() {
    migrations_ride_out_ddl_from_other_servers(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn galera_migrations_ride_out_ddl_from_other_servers() {
    migrations_ride_out_ddl_from_other_servers(Backend::Galera).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_migrations_run_once_when_servers_start_together() {
    migrations_run_once_when_servers_start_together(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn galera_migrations_run_once_when_servers_start_together() {
    migrations_run_once_when_servers_start_together(Backend::Galera).await;
}

// ---------------------------------------------------------------------------------------------
// Counter sales and returns

/// A till of its own (a store, so a connection) with an open session on a register of its own.
async fn open_till(url: &str, erp: &Erp, code: &str) -> (Erp, erp_core::domain::RegisterId) {
    use erp_core::domain::{Money, Name, NewRegister, RegisterCode};
    let register = erp
        .create_register(
            &Actor::system(),
            NewRegister {
                code: RegisterCode::parse(code).unwrap(),
                name: Name::parse(code).unwrap(),
            },
        )
        .await
        .unwrap()
        .id;
    erp.open_cash_session(&Actor::system(), register, Money::parse("50").unwrap())
        .await
        .unwrap();
    (Erp::connect(url, &options(2)).await.unwrap(), register)
}

/// One unit of LAST (2.50) back to stock, refunded in cash at `register`, under `key`.
fn one_unit_of_last_back(
    order: erp_core::domain::OrderId,
    register: erp_core::domain::RegisterId,
    key: &str,
) -> erp_core::domain::NewReturn {
    use erp_core::domain::{
        Disposition, Money, NewReturn, ReturnLineRequest, Sku, Tender, TenderLine,
    };
    NewReturn::new(
        order,
        vec![ReturnLineRequest {
            sku: Sku::parse("LAST").unwrap(),
            quantity: Quantity::new(1).unwrap(),
            disposition: Disposition::Restock,
        }],
        vec![TenderLine::new(Tender::Cash, Money::parse("2.50").unwrap(), None).unwrap()],
        Some(register),
        IdempotencyKey::parse(key).unwrap(),
        None,
        None,
    )
    .unwrap()
}

fn counter_sale(
    register: erp_core::domain::RegisterId,
    customer: CustomerId,
    quantity: i64,
    key: &str,
) -> erp_core::domain::NewCounterSale {
    use erp_core::domain::{Money, NewCounterSale, SaleLine, Sku, Tender, TenderLine};
    NewCounterSale::new(
        register,
        customer,
        vec![SaleLine {
            sku: Sku::parse("LAST").unwrap(),
            quantity: Quantity::new(quantity).unwrap(),
            unit_price: None,
            discount: None,
        }],
        None,
        vec![TenderLine::new(Tender::Cash, Money::parse("100").unwrap(), None).unwrap()],
        IdempotencyKey::parse(key).unwrap(),
        None,
        None,
    )
    .unwrap()
}

/// Two tills, each with 16 tasks on connections of their own, sell a product with 5 units left
/// over the counter: exactly 5 sales go through, the rest are refused for stock, nothing is
/// reserved and every invariant (stock ledger with SALE movements, payments, cash) holds.
async fn two_tills_sell_the_last_units_once(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 4).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "LAST", 5).await;
    let buyer = customer(&erp, "walk-in").await;
    let tills = [
        open_till(&db.url, &erp, "CAIXA-A").await,
        open_till(&db.url, &erp, "CAIXA-B").await,
    ];
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(32));
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (till, register) = tills[i % 2].clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            till.sell_at_counter(
                &Actor::system(),
                &counter_sale(register, buyer, 1, &format!("c{i}")),
            )
            .await
        }));
    }
    let (mut sold, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => sold += 1,
            Err(Error::InsufficientStock { available: 0, .. }) => refused += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((sold, refused), (5, 27));
    assert_eq!(stock(&erp, "LAST").await, (0, 0));
    assert_consistent(&erp).await;
    db.remove().await;
}

/// 16 returns of one unit each, with keys of their own, race for a counter sale of 2 units:
/// exactly two go through, the rest are refused, and the refunds never pass what was paid.
async fn concurrent_returns_never_take_back_more_than_was_sold(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 4).await else {
        return;
    };
    let erp = db.erp.clone();
    product(&erp, "LAST", 5).await; // 2.50 each
    let buyer = customer(&erp, "walk-in").await;
    let (_, register) = open_till(&db.url, &erp, "CAIXA-R").await;
    let order = erp
        .sell_at_counter(&Actor::system(), &counter_sale(register, buyer, 2, "sale"))
        .await
        .unwrap()
        .order;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let till = Erp::connect(&db.url, &options(1)).await.unwrap();
        let request = one_unit_of_last_back(order.id, register, &format!("ret-{i}"));
        tasks.push(tokio::spawn(async move {
            till.record_return(&Actor::system(), &request).await
        }));
    }
    let (mut taken, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => taken += 1,
            Err(Error::ReturnExceedsSold { .. }) => refused += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!((taken, refused), (2, 14));
    let stored = erp.order(&Actor::system(), order.id).await.unwrap();
    assert_eq!(stored.lines[0].returned, 2);
    assert_eq!(stored.refunded, stored.paid);
    assert_eq!(stock(&erp, "LAST").await, (5, 0));
    assert_consistent(&erp).await;
    db.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_two_tills_sell_the_last_units_once() {
    two_tills_sell_the_last_units_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_two_tills_sell_the_last_units_once() {
    two_tills_sell_the_last_units_once(Backend::Mysql).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_returns_never_take_back_more_than_was_sold() {
    concurrent_returns_never_take_back_more_than_was_sold(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mysql_concurrent_returns_never_take_back_more_than_was_sold() {
    concurrent_returns_never_take_back_more_than_was_sold(Backend::Mysql).await;
}

/// Rows written before search learnt to ignore accents kept their old folded names; opening the
/// database folds them again, once, so `feijao` finds them too (issue 9, part 3).
async fn names_folded_by_an_older_version_are_folded_again_on_open(backend: Backend) {
    let _turn = one_at_a_time().await;
    let Some(db) = with_db(backend, 2).await else {
        return;
    };
    let beans = ProductInput {
        sku: "BEAN-BLK".into(),
        name: "Feijão preto".into(),
        price: "8.49".into(),
        initial_stock: Some(1),
        reorder_level: None,
    };
    db.erp
        .create_product(&Actor::system(), beans.parse().unwrap())
        .await
        .unwrap();
    // As an older version stored it: lower case, accents kept; and its fold never done.
    let edits = [
        "UPDATE products SET name_folded = 'feijão preto' WHERE sku = 'BEAN-BLK'",
        "DELETE FROM milestones WHERE name = 'search_fold_2_accents'",
    ];
    match backend {
        Backend::Sqlite => {
            use sqlx::Connection;
            let mut conn = sqlx::sqlite::SqliteConnection::connect(&db.url)
                .await
                .unwrap();
            for edit in edits {
                sqlx::raw_sql(edit).execute(&mut conn).await.unwrap();
            }
        }
        Backend::Mysql | Backend::Galera => {
            use sqlx::Connection;
            let mut conn = sqlx::mysql::MySqlConnection::connect(&db.url)
                .await
                .unwrap();
            for edit in edits {
                sqlx::raw_sql(edit).execute(&mut conn).await.unwrap();
            }
        }
        Backend::Memory => unreachable!("no SQL behind the memory store"),
    }
    let search = erp_core::domain::ProductQuery {
        search: erp_core::domain::SearchTerm::parse("feijao").unwrap(),
        ..Default::default()
    };
    let before = db.erp.products(&Actor::system(), &search).await.unwrap();
    assert!(before.items.is_empty(), "the stale row is not found yet");
    let reopened = Erp::connect(&db.url, &options(2)).await.unwrap();
    let after = reopened.products(&Actor::system(), &search).await.unwrap();
    assert_eq!(after.items.len(), 1);
    assert_eq!(after.items[0].name.as_str(), "Feijão preto");
    db.remove().await;
}

#[tokio::test]
async fn sqlite_names_folded_by_an_older_version_are_folded_again_on_open() {
    names_folded_by_an_older_version_are_folded_again_on_open(Backend::Sqlite).await;
}

#[tokio::test]
async fn mysql_names_folded_by_an_older_version_are_folded_again_on_open() {
    names_folded_by_an_older_version_are_folded_again_on_open(Backend::Mysql).await;
}
