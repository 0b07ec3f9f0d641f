//! The market screens of the app facade: market page, comparison, product detail, loan
//! calculator and credit grade, as view models.
//!
//! Owns turning the shell's form input into a [`MarketRequest`] and the domain's results into
//! views. It must never compute a cost, an eligibility or a grade itself: those come from
//! [`crate::domain::market`], [`crate::domain::cost`] and [`crate::domain::credit`].

use super::error::AppError;
use super::views::{
    CalculatorInput, CalculatorView, ChecklistItemView, ComparisonRowView, ComparisonView,
    CreditGrade, GradeProductView, GradeScreenView, MarketInput, MarketPageView, MoneyView,
    OfferView, ProductDetailView, ScheduleRowView,
};
use crate::domain::catalog::Catalog;
use crate::domain::cost::{
    self, Amortization, FeeTerms, Frequency, LoanTerms, Method, Schedule, SubsidyTerms,
};
use crate::domain::credit::CreditInput;
use crate::domain::documents::checklist;
use crate::domain::market::{
    self, MarketError, MarketFilter, MarketQuery, MarketRequest, Offer, describe_hours,
};
use crate::domain::money::{format_percent, parse_percent, parse_yuan};
use jiff::civil::Date;

/// A market error as a caller action: unknown product → NotFound, the rest → InvalidInput.
pub(crate) fn market_error(e: &MarketError) -> AppError {
    let action = match e {
        MarketError::UnknownProduct { .. } => super::ErrorAction::NotFound,
        _ => super::ErrorAction::InvalidInput,
    };
    AppError::new(action, e.message_zh(), e.message_en())
}

/// Builds the domain request from the form; `today` is used when the form names no date.
pub(crate) fn request_from(
    catalog: &Catalog,
    input: &MarketInput,
    today: Date,
) -> Result<MarketRequest, AppError> {
    let as_of = match input
        .as_of
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(text) => text.parse::<Date>().map_err(|_| {
            AppError::invalid(
                format!("日期格式不对：{text}，应为 2026-11-28"),
                format!("bad date {text}: use 2026-11-28"),
            )
        })?,
        None => today,
    };
    let mut req = MarketRequest::new(input.amount_fen, input.months, as_of);
    req.credit = match (input.points, input.grade) {
        (Some(p), _) => CreditInput::Points(p),
        (None, Some(g)) => CreditInput::Grade(g.code().to_owned()),
        (None, None) => CreditInput::Unknown,
    };
    req.age = input.age;
    if let Some(text) = input
        .industry
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let industry = catalog.find_industry(text).ok_or_else(|| {
            AppError::invalid(
                format!("没有这个产业：{text}"),
                format!("unknown industry: {text}"),
            )
        })?;
        req.industry = Some(industry.id.clone());
    }
    if let Some(text) = input
        .town
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let town = catalog.find_town(text).ok_or_else(|| {
            AppError::invalid(
                format!("没有这个乡镇：{text}"),
                format!("unknown town: {text}"),
            )
        })?;
        req.town = Some(town.id.clone());
    }
    Ok(req)
}

fn query_from(catalog: &Catalog, input: &MarketInput) -> Result<MarketQuery, AppError> {
    let sort = input.sort.unwrap_or_default();
    let bank = match input
        .bank
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(text) => Some(
            catalog
                .find_bank(text)
                .ok_or_else(|| {
                    AppError::invalid(
                        format!("没有这家银行：{text}"),
                        format!("unknown bank: {text}"),
                    )
                })?
                .id
                .clone(),
        ),
        None => None,
    };
    let filter = MarketFilter {
        industry: None,
        bank,
        collateral: None,
        badge: None,
        search: input.search.clone().filter(|s| !s.trim().is_empty()),
        eligible_only: input.eligible_only,
    };
    Ok(MarketQuery {
        filter,
        sort,
        limit: input.limit.map(|l| l as usize),
    })
}

