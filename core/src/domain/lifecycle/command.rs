//! Who may do what: commands, the role table, and `decide`, which turns a command into the one
//! event it records or a typed refusal. Owns authorization and input checks. Never changes an
//! application (that is `apply`) and never reads a clock (`now` is a value).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::LifecycleError;
use super::model::{
    Actor, Application, ApplicationId, ApprovedOffer, ContactOutcome, Event, EventKind, Role, State,
};
use super::sla::{SlaPolicy, sla_at};
use crate::domain::documents::DocumentKind;
use crate::domain::money::{Fen, PPM_ONE};
use crate::domain::repayment::OverdueStage;
use jiff::civil::Date;

/// The longest term accepted, in months (50 years).
pub const MAX_MONTHS: u32 = 600;
/// The longest free text accepted (notes, reasons), in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The longest id accepted (user, product, bank, town), in characters.
pub const MAX_ID_CHARS: usize = 128;

/// An action by name, without its data: what errors and permission tables talk about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Submit,
    Assign,
    LogContact,
    StartReview,
    RequestDocuments,
    ProvideDocuments,
    Approve,
    AcceptOffer,
    Reject,
    Disburse,
    MarkRepaid,
    Withdraw,
    Escalate,
    AcknowledgeEscalation,
    Reassign,
    RecordRepayment,
    MarkOverdue,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 18] = [
        Action::Create,
        Action::Submit,
        Action::Assign,
        Action::LogContact,
        Action::StartReview,
        Action::RequestDocuments,
        Action::ProvideDocuments,
        Action::Approve,
        Action::AcceptOffer,
        Action::Reject,
        Action::Disburse,
        Action::MarkRepaid,
        Action::Withdraw,
        Action::Escalate,
        Action::AcknowledgeEscalation,
        Action::Reassign,
        Action::RecordRepayment,
        Action::MarkOverdue,
    ];

    /// The action in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            Action::Create => "创建申请",
            Action::Submit => "提交",
            Action::Assign => "分配客户经理",
            Action::LogContact => "记录联系",
            Action::StartReview => "开始审核",
            Action::RequestDocuments => "要求补充材料",
            Action::ProvideDocuments => "补充材料",
            Action::Approve => "批准",
            Action::AcceptOffer => "接受方案",
            Action::Reject => "拒绝",
            Action::Disburse => "放款",
            Action::MarkRepaid => "登记结清",
            Action::Withdraw => "撤回",
            Action::Escalate => "升级督办",
            Action::AcknowledgeEscalation => "确认督办",
            Action::Reassign => "改派",
            Action::RecordRepayment => "登记还款",
            Action::MarkOverdue => "登记逾期",
        }
    }

    /// The action in English (a verb phrase: "cannot {name_en} as …").
    pub fn name_en(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Submit => "submit",
            Action::Assign => "assign",
            Action::LogContact => "log contact",
            Action::StartReview => "start review",
            Action::RequestDocuments => "request documents",
            Action::ProvideDocuments => "provide documents",
            Action::Approve => "approve",
            Action::AcceptOffer => "accept the offer",
            Action::Reject => "reject",
            Action::Disburse => "disburse",
            Action::MarkRepaid => "mark repaid",
            Action::Withdraw => "withdraw",
            Action::Escalate => "escalate",
            Action::AcknowledgeEscalation => "acknowledge the escalation",
            Action::Reassign => "reassign",
            Action::RecordRepayment => "record a repayment",
            Action::MarkOverdue => "mark overdue",
        }
    }

    /// The roles that may perform this action (on applications that are theirs).
    pub fn allowed_roles(self) -> &'static [Role] {
        match self {
            Action::Create
            | Action::Submit
            | Action::ProvideDocuments
            | Action::AcceptOffer
            | Action::Withdraw => &[Role::Villager],
            Action::LogContact
            | Action::StartReview
            | Action::RequestDocuments
            | Action::Approve
            | Action::Reject
            | Action::Disburse => &[Role::Manager],
            Action::Assign => &[Role::Administrator, Role::System],
            Action::Reassign | Action::AcknowledgeEscalation => &[Role::Administrator],
            Action::Escalate | Action::MarkRepaid | Action::MarkOverdue => &[Role::System],
            Action::RecordRepayment => &[Role::Manager, Role::Administrator],
        }
    }

    /// Whether `role` may ever perform this action.
    pub fn allows(self, role: Role) -> bool {
        self.allowed_roles().contains(&role)
    }

    pub(crate) fn performed_by_zh(self) -> String {
        self.allowed_roles()
            .iter()
            .map(|r| r.name_zh())
            .collect::<Vec<_>>()
            .join("或")
    }

    pub(crate) fn performed_by_en(self) -> String {
        self.allowed_roles()
            .iter()
            .map(|r| r.name_en())
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

/// What a villager fills in to start an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApplication {
    pub product_id: String,
    /// Amount in fen (≥ 1).
    pub amount: Fen,
    /// Term in months (1..=600).
    pub months: u32,
    pub town: String,
}

