//! The one error type of the lifecycle: every refusal names what was tried, by whom, in which
//! state, in Chinese first with English beside it. Owns wording only; never decides anything.

use super::command::Action;
use super::model::{Role, State};

/// Why a command or an event was refused. Nothing changes when one of these is returned.
///
/// The server maps them to HTTP statuses with [`LifecycleError::code`]:
/// `role_cannot` / `not_yours` → 403, `illegal_transition` / `already_escalated` /
/// `escalation_not_due` → 409, `invalid` / `bad_id` → 422, the event errors → 500 or 422
/// depending on who sent the events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The action is legal for this role, but not from this state.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    IllegalTransition {
        state: State,
        action: Action,
        role: Role,
    },
    /// This role never performs this action (e.g. an administrator approving).
    #[error("{} / {}", self.message_zh(), self.message_en())]
    RoleCannot {
        state: State,
        action: Action,
        role: Role,
    },
    /// The actor has the right role but the application is not theirs: another villager's
    /// application, or a manager it is not assigned to (e.g. a manager of another bank).
    #[error("{} / {}", self.message_zh(), self.message_en())]
    NotYours {
        state: State,
        action: Action,
        role: Role,
    },
    /// A value in the command is unusable; `field` names it.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    Invalid {
        action: Action,
        field: &'static str,
        reason_zh: String,
        reason_en: String,
    },
    /// The escalation was already recorded; it fires exactly once.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    AlreadyEscalated,
    /// The escalation is not due yet (or no longer applies: contact was logged, the
    /// application ended).
    #[error("{} / {}", self.message_zh(), self.message_en())]
    EscalationNotDue,
    /// An application id that is not a UUID.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    BadId { text: String },
    /// An event sequence number that does not follow the last one.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    EventOutOfOrder { expected: u64, found: u64 },
    /// A stored or received event that cannot follow the current state (corrupt history).
    #[error("{} / {}", self.message_zh(), self.message_en())]
    EventNotApplicable { state: State, event: &'static str },
    /// An event list that does not start with `Created`.
    #[error("{} / {}", self.message_zh(), self.message_en())]
    MissingCreated,
}

impl LifecycleError {
    /// A stable machine code for the wire (`{"error":{"code": …}}`).
    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::IllegalTransition { .. } => "illegal_transition",
            LifecycleError::RoleCannot { .. } => "role_cannot",
            LifecycleError::NotYours { .. } => "not_yours",
            LifecycleError::Invalid { .. } => "invalid",
            LifecycleError::AlreadyEscalated => "already_escalated",
            LifecycleError::EscalationNotDue => "escalation_not_due",
            LifecycleError::BadId { .. } => "bad_id",
            LifecycleError::EventOutOfOrder { .. } => "event_out_of_order",
            LifecycleError::EventNotApplicable { .. } => "event_not_applicable",
            LifecycleError::MissingCreated => "missing_created",
        }
    }

    /// The message in Chinese, as a villager or manager reads it.
    pub fn message_zh(&self) -> String {
        match self {
            LifecycleError::IllegalTransition {
                state,
                action,
                role,
            } => format!(
                "不能在「{}」状态由「{}」执行「{}」",
                state.name_zh(),
                role.name_zh(),
                action.name_zh()
            ),
            LifecycleError::RoleCannot { action, role, .. } => format!(
                "「{}」无权执行「{}」，请由{}办理",
                role.name_zh(),
                action.name_zh(),
                action.performed_by_zh()
            ),
            LifecycleError::NotYours { action, role, .. } => match role {
                Role::Villager => format!("这不是您的申请，不能执行「{}」", action.name_zh()),
                _ => format!(
                    "此申请未分配给您，「{}」不能执行「{}」，请联系县管理员改派",
                    role.name_zh(),
                    action.name_zh()
                ),
            },
            LifecycleError::Invalid {
                action, reason_zh, ..
            } => {
                format!("无法{}：{}", action.name_zh(), reason_zh)
            }
            LifecycleError::AlreadyEscalated => "此申请已升级督办过一次，不会重复升级".to_owned(),
            LifecycleError::EscalationNotDue => {
                "还未到升级时间，或已联系、已结束，无需升级".to_owned()
            }
            LifecycleError::BadId { .. } => "申请编号格式不对，请检查后重试".to_owned(),
            LifecycleError::EventOutOfOrder { expected, found } => {
                format!("申请记录顺序错乱（应为第 {expected} 条，收到第 {found} 条），请重新同步")
            }
            LifecycleError::EventNotApplicable { state, event } => {
                format!(
                    "申请记录有误：「{}」状态下不能出现 {event}，请重新同步",
                    state.name_zh()
                )
            }
            LifecycleError::MissingCreated => {
                "申请记录不完整（缺少创建记录），请重新同步".to_owned()
            }
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        match self {
            LifecycleError::IllegalTransition {
                state,
                action,
                role,
            } => format!(
                "cannot {} as {} in state {:?}",
                action.name_en(),
                role.name_en(),
                state
            ),
            LifecycleError::RoleCannot {
                state,
                action,
                role,
            } => format!(
                "a {} cannot {} (state {:?}); this is done by {}",
                role.name_en(),
                action.name_en(),
                state,
                action.performed_by_en()
            ),
            LifecycleError::NotYours {
                state,
                action,
                role,
            } => format!(
                "cannot {} as {} in state {:?}: the application is not yours; ask the county administrator",
                action.name_en(),
                role.name_en(),
                state
            ),
            LifecycleError::Invalid {
                action,
                field,
                reason_en,
                ..
            } => {
                format!("cannot {}: {field}: {reason_en}", action.name_en())
            }
            LifecycleError::AlreadyEscalated => {
                "this application was already escalated once; it is never escalated twice"
                    .to_owned()
            }
            LifecycleError::EscalationNotDue => {
                "the escalation is not due (too early, contact logged, or the application ended)"
                    .to_owned()
            }
            LifecycleError::BadId { .. } => {
                "the application id is not a UUID; check it and retry".to_owned()
            }
            LifecycleError::EventOutOfOrder { expected, found } => {
                format!("event out of order (expected #{expected}, got #{found}); sync again")
            }
            LifecycleError::EventNotApplicable { state, event } => {
                format!("corrupt history: event {event} cannot follow state {state:?}; sync again")
            }
            LifecycleError::MissingCreated => {
                "incomplete history: the first event must be Created; sync again".to_owned()
            }
        }
    }
}
