//! The unit of work on a SQL database, written once for both dialects.
//!
//! Locking reads end with the dialect's `FOR UPDATE` / `FOR SHARE` clause: InnoDB takes row locks;
//! SQLite needs none, because its units of work begin with `BEGIN IMMEDIATE` and so already hold
//! the database's write lock.

use async_trait::async_trait;

use super::dialect::{Dialect, RowMap};
use super::rows::{
    self, COUNT_COLUMNS, CUSTOMER_COLUMNS, HISTORY_COLUMNS, LINE_COLUMNS, MOVEMENT_COLUMNS,
    ORDER_COLUMNS, PAYMENT_COLUMNS, PRODUCT_COLUMNS, REGISTER_COLUMNS, RETURN_COLUMNS,
    RETURN_LINE_COLUMNS, SESSION_COLUMNS, TOKEN_COLUMNS, USER_COLUMNS,
};
use super::statement::{Statement, placeholders, rows_of};
use crate::domain::{
    CashMovement, CashMovementId, CashMovementKind, CashSession, CashSessionId, Customer,
    CustomerId, EventId, HistoryId, IdempotencyKey, LoginFailures, LoginKey, Money, MovementId,
    NewCashMovement, NewCashSession, NewMovement, NewParkedSale, NewPayment, NewRegister,
    NewStatusChange, Note, Order, OrderDraft, OrderId, OrderLine, OrderStatus, ParkedSale,
    ParkedSaleId, PaymentId, PaymentKind, Phone, Product, ProductId, Quantity, Reason, Recall,
    Reference, Register, RegisterId, ReturnId, SaleReturn, SessionClosing, SessionTotals,
    ShopSettings, Sku, StatusChange, StockMovement, TaxId, Timestamp, User, UserId, UserRecord,
    Username, fold,
};
use crate::events::NewEvent;
use crate::store::{
    CustomerDraft, ProductDraft, RefreshTokenRecord, ReturnDraft, StockClaim, StoreResult,
    Transaction, UniqueKey, UserDraft,
};

/// A unit of work of dialect `D`.
pub(crate) struct SqlTransaction<D: Dialect> {
    tx: D::Tx,
}

impl<D: Dialect> SqlTransaction<D> {
    pub(crate) fn new(tx: D::Tx) -> SqlTransaction<D> {
        SqlTransaction { tx }
    }

    async fn one<T: Send + 'static>(
        &mut self,
        statement: Statement,
        map: RowMap<T>,
    ) -> StoreResult<Option<T>> {
        Ok(D::fetch_in(&mut self.tx, statement, map)
            .await?
            .into_iter()
            .next())
    }

    async fn execute(&mut self, statement: Statement) -> StoreResult<i64> {
        D::execute_in(&mut self.tx, statement).await
    }

    /// The order selected by `statement`, with its lines (read with `lock`, so a locked order's
    /// lines are current even under a snapshot taken earlier in the unit of work).
    async fn order_with_lines(
        &mut self,
        statement: Statement,
        lock: &str,
    ) -> StoreResult<Option<Order>> {
        let Some(mut order) = self.one(statement, rows::order).await? else {
            return Ok(None);
        };
        let mut lines = lines_of(&[order.id]);
        lines.sql.push_str(lock);
        let lines = D::fetch_in(&mut self.tx, lines, rows::order_line).await?;
        order.lines = lines.into_iter().map(|(_, line)| line).collect();
        Ok(Some(order))
    }
}

/// The lines of the orders `ids`, in line order.
pub(crate) fn lines_of(ids: &[OrderId]) -> Statement {
    Statement::new(format!(
        "SELECT {LINE_COLUMNS} FROM order_lines WHERE order_id IN ({}) \
         ORDER BY order_id, line_no",
        placeholders(ids.len())
    ))
    .ids(ids.iter().map(|id| id.get()))
}

/// The sessions selected by `statement`, with the counts of the closed ones.
pub(crate) async fn sessions_in<D: Dialect>(
    tx: &mut D::Tx,
    statement: Statement,
) -> StoreResult<Vec<CashSession>> {
    let mut sessions = D::fetch_in(tx, statement, rows::cash_session).await?;
    let closed: Vec<i64> = sessions
        .iter()
        .filter(|s| !s.is_open())
        .map(|s| s.id.get())
        .collect();
    if !closed.is_empty() {
        let counts = Statement::new(format!(
            "SELECT {COUNT_COLUMNS} FROM cash_session_counts WHERE cash_session_id IN ({}) \
             ORDER BY cash_session_id",
            placeholders(closed.len())
        ))
        .ids(closed);
        for (id, count) in D::fetch_in(tx, counts, rows::tender_count).await? {
            if let Some(closing) = sessions
                .iter_mut()
                .find(|s| s.id == id)
                .and_then(|s| s.closing.as_mut())
            {
                closing.counts.push(count);
            }
        }
        for session in &mut sessions {
            if let Some(closing) = session.closing.as_mut() {
                closing.counts.sort_by_key(|c| c.tender);
            }
        }
    }
    Ok(sessions)
}

