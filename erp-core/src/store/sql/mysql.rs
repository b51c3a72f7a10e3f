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
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions, MySqlQueryResult, MySqlRow};
use sqlx::{Executor, MySql, Row};

use super::dialect::{Dialect, RowMap};
use super::gate::{Gate, Guarded};
use super::mysql_connection::{GuardedConnection, is_broken, tries_for};
use super::mysql_migrate::{migration_error, run_migrations};
use super::rows::Columns;
use super::statement::{Statement, Value};
use super::store::SqlStore;
use super::{connection_error, stored};
use crate::connect::ConnectOptions;
use crate::domain::{Money, Timestamp};
use crate::error::{Error, Result};
use crate::store::{PoolStatus, StoreError, StoreResult, UniqueKey};

/// MySQL's connections.
pub(crate) struct MySqlDialect {
    pool: MySqlPool,
    gate: Gate,
}

/// The MySQL store.
pub(crate) type MySqlStore = SqlStore<MySqlDialect>;

type Tx = GuardedConnection;
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
                // The server went away or killed the connection mid-command; or a Galera node
                // is out of the cluster's primary component (joining, or cut off from the
                // majority) and refuses work (1047, "WSREP has not yet prepared node").
                2006 | 2013 | 1053 | 1927 | 1047 => {
                    return StoreError::Unavailable(db.message().to_string());
                }
                _ => {}
            }
        }
    }
    StoreError::Other(error.to_string())
}

/// Classifies a failed COMMIT. A deadlock or certification failure reported for the COMMIT
/// means InnoDB rolled the transaction back, as certain as any other error; but a connection
/// that broke after COMMIT was sent (lost, reset, killed, server shutting down) leaves the outcome
/// unknown: the server may have committed before it went, and only a later read can tell.
fn commit_error(error: sqlx::Error) -> StoreError {
    let lost = match &error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        // 1047: a Galera node that left the primary component while committing; the rest of
        // the cluster may have certified and applied the transaction.
        _ => matches!(error_number(&error), Some(2006 | 2013 | 1053 | 1927 | 1047)),
    };
    if lost {
        StoreError::OutcomeUnknown(error.to_string())
    } else {
        db_error(error)
    }
}

/// MySQL's error number of a database error.
pub(super) fn error_number(error: &sqlx::Error) -> Option<u16> {
    match error {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .map(sqlx::mysql::MySqlDatabaseError::number),
        _ => None,
    }
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
        k if k.contains("stock_movements_request_uq") => UniqueKey::StockRequest,
        k if k.contains("cash_movements_request_uq") => UniqueKey::CashRequest,
        k if k.contains("order_status_history_request_uq") => UniqueKey::StatusRequest,
        k if k.contains("registers_code_uq") => UniqueKey::RegisterCode,
        k if k.contains("cash_sessions_open_uq") => UniqueKey::OpenCashSession,
        k if k.contains("returns_idempotency_uq") => UniqueKey::ReturnKey,
        k if k.contains("parked_sales_key_uq") => UniqueKey::ParkedSaleKey,
        _ => return None,
    })
}

/// Like [`db_error`], for a statement on a table whose only unique index is its primary key (whose
/// name, `PRIMARY`, does not say which table it belongs to).
fn statement_error(error: sqlx::Error, statement: &Statement) -> StoreError {
    let Some(key) = statement.primary_key else {
        return db_error(error);
    };
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
    fn opt_money(&self, column: &str) -> StoreResult<Option<Money>> {
        get::<Option<Decimal>>(self, column)?
            .map(|value| stored(Money::from_decimal(value), column))
            .transpose()
    }
    fn signed_cents(&self, column: &str) -> StoreResult<i64> {
        let mut value = get::<Decimal>(self, column)?;
        value.rescale(2);
        i64::try_from(value.mantissa())
            .map_err(|_| StoreError::Other(format!("stored {column} is out of range")))
    }
}

// ---------------------------------------------------------------------------------------------
// Opening and migrating

