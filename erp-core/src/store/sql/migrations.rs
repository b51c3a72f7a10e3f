//! The schema migrations, embedded in the binary: numbered plain SQL files per dialect under
//! `erp-core/migrations/`, applied in order and recorded in `schema_migrations` with a checksum so
//! an edited, already-applied migration is noticed instead of silently diverging.

use sha2::{Digest, Sha256};

/// One migration.
pub(crate) struct Migration {
    /// Its number; applied in ascending order.
    pub version: i64,
    /// A short name.
    pub name: &'static str,
    /// The statements.
    pub sql: &'static str,
}

impl Migration {
    /// The SHA-256 of its text, recorded when applied.
    pub fn checksum(&self) -> String {
        crate::auth::hex(&Sha256::digest(self.sql.as_bytes()))
    }
}

#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "counter_sales",
        sql: include_str!("../../../migrations/sqlite/0002_counter_sales.sql"),
    },
    Migration {
        version: 3,
        name: "shop_settings",
        sql: include_str!("../../../migrations/sqlite/0003_shop_settings.sql"),
    },
    Migration {
        version: 4,
        name: "parked_sales",
        sql: include_str!("../../../migrations/sqlite/0004_parked_sales.sql"),
    },
    Migration {
        version: 5,
        name: "status_request_keys",
        sql: include_str!("../../../migrations/sqlite/0005_status_request_keys.sql"),
    },
    Migration {
        version: 6,
        name: "login_failures",
        sql: include_str!("../../../migrations/sqlite/0006_login_failures.sql"),
    },
    Migration {
        version: 7,
        name: "outbox_published_index",
        sql: include_str!("../../../migrations/sqlite/0007_outbox_published_index.sql"),
    },
    Migration {
        version: 8,
        name: "parked_sale_keys",
        sql: include_str!("../../../migrations/sqlite/0008_parked_sale_keys.sql"),
    },
    Migration {
        version: 9,
        name: "open_parked_sales_index",
        sql: include_str!("../../../migrations/sqlite/0009_open_parked_sales_index.sql"),
    },
    Migration {
        version: 10,
        name: "parked_sale_recall_keys",
        sql: include_str!("../../../migrations/sqlite/0010_parked_sale_recall_keys.sql"),
    },
    Migration {
        version: 11,
        name: "cash_movement_keys",
        sql: include_str!("../../../migrations/sqlite/0011_cash_movement_keys.sql"),
    },
];

#[cfg(feature = "mysql")]
pub(crate) const MYSQL: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../../migrations/mysql/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "counter_sales",
        sql: include_str!("../../../migrations/mysql/0002_counter_sales.sql"),
    },
    Migration {
        version: 3,
        name: "shop_settings",
        sql: include_str!("../../../migrations/mysql/0003_shop_settings.sql"),
    },
    Migration {
        version: 4,
        name: "parked_sales",
        sql: include_str!("../../../migrations/mysql/0004_parked_sales.sql"),
    },
    Migration {
        version: 5,
        name: "status_request_keys",
        sql: include_str!("../../../migrations/mysql/0005_status_request_keys.sql"),
    },
    Migration {
        version: 6,
        name: "login_failures",
        sql: include_str!("../../../migrations/mysql/0006_login_failures.sql"),
    },
    Migration {
        version: 7,
        name: "claim_lock_last",
        sql: include_str!("../../../migrations/mysql/0007_claim_lock_last.sql"),
    },
    Migration {
        version: 8,
        name: "return_lines_without_product_key",
        sql: include_str!("../../../migrations/mysql/0008_return_lines_without_product_key.sql"),
    },
    Migration {
        version: 9,
        name: "parked_sale_keys",
        sql: include_str!("../../../migrations/mysql/0009_parked_sale_keys.sql"),
    },
    Migration {
        version: 10,
        name: "open_parked_sales_index",
        sql: include_str!("../../../migrations/mysql/0010_open_parked_sales_index.sql"),
    },
    Migration {
        version: 11,
        name: "parked_sale_recall_keys",
        sql: include_str!("../../../migrations/mysql/0011_parked_sale_recall_keys.sql"),
    },
    Migration {
        version: 12,
        name: "cash_movement_keys",
        sql: include_str!("../../../migrations/mysql/0012_cash_movement_keys.sql"),
    },
];

/// What to do with a migration given what `schema_migrations` says of it.
pub(crate) fn plan<'a>(
    all: &'a [Migration],
    applied: &[(i64, String)],
) -> Result<Vec<&'a Migration>, String> {
    for (version, checksum) in applied {
        match all.iter().find(|m| m.version == *version) {
            Some(known) if known.checksum() == *checksum => {}
            Some(known) => {
                return Err(format!(
                    "migration {} ({}) was changed after it was applied",
                    known.version, known.name
                ));
            }
            None => {
                return Err(format!(
                    "the database has migration {version}, unknown to this program (newer version?)"
                ));
            }
        }
    }
    Ok(all
        .iter()
        .filter(|m| !applied.iter().any(|(v, _)| *v == m.version))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Migration] = &[
        Migration {
            version: 1,
            name: "a",
            sql: "CREATE TABLE a (x INT);",
        },
        Migration {
            version: 2,
            name: "b",
            sql: "CREATE TABLE b (x INT);",
        },
    ];

    #[test]
    fn pending_migrations_are_those_not_applied() {
        let applied = vec![(1, ALL[0].checksum())];
        let pending: Vec<i64> = plan(ALL, &applied)
            .unwrap()
            .iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(pending, vec![2]);
        assert_eq!(plan(ALL, &[]).unwrap().len(), 2);
    }

    #[test]
    fn an_edited_or_unknown_migration_is_an_error() {
        assert!(plan(ALL, &[(1, "other".into())]).is_err());
        assert!(plan(ALL, &[(9, "x".into())]).is_err());
    }
}
