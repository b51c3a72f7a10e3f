//! Migrating a MySQL / MariaDB database while other servers may be starting on it, on one server
//! or on the nodes of a Galera cluster.
//!
//! Servers starting at once take turns through a lease: a row in `schema_migrations_lease` that
//! one of them manages to insert and deletes when done. Not `GET_LOCK`: a Galera cluster does not
//! replicate it, so two servers on two nodes would both hold "the" lock and both migrate; an
//! inserted row, in contrast, is certified cluster-wide (the loser gets a duplicate key or a
//! deadlock). MySQL commits DDL implicitly, so the migrations use `IF NOT EXISTS` and a migration
//! interrupted half way can simply be run again.

use std::time::Duration;

use sqlx::MySqlConnection;
use sqlx::mysql::MySqlPool;

use super::migrations::{self, Migration};
use super::mysql::error_number;
use crate::error::{Error, Result};

/// How long the migration lease lasts unless renewed: a process that died holding it delays the
/// others by at most this much.
const LEASE_SECS: u64 = 60;

/// How many times a statement on the migration tables is tried when a conflict aborts it.
const CONFLICT_TRIES: u32 = 8;

pub(super) fn migration_error(message: impl std::fmt::Display) -> Error {
    Error::Internal {
        message: format!("migration failed: {message}"),
    }
}

/// Applies the pending migrations, one server at a time.
pub(super) async fn run_migrations(pool: &MySqlPool) -> Result<()> {
    let mut conn = pool.acquire().await.map_err(migration_error)?;
    create_migration_tables(&mut conn).await?;
    let mut token = [0u8; 16];
    getrandom::getrandom(&mut token).map_err(migration_error)?;
    let holder = crate::auth::hex(&token);
    take_lease(&mut conn, &holder).await?;
    let outcome = apply_pending(&mut conn, &holder).await;
    // Given back even after a failure; should this fail too, the lease expires on its own.
    let _ = through_conflicts(async || {
        sqlx::query("DELETE FROM schema_migrations_lease WHERE id = 1 AND holder = ?")
            .bind(&holder)
            .execute(&mut *conn)
            .await
    })
    .await;
    outcome
}

/// Creates the migration tables unless both are there. Not unconditionally: on a Galera
/// cluster every DDL statement, `IF NOT EXISTS` or not, runs in total order on every node and
/// aborts whatever statement holds its table there, such as the lease holder's renewal.
async fn create_migration_tables(conn: &mut MySqlConnection) -> Result<()> {
    let present: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() \
         AND table_name IN ('schema_migrations', 'schema_migrations_lease')",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(migration_error)?;
    if present == 2 {
        return Ok(());
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
           version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, \
           checksum CHAR(64) NOT NULL, applied_at DATETIME(6) NOT NULL\
         ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4; \
         CREATE TABLE IF NOT EXISTS schema_migrations_lease (\
           id TINYINT NOT NULL PRIMARY KEY, holder CHAR(32) NOT NULL, \
           expires_at DATETIME(6) NOT NULL\
         ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    )
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(migration_error)
}

/// Whether a statement lost a conflict: a deadlock (which is also how Galera reports a statement
/// aborted by another node's write or DDL) or a lock wait timeout. Either way it changed nothing.
fn is_conflict(error: &sqlx::Error) -> bool {
    matches!(error_number(error), Some(1213 | 1205))
}

/// Runs `statement` (one autocommitted statement on the migration tables) again while it loses
/// conflicts, a little later each time. Servers starting together on other nodes still create
/// these tables while the holder works (each checked before any was created), and their DDL
/// aborts the holder's statements on them.
async fn through_conflicts<T>(
    mut statement: impl AsyncFnMut() -> std::result::Result<T, sqlx::Error>,
) -> std::result::Result<T, sqlx::Error> {
    let mut tries = 1;
    loop {
        match statement().await {
            Err(error) if tries < CONFLICT_TRIES && is_conflict(&error) => {
                let pause = 20 * u64::from(tries) + fastrand::u64(0..20);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                tries += 1;
            }
            outcome => return outcome,
        }
    }
}

/// Waits for the migration lease, taking over one whose holder stopped renewing it.
async fn take_lease(conn: &mut MySqlConnection, holder: &str) -> Result<()> {
    // Long enough for a dead holder's lease to expire and be taken over.
    let deadline = std::time::Instant::now() + Duration::from_secs(LEASE_SECS + 30);
    loop {
        let expired =
            sqlx::query("DELETE FROM schema_migrations_lease WHERE expires_at < UTC_TIMESTAMP(6)")
                .execute(&mut *conn)
                .await;
        let taken = match expired {
            Ok(_) => sqlx::query(&format!(
                "INSERT INTO schema_migrations_lease (id, holder, expires_at) \
                 VALUES (1, ?, UTC_TIMESTAMP(6) + INTERVAL {LEASE_SECS} SECOND)"
            ))
            .bind(holder)
            .execute(&mut *conn)
            .await
            .map(|_| ()),
            Err(error) => Err(error),
        };
        match taken {
            Ok(()) => return Ok(()),
            // Held by another process (duplicate key), or another node took it at the same
            // moment (a certification conflict, reported as a deadlock): wait for our turn.
            Err(error) if error_number(&error) == Some(1062) || is_conflict(&error) => {}
            Err(error) => return Err(migration_error(error)),
        }
        if std::time::Instant::now() >= deadline {
            return Err(migration_error(format!(
                "another process held the migration lease for {} s",
                LEASE_SECS + 30
            )));
        }
        tokio::time::sleep(Duration::from_millis(100 + fastrand::u64(0..100))).await;
    }
}

/// Extends our lease before a migration; an error if another process has taken it over.
async fn renew_lease(conn: &mut MySqlConnection, holder: &str) -> Result<()> {
    let renew = format!(
        "UPDATE schema_migrations_lease \
         SET expires_at = UTC_TIMESTAMP(6) + INTERVAL {LEASE_SECS} SECOND \
         WHERE id = 1 AND holder = ?"
    );
    let renewed =
        through_conflicts(async || sqlx::query(&renew).bind(holder).execute(&mut *conn).await)
            .await
            .map_err(migration_error)?;
    if renewed.rows_affected() == 1 {
        Ok(())
    } else {
        Err(migration_error(
            "the migration lease expired and was taken over",
        ))
    }
}

async fn apply_pending(conn: &mut MySqlConnection, holder: &str) -> Result<()> {
    let applied: Vec<(i64, String)> = through_conflicts(async || {
        sqlx::query_as("SELECT version, checksum FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
    })
    .await
    .map_err(migration_error)?;
    let pending: Vec<&Migration> =
        migrations::plan(migrations::MYSQL, &applied).map_err(migration_error)?;
    for migration in pending {
        renew_lease(conn, holder).await?;
        sqlx::raw_sql(migration.sql)
            .execute(&mut *conn)
            .await
            .map_err(migration_error)?;
        let applied_at = chrono::Utc::now();
        through_conflicts(async || {
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
                 VALUES (?, ?, ?, ?)",
            )
            .bind(migration.version)
            .bind(migration.name)
            .bind(migration.checksum())
            .bind(applied_at)
            .execute(&mut *conn)
            .await
        })
        .await
        .map_err(migration_error)?;
    }
    Ok(())
}
