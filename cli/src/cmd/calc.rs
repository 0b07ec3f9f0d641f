//! `huoshui calc`: the plain loan calculator (贷款计算器) over the core's cost engine.
//! Owns parsing the calculator's arguments and printing its schedule; must never compute a
//! figure or a date itself (every number comes from `huoshui_core::domain::cost`, every due
//! date from `huoshui_core::domain::repayment`).

use super::Context;
use crate::error::CliError;
use crate::output;
use huoshui_core::domain::cost::{
    self, Amortization, CostBreakdown, FeeTerms, Frequency, LoanTerms, Method, SubsidyTerms,
};
use huoshui_core::domain::money::{Fen, format_percent, format_yuan, parse_percent, parse_yuan};
use huoshui_core::domain::repayment::{self, date_iso, date_zh};
use jiff::civil::Date;
use serde::Serialize;

/// The repayment method as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodArg {
    /// 等额本息: the same payment every period.
    EqualInstallment,
    /// 等额本金: the same principal every period.
    EqualPrincipal,
    /// 先息后本: interest every period, the principal at the end.
    InterestFirst,
    /// 到期一次还本付息: everything at maturity, simple interest.
    Bullet,
}

/// How often a payment falls due, as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EveryArg {
    /// 按月
    Month,
    /// 按季 (every 3 months)
    Quarter,
    /// 按年 (every 12 months)
    Year,
}

/// 贷款计算器: the repayment schedule, total interest and annualized rate of a loan.
#[derive(Debug, clap::Args)]
pub struct CalcArgs {
    /// Repayment method (还款方式).
    #[arg(long, value_enum)]
    pub method: MethodArg,
    /// Amount in yuan (贷款金额，元), e.g. 500000 or 500,000.00.
    #[arg(long)]
    pub amount: String,
    /// Annual rate in percent (年利率，%), e.g. 4.35.
    #[arg(long)]
    pub rate: String,
    /// Term in months (期限，月).
    #[arg(long)]
    pub months: u32,
    /// Months of interest only before the principal starts (宽限期，月).
    #[arg(long, default_value_t = 0)]
    pub grace_months: u32,
    /// How often a payment falls due (还款频率).
    #[arg(long, value_enum, default_value_t = EveryArg::Month)]
    pub every: EveryArg,
    /// A fee paid when the loan is paid out, in yuan (手续费，元).
    #[arg(long)]
    pub upfront_fee: Option<String>,
    /// The day the loan is paid out (放款日), YYYY-MM-DD: every period gets its due date
    /// (one period later; a day the month lacks becomes its last day).
    #[arg(long)]
    pub start_date: Option<String>,
}

/// One row of `--json` output.
#[derive(Debug, Serialize)]
struct PeriodJson {
    n: u32,
    due_month: u32,
    /// Only with `--start-date`.
    #[serde(skip_serializing_if = "Option::is_none")]
    due_date: Option<String>,
    principal_fen: Fen,
    interest_fen: Fen,
    payment_fen: Fen,
    balance_fen: Fen,
}

/// The `--json` object.
#[derive(Debug, Serialize)]
struct CalcJson {
    periods: Vec<PeriodJson>,
    total_principal_fen: Fen,
    total_interest_fen: Fen,
    total_paid_fen: Fen,
    upfront_fee_fen: Fen,
    apr_percent: f64,
    effective_apr_percent: f64,
}

/// Runs the calculator.
pub fn run(ctx: &Context, args: CalcArgs) -> Result<(), CliError> {
    let (terms, fees) = terms_from(&args)?;
    let breakdown = cost::cost(&terms, &fees, &SubsidyTerms::default())
        .map_err(|e| CliError::input(e.message_zh(), e.message_en()))?;
    let due_dates = match &args.start_date {
        Some(text) => Some(due_dates(&terms, text)?),
        None => None,
    };
    let due_dates = due_dates.as_deref();
    if ctx.json {
        output::print_json(&to_json(&breakdown, due_dates))
    } else {
        print_table(&terms, &breakdown, due_dates);
        Ok(())
    }
}

/// The due date of every period, from the core's dated plan of `terms` paid out on `text`.
fn due_dates(terms: &LoanTerms, text: &str) -> Result<Vec<Date>, CliError> {
    let start = text.trim().parse::<Date>().map_err(|_| {
        CliError::input(
            format!("放款日“{text}”无法识别，请写成 YYYY-MM-DD，例如 2027-01-31"),
            format!("cannot read the start date `{text}`; write it as YYYY-MM-DD, e.g. 2027-01-31"),
        )
    })?;
    let plan = repayment::plan(terms, start)
        .map_err(|e| CliError::input(e.message_zh(), e.message_en()))?;
    Ok(plan.rows.iter().map(|r| r.due_date).collect())
}

