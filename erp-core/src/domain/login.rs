//! How failed logins slow down the next ones.
//!
//! Failures are counted per (typed username, client address) and per client address, never per
//! user: a count per user would let anyone lock a real user out from anywhere, and a throttle
//! that only existing users reach tells a guesser which names exist. The typed name is counted
//! whether or not such a user exists, so an unknown name is throttled exactly like a known one.
//! Every attempt is counted as a failure before its password is checked, under the counters' row
//! locks, and given back when the password was right: parallel guesses are counted one after
//! another and cannot all pass a check that none of them has yet updated.

use chrono::Duration;

use super::{Timestamp, Username};

/// Failures older than this, with none since, are forgotten.
pub const FORGET_FAILURES_AFTER: Duration = Duration::minutes(15);

/// The address used for logins made on this machine (the till), which have no client address.
pub const LOCAL_ADDRESS: &str = "local";

/// The longest address kept; longer ones (no IP address is) are cut.
const MAX_ADDRESS_CHARS: usize = 64;

/// The username of the per-address counter: no typed name maps to it.
const WHOLE_ADDRESS: &str = "";

/// Limits on failed logins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failed logins from one client address (whatever the usernames) after which that address
    /// waits until [`FORGET_FAILURES_AFTER`] has passed since its last failure. 0: no limit.
    pub failures_per_address: u32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            failures_per_address: 20,
        }
    }
}

/// Which counter: a typed username from an address, or an address as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LoginKey {
    /// The client address (or [`LOCAL_ADDRESS`]).
    pub address: String,
    /// The typed username, normalised when it is a valid one; empty for the whole address.
    pub username: String,
}

impl LoginKey {
    /// The counter of `typed` (as typed at login) from `address`.
    pub fn for_user(typed: &str, address: &str) -> LoginKey {
        let username = match Username::parse(typed) {
            Ok(name) => name.as_str().to_string(),
            // Never a valid name (those have no `?`), never empty; cut to the column's width.
            Err(_) => std::iter::once('?')
                .chain(typed.trim().to_lowercase().chars().take(31))
                .collect(),
        };
        LoginKey {
            address: clean_address(address),
            username,
        }
    }

    /// The counter of every login from `address`.
    pub fn for_address(address: &str) -> LoginKey {
        LoginKey {
            address: clean_address(address),
            username: WHOLE_ADDRESS.to_string(),
        }
    }
}

fn clean_address(address: &str) -> String {
    address.trim().chars().take(MAX_ADDRESS_CHARS).collect()
}

/// A count of failed logins, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginFailures {
    /// Whose.
    pub key: LoginKey,
    /// Failures since the last success (or since they were forgotten).
    pub failures: u32,
    /// The latest.
    pub last_failure_at: Option<Timestamp>,
}

impl LoginFailures {
    /// No failures.
    pub fn none(key: LoginKey) -> LoginFailures {
        LoginFailures {
            key,
            failures: 0,
            last_failure_at: None,
        }
    }

    /// The failures that still count at `now`.
    pub fn current(&self, now: Timestamp) -> u32 {
        match self.last_failure_at {
            Some(last) if now - last < FORGET_FAILURES_AFTER => self.failures,
            _ => 0,
        }
    }

    /// For a username from an address: seconds to wait before the next try, if any
    /// ([`login_delay_secs`] after the last failure).
    pub fn user_wait(&self, now: Timestamp) -> Option<u64> {
        let delay = login_delay_secs(self.current(now));
        self.wait_until(now, Duration::seconds(i64::try_from(delay).unwrap_or(300)))
    }

    /// For an address as a whole: seconds to wait once it has `limit` failures (until they are
    /// forgotten).
    pub fn address_wait(&self, now: Timestamp, limit: u32) -> Option<u64> {
        if limit == 0 || self.current(now) < limit {
            return None;
        }
        self.wait_until(now, FORGET_FAILURES_AFTER)
    }

    fn wait_until(&self, now: Timestamp, after_last: Duration) -> Option<u64> {
        let until = self.last_failure_at? + after_last;
        if until <= now {
            return None;
        }
        // Whole seconds, rounded up, so a client that waits that long is let in.
        let millis = (until - now).num_milliseconds();
        u64::try_from((millis + 999) / 1000).ok()
    }

    /// Counts one more failure at `now`.
    pub fn add_failure(&mut self, now: Timestamp) {
        self.failures = self.current(now).saturating_add(1);
        self.last_failure_at = Some(now);
    }

    /// Takes back one failure (an attempt that turned out right, or was never tried).
    pub fn take_back_one(&mut self) {
        self.failures = self.failures.saturating_sub(1);
    }
}

/// How long a username must wait after `failed_logins` consecutive failures from one address:
/// nothing for the first three, then 1 s doubling up to 5 minutes.
pub fn login_delay_secs(failed_logins: u32) -> u64 {
    if failed_logins < 3 {
        0
    } else {
        (1u64 << (failed_logins - 3).min(16)).min(300)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn at(secs: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap() + Duration::seconds(secs)
    }

    #[test]
    fn login_delay_grows_and_is_capped() {
        assert_eq!(login_delay_secs(2), 0);
        assert_eq!(login_delay_secs(3), 1);
        assert_eq!(login_delay_secs(5), 4);
        assert_eq!(login_delay_secs(40), 300);
    }

    #[test]
    fn a_user_waits_after_three_failures_and_they_are_forgotten_after_a_quiet_while() {
        let mut count = LoginFailures::none(LoginKey::for_user("ana", "10.0.0.1"));
        for second in 0..3 {
            assert_eq!(count.user_wait(at(second)), None);
            count.add_failure(at(second));
        }
        assert_eq!(count.user_wait(at(2)), Some(1));
        assert_eq!(count.user_wait(at(3)), None);
        count.add_failure(at(3));
        assert_eq!(count.user_wait(at(3)), Some(2));
        // A wrong try every few minutes no longer keeps the count growing for good.
        assert_eq!(count.current(at(3 + 15 * 60)), 0);
        assert_eq!(count.user_wait(at(3 + 15 * 60)), None);
    }

    #[test]
    fn an_address_waits_once_it_reaches_its_limit() {
        let mut count = LoginFailures::none(LoginKey::for_address("10.0.0.1"));
        count.add_failure(at(0));
        assert_eq!(count.address_wait(at(0), 2), None);
        count.add_failure(at(10));
        assert_eq!(count.address_wait(at(10), 2), Some(15 * 60));
        assert_eq!(count.address_wait(at(10), 0), None, "0 means no limit");
        assert_eq!(count.address_wait(at(10 + 15 * 60), 2), None);
    }

    #[test]
    fn keys_never_confuse_names_with_the_whole_address() {
        assert_eq!(LoginKey::for_user(" Ana ", "h").username, "ana");
        assert_eq!(LoginKey::for_user("", "h").username, "?");
        assert_eq!(LoginKey::for_user("bad name!", "h").username, "?bad name!");
        assert_eq!(LoginKey::for_address("h").username, "");
        assert_eq!(LoginKey::for_user(&"x".repeat(99), "h").username.len(), 32);
    }
}
