//! The store on a SQL database, written once for both dialects: reads outside units of work, list
//! queries with their filters, and the audit snapshot.

use async_trait::async_trait;

use super::dialect::{Dialect, RowMap};
use super::rows::{
    self, CASH_MOVEMENT_COLUMNS, CUSTOMER_COLUMNS, EVENT_COLUMNS, HISTORY_COLUMNS,
    MOVEMENT_COLUMNS, ORDER_COLUMNS, PAYMENT_COLUMNS, PRODUCT_COLUMNS, REGISTER_COLUMNS,
    RETURN_COLUMNS, SESSION_COLUMNS, USER_COLUMNS,
};
use super::statement::{Filter, Listing, Statement, Value, placeholders};
use super::transaction::{SqlTransaction, lines_of, returns_in, sessions_in, totals_in};
use super::{backoff, contains_pattern, prefix_range, to_i64};
use crate::domain::audit::{AuditSnapshot, OrderMoneyAudit, SessionAudit};
use crate::domain::{
    CashMovement, CashSession, CashSessionId, Channel, Customer, CustomerId, CustomerQuery,
    EventId, FOLD_VERSION, Order, OrderId, OrderQuery, Page, PageRequest, ParkedSale, Payment,
    Product, ProductId, ProductQuery, Register, RegisterId, SaleReturn, SessionTotals,
    ShopSettings, Sku, StatusChange, StockMovement, Tender, Timestamp, User, UserId, UserRecord,
    Username, fold,
};
use crate::events::{EventRecord, OutboxBacklog};
use crate::store::{PoolStatus, Store, StoreError, StoreResult, Transaction, UniqueKey};

/// A store on dialect `D`.
pub(crate) struct SqlStore<D> {
    dialect: D,
}

impl<D: Dialect> SqlStore<D> {
    pub(crate) fn new(dialect: D) -> SqlStore<D> {
        SqlStore { dialect }
    }

