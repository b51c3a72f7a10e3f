//! Persistence: the [`Store`] trait every backend implements, and the backends.
//!
//! The service (business rules) is written once over this trait. A backend only stores, loads,
//! locks and enforces its unique constraints; it never decides whether a command is allowed.
//!
//! # Transactions and locks
//! Every command runs in one [`Transaction`] from [`Store::begin`]. Dropping a transaction without
//! [`Transaction::commit`] rolls it back: nothing it wrote becomes visible. Locking reads
//! (`lock_*`) hold their row until commit or rollback. To stay free of deadlocks the service takes
//! locks in one global order: the order row first (if any), then products in ascending id. A
//! backend may still report a deadlock or a lock timeout as [`StoreError::Retryable`]; the service
//! then rolls back and runs the whole command again.
//!
//! # Unique constraints
//! A backend reports a violated unique constraint as [`StoreError::Unique`] naming it. It may do so
//! from the write itself or, if it defers checks, from `commit`; the service handles both.

pub mod memory;
#[cfg(feature = "sql")]
pub(crate) mod sql;

use async_trait::async_trait;

use crate::domain::audit::AuditSnapshot;
use crate::domain::{
    CashMovement, CashMovementId, CashSession, CashSessionId, Customer, CustomerId, CustomerQuery,
    EventId, HistoryId, IdempotencyKey, LoginFailures, LoginKey, Money, MovementId,
    NewCashMovement, NewCashSession, NewCustomer, NewMovement, NewParkedSale, NewPayment,
    NewRegister, NewStatusChange, Note, Order, OrderDraft, OrderId, OrderLine, OrderQuery,
    OrderStatus, Page, PageRequest, ParkedSale, ParkedSaleId, Payment, PaymentId, Product,
    ProductId, ProductQuery, Quantity, Recall, Register, RegisterId, ReturnId, ReturnedLine, Role,
    SaleReturn, SessionClosing, SessionTotals, ShopSettings, Sku, StatusChange, StockMovement,
    Timestamp, User, UserId, UserRecord, Username,
};
use crate::events::{EventRecord, NewEvent, OutboxBacklog};

/// The unique constraints a backend enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UniqueKey {
    /// `products.sku`.
    Sku,
    /// `customers.email` among live (not deleted) customers.
    CustomerEmail,
    /// `customers.tax_id` among live customers.
    CustomerTaxId,
    /// `users.username`.
    Username,
    /// `orders (customer_id, idempotency_key)`.
    IdempotencyKey,
    /// `milestones.name` (one-time setup steps).
    Milestone,
    /// `refresh_tokens.token_hash`.
    RefreshToken,
    /// `stock_movements (product_id, request_key)`.
    StockRequest,
    /// `order_status_history (order_id, request_key)`.
    StatusRequest,
    /// `registers.code`.
    RegisterCode,
    /// One open cash session per register.
    OpenCashSession,
    /// `returns (order_id, idempotency_key)`.
    ReturnKey,
    /// `parked_sales.idempotency_key`.
    ParkedSaleKey,
    /// `cash_movements (cash_session_id, request_key)`.
    CashRequest,
}

/// A backend failure, classified for the service.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint rejected a write.
    #[error("unique constraint on {0:?} violated")]
    Unique(UniqueKey),
    /// Deadlock, lock wait timeout or a busy database: the transaction was rolled back and the whole
    /// command may be run again.
    #[error("transient conflict: {0}")]
    Retryable(String),
    /// The database cannot be reached (connection refused, pool exhausted, connection lost
    /// before the commit was sent): nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The connection was lost while the commit was under way: the transaction may or may not
    /// have been committed, and this process cannot tell which.
    #[error("outcome unknown: {0}")]
    OutcomeUnknown(String),
    /// Anything else: a bug, corrupted data, an unexpected database error.
    #[error("{0}")]
    Other(String),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// A customer row about to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerDraft {
    /// The validated fields.
    pub customer: NewCustomer,
    /// Creation time (also `updated_at`).
    pub created_at: Timestamp,
}

