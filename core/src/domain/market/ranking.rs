//! Turning a request into one offer per product: eligibility, the contract rate, the cost of
//! the asked terms, the filters, the order and the page. Must never do I/O, and never keep a
//! schedule past the scoring of one product.

use super::{MarketError, MarketFilter, MarketQuery, MarketRequest, SortKey, validate_request};
use crate::domain::catalog::{
    AmortizationRule, BadgeSet, Catalog, Collateral, DayCountRule, FrequencyRule, Product,
    Repayment, RepaymentMethod,
};
use crate::domain::cost::{
    self, Amortization, CostSummary, DayCount, DrawingPattern, FeeTerms, Frequency, LoanTerms,
    Method, Schedule, SubsidyTerms,
};
use crate::domain::credit::{self, Applicant, CreditStanding, Reason, ReasonCode};
use crate::domain::money::{Fen, RatePpm, Rounding};
use serde::{Deserialize, Serialize};

/// One product's answer to the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub product_id: String,
    pub bank_id: String,
    pub eligible: bool,
    /// Why not (empty when eligible), in Chinese and English.
    pub reasons: Vec<Reason>,
    /// The amount asked, fen.
    pub amount: Fen,
    pub months: u32,
    /// The largest amount this villager can reach on the product (grade caps applied).
    pub max_amount: Fen,
    /// The contract annual rate after the grade discount (`None` when no LPR is in force).
    pub annual_rate_ppm: Option<RatePpm>,
    /// The grade discount, basis points.
    pub rate_discount_bp: u32,
    pub collateral: Collateral,
    pub repayment: Repayment,
    /// Payments, interest, fees, subsidies, net cost and APR of the asked terms
    /// (`None` when the terms cannot be costed; the reasons say why).
    pub cost: Option<CostSummary>,
    /// Typical hours to approval.
    pub approval_hours: u32,
    pub badges: BadgeSet,
}

impl Offer {
    /// Net cost, or `Fen::MAX` when it could not be costed (sorts last).
    pub fn net_cost(&self) -> Fen {
        self.cost.as_ref().map_or(Fen::MAX, |c| c.net_cost)
    }
}

/// The offers for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketPage {
    /// The catalog's content hash the offers come from.
    pub catalog_hash: String,
    /// The products that passed the filter (before the limit).
    pub matched: usize,
    /// How many of them the villager can have.
    pub eligible: usize,
    /// The credit standing the offers used.
    pub standing: CreditStanding,
    /// The offers, sorted, at most `limit`.
    pub offers: Vec<Offer>,
}

/// The cost engine's terms for `product` at `amount`, `months` and `annual_rate`.
pub fn loan_terms(
    product: &Product,
    amount: Fen,
    months: u32,
    annual_rate: RatePpm,
    drawing: Option<&DrawingPattern>,
) -> LoanTerms {
    let r = &product.repayment;
    let method = match r.method {
        RepaymentMethod::EqualInstallment => Method::EqualInstallment,
        RepaymentMethod::EqualPrincipal => Method::EqualPrincipal,
        RepaymentMethod::InterestFirst => Method::InterestFirst,
        RepaymentMethod::Bullet => Method::Bullet,
        RepaymentMethod::GraceThenAmortize => Method::GraceThenAmortize {
            grace_months: r.grace_months,
            then: match r.then {
                Some(AmortizationRule::EqualInstallment) => Amortization::EqualInstallment,
                Some(AmortizationRule::EqualPrincipal) | None => Amortization::EqualPrincipal,
            },
        },
        RepaymentMethod::Revolving => Method::Revolving {
            drawing: drawing.cloned().unwrap_or(DrawingPattern::WholeTerm),
        },
    };
    LoanTerms {
        amount,
        annual_rate,
        months,
        method,
        frequency: match r.frequency {
            FrequencyRule::Monthly => Frequency::Monthly,
            FrequencyRule::Quarterly => Frequency::Quarterly,
            FrequencyRule::Yearly => Frequency::Yearly,
            FrequencyRule::AtMaturity => Frequency::AtMaturity,
        },
        day_count: match product.day_count {
            DayCountRule::Act360 => DayCount::Act360,
            DayCountRule::Act365 => DayCount::Act365,
        },
        rounding: Rounding::HalfUp,
    }
}

