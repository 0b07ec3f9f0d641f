//! The contact SLA as product rules: first contact due at +5 minutes, escalation at +10 without
//! one, exactly once, never after a contact or a withdrawal; the minutes are data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::lifecycle::*;
use jiff::{SignedDuration, Timestamp};

fn t0() -> Timestamp {
    "2026-11-28T01:05:00Z".parse().unwrap()
}

fn at(seconds: i64) -> Timestamp {
    t0().checked_add(SignedDuration::from_secs(seconds))
        .unwrap()
}

fn villager() -> Actor {
    Actor::villager("v-zhang")
}
fn manager() -> Actor {
    Actor::manager("m-li")
}

/// Submitted at t0 and assigned to m-li at t0 + 20 s.
fn submitted_and_assigned() -> Application {
    let id = ApplicationId::parse("0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f00").unwrap();
    let request = NewApplication {
        product_id: "lingzhi".into(),
        amount: 10_000_000,
        months: 12,
        town: "t".into(),
    };
    let (mut app, _) = Application::open(id, &villager(), request, at(-60)).unwrap();
    app.execute(&villager(), Command::Submit, t0()).unwrap();
    app.execute(
        &Actor::system(),
        Command::Assign {
            manager_id: "m-li".into(),
            bank_id: "b".into(),
        },
        at(20),
    )
    .unwrap();
    app
}

fn escalate(
    app: &mut Application,
    policy: SlaPolicy,
    now: Timestamp,
) -> Result<Event, LifecycleError> {
    app.execute(
        &Actor::system(),
        Command::Escalate {
            to: "a-county".into(),
            policy,
        },
        now,
    )
}

#[test]
fn the_county_rule_is_five_minutes_to_call_and_ten_to_escalate() {
    let policy = SlaPolicy::default();
    assert_eq!(
        (policy.first_contact_minutes, policy.escalation_minutes),
        (5, 10)
    );
    let app = submitted_and_assigned();
    let view = sla_at(&app, &policy, at(60));
    assert_eq!(view.first_contact_due_at, Some(at(5 * 60)));
    assert_eq!(view.escalation_at, Some(at(10 * 60)));
    assert_eq!(view.status, SlaStatus::OnTime);
    assert_eq!(view.seconds_to_contact, Some(4 * 60));
    assert_eq!(view.must_fire, None);
}

#[test]
fn a_silent_manager_is_late_at_five_minutes_and_escalated_at_ten_exactly_once() {
    let policy = SlaPolicy::default();
    let mut app = submitted_and_assigned();
    assert_eq!(
        sla_at(&app, &policy, at(5 * 60)).status,
        SlaStatus::ContactDue
    );
    assert_eq!(sla_at(&app, &policy, at(10 * 60 - 1)).must_fire, None);
    assert_eq!(
        escalate(&mut app, policy, at(10 * 60 - 1)).unwrap_err(),
        LifecycleError::EscalationNotDue
    );

    let view = sla_at(&app, &policy, at(10 * 60));
    assert_eq!(view.status, SlaStatus::Breached);
    assert_eq!(
        view.must_fire,
        Some(Escalation {
            due_at: at(10 * 60),
            minutes_late: 5
        })
    );

    let event = escalate(&mut app, policy, at(10 * 60 + 30)).unwrap();
    assert_eq!(
        event.kind,
        EventKind::Escalated {
            to: "a-county".into(),
            minutes_late: 5
        }
    );
    assert_eq!(app.escalated_at, Some(at(10 * 60 + 30)));

    // The fold remembers it: nothing more must fire, and a second attempt is refused.
    for later in [10 * 60 + 31, 3_600, 86_400] {
        assert_eq!(sla_at(&app, &policy, at(later)).must_fire, None);
    }
    assert_eq!(
        escalate(&mut app, policy, at(3_600)).unwrap_err(),
        LifecycleError::AlreadyEscalated
    );
    let escalations = app
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Escalated { .. }))
        .count();
    assert_eq!(escalations, 1);
}

#[test]
fn an_unrouted_application_is_escalated_too() {
    let policy = SlaPolicy::default();
    let id = ApplicationId::parse("0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f01").unwrap();
    let request = NewApplication {
        product_id: "p".into(),
        amount: 100,
        months: 12,
        town: "t".into(),
    };
    let (mut app, _) = Application::open(id, &villager(), request, t0()).unwrap();
    app.execute(&villager(), Command::Submit, t0()).unwrap();
    assert!(sla_at(&app, &policy, at(600)).must_fire.is_some());
    escalate(&mut app, policy, at(600)).unwrap();
    assert_eq!(app.state, State::Submitted);
}

