//! MySQL 8 / MariaDB (InnoDB): the shared database of a shop with several terminals and servers.
//!
//! Correctness rests on InnoDB alone, never on anything inside this process: `SELECT ... FOR
//! UPDATE` row locks (products in ascending id order, after the order row), unique indexes (a
//! concurrent duplicate idempotency key waits on the index entry and then fails with 1062, which
//! the service turns into a replay), CHECK constraints on stock, and the whole transaction retried
//! by the service on deadlock (1213) or lock wait timeout (1205).

use std::str::FromStr;

use async_trait::async_trait;
use rust_decimal::Decimal;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlRow};
use sqlx::{Executor, MySql, Row};

use super::migrations::{self, Migration};
use super::rows::{
    self, CUSTOMER_COLUMNS, Columns, EVENT_COLUMNS, HISTORY_COLUMNS, MOVEMENT_COLUMNS,
    TOKEN_COLUMNS, USER_COLUMNS, customer, event, movement, order, product, refresh_token,
    status_change, user,
};
use super::{backoff, connection_error, contains_pattern, prefix_range, stored, to_i64};
use crate::connect::ConnectOptions;
use crate::domain::audit::AuditSnapshot;
use crate::domain::{
    Customer, CustomerId, CustomerQuery, EventId, HistoryId, IdempotencyKey, Money, MovementId,
    NewMovement, NewStatusChange, Note, Order, OrderDraft, OrderId, OrderQuery, OrderStatus, Page,
    PageRequest, Phone, Product, ProductId, ProductQuery, Sku, StatusChange, StockMovement, TaxId,
    Timestamp, User, UserId, UserRecord, Username, fold,
};
use crate::error::{Error, Result};
use crate::events::{EventRecord, NewEvent};
use crate::store::{
    CustomerDraft, ProductDraft, RefreshTokenRecord, Store, StoreError, StoreResult, Transaction,
    UniqueKey, UserDraft,
};

/// The MySQL store.
pub(crate) struct MySqlStore {
    pool: MySqlPool,
}

type Tx = sqlx::Transaction<'static, MySql>;
type Query<'q> = sqlx::query::Query<'q, MySql, sqlx::mysql::MySqlArguments>;

// ---------------------------------------------------------------------------------------------
// Errors and values

/// Classifies a sqlx error from MySQL / MariaDB by its error number.
fn db_error(error: sqlx::Error) -> StoreError {
    if let Some(unavailable) = connection_error(&error) {
        return unavailable;
    }
    if let sqlx::Error::Database(db) = &error
        && let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
    {
        {
            match mysql.number() {
                // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT: InnoDB rolled the statement or the
                // transaction back; the service runs the whole command again.
                1213 | 1205 => return StoreError::Retryable(db.message().to_string()),
                // ER_DUP_ENTRY names the index: "Duplicate entry 'x' for key 'products_sku_uq'"
                // (MySQL 8 prefixes the table: 'products.products_sku_uq').
                1062 => {
                    if let Some(key) = unique_key(db.message()) {
                        return StoreError::Unique(key);
                    }
                }
                // The server went away or killed the connection mid-command.
                2006 | 2013 | 1053 | 1927 => {
                    return StoreError::Unavailable(db.message().to_string());
                }
                _ => {}
            }
        }
    }
    StoreError::Other(error.to_string())
}

/// The constraint named in a duplicate-entry message.
fn unique_key(message: &str) -> Option<UniqueKey> {
    let key = message.rsplit("for key ").next()?;
    Some(match key {
        k if k.contains("products_sku_uq") => UniqueKey::Sku,
        k if k.contains("customers_email_live_uq") => UniqueKey::CustomerEmail,
        k if k.contains("customers_tax_id_live_uq") => UniqueKey::CustomerTaxId,
        k if k.contains("users_username_uq") => UniqueKey::Username,
        k if k.contains("orders_idempotency_uq") => UniqueKey::IdempotencyKey,
        _ => return None,
    })
}

/// Like [`db_error`], for a table whose only unique index is its primary key (whose name,
/// `PRIMARY`, does not say which table it belongs to).
fn primary_key_error(error: sqlx::Error, key: UniqueKey) -> StoreError {
    if let sqlx::Error::Database(db) = &error
        && let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        && mysql.number() == 1062
    {
        return StoreError::Unique(key);
    }
    db_error(error)
}

