//! The supervision figures: applications and amounts applied, approved and disbursed by bank,
//! town, product and day (the last 30 days); first-contact times per bank (median, 90th
//! percentile, share within the first-contact deadline) and escalations per bank; villagers
//! enrolled and active. Read from the counters of [`super::schema`] only, so the answer costs
//! the same with a thousand applications or a million: a few hundred rows of roll-ups, a
//! histogram, and two counts on small indexes.
//!
//! Owns the reading and the arithmetic (quantiles from the histogram, shares in per mille).
//! Must never read `applications` or `events` row by row, and never return personal data.

use super::schema::{CHINA_OFFSET_MS, DAY_MS, bucket_upper_ms};
use crate::directory::Directory;
use crate::error::ApiError;
use crate::sql::{Tx, params};
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::HashMap;

/// How many days the daily series covers (today included).
pub const DAYS: i64 = 30;

/// Whose figures: the whole county (administrators) or one bank (its managers, read-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    County,
    Bank(String),
}

impl Scope {
    /// Whether a product of `bank_id` is in this scope.
    pub fn covers(&self, bank_id: &str) -> bool {
        match self {
            Scope::County => true,
            Scope::Bank(b) => b == bank_id,
        }
    }
}

/// Counts and sums (fen) of one row of a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    pub applied: i64,
    pub applied_fen: i64,
    pub approved: i64,
    pub approved_fen: i64,
    pub disbursed: i64,
    pub disbursed_fen: i64,
    pub contacted: i64,
    pub escalated: i64,
}

impl Amounts {
    fn add(&mut self, o: &Amounts) {
        self.applied += o.applied;
        self.applied_fen += o.applied_fen;
        self.approved += o.approved;
        self.approved_fen += o.approved_fen;
        self.disbursed += o.disbursed;
        self.disbursed_fen += o.disbursed_fen;
        self.contacted += o.contacted;
        self.escalated += o.escalated;
    }
}

/// One row of a table by bank, town or product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub key: String,
    pub name_zh: String,
    pub amounts: Amounts,
}

/// One day of the daily series (China date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLine {
    pub date: Date,
    pub amounts: Amounts,
}

/// A wait read from the histogram: at most this long (rounded up to its bucket), or longer
/// than a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    AtMostMs(i64),
    OverADay,
}

/// First contacts of one bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactLine {
    pub bank_id: String,
    pub name_zh: String,
    /// Applications that had their first contact.
    pub contacted: i64,
    pub median: Option<Wait>,
    pub p90: Option<Wait>,
    /// First contacts within the first-contact deadline.
    pub within_deadline: i64,
    /// `within_deadline` per mille of `contacted` (rounded down), when there was any.
    pub within_permille: Option<i64>,
    pub escalated: i64,
}

/// Villagers enrolled, and those who submitted an application in the last 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Villagers {
    pub enrolled: i64,
    pub active: i64,
}

/// Everything the page shows as figures.
#[derive(Debug, Clone)]
pub struct Figures {
    pub at: Timestamp,
    pub today: Date,
    pub scope: Scope,
    pub first_contact_minutes: u32,
    pub totals: Amounts,
    /// Today's counts (China day).
    pub today_amounts: Amounts,
    pub by_bank: Vec<Line>,
    pub by_town: Vec<Line>,
    pub by_product: Vec<Line>,
    /// Oldest first, [`DAYS`] days ending today, days without anything included.
    pub by_day: Vec<DayLine>,
    pub contact: Vec<ContactLine>,
    /// County scope only.
    pub villagers: Option<Villagers>,
    /// Escalations not yet taken in hand, on applications still open.
    pub open_escalations: i64,
}

/// The China day number (days since 1970-01-01, UTC+8) of an instant.
pub fn day_number(at_ms: i64) -> i64 {
    (at_ms + CHINA_OFFSET_MS).div_euclid(DAY_MS)
}

/// The China date of a day number.
pub fn date_of_day(day: i64) -> Date {
    let epoch = jiff::civil::date(1970, 1, 1);
    epoch
        .checked_add(jiff::Span::new().days(day))
        .unwrap_or(epoch)
}

