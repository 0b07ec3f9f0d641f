//! The facts of an application: ids, roles, events, states, and the fold that turns an event
//! list into the current [`Application`]. Owns the transition table (which event may follow
//! which state). Never decides who may do what (that is `command`), never reads a clock.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::LifecycleError;
use crate::domain::documents::DocumentKind;
use crate::domain::money::{Fen, RatePpm};
use crate::domain::repayment::OverdueStage;
use jiff::civil::Date;

/// An application's id: a UUID, kept as its lower-case hyphenated string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApplicationId(String);

impl ApplicationId {
    /// Wraps a UUID (the caller generates it: v7 on the server, v4 on the phone).
    pub fn from_uuid(id: Uuid) -> ApplicationId {
        ApplicationId(id.hyphenated().to_string())
    }

    /// Parses any UUID text form; the stored form is lower-case hyphenated.
    pub fn parse(text: &str) -> Result<ApplicationId, LifecycleError> {
        Uuid::parse_str(text.trim())
            .map(ApplicationId::from_uuid)
            .map_err(|_| LifecycleError::BadId {
                text: text.chars().take(64).collect(),
            })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ApplicationId {
    type Error = LifecycleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ApplicationId::parse(&value)
    }
}

impl From<ApplicationId> for String {
    fn from(value: ApplicationId) -> Self {
        value.0
    }
}

impl std::fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who acts on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Role {
    /// 村民: the applicant (a farmer or a small firm).
    Villager,
    /// 客户经理: a bank's account manager.
    Manager,
    /// 县管理员: the county administrator; supervises, never approves.
    Administrator,
    /// 系统: the platform itself (routing, the SLA clock, repayment feed).
    System,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [
        Role::Villager,
        Role::Manager,
        Role::Administrator,
        Role::System,
    ];

    /// The role in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Villager => "村民",
            Role::Manager => "客户经理",
            Role::Administrator => "县管理员",
            Role::System => "系统",
        }
    }

    /// The role in English.
    pub fn name_en(self) -> &'static str {
        match self {
            Role::Villager => "villager",
            Role::Manager => "manager",
            Role::Administrator => "administrator",
            Role::System => "system",
        }
    }
}

/// A role and the id of the person (or `"system"`) in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Actor {
    pub role: Role,
    pub id: String,
}

impl Actor {
    /// A villager with this user id.
    pub fn villager(id: impl Into<String>) -> Actor {
        Actor {
            role: Role::Villager,
            id: id.into(),
        }
    }
    /// An account manager with this user id.
    pub fn manager(id: impl Into<String>) -> Actor {
        Actor {
            role: Role::Manager,
            id: id.into(),
        }
    }
    /// The county administrator with this user id.
    pub fn administrator(id: impl Into<String>) -> Actor {
        Actor {
            role: Role::Administrator,
            id: id.into(),
        }
    }
    /// The platform itself.
    pub fn system() -> Actor {
        Actor {
            role: Role::System,
            id: "system".to_owned(),
        }
    }
}

/// What a bank offers after review. Shown to the villager, who accepts it or walks away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovedOffer {
    /// Approved amount in fen: at least 1 fen, at most the amount applied for.
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub amount: Fen,
    /// Term in months.
    pub months: u32,
    /// Annual rate in ppm (1 % = 10_000).
    #[cfg_attr(feature = "openapi", schema(value_type = i64))]
    pub annual_rate_ppm: RatePpm,
}