fn get<'r, T>(row: &'r MySqlRow, column: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, MySql> + sqlx::Type<MySql>,
{
    row.try_get(column).map_err(db_error)
}

/// Text columns use binary collations (byte-exact comparison, as in the other backends), which the
/// MySQL protocol flags as binary: they are read as bytes and checked to be UTF-8.
fn utf8(bytes: Vec<u8>, column: &str) -> StoreResult<String> {
    String::from_utf8(bytes)
        .map_err(|_| StoreError::Other(format!("stored {column} is not valid UTF-8")))
}

/// MySQL keeps time as DATETIME(6) in UTC and money as DECIMAL(14,2).
impl Columns for MySqlRow {
    fn int(&self, column: &str) -> StoreResult<i64> {
        get(self, column)
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        get(self, column)
    }
    fn flag(&self, column: &str) -> StoreResult<bool> {
        get(self, column)
    }
    fn text(&self, column: &str) -> StoreResult<String> {
        utf8(get(self, column)?, column)
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        get::<Option<Vec<u8>>>(self, column)?
            .map(|bytes| utf8(bytes, column))
            .transpose()
    }
    fn time(&self, column: &str) -> StoreResult<Timestamp> {
        get(self, column)
    }
    fn opt_time(&self, column: &str) -> StoreResult<Option<Timestamp>> {
        get(self, column)
    }
    fn money(&self, column: &str) -> StoreResult<Money> {
        stored(Money::from_decimal(get::<Decimal>(self, column)?), column)
    }
}

const PRODUCT_COLUMNS: &str = "id, sku, name, price, on_hand, reserved, reorder_level, active, \
                               created_at, updated_at";
const ORDER_COLUMNS: &str = "id, customer_id, status, total, idempotency_key, \
                             request_fingerprint, note, created_by, created_at, updated_at";
const LINE_COLUMNS: &str =
    "order_id, line_no, product_id, sku, product_name, unit_price, quantity, line_total";

/// Loads the lines of `orders` in one query and attaches them.
async fn attach_lines<'e, E>(executor: E, orders: &mut [Order]) -> StoreResult<()>
where
    E: sqlx::Executor<'e, Database = MySql>,
{
    if orders.is_empty() {
        return Ok(());
    }
    let placeholders = vec!["?"; orders.len()].join(", ");
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM order_lines WHERE order_id IN ({placeholders}) \
         ORDER BY order_id, line_no"
    );
    let mut query = sqlx::query(&sql);
    for order in orders.iter() {
        query = query.bind(order.id.get());
    }
    let rows = query.fetch_all(executor).await.map_err(db_error)?;
    let lines = rows
        .iter()
        .map(rows::order_line)
        .collect::<StoreResult<_>>()?;
    rows::attach(orders, lines);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Opening and migrating

impl MySqlStore {
    async fn connect(url: &str, options: &ConnectOptions) -> Result<MySqlPool> {
        let connect = MySqlConnectOptions::from_str(url)
            .map_err(|e| Error::validation("database_url", e.to_string()))?;
        let lock_wait_secs = options.lock_timeout.as_secs().max(1);
        MySqlPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    // Strict mode turns silent truncation into errors; the lock wait bounds how long
                    // a transaction queues behind a hot row before it is retried.
                    conn.execute(
                        format!(
                            "SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES'), \
                             SESSION innodb_lock_wait_timeout = {lock_wait_secs}"
                        )
                        .as_str(),
                    )
                    .await?;
                    // The locking design assumes InnoDB's default; a server configured otherwise
                    // must not change it under us.
                    conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                        .await
                        .map(|_| ())
                })
            })
            .connect_with(connect)
            .await
            .map_err(|e| Error::Unavailable {
                message: format!("cannot connect to MySQL: {e}"),
            })
    }

    pub(crate) async fn open(url: &str, options: &ConnectOptions) -> Result<MySqlStore> {
        let pool = MySqlStore::connect(url, options).await?;
        if options.migrate {
            run_migrations(&pool).await?;
        }
        Ok(MySqlStore { pool })
    }

    pub(crate) async fn migrate_url(url: &str, options: &ConnectOptions) -> Result<()> {
        let pool = MySqlStore::connect(url, options).await?;
        run_migrations(&pool).await?;
        pool.close().await;
        Ok(())
    }
}