/// What went through session `id`, summed from its orders, payments, returns and cash movements.
/// Inside a command the sums are locking reads (`lock`): they see every committed row even when
/// the unit of work took its snapshot before it locked the session (MySQL REPEATABLE READ).
pub(crate) async fn totals_in<D: Dialect>(
    tx: &mut D::Tx,
    id: CashSessionId,
    lock: &str,
) -> StoreResult<SessionTotals> {
    let id = id.get();
    let locked = |sql: &str| Statement::new(format!("{sql}{lock}"));
    let sales = locked(
        "SELECT COUNT(*) AS sales, COALESCE(SUM(discount), 0) AS discount, \
         COALESCE(SUM(change_given), 0) AS change_given \
         FROM orders WHERE cash_session_id = ? AND channel = 'counter'",
    )
    .int(id);
    let (count, order_discount, change) = D::fetch_in(tx, sales, |row| {
        Ok((
            row.int("sales")?,
            row.money("discount")?,
            row.money("change_given")?,
        ))
    })
    .await?
    .into_iter()
    .next()
    .unwrap_or((0, Money::ZERO, Money::ZERO));
    let lines = locked(
        "SELECT COALESCE(SUM(l.line_total), 0) AS gross, COALESCE(SUM(l.discount), 0) AS discount \
         FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE o.cash_session_id = ? AND o.channel = 'counter'",
    )
    .int(id);
    let (gross, line_discount) = D::fetch_in(tx, lines, |row| {
        Ok((row.money("gross")?, row.money("discount")?))
    })
    .await?
    .into_iter()
    .next()
    .unwrap_or((Money::ZERO, Money::ZERO));
    let by_tender = |kind: PaymentKind| {
        locked(
            "SELECT tender, SUM(amount) AS total FROM payments \
             WHERE cash_session_id = ? AND kind = ? GROUP BY tender",
        )
        .int(id)
        .text(kind.as_str())
    };
    let taken = D::fetch_in(tx, by_tender(PaymentKind::Payment), rows::tender_sum).await?;
    let refunded = D::fetch_in(tx, by_tender(PaymentKind::Refund), rows::tender_sum).await?;
    let returns = locked("SELECT COUNT(*) AS n FROM returns WHERE cash_session_id = ?").int(id);
    let returns = D::fetch_in(tx, returns, |row| row.int("n")).await?;
    let moved = locked(
        "SELECT kind, SUM(amount) AS total FROM cash_movements \
         WHERE cash_session_id = ? GROUP BY kind",
    )
    .int(id);
    let moved = D::fetch_in(tx, moved, |row| {
        Ok((row.text("kind")?, row.money("total")?))
    })
    .await?;
    let moved_of = |kind: CashMovementKind| {
        moved
            .iter()
            .find(|(k, _)| k == kind.as_str())
            .map_or(Money::ZERO, |(_, m)| *m)
    };
    Ok(SessionTotals {
        sales: u64::try_from(count).unwrap_or(0),
        gross,
        discounts: order_discount
            .checked_add(line_discount)
            .unwrap_or(Money::ZERO),
        returns: returns
            .first()
            .map_or(0, |n| u64::try_from(*n).unwrap_or(0)),
        taken: taken.into_iter().collect(),
        refunded: refunded.into_iter().collect(),
        change,
        cash_in: moved_of(CashMovementKind::In),
        cash_out: moved_of(CashMovementKind::Out),
    })
}