fn amounts_row(r: &crate::sql::Row, from: usize) -> Result<Amounts, crate::sql::SqlError> {
    Ok(Amounts {
        applied: r.get(from)?,
        applied_fen: r.get(from + 1)?,
        approved: r.get(from + 2)?,
        approved_fen: r.get(from + 3)?,
        disbursed: r.get(from + 4)?,
        disbursed_fen: r.get(from + 5)?,
        contacted: r.get(from + 6)?,
        escalated: r.get(from + 7)?,
    })
}

/// The nearest-rank quantile `num/den` of a histogram (buckets ascending): the upper bound of
/// the bucket holding the value of rank ⌈n·num/den⌉.
fn quantile(hist: &[(i64, i64)], total: i64, num: i64, den: i64) -> Option<Wait> {
    if total <= 0 {
        return None;
    }
    let rank = (total * num + den - 1) / den;
    let mut seen = 0;
    for (bucket, n) in hist {
        seen += n;
        if seen >= rank.max(1) {
            return Some(match bucket_upper_ms(*bucket) {
                Some(ms) => Wait::AtMostMs(ms),
                None => Wait::OverADay,
            });
        }
    }
    None
}

/// Reads the figures for `scope` at `now`.
pub fn compute(
    conn: &Tx<'_>,
    dir: &Directory,
    scope: &Scope,
    now: Timestamp,
    first_contact_minutes: u32,
) -> Result<Figures, ApiError> {
    let products = dir.catalog.products();
    let bank_of: HashMap<&str, &str> = products
        .iter()
        .map(|p| (p.id.as_str(), p.bank.as_str()))
        .collect();
    let in_scope = |product: &str| bank_of.get(product).is_some_and(|bank| scope.covers(bank));

    let (by_product, by_town, totals) = read_totals(conn, &in_scope)?;
    let mut by_bank_map: HashMap<String, Amounts> = HashMap::new();
    for (product, a) in &by_product {
        if let Some(bank) = bank_of.get(product.as_str()) {
            by_bank_map.entry((*bank).to_owned()).or_default().add(a);
        }
    }

    // The daily series: the last DAYS China days, per product (then summed).
    let today_n = day_number(now.as_millisecond());
    let first_day = today_n - (DAYS - 1);
    let days = read_days(conn, &in_scope, first_day, today_n)?;
    let by_day: Vec<DayLine> = days
        .iter()
        .enumerate()
        .map(|(i, a)| DayLine {
            date: date_of_day(first_day + i as i64),
            amounts: *a,
        })
        .collect();
    let today_amounts = days.last().copied().unwrap_or_default();

    let hist = read_contact_histograms(conn, &bank_of, scope)?;
    let deadline_ms = i64::from(first_contact_minutes) * 60_000;
    let banks: Vec<_> = dir.banks.iter().filter(|b| scope.covers(&b.id)).collect();
    let by_bank: Vec<Line> = banks
        .iter()
        .map(|b| Line {
            key: b.id.clone(),
            name_zh: b.name_zh.clone(),
            amounts: by_bank_map.get(&b.id).copied().unwrap_or_default(),
        })
        .collect();
    let contact: Vec<ContactLine> = banks
        .iter()
        .map(|b| {
            let h = hist.get(&b.id).map(Vec::as_slice).unwrap_or(&[]);
            let escalated = by_bank_map.get(&b.id).map_or(0, |a| a.escalated);
            contact_line(&b.id, &b.name_zh, h, deadline_ms, escalated)
        })
        .collect();
    let by_town: Vec<Line> = dir
        .towns
        .iter()
        .map(|t| Line {
            key: t.id.clone(),
            name_zh: t.name_zh.clone(),
            amounts: by_town.get(&t.id).copied().unwrap_or_default(),
        })
        .collect();
    let by_product: Vec<Line> = products
        .iter()
        .filter(|p| scope.covers(&p.bank))
        .map(|p| Line {
            key: p.id.clone(),
            name_zh: p.name_zh.clone(),
            amounts: by_product.get(&p.id).copied().unwrap_or_default(),
        })
        .collect();

    Ok(Figures {
        at: now,
        today: date_of_day(today_n),
        scope: scope.clone(),
        first_contact_minutes,
        totals,
        today_amounts,
        by_bank,
        by_town,
        by_product,
        by_day,
        contact,
        villagers: read_villagers(conn, scope, now)?,
        open_escalations: open_escalation_count(conn, scope)?,
    })
}