/// The view of one offer.
pub(crate) fn offer_view(catalog: &Catalog, offer: &Offer) -> OfferView {
    let product = catalog.product(&offer.product_id);
    let bank = catalog.bank(&offer.bank_id);
    let summary = offer.cost.unwrap_or_default();
    let (approval_zh, approval_en) = describe_hours(offer.approval_hours);
    OfferView {
        product_id: offer.product_id.clone(),
        name_zh: product.map(|p| p.name_zh.clone()).unwrap_or_default(),
        name_en: product.map(|p| p.name_en.clone()).unwrap_or_default(),
        bank_zh: bank.map(|b| b.name_zh.clone()).unwrap_or_default(),
        bank_en: bank.map(|b| b.name_en.clone()).unwrap_or_default(),
        eligible: offer.eligible,
        reasons_zh: offer.reasons.iter().map(|r| r.zh.clone()).collect(),
        reasons_en: offer.reasons.iter().map(|r| r.en.clone()).collect(),
        amount: MoneyView::of(offer.amount),
        months: offer.months,
        max_amount: MoneyView::of(offer.max_amount),
        rate_text: offer
            .annual_rate_ppm
            .map(format_percent)
            .unwrap_or_default(),
        apr_ppm: offer.cost.map(|c| c.apr.nominal_ppm).unwrap_or(0),
        apr_text: offer
            .cost
            .map(|c| format_percent(c.apr.nominal_ppm))
            .unwrap_or_default(),
        costed: offer.cost.is_some(),
        first_payment: MoneyView::of(summary.first_payment),
        largest_payment: MoneyView::of(summary.largest_payment),
        total_interest: MoneyView::of(summary.total_interest),
        fees: MoneyView::of(summary.fees),
        contract_cost: MoneyView::of(summary.contract_cost),
        subsidies: MoneyView::of(summary.interest_subsidy.saturating_add(summary.fee_subsidy)),
        net_cost: MoneyView::of(summary.net_cost),
        approval_zh,
        approval_en,
        badges_zh: offer
            .badges
            .iter()
            .map(|b| b.name_zh().to_owned())
            .collect(),
        badges_en: offer
            .badges
            .iter()
            .map(|b| b.name_en().to_owned())
            .collect(),
    }
}

fn schedule_rows(schedule: &Schedule) -> Vec<ScheduleRowView> {
    schedule
        .periods
        .iter()
        .map(|p| ScheduleRowView {
            n: p.n,
            due_month: p.due_month,
            principal: MoneyView::of(p.principal),
            interest: MoneyView::of(p.interest),
            payment: MoneyView::of(p.payment),
            balance: MoneyView::of(p.balance),
        })
        .collect()
}

/// One market page.
pub(crate) fn market_page(
    catalog: &Catalog,
    input: &MarketInput,
    today: Date,
) -> Result<MarketPageView, AppError> {
    let req = request_from(catalog, input, today)?;
    let query = query_from(catalog, input)?;
    let page = market::rank(catalog, &req, &query).map_err(|e| market_error(&e))?;
    Ok(MarketPageView {
        catalog_version: catalog.version().to_owned(),
        matched: u32::try_from(page.matched).unwrap_or(u32::MAX),
        eligible: u32::try_from(page.eligible).unwrap_or(u32::MAX),
        grade: page
            .standing
            .grade
            .as_deref()
            .and_then(CreditGrade::from_code),
        offers: page.offers.iter().map(|o| offer_view(catalog, o)).collect(),
    })
}

