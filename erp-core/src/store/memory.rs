//! The in-memory backend: for tests, demos and embedders that keep no data.
//!
//! All tables live behind one mutex that is only ever held for a short, non-blocking critical
//! section (never across an `.await`). Transactions get their isolation from row locks kept in a
//! lock table under that same mutex: a transaction that wants a row another one holds registers
//! its waker and waits, and is woken when the holder commits or rolls back. Writes are staged in
//! the transaction and applied at commit in one critical section, checking unique constraints as
//! they go and undoing everything if one fails. Row locks are taken in the service's global order
//! (order, then products by ascending id), which is what the loom models check.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;

use super::{
    CustomerDraft, ProductDraft, RefreshTokenRecord, ReturnDraft, Store, StoreError, StoreResult,
    Transaction, UniqueKey, UserDraft,
};
use crate::domain::audit::{
    AuditSnapshot, OrderAudit, OrderMoneyAudit, ProductAudit, SessionAudit,
};
use crate::domain::{
    CashMovement, CashMovementId, CashMovementKind, CashSession, CashSessionId, Channel, Customer,
    CustomerId, CustomerQuery, EventId, HistoryId, IdempotencyKey, LoginFailures, LoginKey, Money,
    MovementId, NewCashMovement, NewCashSession, NewMovement, NewParkedSale, NewPayment,
    NewRegister, NewStatusChange, Order, OrderDraft, OrderId, OrderLine, OrderQuery, OrderStatus,
    Page, PageRequest, ParkedSale, ParkedSaleId, Payment, PaymentId, PaymentKind, Product,
    ProductId, ProductQuery, Recall, Register, RegisterCode, RegisterId, ReturnId, SaleReturn,
    SessionClosing, SessionTotals, ShopSettings, Sku, StatusChange, StockMovement, Tender,
    Timestamp, User, UserId, UserRecord, Username, fold,
};
use crate::events::{EventRecord, NewEvent, OutboxBacklog};
use crate::sync::{Arc, Mutex, lock};

/// The in-memory store. Cheap to clone: clones share the same data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    shared: Arc<Mutex<Shared>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

#[derive(Default)]
struct Shared {
    tables: Tables,
    locks: LockTable,
    next_tx: u64,
}

#[derive(Default)]
struct Tables {
    customers: BTreeMap<CustomerId, Customer>,
    products: BTreeMap<ProductId, StoredProduct>,
    skus: BTreeMap<Sku, ProductId>,
    orders: BTreeMap<OrderId, Order>,
    order_keys: HashMap<(CustomerId, IdempotencyKey), OrderId>,
    history: HashMap<OrderId, Vec<StatusChange>>,
    history_keys: HashMap<(OrderId, IdempotencyKey), HistoryId>,
    movements: HashMap<ProductId, Vec<StockMovement>>,
    movement_keys: HashMap<(ProductId, IdempotencyKey), MovementId>,
    users: BTreeMap<UserId, UserRecord>,
    usernames: HashMap<Username, UserId>,
    events: Vec<EventRecord>,
    milestones: HashSet<String>,
    refresh_tokens: HashMap<String, RefreshTokenRecord>,
    login_failures: HashMap<LoginKey, LoginFailures>,
    registers: BTreeMap<RegisterId, Register>,
    register_codes: HashMap<RegisterCode, RegisterId>,
    sessions: BTreeMap<CashSessionId, CashSession>,
    open_sessions: HashMap<RegisterId, CashSessionId>,
    cash_movements: Vec<CashMovement>,
    /// Keyed cash movements: `(session, key)` to the movement's index in `cash_movements`.
    cash_keys: HashMap<(CashSessionId, IdempotencyKey), usize>,
    payments: Vec<Payment>,
    returns: BTreeMap<ReturnId, SaleReturn>,
    return_keys: HashMap<(OrderId, IdempotencyKey), ReturnId>,
    /// Keyed parked carts as parked, with their requests' fingerprints; kept after the cart is
    /// taken, so a late retry still finds it.
    parked_keys: HashMap<IdempotencyKey, (ParkedSale, String)>,
    parked: BTreeMap<ParkedSaleId, ParkedSale>,
    /// Carts taken under a recall key, with it and the user who took them: a retry of that
    /// recall by that user gets the cart again.
    recalled: HashMap<ParkedSaleId, (IdempotencyKey, Option<UserId>, ParkedSale)>,
    /// `None` until first changed: [`ShopSettings::unconfigured`], as a new SQL database holds.
    shop: Option<ShopSettings>,
    sequences: Sequences,
}

/// Auto-increment counters, one per table, like the SQL backends' (gaps after rollbacks included).
#[derive(Default)]
struct Sequences {
    customer: i64,
    product: i64,
    order: i64,
    user: i64,
    movement: i64,
    history: i64,
    event: i64,
    register: i64,
    session: i64,
    cash_movement: i64,
    payment: i64,
    sale_return: i64,
    parked: i64,
}

fn next(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter
}

#[derive(Clone)]
struct StoredProduct {
    product: Product,
    folded_name: String,
}

// ---------------------------------------------------------------------------------------------
// Row locks

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum LockKey {
    Product(ProductId),
    Order(OrderId),
    Customer(CustomerId),
    User(UserId),
    RefreshToken(String),
    LoginFailures(LoginKey),
    CashSession(CashSessionId),
    ParkedSale(ParkedSaleId),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LockMode {
    Shared,
    Exclusive,
}

#[derive(Default)]
struct LockState {
    exclusive: Option<u64>,
    shared: Vec<u64>,
    waiters: Vec<Waker>,
}

#[derive(Default)]
struct LockTable {
    rows: HashMap<LockKey, LockState>,
}

impl LockTable {
    /// Grants the lock if no other transaction holds a conflicting one.
    fn try_acquire(&mut self, key: &LockKey, mode: LockMode, tx: u64) -> bool {
        let state = self.rows.entry(key.clone()).or_default();
        let others_exclusive = state.exclusive.is_some_and(|holder| holder != tx);
        let others_shared = state.shared.iter().any(|holder| *holder != tx);
        match mode {
            LockMode::Shared if !others_exclusive => {
                if state.exclusive != Some(tx) && !state.shared.contains(&tx) {
                    state.shared.push(tx);
                }
                true
            }
            LockMode::Exclusive if !others_exclusive && !others_shared => {
                state.exclusive = Some(tx);
                state.shared.retain(|holder| *holder != tx);
                true
            }
            _ => false,
        }
    }

    fn wait(&mut self, key: &LockKey, waker: &Waker) {
        let state = self.rows.entry(key.clone()).or_default();
        if !state.waiters.iter().any(|w| w.will_wake(waker)) {
            state.waiters.push(waker.clone());
        }
    }

    /// Releases every lock `tx` holds and wakes whoever waits for them.
    fn release_all(&mut self, tx: u64, keys: &[LockKey]) {
        for key in keys {
            let Some(state) = self.rows.get_mut(key) else {
                continue;
            };
            if state.exclusive == Some(tx) {
                state.exclusive = None;
            }
            state.shared.retain(|holder| *holder != tx);
            for waker in state.waiters.drain(..) {
                waker.wake();
            }
            if state.exclusive.is_none() && state.shared.is_empty() {
                self.rows.remove(key);
            }
        }
    }
}

/// Resolves once the transaction holds the lock.
struct AcquireLock<'a> {
    shared: &'a Mutex<Shared>,
    key: LockKey,
    mode: LockMode,
    tx: u64,
}

