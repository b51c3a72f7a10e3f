//! create_order on SQLite and MySQL, straight through erp-core (no HTTP), with 1, 8 and 32
//! concurrent tasks, on one hot SKU and spread over 100 SKUs; and beside each, the same SQL
//! statements in a plain sqlx loop: the database's own ceiling for this work, so erp-core's figure
//! can be read as a fraction of it.
//!
//! Beside them, the counter sale (`erp_core_counter`): the same one-line sale, paid in cash with
//! change on an open till, born DELIVERED with a SALE movement and a payment.
//!
//! `cargo bench -p erp-benches --bench sql` (MySQL rows need `ERP_TEST_MYSQL_URL`).
//! Throughput is reported in orders per second ("elem/s").

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use erp_core::input::{CustomerInput, OrderInput, OrderLineInput, ProductInput};
use erp_core::{Actor, ConnectOptions, Erp};
use tokio::runtime::Runtime;

const SKU_COUNT: usize = 100;

#[derive(Clone, Copy, Debug)]
enum Dialect {
    Sqlite,
    Mysql,
}

/// A database prepared for the benchmark: 100 products with stock to spare and one customer.
struct Prepared {
    erp: Erp,
    url: String,
    customer: i64,
    register: erp_core::domain::RegisterId,
    dialect: Dialect,
    _dir: Option<tempfile::TempDir>,
    mysql_database: Option<(String, String)>,
}

async fn prepare(dialect: Dialect, server_url: Option<&str>) -> Prepared {
    let (url, dir, mysql_database) = match dialect {
        Dialect::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            (url, Some(dir), None)
        }
        Dialect::Mysql => {
            use sqlx::Connection;
            let server = server_url.unwrap();
            let name = format!("erp_bench_{}", std::process::id());
            let mut conn = sqlx::mysql::MySqlConnection::connect(server).await.unwrap();
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{name}`"))
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::raw_sql(&format!("CREATE DATABASE `{name}`"))
                .execute(&mut conn)
                .await
                .unwrap();
            let root = server.rsplit_once('/').unwrap().0;
            (
                format!("{root}/{name}"),
                None,
                Some((server.to_string(), name)),
            )
        }
    };
    let options = ConnectOptions {
        max_connections: 40,
        ..ConnectOptions::default()
    };
    let erp = Erp::connect(&url, &options).await.unwrap();
    let admin = Actor::system();
    for i in 0..SKU_COUNT {
        let input = ProductInput {
            sku: format!("SKU-{i:03}"),
            name: format!("Bench product {i}"),
            price: "1.25".into(),
            initial_stock: Some(1_000_000_000),
            reorder_level: None,
        };
        erp.create_product(&admin, input.parse().unwrap())
            .await
            .unwrap();
    }
    let customer = erp
        .create_customer(
            &admin,
            CustomerInput {
                name: "Bench".into(),
                email: "bench@example.com".into(),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap()
        .id
        .get();
    let register = erp
        .create_register(
            &admin,
            erp_core::domain::NewRegister {
                code: erp_core::domain::RegisterCode::parse("BENCH-01").unwrap(),
                name: erp_core::domain::Name::parse("Bench till").unwrap(),
            },
        )
        .await
        .unwrap()
        .id;
    erp.open_cash_session(
        &admin,
        register,
        erp_core::domain::Money::parse("100").unwrap(),
    )
    .await
    .unwrap();
    Prepared {
        erp,
        url,
        customer,
        register,
        dialect,
        _dir: dir,
        mysql_database,
    }
}

impl Prepared {
    async fn remove(self) {
        if let Some((server, name)) = self.mysql_database {
            use sqlx::Connection;
            let mut conn = sqlx::mysql::MySqlConnection::connect(&server)
                .await
                .unwrap();
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{name}`"))
                .execute(&mut conn)
                .await;
        }
    }
}

fn sku_for(hot: bool, n: u64) -> String {
    if hot {
        "SKU-000".to_string()
    } else {
        // A cheap, well-spread sequence over the 100 SKUs.
        format!(
            "SKU-{:03}",
            (n.wrapping_mul(2_654_435_761) >> 7) % SKU_COUNT as u64
        )
    }
}

/// Runs `total` orders from `tasks` concurrent tasks and returns the elapsed time.
async fn run_orders<F, Fut>(tasks: u64, total: u64, place: F) -> Duration
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let place = Arc::new(place);
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let next = next.clone();
        let place = place.clone();
        handles.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                place(n).await;
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    start.elapsed()
}

/// A unique idempotency key per order, across iterations and runs.
fn key(n: u64) -> String {
    static RUN: AtomicU64 = AtomicU64::new(0);
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    format!("bench-{}-{run}-{n}", std::process::id())
}

fn through_erp(
    prepared: &Prepared,
    hot: bool,
) -> impl Fn(u64) -> BoxedUnit + Send + Sync + 'static {
    let erp = prepared.erp.clone();
    let customer = prepared.customer;
    move |n| {
        let erp = erp.clone();
        Box::pin(async move {
            let request = OrderInput {
                customer_id: customer,
                lines: vec![OrderLineInput {
                    sku: sku_for(hot, n),
                    quantity: 1,
                }],
                note: None,
            }
            .parse(&key(n))
            .unwrap();
            erp.create_order(&Actor::system(), &request).await.unwrap();
        })
    }
}

