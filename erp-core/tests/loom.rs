//! Model checks of the in-memory store's synchronisation with loom: every interleaving (up to the
//! preemption bound) of threads running real erp-core commands against one `MemoryStore`, whose
//! mutex and row-lock waits are loom's under `--cfg loom`.
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=/var/tmp/erp-target-loom \
//!     cargo test -p erp-core --no-default-features --release --test loom
//! ```
//! A deadlock (every thread waiting) fails the model, as does any assertion in any interleaving.

#![cfg(loom)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use erp_core::domain::{CustomerId, NewOrder, OrderReceipt, OrderStatus};
use erp_core::input::{CustomerInput, OrderInput, OrderLineInput, ProductInput};
use erp_core::store::memory::MemoryStore;
use erp_core::{Actor, Erp, Error};
use loom::future::block_on;
use loom::thread;

/// Explores interleavings with at most `preemptions` forced context switches per execution:
/// bugs of this kind show within two or three, and the bound keeps each model to seconds.
fn model(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    let executions = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = executions.clone();
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        f();
    });
    // Printed with --nocapture: how many interleavings the model explored.
    println!(
        "explored {} interleavings",
        executions.load(Ordering::Relaxed)
    );
}

struct Shop {
    erp: Erp,
    customer: CustomerId,
}

/// A fresh store with the given `(sku, stock)` products and one customer.
fn shop(products: &[(&str, i64)]) -> Shop {
    let erp = Erp::new(Arc::new(MemoryStore::new()));
    let admin = Actor::system();
    for (sku, stock) in products {
        let input = ProductInput {
            sku: (*sku).into(),
            name: format!("Product {sku}"),
            price: "1.00".into(),
            initial_stock: Some(*stock),
            reorder_level: None,
        };
        block_on(erp.create_product(&admin, input.parse().unwrap())).unwrap();
    }
    let customer = CustomerInput {
        name: "Ana".into(),
        email: "ana@example.com".into(),
        ..Default::default()
    };
    let customer = block_on(erp.create_customer(&admin, customer.parse().unwrap()))
        .unwrap()
        .id;
    Shop { erp, customer }
}

fn request(customer: CustomerId, lines: &[(&str, i64)], key: &str) -> NewOrder {
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

/// Places an order on another loom thread.
fn spawn_order(erp: &Erp, order: NewOrder) -> thread::JoinHandle<Result<OrderReceipt, Error>> {
    let erp = erp.clone();
    thread::spawn(move || block_on(erp.create_order(&Actor::system(), &order)))
}

fn stock(erp: &Erp, sku: &str) -> (i64, i64) {
    let sku = erp_core::domain::Sku::parse(sku).unwrap();
    let product = block_on(erp.product_by_sku(&Actor::system(), &sku)).unwrap();
    (product.on_hand, product.reserved)
}

fn assert_consistent(erp: &Erp) {
    let found = block_on(erp.check_invariants(&Actor::system())).unwrap();
    assert!(found.is_empty(), "{found:?}");
}

/// Three threads race for the last unit: exactly one order succeeds, the others are refused for
/// stock, and the stock is exact: never oversold.
#[test]
fn racing_for_the_last_unit_sells_it_once() {
    model(3, || {
        let shop = shop(&[("LAST", 1)]);
        let a = spawn_order(&shop.erp, request(shop.customer, &[("LAST", 1)], "a"));
        let b = spawn_order(&shop.erp, request(shop.customer, &[("LAST", 1)], "b"));
        let c = block_on(shop.erp.create_order(
            &Actor::system(),
            &request(shop.customer, &[("LAST", 1)], "c"),
        ));
        let results = [a.join().unwrap(), b.join().unwrap(), c];
        let sold = results.iter().filter(|r| r.is_ok()).count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(Error::InsufficientStock { available: 0, .. })))
            .count();
        assert_eq!((sold, refused), (1, 2), "{results:?}");
        assert_eq!(stock(&shop.erp, "LAST"), (1, 1));
        assert_consistent(&shop.erp);
    });
}

