#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The market as product facts: the pear loan, the 冠之链 line's 4.5 % promise, subsidies,
//! sorting, filtering, searching and the side-by-side comparison.

use huoshui_core::domain::catalog::{Badge, Catalog, Collateral, RepaymentMethod};
use huoshui_core::domain::cost::{Draw, DrawingPattern};
use huoshui_core::domain::credit::{CreditInput, ReasonCode};
use huoshui_core::domain::market::{
    MarketError, MarketFilter, MarketQuery, MarketRequest, Offer, SortKey, compare, offer_for,
    product_detail, rank,
};
use jiff::civil::date;

const YUAN: i64 = 100;

fn catalog() -> Catalog {
    Catalog::embedded().unwrap()
}

fn request(amount_yuan: i64, months: u32) -> MarketRequest {
    MarketRequest::new(amount_yuan * YUAN, months, date(2026, 11, 28))
}

fn query(sort: SortKey) -> MarketQuery {
    MarketQuery {
        sort,
        ..MarketQuery::default()
    }
}

#[test]
fn pear_loan_pays_no_principal_for_three_years() {
    let c = catalog();
    let pear = c.products().iter().find(|p| p.name_zh == "酥梨贷").unwrap();
    // The village head's orchard: 500,000 yuan, here over five years.
    let detail = product_detail(&c, &request(500_000, 60), &pear.id).unwrap();
    assert!(detail.offer.eligible, "{:?}", detail.offer.reasons);
    let schedule = detail.breakdown.unwrap().schedule;
    let (years_1_to_3, later): (Vec<&huoshui_core::domain::cost::Period>, Vec<_>) =
        schedule.periods.iter().partition(|p| p.due_month <= 36);
    assert!(!years_1_to_3.is_empty() && !later.is_empty());
    for p in &years_1_to_3 {
        assert_eq!(
            p.principal, 0,
            "period {} (month {}) repays principal",
            p.n, p.due_month
        );
        assert!(p.interest > 0);
        assert_eq!(p.balance, 500_000 * YUAN);
    }
    assert!(
        later.iter().all(|p| p.principal > 0),
        "principal is repaid from year 4"
    );
    assert_eq!(
        later.iter().map(|p| p.principal).sum::<i64>(),
        500_000 * YUAN
    );
    assert_eq!(later.last().unwrap().balance, 0);
    // The first payment is interest only, so the largest payment comes in year 4.
    let cost = detail.offer.cost.unwrap();
    assert!(cost.first_payment < cost.largest_payment);
}

#[test]
fn a_pear_loan_shorter_than_its_grace_is_refused_with_a_reason() {
    let c = catalog();
    let o = offer_for(&c, &request(500_000, 36), "runchang-suli").unwrap();
    assert!(!o.eligible);
    assert!(o.reasons.iter().any(|r| r.code == ReasonCode::TermTooShort));
}

#[test]
fn the_guanzhilian_line_never_costs_more_than_4_5_percent_a_year() {
    let c = catalog();
    let line = c
        .products()
        .iter()
        .find(|p| p.name_zh.contains("冠之链"))
        .unwrap();
    assert_eq!(line.repayment.method, RepaymentMethod::Revolving);
    let amount = 2_000_000i64;
    let mut checked = 0;
    for months in line.months_min..=line.months_max {
        let term_days = months * 30;
        let mut patterns = vec![
            DrawingPattern::WholeTerm,
            DrawingPattern::WholeForDays { days: 1 },
            DrawingPattern::WholeForDays {
                days: term_days.div_ceil(2),
            },
            DrawingPattern::WholeForDays { days: term_days },
        ];
        if term_days >= 60 {
            patterns.push(DrawingPattern::Draws {
                draws: vec![
                    Draw {
                        amount: amount * YUAN / 2,
                        start_day: 0,
                        days: 20,
                    },
                    Draw {
                        amount: amount * YUAN,
                        start_day: 25,
                        days: term_days - 30,
                    },
                ],
            });
        }
        for drawing in patterns {
            let mut req = request(amount, months);
            req.drawing = Some(drawing.clone());
            let o = offer_for(&c, &req, &line.id).unwrap();
            assert!(o.eligible, "{months} months {drawing:?}: {:?}", o.reasons);
            let cost = o.cost.unwrap();
            assert!(cost.total_interest > 0);
            assert!(
                cost.apr.nominal_ppm <= 45_000,
                "{months} months {drawing:?}: APR {}",
                cost.apr.nominal_ppm
            );
            assert!(
                cost.apr.effective_ppm <= 45_000,
                "{months} months {drawing:?}: EAR {}",
                cost.apr.effective_ppm
            );
            checked += 1;
        }
    }
    assert!(checked >= 48);
}

