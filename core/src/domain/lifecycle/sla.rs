//! The contact SLA: a second dimension beside the state. From `submitted_at`, a first contact
//! is due at +`first_contact_minutes`; at +`escalation_minutes` without one, the system
//! escalates once. Owns the arithmetic of those instants and the answer to "at this instant,
//! what is due and what must fire". Never fires anything itself and never reads a clock.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::model::{Application, State};

/// The county's SLA minutes (data, not code). The review and disbursement minutes only set
/// the deadlines in a manager's task list; their defaults are illustrative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// First contact due this many minutes after submission (county rule: 5).
    pub first_contact_minutes: u32,
    /// Escalate to the administrator this many minutes after submission without a contact
    /// (county rule: 10).
    pub escalation_minutes: u32,
    /// A decision is expected this many minutes after the review can start (illustrative: 2 days).
    #[serde(default = "default_review_minutes")]
    pub review_minutes: u32,
    /// Money is expected this many minutes after the villager accepts (illustrative: 1 day).
    #[serde(default = "default_disburse_minutes")]
    pub disburse_minutes: u32,
}

fn default_review_minutes() -> u32 {
    2 * 24 * 60
}

fn default_disburse_minutes() -> u32 {
    24 * 60
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy {
            first_contact_minutes: 5,
            escalation_minutes: 10,
            review_minutes: default_review_minutes(),
            disburse_minutes: default_disburse_minutes(),
        }
    }
}

impl SlaPolicy {
    /// The contact rule with the given minutes, the other deadlines at their defaults.
    pub fn new(first_contact_minutes: u32, escalation_minutes: u32) -> SlaPolicy {
        SlaPolicy {
            first_contact_minutes,
            escalation_minutes,
            ..SlaPolicy::default()
        }
    }
}

/// Where the contact SLA stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// Not submitted yet, or ended (withdrawn) before any contact: no clock runs.
    NotApplicable,
    /// Waiting for the first contact, before its deadline.
    OnTime,
    /// The first-contact deadline has passed without contact; escalation not yet reached.
    ContactDue,
    /// The escalation instant has passed without contact, or contact came after the
    /// first-contact deadline (a late contact stays a breach on the record).
    Breached,
    /// Contact was logged by the first-contact deadline.
    Met,
}

/// An escalation that must be recorded now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Escalation {
    /// When it became due (submitted + escalation minutes).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub due_at: Timestamp,
    /// Whole minutes past the first-contact deadline, at `now`.
    pub minutes_late: u32,
}

/// The SLA at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaView {
    pub status: SlaStatus,
    /// Submitted + first-contact minutes (None before submission).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub first_contact_due_at: Option<Timestamp>,
    /// Submitted + escalation minutes (None before submission).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub escalation_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub first_contact_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub escalated_at: Option<Timestamp>,
    /// Seconds until the first contact is due while waiting for it (negative when late).
    pub seconds_to_contact: Option<i64>,
    /// Set when the escalation must be recorded now: no contact, still waiting for one
    /// (Submitted or Assigned), past the escalation instant, and no escalation recorded yet.
    /// Once the `Escalated` event is applied this is `None` for ever.
    pub must_fire: Option<Escalation>,
}

/// `at + minutes`, saturating at the end of time instead of failing.
pub fn plus_minutes(at: Timestamp, minutes: u32) -> Timestamp {
    at.checked_add(SignedDuration::from_mins(i64::from(minutes)))
        .unwrap_or(Timestamp::MAX)
}

/// Whole seconds from `now` until `deadline` (negative when past).
pub fn seconds_until(now: Timestamp, deadline: Timestamp) -> i64 {
    now.duration_until(deadline).as_secs()
}

/// The SLA of `app` under `policy` at `now`.
pub fn sla_at(app: &Application, policy: &SlaPolicy, now: Timestamp) -> SlaView {
    let Some(submitted) = app.submitted_at else {
        return SlaView {
            status: SlaStatus::NotApplicable,
            first_contact_due_at: None,
            escalation_at: None,
            first_contact_at: None,
            escalated_at: app.escalated_at,
            seconds_to_contact: None,
            must_fire: None,
        };
    };
    let due = plus_minutes(submitted, policy.first_contact_minutes);
    let escalation_at = plus_minutes(submitted, policy.escalation_minutes);
    let waiting = app.first_contact_at.is_none() && app.state.awaits_contact();
    let status = match app.first_contact_at {
        Some(contact) if contact <= due => SlaStatus::Met,
        Some(_) => SlaStatus::Breached,
        None if !waiting => SlaStatus::NotApplicable,
        None if now < due => SlaStatus::OnTime,
        None if now < escalation_at && app.escalated_at.is_none() => SlaStatus::ContactDue,
        None => SlaStatus::Breached,
    };
    let must_fire = (waiting && app.escalated_at.is_none() && now >= escalation_at).then(|| {
        let late = now.duration_since(due).as_mins().max(0);
        Escalation {
            due_at: escalation_at,
            minutes_late: u32::try_from(late).unwrap_or(u32::MAX),
        }
    });
    SlaView {
        status,
        first_contact_due_at: Some(due),
        escalation_at: Some(escalation_at),
        first_contact_at: app.first_contact_at,
        escalated_at: app.escalated_at,
        seconds_to_contact: waiting.then(|| seconds_until(now, due)),
        must_fire,
    }
}

/// Whether the state can still see a first contact (used by the timeline and tasks).
pub(crate) fn waiting_for_contact(app: &Application) -> bool {
    app.first_contact_at.is_none() && app.state.awaits_contact() && app.state != State::Draft
}