fn migration_error(message: impl std::fmt::Display) -> Error {
    Error::Internal {
        message: format!("migration failed: {message}"),
    }
}

/// Applies pending migrations. A named server lock (`GET_LOCK`) makes several servers starting at
/// once take turns. MySQL commits DDL implicitly, so the migrations use `IF NOT EXISTS` and a
/// migration interrupted half way can simply be run again.
async fn run_migrations(pool: &MySqlPool) -> Result<()> {
    let mut conn = pool.acquire().await.map_err(migration_error)?;
    let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK('erp_schema_migrations', 60)")
        .fetch_one(&mut *conn)
        .await
        .map_err(migration_error)?;
    if locked != Some(1) {
        return Err(migration_error(
            "another process held the migration lock for 60 s",
        ));
    }
    let outcome = apply_pending(&mut conn).await;
    let _ = sqlx::query("SELECT RELEASE_LOCK('erp_schema_migrations')")
        .execute(&mut *conn)
        .await;
    outcome
}

async fn apply_pending(conn: &mut sqlx::MySqlConnection) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
           version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, \
           checksum CHAR(64) NOT NULL, applied_at DATETIME(6) NOT NULL\
         ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    )
    .execute(&mut *conn)
    .await
    .map_err(migration_error)?;
    let applied: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(migration_error)?;
    let pending: Vec<&Migration> =
        migrations::plan(migrations::MYSQL, &applied).map_err(migration_error)?;
    for migration in pending {
        sqlx::raw_sql(migration.sql)
            .execute(&mut *conn)
            .await
            .map_err(migration_error)?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(migration.checksum())
        .bind(chrono::Utc::now())
        .execute(&mut *conn)
        .await
        .map_err(migration_error)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Transactions

struct MySqlTransaction {
    tx: Tx,
}

impl MySqlTransaction {
    async fn fetch_optional<T>(
        &mut self,
        query: Query<'_>,
        map: fn(&MySqlRow) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let row = query
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db_error)?;
        row.as_ref().map(map).transpose()
    }

    async fn execute(&mut self, query: Query<'_>) -> StoreResult<i64> {
        let done = query.execute(&mut *self.tx).await.map_err(db_error)?;
        Ok(i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX))
    }
}