/// The returns selected by `statement`, with their lines and refunds.
pub(crate) async fn returns_in<D: Dialect>(
    tx: &mut D::Tx,
    statement: Statement,
) -> StoreResult<Vec<SaleReturn>> {
    let mut returns = D::fetch_in(tx, statement, rows::sale_return).await?;
    if returns.is_empty() {
        return Ok(returns);
    }
    let ids: Vec<i64> = returns.iter().map(|r| r.id.get()).collect();
    let lines = Statement::new(format!(
        "SELECT {RETURN_LINE_COLUMNS} FROM return_lines WHERE return_id IN ({}) \
         ORDER BY return_id, line_no",
        placeholders(ids.len())
    ))
    .ids(ids.clone());
    for (id, line) in D::fetch_in(tx, lines, rows::return_line).await? {
        if let Some(r) = returns.iter_mut().find(|r| r.id == id) {
            r.lines.push(line);
        }
    }
    let refunds = Statement::new(format!(
        "SELECT {PAYMENT_COLUMNS} FROM payments WHERE return_id IN ({}) ORDER BY id",
        placeholders(ids.len())
    ))
    .ids(ids);
    for refund in D::fetch_in(tx, refunds, rows::payment).await? {
        if let Some(r) = returns.iter_mut().find(|r| Some(r.id) == refund.return_id) {
            r.refunds.push(refund);
        }
    }
    Ok(returns)
}

#[async_trait]
impl<D: Dialect> Transaction for SqlTransaction<D> {
    async fn register(&mut self, id: RegisterId) -> StoreResult<Option<Register>> {
        let sql = format!("SELECT {REGISTER_COLUMNS} FROM registers WHERE id = ?");
        self.one(Statement::new(sql).int(id.get()), rows::register)
            .await
    }