#[test]
fn the_revolving_line_charges_daily_interest_on_what_is_drawn() {
    let c = catalog();
    let mut req = request(1_000_000, 6);
    req.drawing = Some(DrawingPattern::WholeForDays { days: 90 });
    let short = offer_for(&c, &req, "runchang-guanzhilian")
        .unwrap()
        .cost
        .unwrap();
    req.drawing = Some(DrawingPattern::WholeForDays { days: 180 });
    let long = offer_for(&c, &req, "runchang-guanzhilian")
        .unwrap()
        .cost
        .unwrap();
    // Twice the days drawn, twice the interest (within a fen of rounding).
    assert!((long.total_interest - 2 * short.total_interest).abs() <= 1);
}

#[test]
fn a_subsidised_product_costs_less_net_than_its_contract() {
    let c = catalog();
    let subsidised: Vec<_> = c
        .products()
        .iter()
        .filter(|p| {
            p.subsidies.interest_subsidy_ppm_per_year > 0
                || p.subsidies.guarantee_fee_subsidy_ppm > 0
        })
        .collect();
    assert!(subsidised.len() >= 3);
    for p in subsidised {
        let months = 24.clamp(p.months_min, p.months_max);
        let amount = 200_000 * YUAN;
        let amount = amount.clamp(p.amount_min_fen, p.amount_max_fen);
        let o = offer_for(
            &c,
            &MarketRequest::new(amount, months, date(2026, 11, 28)),
            &p.id,
        )
        .unwrap();
        let cost = o.cost.unwrap();
        assert!(cost.net_cost < cost.contract_cost, "{}: {cost:?}", p.id);
        // Contract and net cost stay apart: the contract is interest plus fees, no subsidy in it.
        assert_eq!(
            cost.contract_cost,
            cost.total_interest + cost.fees,
            "{}",
            p.id
        );
        assert_eq!(
            cost.net_cost,
            cost.contract_cost - cost.interest_subsidy - cost.fee_subsidy,
            "{}",
            p.id
        );
        if p.subsidies.interest_subsidy_ppm_per_year > 0 {
            assert!(
                o.badges.contains(&Badge::InterestSubsidy) && cost.interest_subsidy > 0,
                "{}",
                p.id
            );
        }
        if p.government_guarantee && p.fees.guarantee_fee_ppm_per_year > 0 {
            assert!(cost.fees > 0 && cost.fee_subsidy > 0, "{}", p.id);
            assert!(
                o.badges.contains(&Badge::GovernmentGuarantee)
                    && o.badges.contains(&Badge::FeeSubsidy)
            );
        }
    }
}

fn assert_sorted_by<K: Ord>(offers: &[Offer], key: impl Fn(&Offer) -> K) {
    let first_ineligible = offers
        .iter()
        .position(|o| !o.eligible)
        .unwrap_or(offers.len());
    assert!(
        offers[first_ineligible..].iter().all(|o| !o.eligible),
        "eligible offers come first"
    );
    for part in [&offers[..first_ineligible], &offers[first_ineligible..]] {
        for w in part.windows(2) {
            assert!(
                key(&w[0]) <= key(&w[1]),
                "{} before {}",
                w[0].product_id,
                w[1].product_id
            );
        }
    }
}