    /// Computes the folded search columns again once after [`fold`] changed (it learnt to drop
    /// accents), so rows written by an older version are found like new ones. The milestone
    /// makes it happen once per database; a concurrent opener that records it first wins.
    pub(crate) async fn refold(&self) -> StoreResult<()> {
        // Servers starting together race for it; on a Galera cluster the loser's commit fails
        // certification. The next try finds the milestone recorded and stops.
        let mut attempt = 1;
        loop {
            match self.try_refold().await {
                Err(StoreError::Retryable(_)) if attempt < 5 => {
                    backoff(attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn try_refold(&self) -> StoreResult<()> {
        let mut tx = self.dialect.begin().await?;
        let done = D::fetch_in(
            &mut tx,
            Statement::new("SELECT name FROM milestones WHERE name = ?").text(FOLD_VERSION),
            |row| row.text("name"),
        )
        .await?;
        if !done.is_empty() {
            return D::rollback(tx).await;
        }
        for table in ["products", "customers"] {
            let rows = D::fetch_in(
                &mut tx,
                Statement::new(format!("SELECT id, name, name_folded FROM {table}")),
                |row| Ok((row.int("id")?, row.text("name")?, row.text("name_folded")?)),
            )
            .await?;
            for (id, name, stored) in rows {
                let folded = fold(&name);
                if folded != stored {
                    let update = format!("UPDATE {table} SET name_folded = ? WHERE id = ?");
                    D::execute_in(&mut tx, Statement::new(update).text(folded).int(id)).await?;
                }
            }
        }
        let milestone = Statement::new("INSERT INTO milestones (name, done_at) VALUES (?, ?)")
            .text(FOLD_VERSION)
            .time(chrono::Utc::now())
            .primary_key(UniqueKey::Milestone);
        match D::execute_in(&mut tx, milestone).await {
            Ok(_) => D::commit(tx).await,
            Err(StoreError::Unique(UniqueKey::Milestone)) => D::rollback(tx).await,
            Err(error) => Err(error),
        }
    }

    async fn one<T: Send + 'static>(
        &self,
        statement: Statement,
        map: RowMap<T>,
    ) -> StoreResult<Option<T>> {
        Ok(self.dialect.fetch(statement, map).await?.into_iter().next())
    }

    /// One page of `listing` under `filter`, with the total count unless `count` is false.
    async fn page<T: Send + 'static>(
        &self,
        listing: Listing,
        filter: &Filter,
        page: PageRequest,
        count: bool,
        map: RowMap<T>,
    ) -> StoreResult<Page<T>> {
        let Listing {
            table,
            columns,
            order_by,
        } = listing;
        let total = if count {
            let statement = filter.select("COUNT(*) AS total", table, "");
            self.one(statement, |row| row.int("total"))
                .await?
                .unwrap_or(0)
        } else {
            0
        };
        let statement = filter
            .select(
                columns,
                table,
                &format!("ORDER BY {order_by} LIMIT ? OFFSET ?"),
            )
            .int(i64::from(page.limit()))
            .int(to_i64(page.offset()));
        let page = Page {
            items: self.dialect.fetch(statement, map).await?,
            total: u64::try_from(total).unwrap_or(0),
            offset: page.offset(),
            limit: page.limit(),
        };
        Ok(if count { page } else { page.without_total() })
    }

    /// Loads the lines of `orders` in one query and attaches them.
    async fn attach_lines(&self, orders: &mut [Order]) -> StoreResult<()> {
        if orders.is_empty() {
            return Ok(());
        }
        let ids: Vec<OrderId> = orders.iter().map(|o| o.id).collect();
        let lines = self.dialect.fetch(lines_of(&ids), rows::order_line).await?;
        rows::attach(orders, lines);
        Ok(())
    }
}

#[async_trait]
impl<D: Dialect> Store for SqlStore<D> {
    fn backend_name(&self) -> &'static str {
        D::NAME
    }

    async fn begin(&self) -> StoreResult<Box<dyn Transaction>> {
        let tx = self.dialect.begin().await?;
        Ok(Box::new(SqlTransaction::<D>::new(tx)))
    }

    async fn pause_before_retry(&self, attempt: u32) {
        backoff(attempt).await;
    }

    fn pool_status(&self) -> Option<PoolStatus> {
        Some(self.dialect.pool_status())
    }

    async fn ping(&self) -> StoreResult<()> {
        self.dialect
            .fetch(Statement::new("SELECT 1 AS one"), |row| row.int("one"))
            .await
            .map(|_| ())
    }

    async fn customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?");
        self.one(Statement::new(sql).int(id.get()), rows::customer)
            .await
    }

    async fn customers(&self, query: &CustomerQuery) -> StoreResult<Page<Customer>> {
        let mut filter = Filter::default();
        if !query.include_deleted {
            filter.push("deleted_at IS NULL", []);
        }
        if let Some(term) = &query.search {
            let pattern = contains_pattern(term);
            let (low, high) = prefix_range(&term.as_sku_prefix());
            filter.push(
                "(name_folded LIKE ? ESCAPE '!' OR email LIKE ? ESCAPE '!' \
                 OR (tax_id >= ? AND tax_id < ?))",
                [
                    Value::Text(pattern.clone()),
                    Value::Text(pattern),
                    Value::Text(low),
                    Value::Text(high),
                ],
            );
        }
        let listing = Listing {
            table: "customers",
            columns: CUSTOMER_COLUMNS,
            order_by: "name_folded, id",
        };
        self.page(listing, &filter, query.page, true, rows::customer)
            .await
    }

    async fn product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ?");
        self.one(Statement::new(sql).int(id.get()), rows::product)
            .await
    }

