//! The rules a catalog file must meet before it is used: every reference resolves, every
//! number is within the engine's limits, every product's terms hang together. Every failure
//! names the entry, its id and the field. Must never do I/O.

//!
//! A product's own numbers are checked against [`PRODUCT_RULES`], a table read in order (the
//! first broken rule is reported); the checks that need the rest of the catalog (references,
//! grades, the LPR) or that put a number in their message are written out below it.

use super::{
    CatalogData, CatalogError, Entry, FrequencyRule, LprTenor, MAX_PRODUCT_AMOUNT_FEN,
    MAX_PRODUCT_MONTHS, MAX_PRODUCT_RATE_PPM, Product, RateRule, RepaymentMethod,
};
use std::collections::HashSet;

fn check_names(entry: Entry, id: &str, name_zh: &str, name_en: &str) -> Result<(), CatalogError> {
    if id.trim().is_empty()
        || id
            .chars()
            .any(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'))
    {
        return Err(CatalogError::invalid(
            entry,
            id,
            "id",
            "只能用小写字母、数字、- 和 _，且不能为空",
            "use lowercase letters, digits, - and _ only, and not empty",
        ));
    }
    if name_zh.trim().is_empty() {
        return Err(CatalogError::invalid(
            entry,
            id,
            "name_zh",
            "中文名为空",
            "Chinese name is empty",
        ));
    }
    if name_en.trim().is_empty() {
        return Err(CatalogError::invalid(
            entry,
            id,
            "name_en",
            "英文名为空",
            "English name is empty",
        ));
    }
    Ok(())
}

fn check_unique<'a>(
    entry: Entry,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashSet<&'a str>, CatalogError> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(CatalogError::invalid(
                entry,
                id,
                "id",
                "编号重复",
                "the id appears twice",
            ));
        }
    }
    Ok(seen)
}

/// Checks a whole catalog file: its own terms, then every entry, then every product.
pub(super) fn validate(d: &CatalogData) -> Result<(), CatalogError> {
    validate_county_terms(d)?;
    for b in &d.banks {
        check_names(Entry::Bank, &b.id, &b.name_zh, &b.name_en)?;
    }
    for t in &d.towns {
        check_names(Entry::Town, &t.id, &t.name_zh, &t.name_en)?;
    }
    for x in &d.industries {
        check_names(Entry::Industry, &x.id, &x.name_zh, &x.name_en)?;
    }
    for x in &d.purposes {
        check_names(Entry::Purpose, &x.id, &x.name_zh, &x.name_en)?;
    }
    let known = Known {
        banks: check_unique(Entry::Bank, d.banks.iter().map(|b| b.id.as_str()))?,
        towns: check_unique(Entry::Town, d.towns.iter().map(|b| b.id.as_str()))?,
        industries: check_unique(Entry::Industry, d.industries.iter().map(|b| b.id.as_str()))?,
        purposes: check_unique(Entry::Purpose, d.purposes.iter().map(|b| b.id.as_str()))?,
    };
    check_unique(Entry::Product, d.products.iter().map(|b| b.id.as_str()))?;
    if d.products.is_empty() {
        return Err(CatalogError::invalid(
            Entry::Catalog,
            &d.county.id,
            "products",
            "没有任何产品",
            "no products",
        ));
    }
    for p in &d.products {
        validate_product(d, p, &known)?;
    }
    Ok(())
}

/// The file's format and version, the SLA, the LPR and the grade table.
fn validate_county_terms(d: &CatalogData) -> Result<(), CatalogError> {
    let county = d.county.id.as_str();
    if d.format != 1 {
        return Err(CatalogError::invalid(
            Entry::Catalog,
            county,
            "format",
            format!("格式版本 {} 不受支持（本程序读取 1），请更新应用", d.format),
            format!(
                "format {} is not supported (this build reads 1); update the app",
                d.format
            ),
        ));
    }
    if d.version.trim().is_empty() {
        return Err(CatalogError::invalid(
            Entry::Catalog,
            county,
            "version",
            "版本号为空",
            "version is empty",
        ));
    }
    if d.sla.first_contact_minutes == 0 || d.sla.escalation_minutes <= d.sla.first_contact_minutes {
        return Err(CatalogError::invalid(
            Entry::Sla,
            county,
            "escalation_minutes",
            "首次联系时限须大于 0，上报时限须晚于首次联系时限",
            "first contact must be after 0 minutes and escalation after first contact",
        ));
    }
    validate_lpr(d)?;
    if let Err((field, zh, en)) = d.grade_table.check() {
        return Err(CatalogError::invalid(
            Entry::GradeTable,
            &d.grade_table.version,
            field,
            zh,
            en,
        ));
    }
    Ok(())
}

