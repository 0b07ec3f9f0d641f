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

/// A clock that runs `factor` times faster than the wall clock. With factor 60,000 a minute
/// passes in a millisecond. Made with [`AcceleratedClock::new`] it starts at the moment it was
/// made (one process alone); made with [`AcceleratedClock::anchored`] it is a function of the
/// wall clock and a shared epoch, so every process on the machine (several nodes, a node
/// restarted after a crash) reads the same accelerated "now".
#[derive(Debug)]
pub struct AcceleratedClock {
    origin: Timestamp,
    /// `Some`: the process's own start (monotonic); `None`: the wall clock since `origin`.
    started: Option<Instant>,
    factor: u32,
}

/// At most a century of accelerated time, so the sum never overflows a timestamp.
const MAX_AHEAD_SECONDS: i64 = 100 * 365 * 86_400;

impl AcceleratedClock {
    pub fn new(factor: u32) -> Self {
        AcceleratedClock {
            origin: Timestamp::now(),
            started: Some(Instant::now()),
            factor: factor.max(1),
        }
    }

    /// A clock anchored at `epoch`: now = epoch + (wall clock − epoch) × factor. Two clocks
    /// with the same epoch and factor agree whenever they were made. Before the epoch (a wall
    /// clock behind it) the clock reads the epoch.
    pub fn anchored(factor: u32, epoch: Timestamp) -> Self {
        AcceleratedClock {
            origin: epoch,
            started: None,
            factor: factor.max(1),
        }
    }

    /// The real time elapsed since the origin, in nanoseconds (never negative).
    fn real_nanos(&self) -> u128 {
        match self.started {
            Some(started) => started.elapsed().as_nanos(),
            None => {
                let since = Timestamp::now().duration_since(self.origin);
                u128::try_from(since.as_nanos()).unwrap_or(0)
            }
        }
    }
}

impl Clock for AcceleratedClock {
    fn now(&self) -> Timestamp {
        let nanos = self.real_nanos().saturating_mul(u128::from(self.factor));
        let secs = i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX / 4);
        let sub = i32::try_from(nanos % 1_000_000_000).unwrap_or(0);
        let d = SignedDuration::new(secs.min(MAX_AHEAD_SECONDS), sub);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::time::Duration;

    const FACTOR: u32 = 1_000;

    #[test]
    fn two_nodes_anchored_at_one_epoch_agree_though_started_apart() {
        let epoch = Timestamp::now();
        let first = AcceleratedClock::anchored(FACTOR, epoch);
        std::thread::sleep(Duration::from_millis(30));
        let second = AcceleratedClock::anchored(FACTOR, epoch);
        // Read first, second, first: the second node's now lies between the first's two.
        let before = first.now();
        let other = second.now();
        let after = first.now();
        assert!(
            before <= other && other <= after,
            "{before} {other} {after}"
        );
        // Each ran 30 ms × 1,000 = 30 s at least since the epoch.
        assert!(other.duration_since(epoch) >= SignedDuration::from_secs(30));
    }

    #[test]
    fn clocks_started_apart_without_an_epoch_disagree_by_the_gap_times_the_factor() {
        let first = AcceleratedClock::new(FACTOR);
        std::thread::sleep(Duration::from_millis(30));
        let second = AcceleratedClock::new(FACTOR);
        // The second read first: the first clock is still ahead by the 30 ms gap × 1,000.
        let later_started = second.now();
        let skew = first.now().duration_since(later_started);
        assert!(skew >= SignedDuration::from_secs(30), "skew {skew}");
    }

    #[test]
    fn a_restarted_node_continues_the_timeline_where_it_stood() {
        let epoch = Timestamp::now();
        let before_kill = AcceleratedClock::anchored(FACTOR, epoch).now();
        std::thread::sleep(Duration::from_millis(20));
        let restarted = AcceleratedClock::anchored(FACTOR, epoch).now();
        assert!(restarted.duration_since(before_kill) >= SignedDuration::from_secs(20));
    }

    #[test]
    fn an_epoch_ahead_of_the_wall_clock_reads_the_epoch() {
        let ahead = Timestamp::now() + SignedDuration::from_hours(1);
        assert_eq!(AcceleratedClock::anchored(FACTOR, ahead).now(), ahead);
    }
}
