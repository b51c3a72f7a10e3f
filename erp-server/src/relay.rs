//! The outbox relay: publishes committed domain events to the Redis Stream `<prefix>:events`.
//!
//! The outbox table is the source of truth. Every tick the relay reads events no relay has
//! published yet, XADDs them (fields: `id`, `type`, `aggregate_type`, `aggregate_id`, `payload`,
//! `occurred_at`, `actor`), then marks them published. A crash between the two steps publishes an
//! event again on the next tick: delivery is at least once, and consumers de-duplicate on `id`.
//! With several server instances, a short lease in Redis (`<prefix>:relay:lease`) lets one relay
//! at a time; if Redis is down nothing is relayed and the events wait.
//!
//! Neither store grows without bound: each XADD trims the stream to about the configured length,
//! and the lease holder deletes published events older than the retention from the outbox now
//! and then, in bounded batches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use erp_core::{Actor, Erp};

use crate::config::RelaySettings;
use crate::redis_link::{COMMAND_TIMEOUT, RedisLink};

/// Events relayed per tick at most.
const BATCH: u32 = 200;
/// Expired outbox rows deleted per unit of work, and units of work per purge: a purge never holds
/// locks for long, and one that finds a large backlog leaves the rest for the next time.
const PURGE_BATCH: u32 = 1_000;
const PURGE_BATCHES: u32 = 20;

/// Takes the lease when it is free, renews it when `ARGV[1]` already holds it, and refuses
/// otherwise, all in one step on the Redis server: between reading the holder and extending it
/// nobody else can take the lease, which separate GET and PEXPIRE commands could not promise.
const TAKE_OR_RENEW: &str = r"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
if not holder then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
end
return 0
";

/// Gives the lease up if `ARGV[1]` still holds it (and only then: a lease that expired and was
/// taken by another relay stays theirs).
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
";

/// A relay's claim on the right to publish, held in one Redis key with an expiry.
pub struct Lease {
    key: String,
    holder: String,
    script: redis::Script,
    release: redis::Script,
}

impl Lease {
    /// The lease at `key`, claimed under the name `holder` (unique per relay).
    pub fn new(key: impl Into<String>, holder: impl Into<String>) -> Lease {
        Lease {
            key: key.into(),
            holder: holder.into(),
            script: redis::Script::new(TAKE_OR_RENEW),
            release: redis::Script::new(RELEASE),
        }
    }

    /// Takes the lease for `ttl` if it is free or already ours; `false` while another holds it.
    pub async fn take_or_renew(
        &self,
        connection: &mut impl redis::aio::ConnectionLike,
        ttl: Duration,
    ) -> redis::RedisResult<bool> {
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let granted: i64 = self
            .script
            .key(&self.key)
            .arg(&self.holder)
            .arg(ttl_ms)
            .invoke_async(connection)
            .await?;
        Ok(granted == 1)
    }

    /// Gives the lease up if this relay holds it; `true` if it did. A relay that stops releases
    /// its lease so another server's relay takes over at its next tick, not when the lease expires.
    pub async fn release(
        &self,
        connection: &mut impl redis::aio::ConnectionLike,
    ) -> redis::RedisResult<bool> {
        let released: i64 = self
            .release
            .key(&self.key)
            .arg(&self.holder)
            .invoke_async(connection)
            .await?;
        Ok(released == 1)
    }
}

/// What one pass did.
struct Pass {
    /// This relay held the lease.
    held: bool,
    published: usize,
}

/// Runs until `shutdown` resolves.
pub async fn run(
    erp: Erp,
    redis: Arc<RedisLink>,
    settings: RelaySettings,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut instance = [0u8; 8];
    let _ = getrandom::getrandom(&mut instance);
    let instance: String = instance.iter().map(|b| format!("{b:02x}")).collect();
    let lease = Lease::new(format!("{}:relay:lease", settings.prefix), instance);
    let stream = format!("{}:events", settings.prefix);
    let interval = settings.interval;
    let mut backoff = interval;
    let mut last_purge: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => break,
        }
        match relay_once(&erp, &redis, &stream, &lease, &settings).await {
            Ok(pass) => {
                if pass.published > 0 {
                    tracing::debug!(published = pass.published, "relayed events");
                }
                backoff = if pass.published == BATCH as usize {
                    Duration::ZERO
                } else {
                    interval
                };
                // Only the lease holder purges, so instances do not compete for the same rows.
                if pass.held && last_purge.is_none_or(|at| at.elapsed() >= settings.purge_interval)
                {
                    last_purge = Some(Instant::now());
                    purge(&erp, settings.retention).await;
                }
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
        if *shutdown.borrow() {
            break;
        }
    }
    // Handed back so that another server's relay takes over at its next tick, not when the lease
    // expires.
    let released = redis
        .guard(COMMAND_TIMEOUT, |mut connection| async move {
            lease.release(&mut connection).await
        })
        .await;
    if released == Some(true) {
        tracing::debug!("event relay stopped and gave up its lease");
    }
}

/// Deletes the published events past their retention; a failure waits for the next purge.
async fn purge(erp: &Erp, retention: Duration) {
    match erp
        .delete_published_events(&Actor::system(), retention, PURGE_BATCH, PURGE_BATCHES)
        .await
    {
        Ok(0) => {}
        Ok(deleted) => tracing::debug!(deleted, "deleted published events past their retention"),
        Err(error) => tracing::warn!(%error, "deleting old published events failed"),
    }
}

/// One pass: take or renew the lease, publish a batch, mark it.
async fn relay_once(
    erp: &Erp,
    redis: &RedisLink,
    stream: &str,
    lease: &Lease,
    settings: &RelaySettings,
) -> anyhow::Result<Pass> {
    let idle = Pass {
        held: false,
        published: 0,
    };
    // While Redis is down the breaker says so (once, in the log); the events wait.
    let Some(mut connection) = redis.connection().await else {
        return Ok(idle);
    };
    let lease_ttl = (settings.interval * 10).max(Duration::from_secs(1));
    let renewed_at = Instant::now();
    if !step(
        redis,
        COMMAND_TIMEOUT,
        lease.take_or_renew(&mut connection, lease_ttl),
    )
    .await?
    {
        return Ok(idle);
    }
    let held = Pass {
        held: true,
        published: 0,
    };
    let system = Actor::system();
    let events = erp.unpublished_events(&system, BATCH).await?;
    if events.is_empty() {
        return Ok(held);
    }
    // A slow database read may have eaten into the lease; publish only while well inside it, so
    // a relay that may have lost the lease meanwhile does not publish next to its successor.
    if renewed_at.elapsed() > lease_ttl / 2 {
        return Ok(held);
    }
    let mut pipe = redis::pipe();
    for event in &events {
        let add = pipe.cmd("XADD").arg(stream);
        if settings.stream_max_len > 0 {
            // `~` lets Redis trim whole nodes only: cheap, and the stream stays near the length.
            add.arg("MAXLEN").arg("~").arg(settings.stream_max_len);
        }
        add.arg("*")
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
    Ok(Pass {
        held: true,
        published: events.len(),
    })
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
