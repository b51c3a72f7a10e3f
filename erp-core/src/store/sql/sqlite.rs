//! SQLite: the embedded default, one file on disk.
//!
//! WAL journal (readers never block the writer), `BEGIN IMMEDIATE` for every unit of work (the
//! write lock is taken up front, so two writers never deadlock upgrading a read lock; one writer at
//! a time is the guarantee) and a busy timeout (a writer waits for the lock instead of failing at
//! once; past it, the attempt is retried by the service). Row locks are therefore implicit: the
//! `lock_*` methods are plain reads inside the write transaction.

use std::str::FromStr;

use async_trait::async_trait;
use chrono::DateTime;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

use super::dialect::{Dialect, RowMap};
use super::migrations::{self, Migration};
use super::rows::Columns;
use super::statement::{Statement, Value};
use super::store::SqlStore;
use super::{connection_error, stored};
use crate::connect::ConnectOptions;
use crate::domain::{Money, Timestamp};
use crate::error::{Error, Result};
use crate::store::{PoolStatus, StoreError, StoreResult, UniqueKey};

/// SQLite's connections.
///
/// Writes go through a pool of one connection: SQLite admits one writer at a time anyway, and
/// queueing writers in the pool (first come, first served) instead of letting them collide on the
/// file lock avoids SQLite's sleeping busy handler, under which throughput collapses with many
/// concurrent writers (measured: 17 orders/s with 32 writers on 32 connections, against ~900 on
/// one). The database's own lock (`BEGIN IMMEDIATE` plus the busy timeout) still guards against
/// writers in other processes (a second till, the REST server). Reads use their own pool and never
/// wait for the writer (WAL).
pub(crate) struct SqliteDialect {
    pool: SqlitePool,
    writer: SqlitePool,
}

/// The SQLite store.
pub(crate) type SqliteStore = SqlStore<SqliteDialect>;

type Tx = sqlx::Transaction<'static, Sqlite>;
type Query<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

// ---------------------------------------------------------------------------------------------
// Errors and values

/// Classifies a sqlx error from SQLite.
fn db_error(error: sqlx::Error) -> StoreError {
    if let Some(unavailable) = connection_error(&error) {
        return unavailable;
    }
    if let sqlx::Error::Database(db) = &error {
        let code: i32 = db.code().and_then(|c| c.parse().ok()).unwrap_or(0);
        // Primary codes 5 (BUSY) and 6 (LOCKED), whatever their extended form.
        if matches!(code & 0xff, 5 | 6) {
            return StoreError::Retryable(db.message().to_string());
        }
        // 2067: SQLITE_CONSTRAINT_UNIQUE, 1555: SQLITE_CONSTRAINT_PRIMARYKEY.
        if (code == 2067 || code == 1555)
            && let Some(key) = unique_key(db.message())
        {
            return StoreError::Unique(key);
        }
    }
    StoreError::Other(error.to_string())
}

/// SQLite names the columns of a violated unique index: "UNIQUE constraint failed: products.sku".
fn unique_key(message: &str) -> Option<UniqueKey> {
    let columns = message.split("failed: ").nth(1)?;
    Some(match columns {
        c if c.starts_with("products.sku") => UniqueKey::Sku,
        c if c.starts_with("customers.email") => UniqueKey::CustomerEmail,
        c if c.starts_with("customers.tax_id") => UniqueKey::CustomerTaxId,
        c if c.starts_with("users.username") => UniqueKey::Username,
        c if c.starts_with("orders.customer_id") => UniqueKey::IdempotencyKey,
        c if c.starts_with("milestones.name") => UniqueKey::Milestone,
        c if c.starts_with("refresh_tokens.token_hash") => UniqueKey::RefreshToken,
        c if c.starts_with("stock_movements.product_id") => UniqueKey::StockRequest,
        c if c.starts_with("cash_movements.cash_session_id") => UniqueKey::CashRequest,
        c if c.starts_with("order_status_history.order_id") => UniqueKey::StatusRequest,
        c if c.starts_with("registers.code") => UniqueKey::RegisterCode,
        c if c.starts_with("cash_sessions.register_id") => UniqueKey::OpenCashSession,
        c if c.starts_with("returns.order_id") => UniqueKey::ReturnKey,
        c if c.starts_with("parked_sales.idempotency_key") => UniqueKey::ParkedSaleKey,
        _ => return None,
    })
}

