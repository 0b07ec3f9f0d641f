//! Properties of the lifecycle over random histories: whatever anyone tries, in any order, the
//! application stays a legal fold of its events; refusals change nothing; escalation fires at
//! most once, never after a timely contact, never after a withdrawal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::lifecycle::*;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn t0() -> Timestamp {
    "2026-11-28T01:05:00Z".parse().unwrap()
}

fn plus(at: Timestamp, seconds: i64) -> Timestamp {
    at.checked_add(SignedDuration::from_secs(seconds)).unwrap()
}

const AMOUNT: i64 = 20_000_000;

/// Everyone who might act: the owner, another villager, two managers of bank b1, one of b2,
/// the administrator and the system.
fn actors() -> Vec<Actor> {
    vec![
        Actor::villager("v1"),
        Actor::villager("v2"),
        Actor::manager("m1"),
        Actor::manager("m2"),
        Actor::manager("m3"),
        Actor::administrator("a1"),
        Actor::system(),
    ]
}

fn new_app() -> Application {
    let id = ApplicationId::parse("0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f00").unwrap();
    let request = NewApplication {
        product_id: "p".into(),
        amount: AMOUNT,
        months: 24,
        town: "t".into(),
    };
    Application::open(id, &Actor::villager("v1"), request, t0())
        .unwrap()
        .0
}

fn policy() -> SlaPolicy {
    SlaPolicy::default()
}

/// The bank each manager works for (the server looks it up; the domain is told).
fn bank_of(manager: &str) -> &'static str {
    if manager == "m3" { "b2" } else { "b1" }
}

/// A manager (or an empty id) with their true bank.
fn manager_with_bank() -> impl Strategy<Value = (String, String)> {
    prop_oneof![Just("m1"), Just("m2"), Just("m3"), Just("")]
        .prop_map(|m| (m.to_owned(), bank_of(m).to_owned()))
}

fn kinds() -> impl Strategy<Value = Vec<DocumentKind>> {
    proptest::collection::vec(proptest::sample::select(DocumentKind::ALL.to_vec()), 0..3)
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        6 => Just(Command::Submit),
        // Routing assigns a manager of the product's bank b1 (or tries an empty id).
        6 => prop_oneof![Just("m1"), Just("m2"), Just("")]
            .prop_map(|m| Command::Assign { manager_id: m.to_owned(), bank_id: "b1".to_owned() }),
        6 => Just(Command::LogContact { note: None, outcome: Default::default() }),
        6 => Just(Command::StartReview),
        6 => (kinds(), ".{0,3}").prop_map(|(kinds, note)| Command::RequestDocuments { kinds, note }),
        6 => Just(Command::ProvideDocuments),
        6 => (-1_000i64..AMOUNT + 1_000, 0u32..40, -10i64..200_000).prop_map(|(amount, months, rate)| {
            Command::Approve { offer: ApprovedOffer { amount, months, annual_rate_ppm: rate } }
        }),
        6 => Just(Command::AcceptOffer),
        2 => prop_oneof![Just(String::new()), Just("收入不足".to_owned())].prop_map(|reason| Command::Reject { reason }),
        6 => (-10i64..AMOUNT + 10).prop_map(|amount| Command::Disburse { amount }),
        6 => Just(Command::MarkRepaid),
        1 => Just(Command::Withdraw { reason: None }),
        6 => Just(Command::Escalate { to: "a1".into(), policy: policy() }),
        6 => Just(Command::AcknowledgeEscalation { note: None }),
        // The administrator may pick anyone, including a manager of another bank.
        6 => manager_with_bank().prop_map(|(to, bank_id)| Command::Reassign { to, bank_id }),
    ]
}

/// Who acts: most of the time the natural actor for the command (so random histories get
/// deep into the journey), otherwise anyone at all.
#[derive(Debug, Clone, Copy)]
enum Who {
    Natural,
    Anyone(usize),
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![4 => Just(Who::Natural), 1 => (0..7usize).prop_map(Who::Anyone)]
}

/// What is tried: a random command, or the next step of the happy path (so random histories
/// also reach the end of the journey).
#[derive(Debug, Clone)]
enum Try {
    Random(Command),
    Advance(u8),
}