/// Amounts per product and per town of the scope.
type ByKey = HashMap<String, Amounts>;

/// Totals since the beginning, per product and town (at most products × towns rows).
fn read_totals(
    conn: &Tx<'_>,
    in_scope: &impl Fn(&str) -> bool,
) -> Result<(ByKey, ByKey, Amounts), ApiError> {
    let mut by_product = ByKey::new();
    let mut by_town = ByKey::new();
    let mut totals = Amounts::default();
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, town, applied_n, applied_fen, approved_n, approved_fen,
                disbursed_n, disbursed_fen, contacted_n, escalated_n
         FROM supervision_totals",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let product: String = r.get(0)?;
        if !in_scope(&product) {
            continue;
        }
        let town: String = r.get(1)?;
        let a = amounts_row(r, 2)?;
        by_product.entry(product).or_default().add(&a);
        by_town.entry(town).or_default().add(&a);
        totals.add(&a);
    }
    Ok((by_product, by_town, totals))
}

/// The amounts of each China day from `first_day` to `today_n`, oldest first.
fn read_days(
    conn: &Tx<'_>,
    in_scope: &impl Fn(&str) -> bool,
    first_day: i64,
    today_n: i64,
) -> Result<Vec<Amounts>, ApiError> {
    let mut days: Vec<Amounts> = vec![Amounts::default(); DAYS as usize];
    let mut stmt = conn.prepare_cached(
        "SELECT day, product_id, SUM(applied_n), SUM(applied_fen), SUM(approved_n),
                SUM(approved_fen), SUM(disbursed_n), SUM(disbursed_fen), SUM(contacted_n),
                SUM(escalated_n)
         FROM supervision_daily WHERE day >= ?1 AND day <= ?2 GROUP BY day, product_id",
    )?;
    let mut rows = stmt.query(params![first_day, today_n])?;
    while let Some(r) = rows.next()? {
        let day: i64 = r.get(0)?;
        let product: String = r.get(1)?;
        if !in_scope(&product) {
            continue;
        }
        let a = amounts_row(r, 2)?;
        if let Some(slot) = usize::try_from(day - first_day)
            .ok()
            .and_then(|i| days.get_mut(i))
        {
            slot.add(&a);
        }
    }
    Ok(days)
}

/// First-contact waits per bank of the scope, from the per-product histograms (buckets
/// ascending).
fn read_contact_histograms(
    conn: &Tx<'_>,
    bank_of: &HashMap<&str, &str>,
    scope: &Scope,
) -> Result<HashMap<String, Vec<(i64, i64)>>, ApiError> {
    let mut hist: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    let mut stmt = conn
        .prepare_cached("SELECT product_id, bucket, n FROM supervision_contact ORDER BY bucket")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let product: String = r.get(0)?;
        let Some(bank) = bank_of.get(product.as_str()) else {
            continue;
        };
        if !scope.covers(bank) {
            continue;
        }
        let bucket: i64 = r.get(1)?;
        let n: i64 = r.get(2)?;
        let h = hist.entry((*bank).to_owned()).or_default();
        match h.last_mut() {
            Some((b, count)) if *b == bucket => *count += n,
            _ => h.push((bucket, n)),
        }
    }
    Ok(hist)
}

/// One bank's first-contact line from its histogram.
fn contact_line(
    bank_id: &str,
    name_zh: &str,
    h: &[(i64, i64)],
    deadline_ms: i64,
    escalated: i64,
) -> ContactLine {
    let contacted: i64 = h.iter().map(|(_, n)| n).sum();
    let within: i64 = h
        .iter()
        .filter(|(bucket, _)| bucket_upper_ms(*bucket).is_some_and(|u| u <= deadline_ms))
        .map(|(_, n)| n)
        .sum();
    ContactLine {
        bank_id: bank_id.to_owned(),
        name_zh: name_zh.to_owned(),
        contacted,
        median: quantile(h, contacted, 1, 2),
        p90: quantile(h, contacted, 9, 10),
        within_deadline: within,
        within_permille: (contacted > 0).then(|| within * 1000 / contacted),
        escalated,
    }
}

