//! Credit grades: virtue points → grade through the county's versioned table, and the
//! eligibility of one applicant for one product, always with the reasons why not.
//!
//! Owns the grade table type, the applicant's credit standing and the eligibility rules
//! (grade, amount range and grade caps, term, town, industry, purpose, age + term).
//! Must never do I/O and never hard-code a county's thresholds: they come from the catalog.

use crate::domain::catalog::{Catalog, Product};
use crate::domain::money::{Fen, format_wan, format_yuan};
use serde::{Deserialize, Serialize};

/// One grade of the county table, e.g. `AAA` from 1,000 points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeDef {
    /// The code used everywhere (`AAA`, `AA`, `A`, …).
    pub code: String,
    /// The least number of virtue points that reaches this grade.
    pub min_points: u32,
    pub name_zh: String,
    pub name_en: String,
}

/// The county's virtue-points → grade table. Grades are listed best first with strictly
/// falling thresholds; points below the last threshold have no grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeTable {
    /// Version of the table, e.g. `guanxian-virtue-2024.1`.
    pub version: String,
    /// True when the thresholds are not facts from the county (made up for the demo).
    #[serde(default)]
    pub illustrative: bool,
    pub grades: Vec<GradeDef>,
}

impl GradeTable {
    /// The grade that `points` reach, if any.
    pub fn grade_for_points(&self, points: u32) -> Option<&GradeDef> {
        self.grades.iter().find(|g| points >= g.min_points)
    }

    /// The grade with this code (case-insensitive).
    pub fn find(&self, code: &str) -> Option<&GradeDef> {
        let code = code.trim();
        self.grades
            .iter()
            .find(|g| g.code.eq_ignore_ascii_case(code))
    }

    /// Position of a grade, 0 for the best; `None` for an unknown code.
    pub fn rank(&self, code: &str) -> Option<usize> {
        let code = code.trim();
        self.grades
            .iter()
            .position(|g| g.code.eq_ignore_ascii_case(code))
    }

    /// Whether grade `have` is at least as good as grade `need` (unknown codes never are).
    pub fn at_least(&self, have: &str, need: &str) -> bool {
        match (self.rank(have), self.rank(need)) {
            (Some(h), Some(n)) => h <= n,
            _ => false,
        }
    }

