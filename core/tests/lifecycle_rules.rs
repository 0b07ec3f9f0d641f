//! The application lifecycle, stated as product rules: who may do what, in which state, and what
//! the refusal says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::domain::documents::DocumentKind;
use huoshui_core::domain::lifecycle::*;
use jiff::{SignedDuration, Timestamp};

fn t0() -> Timestamp {
    // 09:05 in the county (UTC+8) on 28 November 2026.
    "2026-11-28T01:05:00Z".parse().unwrap()
}

fn mins(m: i64) -> Timestamp {
    t0().checked_add(SignedDuration::from_mins(m)).unwrap()
}

fn id(n: u8) -> ApplicationId {
    ApplicationId::parse(&format!("0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f{n:02x}")).unwrap()
}

const AMOUNT: i64 = 50_000_000; // 500,000 yuan

fn villager() -> Actor {
    Actor::villager("v-zhang")
}
fn manager() -> Actor {
    Actor::manager("m-li")
}
fn colleague() -> Actor {
    Actor::manager("m-wang") // same bank as m-li
}
fn other_bank_manager() -> Actor {
    Actor::manager("m-zhao")
}
fn admin() -> Actor {
    Actor::administrator("a-county")
}
fn system() -> Actor {
    Actor::system()
}

fn offer() -> ApprovedOffer {
    ApprovedOffer {
        amount: 40_000_000,
        months: 36,
        annual_rate_ppm: 39_500,
    }
}

fn draft() -> Application {
    let request = NewApplication {
        product_id: "suli-dai".into(),
        amount: AMOUNT,
        months: 36,
        town: "town-a".into(),
    };
    Application::open(id(1), &villager(), request, t0())
        .unwrap()
        .0
}

/// Runs the happy path up to (and including) `state`.
fn reach(state: State) -> Application {
    let mut app = draft();
    let steps: Vec<(Actor, Command, State)> = vec![
        (villager(), Command::Submit, State::Submitted),
        (
            system(),
            Command::Assign {
                manager_id: "m-li".into(),
                bank_id: "bank-rural".into(),
            },
            State::Assigned,
        ),
        (
            manager(),
            Command::LogContact {
                note: Some("called, farmer at home".into()),
                outcome: Default::default(),
            },
            State::Contacted,
        ),
        (manager(), Command::StartReview, State::UnderReview),
        (
            manager(),
            Command::RequestDocuments {
                kinds: vec![DocumentKind::LandContract],
                note: "请拍清楚".into(),
            },
            State::DocumentsRequested,
        ),
        (villager(), Command::ProvideDocuments, State::UnderReview),
        (
            manager(),
            Command::Approve { offer: offer() },
            State::Approved,
        ),
        (villager(), Command::AcceptOffer, State::Accepted),
        (
            manager(),
            Command::Disburse { amount: 40_000_000 },
            State::Disbursed,
        ),
        (system(), Command::MarkRepaid, State::Closed),
    ];
    if app.state == state {
        return app;
    }
    for (i, (actor, command, after)) in steps.into_iter().enumerate() {
        app.execute(&actor, command, mins(1 + i as i64)).unwrap();
        assert_eq!(app.state, after);
        if after == state {
            return app;
        }
    }
    panic!("state {state:?} is not on the happy path");
}

#[test]
fn the_whole_journey_goes_from_draft_to_closed_and_the_fold_agrees() {
    let app = reach(State::Closed);
    assert_eq!(app.state, State::Closed);
    assert_eq!(app.events.len(), 11);
    assert_eq!(app.disbursed_amount, Some(40_000_000));
    assert_eq!(app.offer, Some(offer()));
    let again = Application::fold(app.id.clone(), &app.events).unwrap();
    assert_eq!(again, app);
    let seqs: Vec<u64> = app.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=11).collect::<Vec<u64>>());
}

#[test]
fn a_manager_of_another_bank_cannot_approve() {
    let app = reach(State::UnderReview);
    let err = decide(
        &app,
        &other_bank_manager(),
        Command::Approve { offer: offer() },
        mins(30),
    )
    .unwrap_err();
    assert_eq!(
        err,
        LifecycleError::NotYours {
            state: State::UnderReview,
            action: Action::Approve,
            role: Role::Manager
        }
    );
    assert!(
        err.message_zh().contains("未分配给您"),
        "{}",
        err.message_zh()
    );
}

