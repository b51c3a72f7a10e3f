//! Property tests: random sequences of commands from several users against the in-memory store.
//!
//! After every step the invariant check of ARCHITECTURE.md must find nothing, and every command's
//! outcome (which error, or success) and the resulting stock and statuses must match a reference
//! model small enough to be obviously right: a few maps of numbers.
//!
//! `PROPTEST_CASES` raises the number of sequences (default 48, each up to 80 commands).

#![cfg(not(loom))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};

use erp_core::domain::{
    CustomerId, NewUser, OrderId, OrderStatus, Password, Permission, Role, Sku, Username,
};
use erp_core::input::{CustomerInput, OrderInput, OrderLineInput, ProductInput, StockInput};
use erp_core::{Actor, Erp, Error};
use futures::executor::block_on;
use proptest::prelude::*;

const SKUS: [&str; 5] = ["TEA", "MUG", "BAG", "PEN", "JAM"];
const CUSTOMERS: [&str; 3] = ["ana", "bia", "cid"];
const KEYS: usize = 6;

/// One command as generated. Indexes pick among a small set so collisions (same SKU, same key,
/// same order) are frequent.
#[derive(Clone, Debug)]
enum Command {
    CreateProduct {
        sku: usize,
        price_cents: i64,
        stock: i64,
    },
    CreateCustomer {
        name: usize,
    },
    DeleteCustomer {
        name: usize,
    },
    Adjust {
        user: usize,
        sku: usize,
        delta: i64,
    },
    Deactivate {
        sku: usize,
    },
    Order {
        user: usize,
        customer: usize,
        lines: Vec<(usize, i64)>,
        key: usize,
    },
    Move {
        user: usize,
        order: usize,
        to: OrderStatus,
    },
    /// Moves an order one step along the happy path (as the model sees it), so that orders
    /// really get picked, shipped and delivered.
    Advance {
        user: usize,
        order: usize,
    },
    /// The previous order command again: same user, customer, lines and key (a client retry).
    Retry,
    Garbage {
        json: String,
    },
}

fn command() -> impl Strategy<Value = Command> {
    // Forward moves more often than the rest, so orders get all the way to delivery.
    use OrderStatus::*;
    let status = prop::sample::select(vec![
        Pending, Confirmed, Confirmed, Picked, Picked, Shipped, Shipped, Delivered, Cancelled,
    ]);
    prop_oneof![
        2 => (0..SKUS.len(), 0i64..2000, 0i64..12)
            .prop_map(|(sku, price_cents, stock)| Command::CreateProduct { sku, price_cents, stock }),
        1 => (0..CUSTOMERS.len()).prop_map(|name| Command::CreateCustomer { name }),
        1 => (0..CUSTOMERS.len()).prop_map(|name| Command::DeleteCustomer { name }),
        2 => (0..USERS.len(), 0..SKUS.len(), -8i64..10)
            .prop_map(|(user, sku, delta)| Command::Adjust { user, sku, delta }),
        1 => (0..SKUS.len()).prop_map(|sku| Command::Deactivate { sku }),
        // Mostly well-formed orders (distinct SKUs, positive quantities) so that stock really
        // moves; malformed ones (empty, zero or negative quantity, repeated SKU) now and then.
        8 => (
            0..USERS.len(),
            0..CUSTOMERS.len(),
            prop::sample::subsequence((0..SKUS.len()).collect::<Vec<_>>(), 1..=3)
                .prop_flat_map(|skus| {
                    let n = skus.len();
                    (Just(skus), prop::collection::vec(1i64..5, n))
                })
                .prop_map(|(skus, quantities)| skus.into_iter().zip(quantities).collect()),
            0..KEYS
        )
            .prop_map(|(user, customer, lines, key)| Command::Order { user, customer, lines, key }),
        1 => (
            0..USERS.len(),
            0..CUSTOMERS.len(),
            prop::collection::vec((0..SKUS.len(), -1i64..3), 0..4),
            0..KEYS
        )
            .prop_map(|(user, customer, lines, key)| Command::Order { user, customer, lines, key }),
        2 => Just(Command::Retry),
        8 => (0..USERS.len(), 0..4usize).prop_map(|(user, order)| Command::Advance { user, order }),
        10 => (0..USERS.len(), 0..4usize, status)
            .prop_map(|(user, order, to)| Command::Move { user, order, to }),
        1 => any::<String>().prop_map(|json| Command::Garbage { json }),
    ]
}