fn attempt() -> impl Strategy<Value = Try> {
    prop_oneof![
        command().prop_map(Try::Random),
        any::<u8>().prop_map(Try::Advance)
    ]
}

fn advance(app: &Application, variety: u8) -> Command {
    match app.state {
        State::Draft => Command::Submit,
        State::Submitted => Command::Assign {
            manager_id: "m1".into(),
            bank_id: "b1".into(),
        },
        State::Assigned => Command::LogContact {
            note: Some("ok".into()),
            outcome: Default::default(),
        },
        State::Contacted => Command::StartReview,
        State::UnderReview if variety.is_multiple_of(3) => Command::RequestDocuments {
            kinds: vec![DocumentKind::Lease],
            note: String::new(),
        },
        State::UnderReview if variety % 7 == 1 => Command::Reject {
            reason: "资料不符".into(),
        },
        State::UnderReview => Command::Approve {
            offer: ApprovedOffer {
                amount: AMOUNT / 2 + i64::from(variety),
                months: 12,
                annual_rate_ppm: 40_000,
            },
        },
        State::DocumentsRequested => Command::ProvideDocuments,
        State::Approved => Command::AcceptOffer,
        State::Accepted => Command::Disburse { amount: AMOUNT / 2 },
        State::Disbursed => Command::MarkRepaid,
        _ => Command::Withdraw { reason: None },
    }
}

/// (who, what, seconds after the previous step)
fn step() -> impl Strategy<Value = (Who, Try, i64)> {
    (who(), attempt(), 0i64..400)
}

fn resolve(attempt: Try, app: &Application) -> Command {
    match attempt {
        Try::Random(c) => c,
        Try::Advance(v) => advance(app, v),
    }
}

fn actor_for(who: Who, command: &Command, app: &Application) -> Actor {
    let people = actors();
    match who {
        Who::Anyone(i) => people[i % people.len()].clone(),
        Who::Natural => match command.action().allowed_roles().first() {
            Some(Role::Villager) => Actor::villager("v1"),
            Some(Role::Manager) => {
                Actor::manager(app.manager_id.clone().unwrap_or_else(|| "m1".into()))
            }
            Some(Role::Administrator) => Actor::administrator("a1"),
            _ => Actor::system(),
        },
    }
}

fn action_of(kind: &EventKind) -> Action {
    match kind {
        EventKind::Created { .. } => Action::Create,
        EventKind::Submitted => Action::Submit,
        EventKind::Assigned { .. } => Action::Assign,
        EventKind::Contacted { .. } => Action::LogContact,
        EventKind::ReviewStarted => Action::StartReview,
        EventKind::DocumentsRequested { .. } => Action::RequestDocuments,
        EventKind::DocumentsProvided => Action::ProvideDocuments,
        EventKind::Approved { .. } => Action::Approve,
        EventKind::OfferAccepted => Action::AcceptOffer,
        EventKind::Rejected { .. } => Action::Reject,
        EventKind::Disbursed { .. } => Action::Disburse,
        EventKind::Repaid => Action::MarkRepaid,
        EventKind::Withdrawn { .. } => Action::Withdraw,
        EventKind::Escalated { .. } => Action::Escalate,
        EventKind::EscalationAcknowledged { .. } => Action::AcknowledgeEscalation,
        EventKind::Reassigned { .. } => Action::Reassign,
        EventKind::RepaymentRecorded { .. } => Action::RecordRepayment,
        EventKind::OverdueChanged { .. } => Action::MarkOverdue,
    }
}