    /// Checks the table: at least one grade, unique non-empty codes, strictly falling
    /// thresholds. Returns the field and the reason (zh, en) of the first problem.
    pub fn check(&self) -> Result<(), (String, String, String)> {
        if self.version.trim().is_empty() {
            return Err((
                "version".into(),
                "版本号为空".into(),
                "version is empty".into(),
            ));
        }
        if self.grades.is_empty() {
            return Err(("grades".into(), "没有任何等级".into(), "no grades".into()));
        }
        for (i, g) in self.grades.iter().enumerate() {
            if g.code.trim().is_empty() {
                return Err((
                    format!("grades[{i}].code"),
                    "等级代码为空".into(),
                    "grade code is empty".into(),
                ));
            }
            if self
                .grades
                .iter()
                .take(i)
                .any(|o| o.code.eq_ignore_ascii_case(&g.code))
            {
                return Err((
                    format!("grades[{i}].code"),
                    format!("等级 {} 重复", g.code),
                    format!("grade {} appears twice", g.code),
                ));
            }
            if let Some(prev) = i.checked_sub(1).and_then(|p| self.grades.get(p))
                && g.min_points >= prev.min_points
            {
                return Err((
                    format!("grades[{i}].min_points"),
                    format!(
                        "等级须从高到低排列，{} 的分数线不低于 {}",
                        g.code, prev.code
                    ),
                    format!(
                        "grades must go best first; {} does not have fewer points than {}",
                        g.code, prev.code
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// What the applicant says about their credit: nothing, their virtue points, or a grade
/// they already hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum CreditInput {
    #[default]
    Unknown,
    Points(u32),
    Grade(String),
}

/// The applicant's resolved credit: the grade (if any) and the points it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CreditStanding {
    /// The grade code from the county table, `None` when not rated.
    pub grade: Option<String>,
    /// The virtue points, when the applicant gave them.
    pub points: Option<u32>,
}

/// A credit input that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    #[error("{} / {}", self.message_zh(), self.message_en())]
    UnknownGrade { code: String, known: String },
}

impl CreditError {
    /// What went wrong and what to do, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            CreditError::UnknownGrade { code, known } => {
                format!("没有「{code}」这个信用等级，可选：{known}")
            }
        }
    }

    /// What went wrong and what to do, in English.
    pub fn message_en(&self) -> String {
        match self {
            CreditError::UnknownGrade { code, known } => {
                format!("there is no credit grade \"{code}\"; known grades: {known}")
            }
        }
    }
}

/// Resolves what the applicant said into a standing through the county table.
pub fn resolve(table: &GradeTable, input: &CreditInput) -> Result<CreditStanding, CreditError> {
    match input {
        CreditInput::Unknown => Ok(CreditStanding::default()),
        CreditInput::Points(p) => Ok(CreditStanding {
            grade: table.grade_for_points(*p).map(|g| g.code.clone()),
            points: Some(*p),
        }),
        CreditInput::Grade(code) => match table.find(code) {
            Some(g) => Ok(CreditStanding {
                grade: Some(g.code.clone()),
                points: None,
            }),
            None => Err(CreditError::UnknownGrade {
                code: code.clone(),
                known: table
                    .grades
                    .iter()
                    .map(|g| g.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        },
    }
}

/// What `points` mean: the grade, and how far the next grade is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeReport {
    pub points: u32,
    pub table_version: String,
    /// The grade reached, `None` when below the lowest threshold.
    pub grade: Option<GradeDef>,
    /// The next better grade and the points still missing, `None` at the top.
    pub next: Option<(GradeDef, u32)>,
}

/// The grade `points` reach and the distance to the next one.
pub fn grade_report(table: &GradeTable, points: u32) -> GradeReport {
    let grade = table.grade_for_points(points).cloned();
    let next = table
        .grades
        .iter()
        .rev()
        .find(|g| g.min_points > points)
        .map(|g| (g.clone(), g.min_points.saturating_sub(points)));
    GradeReport {
        points,
        table_version: table.version.clone(),
        grade,
        next,
    }
}

/// Why an applicant cannot have a product (or a note on what they can have).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    /// Stable machine code, e.g. `grade_too_low`.
    pub code: ReasonCode,
    pub zh: String,
    pub en: String,
}

/// The kinds of reason, stable for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    GradeRequired,
    GradeTooLow,
    AmountBelowMinimum,
    AmountAboveMaximum,
    AmountAboveGradeCap,
    TermTooShort,
    TermTooLong,
    TownNotServed,
    IndustryNotServed,
    PurposeNotServed,
    AgeTooLow,
    AgeTooHigh,
    AgeAtMaturityTooHigh,
    RateUnavailable,
    CostUnavailable,
}

impl Reason {
    fn new(code: ReasonCode, zh: String, en: String) -> Reason {
        Reason { code, zh, en }
    }
}

/// What an applicant asks for, as far as eligibility is concerned.
#[derive(Debug, Clone, Copy)]
pub struct Applicant<'a> {
    pub amount: Fen,
    pub months: u32,
    pub industry: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub standing: &'a CreditStanding,
    pub town: Option<&'a str>,
    pub age: Option<u32>,
}

/// The verdict for one applicant and one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    pub eligible: bool,
    /// Every reason it is not eligible (empty when eligible).
    pub reasons: Vec<Reason>,
    /// The largest amount this applicant can reach on this product (grade caps applied).
    pub max_amount: Fen,
    /// The rate discount their grade earns, in basis points (1 bp = 0.01 %).
    pub rate_discount_bp: u32,
}

/// The largest amount and the rate discount a standing reaches on a product.
/// The cap that applies is the one of the best grade listed in `grade_caps` that the
/// standing reaches. A standing below every listed grade (or with no grade) gets no discount
/// and never more than the lowest listed grade's cap; whether it may borrow at all is the
/// `min_grade` rule's business.
pub fn grade_terms(catalog: &Catalog, product: &Product, standing: &CreditStanding) -> (Fen, u32) {
    let table = &catalog.data().grade_table;
    let mut max_amount = product.amount_max_fen;
    let mut discount = 0;
    let cap = standing.grade.as_deref().and_then(|have| {
        product
            .grade_caps
            .iter()
            .filter(|c| table.at_least(have, &c.grade))
            .min_by_key(|c| table.rank(&c.grade).unwrap_or(usize::MAX))
    });
    if let Some(c) = cap {
        if let Some(m) = c.max_amount_fen {
            max_amount = max_amount.min(m);
        }
        discount = c.rate_discount_bp;
    } else if !product.grade_caps.is_empty() {
        // Caps are listed but none is reached: never more than the lowest grade's cap.
        if let Some(lowest) = product
            .grade_caps
            .iter()
            .max_by_key(|c| table.rank(&c.grade).unwrap_or(0))
            .and_then(|c| c.max_amount_fen)
        {
            max_amount = max_amount.min(lowest);
        }
    }
    (max_amount, discount)
}