#[test]
fn offers_sort_by_net_cost_payment_amount_and_speed() {
    let c = catalog();
    let mut req = request(200_000, 24);
    req.credit = CreditInput::Points(1052);
    let by_cost = rank(&c, &req, &query(SortKey::NetCost)).unwrap();
    assert_eq!(
        by_cost.offers.len(),
        c.products().len(),
        "one offer per product"
    );
    assert!(by_cost.eligible >= 5 && by_cost.eligible < by_cost.offers.len());
    assert_sorted_by(&by_cost.offers, |o| o.net_cost());
    let by_payment = rank(&c, &req, &query(SortKey::Payment)).unwrap();
    assert_sorted_by(&by_payment.offers, |o| {
        o.cost.map(|c| c.largest_payment).unwrap_or(i64::MAX)
    });
    let by_amount = rank(&c, &req, &query(SortKey::Amount)).unwrap();
    assert_sorted_by(&by_amount.offers, |o| std::cmp::Reverse(o.max_amount));
    let by_speed = rank(&c, &req, &query(SortKey::Speed)).unwrap();
    assert_sorted_by(&by_speed.offers, |o| o.approval_hours);
    // The default order is net cost.
    assert_eq!(
        rank(&c, &req, &MarketQuery::default()).unwrap().offers,
        by_cost.offers
    );
    // The orders differ for this catalog, so each key really is used.
    let ids = |p: &huoshui_core::domain::market::MarketPage| {
        p.offers
            .iter()
            .map(|o| o.product_id.clone())
            .collect::<Vec<_>>()
    };
    assert_ne!(ids(&by_cost), ids(&by_speed));
    assert_ne!(ids(&by_cost), ids(&by_amount));
}

#[test]
fn ineligible_offers_are_listed_after_eligible_ones_with_reasons() {
    let c = catalog();
    let page = rank(&c, &request(200_000, 24), &MarketQuery::default()).unwrap();
    let split = page.offers.iter().position(|o| !o.eligible).unwrap();
    assert_eq!(split, page.eligible);
    assert!(
        page.offers[split..]
            .iter()
            .all(|o| !o.eligible && !o.reasons.is_empty())
    );
    assert!(
        page.offers[..split]
            .iter()
            .all(|o| o.reasons.is_empty() && o.cost.is_some())
    );
    let only = rank(
        &c,
        &request(200_000, 24),
        &MarketQuery {
            filter: MarketFilter {
                eligible_only: true,
                ..MarketFilter::default()
            },
            ..MarketQuery::default()
        },
    )
    .unwrap();
    assert_eq!(only.offers.len(), page.eligible);
}

#[test]
fn filters_narrow_by_bank_collateral_badge_and_industry() {
    let c = catalog();
    let req = request(100_000, 12);
    let run = |f: MarketFilter| {
        rank(
            &c,
            &req,
            &MarketQuery {
                filter: f,
                ..MarketQuery::default()
            },
        )
        .unwrap()
        .offers
    };
    let runchang = run(MarketFilter {
        bank: Some("runchang".into()),
        ..MarketFilter::default()
    });
    assert!(!runchang.is_empty() && runchang.iter().all(|o| o.bank_id == "runchang"));
    assert_eq!(
        runchang.len(),
        c.products().iter().filter(|p| p.bank == "runchang").count()
    );
    let pledge = run(MarketFilter {
        collateral: Some(Collateral::Pledge),
        ..MarketFilter::default()
    });
    assert!(!pledge.is_empty() && pledge.iter().all(|o| o.collateral == Collateral::Pledge));
    let subsidy = run(MarketFilter {
        badge: Some(Badge::InterestSubsidy),
        ..MarketFilter::default()
    });
    assert!(!subsidy.is_empty());
    for o in &subsidy {
        assert!(
            c.product(&o.product_id)
                .unwrap()
                .subsidies
                .interest_subsidy_ppm_per_year
                > 0
        );
    }
    let revolving = run(MarketFilter {
        badge: Badge::parse("随借随还"),
        ..MarketFilter::default()
    });
    assert_eq!(
        revolving
            .iter()
            .map(|o| o.product_id.as_str())
            .collect::<Vec<_>>(),
        ["runchang-guanzhilian"]
    );
    let pear = run(MarketFilter {
        industry: Some("pear".into()),
        ..MarketFilter::default()
    });
    assert!(pear.iter().any(|o| o.product_id == "runchang-suli"));
    assert!(pear.iter().all(|o| {
        let p = c.product(&o.product_id).unwrap();
        p.industries.is_empty() || p.industries.contains(&"pear".to_string())
    }));
    assert!(!pear.iter().any(|o| o.product_id == "runchang-lingzhi"));
}