/// What happened. Events are facts: once recorded they are never changed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The villager started an application (a draft).
    Created {
        villager_id: String,
        product_id: String,
        /// Amount applied for, in fen.
        #[cfg_attr(feature = "openapi", schema(value_type = i64))]
        amount: Fen,
        months: u32,
        /// The villager's town (routes the application to a manager serving it).
        town: String,
    },
    /// The villager submitted it: the SLA clock starts here.
    Submitted,
    /// Routed to a manager of the product's bank.
    Assigned { manager_id: String, bank_id: String },
    /// The manager called the villager (first contact; stops the SLA clock, whether or not the
    /// call was answered: the county's promise is a call within the deadline). The note is
    /// internal to the bank and not shown in the villager's timeline; the outcome is.
    Contacted {
        note: Option<String>,
        #[serde(default)]
        outcome: ContactOutcome,
    },
    /// The manager started the review.
    ReviewStarted,
    /// The manager asked for more documents.
    DocumentsRequested {
        kinds: Vec<DocumentKind>,
        note: String,
    },
    /// The villager provided them; back under review.
    DocumentsProvided,
    /// The bank approved with an offer.
    Approved { offer: ApprovedOffer },
    /// The villager accepted the offer.
    OfferAccepted,
    /// The bank declined, with a reason the villager reads.
    Rejected { reason: String },
    /// The money was paid out (fen).
    Disbursed {
        #[cfg_attr(feature = "openapi", schema(value_type = i64))]
        amount: Fen,
    },
    /// Repaid in full: the application is closed.
    Repaid,
    /// The villager withdrew it.
    Withdrawn { reason: Option<String> },
    /// No contact by the escalation time: the system escalated to the administrator `to`.
    /// `minutes_late` counts from the first-contact deadline.
    Escalated { to: String, minutes_late: u32 },
    /// The administrator took the escalation in hand.
    EscalationAcknowledged { note: Option<String> },
    /// The administrator moved the application to another manager of the same bank.
    Reassigned { from: String, to: String },
    /// The bank (its manager or an administrator) recorded a repayment: the day the money came
    /// in and how much. Its split into interest and principal follows from the plan
    /// ([`crate::domain::repayment::split_repayments`]), so it is never stored twice.
    RepaymentRecorded {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        on: Date,
        #[cfg_attr(feature = "openapi", schema(value_type = i64))]
        amount: Fen,
    },
    /// The platform's sweep saw the loan enter an overdue stage (1, 30, 90 days late), or
    /// leave it (`stage` null), on day `on` (see [`super::loan`]).
    OverdueChanged {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        on: Date,
        stage: Option<OverdueStage>,
        days_late: u32,
    },
}

impl EventKind {
    /// The event's name, as in the wire's `type` field.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Created { .. } => "created",
            EventKind::Submitted => "submitted",
            EventKind::Assigned { .. } => "assigned",
            EventKind::Contacted { .. } => "contacted",
            EventKind::ReviewStarted => "review_started",
            EventKind::DocumentsRequested { .. } => "documents_requested",
            EventKind::DocumentsProvided => "documents_provided",
            EventKind::Approved { .. } => "approved",
            EventKind::OfferAccepted => "offer_accepted",
            EventKind::Rejected { .. } => "rejected",
            EventKind::Disbursed { .. } => "disbursed",
            EventKind::Repaid => "repaid",
            EventKind::Withdrawn { .. } => "withdrawn",
            EventKind::Escalated { .. } => "escalated",
            EventKind::EscalationAcknowledged { .. } => "escalation_acknowledged",
            EventKind::Reassigned { .. } => "reassigned",
            EventKind::RepaymentRecorded { .. } => "repayment_recorded",
            EventKind::OverdueChanged { .. } => "overdue_changed",
        }
    }
}

/// How the manager's call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ContactOutcome {
    /// 已接通：the villager answered and they spoke.
    #[default]
    Reached,
    /// 未接通：no answer; the manager will call again.
    NoAnswer,
    /// 约定回电：they agreed on a time to talk again.
    CallBack,
}

impl ContactOutcome {
    /// Every outcome.
    pub const ALL: [ContactOutcome; 3] = [
        ContactOutcome::Reached,
        ContactOutcome::NoAnswer,
        ContactOutcome::CallBack,
    ];

    /// The outcome in Chinese.
    pub fn name_zh(self) -> &'static str {
        match self {
            ContactOutcome::Reached => "已接通",
            ContactOutcome::NoAnswer => "未接通",
            ContactOutcome::CallBack => "约定回电",
        }
    }

    /// The outcome in English.
    pub fn name_en(self) -> &'static str {
        match self {
            ContactOutcome::Reached => "reached",
            ContactOutcome::NoAnswer => "no answer",
            ContactOutcome::CallBack => "call back later",
        }
    }
}

/// One recorded event: its number in the application (1, 2, …), when, by whom, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub seq: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub actor: Actor,
    pub kind: EventKind,
}

