//! The domain: pure types and rules, no I/O.
//!
//! Every type here is valid by construction: constructors (`parse`, `new`) return a `Result`, so a
//! value that exists has passed its checks. Frontends parse what people and programs send into
//! these types at the edge; everything past that point can rely on them.

pub mod audit;
mod cash;
mod contact;
mod customer;
mod ids;
mod invalid;
mod login;
mod money;
mod order;
mod parked;
mod product;
mod quantity;
mod query;
mod returns;
mod sale;
mod shop;
mod sku;
mod status;
mod tax_id;
mod text;
mod time;
mod user;

pub use cash::{
    CashMovement, CashMovementKind, CashSession, MoneyDelta, MovedCash, NewCashMovement,
    NewCashSession, NewRegister, Register, RegisterCode, ReportKind, SessionClosing, SessionReport,
    SessionTotals, TenderCount, TenderSummary, reconcile,
};
pub use contact::{Email, Phone};
pub use customer::{Customer, CustomerChanges, NewCustomer};
pub use ids::{
    CashMovementId, CashSessionId, CustomerId, EventId, HistoryId, MovementId, OrderId,
    ParkedSaleId, PaymentId, ProductId, RegisterId, ReturnId, UserId,
};
pub use invalid::{FieldResult, Invalid};
pub use login::{
    FORGET_FAILURES_AFTER, LOCAL_ADDRESS, LoginFailures, LoginKey, LoginPolicy, login_delay_secs,
};
pub use money::Money;
pub use order::{
    IdempotencyKey, LineRequest, NewOrder, NewStatusChange, Order, OrderDraft, OrderLine,
    OrderReceipt, StatusChange, StatusChanged,
};
pub use parked::{NewParkedSale, Parked, ParkedLabel, ParkedLine, ParkedSale, Recall};
pub use product::{
    MAX_ON_HAND, MovementKind, NewMovement, NewProduct, Product, ProductChanges, StockAdjusted,
    StockChange, StockDelta, StockMovement, parse_stock_level,
};
pub use quantity::Quantity;
pub use query::{
    CustomerQuery, FOLD_VERSION, OrderQuery, Page, PageRequest, ProductQuery, SearchTerm, fold,
};
pub use returns::{
    Disposition, NewReturn, ReturnLineRequest, ReturnOutcome, ReturnedLine, SaleReturn,
};
pub use sale::{
    ApprovalReason, ApproverCredentials, Channel, Discount, DiscountPolicy, NewCounterSale,
    NewOrderPayment, NewPayment, PaidOrder, Payment, PaymentKind, Percent, PricedLine, PricedSale,
    SaleLine, Settlement, Tender, TenderLine, allocate, price_sale, refundable, settle,
};
pub use shop::ShopSettings;
pub use sku::Sku;
pub use status::{OrderStatus, StockEffect};
pub use tax_id::{TaxId, TaxIdKind};
pub use text::{Name, Note, Reason, Reference};
pub use time::{Clock, SystemClock, Timestamp};
pub use user::{NewUser, Password, Permission, Role, User, UserChange, UserRecord, Username};
