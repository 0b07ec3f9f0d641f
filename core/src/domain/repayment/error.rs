//! Why a plan, a repayment, an early repayment or a line cannot be worked out: each refusal
//! carries what to change in Chinese and in English as data (`message_zh`, `message_en`);
//! `Display` joins them for logs. Must never hold a rule.

use crate::domain::cost::CostError;
use crate::domain::money::Fen;
use jiff::civil::Date;

/// Why a plan, a repayment, an early repayment or a line cannot be worked out. Each says what
/// to change, in Chinese and in English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepaymentError {
    /// The loan's terms were refused by the cost engine.
    #[error(transparent)]
    Cost(#[from] CostError),
    /// A revolving line has no fixed plan.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    RevolvingHasNoPlan,
    /// A due date would fall outside the calendar (after the year 9999).
    #[error("{} / {}", self.message_zh(), self.message_en())]
    DateOutOfRange,
    /// A recorded repayment is not a positive amount within range.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    InvalidRepayment {
        /// The repayment's number, from 1.
        index: usize,
    },
    /// A recorded repayment is dated before the loan was paid out.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    RepaymentBeforeDisbursement {
        /// The repayment's number, from 1.
        index: usize,
        /// Its date.
        on: Date,
        /// The disbursement date.
        disbursed_on: Date,
    },
    /// An early repayment's date is not within the loan's life.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    PrepayDateOutsideLoan {
        /// The date asked for.
        on: Date,
        /// The first possible date.
        from: Date,
        /// The last due date (an early repayment must come before it).
        until: Date,
    },
    /// An early repayment's principal is not between 0.01 yuan and the balance.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    PrepayAmountOutOfRange {
        /// What was asked, fen.
        amount: Fen,
        /// The balance that may be repaid, fen.
        balance: Fen,
    },
    /// The repayment method does not allow this choice after a partial early repayment.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    ChoiceNotAvailable {
        /// The choice, in Chinese.
        choice_zh: &'static str,
        /// The choice, in English.
        choice_en: &'static str,
    },
    /// A credit line's terms are out of range.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    InvalidLine {
        /// The field at fault.
        field: &'static str,
    },
    /// A line event is empty, too large, or outside the line's dates.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    InvalidLineEvent {
        /// The event's number, from 1.
        index: usize,
        /// The line's opening date.
        opened_on: Date,
        /// The line's expiry date.
        expires_on: Date,
    },
    /// A draw would pass the credit limit.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    DrawAboveLimit {
        /// The draw's date.
        on: Date,
        /// What was still available that day, fen.
        available: Fen,
    },
    /// A repayment of the line is more than is owed.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    LineRepaymentAboveOwed {
        /// The repayment's date.
        on: Date,
        /// What was owed that day (principal + interest accrued), fen.
        owed: Fen,
    },
    /// A statement period that does not make sense.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    InvalidPeriod {
        /// The period's first day.
        from: Date,
        /// The period's last day.
        to: Date,
    },
}

