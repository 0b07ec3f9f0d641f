//! China's time: UTC+8 all year (no daylight saving), the zone every date of a loan, a
//! reminder or a screen is a day in. Owns that one fact for the core, the server and the CLI.
//! Must never read the clock: "now" always comes in as a value.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};

/// China Standard Time's distance from UTC.
pub const OFFSET: Offset = Offset::constant(8);

/// [`OFFSET`] in milliseconds (for day arithmetic on epoch milliseconds).
pub const OFFSET_MS: i64 = 8 * 3_600_000;

/// China Standard Time as a time zone.
pub fn time_zone() -> TimeZone {
    TimeZone::fixed(OFFSET)
}

/// The day in China at `at`.
pub fn date(at: Timestamp) -> Date {
    OFFSET.to_datetime(at).date()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn four_in_the_afternoon_utc_is_already_the_next_day_in_china() {
        let at: Timestamp = "2027-01-31T16:00:00Z".parse().unwrap();
        assert_eq!(date(at), jiff::civil::date(2027, 2, 1));
        let before: Timestamp = "2027-01-31T15:59:59Z".parse().unwrap();
        assert_eq!(date(before), jiff::civil::date(2027, 1, 31));
        assert_eq!(
            i64::from(OFFSET.seconds()) * 1000,
            OFFSET_MS,
            "the two forms of the offset agree"
        );
        assert_eq!(time_zone().to_offset(at), OFFSET);
    }
}