/// At least one LPR entry, no date twice, every rate within 0–36 %.
fn validate_lpr(d: &CatalogData) -> Result<(), CatalogError> {
    if d.lpr.is_empty() {
        return Err(CatalogError::invalid(
            Entry::Lpr,
            &d.county.id,
            "lpr",
            "没有任何 LPR 报价",
            "no LPR entry",
        ));
    }
    let mut dates = HashSet::new();
    for e in &d.lpr {
        let id = e.since.to_string();
        if !dates.insert(e.since) {
            return Err(CatalogError::invalid(
                Entry::Lpr,
                &id,
                "since",
                "日期重复",
                "the date appears twice",
            ));
        }
        for (field, v) in [
            ("one_year_ppm", e.one_year_ppm),
            ("five_year_ppm", e.five_year_ppm),
        ] {
            if !(0..=MAX_PRODUCT_RATE_PPM).contains(&v) {
                return Err(CatalogError::invalid(
                    Entry::Lpr,
                    &id,
                    field,
                    "利率不在 0–36% 之间",
                    "rate not within 0–36 %",
                ));
            }
        }
    }
    Ok(())
}

/// The ids a product's references must be found among.
struct Known<'a> {
    banks: HashSet<&'a str>,
    towns: HashSet<&'a str>,
    industries: HashSet<&'a str>,
    purposes: HashSet<&'a str>,
}

/// One rule about a product's own numbers: the field it is about, when it is broken, and
/// what to say (in Chinese and English) when it is.
struct Rule {
    field: &'static str,
    broken: fn(&Product) -> bool,
    zh: &'static str,
    en: &'static str,
}

fn is_grace(p: &Product) -> bool {
    p.repayment.method == RepaymentMethod::GraceThenAmortize
}

fn fee_rate_out_of_range(ppm: i64) -> bool {
    !(0..=100_000).contains(&ppm)
}

