//! The revolving line (随借随还, the 冠之链 inventory-pledge line): draws and repayments on
//! any day, interest by the day on the principal drawn, never above the line's cap, and the
//! statement of a period. Owns the line's daily interest and its bookkeeping; must never
//! charge a rate above the cap (not even by rounding), let the principal pass the limit, or
//! read a clock.
//!
//! # Rules
//! - **Days** (算头不算尾): a day bears interest on the principal drawn at its end, so the day
//!   of a draw counts and the day of a repayment does not (drawn on the 1st, repaid on the
//!   11th: 10 days).
//! - **Daily interest** ([`CreditLine::daily_interest`]): principal × charged rate / 360 (or
//!   365, the product's day count), rounded to the fen by the line's rounding (down by
//!   default: 分以下舍去, so a small balance's half fen is never charged as a whole one), and
//!   never above principal × cap / basis rounded down. The interest of n days at one balance
//!   is n × the daily interest.
//! - **Rate** ([`CreditLine::charged_rate`]): the contract rate, but never above the cap (the
//!   product's `apr_cap_ppm`, 4.5 % a year for 冠之链).
//! - **Repayments** (利随本清): a repayment first pays the interest accrued and not yet paid
//!   (up to the day before), then principal. A repayment above what is owed is refused.
//! - Draws are allowed from the opening day to the expiry day, within the limit. Interest
//!   keeps accruing on principal left after the expiry; penalty interest is not computed.

use super::RepaymentError;
use super::dates::{add_days, days_between, due_date};
use crate::domain::catalog::{DayCountRule, Product, RepaymentMethod};
use crate::domain::cost::{DayCount, MAX_AMOUNT, MAX_RATE};
use crate::domain::money::{Fen, PPM_ONE, RatePpm, Rounding, clamp_i64};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A revolving credit line's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreditLine {
    /// The credit limit, fen (授信额度).
    pub limit: Fen,
    /// The contract's annual rate, ppm.
    pub annual_rate: RatePpm,
    /// The rate the line may never pass, ppm (`None`: no cap beyond the contract rate).
    pub cap: Option<RatePpm>,
    /// The day count of the daily interest.
    pub day_count: DayCount,
    /// How each day's interest is rounded to the fen (down by default).
    pub rounding: Rounding,
    /// The day the line opens.
    pub opened_on: Date,
    /// The last day a draw may be made.
    pub expires_on: Date,
}

impl CreditLine {
    /// A line with the 360-day count, daily interest rounded down and no cap.
    pub fn new(limit: Fen, annual_rate: RatePpm, opened_on: Date, expires_on: Date) -> Self {
        CreditLine {
            limit,
            annual_rate,
            cap: None,
            day_count: DayCount::Act360,
            rounding: Rounding::Down,
            opened_on,
            expires_on,
        }
    }

    /// The line of a revolving catalog product: its cap and day count, a term of `months`
    /// from `opened_on` (the month-end rule dates the expiry).
    pub fn for_product(
        product: &Product,
        limit: Fen,
        annual_rate: RatePpm,
        opened_on: Date,
        months: u32,
    ) -> Result<CreditLine, RepaymentError> {
        if product.repayment.method != RepaymentMethod::Revolving {
            return Err(RepaymentError::InvalidLine { field: "method" });
        }
        let line = CreditLine {
            cap: product.apr_cap_ppm,
            day_count: match product.day_count {
                DayCountRule::Act360 => DayCount::Act360,
                DayCountRule::Act365 => DayCount::Act365,
            },
            ..CreditLine::new(limit, annual_rate, opened_on, due_date(opened_on, months)?)
        };
        line.validate()?;
        Ok(line)
    }

    /// The rate charged: the contract rate, never above the cap.
    pub fn charged_rate(&self) -> RatePpm {
        self.cap
            .map_or(self.annual_rate, |cap| self.annual_rate.min(cap))
    }

    /// One day's interest on `principal`, fen: principal × charged rate / basis, rounded by
    /// the line's rounding, never above principal × cap / basis rounded down.
    pub fn daily_interest(&self, principal: Fen) -> Fen {
        let basis = i128::from(PPM_ONE) * i128::from(self.day_count.basis());
        let p = i128::from(principal.max(0));
        let charged = clamp_i64(
            self.rounding
                .div(p * i128::from(self.charged_rate()), basis),
        );
        match self.cap {
            Some(cap) => charged.min(clamp_i64(Rounding::Down.div(p * i128::from(cap), basis))),
            None => charged,
        }
    }

