//! The villager's view of an application: its events in plain Chinese (with English beside
//! them), each with its time as a villager reads it (`11月28日 09:05`), and what happens next.
//! Owns the wording. Never shows the bank's internal notes or any personal data, never reads a
//! clock (the caller gives `now` and the time zone).

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::model::{Application, ContactOutcome, Event, EventKind, Role, State};
use super::sla::{SlaPolicy, plus_minutes, seconds_until, waiting_for_contact};
use crate::domain::documents::DocumentKind;
use crate::domain::money::{format_percent, format_yuan};
use crate::domain::repayment::{date_en, date_zh};

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub seq: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// `11月28日 09:05` (with `2025年` in front when not in the year of `now`).
    pub when_zh: String,
    /// `Nov 28 09:05` (with the year when not in the year of `now`).
    pub when_en: String,
    pub title_zh: String,
    pub title_en: String,
    pub detail_zh: Option<String>,
    pub detail_en: Option<String>,
    /// Who did it.
    pub by: Role,
}

/// The whole timeline, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    pub state: State,
    pub state_zh: String,
    pub state_en: String,
    /// What happens next, in one sentence.
    pub next_zh: String,
    pub next_en: String,
    /// Oldest first.
    pub entries: Vec<TimelineEntry>,
}

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `11月28日 09:05` in `tz`; the year is added (`2025年11月28日 09:05`) when it differs from
/// the year of `now`.
pub fn format_when_zh(at: Timestamp, tz: &TimeZone, now: Timestamp) -> String {
    let dt = tz.to_datetime(at);
    let this_year = tz.to_datetime(now).year();
    let year = if dt.year() == this_year {
        String::new()
    } else {
        format!("{}年", dt.year())
    };
    format!(
        "{year}{}月{}日 {:02}:{:02}",
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

/// `Nov 28 09:05` in `tz`; `Nov 28 2025 09:05` when the year differs from the year of `now`.
pub fn format_when_en(at: Timestamp, tz: &TimeZone, now: Timestamp) -> String {
    let dt = tz.to_datetime(at);
    let this_year = tz.to_datetime(now).year();
    let month = usize::try_from(dt.month() - 1)
        .ok()
        .and_then(|i| MONTHS_EN.get(i))
        .copied()
        .unwrap_or("?");
    let year = if dt.year() == this_year {
        String::new()
    } else {
        format!(" {}", dt.year())
    };
    format!(
        "{month} {}{year} {:02}:{:02}",
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

fn kinds_zh(kinds: &[DocumentKind]) -> String {
    kinds
        .iter()
        .map(|k| k.name_zh())
        .collect::<Vec<_>>()
        .join("、")
}

fn kinds_en(kinds: &[DocumentKind]) -> String {
    kinds
        .iter()
        .map(|k| k.name_en())
        .collect::<Vec<_>>()
        .join(", ")
}

struct Words {
    title_zh: String,
    title_en: String,
    detail_zh: Option<String>,
    detail_en: Option<String>,
}

fn words(title_zh: &str, title_en: &str) -> Words {
    Words {
        title_zh: title_zh.to_owned(),
        title_en: title_en.to_owned(),
        detail_zh: None,
        detail_en: None,
    }
}

fn with_detail(mut w: Words, zh: String, en: String) -> Words {
    w.detail_zh = Some(zh);
    w.detail_en = Some(en);
    w
}

fn event_words(event: &Event) -> Words {
    match &event.kind {
        EventKind::Created { amount, months, .. } => with_detail(
            words("填写了贷款申请", "You started an application"),
            format!("申请金额 {}，期限 {} 个月", format_yuan(*amount), months),
            format!("Amount {}, {} months", format_yuan(*amount), months),
        ),
        EventKind::Submitted => words("提交了申请", "You submitted the application"),
        EventKind::Assigned { .. } => words(
            "已为您安排客户经理",
            "An account manager was assigned to you",
        ),
        // The note is the bank's own record; the villager sees that the call happened and how.
        EventKind::Contacted { outcome, .. } => match outcome {
            ContactOutcome::Reached => {
                words("客户经理已与您联系", "Your account manager contacted you")
            }
            ContactOutcome::NoAnswer => with_detail(
                words("客户经理给您打过电话", "Your account manager called you"),
                "您没有接到电话，客户经理会再打给您，请留意来电".to_owned(),
                "You missed the call; your manager will call again, keep your phone at hand"
                    .to_owned(),
            ),
            ContactOutcome::CallBack => with_detail(
                words("客户经理已与您联系", "Your account manager contacted you"),
                "已约好再次通话的时间".to_owned(),
                "You agreed on a time to talk again".to_owned(),
            ),
        },
        EventKind::ReviewStarted => words("银行开始审核", "The bank started its review"),
        EventKind::DocumentsRequested { kinds, note } => {
            let (mut zh, mut en) = (
                format!("需要：{}", kinds_zh(kinds)),
                format!("Needed: {}", kinds_en(kinds)),
            );
            if !note.trim().is_empty() {
                zh.push_str(&format!("。说明：{}", note.trim()));
                en.push_str(&format!(". Note: {}", note.trim()));
            }
            with_detail(
                words("银行请您补充材料", "The bank asked for more documents"),
                zh,
                en,
            )
        }
        EventKind::DocumentsProvided => words("您已补充材料", "You provided the documents"),
        EventKind::Approved { offer } => with_detail(
            words("银行批准了您的贷款", "The bank approved your loan"),
            format!(
                "金额 {}，期限 {} 个月，年利率 {}",
                format_yuan(offer.amount),
                offer.months,
                format_percent(offer.annual_rate_ppm)
            ),
            format!(
                "{} for {} months at {} a year",
                format_yuan(offer.amount),
                offer.months,
                format_percent(offer.annual_rate_ppm)
            ),
        ),
        EventKind::OfferAccepted => words("您接受了贷款方案", "You accepted the offer"),
        EventKind::Rejected { reason } => with_detail(
            words(
                "很遗憾，申请未获批准",
                "Sorry, the application was not approved",
            ),
            format!("原因：{}", reason.trim()),
            format!("Reason: {}", reason.trim()),
        ),
        EventKind::Disbursed { amount } => with_detail(
            words("贷款已发放", "The loan was paid out"),
            format!("放款金额 {}", format_yuan(*amount)),
            format!("Amount paid out {}", format_yuan(*amount)),
        ),
        EventKind::Repaid => words("贷款已全部还清", "The loan is repaid in full"),
        EventKind::Withdrawn { reason } => {
            let w = words("您撤回了申请", "You withdrew the application");
            match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                Some(r) => with_detail(w, format!("原因：{r}"), format!("Reason: {r}")),
                None => w,
            }
        }
        EventKind::Escalated { .. } => words(
            "客户经理未按时联系，已转县管理员督办",
            "No call in time: the county administrator was alerted",
        ),
        EventKind::EscalationAcknowledged { .. } => words(
            "县管理员正在跟进您的申请",
            "The county administrator is following up",
        ),
        EventKind::Reassigned { .. } => {
            words("已为您更换客户经理", "Your account manager was changed")
        }
        EventKind::RepaymentRecorded { .. } | EventKind::OverdueChanged { .. } => {
            loan_words(&event.kind)
        }
    }
}

/// The words of a loan in progress: repayments and overdue stages.
fn loan_words(kind: &EventKind) -> Words {
    match kind {
        EventKind::RepaymentRecorded { on, amount } => with_detail(
            words("银行已登记您的还款", "The bank recorded your repayment"),
            format!("{} 还款 {}", date_zh(*on), format_yuan(*amount)),
            format!("{} repaid on {}", format_yuan(*amount), date_en(*on)),
        ),
        EventKind::OverdueChanged {
            stage: Some(stage),
            days_late,
            ..
        } => with_detail(
            words("还款已逾期", "A repayment is late"),
            format!(
                "已逾期 {days_late} 天（{}），请尽快还款，以免影响信用",
                stage.name_zh()
            ),
            format!(
                "{days_late} days late ({}); repay soon to protect your credit",
                stage.name_en()
            ),
        ),
        EventKind::OverdueChanged { stage: None, .. } => {
            words("逾期已还清", "No longer late: the late amount is repaid")
        }
        _ => words("", ""),
    }
}

/// What happens next for the application, in Chinese and English.
pub fn next_step(app: &Application, policy: &SlaPolicy, now: Timestamp) -> (String, String) {
    match app.state {
        State::Draft => (
            "请核对信息后提交申请".to_owned(),
            "Check the details and submit the application".to_owned(),
        ),
        State::Submitted | State::Assigned if waiting_for_contact(app) => {
            let Some(submitted) = app.submitted_at else {
                return (
                    "客户经理会尽快联系您".to_owned(),
                    "An account manager will call you soon".to_owned(),
                );
            };
            let due = plus_minutes(submitted, policy.first_contact_minutes);
            let left = seconds_until(now, due);
            if left > 0 {
                // Whole minutes, rounded up: "within 5 minutes" right after submitting.
                let minutes = left.saturating_add(59) / 60;
                (
                    format!("客户经理将在 {minutes} 分钟内联系您，请保持电话畅通"),
                    format!(
                        "An account manager will call you within {minutes} minutes; keep your phone on"
                    ),
                )
            } else if app.escalated_at.is_some() {
                (
                    "县管理员正在督办，客户经理马上联系您".to_owned(),
                    "The county administrator is on it; a manager will call you shortly".to_owned(),
                )
            } else {
                (
                    "客户经理马上联系您，请保持电话畅通".to_owned(),
                    "A manager will call you shortly; keep your phone on".to_owned(),
                )
            }
        }
        State::Submitted | State::Assigned | State::Contacted => (
            "客户经理将开始审核您的申请".to_owned(),
            "Your account manager will start reviewing the application".to_owned(),
        ),
        State::UnderReview => (
            "银行正在审核，请耐心等待结果".to_owned(),
            "The bank is reviewing the application; please wait for the result".to_owned(),
        ),
        State::DocumentsRequested => (
            format!("请拍照补充：{}", kinds_zh(&app.requested_documents)),
            format!(
                "Please photograph and send: {}",
                kinds_en(&app.requested_documents)
            ),
        ),
        State::Approved => match app.offer {
            Some(o) => (
                format!(
                    "请确认贷款方案：{}，{} 个月，年利率 {}",
                    format_yuan(o.amount),
                    o.months,
                    format_percent(o.annual_rate_ppm)
                ),
                format!(
                    "Please confirm the offer: {} for {} months at {} a year",
                    format_yuan(o.amount),
                    o.months,
                    format_percent(o.annual_rate_ppm)
                ),
            ),
            None => (
                "请确认贷款方案".to_owned(),
                "Please confirm the offer".to_owned(),
            ),
        },
        State::Accepted => (
            "等待银行放款".to_owned(),
            "Waiting for the bank to pay out".to_owned(),
        ),
        State::Disbursed if app.overdue.is_some() => (
            "您有逾期未还的款项，请尽快还款或联系客户经理".to_owned(),
            "A repayment is late; repay soon or call your account manager".to_owned(),
        ),
        State::Disbursed => (
            "贷款已到账，请按时还款".to_owned(),
            "The money is paid out; repay on time".to_owned(),
        ),
        State::Closed => (
            "贷款已结清，感谢您的信任".to_owned(),
            "The loan is closed; thank you".to_owned(),
        ),
        State::Rejected => (
            "您可以在贷款超市看看其他产品".to_owned(),
            "You can look at other products in the market".to_owned(),
        ),
        State::Withdrawn => (
            "申请已撤回；需要时可以重新申请".to_owned(),
            "The application is withdrawn; you can apply again any time".to_owned(),
        ),
    }
}

/// The villager's timeline of `app` at `now`, with times in `tz` (e.g. Asia/Shanghai or a
/// fixed +08:00).
pub fn timeline(app: &Application, policy: &SlaPolicy, tz: &TimeZone, now: Timestamp) -> Timeline {
    let entries = app
        .events
        .iter()
        .map(|e| {
            let w = event_words(e);
            TimelineEntry {
                seq: e.seq,
                at: e.at,
                when_zh: format_when_zh(e.at, tz, now),
                when_en: format_when_en(e.at, tz, now),
                title_zh: w.title_zh,
                title_en: w.title_en,
                detail_zh: w.detail_zh,
                detail_en: w.detail_en,
                by: e.actor.role,
            }
        })
        .collect();
    let (next_zh, next_en) = next_step(app, policy, now);
    Timeline {
        state: app.state,
        state_zh: app.state.name_zh().to_owned(),
        state_en: app.state.name_en().to_owned(),
        next_zh,
        next_en,
        entries,
    }
}