/// The acting users: the system (admin) and one user per role.
const USERS: [Role; 5] = [
    Role::Admin,
    Role::Viewer,
    Role::Operator,
    Role::Manager,
    Role::Admin,
];

// ---------------------------------------------------------------------------------------------
// The reference model

#[derive(Clone, Debug, PartialEq, Eq)]
struct ModelProduct {
    price_cents: i64,
    on_hand: i64,
    reserved: i64,
    active: bool,
}

#[derive(Clone, Debug)]
struct ModelOrder {
    id: OrderId,
    customer: CustomerId,
    /// `(sku, quantity)` sorted by SKU: what makes two requests "the same".
    request: Vec<(usize, i64)>,
    status: OrderStatus,
    /// Every status the order has had, creation first.
    path: Vec<OrderStatus>,
}

#[derive(Default)]
struct Model {
    products: BTreeMap<usize, ModelProduct>,
    customers: HashMap<usize, CustomerId>,
    deleted: Vec<usize>,
    orders: Vec<ModelOrder>,
    /// `(customer id, key index)` to the order it created.
    keys: HashMap<(CustomerId, usize), usize>,
}

/// The state machine, written out again independently of erp-core's table.
fn legal(from: OrderStatus, to: OrderStatus) -> bool {
    use OrderStatus::*;
    matches!(
        (from, to),
        (Pending, Confirmed)
            | (Confirmed, Picked)
            | (Picked, Shipped)
            | (Shipped, Delivered)
            | (Pending, Cancelled)
            | (Confirmed, Cancelled)
    )
}

/// The next status along the happy path, independently of erp-core's table.
fn happy_next(status: OrderStatus) -> Option<OrderStatus> {
    use OrderStatus::*;
    match status {
        Pending => Some(Confirmed),
        Confirmed => Some(Picked),
        Picked => Some(Shipped),
        Shipped => Some(Delivered),
        Delivered | Cancelled => None,
    }
}

/// What the model expects of a command: success, or an error with this code.
type Expected = Result<(), &'static str>;

impl Model {
    fn live_customer(&self, name: usize) -> bool {
        self.customers.contains_key(&name) && !self.deleted.contains(&name)
    }

    fn expect_order(
        &self,
        role: Role,
        customer: usize,
        lines: &[(usize, i64)],
        key: usize,
    ) -> Expected {
        // Input parsing comes first (at the edge), then the service's checks in its own order.
        if lines.is_empty() || lines.iter().any(|(_, q)| *q < 1) {
            return Err("validation_failed");
        }
        let mut skus: Vec<usize> = lines.iter().map(|(s, _)| *s).collect();
        skus.sort_unstable();
        skus.dedup();
        if skus.len() != lines.len() {
            return Err("validation_failed");
        }
        if !role.allows(Permission::CreateOrder) {
            return Err("forbidden");
        }
        let Some(&id) = self.customers.get(&customer) else {
            return Err("not_found");
        };
        if let Some(&index) = self.keys.get(&(id, key)) {
            let mut request = lines.to_vec();
            request.sort_unstable();
            return if self.orders[index].request == request {
                Ok(())
            } else {
                Err("idempotency_conflict")
            };
        }
        if !self.live_customer(customer) {
            return Err("customer_deleted");
        }
        if lines
            .iter()
            .any(|(sku, _)| !self.products.contains_key(sku))
        {
            return Err("not_found");
        }
        for (sku, quantity) in lines {
            let product = &self.products[sku];
            if !product.active {
                return Err("product_inactive");
            }
            if *quantity > product.on_hand - product.reserved {
                return Err("insufficient_stock");
            }
        }
        Ok(())
    }

    fn apply_order(
        &mut self,
        customer: CustomerId,
        lines: &[(usize, i64)],
        key: usize,
        id: OrderId,
    ) {
        if self.keys.contains_key(&(customer, key)) {
            return; // a replay changes nothing
        }
        for (sku, quantity) in lines {
            self.products.get_mut(sku).unwrap().reserved += quantity;
        }
        let mut request = lines.to_vec();
        request.sort_unstable();
        self.orders.push(ModelOrder {
            id,
            customer,
            request,
            status: OrderStatus::Pending,
            path: vec![OrderStatus::Pending],
        });
        self.keys.insert((customer, key), self.orders.len() - 1);
    }