/// Where an application stands (DESIGN §4).
///
/// ```text
/// Draft ─submit→ Submitted ─assign→ Assigned ─log_contact→ Contacted ─start_review→ UnderReview
/// UnderReview ─request_documents→ DocumentsRequested ─provide_documents→ UnderReview
/// UnderReview ─approve(offer)→ Approved ─accept→ Accepted ─disburse→ Disbursed ─repaid→ Closed
/// UnderReview | DocumentsRequested ─reject(reason)→ Rejected
/// any state before Disbursed (not Rejected) ─withdraw→ Withdrawn
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum State {
    Draft,
    Submitted,
    Assigned,
    Contacted,
    UnderReview,
    DocumentsRequested,
    Approved,
    Accepted,
    Disbursed,
    Closed,
    Rejected,
    Withdrawn,
}

impl State {
    /// Every state, in journey order.
    pub const ALL: [State; 12] = [
        State::Draft,
        State::Submitted,
        State::Assigned,
        State::Contacted,
        State::UnderReview,
        State::DocumentsRequested,
        State::Approved,
        State::Accepted,
        State::Disbursed,
        State::Closed,
        State::Rejected,
        State::Withdrawn,
    ];

    /// The state in Chinese, as the villager reads it.
    pub fn name_zh(self) -> &'static str {
        match self {
            State::Draft => "草稿",
            State::Submitted => "已提交",
            State::Assigned => "已分配客户经理",
            State::Contacted => "已联系",
            State::UnderReview => "审核中",
            State::DocumentsRequested => "待补充材料",
            State::Approved => "已批准",
            State::Accepted => "已接受方案",
            State::Disbursed => "已放款",
            State::Closed => "已结清",
            State::Rejected => "未获批准",
            State::Withdrawn => "已撤回",
        }
    }

    /// The state in English.
    pub fn name_en(self) -> &'static str {
        match self {
            State::Draft => "Draft",
            State::Submitted => "Submitted",
            State::Assigned => "Assigned",
            State::Contacted => "Contacted",
            State::UnderReview => "Under review",
            State::DocumentsRequested => "Documents requested",
            State::Approved => "Approved",
            State::Accepted => "Offer accepted",
            State::Disbursed => "Disbursed",
            State::Closed => "Closed",
            State::Rejected => "Rejected",
            State::Withdrawn => "Withdrawn",
        }
    }

    /// The stable code of the state (`draft`, `under_review` …), as the wire and the stores
    /// spell it (the same as its serde name).
    pub fn code(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::Assigned => "assigned",
            State::Contacted => "contacted",
            State::UnderReview => "under_review",
            State::DocumentsRequested => "documents_requested",
            State::Approved => "approved",
            State::Accepted => "accepted",
            State::Disbursed => "disbursed",
            State::Closed => "closed",
            State::Rejected => "rejected",
            State::Withdrawn => "withdrawn",
        }
    }

    /// The state a [`State::code`] names.
    pub fn from_code(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.code() == code)
    }

    /// No further change of state is possible (Closed, Rejected, Withdrawn).
    pub fn is_final(self) -> bool {
        matches!(self, State::Closed | State::Rejected | State::Withdrawn)
    }

    /// The villager may still withdraw: every state before Disbursed that has not ended.
    pub fn can_withdraw(self) -> bool {
        matches!(
            self,
            State::Draft
                | State::Submitted
                | State::Assigned
                | State::Contacted
                | State::UnderReview
                | State::DocumentsRequested
                | State::Approved
                | State::Accepted
        )
    }

    /// A manager is (or should be) working on it: the states an administrator may reassign.
    pub fn has_manager(self) -> bool {
        matches!(
            self,
            State::Assigned
                | State::Contacted
                | State::UnderReview
                | State::DocumentsRequested
                | State::Approved
                | State::Accepted
        )
    }

    /// Submitted and still waiting for the first contact: the SLA clock is running.
    pub fn awaits_contact(self) -> bool {
        matches!(self, State::Submitted | State::Assigned)
    }
}