/// `1,000,000 yuan`: an amount for English text.
pub fn yuan_en(fen: Fen) -> String {
    let text = format_yuan(fen).replace('¥', "");
    format!("{} yuan", text.strip_suffix(".00").unwrap_or(&text))
}

/// Checks every rule of `product` for `applicant` and collects every reason it fails.
pub fn check(catalog: &Catalog, product: &Product, applicant: &Applicant<'_>) -> Eligibility {
    let mut reasons = Vec::new();
    grade_reasons(catalog, product, applicant, &mut reasons);
    let (max_amount, rate_discount_bp) = grade_terms(catalog, product, applicant.standing);
    amount_and_term_reasons(product, applicant, max_amount, &mut reasons);
    served_reasons(catalog, product, applicant, &mut reasons);
    age_reasons(product, applicant, &mut reasons);
    Eligibility {
        eligible: reasons.is_empty(),
        reasons,
        max_amount,
        rate_discount_bp,
    }
}

/// The grade the product needs, against the applicant's.
fn grade_reasons(
    catalog: &Catalog,
    product: &Product,
    applicant: &Applicant<'_>,
    reasons: &mut Vec<Reason>,
) {
    let table = &catalog.data().grade_table;
    let rules = &product.eligibility;
    if let Some(need) = rules.min_grade.as_deref() {
        match applicant.standing.grade.as_deref() {
            None => {
                let why_zh = match applicant.standing.points {
                    Some(p) => format!("需要 {need} 级及以上信用等级，{p} 分尚未评级"),
                    None => format!("需要 {need} 级及以上信用等级（请提供美德积分或信用等级）"),
                };
                let why_en = match applicant.standing.points {
                    Some(p) => format!(
                        "needs credit grade {need} or better; {p} points are not yet graded"
                    ),
                    None => format!(
                        "needs credit grade {need} or better (give your virtue points or grade)"
                    ),
                };
                reasons.push(Reason::new(ReasonCode::GradeRequired, why_zh, why_en));
            }
            Some(have) if !table.at_least(have, need) => {
                let need_points = table.find(need).map(|g| g.min_points).unwrap_or(0);
                reasons.push(Reason::new(
                    ReasonCode::GradeTooLow,
                    format!("需要 {need} 级及以上（{need_points} 分起），您是 {have} 级"),
                    format!(
                        "needs grade {need} or better (from {need_points} points); yours is {have}"
                    ),
                ));
            }
            Some(_) => {}
        }
    }
}

/// The amount (the product's range, then the grade cap) and the term.
fn amount_and_term_reasons(
    product: &Product,
    applicant: &Applicant<'_>,
    max_amount: Fen,
    reasons: &mut Vec<Reason>,
) {
    if applicant.amount < product.amount_min_fen {
        reasons.push(Reason::new(
            ReasonCode::AmountBelowMinimum,
            format!("最低贷款 {}", format_wan(product.amount_min_fen)),
            format!("the least amount is {}", yuan_en(product.amount_min_fen)),
        ));
    } else if applicant.amount > product.amount_max_fen {
        reasons.push(Reason::new(
            ReasonCode::AmountAboveMaximum,
            format!("最高可贷 {}", format_wan(product.amount_max_fen)),
            format!("the most it lends is {}", yuan_en(product.amount_max_fen)),
        ));
    } else if applicant.amount > max_amount {
        let grade = applicant.standing.grade.as_deref().unwrap_or("未评级");
        let grade_en = applicant.standing.grade.as_deref().unwrap_or("ungraded");
        reasons.push(Reason::new(
            ReasonCode::AmountAboveGradeCap,
            format!("{grade} 级最高可贷 {}", format_wan(max_amount)),
            format!(
                "grade {grade_en} can borrow at most {}",
                yuan_en(max_amount)
            ),
        ));
    }

    // Term.
    if applicant.months < product.months_min {
        reasons.push(Reason::new(
            ReasonCode::TermTooShort,
            format!("期限最短 {} 个月", product.months_min),
            format!("the term is at least {} months", product.months_min),
        ));
    } else if applicant.months > product.months_max {
        reasons.push(Reason::new(
            ReasonCode::TermTooLong,
            format!("期限最长 {} 个月", product.months_max),
            format!("the term is at most {} months", product.months_max),
        ));
    }
}