#[test]
fn the_administrator_supervises_but_cannot_approve() {
    let app = reach(State::UnderReview);
    let err = decide(
        &app,
        &admin(),
        Command::Approve { offer: offer() },
        mins(30),
    )
    .unwrap_err();
    assert_eq!(
        err,
        LifecycleError::RoleCannot {
            state: State::UnderReview,
            action: Action::Approve,
            role: Role::Administrator
        }
    );
    assert!(
        err.to_string().contains("「县管理员」无权执行「批准」"),
        "{err}"
    );
    assert!(
        err.to_string().contains("administrator cannot approve"),
        "{err}"
    );
    // …and cannot reject or disburse either.
    for command in [
        Command::Reject { reason: "x".into() },
        Command::Disburse { amount: 1 },
    ] {
        assert!(matches!(
            decide(&app, &admin(), command, mins(30)),
            Err(LifecycleError::RoleCannot { .. })
        ));
    }
}

#[test]
fn withdrawal_after_disbursement_is_refused_naming_state_action_and_role() {
    let app = reach(State::Disbursed);
    let err = decide(
        &app,
        &villager(),
        Command::Withdraw { reason: None },
        mins(60),
    )
    .unwrap_err();
    assert_eq!(
        err,
        LifecycleError::IllegalTransition {
            state: State::Disbursed,
            action: Action::Withdraw,
            role: Role::Villager
        }
    );
    assert_eq!(
        err.to_string(),
        "不能在「已放款」状态由「村民」执行「撤回」 / cannot withdraw as villager in state Disbursed"
    );
}

#[test]
fn withdrawal_works_in_every_state_before_disbursement() {
    for state in [
        State::Draft,
        State::Submitted,
        State::Assigned,
        State::Contacted,
        State::UnderReview,
        State::DocumentsRequested,
        State::Approved,
        State::Accepted,
    ] {
        let mut app = reach(state);
        app.execute(
            &villager(),
            Command::Withdraw {
                reason: Some("家里有事".into()),
            },
            mins(100),
        )
        .unwrap();
        assert_eq!(app.state, State::Withdrawn, "from {state:?}");
        assert_eq!(app.withdrawal_reason.as_deref(), Some("家里有事"));
    }
    for state in [State::Disbursed, State::Closed] {
        let app = reach(state);
        assert!(
            decide(
                &app,
                &villager(),
                Command::Withdraw { reason: None },
                mins(100)
            )
            .is_err()
        );
    }
}

#[test]
fn a_villager_cannot_touch_another_villagers_application() {
    let app = reach(State::Approved);
    let stranger = Actor::villager("v-someone-else");
    for command in [Command::AcceptOffer, Command::Withdraw { reason: None }] {
        let err = decide(&app, &stranger, command, mins(50)).unwrap_err();
        assert_eq!(err.code(), "not_yours");
        assert!(err.message_zh().contains("这不是您的申请"));
    }
}

#[test]
fn only_the_villager_submits_and_only_once() {
    let app = draft();
    let err = decide(&app, &manager(), Command::Submit, t0()).unwrap_err();
    assert_eq!(err.code(), "role_cannot");
    let app = reach(State::Submitted);
    let err = decide(&app, &villager(), Command::Submit, mins(2)).unwrap_err();
    assert_eq!(
        err,
        LifecycleError::IllegalTransition {
            state: State::Submitted,
            action: Action::Submit,
            role: Role::Villager
        }
    );
}

#[test]
fn review_never_starts_by_itself_after_the_call() {
    let app = reach(State::Contacted);
    let err = decide(
        &app,
        &manager(),
        Command::Approve { offer: offer() },
        mins(10),
    )
    .unwrap_err();
    assert_eq!(
        err,
        LifecycleError::IllegalTransition {
            state: State::Contacted,
            action: Action::Approve,
            role: Role::Manager
        }
    );
    let mut app = app;
    app.execute(&manager(), Command::StartReview, mins(10))
        .unwrap();
    assert_eq!(app.state, State::UnderReview);
}

#[test]
fn a_refused_command_changes_nothing() {
    let mut app = reach(State::UnderReview);
    let before = app.clone();
    assert!(
        app.execute(&admin(), Command::Approve { offer: offer() }, mins(40))
            .is_err()
    );
    assert!(
        app.execute(&manager(), Command::Disburse { amount: 1 }, mins(40))
            .is_err()
    );
    assert!(
        app.execute(&villager(), Command::AcceptOffer, mins(40))
            .is_err()
    );
    assert_eq!(app, before);
}

