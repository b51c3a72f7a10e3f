//! The connection to Redis, which is optional and never trusted to be up.
//!
//! The server starts without Redis and keeps serving when Redis goes away: callers ask for a
//! connection and get `None` while Redis is unreachable (they then fall back to in-process rate
//! limits, and the outbox keeps its events). Every command has a short timeout so a hung Redis
//! never holds a request.
//!
//! A circuit breaker keeps a dead Redis from costing anything: the first failed command opens it,
//! and while it is open no request tries Redis at all (they go straight to the fallbacks). When
//! the open period ends, one caller tries a fresh connection; if that fails the breaker opens
//! again for twice as long (1 s doubling to 30 s), and if it works Redis is used again. The
//! change of state is logged once each way, not once per request.

use std::fmt::Display;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long one Redis command may take before the caller falls back.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(250);

/// The first open period of the breaker.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest open period: how long a Redis that is back may stay unused.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A lazily (re)connected Redis behind a circuit breaker.
pub struct RedisLink {
    client: redis::Client,
    state: Mutex<LinkState>,
}

struct LinkState {
    connection: Option<ConnectionManager>,
    /// `Some`: the breaker is open (Redis is not tried) until then.
    open_until: Option<Instant>,
    /// The next open period.
    backoff: Duration,
    /// One caller is trying Redis after an open period; the others keep to the fallbacks.
    trial: bool,
}

/// Whether the breaker lets this caller use Redis.
enum Pass {
    Use(ConnectionManager),
    Connect,
    Refused,
}

impl RedisLink {
    /// Parses the URL; connects on first use.
    pub fn new(url: &str) -> anyhow::Result<RedisLink> {
        Ok(RedisLink {
            client: redis::Client::open(url)?,
            state: Mutex::new(LinkState {
                connection: None,
                open_until: None,
                backoff: FIRST_BACKOFF,
                trial: false,
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LinkState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection, or `None` while the breaker is open (at once, without trying Redis).
    /// A caller that gets one reports how its commands went, through [`RedisLink::guard`] or
    /// [`RedisLink::failed`].
    pub async fn connection(&self) -> Option<ConnectionManager> {
        let pass = {
            let mut state = self.state();
            match state.open_until {
                Some(until) if Instant::now() < until || state.trial => Pass::Refused,
                Some(_) => {
                    state.trial = true;
                    Pass::Connect
                }
                None => match &state.connection {
                    Some(connection) => Pass::Use(connection.clone()),
                    // The first use: one caller connects, the others wait for its outcome
                    // on the fallbacks.
                    None if state.trial => Pass::Refused,
                    None => {
                        state.trial = true;
                        Pass::Connect
                    }
                },
            }
        };
        match pass {
            Pass::Use(connection) => Some(connection),
            Pass::Refused => None,
            Pass::Connect => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_millis(500)))
                    .set_response_timeout(Some(COMMAND_TIMEOUT))
                    .set_number_of_retries(1);
                match self.client.get_connection_manager_with_config(config).await {
                    Ok(connection) => {
                        let mut state = self.state();
                        state.connection = Some(connection.clone());
                        // After an open period the trial lasts until its command is reported.
                        if state.open_until.is_none() {
                            state.trial = false;
                        }
                        Some(connection)
                    }
                    Err(error) => {
                        self.failed(&error);
                        None
                    }
                }
            }
        }
    }

    /// Runs a command on Redis (`command` gets a connection), bounded by `timeout`, and feeds its
    /// outcome to the breaker. `None` when the breaker is open or the command failed.
    pub async fn guard<T, F, Fut>(&self, timeout: Duration, command: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let connection = self.connection().await?;
        match tokio::time::timeout(timeout, command(connection)).await {
            Ok(Ok(value)) => {
                self.succeeded();
                Some(value)
            }
            Ok(Err(error)) => {
                self.failed(&error);
                None
            }
            Err(_) => {
                self.failed(&format_args!("no answer within {} ms", timeout.as_millis()));
                None
            }
        }
    }

    /// A command worked: close the breaker if it was open.
    pub fn succeeded(&self) {
        let mut state = self.state();
        state.trial = false;
        state.backoff = FIRST_BACKOFF;
        if state.open_until.take().is_some() {
            tracing::info!("Redis answers again: shared rate limits and the event relay resume");
        }
    }

    /// A command failed: open the breaker (logged once), or keep it open longer when the
    /// failure is a trial's.
    pub fn failed(&self, error: &dyn Display) {
        let mut state = self.state();
        let now = Instant::now();
        match state.open_until {
            None => {
                tracing::warn!(
                    %error,
                    "Redis unreachable: using in-process rate limits, events wait in the outbox; \
                     trying again in {} s",
                    state.backoff.as_secs()
                );
                state.open_until = Some(now + state.backoff);
            }
            Some(_) if state.trial => {
                state.backoff = (state.backoff * 2).min(MAX_BACKOFF);
                state.open_until = Some(now + state.backoff);
                tracing::debug!(%error, retry_in_s = state.backoff.as_secs(), "Redis still unreachable");
            }
            // A command that was already under way when the breaker opened.
            Some(_) => {}
        }
        state.trial = false;
        // A fresh connection for the next trial rather than one that may be stuck.
        state.connection = None;
    }

    /// Whether Redis answers a PING now (`false` at once while the breaker is open).
    pub async fn ping(&self) -> bool {
        self.guard(COMMAND_TIMEOUT, |mut connection| async move {
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
        })
        .await
        .is_some()
    }

    /// Whether the breaker is open now (Redis not being tried).
    pub fn is_open(&self) -> bool {
        self.state().open_until.is_some()
    }
}
