//! The account manager's screens as models: the inbox sorted by deadline, one task in full,
//! and the review actions' forms (record the call, request documents, approve with terms,
//! reject with a reason, record the disbursement).
//!
//! Owns which buttons a state offers and the forms' validation. Every action is the facade's,
//! decided by the domain and sent through the outbox.

use super::{
    ActionButton, LineView, Nav, Problem, ScreenAction, button, line, money_both, parse_amount,
    parse_months,
};
use crate::app::views::{
    ApplicationView, ChecklistItemView, ContactOutcomeView, TaskView, TimelineView,
};
use crate::app::{AppCore, AppError};
use crate::domain::documents::DocumentKind;
use crate::domain::lifecycle::{ContactOutcome, State};
use crate::domain::money::parse_percent;

/// One line of the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct InboxRow {
    pub task: TaskView,
    /// `张三 · 酥梨贷`: who and what, under the task's title (`回电 · 50万元 · 36个月`), so
    /// each fact shows once on the card.
    pub line_zh: String,
    pub open: Nav,
}

/// The inbox: most urgent first (overdue, then the nearest deadline).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct InboxScreen {
    pub rows: Vec<InboxRow>,
    pub overdue: u32,
    /// `3 项待办，1 项已超时`
    pub summary_zh: String,
    pub empty_zh: Option<String>,
}

/// One task in full.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TaskScreen {
    pub application: ApplicationView,
    /// The inbox task of it, while it has one (the countdown).
    pub task: Option<TaskView>,
    /// Villager, phone, product, amount, term, state.
    pub facts: Vec<LineView>,
    /// The documents the product needs, and which are on this phone.
    pub documents: Vec<ChecklistItemView>,
    pub call_uri: Option<String>,
    pub outcomes: Vec<ContactOutcomeView>,
    /// The document kinds the manager may ask for (`missing`: not on this phone).
    pub document_kinds: Vec<ChecklistItemView>,
    pub actions: Vec<ActionButton>,
    /// The approve form's starting values: the amount and term asked for.
    pub approve_amount_text: String,
    pub approve_months_text: String,
}

/// A review action's form as the manager filled it in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReviewForm {
    pub application_id: String,
    pub action: ScreenAction,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub outcome: Option<ContactOutcome>,
    /// The contact's note, the documents request's note, or the rejection's reason.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub note: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub amount_text: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub months_text: String,
    /// Percent a year, `4.35`.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub rate_text: String,
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub kinds: Vec<DocumentKind>,
}

/// A review action done: the timeline after it and where to go.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ReviewDone {
    pub timeline: TimelineView,
    pub next: Nav,
}

/// What the form would do, checked (the first problem, in both languages).
pub fn check_review(form: &ReviewForm) -> Option<Problem> {
    match form.action {
        ScreenAction::RecordContact if form.outcome.is_none() => Some(Problem::new(
            "请选择这通电话的结果",
            "choose how the call went",
        )),
        ScreenAction::RequestDocuments if form.kinds.is_empty() => Some(Problem::new(
            "请至少选择一项要补的材料",
            "choose at least one document to ask for",
        )),
        ScreenAction::Reject if form.note.trim().chars().count() < 2 => Some(Problem::new(
            "请写明不批准的原因，村民会看到",
            "write the reason for the rejection; the villager reads it",
        )),
        ScreenAction::Approve => parse_amount(&form.amount_text)
            .and_then(|_| parse_months(&form.months_text))
            .and_then(|_| match parse_percent(&form.rate_text) {
                Some(r) if r > 0 && r <= 240_000 => Ok(()),
                _ => Err(Problem::new(
                    format!(
                        "年利率不对：{}，例如 4.35（最高 24%）",
                        form.rate_text.trim()
                    ),
                    format!(
                        "bad annual rate {}: e.g. 4.35 (at most 24%)",
                        form.rate_text.trim()
                    ),
                )),
            })
            .err(),
        ScreenAction::Disburse => parse_amount(&form.amount_text).err(),
        _ => None,
    }
}

fn manager_actions(state: State, id: &str, has_call: bool) -> Vec<ActionButton> {
    let here = Nav::Task {
        application_id: id.to_owned(),
    };
    let mut out = Vec::new();
    if has_call {
        out.push(button(ScreenAction::Call, "打电话", "Call", here.clone()));
    }
    let b = |a, zh, en| button(a, zh, en, here.clone());
    match state {
        State::Submitted | State::Assigned => out.push(b(
            ScreenAction::RecordContact,
            "记录通话",
            "Record the call",
        )),
        State::Contacted => out.push(b(ScreenAction::StartReview, "开始审核", "Start review")),
        State::UnderReview => {
            out.push(b(
                ScreenAction::RequestDocuments,
                "要求补材料",
                "Ask for documents",
            ));
            out.push(b(ScreenAction::Approve, "批准", "Approve"));
            out.push(b(ScreenAction::Reject, "不批准", "Reject"));
        }
        State::Accepted => out.push(b(ScreenAction::Disburse, "记录放款", "Record disbursement")),
        _ => {}
    }
    out
}