/// A request to change an application. Each accepted command records exactly one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    /// Villager: Draft → Submitted (starts the SLA clock).
    Submit,
    /// System (routing) or administrator: Submitted → Assigned.
    Assign { manager_id: String, bank_id: String },
    /// Assigned manager: Assigned → Contacted (the first contact; stops the SLA clock).
    LogContact {
        note: Option<String>,
        #[serde(default)]
        outcome: ContactOutcome,
    },
    /// Assigned manager: Contacted → UnderReview. Review never starts by itself, so a
    /// manager's inbox shows "decide" only after they chose to open the file.
    StartReview,
    /// Assigned manager: UnderReview → DocumentsRequested (at least one kind).
    RequestDocuments {
        kinds: Vec<DocumentKind>,
        note: String,
    },
    /// Villager: DocumentsRequested → UnderReview.
    ProvideDocuments,
    /// Assigned manager: UnderReview → Approved. The amount is at most what was applied for.
    Approve { offer: ApprovedOffer },
    /// Villager: Approved → Accepted.
    AcceptOffer,
    /// Assigned manager: UnderReview or DocumentsRequested → Rejected (a reason is required).
    Reject { reason: String },
    /// Assigned manager: Accepted → Disbursed (at most the approved amount).
    Disburse { amount: Fen },
    /// System (repayment feed): Disbursed → Closed.
    MarkRepaid,
    /// Villager: any state before Disbursed that has not ended → Withdrawn.
    Withdraw { reason: Option<String> },
    /// System (SLA clock): record the escalation to administrator `to`, only when
    /// [`sla_at`] says it must fire under `policy` at `now` — hence at most once.
    Escalate { to: String, policy: SlaPolicy },
    /// Administrator: take an escalation in hand (state unchanged).
    AcknowledgeEscalation { note: Option<String> },
    /// Administrator: move to another manager of the same bank (`bank_id` must match the
    /// bank already assigned; a manager of another bank never gets the file).
    Reassign { to: String, bank_id: String },
    /// Assigned manager or administrator, on a disbursed loan: the bank received `amount` fen
    /// on day `on` (not before the disbursement, not after today in China).
    RecordRepayment { on: Date, amount: Fen },
    /// System (the loan sweep, [`super::loan::due_system_command`]): the loan entered or left
    /// an overdue stage.
    MarkOverdue {
        on: Date,
        stage: Option<OverdueStage>,
        days_late: u32,
    },
}

impl Command {
    /// The action this command performs.
    pub fn action(&self) -> Action {
        match self {
            Command::Submit => Action::Submit,
            Command::Assign { .. } => Action::Assign,
            Command::LogContact { .. } => Action::LogContact,
            Command::StartReview => Action::StartReview,
            Command::RequestDocuments { .. } => Action::RequestDocuments,
            Command::ProvideDocuments => Action::ProvideDocuments,
            Command::Approve { .. } => Action::Approve,
            Command::AcceptOffer => Action::AcceptOffer,
            Command::Reject { .. } => Action::Reject,
            Command::Disburse { .. } => Action::Disburse,
            Command::MarkRepaid => Action::MarkRepaid,
            Command::Withdraw { .. } => Action::Withdraw,
            Command::Escalate { .. } => Action::Escalate,
            Command::AcknowledgeEscalation { .. } => Action::AcknowledgeEscalation,
            Command::Reassign { .. } => Action::Reassign,
            Command::RecordRepayment { .. } => Action::RecordRepayment,
            Command::MarkOverdue { .. } => Action::MarkOverdue,
        }
    }
}

