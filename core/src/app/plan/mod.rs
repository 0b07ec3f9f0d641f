//! The loan screens after the payout: the dated repayment plan with what is due, paid and late,
//! the local notifications the shells schedule (they fire offline), early repayment on a day
//! with every choice the method allows, and the revolving line's statement.
//!
//! Owns the screen models and their words (Chinese dates, the interest-only years said as
//! such); every number comes from [`crate::domain::repayment`] and every link between the
//! application's events and its plan from [`crate::domain::lifecycle::loan`], the functions
//! the platform runs too. Must never decide a rule of its own, never read a clock except
//! through the facade's `today`, and never put anything personal in a reminder.

mod line;
mod prepay;
pub mod views;

pub use views::{
    LineEntryView, LineEventInput, LineInput, LineStatementView, NextDueView, PaidView, PlanInput,
    PlanRowView, PlanScreenView, PrepayInput, PrepayOptionView, PrepayScreenView, ReminderView,
    RepaymentInput,
};

use super::{AppCore, AppError, applications};
use crate::app::views::MoneyView;
use crate::domain::catalog::{Catalog, Product};
use crate::domain::lifecycle::State;
use crate::domain::lifecycle::loan::{loan_plan, recorded_repayments};
use crate::domain::money::Fen;
use crate::domain::repayment::dates::days_between;
use crate::domain::repayment::{
    self, AllocationRule, LoanStatus, PlanRow, RecordedRepayment, RepaymentError, RepaymentPlan,
    RowKind, RowState, RowStatus, date_en, date_zh,
};
use jiff::civil::Date;

/// A repayment-domain refusal as the facade's error: bad input, in the domain's words.
pub(crate) fn repayment_error(e: &RepaymentError) -> AppError {
    AppError::invalid(e.message_zh(), e.message_en())
}

/// `2027-02-28` → the day, or an error that says the format.
pub(crate) fn parse_day(text: &str, field_zh: &str, field_en: &str) -> Result<Date, AppError> {
    text.trim().parse::<Date>().map_err(|_| {
        AppError::invalid(
            format!("{field_zh}格式不对，请写成 2027-02-28 这样的日期"),
            format!("{field_en} must be a date like 2027-02-28"),
        )
    })
}

fn product<'a>(catalog: &'a Catalog, id: &str) -> Result<&'a Product, AppError> {
    catalog
        .product(id)
        .ok_or_else(|| AppError::not_found("贷款产品", "loan product", id))
}

/// A loan's plan and repayments as the screens need them.
pub(crate) struct Loan<'a> {
    pub application_id: Option<String>,
    pub product: &'a Product,
    pub plan: RepaymentPlan,
    pub repayments: Vec<RecordedRepayment>,
}

impl<'a> Loan<'a> {
    /// A loan from a [`PlanInput`].
    pub(crate) fn from_input(catalog: &'a Catalog, input: &PlanInput) -> Result<Self, AppError> {
        let product = product(catalog, &input.product_id)?;
        let on = parse_day(&input.disbursed_on, "放款日", "the payout day")?;
        let plan = repayment::plan_for_product(
            product,
            input.amount_fen,
            input.months,
            input.annual_rate_ppm,
            on,
        )
        .map_err(|e| repayment_error(&e))?;
        let mut repayments = Vec::with_capacity(input.repayments.len());
        for r in &input.repayments {
            repayments.push(RecordedRepayment {
                on: parse_day(&r.on, "还款日期", "the repayment day")?,
                amount: r.amount_fen,
            });
        }
        Ok(Loan {
            application_id: None,
            product,
            plan,
            repayments,
        })
    }

