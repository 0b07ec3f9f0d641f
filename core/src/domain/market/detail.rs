//! One product in full: its offer for the request, its terms in words and its schedule, made
//! on demand. Must never do I/O.

use super::{
    MarketError, MarketRequest, Offer, describe_rate, describe_repayment, fee_terms, loan_terms,
    offer_for, subsidy_terms,
};
use crate::domain::catalog::{Catalog, Product};
use crate::domain::cost::{self, CostBreakdown};
use crate::domain::documents::DocumentKind;
use crate::domain::money::Fen;
use serde::{Deserialize, Serialize};

/// A product in full: its offer for the request and the schedule (made on demand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub product: Product,
    pub bank_name_zh: String,
    pub bank_name_en: String,
    /// The repayment terms in words (zh, en).
    pub repayment_zh: String,
    pub repayment_en: String,
    /// The rate rule in words, e.g. `1年期LPR + 0.85%`.
    pub rate_zh: String,
    pub rate_en: String,
    pub documents: Vec<DocumentKind>,
    pub offer: Offer,
    /// The schedule and cost of the asked terms (`None` when they cannot be costed).
    pub breakdown: Option<CostBreakdown>,
}

/// The terms a product is shown with when the villager has not said: 100,000 yuan (or the
/// nearest the product allows) for 12 months (or the nearest term it allows).
pub fn default_terms(product: &Product) -> (Fen, u32) {
    let amount = 10_000_000.clamp(
        product.amount_min_fen,
        product.amount_max_fen.max(product.amount_min_fen),
    );
    let months = 12.clamp(
        product.months_min,
        product.months_max.max(product.months_min),
    );
    (amount, months)
}

/// A product's detail for `req`, with the full schedule.
pub fn product_detail(
    catalog: &Catalog,
    req: &MarketRequest,
    product_id: &str,
) -> Result<ProductDetail, MarketError> {
    let offer = offer_for(catalog, req, product_id)?;
    let product = catalog
        .product(product_id)
        .ok_or_else(|| MarketError::UnknownProduct {
            id: product_id.to_owned(),
        })?;
    let breakdown = offer.annual_rate_ppm.and_then(|rate| {
        let terms = loan_terms(product, req.amount, req.months, rate, req.drawing.as_ref());
        cost::cost(&terms, &fee_terms(product), &subsidy_terms(product)).ok()
    });
    let (repayment_zh, repayment_en) = describe_repayment(&product.repayment);
    let (rate_zh, rate_en) = describe_rate(product.rate);
    let bank = catalog.bank(&product.bank);
    Ok(ProductDetail {
        product: product.clone(),
        bank_name_zh: bank.map(|b| b.name_zh.clone()).unwrap_or_default(),
        bank_name_en: bank.map(|b| b.name_en.clone()).unwrap_or_default(),
        repayment_zh,
        repayment_en,
        rate_zh,
        rate_en,
        documents: product.documents.clone(),
        offer,
        breakdown,
    })
}
