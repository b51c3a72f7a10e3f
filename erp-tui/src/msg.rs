//! What happens: keys, the clock, and results of background tasks.

use crossterm::event::KeyEvent;
use erp_core::domain::{Customer, Order, Page, Product, StatusChange, User};
use erp_core::{Actor, Error, SeedReport};

/// A page of orders with the names of their customers (`(id, name)`).
pub type OrdersPage = (Page<Order>, Vec<(i64, String)>);

/// Everything the update step reacts to.
#[derive(Debug)]
pub enum Msg {
    /// A key was pressed.
    Key(KeyEvent),
    /// The terminal was resized (the next frame redraws at the new size).
    Resize,
    /// About once a second: lists refresh themselves.
    Tick,
    /// Whether any user exists (first run or login).
    UsersExist(Result<bool, Error>),
    /// The first admin was created and logged in.
    Bootstrapped(Result<Actor, Error>),
    /// The demo data was loaded.
    Seeded(Result<SeedReport, Error>),
    /// A login attempt ended.
    LoggedIn(Result<Actor, Error>),
    /// Products for a search (tagged with the search's sequence number).
    Products(u64, Result<Page<Product>, Error>),
    /// What a code ended by Enter resolved to (None: nothing matches).
    Scanned(String, Result<Option<Product>, Error>),
    /// The cart's products as they are now, checked before the order is placed.
    CartChecked(Result<Vec<Product>, Error>),
    /// Customers for a search.
    Customers(u64, Result<Page<Customer>, Error>),
    /// A customer was created or changed.
    CustomerSaved(Result<Customer, Error>),
    /// A customer was deleted.
    CustomerDeleted(Result<(), Error>),
    /// The sale's order was placed (or replayed).
    OrderPlaced(Result<erp_core::domain::OrderReceipt, Error>),
    /// A page of orders with their customers' names.
    Orders(u64, Result<OrdersPage, Error>),
    /// One order with its history and customer.
    OrderDetail(Result<(Order, Vec<StatusChange>, Customer), Error>),
    /// An order moved.
    StatusChanged(Result<Order, Error>),
    /// A product was created, changed or restocked.
    ProductSaved(Result<Product, Error>),
    /// A page of users.
    Users(Result<Page<User>, Error>),
    /// A user was created or changed.
    UserSaved(Result<User, Error>),
    /// The cart file was written (or not).
    CartSaved(Result<(), String>),
}
