//! Failing fast while MySQL is down.
//!
//! sqlx's pool treats a refused connection as "the server is starting up" and keeps retrying it
//! until the acquire timeout (10 s by default), so without this every command, and the readiness
//! probe, would hang that long before its 503. The pool's idle connections are no help: on a dead
//! server each fails its first statement and is discarded, and the next acquire opens a new
//! connection, into the same retry loop. That includes the very first command after an outage
//! begins.
//!
//! The gate lets the pool work alone when it answers at once (the usual case: an idle connection
//! that answers its ping). When an acquire takes longer, either every connection is busy or the
//! pool is trying to connect; the gate then asks the server directly, with a real connection of
//! its own under a short timeout, and fails the acquire as soon as that connection is refused, is
//! reset, or gets no answer. A busy pool on a healthy server keeps waiting its full acquire
//! timeout, as before. One probe at a time serves every waiting command, and its answer is reused
//! for a moment, so a saturated pool costs the server a few extra connections a second, no more.
//!
//! The probe is a complete login followed by a clean quit, not a bare TCP connect: a server counts
//! connections dropped before the handshake against `max_connect_errors` and would end up blocking
//! this host.

use std::future::Future;
use std::time::{Duration, Instant};

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::{ConnectOptions, Connection};

/// How long an acquire may take before the gate asks whether the server is there at all.
const FAST_PATH: Duration = Duration::from_millis(100);
/// How long a probe may take. A refused or reset connection fails it at once; this bounds the
/// wait for a host that answers nothing at all (gone from the network), and is generous enough
/// that a healthy server under load, whose logins take a few milliseconds, is never taken for
/// a dead one.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one probe's answer is reused by other waiting commands.
const PROBE_FRESH: Duration = Duration::from_millis(250);

/// Why a guarded acquire failed.
pub(crate) enum Guarded {
    /// The pool's own error.
    Work(sqlx::Error),
    /// The server is down: the probe's reason, naming the address.
    Down(String),
}

/// The probe of one server.
pub(crate) struct Gate {
    options: MySqlConnectOptions,
    address: String,
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Gate {
    pub(crate) fn new(options: MySqlConnectOptions) -> Gate {
        let address = match options.get_socket() {
            Some(socket) => socket.display().to_string(),
            None => format!("{}:{}", options.get_host(), options.get_port()),
        };
        Gate {
            options,
            address,
            last: tokio::sync::Mutex::new(None),
        }
    }

    /// Runs `acquire` (the pool's acquire or begin), failing it early when the server is down.
    pub(crate) async fn guard<T>(
        &self,
        acquire: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, Guarded> {
        let mut acquire = std::pin::pin!(acquire);
        if let Ok(done) = tokio::time::timeout(FAST_PATH, &mut acquire).await {
            return done.map_err(Guarded::Work);
        }
        let watch = async {
            loop {
                if let Err(reason) = self.probe().await {
                    return reason;
                }
                tokio::time::sleep(PROBE_FRESH).await;
            }
        };
        tokio::select! {
            done = &mut acquire => done.map_err(Guarded::Work),
            reason = watch => Err(Guarded::Down(reason)),
        }
    }

    /// Whether the server accepts a connection now (or did a moment ago).
    pub(crate) async fn probe(&self) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, outcome)) = last.as_ref()
            && at.elapsed() < PROBE_FRESH
        {
            return outcome.clone();
        }
        let outcome = self.connect_once().await;
        *last = Some((Instant::now(), outcome.clone()));
        outcome
    }

    async fn connect_once(&self) -> Result<(), String> {
        let address = &self.address;
        match tokio::time::timeout(PROBE_TIMEOUT, self.options.connect()).await {
            Ok(Ok(connection)) => {
                let _ = tokio::time::timeout(PROBE_TIMEOUT, close(connection)).await;
                Ok(())
            }
            // Refused, reset, unreachable: nobody is serving there.
            Ok(Err(sqlx::Error::Io(error))) => {
                Err(format!("cannot connect to MySQL at {address}: {error}"))
            }
            // The server answered (wrong password, too many connections, a node out of its
            // cluster...): the pool reports that error itself, at once.
            Ok(Err(_)) => Ok(()),
            Err(_) => Err(format!(
                "MySQL at {address} did not answer within {} ms",
                PROBE_TIMEOUT.as_millis()
            )),
        }
    }
}

async fn close(connection: MySqlConnection) {
    let _ = connection.close().await;
}
