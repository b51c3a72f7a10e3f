//! A failure that every request meets while a dependency is down (the database refusing
//! connections, a contended row) would otherwise write one log line per request: thousands a
//! minute that bury everything else. It is logged the first time, then at most once per period,
//! saying how many occurrences the log left out in between. Every request still gets its answer
//! and its request-log line; only the repeated diagnosis is thinned.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One kind of repeated failure.
pub struct Throttled {
    period: Duration,
    /// When it was last logged, and how many occurrences were left out since.
    state: Mutex<Option<(Instant, u64)>>,
}

impl Throttled {
    pub const fn new(period: Duration) -> Throttled {
        Throttled {
            period,
            state: Mutex::new(None),
        }
    }

    /// Whether to log this occurrence, and if so how many were left out since the last line.
    pub fn admit(&self) -> Option<u64> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> Option<u64> {
        // A poisoned lock only means another thread panicked mid-update: log rather than lose it.
        let Ok(mut state) = self.state.lock() else {
            return Some(0);
        };
        match *state {
            Some((last, left_out)) if now.saturating_duration_since(last) < self.period => {
                *state = Some((last, left_out + 1));
                None
            }
            Some((_, left_out)) => {
                *state = Some((now, 0));
                Some(left_out)
            }
            None => {
                *state = Some((now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_is_logged_then_one_per_period_with_the_count_left_out() {
        let throttled = Throttled::new(Duration::from_secs(10));
        let start = Instant::now();
        assert_eq!(throttled.admit_at(start), Some(0));
        for ms in [1, 500, 9_999] {
            assert_eq!(throttled.admit_at(start + Duration::from_millis(ms)), None);
        }
        assert_eq!(
            throttled.admit_at(start + Duration::from_secs(10)),
            Some(3),
            "three left out since the first line"
        );
        assert_eq!(throttled.admit_at(start + Duration::from_secs(11)), None);
        assert_eq!(throttled.admit_at(start + Duration::from_secs(25)), Some(1));
    }
}
