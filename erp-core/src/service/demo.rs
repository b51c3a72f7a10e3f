//! The demo catalogue: a small Brazilian general store (names in Brazilian Portuguese), loaded
//! once into an empty shop.

use serde::Serialize;

use super::{Attempt, Erp, no_unique};
use crate::Actor;
use crate::domain::{
    Email, Money, MovementKind, Name, NewCustomer, NewMovement, Permission, Phone, Reason, Sku,
    StockDelta, TaxId,
};
use crate::error::{Error, Result};
use crate::events::DomainEvent;
use crate::store::{CustomerDraft, ProductDraft, UniqueKey};

/// The milestone recorded when the demo data is loaded.
const DEMO_DATA: &str = "demo_data";

/// What loading the demo data created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeedReport {
    /// Products added (SKUs that already existed are left alone).
    pub products: usize,
    /// Customers added.
    pub customers: usize,
}

/// `(sku, name, price, stock, reorder level)`.
const PRODUCTS: &[(&str, &str, &str, i64, i64)] = &[
    (
        "COF-250",
        "Café em grãos, torra escura 250 g",
        "24.90",
        60,
        10,
    ),
    (
        "COF-500",
        "Café em grãos, torra média 500 g",
        "42.50",
        35,
        8,
    ),
    ("COF-GRD-250", "Café moído 250 g", "18.90", 80, 15),
    ("TEA-GRN-20", "Chá verde, 20 sachês", "9.80", 45, 10),
    ("TEA-MATE-500", "Erva-mate 500 g", "16.40", 30, 6),
    ("TEA-CHAM-15", "Chá de camomila, 15 sachês", "7.90", 4, 8),
    ("SUG-1K", "Açúcar refinado 1 kg", "5.49", 120, 20),
    ("SUG-DEM-1K", "Açúcar demerara 1 kg", "8.99", 40, 10),
    ("MLK-1L", "Leite integral 1 L", "5.99", 96, 24),
    ("MLK-OAT-1L", "Bebida de aveia 1 L", "14.90", 18, 6),
    ("BRD-LOAF", "Pão de fermentação natural", "17.00", 12, 4),
    (
        "BRD-CHEESE-12",
        "Pão de queijo congelado, 12 un.",
        "19.90",
        25,
        6,
    ),
    ("RICE-5K", "Arroz branco 5 kg", "27.90", 50, 10),
    ("BEAN-BLK-1K", "Feijão preto 1 kg", "8.49", 70, 15),
    ("BEAN-CAR-1K", "Feijão carioca 1 kg", "7.99", 65, 15),
    ("PASTA-SPG-500", "Espaguete 500 g", "4.79", 90, 20),
    ("OIL-SOY-900", "Óleo de soja 900 ml", "7.29", 55, 12),
    (
        "OIL-OLV-500",
        "Azeite de oliva extravirgem 500 ml",
        "39.90",
        22,
        5,
    ),
    ("SALT-1K", "Sal marinho 1 kg", "3.19", 75, 10),
    ("CHOC-70-100", "Chocolate amargo 70% 100 g", "12.90", 40, 10),
    ("BISC-MAIZ-200", "Biscoito de maisena 200 g", "4.49", 3, 10),
    ("JAM-GUAVA-300", "Goiabada 300 g", "6.90", 28, 6),
    ("HONEY-500", "Mel silvestre 500 g", "29.90", 14, 4),
    ("WATER-15L", "Água mineral 1,5 L", "3.29", 150, 30),
    ("JUICE-ORG-1L", "Suco de laranja 1 L", "11.90", 20, 6),
    ("SOAP-BAR-90", "Sabonete em barra 90 g", "2.99", 110, 20),
    ("DET-500", "Detergente líquido 500 ml", "2.79", 85, 15),
    ("PAPER-TWL-2", "Papel toalha, 2 rolos", "8.90", 33, 8),
    ("TP-12", "Papel higiênico, 12 rolos", "21.90", 26, 6),
    ("SPONGE-4", "Esponjas de cozinha, 4 un.", "6.49", 0, 5),
    ("BAT-AA-4", "Pilhas AA, 4 un.", "18.90", 30, 6),
    ("BULB-LED-9W", "Lâmpada LED 9 W", "11.50", 45, 8),
    ("NOTE-A5", "Caderno A5, 96 folhas", "13.90", 38, 8),
    (
        "PEN-BLU-3",
        "Canetas esferográficas azuis, 3 un.",
        "5.90",
        64,
        12,
    ),
    ("BAG-REUSE", "Sacola retornável", "4.00", 200, 20),
    ("7891000100103", "Leite condensado 395 g", "7.49", 48, 12),
];

