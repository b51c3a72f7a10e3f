//! The unit of work on a SQL database, written once for both dialects.
//!
//! Locking reads end with the dialect's `FOR UPDATE` / `FOR SHARE` clause: InnoDB takes row locks;
//! SQLite needs none, because its units of work begin with `BEGIN IMMEDIATE` and so already hold
//! the database's write lock.

use async_trait::async_trait;

use super::dialect::{Dialect, RowMap};
use super::rows::{
    self, CUSTOMER_COLUMNS, LINE_COLUMNS, MOVEMENT_COLUMNS, ORDER_COLUMNS, PRODUCT_COLUMNS,
    TOKEN_COLUMNS, USER_COLUMNS,
};
use super::statement::{Statement, placeholders};
use crate::domain::{
    Customer, CustomerId, EventId, HistoryId, IdempotencyKey, MovementId, NewMovement,
    NewStatusChange, Note, Order, OrderDraft, OrderId, OrderStatus, Phone, Product, ProductId, Sku,
    StockMovement, TaxId, Timestamp, User, UserId, UserRecord, Username, fold,
};
use crate::events::NewEvent;
use crate::store::{
    CustomerDraft, ProductDraft, RefreshTokenRecord, StoreResult, Transaction, UniqueKey, UserDraft,
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

    /// The order selected by `statement`, with its lines.
    async fn order_with_lines(&mut self, statement: Statement) -> StoreResult<Option<Order>> {
        let Some(mut order) = self.one(statement, rows::order).await? else {
            return Ok(None);
        };
        let lines = D::fetch_in(&mut self.tx, lines_of(&[order.id]), rows::order_line).await?;
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

#[async_trait]
impl<D: Dialect> Transaction for SqlTransaction<D> {
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
        let mut found = Vec::with_capacity(skus.len());
        for sku in skus {
            let statement =
                Statement::new("SELECT id FROM products WHERE sku = ?").text(sku.as_str());
            if let Some(id) = self.one(statement, |row| row.int("id")).await? {
                found.push((sku.clone(), ProductId(id)));
            }
        }
        Ok(found)
    }

    async fn lock_order(&mut self, id: OrderId) -> StoreResult<Option<Order>> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?{}",
            D::FOR_UPDATE
        );
        self.order_with_lines(Statement::new(sql).int(id.get()))
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
        self.order_with_lines(Statement::new(sql).int(customer.get()).text(key.as_str()))
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

    async fn insert_order(&mut self, draft: &OrderDraft) -> StoreResult<OrderId> {
        let order = Statement::new(
            "INSERT INTO orders (customer_id, status, total, idempotency_key, \
             request_fingerprint, note, created_by, created_at, updated_at) \
             VALUES (?, 'PENDING', ?, ?, ?, ?, ?, ?, ?)",
        )
        .int(draft.customer_id.get())
        .money(draft.total)
        .text(draft.idempotency_key.as_str())
        .text(draft.request_fingerprint.as_str())
        .opt_text(draft.note.as_ref().map(Note::as_str))
        .opt_int(draft.created_by.map(UserId::get))
        .time(draft.created_at)
        .time(draft.created_at);
        let id = self.execute(order).await?;
        for (line_no, line) in draft.lines.iter().enumerate() {
            let statement = Statement::new(
                "INSERT INTO order_lines (order_id, line_no, product_id, sku, product_name, \
                 unit_price, quantity, line_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .int(id)
            .int(i64::try_from(line_no).unwrap_or(i64::MAX))
            .int(line.product_id.get())
            .text(line.sku.as_str())
            .text(line.product_name.as_str())
            .money(line.unit_price)
            .int(i64::from(line.quantity.get()))
            .money(line.line_total);
            self.execute(statement).await?;
        }
        Ok(OrderId(id))
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

    async fn insert_status_change(&mut self, change: &NewStatusChange) -> StoreResult<HistoryId> {
        let statement = Statement::new(
            "INSERT INTO order_status_history (order_id, from_status, to_status, changed_by, \
             changed_at, note) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .int(change.order_id.get())
        .opt_text(change.from.map(OrderStatus::as_str))
        .text(change.to.as_str())
        .opt_int(change.changed_by.map(UserId::get))
        .time(change.changed_at)
        .opt_text(change.note.as_ref().map(Note::as_str));
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
            "INSERT INTO users (username, password_hash, role, active, failed_logins, \
             created_at, updated_at) VALUES (?, ?, ?, 1, 0, ?, ?)",
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
            "UPDATE users SET password_hash = ?, role = ?, active = ?, failed_logins = ?, \
             locked_until = ?, updated_at = ? WHERE id = ?",
        )
        .text(r.password_hash.as_str())
        .text(r.user.role.as_str())
        .flag(r.user.active)
        .int(i64::from(r.failed_logins))
        .opt_time(r.locked_until)
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

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        D::commit(self.tx).await
    }
}