/// The towns, industries and purposes the product serves.
fn served_reasons(
    catalog: &Catalog,
    product: &Product,
    applicant: &Applicant<'_>,
    reasons: &mut Vec<Reason>,
) {
    let rules = &product.eligibility;
    if let Some(town) = applicant.town
        && !rules.towns.is_empty()
        && !rules.towns.iter().any(|t| t == town)
    {
        let names: Vec<&str> = rules
            .towns
            .iter()
            .map(|t| catalog.town_name_zh(t))
            .collect();
        reasons.push(Reason::new(
            ReasonCode::TownNotServed,
            format!("只面向 {} 的居民", names.join("、")),
            format!("only for residents of {}", rules.towns.join(", ")),
        ));
    }

    // Industry and purpose.
    if let Some(ind) = applicant.industry
        && !product.industries.is_empty()
        && !product.industries.iter().any(|i| i == ind)
    {
        let names: Vec<&str> = product
            .industries
            .iter()
            .map(|i| catalog.industry_name_zh(i))
            .collect();
        reasons.push(Reason::new(
            ReasonCode::IndustryNotServed,
            format!("只面向 {} 产业", names.join("、")),
            format!("only for the industries {}", product.industries.join(", ")),
        ));
    }
    if let Some(p) = applicant.purpose
        && !product.purposes.is_empty()
        && !product.purposes.iter().any(|x| x == p)
    {
        let names: Vec<&str> = product
            .purposes
            .iter()
            .map(|i| catalog.purpose_name_zh(i))
            .collect();
        reasons.push(Reason::new(
            ReasonCode::PurposeNotServed,
            format!("贷款用途限于 {}", names.join("、")),
            format!(
                "the loan may only be used for {}",
                product.purposes.join(", ")
            ),
        ));
    }
}

/// The age when applying and at maturity.
fn age_reasons(product: &Product, applicant: &Applicant<'_>, reasons: &mut Vec<Reason>) {
    let rules = &product.eligibility;
    if let Some(age) = applicant.age {
        if let Some(min) = rules.age_min
            && age < min
        {
            reasons.push(Reason::new(
                ReasonCode::AgeTooLow,
                format!("须年满 {min} 周岁"),
                format!("you must be at least {min} years old"),
            ));
        }
        if let Some(max) = rules.age_max
            && age > max
        {
            reasons.push(Reason::new(
                ReasonCode::AgeTooHigh,
                format!("申请时不超过 {max} 周岁"),
                format!("you must be at most {max} years old when applying"),
            ));
        }
        if let Some(limit) = rules.max_age_at_maturity {
            // Age at maturity, counting a started year as a year.
            let at_maturity = u64::from(age) * 12 + u64::from(applicant.months);
            if at_maturity > u64::from(limit) * 12 {
                reasons.push(Reason::new(
                    ReasonCode::AgeAtMaturityTooHigh,
                    format!("到期时年龄不能超过 {limit} 周岁，请缩短期限"),
                    format!("you must be at most {limit} years old when the loan ends; choose a shorter term"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> GradeTable {
        GradeTable {
            version: "t1".into(),
            illustrative: true,
            grades: vec![
                GradeDef {
                    code: "AAA".into(),
                    min_points: 1000,
                    name_zh: "AAA".into(),
                    name_en: "AAA".into(),
                },
                GradeDef {
                    code: "AA".into(),
                    min_points: 800,
                    name_zh: "AA".into(),
                    name_en: "AA".into(),
                },
                GradeDef {
                    code: "A".into(),
                    min_points: 600,
                    name_zh: "A".into(),
                    name_en: "A".into(),
                },
            ],
        }
    }

    #[test]
    fn points_map_to_the_best_grade_they_reach() {
        let t = table();
        assert_eq!(
            t.grade_for_points(1052).map(|g| g.code.as_str()),
            Some("AAA")
        );
        assert_eq!(t.grade_for_points(999).map(|g| g.code.as_str()), Some("AA"));
        assert_eq!(t.grade_for_points(600).map(|g| g.code.as_str()), Some("A"));
        assert!(t.grade_for_points(599).is_none());
        assert!(t.at_least("AAA", "A") && !t.at_least("A", "AA") && !t.at_least("Z", "A"));
    }

    #[test]
    fn a_table_with_rising_thresholds_is_refused() {
        let mut t = table();
        t.grades.swap(0, 1);
        assert!(t.check().is_err());
        assert!(table().check().is_ok());
    }

    #[test]
    fn report_says_how_far_the_next_grade_is() {
        let r = grade_report(&table(), 950);
        assert_eq!(r.grade.map(|g| g.code), Some("AA".to_string()));
        assert_eq!(
            r.next.map(|(g, n)| (g.code, n)),
            Some(("AAA".to_string(), 50))
        );
    }
}
