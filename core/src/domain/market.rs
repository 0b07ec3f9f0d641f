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

use crate::domain::catalog::{
    AmortizationRule, Badge, BadgeSet, Catalog, Collateral, DayCountRule, FrequencyRule, Product,
    RateRule, Repayment, RepaymentMethod,
};
use crate::domain::cost::{
    self, Amortization, CostBreakdown, CostSummary, DayCount, DrawingPattern, FeeTerms, Frequency,
    LoanTerms, Method, Schedule, SubsidyTerms,
};
use crate::domain::credit::{
    self, Applicant, CreditError, CreditInput, CreditStanding, GradeReport, Reason, ReasonCode,
};
use crate::domain::documents::DocumentKind;
use crate::domain::money::{Fen, RatePpm, Rounding, format_percent, format_wan, format_yuan};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// What the villager asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketRequest {
    /// The amount wanted, fen.
    pub amount: Fen,
    /// The term wanted, months.
    pub months: u32,
    /// The villager's industry (catalog industry id).
    #[serde(default)]
    pub industry: Option<String>,
    /// What the money is for (catalog purpose id).
    #[serde(default)]
    pub purpose: Option<String>,
    /// Virtue points, a grade, or nothing.
    #[serde(default)]
    pub credit: CreditInput,
    /// Where the villager lives (catalog town id).
    #[serde(default)]
    pub town: Option<String>,
    /// The villager's age in years.
    #[serde(default)]
    pub age: Option<u32>,
    /// The day the offers are for (picks the LPR in force).
    pub as_of: Date,
    /// How a revolving line would be used; `None`: the whole amount for the whole term.
    #[serde(default)]
    pub drawing: Option<DrawingPattern>,
}

impl MarketRequest {
    /// A request with only amount, term and date.
    pub fn new(amount: Fen, months: u32, as_of: Date) -> MarketRequest {
        MarketRequest {
            amount,
            months,
            industry: None,
            purpose: None,
            credit: CreditInput::Unknown,
            town: None,
            age: None,
            as_of,
            drawing: None,
        }
    }
}

/// The order of the offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SortKey {
    /// Net cost after subsidy, lowest first (the default).
    #[default]
    NetCost,
    /// The largest single payment, lowest first (then the first payment).
    Payment,
    /// The amount this villager can reach, highest first.
    Amount,
    /// Typical approval time, fastest first.
    Speed,
}

impl SortKey {
    /// Parses `cost`, `payment`, `amount`, `speed` (or the Chinese words).
    pub fn parse(text: &str) -> Option<SortKey> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cost" | "net_cost" | "net-cost" | "成本" => Some(SortKey::NetCost),
            "payment" | "月供" | "还款" => Some(SortKey::Payment),
            "amount" | "额度" => Some(SortKey::Amount),
            "speed" | "速度" | "审批" => Some(SortKey::Speed),
            _ => None,
        }
    }
}

/// Which products to show.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MarketFilter {
    /// Only products serving this industry (products open to any industry stay).
    #[serde(default)]
    pub industry: Option<String>,
    /// Only this bank's products (bank id).
    #[serde(default)]
    pub bank: Option<String>,
    #[serde(default)]
    pub collateral: Option<Collateral>,
    #[serde(default)]
    pub badge: Option<Badge>,
    /// Chinese name, pinyin (`suli`, `sulidai`), initials (`sld`), English name or id.
    #[serde(default)]
    pub search: Option<String>,
    /// Leave out the offers the villager cannot have.
    #[serde(default)]
    pub eligible_only: bool,
}

/// Filter, order and page size.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MarketQuery {
    #[serde(default)]
    pub filter: MarketFilter,
    #[serde(default)]
    pub sort: SortKey,
    /// At most this many offers (`None`: all).
    #[serde(default)]
    pub limit: Option<usize>,
}

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

/// A request or a question the market cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketError {
    #[error(transparent)]
    Credit(#[from] CreditError),
    #[error(
        "没有编号为「{id}」的贷款产品，请用 huoshui market 查看产品编号 / there is no loan product \"{id}\"; list the product ids with huoshui market"
    )]
    UnknownProduct { id: String },
    #[error(
        "对比需要 2 到 4 个产品，收到 {count} 个 / a comparison takes 2 to 4 products, got {count}"
    )]
    CompareCount { count: usize },
    #[error(
        "产品「{id}」在对比中出现了两次，请换一个 / product \"{id}\" appears twice in the comparison; pick another"
    )]
    DuplicateProduct { id: String },
    #[error("{zh} / {en}")]
    InvalidRequest {
        field: &'static str,
        zh: String,
        en: String,
    },
}