impl MySqlDialect {
    async fn connect(url: &str, options: &ConnectOptions) -> Result<(MySqlPool, Gate)> {
        let connect = MySqlConnectOptions::from_str(url)
            .map_err(|e| Error::validation("database_url", e.to_string()))?;
        // The pool's first connection would retry a refused address until the acquire timeout
        // and then say only "pool timed out": ask once, and name the address.
        let gate = Gate::new(connect.clone());
        gate.probe()
            .await
            .map_err(|message| Error::Unavailable { message })?;
        let lock_wait_secs = options.lock_timeout.as_secs().max(1);
        MySqlPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            // No ping before each acquire: a dead connection fails its BEGIN and the next one is
            // taken (see `GuardedConnection::begin`).
            .test_before_acquire(false)
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
            .map(|pool| (pool, gate))
            .map_err(|e| Error::Unavailable {
                message: format!("cannot connect to MySQL: {e}"),
            })
    }

    pub(crate) async fn open(url: &str, options: &ConnectOptions) -> Result<MySqlStore> {
        let (pool, gate) = MySqlDialect::connect(url, options).await?;
        if options.migrate {
            run_migrations(&pool).await?;
        }
        let store = SqlStore::new(MySqlDialect { pool, gate });
        if options.migrate {
            store.refold().await.map_err(migration_error)?;
        }
        Ok(store)
    }

    pub(crate) async fn migrate_url(url: &str, options: &ConnectOptions) -> Result<()> {
        let (pool, _) = MySqlDialect::connect(url, options).await?;
        run_migrations(&pool).await?;
        pool.close().await;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Statements

/// Binds a statement's values: time as DATETIME(6) in UTC, money as DECIMAL.
fn query(statement: &Statement) -> Query<'_> {
    let mut query = sqlx::query(&statement.sql);
    for value in &statement.values {
        query = match value {
            Value::Int(v) => query.bind(*v),
            Value::OptInt(v) => query.bind(*v),
            Value::Text(v) => query.bind(v.as_str()),
            Value::OptText(v) => query.bind(v.as_deref()),
            Value::Flag(v) => query.bind(*v),
            Value::Time(v) => query.bind(*v),
            Value::OptTime(v) => query.bind(*v),
            Value::Money(v) => query.bind(v.amount()),
            Value::Cents(v) => query.bind(Decimal::new(*v, 2)),
        };
    }
    query
}

fn map_rows<T>(rows: &[MySqlRow], map: RowMap<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(|row| map(row)).collect()
}

/// A guarded acquire's failure as a store error.
fn guarded(error: Guarded) -> StoreError {
    match error {
        Guarded::Work(error) => db_error(error),
        Guarded::Down(reason) => StoreError::Unavailable(reason),
    }
}

impl MySqlDialect {
    /// A connection from the pool, or `Unavailable` at once while the server is down.
    async fn acquire(&self) -> StoreResult<GuardedConnection> {
        self.gate
            .guard(GuardedConnection::acquire(&self.pool))
            .await
            .map_err(guarded)
    }
}

fn insert_id(done: &MySqlQueryResult) -> i64 {
    i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX)
}

#[async_trait]
impl Dialect for MySqlDialect {
    type Tx = Tx;

    const NAME: &'static str = "mysql";

    // Not INSERT IGNORE: on an existing row that takes a shared lock, and two logins each
    // holding one and wanting the exclusive lock of the read that follows deadlock. An update
    // that changes nothing takes the exclusive lock at once.
    fn insert_or_keep(insert: &str, any_column: &str) -> String {
        format!("{insert} ON DUPLICATE KEY UPDATE {any_column} = {any_column}")
    }

    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const FOR_SHARE: &'static str = " LOCK IN SHARE MODE";
    // SUM over integers is DECIMAL in MySQL; the casts bring the figures back to BIGINT.
    const AUDIT_PRODUCTS: &'static str = "SELECT p.id, p.sku, p.on_hand, p.reserved, \
           CAST(COALESCE((SELECT SUM(m.on_hand_delta) FROM stock_movements m \
                          WHERE m.product_id = p.id), 0) AS SIGNED) AS movements_on_hand, \
           CAST(COALESCE((SELECT SUM(m.reserved_delta) FROM stock_movements m \
                          WHERE m.product_id = p.id), 0) AS SIGNED) AS movements_reserved, \
           CAST(COALESCE((SELECT SUM(l.quantity) FROM order_lines l \
                          JOIN orders o ON o.id = l.order_id \
                          WHERE l.product_id = p.id \
                            AND o.status IN ('PENDING', 'CONFIRMED', 'PICKED')), 0) \
                AS SIGNED) AS open_order_quantity \
         FROM products p ORDER BY p.id";
    const AUDIT_ORDERS: &'static str = "SELECT o.id, o.status, o.channel, \
           CAST(o.total * 100 AS SIGNED) AS total_cents, \
           CAST((COALESCE(SUM(l.line_total - l.discount), 0) - o.discount) * 100 AS SIGNED) \
             AS lines_total_cents, \
           COUNT(l.line_no) AS line_count, \
           CAST(COALESCE(SUM(l.line_total <> l.unit_price * l.quantity), 0) AS SIGNED) \
             AS mispriced \
         FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id \
         GROUP BY o.id, o.status, o.channel, o.total, o.discount ORDER BY o.id";

