//! Timestamps.

use chrono::{DateTime, SubsecRound, Utc};

/// A point in time, UTC, with microsecond precision (what MySQL's `DATETIME(6)` keeps), so a value
/// read back from any backend equals the value written.
pub type Timestamp = DateTime<Utc>;

/// Where erp-core reads the time. Tests substitute a fixed or stepping clock.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock, truncated to microseconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now().trunc_subsecs(6)
    }
}