#[test]
fn the_bank_cannot_approve_more_than_was_asked_for_nor_pay_out_more_than_approved() {
    let app = reach(State::UnderReview);
    let too_much = ApprovedOffer {
        amount: AMOUNT + 1,
        ..offer()
    };
    let err = decide(
        &app,
        &manager(),
        Command::Approve { offer: too_much },
        mins(40),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            LifecycleError::Invalid {
                field: "offer.amount",
                ..
            }
        ),
        "{err:?}"
    );
    let zero_term = ApprovedOffer {
        months: 0,
        ..offer()
    };
    assert!(
        decide(
            &app,
            &manager(),
            Command::Approve { offer: zero_term },
            mins(40)
        )
        .is_err()
    );

    let app = reach(State::Accepted);
    let err = decide(
        &app,
        &manager(),
        Command::Disburse {
            amount: offer().amount + 1,
        },
        mins(40),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            LifecycleError::Invalid {
                field: "amount",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_rejection_must_tell_the_villager_why() {
    let app = reach(State::UnderReview);
    let err = decide(
        &app,
        &manager(),
        Command::Reject {
            reason: "  ".into(),
        },
        mins(40),
    )
    .unwrap_err();
    assert!(err.message_zh().contains("请写明原因"));
    let mut app = app;
    app.execute(
        &manager(),
        Command::Reject {
            reason: "流水不足".into(),
        },
        mins(40),
    )
    .unwrap();
    assert_eq!(app.state, State::Rejected);
    // A rejected application is over: it cannot be withdrawn or approved afterwards.
    assert!(
        decide(
            &app,
            &villager(),
            Command::Withdraw { reason: None },
            mins(41)
        )
        .is_err()
    );
    assert!(
        decide(
            &app,
            &manager(),
            Command::Approve { offer: offer() },
            mins(41)
        )
        .is_err()
    );
}

#[test]
fn the_bank_can_reject_while_waiting_for_documents() {
    let mut app = reach(State::DocumentsRequested);
    app.execute(
        &manager(),
        Command::Reject {
            reason: "材料未补齐".into(),
        },
        mins(40),
    )
    .unwrap();
    assert_eq!(app.state, State::Rejected);
}

#[test]
fn reassignment_stays_within_the_bank_and_moves_the_power_to_act() {
    let mut app = reach(State::UnderReview);
    let err = decide(
        &app,
        &admin(),
        Command::Reassign {
            to: "m-zhao".into(),
            bank_id: "bank-other".into(),
        },
        mins(40),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            LifecycleError::Invalid {
                field: "bank_id",
                ..
            }
        ),
        "{err:?}"
    );
    app.execute(
        &admin(),
        Command::Reassign {
            to: "m-wang".into(),
            bank_id: "bank-rural".into(),
        },
        mins(40),
    )
    .unwrap();
    assert_eq!(app.manager_id.as_deref(), Some("m-wang"));
    assert_eq!(app.state, State::UnderReview);
    assert_eq!(
        decide(
            &app,
            &manager(),
            Command::Approve { offer: offer() },
            mins(41)
        )
        .unwrap_err()
        .code(),
        "not_yours"
    );
    app.execute(&colleague(), Command::Approve { offer: offer() }, mins(41))
        .unwrap();
    assert_eq!(app.state, State::Approved);
}

#[test]
fn a_manager_asks_for_at_least_one_document_and_repeats_are_merged() {
    let app = reach(State::UnderReview);
    let err = decide(
        &app,
        &manager(),
        Command::RequestDocuments {
            kinds: vec![],
            note: String::new(),
        },
        mins(30),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        LifecycleError::Invalid { field: "kinds", .. }
    ));
    let event = decide(
        &app,
        &manager(),
        Command::RequestDocuments {
            kinds: vec![
                DocumentKind::Lease,
                DocumentKind::Lease,
                DocumentKind::HouseholdRegister,
            ],
            note: String::new(),
        },
        mins(30),
    )
    .unwrap();
    assert_eq!(
        event.kind,
        EventKind::DocumentsRequested {
            kinds: vec![DocumentKind::Lease, DocumentKind::HouseholdRegister],
            note: String::new()
        }
    );
}

