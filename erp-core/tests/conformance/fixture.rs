//! Small builders so each conformance test reads like the rule it checks.

use erp_core::domain::{
    Customer, CustomerId, NewUser, Order, OrderReceipt, OrderStatus, Password, Product, Role, Sku,
    Username,
};
use erp_core::input::{CustomerInput, OrderInput, OrderLineInput, ProductInput};
use erp_core::{Actor, Erp, Error};

/// The shop under test, acting as the system (an admin without a user row) unless told otherwise.
pub struct Shop {
    pub erp: Erp,
    pub admin: Actor,
}

impl Shop {
    pub fn new(erp: Erp) -> Shop {
        Shop {
            erp,
            admin: Actor::system(),
        }
    }

    pub async fn product(&self, sku: &str, price: &str, stock: i64) -> Product {
        self.erp
            .create_product(
                &self.admin,
                ProductInput {
                    sku: sku.into(),
                    name: format!("Product {sku}"),
                    price: price.into(),
                    initial_stock: Some(stock),
                    reorder_level: Some(2),
                }
                .parse()
                .unwrap(),
            )
            .await
            .unwrap()
    }

    pub async fn customer(&self, name: &str) -> Customer {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        self.erp
            .create_customer(
                &self.admin,
                CustomerInput {
                    name: name.into(),
                    email,
                    phone: None,
                    tax_id: None,
                }
                .parse()
                .unwrap(),
            )
            .await
            .unwrap()
    }

    /// Places an order for `lines` under `key` as `actor`.
    pub async fn order_as(
        &self,
        actor: &Actor,
        customer: CustomerId,
        lines: &[(&str, i64)],
        key: &str,
    ) -> Result<OrderReceipt, Error> {
        let input = OrderInput {
            customer_id: customer.get(),
            lines: lines
                .iter()
                .map(|(sku, quantity)| OrderLineInput {
                    sku: (*sku).into(),
                    quantity: *quantity,
                })
                .collect(),
            note: None,
        };
        self.erp.create_order(actor, &input.parse(key)?).await
    }

    pub async fn order(
        &self,
        customer: CustomerId,
        lines: &[(&str, i64)],
        key: &str,
    ) -> Result<OrderReceipt, Error> {
        self.order_as(&self.admin, customer, lines, key).await
    }

    /// Moves an order along the happy path until it reaches `target`.
    pub async fn advance(&self, order: &Order, target: OrderStatus) -> Order {
        let mut current = order.clone();
        while current.status != target {
            let next = current.status.next()[0];
            current = self
                .erp
                .change_status(&self.admin, current.id, next, None)
                .await
                .unwrap();
        }
        current
    }

    pub async fn stock(&self, sku: &str) -> (i64, i64) {
        let product = self
            .erp
            .product_by_sku(&self.admin, &Sku::parse(sku).unwrap())
            .await
            .unwrap();
        (product.on_hand, product.reserved)
    }

    /// Creates a user with `role` and logs in as them.
    pub async fn user(&self, name: &str, role: Role) -> Actor {
        self.erp
            .create_user(
                &self.admin,
                NewUser {
                    username: Username::parse(name).unwrap(),
                    password: Password::new(PASSWORD).unwrap(),
                    role,
                },
            )
            .await
            .unwrap();
        self.erp.authenticate(name, PASSWORD).await.unwrap()
    }

    /// Fails the test if any invariant is broken.
    pub async fn assert_consistent(&self) {
        let found = self.erp.check_invariants(&self.admin).await.unwrap();
        assert!(found.is_empty(), "inconsistencies: {found:#?}");
    }
}

pub const PASSWORD: &str = "a long enough password";