    async fn begin(&self) -> StoreResult<Tx> {
        self.gate
            .guard(GuardedConnection::begin(&self.pool))
            .await
            .map_err(guarded)
    }

    async fn begin_read(&self) -> StoreResult<Tx> {
        // REPEATABLE READ: every read of the transaction sees the snapshot of its first.
        self.gate
            .guard(GuardedConnection::begin(&self.pool))
            .await
            .map_err(guarded)
    }

    async fn commit(tx: Tx) -> StoreResult<()> {
        tx.commit().await.map_err(commit_error)
    }

    async fn rollback(tx: Tx) -> StoreResult<()> {
        tx.rollback().await.map_err(db_error)
    }

    async fn execute_in(tx: &mut Tx, statement: Statement) -> StoreResult<i64> {
        let done = tx
            .run(|conn| query(&statement).execute(conn))
            .await
            .map_err(|e| statement_error(e, &statement))?;
        Ok(insert_id(&done))
    }

    async fn execute_counted_in(tx: &mut Tx, statement: Statement) -> StoreResult<u64> {
        let done = tx
            .run(|conn| query(&statement).execute(conn))
            .await
            .map_err(|e| statement_error(e, &statement))?;
        Ok(done.rows_affected())
    }

    async fn fetch_in<T: Send + 'static>(
        tx: &mut Tx,
        statement: Statement,
        map: RowMap<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = tx
            .run(|conn| query(&statement).fetch_all(conn))
            .await
            .map_err(db_error)?;
        map_rows(&rows, map)
    }

    async fn fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        map: RowMap<T>,
    ) -> StoreResult<Vec<T>> {
        // A read changes nothing: on a connection the server dropped, it is simply tried again.
        let (mut tries, most) = (0, tries_for(&self.pool));
        loop {
            tries += 1;
            let mut conn = self.acquire().await?;
            match conn.run(|conn| query(&statement).fetch_all(conn)).await {
                Ok(rows) => return map_rows(&rows, map),
                Err(error) if is_broken(&error) && tries < most => conn.discard(),
                Err(error) => return Err(db_error(error)),
            }
        }
    }

    async fn execute(&self, statement: Statement) -> StoreResult<()> {
        let mut conn = self.acquire().await?;
        conn.run(|conn| query(&statement).execute(conn))
            .await
            .map_err(|e| statement_error(e, &statement))?;
        Ok(())
    }

    fn pool_status(&self) -> PoolStatus {
        PoolStatus {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }
}