/// An application: the fold of its events. Fields are read-only by convention; change it only
/// through [`Application::apply`] (or `decide` + `apply`), so it always equals the fold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Application {
    pub id: ApplicationId,
    pub state: State,
    pub villager_id: String,
    pub product_id: String,
    /// Amount applied for, in fen.
    pub amount: Fen,
    pub months: u32,
    pub town: String,
    pub created_at: Timestamp,
    /// The time of the last event.
    pub updated_at: Timestamp,
    /// When the current state was entered.
    pub state_since: Timestamp,
    pub submitted_at: Option<Timestamp>,
    /// The assigned manager and their bank.
    pub manager_id: Option<String>,
    pub bank_id: Option<String>,
    pub first_contact_at: Option<Timestamp>,
    pub escalated_at: Option<Timestamp>,
    pub escalated_to: Option<String>,
    pub escalation_acknowledged_at: Option<Timestamp>,
    /// What the bank asked for last (kept after they are provided, for the record).
    pub requested_documents: Vec<DocumentKind>,
    pub documents_note: Option<String>,
    /// Set when documents were provided and the review has not moved on since.
    pub documents_provided_at: Option<Timestamp>,
    pub offer: Option<ApprovedOffer>,
    pub disbursed_amount: Option<Fen>,
    pub rejection_reason: Option<String>,
    pub withdrawal_reason: Option<String>,
    /// The overdue stage last recorded (`None`: not late, or never swept late).
    pub overdue: Option<OverdueStage>,
    /// The number of the last event.
    pub last_seq: u64,
    /// Every event, in order.
    pub events: Vec<Event>,
}

impl Application {
    /// The application as its first event (`Created`, seq 1) makes it.
    pub fn from_created(id: ApplicationId, event: &Event) -> Result<Application, LifecycleError> {
        let EventKind::Created {
            villager_id,
            product_id,
            amount,
            months,
            town,
        } = &event.kind
        else {
            return Err(LifecycleError::MissingCreated);
        };
        if event.seq != 1 {
            return Err(LifecycleError::EventOutOfOrder {
                expected: 1,
                found: event.seq,
            });
        }
        super::command::check_created(villager_id, product_id, *amount, *months, town)?;
        Ok(Application {
            id,
            state: State::Draft,
            villager_id: villager_id.clone(),
            product_id: product_id.clone(),
            amount: *amount,
            months: *months,
            town: town.clone(),
            created_at: event.at,
            updated_at: event.at,
            state_since: event.at,
            submitted_at: None,
            manager_id: None,
            bank_id: None,
            first_contact_at: None,
            escalated_at: None,
            escalated_to: None,
            escalation_acknowledged_at: None,
            requested_documents: Vec::new(),
            documents_note: None,
            documents_provided_at: None,
            offer: None,
            disbursed_amount: None,
            rejection_reason: None,
            withdrawal_reason: None,
            overdue: None,
            last_seq: 1,
            events: vec![event.clone()],
        })
    }

    /// Folds a whole history. The first event must be `Created` with seq 1, then 2, 3, …, each
    /// one legal after the state before it; otherwise the error names the first bad event.
    pub fn fold(id: ApplicationId, events: &[Event]) -> Result<Application, LifecycleError> {
        let Some((first, rest)) = events.split_first() else {
            return Err(LifecycleError::MissingCreated);
        };
        let mut app = Application::from_created(id, first)?;
        for event in rest {
            app.apply(event)?;
        }
        Ok(app)
    }

