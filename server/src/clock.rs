//! Where the server reads the time. Owns the `Clock` trait and its three clocks: the system
//! clock, a manual clock tests advance by hand, and an accelerated clock that runs minutes in
//! milliseconds for demos. Must never be bypassed: no other module reads the system time for
//! anything the SLA or an event depends on.

use jiff::{SignedDuration, Timestamp};
use std::sync::Mutex;
use std::time::Instant;

/// A source of "now".
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until it is advanced. For tests.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward (or back, for a negative duration).
    pub fn advance(&self, by: SignedDuration) {
        let mut guard = match self.now.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = guard.checked_add(by).unwrap_or(*guard);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        match self.now.lock() {
            Ok(g) => *g,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

/// A clock that runs `factor` times faster than the wall clock from the moment it was made.
/// With factor 60,000 a minute passes in a millisecond.
#[derive(Debug)]
pub struct AcceleratedClock {
    origin: Timestamp,
    started: Instant,
    factor: u32,
}

impl AcceleratedClock {
    pub fn new(factor: u32) -> Self {
        AcceleratedClock {
            origin: Timestamp::now(),
            started: Instant::now(),
            factor: factor.max(1),
        }
    }
}

impl Clock for AcceleratedClock {
    fn now(&self) -> Timestamp {
        let real = self.started.elapsed();
        let nanos = real.as_nanos().saturating_mul(u128::from(self.factor));
        let secs = i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX / 4);
        let sub = i32::try_from(nanos % 1_000_000_000).unwrap_or(0);
        let d = SignedDuration::new(secs.min(100 * 365 * 86_400), sub);
        self.origin.checked_add(d).unwrap_or(self.origin)
    }
}

/// Milliseconds since the epoch, as stored in the database.
pub fn millis(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

/// The inverse of [`millis`]; out-of-range values read as the epoch.
pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}
