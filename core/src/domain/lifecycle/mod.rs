//! The application lifecycle (DESIGN §4), shared by the phone and the platform server so a
//! transition legal on one is legal on the other.
//!
//! Owns: the events of an application and their fold ([`Application`]), who may do what
//! ([`decide`]), the contact SLA clock ([`sla_at`]), the villager's timeline ([`timeline`]) and
//! the manager's task list ([`tasks_for`]). Must never do I/O: no clock (every function takes
//! `now`), no disk, no network, no logging of personal data.
//!
//! Rules chosen here:
//! - Every accepted command records exactly one [`Event`]; a refused one changes nothing.
//! - Contacted → UnderReview is an explicit manager action (`StartReview`), not automatic.
//! - Reject is possible from UnderReview and DocumentsRequested.
//! - Withdraw works from every state before Disbursed that has not ended (not from Rejected).
//! - The administrator supervises (assign, reassign within the same bank, acknowledge an
//!   escalation) and can never approve, reject or disburse.
//! - Escalation is recorded by the system only when [`sla_at`] says it must fire; the fold
//!   remembers it, so it fires at most once.
//!
//! Typical use (server or phone):
//! ```
//! use huoshui_core::domain::lifecycle::*;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let now: jiff::Timestamp = "2026-11-28T01:00:00Z".parse()?;
//! let id = ApplicationId::parse("0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f00")?;
//! let villager = Actor::villager("v1");
//! let request = NewApplication { product_id: "suli".into(), amount: 50_000_000, months: 36, town: "t1".into() };
//! let (mut app, _created) = Application::open(id, &villager, request, now)?;
//! let _submitted = app.execute(&villager, Command::Submit, now)?;
//! assert_eq!(app.state, State::Submitted);
//! # Ok(()) }
//! ```

mod command;
mod error;
pub mod loan;
mod model;
mod sla;
mod tasks;
mod timeline;

pub use command::{
    Action, Command, MAX_ID_CHARS, MAX_MONTHS, MAX_TEXT_CHARS, NewApplication, decide,
};
pub use error::LifecycleError;
pub use model::{
    Actor, Application, ApplicationId, ApprovedOffer, ContactOutcome, Event, EventKind, Role, State,
};
pub use sla::{Escalation, SlaPolicy, SlaStatus, SlaView, plus_minutes, seconds_until, sla_at};
pub use tasks::{Task, TaskKind, countdown_en, countdown_zh, tasks_for};
pub use timeline::{Timeline, TimelineEntry, format_when_en, format_when_zh, next_step, timeline};