    async fn product_by_sku(&self, sku: &Sku) -> StoreResult<Option<Product>> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE sku = ?");
        self.one(Statement::new(sql).text(sku.as_str()), rows::product)
            .await
    }

    async fn products(&self, query: &ProductQuery) -> StoreResult<Page<Product>> {
        let mut filter = Filter::default();
        if !query.include_inactive {
            filter.push("active = 1", []);
        }
        if query.low_stock_only {
            filter.push("on_hand - reserved <= reorder_level", []);
        }
        if let Some(term) = &query.search {
            let (low, high) = prefix_range(&term.as_sku_prefix());
            // instr() is a literal substring test on the folded name (binary collation in MySQL):
            // the semantics of LIKE with escaping, and in SQLite several times faster on a large
            // catalogue.
            filter.push(
                "((sku >= ? AND sku < ?) OR instr(name_folded, ?) > 0)",
                [
                    Value::Text(low),
                    Value::Text(high),
                    Value::Text(term.folded().to_string()),
                ],
            );
        }
        let listing = Listing {
            table: "products",
            columns: PRODUCT_COLUMNS,
            order_by: "sku",
        };
        self.page(
            listing,
            &filter,
            query.page,
            !query.skip_total,
            rows::product,
        )
        .await
    }

    async fn movements(
        &self,
        product: ProductId,
        page: PageRequest,
    ) -> StoreResult<Page<StockMovement>> {
        let mut filter = Filter::default();
        filter.push("product_id = ?", [Value::Int(product.get())]);
        let listing = Listing {
            table: "stock_movements",
            columns: MOVEMENT_COLUMNS,
            order_by: "id DESC",
        };
        self.page(listing, &filter, page, true, rows::movement)
            .await
    }

    async fn order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?");
        let Some(order) = self
            .one(Statement::new(sql).int(id.get()), rows::order)
            .await?
        else {
            return Ok(None);
        };
        let mut orders = [order];
        self.attach_lines(&mut orders).await?;
        let [order] = orders;
        Ok(Some(order))
    }

    async fn orders(&self, query: &OrderQuery) -> StoreResult<Page<Order>> {
        let mut filter = Filter::default();
        if let Some(status) = query.status {
            filter.push("status = ?", [Value::Text(status.as_str().to_string())]);
        }
        if let Some(customer) = query.customer_id {
            filter.push("customer_id = ?", [Value::Int(customer.get())]);
        }
        if let Some(from) = query.created_from {
            filter.push("created_at >= ?", [Value::Time(from)]);
        }
        if let Some(before) = query.created_before {
            filter.push("created_at < ?", [Value::Time(before)]);
        }
        let listing = Listing {
            table: "orders",
            columns: ORDER_COLUMNS,
            order_by: "id DESC",
        };
        let mut page = self
            .page(listing, &filter, query.page, true, rows::order)
            .await?;
        self.attach_lines(&mut page.items).await?;
        Ok(page)
    }

    async fn order_history(&self, id: OrderId) -> StoreResult<Vec<StatusChange>> {
        let sql = format!(
            "SELECT {HISTORY_COLUMNS} FROM order_status_history WHERE order_id = ? ORDER BY id"
        );
        self.dialect
            .fetch(Statement::new(sql).int(id.get()), rows::status_change)
            .await
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        self.one(Statement::new(sql).int(id.get()), rows::user)
            .await
    }

    async fn user_by_username(&self, username: &Username) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?");
        self.one(Statement::new(sql).text(username.as_str()), rows::user)
            .await
    }

    async fn users(&self, page: PageRequest) -> StoreResult<Page<User>> {
        let listing = Listing {
            table: "users",
            columns: USER_COLUMNS,
            order_by: "username",
        };
        let records = self
            .page(listing, &Filter::default(), page, true, rows::user)
            .await?;
        Ok(records.map(|r| r.user))
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let statement = Statement::new("SELECT COUNT(*) AS total FROM users");
        let count = self.one(statement, |row| row.int("total")).await?;
        Ok(count.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    async fn registers(&self) -> StoreResult<Vec<Register>> {
        let sql = format!("SELECT {REGISTER_COLUMNS} FROM registers ORDER BY code");
        self.dialect
            .fetch(Statement::new(sql), rows::register)
            .await
    }

    async fn cash_session(&self, id: CashSessionId) -> StoreResult<Option<CashSession>> {
        let mut tx = self.dialect.begin_read().await?;
        let sql = format!("SELECT {SESSION_COLUMNS} FROM cash_sessions WHERE id = ?");
        let found = sessions_in::<D>(&mut tx, Statement::new(sql).int(id.get())).await?;
        D::rollback(tx).await?;
        Ok(found.into_iter().next())
    }

    async fn cash_sessions(
        &self,
        register: RegisterId,
        page: PageRequest,
    ) -> StoreResult<Page<CashSession>> {
        let mut tx = self.dialect.begin_read().await?;
        let count = Statement::new("SELECT COUNT(*) AS n FROM cash_sessions WHERE register_id = ?")
            .int(register.get());
        let total = D::fetch_in(&mut tx, count, |row| row.int("n")).await?;
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM cash_sessions WHERE register_id = ? \
             ORDER BY id DESC LIMIT ? OFFSET ?"
        );
        let statement = Statement::new(sql)
            .int(register.get())
            .int(i64::from(page.limit()))
            .int(to_i64(page.offset()));
        let items = sessions_in::<D>(&mut tx, statement).await?;
        D::rollback(tx).await?;
        Ok(Page {
            items,
            total: total.first().map_or(0, |n| u64::try_from(*n).unwrap_or(0)),
            offset: page.offset(),
            limit: page.limit(),
        })
    }

    async fn cash_session_totals(&self, id: CashSessionId) -> StoreResult<SessionTotals> {
        let mut tx = self.dialect.begin_read().await?;
        let totals = totals_in::<D>(&mut tx, id, "").await?;
        D::rollback(tx).await?;
        Ok(totals)
    }

    async fn cash_movements(&self, id: CashSessionId) -> StoreResult<Vec<CashMovement>> {
        let sql = format!(
            "SELECT {CASH_MOVEMENT_COLUMNS} FROM cash_movements WHERE cash_session_id = ? \
             ORDER BY id"
        );
        self.dialect
            .fetch(Statement::new(sql).int(id.get()), rows::cash_movement)
            .await
    }

    async fn payments(&self, order: OrderId) -> StoreResult<Vec<Payment>> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE order_id = ? ORDER BY id");
        self.dialect
            .fetch(Statement::new(sql).int(order.get()), rows::payment)
            .await
    }

    async fn returns(&self, order: OrderId) -> StoreResult<Vec<SaleReturn>> {
        let mut tx = self.dialect.begin_read().await?;
        let sql = format!("SELECT {RETURN_COLUMNS} FROM returns WHERE order_id = ? ORDER BY id");
        let found = returns_in::<D>(&mut tx, Statement::new(sql).int(order.get())).await?;
        D::rollback(tx).await?;
        Ok(found)
    }

    async fn events_after(
        &self,
        after: Option<EventId>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        let sql =
            format!("SELECT {EVENT_COLUMNS} FROM outbox_events WHERE id > ? ORDER BY id LIMIT ?");
        let statement = Statement::new(sql)
            .int(after.map_or(0, EventId::get))
            .int(i64::from(limit));
        self.dialect.fetch(statement, rows::event).await
    }

    async fn unpublished_events(&self, limit: u32) -> StoreResult<Vec<EventRecord>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE published_at IS NULL \
             ORDER BY id LIMIT ?"
        );
        self.dialect
            .fetch(Statement::new(sql).int(i64::from(limit)), rows::event)
            .await
    }

    async fn outbox_backlog(&self) -> StoreResult<OutboxBacklog> {
        // Both engines answer from the index on unpublished events.
        let sql = "SELECT COUNT(*) AS unpublished, MIN(occurred_at) AS oldest \
                   FROM outbox_events WHERE published_at IS NULL";
        let found = self
            .dialect
            .fetch(Statement::new(sql), |row| {
                Ok(OutboxBacklog {
                    unpublished: u64::try_from(row.int("unpublished")?).unwrap_or(0),
                    oldest: row.opt_time("oldest")?,
                })
            })
            .await?;
        Ok(found.into_iter().next().unwrap_or(OutboxBacklog {
            unpublished: 0,
            oldest: None,
        }))
    }

    async fn mark_events_published(&self, ids: &[EventId], at: Timestamp) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        // By primary key only. A condition on `published_at` lets InnoDB pick the index on
        // unpublished events, whose next-key locks cover the gap every new event is inserted
        // into: each order's outbox insert then queued behind the relay (p99 88 ms instead of
        // 39 ms in benches/sidebyside). The first publication time is kept by COALESCE instead.
        let sql = format!(
            "UPDATE outbox_events SET published_at = COALESCE(published_at, ?) \
             WHERE id IN ({})",
            placeholders(ids.len())
        );
        let statement = Statement::new(sql)
            .time(at)
            .ids(ids.iter().map(|id| id.get()));
        self.dialect.execute(statement).await
    }

    async fn delete_published_events(
        &self,
        published_before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        // The expired ids first, by a plain read (no locks), then a delete by primary key. A
        // delete that searched by `published_at` would lock what it scanned (under MySQL, a whole
        // table scan for the IN-subquery form) including the gap new events go into, stopping
        // every order for as long as it ran. A published event is never unpublished again, so
        // the ids read stay expired.
        let expired = Statement::new(
            "SELECT id FROM outbox_events \
             WHERE published_at IS NOT NULL AND published_at < ? LIMIT ?",
        )
        .time(published_before)
        .int(i64::from(limit));
        let ids = self.dialect.fetch(expired, |row| row.int("id")).await?;
        if ids.is_empty() {
            return Ok(0);
        }
        let statement = Statement::new(format!(
            "DELETE FROM outbox_events WHERE id IN ({})",
            placeholders(ids.len())
        ))
        .ids(ids);
        let mut tx = self.dialect.begin().await?;
        let deleted = D::execute_counted_in(&mut tx, statement).await?;
        D::commit(tx).await?;
        Ok(deleted)
    }

    async fn delete_forgotten_login_failures(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64> {
        // As for the outbox: a plain read of the keys, then deletes by primary key, so no gap
        // lock stops a login from inserting its counter. Each delete checks the time again under
        // the row's lock: a counter a login has just updated stays.
        let forgotten = Statement::new(
            "SELECT address, username FROM login_failures WHERE last_failure_at < ? LIMIT ?",
        )
        .time(before)
        .int(i64::from(limit));
        let keys = self
            .dialect
            .fetch(forgotten, |row| {
                Ok((row.text("address")?, row.text("username")?))
            })
            .await?;
        if keys.is_empty() {
            return Ok(0);
        }
        let mut tx = self.dialect.begin().await?;
        let mut deleted = 0;
        for (address, username) in keys {
            let statement = Statement::new(
                "DELETE FROM login_failures \
                 WHERE address = ? AND username = ? AND last_failure_at < ?",
            )
            .text(&address)
            .text(&username)
            .time(before);
            deleted += D::execute_counted_in(&mut tx, statement).await?;
        }
        D::commit(tx).await?;
        Ok(deleted)
    }

    async fn shop_settings(&self) -> StoreResult<ShopSettings> {
        let found = self
            .dialect
            .fetch(super::shop::select(), super::shop::settings)
            .await?;
        super::shop::the_row(found)
    }

    async fn parked_sales(&self, limit: u32) -> StoreResult<Vec<ParkedSale>> {
        let mut tx = self.dialect.begin_read().await?;
        let found = super::parked::list::<D>(&mut tx, limit).await?;
        D::rollback(tx).await?;
        Ok(found)
    }

    async fn audit_snapshot(&self) -> StoreResult<AuditSnapshot> {
        // One read-only unit of work: every figure comes from the same consistent snapshot.
        let mut tx = self.dialect.begin_read().await?;
        let products = D::fetch_in(
            &mut tx,
            Statement::new(D::AUDIT_PRODUCTS),
            rows::product_audit,
        )
        .await?;
        let mut orders =
            D::fetch_in(&mut tx, Statement::new(D::AUDIT_ORDERS), rows::order_audit).await?;
        let history = D::fetch_in(
            &mut tx,
            Statement::new(
                "SELECT order_id, from_status, to_status FROM order_status_history \
                 ORDER BY order_id, id",
            ),
            rows::history_step,
        )
        .await?;
        let money = D::fetch_in(&mut tx, Statement::new(AUDIT_MONEY), |row| {
            Ok(OrderMoneyAudit {
                order_id: OrderId(row.int("id")?),
                channel: super::stored(Channel::parse(&row.text("channel")?), "orders.channel")?,
                total_cents: row.money("total")?.cents(),
                paid_cents: row.money("paid")?.cents(),
                change_cents: row.money("change_given")?.cents(),
                refunded_cents: row.money("refunded")?.cents(),
                payments_cents: row.money("payments")?.cents(),
                refunds_cents: row.money("refunds")?.cents(),
                bad_returned_lines: u64::try_from(row.int("bad_lines")?).unwrap_or(0),
            })
        })
        .await?;
        let all = format!("SELECT {SESSION_COLUMNS} FROM cash_sessions ORDER BY id");
        let mut sessions = Vec::new();
        for session in sessions_in::<D>(&mut tx, Statement::new(all)).await? {
            let totals = totals_in::<D>(&mut tx, session.id, "").await?;
            sessions.push(SessionAudit {
                session_id: session.id,
                opening_float: session.opening_float,
                totals,
                closed_expected_cash: session.closing.as_ref().map(|c| {
                    c.counts
                        .iter()
                        .find(|line| line.tender == Tender::Cash)
                        .map_or(crate::domain::Money::ZERO, |line| line.expected)
                }),
            });
        }
        let mut rows_naming_no_product = Vec::new();
        for table in ["order_lines", "stock_movements", "return_lines"] {
            let orphans = Statement::new(format!(
                "SELECT COUNT(*) AS n FROM {table} t \
                 WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = t.product_id)"
            ));
            let n = D::fetch_in(&mut tx, orphans, |row| row.int("n")).await?;
            let n = n.first().map_or(0, |n| u64::try_from(*n).unwrap_or(0));
            rows_naming_no_product.push((table, n));
        }
        D::rollback(tx).await?;
        rows::attach_history(&mut orders, history);
        Ok(AuditSnapshot {
            products,
            orders,
            money,
            sessions,
            rows_naming_no_product,
        })
    }
}

/// Every order with money or returns against it, beside the sums of its payment, refund and
/// return rows. The same text runs on both dialects (sums of money columns read as money, counts
/// as integers).
const AUDIT_MONEY: &str = "SELECT o.id, o.channel, o.total, o.paid, o.change_given, o.refunded, \
       (SELECT COALESCE(SUM(p.amount), 0) FROM payments p \
         WHERE p.order_id = o.id AND p.kind = 'payment') AS payments, \
       (SELECT COALESCE(SUM(p.amount), 0) FROM payments p \
         WHERE p.order_id = o.id AND p.kind = 'refund') AS refunds, \
       (SELECT COUNT(*) FROM order_lines l WHERE l.order_id = o.id AND (l.returned > l.quantity \
         OR l.returned <> (SELECT COALESCE(SUM(r.quantity), 0) FROM return_lines r \
           JOIN returns t ON t.id = r.return_id \
           WHERE t.order_id = l.order_id AND r.line_no = l.line_no))) AS bad_lines \
     FROM orders o \
     WHERE o.channel = 'counter' OR o.paid > 0 OR o.refunded > 0 \
       OR EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id) \
       OR EXISTS (SELECT 1 FROM returns t WHERE t.order_id = o.id) \
     ORDER BY o.id";