pub(super) fn invalid(action: Action, field: &'static str, zh: &str, en: &str) -> LifecycleError {
    LifecycleError::Invalid {
        action,
        field,
        reason_zh: zh.to_owned(),
        reason_en: en.to_owned(),
    }
}

fn check_id(action: Action, field: &'static str, value: &str) -> Result<(), LifecycleError> {
    if value.trim().is_empty() {
        return Err(invalid(action, field, "不能为空", "must not be empty"));
    }
    if value.chars().count() > MAX_ID_CHARS {
        return Err(invalid(action, field, "太长", "too long"));
    }
    Ok(())
}

fn check_text(action: Action, field: &'static str, value: &str) -> Result<(), LifecycleError> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(
            action,
            field,
            "文字太长，请精简到 2000 字以内",
            "longer than 2000 characters",
        ));
    }
    Ok(())
}

fn check_months(action: Action, field: &'static str, months: u32) -> Result<(), LifecycleError> {
    if months == 0 || months > MAX_MONTHS {
        return Err(invalid(
            action,
            field,
            "期限须在 1 到 600 个月之间",
            "must be 1 to 600 months",
        ));
    }
    Ok(())
}

/// The checks on a new application, also applied when a `Created` event is folded.
pub(crate) fn check_created(
    villager_id: &str,
    product_id: &str,
    amount: Fen,
    months: u32,
    town: &str,
) -> Result<(), LifecycleError> {
    let action = Action::Create;
    check_id(action, "villager_id", villager_id)?;
    check_id(action, "product_id", product_id)?;
    check_id(action, "town", town)?;
    if amount <= 0 {
        return Err(invalid(
            action,
            "amount",
            "金额须大于零",
            "must be more than zero",
        ));
    }
    check_months(action, "months", months)
}

fn check_actor(action: Action, actor: &Actor) -> Result<(), LifecycleError> {
    check_id(action, "actor.id", &actor.id)
}

/// The event time: `now`, but never before the last event (a clock that stepped back must not
/// reorder the history).
fn event_time(app: &Application, now: Timestamp) -> Timestamp {
    if now < app.updated_at {
        app.updated_at
    } else {
        now
    }
}

impl Application {
    /// Starts an application for the villager `actor`: checks the input and returns the new
    /// draft with its `Created` event (seq 1) to store.
    pub fn open(
        id: ApplicationId,
        actor: &Actor,
        request: NewApplication,
        now: Timestamp,
    ) -> Result<(Application, Event), LifecycleError> {
        let action = Action::Create;
        if !action.allows(actor.role) {
            return Err(LifecycleError::RoleCannot {
                state: State::Draft,
                action,
                role: actor.role,
            });
        }
        check_actor(action, actor)?;
        check_created(
            &actor.id,
            &request.product_id,
            request.amount,
            request.months,
            &request.town,
        )?;
        let event = Event {
            seq: 1,
            at: now,
            actor: actor.clone(),
            kind: EventKind::Created {
                villager_id: actor.id.clone(),
                product_id: request.product_id,
                amount: request.amount,
                months: request.months,
                town: request.town,
            },
        };
        let app = Application::from_created(id, &event)?;
        Ok((app, event))
    }

    /// Decides and applies in one step; returns the recorded event (to store or send).
    pub fn execute(
        &mut self,
        actor: &Actor,
        command: Command,
        now: Timestamp,
    ) -> Result<Event, LifecycleError> {
        let event = decide(self, actor, command, now)?;
        self.apply(&event)?;
        Ok(event)
    }
}

