//! Rate limits: GCRA (generic cell rate algorithm), atomic in Redis so every server instance
//! shares one budget per client, with an in-process twin while Redis is unreachable.
//!
//! A limit of `n` requests per minute lets a client spend `n` at once and then one every
//! `60/n` seconds. The state per key is one number, the "theoretical arrival time"; the Lua script
//! reads, decides and writes it in one step, using Redis's clock so instances need not agree on
//! time. Failed logins are counted by erp-core, in the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::redis_link::{COMMAND_TIMEOUT, RedisLink};

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The request may proceed.
    pub allowed: bool,
    /// The limit (requests per minute).
    pub limit: u32,
    /// Requests left in the current burst.
    pub remaining: u32,
    /// Milliseconds until the budget is whole again.
    pub reset_ms: u64,
    /// When refused: milliseconds until one request is allowed.
    pub retry_after_ms: u64,
}

/// GCRA in Lua. KEYS[1]: the key; ARGV: emission interval (µs), period (µs).
/// Returns {allowed, remaining, reset_us, retry_after_us}.
const GCRA_SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(period / 1000))
return {1, math.floor((period - (new_tat - now)) / interval), new_tat - now, 0}
"#;

/// The pure GCRA step, shared by the in-process fallback and the tests.
fn gcra(tat: Option<u64>, now: u64, interval: u64, period: u64) -> (Option<u64>, [u64; 4]) {
    let tat = tat.unwrap_or(now).max(now);
    let new_tat = tat + interval;
    let allow_at = new_tat.saturating_sub(period);
    if now < allow_at {
        return (None, [0, 0, tat - now, allow_at - now]);
    }
    let remaining = period.saturating_sub(new_tat - now) / interval.max(1);
    (Some(new_tat), [1, remaining, new_tat - now, 0])
}

/// Rate limits, in Redis when reachable, else in this process.
pub struct RateLimiter {
    redis: Option<Arc<RedisLink>>,
    prefix: String,
    gcra: redis::Script,
    started: Instant,
    local_tat: Mutex<HashMap<String, u64>>,
}

impl RateLimiter {
    /// A limiter using `redis` when given.
    pub fn new(redis: Option<Arc<RedisLink>>, prefix: &str) -> RateLimiter {
        RateLimiter {
            redis,
            prefix: prefix.to_string(),
            gcra: redis::Script::new(GCRA_SCRIPT),
            started: Instant::now(),
            local_tat: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one request of `key`'s budget of `per_minute`.
    pub async fn check(&self, key: &str, per_minute: u32) -> Decision {
        let per_minute = per_minute.max(1);
        let period_us: u64 = 60_000_000;
        let interval_us = period_us / u64::from(per_minute);
        let full_key = format!("{}:rl:{key}", self.prefix);
        let answer = match self.redis_answer(&full_key, interval_us, period_us).await {
            Some(answer) => answer,
            None => self.local_answer(&full_key, interval_us, period_us),
        };
        Decision {
            allowed: answer[0] == 1,
            limit: per_minute,
            remaining: u32::try_from(answer[1]).unwrap_or(u32::MAX),
            reset_ms: answer[2].div_ceil(1000),
            retry_after_ms: answer[3].div_ceil(1000),
        }
    }

    async fn redis_answer(&self, key: &str, interval: u64, period: u64) -> Option<[u64; 4]> {
        let link = self.redis.as_ref()?;
        let mut invocation = self.gcra.key(key);
        invocation.arg(interval).arg(period);
        let values = link
            .guard(COMMAND_TIMEOUT, |mut connection| async move {
                invocation.invoke_async::<Vec<i64>>(&mut connection).await
            })
            .await?;
        if values.len() != 4 {
            return None;
        }
        let mut answer = [0u64; 4];
        for (slot, value) in answer.iter_mut().zip(values) {
            *slot = u64::try_from(value).unwrap_or(0);
        }
        Some(answer)
    }

    fn local_answer(&self, key: &str, interval: u64, period: u64) -> [u64; 4] {
        let now = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut table = self.local_tat.lock().unwrap_or_else(|p| p.into_inner());
        // Forget keys whose budget is whole again, so the table does not grow without bound.
        if table.len() > 100_000 {
            table.retain(|_, tat| *tat > now);
        }
        let (new_tat, answer) = gcra(table.get(key).copied(), now, interval, period);
        if let Some(tat) = new_tat {
            table.insert(key.to_string(), tat);
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_allows_a_burst_of_the_limit_then_one_per_interval() {
        let (interval, period) = (1_000, 3_000); // 3 per "period"
        let mut tat = None;
        for expected_remaining in [2, 1, 0] {
            let (next, answer) = gcra(tat, 0, interval, period);
            assert_eq!(answer[0], 1);
            assert_eq!(answer[1], expected_remaining);
            tat = next;
        }
        let (next, answer) = gcra(tat, 0, interval, period);
        assert_eq!(next, None);
        assert_eq!(answer[0], 0);
        assert_eq!(answer[3], 1_000, "retry when one interval has passed");
        let (_, answer) = gcra(tat, 1_000, interval, period);
        assert_eq!(answer[0], 1);
    }

    #[tokio::test]
    async fn local_limiter_refuses_past_the_budget_and_reports_headers() {
        let limiter = RateLimiter::new(None, "test");
        for _ in 0..5 {
            assert!(limiter.check("ip:1", 5).await.allowed);
        }
        let refused = limiter.check("ip:1", 5).await;
        assert!(!refused.allowed);
        assert!(refused.retry_after_ms > 0 && refused.retry_after_ms <= 12_000);
        assert!(
            limiter.check("ip:2", 5).await.allowed,
            "budgets are per key"
        );
    }
}