fn micros(at: Timestamp) -> i64 {
    at.timestamp_micros()
}

fn get<'r, T>(row: &'r SqliteRow, column: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    row.try_get(column).map_err(db_error)
}

fn time(value: i64) -> StoreResult<Timestamp> {
    DateTime::from_timestamp_micros(value)
        .ok_or_else(|| StoreError::Other(format!("stored time {value} is out of range")))
}

/// SQLite keeps time as microseconds since the epoch and money as cents.
impl Columns for SqliteRow {
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
        get(self, column)
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        get(self, column)
    }
    fn time(&self, column: &str) -> StoreResult<Timestamp> {
        time(get(self, column)?)
    }
    fn opt_time(&self, column: &str) -> StoreResult<Option<Timestamp>> {
        get::<Option<i64>>(self, column)?.map(time).transpose()
    }
    fn money(&self, column: &str) -> StoreResult<Money> {
        stored(Money::from_cents(get(self, column)?), column)
    }
    fn opt_money(&self, column: &str) -> StoreResult<Option<Money>> {
        get::<Option<i64>>(self, column)?
            .map(|cents| stored(Money::from_cents(cents), column))
            .transpose()
    }
    fn signed_cents(&self, column: &str) -> StoreResult<i64> {
        get(self, column)
    }
}

// ---------------------------------------------------------------------------------------------
// Opening and migrating

impl SqliteDialect {
    fn connect_options(url: &str, options: &ConnectOptions) -> Result<SqliteConnectOptions> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Each pool would get a database of its own; the memory store is the right tool.
            return Err(Error::validation(
                "database_url",
                "an in-memory SQLite database is not supported; use `memory` instead",
            ));
        }
        Ok(SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::validation("database_url", e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk when it returns. NORMAL (in WAL mode) survives a crash of
            // the program but a power cut can take the last commits with it, and at a till those
            // are sales already paid for and printed. The price is one WAL sync per commit.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(options.lock_timeout))
    }

    async fn connect(url: &str, options: &ConnectOptions, size: u32) -> Result<SqlitePool> {
        SqlitePoolOptions::new()
            .max_connections(size.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(SqliteDialect::connect_options(url, options)?)
            .await
            .map_err(|e| Error::Unavailable {
                message: format!("cannot open {url}: {e}"),
            })
    }

    pub(crate) async fn open(url: &str, options: &ConnectOptions) -> Result<SqliteStore> {
        // The writer first: it creates the file and the schema before any reader looks.
        let writer = SqliteDialect::connect(url, options, 1).await?;
        if options.migrate {
            run_migrations(&writer).await?;
        }
        let pool = SqliteDialect::connect(url, options, options.max_connections).await?;
        let store = SqlStore::new(SqliteDialect { pool, writer });
        if options.migrate {
            store.refold().await.map_err(migration_error)?;
        }
        Ok(store)
    }

    pub(crate) async fn migrate_url(url: &str, options: &ConnectOptions) -> Result<()> {
        let pool = SqliteDialect::connect(url, options, 1).await?;
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

/// Applies pending migrations. `BEGIN IMMEDIATE` makes concurrent openers take turns; SQLite's DDL
/// is transactional, so a migration applies whole or not at all.
async fn run_migrations(pool: &SqlitePool) -> Result<()> {
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(migration_error)?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
           version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, \
           applied_at INTEGER NOT NULL)",
    )
    .execute(&mut *tx)
    .await
    .map_err(migration_error)?;
    let applied: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await
            .map_err(migration_error)?;
    let pending: Vec<&Migration> =
        migrations::plan(migrations::SQLITE, &applied).map_err(migration_error)?;
    for migration in pending {
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(migration_error)?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(migration.checksum())
        .bind(chrono::Utc::now().timestamp_micros())
        .execute(&mut *tx)
        .await
        .map_err(migration_error)?;
    }
    tx.commit().await.map_err(migration_error)
}

// ---------------------------------------------------------------------------------------------
// Statements

/// Binds a statement's values: time as microseconds, money as cents.
fn query(statement: &Statement) -> Query<'_> {
    let mut query = sqlx::query(&statement.sql);
    for value in &statement.values {
        query = match value {
            Value::Int(v) => query.bind(*v),
            Value::OptInt(v) => query.bind(*v),
            Value::Text(v) => query.bind(v.as_str()),
            Value::OptText(v) => query.bind(v.as_deref()),
            Value::Flag(v) => query.bind(*v),
            Value::Time(v) => query.bind(micros(*v)),
            Value::OptTime(v) => query.bind(v.map(micros)),
            Value::Money(v) => query.bind(v.cents()),
            Value::Cents(v) => query.bind(*v),
        };
    }
    query
}

