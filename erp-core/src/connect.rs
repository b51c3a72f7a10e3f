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

/// What is shown in place of a secret.
pub const REDACTED: &str = "[redacted]";

/// `url` fit to show in a message or a log: the password of the user part, and query parameters
/// that look like credentials, replaced by `[redacted]`. Anything that is not a URL is returned
/// as it is (a file path has no password to hide).
///
/// ```
/// assert_eq!(
///     erp_core::redact_url("mysql://shop:hunter2@db:3306/erp"),
///     "mysql://shop:[redacted]@db:3306/erp"
/// );
/// assert_eq!(erp_core::redact_url("sqlite://erp.db"), "sqlite://erp.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url.trim()) else {
        return redact_unparsed(url);
    };
    let secret_key = |key: &str| {
        let key = key.to_ascii_lowercase();
        ["pass", "secret", "token", "key"]
            .iter()
            .any(|word| key.contains(word))
    };
    let secret_query = parsed.query_pairs().any(|(key, _)| secret_key(&key));
    if parsed.password().is_none() && !secret_query {
        return url.to_string();
    }
    if parsed.password().is_some() && parsed.set_password(Some(REDACTED)).is_err() {
        return format!("{}://{REDACTED}", parsed.scheme());
    }
    if secret_query {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if secret_key(&key) {
                    REDACTED.to_string()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // The URL encoder escapes the brackets; put them back so the marker reads as it is meant.
    parsed.to_string().replace("%5Bredacted%5D", REDACTED)
}

/// The user part's password of something that looks like a URL but does not parse as one (a bad
/// port, say): everything between the first `:` after `scheme://` and the last `@` before the
/// path.
fn redact_unparsed(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:{REDACTED}@{host}{tail}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted_and_the_rest_kept() {
        let shown = redact_url("mysql://shop:s3cr%40t@db.internal:3306/erp?ssl-mode=required");
        assert!(!shown.contains("s3cr"), "{shown}");
        assert_eq!(
            shown,
            "mysql://shop:[redacted]@db.internal:3306/erp?ssl-mode=required"
        );
        assert_eq!(
            redact_url("redis://:hunter2@cache:6379/0"),
            "redis://:[redacted]@cache:6379/0"
        );
        let query = redact_url("mysql://db/erp?user=shop&password=hunter2");
        assert!(!query.contains("hunter2"), "{query}");
        assert!(query.contains("user=shop"), "{query}");
        let bad_port = redact_url("mysql://shop:hunter2@db:port/erp");
        assert_eq!(bad_port, "mysql://shop:[redacted]@db:port/erp");
        for kept in [
            "mysql://root@127.0.0.1:3306/test",
            "sqlite://erp.db",
            "memory",
            "erp.db",
        ] {
            assert_eq!(redact_url(kept), kept);
        }
    }
}
