//! A whole order's life through erp-core, as an embedding program sees it:
//! open a store, create a user, a product and a customer, place an order, ship it, print it.
//!
//! `cargo run -p erp-core --example quickstart` (a SQLite file in a temporary directory), or
//! `cargo run -p erp-core --example quickstart -- mysql://user:pass@host/db` for another database.

use erp_core::domain::{NewUser, OrderStatus, Password, Role, Username};
use erp_core::input::{CustomerInput, OrderInput, OrderLineInput, ProductInput};
use erp_core::{Actor, ConnectOptions, Erp};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("shop.db").display()));
    let erp = Erp::connect(&url, &ConnectOptions::default()).await?;
    println!("opened {} ({})", url, erp.backend_name());

    // Operator tools act as the system; people act as themselves.
    let system = Actor::system();
    erp.create_user(
        &system,
        NewUser {
            username: Username::parse("ana")?,
            password: Password::new("correct horse battery")?,
            role: Role::Manager,
        },
    )
    .await?;
    let ana = erp.authenticate("ana", "correct horse battery").await?;
    println!("logged in as {} ({})", ana.username(), ana.role());

    let tea = erp
        .create_product(
            &ana,
            ProductInput {
                sku: "TEA-GRN-20".into(),
                name: "Green tea, 20 bags".into(),
                price: "9.80".into(),
                initial_stock: Some(40),
                reorder_level: Some(10),
            }
            .parse()?,
        )
        .await?;
    let customer = erp
        .create_customer(
            &ana,
            CustomerInput {
                name: "Padaria Estrela".into(),
                email: "compras@padariaestrela.example".into(),
                phone: Some("+55 11 3456-7890".into()),
                tax_id: Some("45.871.233/0001-06".into()),
            }
            .parse()?,
        )
        .await?;

    // The idempotency key makes the request safe to retry: the same key never orders twice.
    let request = OrderInput {
        customer_id: customer.id.get(),
        lines: vec![OrderLineInput {
            sku: "tea-grn-20".into(),
            quantity: 6,
        }],
        note: Some("deliver before 10:00".into()),
    }
    .parse("quickstart-order-1")?;
    let placed = erp.create_order(&ana, &request).await?;
    let again = erp.create_order(&ana, &request).await?;
    assert!(again.replayed && again.order.id == placed.order.id);

    for next in [
        OrderStatus::Confirmed,
        OrderStatus::Picked,
        OrderStatus::Shipped,
    ] {
        erp.change_status(&ana, placed.order.id, next, None).await?;
    }

    let order = erp.order(&ana, placed.order.id).await?;
    println!(
        "\norder #{} for {} — {}",
        order.id, customer.name, order.status
    );
    for line in &order.lines {
        println!(
            "  {:<12} {:<24} {:>3} x {:>7} = {:>8}",
            line.sku, line.product_name, line.quantity, line.unit_price, line.line_total
        );
    }
    println!("  {:>57}", format!("total {}", order.total));
    println!("history:");
    for step in erp.order_history(&ana, order.id).await? {
        let from = step.from.map_or("—".to_string(), |s| s.to_string());
        println!(
            "  {}  {:>9} -> {:<9} by user {}",
            step.changed_at.format("%Y-%m-%d %H:%M:%S"),
            from,
            step.to,
            step.changed_by.map_or("system".into(), |id| id.to_string())
        );
    }
    let tea = erp.product(&ana, tea.id).await?;
    println!(
        "stock of {}: {} on hand, {} reserved, {} available",
        tea.sku,
        tea.on_hand,
        tea.reserved,
        tea.available()
    );
    let problems = erp.check_invariants(&ana).await?;
    println!("invariant check: {} problem(s)", problems.len());
    Ok(())
}