    /// The loan of an application on this phone, once it is paid out.
    pub(crate) fn of_application(
        catalog: &'a Catalog,
        app: &crate::domain::lifecycle::Application,
    ) -> Result<Self, AppError> {
        let product = product(catalog, &app.product_id)?;
        let plan = loan_plan(app, product)
            .map_err(|e| repayment_error(&e))?
            .ok_or_else(|| {
                AppError::new(
                    super::ErrorAction::Conflict,
                    "这笔贷款还没有放款，放款后才有还款计划",
                    "this loan is not paid out yet; its plan comes with the payout",
                )
            })?;
        Ok(Loan {
            application_id: Some(app.id.as_str().to_owned()),
            product,
            plan,
            repayments: recorded_repayments(app),
        })
    }

    fn status(&self, today: Date) -> Result<LoanStatus, AppError> {
        repayment::status_at(&self.plan, &self.repayments, today).map_err(|e| repayment_error(&e))
    }
}

fn kind_words(kind: RowKind) -> (&'static str, &'static str) {
    match kind {
        RowKind::InterestOnly => ("只付利息", "interest only"),
        RowKind::Installment => ("本息", "principal and interest"),
        RowKind::Prepayment => ("提前还款", "early repayment"),
    }
}

fn status_words(status: RowStatus, days_late: u32) -> (String, String) {
    match status {
        RowStatus::Paid => ("已还".into(), "paid".into()),
        RowStatus::Upcoming => ("待还".into(), "to pay".into()),
        RowStatus::DueToday => ("今日应还".into(), "due today".into()),
        RowStatus::Late => (
            format!("逾期{days_late}天"),
            format!("{days_late} days late"),
        ),
    }
}

/// A row of a plan, with its standing (`None`: a row not yet due, nothing paid).
pub(crate) fn row_view(row: &PlanRow, state: Option<&RowState>) -> PlanRowView {
    let (kind_zh, kind_en) = kind_words(row.kind);
    let status = state.map_or(RowStatus::Upcoming, |s| s.status);
    let days_late = state.map_or(0, |s| s.days_late);
    let (status_zh, status_en) = status_words(status, days_late);
    let paid = state.map_or(0, |s| s.paid_interest + s.paid_principal);
    PlanRowView {
        n: row.n,
        due_date: row.due_date_iso(),
        due_date_zh: row.due_date_zh(),
        due_date_en: date_en(row.due_date),
        kind: row.kind,
        kind_zh: kind_zh.into(),
        kind_en: kind_en.into(),
        principal: MoneyView::of(row.principal),
        interest: MoneyView::of(row.interest),
        payment: MoneyView::of(row.payment),
        paid: MoneyView::of(paid),
        outstanding: MoneyView::of(state.map_or(row.payment, |s| s.outstanding)),
        balance: MoneyView::of(row.balance),
        status,
        status_zh,
        status_en,
        days_late,
    }
}

/// The interest-only rows said as such: `前3年（12期）只付利息，至2029年11月28日；之后还本金`.
fn interest_only_words(plan: &RepaymentPlan) -> Option<(String, String)> {
    let rows: Vec<&PlanRow> = plan.rows.iter().filter(|r| r.interest_only()).collect();
    let last = rows.last()?;
    let count = rows.len();
    let months = last.due_month;
    let (span_zh, span_en) = if months % 12 == 0 {
        (
            format!("前{}年", months / 12),
            format!("{} years", months / 12),
        )
    } else {
        (format!("前{months}个月"), format!("{months} months"))
    };
    Some((
        format!(
            "{span_zh}（{count}期）只付利息，至{}；之后开始还本金",
            date_zh(last.due_date)
        ),
        format!(
            "Interest only for the first {span_en} ({count} payments), until {}; principal after that",
            date_en(last.due_date)
        ),
    ))
}