impl RepaymentError {
    /// What is wrong and what to change, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            RepaymentError::Cost(e) => e.message_zh(),
            RepaymentError::RevolvingHasNoPlan => {
                "随借随还额度没有固定的还款计划，请查看额度账单".to_owned()
            }
            RepaymentError::DateOutOfRange => {
                "还款日期超出了日历范围，请检查放款日期和期限".to_owned()
            }
            RepaymentError::InvalidRepayment { index } => {
                format!("第 {index} 笔还款金额无效：须大于 0 且不超过 1000 亿元")
            }
            RepaymentError::RepaymentBeforeDisbursement {
                index,
                on,
                disbursed_on,
            } => format!("第 {index} 笔还款的日期（{on}）早于放款日（{disbursed_on}），请检查日期"),
            RepaymentError::PrepayDateOutsideLoan { on, from, until } => format!(
                "提前还款日（{on}）须在放款日（{from}）之后、最后一个还款日（{until}）之前，且不早于上一次提前还款"
            ),
            RepaymentError::PrepayAmountOutOfRange { amount, balance } => {
                format!("提前还款本金须在 0.01 元到剩余本金 {balance} 分之间（收到 {amount} 分）")
            }
            RepaymentError::ChoiceNotAvailable { choice_zh, .. } => {
                format!("这种还款方式不能选择“{choice_zh}”，请选择“减少每期还款”")
            }
            RepaymentError::InvalidLine { field } => {
                format!("授信额度的条件无效（{field}），请检查额度、利率和期限")
            }
            RepaymentError::InvalidLineEvent {
                index,
                opened_on,
                expires_on,
            } => format!(
                "第 {index} 笔用款或还款无效：金额须大于 0，日期须在额度开立（{opened_on}）之后，用款须在到期日（{expires_on}）之前"
            ),
            RepaymentError::DrawAboveLimit { on, available } => {
                format!("{on} 的用款超过了可用额度（还可用 {available} 分），请少用一些")
            }
            RepaymentError::LineRepaymentAboveOwed { on, owed } => {
                format!("{on} 的还款超过了应还金额（{owed} 分），请少还一些")
            }
            RepaymentError::InvalidPeriod { from, to } => format!(
                "账单期间无效：开始日（{from}）不能晚于结束日（{to}），也不能早于额度开立日"
            ),
        }
    }

    /// What is wrong and what to change, in English.
    pub fn message_en(&self) -> String {
        match self {
            RepaymentError::Cost(e) => e.message_en(),
            RepaymentError::RevolvingHasNoPlan => {
                "a revolving line has no fixed repayment plan; see the line's statement instead"
                    .to_owned()
            }
            RepaymentError::DateOutOfRange => {
                "a due date falls outside the calendar; check the disbursement date and the term"
                    .to_owned()
            }
            RepaymentError::InvalidRepayment { index } => format!(
                "repayment {index} is invalid: its amount must be above 0 and at most 100,000,000,000 yuan"
            ),
            RepaymentError::RepaymentBeforeDisbursement {
                index,
                on,
                disbursed_on,
            } => format!(
                "repayment {index} is dated {on}, before the disbursement on {disbursed_on}; check the date"
            ),
            RepaymentError::PrepayDateOutsideLoan { on, from, until } => format!(
                "the early repayment date ({on}) must be on or after {from} and before the last due date ({until}), and not before an earlier early repayment"
            ),
            RepaymentError::PrepayAmountOutOfRange { amount, balance } => format!(
                "the principal repaid early must be between 0.01 yuan and the balance of {balance} fen (got {amount} fen)"
            ),
            RepaymentError::ChoiceNotAvailable { choice_en, .. } => format!(
                "this repayment method does not allow `{choice_en}`; choose `lower payment`"
            ),
            RepaymentError::InvalidLine { field } => format!(
                "the credit line's terms are invalid (`{field}`); check its limit, rate and term"
            ),
            RepaymentError::InvalidLineEvent {
                index,
                opened_on,
                expires_on,
            } => format!(
                "line event {index} is invalid: its amount must be above 0, its date on or after the opening ({opened_on}), and a draw on or before the expiry ({expires_on})"
            ),
            RepaymentError::DrawAboveLimit { on, available } => format!(
                "the draw on {on} exceeds the credit available ({available} fen); draw less"
            ),
            RepaymentError::LineRepaymentAboveOwed { on, owed } => {
                format!("the repayment on {on} is more than is owed ({owed} fen); repay less")
            }
            RepaymentError::InvalidPeriod { from, to } => format!(
                "the statement period is invalid: its start ({from}) must not be after its end ({to}) nor before the line opened"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repayment_refusal_carries_its_chinese_and_english_as_separate_text() {
        let choice = RepaymentError::ChoiceNotAvailable {
            choice_zh: "缩短期限",
            choice_en: "shorter term",
        };
        assert!(
            choice.message_zh().contains("“缩短期限”") && !choice.message_zh().contains("shorter")
        );
        assert!(choice.message_en().contains("`shorter term`") && choice.message_en().is_ascii());
        assert_eq!(
            choice.to_string(),
            format!("{} / {}", choice.message_zh(), choice.message_en())
        );
    }

    #[test]
    fn a_cost_refusal_inside_a_repayment_refusal_keeps_its_own_text() {
        let cost = CostError::TermOutOfRange { months: 0 };
        let e = RepaymentError::from(cost.clone());
        assert_eq!(e.message_zh(), cost.message_zh());
        assert_eq!(e.message_en(), cost.message_en());
        assert_eq!(e.to_string(), cost.to_string());
    }
}