impl Future for AcquireLock<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut shared = lock(self.shared);
        if shared.locks.try_acquire(&self.key, self.mode, self.tx) {
            Poll::Ready(())
        } else {
            shared.locks.wait(&self.key, cx.waker());
            Poll::Pending
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Transactions

enum Write {
    InsertCustomer(Customer),
    UpdateCustomer(Customer),
    InsertProduct(Product),
    UpdateProduct(Product),
    InsertOrder(Order),
    UpdateOrderStatus(OrderId, OrderStatus, Timestamp),
    InsertMovement(StockMovement, Option<IdempotencyKey>),
    InsertStatusChange(StatusChange, Option<IdempotencyKey>),
    InsertEvent(EventRecord),
    InsertUser(UserRecord),
    UpdateUser(UserRecord),
    InsertMilestone(String),
    InsertRefreshToken(RefreshTokenRecord),
    UpdateRefreshToken(RefreshTokenRecord),
    RevokeRefreshFamily(String, Timestamp),
    RevokeRefreshTokensOfUser(UserId, Timestamp),
    SetLoginFailures(LoginFailures),
    InsertRegister(Register),
    InsertCashSession(CashSession),
    CloseCashSession(CashSessionId, SessionClosing),
    InsertCashMovement(CashMovement, Option<IdempotencyKey>),
    InsertPayment(Payment),
    UpdateOrderMoney(Order),
    SetLineReturned(OrderId, u32, u32),
    InsertReturn(SaleReturn),
    SetShopSettings(ShopSettings),
    InsertParkedSale(ParkedSale, Option<(IdempotencyKey, String)>),
    DeleteParkedSale(ParkedSaleId, Option<(IdempotencyKey, Option<UserId>)>),
}

struct MemoryTransaction {
    shared: Arc<Mutex<Shared>>,
    id: u64,
    held: Vec<LockKey>,
    writes: Vec<Write>,
}

impl MemoryTransaction {
    async fn acquire(&mut self, key: LockKey, mode: LockMode) {
        AcquireLock {
            shared: &self.shared,
            key: key.clone(),
            mode,
            tx: self.id,
        }
        .await;
        if !self.held.contains(&key) {
            self.held.push(key);
        }
    }

    fn read<T>(&self, f: impl FnOnce(&Tables) -> T) -> T {
        f(&lock(&self.shared).tables)
    }

    fn allocate(&self, f: impl FnOnce(&mut Sequences) -> i64) -> i64 {
        f(&mut lock(&self.shared).tables.sequences)
    }
}

impl Drop for MemoryTransaction {
    fn drop(&mut self) {
        // Commit or rollback: either way the row locks go.
        if !self.held.is_empty() {
            lock(&self.shared).locks.release_all(self.id, &self.held);
        }
    }
}

impl Tables {
    /// [`Transaction::cash_session_totals`] over the committed tables.
    fn totals(&self, id: CashSessionId) -> SessionTotals {
        let mut totals = SessionTotals::default();
        let add = |a: Money, b: Money| a.checked_add(b).unwrap_or(a);
        for order in self.orders.values() {
            if order.cash_session_id != Some(id) || order.channel != Channel::Counter {
                continue;
            }
            totals.sales += 1;
            totals.discounts = add(totals.discounts, order.discount);
            totals.change = add(totals.change, order.change);
            for line in &order.lines {
                totals.gross = add(totals.gross, line.line_total);
                totals.discounts = add(totals.discounts, line.discount);
            }
        }
        for payment in self
            .payments
            .iter()
            .filter(|p| p.cash_session_id == Some(id))
        {
            let map = match payment.kind {
                PaymentKind::Payment => &mut totals.taken,
                PaymentKind::Refund => &mut totals.refunded,
            };
            let entry = map.entry(payment.tender).or_insert(Money::ZERO);
            *entry = add(*entry, payment.amount);
        }
        totals.returns = self
            .returns
            .values()
            .filter(|r| r.cash_session_id == Some(id))
            .count() as u64;
        for movement in self
            .cash_movements
            .iter()
            .filter(|m| m.cash_session_id == id)
        {
            match movement.kind {
                CashMovementKind::In => totals.cash_in = add(totals.cash_in, movement.amount),
                CashMovementKind::Out => totals.cash_out = add(totals.cash_out, movement.amount),
            }
        }
        totals
    }

    /// A return with its refunds attached.
    fn full_return(&self, id: ReturnId) -> Option<SaleReturn> {
        let mut found = self.returns.get(&id).cloned()?;
        found.refunds = self
            .payments
            .iter()
            .filter(|p| p.return_id == Some(id))
            .cloned()
            .collect();
        Some(found)
    }
}

#[async_trait]
impl Transaction for MemoryTransaction {
    async fn register(&mut self, id: RegisterId) -> StoreResult<Option<Register>> {
        Ok(self.read(|t| t.registers.get(&id).cloned()))
    }

    async fn lock_open_cash_session(
        &mut self,
        register: RegisterId,
        exclusive: bool,
    ) -> StoreResult<Option<CashSession>> {
        let Some(id) = self.read(|t| t.open_sessions.get(&register).copied()) else {
            return Ok(None);
        };
        let mode = if exclusive {
            LockMode::Exclusive
        } else {
            LockMode::Shared
        };
        self.acquire(LockKey::CashSession(id), mode).await;
        // The holder we waited for may have closed it.
        Ok(self.read(|t| t.sessions.get(&id).filter(|s| s.is_open()).cloned()))
    }

    async fn lock_cash_session(&mut self, id: CashSessionId) -> StoreResult<Option<CashSession>> {
        self.acquire(LockKey::CashSession(id), LockMode::Exclusive)
            .await;
        Ok(self.read(|t| t.sessions.get(&id).cloned()))
    }

    async fn cash_session_totals(&mut self, id: CashSessionId) -> StoreResult<SessionTotals> {
        Ok(self.read(|t| t.totals(id)))
    }

    async fn return_by_key(
        &mut self,
        order: OrderId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<SaleReturn>> {
        Ok(self.read(|t| {
            t.return_keys
                .get(&(order, key.clone()))
                .and_then(|id| t.full_return(*id))
        }))
    }

    async fn insert_register(
        &mut self,
        new: &NewRegister,
        at: Timestamp,
    ) -> StoreResult<RegisterId> {
        let id = RegisterId(self.allocate(|s| next(&mut s.register)));
        self.writes.push(Write::InsertRegister(Register {
            id,
            code: new.code.clone(),
            name: new.name.clone(),
            created_at: at,
        }));
        Ok(id)
    }

    async fn insert_cash_session(&mut self, new: &NewCashSession) -> StoreResult<CashSessionId> {
        let id = CashSessionId(self.allocate(|s| next(&mut s.session)));
        self.writes.push(Write::InsertCashSession(CashSession {
            id,
            register_id: new.register_id,
            opened_by: new.opened_by,
            opened_at: new.opened_at,
            opening_float: new.opening_float,
            closing: None,
        }));
        Ok(id)
    }

    async fn close_cash_session(
        &mut self,
        id: CashSessionId,
        closing: &SessionClosing,
    ) -> StoreResult<()> {
        self.writes
            .push(Write::CloseCashSession(id, closing.clone()));
        Ok(())
    }

    async fn insert_cash_movement(&mut self, m: &NewCashMovement) -> StoreResult<CashMovementId> {
        let id = CashMovementId(self.allocate(|s| next(&mut s.cash_movement)));
        self.writes.push(Write::InsertCashMovement(
            CashMovement {
                id,
                cash_session_id: m.cash_session_id,
                kind: m.kind,
                amount: m.amount,
                reason: m.reason.clone(),
                created_by: m.created_by,
                created_at: m.created_at,
            },
            m.request_key.clone(),
        ));
        Ok(id)
    }

    async fn cash_movement_by_request_key(
        &mut self,
        register: RegisterId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<CashMovement>> {
        Ok(self.read(|t| {
            t.sessions
                .values()
                .rev()
                .filter(|session| session.register_id == register)
                .find_map(|session| t.cash_keys.get(&(session.id, key.clone())))
                .and_then(|&index| t.cash_movements.get(index).cloned())
        }))
    }

    async fn insert_payment(&mut self, payment: &NewPayment) -> StoreResult<PaymentId> {
        let id = PaymentId(self.allocate(|s| next(&mut s.payment)));
        self.writes
            .push(Write::InsertPayment(payment.clone().into_payment(id)));
        Ok(id)
    }

    async fn update_order_money(&mut self, order: &Order) -> StoreResult<()> {
        self.writes.push(Write::UpdateOrderMoney(order.clone()));
        Ok(())
    }

    async fn set_line_returned(
        &mut self,
        order: OrderId,
        line_no: u32,
        returned: u32,
    ) -> StoreResult<()> {
        self.writes
            .push(Write::SetLineReturned(order, line_no, returned));
        Ok(())
    }

    async fn insert_return(&mut self, draft: &ReturnDraft) -> StoreResult<ReturnId> {
        let id = ReturnId(self.allocate(|s| next(&mut s.sale_return)));
        self.writes.push(Write::InsertReturn(
            draft.clone().into_return(id, Vec::new()),
        ));
        Ok(id)
    }

    async fn lock_products(&mut self, ids: &[ProductId]) -> StoreResult<Vec<Product>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            self.acquire(LockKey::Product(*id), LockMode::Exclusive)
                .await;
            if let Some(stored) = self.read(|t| t.products.get(id).cloned()) {
                found.push(stored.product);
            }
        }
        Ok(found)
    }

    async fn product_ids_by_sku(&mut self, skus: &[Sku]) -> StoreResult<Vec<(Sku, ProductId)>> {
        Ok(self.read(|t| {
            skus.iter()
                .filter_map(|sku| t.skus.get(sku).map(|id| (sku.clone(), *id)))
                .collect()
        }))
    }

    async fn lock_order(&mut self, id: OrderId) -> StoreResult<Option<Order>> {
        self.acquire(LockKey::Order(id), LockMode::Exclusive).await;
        Ok(self.read(|t| t.orders.get(&id).cloned()))
    }

    async fn order_by_idempotency_key(
        &mut self,
        customer: CustomerId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<Order>> {
        Ok(self.read(|t| {
            t.order_keys
                .get(&(customer, key.clone()))
                .and_then(|id| t.orders.get(id).cloned())
        }))
    }

    async fn status_change_by_request_key(
        &mut self,
        order: OrderId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<StatusChange>> {
        Ok(self.read(|t| {
            let id = t.history_keys.get(&(order, key.clone()))?;
            t.history.get(&order)?.iter().find(|c| c.id == *id).cloned()
        }))
    }

    async fn movement_by_request_key(
        &mut self,
        product: ProductId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<StockMovement>> {
        Ok(self.read(|t| {
            let id = t.movement_keys.get(&(product, key.clone()))?;
            t.movements
                .get(&product)?
                .iter()
                .find(|m| m.id == *id)
                .cloned()
        }))
    }

    async fn share_customer(&mut self, id: CustomerId) -> StoreResult<Option<Customer>> {
        self.acquire(LockKey::Customer(id), LockMode::Shared).await;
        Ok(self.read(|t| t.customers.get(&id).cloned()))
    }

    async fn lock_customer(&mut self, id: CustomerId) -> StoreResult<Option<Customer>> {
        self.acquire(LockKey::Customer(id), LockMode::Exclusive)
            .await;
        Ok(self.read(|t| t.customers.get(&id).cloned()))
    }

    async fn acting_user(&mut self, id: UserId) -> StoreResult<Option<User>> {
        Ok(self.read(|t| t.users.get(&id).map(|record| record.user.clone())))
    }

    async fn lock_user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        self.acquire(LockKey::User(id), LockMode::Exclusive).await;
        Ok(self.read(|t| t.users.get(&id).cloned()))
    }

    async fn lock_user_by_username(
        &mut self,
        username: &Username,
    ) -> StoreResult<Option<UserRecord>> {
        let Some(id) = self.read(|t| t.usernames.get(username).copied()) else {
            return Ok(None);
        };
        self.lock_user(id).await
    }

    async fn lock_login_failures(&mut self, key: &LoginKey) -> StoreResult<LoginFailures> {
        self.acquire(LockKey::LoginFailures(key.clone()), LockMode::Exclusive)
            .await;
        Ok(self
            .read(|t| t.login_failures.get(key).cloned())
            .unwrap_or_else(|| LoginFailures::none(key.clone())))
    }

    async fn set_login_failures(&mut self, count: &LoginFailures) -> StoreResult<()> {
        self.writes.push(Write::SetLoginFailures(count.clone()));
        Ok(())
    }

    async fn lock_refresh_token(
        &mut self,
        token_hash: &str,
    ) -> StoreResult<Option<RefreshTokenRecord>> {
        self.acquire(
            LockKey::RefreshToken(token_hash.to_string()),
            LockMode::Exclusive,
        )
        .await;
        Ok(self.read(|t| t.refresh_tokens.get(token_hash).cloned()))
    }

    async fn insert_customer(&mut self, draft: &CustomerDraft) -> StoreResult<CustomerId> {
        let id = CustomerId(self.allocate(|s| next(&mut s.customer)));
        let c = &draft.customer;
        self.writes.push(Write::InsertCustomer(Customer {
            id,
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            tax_id: c.tax_id.clone(),
            created_at: draft.created_at,
            updated_at: draft.created_at,
            deleted_at: None,
        }));
        Ok(id)
    }

    async fn update_customer(&mut self, customer: &Customer) -> StoreResult<()> {
        self.writes.push(Write::UpdateCustomer(customer.clone()));
        Ok(())
    }

    async fn insert_product(&mut self, draft: &ProductDraft) -> StoreResult<ProductId> {
        let id = ProductId(self.allocate(|s| next(&mut s.product)));
        self.writes.push(Write::InsertProduct(Product {
            id,
            sku: draft.sku.clone(),
            name: draft.name.clone(),
            price: draft.price,
            on_hand: draft.on_hand,
            reserved: 0,
            reorder_level: draft.reorder_level,
            active: true,
            created_at: draft.created_at,
            updated_at: draft.created_at,
        }));
        Ok(id)
    }

    async fn update_product(&mut self, product: &Product) -> StoreResult<()> {
        self.writes.push(Write::UpdateProduct(product.clone()));
        Ok(())
    }

    async fn insert_order_header(&mut self, draft: &OrderDraft) -> StoreResult<OrderId> {
        let id = OrderId(self.allocate(|s| next(&mut s.order)));
        let mut order = draft.clone().into_order(id);
        order.lines.clear();
        self.writes.push(Write::InsertOrder(order));
        Ok(id)
    }

    async fn insert_order_lines(&mut self, id: OrderId, lines: &[OrderLine]) -> StoreResult<()> {
        // Writes wait for commit: the lines join their order's pending insert.
        let pending = self.writes.iter_mut().find_map(|write| match write {
            Write::InsertOrder(order) if order.id == id => Some(order),
            _ => None,
        });
        match pending {
            Some(order) => {
                order.lines.extend_from_slice(lines);
                Ok(())
            }
            None => Err(StoreError::Other(format!(
                "lines for order {id} that this transaction did not insert"
            ))),
        }
    }

    async fn update_order_status(
        &mut self,
        id: OrderId,
        status: OrderStatus,
        updated_at: Timestamp,
    ) -> StoreResult<()> {
        self.writes
            .push(Write::UpdateOrderStatus(id, status, updated_at));
        Ok(())
    }

    async fn insert_movement(&mut self, movement: &NewMovement) -> StoreResult<MovementId> {
        let id = MovementId(self.allocate(|s| next(&mut s.movement)));
        self.writes.push(Write::InsertMovement(
            StockMovement {
                id,
                product_id: movement.product_id,
                kind: movement.kind,
                on_hand_delta: movement.delta.on_hand,
                reserved_delta: movement.delta.reserved,
                order_id: movement.order_id,
                reason: movement.reason.as_ref().map(|r| r.as_str().to_string()),
                created_by: movement.created_by,
                created_at: movement.created_at,
            },
            movement.request_key.clone(),
        ));
        Ok(id)
    }

    async fn insert_status_change(&mut self, change: &NewStatusChange) -> StoreResult<HistoryId> {
        let id = HistoryId(self.allocate(|s| next(&mut s.history)));
        self.writes.push(Write::InsertStatusChange(
            StatusChange {
                id,
                order_id: change.order_id,
                from: change.from,
                to: change.to,
                changed_by: change.changed_by,
                changed_at: change.changed_at,
                note: change.note.clone(),
            },
            change.request_key.clone(),
        ));
        Ok(id)
    }

    async fn insert_event(&mut self, event: &NewEvent) -> StoreResult<EventId> {
        // The id is given at commit, so ids increase in commit order as a relay expects.
        self.writes.push(Write::InsertEvent(EventRecord {
            id: EventId(0),
            event_type: event.event_type.to_string(),
            aggregate_type: event.aggregate_type.to_string(),
            aggregate_id: event.aggregate_id,
            payload: event.payload.clone(),
            actor: event.actor,
            occurred_at: event.occurred_at,
            published_at: None,
        }));
        Ok(EventId(0))
    }

    async fn insert_user(&mut self, draft: &UserDraft) -> StoreResult<UserId> {
        let id = UserId(self.allocate(|s| next(&mut s.user)));
        self.writes.push(Write::InsertUser(UserRecord {
            user: User {
                id,
                username: draft.username.clone(),
                role: draft.role,
                active: true,
                created_at: draft.created_at,
                updated_at: draft.created_at,
            },
            password_hash: draft.password_hash.clone(),
        }));
        Ok(id)
    }

    async fn update_user(&mut self, record: &UserRecord) -> StoreResult<()> {
        self.writes.push(Write::UpdateUser(record.clone()));
        Ok(())
    }

    async fn insert_milestone(&mut self, name: &str, _at: Timestamp) -> StoreResult<()> {
        self.writes.push(Write::InsertMilestone(name.to_string()));
        Ok(())
    }

    async fn insert_refresh_token(&mut self, token: &RefreshTokenRecord) -> StoreResult<()> {
        self.writes.push(Write::InsertRefreshToken(token.clone()));
        Ok(())
    }

    async fn update_refresh_token(&mut self, token: &RefreshTokenRecord) -> StoreResult<()> {
        self.writes.push(Write::UpdateRefreshToken(token.clone()));
        Ok(())
    }

    async fn revoke_refresh_family(&mut self, family: &str, at: Timestamp) -> StoreResult<()> {
        self.writes
            .push(Write::RevokeRefreshFamily(family.to_string(), at));
        Ok(())
    }

    async fn revoke_refresh_tokens_of_user(
        &mut self,
        user: UserId,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.writes.push(Write::RevokeRefreshTokensOfUser(user, at));
        Ok(())
    }

    async fn update_shop_settings(
        &mut self,
        settings: &ShopSettings,
        _by: Option<UserId>,
        _at: Timestamp,
    ) -> StoreResult<()> {
        self.writes.push(Write::SetShopSettings(settings.clone()));
        Ok(())
    }

    async fn insert_parked_sale(
        &mut self,
        new: &NewParkedSale,
        by: Option<UserId>,
        at: Timestamp,
    ) -> StoreResult<ParkedSaleId> {
        let id = ParkedSaleId(self.allocate(|s| next(&mut s.parked)));
        let keyed = new.key().map(|key| (key.clone(), new.fingerprint()));
        self.writes.push(Write::InsertParkedSale(
            new.clone().into_parked(id, by, at),
            keyed,
        ));
        Ok(id)
    }

    async fn parked_sale_by_key(
        &mut self,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<(ParkedSale, String)>> {
        Ok(self.read(|t| t.parked_keys.get(key).cloned()))
    }

    async fn take_parked_sale(
        &mut self,
        id: ParkedSaleId,
        _at: Timestamp,
        key: Option<&IdempotencyKey>,
        by: Option<UserId>,
    ) -> StoreResult<Option<Recall>> {
        self.acquire(LockKey::ParkedSale(id), LockMode::Exclusive)
            .await;
        if let Some(sale) = self.read(|t| t.parked.get(&id).cloned()) {
            let taken = key.map(|key| (key.clone(), by));
            self.writes.push(Write::DeleteParkedSale(id, taken));
            return Ok(Some(Recall {
                sale,
                replayed: false,
            }));
        }
        Ok(key.and_then(|key| {
            self.read(|t| {
                t.recalled
                    .get(&id)
                    .filter(|(taken_key, taken_by, _)| taken_key == key && *taken_by == by)
                    .map(|(_, _, sale)| Recall {
                        sale: sale.clone(),
                        replayed: true,
                    })
            })
        }))
    }

    async fn commit(mut self: Box<Self>) -> StoreResult<()> {
        let writes = std::mem::take(&mut self.writes);
        let mut shared = lock(&self.shared);
        let mut undo = Vec::with_capacity(writes.len());
        for write in writes {
            match shared.tables.apply(write) {
                Ok(step) => undo.push(step),
                Err(error) => {
                    for step in undo.into_iter().rev() {
                        shared.tables.undo(step);
                    }
                    return Err(error);
                }
            }
        }
        drop(shared);
        // Dropping `self` releases the row locks.
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Applying and undoing writes

/// How to take one applied write back.
enum Undo {
    RemoveCustomer(CustomerId),
    RestoreCustomer(Customer),
    RemoveProduct(ProductId),
    RestoreProduct(StoredProduct),
    RemoveOrder(OrderId),
    RestoreOrderStatus(OrderId, OrderStatus, Timestamp),
    PopMovement(ProductId, Option<IdempotencyKey>),
    PopStatusChange(OrderId, Option<IdempotencyKey>),
    PopEvent,
    RemoveUser(UserId),
    RestoreUser(UserRecord),
    RemoveMilestone(String),
    RemoveRefreshToken(String),
    RestoreRefreshTokens(Vec<RefreshTokenRecord>),
    RestoreLoginFailures(LoginKey, Option<LoginFailures>),
    RemoveRegister(RegisterId),
    RemoveCashSession(CashSessionId),
    RestoreCashSession(CashSession),
    PopCashMovement(Option<(CashSessionId, IdempotencyKey)>),
    PopPayment,
    RestoreOrder(Order),
    RemoveReturn(ReturnId),
    RestoreShopSettings(Option<ShopSettings>),
    RemoveParkedSale(ParkedSaleId, Option<IdempotencyKey>),
    RestoreParkedSale(ParkedSale),
}

fn missing(what: &str) -> StoreError {
    StoreError::Other(format!("{what} vanished while locked"))
}

impl Tables {
    fn live_customer_conflict(&self, candidate: &Customer) -> Option<UniqueKey> {
        if candidate.deleted_at.is_some() {
            return None;
        }
        for other in self.customers.values() {
            if other.id == candidate.id || other.deleted_at.is_some() {
                continue;
            }
            if other.email == candidate.email {
                return Some(UniqueKey::CustomerEmail);
            }
            if candidate.tax_id.is_some() && other.tax_id == candidate.tax_id {
                return Some(UniqueKey::CustomerTaxId);
            }
        }
        None
    }

    fn revoke_tokens_where(
        &mut self,
        matches: impl Fn(&RefreshTokenRecord) -> bool,
        at: Timestamp,
    ) -> Undo {
        let mut old = Vec::new();
        for token in self.refresh_tokens.values_mut() {
            if matches(token) && token.revoked_at.is_none() {
                old.push(token.clone());
                token.revoked_at = Some(at);
            }
        }
        Undo::RestoreRefreshTokens(old)
    }

    fn apply(&mut self, write: Write) -> StoreResult<Undo> {
        Ok(match write {
            Write::InsertCustomer(customer) => {
                if let Some(key) = self.live_customer_conflict(&customer) {
                    return Err(StoreError::Unique(key));
                }
                let id = customer.id;
                self.customers.insert(id, customer);
                Undo::RemoveCustomer(id)
            }
            Write::UpdateCustomer(customer) => {
                if let Some(key) = self.live_customer_conflict(&customer) {
                    return Err(StoreError::Unique(key));
                }
                let old = self
                    .customers
                    .insert(customer.id, customer)
                    .ok_or_else(|| missing("customer"))?;
                Undo::RestoreCustomer(old)
            }
            Write::InsertProduct(product) => {
                if self.skus.contains_key(&product.sku) {
                    return Err(StoreError::Unique(UniqueKey::Sku));
                }
                let id = product.id;
                self.skus.insert(product.sku.clone(), id);
                let folded_name = fold(product.name.as_str());
                self.products.insert(
                    id,
                    StoredProduct {
                        product,
                        folded_name,
                    },
                );
                Undo::RemoveProduct(id)
            }
            Write::UpdateProduct(product) => {
                let folded_name = fold(product.name.as_str());
                let old = self
                    .products
                    .insert(
                        product.id,
                        StoredProduct {
                            product,
                            folded_name,
                        },
                    )
                    .ok_or_else(|| missing("product"))?;
                Undo::RestoreProduct(old)
            }
            Write::InsertOrder(order) => {
                let key = (order.customer_id, order.idempotency_key.clone());
                if self.order_keys.contains_key(&key) {
                    return Err(StoreError::Unique(UniqueKey::IdempotencyKey));
                }
                let id = order.id;
                self.order_keys.insert(key, id);
                self.orders.insert(id, order);
                Undo::RemoveOrder(id)
            }
            Write::UpdateOrderStatus(id, status, at) => {
                let order = self.orders.get_mut(&id).ok_or_else(|| missing("order"))?;
                let undo = Undo::RestoreOrderStatus(id, order.status, order.updated_at);
                order.status = status;
                order.updated_at = at;
                undo
            }
            Write::InsertMovement(movement, request_key) => {
                let product = movement.product_id;
                if let Some(key) = &request_key {
                    let entry = (product, key.clone());
                    if self.movement_keys.contains_key(&entry) {
                        return Err(StoreError::Unique(UniqueKey::StockRequest));
                    }
                    self.movement_keys.insert(entry, movement.id);
                }
                self.movements.entry(product).or_default().push(movement);
                Undo::PopMovement(product, request_key)
            }
            Write::InsertStatusChange(change, request_key) => {
                let order = change.order_id;
                if let Some(key) = &request_key {
                    let entry = (order, key.clone());
                    if self.history_keys.contains_key(&entry) {
                        return Err(StoreError::Unique(UniqueKey::StatusRequest));
                    }
                    self.history_keys.insert(entry, change.id);
                }
                self.history.entry(order).or_default().push(change);
                Undo::PopStatusChange(order, request_key)
            }
            Write::InsertEvent(mut event) => {
                event.id = EventId(next(&mut self.sequences.event));
                self.events.push(event);
                Undo::PopEvent
            }
            Write::InsertUser(record) => {
                if self.usernames.contains_key(&record.user.username) {
                    return Err(StoreError::Unique(UniqueKey::Username));
                }
                let id = record.user.id;
                self.usernames.insert(record.user.username.clone(), id);
                self.users.insert(id, record);
                Undo::RemoveUser(id)
            }
            Write::UpdateUser(record) => {
                let old = self
                    .users
                    .insert(record.user.id, record)
                    .ok_or_else(|| missing("user"))?;
                Undo::RestoreUser(old)
            }
            Write::InsertMilestone(name) => {
                if !self.milestones.insert(name.clone()) {
                    return Err(StoreError::Unique(UniqueKey::Milestone));
                }
                Undo::RemoveMilestone(name)
            }
            Write::InsertRefreshToken(token) => {
                if self.refresh_tokens.contains_key(&token.token_hash) {
                    return Err(StoreError::Unique(UniqueKey::RefreshToken));
                }
                let hash = token.token_hash.clone();
                self.refresh_tokens.insert(hash.clone(), token);
                Undo::RemoveRefreshToken(hash)
            }
            Write::UpdateRefreshToken(token) => {
                let old = self
                    .refresh_tokens
                    .insert(token.token_hash.clone(), token)
                    .ok_or_else(|| missing("refresh token"))?;
                Undo::RestoreRefreshTokens(vec![old])
            }
            Write::RevokeRefreshFamily(family, at) => {
                self.revoke_tokens_where(|t| t.family == family, at)
            }
            Write::RevokeRefreshTokensOfUser(user, at) => {
                self.revoke_tokens_where(|t| t.user_id == user, at)
            }
            Write::InsertRegister(register) => {
                if self.register_codes.contains_key(&register.code) {
                    return Err(StoreError::Unique(UniqueKey::RegisterCode));
                }
                let id = register.id;
                self.register_codes.insert(register.code.clone(), id);
                self.registers.insert(id, register);
                Undo::RemoveRegister(id)
            }
            Write::InsertCashSession(session) => {
                if self.open_sessions.contains_key(&session.register_id) {
                    return Err(StoreError::Unique(UniqueKey::OpenCashSession));
                }
                let id = session.id;
                self.open_sessions.insert(session.register_id, id);
                self.sessions.insert(id, session);
                Undo::RemoveCashSession(id)
            }
            Write::CloseCashSession(id, closing) => {
                let session = self
                    .sessions
                    .get_mut(&id)
                    .ok_or_else(|| missing("cash session"))?;
                let old = session.clone();
                session.closing = Some(closing);
                self.open_sessions.remove(&old.register_id);
                Undo::RestoreCashSession(old)
            }
            Write::InsertCashMovement(movement, key) => {
                let key = key.map(|key| (movement.cash_session_id, key));
                if let Some(key) = &key {
                    if self.cash_keys.contains_key(key) {
                        return Err(StoreError::Unique(UniqueKey::CashRequest));
                    }
                    self.cash_keys
                        .insert(key.clone(), self.cash_movements.len());
                }
                self.cash_movements.push(movement);
                Undo::PopCashMovement(key)
            }
            Write::InsertPayment(payment) => {
                self.payments.push(payment);
                Undo::PopPayment
            }
            Write::UpdateOrderMoney(order) => {
                let stored = self
                    .orders
                    .get_mut(&order.id)
                    .ok_or_else(|| missing("order"))?;
                let old = stored.clone();
                stored.paid = order.paid;
                stored.change = order.change;
                stored.refunded = order.refunded;
                stored.updated_at = order.updated_at;
                Undo::RestoreOrder(old)
            }
            Write::SetLineReturned(id, line_no, returned) => {
                let stored = self.orders.get_mut(&id).ok_or_else(|| missing("order"))?;
                let old = stored.clone();
                let line = stored
                    .lines
                    .get_mut(line_no as usize)
                    .ok_or_else(|| missing("order line"))?;
                line.returned = returned;
                Undo::RestoreOrder(old)
            }
            Write::InsertReturn(sale_return) => {
                let key = (sale_return.order_id, sale_return.idempotency_key.clone());
                if self.return_keys.contains_key(&key) {
                    return Err(StoreError::Unique(UniqueKey::ReturnKey));
                }
                let id = sale_return.id;
                self.return_keys.insert(key, id);
                self.returns.insert(id, sale_return);
                Undo::RemoveReturn(id)
            }
            Write::SetShopSettings(settings) => {
                Undo::RestoreShopSettings(self.shop.replace(settings))
            }
            Write::InsertParkedSale(sale, keyed) => {
                let id = sale.id;
                let key = match keyed {
                    Some((key, fingerprint)) => {
                        if self.parked_keys.contains_key(&key) {
                            return Err(StoreError::Unique(UniqueKey::ParkedSaleKey));
                        }
                        self.parked_keys
                            .insert(key.clone(), (sale.clone(), fingerprint));
                        Some(key)
                    }
                    None => None,
                };
                self.parked.insert(id, sale);
                Undo::RemoveParkedSale(id, key)
            }
            Write::SetLoginFailures(count) => {
                let key = count.key.clone();
                let old = if count.failures == 0 {
                    self.login_failures.remove(&key)
                } else {
                    self.login_failures.insert(key.clone(), count)
                };
                Undo::RestoreLoginFailures(key, old)
            }
            Write::DeleteParkedSale(id, key) => match self.parked.remove(&id) {
                Some(old) => {
                    if let Some((key, by)) = key {
                        self.recalled.insert(id, (key, by, old.clone()));
                    }
                    Undo::RestoreParkedSale(old)
                }
                None => return Err(missing("parked sale")),
            },
        })
    }

    fn undo(&mut self, step: Undo) {
        match step {
            Undo::RemoveCustomer(id) => {
                self.customers.remove(&id);
            }
            Undo::RestoreCustomer(old) => {
                self.customers.insert(old.id, old);
            }
            Undo::RemoveProduct(id) => {
                if let Some(stored) = self.products.remove(&id) {
                    self.skus.remove(&stored.product.sku);
                }
            }
            Undo::RestoreProduct(old) => {
                self.products.insert(old.product.id, old);
            }
            Undo::RemoveOrder(id) => {
                if let Some(order) = self.orders.remove(&id) {
                    self.order_keys
                        .remove(&(order.customer_id, order.idempotency_key));
                }
            }
            Undo::RestoreOrderStatus(id, status, at) => {
                if let Some(order) = self.orders.get_mut(&id) {
                    order.status = status;
                    order.updated_at = at;
                }
            }
            Undo::PopMovement(product, key) => {
                if let Some(list) = self.movements.get_mut(&product) {
                    list.pop();
                }
                if let Some(key) = key {
                    self.movement_keys.remove(&(product, key));
                }
            }
            Undo::PopStatusChange(order, key) => {
                if let Some(list) = self.history.get_mut(&order) {
                    list.pop();
                }
                if let Some(key) = key {
                    self.history_keys.remove(&(order, key));
                }
            }
            Undo::PopEvent => {
                self.events.pop();
                self.sequences.event -= 1;
            }
            Undo::RemoveUser(id) => {
                if let Some(record) = self.users.remove(&id) {
                    self.usernames.remove(&record.user.username);
                }
            }
            Undo::RestoreUser(old) => {
                self.users.insert(old.user.id, old);
            }
            Undo::RemoveMilestone(name) => {
                self.milestones.remove(&name);
            }
            Undo::RemoveRefreshToken(hash) => {
                self.refresh_tokens.remove(&hash);
            }
            Undo::RestoreRefreshTokens(old) => {
                for token in old {
                    self.refresh_tokens.insert(token.token_hash.clone(), token);
                }
            }
            Undo::RestoreLoginFailures(key, old) => match old {
                Some(old) => {
                    self.login_failures.insert(key, old);
                }
                None => {
                    self.login_failures.remove(&key);
                }
            },
            Undo::RemoveRegister(id) => {
                if let Some(register) = self.registers.remove(&id) {
                    self.register_codes.remove(&register.code);
                }
            }
            Undo::RemoveCashSession(id) => {
                if let Some(session) = self.sessions.remove(&id) {
                    self.open_sessions.remove(&session.register_id);
                }
            }
            Undo::RestoreCashSession(old) => {
                if old.is_open() {
                    self.open_sessions.insert(old.register_id, old.id);
                }
                self.sessions.insert(old.id, old);
            }
            Undo::PopCashMovement(key) => {
                self.cash_movements.pop();
                if let Some(key) = key {
                    self.cash_keys.remove(&key);
                }
            }
            Undo::PopPayment => {
                self.payments.pop();
            }
            Undo::RestoreOrder(old) => {
                self.orders.insert(old.id, old);
            }
            Undo::RemoveReturn(id) => {
                if let Some(r) = self.returns.remove(&id) {
                    self.return_keys.remove(&(r.order_id, r.idempotency_key));
                }
            }
            Undo::RestoreShopSettings(old) => self.shop = old,
            Undo::RemoveParkedSale(id, key) => {
                self.parked.remove(&id);
                if let Some(key) = key {
                    self.parked_keys.remove(&key);
                }
            }
            Undo::RestoreParkedSale(old) => {
                self.recalled.remove(&old.id);
                self.parked.insert(old.id, old);
            }
        }
    }
}

/// A `retain` predicate for a purge of at most `left` rows: drops a row `due` to go while the
/// budget lasts, keeping count in `left`.
fn keep_unless_dropped(due: bool, left: &mut u32) -> bool {
    if due && *left > 0 {
        *left -= 1;
        return false;
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Reads

fn page_of<T: Clone>(matching: Vec<T>, page: PageRequest) -> Page<T> {
    Page {
        total: matching.len() as u64,
        items: page.slice(&matching),
        offset: page.offset(),
        limit: page.limit(),
    }
}

impl MemoryStore {
    fn read<T>(&self, f: impl FnOnce(&Tables) -> T) -> T {
        f(&lock(&self.shared).tables)
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn backend_name(&self) -> &'static str {
        "memory"
    }

    async fn begin(&self) -> StoreResult<Box<dyn Transaction>> {
        let id = {
            let mut shared = lock(&self.shared);
            shared.next_tx += 1;
            shared.next_tx
        };
        Ok(Box::new(MemoryTransaction {
            shared: self.shared.clone(),
            id,
            held: Vec::new(),
            writes: Vec::new(),
        }))
    }

    async fn pause_before_retry(&self, _attempt: u32) {
        // Nothing here is ever retryable: locks wait instead of failing.
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    fn pool_status(&self) -> Option<super::PoolStatus> {
        None
    }

    async fn customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        Ok(self.read(|t| t.customers.get(&id).cloned()))
    }

    async fn customers(&self, query: &CustomerQuery) -> StoreResult<Page<Customer>> {
        Ok(self.read(|t| {
            let mut matching: Vec<(String, Customer)> = t
                .customers
                .values()
                .filter(|c| query.include_deleted || c.deleted_at.is_none())
                .filter(|c| match &query.search {
                    None => true,
                    Some(term) => {
                        fold(c.name.as_str()).contains(term.folded())
                            || c.email.as_str().contains(term.folded())
                            || c.tax_id
                                .as_ref()
                                .is_some_and(|tax| tax.as_str().starts_with(&term.as_sku_prefix()))
                    }
                })
                .map(|c| (fold(c.name.as_str()), c.clone()))
                .collect();
            matching.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
            page_of(matching.into_iter().map(|(_, c)| c).collect(), query.page)
        }))
    }

    async fn product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        Ok(self.read(|t| t.products.get(&id).map(|s| s.product.clone())))
    }

    async fn product_by_sku(&self, sku: &Sku) -> StoreResult<Option<Product>> {
        Ok(self.read(|t| {
            t.skus
                .get(sku)
                .and_then(|id| t.products.get(id))
                .map(|s| s.product.clone())
        }))
    }

    async fn products(&self, query: &ProductQuery) -> StoreResult<Page<Product>> {
        Ok(self.read(|t| {
            let prefix = query.search.as_ref().map(|term| term.as_sku_prefix());
            let matching: Vec<Product> = t
                .skus
                .values()
                .filter_map(|id| t.products.get(id))
                .filter(|s| query.include_inactive || s.product.active)
                .filter(|s| !query.low_stock_only || s.product.is_low_on_stock())
                .filter(|s| match (&query.search, &prefix) {
                    (Some(term), Some(prefix)) => {
                        s.product.sku.as_str().starts_with(prefix.as_str())
                            || s.folded_name.contains(term.folded())
                    }
                    _ => true,
                })
                .map(|s| s.product.clone())
                .collect();
            let page = page_of(matching, query.page);
            if query.skip_total {
                page.without_total()
            } else {
                page
            }
        }))
    }

    async fn movements(
        &self,
        product: ProductId,
        page: PageRequest,
    ) -> StoreResult<Page<StockMovement>> {
        Ok(self.read(|t| {
            let newest_first: Vec<StockMovement> = t
                .movements
                .get(&product)
                .map(|list| list.iter().rev().cloned().collect())
                .unwrap_or_default();
            page_of(newest_first, page)
        }))
    }

    async fn order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        Ok(self.read(|t| t.orders.get(&id).cloned()))
    }

    async fn orders(&self, query: &OrderQuery) -> StoreResult<Page<Order>> {
        Ok(self.read(|t| {
            let matching: Vec<Order> = t
                .orders
                .values()
                .rev()
                .filter(|o| query.status.is_none_or(|s| o.status == s))
                .filter(|o| query.customer_id.is_none_or(|c| o.customer_id == c))
                .filter(|o| query.created_from.is_none_or(|from| o.created_at >= from))
                .filter(|o| {
                    query
                        .created_before
                        .is_none_or(|before| o.created_at < before)
                })
                .cloned()
                .collect();
            page_of(matching, query.page)
        }))
    }

    async fn order_history(&self, id: OrderId) -> StoreResult<Vec<StatusChange>> {
        Ok(self.read(|t| t.history.get(&id).cloned().unwrap_or_default()))
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        Ok(self.read(|t| t.users.get(&id).cloned()))
    }

    async fn user_by_username(&self, username: &Username) -> StoreResult<Option<UserRecord>> {
        Ok(self.read(|t| {
            t.usernames
                .get(username)
                .and_then(|id| t.users.get(id))
                .cloned()
        }))
    }

    async fn users(&self, page: PageRequest) -> StoreResult<Page<User>> {
        Ok(self.read(|t| {
            let mut all: Vec<User> = t.users.values().map(|r| r.user.clone()).collect();
            all.sort_by(|a, b| a.username.cmp(&b.username));
            page_of(all, page)
        }))
    }

    async fn count_users(&self) -> StoreResult<u64> {
        Ok(self.read(|t| t.users.len() as u64))
    }

    async fn registers(&self) -> StoreResult<Vec<Register>> {
        Ok(self.read(|t| {
            let mut all: Vec<Register> = t.registers.values().cloned().collect();
            all.sort_by(|a, b| a.code.cmp(&b.code));
            all
        }))
    }

    async fn cash_session(&self, id: CashSessionId) -> StoreResult<Option<CashSession>> {
        Ok(self.read(|t| t.sessions.get(&id).cloned()))
    }

    async fn cash_sessions(
        &self,
        register: RegisterId,
        page: PageRequest,
    ) -> StoreResult<Page<CashSession>> {
        Ok(self.read(|t| {
            let newest_first: Vec<CashSession> = t
                .sessions
                .values()
                .rev()
                .filter(|s| s.register_id == register)
                .cloned()
                .collect();
            page_of(newest_first, page)
        }))
    }

    async fn cash_session_totals(&self, id: CashSessionId) -> StoreResult<SessionTotals> {
        Ok(self.read(|t| t.totals(id)))
    }

    async fn cash_movements(&self, id: CashSessionId) -> StoreResult<Vec<CashMovement>> {
        Ok(self.read(|t| {
            t.cash_movements
                .iter()
                .filter(|m| m.cash_session_id == id)
                .cloned()
                .collect()
        }))
    }

    async fn payments(&self, order: OrderId) -> StoreResult<Vec<Payment>> {
        Ok(self.read(|t| {
            t.payments
                .iter()
                .filter(|p| p.order_id == order)
                .cloned()
                .collect()
        }))
    }

    async fn returns(&self, order: OrderId) -> StoreResult<Vec<SaleReturn>> {
        Ok(self.read(|t| {
            t.returns
                .values()
                .filter(|r| r.order_id == order)
                .filter_map(|r| t.full_return(r.id))
                .collect()
        }))
    }

    async fn events_after(
        &self,
        after: Option<EventId>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        Ok(self.read(|t| {
            t.events
                .iter()
                .filter(|e| after.is_none_or(|after| e.id > after))
                .take(limit as usize)
                .cloned()
                .collect()
        }))
    }

    async fn unpublished_events(&self, limit: u32) -> StoreResult<Vec<EventRecord>> {
        Ok(self.read(|t| {
            t.events
                .iter()
                .filter(|e| e.published_at.is_none())
                .take(limit as usize)
                .cloned()
                .collect()
        }))
    }

    async fn outbox_backlog(&self) -> StoreResult<OutboxBacklog> {
        Ok(self.read(|t| {
            let mut waiting = t.events.iter().filter(|e| e.published_at.is_none());
            let oldest = waiting.next().map(|e| e.occurred_at);
            OutboxBacklog {
                unpublished: u64::from(oldest.is_some()) + waiting.count() as u64,
                oldest,
            }
        }))
    }

    async fn mark_events_published(&self, ids: &[EventId], at: Timestamp) -> StoreResult<()> {
        let mut shared = lock(&self.shared);
        for event in shared.tables.events.iter_mut() {
            if ids.contains(&event.id) && event.published_at.is_none() {
                event.published_at = Some(at);
            }
        }
        Ok(())
    }

    async fn delete_published_events(
        &self,
        published_before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        let mut shared = lock(&self.shared);
        let mut left = limit;
        shared.tables.events.retain(|event| {
            let expired = event.published_at.is_some_and(|at| at < published_before);
            keep_unless_dropped(expired, &mut left)
        });
        Ok(u64::from(limit - left))
    }

    async fn delete_forgotten_login_failures(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        let mut shared = lock(&self.shared);
        let mut left = limit;
        shared.tables.login_failures.retain(|_, count| {
            let forgotten = count.last_failure_at.is_some_and(|at| at < before);
            keep_unless_dropped(forgotten, &mut left)
        });
        Ok(u64::from(limit - left))
    }

    async fn shop_settings(&self) -> StoreResult<ShopSettings> {
        Ok(self.read(|t| t.shop.clone().unwrap_or_else(ShopSettings::unconfigured)))
    }

    async fn parked_sales(&self, limit: u32) -> StoreResult<Vec<ParkedSale>> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self.read(|t| t.parked.values().take(limit).cloned().collect()))
    }

    async fn audit_snapshot(&self) -> StoreResult<AuditSnapshot> {
        Ok(self.read(|t| {
            let mut open_quantity: HashMap<ProductId, i64> = HashMap::new();
            let mut orders = Vec::with_capacity(t.orders.len());
            for order in t.orders.values() {
                if order.status.holds_reservation() {
                    for line in &order.lines {
                        *open_quantity.entry(line.product_id).or_default() +=
                            line.quantity.as_i64();
                    }
                }
                let mispriced = order
                    .lines
                    .iter()
                    .filter(|l| l.unit_price.checked_times(l.quantity) != Some(l.line_total))
                    .count();
                orders.push(OrderAudit {
                    order_id: order.id,
                    status: order.status,
                    channel: order.channel,
                    total_cents: order.total.cents(),
                    lines_total_cents: order.lines.iter().map(|l| l.net().cents()).sum::<i64>()
                        - order.discount.cents(),
                    line_count: order.lines.len() as u64,
                    mispriced_lines: mispriced as u64,
                    history: t
                        .history
                        .get(&order.id)
                        .map(|h| h.iter().map(|c| (c.from, c.to)).collect())
                        .unwrap_or_default(),
                });
            }
            let products = t
                .products
                .values()
                .map(|s| {
                    let moves = t.movements.get(&s.product.id);
                    let sum = |f: fn(&StockMovement) -> i64| {
                        moves.map(|list| list.iter().map(f).sum()).unwrap_or(0)
                    };
                    ProductAudit {
                        product_id: s.product.id,
                        sku: s.product.sku.to_string(),
                        on_hand: s.product.on_hand,
                        reserved: s.product.reserved,
                        movements_on_hand: sum(|m| m.on_hand_delta),
                        movements_reserved: sum(|m| m.reserved_delta),
                        open_order_quantity: open_quantity.get(&s.product.id).copied().unwrap_or(0),
                    }
                })
                .collect();
            let sum = |order: OrderId, kind: PaymentKind| -> i64 {
                t.payments
                    .iter()
                    .filter(|p| p.order_id == order && p.kind == kind)
                    .map(|p| p.amount.cents())
                    .sum()
            };
            let money = t
                .orders
                .values()
                .filter(|o| {
                    o.channel == Channel::Counter
                        || o.paid > Money::ZERO
                        || o.refunded > Money::ZERO
                        || t.payments.iter().any(|p| p.order_id == o.id)
                        || t.returns.values().any(|r| r.order_id == o.id)
                })
                .map(|o| {
                    let bad = o
                        .lines
                        .iter()
                        .enumerate()
                        .filter(|(line_no, line)| {
                            let returned: u32 = t
                                .returns
                                .values()
                                .filter(|r| r.order_id == o.id)
                                .flat_map(|r| &r.lines)
                                .filter(|l| l.line_no as usize == *line_no)
                                .map(|l| l.quantity.get())
                                .sum();
                            line.returned > line.quantity.get() || line.returned != returned
                        })
                        .count();
                    OrderMoneyAudit {
                        order_id: o.id,
                        channel: o.channel,
                        total_cents: o.total.cents(),
                        paid_cents: o.paid.cents(),
                        change_cents: o.change.cents(),
                        refunded_cents: o.refunded.cents(),
                        payments_cents: sum(o.id, PaymentKind::Payment),
                        refunds_cents: sum(o.id, PaymentKind::Refund),
                        bad_returned_lines: bad as u64,
                    }
                })
                .collect();
            let sessions = t
                .sessions
                .values()
                .map(|s| SessionAudit {
                    session_id: s.id,
                    opening_float: s.opening_float,
                    totals: t.totals(s.id),
                    closed_expected_cash: s.closing.as_ref().map(|c| {
                        c.counts
                            .iter()
                            .find(|line| line.tender == Tender::Cash)
                            .map_or(Money::ZERO, |line| line.expected)
                    }),
                })
                .collect();
            AuditSnapshot {
                products,
                orders,
                money,
                sessions,
                // Every line and movement is made from a product of this store, never removed.
                rows_naming_no_product: Vec::new(),
            }
        }))
    }
}
