//! What happens: keys, the clock, and results of background tasks.

use crossterm::event::KeyEvent;
use erp_core::domain::{
    CashSession, Customer, Order, Page, PaidOrder, Product, Register, SessionReport, StatusChange,
    User,
};
use erp_core::receipt::ReceiptDocument;
use erp_core::{Actor, Error, SeedReport};

/// A page of orders with the names of their customers (`(id, name)`).
pub type OrdersPage = (Page<Order>, Vec<(i64, String)>);

/// Everything the update step reacts to.
#[derive(Debug)]
pub enum Msg {
    /// A key was pressed.
    Key(KeyEvent),
    /// A background task panicked instead of answering (its label): the driver stops the till.
    TaskPanicked(&'static str),
    /// The shop's offset from UTC in minutes, from its settings (read at login).
    ShopOffset(Result<i32, Error>),
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
    /// The cart's products as they are now, checked before paying (tagged with the sale's key).
    CartChecked(Option<String>, Result<Vec<Product>, Error>),
    /// Customers for a search.
    Customers(u64, Result<Page<Customer>, Error>),
    /// A customer was created or changed.
    CustomerSaved(Result<Customer, Error>),
    /// A customer was deleted.
    CustomerDeleted(Result<(), Error>),
    /// A counter sale was made (or replayed), tagged with its idempotency key, with its receipt.
    Sold(String, Result<Box<Sold>, Error>),
    /// The sale could not be saved with its cart before sending, so it was not sent (its key).
    SaleNotSent(String, String),
    /// A manager's login given to void a frozen sale was checked (the sale's key).
    VoidChecked(String, Result<Actor, Error>),
    /// A return was recorded (or replayed), tagged with its idempotency key.
    Returned(
        String,
        Result<Box<crate::screens::returns::Returned>, Error>,
    ),
    /// An order's receipt, to print again.
    Reprinted(Result<Box<erp_core::receipt::ReceiptDocument>, Error>),
    /// The cart with this key (if it had one) was parked.
    Parked(Option<String>, Result<erp_core::domain::ParkedSale, Error>),
    /// A recalled sale that could not be shown was parked again (or not: then its lines are
    /// shown, so they can be typed again).
    Reparked(
        Box<erp_core::domain::ParkedSale>,
        Result<erp_core::domain::ParkedSale, Error>,
    ),
    /// The parked sales, to recall one.
    ParkedList(Result<Vec<erp_core::domain::ParkedSale>, Error>),
    /// A parked sale was recalled: it, its products as they are now, and its customer.
    Recalled(Result<Box<Recalled>, Error>),
    /// This till's register and its open cash session (if any).
    Till(Result<TillState, Error>),
    /// A cash session was opened.
    SessionOpened(Result<CashSession, Error>),
    /// Cash was put in or taken out.
    CashMoved(Result<erp_core::domain::MovedCash, Error>),
    /// A session's report, and what it was asked for.
    Report(ReportFor, Result<SessionReport, Error>),
    /// A slip went to the printer (or not).
    Printed(Result<(), Error>),
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

/// A parked sale taken back, with what the till shows of it.
#[derive(Debug)]
pub struct Recalled {
    /// The parked sale (now gone from the list).
    pub parked: erp_core::domain::ParkedSale,
    /// Its products as they are now (a product that cannot be read is missing).
    pub products: Vec<Product>,
    /// Its customer, if it named one that can be read.
    pub customer: Option<Customer>,
}

/// A counter sale as made: the order with its payments, and its receipt.
#[derive(Debug)]
pub struct Sold {
    /// The order and payments.
    pub paid: PaidOrder,
    /// The receipt.
    pub receipt: ReceiptDocument,
}

/// A till's register and the session open on it (anyone's).
#[derive(Clone, Debug)]
pub struct TillState {
    /// The register.
    pub register: Register,
    /// Its open session.
    pub session: Option<CashSession>,
}

/// Why a session report was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFor {
    /// To show the X report.
    X,
    /// To know which tenders to count at close (the amounts are not shown: a blind count).
    Count,
    /// The Z report of a session just closed.
    Z,
}
