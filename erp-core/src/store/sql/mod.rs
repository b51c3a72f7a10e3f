//! The SQL backends (sqlx): SQLite, the embedded default, and MySQL / MariaDB, the shared one.
//!
//! Both dialects run the same statements ([`store`] and [`transaction`], written once over the
//! [`dialect::Dialect`] trait); each dialect module holds only what differs: connecting,
//! migrating, binding values in its encoding, classifying its errors, its locking clauses and its
//! audit queries. Queries are plain SQL checked at run time (no compile-time macros, so no build
//! needs a database).

mod dialect;
#[cfg(feature = "mysql")]
mod gate;
mod migrations;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "mysql")]
mod mysql_connection;
#[cfg(feature = "mysql")]
mod mysql_migrate;
mod parked;
mod rows;
mod shop;
#[cfg(feature = "sqlite")]
mod sqlite;
mod statement;
mod store;
mod transaction;

use std::sync::Arc;
use std::time::Duration;

use super::{Store, StoreError, StoreResult};
use crate::connect::ConnectOptions;
use crate::domain::{Invalid, SearchTerm};
use crate::error::{Error, Result};

/// The refusal of a URL no backend of this build takes: a backend left out of the build (its
/// cargo feature is off) says so, anything else lists what is accepted.
fn unsupported_url(scheme: &str) -> Error {
    let left_out = match scheme {
        "sqlite" if !cfg!(feature = "sqlite") => Some("SQLite (the `sqlite` feature)"),
        "mysql" | "mariadb" if !cfg!(feature = "mysql") => Some("MySQL (the `mysql` feature)"),
        _ => None,
    };
    match left_out {
        Some(backend) => Error::validation(
            "database_url",
            format!("this build of erp-core does not include {backend}"),
        ),
        None => Error::validation(
            "database_url",
            "must be memory, sqlite://PATH or mysql://USER:PASSWORD@HOST/DATABASE",
        ),
    }
}

/// Opens a SQL store from its URL, migrating it unless the options say not to.
pub(crate) async fn open(url: &str, options: &ConnectOptions) -> Result<Arc<dyn Store>> {
    let (scheme, _) = url.split_once("://").unwrap_or((url, ""));
    let store: Arc<dyn Store> = match scheme {
        #[cfg(feature = "sqlite")]
        "sqlite" => Arc::new(sqlite::SqliteDialect::open(url, options).await?),
        #[cfg(feature = "mysql")]
        "mysql" | "mariadb" => Arc::new(mysql::MySqlDialect::open(url, options).await?),
        _ => return Err(unsupported_url(scheme)),
    };
    Ok(store)
}

/// Applies the pending migrations of the store at `url`.
pub(crate) async fn migrate(url: &str, options: &ConnectOptions) -> Result<()> {
    let (scheme, _) = url.split_once("://").unwrap_or((url, ""));
    match scheme {
        #[cfg(feature = "sqlite")]
        "sqlite" => sqlite::SqliteDialect::migrate_url(url, options).await,
        #[cfg(feature = "mysql")]
        "mysql" | "mariadb" => mysql::MySqlDialect::migrate_url(url, options).await,
        // Saying "migrations applied" for a URL nothing was done to would hide a typo.
        _ => Err(unsupported_url(scheme)),
    }
}

/// Jittered exponential backoff before retry `attempt` (1-based): 2 ms doubling to 128 ms, a random
/// point in the upper half so that colliding transactions spread out instead of colliding again.
pub(crate) async fn backoff(attempt: u32) {
    let ceiling_ms = 2u64 << attempt.saturating_sub(1).min(6);
    let ceiling = Duration::from_millis(ceiling_ms);
    let wait = ceiling / 2 + ceiling.mul_f64(fastrand::f64() / 2.0);
    tokio::time::sleep(wait).await;
}

/// Connection-level failures: the database is not there or the pool is exhausted.
pub(crate) fn connection_error(error: &sqlx::Error) -> Option<StoreError> {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Some(StoreError::Unavailable(error.to_string())),
        _ => None,
    }
}

/// A value read from the database failed its domain check: the data was edited by hand or is
/// corrupted. Reported, never unwrapped.
pub(crate) fn stored<T>(value: std::result::Result<T, Invalid>, column: &str) -> StoreResult<T> {
    value.map_err(|invalid| StoreError::Other(format!("stored {column} is invalid: {invalid}")))
}

