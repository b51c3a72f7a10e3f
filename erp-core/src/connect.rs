//! Opening a store from a URL.

use std::sync::Arc;
use std::time::Duration;

#[cfg(not(feature = "sql"))]
use crate::error::Error;
use crate::error::Result;
use crate::service::Erp;
use crate::store::memory::MemoryStore;

/// How to open a database. The defaults suit a till on a SQLite file and a small server on MySQL.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// Most connections the pool keeps open.
    pub max_connections: u32,
    /// How long a command waits for a free connection before failing as unavailable.
    pub acquire_timeout: Duration,
    /// SQLite: how long a writer waits for the write lock before the attempt counts as busy.
    /// MySQL: `innodb_lock_wait_timeout` for the session (whole seconds, at least 1).
    pub lock_timeout: Duration,
    /// Apply pending migrations when opening (default). Operators who prefer to migrate
    /// explicitly turn this off and call [`Erp::migrate`].
    pub migrate: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
            lock_timeout: Duration::from_secs(5),
            migrate: true,
        }
    }
}

impl Erp {
    /// Opens the database at `url`:
    /// - `memory`: a fresh in-memory store (nothing is kept);
    /// - `sqlite://path/to/erp.db` (the file is created if missing);
    /// - `mysql://user:password@host:3306/database`.
    pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Erp> {
        let trimmed = url.trim();
        if trimmed == "memory" || trimmed == "memory://" {
            return Ok(Erp::new(Arc::new(MemoryStore::new())));
        }
        #[cfg(feature = "sql")]
        {
            let store = crate::store::sql::open(trimmed, options).await?;
            Ok(Erp::new(store))
        }
        #[cfg(not(feature = "sql"))]
        {
            let _ = options;
            Err(Error::validation(
                "database_url",
                "this build of erp-core has only the memory store",
            ))
        }
    }

    /// Applies pending schema migrations to the database at `url` without opening a store for
    /// use (for operators who run migrations as a separate step; see
    /// [`ConnectOptions::migrate`]). Nothing to do for `memory`.
    pub async fn migrate(url: &str, options: &ConnectOptions) -> Result<()> {
        let trimmed = url.trim();
        if trimmed == "memory" || trimmed == "memory://" {
            return Ok(());
        }
        #[cfg(feature = "sql")]
        {
            crate::store::sql::migrate(trimmed, options).await
        }
        #[cfg(not(feature = "sql"))]
        {
            let _ = options;
            Err(Error::validation(
                "database_url",
                "this build of erp-core has only the memory store",
            ))
        }
    }
}