    async fn lock_open_cash_session(
        &mut self,
        register: RegisterId,
        exclusive: bool,
    ) -> StoreResult<Option<CashSession>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM cash_sessions \
             WHERE register_id = ? AND closed_at IS NULL{}",
            if exclusive {
                D::FOR_UPDATE
            } else {
                D::FOR_SHARE
            }
        );
        Ok(
            sessions_in::<D>(&mut self.tx, Statement::new(sql).int(register.get()))
                .await?
                .into_iter()
                .next(),
        )
    }

    async fn lock_cash_session(&mut self, id: CashSessionId) -> StoreResult<Option<CashSession>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM cash_sessions WHERE id = ?{}",
            D::FOR_UPDATE
        );
        Ok(
            sessions_in::<D>(&mut self.tx, Statement::new(sql).int(id.get()))
                .await?
                .into_iter()
                .next(),
        )
    }

    async fn cash_session_totals(&mut self, id: CashSessionId) -> StoreResult<SessionTotals> {
        totals_in::<D>(&mut self.tx, id, D::FOR_SHARE).await
    }

    async fn return_by_key(
        &mut self,
        order: OrderId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<SaleReturn>> {
        let sql = format!(
            "SELECT {RETURN_COLUMNS} FROM returns WHERE order_id = ? AND idempotency_key = ?"
        );
        let statement = Statement::new(sql).int(order.get()).text(key.as_str());
        Ok(returns_in::<D>(&mut self.tx, statement)
            .await?
            .into_iter()
            .next())
    }

    async fn insert_register(
        &mut self,
        new: &NewRegister,
        at: Timestamp,
    ) -> StoreResult<RegisterId> {
        let statement =
            Statement::new("INSERT INTO registers (code, name, created_at) VALUES (?, ?, ?)")
                .text(new.code.as_str())
                .text(new.name.as_str())
                .time(at);
        Ok(RegisterId(self.execute(statement).await?))
    }

    async fn insert_cash_session(&mut self, new: &NewCashSession) -> StoreResult<CashSessionId> {
        let statement = Statement::new(
            "INSERT INTO cash_sessions (register_id, opened_by, opened_at, opening_float) \
             VALUES (?, ?, ?, ?)",
        )
        .int(new.register_id.get())
        .opt_int(new.opened_by.map(UserId::get))
        .time(new.opened_at)
        .money(new.opening_float);
        Ok(CashSessionId(self.execute(statement).await?))
    }

    async fn close_cash_session(
        &mut self,
        id: CashSessionId,
        closing: &SessionClosing,
    ) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE cash_sessions SET closed_by = ?, closed_at = ? WHERE id = ? \
             AND closed_at IS NULL",
        )
        .opt_int(closing.closed_by.map(UserId::get))
        .time(closing.closed_at)
        .int(id.get());
        self.execute(statement).await?;
        for count in &closing.counts {
            let statement = Statement::new(
                "INSERT INTO cash_session_counts (cash_session_id, tender, expected, counted, \
                 difference) VALUES (?, ?, ?, ?, ?)",
            )
            .int(id.get())
            .text(count.tender.as_str())
            .money(count.expected)
            .money(count.counted)
            .cents(count.difference.cents());
            self.execute(statement).await?;
        }
        Ok(())
    }

    async fn insert_cash_movement(&mut self, m: &NewCashMovement) -> StoreResult<CashMovementId> {
        let statement = Statement::new(
            "INSERT INTO cash_movements (cash_session_id, kind, amount, reason, created_by, \
             created_at, request_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .int(m.cash_session_id.get())
        .text(m.kind.as_str())
        .money(m.amount)
        .text(m.reason.as_str())
        .opt_int(m.created_by.map(UserId::get))
        .time(m.created_at)
        .opt_text(m.request_key.as_ref().map(IdempotencyKey::as_str));
        Ok(CashMovementId(self.execute(statement).await?))
    }

    async fn cash_movement_by_request_key(
        &mut self,
        register: RegisterId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<CashMovement>> {
        // A locking read: under REPEATABLE READ a plain read could miss a movement committed
        // while this unit of work waited for the session's lock. Each of the register's
        // sessions is one probe of the (session, key) unique index.
        let sql = format!(
            "SELECT {} FROM cash_movements WHERE request_key = ? AND cash_session_id IN \
             (SELECT id FROM cash_sessions WHERE register_id = ?) \
             ORDER BY cash_session_id DESC LIMIT 1{}",
            rows::CASH_MOVEMENT_COLUMNS,
            D::FOR_UPDATE
        );
        self.one(
            Statement::new(sql).text(key.as_str()).int(register.get()),
            rows::cash_movement,
        )
        .await
    }

    async fn insert_payment(&mut self, p: &NewPayment) -> StoreResult<PaymentId> {
        let statement = Statement::new(
            "INSERT INTO payments (order_id, kind, tender, amount, reference, cash_session_id, \
             return_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .int(p.order_id.get())
        .text(p.kind.as_str())
        .text(p.tender.as_str())
        .money(p.amount)
        .opt_text(p.reference.as_ref().map(Reference::as_str))
        .opt_int(p.cash_session_id.map(CashSessionId::get))
        .opt_int(p.return_id.map(ReturnId::get))
        .opt_int(p.created_by.map(UserId::get))
        .time(p.created_at);
        Ok(PaymentId(self.execute(statement).await?))
    }

    async fn update_order_money(&mut self, order: &Order) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE orders SET paid = ?, change_given = ?, refunded = ?, updated_at = ? \
             WHERE id = ?",
        )
        .money(order.paid)
        .money(order.change)
        .money(order.refunded)
        .time(order.updated_at)
        .int(order.id.get());
        self.execute(statement).await?;
        Ok(())
    }

    async fn set_line_returned(
        &mut self,
        order: OrderId,
        line_no: u32,
        returned: u32,
    ) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE order_lines SET returned = ? WHERE order_id = ? AND line_no = ?",
        )
        .int(i64::from(returned))
        .int(order.get())
        .int(i64::from(line_no));
        self.execute(statement).await?;
        Ok(())
    }

    async fn insert_return(&mut self, draft: &ReturnDraft) -> StoreResult<ReturnId> {
        let statement = Statement::new(
            "INSERT INTO returns (order_id, idempotency_key, request_fingerprint, refund_total, \
             cash_session_id, approved_by, note, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .int(draft.order_id.get())
        .text(draft.idempotency_key.as_str())
        .text(draft.request_fingerprint.as_str())
        .money(draft.refund_total)
        .opt_int(draft.cash_session_id.map(CashSessionId::get))
        .opt_int(draft.approved_by.map(UserId::get))
        .opt_text(draft.note.as_ref().map(Note::as_str))
        .opt_int(draft.created_by.map(UserId::get))
        .time(draft.created_at);
        let id = self.execute(statement).await?;
        for line in &draft.lines {
            let statement = Statement::new(
                "INSERT INTO return_lines (return_id, line_no, product_id, sku, quantity, \
                 restocked, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .int(id)
            .int(i64::from(line.line_no))
            .int(line.product_id.get())
            .text(line.sku.as_str())
            .int(i64::from(line.quantity.get()))
            .flag(line.restocked)
            .opt_text(line.reason.as_ref().map(Reason::as_str));
            self.execute(statement).await?;
        }
        Ok(ReturnId(id))
    }

    async fn lock_products(&mut self, ids: &[ProductId]) -> StoreResult<Vec<Product>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One statement; InnoDB walks the primary key in ascending order, so the row locks are
        // taken in the global lock order the service relies on.
        let statement = Statement::new(format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE id IN ({}) ORDER BY id{}",
            placeholders(ids.len()),
            D::FOR_UPDATE
        ))
        .ids(ids.iter().map(|id| id.get()));
        D::fetch_in(&mut self.tx, statement, rows::product).await
    }

    async fn product_ids_by_sku(&mut self, skus: &[Sku]) -> StoreResult<Vec<(Sku, ProductId)>> {
        Ok(self
            .products_by_sku(skus)
            .await?
            .into_iter()
            .map(|product| (product.sku, product.id))
            .collect())
    }

    async fn products_by_sku(&mut self, skus: &[Sku]) -> StoreResult<Vec<Product>> {
        if skus.is_empty() {
            return Ok(Vec::new());
        }
        let statement = Statement::new(format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE sku IN ({})",
            placeholders(skus.len())
        ))
        .texts(skus.iter().map(Sku::as_str));
        D::fetch_in(&mut self.tx, statement, rows::product).await
    }

    async fn claim_stock(
        &mut self,
        id: ProductId,
        claim: StockClaim,
        quantity: Quantity,
        price: Money,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let (reserved, on_hand) = match claim {
            StockClaim::Reserve => (quantity.as_i64(), 0),
            StockClaim::Sell => (0, -quantity.as_i64()),
        };
        // `Product::reserve` / `Product::sell` as one statement: active, and no more than
        // available.
        let statement = Statement::new(
            "UPDATE products SET reserved = reserved + ?, on_hand = on_hand + ?, updated_at = ? \
             WHERE id = ? AND active = ? AND price = ? AND on_hand - reserved >= ?",
        )
        .int(reserved)
        .int(on_hand)
        .time(at)
        .int(id.get())
        .flag(true)
        .money(price)
        .int(quantity.as_i64());
        Ok(D::execute_counted_in(&mut self.tx, statement).await? == 1)
    }

    async fn lock_order(&mut self, id: OrderId) -> StoreResult<Option<Order>> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?{}",
            D::FOR_UPDATE
        );
        self.order_with_lines(Statement::new(sql).int(id.get()), D::FOR_UPDATE)
            .await
    }

    async fn order_by_idempotency_key(
        &mut self,
        customer: CustomerId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<Order>> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE customer_id = ? AND idempotency_key = ?"
        );
        self.order_with_lines(
            Statement::new(sql).int(customer.get()).text(key.as_str()),
            "",
        )
        .await
    }

    async fn movement_by_request_key(
        &mut self,
        product: ProductId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<StockMovement>> {
        // A locking read: under REPEATABLE READ a plain read could miss a movement committed
        // while this unit of work waited for the product's lock.
        let sql = format!(
            "SELECT {MOVEMENT_COLUMNS} FROM stock_movements \
             WHERE product_id = ? AND request_key = ?{}",
            D::FOR_UPDATE
        );
        self.one(
            Statement::new(sql).int(product.get()).text(key.as_str()),
            rows::movement,
        )
        .await
    }

    async fn status_change_by_request_key(
        &mut self,
        order: OrderId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<StatusChange>> {
        // A locking read, for the reason given at `movement_by_request_key`.
        let sql = format!(
            "SELECT {HISTORY_COLUMNS} FROM order_status_history \
             WHERE order_id = ? AND request_key = ?{}",
            D::FOR_UPDATE
        );
        self.one(
            Statement::new(sql).int(order.get()).text(key.as_str()),
            rows::status_change,
        )
        .await
    }

    async fn share_customer(&mut self, id: CustomerId) -> StoreResult<Option<Customer>> {
        // A shared lock: concurrent orders of one customer (the walk-in customer of a busy shop)
        // do not queue behind each other, yet a delete waits for them.
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?{}",
            D::FOR_SHARE
        );
        self.one(Statement::new(sql).int(id.get()), rows::customer)
            .await
    }

    async fn lock_customer(&mut self, id: CustomerId) -> StoreResult<Option<Customer>> {
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?{}",
            D::FOR_UPDATE
        );
        self.one(Statement::new(sql).int(id.get()), rows::customer)
            .await
    }

    async fn acting_user(&mut self, id: UserId) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        let record = self
            .one(Statement::new(sql).int(id.get()), rows::user)
            .await?;
        Ok(record.map(|record| record.user))
    }

    async fn lock_user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = ?{}",
            D::FOR_UPDATE
        );
        self.one(Statement::new(sql).int(id.get()), rows::user)
            .await
    }

    async fn lock_user_by_username(
        &mut self,
        username: &Username,
    ) -> StoreResult<Option<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = ?{}",
            D::FOR_UPDATE
        );
        self.one(Statement::new(sql).text(username.as_str()), rows::user)
            .await
    }

    async fn lock_login_failures(&mut self, key: &LoginKey) -> StoreResult<LoginFailures> {
        // A row to lock even on the first failure: a locking read of a missing row would let
        // two first attempts both see nothing.
        let ensure = D::insert_or_keep(
            "INSERT INTO login_failures (address, username, failures) VALUES (?, ?, 0)",
            "failures",
        );
        self.execute(
            Statement::new(ensure)
                .text(key.address.as_str())
                .text(key.username.as_str()),
        )
        .await?;
        let sql = format!(
            "SELECT failures, last_failure_at FROM login_failures \
             WHERE address = ? AND username = ?{}",
            D::FOR_UPDATE
        );
        let statement = Statement::new(sql)
            .text(key.address.as_str())
            .text(key.username.as_str());
        let found = self.one(statement, rows::login_failures).await?;
        let (failures, last_failure_at) = found.unwrap_or((0, None));
        Ok(LoginFailures {
            key: key.clone(),
            failures,
            last_failure_at,
        })
    }

    async fn set_login_failures(&mut self, count: &LoginFailures) -> StoreResult<()> {
        let key = &count.key;
        let statement = if count.failures == 0 {
            Statement::new("DELETE FROM login_failures WHERE address = ? AND username = ?")
                .text(key.address.as_str())
                .text(key.username.as_str())
        } else {
            Statement::new(
                "UPDATE login_failures SET failures = ?, last_failure_at = ? \
                 WHERE address = ? AND username = ?",
            )
            .int(i64::from(count.failures))
            .opt_time(count.last_failure_at)
            .text(key.address.as_str())
            .text(key.username.as_str())
        };
        self.execute(statement).await?;
        Ok(())
    }

    async fn lock_refresh_token(
        &mut self,
        token_hash: &str,
    ) -> StoreResult<Option<RefreshTokenRecord>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = ?{}",
            D::FOR_UPDATE
        );
        self.one(Statement::new(sql).text(token_hash), rows::refresh_token)
            .await
    }

    async fn insert_customer(&mut self, draft: &CustomerDraft) -> StoreResult<CustomerId> {
        let c = &draft.customer;
        let statement = Statement::new(
            "INSERT INTO customers (name, name_folded, email, phone, tax_id, created_at, \
             updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .text(c.name.as_str())
        .text(fold(c.name.as_str()))
        .text(c.email.as_str())
        .opt_text(c.phone.as_ref().map(Phone::as_str))
        .opt_text(c.tax_id.as_ref().map(TaxId::as_str))
        .time(draft.created_at)
        .time(draft.created_at);
        Ok(CustomerId(self.execute(statement).await?))
    }

    async fn update_customer(&mut self, c: &Customer) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE customers SET name = ?, name_folded = ?, email = ?, phone = ?, \
             tax_id = ?, updated_at = ?, deleted_at = ? WHERE id = ?",
        )
        .text(c.name.as_str())
        .text(fold(c.name.as_str()))
        .text(c.email.as_str())
        .opt_text(c.phone.as_ref().map(Phone::as_str))
        .opt_text(c.tax_id.as_ref().map(TaxId::as_str))
        .time(c.updated_at)
        .opt_time(c.deleted_at)
        .int(c.id.get());
        self.execute(statement).await?;
        Ok(())
    }

    async fn insert_product(&mut self, draft: &ProductDraft) -> StoreResult<ProductId> {
        let statement = Statement::new(
            "INSERT INTO products (sku, name, name_folded, price, on_hand, reserved, \
             reorder_level, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, 1, ?, ?)",
        )
        .text(draft.sku.as_str())
        .text(draft.name.as_str())
        .text(fold(draft.name.as_str()))
        .money(draft.price)
        .int(draft.on_hand)
        .int(draft.reorder_level)
        .time(draft.created_at)
        .time(draft.created_at);
        Ok(ProductId(self.execute(statement).await?))
    }

    async fn update_product(&mut self, p: &Product) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE products SET name = ?, name_folded = ?, price = ?, on_hand = ?, \
             reserved = ?, reorder_level = ?, active = ?, updated_at = ? WHERE id = ?",
        )
        .text(p.name.as_str())
        .text(fold(p.name.as_str()))
        .money(p.price)
        .int(p.on_hand)
        .int(p.reserved)
        .int(p.reorder_level)
        .flag(p.active)
        .time(p.updated_at)
        .int(p.id.get());
        self.execute(statement).await?;
        Ok(())
    }

    async fn insert_order_header(&mut self, draft: &OrderDraft) -> StoreResult<OrderId> {
        let order = Statement::new(
            "INSERT INTO orders (customer_id, status, total, idempotency_key, \
             request_fingerprint, note, created_by, created_at, updated_at, channel, discount, \
             paid, change_given, register_id, cash_session_id, approved_by) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .int(draft.customer_id.get())
        .text(draft.channel.initial_status().as_str())
        .money(draft.total)
        .text(draft.idempotency_key.as_str())
        .text(draft.request_fingerprint.as_str())
        .opt_text(draft.note.as_ref().map(Note::as_str))
        .opt_int(draft.created_by.map(UserId::get))
        .time(draft.created_at)
        .time(draft.created_at)
        .text(draft.channel.as_str())
        .money(draft.discount)
        .money(draft.paid)
        .money(draft.change)
        .opt_int(draft.register_id.map(RegisterId::get))
        .opt_int(draft.cash_session_id.map(CashSessionId::get))
        .opt_int(draft.approved_by.map(UserId::get));
        Ok(OrderId(self.execute(order).await?))
    }

    async fn insert_order_lines(&mut self, order: OrderId, lines: &[OrderLine]) -> StoreResult<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut statement = Statement::new(format!(
            "INSERT INTO order_lines (order_id, line_no, product_id, sku, product_name, \
             unit_price, quantity, line_total, list_price, discount) VALUES {}",
            rows_of(10, lines.len())
        ));
        for (line_no, line) in lines.iter().enumerate() {
            statement = statement
                .int(order.get())
                .int(i64::try_from(line_no).unwrap_or(i64::MAX))
                .int(line.product_id.get())
                .text(line.sku.as_str())
                .text(line.product_name.as_str())
                .money(line.unit_price)
                .int(i64::from(line.quantity.get()))
                .money(line.line_total)
                .money(line.list_price)
                .money(line.discount);
        }
        self.execute(statement).await?;
        Ok(())
    }

    async fn update_order_status(
        &mut self,
        id: OrderId,
        status: OrderStatus,
        updated_at: Timestamp,
    ) -> StoreResult<()> {
        let statement = Statement::new("UPDATE orders SET status = ?, updated_at = ? WHERE id = ?")
            .text(status.as_str())
            .time(updated_at)
            .int(id.get());
        self.execute(statement).await?;
        Ok(())
    }

    async fn insert_movement(&mut self, m: &NewMovement) -> StoreResult<MovementId> {
        let statement = Statement::new(
            "INSERT INTO stock_movements (product_id, kind, on_hand_delta, reserved_delta, \
             order_id, reason, created_by, created_at, request_key) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .int(m.product_id.get())
        .text(m.kind.as_str())
        .int(m.delta.on_hand)
        .int(m.delta.reserved)
        .opt_int(m.order_id.map(OrderId::get))
        .opt_text(m.reason.as_ref().map(|r| r.as_str()))
        .opt_int(m.created_by.map(UserId::get))
        .time(m.created_at)
        .opt_text(m.request_key.as_ref().map(IdempotencyKey::as_str));
        Ok(MovementId(self.execute(statement).await?))
    }

    async fn insert_movements(&mut self, movements: &[NewMovement]) -> StoreResult<()> {
        if movements.is_empty() {
            return Ok(());
        }
        let mut statement = Statement::new(format!(
            "INSERT INTO stock_movements (product_id, kind, on_hand_delta, reserved_delta, \
             order_id, reason, created_by, created_at, request_key) VALUES {}",
            rows_of(9, movements.len())
        ));
        for m in movements {
            statement = statement
                .int(m.product_id.get())
                .text(m.kind.as_str())
                .int(m.delta.on_hand)
                .int(m.delta.reserved)
                .opt_int(m.order_id.map(OrderId::get))
                .opt_text(m.reason.as_ref().map(|r| r.as_str()))
                .opt_int(m.created_by.map(UserId::get))
                .time(m.created_at)
                .opt_text(m.request_key.as_ref().map(IdempotencyKey::as_str));
        }
        self.execute(statement).await?;
        Ok(())
    }

    async fn insert_status_change(&mut self, change: &NewStatusChange) -> StoreResult<HistoryId> {
        let statement = Statement::new(
            "INSERT INTO order_status_history (order_id, from_status, to_status, changed_by, \
             changed_at, note, request_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .int(change.order_id.get())
        .opt_text(change.from.map(OrderStatus::as_str))
        .text(change.to.as_str())
        .opt_int(change.changed_by.map(UserId::get))
        .time(change.changed_at)
        .opt_text(change.note.as_ref().map(Note::as_str))
        .opt_text(change.request_key.as_ref().map(IdempotencyKey::as_str));
        Ok(HistoryId(self.execute(statement).await?))
    }

    async fn insert_event(&mut self, e: &NewEvent) -> StoreResult<EventId> {
        let statement = Statement::new(
            "INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, payload, \
             actor, occurred_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .text(e.event_type)
        .text(e.aggregate_type)
        .int(e.aggregate_id)
        .text(e.payload.as_str())
        .opt_int(e.actor.map(UserId::get))
        .time(e.occurred_at);
        Ok(EventId(self.execute(statement).await?))
    }

    async fn insert_user(&mut self, draft: &UserDraft) -> StoreResult<UserId> {
        let statement = Statement::new(
            "INSERT INTO users (username, password_hash, role, active, created_at, updated_at) \
             VALUES (?, ?, ?, 1, ?, ?)",
        )
        .text(draft.username.as_str())
        .text(draft.password_hash.as_str())
        .text(draft.role.as_str())
        .time(draft.created_at)
        .time(draft.created_at);
        Ok(UserId(self.execute(statement).await?))
    }

    async fn update_user(&mut self, r: &UserRecord) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE users SET password_hash = ?, role = ?, active = ?, updated_at = ? WHERE id = ?",
        )
        .text(r.password_hash.as_str())
        .text(r.user.role.as_str())
        .flag(r.user.active)
        .time(r.user.updated_at)
        .int(r.user.id.get());
        self.execute(statement).await?;
        Ok(())
    }

    async fn insert_milestone(&mut self, name: &str, at: Timestamp) -> StoreResult<()> {
        let statement = Statement::new("INSERT INTO milestones (name, done_at) VALUES (?, ?)")
            .text(name)
            .time(at)
            .primary_key(UniqueKey::Milestone);
        self.execute(statement).await?;
        Ok(())
    }

    async fn insert_refresh_token(&mut self, t: &RefreshTokenRecord) -> StoreResult<()> {
        let statement = Statement::new(
            "INSERT INTO refresh_tokens (token_hash, family, user_id, issued_at, expires_at, \
             used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .text(t.token_hash.as_str())
        .text(t.family.as_str())
        .int(t.user_id.get())
        .time(t.issued_at)
        .time(t.expires_at)
        .opt_time(t.used_at)
        .opt_time(t.revoked_at)
        .primary_key(UniqueKey::RefreshToken);
        self.execute(statement).await?;
        Ok(())
    }

    async fn update_refresh_token(&mut self, t: &RefreshTokenRecord) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE refresh_tokens SET used_at = ?, revoked_at = ? WHERE token_hash = ?",
        )
        .opt_time(t.used_at)
        .opt_time(t.revoked_at)
        .text(t.token_hash.as_str());
        self.execute(statement).await?;
        Ok(())
    }

    async fn revoke_refresh_family(&mut self, family: &str, at: Timestamp) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
        )
        .time(at)
        .text(family);
        self.execute(statement).await?;
        Ok(())
    }

    async fn revoke_refresh_tokens_of_user(
        &mut self,
        user: UserId,
        at: Timestamp,
    ) -> StoreResult<()> {
        let statement = Statement::new(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        )
        .time(at)
        .int(user.get());
        self.execute(statement).await?;
        Ok(())
    }

    async fn update_shop_settings(
        &mut self,
        settings: &ShopSettings,
        by: Option<UserId>,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.execute(super::shop::update(settings, by, at)).await?;
        Ok(())
    }

    async fn insert_parked_sale(
        &mut self,
        new: &NewParkedSale,
        by: Option<UserId>,
        at: Timestamp,
    ) -> StoreResult<ParkedSaleId> {
        super::parked::insert::<D>(&mut self.tx, new, by, at).await
    }

    async fn take_parked_sale(
        &mut self,
        id: ParkedSaleId,
        at: Timestamp,
        key: Option<&IdempotencyKey>,
        by: Option<UserId>,
    ) -> StoreResult<Option<Recall>> {
        super::parked::take::<D>(&mut self.tx, id, at, key, by).await
    }

    async fn parked_sale_by_key(
        &mut self,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<(ParkedSale, String)>> {
        super::parked::by_key::<D>(&mut self.tx, key).await
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        D::commit(self.tx).await
    }
}