/// The engine's fee terms of a product.
pub fn fee_terms(product: &Product) -> FeeTerms {
    FeeTerms {
        upfront_fee: product.fees.upfront_fee_fen,
        upfront_fee_ppm: product.fees.upfront_fee_ppm,
        guarantee_fee_ppm_per_year: product.fees.guarantee_fee_ppm_per_year,
    }
}

/// The engine's subsidy terms of a product.
pub fn subsidy_terms(product: &Product) -> SubsidyTerms {
    let s = &product.subsidies;
    SubsidyTerms {
        interest_subsidy_ppm_per_year: s.interest_subsidy_ppm_per_year,
        interest_subsidy_max_months: if s.interest_subsidy_max_months == 0 {
            None
        } else {
            Some(s.interest_subsidy_max_months)
        },
        guarantee_fee_subsidy_ppm: s.guarantee_fee_subsidy_ppm,
    }
}

/// What ranking needs of one product before the offer is written out: kept apart from
/// [`Offer`] so that sorting and paging move small records, not whole offers.
struct Scored {
    index: usize,
    reasons: Vec<Reason>,
    max_amount: Fen,
    rate: Option<RatePpm>,
    rate_discount_bp: u32,
    cost: Option<CostSummary>,
}

/// Eligibility, rate and cost of one product; `buf` is a reused schedule buffer.
fn score(
    catalog: &Catalog,
    index: usize,
    product: &Product,
    req: &MarketRequest,
    standing: &CreditStanding,
    buf: &mut Schedule,
) -> Scored {
    let applicant = Applicant {
        amount: req.amount,
        months: req.months,
        industry: req.industry.as_deref(),
        purpose: req.purpose.as_deref(),
        standing,
        town: req.town.as_deref(),
        age: req.age,
    };
    let verdict = credit::check(catalog, product, &applicant);
    let mut reasons = verdict.reasons;
    let rate = catalog
        .base_rate(product, req.as_of)
        .map(|base| (base - i64::from(verdict.rate_discount_bp) * 100).max(0));
    let cost = match rate {
        None => {
            reasons.push(Reason {
                code: ReasonCode::RateUnavailable,
                zh: format!("{} 还没有可用的 LPR 报价", req.as_of),
                en: format!("no LPR was in force on {}", req.as_of),
            });
            None
        }
        Some(rate) => {
            let terms = loan_terms(product, req.amount, req.months, rate, req.drawing.as_ref());
            match cost::cost_into(&terms, &fee_terms(product), &subsidy_terms(product), buf) {
                Ok(c) => Some(c),
                Err(e) => {
                    if reasons.is_empty() {
                        reasons.push(Reason {
                            code: ReasonCode::CostUnavailable,
                            zh: e.message_zh(),
                            en: e.message_en(),
                        });
                    }
                    None
                }
            }
        }
    };
    Scored {
        index,
        reasons,
        max_amount: verdict.max_amount,
        rate,
        rate_discount_bp: verdict.rate_discount_bp,
        cost,
    }
}

/// Writes out the offer of a scored product (takes its reasons).
fn write_offer(catalog: &Catalog, product: &Product, req: &MarketRequest, s: &mut Scored) -> Offer {
    let reasons = std::mem::take(&mut s.reasons);
    Offer {
        product_id: product.id.clone(),
        bank_id: product.bank.clone(),
        eligible: reasons.is_empty(),
        reasons,
        amount: req.amount,
        months: req.months,
        max_amount: s.max_amount,
        annual_rate_ppm: s.rate,
        rate_discount_bp: s.rate_discount_bp,
        collateral: product.collateral,
        repayment: product.repayment,
        cost: s.cost,
        approval_hours: product.approval_hours,
        badges: catalog.badges_at(s.index),
    }
}

