//! The connection to Redis, which is optional and never trusted to be up.
//!
//! The server starts without Redis and keeps serving when Redis goes away: callers ask for a
//! connection and get `None` while Redis is unreachable (they then fall back to in-process rate
//! limits, and the outbox keeps its events). Reconnection is attempted at most once a second, and
//! every command has a short timeout so a hung Redis never holds a request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long one Redis command may take before the caller falls back.
pub const COMMAND_TIMEOUT: Duration = Duration::from_millis(250);

/// A lazily (re)connected Redis.
pub struct RedisLink {
    client: redis::Client,
    state: Mutex<LinkState>,
}

struct LinkState {
    connection: Option<ConnectionManager>,
    last_attempt: Option<Instant>,
}

impl RedisLink {
    /// Parses the URL; connects on first use.
    pub fn new(url: &str) -> anyhow::Result<RedisLink> {
        Ok(RedisLink {
            client: redis::Client::open(url)?,
            state: Mutex::new(LinkState {
                connection: None,
                last_attempt: None,
            }),
        })
    }

    /// A connection, or `None` while Redis is unreachable.
    pub async fn connection(&self) -> Option<ConnectionManager> {
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(connection) = &state.connection {
                return Some(connection.clone());
            }
            let recently = state
                .last_attempt
                .is_some_and(|at| at.elapsed() < Duration::from_secs(1));
            if recently {
                return None;
            }
            state.last_attempt = Some(Instant::now());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1);
        match self.client.get_connection_manager_with_config(config).await {
            Ok(connection) => {
                tracing::info!("connected to Redis");
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                state.connection = Some(connection.clone());
                Some(connection)
            }
            Err(error) => {
                tracing::warn!(%error, "Redis unreachable; using in-process fallbacks");
                None
            }
        }
    }

    /// Whether Redis answers a PING now.
    pub async fn ping(&self) -> bool {
        let Some(mut connection) = self.connection().await else {
            return false;
        };
        let pong: Result<Result<String, _>, _> = tokio::time::timeout(
            COMMAND_TIMEOUT,
            redis::cmd("PING").query_async(&mut connection),
        )
        .await;
        matches!(pong, Ok(Ok(_)))
    }
}