/// The rules about a product's own numbers, in the order they are checked.
const PRODUCT_RULES: &[Rule] = &[
    Rule {
        field: "amount_min_fen",
        broken: |p| p.amount_min_fen <= 0,
        zh: "须大于 0",
        en: "must be above 0",
    },
    Rule {
        field: "amount_max_fen",
        broken: |p| p.amount_max_fen > MAX_PRODUCT_AMOUNT_FEN,
        zh: "超过 1 亿元上限",
        en: "above the 100 million yuan limit",
    },
    Rule {
        field: "amount_max_fen",
        broken: |p| p.amount_max_fen < p.amount_min_fen,
        zh: "小于 amount_min_fen",
        en: "below amount_min_fen",
    },
    Rule {
        field: "months_min",
        broken: |p| p.months_min == 0,
        zh: "须至少 1 个月",
        en: "must be at least 1 month",
    },
    Rule {
        field: "months_max",
        broken: |p| p.months_max > MAX_PRODUCT_MONTHS,
        zh: "超过 360 个月上限",
        en: "above the 360-month limit",
    },
    Rule {
        field: "months_max",
        broken: |p| p.months_max < p.months_min,
        zh: "小于 months_min",
        en: "below months_min",
    },
    Rule {
        field: "rate.annual_ppm",
        broken: |p| {
            matches!(p.rate, RateRule::Fixed { annual_ppm }
                if !(0..=MAX_PRODUCT_RATE_PPM).contains(&annual_ppm))
        },
        zh: "利率不在 0–36% 之间",
        en: "rate not within 0–36 %",
    },
    Rule {
        field: "rate.spread_bp",
        broken: |p| matches!(p.rate, RateRule::Lpr { spread_bp, .. } if !(-300..=3000).contains(&spread_bp)),
        zh: "加点不在 -300 到 3000 基点之间",
        en: "spread not within -300..3000 bp",
    },
    Rule {
        field: "repayment.grace_months",
        broken: |p| is_grace(p) && p.repayment.grace_months == 0,
        zh: "宽限期产品须有宽限月数",
        en: "a grace product needs grace months",
    },
    Rule {
        field: "repayment.then",
        broken: |p| is_grace(p) && p.repayment.then.is_none(),
        zh: "须写明宽限期后的还款方式",
        en: "say how it amortizes after the grace",
    },
    Rule {
        field: "repayment.frequency",
        broken: |p| is_grace(p) && p.repayment.frequency == FrequencyRule::AtMaturity,
        zh: "宽限期产品不能到期一次还款",
        en: "a grace product cannot pay at maturity",
    },
    Rule {
        field: "months_min",
        broken: |p| is_grace(p) && p.months_min <= p.repayment.grace_months,
        zh: "须长于宽限期",
        en: "must be longer than the grace",
    },
    Rule {
        field: "repayment.grace_months",
        broken: |p| !is_grace(p) && (p.repayment.grace_months != 0 || p.repayment.then.is_some()),
        zh: "只有宽限期产品才有宽限期",
        en: "only grace products have a grace",
    },
    Rule {
        field: "repayment.frequency",
        broken: |p| {
            p.repayment.method == RepaymentMethod::Bullet
                && p.repayment.frequency != FrequencyRule::AtMaturity
        },
        zh: "到期一次还本付息须为 at_maturity",
        en: "a bullet loan pays at_maturity",
    },
    Rule {
        field: "fees.upfront_fee_ppm",
        broken: |p| fee_rate_out_of_range(p.fees.upfront_fee_ppm),
        zh: "须在 0–10% 之间",
        en: "must be within 0–10 %",
    },
    Rule {
        field: "fees.guarantee_fee_ppm_per_year",
        broken: |p| fee_rate_out_of_range(p.fees.guarantee_fee_ppm_per_year),
        zh: "须在 0–10% 之间",
        en: "must be within 0–10 %",
    },
    Rule {
        field: "subsidies.interest_subsidy_ppm_per_year",
        broken: |p| fee_rate_out_of_range(p.subsidies.interest_subsidy_ppm_per_year),
        zh: "须在 0–10% 之间",
        en: "must be within 0–10 %",
    },
    Rule {
        field: "fees.upfront_fee_fen",
        broken: |p| !(0..=p.amount_min_fen).contains(&p.fees.upfront_fee_fen),
        zh: "不能为负，也不能超过最低贷款额",
        en: "must be 0 or more and not above amount_min_fen",
    },
    Rule {
        field: "subsidies.guarantee_fee_subsidy_ppm",
        broken: |p| !(0..=1_000_000).contains(&p.subsidies.guarantee_fee_subsidy_ppm),
        zh: "须在 0–100% 之间",
        en: "must be within 0–100 %",
    },
    Rule {
        field: "subsidies.guarantee_fee_subsidy_ppm",
        broken: |p| {
            p.subsidies.guarantee_fee_subsidy_ppm > 0 && p.fees.guarantee_fee_ppm_per_year == 0
        },
        zh: "没有担保费却有担保费补贴",
        en: "a guarantee-fee subsidy without a guarantee fee",
    },
    Rule {
        field: "eligibility.age_max",
        broken: |p| matches!((p.eligibility.age_min, p.eligibility.age_max), (Some(lo), Some(hi)) if hi < lo),
        zh: "小于 age_min",
        en: "below age_min",
    },
    Rule {
        field: "documents",
        broken: |p| p.documents.is_empty(),
        zh: "至少需要一项材料",
        en: "needs at least one document",
    },
    Rule {
        field: "approval_hours",
        broken: |p| p.approval_hours == 0,
        zh: "须大于 0",
        en: "must be above 0",
    },
];