fn passes(catalog: &Catalog, index: usize, product: &Product, f: &MarketFilter) -> bool {
    if let Some(i) = &f.industry
        && !product.industries.is_empty()
        && !product.industries.iter().any(|x| x == i)
    {
        return false;
    }
    if let Some(b) = &f.bank
        && &product.bank != b
    {
        return false;
    }
    if let Some(c) = f.collateral
        && product.collateral != c
    {
        return false;
    }
    if let Some(b) = f.badge
        && !catalog.badges_at(index).contains(&b)
    {
        return false;
    }
    if let Some(q) = &f.search
        && !catalog.matches_search(index, q)
    {
        return false;
    }
    true
}

/// The sort key of a scored product: eligible first, then the key, then net cost, then
/// catalog order. Small and `Copy`, so sorting moves keys, not offers.
fn sort_key(
    s: &Scored,
    product: &Product,
    key: SortKey,
    slot: usize,
) -> (bool, i64, i64, i64, usize) {
    let net = s.cost.as_ref().map_or(Fen::MAX, |c| c.net_cost);
    let (first, second) = match key {
        SortKey::NetCost => (net, 0),
        SortKey::Payment => s.cost.as_ref().map_or((Fen::MAX, Fen::MAX), |c| {
            (c.largest_payment, c.first_payment)
        }),
        SortKey::Amount => (s.max_amount.saturating_neg(), 0),
        SortKey::Speed => (i64::from(product.approval_hours), 0),
    };
    (!s.reasons.is_empty(), first, second, net, slot)
}

/// Every product's offer for `req`, filtered, sorted and cut to the limit.
pub fn rank(
    catalog: &Catalog,
    req: &MarketRequest,
    query: &MarketQuery,
) -> Result<MarketPage, MarketError> {
    validate_request(catalog, req)?;
    let standing = credit::resolve(&catalog.data().grade_table, &req.credit)?;
    let products = catalog.products();
    let mut buf = Schedule::default();
    let mut scored: Vec<Scored> = Vec::with_capacity(products.len());
    let mut keys = Vec::with_capacity(products.len());
    let mut eligible = 0;
    for (i, p) in products.iter().enumerate() {
        if passes(catalog, i, p, &query.filter) {
            let s = score(catalog, i, p, req, &standing, &mut buf);
            let ok = s.reasons.is_empty();
            if ok || !query.filter.eligible_only {
                eligible += usize::from(ok);
                keys.push(sort_key(&s, p, query.sort, scored.len()));
                scored.push(s);
            }
        }
    }
    let matched = scored.len();
    let limit = query.limit.unwrap_or(matched).min(matched);
    // Sort 4-byte slot numbers by their keys: moving small integers is much cheaper than
    // moving the 40-byte keys themselves.
    let mut order: Vec<u32> = (0..u32::try_from(matched).unwrap_or(u32::MAX)).collect();
    let by_key = |a: &u32, b: &u32| keys.get(*a as usize).cmp(&keys.get(*b as usize));
    if limit < matched {
        order.select_nth_unstable_by(limit.saturating_sub(1), by_key);
        order.truncate(limit);
    }
    order.sort_unstable_by(by_key);
    let mut offers = Vec::with_capacity(order.len());
    for slot in &order {
        if let Some(s) = scored.get_mut(*slot as usize)
            && let Some(p) = products.get(s.index)
        {
            offers.push(write_offer(catalog, p, req, s));
        }
    }
    Ok(MarketPage {
        catalog_hash: catalog.content_hash().to_owned(),
        matched,
        eligible,
        standing,
        offers,
    })
}

/// One product's offer for `req` (whatever the filters).
pub fn offer_for(
    catalog: &Catalog,
    req: &MarketRequest,
    product_id: &str,
) -> Result<Offer, MarketError> {
    validate_request(catalog, req)?;
    let index = catalog
        .products()
        .iter()
        .position(|p| p.id == product_id.trim())
        .ok_or_else(|| MarketError::UnknownProduct {
            id: product_id.to_owned(),
        })?;
    let product = catalog
        .products()
        .get(index)
        .ok_or_else(|| MarketError::UnknownProduct {
            id: product_id.to_owned(),
        })?;
    let standing = credit::resolve(&catalog.data().grade_table, &req.credit)?;
    let mut buf = Schedule::default();
    let mut s = score(catalog, index, product, req, &standing, &mut buf);
    Ok(write_offer(catalog, product, req, &mut s))
}
