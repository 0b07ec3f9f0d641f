//! A manager's inbox, derived from applications (never stored): call by the contact deadline,
//! review provided documents, decide, disburse — each with its deadline and countdown, most
//! urgent first. Owns the derivation. Never changes an application, never reads a clock.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::model::{Application, ApplicationId, State};
use super::sla::{SlaPolicy, plus_minutes, seconds_until, waiting_for_contact};
use crate::domain::money::{Fen, format_wan, format_yuan};

/// What the manager has to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TaskKind {
    /// Call the villager (first contact), by submitted + first-contact minutes.
    Call,
    /// Documents came in: look at them and continue the review.
    ReviewDocuments,
    /// Start or finish the review: approve, reject or ask for documents.
    Decide,
    /// The villager accepted: pay out.
    Disburse,
}

impl TaskKind {
    /// The task in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            TaskKind::Call => "电话联系",
            TaskKind::ReviewDocuments => "查看补充材料",
            TaskKind::Decide => "审核决定",
            TaskKind::Disburse => "放款",
        }
    }

    /// The task in English.
    pub fn name_en(self) -> &'static str {
        match self {
            TaskKind::Call => "Call",
            TaskKind::ReviewDocuments => "Review documents",
            TaskKind::Decide => "Decide",
            TaskKind::Disburse => "Disburse",
        }
    }

    fn rank(self) -> u8 {
        match self {
            TaskKind::Call => 0,
            TaskKind::ReviewDocuments => 1,
            TaskKind::Decide => 2,
            TaskKind::Disburse => 3,
        }
    }
}

/// One line of a manager's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub application_id: ApplicationId,
    pub kind: TaskKind,
    pub deadline: Timestamp,
    /// Seconds remaining at `now`; negative when late.
    pub seconds_left: i64,
    pub overdue: bool,
    /// `还剩 4分12秒` / `已超时 3分05秒`.
    pub countdown_zh: String,
    /// `4m 12s left` / `3m 05s late`.
    pub countdown_en: String,
    /// `电话联系 · 50万元 · 36个月`
    pub title_zh: String,
    pub title_en: String,
    pub product_id: String,
    pub town: String,
    pub amount: Fen,
    pub months: u32,
    /// The application was escalated to the administrator (the call is late).
    pub escalated: bool,
}

fn split(seconds: i64) -> (u64, u64, u64, u64) {
    let s = seconds.unsigned_abs();
    (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60, s % 60)
}

/// A countdown in Chinese: `还剩 4分12秒`, `还剩 1天3小时`, `已超时 2小时05分`.
pub fn countdown_zh(seconds: i64) -> String {
    let (d, h, m, s) = split(seconds);
    let span = if d > 0 {
        format!("{d}天{h}小时")
    } else if h > 0 {
        format!("{h}小时{m:02}分")
    } else {
        format!("{m}分{s:02}秒")
    };
    if seconds < 0 {
        format!("已超时 {span}")
    } else {
        format!("还剩 {span}")
    }
}

/// A countdown in English: `4m 12s left`, `1d 3h left`, `2h 05m late`.
pub fn countdown_en(seconds: i64) -> String {
    let (d, h, m, s) = split(seconds);
    let span = if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else {
        format!("{m}m {s:02}s")
    };
    if seconds < 0 {
        format!("{span} late")
    } else {
        format!("{span} left")
    }
}

/// The task an application gives its assigned manager now, if any (and its deadline).
fn task_of(app: &Application, policy: &SlaPolicy) -> Option<(TaskKind, Timestamp)> {
    match app.state {
        State::Assigned if waiting_for_contact(app) => {
            let submitted = app.submitted_at?;
            Some((
                TaskKind::Call,
                plus_minutes(submitted, policy.first_contact_minutes),
            ))
        }
        State::Contacted => Some((
            TaskKind::Decide,
            plus_minutes(app.state_since, policy.review_minutes),
        )),
        State::UnderReview => match app.documents_provided_at {
            Some(at) => Some((
                TaskKind::ReviewDocuments,
                plus_minutes(at, policy.review_minutes),
            )),
            None => Some((
                TaskKind::Decide,
                plus_minutes(app.state_since, policy.review_minutes),
            )),
        },
        State::Accepted => Some((
            TaskKind::Disburse,
            plus_minutes(app.state_since, policy.disburse_minutes),
        )),
        _ => None,
    }
}

/// The tasks of manager `manager_id` among `apps` at `now`: only applications assigned to
/// them, most urgent first (earliest deadline, then Call before the rest, then id).
pub fn tasks_for(
    manager_id: &str,
    apps: &[Application],
    policy: &SlaPolicy,
    now: Timestamp,
) -> Vec<Task> {
    let mut tasks: Vec<Task> = apps
        .iter()
        .filter(|a| a.manager_id.as_deref() == Some(manager_id))
        .filter_map(|app| {
            let (kind, deadline) = task_of(app, policy)?;
            let seconds_left = seconds_until(now, deadline);
            let wan = format_wan(app.amount);
            Some(Task {
                application_id: app.id.clone(),
                kind,
                deadline,
                seconds_left,
                overdue: seconds_left < 0,
                countdown_zh: countdown_zh(seconds_left),
                countdown_en: countdown_en(seconds_left),
                title_zh: format!("{} · {} · {}个月", kind.name_zh(), wan, app.months),
                title_en: format!(
                    "{} · {} · {} months",
                    kind.name_en(),
                    format_yuan(app.amount),
                    app.months
                ),
                product_id: app.product_id.clone(),
                town: app.town.clone(),
                amount: app.amount,
                months: app.months,
                escalated: app.escalated_at.is_some(),
            })
        })
        .collect();
    tasks.sort_by(|a, b| {
        a.deadline
            .cmp(&b.deadline)
            .then(a.kind.rank().cmp(&b.kind.rank()))
            .then(a.application_id.cmp(&b.application_id))
    });
    tasks
}