/// The states that can only be reached through a given earlier state; and the facts each
/// state implies. Panics (failing the property) when the application is not legal.
fn assert_legal(app: &Application) {
    use State::*;
    let s = app.state;
    // It is exactly the fold of its own events, numbered 1..=n.
    assert_eq!(
        &Application::fold(app.id.clone(), &app.events).unwrap(),
        app
    );
    for (i, e) in app.events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
        if i > 0 {
            assert!(e.at >= app.events[i - 1].at, "time went backwards");
        }
        // Every recorded event was done by a role allowed to do it.
        assert!(
            action_of(&e.kind).allows(e.actor.role),
            "{:?} by {:?}",
            e.kind,
            e.actor.role
        );
    }
    // Villager events come from the owner; manager events from the manager assigned then.
    let mut current_manager: Option<String> = None;
    for e in &app.events {
        match e.actor.role {
            Role::Villager => assert_eq!(e.actor.id, app.villager_id),
            Role::Manager => {
                assert_eq!(Some(&e.actor.id), current_manager.as_ref(), "{:?}", e.kind)
            }
            _ => {}
        }
        match &e.kind {
            EventKind::Assigned { manager_id, .. } => current_manager = Some(manager_id.clone()),
            EventKind::Reassigned { to, .. } => current_manager = Some(to.clone()),
            _ => {}
        }
    }
    let count = |f: fn(&EventKind) -> bool| app.events.iter().filter(|e| f(&e.kind)).count();
    assert!(count(|k| matches!(k, EventKind::Escalated { .. })) <= 1);
    assert!(count(|k| matches!(k, EventKind::Submitted)) <= 1);
    assert!(count(|k| matches!(k, EventKind::Contacted { .. })) <= 1);
    if s != Draft && s != Withdrawn {
        assert!(app.submitted_at.is_some());
    }
    if matches!(
        s,
        Assigned
            | Contacted
            | UnderReview
            | DocumentsRequested
            | Approved
            | Accepted
            | Disbursed
            | Closed
    ) {
        let m = app.manager_id.as_deref().unwrap();
        assert_eq!(
            bank_of(m),
            "b1",
            "only managers of the product's bank b1, got {}",
            m
        );
        assert_eq!(app.bank_id.as_deref(), Some("b1"));
    }
    if matches!(
        s,
        Contacted
            | UnderReview
            | DocumentsRequested
            | Approved
            | Accepted
            | Disbursed
            | Closed
            | Rejected
    ) {
        assert!(app.first_contact_at.is_some());
    }
    if matches!(s, Approved | Accepted | Disbursed | Closed) {
        let offer = app.offer.unwrap();
        assert!(offer.amount > 0 && offer.amount <= app.amount);
        assert!(offer.months > 0);
    }
    if matches!(s, Disbursed | Closed) {
        let paid = app.disbursed_amount.unwrap();
        assert!(paid > 0 && paid <= app.offer.unwrap().amount);
    }
    if s == Rejected {
        assert!(!app.rejection_reason.as_deref().unwrap().trim().is_empty());
    }
    if let Some(escalated) = app.escalated_at {
        // Escalated only past the escalation instant and before any contact.
        let submitted = app.submitted_at.unwrap();
        assert!(escalated >= plus(submitted, 600));
        if let Some(contact) = app.first_contact_at {
            assert!(contact >= escalated);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_actions_by_random_roles_never_produce_an_illegal_application(
        steps in proptest::collection::vec(step(), 0..60)
    ) {
        let mut app = new_app();
        let mut now = t0();
        for (who, attempt, dt) in steps {
            now = plus(now, dt);
            let command = resolve(attempt, &app);
            let before = app.clone();
            let actor = actor_for(who, &command, &app);
            match app.execute(&actor, command, now) {
                Ok(event) => {
                    prop_assert_eq!(app.last_seq, before.last_seq + 1);
                    prop_assert_eq!(app.events.last(), Some(&event));
                    assert_legal(&app);
                }
                Err(_) => prop_assert_eq!(&app, &before, "a refused command changed the application"),
            }
        }
    }

    #[test]
    fn escalation_fires_at_most_once_whatever_the_clock_says(
        submit_at in 0i64..3_600,
        assign in proptest::option::of(0i64..3_600),
        nows in proptest::collection::vec(0i64..7_200, 1..40),
    ) {
        let mut app = new_app();
        app.execute(&Actor::villager("v1"), Command::Submit, plus(t0(), submit_at)).unwrap();
        if let Some(a) = assign {
            let _ = app.execute(
                &Actor::system(),
                Command::Assign { manager_id: "m1".into(), bank_id: "b1".into() },
                plus(t0(), submit_at + a),
            );
        }
        let mut fired = 0;
        // The clock may jump back and forth (several servers, restarts): still at most once.
        for n in nows {
            let now = plus(t0(), n);
            let view = sla_at(&app, &policy(), now);
            let result = app.execute(&Actor::system(), Command::Escalate { to: "a1".into(), policy: policy() }, now);
            prop_assert_eq!(view.must_fire.is_some(), result.is_ok(), "must_fire and decide disagree");
            if result.is_ok() {
                fired += 1;
            }
        }
        prop_assert!(fired <= 1);
        let recorded = app.events.iter().filter(|e| matches!(e.kind, EventKind::Escalated { .. })).count();
        prop_assert_eq!(recorded, fired);
    }

    #[test]
    fn a_contact_before_the_escalation_instant_means_no_escalation(
        contact_after in 0i64..600,
        nows in proptest::collection::vec(0i64..86_400, 1..40),
    ) {
        let mut app = new_app();
        app.execute(&Actor::villager("v1"), Command::Submit, t0()).unwrap();
        app.execute(&Actor::system(), Command::Assign { manager_id: "m1".into(), bank_id: "b1".into() }, t0())
            .unwrap();
        let mut contacted = false;
        let mut times = nows;
        times.sort_unstable();
        for n in times {
            if !contacted && n >= contact_after {
                app.execute(&Actor::manager("m1"), Command::LogContact { note: None, outcome: Default::default() }, plus(t0(), contact_after))
                    .unwrap();
                contacted = true;
            }
            let now = plus(t0(), n);
            prop_assert!(sla_at(&app, &policy(), now).must_fire.is_none());
            let r = app.execute(&Actor::system(), Command::Escalate { to: "a1".into(), policy: policy() }, now);
            prop_assert!(r.is_err());
        }
        prop_assert!(app.escalated_at.is_none());
    }

    #[test]
    fn a_withdrawn_application_is_never_escalated_afterwards(
        withdraw_after in 0i64..600,
        assigned in any::<bool>(),
        nows in proptest::collection::vec(0i64..86_400, 1..40),
    ) {
        let mut app = new_app();
        app.execute(&Actor::villager("v1"), Command::Submit, t0()).unwrap();
        if assigned {
            app.execute(&Actor::system(), Command::Assign { manager_id: "m1".into(), bank_id: "b1".into() }, t0())
                .unwrap();
        }
        app.execute(&Actor::villager("v1"), Command::Withdraw { reason: None }, plus(t0(), withdraw_after)).unwrap();
        for n in nows {
            let now = plus(t0(), n);
            let view = sla_at(&app, &policy(), now);
            prop_assert!(view.must_fire.is_none());
            prop_assert_eq!(view.status, SlaStatus::NotApplicable);
            let r = app.execute(&Actor::system(), Command::Escalate { to: "a1".into(), policy: policy() }, now);
            prop_assert!(r.is_err());
        }
        prop_assert!(app.escalated_at.is_none());
    }

    #[test]
    fn events_survive_json_and_fold_to_the_same_application(
        steps in proptest::collection::vec(step(), 0..40)
    ) {
        let mut app = new_app();
        let mut now = t0();
        for (who, attempt, dt) in steps {
            now = plus(now, dt);
            let command = resolve(attempt, &app);
            let actor = actor_for(who, &command, &app);
            let _ = app.execute(&actor, command, now);
        }
        let json = serde_json::to_string(&app.events).unwrap();
        let back: Vec<Event> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(Application::fold(app.id.clone(), &back).unwrap(), app);
    }
}

/// Guards the properties above against a weak generator: the random histories reach every
/// state of the journey, and escalations happen in them.
#[test]
fn the_random_histories_reach_every_state() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    let mut escalated = 0;
    for _ in 0..256 {
        let steps = proptest::collection::vec(step(), 0..60)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut app = new_app();
        let mut now = t0();
        for (who, attempt, dt) in steps {
            now = plus(now, dt);
            let command = resolve(attempt, &app);
            let actor = actor_for(who, &command, &app);
            let _ = app.execute(&actor, command, now);
            seen.insert(app.state);
        }
        escalated += usize::from(app.escalated_at.is_some());
    }
    let missing: Vec<State> = State::ALL
        .into_iter()
        .filter(|s| !seen.contains(s))
        .collect();
    assert!(missing.is_empty(), "never reached: {missing:?}");
    assert!(escalated > 0);
}