impl AppCore {
    /// The inbox, most urgent first.
    pub fn inbox_screen(&self) -> Result<InboxScreen, AppError> {
        let mut tasks = self.manager_tasks()?;
        tasks.sort_by_key(|t| t.seconds_left);
        let overdue = u32::try_from(tasks.iter().filter(|t| t.overdue).count()).unwrap_or(0);
        let rows: Vec<InboxRow> = tasks
            .into_iter()
            .map(|t| {
                let who = t.villager_name.clone().unwrap_or_else(|| "村民".to_owned());
                InboxRow {
                    line_zh: format!("{who} · {}", t.product_name_zh),
                    open: Nav::Task {
                        application_id: t.application_id.clone(),
                    },
                    task: t,
                }
            })
            .collect();
        let summary_zh = if overdue > 0 {
            format!("{} 项待办，{overdue} 项已超时", rows.len())
        } else {
            format!("{} 项待办", rows.len())
        };
        Ok(InboxScreen {
            empty_zh: rows
                .is_empty()
                .then(|| "暂无待办。新申请会推送到这里".to_owned()),
            rows,
            overdue,
            summary_zh,
        })
    }

    /// One task in full: the villager, the loan, the documents, the call and the actions.
    /// Showing it tells the platform the task was opened ([`AppCore::task_opened`], once).
    pub fn task_screen(&self, application_id: &str) -> Result<TaskScreen, AppError> {
        let application = self
            .applications()?
            .into_iter()
            .find(|a| a.id == application_id)
            .ok_or_else(|| AppError::not_found("申请", "application", application_id))?;
        self.task_opened(application_id)?;
        let task = self
            .manager_tasks()?
            .into_iter()
            .find(|t| t.application_id == application_id);
        let summary = crate::app::applications::summary(&self.store, application_id)?;
        let contact = summary.and_then(|s| s.villager);
        let call_uri = contact.as_ref().map(|c| format!("tel:{}", c.phone));
        let mut facts = vec![
            line(
                "村民",
                "Villager",
                contact.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
            ),
            line(
                "电话",
                "Phone",
                contact
                    .as_ref()
                    .map(|c| c.phone.clone())
                    .unwrap_or_default(),
            ),
            line("产品", "Product", application.product_name_zh.clone()),
            line("金额", "Amount", money_both(application.amount.fen)),
            line("期限", "Term", format!("{}个月", application.months)),
            line("状态", "State", application.state_zh.clone()),
        ];
        facts.retain(|f| !f.value.is_empty());
        let outcomes = self.contact_outcomes();
        let document_kinds = self.checklist_for_codes(&DocumentKind::ALL, &[])?;
        Ok(TaskScreen {
            actions: manager_actions(application.state, application_id, call_uri.is_some()),
            documents: self.checklist(application_id)?,
            approve_amount_text: format!("{}", application.amount.fen / 100),
            approve_months_text: application.months.to_string(),
            call_uri,
            outcomes,
            document_kinds,
            facts,
            task,
            application,
        })
    }

    /// Does the review form's action (after [`check_review`]); leads back to the inbox.
    pub fn review(&self, form: &ReviewForm) -> Result<ReviewDone, AppError> {
        if let Some(p) = check_review(form) {
            return Err(AppError::invalid(p.zh, p.en));
        }
        let id = form.application_id.as_str();
        let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
        let timeline = match form.action {
            ScreenAction::RecordContact => {
                self.record_contact(id, form.outcome.unwrap_or_default(), note)?
            }
            ScreenAction::StartReview => self.start_review(id)?,
            ScreenAction::RequestDocuments => {
                self.request_documents(id, form.kinds.clone(), note.unwrap_or_default())?
            }
            ScreenAction::Approve => self.approve(
                id,
                parse_amount(&form.amount_text).unwrap_or_default(),
                parse_months(&form.months_text).unwrap_or_default(),
                parse_percent(&form.rate_text).unwrap_or_default(),
            )?,
            ScreenAction::Reject => self.reject(id, form.note.trim().to_owned())?,
            ScreenAction::Disburse => {
                self.disburse(id, parse_amount(&form.amount_text).unwrap_or_default())?
            }
            _ => {
                return Err(AppError::invalid(
                    "这个按钮不是审核操作",
                    "this button is not a review action",
                ));
            }
        };
        Ok(ReviewDone {
            timeline,
            next: Nav::Inbox,
        })
    }
}