#[test]
fn events_are_numbered_and_a_clock_that_steps_back_does_not_reorder_history() {
    let mut app = reach(State::Submitted);
    let before = app.updated_at;
    let event = app
        .execute(
            &system(),
            Command::Assign {
                manager_id: "m-li".into(),
                bank_id: "bank-rural".into(),
            },
            t0(),
        )
        .unwrap();
    assert_eq!(event.seq, 3);
    assert_eq!(event.at, before);
}

#[test]
fn a_corrupt_history_is_refused_when_folded() {
    let app = reach(State::Approved);
    let mut events = app.events.clone();
    events.swap(2, 3);
    let err = Application::fold(app.id.clone(), &events).unwrap_err();
    assert_eq!(
        err,
        LifecycleError::EventOutOfOrder {
            expected: 3,
            found: 4
        }
    );

    let mut events = app.events.clone();
    events.remove(0);
    assert_eq!(
        Application::fold(app.id.clone(), &events).unwrap_err(),
        LifecycleError::MissingCreated
    );

    // An approval right after submission never happened legally.
    let mut events: Vec<Event> = app.events[..2].to_vec();
    events.push(Event {
        seq: 3,
        at: mins(3),
        actor: manager(),
        kind: EventKind::Approved { offer: offer() },
    });
    assert!(matches!(
        Application::fold(app.id.clone(), &events),
        Err(LifecycleError::EventNotApplicable {
            state: State::Submitted,
            event: "approved"
        })
    ));
}

#[test]
fn events_travel_as_json_and_fold_back_to_the_same_application() {
    let app = reach(State::Disbursed);
    let json = serde_json::to_string(&app.events).unwrap();
    assert!(json.contains(r#""type":"approved""#), "{json}");
    assert!(json.contains(r#""role":"manager""#), "{json}");
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(Application::fold(app.id.clone(), &back).unwrap(), app);
}

#[test]
fn an_application_id_must_be_a_uuid() {
    assert!(ApplicationId::parse("not-a-uuid").is_err());
    let id = ApplicationId::parse("0192F1A4-7B7E-7C1A-9E2B-5D4C3B2A1F00").unwrap();
    assert_eq!(id.as_str(), "0192f1a4-7b7e-7c1a-9e2b-5d4c3b2a1f00");
    assert!(serde_json::from_str::<ApplicationId>(r#""../../etc/passwd""#).is_err());
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(serde_json::from_str::<ApplicationId>(&json).unwrap(), id);
}

#[test]
fn an_application_needs_a_positive_amount_and_a_sane_term() {
    for (amount, months) in [(0, 12), (-5, 12), (100, 0), (100, 601)] {
        let request = NewApplication {
            product_id: "p".into(),
            amount,
            months,
            town: "t".into(),
        };
        assert!(
            Application::open(id(2), &villager(), request, t0()).is_err(),
            "{amount} {months}"
        );
    }
    let request = NewApplication {
        product_id: "p".into(),
        amount: 100,
        months: 12,
        town: "t".into(),
    };
    assert_eq!(
        Application::open(id(2), &manager(), request, t0())
            .unwrap_err()
            .code(),
        "role_cannot"
    );
}

#[test]
fn every_action_is_performed_by_at_least_one_role_and_the_administrator_never_decides_credit() {
    for action in Action::ALL {
        assert!(!action.allowed_roles().is_empty(), "{action:?}");
    }
    for action in [Action::Approve, Action::Reject, Action::Disburse] {
        assert!(!action.allows(Role::Administrator));
        assert!(!action.allows(Role::System));
        assert!(!action.allows(Role::Villager));
    }
}

#[test]
fn a_received_history_with_a_nonsense_application_is_refused() {
    let event = Event {
        seq: 1,
        at: t0(),
        actor: villager(),
        kind: EventKind::Created {
            villager_id: "v-zhang".into(),
            product_id: "p".into(),
            amount: -100,
            months: 12,
            town: "t".into(),
        },
    };
    let err = Application::fold(id(3), &[event]).unwrap_err();
    assert!(
        matches!(
            err,
            LifecycleError::Invalid {
                field: "amount",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn every_state_code_is_its_wire_spelling_and_reads_back_to_the_same_state() {
    for state in State::ALL {
        let wire = serde_json::to_value(state).unwrap();
        assert_eq!(wire.as_str(), Some(state.code()), "{state:?}");
        assert_eq!(State::from_code(state.code()), Some(state));
    }
    assert_eq!(State::from_code("Under_Review"), None);
}