fn summary(status: &LoanStatus, today: Date) -> (String, String) {
    if status.closed {
        return ("贷款已全部还清".into(), "The loan is repaid in full".into());
    }
    if let Some(stage) = status.stage {
        let late = MoneyView::of(status.late).full;
        return (
            format!(
                "已逾期{}天（{}），逾期金额 {late}，请尽快还款",
                status.days_late,
                stage.name_zh()
            ),
            format!(
                "{} days late ({}): {late} overdue; please repay soon",
                status.days_late,
                stage.name_en()
            ),
        );
    }
    match status.next_due {
        Some(next) => {
            let money = MoneyView::of(next.amount).full;
            let days = days_between(today, next.due_date);
            (
                format!(
                    "下次还款：{} 应还 {money}（还有{days}天）",
                    date_zh(next.due_date)
                ),
                format!(
                    "Next: {money} due on {} (in {days} days)",
                    date_en(next.due_date)
                ),
            )
        }
        None => ("暂无应还款项".into(), "Nothing to pay now".into()),
    }
}

fn paid_views(loan: &Loan<'_>) -> Result<Vec<PaidView>, AppError> {
    let splits = repayment::split_repayments(
        &loan.plan,
        &loan.repayments,
        AllocationRule::InterestThenPrincipal,
    )
    .map_err(|e| repayment_error(&e))?;
    Ok(splits
        .iter()
        .map(|s| PaidView {
            on: s.on.to_string(),
            on_zh: date_zh(s.on),
            amount: MoneyView::of(s.amount),
            interest: MoneyView::of(s.interest),
            principal: MoneyView::of(s.principal),
            excess: MoneyView::of(s.excess),
        })
        .collect())
}

/// The plan screen of `loan` on `today`.
pub(crate) fn plan_screen(loan: &Loan<'_>, today: Date) -> Result<PlanScreenView, AppError> {
    let status = loan.status(today)?;
    let (summary_zh, summary_en) = summary(&status, today);
    let (io_zh, io_en) = interest_only_words(&loan.plan).unzip();
    let rows = loan
        .plan
        .rows
        .iter()
        .zip(&status.rows)
        .map(|(row, state)| row_view(row, Some(state)))
        .collect();
    let money = MoneyView::of;
    Ok(PlanScreenView {
        application_id: loan.application_id.clone(),
        product_id: loan.product.id.clone(),
        product_zh: loan.product.name_zh.clone(),
        product_en: loan.product.name_en.clone(),
        today: today.to_string(),
        disbursed_on_zh: date_zh(loan.plan.disbursed_on),
        maturity_zh: loan.plan.maturity().map(date_zh).unwrap_or_default(),
        summary_zh,
        summary_en,
        interest_only_zh: io_zh,
        interest_only_en: io_en,
        next_due: status.next_due.map(|n| NextDueView {
            n: n.n,
            due_date: n.due_date.to_string(),
            due_date_zh: date_zh(n.due_date),
            amount: money(n.amount),
            days_left: days_between(today, n.due_date),
        }),
        due_now: money(status.due_now),
        late: money(status.late),
        paid: money(status.paid),
        excess: money(status.excess),
        principal_outstanding: money(status.principal_outstanding),
        total_interest: money(loan.plan.total_interest),
        total_payment: money(loan.plan.total_paid),
        days_late: status.days_late,
        stage: status.stage,
        stage_zh: status.stage.map(|s| s.name_zh().to_owned()),
        stage_en: status.stage.map(|s| s.name_en().to_owned()),
        closed: status.closed,
        rows,
        repayments: paid_views(loan)?,
    })
}

/// 09:00 in China on `day`, in milliseconds since the epoch.
fn nine_in_china(day: Date) -> i64 {
    super::china_time()
        .to_ambiguous_timestamp(day.at(9, 0, 0, 0))
        .compatible()
        .map_or(0, |t| t.as_millisecond())
}

/// The reminders of `loan` to schedule on `today`.
pub(crate) fn reminder_views(loan: &Loan<'_>, today: Date) -> Result<Vec<ReminderView>, AppError> {
    let list = repayment::reminders(&loan.plan, &loan.repayments, today)
        .map_err(|e| repayment_error(&e))?;
    let app = loan.application_id.clone().unwrap_or_default();
    Ok(list
        .into_iter()
        .map(|r| ReminderView {
            key: if app.is_empty() {
                r.key.clone()
            } else {
                format!("{app}-{}", r.key)
            },
            application_id: app.clone(),
            fire_on: r.on.to_string(),
            fire_at_ms: nine_in_china(r.on),
            due_date: r.due_date.to_string(),
            n: r.n,
            amount: MoneyView::of(r.amount),
            kind: r.kind,
            title_zh: r.title_zh,
            title_en: r.title_en,
            text_zh: r.text_zh,
            text_en: r.text_en,
        })
        .collect())
}