#[test]
fn searching_suli_or_sulidai_finds_the_pear_loan() {
    let c = catalog();
    for q in ["suli", "sulidai", "sld", "酥梨"] {
        let page = rank(
            &c,
            &request(500_000, 60),
            &MarketQuery {
                filter: MarketFilter {
                    search: Some(q.into()),
                    ..MarketFilter::default()
                },
                ..MarketQuery::default()
            },
        )
        .unwrap();
        assert_eq!(
            page.offers.first().map(|o| o.product_id.as_str()),
            Some("runchang-suli"),
            "{q}"
        );
    }
}

#[test]
fn the_limit_keeps_the_best_offers() {
    let c = catalog();
    let all = rank(&c, &request(100_000, 12), &MarketQuery::default()).unwrap();
    let top = rank(
        &c,
        &request(100_000, 12),
        &MarketQuery {
            limit: Some(3),
            ..MarketQuery::default()
        },
    )
    .unwrap();
    assert_eq!(top.offers.as_slice(), &all.offers[..3]);
    assert_eq!(top.matched, all.matched);
}

#[test]
fn a_floating_rate_follows_the_lpr_in_force_on_the_request_date() {
    let c = catalog();
    let p = c.product("abc-huinong-edai").unwrap();
    let huoshui_core::domain::catalog::RateRule::Lpr { spread_bp, .. } = p.rate else {
        panic!("LPR product")
    };
    let now = offer_for(&c, &request(100_000, 12), &p.id).unwrap();
    assert_eq!(
        now.annual_rate_ppm,
        Some(30_000 + i64::from(spread_bp) * 100)
    );
    let earlier = MarketRequest::new(100_000 * YUAN, 12, date(2025, 5, 19));
    let before = offer_for(&c, &earlier, &p.id).unwrap();
    let lpr_then = c.lpr_on(date(2025, 5, 19)).unwrap().one_year_ppm;
    assert_ne!(lpr_then, 30_000);
    assert_eq!(
        before.annual_rate_ppm,
        Some(lpr_then + i64::from(spread_bp) * 100)
    );
    let ancient = offer_for(
        &c,
        &MarketRequest::new(100_000 * YUAN, 12, date(2000, 1, 1)),
        &p.id,
    )
    .unwrap();
    assert!(
        !ancient.eligible
            && ancient
                .reasons
                .iter()
                .any(|r| r.code == ReasonCode::RateUnavailable)
    );
}

#[test]
fn a_comparison_aligns_two_to_four_offers_row_by_row() {
    let c = catalog();
    let mut req = request(300_000, 36);
    req.credit = CreditInput::Points(1052);
    let ids = ["runchang-meide", "abc-ludan-huinong", "runchang-lantian"];
    let cmp = compare(&c, &req, &ids).unwrap();
    assert_eq!(
        cmp.columns
            .iter()
            .map(|x| x.product_id.as_str())
            .collect::<Vec<_>>(),
        ids
    );
    assert!(cmp.rows.len() >= 12);
    for row in &cmp.rows {
        assert_eq!(row.cells.len(), 3, "row {}", row.key);
        assert!(!row.label_zh.is_empty() && !row.label_en.is_empty());
    }
    let row = |key: &str| cmp.rows.iter().find(|r| r.key == key).unwrap();
    for (i, id) in ids.iter().enumerate() {
        let alone = offer_for(&c, &req, id).unwrap();
        let cost = alone.cost.unwrap();
        assert_eq!(row("net_cost").cells[i].value, Some(cost.net_cost), "{id}");
        assert_eq!(
            row("apr").cells[i].value,
            Some(cost.apr.nominal_ppm),
            "{id}"
        );
        assert_eq!(
            row("first_payment").cells[i].value,
            Some(cost.first_payment),
            "{id}"
        );
    }
    let net = row("net_cost");
    let best = net.best.unwrap();
    assert!(net.cells.iter().all(|x| x.value >= net.cells[best].value));
    assert_eq!(row("bank").cells[1].zh, c.bank("abc").unwrap().name_zh);
}