    /// The state an event would lead to from the current one, or `None` when the event
    /// cannot follow it. This is the transition table; `decide` and `apply` both use it.
    pub fn next_state(&self, kind: &EventKind) -> Option<State> {
        let s = self.state;
        match kind {
            EventKind::Created { .. } => None,
            EventKind::Submitted => (s == State::Draft).then_some(State::Submitted),
            EventKind::Assigned { .. } => (s == State::Submitted).then_some(State::Assigned),
            EventKind::Contacted { .. } => (s == State::Assigned).then_some(State::Contacted),
            EventKind::ReviewStarted => (s == State::Contacted).then_some(State::UnderReview),
            EventKind::DocumentsRequested { .. } => {
                (s == State::UnderReview).then_some(State::DocumentsRequested)
            }
            EventKind::DocumentsProvided => {
                (s == State::DocumentsRequested).then_some(State::UnderReview)
            }
            EventKind::Approved { .. } => (s == State::UnderReview).then_some(State::Approved),
            EventKind::OfferAccepted => (s == State::Approved).then_some(State::Accepted),
            EventKind::Rejected { .. } => {
                matches!(s, State::UnderReview | State::DocumentsRequested)
                    .then_some(State::Rejected)
            }
            EventKind::Disbursed { .. } => (s == State::Accepted).then_some(State::Disbursed),
            EventKind::Repaid => (s == State::Disbursed).then_some(State::Closed),
            EventKind::Withdrawn { .. } => s.can_withdraw().then_some(State::Withdrawn),
            EventKind::Escalated { .. } => (s.awaits_contact()
                && self.first_contact_at.is_none()
                && self.escalated_at.is_none())
            .then_some(s),
            EventKind::EscalationAcknowledged { .. } => (self.escalated_at.is_some()
                && self.escalation_acknowledged_at.is_none())
            .then_some(s),
            EventKind::Reassigned { from, to } => {
                (s.has_manager() && self.manager_id.as_deref() == Some(from.as_str()) && from != to)
                    .then_some(s)
            }
            EventKind::RepaymentRecorded { .. } => (s == State::Disbursed).then_some(s),
            EventKind::OverdueChanged { stage, .. } => {
                (s == State::Disbursed && *stage != self.overdue).then_some(s)
            }
        }
    }

    /// Records one event. It must be numbered `last_seq + 1` and be legal after the current
    /// state; otherwise nothing changes and the error says why.
    pub fn apply(&mut self, event: &Event) -> Result<(), LifecycleError> {
        let expected = self.last_seq.saturating_add(1);
        if event.seq != expected {
            return Err(LifecycleError::EventOutOfOrder {
                expected,
                found: event.seq,
            });
        }
        let Some(next) = self.next_state(&event.kind) else {
            return Err(LifecycleError::EventNotApplicable {
                state: self.state,
                event: event.kind.name(),
            });
        };
        let at = event.at;
        match &event.kind {
            EventKind::Created { .. } => {}
            EventKind::Submitted => self.submitted_at = Some(at),
            EventKind::Assigned {
                manager_id,
                bank_id,
            } => {
                self.manager_id = Some(manager_id.clone());
                self.bank_id = Some(bank_id.clone());
            }
            EventKind::Contacted { .. } => self.first_contact_at = Some(at),
            EventKind::ReviewStarted => {}
            EventKind::DocumentsRequested { kinds, note } => {
                self.requested_documents = kinds.clone();
                self.documents_note = Some(note.clone());
                self.documents_provided_at = None;
            }
            EventKind::DocumentsProvided => self.documents_provided_at = Some(at),
            EventKind::Approved { offer } => {
                self.offer = Some(*offer);
                self.documents_provided_at = None;
            }
            EventKind::OfferAccepted => {}
            EventKind::Rejected { reason } => {
                self.rejection_reason = Some(reason.clone());
                self.documents_provided_at = None;
            }
            EventKind::Disbursed { amount } => self.disbursed_amount = Some(*amount),
            EventKind::Repaid => {}
            EventKind::Withdrawn { reason } => self.withdrawal_reason = reason.clone(),
            EventKind::Escalated { to, .. } => {
                self.escalated_at = Some(at);
                self.escalated_to = Some(to.clone());
            }
            EventKind::EscalationAcknowledged { .. } => self.escalation_acknowledged_at = Some(at),
            EventKind::Reassigned { to, .. } => self.manager_id = Some(to.clone()),
            EventKind::RepaymentRecorded { .. } => {}
            EventKind::OverdueChanged { stage, .. } => self.overdue = *stage,
        }
        if next != self.state {
            self.state_since = at;
        }
        self.state = next;
        self.updated_at = at;
        self.last_seq = event.seq;
        self.events.push(event.clone());
        Ok(())
    }

    /// When the villager accepted the offer, if they did.
    pub fn accepted_at(&self) -> Option<Timestamp> {
        self.events
            .iter()
            .rev()
            .find(|e| matches!(e.kind, EventKind::OfferAccepted))
            .map(|e| e.at)
    }
}
