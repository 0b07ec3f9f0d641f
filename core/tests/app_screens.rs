//! The screen models of the two apps, read from a real app core (real device store in a temp
//! folder, the embedded Guanxian catalog), without a platform: what each screen shows, which
//! inputs it refuses and why, and where its actions lead. The signed-in screens are driven
//! against a real platform by the Compose UI tests (android/ui).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use huoshui_core::app::AppCore;
use huoshui_core::app::screens::apply::{ApplyForm, SignInStage};
use huoshui_core::app::screens::manager::{ReviewForm, check_review};
use huoshui_core::app::screens::market::{CalculatorForm, MarketForm};
use huoshui_core::app::screens::settings::sync_banner_for;
use huoshui_core::app::screens::{Nav, ScreenAction};
use huoshui_core::app::views::{SyncState, SyncStatusView};
use huoshui_core::app::{ErrorAction, views::CreditGrade};
use huoshui_core::domain::lifecycle::ContactOutcome;
use huoshui_core::domain::market::SortKey;
use huoshui_core::vault::SoftwareKeystore;
use std::sync::Arc;

fn open() -> (tempfile::TempDir, Arc<AppCore>) {
    let dir = tempfile::tempdir().unwrap();
    let keystore = SoftwareKeystore::open_or_create(
        &dir.path().join("keys").join(SoftwareKeystore::FILE_NAME),
    )
    .unwrap();
    let core = AppCore::open(&dir.path().join("app"), None, Arc::new(keystore)).unwrap();
    (dir, core)
}

fn form(amount: &str, months: &str) -> MarketForm {
    MarketForm {
        amount_text: amount.into(),
        months_text: months.into(),
        ..MarketForm::default()
    }
}

#[test]
fn market_cards_show_payment_net_cost_and_apr_with_wan_for_every_offer() {
    let (_d, core) = open();
    let s = core.market_screen(&form("50万", "36")).unwrap();
    assert_eq!(s.amount_echo_zh, "= ¥500,000.00（50万元）");
    assert!(s.amount_problem.is_none() && s.months_problem.is_none());
    assert!(s.summary_zh.starts_with("共 "), "{}", s.summary_zh);
    assert!(!s.cards.is_empty());
    for c in s.cards.iter().filter(|c| c.eligible) {
        assert!(c.apr_zh.starts_with("年化利率 "), "{c:?}");
        assert!(
            c.net_cost_zh.starts_with("净成本 ¥") && c.net_cost_zh.contains("万元"),
            "{c:?}"
        );
        assert!(c.payment_zh.contains('¥'), "{c:?}");
        assert_eq!(
            c.open,
            Nav::Product {
                product_id: c.product_id.clone()
            }
        );
        assert!(c.why_not_zh.is_empty());
    }
    // net cost first: the cards are in the sort's order
    assert!(s.sorts.iter().any(|o| o.code == "net_cost" && o.selected));
}

#[test]
fn an_offer_the_villager_cannot_have_says_why_not() {
    let (_d, core) = open();
    let s = core.market_screen(&form("100万", "36")).unwrap();
    let meide = s
        .cards
        .iter()
        .find(|c| c.product_id == "runchang-meide")
        .unwrap();
    assert!(!meide.eligible);
    assert!(!meide.why_not_zh.is_empty() && !meide.why_not_en.is_empty());
}

#[test]
fn filter_chips_narrow_the_cards_and_show_as_selected() {
    let (_d, core) = open();
    let all = core.market_screen(&form("30万", "36")).unwrap();
    assert!(all.industries.iter().any(|o| o.code == "pear"));
    assert!(all.banks.iter().any(|o| o.code == "runchang"));
    assert!(all.badges.iter().any(|o| o.label_zh == "贴息"));
    let mut f = form("30万", "36");
    f.bank = Some("ccb".into());
    let ccb = core.market_screen(&f).unwrap();
    assert!(ccb.banks.iter().any(|o| o.code == "ccb" && o.selected));
    assert!(!ccb.cards.is_empty() && ccb.cards.len() < all.cards.len());
    assert!(
        ccb.cards.iter().all(|c| c.bank_zh.contains("建设")),
        "{:?}",
        ccb.cards
    );
    let mut f = form("30万", "36");
    f.badge = Some("interest_subsidy".into());
    let subsidised = core.market_screen(&f).unwrap();
    assert!(
        subsidised
            .cards
            .iter()
            .all(|c| c.badges_zh.iter().any(|b| b == "贴息"))
    );
    let mut f = form("50万", "60");
    f.search = "sld".into();
    let found = core.market_screen(&f).unwrap();
    assert_eq!(
        found.cards.first().map(|c| c.name_zh.as_str()),
        Some("酥梨贷")
    );
}

