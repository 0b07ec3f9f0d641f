//! `huoshui act ID ACTION …`: an action on an application, through the app facade (decided by
//! the domain, written with its outbox command in one transaction), then one attempt to send it.
//! An account manager's: contact, start-review, request-documents, approve, reject, disburse;
//! a villager's own: accept (the offer), withdraw, provide-documents.
//!
//! Owns parsing the action and its flags (money in yuan and rates in percent with the core's
//! exact parsers; a flag that does not belong to the action is refused rather than ignored)
//! and the two-stage output. Must never say the platform has an action it has not acknowledged.

use super::Context;
use super::apply::parse_amount;
use super::device::{Device, resolve_application};
use crate::error::CliError;
use crate::output;
use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::lifecycle::ContactOutcome;
use huoshui_core::domain::money::parse_percent;
use serde::Serialize;

/// What a manager (or, for the last three, the villager) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Action {
    /// 记录联系: the call (with --outcome and an internal --note).
    Contact,
    /// 开始审查.
    StartReview,
    /// 补充材料: ask for documents (--kinds, --note for the villager).
    RequestDocuments,
    /// 批准: with the offer (--amount, --rate, --months).
    Approve,
    /// 拒绝: with a --reason the villager reads.
    Reject,
    /// 放款: the money paid out (--amount).
    Disburse,
    /// 村民：接受报价 (the villager accepts the bank's offer).
    Accept,
    /// 村民：撤回申请 (the villager withdraws, with an optional --reason).
    Withdraw,
    /// 村民：材料已补充 (the villager says the requested documents are added).
    ProvideDocuments,
}

impl Action {
    fn code(self) -> &'static str {
        match self {
            Action::Contact => "contact",
            Action::StartReview => "start-review",
            Action::RequestDocuments => "request-documents",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Disburse => "disburse",
            Action::Accept => "accept",
            Action::Withdraw => "withdraw",
            Action::ProvideDocuments => "provide-documents",
        }
    }

    fn words(self) -> (&'static str, &'static str) {
        match self {
            Action::Contact => ("联系记录", "the call record"),
            Action::StartReview => ("开始审查", "the start of the review"),
            Action::RequestDocuments => ("补充材料的要求", "the request for documents"),
            Action::Approve => ("批准和报价", "the approval and its offer"),
            Action::Reject => ("拒绝", "the rejection"),
            Action::Disburse => ("放款记录", "the disbursement"),
            Action::Accept => ("接受报价", "the acceptance of the offer"),
            Action::Withdraw => ("撤回申请", "the withdrawal"),
            Action::ProvideDocuments => ("补充的材料", "the documents provided"),
        }
    }
}

/// How the call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Outcome {
    /// 已接通
    Reached,
    /// 未接通
    NoAnswer,
    /// 约定回电
    CallBack,
}

impl From<Outcome> for ContactOutcome {
    fn from(o: Outcome) -> ContactOutcome {
        match o {
            Outcome::Reached => ContactOutcome::Reached,
            Outcome::NoAnswer => ContactOutcome::NoAnswer,
            Outcome::CallBack => ContactOutcome::CallBack,
        }
    }
}

/// 操作申请: act on an application (sent at once when online; works offline).
#[derive(Debug, clap::Args)]
pub struct ActArgs {
    /// The application id (or a unique part of it, 8+ characters), as `huoshui tasks` shows it.
    pub id: String,
    /// What to do.
    #[arg(value_enum)]
    pub action: Action,
    /// contact: the bank's internal note; request-documents: what the villager should know.
    #[arg(long)]
    pub note: Option<String>,
    /// contact: how the call went (default reached).
    #[arg(long, value_enum)]
    pub outcome: Option<Outcome>,
    /// request-documents: the kinds wanted, comma-separated, e.g. land_contract,id_card_front.
    #[arg(long, value_delimiter = ',', value_parser = parse_kind)]
    pub kinds: Vec<DocumentKind>,
    /// reject: the reason the villager reads; withdraw: why (optional).
    #[arg(long)]
    pub reason: Option<String>,
    /// approve: the amount offered; disburse: the amount paid out (yuan, at most 2 decimals).
    #[arg(long)]
    pub amount: Option<String>,
    /// approve: the annual rate in percent, e.g. 4.35.
    #[arg(long)]
    pub rate: Option<String>,
    /// approve: the term in months.
    #[arg(long)]
    pub months: Option<u32>,
}

fn parse_kind(s: &str) -> Result<DocumentKind, String> {
    DocumentKind::from_code(s.trim()).ok_or_else(|| {
        let codes: Vec<&str> = DocumentKind::ALL.iter().map(|k| k.code()).collect();
        format!(
            "未知的材料类型 / unknown document kind `{s}`; one of: {}",
            codes.join(", ")
        )
    })
}