    fn validate(&self) -> Result<(), RepaymentError> {
        let field = if self.limit < 1 || self.limit > MAX_AMOUNT {
            "limit"
        } else if self.annual_rate < 0 || self.annual_rate > MAX_RATE {
            "annual_rate"
        } else if self.cap.is_some_and(|c| c < 0) {
            "cap"
        } else if self.expires_on < self.opened_on {
            "expires_on"
        } else {
            return Ok(());
        };
        Err(RepaymentError::InvalidLine { field })
    }
}

/// Money out of or into the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum LineEventKind {
    /// 用款: money drawn.
    Draw,
    /// 还款: money repaid (interest first, then principal).
    Repay,
}

/// A draw or a repayment on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineEvent {
    /// The day.
    pub on: Date,
    /// Draw or repayment.
    pub kind: LineEventKind,
    /// Amount, fen (> 0).
    pub amount: Fen,
}

/// A draw or a repayment as the statement shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatementEntry {
    /// The day.
    pub on: Date,
    /// Draw or repayment.
    pub kind: LineEventKind,
    /// Amount, fen.
    pub amount: Fen,
    /// Of a repayment, the part that paid interest, fen.
    pub interest_paid: Fen,
    /// Of a repayment, the part that paid principal, fen.
    pub principal_paid: Fen,
    /// Principal drawn after it, fen.
    pub principal_after: Fen,
}

/// Days in a row at one balance, and their interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BalanceSpan {
    /// The first day.
    pub from: Date,
    /// The last day (inclusive).
    pub to: Date,
    /// Days.
    pub days: u32,
    /// Principal drawn on each of those days, fen.
    pub principal: Fen,
    /// Interest of one day, fen.
    pub daily_interest: Fen,
    /// Interest of the span: days × daily interest, fen.
    pub interest: Fen,
}

/// A line's statement (对账单) for the days `from ..= to`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineStatement {
    /// The first day.
    pub from: Date,
    /// The last day (inclusive).
    pub to: Date,
    /// The rate charged, ppm.
    pub charged_rate: RatePpm,
    /// Whether the cap lowered the contract rate.
    pub capped: bool,
    /// Principal drawn at the start of `from`, fen.
    pub opening_principal: Fen,
    /// Interest accrued and unpaid at the start of `from`, fen.
    pub opening_interest: Fen,
    /// Drawn in the period, fen.
    pub drawn: Fen,
    /// Principal repaid in the period, fen.
    pub principal_repaid: Fen,
    /// Interest repaid in the period, fen.
    pub interest_repaid: Fen,
    /// Interest of the days of the period, fen.
    pub interest_accrued: Fen,
    /// Principal drawn at the end of `to`, fen.
    pub closing_principal: Fen,
    /// Interest accrued and unpaid at the end of `to`, fen.
    pub closing_interest: Fen,
    /// The draws and repayments of the period, in order.
    pub entries: Vec<StatementEntry>,
    /// The days with principal drawn, grouped by balance.
    pub spans: Vec<BalanceSpan>,
}

impl LineStatement {
    /// Owed at the end of the period: principal + unpaid interest, fen.
    pub fn closing_owed(&self) -> Fen {
        self.closing_principal + self.closing_interest
    }
}

/// The line as it is replayed: what is owed, up to which day interest has accrued, and the
/// statement being written from `from` on.
struct Replay<'a> {
    line: &'a CreditLine,
    principal: Fen,
    interest_due: Fen,
    /// The first day whose interest has not accrued yet.
    cursor: Date,
    from: Option<Date>,
    statement: LineStatement,
    opened: bool,
}