#[test]
fn sorting_by_payment_orders_the_cards_by_their_payment() {
    let (_d, core) = open();
    let mut f = form("20万", "24");
    f.sort = SortKey::Payment;
    let s = core.market_screen(&f).unwrap();
    assert!(s.sorts.iter().any(|o| o.code == "payment" && o.selected));
    assert!(s.cards.len() > 2);
}

#[test]
fn a_bad_amount_or_term_is_named_and_no_cards_are_guessed() {
    let (_d, core) = open();
    let s = core.market_screen(&form("五十万", "0")).unwrap();
    assert!(s.amount_problem.unwrap().zh.contains("金额格式不对"));
    assert!(s.months_problem.unwrap().zh.contains("1 到 360"));
    assert!(s.cards.is_empty());
    assert!(s.empty_zh.unwrap().contains("金额和期限"));
    assert!(
        !s.industries.is_empty(),
        "the chips stay so the villager can go on"
    );
}

#[test]
fn product_detail_lists_cost_facts_schedule_documents_and_leads_to_apply() {
    let (_d, core) = open();
    let p = core
        .product_screen(&form("50万", "60"), "runchang-suli")
        .unwrap();
    let labels: Vec<&str> = p.facts.iter().map(|f| f.label_zh.as_str()).collect();
    for l in [
        "贷款金额",
        "年化利率",
        "总利息",
        "手续费",
        "政府补贴",
        "按时还款预计净成本",
    ] {
        assert!(labels.contains(&l), "{labels:?}");
    }
    assert_eq!(p.facts[0].value, "¥500,000.00（50万元）");
    // the pear loan: three years of interest only, then the principal
    let schedule = &p.detail.schedule;
    assert!(!schedule.is_empty());
    assert!(
        schedule
            .iter()
            .filter(|r| r.due_month <= 36)
            .all(|r| r.principal.fen == 0)
    );
    assert!(
        schedule
            .iter()
            .filter(|r| r.due_month > 36)
            .all(|r| r.principal.fen > 0)
    );
    assert_eq!(schedule.last().unwrap().due_month, 60);
    assert!(!p.detail.documents.is_empty());
    assert_eq!(
        p.apply,
        Nav::Apply {
            product_id: "runchang-suli".into()
        }
    );
    // without a form: the product's default terms
    let d = core
        .product_screen(&MarketForm::default(), "runchang-suli")
        .unwrap();
    assert!(!d.detail.schedule.is_empty());
    let missing = core
        .product_screen(&form("50万", "60"), "no-such")
        .unwrap_err();
    assert_eq!(missing.action, ErrorAction::NotFound);
}

#[test]
fn comparison_takes_two_to_four_products_with_rows_aligned() {
    let (_d, core) = open();
    let one = core
        .compare_screen(&form("50万", "60"), &["runchang-suli".into()])
        .unwrap();
    assert!(one.problem.unwrap().zh.contains("2 到 4"));
    let twice = core
        .compare_screen(
            &form("50万", "60"),
            &["runchang-suli".into(), "runchang-suli".into()],
        )
        .unwrap();
    assert!(
        twice.view.is_none(),
        "the same product twice is one product"
    );
    let ids: Vec<String> = ["runchang-suli", "ccb-jiagong", "abc-nongji"]
        .map(String::from)
        .into();
    let three = core.compare_screen(&form("50万", "60"), &ids).unwrap();
    let view = three.view.unwrap();
    assert_eq!(view.product_ids, ids);
    assert!(
        view.rows.iter().all(|r| r.cells_zh.len() == 3),
        "every row has one cell per product"
    );
    let five: Vec<String> = core
        .market_screen(&form("10万", "12"))
        .unwrap()
        .cards
        .iter()
        .take(5)
        .map(|c| c.product_id.clone())
        .collect();
    assert!(
        core.compare_screen(&form("10万", "12"), &five)
            .unwrap()
            .problem
            .is_some()
    );
}