/// A product row about to be written. Its opening stock is written as a receipt movement in the
/// same transaction; the row itself starts with `on_hand` already set to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductDraft {
    /// Code.
    pub sku: Sku,
    /// Name.
    pub name: crate::domain::Name,
    /// Price.
    pub price: crate::domain::Money,
    /// Opening on hand.
    pub on_hand: i64,
    /// Low-stock threshold.
    pub reorder_level: i64,
    /// Creation time (also `updated_at`).
    pub created_at: Timestamp,
}

/// What a command takes from a product's stock with [`Transaction::claim_stock`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockClaim {
    /// Held for an order to be shipped later ([`Product::reserve`]).
    Reserve,
    /// Gone over the counter ([`Product::sell`]).
    Sell,
}

impl StockClaim {
    /// The rule itself, on a product in memory.
    pub fn apply(
        self,
        product: &mut Product,
        quantity: Quantity,
    ) -> Result<crate::domain::StockDelta, crate::Error> {
        match self {
            StockClaim::Reserve => product.reserve(quantity),
            StockClaim::Sell => product.sell(quantity),
        }
    }

    /// The movement kind that records it.
    pub fn movement(self) -> crate::domain::MovementKind {
        match self {
            StockClaim::Reserve => crate::domain::MovementKind::Reservation,
            StockClaim::Sell => crate::domain::MovementKind::Sale,
        }
    }
}

/// A user row about to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserDraft {
    /// Login name.
    pub username: Username,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Creation time (also `updated_at`).
    pub created_at: Timestamp,
}

/// A return about to be written, with its lines (its refunds are payments written apart).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnDraft {
    /// The order.
    pub order_id: OrderId,
    /// The lines.
    pub lines: Vec<ReturnedLine>,
    /// The refunds' sum.
    pub refund_total: Money,
    /// The session a cash refund goes through.
    pub cash_session_id: Option<CashSessionId>,
    /// The approving manager.
    pub approved_by: Option<UserId>,
    /// The client's key.
    pub idempotency_key: IdempotencyKey,
    /// The request's digest.
    pub request_fingerprint: String,
    /// The note.
    pub note: Option<Note>,
    /// Who.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: Timestamp,
}

impl ReturnDraft {
    /// The return as it reads once stored under `id` with its `refunds`.
    pub fn into_return(self, id: ReturnId, refunds: Vec<Payment>) -> SaleReturn {
        SaleReturn {
            id,
            order_id: self.order_id,
            lines: self.lines,
            refunds,
            refund_total: self.refund_total,
            cash_session_id: self.cash_session_id,
            approved_by: self.approved_by,
            idempotency_key: self.idempotency_key,
            request_fingerprint: self.request_fingerprint,
            note: self.note,
            created_by: self.created_by,
            created_at: self.created_at,
        }
    }
}

/// A refresh token as stored: only its SHA-256 digest, never the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    /// Hex SHA-256 of the token, unique.
    pub token_hash: String,
    /// The family: every token rotated from one login shares it.
    pub family: String,
    /// Whose.
    pub user_id: UserId,
    /// When issued.
    pub issued_at: Timestamp,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
    /// When it was exchanged for a new one (a second use means theft: the family is revoked).
    pub used_at: Option<Timestamp>,
    /// When it was revoked (logout or detected reuse).
    pub revoked_at: Option<Timestamp>,
}

/// One unit of work. Dropping it without commit rolls it back.
///
/// Reads inside a transaction see committed data and, on rows this transaction has locked, its
/// own writes. The service never needs to read back an unlocked row it wrote in the same
/// transaction, so a backend may defer its writes to commit.
#[async_trait]
pub trait Transaction: Send {
    // --- locking and reading ---

    /// Locks the products with these ids for the rest of the transaction, in the order given,
    /// and returns those that exist in that order. The service passes ids sorted ascending and
    /// without duplicates.
    async fn lock_products(&mut self, ids: &[ProductId]) -> StoreResult<Vec<Product>>;

    /// Resolves SKUs to product ids without locking; unknown SKUs are left out.
    async fn product_ids_by_sku(&mut self, skus: &[Sku]) -> StoreResult<Vec<(Sku, ProductId)>>;

