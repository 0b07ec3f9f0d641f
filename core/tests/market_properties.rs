#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! Properties of the market over random requests: every product answers, eligible offers
//! come first and sorted, an eligible offer is within the product's limits, and subsidies
//! only ever lower the cost. Also: no catalog text, however broken, makes the parser panic.

use huoshui_core::domain::catalog::{Catalog, EMBEDDED_JSON};
use huoshui_core::domain::credit::CreditInput;
use huoshui_core::domain::market::{MarketQuery, MarketRequest, SortKey, rank};
use jiff::civil::date;
use proptest::prelude::*;
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::embedded().unwrap())
}

fn sort_key() -> impl Strategy<Value = SortKey> {
    prop_oneof![
        Just(SortKey::NetCost),
        Just(SortKey::Payment),
        Just(SortKey::Amount),
        Just(SortKey::Speed)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_request_gets_one_sorted_offer_per_product(
        amount in 1i64..=2_000_000_000,
        months in 1u32..=120,
        points in proptest::option::of(0u32..1500),
        town in proptest::option::of(0usize..18),
        age in proptest::option::of(18u32..80),
        sort in sort_key(),
    ) {
        let c = catalog();
        let mut req = MarketRequest::new(amount, months, date(2026, 11, 28));
        req.credit = points.map_or(CreditInput::Unknown, CreditInput::Points);
        req.town = town.map(|i| c.data().towns[i].id.clone());
        req.age = age;
        let page = rank(c, &req, &MarketQuery { sort, ..MarketQuery::default() }).unwrap();
        prop_assert_eq!(page.offers.len(), c.products().len());
        let split = page.offers.iter().position(|o| !o.eligible).unwrap_or(page.offers.len());
        prop_assert_eq!(split, page.eligible);
        for o in &page.offers[..split] {
            let p = c.product(&o.product_id).unwrap();
            prop_assert!(o.reasons.is_empty());
            prop_assert!(amount >= p.amount_min_fen && amount <= o.max_amount && o.max_amount <= p.amount_max_fen);
            prop_assert!(months >= p.months_min && months <= p.months_max);
            let cost = o.cost.unwrap();
            prop_assert!(cost.net_cost <= cost.contract_cost);
            prop_assert!(cost.first_payment <= cost.largest_payment);
            if let Some(cap) = p.apr_cap_ppm {
                prop_assert!(cost.apr.nominal_ppm <= cap);
            }
        }
        for o in &page.offers[split..] {
            prop_assert!(!o.reasons.is_empty());
        }
        if sort == SortKey::NetCost {
            prop_assert!(page.offers[..split].windows(2).all(|w| w[0].net_cost() <= w[1].net_cost()));
        }
    }

    #[test]
    fn a_broken_catalog_is_an_error_not_a_crash(cut in 0usize..EMBEDDED_JSON.len(), byte in any::<u8>()) {
        let mut bytes = EMBEDDED_JSON.as_bytes().to_vec();
        if let Some(b) = bytes.get_mut(cut) {
            *b = byte;
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = Catalog::from_json(&text);
        let truncated = String::from_utf8_lossy(&EMBEDDED_JSON.as_bytes()[..cut]);
        // Cutting only the trailing whitespace leaves the whole document: that one loads.
        if truncated.trim_end().len() < EMBEDDED_JSON.trim_end().len() {
            prop_assert!(Catalog::from_json(&truncated).is_err());
        } else {
            prop_assert!(Catalog::from_json(&truncated).is_ok());
        }
    }
}
