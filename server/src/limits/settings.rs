//! The platform's limits as settings: every timeout, cap and rate the server enforces, with
//! defaults sized for a county (276,000 registered users, many behind one carrier NAT) and an
//! environment variable for each. Owns the values and their parsing only; must never refuse to
//! start over a badly written value (it warns and keeps the default).

use std::time::Duration;

/// A token bucket's rate: `per_second` tokens come back each second, up to `burst`.
/// `per_second == 0` switches the bucket off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    pub const OFF: Rate = Rate {
        per_second: 0.0,
        burst: 0.0,
    };

    pub const fn new(per_second: f64, burst: f64) -> Rate {
        Rate { per_second, burst }
    }

    pub fn is_off(&self) -> bool {
        self.per_second <= 0.0
    }

    /// `"20/200"` (20 a second, bursts of 200), `"20"` (burst = rate) or `"off"`/`"0"`.
    pub fn parse(text: &str) -> Option<Rate> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Some(Rate::OFF);
        }
        let (rate, burst) = match text.split_once('/') {
            Some((r, b)) => (r.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?),
            None => {
                let r = text.parse::<f64>().ok()?;
                (r, r)
            }
        };
        let sane = rate.is_finite() && burst.is_finite() && rate >= 0.0 && burst >= 1.0;
        if rate == 0.0 {
            return Some(Rate::OFF);
        }
        sane.then_some(Rate::new(rate, burst))
    }
}

/// Every limit (see the README's "Limits" table for the environment variables).
#[derive(Debug, Clone)]
pub struct Limits {
    /// The whole request head must arrive within this; hyper starts the same clock when a
    /// kept-alive connection waits for its next request, so it is also the idle keep-alive.
    pub header_read: Duration,
    /// Longest wait for the next piece of a request body (per chunk, not for the whole body:
    /// a slow upload that keeps sending is never cut).
    pub body_chunk: Duration,
    /// Longest time from a complete request head to the answer's head (503 `timeout`).
    pub handler: Duration,
    /// Open connections from one client address (more: refused with 503 at once).
    pub connections_per_address: usize,
    /// Open live streams of one user (one more closes the user's oldest).
    pub streams_per_user: usize,
    /// Chunk uploads of one user running at the same time (more: 429).
    pub uploads_per_user: usize,
    /// How often an idle live stream sends a keep-alive comment.
    pub stream_keep_alive: Duration,
    /// Writes waiting for the database writer from which villagers' and anonymous writes are
    /// shed (503 `busy`); staff writes are never shed.
    pub shed_write_queue: usize,
    /// Requests without a session, per client address (sign-in, catalog).
    pub anonymous_per_address: Rate,
    /// Villagers' requests per client address (all villagers behind one address together).
    pub villagers_per_address: Rate,
    /// One villager's requests.
    pub per_villager: Rate,
    /// One manager's or administrator's requests (their own buckets: never starved by villagers).
    pub per_staff: Rate,
    /// The supervision pages (`/admin/`) per client address.
    pub admin_pages_per_address: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            body_chunk: Duration::from_secs(30),
            handler: Duration::from_secs(60),
            connections_per_address: 1_000,
            streams_per_user: 4,
            uploads_per_user: 4,
            stream_keep_alive: Duration::from_secs(15),
            shed_write_queue: 1_000,
            anonymous_per_address: Rate::new(20.0, 100.0),
            villagers_per_address: Rate::new(500.0, 2_000.0),
            per_villager: Rate::new(20.0, 200.0),
            per_staff: Rate::new(200.0, 2_000.0),
            admin_pages_per_address: Rate::new(50.0, 500.0),
        }
    }
}

fn env_secs(name: &str, default: Duration) -> Duration {
    match std::env::var(name) {
        Ok(v) => match v.trim().parse::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 => Duration::from_secs_f64(s),
            _ => {
                tracing::warn!(
                    setting = name,
                    "not a positive number of seconds; default kept"
                );
                default
            }
        },
        Err(_) => default,
    }
}

fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.trim().parse::<usize>().unwrap_or_else(|_| {
            tracing::warn!(setting = name, "not a whole number; default kept");
            default
        }),
        Err(_) => default,
    }
}

fn env_rate(name: &str, default: Rate) -> Rate {
    match std::env::var(name) {
        Ok(v) => Rate::parse(&v).unwrap_or_else(|| {
            tracing::warn!(
                setting = name,
                "not RATE/BURST (e.g. 20/200) or off; default kept"
            );
            default
        }),
        Err(_) => default,
    }
}

impl Limits {
    /// The defaults, each overridden by its `HUOSHUI_…` environment variable when set.
    pub fn from_env() -> Limits {
        let d = Limits::default();
        Limits {
            header_read: env_secs("HUOSHUI_HEADER_TIMEOUT_SECS", d.header_read),
            body_chunk: env_secs("HUOSHUI_BODY_CHUNK_TIMEOUT_SECS", d.body_chunk),
            handler: env_secs("HUOSHUI_HANDLER_TIMEOUT_SECS", d.handler),
            connections_per_address: env_count(
                "HUOSHUI_MAX_CONNECTIONS_PER_ADDRESS",
                d.connections_per_address,
            ),
            streams_per_user: env_count("HUOSHUI_MAX_STREAMS_PER_USER", d.streams_per_user),
            uploads_per_user: env_count("HUOSHUI_MAX_UPLOADS_PER_USER", d.uploads_per_user),
            stream_keep_alive: env_secs("HUOSHUI_STREAM_KEEPALIVE_SECS", d.stream_keep_alive),
            shed_write_queue: env_count("HUOSHUI_SHED_WRITE_QUEUE", d.shed_write_queue),
            anonymous_per_address: env_rate(
                "HUOSHUI_RATE_ANONYMOUS_PER_ADDRESS",
                d.anonymous_per_address,
            ),
            villagers_per_address: env_rate(
                "HUOSHUI_RATE_VILLAGERS_PER_ADDRESS",
                d.villagers_per_address,
            ),
            per_villager: env_rate("HUOSHUI_RATE_PER_VILLAGER", d.per_villager),
            per_staff: env_rate("HUOSHUI_RATE_PER_STAFF", d.per_staff),
            admin_pages_per_address: env_rate(
                "HUOSHUI_RATE_ADMIN_PAGES_PER_ADDRESS",
                d.admin_pages_per_address,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_rate_reads_as_rate_and_burst_or_off() {
        assert_eq!(Rate::parse("20/200"), Some(Rate::new(20.0, 200.0)));
        assert_eq!(Rate::parse(" 5 "), Some(Rate::new(5.0, 5.0)));
        assert_eq!(Rate::parse("off"), Some(Rate::OFF));
        assert_eq!(Rate::parse("0"), Some(Rate::OFF));
        assert_eq!(Rate::parse("fast"), None);
        assert_eq!(Rate::parse("-1/5"), None);
        assert_eq!(Rate::parse("5/0"), None);
    }
}
