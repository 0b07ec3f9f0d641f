//! A product's terms in words, Chinese and English: repayment, rate rule, approval time.
//! Must never do I/O.

use crate::domain::catalog::{
    AmortizationRule, FrequencyRule, LprTenor, RateRule, Repayment, RepaymentMethod,
};
use crate::domain::money::format_percent;

/// The repayment terms in words: `等额本金·按季（前36个月只付利息）`.
pub fn describe_repayment(r: &Repayment) -> (String, String) {
    let (freq_zh, freq_en) = match r.frequency {
        FrequencyRule::Monthly => ("按月", "monthly"),
        FrequencyRule::Quarterly => ("按季", "quarterly"),
        FrequencyRule::Yearly => ("按年", "yearly"),
        FrequencyRule::AtMaturity => ("到期", "at maturity"),
    };
    let amort = |a: Option<AmortizationRule>| match a {
        Some(AmortizationRule::EqualInstallment) => ("等额本息", "equal installments"),
        Some(AmortizationRule::EqualPrincipal) | None => ("等额本金", "equal principal"),
    };
    match r.method {
        RepaymentMethod::EqualInstallment => (
            format!("等额本息·{freq_zh}"),
            format!("equal installments, {freq_en}"),
        ),
        RepaymentMethod::EqualPrincipal => (
            format!("等额本金·{freq_zh}"),
            format!("equal principal, {freq_en}"),
        ),
        RepaymentMethod::InterestFirst => (
            format!("先息后本·{freq_zh}付息"),
            format!("interest {freq_en}, principal at maturity"),
        ),
        RepaymentMethod::Bullet => (
            "到期一次还本付息".into(),
            "principal and interest once at maturity".into(),
        ),
        RepaymentMethod::GraceThenAmortize => {
            let (zh, en) = amort(r.then);
            (
                format!("前{}个月只付利息，之后{zh}·{freq_zh}", r.grace_months),
                format!(
                    "interest only for {} months, then {en}, {freq_en}",
                    r.grace_months
                ),
            )
        }
        RepaymentMethod::Revolving => (
            format!("随借随还·按日计息·{freq_zh}结息"),
            format!("borrow and repay any time, daily interest settled {freq_en}"),
        ),
    }
}

/// The rate rule in words.
pub fn describe_rate(rate: RateRule) -> (String, String) {
    match rate {
        RateRule::Fixed { annual_ppm } => (
            format!("固定 {}", format_percent(annual_ppm)),
            format!("fixed {}", format_percent(annual_ppm)),
        ),
        RateRule::Lpr { tenor, spread_bp } => {
            let (zh, en) = match tenor {
                LprTenor::OneYear => ("1年期LPR", "1-year LPR"),
                LprTenor::FiveYear => ("5年期以上LPR", "5-year LPR"),
            };
            let sign = if spread_bp < 0 { "-" } else { "+" };
            let bp = spread_bp.unsigned_abs();
            (
                format!("{zh} {sign} {bp}个基点"),
                format!("{en} {sign} {bp} bp"),
            )
        }
    }
}

/// Typical approval time in words: `约4小时`, `约3天`.
pub fn describe_hours(hours: u32) -> (String, String) {
    if hours < 48 {
        (format!("约{hours}小时"), format!("about {hours} h"))
    } else {
        let days = hours.div_ceil(24);
        (format!("约{days}天"), format!("about {days} days"))
    }
}