/// Decides whether `actor` may perform `command` on `app` at `now`, and returns the one event
/// that records it (numbered `last_seq + 1`, timed `now`, never before the last event).
///
/// Checks, in order: the role may ever do this ([`LifecycleError::RoleCannot`]); the
/// application is theirs — the villager's own, or assigned to this manager
/// ([`LifecycleError::NotYours`]); the state allows it
/// ([`LifecycleError::IllegalTransition`]); the data is sound ([`LifecycleError::Invalid`]).
/// `app` is not changed; call [`Application::apply`] with the event (or use
/// [`Application::execute`]).
pub fn decide(
    app: &Application,
    actor: &Actor,
    command: Command,
    now: Timestamp,
) -> Result<Event, LifecycleError> {
    let action = command.action();
    let state = app.state;
    let role = actor.role;
    if !action.allows(role) {
        return Err(LifecycleError::RoleCannot {
            state,
            action,
            role,
        });
    }
    check_actor(action, actor)?;
    let not_yours = LifecycleError::NotYours {
        state,
        action,
        role,
    };
    match role {
        Role::Villager if actor.id != app.villager_id => return Err(not_yours),
        Role::Manager if app.manager_id.as_deref() != Some(actor.id.as_str()) => {
            return Err(not_yours);
        }
        _ => {}
    }
    let illegal = LifecycleError::IllegalTransition {
        state,
        action,
        role,
    };

    let kind = match command {
        Command::Submit => EventKind::Submitted,
        Command::Assign {
            manager_id,
            bank_id,
        } => assign(state, action, manager_id, bank_id, &illegal)?,
        Command::LogContact { note, outcome } => {
            if state != State::Assigned {
                return Err(illegal);
            }
            if let Some(n) = &note {
                check_text(action, "note", n)?;
            }
            EventKind::Contacted { note, outcome }
        }
        Command::StartReview => EventKind::ReviewStarted,
        Command::RequestDocuments { kinds, note } => {
            request_documents(state, action, kinds, note, &illegal)?
        }
        Command::ProvideDocuments => EventKind::DocumentsProvided,
        Command::Approve { offer } => approve(app, action, offer, &illegal)?,
        Command::AcceptOffer => EventKind::OfferAccepted,
        Command::Reject { reason } => reject(state, action, reason, &illegal)?,
        Command::Disburse { amount } => disburse(app, action, amount, &illegal)?,
        Command::MarkRepaid => EventKind::Repaid,
        Command::Withdraw { reason } => {
            if !state.can_withdraw() {
                return Err(illegal);
            }
            if let Some(r) = &reason {
                check_text(action, "reason", r)?;
            }
            EventKind::Withdrawn { reason }
        }
        Command::Escalate { to, policy } => escalate(app, action, to, &policy, now)?,
        Command::AcknowledgeEscalation { note } => {
            if app.escalated_at.is_none() || app.escalation_acknowledged_at.is_some() {
                return Err(illegal);
            }
            if let Some(n) = &note {
                check_text(action, "note", n)?;
            }
            EventKind::EscalationAcknowledged { note }
        }
        Command::Reassign { to, bank_id } => reassign(app, action, to, bank_id, &illegal)?,
        cmd @ (Command::RecordRepayment { .. } | Command::MarkOverdue { .. }) => {
            match super::loan::decide_loan(app, cmd, now) {
                Ok(kind) => kind,
                Err(refusal) => return Err(refusal.unwrap_or(illegal)),
            }
        }
    };
    if app.next_state(&kind).is_none() {
        return Err(illegal);
    }
    Ok(Event {
        seq: app.last_seq.saturating_add(1),
        at: event_time(app, now),
        actor: actor.clone(),
        kind,
    })
}

/// Submitted → Assigned, to a manager and a bank with sound ids.
fn assign(
    state: State,
    action: Action,
    manager_id: String,
    bank_id: String,
    illegal: &LifecycleError,
) -> Result<EventKind, LifecycleError> {
    if state != State::Submitted {
        return Err(illegal.clone());
    }
    check_id(action, "manager_id", &manager_id)?;
    check_id(action, "bank_id", &bank_id)?;
    Ok(EventKind::Assigned {
        manager_id,
        bank_id,
    })
}