impl Replay<'_> {
    /// Accrues the days `cursor .. until` (exclusive), recording those from `from` on.
    fn accrue(&mut self, until: Date) {
        if let Some(from) = self.from
            && !self.opened
            && from <= until
        {
            self.accrue_days(from.max(self.cursor), false);
            self.statement.opening_principal = self.principal;
            self.statement.opening_interest = self.interest_due;
            self.opened = true;
        }
        self.accrue_days(until, self.opened);
    }

    fn accrue_days(&mut self, until: Date, recorded: bool) {
        let days = u32::try_from(days_between(self.cursor, until)).unwrap_or(0);
        if days == 0 {
            return;
        }
        let daily = self.line.daily_interest(self.principal);
        let interest = daily.saturating_mul(i64::from(days));
        self.interest_due = self.interest_due.saturating_add(interest);
        if recorded && self.principal > 0 {
            self.statement.interest_accrued += interest;
            self.statement.spans.push(BalanceSpan {
                from: self.cursor,
                to: add_days(until, -1).unwrap_or(until),
                days,
                principal: self.principal,
                daily_interest: daily,
                interest,
            });
        }
        self.cursor = until;
    }

    /// Applies a draw or a repayment on its day (interest accrued up to the day before).
    fn apply(&mut self, e: &LineEvent) -> Result<(), RepaymentError> {
        let (mut interest_paid, mut principal_paid) = (0, 0);
        match e.kind {
            LineEventKind::Draw => {
                let available = self.line.limit - self.principal;
                if e.amount > available {
                    return Err(RepaymentError::DrawAboveLimit {
                        on: e.on,
                        available,
                    });
                }
                self.principal += e.amount;
            }
            LineEventKind::Repay => {
                let owed = self.principal + self.interest_due;
                if e.amount > owed {
                    return Err(RepaymentError::LineRepaymentAboveOwed { on: e.on, owed });
                }
                interest_paid = e.amount.min(self.interest_due);
                principal_paid = e.amount - interest_paid;
                self.interest_due -= interest_paid;
                self.principal -= principal_paid;
            }
        }
        if self.opened {
            let s = &mut self.statement;
            if e.kind == LineEventKind::Draw {
                s.drawn += e.amount;
            }
            s.interest_repaid += interest_paid;
            s.principal_repaid += principal_paid;
            s.entries.push(StatementEntry {
                on: e.on,
                kind: e.kind,
                amount: e.amount,
                interest_paid,
                principal_paid,
                principal_after: self.principal,
            });
        }
        Ok(())
    }
}

/// Replays the events dated up to `last_event_day`, then accrues interest up to `end`
/// (exclusive), writing the statement from `from` on.
fn replay<'a>(
    line: &'a CreditLine,
    events: &[LineEvent],
    from: Option<Date>,
    last_event_day: Date,
    end: Date,
) -> Result<Replay<'a>, RepaymentError> {
    line.validate()?;
    for (i, e) in events.iter().enumerate() {
        let dated_ok =
            e.on >= line.opened_on && (e.kind == LineEventKind::Repay || e.on <= line.expires_on);
        // No upper bound is needed: a draw is held to the limit, a repayment to what is owed.
        if e.amount < 1 || !dated_ok {
            return Err(RepaymentError::InvalidLineEvent {
                index: i + 1,
                opened_on: line.opened_on,
                expires_on: line.expires_on,
            });
        }
    }
    let mut order: Vec<&LineEvent> = events.iter().filter(|e| e.on <= last_event_day).collect();
    order.sort_by_key(|e| e.on);
    let mut r = Replay {
        line,
        principal: 0,
        interest_due: 0,
        cursor: line.opened_on,
        from,
        statement: empty_statement(line, from.unwrap_or(line.opened_on), last_event_day),
        opened: false,
    };
    for e in order {
        r.accrue(e.on);
        r.apply(e)?;
    }
    r.accrue(end);
    r.statement.closing_principal = r.principal;
    r.statement.closing_interest = r.interest_due;
    Ok(r)
}

fn empty_statement(line: &CreditLine, from: Date, to: Date) -> LineStatement {
    LineStatement {
        from,
        to,
        charged_rate: line.charged_rate(),
        capped: line.charged_rate() < line.annual_rate,
        opening_principal: 0,
        opening_interest: 0,
        drawn: 0,
        principal_repaid: 0,
        interest_repaid: 0,
        interest_accrued: 0,
        closing_principal: 0,
        closing_interest: 0,
        entries: Vec::new(),
        spans: Vec::new(),
    }
}

/// The statement of `line` for the days `from ..= to`, replaying `events` (in date order;
/// events on one day in the order given). Refuses a draw above the limit or outside the
/// line's dates, a repayment above what is owed, and a period before the opening.
pub fn line_statement(
    line: &CreditLine,
    events: &[LineEvent],
    from: Date,
    to: Date,
) -> Result<LineStatement, RepaymentError> {
    if from > to || from < line.opened_on {
        return Err(RepaymentError::InvalidPeriod { from, to });
    }
    let end = add_days(to, 1).ok_or(RepaymentError::DateOutOfRange)?;
    Ok(replay(line, events, Some(from), to, end)?.statement)
}

/// What repays the line in full on `on` (after the other events of that day): the principal
/// drawn and the interest accrued up to the day before, fen.
pub fn line_payoff(
    line: &CreditLine,
    events: &[LineEvent],
    on: Date,
) -> Result<Fen, RepaymentError> {
    if on < line.opened_on {
        return Err(RepaymentError::InvalidPeriod { from: on, to: on });
    }
    let r = replay(line, events, None, on, on)?;
    Ok(r.principal + r.interest_due)
}