    /// The products with these SKUs as committed, in no particular order; unknown SKUs are left
    /// out. The SQL backends read them without locking (the lock comes later, from
    /// [`Transaction::claim_stock`]); a backend that cannot read without locking may lock.
    async fn products_by_sku(&mut self, skus: &[Sku]) -> StoreResult<Vec<Product>> {
        let mut ids: Vec<ProductId> = self
            .product_ids_by_sku(skus)
            .await?
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        self.lock_products(&ids).await
    }

    /// Applies `claim` for `quantity` of product `id` if, at this moment, it is active, still
    /// sells at `price` and has `quantity` available, and says whether it did. The rule is
    /// [`Product::reserve`]'s and [`Product::sell`]'s (a test runs both on the same cases). On SQL
    /// this is one conditional `UPDATE`, so the product's row lock is taken here, as late as
    /// possible, and held only until the commit that follows.
    async fn claim_stock(
        &mut self,
        id: ProductId,
        claim: StockClaim,
        quantity: Quantity,
        price: Money,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let Some(mut product) = self.lock_products(&[id]).await?.pop() else {
            return Ok(false);
        };
        if product.price != price || claim.apply(&mut product, quantity).is_err() {
            return Ok(false);
        }
        product.updated_at = at;
        self.update_product(&product).await?;
        Ok(true)
    }

    /// Locks an order row (with its lines) for the rest of the transaction.
    async fn lock_order(&mut self, id: OrderId) -> StoreResult<Option<Order>>;