/// The `LIKE` pattern for "contains `term`", with `!` as the escape character.
pub(crate) fn contains_pattern(term: &SearchTerm) -> String {
    let mut pattern = String::from("%");
    for c in term.folded().chars() {
        if matches!(c, '!' | '%' | '_') {
            pattern.push('!');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The half-open range `[low, high)` of strings that start with `prefix`, for an index range scan
/// under binary collation. Valid SKUs and tax ids only hold characters below `~`.
pub(crate) fn prefix_range(prefix: &str) -> (String, String) {
    (prefix.to_string(), format!("{prefix}~"))
}

/// Converts a count or offset for SQL (`LIMIT`/`OFFSET` take signed integers in sqlx).
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        let term = SearchTerm::parse("50%_off!").unwrap().unwrap();
        assert_eq!(contains_pattern(&term), "%50!%!_off!!%");
    }

    #[test]
    fn prefix_range_brackets_every_sku_with_the_prefix() {
        let (low, high) = prefix_range("TEA");
        for sku in ["TEA", "TEA-01", "TEA/9", "TEAZZZ"] {
            assert!(sku >= low.as_str() && sku < high.as_str(), "{sku}");
        }
        for sku in ["TE", "TEB", "TFA"] {
            assert!(!(sku >= low.as_str() && sku < high.as_str()), "{sku}");
        }
    }

    /// A backend left out of the build is named as such, not as a malformed URL; an unknown
    /// scheme lists what is accepted. (The left-out cases run in CI's one-backend builds.)
    #[tokio::test]
    async fn a_url_for_a_backend_not_built_says_so() {
        let message = |result: Result<()>| match result {
            Err(Error::Validation { field, reason }) => format!("{field}: {reason}"),
            other => panic!("expected a refusal, got {other:?}"),
        };
        let options = ConnectOptions::default();
        let unknown = message(migrate("postgres://db/erp", &options).await);
        assert!(
            unknown.contains("must be memory, sqlite://PATH"),
            "{unknown}"
        );
        if !cfg!(feature = "mysql") {
            let said = message(migrate("mysql://root@127.0.0.1:1/erp", &options).await);
            assert_eq!(
                said,
                "database_url: this build of erp-core does not include MySQL (the `mysql` feature)"
            );
        }
        if !cfg!(feature = "sqlite") {
            let said = message(migrate("sqlite://never-created.db", &options).await);
            assert!(said.contains("does not include SQLite"), "{said}");
        }
    }

    /// The conditional claim (`Transaction::claim_stock`, one `UPDATE` shared by both dialects)
    /// says yes exactly when `Product::reserve` (or `Product::sell`) does and the price is
    /// unchanged, and leaves the same figures behind.
    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn the_conditional_claim_is_the_products_rule() {
        use crate::domain::{Money, Name, Quantity, Sku, Timestamp};
        use crate::store::{ProductDraft, StockClaim};

        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("rule.db").display());
        let store = open(&url, &ConnectOptions::default()).await.unwrap();
        let at: Timestamp = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let price = Money::parse("2.50").unwrap();
        let mut cases = 0;
        for on_hand in [0_i64, 1, 5] {
            for reserved in 0..=on_hand {
                for active in [true, false] {
                    for (price_unchanged, claim) in [true, false]
                        .into_iter()
                        .flat_map(|p| [(p, StockClaim::Reserve), (p, StockClaim::Sell)])
                    {
                        for units in 1..=6_i64 {
                            cases += 1;
                            let sku = Sku::parse(&format!("R-{cases}")).unwrap();
                            let mut tx = store.begin().await.unwrap();
                            let draft = ProductDraft {
                                sku: sku.clone(),
                                name: Name::parse("rule").unwrap(),
                                price,
                                on_hand,
                                reorder_level: 0,
                                created_at: at,
                            };
                            let id = tx.insert_product(&draft).await.unwrap();
                            let mut product = tx.lock_products(&[id]).await.unwrap().remove(0);
                            product.reserved = reserved;
                            product.active = active;
                            tx.update_product(&product).await.unwrap();
                            tx.commit().await.unwrap();

                            let quantity = Quantity::new(units).unwrap();
                            let asked_price = if price_unchanged {
                                price
                            } else {
                                Money::parse("2.51").unwrap()
                            };
                            let mut by_rule = product.clone();
                            let rule_says =
                                price_unchanged && claim.apply(&mut by_rule, quantity).is_ok();
                            let mut tx = store.begin().await.unwrap();
                            let sql_says = tx
                                .claim_stock(id, claim, quantity, asked_price, at)
                                .await
                                .unwrap();
                            let after = tx.lock_products(&[id]).await.unwrap().remove(0);
                            tx.commit().await.unwrap();
                            let case = (claim, on_hand, reserved, active, price_unchanged, units);
                            assert_eq!(sql_says, rule_says, "{case:?}");
                            let expected = if rule_says { &by_rule } else { &product };
                            assert_eq!(
                                (after.on_hand, after.reserved),
                                (expected.on_hand, expected.reserved),
                                "{case:?}"
                            );
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 2 * 2 * 2 * 6 * (1 + 2 + 6));
    }
}
