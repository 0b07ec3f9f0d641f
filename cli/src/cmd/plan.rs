//! `huoshui plan ID` and `huoshui prepay ID --date D [--amount YUAN]`: a paid-out loan's dated
//! repayment plan (what is due, paid and late, from what was synced; works offline) and its
//! early repayment choices, through the same facade calls the phones make
//! (`AppCore::loan_plan`, `AppCore::prepay_options`).
//!
//! Owns the tables and the JSON of those two screens; every word and number comes from the
//! facade's view models, and this module decides nothing.

use super::Context;
use super::apply::parse_amount;
use super::device::{Device, code_of, resolve_application};
use crate::error::CliError;
use crate::output;
use huoshui_core::app::plan::{PlanRowView, PlanScreenView, PrepayInput, PrepayScreenView};
use serde::Serialize;

/// 还款计划: a paid-out loan's plan (run `huoshui sync` first to catch up).
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The application id (or a unique part of it, 8+ characters).
    pub id: String,
}

/// 提前还款: what repaying early on a day would cost and save, for every choice.
#[derive(Debug, clap::Args)]
pub struct PrepayArgs {
    /// The application id (or a unique part of it, 8+ characters).
    pub id: String,
    /// The day of the early repayment, YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
    /// The principal to repay early, in yuan (leave out to repay everything).
    #[arg(long)]
    pub amount: Option<String>,
}

#[derive(Debug, Serialize)]
struct RowJson {
    n: u32,
    due_date: String,
    due_date_zh: String,
    kind: String,
    principal_fen: i64,
    interest_fen: i64,
    payment_fen: i64,
    paid_fen: i64,
    outstanding_fen: i64,
    balance_fen: i64,
    status: String,
    status_zh: String,
    days_late: u32,
}

fn row_json(r: &PlanRowView) -> RowJson {
    RowJson {
        n: r.n,
        due_date: r.due_date.clone(),
        due_date_zh: r.due_date_zh.clone(),
        kind: code_of(&r.kind),
        principal_fen: r.principal.fen,
        interest_fen: r.interest.fen,
        payment_fen: r.payment.fen,
        paid_fen: r.paid.fen,
        outstanding_fen: r.outstanding.fen,
        balance_fen: r.balance.fen,
        status: code_of(&r.status),
        status_zh: r.status_zh.clone(),
        days_late: r.days_late,
    }
}

#[derive(Debug, Serialize)]
struct PlanJson {
    application_id: Option<String>,
    product_id: String,
    product_zh: String,
    today: String,
    summary_zh: String,
    summary_en: String,
    interest_only_zh: Option<String>,
    stage: Option<String>,
    days_late: u32,
    due_now_fen: i64,
    late_fen: i64,
    paid_fen: i64,
    principal_outstanding_fen: i64,
    total_interest_fen: i64,
    closed: bool,
    rows: Vec<RowJson>,
    repayments: Vec<serde_json::Value>,
}

fn plan_json(p: &PlanScreenView) -> PlanJson {
    PlanJson {
        application_id: p.application_id.clone(),
        product_id: p.product_id.clone(),
        product_zh: p.product_zh.clone(),
        today: p.today.clone(),
        summary_zh: p.summary_zh.clone(),
        summary_en: p.summary_en.clone(),
        interest_only_zh: p.interest_only_zh.clone(),
        stage: p.stage.as_ref().map(code_of),
        days_late: p.days_late,
        due_now_fen: p.due_now.fen,
        late_fen: p.late.fen,
        paid_fen: p.paid.fen,
        principal_outstanding_fen: p.principal_outstanding.fen,
        total_interest_fen: p.total_interest.fen,
        closed: p.closed,
        rows: p.rows.iter().map(row_json).collect(),
        repayments: p
            .repayments
            .iter()
            .map(|r| {
                serde_json::json!({"on": r.on, "amount_fen": r.amount.fen,
                    "interest_fen": r.interest.fen, "principal_fen": r.principal.fen,
                    "excess_fen": r.excess.fen})
            })
            .collect(),
    }
}

/// `huoshui plan ID`.
pub fn plan(ctx: &Context, args: PlanArgs) -> Result<(), CliError> {
    let device = Device::open(ctx)?;
    let id = resolve_application(&device, &args.id)?;
    let view = device.core.loan_plan(&id)?;
    if ctx.json {
        return output::print_json(&plan_json(&view));
    }
    println!("{}（{}）", view.product_zh, view.product_en);
    println!("{}\n{}", view.summary_zh, view.summary_en);
    if let Some(note) = &view.interest_only_zh {
        println!("{note}");
    }
    let mut t = output::table();
    t.set_header([
        "期数 n",
        "还款日 due",
        "类型 kind",
        "本金",
        "利息",
        "应还",
        "状态 status",
    ]);
    for r in &view.rows {
        t.add_row([
            r.n.to_string(),
            r.due_date_zh.clone(),
            r.kind_zh.clone(),
            r.principal.full.clone(),
            r.interest.full.clone(),
            r.payment.full.clone(),
            r.status_zh.clone(),
        ]);
    }
    println!("{t}");
    Ok(())
}

/// `huoshui prepay ID --date D [--amount YUAN]`.
pub fn prepay(ctx: &Context, args: PrepayArgs) -> Result<(), CliError> {
    let principal_fen = args.amount.as_deref().map(parse_amount).transpose()?;
    let device = Device::open(ctx)?;
    let id = resolve_application(&device, &args.id)?;
    let input = PrepayInput {
        on: args.date,
        principal_fen,
    };
    let view: PrepayScreenView = device.core.prepay_options(&id, &input)?;
    if ctx.json {
        let options: Vec<serde_json::Value> = view
            .options
            .iter()
            .map(|o| {
                serde_json::json!({
                    "choice": o.choice.as_ref().map(code_of),
                    "choice_zh": o.choice_zh,
                    "pay_on_the_day_fen": o.pay_on_the_day.fen,
                    "principal_fen": o.principal.fen,
                    "accrued_interest_fen": o.accrued_interest.fen,
                    "accrued_days": o.accrued_days,
                    "interest_saved_fen": o.interest_saved.fen,
                    "rows_left_before": o.rows_left_before,
                    "rows_left_after": o.rows_left_after,
                    "next_payment_before_fen": o.next_payment_before.as_ref().map(|m| m.fen),
                    "next_payment_after_fen": o.next_payment_after.as_ref().map(|m| m.fen),
                    "summary_zh": o.summary_zh,
                    "summary_en": o.summary_en,
                    "rows": o.rows.iter().map(row_json).collect::<Vec<_>>(),
                })
            })
            .collect();
        return output::print_json(&serde_json::json!({"on": view.on, "options": options}));
    }
    println!("提前还款日 {}", view.on_zh);
    for o in &view.options {
        println!(
            "· {}：当天还 {}（本金 {} + 利息 {}，{}天），节省利息 {}\n  {}\n  {}",
            o.choice_zh,
            o.pay_on_the_day.full,
            o.principal.full,
            o.accrued_interest.full,
            o.accrued_days,
            o.interest_saved.full,
            o.summary_zh,
            o.summary_en
        );
    }
    Ok(())
}
