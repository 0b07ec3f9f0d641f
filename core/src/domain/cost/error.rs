//! Why terms cannot be costed: each refusal carries what to change in Chinese and in English as
//! data (`message_zh`, `message_en`); `Display` joins them for logs. Must never hold a rule.

use crate::domain::money::{Fen, RatePpm};

/// Why terms cannot be costed. Each says what to change, in Chinese and in English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    /// The amount is not within 1 fen ..= [`MAX_AMOUNT`](super::MAX_AMOUNT).
    #[error("{} / {}", self.message_zh(), self.message_en())]
    AmountOutOfRange {
        /// What was given, fen.
        amount: Fen,
    },
    /// The term is not within 1 ..= 360 months.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    TermOutOfRange {
        /// What was given.
        months: u32,
    },
    /// The rate is not within 0 ..= 36 %.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    RateOutOfRange {
        /// What was given, ppm.
        rate_ppm: RatePpm,
    },
    /// The grace period is not shorter than the term.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    GraceTooLong {
        /// Grace months given.
        grace_months: u32,
        /// The term.
        months: u32,
    },
    /// The grace period does not end on a payment date.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    GraceNotWholePeriods {
        /// Grace months given.
        grace_months: u32,
        /// The payment interval.
        interval_months: u32,
    },
    /// A draw of a revolving line is empty, too large, or outside the term.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    InvalidDraw {
        /// The draw's number, from 1.
        index: usize,
        /// The term in days (months × 30).
        term_days: u32,
    },
    /// The draws of a revolving line together exceed its limit on some day.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    DrawsAboveLimit {
        /// The first day it happens.
        day: u32,
    },
    /// A revolving line has no draws to cost.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    NoDraws,
    /// A fee or subsidy is negative or beyond its sane range.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    FeeOutOfRange {
        /// The field's name.
        field: &'static str,
    },
    /// The fees take the whole amount or more, so no rate can be stated.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    FeesExceedAmount,
    /// No rate makes the cash flows balance.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    AprUndefined,
}

impl CostError {
    /// What is wrong and what to change, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            CostError::AmountOutOfRange { amount } => {
                format!("贷款金额须在 0.01 元到 1 亿元之间（收到 {amount} 分），请修改金额")
            }
            CostError::TermOutOfRange { months } => {
                format!("贷款期限须在 1 到 360 个月之间（收到 {months}），请修改期限")
            }
            CostError::RateOutOfRange { rate_ppm } => {
                format!("年利率须在 0% 到 36% 之间（收到 {rate_ppm} ppm），请修改利率")
            }
            CostError::GraceTooLong {
                grace_months,
                months,
            } => format!(
                "宽限期（{grace_months} 个月）须短于贷款期限（{months} 个月），请缩短宽限期"
            ),
            CostError::GraceNotWholePeriods {
                grace_months,
                interval_months,
            } => format!(
                "宽限期（{grace_months} 个月）须是还款间隔（{interval_months} 个月）的整数倍，请调整宽限期或还款频率"
            ),
            CostError::InvalidDraw { index, term_days } => format!(
                "第 {index} 笔用款无效：金额须大于 0 且不超过额度，天数须大于 0，且须在 {term_days} 天的期限内还清"
            ),
            CostError::DrawsAboveLimit { day } => {
                format!("第 {day} 天的用款余额超过了授信额度，请减少用款")
            }
            CostError::NoDraws => {
                "随借随还额度没有任何用款，无法计算成本，请给出用款计划".to_owned()
            }
            CostError::FeeOutOfRange { field } => {
                format!("费用或补贴“{field}”超出合理范围，请检查")
            }
            CostError::FeesExceedAmount => "费用不低于贷款金额，无法计算年化利率".to_owned(),
            CostError::AprUndefined => "现金流无法求出年化利率，请检查还款计划".to_owned(),
        }
    }

    /// What is wrong and what to change, in English.
    pub fn message_en(&self) -> String {
        match self {
            CostError::AmountOutOfRange { amount } => format!(
                "the amount must be between 0.01 and 100,000,000 yuan (got {amount} fen); change the amount"
            ),
            CostError::TermOutOfRange { months } => {
                format!("the term must be 1 to 360 months (got {months}); change the term")
            }
            CostError::RateOutOfRange { rate_ppm } => format!(
                "the annual rate must be between 0% and 36% (got {rate_ppm} ppm); change the rate"
            ),
            CostError::GraceTooLong {
                grace_months,
                months,
            } => format!(
                "the grace period ({grace_months} months) must be shorter than the term ({months} months); shorten it"
            ),
            CostError::GraceNotWholePeriods {
                grace_months,
                interval_months,
            } => format!(
                "the grace period ({grace_months} months) must be a whole number of payment intervals ({interval_months} months); change the grace or the frequency"
            ),
            CostError::InvalidDraw { index, term_days } => format!(
                "draw {index} is invalid: its amount must be above 0 and within the limit, its days above 0, and it must be repaid within the {term_days}-day term"
            ),
            CostError::DrawsAboveLimit { day } => {
                format!("on day {day} the amount drawn exceeds the credit limit; draw less")
            }
            CostError::NoDraws => {
                "the revolving line has no draws to cost; give a drawing pattern".to_owned()
            }
            CostError::FeeOutOfRange { field } => {
                format!("the fee or subsidy `{field}` is out of range; check it")
            }
            CostError::FeesExceedAmount => {
                "the fees are not below the amount, so no annualized rate exists".to_owned()
            }
            CostError::AprUndefined => {
                "no annualized rate balances these cash flows; check the schedule".to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cost_refusal_carries_its_chinese_and_english_as_separate_text() {
        let refusals = [
            CostError::AmountOutOfRange { amount: 0 },
            CostError::GraceTooLong {
                grace_months: 12,
                months: 12,
            },
            CostError::FeeOutOfRange { field: "fee_ppm" },
            CostError::NoDraws,
        ];
        for e in refusals {
            let (zh, en) = (e.message_zh(), e.message_en());
            assert!(!zh.contains(" / ") && !en.contains(" / "), "{e}");
            assert!(!zh.is_ascii() && en.is_ascii(), "{e}");
            assert_eq!(e.to_string(), format!("{zh} / {en}"));
        }
        let e = CostError::GraceTooLong {
            grace_months: 12,
            months: 6,
        };
        assert!(e.message_zh().contains("12 个月") && e.message_en().contains("(6 months)"));
    }
}
