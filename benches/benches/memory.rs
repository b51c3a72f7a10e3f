//! create_order (1 and 10 lines) and change_status on the in-memory backend, from one thread and
//! from two at once: the cost of erp-core itself (validation, locking, bookkeeping), with no
//! database behind it.
//!
//! `cargo bench -p erp-benches --bench memory`; throughput is in orders (or changes) per second.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use erp_core::domain::{CustomerId, NewOrder, OrderId, OrderStatus};
use erp_core::input::{CustomerInput, OrderInput, OrderLineInput, ProductInput};
use erp_core::{Actor, Erp};
use futures::executor::block_on;

const PRODUCTS: usize = 100;

/// A fresh shop: 100 products with stock to spare and one customer. Each measurement gets its own,
/// so memory stays bounded however many orders a sample places.
fn shop() -> (Erp, CustomerId) {
    let erp = Erp::in_memory();
    let admin = Actor::system();
    for i in 0..PRODUCTS {
        let input = ProductInput {
            sku: format!("SKU-{i:03}"),
            name: format!("Bench product {i}"),
            price: "2.50".into(),
            initial_stock: Some(1_000_000_000),
            reorder_level: None,
        };
        block_on(erp.create_product(&admin, input.parse().unwrap())).unwrap();
    }
    let customer = CustomerInput {
        name: "Bench".into(),
        email: "bench@example.com".into(),
        ..Default::default()
    };
    let customer = block_on(erp.create_customer(&admin, customer.parse().unwrap()))
        .unwrap()
        .id;
    (erp, customer)
}

fn order(customer: CustomerId, lines: usize, n: u64) -> NewOrder {
    let first = (n as usize * 7) % PRODUCTS;
    OrderInput {
        customer_id: customer.get(),
        lines: (0..lines)
            .map(|i| OrderLineInput {
                sku: format!("SKU-{:03}", (first + i * 9) % PRODUCTS),
                quantity: 1,
            })
            .collect(),
        note: None,
    }
    .parse(&format!("bench-{n}"))
    .unwrap()
}

/// Runs `work(n)` for n in 0..iters, split over `threads` OS threads, and returns the wall time.
fn split(threads: u64, iters: u64, work: impl Fn(u64) + Sync) -> Duration {
    let next = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= iters {
                        break;
                    }
                    work(n);
                }
            });
        }
    });
    start.elapsed()
}

fn create_order(c: &mut Criterion) {
    let mut group = c.benchmark_group("memory_create_order");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(3));
    for lines in [1usize, 10] {
        for threads in [1u64, 2] {
            group.bench_with_input(
                BenchmarkId::new(format!("{lines}_lines"), format!("{threads}_threads")),
                &threads,
                |b, &threads| {
                    b.iter_custom(|iters| {
                        let (erp, customer) = shop();
                        let requests: Vec<NewOrder> =
                            (0..iters).map(|n| order(customer, lines, n)).collect();
                        split(threads, iters, |n| {
                            let placed =
                                block_on(erp.create_order(&Actor::system(), &requests[n as usize]));
                            assert!(placed.is_ok());
                        })
                    })
                },
            );
        }
    }
    group.finish();
}

fn change_status(c: &mut Criterion) {
    let mut group = c.benchmark_group("memory_change_status");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(3));
    for threads in [1u64, 2] {
        group.bench_with_input(
            BenchmarkId::new("confirm", format!("{threads}_threads")),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    let (erp, customer) = shop();
                    let orders: Vec<OrderId> = (0..iters)
                        .map(|n| {
                            block_on(erp.create_order(&Actor::system(), &order(customer, 1, n)))
                                .unwrap()
                                .order
                                .id
                        })
                        .collect();
                    split(threads, iters, |n| {
                        let moved = block_on(erp.change_status(
                            &Actor::system(),
                            orders[n as usize],
                            OrderStatus::Confirmed,
                            None,
                        ));
                        assert!(moved.is_ok());
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(memory, create_order, change_status);
criterion_main!(memory);
