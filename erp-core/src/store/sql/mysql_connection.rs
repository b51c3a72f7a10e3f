//! A pooled MySQL connection that is closed, never reused, when the future using it is dropped
//! in the middle of a statement.
//!
//! Why: sqlx 0.8's MySQL connection records that it awaits a result *before* it prepares and
//! sends the statement. A future dropped in between (a client that hung up, an aborted task, a
//! timeout) leaves the connection waiting for an answer the server will never send; the pool's
//! ping on release then waits forever, and the pool has lost that connection for good. Enough
//! such drops and every command waits out its acquire timeout (seen: all 16 connections of a
//! pool lost after 200 aborted orders, the server showing every one of them idle). Closing such
//! a connection is always safe: the server rolls back what its unit of work had done.
//!
//! Units of work are plain `BEGIN` / `COMMIT` / `ROLLBACK` statements on the guarded connection,
//! so the guard alone knows whether one is open when it is dropped.

use std::future::Future;

use sqlx::mysql::{MySqlConnection, MySqlPool};
use sqlx::pool::PoolConnection;
use sqlx::{Executor, MySql};

/// How many connections `begin` (or a read) tries before it reports a broken one: after a
/// database restart every idle connection of the pool is dead, and each costs one failed (and
/// immediate) `BEGIN`, so one more than the pool holds always reaches a fresh connection.
pub(crate) fn tries_for(pool: &MySqlPool) -> u32 {
    pool.options().get_max_connections().saturating_add(1)
}

/// A connection that failed at the socket: the server or the network dropped it.
pub(crate) fn is_broken(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Io(_) | sqlx::Error::Protocol(_))
}

/// A connection taken from the pool, with what the guard needs to know at drop time.
pub(crate) struct GuardedConnection {
    /// Always `Some` until dropped; an `Option` only so that `Drop` can move it into a task.
    conn: Option<PoolConnection<MySql>>,
    /// A statement was sent (or was about to be) and its answer not yet read.
    in_flight: bool,
    /// A unit of work is open on the connection.
    in_transaction: bool,
}

impl GuardedConnection {
    /// A connection from `pool`, outside any unit of work.
    pub(crate) async fn acquire(pool: &MySqlPool) -> Result<GuardedConnection, sqlx::Error> {
        Ok(GuardedConnection {
            conn: Some(pool.acquire().await?),
            in_flight: false,
            in_transaction: false,
        })
    }

    /// A connection from `pool` with a unit of work begun on it.
    ///
    /// The pool does not ping a connection before handing it out (a round trip per command);
    /// instead a connection the server has dropped meanwhile (idle timeout, restart, a killed
    /// session) fails its `BEGIN`, which changes nothing, so another connection is tried.
    pub(crate) async fn begin(pool: &MySqlPool) -> Result<GuardedConnection, sqlx::Error> {
        let (mut tries, most) = (0, tries_for(pool));
        loop {
            tries += 1;
            let mut guarded = GuardedConnection::acquire(pool).await?;
            guarded.in_transaction = true;
            match guarded.run(|conn| conn.execute("BEGIN")).await {
                Ok(_) => return Ok(guarded),
                // Either way the connection is closed on drop, never pooled again.
                Err(error) if is_broken(&error) && tries < most => guarded.discard(),
                Err(error) => {
                    guarded.discard();
                    return Err(error);
                }
            }
        }
    }

    /// Runs `work` on the connection. If the returned future is dropped before `work` finishes,
    /// the connection is closed instead of going back to the pool.
    pub(crate) async fn run<'c, T, F, Fut>(&'c mut self, work: F) -> Result<T, sqlx::Error>
    where
        F: FnOnce(&'c mut MySqlConnection) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>> + 'c,
    {
        let Some(conn) = self.conn.as_mut() else {
            return Err(sqlx::Error::PoolClosed);
        };
        self.in_flight = true;
        let outcome = work(conn).await;
        // Reached only when `work` ran to its end, with an answer or an error read off the wire.
        self.in_flight = false;
        outcome
    }

    /// Closes the connection when dropped instead of returning it to the pool.
    pub(crate) fn discard(&mut self) {
        self.in_flight = true;
    }

    /// Commits the unit of work.
    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.finish("COMMIT").await
    }

    /// Rolls the unit of work back.
    pub(crate) async fn rollback(mut self) -> Result<(), sqlx::Error> {
        self.finish("ROLLBACK").await
    }

    async fn finish(&mut self, statement: &'static str) -> Result<(), sqlx::Error> {
        let outcome = self.run(|conn| conn.execute(statement)).await;
        match outcome {
            Ok(_) => self.in_transaction = false,
            // After a failed COMMIT or ROLLBACK the session's state is unknown: `Drop` closes it.
            Err(_) => self.in_flight = true,
        }
        outcome.map(|_| ())
    }
}

impl Drop for GuardedConnection {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if self.in_flight {
            conn.close_on_drop();
            return;
        }
        if !self.in_transaction {
            return; // back to the pool, clean
        }
        // A unit of work abandoned between statements (a refused command, or a caller that went
        // away): roll it back before the connection is reused, or close it if that cannot be done.
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    let mut guarded = GuardedConnection {
                        conn: Some(conn),
                        in_flight: false,
                        in_transaction: true,
                    };
                    // On failure the guard's own drop closes the connection.
                    let _ = guarded.finish("ROLLBACK").await;
                });
            }
            Err(_) => conn.close_on_drop(),
        }
    }
}
