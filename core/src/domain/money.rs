//! Money and rates as integers, and every rounding rule by name.
//!
//! Amounts are integer fen (`i64`, 1 CNY = 100 fen). Annual rates are integer parts per
//! million (`ppm`): 4.5 % a year is `45_000`. Nothing here uses floating point except the
//! conversions meant for display and for the APR search.

use serde::{Deserialize, Serialize};

/// An amount of money in fen (分). 1 yuan = 100 fen.
pub type Fen = i64;

/// An annual rate in parts per million: 1 % = 10_000 ppm.
pub type RatePpm = i64;

/// Fen per yuan.
pub const FEN_PER_YUAN: Fen = 100;
/// Parts per million in one percent.
pub const PPM_PER_PERCENT: RatePpm = 10_000;
/// Parts per million in the whole (100 %).
pub const PPM_ONE: RatePpm = 1_000_000;

/// The named ways to round a quotient to a whole fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 四舍五入: half away from zero. The county's default for every amount.
    #[default]
    HalfUp,
    /// Toward zero (truncate), used where a bank says it never charges a part fen.
    Down,
    /// Away from zero, used where a cap must never be exceeded by rounding the other way.
    Up,
}

impl Rounding {
    /// `numerator / denominator` rounded by this rule. `denominator` must not be zero;
    /// a zero denominator yields 0 rather than a panic.
    pub fn div(self, numerator: i128, denominator: i128) -> i128 {
        if denominator == 0 {
            return 0;
        }
        let (n, d) = if denominator < 0 {
            (-numerator, -denominator)
        } else {
            (numerator, denominator)
        };
        let q = n / d;
        let r = n % d;
        if r == 0 {
            return q;
        }
        let away = if n < 0 { q - 1 } else { q + 1 };
        match self {
            Rounding::Down => q,
            Rounding::Up => away,
            Rounding::HalfUp => {
                if 2 * r.abs() >= d {
                    away
                } else {
                    q
                }
            }
        }
    }
}

/// `amount × ppm / 1_000_000 × months / 12`, rounded once by `rounding`: the interest of
/// `months` months at an annual rate (月利率 = 年利率 / 12).
pub fn interest_for_months(amount: Fen, annual: RatePpm, months: u32, rounding: Rounding) -> Fen {
    let n = i128::from(amount) * i128::from(annual) * i128::from(months);
    clamp_i64(rounding.div(n, i128::from(PPM_ONE) * 12))
}

/// `amount × ppm / 1_000_000 × days / basis`, rounded once: daily interest with a 360 or
/// 365 day count.
pub fn interest_for_days(
    amount: Fen,
    annual: RatePpm,
    days: u32,
    basis: u32,
    rounding: Rounding,
) -> Fen {
    let n = i128::from(amount) * i128::from(annual) * i128::from(days);
    clamp_i64(rounding.div(n, i128::from(PPM_ONE) * i128::from(basis)))
}

/// Saturates an `i128` into `i64` (amounts that large are refused before they get here).
pub fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// Whole yuan to fen, refusing overflow.
pub fn yuan_to_fen(yuan: i64) -> Option<Fen> {
    yuan.checked_mul(FEN_PER_YUAN)
}

/// Parses a yuan amount as a person types it ("500000", "500,000", "1234.5", "¥12.34")
/// into fen, exactly, without floating point. More than two decimals is refused.
pub fn parse_yuan(text: &str) -> Option<Fen> {
    let cleaned: String = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',' && *c != '，' && *c != '_')
        .collect();
    let (neg, body) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
    {
        return None;
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let fen = w.checked_mul(FEN_PER_YUAN)?.checked_add(f)?;
    Some(if neg { -fen } else { fen })
}

/// Parses a percent as typed ("4.35", "4.35%") into ppm exactly (up to four decimals).
pub fn parse_percent(text: &str) -> Option<RatePpm> {
    let t = text.trim().trim_end_matches(['%', '％']);
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t, ""),
    };
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 4
    {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let mut f: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..4 {
        f *= 10;
    }
    w.checked_mul(PPM_PER_PERCENT)?.checked_add(f)
}