#[test]
fn calculator_names_each_bad_field_and_otherwise_gives_the_schedule() {
    let (_d, core) = open();
    let bad = core
        .calculator_screen(&CalculatorForm {
            method: "equal-installment".into(),
            amount_text: "".into(),
            rate_text: "abc".into(),
            months_text: "12".into(),
            grace_text: String::new(),
        })
        .unwrap();
    assert!(bad.amount_problem.is_some() && bad.rate_problem.is_some());
    assert!(bad.months_problem.is_none() && bad.result.is_none());
    let ok = core
        .calculator_screen(&CalculatorForm {
            method: "equal-installment".into(),
            amount_text: "10万".into(),
            rate_text: "4.35".into(),
            months_text: "12".into(),
            grace_text: String::new(),
        })
        .unwrap();
    let result = ok.result.unwrap();
    assert_eq!(result.rows.len(), 12);
    // the closed-form annuity of 100,000 at 4.35 % over 12 months: 8,530.99 a month
    assert_eq!(result.first_payment.fen, 853_099);
    assert!(
        ok.methods
            .iter()
            .any(|m| m.label_zh == "等额本息" && m.selected)
    );
    assert_eq!(ok.facts[0].value, "¥8,530.99（8,531元）");
}

#[test]
fn grade_screen_tries_typed_points_and_asks_to_sign_in_for_the_record() {
    let (_d, core) = open();
    let tried = core.grade_screen(Some(1052)).unwrap();
    assert_eq!(tried.view.unwrap().grade, Some(CreditGrade::Aaa));
    assert!(!tried.from_record);
    let none = core.grade_screen(None).unwrap();
    assert!(none.view.is_none() && none.note_zh.contains("登录"));
}

#[test]
fn sign_in_asks_for_a_phone_then_a_six_digit_code() {
    let (_d, core) = open();
    let empty = core.sign_in_screen("", "", false).unwrap();
    assert_eq!(empty.stage, SignInStage::Phone);
    assert!(
        !empty.button_enabled && empty.phone_problem.is_none(),
        "nothing typed: no red text yet"
    );
    let bad = core.sign_in_screen("1380000", "", false).unwrap();
    assert!(bad.phone_problem.unwrap().zh.contains("11 位"));
    let ok = core.sign_in_screen("13800000001", "", false).unwrap();
    assert!(ok.button_enabled && ok.button_zh == "获取验证码");
    let code = core.sign_in_screen("13800000001", "12", true).unwrap();
    assert_eq!(code.stage, SignInStage::Code);
    assert!(!code.button_enabled && code.code_problem.is_some());
    let ready = core.sign_in_screen("13800000001", "123456", true).unwrap();
    assert!(ready.button_enabled && ready.next.is_none());
}

#[test]
fn apply_needs_the_consent_a_purpose_and_a_sign_in_and_shows_the_consent_text() {
    let (_d, core) = open();
    let f = ApplyForm {
        product_id: "runchang-suli".into(),
        amount_text: "10万".into(),
        months_text: "48".into(),
        purpose: None,
        consent: false,
    };
    let s = core.apply_screen(&f).unwrap();
    assert!(s.consent_text_zh.contains("征信") && s.consent_text_zh.contains("润昌"));
    assert!(s.consent_problem.is_some() && s.purpose_problem.is_some());
    assert!(s.sign_in_first && !s.can_submit);
    assert!(s.preview_zh.contains("年化利率"), "{}", s.preview_zh);
    assert!(s.range_zh.starts_with("可贷 "));
    let purpose = s.purposes.first().unwrap().code.clone();
    let s2 = core
        .apply_screen(&ApplyForm {
            purpose: Some(purpose.clone()),
            consent: true,
            ..f.clone()
        })
        .unwrap();
    assert!(s2.consent_problem.is_none() && s2.purpose_problem.is_none());
    assert!(s2.purposes.iter().any(|o| o.code == purpose && o.selected));
    let refused = core
        .apply(&ApplyForm {
            purpose: Some(purpose),
            consent: true,
            ..f
        })
        .unwrap_err();
    assert_eq!(
        refused.action,
        ErrorAction::SignIn,
        "nothing is drafted before sign-in"
    );
    let big = core
        .apply_screen(&ApplyForm {
            product_id: "runchang-suli".into(),
            amount_text: "abc".into(),
            months_text: "48".into(),
            purpose: None,
            consent: true,
        })
        .unwrap();
    assert!(big.amount_problem.is_some() && big.preview_zh.is_empty());
}