/// One product: its names, its references, the rule table, then the checks that need the
/// rest of the catalog.
fn validate_product(d: &CatalogData, p: &Product, known: &Known<'_>) -> Result<(), CatalogError> {
    check_names(Entry::Product, &p.id, &p.name_zh, &p.name_en)?;
    check_references(p, known)?;
    if let Some(rule) = PRODUCT_RULES.iter().find(|r| (r.broken)(p)) {
        return Err(bad(p, rule.field, rule.zh, rule.en));
    }
    let r = &p.repayment;
    if is_grace(p)
        && let Some(step) = r.frequency.months()
        && !r.grace_months.is_multiple_of(step)
    {
        return Err(bad(
            p,
            "repayment.grace_months",
            format!("须为还款间隔 {step} 个月的整数倍"),
            format!("must be a whole number of {step}-month periods"),
        ));
    }
    check_apr_cap(d, p)?;
    check_grades(d, p)
}

fn bad(p: &Product, field: &str, zh: impl Into<String>, en: impl Into<String>) -> CatalogError {
    CatalogError::invalid(Entry::Product, &p.id, field, zh, en)
}

/// The bank, industries, purposes and towns a product names exist in the catalog.
fn check_references(p: &Product, known: &Known<'_>) -> Result<(), CatalogError> {
    if !known.banks.contains(p.bank.as_str()) {
        return Err(bad(
            p,
            "bank",
            format!("没有 {} 这家银行", p.bank),
            format!("unknown bank {}", p.bank),
        ));
    }
    let lists = [
        (
            "industries",
            &p.industries,
            &known.industries,
            "产业",
            "industry",
        ),
        ("purposes", &p.purposes, &known.purposes, "用途", "purpose"),
        (
            "eligibility.towns",
            &p.eligibility.towns,
            &known.towns,
            "乡镇",
            "town",
        ),
    ];
    for (field, ids, set, zh, en) in lists {
        for (i, x) in ids.iter().enumerate() {
            if !set.contains(x.as_str()) {
                return Err(bad(
                    p,
                    &format!("{field}[{i}]"),
                    format!("没有 {x} 这个{zh}"),
                    format!("unknown {en} {x}"),
                ));
            }
        }
    }
    Ok(())
}

/// A promised APR cap is within 0–36 % and above the highest contract rate the LPR allows.
fn check_apr_cap(d: &CatalogData, p: &Product) -> Result<(), CatalogError> {
    let Some(cap) = p.apr_cap_ppm else {
        return Ok(());
    };
    let worst = match p.rate {
        RateRule::Fixed { annual_ppm } => Some(annual_ppm),
        RateRule::Lpr { tenor, spread_bp } => d
            .lpr
            .iter()
            .map(|e| match tenor {
                LprTenor::OneYear => e.one_year_ppm,
                LprTenor::FiveYear => e.five_year_ppm,
            })
            .max()
            .map(|l| l + i64::from(spread_bp) * 100),
    };
    if !(0..=MAX_PRODUCT_RATE_PPM).contains(&cap) || worst.is_some_and(|w| w > cap) {
        return Err(bad(
            p,
            "apr_cap_ppm",
            "合同利率高于承诺的年化上限",
            "the contract rate is above the promised cap",
        ));
    }
    Ok(())
}

/// Every grade a product names exists, and its caps fit the product.
fn check_grades(d: &CatalogData, p: &Product) -> Result<(), CatalogError> {
    if let Some(g) = &p.eligibility.min_grade
        && d.grade_table.find(g).is_none()
    {
        return Err(bad(
            p,
            "eligibility.min_grade",
            format!("没有 {g} 这个信用等级"),
            format!("unknown grade {g}"),
        ));
    }
    for (i, c) in p.grade_caps.iter().enumerate() {
        if d.grade_table.find(&c.grade).is_none() {
            return Err(bad(
                p,
                &format!("grade_caps[{i}].grade"),
                format!("没有 {} 这个信用等级", c.grade),
                format!("unknown grade {}", c.grade),
            ));
        }
        if let Some(m) = c.max_amount_fen
            && (m < p.amount_min_fen || m > p.amount_max_fen)
        {
            return Err(bad(
                p,
                &format!("grade_caps[{i}].max_amount_fen"),
                "须在产品额度范围内",
                "must be within the product's amount range",
            ));
        }
        if c.rate_discount_bp > 1000 {
            return Err(bad(
                p,
                &format!("grade_caps[{i}].rate_discount_bp"),
                "优惠超过 10%",
                "discount above 10 %",
            ));
        }
    }
    Ok(())
}