/// A one-line counter sale paid with 10.00 cash (change given), through erp-core.
fn through_counter(
    prepared: &Prepared,
    hot: bool,
) -> impl Fn(u64) -> BoxedUnit + Send + Sync + 'static {
    use erp_core::domain::{
        CustomerId, IdempotencyKey, Money, NewCounterSale, Quantity, SaleLine, Sku, Tender,
        TenderLine,
    };
    let erp = prepared.erp.clone();
    let customer = CustomerId(prepared.customer);
    let register = prepared.register;
    move |n| {
        let erp = erp.clone();
        Box::pin(async move {
            let sale = NewCounterSale::new(
                register,
                customer,
                vec![SaleLine {
                    sku: Sku::parse(&sku_for(hot, n)).unwrap(),
                    quantity: Quantity::new(1).unwrap(),
                    unit_price: None,
                    discount: None,
                }],
                None,
                vec![TenderLine::new(Tender::Cash, Money::parse("10").unwrap(), None).unwrap()],
                IdempotencyKey::parse(&key(n)).unwrap(),
                None,
                None,
            )
            .unwrap();
            erp.sell_at_counter(&Actor::system(), &sale).await.unwrap();
        })
    }
}

type BoxedUnit = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// The statements erp-core runs for a one-line order, with nothing else around them.
mod plain {

    pub async fn sqlite_order(
        pool: &sqlx::SqlitePool,
        customer: i64,
        sku: &str,
        key: &str,
    ) -> Result<(), sqlx::Error> {
        let now = chrono::Utc::now().timestamp_micros();
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE customer_id = ? AND idempotency_key = ?",
        )
        .bind(customer)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        assert!(existing.is_none());
        let _: i64 = sqlx::query_scalar("SELECT id FROM customers WHERE id = ?")
            .bind(customer)
            .fetch_one(&mut *tx)
            .await?;
        let product: i64 = sqlx::query_scalar("SELECT id FROM products WHERE sku = ?")
            .bind(sku)
            .fetch_one(&mut *tx)
            .await?;
        let (price, reserved): (i64, i64) =
            sqlx::query_as("SELECT price, reserved FROM products WHERE id = ?")
                .bind(product)
                .fetch_one(&mut *tx)
                .await?;
        let order = sqlx::query(
            "INSERT INTO orders (customer_id, status, total, idempotency_key, \
             request_fingerprint, created_at, updated_at) VALUES (?, 'PENDING', ?, ?, 'x', ?, ?)",
        )
        .bind(customer)
        .bind(price)
        .bind(key)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        sqlx::query(
            "INSERT INTO order_lines (order_id, line_no, product_id, sku, product_name, \
             unit_price, quantity, line_total) VALUES (?, 0, ?, ?, 'x', ?, 1, ?)",
        )
        .bind(order)
        .bind(product)
        .bind(sku)
        .bind(price)
        .bind(price)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE products SET reserved = ?, updated_at = ? WHERE id = ?")
            .bind(reserved + 1)
            .bind(now)
            .bind(product)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO stock_movements (product_id, kind, on_hand_delta, reserved_delta, \
             order_id, created_at) VALUES (?, 'RESERVATION', 0, 1, ?, ?)",
        )
        .bind(product)
        .bind(order)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO order_status_history (order_id, to_status, changed_at) \
             VALUES (?, 'PENDING', ?)",
        )
        .bind(order)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, payload, \
             occurred_at) VALUES ('OrderCreated', 'order', ?, '{}', ?)",
        )
        .bind(order)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    pub async fn mysql_order(
        pool: &sqlx::MySqlPool,
        customer: i64,
        sku: &str,
        key: &str,
    ) -> Result<(), sqlx::Error> {
        let now = chrono::Utc::now();
        let mut tx = pool.begin().await?;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM orders WHERE customer_id = ? AND idempotency_key = ?",
        )
        .bind(customer)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        assert!(existing.is_none());
        let _: i64 = sqlx::query_scalar("SELECT id FROM customers WHERE id = ? LOCK IN SHARE MODE")
            .bind(customer)
            .fetch_one(&mut *tx)
            .await?;
        let product: i64 = sqlx::query_scalar("SELECT id FROM products WHERE sku = ?")
            .bind(sku)
            .fetch_one(&mut *tx)
            .await?;
        let (price, reserved): (rust_decimal::Decimal, i64) = sqlx::query_as(
            "SELECT price, reserved FROM products WHERE id IN (?) ORDER BY id FOR UPDATE",
        )
        .bind(product)
        .fetch_one(&mut *tx)
        .await?;
        let order = sqlx::query(
            "INSERT INTO orders (customer_id, status, total, idempotency_key, \
             request_fingerprint, created_at, updated_at) VALUES (?, 'PENDING', ?, ?, 'x', ?, ?)",
        )
        .bind(customer)
        .bind(price)
        .bind(key)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .last_insert_id();
        sqlx::query(
            "INSERT INTO order_lines (order_id, line_no, product_id, sku, product_name, \
             unit_price, quantity, line_total) VALUES (?, 0, ?, ?, 'x', ?, 1, ?)",
        )
        .bind(order)
        .bind(product)
        .bind(sku)
        .bind(price)
        .bind(price)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE products SET reserved = ?, updated_at = ? WHERE id = ?")
            .bind(reserved + 1)
            .bind(now)
            .bind(product)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO stock_movements (product_id, kind, on_hand_delta, reserved_delta, \
             order_id, created_at) VALUES (?, 'RESERVATION', 0, 1, ?, ?)",
        )
        .bind(product)
        .bind(order)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO order_status_history (order_id, to_status, changed_at) \
             VALUES (?, 'PENDING', ?)",
        )
        .bind(order)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, payload, \
             occurred_at) VALUES ('OrderCreated', 'order', ?, '{}', ?)",
        )
        .bind(order)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }
}