fn map_rows<T>(rows: &[SqliteRow], map: RowMap<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(|row| map(row)).collect()
}

#[async_trait]
impl Dialect for SqliteDialect {
    type Tx = Tx;

    const NAME: &'static str = "sqlite";

    // The IMMEDIATE transaction already holds the database's write lock.
    fn insert_or_keep(insert: &str, _any_column: &str) -> String {
        insert.replacen("INSERT INTO", "INSERT OR IGNORE INTO", 1)
    }

    // The IMMEDIATE transaction already holds the database's write lock.
    const FOR_UPDATE: &'static str = "";
    const FOR_SHARE: &'static str = "";
    const AUDIT_PRODUCTS: &'static str = "SELECT p.id, p.sku, p.on_hand, p.reserved, \
           COALESCE((SELECT SUM(m.on_hand_delta) FROM stock_movements m \
                     WHERE m.product_id = p.id), 0) AS movements_on_hand, \
           COALESCE((SELECT SUM(m.reserved_delta) FROM stock_movements m \
                     WHERE m.product_id = p.id), 0) AS movements_reserved, \
           COALESCE((SELECT SUM(l.quantity) FROM order_lines l \
                     JOIN orders o ON o.id = l.order_id \
                     WHERE l.product_id = p.id \
                       AND o.status IN ('PENDING', 'CONFIRMED', 'PICKED')), 0) \
             AS open_order_quantity \
         FROM products p ORDER BY p.id";
    const AUDIT_ORDERS: &'static str = "SELECT o.id, o.status, o.channel, o.total AS total_cents, \
           COALESCE(SUM(l.line_total - l.discount), 0) - o.discount AS lines_total_cents, \
           COUNT(l.line_no) AS line_count, \
           COALESCE(SUM(l.line_total <> l.unit_price * l.quantity), 0) AS mispriced \
         FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id \
         GROUP BY o.id ORDER BY o.id";

    async fn begin(&self) -> StoreResult<Tx> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db_error)
    }

    async fn begin_read(&self) -> StoreResult<Tx> {
        // A read transaction sees one snapshot of the WAL.
        self.pool.begin().await.map_err(db_error)
    }

    async fn commit(tx: Tx) -> StoreResult<()> {
        tx.commit().await.map_err(db_error)
    }

    async fn rollback(tx: Tx) -> StoreResult<()> {
        tx.rollback().await.map_err(db_error)
    }

    async fn execute_in(tx: &mut Tx, statement: Statement) -> StoreResult<i64> {
        let done = query(&statement)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        Ok(done.last_insert_rowid())
    }

    async fn execute_counted_in(tx: &mut Tx, statement: Statement) -> StoreResult<u64> {
        let done = query(&statement)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }

    async fn fetch_in<T: Send + 'static>(
        tx: &mut Tx,
        statement: Statement,
        map: RowMap<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = query(&statement)
            .fetch_all(&mut **tx)
            .await
            .map_err(db_error)?;
        map_rows(&rows, map)
    }

    async fn fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        map: RowMap<T>,
    ) -> StoreResult<Vec<T>> {
        let rows = query(&statement)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        map_rows(&rows, map)
    }

    async fn execute(&self, statement: Statement) -> StoreResult<()> {
        query(&statement)
            .execute(&self.writer)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    fn pool_status(&self) -> PoolStatus {
        // The readers' pool and the single writer's, as one.
        let (readers, writer) = (&self.pool, &self.writer);
        PoolStatus {
            size: readers.size() + writer.size(),
            idle: u32::try_from(readers.num_idle() + writer.num_idle()).unwrap_or(u32::MAX),
            max: readers.options().get_max_connections() + writer.options().get_max_connections(),
        }
    }
}