/// Two to four offers side by side.
pub(crate) fn comparison(
    catalog: &Catalog,
    input: &MarketInput,
    product_ids: &[String],
    today: Date,
) -> Result<ComparisonView, AppError> {
    let req = request_from(catalog, input, today)?;
    let ids: Vec<&str> = product_ids.iter().map(String::as_str).collect();
    let cmp = market::compare(catalog, &req, &ids).map_err(|e| market_error(&e))?;
    Ok(ComparisonView {
        product_ids: cmp.columns.iter().map(|c| c.product_id.clone()).collect(),
        names_zh: cmp.columns.iter().map(|c| c.name_zh.clone()).collect(),
        rows: cmp
            .rows
            .iter()
            .map(|r| ComparisonRowView {
                key: r.key.clone(),
                label_zh: r.label_zh.clone(),
                label_en: r.label_en.clone(),
                cells_zh: r.cells.iter().map(|c| c.zh.clone()).collect(),
                cells_en: r.cells.iter().map(|c| c.en.clone()).collect(),
                best: r.best.and_then(|b| u32::try_from(b).ok()),
            })
            .collect(),
    })
}

/// A product's detail with its schedule and the checklist of the documents it needs.
pub(crate) fn product_detail(
    catalog: &Catalog,
    input: &MarketInput,
    product_id: &str,
    today: Date,
) -> Result<ProductDetailView, AppError> {
    let mut input = input.clone();
    if input.amount_fen <= 0 || input.months == 0 {
        let product = catalog.product(product_id).ok_or_else(|| {
            market_error(&MarketError::UnknownProduct {
                id: product_id.to_owned(),
            })
        })?;
        let (amount, months) = market::default_terms(product);
        input.amount_fen = amount;
        input.months = months;
    }
    let req = request_from(catalog, &input, today)?;
    let detail = market::product_detail(catalog, &req, product_id).map_err(|e| market_error(&e))?;
    let documents = checklist(&detail.documents, &[])
        .into_iter()
        .map(|i| ChecklistItemView {
            kind: i.kind,
            name_zh: i.name_zh,
            name_en: i.name_en,
            captured: i.captured,
            missing: i.missing,
        })
        .collect();
    Ok(ProductDetailView {
        offer: offer_view(catalog, &detail.offer),
        summary_zh: detail.product.summary_zh.clone(),
        summary_en: detail.product.summary_en.clone(),
        rate_rule_zh: detail.rate_zh,
        rate_rule_en: detail.rate_en,
        repayment_zh: detail.repayment_zh,
        repayment_en: detail.repayment_en,
        documents,
        schedule: detail
            .breakdown
            .as_ref()
            .map(|b| schedule_rows(&b.schedule))
            .unwrap_or_default(),
    })
}

/// The plain loan calculator (the same engine as the market).
pub(crate) fn calculate(input: &CalculatorInput) -> Result<CalculatorView, AppError> {
    let amount = parse_yuan(&input.amount_yuan).ok_or_else(|| {
        AppError::invalid(
            format!(
                "金额格式不对：{}，例如 500000 或 500,000.00",
                input.amount_yuan
            ),
            format!(
                "bad amount {}: e.g. 500000 or 500,000.00",
                input.amount_yuan
            ),
        )
    })?;
    let rate = parse_percent(&input.rate_percent).ok_or_else(|| {
        AppError::invalid(
            format!("年利率格式不对：{}，例如 4.35", input.rate_percent),
            format!("bad annual rate {}: e.g. 4.35", input.rate_percent),
        )
    })?;
    let base = match input.method.trim() {
        "equal-installment" | "equal_installment" | "等额本息" => {
            Amortization::EqualInstallment
        }
        "equal-principal" | "equal_principal" | "等额本金" => Amortization::EqualPrincipal,
        "interest-first" | "interest_first" | "先息后本" => {
            return finish_calc(
                LoanTerms::new(amount, rate, input.months, Method::InterestFirst),
                input,
            );
        }
        "bullet" | "到期一次还本付息" => {
            return finish_calc(
                LoanTerms::new(amount, rate, input.months, Method::Bullet),
                input,
            );
        }
        other => {
            return Err(AppError::invalid(
                format!(
                    "还款方式不对：{other}，可选 等额本息、等额本金、先息后本、到期一次还本付息"
                ),
                format!(
                    "unknown method {other}: use equal-installment, equal-principal, interest-first or bullet"
                ),
            ));
        }
    };
    let method = if input.grace_months > 0 {
        Method::GraceThenAmortize {
            grace_months: input.grace_months,
            then: base,
        }
    } else {
        match base {
            Amortization::EqualInstallment => Method::EqualInstallment,
            Amortization::EqualPrincipal => Method::EqualPrincipal,
        }
    };
    finish_calc(LoanTerms::new(amount, rate, input.months, method), input)
}