/// Villagers enrolled and active in the last [`DAYS`] days (county scope only).
fn read_villagers(
    conn: &Tx<'_>,
    scope: &Scope,
    now: Timestamp,
) -> Result<Option<Villagers>, ApiError> {
    if let Scope::Bank(_) = scope {
        return Ok(None);
    }
    let enrolled: i64 = conn
        .prepare_cached(
            "SELECT COALESCE((SELECT value FROM supervision_counters WHERE name = 'villagers'), 0)",
        )?
        .query_row([], |r| r.get(0))?;
    let since = now.as_millisecond() - DAYS * DAY_MS;
    let active: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM supervision_villagers WHERE last_applied_at > ?1")?
        .query_row(params![since], |r| r.get(0))?;
    Ok(Some(Villagers { enrolled, active }))
}

/// Escalations not taken in hand on applications still open (of the scope's bank). (`?1` is
/// cast because PostgreSQL cannot type a parameter that is only tested for NULL.)
pub fn open_escalation_count(conn: &Tx<'_>, scope: &Scope) -> Result<i64, ApiError> {
    let bank = match scope {
        Scope::County => None,
        Scope::Bank(b) => Some(b.clone()),
    };
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM supervision_escalations e JOIN applications a ON a.id = e.application_id
             WHERE e.acknowledged_at IS NULL AND a.open = 1 AND (CAST(?1 AS TEXT) IS NULL OR a.bank_id = ?1)",
        )?
        .query_row(params![bank], |r| r.get(0))?)
}

/// The ids of the open escalations not yet taken in hand, oldest first, at most `limit`.
pub fn open_escalation_ids(
    conn: &Tx<'_>,
    scope: &Scope,
    limit: u32,
) -> Result<Vec<String>, ApiError> {
    let bank = match scope {
        Scope::County => None,
        Scope::Bank(b) => Some(b.clone()),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT e.application_id FROM supervision_escalations e JOIN applications a ON a.id = e.application_id
         WHERE e.acknowledged_at IS NULL AND a.open = 1 AND (CAST(?1 AS TEXT) IS NULL OR a.bank_id = ?1)
         ORDER BY e.escalated_at LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![bank, limit], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::supervision::schema::bucket_of;

    fn hist_of(waits: &[i64]) -> Vec<(i64, i64)> {
        let mut h: std::collections::BTreeMap<i64, i64> = Default::default();
        for w in waits {
            *h.entry(bucket_of(*w)).or_default() += 1;
        }
        h.into_iter().collect()
    }

    #[test]
    fn the_median_and_90th_percentile_are_the_nearest_rank_rounded_up_to_the_bucket() {
        // 10 waits: 1 min … 10 min. Nearest rank: median = 5th (5 min), p90 = 9th (9 min).
        let waits: Vec<i64> = (1..=10).map(|m| m * 60_000).collect();
        let h = hist_of(&waits);
        assert_eq!(quantile(&h, 10, 1, 2), Some(Wait::AtMostMs(300_000)));
        assert_eq!(quantile(&h, 10, 9, 10), Some(Wait::AtMostMs(540_000)));
        // A wait that is not on a bucket edge is read as its bucket's upper bound.
        let h = hist_of(&[61_001]);
        assert_eq!(quantile(&h, 1, 1, 2), Some(Wait::AtMostMs(65_000)));
        assert_eq!(quantile(&[], 0, 1, 2), None);
        let h = hist_of(&[2 * DAY_MS]);
        assert_eq!(quantile(&h, 1, 9, 10), Some(Wait::OverADay));
    }

    #[test]
    fn a_china_day_starts_at_midnight_utc_plus_8() {
        let before: Timestamp = "2026-11-28T15:59:59Z".parse().unwrap();
        let after: Timestamp = "2026-11-28T16:00:00Z".parse().unwrap();
        assert_eq!(
            date_of_day(day_number(before.as_millisecond())),
            jiff::civil::date(2026, 11, 28)
        );
        assert_eq!(
            date_of_day(day_number(after.as_millisecond())),
            jiff::civil::date(2026, 11, 29)
        );
    }
}
