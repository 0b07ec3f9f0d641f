//! The loan market ("like ordering takeout"): one offer per product for a villager's
//! request, sorted, filtered and searched; a product's detail with its schedule; two to four
//! offers side by side; what a credit grade unlocks.
//!
//! Owns turning a request into offers (eligibility from [`credit`], cost from [`cost`]) and
//! the ready-to-show texts of a comparison. Must never do I/O or read a clock (the request
//! carries its date), never mix subsidies into the contract cost, and never keep every
//! offer's schedule: schedules are made again on demand for the one product asked for.
//!
//! Rules:
//! - The contract rate is the product's rate on `as_of` (fixed, or the LPR in force that day
//!   plus the spread) minus the grade discount, never below 0.
//! - A revolving line is costed for the request's drawing pattern, by default the whole
//!   amount for the whole term.
//! - Ineligible offers are listed after the eligible ones, with every reason, and with the
//!   cost of the requested terms where the engine can cost them.
//! - Sorting: eligible first; then by the key (net cost ascending, largest payment
//!   ascending, reachable amount descending, approval hours ascending); ties by net cost,
//!   then catalog order, so the order is total and stable.
//!
//! Rooms: [`request`] (what is asked, and its errors), [`ranking`] (offers, filters, order),
//! [`detail`] (one product in full), [`wording`] (terms in words), [`comparison`] (side by
//! side); what a grade unlocks lives here.

mod comparison;
mod detail;
mod ranking;
mod request;
mod wording;

pub use comparison::{Comparison, ComparisonCell, ComparisonColumn, ComparisonRow, compare};
pub use detail::{ProductDetail, default_terms, product_detail};
pub use ranking::{MarketPage, Offer, fee_terms, loan_terms, offer_for, rank, subsidy_terms};
pub use request::{
    MarketError, MarketFilter, MarketQuery, MarketRequest, SortKey, validate_request,
};
pub use wording::{describe_hours, describe_rate, describe_repayment};

use crate::domain::catalog::Catalog;
use crate::domain::credit::{self, CreditStanding, GradeReport};
use crate::domain::money::Fen;
use serde::{Deserialize, Serialize};

/// What a standing reaches on one grade-based product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeProduct {
    pub product_id: String,
    pub name_zh: String,
    pub name_en: String,
    /// The grade the product needs, if any.
    pub min_grade: Option<String>,
    /// Whether the grade is enough.
    pub unlocked: bool,
    /// The most the standing can borrow on it.
    pub max_amount: Fen,
    /// Basis points off the rate.
    pub rate_discount_bp: u32,
}

/// What virtue points mean: the grade, the next grade, and every product where the grade
/// matters (needs a grade or caps by grade).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeView {
    pub report: GradeReport,
    pub products: Vec<GradeProduct>,
}

/// The grade view for `points`.
pub fn grade_view(catalog: &Catalog, points: u32) -> GradeView {
    let table = &catalog.data().grade_table;
    let report = credit::grade_report(table, points);
    let standing = CreditStanding {
        grade: report.grade.as_ref().map(|g| g.code.clone()),
        points: Some(points),
    };
    let products = catalog
        .products()
        .iter()
        .filter(|p| p.eligibility.min_grade.is_some() || !p.grade_caps.is_empty())
        .map(|p| {
            let (max_amount, rate_discount_bp) = credit::grade_terms(catalog, p, &standing);
            let unlocked = match (&p.eligibility.min_grade, &standing.grade) {
                (None, _) => true,
                (Some(need), Some(have)) => table.at_least(have, need),
                (Some(_), None) => false,
            };
            GradeProduct {
                product_id: p.id.clone(),
                name_zh: p.name_zh.clone(),
                name_en: p.name_en.clone(),
                min_grade: p.eligibility.min_grade.clone(),
                unlocked,
                max_amount,
                rate_discount_bp,
            }
        })
        .collect();
    GradeView { report, products }
}