/// UnderReview → DocumentsRequested: at least one kind (each once) and a sound note.
fn request_documents(
    state: State,
    action: Action,
    kinds: Vec<DocumentKind>,
    note: String,
    illegal: &LifecycleError,
) -> Result<EventKind, LifecycleError> {
    if state != State::UnderReview {
        return Err(illegal.clone());
    }
    let mut unique: Vec<DocumentKind> = Vec::new();
    for k in kinds {
        if !unique.contains(&k) {
            unique.push(k);
        }
    }
    if unique.is_empty() {
        return Err(invalid(
            action,
            "kinds",
            "请至少选择一种材料",
            "name at least one document kind",
        ));
    }
    check_text(action, "note", &note)?;
    Ok(EventKind::DocumentsRequested {
        kinds: unique,
        note,
    })
}

/// UnderReview → Approved: at most the amount applied for, a sound term and rate.
fn approve(
    app: &Application,
    action: Action,
    offer: ApprovedOffer,
    illegal: &LifecycleError,
) -> Result<EventKind, LifecycleError> {
    if app.state != State::UnderReview {
        return Err(illegal.clone());
    }
    if offer.amount <= 0 || offer.amount > app.amount {
        return Err(invalid(
            action,
            "offer.amount",
            "批准金额须大于零且不超过申请金额",
            "must be more than zero and at most the amount applied for",
        ));
    }
    check_months(action, "offer.months", offer.months)?;
    if offer.annual_rate_ppm < 0 || offer.annual_rate_ppm > PPM_ONE {
        return Err(invalid(
            action,
            "offer.annual_rate_ppm",
            "年利率须在 0 到 100% 之间",
            "must be 0 to 100 %",
        ));
    }
    Ok(EventKind::Approved { offer })
}

/// UnderReview or DocumentsRequested → Rejected, with a reason the villager reads.
fn reject(
    state: State,
    action: Action,
    reason: String,
    illegal: &LifecycleError,
) -> Result<EventKind, LifecycleError> {
    if !matches!(state, State::UnderReview | State::DocumentsRequested) {
        return Err(illegal.clone());
    }
    if reason.trim().is_empty() {
        return Err(invalid(
            action,
            "reason",
            "请写明原因，村民会看到",
            "give a reason; the villager reads it",
        ));
    }
    check_text(action, "reason", &reason)?;
    Ok(EventKind::Rejected { reason })
}

/// Accepted → Disbursed: at most the approved amount.
fn disburse(
    app: &Application,
    action: Action,
    amount: Fen,
    illegal: &LifecycleError,
) -> Result<EventKind, LifecycleError> {
    if app.state != State::Accepted {
        return Err(illegal.clone());
    }
    let approved = app.offer.map(|o| o.amount).unwrap_or(0);
    if amount <= 0 || amount > approved {
        return Err(invalid(
            action,
            "amount",
            "放款金额须大于零且不超过批准金额",
            "must be more than zero and at most the approved amount",
        ));
    }
    Ok(EventKind::Disbursed { amount })
}

/// The escalation, once, and only when the SLA says it must fire at `now`.
fn escalate(
    app: &Application,
    action: Action,
    to: String,
    policy: &SlaPolicy,
    now: Timestamp,
) -> Result<EventKind, LifecycleError> {
    if app.escalated_at.is_some() {
        return Err(LifecycleError::AlreadyEscalated);
    }
    check_id(action, "to", &to)?;
    let Some(fire) = sla_at(app, policy, now).must_fire else {
        return Err(LifecycleError::EscalationNotDue);
    };
    Ok(EventKind::Escalated {
        to,
        minutes_late: fire.minutes_late,
    })
}

/// Another manager of the same bank takes the file over.
fn reassign(
    app: &Application,
    action: Action,
    to: String,
    bank_id: String,
    illegal: &LifecycleError,
) -> Result<EventKind, LifecycleError> {
    if !app.state.has_manager() {
        return Err(illegal.clone());
    }
    check_id(action, "to", &to)?;
    if app.bank_id.as_deref() != Some(bank_id.as_str()) {
        return Err(invalid(
            action,
            "bank_id",
            "只能改派给同一家银行的客户经理",
            "reassign only to a manager of the same bank",
        ));
    }
    let from = app.manager_id.clone().unwrap_or_default();
    if from == to {
        return Err(invalid(
            action,
            "to",
            "已经是这位客户经理",
            "already assigned to this manager",
        ));
    }
    Ok(EventKind::Reassigned { from, to })
}