    /// The order a customer created with this key, if any (committed data, no lock).
    async fn order_by_idempotency_key(
        &mut self,
        customer: CustomerId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<Order>>;

    /// The stock movement a client's request with this key made on this product, if any. Called
    /// with the product locked, so it sees every committed movement of the product.
    async fn movement_by_request_key(
        &mut self,
        product: ProductId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<StockMovement>>;

    /// The status change a client's request with this key made on this order, if any. Called with
    /// the order locked, so it sees every committed change of the order.
    async fn status_change_by_request_key(
        &mut self,
        order: OrderId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<StatusChange>>;

    /// Reads a customer and keeps it from being changed or deleted until commit, without
    /// blocking other readers (a shared lock where the engine has one).
    async fn share_customer(&mut self, id: CustomerId) -> StoreResult<Option<Customer>>;

    /// Locks a customer row for an edit.
    async fn lock_customer(&mut self, id: CustomerId) -> StoreResult<Option<Customer>>;

    /// Reads the user a command acts as, without a lock, so the service can check that they are
    /// still active and what their role is now. No lock: every command reads its actor first, and
    /// a lock here would order the actor's row before the rows a user edit locks.
    async fn acting_user(&mut self, id: UserId) -> StoreResult<Option<User>>;

    /// Locks a user row.
    async fn lock_user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>>;

    /// Locks a user row found by login name.
    async fn lock_user_by_username(
        &mut self,
        username: &Username,
    ) -> StoreResult<Option<UserRecord>>;

    /// The failed-login count of `key` (none if never counted), locked until the unit of work
    /// ends, so that concurrent logins read and update it one after another. The service locks
    /// the whole address's count before a username's.
    async fn lock_login_failures(&mut self, key: &LoginKey) -> StoreResult<LoginFailures>;

    /// Stores a locked failed-login count; a count of zero removes it.
    async fn set_login_failures(&mut self, count: &LoginFailures) -> StoreResult<()>;

    /// Locks a refresh token row by its digest.
    async fn lock_refresh_token(
        &mut self,
        token_hash: &str,
    ) -> StoreResult<Option<RefreshTokenRecord>>;

    /// A register (no lock: registers never change).
    async fn register(&mut self, id: RegisterId) -> StoreResult<Option<Register>>;

    /// The open cash session of a register, locked until commit: shared for what only adds cash
    /// (a sale), exclusive for what takes cash out or ends the session. A session closed while
    /// this waited for the lock is not returned.
    async fn lock_open_cash_session(
        &mut self,
        register: RegisterId,
        exclusive: bool,
    ) -> StoreResult<Option<CashSession>>;

    /// A cash session by id, locked exclusively.
    async fn lock_cash_session(&mut self, id: CashSessionId) -> StoreResult<Option<CashSession>>;

    /// What went through a session, as committed (called with the session locked exclusively,
    /// so nothing is in flight).
    async fn cash_session_totals(&mut self, id: CashSessionId) -> StoreResult<SessionTotals>;

    /// The return an order's key made, if any (committed data, no lock).
    async fn return_by_key(
        &mut self,
        order: OrderId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<SaleReturn>>;

    // --- writing ---

    /// Inserts a customer; [`UniqueKey::CustomerEmail`] / [`UniqueKey::CustomerTaxId`] if taken.
    async fn insert_customer(&mut self, draft: &CustomerDraft) -> StoreResult<CustomerId>;

    /// Writes every field of an existing customer (including `deleted_at`).
    async fn update_customer(&mut self, customer: &Customer) -> StoreResult<()>;

    /// Inserts a product; [`UniqueKey::Sku`] if the SKU is taken.
    async fn insert_product(&mut self, draft: &ProductDraft) -> StoreResult<ProductId>;

    /// Writes every mutable field of a locked product (name, price, stock, threshold, active,
    /// `updated_at`). The SKU never changes.
    async fn update_product(&mut self, product: &Product) -> StoreResult<()>;

    /// Inserts an order with its lines and returns its id; [`UniqueKey::IdempotencyKey`] if the
    /// customer already used the key.
    async fn insert_order(&mut self, draft: &OrderDraft) -> StoreResult<OrderId> {
        let id = self.insert_order_header(draft).await?;
        self.insert_order_lines(id, &draft.lines).await?;
        Ok(id)
    }

    /// Inserts an order without its lines (see [`Transaction::insert_order`]), so that a command
    /// can write its lines, history and movements next and claim the stock last
    /// ([`Transaction::claim_stock`]): no foreign key from a line to its product locks the product
    /// row before the claim (MySQL migration 0007).
    async fn insert_order_header(&mut self, draft: &OrderDraft) -> StoreResult<OrderId>;

    /// Inserts the lines of an order inserted by [`Transaction::insert_order_header`].
    async fn insert_order_lines(&mut self, order: OrderId, lines: &[OrderLine]) -> StoreResult<()>;

    /// Sets a locked order's status and `updated_at`.
    async fn update_order_status(
        &mut self,
        id: OrderId,
        status: OrderStatus,
        updated_at: Timestamp,
    ) -> StoreResult<()>;

    /// Inserts a register; [`UniqueKey::RegisterCode`] if the code is taken.
    async fn insert_register(
        &mut self,
        new: &NewRegister,
        at: Timestamp,
    ) -> StoreResult<RegisterId>;

    /// Opens a session; [`UniqueKey::OpenCashSession`] if its register has one open.
    async fn insert_cash_session(&mut self, new: &NewCashSession) -> StoreResult<CashSessionId>;

    /// Closes a locked, open session with its counts.
    async fn close_cash_session(
        &mut self,
        id: CashSessionId,
        closing: &SessionClosing,
    ) -> StoreResult<()>;

    /// Appends a cash movement.
    async fn insert_cash_movement(
        &mut self,
        movement: &NewCashMovement,
    ) -> StoreResult<CashMovementId>;

    /// The movement made under idempotency key `key` in any session of `register`, if any (the
    /// newest, should several sessions hold the key).
    async fn cash_movement_by_request_key(
        &mut self,
        register: RegisterId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<CashMovement>>;

    /// Appends a payment or refund.
    async fn insert_payment(&mut self, payment: &NewPayment) -> StoreResult<PaymentId>;

    /// Sets a locked order's money figures and `updated_at`.
    async fn update_order_money(&mut self, order: &Order) -> StoreResult<()>;

    /// Sets how many units of a locked order's line have come back.
    async fn set_line_returned(
        &mut self,
        order: OrderId,
        line_no: u32,
        returned: u32,
    ) -> StoreResult<()>;

    /// Inserts a return with its lines; [`UniqueKey::ReturnKey`] if the order's key is used.
    async fn insert_return(&mut self, draft: &ReturnDraft) -> StoreResult<ReturnId>;

    /// Appends a stock movement.
    async fn insert_movement(&mut self, movement: &NewMovement) -> StoreResult<MovementId>;

    /// Appends stock movements (one statement on SQL).
    async fn insert_movements(&mut self, movements: &[NewMovement]) -> StoreResult<()> {
        for movement in movements {
            self.insert_movement(movement).await?;
        }
        Ok(())
    }

    /// Appends a status history row.
    async fn insert_status_change(&mut self, change: &NewStatusChange) -> StoreResult<HistoryId>;

    /// Appends an event to the outbox.
    async fn insert_event(&mut self, event: &NewEvent) -> StoreResult<EventId>;

    /// Inserts a user; [`UniqueKey::Username`] if the name is taken.
    async fn insert_user(&mut self, draft: &UserDraft) -> StoreResult<UserId>;

    /// Writes every mutable field of a locked user (role, hash, active, `updated_at`).
    async fn update_user(&mut self, record: &UserRecord) -> StoreResult<()>;

    /// Records a one-time setup step; [`UniqueKey::Milestone`] if it was already recorded.
    async fn insert_milestone(&mut self, name: &str, at: Timestamp) -> StoreResult<()>;

    /// Stores a refresh token; [`UniqueKey::RefreshToken`] on a digest collision.
    async fn insert_refresh_token(&mut self, token: &RefreshTokenRecord) -> StoreResult<()>;

    /// Writes `used_at` and `revoked_at` of a locked token.
    async fn update_refresh_token(&mut self, token: &RefreshTokenRecord) -> StoreResult<()>;

    /// Revokes every token of a family that is not yet revoked.
    async fn revoke_refresh_family(&mut self, family: &str, at: Timestamp) -> StoreResult<()>;

    /// Revokes every token of a user that is not yet revoked (password change, deactivation).
    async fn revoke_refresh_tokens_of_user(
        &mut self,
        user: UserId,
        at: Timestamp,
    ) -> StoreResult<()>;

    /// Writes every field of the shop's settings (one row per database), noting who and when.
    async fn update_shop_settings(
        &mut self,
        settings: &ShopSettings,
        by: Option<UserId>,
        at: Timestamp,
    ) -> StoreResult<()>;

    /// Parks a cart with its lines, under its idempotency key if it has one (with the request's
    /// fingerprint); [`UniqueKey::ParkedSaleKey`] if the key is used.
    async fn insert_parked_sale(
        &mut self,
        new: &NewParkedSale,
        by: Option<UserId>,
        at: Timestamp,
    ) -> StoreResult<ParkedSaleId>;

    /// Locks a parked cart, reads it and marks it taken at `at` by `by` under `key` (it leaves
    /// every list), so that of two transactions taking one cart only the first finds it (the
    /// second waits for the lock and then finds it taken). A taken cart is kept for its
    /// idempotency key, and a cart taken before by the same `by` under the same `key` is answered
    /// again, marked replayed (a locking read, so it sees a take that committed after this
    /// transaction began).
    async fn take_parked_sale(
        &mut self,
        id: ParkedSaleId,
        at: Timestamp,
        key: Option<&IdempotencyKey>,
        by: Option<UserId>,
    ) -> StoreResult<Option<Recall>>;

    /// The cart parked under idempotency key `key`, taken since or not, with the fingerprint of
    /// the request that parked it (committed data, no lock).
    async fn parked_sale_by_key(
        &mut self,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<(ParkedSale, String)>>;

    /// Makes every write of this transaction durable and visible, and releases its locks.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// A connection pool's state at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open now, in use or idle.
    pub size: u32,
    /// Open connections waiting for work.
    pub idle: u32,
    /// The most the pool may open.
    pub max: u32,
}

/// A backend: in-memory, SQLite or MySQL.
///
/// Reads outside a transaction see committed data. Lists follow the orders documented on the
/// query types, so every backend returns the same rows in the same order.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `memory`, `sqlite` or `mysql`.
    fn backend_name(&self) -> &'static str;

    /// Starts a unit of work.
    async fn begin(&self) -> StoreResult<Box<dyn Transaction>>;

    /// Waits before retry number `attempt` (1-based) of a command that hit
    /// [`StoreError::Retryable`]: jittered, growing backoff for SQL backends.
    async fn pause_before_retry(&self, attempt: u32);

    /// Checks the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// The connection pool's state, for monitoring; `None` for a backend without one.
    fn pool_status(&self) -> Option<PoolStatus>;

    /// A customer by id, deleted or not.
    async fn customer(&self, id: CustomerId) -> StoreResult<Option<Customer>>;
    /// A page of customers: see [`CustomerQuery`].
    async fn customers(&self, query: &CustomerQuery) -> StoreResult<Page<Customer>>;

    /// A product by id.
    async fn product(&self, id: ProductId) -> StoreResult<Option<Product>>;
    /// A product by SKU.
    async fn product_by_sku(&self, sku: &Sku) -> StoreResult<Option<Product>>;
    /// A page of products: see [`ProductQuery`].
    async fn products(&self, query: &ProductQuery) -> StoreResult<Page<Product>>;
    /// A product's stock movements, newest first.
    async fn movements(
        &self,
        product: ProductId,
        page: PageRequest,
    ) -> StoreResult<Page<StockMovement>>;

    /// An order with its lines.
    async fn order(&self, id: OrderId) -> StoreResult<Option<Order>>;
    /// A page of orders with their lines: see [`OrderQuery`].
    async fn orders(&self, query: &OrderQuery) -> StoreResult<Page<Order>>;
    /// An order's status history, oldest first.
    async fn order_history(&self, id: OrderId) -> StoreResult<Vec<StatusChange>>;

    /// A user by id.
    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>>;
    /// A user by login name.
    async fn user_by_username(&self, username: &Username) -> StoreResult<Option<UserRecord>>;
    /// A page of users, by username.
    async fn users(&self, page: PageRequest) -> StoreResult<Page<User>>;
    /// How many users exist (active or not).
    async fn count_users(&self) -> StoreResult<u64>;

    /// Every register, by code.
    async fn registers(&self) -> StoreResult<Vec<Register>>;
    /// A cash session by id.
    async fn cash_session(&self, id: CashSessionId) -> StoreResult<Option<CashSession>>;
    /// A register's sessions, newest first.
    async fn cash_sessions(
        &self,
        register: RegisterId,
        page: PageRequest,
    ) -> StoreResult<Page<CashSession>>;
    /// What went through a session so far.
    async fn cash_session_totals(&self, id: CashSessionId) -> StoreResult<SessionTotals>;
    /// A session's cash movements, oldest first.
    async fn cash_movements(&self, id: CashSessionId) -> StoreResult<Vec<CashMovement>>;
    /// An order's payments and refunds, oldest first.
    async fn payments(&self, order: OrderId) -> StoreResult<Vec<Payment>>;
    /// An order's returns, oldest first, with their refunds.
    async fn returns(&self, order: OrderId) -> StoreResult<Vec<SaleReturn>>;

    /// Outbox events with an id greater than `after`, oldest first, at most `limit`.
    async fn events_after(
        &self,
        after: Option<EventId>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;
    /// Outbox events no relay has published yet, oldest first, at most `limit`.
    async fn unpublished_events(&self, limit: u32) -> StoreResult<Vec<EventRecord>>;
    /// How many events wait for a relay, and since when.
    async fn outbox_backlog(&self) -> StoreResult<OutboxBacklog>;
    /// Marks events as published.
    async fn mark_events_published(&self, ids: &[EventId], at: Timestamp) -> StoreResult<()>;
    /// Deletes at most `limit` events published before `published_before` (never an unpublished
    /// one); returns how many it deleted. One short unit of work, so a large backlog of old
    /// events is removed in bounded batches that never hold locks for long.
    async fn delete_published_events(
        &self,
        published_before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64>;
    /// Deletes at most `limit` failed-login counters whose last failure is older than `before`
    /// (they no longer count); returns how many. A counter that a login updated meanwhile is kept.
    async fn delete_forgotten_login_failures(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64>;

    /// The shop's settings ([`ShopSettings::unconfigured`] until an admin sets them).
    async fn shop_settings(&self) -> StoreResult<ShopSettings>;

    /// Parked carts with their lines, oldest first, at most `limit`.
    async fn parked_sales(&self, limit: u32) -> StoreResult<Vec<ParkedSale>>;

    /// Everything the invariant check needs, read in one consistent snapshot where the engine
    /// offers one.
    async fn audit_snapshot(&self) -> StoreResult<AuditSnapshot>;
}
