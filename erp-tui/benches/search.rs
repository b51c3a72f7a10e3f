//! Keystroke-to-screen latency of the till's product search over 100,000 products on SQLite:
//! from the key event to the rendered frame showing the results (the search runs through
//! erp-core as in the app; the harness awaits it and renders at 80x24).
//!
//! `cargo bench -p erp-tui --bench search`. Also prints the process's memory with that catalogue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::KeyCode;
use erp_core::domain::{NewUser, Password, Role, Username};
use erp_core::{Actor, ConnectOptions, Erp};
use erp_tui::harness::Harness;

const PRODUCTS: usize = 100_000;
const WORDS: [&str; 12] = [
    "coffee", "tea", "sugar", "milk", "bread", "rice", "beans", "pasta", "oil", "salt", "honey",
    "juice",
];

/// A catalogue of 100,000 products, inserted in one transaction (erp-core's one-by-one path
/// would take minutes and measures something else), with their opening receipts so the data is
/// consistent.
async fn catalogue(url: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    for i in 0..PRODUCTS {
        let word = WORDS[i % WORDS.len()];
        let name = format!("{} {} {}", word, WORDS[(i / 7) % WORDS.len()], i);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO products (sku, name, name_folded, price, on_hand, reserved, \
             reorder_level, active, created_at, updated_at) \
             VALUES (?, ?, ?, 199, 50, 0, 5, 1, 0, 0) RETURNING id",
        )
        .bind(format!("P{i:06}"))
        .bind(&name)
        .bind(name.to_lowercase())
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO stock_movements (product_id, kind, on_hand_delta, reserved_delta, \
             created_at) VALUES (?, 'RECEIPT', 50, 0, 0)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut app = runtime.block_on(async {
        let erp = Erp::connect(&url, &ConnectOptions::default())
            .await
            .unwrap();
        catalogue(&url).await;
        erp.create_user(
            &Actor::system(),
            NewUser {
                username: Username::parse("till").unwrap(),
                password: Password::new("bench password").unwrap(),
                role: Role::Operator,
            },
        )
        .await
        .unwrap();
        let mut app = Harness::start(erp, None, 80, 24).await.unwrap();
        app.type_text("till").await;
        app.press(KeyCode::Enter).await;
        app.type_text("bench password").await;
        app.press(KeyCode::Enter).await;
        app
    });
    assert!(app.screen().contains("Search SKU/name"));
    let before = rss_kib();

    // Each iteration is one keystroke: the key goes in, the search runs, the frame is drawn.
    let mut group = c.benchmark_group("till_search_100k_products");
    group.measurement_time(Duration::from_secs(5));
    for (name, term, expect) in [
        ("common_name_word", "honey", "honey"),
        ("sku_prefix", "p0421", "P04"),
        ("rare_name_match", "99999", "99999"),
        ("no_match", "zzzzz", "Products"),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                // Each sample starts on an empty search field, whatever the last one left.
                runtime.block_on(app.press(KeyCode::Esc));
                let mut total = Duration::ZERO;
                let mut typed = 0;
                for _ in 0..iters {
                    let key = match term.chars().nth(typed) {
                        Some(c) => {
                            typed += 1;
                            KeyCode::Char(c)
                        }
                        None => {
                            typed = 0;
                            KeyCode::Esc
                        }
                    };
                    let start = Instant::now();
                    runtime.block_on(app.press(key));
                    let frame = app.screen();
                    total += start.elapsed();
                    if typed == term.len() {
                        assert!(frame.contains(expect), "{frame}");
                    }
                }
                total
            })
        });
    }
    group.finish();
    println!(
        "memory: {} KiB resident after loading 100,000 products and searching ({} KiB before the searches)",
        rss_kib(),
        before
    );
}

criterion_group!(search, bench);
criterion_main!(search);
