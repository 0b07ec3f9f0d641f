//! The calendar of a loan: the month-end rule that dates every period, day counts between
//! dates, and the ways a date is written for a villager (Chinese first) and for machines (ISO).
//! Owns only date arithmetic on `jiff::civil::Date`; must never read a clock.

use super::RepaymentError;
use jiff::civil::Date;

/// The month-end rule (月末规则): the date `months` months after `start`, with a day that the
/// target month lacks becoming that month's last day. Disbursed on 31 January 2027: one month
/// → 28 February 2027, two → 31 March, three → 30 April; disbursed 31 January 2028 → 29
/// February 2028. A plan's due date k is always `due_date(disbursed_on, k × interval)`, never
/// the previous due date plus an interval (so a short February does not pull every later
/// date to the 28th).
pub fn due_date(start: Date, months: u32) -> Result<Date, RepaymentError> {
    let index = i64::from(start.year()) * 12 + i64::from(start.month()) - 1 + i64::from(months);
    let year = i16::try_from(index.div_euclid(12)).map_err(|_| RepaymentError::DateOutOfRange)?;
    let month =
        i8::try_from(index.rem_euclid(12) + 1).map_err(|_| RepaymentError::DateOutOfRange)?;
    let first = Date::new(year, month, 1).map_err(|_| RepaymentError::DateOutOfRange)?;
    let day = start.day().min(first.days_in_month());
    Date::new(year, month, day).map_err(|_| RepaymentError::DateOutOfRange)
}

/// Days from `from` to `to` (negative when `to` is earlier). Never fails for civil dates.
pub fn days_between(from: Date, to: Date) -> i64 {
    from.until(to).map_or(0, |span| i64::from(span.get_days()))
}

/// `date` moved by `days` days, or `None` outside the calendar.
pub fn add_days(date: Date, days: i64) -> Option<Date> {
    let span = jiff::Span::new().try_days(days).ok()?;
    date.checked_add(span).ok()
}

/// `2027年2月28日`: a date as a villager reads it.
pub fn date_zh(date: Date) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// `2月28日`: a date within the year, for reminders and short lists.
pub fn month_day_zh(date: Date) -> String {
    format!("{}月{}日", date.month(), date.day())
}

/// `2027-02-28`: the ISO 8601 form, for JSON and the wire.
pub fn date_iso(date: Date) -> String {
    date.to_string()
}

/// `28 Feb 2027`: the English form.
pub fn date_en(date: Date) -> String {
    format!("{} {}", month_day_en(date), date.year())
}

/// `28 Feb`: the English form within the year.
pub fn month_day_en(date: Date) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = usize::try_from(date.month() - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .copied()
        .unwrap_or("");
    format!("{} {name}", date.day())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_last_day_of_a_short_month_stands_in_for_a_missing_day() {
        let jan31 = date(2027, 1, 31);
        assert_eq!(due_date(jan31, 1).unwrap(), date(2027, 2, 28));
        assert_eq!(due_date(jan31, 2).unwrap(), date(2027, 3, 31));
        assert_eq!(due_date(jan31, 3).unwrap(), date(2027, 4, 30));
        assert_eq!(due_date(date(2028, 1, 31), 1).unwrap(), date(2028, 2, 29));
        assert_eq!(due_date(jan31, 0).unwrap(), jan31);
        assert_eq!(due_date(date(2027, 11, 15), 14).unwrap(), date(2029, 1, 15));
    }

    #[test]
    fn a_date_past_the_calendar_is_an_error_not_a_panic() {
        assert_eq!(
            due_date(date(9999, 6, 1), 12),
            Err(RepaymentError::DateOutOfRange)
        );
    }

    #[test]
    fn dates_read_in_chinese_english_and_iso() {
        let d = date(2027, 2, 28);
        assert_eq!(date_zh(d), "2027年2月28日");
        assert_eq!(month_day_zh(d), "2月28日");
        assert_eq!(date_iso(d), "2027-02-28");
        assert_eq!(date_en(d), "28 Feb 2027");
        assert_eq!(days_between(date(2027, 1, 31), d), 28);
        assert_eq!(days_between(d, date(2027, 1, 31)), -28);
        assert_eq!(add_days(d, 1), Some(date(2027, 3, 1)));
    }
}