/// On a Galera cluster (`ERP_TEST_GALERA_URLS`: the nodes' URLs, comma-separated; skipped when
/// unset unless `ERP_REQUIRE_GALERA=1`).
#[cfg(test)]
mod galera_tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use sqlx::Connection;

    use super::*;
    use crate::domain::{Name, NewProduct, Sku};
    use crate::service::{Failure, no_unique};
    use crate::{Actor, Erp};

    fn galera_urls() -> Option<Vec<String>> {
        erp_test_services::galera_urls()
    }

    fn on_database(node: &str, database: &str) -> String {
        let (root, _) = node.rsplit_once('/').unwrap();
        format!("{root}/{database}")
    }

    /// Two nodes change one product row at once. The row lock each takes is local to its node,
    /// so neither waits: node 2 commits first and node 1's transaction, already done with its
    /// statements, learns of the conflict only at COMMIT (a certification failure / brute-force
    /// abort, reported as a deadlock). erp-core must rerun the whole command, not report it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn galera_conflict_reported_at_commit_reruns_the_command() {
        let Some(nodes) = galera_urls() else {
            return;
        };
        let database = format!("erp_commit_{:016x}", fastrand::u64(..));
        let mut admin = sqlx::MySqlConnection::connect(&nodes[0]).await.unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE `{database}`"))
            .execute(&mut admin)
            .await
            .unwrap();
        let store = MySqlDialect::open(&on_database(&nodes[0], &database), &Default::default())
            .await
            .unwrap();
        let erp = Erp::new(Arc::new(store));
        let product = erp
            .create_product(
                &Actor::system(),
                NewProduct {
                    sku: Sku::parse("HOT").unwrap(),
                    name: Name::parse("Hot").unwrap(),
                    price: Money::parse("1.00").unwrap(),
                    initial_stock: 10,
                    reorder_level: 0,
                },
            )
            .await
            .unwrap();
        // Node 2 applies the database's and the product's creation a moment after node 1
        // committed them.
        let mut node2 = None;
        for _ in 0..1000 {
            if let Ok(mut conn) =
                sqlx::MySqlConnection::connect(&on_database(&nodes[1], &database)).await
            {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE id = ?")
                        .bind(product.id.get())
                        .fetch_one(&mut conn)
                        .await
                        .ok();
                if found == Some(1) {
                    node2 = Some(conn);
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let node2 = node2.expect("node 2 has the product");
        let node1 = sqlx::MySqlConnection::connect(&on_database(&nodes[0], &database))
            .await
            .unwrap();

        let (node1, node2) = (
            tokio::sync::Mutex::new(node1),
            tokio::sync::Mutex::new(node2),
        );
        let (attempts, failed_at_commit) = (AtomicU32::new(0), AtomicU32::new(0));
        let (erp_ref, node1, node2) = (&erp, &node1, &node2);
        let (attempts_ref, failed_ref) = (&attempts, &failed_at_commit);
        let outcome = erp
            .run(
                move || async move {
                    let attempt = attempts_ref.fetch_add(1, Ordering::SeqCst) + 1;
                    let mut tx = erp_ref.begin().await?;
                    let mut locked = tx.lock_products(&[product.id]).await?;
                    let mut mine = locked.pop().ok_or_else(|| {
                        Failure::Store(StoreError::Other("product vanished".into()))
                    })?;
                    mine.reorder_level += 1;
                    tx.update_product(&mine).await?;
                    if attempt == 1 {
                        let changed = sqlx::query(
                            "UPDATE products SET reorder_level = reorder_level + 100 WHERE id = ?",
                        )
                        .bind(product.id.get())
                        .execute(&mut *node2.lock().await)
                        .await
                        .unwrap();
                        assert_eq!(changed.rows_affected(), 1, "node 2 changed the row");
                        // Node 1 applies node 2's commit (aborting our transaction, which holds
                        // the row) a moment later.
                        let mut node1 = node1.lock().await;
                        for _ in 0..1000 {
                            let seen: i64 = sqlx::query_scalar(
                                "SELECT reorder_level FROM products WHERE id = ?",
                            )
                            .bind(product.id.get())
                            .fetch_one(&mut *node1)
                            .await
                            .unwrap();
                            if seen == 100 {
                                break;
                            }
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        }
                    }
                    let committed = tx.commit().await;
                    if matches!(committed, Err(StoreError::Retryable(_))) {
                        failed_ref.fetch_add(1, Ordering::SeqCst);
                    }
                    committed?;
                    Ok(attempt)
                },
                no_unique,
            )
            .await;
        assert_eq!(outcome, Ok(2), "the command ran again and succeeded");
        assert_eq!(failed_at_commit.load(Ordering::SeqCst), 1);
        assert_eq!(erp.retries(), 1);
        let after = erp.product(&Actor::system(), product.id).await.unwrap();
        assert_eq!(after.reorder_level, 101, "both changes, each once");
        sqlx::raw_sql(&format!("DROP DATABASE `{database}`"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