/// The day a [`PlanInput`] describes: its `today`, or the facade's.
fn input_day(text: &str, today: Date) -> Result<Date, AppError> {
    if text.trim().is_empty() {
        Ok(today)
    } else {
        parse_day(text, "日期", "the day")
    }
}

/// The loan screens of the facade.
impl AppCore {
    /// The plan screen of a paid-out loan on this phone (works offline, from the events synced).
    pub fn loan_plan(&self, application_id: &str) -> Result<PlanScreenView, AppError> {
        let app = applications::load(&self.store, application_id)?;
        let catalog = self.catalog();
        plan_screen(&Loan::of_application(&catalog, &app)?, self.today())
    }

    /// Every local notification to schedule for the loans on this phone, the soonest first (at
    /// most [`repayment::MAX_REMINDERS`]); call again after each sync or when the app opens.
    pub fn repayment_reminders(&self) -> Result<Vec<ReminderView>, AppError> {
        let catalog = self.catalog();
        let today = self.today();
        let mut out = Vec::new();
        for app in applications::list(&self.store)? {
            if app.state != State::Disbursed {
                continue;
            }
            // A product missing from an older catalog must not hide the other loans' reminders.
            if let Ok(loan) = Loan::of_application(&catalog, &app) {
                out.extend(reminder_views(&loan, today)?);
            }
        }
        out.sort_by(|a, b| (a.fire_at_ms, &a.key).cmp(&(b.fire_at_ms, &b.key)));
        out.truncate(repayment::MAX_REMINDERS);
        Ok(out)
    }

    /// Early repayment of a loan on this phone: every choice its method allows.
    pub fn prepay_options(
        &self,
        application_id: &str,
        input: &PrepayInput,
    ) -> Result<PrepayScreenView, AppError> {
        let app = applications::load(&self.store, application_id)?;
        let catalog = self.catalog();
        prepay::screen(&Loan::of_application(&catalog, &app)?, input)
    }

    /// The plan screen of a loan described by hand (no application needed).
    pub fn plan_preview(&self, input: &PlanInput) -> Result<PlanScreenView, AppError> {
        let catalog = self.catalog();
        let loan = Loan::from_input(&catalog, input)?;
        plan_screen(&loan, input_day(&input.today, self.today())?)
    }

    /// The reminders of a loan described by hand.
    pub fn reminders_preview(&self, input: &PlanInput) -> Result<Vec<ReminderView>, AppError> {
        let catalog = self.catalog();
        let loan = Loan::from_input(&catalog, input)?;
        reminder_views(&loan, input_day(&input.today, self.today())?)
    }

    /// Early repayment of a loan described by hand.
    pub fn prepay_preview(
        &self,
        input: &PlanInput,
        prepay: &PrepayInput,
    ) -> Result<PrepayScreenView, AppError> {
        let catalog = self.catalog();
        prepay::screen(&Loan::from_input(&catalog, input)?, prepay)
    }

    /// A revolving line's statement (冠之链): daily interest to the fen, never above its cap.
    pub fn line_statement(&self, input: &LineInput) -> Result<LineStatementView, AppError> {
        let catalog = self.catalog();
        line::statement(product(&catalog, &input.product_id)?, input)
    }
}

/// Fen of an optional amount, for the prepay screen.
pub(crate) fn fen_or_none(rows: &[PlanRow]) -> Option<Fen> {
    rows.iter()
        .find(|r| r.kind != RowKind::Prepayment)
        .map(|r| r.payment)
}