/// Two threads send the same request with one idempotency key: one order exists and both
/// answers carry it, exactly one of them as the original.
#[test]
fn one_key_from_two_threads_makes_one_order() {
    model(6, || {
        let shop = shop(&[("TEA", 5)]);
        let order = request(shop.customer, &[("TEA", 2)], "same-key");
        let other = spawn_order(&shop.erp, order.clone());
        let mine = block_on(shop.erp.create_order(&Actor::system(), &order)).unwrap();
        let theirs = other.join().unwrap().unwrap();
        assert_eq!(mine.order.id, theirs.order.id);
        assert!(mine.replayed != theirs.replayed, "exactly one original");
        assert_eq!(stock(&shop.erp, "TEA"), (5, 2), "reserved once");
        assert_consistent(&shop.erp);
    });
}

/// One thread cancels a confirmed order while another picks and ships it. Whichever reaches the
/// order first wins; the loser is refused by the state machine; the stock matches the winner.
#[test]
fn cancel_racing_pick_and_ship_has_one_winner() {
    model(6, || {
        let shop = shop(&[("MUG", 3)]);
        let admin = Actor::system();
        let placed = block_on(
            shop.erp
                .create_order(&admin, &request(shop.customer, &[("MUG", 2)], "k")),
        )
        .unwrap()
        .order;
        block_on(
            shop.erp
                .change_status(&admin, placed.id, OrderStatus::Confirmed, None),
        )
        .unwrap();
        let erp = shop.erp.clone();
        let id = placed.id;
        let canceller =
            thread::spawn(move || block_on(erp.cancel_order(&Actor::system(), id, None)));
        let picked = block_on(
            shop.erp
                .change_status(&admin, id, OrderStatus::Picked, None),
        );
        let shipped = picked.is_ok().then(|| {
            block_on(
                shop.erp
                    .change_status(&admin, id, OrderStatus::Shipped, None),
            )
        });
        let cancelled = canceller.join().unwrap();
        let status = block_on(shop.erp.order(&admin, id)).unwrap().status;
        match (&cancelled, &picked) {
            (Ok(_), Err(Error::InvalidTransition { from, .. })) => {
                assert_eq!(*from, OrderStatus::Cancelled);
                assert_eq!(status, OrderStatus::Cancelled);
                assert_eq!(stock(&shop.erp, "MUG"), (3, 0), "reservation returned");
            }
            (Err(Error::InvalidTransition { from, .. }), Ok(_)) => {
                // The cancel came after the pick, or after the ship too.
                assert!(
                    matches!(from, OrderStatus::Picked | OrderStatus::Shipped),
                    "{from}"
                );
                assert!(matches!(shipped, Some(Ok(_))));
                assert_eq!(status, OrderStatus::Shipped);
                assert_eq!(stock(&shop.erp, "MUG"), (1, 0), "goods left");
            }
            other => panic!("exactly one side must win: {other:?}"),
        }
        assert_consistent(&shop.erp);
    });
}

/// Two orders take the same two products, listed in opposite order. Row locks are taken in
/// ascending product id whatever the line order, so neither waits for the other forever (loom
/// fails the model on a deadlock) and both succeed.
#[test]
fn opposite_line_order_does_not_deadlock() {
    model(6, || {
        let shop = shop(&[("A", 2), ("B", 2)]);
        let other = spawn_order(
            &shop.erp,
            request(shop.customer, &[("B", 1), ("A", 1)], "ba"),
        );
        let mine = block_on(shop.erp.create_order(
            &Actor::system(),
            &request(shop.customer, &[("A", 1), ("B", 1)], "ab"),
        ));
        assert!(mine.is_ok() && other.join().unwrap().is_ok());
        assert_eq!(stock(&shop.erp, "A"), (2, 2));
        assert_eq!(stock(&shop.erp, "B"), (2, 2));
        assert_consistent(&shop.erp);
    });
}