#[test]
fn a_comparison_of_one_or_five_products_is_refused() {
    let c = catalog();
    let req = request(100_000, 12);
    let ids: Vec<&str> = c.products().iter().take(5).map(|p| p.id.as_str()).collect();
    assert_eq!(
        compare(&c, &req, &ids[..1]).unwrap_err(),
        MarketError::CompareCount { count: 1 }
    );
    assert_eq!(
        compare(&c, &req, &ids).unwrap_err(),
        MarketError::CompareCount { count: 5 }
    );
    let text = MarketError::CompareCount { count: 5 }.to_string();
    assert!(text.contains("2 到 4") && text.contains("2 to 4"));
    assert!(matches!(
        compare(&c, &req, &[ids[0], ids[0]]),
        Err(MarketError::DuplicateProduct { .. })
    ));
    assert!(matches!(
        compare(&c, &req, &[ids[0], "nope"]),
        Err(MarketError::UnknownProduct { .. })
    ));
    assert!(compare(&c, &req, &ids[..4]).is_ok());
}

#[test]
fn a_request_with_an_impossible_amount_or_unknown_town_is_refused() {
    let c = catalog();
    assert!(matches!(
        rank(&c, &request(0, 12), &MarketQuery::default()),
        Err(MarketError::InvalidRequest {
            field: "amount",
            ..
        })
    ));
    assert!(matches!(
        rank(&c, &request(1000, 0), &MarketQuery::default()),
        Err(MarketError::InvalidRequest {
            field: "months",
            ..
        })
    ));
    let mut req = request(1000, 12);
    req.town = Some("atlantis".into());
    assert!(matches!(
        rank(&c, &req, &MarketQuery::default()),
        Err(MarketError::InvalidRequest { field: "town", .. })
    ));
}

#[test]
fn badges_follow_from_the_terms() {
    let c = catalog();
    let page = rank(&c, &request(100_000, 12), &MarketQuery::default()).unwrap();
    for o in &page.offers {
        let p = c.product(&o.product_id).unwrap();
        assert_eq!(
            o.badges.contains(&Badge::NoCollateral),
            p.collateral == Collateral::Credit,
            "{}",
            p.id
        );
        assert_eq!(
            o.badges.contains(&Badge::Revolving),
            p.repayment.method == RepaymentMethod::Revolving,
            "{}",
            p.id
        );
        assert_eq!(
            o.badges.contains(&Badge::GovernmentGuarantee),
            p.government_guarantee,
            "{}",
            p.id
        );
    }
}

#[test]
fn a_market_error_carries_its_chinese_and_english_as_data() {
    let c = catalog();
    let req = request(500_000, 60);
    let err = compare(&c, &req, &["runchang-suli"]).expect_err("one product");
    assert_eq!(err.message_zh(), "对比需要 2 到 4 个产品，收到 1 个");
    assert_eq!(
        err.message_en(),
        "a comparison takes 2 to 4 products, got 1"
    );
    assert_eq!(
        err.to_string(),
        format!("{} / {}", err.message_zh(), err.message_en()),
        "Display is for logs"
    );
    let err = compare(&c, &req, &["runchang-suli", "no-such"]).expect_err("unknown");
    assert!(err.message_zh().contains("no-such") && !err.message_zh().contains(" / "));
    assert!(err.message_en().starts_with("there is no loan product"));
    let mut bad = request(500_000, 60);
    bad.credit = CreditInput::Grade("ZZZ".into());
    let err = offer_for(&c, &bad, "runchang-suli").expect_err("unknown grade");
    assert!(err.message_zh().contains("ZZZ") && err.message_en().contains("ZZZ"));
    assert!(
        !err.message_en().contains("信用等级"),
        "{}",
        err.message_en()
    );
}