#[test]
fn review_forms_refuse_what_the_bank_could_not_send() {
    let base = ReviewForm {
        application_id: "x".into(),
        action: ScreenAction::Approve,
        outcome: None,
        note: String::new(),
        amount_text: "50万".into(),
        months_text: "36".into(),
        rate_text: "4.35".into(),
        kinds: vec![],
    };
    assert!(check_review(&base).is_none());
    let high = ReviewForm {
        rate_text: "30".into(),
        ..base.clone()
    };
    assert!(check_review(&high).unwrap().zh.contains("24%"));
    let reject = ReviewForm {
        action: ScreenAction::Reject,
        note: " ".into(),
        ..base.clone()
    };
    assert!(check_review(&reject).unwrap().zh.contains("原因"));
    let docs = ReviewForm {
        action: ScreenAction::RequestDocuments,
        ..base.clone()
    };
    assert!(check_review(&docs).is_some());
    let call = ReviewForm {
        action: ScreenAction::RecordContact,
        ..base.clone()
    };
    assert!(check_review(&call).is_some());
    let called = ReviewForm {
        outcome: Some(ContactOutcome::NoAnswer),
        ..call
    };
    assert!(check_review(&called).is_none());
    let pay = ReviewForm {
        action: ScreenAction::Disburse,
        amount_text: "0".into(),
        ..base
    };
    assert!(check_review(&pay).is_some());
}

#[test]
fn manager_and_villager_screens_ask_for_a_sign_in_first() {
    let (_d, core) = open();
    assert_eq!(core.inbox_screen().unwrap_err().action, ErrorAction::SignIn);
    let loans = core.loans_screen().unwrap();
    assert!(loans.rows.is_empty() && loans.empty_zh.is_some());
    let settings = core.settings_screen().unwrap();
    assert!(!settings.signed_in && settings.who_zh == "未登录");
    assert!(settings.damaged_store_zh.is_none());
    assert!(settings.about.iter().any(|l| l.label_zh == "产品目录"));
    assert_eq!(settings.sign_in, Nav::SignIn);
}

#[test]
fn a_damaged_store_moved_aside_is_told_on_the_settings_screen() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys").join(SoftwareKeystore::FILE_NAME);
    let app = dir.path().join("app");
    drop(
        AppCore::open(
            &app,
            None,
            Arc::new(SoftwareKeystore::open_or_create(&keys).unwrap()),
        )
        .unwrap(),
    );
    let db = app.join(huoshui_core::store::FILE_NAME);
    std::fs::write(&db, b"this is not a database, it was damaged").unwrap();
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let core = AppCore::open(
        &app,
        None,
        Arc::new(SoftwareKeystore::open_or_create(&keys).unwrap()),
    )
    .unwrap();
    let s = core.settings_screen().unwrap();
    assert!(s.damaged_store_zh.unwrap().contains("损坏"));
    assert!(s.damaged_store_en.unwrap().contains("damaged"));
}

#[test]
fn the_sync_banner_shows_only_when_something_waits_or_is_wrong() {
    let status = |state, pending, wedged| SyncStatusView {
        state,
        pending,
        retrying: 0,
        wedged,
        message_zh: "未联网".into(),
        message_en: "offline".into(),
        last_synced_zh: Some("11月28日 09:05".into()),
    };
    assert!(!sync_banner_for(status(SyncState::Idle, 0, 0)).visible);
    let again = sync_banner_for(status(SyncState::SignInAgain, 1, 0));
    assert!(again.visible && again.sign_in_again && !again.can_retry);
    let offline = sync_banner_for(status(SyncState::Offline, 2, 0));
    assert!(offline.visible && !offline.urgent && offline.text_zh.contains("上次同步 11月28日"));
    let refused = sync_banner_for(status(SyncState::NeedsAttention, 0, 1));
    assert!(refused.can_retry && refused.urgent);
}

#[test]
fn the_sync_after_an_action_shows_no_banner_so_the_page_does_not_jump_under_the_finger() {
    let status = |state, pending| SyncStatusView {
        state,
        pending,
        retrying: 0,
        wedged: 0,
        message_zh: "1 项等待发送".into(),
        message_en: "1 item waiting to be sent".into(),
        last_synced_zh: None,
    };
    // an action queued its command, then its sync runs: neither may push the page down
    assert!(!sync_banner_for(status(SyncState::Idle, 1)).visible);
    assert!(!sync_banner_for(status(SyncState::Syncing, 1)).visible);
    assert!(!sync_banner_for(status(SyncState::Syncing, 0)).visible);
    // what lasts still shows: no signal with the command kept on the phone
    assert!(sync_banner_for(status(SyncState::Offline, 1)).visible);
    // and a command the platform could not take yet, while it is retried (before and during)
    for state in [SyncState::Idle, SyncState::Syncing] {
        let retried = SyncStatusView {
            retrying: 1,
            ..status(state, 1)
        };
        assert!(sync_banner_for(retried).visible, "{state:?}");
    }
}
