//! What each SQL dialect provides to the shared store: running a [`Statement`] (binding its values in
//! the dialect's encoding and classifying its errors), units of work, locking clauses, and the audit
//! queries, whose aggregate types differ.

use async_trait::async_trait;

use super::rows::Columns;
use super::statement::Statement;
use crate::store::StoreResult;

/// Maps one row to a value.
pub(crate) type RowMap<T> = fn(&dyn Columns) -> StoreResult<T>;

/// A SQL dialect: the connection pools and everything in which SQLite and MySQL differ.
#[async_trait]
pub(crate) trait Dialect: Send + Sync + 'static {
    /// A unit of work in progress.
    type Tx: Send + 'static;

    /// The backend's name, for health checks and logs.
    const NAME: &'static str;
    /// Appended to a `SELECT` inside a unit of work to lock the rows it reads until commit.
    const FOR_UPDATE: &'static str;
    /// Appended to a `SELECT` inside a unit of work so the rows it reads cannot change until commit,
    /// while other units of work may still read them the same way.
    const FOR_SHARE: &'static str;
    /// The audit's product query (`rows::product_audit` columns), per product.
    const AUDIT_PRODUCTS: &'static str;
    /// The audit's order query (`rows::order_audit` columns), per order.
    const AUDIT_ORDERS: &'static str;

    /// `insert` (an `INSERT ... VALUES`) made to do nothing when the row's key exists, while
    /// still locking that row until the unit of work ends (`any_column` is one of its columns).
    fn insert_or_keep(insert: &str, any_column: &str) -> String;

    /// Starts a unit of work that may write.
    async fn begin(&self) -> StoreResult<Self::Tx>;
    /// Starts a read-only unit of work: one consistent snapshot.
    async fn begin_read(&self) -> StoreResult<Self::Tx>;
    /// Commits.
    async fn commit(tx: Self::Tx) -> StoreResult<()>;
    /// Rolls back.
    async fn rollback(tx: Self::Tx) -> StoreResult<()>;

    /// Runs a statement inside a unit of work; returns the id of the row it inserted, if any.
    async fn execute_in(tx: &mut Self::Tx, statement: Statement) -> StoreResult<i64>;
    /// Runs a statement inside a unit of work; returns how many rows it changed.
    async fn execute_counted_in(tx: &mut Self::Tx, statement: Statement) -> StoreResult<u64>;
    /// Runs a query inside a unit of work and maps its rows.
    async fn fetch_in<T: Send + 'static>(
        tx: &mut Self::Tx,
        statement: Statement,
        map: RowMap<T>,
    ) -> StoreResult<Vec<T>>;

    /// Runs a query outside any unit of work and maps its rows.
    async fn fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        map: RowMap<T>,
    ) -> StoreResult<Vec<T>>;
    /// Runs a single write outside any unit of work.
    async fn execute(&self, statement: Statement) -> StoreResult<()>;

    /// The connection pools' state, summed over the pools the dialect keeps.
    fn pool_status(&self) -> crate::store::PoolStatus;
}