/// Refuses the flags the action does not take, so nothing typed is silently ignored.
fn only_for(args: &ActArgs) -> Result<(), CliError> {
    let a = args.action;
    let checks: [(&str, bool, &[Action]); 7] = [
        (
            "--note",
            args.note.is_some(),
            &[Action::Contact, Action::RequestDocuments],
        ),
        ("--outcome", args.outcome.is_some(), &[Action::Contact]),
        (
            "--kinds",
            !args.kinds.is_empty(),
            &[Action::RequestDocuments],
        ),
        (
            "--reason",
            args.reason.is_some(),
            &[Action::Reject, Action::Withdraw],
        ),
        (
            "--amount",
            args.amount.is_some(),
            &[Action::Approve, Action::Disburse],
        ),
        ("--rate", args.rate.is_some(), &[Action::Approve]),
        ("--months", args.months.is_some(), &[Action::Approve]),
    ];
    for (flag, given, allowed) in checks {
        if given && !allowed.contains(&a) {
            let names: Vec<&str> = allowed.iter().map(|x| x.code()).collect();
            return Err(CliError::input(
                format!("{flag} 只用于 {}，不用于 {}", names.join("、"), a.code()),
                format!(
                    "{flag} is only for {}, not for {}",
                    names.join(", "),
                    a.code()
                ),
            ));
        }
    }
    Ok(())
}

fn missing(flag: &str, action: Action) -> CliError {
    CliError::input(
        format!("{} 需要 {flag}", action.code()),
        format!("{} needs {flag}", action.code()),
    )
}

fn parse_rate(text: &str) -> Result<i64, CliError> {
    match parse_percent(text) {
        Some(ppm) if ppm > 0 => Ok(ppm),
        _ => Err(CliError::input(
            format!("年利率「{text}」看不懂：请写百分数，例如 4.35（最多四位小数）"),
            format!(
                "cannot read the rate \"{text}\": write a percent a year, e.g. 4.35 (at most 4 decimals)"
            ),
        )),
    }
}

/// The first thing `act` says: the action is in the outbox.
#[derive(Debug, Serialize)]
struct Queued {
    stage: &'static str,
    id: String,
    action: &'static str,
    state: String,
    state_zh: String,
    message_zh: String,
    message_en: String,
}

pub fn run(ctx: &Context, args: ActArgs) -> Result<(), CliError> {
    only_for(&args)?;
    // Everything typed is read before the core is opened: bad input changes nothing.
    let amount = args.amount.as_deref().map(parse_amount).transpose()?;
    let rate = args.rate.as_deref().map(parse_rate).transpose()?;
    match args.action {
        Action::RequestDocuments if args.kinds.is_empty() => {
            return Err(missing("--kinds", args.action));
        }
        Action::Reject if args.reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
            return Err(missing("--reason", args.action));
        }
        Action::Disburse if amount.is_none() => return Err(missing("--amount", args.action)),
        Action::Approve if amount.is_none() => return Err(missing("--amount", args.action)),
        Action::Approve if rate.is_none() => return Err(missing("--rate", args.action)),
        Action::Approve if args.months.is_none() => {
            return Err(missing("--months", args.action));
        }
        _ => {}
    }
    let device = Device::open(ctx)?;
    let id = resolve_application(&device, &args.id)?;
    let core = &device.core;
    let timeline = match args.action {
        Action::Contact => core.record_contact(
            &id,
            args.outcome.unwrap_or(Outcome::Reached).into(),
            args.note.clone(),
        )?,
        Action::StartReview => core.start_review(&id)?,
        Action::RequestDocuments => core.request_documents(
            &id,
            args.kinds.clone(),
            args.note.clone().unwrap_or_default(),
        )?,
        Action::Approve => core.approve(
            &id,
            amount.unwrap_or_default(),
            args.months.unwrap_or_default(),
            rate.unwrap_or_default(),
        )?,
        Action::Reject => core.reject(&id, args.reason.clone().unwrap_or_default())?,
        Action::Disburse => core.disburse(&id, amount.unwrap_or_default())?,
        Action::Accept => core.accept_offer(&id)?,
        Action::Withdraw => core.withdraw(&id, args.reason.clone())?,
        Action::ProvideDocuments => core.provide_documents(&id)?,
    };
    let (what_zh, what_en) = args.action.words();
    let a = &timeline.application;
    let queued = Queued {
        stage: "queued",
        id: id.clone(),
        action: args.action.code(),
        state: a.state.code().to_owned(),
        state_zh: a.state_zh.clone(),
        message_zh: format!("{what_zh}已保存在本机待发送"),
        message_en: format!("{what_en} is queued on this machine, not sent yet"),
    };
    if ctx.json {
        output::print_json_line(&queued)?;
    } else {
        println!("申请编号 application id: {id}");
        println!("{} / {}", queued.message_zh, queued.message_en);
        output::flush();
    }
    super::sync::deliver(
        &device,
        ctx,
        &id,
        &format!("平台已收到{what_zh}"),
        &format!("the platform has {what_en}"),
    )
}