#[async_trait]
impl Transaction for MySqlTransaction {
    async fn lock_products(&mut self, ids: &[ProductId]) -> StoreResult<Vec<Product>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One statement; InnoDB walks the primary key in ascending order, so the row locks are
        // taken in the global lock order the service relies on.
        let placeholders = vec!["?"; ids.len()].join(", ");
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE id IN ({placeholders}) \
             ORDER BY id FOR UPDATE"
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(id.get());
        }
        let rows = query.fetch_all(&mut *self.tx).await.map_err(db_error)?;
        rows.iter().map(product).collect()
    }

    async fn product_ids_by_sku(&mut self, skus: &[Sku]) -> StoreResult<Vec<(Sku, ProductId)>> {
        let mut found = Vec::with_capacity(skus.len());
        for sku in skus {
            let id: Option<i64> = sqlx::query_scalar("SELECT id FROM products WHERE sku = ?")
                .bind(sku.as_str())
                .fetch_optional(&mut *self.tx)
                .await
                .map_err(db_error)?;
            if let Some(id) = id {
                found.push((sku.clone(), ProductId(id)));
            }
        }
        Ok(found)
    }

    async fn lock_order(&mut self, id: OrderId) -> StoreResult<Option<Order>> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ? FOR UPDATE");
        let Some(order) = self
            .fetch_optional(sqlx::query(&sql).bind(id.get()), order)
            .await?
        else {
            return Ok(None);
        };
        let mut orders = [order];
        attach_lines(&mut *self.tx, &mut orders).await?;
        let [order] = orders;
        Ok(Some(order))
    }

    async fn order_by_idempotency_key(
        &mut self,
        customer: CustomerId,
        key: &IdempotencyKey,
    ) -> StoreResult<Option<Order>> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE customer_id = ? AND idempotency_key = ?"
        );
        let Some(order) = self
            .fetch_optional(
                sqlx::query(&sql).bind(customer.get()).bind(key.as_str()),
                order,
            )
            .await?
        else {
            return Ok(None);
        };
        let mut orders = [order];
        attach_lines(&mut *self.tx, &mut orders).await?;
        let [order] = orders;
        Ok(Some(order))
    }

    async fn share_customer(&mut self, id: CustomerId) -> StoreResult<Option<Customer>> {
        // A shared lock: concurrent orders of one customer (the walk-in customer of a busy shop)
        // do not queue behind each other, yet a delete waits for them.
        let sql =
            format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ? LOCK IN SHARE MODE");
        self.fetch_optional(sqlx::query(&sql).bind(id.get()), customer)
            .await
    }

    async fn lock_customer(&mut self, id: CustomerId) -> StoreResult<Option<Customer>> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ? FOR UPDATE");
        self.fetch_optional(sqlx::query(&sql).bind(id.get()), customer)
            .await
    }

    async fn lock_user(&mut self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ? FOR UPDATE");
        self.fetch_optional(sqlx::query(&sql).bind(id.get()), user)
            .await
    }

    async fn lock_user_by_username(
        &mut self,
        username: &Username,
    ) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = ? FOR UPDATE");
        self.fetch_optional(sqlx::query(&sql).bind(username.as_str()), user)
            .await
    }

    async fn lock_refresh_token(
        &mut self,
        token_hash: &str,
    ) -> StoreResult<Option<RefreshTokenRecord>> {
        let sql =
            format!("SELECT {TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = ? FOR UPDATE");
        self.fetch_optional(sqlx::query(&sql).bind(token_hash), refresh_token)
            .await
    }

    async fn insert_customer(&mut self, draft: &CustomerDraft) -> StoreResult<CustomerId> {
        let c = &draft.customer;
        let at = draft.created_at;
        let id = self
            .execute(
                sqlx::query(
                    "INSERT INTO customers (name, name_folded, email, phone, tax_id, created_at, \
                     updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(c.name.as_str())
                .bind(fold(c.name.as_str()))
                .bind(c.email.as_str())
                .bind(c.phone.as_ref().map(Phone::as_str))
                .bind(c.tax_id.as_ref().map(TaxId::as_str))
                .bind(at)
                .bind(at),
            )
            .await?;
        Ok(CustomerId(id))
    }

    async fn update_customer(&mut self, c: &Customer) -> StoreResult<()> {
        self.execute(
            sqlx::query(
                "UPDATE customers SET name = ?, name_folded = ?, email = ?, phone = ?, \
                 tax_id = ?, updated_at = ?, deleted_at = ? WHERE id = ?",
            )
            .bind(c.name.as_str())
            .bind(fold(c.name.as_str()))
            .bind(c.email.as_str())
            .bind(c.phone.as_ref().map(Phone::as_str))
            .bind(c.tax_id.as_ref().map(TaxId::as_str))
            .bind(c.updated_at)
            .bind(c.deleted_at)
            .bind(c.id.get()),
        )
        .await?;
        Ok(())
    }

    async fn insert_product(&mut self, draft: &ProductDraft) -> StoreResult<ProductId> {
        let at = draft.created_at;
        let id = self
            .execute(
                sqlx::query(
                    "INSERT INTO products (sku, name, name_folded, price, on_hand, \
                     reserved, reorder_level, active, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, 0, ?, 1, ?, ?)",
                )
                .bind(draft.sku.as_str())
                .bind(draft.name.as_str())
                .bind(fold(draft.name.as_str()))
                .bind(draft.price.amount())
                .bind(draft.on_hand)
                .bind(draft.reorder_level)
                .bind(at)
                .bind(at),
            )
            .await?;
        Ok(ProductId(id))
    }

    async fn update_product(&mut self, p: &Product) -> StoreResult<()> {
        self.execute(
            sqlx::query(
                "UPDATE products SET name = ?, name_folded = ?, price = ?, on_hand = ?, \
                 reserved = ?, reorder_level = ?, active = ?, updated_at = ? WHERE id = ?",
            )
            .bind(p.name.as_str())
            .bind(fold(p.name.as_str()))
            .bind(p.price.amount())
            .bind(p.on_hand)
            .bind(p.reserved)
            .bind(p.reorder_level)
            .bind(p.active)
            .bind(p.updated_at)
            .bind(p.id.get()),
        )
        .await?;
        Ok(())
    }

    async fn insert_order(&mut self, draft: &OrderDraft) -> StoreResult<OrderId> {
        let at = draft.created_at;
        let id = self
            .execute(
                sqlx::query(
                    "INSERT INTO orders (customer_id, status, total, idempotency_key, \
                     request_fingerprint, note, created_by, created_at, updated_at) \
                     VALUES (?, 'PENDING', ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(draft.customer_id.get())
                .bind(draft.total.amount())
                .bind(draft.idempotency_key.as_str())
                .bind(&draft.request_fingerprint)
                .bind(draft.note.as_ref().map(Note::as_str))
                .bind(draft.created_by.map(UserId::get))
                .bind(at)
                .bind(at),
            )
            .await?;
        for (line_no, line) in draft.lines.iter().enumerate() {
            self.execute(
                sqlx::query(
                    "INSERT INTO order_lines (order_id, line_no, product_id, sku, product_name, \
                     unit_price, quantity, line_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id)
                .bind(i64::try_from(line_no).unwrap_or(i64::MAX))
                .bind(line.product_id.get())
                .bind(line.sku.as_str())
                .bind(line.product_name.as_str())
                .bind(line.unit_price.amount())
                .bind(i64::from(line.quantity.get()))
                .bind(line.line_total.amount()),
            )
            .await?;
        }
        Ok(OrderId(id))
    }

    async fn update_order_status(
        &mut self,
        id: OrderId,
        status: OrderStatus,
        updated_at: Timestamp,
    ) -> StoreResult<()> {
        self.execute(
            sqlx::query("UPDATE orders SET status = ?, updated_at = ? WHERE id = ?")
                .bind(status.as_str())
                .bind(updated_at)
                .bind(id.get()),
        )
        .await?;
        Ok(())
    }

    async fn insert_movement(&mut self, m: &NewMovement) -> StoreResult<MovementId> {
        let id = self
            .execute(
                sqlx::query(
                    "INSERT INTO stock_movements (product_id, kind, on_hand_delta, \
                     reserved_delta, order_id, reason, created_by, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(m.product_id.get())
                .bind(m.kind.as_str())
                .bind(m.delta.on_hand)
                .bind(m.delta.reserved)
                .bind(m.order_id.map(OrderId::get))
                .bind(m.reason.as_ref().map(|r| r.as_str()))
                .bind(m.created_by.map(UserId::get))
                .bind(m.created_at),
            )
            .await?;
        Ok(MovementId(id))
    }

    async fn insert_status_change(&mut self, change: &NewStatusChange) -> StoreResult<HistoryId> {
        let id = self
            .execute(
                sqlx::query(
                    "INSERT INTO order_status_history (order_id, from_status, to_status, \
                     changed_by, changed_at, note) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(change.order_id.get())
                .bind(change.from.map(OrderStatus::as_str))
                .bind(change.to.as_str())
                .bind(change.changed_by.map(UserId::get))
                .bind(change.changed_at)
                .bind(change.note.as_ref().map(Note::as_str)),
            )
            .await?;
        Ok(HistoryId(id))
    }

    async fn insert_event(&mut self, e: &NewEvent) -> StoreResult<EventId> {
        let id = self
            .execute(
                sqlx::query(
                    "INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, \
                     payload, actor, occurred_at) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(e.event_type)
                .bind(e.aggregate_type)
                .bind(e.aggregate_id)
                .bind(&e.payload)
                .bind(e.actor.map(UserId::get))
                .bind(e.occurred_at),
            )
            .await?;
        Ok(EventId(id))
    }

    async fn insert_user(&mut self, draft: &UserDraft) -> StoreResult<UserId> {
        let at = draft.created_at;
        let id = self
            .execute(
                sqlx::query(
                    "INSERT INTO users (username, password_hash, role, active, failed_logins, \
                     created_at, updated_at) VALUES (?, ?, ?, 1, 0, ?, ?)",
                )
                .bind(draft.username.as_str())
                .bind(&draft.password_hash)
                .bind(draft.role.as_str())
                .bind(at)
                .bind(at),
            )
            .await?;
        Ok(UserId(id))
    }

    async fn update_user(&mut self, r: &UserRecord) -> StoreResult<()> {
        self.execute(
            sqlx::query(
                "UPDATE users SET password_hash = ?, role = ?, active = ?, failed_logins = ?, \
                 locked_until = ?, updated_at = ? WHERE id = ?",
            )
            .bind(&r.password_hash)
            .bind(r.user.role.as_str())
            .bind(r.user.active)
            .bind(i64::from(r.failed_logins))
            .bind(r.locked_until)
            .bind(r.user.updated_at)
            .bind(r.user.id.get()),
        )
        .await?;
        Ok(())
    }

    async fn insert_milestone(&mut self, name: &str, at: Timestamp) -> StoreResult<()> {
        sqlx::query("INSERT INTO milestones (name, done_at) VALUES (?, ?)")
            .bind(name)
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(|e| primary_key_error(e, UniqueKey::Milestone))?;
        Ok(())
    }

    async fn insert_refresh_token(&mut self, t: &RefreshTokenRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family, user_id, issued_at, expires_at, \
                 used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&t.token_hash)
        .bind(&t.family)
        .bind(t.user_id.get())
        .bind(t.issued_at)
        .bind(t.expires_at)
        .bind(t.used_at)
        .bind(t.revoked_at)
        .execute(&mut *self.tx)
        .await
        .map_err(|e| primary_key_error(e, UniqueKey::RefreshToken))?;
        Ok(())
    }

    async fn update_refresh_token(&mut self, t: &RefreshTokenRecord) -> StoreResult<()> {
        self.execute(
            sqlx::query(
                "UPDATE refresh_tokens SET used_at = ?, revoked_at = ? WHERE token_hash = ?",
            )
            .bind(t.used_at)
            .bind(t.revoked_at)
            .bind(&t.token_hash),
        )
        .await?;
        Ok(())
    }

    async fn revoke_refresh_family(&mut self, family: &str, at: Timestamp) -> StoreResult<()> {
        self.execute(
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
            )
            .bind(at)
            .bind(family),
        )
        .await?;
        Ok(())
    }

    async fn revoke_refresh_tokens_of_user(
        &mut self,
        user: UserId,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.execute(
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            )
            .bind(at)
            .bind(user.get()),
        )
        .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(db_error)
    }
}

// ---------------------------------------------------------------------------------------------
// Reads outside transactions

/// What a list query reads, and in which order.
#[derive(Clone, Copy)]
struct Listing {
    table: &'static str,
    columns: &'static str,
    order_by: &'static str,
}

/// `WHERE` clauses with their bound values, built up by the list queries.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    values: Vec<FilterValue>,
}

enum FilterValue {
    Int(i64),
    Text(String),
    Time(Timestamp),
}

impl Filter {
    fn push(&mut self, clause: &str, values: impl IntoIterator<Item = FilterValue>) {
        self.clauses.push(clause.to_string());
        self.values.extend(values);
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn bind<'q>(&'q self, mut query: Query<'q>) -> Query<'q> {
        for value in &self.values {
            query = match value {
                FilterValue::Int(v) => query.bind(*v),
                FilterValue::Text(v) => query.bind(v.as_str()),
                FilterValue::Time(v) => query.bind(*v),
            };
        }
        query
    }
}

impl MySqlStore {
    async fn page<T>(
        &self,
        listing: Listing,
        filter: &Filter,
        page: PageRequest,
        count: bool,
        map: fn(&MySqlRow) -> StoreResult<T>,
    ) -> StoreResult<Page<T>> {
        let Listing {
            table,
            columns,
            order_by,
        } = listing;
        let total: i64 = if count {
            let count_sql = format!("SELECT COUNT(*) FROM {table} {}", filter.sql());
            filter
                .bind(sqlx::query(&count_sql))
                .fetch_one(&self.pool)
                .await
                .and_then(|row| row.try_get(0))
                .map_err(db_error)?
        } else {
            0
        };
        let sql = format!(
            "SELECT {columns} FROM {table} {} ORDER BY {order_by} LIMIT ? OFFSET ?",
            filter.sql()
        );
        let rows = filter
            .bind(sqlx::query(&sql))
            .bind(i64::from(page.limit()))
            .bind(to_i64(page.offset()))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        let page = Page {
            items: rows.iter().map(map).collect::<StoreResult<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
            offset: page.offset(),
            limit: page.limit(),
        };
        Ok(if count { page } else { page.without_total() })
    }

    async fn one<T>(
        &self,
        query: Query<'_>,
        map: fn(&MySqlRow) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let row = query.fetch_optional(&self.pool).await.map_err(db_error)?;
        row.as_ref().map(map).transpose()
    }
}

#[async_trait]
impl Store for MySqlStore {
    fn backend_name(&self) -> &'static str {
        "mysql"
    }

    async fn begin(&self) -> StoreResult<Box<dyn Transaction>> {
        let tx = self.pool.begin().await.map_err(db_error)?;
        Ok(Box::new(MySqlTransaction { tx }))
    }

    async fn pause_before_retry(&self, attempt: u32) {
        backoff(attempt).await;
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db_error)
    }

    async fn customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?");
        self.one(sqlx::query(&sql).bind(id.get()), customer).await
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
                    FilterValue::Text(pattern.clone()),
                    FilterValue::Text(pattern),
                    FilterValue::Text(low),
                    FilterValue::Text(high),
                ],
            );
        }
        self.page(
            Listing {
                table: "customers",
                columns: CUSTOMER_COLUMNS,
                order_by: "name_folded, id",
            },
            &filter,
            query.page,
            true,
            customer,
        )
        .await
    }

    async fn product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ?");
        self.one(sqlx::query(&sql).bind(id.get()), product).await
    }

    async fn product_by_sku(&self, sku: &Sku) -> StoreResult<Option<Product>> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE sku = ?");
        self.one(sqlx::query(&sql).bind(sku.as_str()), product)
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
            filter.push(
                "((sku >= ? AND sku < ?) OR name_folded LIKE ? ESCAPE '!')",
                [
                    FilterValue::Text(low),
                    FilterValue::Text(high),
                    FilterValue::Text(contains_pattern(term)),
                ],
            );
        }
        self.page(
            Listing {
                table: "products",
                columns: PRODUCT_COLUMNS,
                order_by: "sku",
            },
            &filter,
            query.page,
            !query.skip_total,
            product,
        )
        .await
    }

    async fn movements(
        &self,
        product: ProductId,
        page: PageRequest,
    ) -> StoreResult<Page<StockMovement>> {
        let mut filter = Filter::default();
        filter.push("product_id = ?", [FilterValue::Int(product.get())]);
        self.page(
            Listing {
                table: "stock_movements",
                columns: MOVEMENT_COLUMNS,
                order_by: "id DESC",
            },
            &filter,
            page,
            true,
            movement,
        )
        .await
    }

    async fn order(&self, id: OrderId) -> StoreResult<Option<Order>> {
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?");
        let Some(order) = self.one(sqlx::query(&sql).bind(id.get()), order).await? else {
            return Ok(None);
        };
        let mut orders = [order];
        attach_lines(&self.pool, &mut orders).await?;
        let [order] = orders;
        Ok(Some(order))
    }

    async fn orders(&self, query: &OrderQuery) -> StoreResult<Page<Order>> {
        let mut filter = Filter::default();
        if let Some(status) = query.status {
            filter.push(
                "status = ?",
                [FilterValue::Text(status.as_str().to_string())],
            );
        }
        if let Some(customer) = query.customer_id {
            filter.push("customer_id = ?", [FilterValue::Int(customer.get())]);
        }
        if let Some(from) = query.created_from {
            filter.push("created_at >= ?", [FilterValue::Time(from)]);
        }
        if let Some(before) = query.created_before {
            filter.push("created_at < ?", [FilterValue::Time(before)]);
        }
        let mut page = self
            .page(
                Listing {
                    table: "orders",
                    columns: ORDER_COLUMNS,
                    order_by: "id DESC",
                },
                &filter,
                query.page,
                true,
                order,
            )
            .await?;
        attach_lines(&self.pool, &mut page.items).await?;
        Ok(page)
    }

    async fn order_history(&self, id: OrderId) -> StoreResult<Vec<StatusChange>> {
        let rows = sqlx::query(&format!(
            "SELECT {HISTORY_COLUMNS} FROM order_status_history WHERE order_id = ? ORDER BY id"
        ))
        .bind(id.get())
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(status_change).collect()
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        self.one(sqlx::query(&sql).bind(id.get()), user).await
    }

    async fn user_by_username(&self, username: &Username) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?");
        self.one(sqlx::query(&sql).bind(username.as_str()), user)
            .await
    }

    async fn users(&self, page: PageRequest) -> StoreResult<Page<User>> {
        let records = self
            .page(
                Listing {
                    table: "users",
                    columns: USER_COLUMNS,
                    order_by: "username",
                },
                &Filter::default(),
                page,
                true,
                user,
            )
            .await?;
        Ok(records.map(|r| r.user))
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn events_after(
        &self,
        after: Option<EventId>,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        let sql =
            format!("SELECT {EVENT_COLUMNS} FROM outbox_events WHERE id > ? ORDER BY id LIMIT ?");
        let rows = sqlx::query(&sql)
            .bind(after.map_or(0, EventId::get))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(event).collect()
    }

    async fn unpublished_events(&self, limit: u32) -> StoreResult<Vec<EventRecord>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM outbox_events WHERE published_at IS NULL \
             ORDER BY id LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter().map(event).collect()
    }

    async fn mark_events_published(&self, ids: &[EventId], at: Timestamp) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let placeholders = vec!["?"; ids.len()].join(", ");
        let sql = format!(
            "UPDATE outbox_events SET published_at = ? \
             WHERE published_at IS NULL AND id IN ({placeholders})"
        );
        let mut query = sqlx::query(&sql).bind(at);
        for id in ids {
            query = query.bind(id.get());
        }
        query.execute(&self.pool).await.map_err(db_error)?;
        Ok(())
    }

    async fn audit_snapshot(&self) -> StoreResult<AuditSnapshot> {
        // One REPEATABLE READ transaction: every figure comes from the same consistent snapshot.
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        // SUM over integers is DECIMAL in MySQL; the casts bring the figures back to BIGINT.
        let products = sqlx::query(
            "SELECT p.id, p.sku, p.on_hand, p.reserved, \
               CAST(COALESCE((SELECT SUM(m.on_hand_delta) FROM stock_movements m \
                              WHERE m.product_id = p.id), 0) AS SIGNED) AS movements_on_hand, \
               CAST(COALESCE((SELECT SUM(m.reserved_delta) FROM stock_movements m \
                              WHERE m.product_id = p.id), 0) AS SIGNED) AS movements_reserved, \
               CAST(COALESCE((SELECT SUM(l.quantity) FROM order_lines l \
                              JOIN orders o ON o.id = l.order_id \
                              WHERE l.product_id = p.id \
                                AND o.status IN ('PENDING', 'CONFIRMED', 'PICKED')), 0) \
                    AS SIGNED) AS open_order_quantity \
             FROM products p ORDER BY p.id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?
        .iter()
        .map(rows::product_audit)
        .collect::<StoreResult<Vec<_>>>()?;
        let mut orders = sqlx::query(
            "SELECT o.id, o.status, CAST(o.total * 100 AS SIGNED) AS total_cents, \
               CAST(COALESCE(SUM(l.line_total), 0) * 100 AS SIGNED) AS lines_total_cents, \
               COUNT(l.line_no) AS line_count, \
               CAST(COALESCE(SUM(l.line_total <> l.unit_price * l.quantity), 0) AS SIGNED) \
                 AS mispriced \
             FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id \
             GROUP BY o.id, o.status, o.total ORDER BY o.id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?
        .iter()
        .map(rows::order_audit)
        .collect::<StoreResult<Vec<_>>>()?;
        let history = sqlx::query(
            "SELECT order_id, from_status, to_status FROM order_status_history \
             ORDER BY order_id, id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.rollback().await.map_err(db_error)?;
        rows::attach_history(&mut orders, &history)?;
        Ok(AuditSnapshot { products, orders })
    }
}
