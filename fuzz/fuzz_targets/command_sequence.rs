//! Arbitrary sequences of commands against the in-memory engine. Whatever the sequence, no
//! command panics, and after each one the invariant check of the store finds nothing wrong.

#![no_main]

use arbitrary::Arbitrary;
use erp_core::domain::{CustomerId, OrderId, OrderStatus, ProductId, Reason, StockChange};
use erp_core::input::{CustomerInput, OrderInput, OrderLineInput, ProductInput};
use erp_core::{Actor, Erp};
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Product { sku: u8, price_cents: u16, stock: u8 },
    Customer { name: u8 },
    DeleteCustomer { id: u8 },
    Adjust { product: u8, delta: i8 },
    Deactivate { product: u8 },
    Order { customer: u8, lines: Vec<(u8, i8)>, key: u8 },
    Move { order: u8, status: u8 },
}

fn run(erp: &Erp, op: &Op) {
    let admin = Actor::system();
    // Errors are expected answers here; only panics and inconsistencies are findings.
    match op {
        Op::Product { sku, price_cents, stock } => {
            let input = ProductInput {
                sku: format!("S{}", sku % 16),
                name: format!("Product {sku}"),
                price: format!("{}.{:02}", price_cents / 100, price_cents % 100),
                initial_stock: Some(i64::from(*stock % 20)),
                reorder_level: None,
            };
            if let Ok(product) = input.parse() {
                let _ = block_on(erp.create_product(&admin, product));
            }
        }
        Op::Customer { name } => {
            let input = CustomerInput {
                name: format!("Customer {}", name % 8),
                email: format!("c{}@example.com", name % 8),
                ..Default::default()
            };
            if let Ok(customer) = input.parse() {
                let _ = block_on(erp.create_customer(&admin, customer));
            }
        }
        Op::DeleteCustomer { id } => {
            let _ = block_on(erp.delete_customer(&admin, CustomerId(i64::from(id % 10))));
        }
        Op::Adjust { product, delta } => {
            if let (Ok(change), Ok(reason)) =
                (StockChange::adjustment(i64::from(*delta)), Reason::parse("fuzz"))
            {
                let id = ProductId(i64::from(product % 18));
                let _ = block_on(erp.adjust_stock(&admin, id, change, reason));
            }
        }
        Op::Deactivate { product } => {
            let _ = block_on(erp.deactivate_product(&admin, ProductId(i64::from(product % 18))));
        }
        Op::Order { customer, lines, key } => {
            let input = OrderInput {
                customer_id: i64::from(customer % 10),
                lines: lines
                    .iter()
                    .take(6)
                    .map(|(sku, quantity)| OrderLineInput {
                        sku: format!("S{}", sku % 16),
                        quantity: i64::from(*quantity),
                    })
                    .collect(),
                note: None,
            };
            if let Ok(order) = input.parse(&format!("k{}", key % 8)) {
                let _ = block_on(erp.create_order(&admin, &order));
            }
        }
        Op::Move { order, status } => {
            let to = OrderStatus::ALL[usize::from(*status) % OrderStatus::ALL.len()];
            let _ = block_on(erp.change_status(&admin, OrderId(i64::from(order % 24)), to, None));
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let erp = Erp::in_memory();
    for op in ops.iter().take(64) {
        run(&erp, op);
        let found = block_on(erp.check_invariants(&Actor::system()))
            .unwrap_or_else(|e| panic!("check failed: {e}"));
        assert!(found.is_empty(), "after {op:?}: {found:?}");
    }
});