impl MarketError {
    fn invalid(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> MarketError {
        MarketError::InvalidRequest {
            field,
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// Checks a request against the catalog's references and the engine's limits.
pub fn validate_request(catalog: &Catalog, req: &MarketRequest) -> Result<(), MarketError> {
    if req.amount < 1 || req.amount > cost::MAX_AMOUNT {
        return Err(MarketError::invalid(
            "amount",
            "贷款金额须在 0.01 元到 1 亿元之间，请修改金额",
            "the amount must be between 0.01 and 100,000,000 yuan; change it",
        ));
    }
    if req.months < 1 || req.months > cost::MAX_MONTHS {
        return Err(MarketError::invalid(
            "months",
            "贷款期限须在 1 到 360 个月之间，请修改期限",
            "the term must be 1 to 360 months; change it",
        ));
    }
    if let Some(t) = &req.town
        && catalog.town(t).is_none()
    {
        return Err(MarketError::invalid(
            "town",
            format!("没有「{t}」这个乡镇，请用乡镇名称或编号"),
            format!("there is no town \"{t}\"; use a town name or id"),
        ));
    }
    if let Some(i) = &req.industry
        && !catalog.data().industries.iter().any(|x| &x.id == i)
    {
        return Err(MarketError::invalid(
            "industry",
            format!("没有「{i}」这个产业"),
            format!("there is no industry \"{i}\""),
        ));
    }
    if let Some(p) = &req.purpose
        && !catalog.data().purposes.iter().any(|x| &x.id == p)
    {
        return Err(MarketError::invalid(
            "purpose",
            format!("没有「{p}」这个用途"),
            format!("there is no purpose \"{p}\""),
        ));
    }
    Ok(())
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
                            zh: e.zh(),
                            en: e.en(),
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

/// The repayment terms in words: `等额本金·按季（前36个月只付利息）`.
pub fn describe_repayment(r: &Repayment) -> (String, String) {
    let (freq_zh, freq_en) = match r.frequency {
        FrequencyRule::Monthly => ("按月", "monthly"),
        FrequencyRule::Quarterly => ("按季", "quarterly"),
        FrequencyRule::Yearly => ("按年", "yearly"),
        FrequencyRule::AtMaturity => ("到期", "at maturity"),
    };
    let amort = |a: Option<AmortizationRule>| match a {
        Some(AmortizationRule::EqualInstallment) => ("等额本息", "equal installments"),
        Some(AmortizationRule::EqualPrincipal) | None => ("等额本金", "equal principal"),
    };
    match r.method {
        RepaymentMethod::EqualInstallment => (
            format!("等额本息·{freq_zh}"),
            format!("equal installments, {freq_en}"),
        ),
        RepaymentMethod::EqualPrincipal => (
            format!("等额本金·{freq_zh}"),
            format!("equal principal, {freq_en}"),
        ),
        RepaymentMethod::InterestFirst => (
            format!("先息后本·{freq_zh}付息"),
            format!("interest {freq_en}, principal at maturity"),
        ),
        RepaymentMethod::Bullet => (
            "到期一次还本付息".into(),
            "principal and interest once at maturity".into(),
        ),
        RepaymentMethod::GraceThenAmortize => {
            let (zh, en) = amort(r.then);
            (
                format!("前{}个月只付利息，之后{zh}·{freq_zh}", r.grace_months),
                format!(
                    "interest only for {} months, then {en}, {freq_en}",
                    r.grace_months
                ),
            )
        }
        RepaymentMethod::Revolving => (
            format!("随借随还·按日计息·{freq_zh}结息"),
            format!("borrow and repay any time, daily interest settled {freq_en}"),
        ),
    }
}

/// The rate rule in words.
pub fn describe_rate(rate: RateRule) -> (String, String) {
    match rate {
        RateRule::Fixed { annual_ppm } => (
            format!("固定 {}", format_percent(annual_ppm)),
            format!("fixed {}", format_percent(annual_ppm)),
        ),
        RateRule::Lpr { tenor, spread_bp } => {
            let (zh, en) = match tenor {
                crate::domain::catalog::LprTenor::OneYear => ("1年期LPR", "1-year LPR"),
                crate::domain::catalog::LprTenor::FiveYear => ("5年期以上LPR", "5-year LPR"),
            };
            let sign = if spread_bp < 0 { "-" } else { "+" };
            let bp = spread_bp.unsigned_abs();
            (
                format!("{zh} {sign} {bp}个基点"),
                format!("{en} {sign} {bp} bp"),
            )
        }
    }
}

/// Typical approval time in words: `约4小时`, `约3天`.
pub fn describe_hours(hours: u32) -> (String, String) {
    if hours < 48 {
        (format!("约{hours}小时"), format!("about {hours} h"))
    } else {
        let days = hours.div_ceil(24);
        (format!("约{days}天"), format!("about {days} days"))
    }
}

/// One cell of a comparison row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparisonCell {
    pub zh: String,
    pub en: String,
    /// The number behind the text (fen, ppm, hours), for machines.
    pub value: Option<i64>,
}

/// One aligned row: a label and one cell per offer, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// Stable key, e.g. `net_cost`.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub cells: Vec<ComparisonCell>,
    /// The column with the best value among the eligible offers, where lower or higher is
    /// plainly better (cost, rate, payments, amount, speed).
    pub best: Option<usize>,
}

/// A column head of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComparisonColumn {
    pub product_id: String,
    pub name_zh: String,
    pub name_en: String,
    pub bank_zh: String,
    pub eligible: bool,
}

/// Two to four offers side by side, aligned row by row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub columns: Vec<ComparisonColumn>,
    pub rows: Vec<ComparisonRow>,
    /// The offers the rows were made from, in column order.
    pub offers: Vec<Offer>,
}

#[derive(Clone, Copy)]
enum Better {
    Lower,
    Higher,
    None,
}

fn money_cell(v: Option<Fen>) -> ComparisonCell {
    match v {
        Some(f) => ComparisonCell {
            zh: format_yuan(f),
            en: format_yuan(f),
            value: Some(f),
        },
        None => ComparisonCell {
            zh: "—".into(),
            en: "—".into(),
            value: None,
        },
    }
}

fn rate_cell(v: Option<RatePpm>) -> ComparisonCell {
    match v {
        Some(r) => ComparisonCell {
            zh: format_percent(r),
            en: format_percent(r),
            value: Some(r),
        },
        None => ComparisonCell {
            zh: "—".into(),
            en: "—".into(),
            value: None,
        },
    }
}

fn text_cell(zh: impl Into<String>, en: impl Into<String>) -> ComparisonCell {
    ComparisonCell {
        zh: zh.into(),
        en: en.into(),
        value: None,
    }
}

/// Lays 2 to 4 products' offers for `req` side by side.
pub fn compare(
    catalog: &Catalog,
    req: &MarketRequest,
    product_ids: &[&str],
) -> Result<Comparison, MarketError> {
    if !(2..=4).contains(&product_ids.len()) {
        return Err(MarketError::CompareCount {
            count: product_ids.len(),
        });
    }
    for (i, id) in product_ids.iter().enumerate() {
        if product_ids.iter().take(i).any(|o| o.trim() == id.trim()) {
            return Err(MarketError::DuplicateProduct {
                id: (*id).to_owned(),
            });
        }
    }
    let mut products = Vec::with_capacity(product_ids.len());
    for id in product_ids {
        products.push(
            catalog
                .product(id)
                .ok_or_else(|| MarketError::UnknownProduct {
                    id: (*id).to_owned(),
                })?,
        );
    }
    let mut offers = Vec::with_capacity(products.len());
    for p in &products {
        offers.push(offer_for(catalog, req, &p.id)?);
    }
    let columns = products
        .iter()
        .zip(&offers)
        .map(|(p, o)| ComparisonColumn {
            product_id: p.id.clone(),
            name_zh: p.name_zh.clone(),
            name_en: p.name_en.clone(),
            bank_zh: catalog.bank_name_zh(&p.bank).to_owned(),
            eligible: o.eligible,
        })
        .collect();

    let mut rows = Vec::new();
    let mut row = |key: &str, zh: &str, en: &str, better: Better, cells: Vec<ComparisonCell>| {
        let candidates = cells
            .iter()
            .zip(&offers)
            .enumerate()
            .filter_map(|(i, (c, o))| Some((i, c.value?, o.eligible)));
        let best = match better {
            Better::None => None,
            Better::Lower => candidates
                .filter(|x| x.2)
                .min_by_key(|x| (x.1, x.0))
                .map(|x| x.0),
            Better::Higher => candidates
                .filter(|x| x.2)
                .max_by_key(|x| (x.1, std::cmp::Reverse(x.0)))
                .map(|x| x.0),
        };
        rows.push(ComparisonRow {
            key: key.into(),
            label_zh: zh.into(),
            label_en: en.into(),
            cells,
            best,
        });
    };
    row(
        "bank",
        "银行",
        "Bank",
        Better::None,
        products
            .iter()
            .map(|p| {
                let b = catalog.bank(&p.bank);
                text_cell(
                    b.map(|b| b.name_zh.clone()).unwrap_or_default(),
                    b.map(|b| b.name_en.clone()).unwrap_or_default(),
                )
            })
            .collect(),
    );
    row(
        "eligible",
        "能否申请",
        "Eligible",
        Better::None,
        offers
            .iter()
            .map(|o| {
                if o.eligible {
                    ComparisonCell {
                        zh: "可以申请".into(),
                        en: "yes".into(),
                        value: Some(1),
                    }
                } else {
                    ComparisonCell {
                        zh: format!(
                            "不符合：{}",
                            o.reasons
                                .iter()
                                .map(|r| r.zh.as_str())
                                .collect::<Vec<_>>()
                                .join("；")
                        ),
                        en: format!(
                            "no: {}",
                            o.reasons
                                .iter()
                                .map(|r| r.en.as_str())
                                .collect::<Vec<_>>()
                                .join("; ")
                        ),
                        value: Some(0),
                    }
                }
            })
            .collect(),
    );
    row(
        "annual_rate",
        "年利率",
        "Annual rate",
        Better::Lower,
        offers
            .iter()
            .map(|o| rate_cell(o.annual_rate_ppm))
            .collect(),
    );
    row(
        "repayment",
        "还款方式",
        "Repayment",
        Better::None,
        products
            .iter()
            .map(|p| {
                let (zh, en) = describe_repayment(&p.repayment);
                text_cell(zh, en)
            })
            .collect(),
    );
    row(
        "collateral",
        "担保方式",
        "Collateral",
        Better::None,
        products
            .iter()
            .map(|p| text_cell(p.collateral.name_zh(), p.collateral.name_en()))
            .collect(),
    );
    row(
        "first_payment",
        "首期还款",
        "First payment",
        Better::Lower,
        offers
            .iter()
            .map(|o| money_cell(o.cost.as_ref().map(|c| c.first_payment)))
            .collect(),
    );
    row(
        "largest_payment",
        "最高一期还款",
        "Largest payment",
        Better::Lower,
        offers
            .iter()
            .map(|o| money_cell(o.cost.as_ref().map(|c| c.largest_payment)))
            .collect(),
    );
    row(
        "total_interest",
        "总利息",
        "Total interest",
        Better::Lower,
        offers
            .iter()
            .map(|o| money_cell(o.cost.as_ref().map(|c| c.total_interest)))
            .collect(),
    );
    row(
        "fees",
        "费用（含担保费）",
        "Fees (incl. guarantee)",
        Better::Lower,
        offers
            .iter()
            .map(|o| money_cell(o.cost.as_ref().map(|c| c.fees)))
            .collect(),
    );
    row(
        "contract_cost",
        "合同成本",
        "Contract cost",
        Better::Lower,
        offers
            .iter()
            .map(|o| money_cell(o.cost.as_ref().map(|c| c.contract_cost)))
            .collect(),
    );
    row(
        "subsidies",
        "政府补贴（贴息+担保费补贴）",
        "Subsidies (interest + fee)",
        Better::Higher,
        offers
            .iter()
            .map(|o| {
                money_cell(
                    o.cost
                        .as_ref()
                        .map(|c| c.interest_subsidy.saturating_add(c.fee_subsidy)),
                )
            })
            .collect(),
    );
    row(
        "net_cost",
        "按时还款的净成本",
        "Net cost if repaid on time",
        Better::Lower,
        offers
            .iter()
            .map(|o| money_cell(o.cost.as_ref().map(|c| c.net_cost)))
            .collect(),
    );
    row(
        "apr",
        "年化利率",
        "APR",
        Better::Lower,
        offers
            .iter()
            .map(|o| rate_cell(o.cost.as_ref().map(|c| c.apr.nominal_ppm)))
            .collect(),
    );
    row(
        "apr_effective",
        "实际年利率（复利）",
        "Effective annual rate",
        Better::Lower,
        offers
            .iter()
            .map(|o| rate_cell(o.cost.as_ref().map(|c| c.apr.effective_ppm)))
            .collect(),
    );
    row(
        "max_amount",
        "您最高可贷",
        "Most you can borrow",
        Better::Higher,
        offers
            .iter()
            .map(|o| ComparisonCell {
                zh: format_wan(o.max_amount),
                en: format_wan(o.max_amount),
                value: Some(o.max_amount),
            })
            .collect(),
    );
    row(
        "approval",
        "审批时间",
        "Approval time",
        Better::Lower,
        offers
            .iter()
            .map(|o| {
                let (zh, en) = describe_hours(o.approval_hours);
                ComparisonCell {
                    zh,
                    en,
                    value: Some(i64::from(o.approval_hours)),
                }
            })
            .collect(),
    );
    row(
        "badges",
        "特色",
        "Features",
        Better::None,
        offers
            .iter()
            .map(|o| text_cell(o.badges.names_zh(), o.badges.names_en()))
            .collect(),
    );
    row(
        "documents",
        "所需材料",
        "Documents",
        Better::None,
        products
            .iter()
            .map(|p| {
                text_cell(
                    p.documents
                        .iter()
                        .map(|d| d.name_zh())
                        .collect::<Vec<_>>()
                        .join("、"),
                    p.documents
                        .iter()
                        .map(|d| d.name_en())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .collect(),
    );
    Ok(Comparison {
        columns,
        rows,
        offers,
    })
}

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
