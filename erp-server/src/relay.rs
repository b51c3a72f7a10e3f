//! The outbox relay: publishes committed domain events to the Redis Stream `<prefix>:events`.
//!
//! The outbox table is the source of truth. Every tick the relay reads events no relay has
//! published yet, XADDs them (fields: `id`, `type`, `aggregate_type`, `aggregate_id`, `payload`,
//! `occurred_at`, `actor`), then marks them published. A crash between the two steps publishes an
//! event again on the next tick: delivery is at least once, and consumers de-duplicate on `id`.
//! With several server instances, a short lease in Redis (`<prefix>:relay:lease`) lets one relay
//! at a time, which keeps duplicates rare; if Redis is down nothing is relayed and the events wait.

use std::sync::Arc;
use std::time::Duration;

use erp_core::{Actor, Erp};

use crate::redis_link::{COMMAND_TIMEOUT, RedisLink};

/// Events relayed per tick at most.
const BATCH: u32 = 200;

/// Runs until `shutdown` resolves.
pub async fn run(
    erp: Erp,
    redis: Arc<RedisLink>,
    prefix: String,
    interval: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut instance = [0u8; 8];
    let _ = getrandom::getrandom(&mut instance);
    let instance: String = instance.iter().map(|b| format!("{b:02x}")).collect();
    let stream = format!("{prefix}:events");
    let lease_key = format!("{prefix}:relay:lease");
    let mut backoff = interval;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        match relay_once(&erp, &redis, &stream, &lease_key, &instance, interval).await {
            Ok(published) => {
                if published > 0 {
                    tracing::debug!(published, "relayed events");
                }
                backoff = if published == BATCH as usize {
                    Duration::ZERO
                } else {
                    interval
                };
            }
            Err(error) => {
                // A Redis failure has been logged by the breaker already.
                if redis.is_open() {
                    tracing::debug!(%error, "event relay paused");
                } else {
                    tracing::warn!(%error, "event relay paused");
                }
                backoff = (backoff * 2).clamp(interval, Duration::from_secs(10));
            }
        }
    }
}

/// One pass: take the lease, publish a batch, mark it. Returns how many were published.
async fn relay_once(
    erp: &Erp,
    redis: &RedisLink,
    stream: &str,
    lease_key: &str,
    instance: &str,
    interval: Duration,
) -> anyhow::Result<usize> {
    // While Redis is down the breaker says so (once, in the log); the events wait.
    let Some(mut connection) = redis.connection().await else {
        return Ok(0);
    };
    let lease_ms = u64::try_from((interval * 10).as_millis())
        .unwrap_or(5_000)
        .max(1_000);
    // SET NX takes a free lease; a holder renews its own. Anyone else waits for it to expire.
    let taken: Option<String> = step(
        redis,
        COMMAND_TIMEOUT,
        redis::cmd("SET")
            .arg(lease_key)
            .arg(instance)
            .arg("NX")
            .arg("PX")
            .arg(lease_ms)
            .query_async(&mut connection),
    )
    .await?;
    if taken.is_none() {
        let holder: Option<String> = step(
            redis,
            COMMAND_TIMEOUT,
            redis::cmd("GET")
                .arg(lease_key)
                .query_async(&mut connection),
        )
        .await?;
        if holder.as_deref() != Some(instance) {
            return Ok(0);
        }
        let _: () = step(
            redis,
            COMMAND_TIMEOUT,
            redis::cmd("PEXPIRE")
                .arg(lease_key)
                .arg(lease_ms)
                .query_async(&mut connection),
        )
        .await?;
    }
    let system = Actor::system();
    let events = erp.unpublished_events(&system, BATCH).await?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut pipe = redis::pipe();
    for event in &events {
        pipe.cmd("XADD")
            .arg(stream)
            .arg("*")
            .arg("id")
            .arg(event.id.get())
            .arg("type")
            .arg(&event.event_type)
            .arg("aggregate_type")
            .arg(&event.aggregate_type)
            .arg("aggregate_id")
            .arg(event.aggregate_id)
            .arg("payload")
            .arg(&event.payload)
            .arg("occurred_at")
            .arg(event.occurred_at.to_rfc3339())
            .arg("actor")
            .arg(event.actor.map_or(String::new(), |a| a.to_string()))
            .ignore();
    }
    let _: () = step(
        redis,
        COMMAND_TIMEOUT * 4,
        pipe.query_async(&mut connection),
    )
    .await?;
    let ids: Vec<_> = events.iter().map(|e| e.id).collect();
    erp.mark_events_published(&system, &ids).await?;
    Ok(events.len())
}

/// One Redis step of the relay, bounded by `timeout`, its outcome fed to the link's breaker.
async fn step<T>(
    redis: &RedisLink,
    timeout: Duration,
    command: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(timeout, command).await {
        Ok(Ok(value)) => {
            redis.succeeded();
            Ok(value)
        }
        Ok(Err(error)) => {
            redis.failed(&error);
            Err(error.into())
        }
        Err(_) => {
            redis.failed(&"no answer in time");
            Err(anyhow::anyhow!("Redis gave no answer in time"))
        }
    }
}
