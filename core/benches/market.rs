//! Ranks 10,000 generated products for one request, each with its full schedule and APR
//! (DESIGN §7 budget: ≤ 10 ms on one core).
//!
//! Run: `cargo bench -p huoshui-core --bench market`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use huoshui_core::domain::catalog::{Catalog, RateRule, RepaymentMethod};
use huoshui_core::domain::cost::{self, Schedule};
use huoshui_core::domain::credit::CreditInput;
use huoshui_core::domain::market::{
    MarketQuery, MarketRequest, fee_terms, loan_terms, rank, subsidy_terms,
};
use jiff::civil::date;
use std::hint::black_box;

/// 10,000 products made from the county's own by varying rate, amount, term range and grace,
/// so that every one of them can be costed for the request (full schedule + APR each).
fn generated_catalog(n: usize) -> Catalog {
    let base = Catalog::embedded().unwrap();
    let mut data = base.data().clone();
    let templates = data.products.clone();
    data.products = (0..n)
        .map(|i| {
            let mut p = templates[i % templates.len()].clone();
            p.id = format!("{}-g{i}", p.id);
            let step = i64::try_from(i % 97).unwrap();
            p.rate = match p.rate {
                RateRule::Fixed { annual_ppm } => RateRule::Fixed {
                    annual_ppm: (annual_ppm - 2_000 + step * 40).min(45_000),
                },
                RateRule::Lpr { tenor, spread_bp } => RateRule::Lpr {
                    tenor,
                    spread_bp: spread_bp + i32::try_from(step).unwrap() - 40,
                },
            };
            p.amount_min_fen = 100_000;
            p.amount_max_fen = p.amount_max_fen.max(50_000_000 + step * 1_000_000);
            p.grade_caps.clear();
            p.months_min = 24;
            p.months_max = 120;
            if p.repayment.method == RepaymentMethod::GraceThenAmortize {
                p.repayment.grace_months = 12;
            }
            p.eligibility.towns.clear();
            p
        })
        .collect();
    Catalog::from_data(data).unwrap()
}

fn bench(c: &mut Criterion) {
    let catalog = generated_catalog(10_000);
    let mut req = MarketRequest::new(30_000_000, 36, date(2026, 11, 28));
    req.credit = CreditInput::Points(1052);
    let query = MarketQuery::default();
    let page = rank(&catalog, &req, &query).unwrap();
    assert_eq!(page.offers.len(), 10_000);
    assert!(
        page.offers.iter().all(|o| o.cost.is_some()),
        "every product is costed"
    );
    let mut group = c.benchmark_group("market");
    group.sample_size(50);
    group.bench_function("rank_10000_products_full_schedule_and_apr", |b| {
        b.iter(|| rank(black_box(&catalog), black_box(&req), black_box(&query)).unwrap());
    });
    // The first page a phone shows: the same work, only 20 offers written out.
    let page_query = MarketQuery {
        limit: Some(20),
        ..MarketQuery::default()
    };
    group.bench_function("rank_10000_products_first_page_of_20", |b| {
        b.iter(|| rank(black_box(&catalog), black_box(&req), black_box(&page_query)).unwrap());
    });
    // The cost engine alone over the same 10,000 terms: what ranking adds on top of it.
    let terms: Vec<_> = catalog
        .products()
        .iter()
        .zip(&page.offers)
        .map(|(p, _)| {
            let rate = catalog.base_rate(p, req.as_of).unwrap();
            (
                loan_terms(p, req.amount, req.months, rate, None),
                fee_terms(p),
                subsidy_terms(p),
            )
        })
        .collect();
    group.bench_function("cost_engine_only_10000_schedules_and_aprs", |b| {
        let mut buf = Schedule::default();
        b.iter(|| {
            let mut total = 0i64;
            for (t, f, s) in &terms {
                total += cost::cost_into(black_box(t), f, s, &mut buf)
                    .unwrap()
                    .net_cost;
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