/// `(name, email, phone, tax id)`.
const CUSTOMERS: &[(&str, &str, Option<&str>, Option<&str>)] = &[
    ("Consumidor final", "walk-in@shop.example", None, None),
    (
        "Ana Beatriz Souza",
        "ana.souza@example.com",
        Some("+55 11 98765-4321"),
        Some("390.533.447-05"),
    ),
    (
        "João Pedro Lima",
        "joao.lima@example.com",
        Some("+55 21 99876-1234"),
        Some("714.602.835-62"),
    ),
    (
        "Mariana Costa",
        "mariana.costa@example.org",
        None,
        Some("158.274.630-35"),
    ),
    (
        "Padaria Estrela Ltda",
        "compras@padariaestrela.example",
        Some("+55 11 3456-7890"),
        Some("45.871.233/0001-06"),
    ),
    (
        "Café do Largo ME",
        "contato@cafedolargo.example",
        Some("+55 31 3222-1100"),
        Some("07.QX5.R1T/0001-03"),
    ),
];

fn demo_customers() -> Result<Vec<NewCustomer>> {
    CUSTOMERS
        .iter()
        .map(|(name, email, phone, tax_id)| {
            Ok(NewCustomer {
                name: Name::parse(name).map_err(|e| e.in_field("name"))?,
                email: Email::parse(email).map_err(|e| e.in_field("email"))?,
                phone: phone
                    .map(Phone::parse)
                    .transpose()
                    .map_err(|e| e.in_field("phone"))?,
                tax_id: tax_id
                    .map(TaxId::parse)
                    .transpose()
                    .map_err(|e| e.in_field("tax_id"))?,
            })
        })
        .collect()
}

/// A demo product: SKU, name, price, opening stock, reorder level.
type DemoProduct = (Sku, Name, Money, i64, i64);

fn demo_products() -> Result<Vec<DemoProduct>> {
    PRODUCTS
        .iter()
        .map(|(sku, name, price, stock, reorder)| {
            Ok((
                Sku::parse(sku).map_err(|e| e.in_field("sku"))?,
                Name::parse(name).map_err(|e| e.in_field("name"))?,
                Money::parse(price).map_err(|e| e.in_field("price"))?,
                *stock,
                *reorder,
            ))
        })
        .collect()
}

impl Erp {
    /// Loads the demo catalogue (three dozen products with stock, six customers including a
    /// walk-in customer) once and only once: a second call fails with [`Error::AlreadyDone`].
    /// Products whose SKU already exists are skipped.
    pub async fn seed_demo(&self, actor: &Actor) -> Result<SeedReport> {
        actor.require(Permission::Operate)?;
        let products = demo_products()?;
        let customers = demo_customers()?;
        self.run(
            || self.try_seed(actor, &products, &customers),
            |key| match key {
                UniqueKey::Milestone => Error::AlreadyDone {
                    what: "loading the demo data",
                },
                UniqueKey::CustomerEmail | UniqueKey::CustomerTaxId => Error::Duplicate {
                    field: "email",
                    value: "a demo customer's e-mail or tax id".into(),
                },
                other => no_unique(other),
            },
        )
        .await
    }

    async fn try_seed(
        &self,
        actor: &Actor,
        products: &[DemoProduct],
        customers: &[NewCustomer],
    ) -> Attempt<SeedReport> {
        let now = self.now();
        let mut tx = self.begin().await?;
        tx.insert_milestone(DEMO_DATA, now).await?;
        let skus: Vec<Sku> = products.iter().map(|p| p.0.clone()).collect();
        let existing: Vec<Sku> = tx
            .product_ids_by_sku(&skus)
            .await?
            .into_iter()
            .map(|(sku, _)| sku)
            .collect();
        let mut report = SeedReport {
            products: 0,
            customers: 0,
        };
        for (sku, name, price, stock, reorder) in products {
            if existing.contains(sku) {
                continue;
            }
            let id = tx
                .insert_product(&ProductDraft {
                    sku: sku.clone(),
                    name: name.clone(),
                    price: *price,
                    on_hand: *stock,
                    reorder_level: *reorder,
                    created_at: now,
                })
                .await?;
            if *stock > 0 {
                tx.insert_movement(&NewMovement {
                    product_id: id,
                    kind: MovementKind::Receipt,
                    delta: StockDelta {
                        on_hand: *stock,
                        reserved: 0,
                    },
                    order_id: None,
                    reason: Reason::parse("demo data").ok(),
                    created_by: actor.user_id(),
                    created_at: now,
                    request_key: None,
                })
                .await?;
            }
            let event = DomainEvent::ProductCreated {
                product_id: id,
                sku: sku.to_string(),
            };
            self.record(&mut tx, actor, event, now).await?;
            report.products += 1;
        }
        for customer in customers {
            let id = tx
                .insert_customer(&CustomerDraft {
                    customer: customer.clone(),
                    created_at: now,
                })
                .await?;
            self.record(
                &mut tx,
                actor,
                DomainEvent::CustomerCreated { customer_id: id },
                now,
            )
            .await?;
            report.customers += 1;
        }
        tx.commit().await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_data_is_valid_and_has_low_and_empty_stock_to_show() {
        let products = demo_products().unwrap();
        assert!(products.len() >= 30);
        assert!(products.iter().any(|p| p.3 == 0));
        assert!(products.iter().any(|p| p.3 > 0 && p.3 <= p.4));
        assert_eq!(demo_customers().unwrap().len(), CUSTOMERS.len());
    }
}