fn terms_from(args: &CalcArgs) -> Result<(LoanTerms, FeeTerms), CliError> {
    let amount = parse_yuan(&args.amount).ok_or_else(|| {
        CliError::input(
            format!(
                "金额“{}”无法识别，请输入元，例如 500000 或 500,000.00",
                args.amount
            ),
            format!(
                "cannot read the amount `{}`; give yuan, e.g. 500000 or 500,000.00",
                args.amount
            ),
        )
    })?;
    let rate = parse_percent(&args.rate).ok_or_else(|| {
        CliError::input(
            format!("年利率“{}”无法识别，请输入百分数，例如 4.35", args.rate),
            format!(
                "cannot read the rate `{}`; give a percent, e.g. 4.35",
                args.rate
            ),
        )
    })?;
    let upfront_fee = match &args.upfront_fee {
        None => 0,
        Some(text) => match parse_yuan(text) {
            Some(fen) if fen >= 0 => fen,
            _ => {
                return Err(CliError::input(
                    format!("手续费“{text}”无法识别，请输入不小于 0 的元数，例如 1000"),
                    format!(
                        "cannot read the upfront fee `{text}`; give yuan, 0 or more, e.g. 1000"
                    ),
                ));
            }
        },
    };
    let grace = args.grace_months;
    let method = match (args.method, grace) {
        (MethodArg::EqualInstallment, 0) => Method::EqualInstallment,
        (MethodArg::EqualPrincipal, 0) => Method::EqualPrincipal,
        (MethodArg::EqualInstallment, g) => Method::GraceThenAmortize {
            grace_months: g,
            then: Amortization::EqualInstallment,
        },
        (MethodArg::EqualPrincipal, g) => Method::GraceThenAmortize {
            grace_months: g,
            then: Amortization::EqualPrincipal,
        },
        (MethodArg::InterestFirst, 0) => Method::InterestFirst,
        (MethodArg::Bullet, 0) => Method::Bullet,
        (MethodArg::InterestFirst | MethodArg::Bullet, _) => {
            return Err(CliError::input(
                "宽限期只适用于等额本息或等额本金（先息后本和到期还本本来就先只付利息），请去掉 --grace-months",
                "a grace period applies to equal-installment or equal-principal only (interest-first and bullet pay no principal until the end anyway); drop --grace-months",
            ));
        }
    };
    let frequency = match args.every {
        EveryArg::Month => Frequency::Monthly,
        EveryArg::Quarter => Frequency::Quarterly,
        EveryArg::Year => Frequency::Yearly,
    };
    let terms = LoanTerms::new(amount, rate, args.months, method).with_frequency(frequency);
    Ok((
        terms,
        FeeTerms {
            upfront_fee,
            ..FeeTerms::default()
        },
    ))
}

fn to_json(b: &CostBreakdown, due_dates: Option<&[Date]>) -> CalcJson {
    CalcJson {
        periods: b
            .schedule
            .periods
            .iter()
            .zip(0..)
            .map(|(p, i): (_, usize)| PeriodJson {
                n: p.n,
                due_month: p.due_month,
                due_date: due_dates.and_then(|d| d.get(i)).map(|d| date_iso(*d)),
                principal_fen: p.principal,
                interest_fen: p.interest,
                payment_fen: p.payment,
                balance_fen: p.balance,
            })
            .collect(),
        total_principal_fen: b.schedule.total_principal,
        total_interest_fen: b.summary.total_interest,
        total_paid_fen: b.summary.total_paid,
        upfront_fee_fen: b.summary.upfront_fee,
        apr_percent: b.summary.apr.nominal_percent(),
        effective_apr_percent: b.summary.apr.effective_percent(),
    }
}

fn print_table(terms: &LoanTerms, b: &CostBreakdown, due_dates: Option<&[Date]>) {
    let mut t = output::table();
    let payment_header = if terms.interval_months() == 1 {
        "月供"
    } else {
        "每期还款"
    };
    // With a start date, a 还款日 column follows 还款月; the rest is the same table.
    let dated = due_dates.is_some();
    let mut header = vec!["期数", "还款月"];
    if dated {
        header.push("还款日");
    }
    header.extend(["本金", "利息", payment_header, "剩余本金"]);
    t.set_header(header);
    for (i, p) in b.schedule.periods.iter().enumerate() {
        let mut row = vec![p.n.to_string(), format!("第{}月", p.due_month)];
        if let Some(dates) = due_dates {
            row.push(dates.get(i).map(|d| date_zh(*d)).unwrap_or_default());
        }
        row.extend([
            format_yuan(p.principal),
            format_yuan(p.interest),
            format_yuan(p.payment),
            format_yuan(p.balance),
        ]);
        t.add_row(row);
    }
    let mut total = vec!["合计".to_string(), String::new()];
    if dated {
        total.push(String::new());
    }
    total.extend([
        format_yuan(b.schedule.total_principal),
        format_yuan(b.summary.total_interest),
        format_yuan(b.summary.total_paid),
        String::new(),
    ]);
    t.add_row(total);
    println!("{t}");
    println!(
        "贷款金额 {}，年利率 {}，期限 {} 个月",
        format_yuan(terms.amount),
        format_percent(terms.annual_rate),
        terms.months
    );
    println!(
        "利息合计 {}，还款合计 {}",
        format_yuan(b.summary.total_interest),
        format_yuan(b.summary.total_paid)
    );
    if b.summary.upfront_fee > 0 {
        println!(
            "手续费 {}（放款时支付）",
            format_yuan(b.summary.upfront_fee)
        );
    }
    println!(
        "年化利率（IRR）{}，实际年利率 {}",
        format_percent(b.summary.apr.nominal_ppm),
        format_percent(b.summary.apr.effective_ppm)
    );
}
