//! A scripted shift at one till, ending with its Z report printed at 42 columns.
//!
//! The till opens with 100.00, rings up 20 counter sales with mixed tenders and discounts, takes
//! back one item (cash refund), sends cash to the safe (sangria) and closes 0.50 short.
//!
//! `cargo run -p erp-core --example z_report` (in memory), or pass a database URL.

use erp_core::domain::{
    CashMovementKind, Discount, Disposition, IdempotencyKey, Money, Name, NewCounterSale,
    NewRegister, NewReturn, NewUser, Password, Percent, Quantity, Reason, RegisterCode,
    ReturnLineRequest, Role, SaleLine, Sku, Tender, TenderLine, Username,
};
use erp_core::input::{CustomerInput, ProductInput};
use erp_core::{Actor, ConnectOptions, Erp};

fn money(text: &str) -> Money {
    Money::parse(text).unwrap_or(Money::ZERO)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "memory".into());
    let erp = Erp::connect(&url, &ConnectOptions::default()).await?;
    let system = Actor::system();
    for (name, role) in [("ana", Role::Operator), ("bia", Role::Manager)] {
        erp.create_user(
            &system,
            NewUser {
                username: Username::parse(name)?,
                password: Password::new("correct horse battery")?,
                role,
            },
        )
        .await?;
    }
    let ana = erp.authenticate("ana", "correct horse battery").await?;
    let bia = erp.authenticate("bia", "correct horse battery").await?;
    let catalogue = [
        ("CAFE-250", "Coffee 250 g", "18.90"),
        ("TEA-20", "Green tea", "9.80"),
        ("MUG", "Mug", "24.50"),
        ("BISC", "Biscuits", "4.35"),
    ];
    for (sku, name, price) in catalogue {
        let input = ProductInput {
            sku: sku.into(),
            name: name.into(),
            price: price.into(),
            initial_stock: Some(100),
            reorder_level: Some(5),
        };
        erp.create_product(&system, input.parse()?).await?;
    }
    let walk_in = erp
        .create_customer(
            &system,
            CustomerInput {
                name: "Walk-in customer".into(),
                email: "walk-in@shop.example".into(),
                ..Default::default()
            }
            .parse()?,
        )
        .await?;
    let register = erp
        .create_register(
            &bia,
            NewRegister {
                code: RegisterCode::parse("CAIXA-01")?,
                name: Name::parse("Front counter")?,
            },
        )
        .await?;
    let session = erp
        .open_cash_session(&ana, register.id, money("100.00"))
        .await?;

    // 20 sales: cycling through the catalogue, tenders and discounts (all within the 10 % an
    // operator may give alone).
    let mut first_sale = None;
    for i in 0..20u32 {
        let (sku, _, _) = catalogue[(i % 4) as usize];
        let quantity = i64::from(1 + i % 3);
        let discount = match i % 5 {
            1 => Some(Discount::Percent(Percent::parse("10")?)),
            3 => Some(Discount::amount(money("0.30"))?),
            _ => None,
        };
        let line = SaleLine {
            sku: Sku::parse(sku)?,
            quantity: Quantity::new(quantity)?,
            unit_price: None,
            discount,
        };
        let sale_discount = (i % 7 == 6).then_some(Discount::Percent(Percent::TEN));
        // Price it first (as the till's screen does) to know what is due.
        let product = erp.product_by_sku(&ana, &line.sku).await?;
        let priced = erp_core::domain::price_sale(
            &[(product.price, &line)],
            sale_discount,
            erp.discount_policy(),
        )?;
        let due = priced.total;
        let tenders = match i % 4 {
            0 => vec![TenderLine::new(Tender::Cash, round_up(due), None)?],
            1 => vec![TenderLine::new(Tender::Debit, due, None)?],
            2 => {
                let half = Money::from_cents(due.cents() / 2)?;
                let rest = Money::from_cents(due.cents() - half.cents())?;
                vec![
                    TenderLine::new(Tender::Pix, half, None)?,
                    TenderLine::new(Tender::Cash, rest, None)?,
                ]
            }
            _ => vec![TenderLine::new(Tender::Credit, due, None)?],
        };
        let sale = NewCounterSale::new(
            register.id,
            walk_in.id,
            vec![line],
            sale_discount,
            tenders,
            IdempotencyKey::parse(&format!("shift-sale-{i}"))?,
            None,
            None,
        )?;
        let sold = erp.sell_at_counter(&ana, &sale).await?;
        first_sale.get_or_insert(sold.order);
    }

    // One coffee comes back from the first sale, refunded in cash with the manager's approval.
    let first = first_sale.ok_or("no sale")?;
    let back = NewReturn::new(
        first.id,
        vec![ReturnLineRequest {
            sku: Sku::parse("CAFE-250")?,
            quantity: Quantity::new(1)?,
            disposition: Disposition::Restock,
        }],
        vec![TenderLine::new(Tender::Cash, money("18.90"), None)?],
        Some(register.id),
        IdempotencyKey::parse("shift-return-1")?,
        None,
        Some(erp_core::domain::ApproverCredentials::new(
            "bia",
            "correct horse battery",
        )),
    )?;
    erp.record_return(&ana, &back).await?;

    // Sangria: 150.00 to the safe.
    erp.move_cash(
        &ana,
        register.id,
        CashMovementKind::Out,
        money("150.00"),
        Reason::parse("to the safe")?,
    )
    .await?;

    // Count: 0.50 short in cash, the terminals' totals as expected.
    let x = erp.session_report(&ana, session.id).await?;
    let counts: Vec<(Tender, Money)> = x
        .tenders
        .iter()
        .map(|t| {
            let counted = if t.tender == Tender::Cash {
                Money::from_cents(t.expected.cents() - 50).unwrap_or(Money::ZERO)
            } else {
                t.expected
            };
            (t.tender, counted)
        })
        .collect();
    let z = erp.close_cash_session(&ana, session.id, &counts).await?;
    print!("{}", z.render(42));
    let found = erp.check_invariants(&system).await?;
    println!(
        "invariants: {}",
        if found.is_empty() {
            "all hold"
        } else {
            "BROKEN"
        }
    );
    Ok(())
}

/// The next whole ten: what a customer hands over in notes.
fn round_up(due: Money) -> Money {
    let cents = (due.cents() + 999) / 1000 * 1000;
    Money::from_cents(cents).unwrap_or(due)
}