/// `¥500,000.00`: the full amount with thousands separators, for tables and receipts.
pub fn format_yuan(fen: Fen) -> String {
    let neg = fen < 0;
    let abs = fen.unsigned_abs();
    let whole = abs / 100;
    let cents = abs % 100;
    let grouped = group_thousands(&whole.to_string());
    format!("{}¥{grouped}.{cents:02}", if neg { "-" } else { "" })
}

/// Inserts a comma every three digits from the right: `500000` → `500,000`.
fn group_thousands(digits: &str) -> String {
    let len = digits.len();
    let mut grouped = String::with_capacity(len + len / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    grouped
}

/// `50万元`, `1.5万元`, `8,000元`: the short form a villager reads at a glance.
/// Amounts of 10,000 yuan or more are shown in 万 with up to two decimals (trailing zeros
/// dropped, rounded half-up); smaller amounts in whole yuan (rounded half-up).
pub fn format_wan(fen: Fen) -> String {
    let neg = fen < 0;
    let abs = i128::from(fen).abs();
    let sign = if neg { "-" } else { "" };
    if abs >= 1_000_000 {
        // hundredths of a 万 = 10,000 fen
        let hundredths = Rounding::HalfUp.div(abs, 10_000);
        let whole = hundredths / 100;
        let frac = hundredths % 100;
        if frac == 0 {
            format!("{sign}{whole}万元")
        } else if frac % 10 == 0 {
            format!("{sign}{whole}.{}万元", frac / 10)
        } else {
            format!("{sign}{whole}.{frac:02}万元")
        }
    } else {
        let yuan = Rounding::HalfUp.div(abs, 100);
        format!("{sign}{}元", group_thousands(&yuan.to_string()))
    }
}

/// `4.35%`: a ppm rate as a percent with two to four decimals (trailing zeros beyond two dropped).
pub fn format_percent(ppm: RatePpm) -> String {
    let neg = ppm < 0;
    let abs = ppm.unsigned_abs();
    let whole = abs / 10_000;
    let mut frac = format!("{:04}", abs % 10_000);
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    format!("{}{whole}.{frac}%", if neg { "-" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_up_rounds_half_away_from_zero() {
        assert_eq!(Rounding::HalfUp.div(5, 2), 3);
        assert_eq!(Rounding::HalfUp.div(-5, 2), -3);
        assert_eq!(Rounding::HalfUp.div(4, 3), 1);
        assert_eq!(Rounding::Down.div(5, 2), 2);
        assert_eq!(Rounding::Up.div(4, 3), 2);
        assert_eq!(Rounding::HalfUp.div(7, 0), 0);
    }

    #[test]
    fn yuan_is_parsed_exactly() {
        assert_eq!(parse_yuan("500000"), Some(50_000_000));
        assert_eq!(parse_yuan("500,000.5"), Some(50_000_050));
        assert_eq!(parse_yuan("¥12.34"), Some(1234));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("abc"), None);
        assert_eq!(parse_yuan(""), None);
    }

    #[test]
    fn percent_is_parsed_exactly() {
        assert_eq!(parse_percent("4.35"), Some(43_500));
        assert_eq!(parse_percent("4.5%"), Some(45_000));
        assert_eq!(parse_percent("3"), Some(30_000));
        assert_eq!(parse_percent("x"), None);
    }

    #[test]
    fn money_reads_as_a_villager_expects() {
        assert_eq!(format_yuan(50_000_000), "¥500,000.00");
        assert_eq!(format_yuan(123), "¥1.23");
        assert_eq!(format_wan(50_000_000), "50万元");
        assert_eq!(format_wan(15_000_000 / 10), "1.5万元");
        assert_eq!(format_wan(800_000), "8,000元");
        assert_eq!(format_wan(100_000_000), "100万元");
        assert_eq!(format_percent(45_000), "4.50%");
        assert_eq!(format_percent(43_500), "4.35%");
        assert_eq!(format_percent(31_250), "3.125%");
    }

    #[test]
    fn interest_uses_month_and_day_counts() {
        // 1,000,000 yuan at 3.6 % for one month: 3,000 yuan
        assert_eq!(
            interest_for_months(100_000_000, 36_000, 1, Rounding::HalfUp),
            300_000
        );
        // 100 yuan at 3.65 % for one day, 365 basis: 0.01 yuan
        assert_eq!(
            interest_for_days(10_000, 36_500, 1, 365, Rounding::HalfUp),
            1
        );
    }
}