fn finish_calc(terms: LoanTerms, input: &CalculatorInput) -> Result<CalculatorView, AppError> {
    let frequency = match input.every.as_deref().map(str::trim).unwrap_or("month") {
        "" | "month" | "monthly" | "按月" => Frequency::Monthly,
        "quarter" | "quarterly" | "按季" => Frequency::Quarterly,
        "year" | "yearly" | "按年" => Frequency::Yearly,
        other => {
            return Err(AppError::invalid(
                format!("还款频率不对：{other}，可选 month、quarter、year"),
                format!("unknown interval {other}: use month, quarter or year"),
            ));
        }
    };
    let terms = terms.with_frequency(frequency);
    let breakdown = cost::cost(&terms, &FeeTerms::default(), &SubsidyTerms::default())
        .map_err(|e| AppError::invalid(e.message_zh(), e.message_en()))?;
    let s = &breakdown.summary;
    Ok(CalculatorView {
        rows: schedule_rows(&breakdown.schedule),
        total_interest: MoneyView::of(s.total_interest),
        total_paid: MoneyView::of(s.total_paid),
        first_payment: MoneyView::of(s.first_payment),
        largest_payment: MoneyView::of(s.largest_payment),
        apr_ppm: s.apr.nominal_ppm,
        apr_text: format_percent(s.apr.nominal_ppm),
    })
}

/// What virtue points mean.
pub(crate) fn grade(catalog: &Catalog, points: u32) -> GradeScreenView {
    let view = market::grade_view(catalog, points);
    let grade = view.report.grade.as_ref().map(|g| g.code.clone());
    let next_grade = view.report.next.as_ref().map(|(g, _)| g.code.clone());
    let points_to_next = view.report.next.as_ref().map(|(_, missing)| *missing);
    let (headline_zh, headline_en) = match (&grade, &next_grade, points_to_next) {
        (Some(g), Some(n), Some(m)) => (
            format!("{points}分 · {g}级 · 再积{m}分可达{n}级"),
            format!("{points} points · grade {g} · {m} more for {n}"),
        ),
        (Some(g), _, _) => (
            format!("{points}分 · {g}级 · 已是最高等级"),
            format!("{points} points · grade {g} · the top grade"),
        ),
        (None, Some(n), Some(m)) => (
            format!("{points}分 · 暂未评级 · 再积{m}分可达{n}级"),
            format!("{points} points · not rated · {m} more for {n}"),
        ),
        _ => (
            format!("{points}分 · 暂未评级"),
            format!("{points} points · not rated"),
        ),
    };
    GradeScreenView {
        points,
        table_version: view.report.table_version.clone(),
        grade: grade.as_deref().and_then(CreditGrade::from_code),
        next_grade: next_grade.as_deref().and_then(CreditGrade::from_code),
        points_to_next,
        headline_zh,
        headline_en,
        products: view
            .products
            .iter()
            .map(|p| GradeProductView {
                product_id: p.product_id.clone(),
                name_zh: p.name_zh.clone(),
                name_en: p.name_en.clone(),
                min_grade: p.min_grade.as_deref().and_then(CreditGrade::from_code),
                unlocked: p.unlocked,
                max_amount: MoneyView::of(p.max_amount),
                rate_discount_text: format_percent(i64::from(p.rate_discount_bp) * 100),
            })
            .collect(),
    }
}