async fn plain_placer(
    prepared: &Prepared,
    hot: bool,
) -> impl Fn(u64) -> BoxedUnit + Send + Sync + 'static {
    let customer = prepared.customer;
    enum Pool {
        Sqlite(sqlx::SqlitePool),
        Mysql(sqlx::MySqlPool),
    }
    let pool = Arc::new(match prepared.dialect {
        Dialect::Sqlite => {
            use std::str::FromStr;
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&prepared.url)
                .unwrap()
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                // The durability erp-core's SQLite store uses.
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5));
            // One writer connection, as erp-core's SQLite store uses (see its docs).
            Pool::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .unwrap(),
            )
        }
        Dialect::Mysql => Pool::Mysql(
            sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(40)
                .connect(&prepared.url)
                .await
                .unwrap(),
        ),
    });
    move |n| {
        let pool = pool.clone();
        Box::pin(async move {
            let sku = sku_for(hot, n);
            let key = key(n);
            // The plain loop retries deadlocks and busy errors too, like erp-core does.
            for attempt in 1..=20u32 {
                let placed = match &*pool {
                    Pool::Sqlite(pool) => plain::sqlite_order(pool, customer, &sku, &key).await,
                    Pool::Mysql(pool) => plain::mysql_order(pool, customer, &sku, &key).await,
                };
                if placed.is_ok() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(u64::from(attempt))).await;
            }
            panic!("plain order kept failing");
        })
    }
}

fn bench_dialect(c: &mut Criterion, runtime: &Runtime, dialect: Dialect, server: Option<&str>) {
    let prepared = runtime.block_on(prepare(dialect, server));
    let mut group = c.benchmark_group(format!("create_order_{dialect:?}").to_lowercase());
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for hot in [true, false] {
        let spread = if hot { "hot_sku" } else { "100_skus" };
        for tasks in [1u64, 8, 32] {
            let erp_place = Arc::new(through_erp(&prepared, hot));
            group.bench_with_input(
                BenchmarkId::new(format!("erp_core/{spread}"), tasks),
                &tasks,
                |b, &tasks| {
                    b.to_async(runtime).iter_custom(|iters| {
                        let place = erp_place.clone();
                        async move { run_orders(tasks, iters, move |n| place(n)).await }
                    })
                },
            );
            let counter_place = Arc::new(through_counter(&prepared, hot));
            group.bench_with_input(
                BenchmarkId::new(format!("erp_core_counter/{spread}"), tasks),
                &tasks,
                |b, &tasks| {
                    b.to_async(runtime).iter_custom(|iters| {
                        let place = counter_place.clone();
                        async move { run_orders(tasks, iters, move |n| place(n)).await }
                    })
                },
            );
            let plain_place = Arc::new(runtime.block_on(plain_placer(&prepared, hot)));
            group.bench_with_input(
                BenchmarkId::new(format!("plain_sql/{spread}"), tasks),
                &tasks,
                |b, &tasks| {
                    b.to_async(runtime).iter_custom(|iters| {
                        let place = plain_place.clone();
                        async move { run_orders(tasks, iters, move |n| place(n)).await }
                    })
                },
            );
        }
    }
    group.finish();
    let found = runtime
        .block_on(prepared.erp.check_invariants(&Actor::system()))
        .unwrap();
    // The plain loop skips erp-core's bookkeeping of request fingerprints only; stock, movements
    // and history stay consistent, which this checks.
    assert!(found.is_empty(), "{found:?}");
    runtime.block_on(prepared.remove());
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    bench_dialect(c, &runtime, Dialect::Sqlite, None);
    match std::env::var("ERP_TEST_MYSQL_URL") {
        Ok(server) => bench_dialect(c, &runtime, Dialect::Mysql, Some(&server)),
        Err(_) => eprintln!("skipped MySQL: ERP_TEST_MYSQL_URL is not set"),
    }
}

criterion_group!(sql, benches);
criterion_main!(sql);