#[test]
fn a_call_in_time_meets_the_sla_and_nothing_is_escalated() {
    let policy = SlaPolicy::default();
    let mut app = submitted_and_assigned();
    app.execute(
        &manager(),
        Command::LogContact {
            note: None,
            outcome: Default::default(),
        },
        at(4 * 60 + 59),
    )
    .unwrap();
    for later in [5 * 60, 10 * 60, 86_400] {
        let view = sla_at(&app, &policy, at(later));
        assert_eq!(view.status, SlaStatus::Met);
        assert_eq!(view.must_fire, None);
        assert_eq!(view.seconds_to_contact, None);
    }
    assert_eq!(
        escalate(&mut app, policy, at(700)).unwrap_err(),
        LifecycleError::EscalationNotDue
    );
}

#[test]
fn a_late_call_stays_a_breach_but_still_prevents_escalation() {
    let policy = SlaPolicy::default();
    let mut app = submitted_and_assigned();
    app.execute(
        &manager(),
        Command::LogContact {
            note: None,
            outcome: Default::default(),
        },
        at(7 * 60),
    )
    .unwrap();
    let view = sla_at(&app, &policy, at(11 * 60));
    assert_eq!(view.status, SlaStatus::Breached);
    assert_eq!(view.must_fire, None);
}

#[test]
fn a_withdrawn_application_is_never_escalated() {
    let policy = SlaPolicy::default();
    let mut app = submitted_and_assigned();
    app.execute(&villager(), Command::Withdraw { reason: None }, at(120))
        .unwrap();
    let view = sla_at(&app, &policy, at(3_600));
    assert_eq!(view.status, SlaStatus::NotApplicable);
    assert_eq!(view.must_fire, None);
    assert!(escalate(&mut app, policy, at(3_600)).is_err());
}

#[test]
fn a_draft_has_no_clock() {
    let id = ApplicationId::parse("0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f02").unwrap();
    let request = NewApplication {
        product_id: "p".into(),
        amount: 100,
        months: 12,
        town: "t".into(),
    };
    let (app, _) = Application::open(id, &villager(), request, t0()).unwrap();
    let view = sla_at(&app, &SlaPolicy::default(), at(86_400));
    assert_eq!(view.status, SlaStatus::NotApplicable);
    assert_eq!(view.first_contact_due_at, None);
    assert_eq!(view.must_fire, None);
}

#[test]
fn the_minutes_are_data_a_county_with_two_and_three_minutes_escalates_at_three() {
    let policy = SlaPolicy::new(2, 3);
    let mut app = submitted_and_assigned();
    assert_eq!(
        sla_at(&app, &policy, at(2 * 60)).status,
        SlaStatus::ContactDue
    );
    assert_eq!(sla_at(&app, &policy, at(3 * 60 - 1)).must_fire, None);
    let fire = sla_at(&app, &policy, at(4 * 60)).must_fire.unwrap();
    assert_eq!(
        fire,
        Escalation {
            due_at: at(3 * 60),
            minutes_late: 2
        }
    );
    escalate(&mut app, policy, at(4 * 60)).unwrap();
}

#[test]
fn the_administrator_acknowledges_an_escalation_once_and_only_after_one() {
    let policy = SlaPolicy::default();
    let mut app = submitted_and_assigned();
    let admin = Actor::administrator("a-county");
    assert_eq!(
        app.execute(
            &admin,
            Command::AcknowledgeEscalation { note: None },
            at(60)
        )
        .unwrap_err()
        .code(),
        "illegal_transition"
    );
    escalate(&mut app, policy, at(600)).unwrap();
    app.execute(
        &admin,
        Command::AcknowledgeEscalation {
            note: Some("已电话督促".into()),
        },
        at(660),
    )
    .unwrap();
    assert_eq!(app.escalation_acknowledged_at, Some(at(660)));
    assert!(
        app.execute(
            &admin,
            Command::AcknowledgeEscalation { note: None },
            at(700)
        )
        .is_err()
    );
    // The manager may still call after the escalation; the state moves on.
    app.execute(
        &manager(),
        Command::LogContact {
            note: None,
            outcome: Default::default(),
        },
        at(720),
    )
    .unwrap();
    assert_eq!(app.state, State::Contacted);
}

#[test]
fn the_sla_view_travels_as_json() {
    let app = submitted_and_assigned();
    let view = sla_at(&app, &SlaPolicy::default(), at(600));
    let json = serde_json::to_string(&view).unwrap();
    assert!(json.contains(r#""status":"breached""#), "{json}");
    let back: SlaView = serde_json::from_str(&json).unwrap();
    assert_eq!(back, view);
    // A policy written with only the county's two numbers reads with the default deadlines.
    let policy: SlaPolicy =
        serde_json::from_str(r#"{"first_contact_minutes":5,"escalation_minutes":10}"#).unwrap();
    assert_eq!(policy, SlaPolicy::default());
}