    fn expect_move(&self, role: Role, order: usize, to: OrderStatus) -> Expected {
        let needed = if to == OrderStatus::Cancelled {
            Permission::CancelOrder
        } else {
            Permission::ChangeOrderStatus
        };
        if !role.allows(needed) {
            return Err("forbidden");
        }
        match self.orders.get(order) {
            None => Err("not_found"),
            Some(o) if !legal(o.status, to) => Err("invalid_transition"),
            Some(_) => Ok(()),
        }
    }

    fn apply_move(&mut self, order: usize, to: OrderStatus) {
        let o = &mut self.orders[order];
        o.status = to;
        o.path.push(to);
        for (sku, quantity) in o.request.clone() {
            let product = self.products.get_mut(&sku).unwrap();
            match to {
                OrderStatus::Cancelled => product.reserved -= quantity,
                OrderStatus::Shipped => {
                    product.reserved -= quantity;
                    product.on_hand -= quantity;
                }
                _ => {}
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running a sequence

struct World {
    erp: Erp,
    actors: Vec<Actor>,
    model: Model,
    last_order: Option<Command>,
}

fn world() -> World {
    let erp = Erp::in_memory();
    let system = Actor::system();
    let mut actors = vec![system.clone()];
    for (index, role) in USERS.iter().enumerate().skip(1) {
        let username = format!("user{index}");
        block_on(erp.create_user(
            &system,
            NewUser {
                username: Username::parse(&username).unwrap(),
                password: Password::new("a long enough password").unwrap(),
                role: *role,
            },
        ))
        .unwrap();
        actors.push(block_on(erp.authenticate(&username, "a long enough password")).unwrap());
    }
    World {
        erp,
        actors,
        model: Model::default(),
        last_order: None,
    }
}

/// Every product (with the given opening stock) and every customer, so that most generated
/// orders have something to order and someone to order for.
fn opening(stocks: &[i64]) -> Vec<Command> {
    let products = stocks
        .iter()
        .enumerate()
        .map(|(sku, stock)| Command::CreateProduct {
            sku,
            price_cents: 100 + 37 * sku as i64,
            stock: *stock,
        });
    let customers = (0..CUSTOMERS.len()).map(|name| Command::CreateCustomer { name });
    products.chain(customers).collect()
}

fn code<T>(result: &Result<T, Error>) -> Result<(), &'static str> {
    match result {
        Ok(_) => Ok(()),
        Err(error) => Err(error.code()),
    }
}

/// The customer id an order names: a real one, or a made-up one for a name never created.
fn customer_id(world: &World, name: usize) -> CustomerId {
    world
        .model
        .customers
        .get(&name)
        .copied()
        .unwrap_or(CustomerId(10_000 + name as i64))
}

fn step(world: &mut World, command: &Command) {
    if let Command::Retry = command {
        if let Some(previous) = world.last_order.clone() {
            step(world, &previous);
        }
        return;
    }
    if let Command::Order { .. } = command {
        world.last_order = Some(command.clone());
    }
    if let Command::Advance { user, order } = command {
        let next = world
            .model
            .orders
            .get(*order)
            .and_then(|o| happy_next(o.status));
        if let Some(to) = next {
            step(
                world,
                &Command::Move {
                    user: *user,
                    order: *order,
                    to,
                },
            );
        }
        return;
    }
    let erp = world.erp.clone();
    let system = Actor::system();
    match command {
        Command::CreateProduct {
            sku,
            price_cents,
            stock,
        } => {
            let input = ProductInput {
                sku: SKUS[*sku].into(),
                name: format!("Product {}", SKUS[*sku]),
                price: format!("{}.{:02}", price_cents / 100, price_cents % 100),
                initial_stock: Some(*stock),
                reorder_level: None,
            };
            let result = block_on(erp.create_product(&system, input.parse().unwrap()));
            let expected = if world.model.products.contains_key(sku) {
                Err("duplicate")
            } else {
                Ok(())
            };
            assert_eq!(code(&result), expected, "{command:?}");
            if result.is_ok() {
                world.model.products.insert(
                    *sku,
                    ModelProduct {
                        price_cents: *price_cents,
                        on_hand: *stock,
                        reserved: 0,
                        active: true,
                    },
                );
            }
        }
        Command::CreateCustomer { name } => {
            let input = CustomerInput {
                name: CUSTOMERS[*name].into(),
                email: format!("{}@example.com", CUSTOMERS[*name]),
                ..Default::default()
            };
            let result = block_on(erp.create_customer(&system, input.parse().unwrap()));
            let expected = if world.model.live_customer(*name) {
                Err("duplicate")
            } else {
                Ok(())
            };
            assert_eq!(code(&result), expected, "{command:?}");
            if let Ok(customer) = result {
                // A new customer with a deleted one's e-mail: the name now means the new one.
                world.model.deleted.retain(|d| d != name);
                world.model.customers.insert(*name, customer.id);
            }
        }
        Command::DeleteCustomer { name } => {
            let id = customer_id(world, *name);
            let result = block_on(erp.delete_customer(&system, id));
            let expected = if world.model.customers.contains_key(name) {
                Ok(())
            } else {
                Err("not_found")
            };
            assert_eq!(code(&result), expected, "{command:?}");
            if result.is_ok() && !world.model.deleted.contains(name) {
                world.model.deleted.push(*name);
            }
        }
        Command::Adjust { user, sku, delta } => {
            let actor = &world.actors[*user];
            let input = StockInput {
                kind: "adjustment".into(),
                quantity: *delta,
                reason: "count".into(),
            };
            let parsed = input.parse();
            let Some(product) = world.model.products.get(sku).cloned() else {
                return;
            };
            let id = block_on(erp.product_by_sku(&system, &Sku::parse(SKUS[*sku]).unwrap()))
                .unwrap()
                .id;
            let result = match parsed {
                Ok((change, reason)) => block_on(erp.adjust_stock(actor, id, change, reason)),
                Err(error) => {
                    assert_eq!(*delta, 0, "only a zero adjustment is refused at the edge");
                    assert_eq!(error.code(), "validation_failed");
                    return;
                }
            };
            let expected = if !USERS[*user].allows(Permission::ManageCatalog) {
                Err("forbidden")
            } else if product.on_hand + delta < product.reserved {
                Err("stock_below_reserved")
            } else {
                Ok(())
            };
            assert_eq!(code(&result), expected, "{command:?}");
            if result.is_ok() {
                world.model.products.get_mut(sku).unwrap().on_hand += delta;
            }
        }
        Command::Deactivate { sku } => {
            let Some(product) = world.model.products.get_mut(sku) else {
                return;
            };
            let id = block_on(erp.product_by_sku(&system, &Sku::parse(SKUS[*sku]).unwrap()))
                .unwrap()
                .id;
            block_on(erp.deactivate_product(&system, id)).unwrap();
            product.active = false;
        }
        Command::Order {
            user,
            customer,
            lines,
            key,
        } => {
            let input = OrderInput {
                customer_id: customer_id(world, *customer).get(),
                lines: lines
                    .iter()
                    .map(|(sku, quantity)| OrderLineInput {
                        sku: SKUS[*sku].into(),
                        quantity: *quantity,
                    })
                    .collect(),
                note: None,
            };
            let expected = world
                .model
                .expect_order(USERS[*user], *customer, lines, *key);
            let result = input
                .parse(&format!("key-{key}"))
                .and_then(|order| block_on(erp.create_order(&world.actors[*user], &order)));
            assert_eq!(code(&result), expected, "{command:?}");
            if let Ok(receipt) = result {
                let id = world.model.customers[customer];
                let was_known = world.model.keys.contains_key(&(id, *key));
                assert_eq!(receipt.replayed, was_known, "replay flag for {command:?}");
                if was_known {
                    let index = world.model.keys[&(id, *key)];
                    assert_eq!(receipt.order.id, world.model.orders[index].id);
                }
                world.model.apply_order(id, lines, *key, receipt.order.id);
                let expected_total: i64 = lines
                    .iter()
                    .map(|(sku, q)| world.model.products[sku].price_cents * q)
                    .sum();
                if !receipt.replayed {
                    assert_eq!(receipt.order.total.cents(), expected_total);
                }
            }
        }
        Command::Move { user, order, to } => {
            let expected = world.model.expect_move(USERS[*user], *order, *to);
            let id = world
                .model
                .orders
                .get(*order)
                .map_or(OrderId(99_999), |o| o.id);
            let result = block_on(erp.change_status(&world.actors[*user], id, *to, None));
            assert_eq!(code(&result), expected, "{command:?}");
            if result.is_ok() {
                world.model.apply_move(*order, *to);
            }
        }
        Command::Retry | Command::Advance { .. } => {}
        Command::Garbage { json } => {
            // Whatever arrives as a request body is refused cleanly or parsed into a valid
            // command; it never panics. (Placing it is covered by the Order command.)
            if let Ok(input) = serde_json::from_str::<OrderInput>(json) {
                let _ = input.parse("key-garbage");
            }
            let _ = serde_json::from_str::<ProductInput>(json).map(|p| p.parse());
        }
    }
}

/// The store agrees with the model on every product's stock and every order's status.
fn assert_agrees(world: &World) {
    let system = Actor::system();
    for (sku, expected) in &world.model.products {
        let product = block_on(
            world
                .erp
                .product_by_sku(&system, &Sku::parse(SKUS[*sku]).unwrap()),
        )
        .unwrap();
        let actual = ModelProduct {
            price_cents: product.price.cents(),
            on_hand: product.on_hand,
            reserved: product.reserved,
            active: product.active,
        };
        assert_eq!(&actual, expected, "stock of {}", SKUS[*sku]);
    }
    for order in &world.model.orders {
        let stored = block_on(world.erp.order(&system, order.id)).unwrap();
        assert_eq!(stored.status, order.status, "status of order {}", order.id);
        assert_eq!(stored.customer_id, order.customer);
        assert_history_is_the_path(world, order);
    }
}

/// The stored history of an order is exactly the path the model saw, starting with creation,
/// every row continuing from the one before along a legal transition.
fn assert_history_is_the_path(world: &World, order: &ModelOrder) {
    let history = block_on(world.erp.order_history(&Actor::system(), order.id)).unwrap();
    let statuses: Vec<OrderStatus> = history.iter().map(|change| change.to).collect();
    assert_eq!(statuses, order.path, "history of order {}", order.id);
    assert_eq!(
        history[0].from, None,
        "history of order {} starts at creation",
        order.id
    );
    for pair in history.windows(2) {
        assert_eq!(
            pair[1].from,
            Some(pair[0].to),
            "history of order {}",
            order.id
        );
        assert!(
            legal(pair[0].to, pair[1].to),
            "order {}: {} -> {}",
            order.id,
            pair[0].to,
            pair[1].to
        );
    }
}

fn assert_invariants(world: &World) {
    let found = block_on(world.erp.check_invariants(&Actor::system())).unwrap();
    assert!(found.is_empty(), "{found:#?}");
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(48);
    ProptestConfig {
        cases,
        // Shrinking replays whole sequences; a few hundred attempts find a short failing one.
        max_shrink_iters: 400,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Stock never goes negative or below what is reserved, reserved always equals what open
    /// orders hold, both always equal the sum of the movements, every history is a legal path:
    /// after every command of every sequence.
    #[test]
    fn every_command_sequence_keeps_the_invariants(
        stocks in prop::collection::vec(0i64..15, SKUS.len()),
        commands in prop::collection::vec(command(), 1..80),
    ) {
        let mut world = world();
        for command in opening(&stocks).iter().chain(&commands) {
            step(&mut world, command);
            assert_invariants(&world);
        }
    }

    /// Each command succeeds or fails exactly as the reference model predicts (same error code),
    /// replays return the original order, and stock, statuses and each order's history (a legal
    /// path) match the model after every step.
    #[test]
    fn service_agrees_with_the_reference_model(
        stocks in prop::collection::vec(0i64..15, SKUS.len()),
        commands in prop::collection::vec(command(), 1..80),
    ) {
        let mut world = world();
        for command in opening(&stocks).iter().chain(&commands) {
            step(&mut world, command);
            assert_agrees(&world);
        }
    }
}
