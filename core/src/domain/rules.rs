//! The product rules an application must meet, decided by one function that the phone and the
//! platform both call, so an application the phone would refuse is refused by the platform too
//! (and the villager reads the same reasons on both sides).
//!
//! Owns [`check_application`]: amount and term within the product's range, the grade the
//! applicant's virtue points reach (the platform's record, never typed in), the town, the
//! industry and purpose the loan is for. Must never do I/O; the day and the record come in as
//! values.

use crate::domain::catalog::Catalog;
use crate::domain::credit::{self, Applicant, CreditInput, Reason};
use crate::domain::money::Fen;

/// What the applicant asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms<'a> {
    pub product_id: &'a str,
    /// Amount in fen.
    pub amount: Fen,
    pub months: u32,
    /// The industry the loan is for (catalog id), if the villager said.
    pub industry: Option<&'a str>,
    /// What the money is for (catalog purpose id), if the villager said.
    pub purpose: Option<&'a str>,
}

/// What the platform knows of the applicant: their virtue points and town as enrolled from the
/// county's records (the phone holds a copy from the session).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicantRecord {
    /// Virtue points on record; `None` when the villager has none yet.
    pub points: Option<u32>,
    /// The town the villager lives in (catalog town id).
    pub town: Option<String>,
    /// Age in years, when on record.
    pub age: Option<u32>,
}

/// Why an application is refused by the product's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleRefusal {
    /// The product is not in the catalog.
    #[error(
        "没有编号为「{id}」的贷款产品，请从贷款超市重新选择 / there is no loan product \"{id}\"; choose one from the market again"
    )]
    UnknownProduct { id: String },
    /// The industry or purpose is not one the catalog knows.
    #[error("{zh} / {en}")]
    UnknownValue {
        field: &'static str,
        zh: String,
        en: String,
    },
    /// The applicant does not meet the product's rules; every reason is listed.
    #[error("{} / {}", join_zh(.reasons), join_en(.reasons))]
    NotEligible { reasons: Vec<Reason> },
}

fn join_zh(reasons: &[Reason]) -> String {
    let parts: Vec<&str> = reasons.iter().map(|r| r.zh.as_str()).collect();
    format!("不符合该产品的申请条件：{}", parts.join("；"))
}

fn join_en(reasons: &[Reason]) -> String {
    let parts: Vec<&str> = reasons.iter().map(|r| r.en.as_str()).collect();
    format!("this product's rules are not met: {}", parts.join("; "))
}

impl RuleRefusal {
    /// A stable machine code (`unknown_product`, `unknown_value`, `not_eligible`).
    pub fn code(&self) -> &'static str {
        match self {
            RuleRefusal::UnknownProduct { .. } => "unknown_product",
            RuleRefusal::UnknownValue { .. } => "unknown_value",
            RuleRefusal::NotEligible { .. } => "not_eligible",
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            RuleRefusal::UnknownProduct { id } => {
                format!("没有编号为「{id}」的贷款产品，请从贷款超市重新选择")
            }
            RuleRefusal::UnknownValue { zh, .. } => zh.clone(),
            RuleRefusal::NotEligible { reasons } => join_zh(reasons),
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        match self {
            RuleRefusal::UnknownProduct { id } => {
                format!("there is no loan product \"{id}\"; choose one from the market again")
            }
            RuleRefusal::UnknownValue { en, .. } => en.clone(),
            RuleRefusal::NotEligible { reasons } => join_en(reasons),
        }
    }

    /// The reasons, when the refusal is about eligibility.
    pub fn reasons(&self) -> &[Reason] {
        match self {
            RuleRefusal::NotEligible { reasons } => reasons,
            _ => &[],
        }
    }
}

/// Checks `terms` for `applicant` against the product's rules in `catalog`.
pub fn check_application(
    catalog: &Catalog,
    terms: &Terms<'_>,
    applicant: &ApplicantRecord,
) -> Result<(), RuleRefusal> {
    let product = catalog
        .product(terms.product_id)
        .ok_or_else(|| RuleRefusal::UnknownProduct {
            id: terms.product_id.to_owned(),
        })?;
    if let Some(i) = terms.industry
        && !catalog.data().industries.iter().any(|x| x.id == i)
    {
        return Err(RuleRefusal::UnknownValue {
            field: "industry",
            zh: format!("没有「{i}」这个产业，请重新选择"),
            en: format!("there is no industry \"{i}\"; choose again"),
        });
    }
    if let Some(p) = terms.purpose
        && !catalog.data().purposes.iter().any(|x| x.id == p)
    {
        return Err(RuleRefusal::UnknownValue {
            field: "purpose",
            zh: format!("没有「{p}」这个用途，请重新选择"),
            en: format!("there is no purpose \"{p}\"; choose again"),
        });
    }
    let input = applicant
        .points
        .map_or(CreditInput::Unknown, CreditInput::Points);
    // Points always resolve (a grade code is never typed in here).
    let standing = credit::resolve(&catalog.data().grade_table, &input).unwrap_or_default();
    let verdict = credit::check(
        catalog,
        product,
        &Applicant {
            amount: terms.amount,
            months: terms.months,
            industry: terms.industry,
            purpose: terms.purpose,
            standing: &standing,
            town: applicant.town.as_deref(),
            age: applicant.age,
        },
    );
    if verdict.eligible {
        Ok(())
    } else {
        Err(RuleRefusal::NotEligible {
            reasons: verdict.reasons,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::domain::credit::ReasonCode;

    fn catalog() -> Catalog {
        Catalog::embedded().unwrap()
    }

    fn villager(points: Option<u32>) -> ApplicantRecord {
        ApplicantRecord {
            points,
            town: Some("chongwen".into()),
            age: None,
        }
    }

    #[test]
    fn an_amount_above_the_products_maximum_is_refused_with_its_reason() {
        let c = catalog();
        let p = c.product("runchang-suli").unwrap();
        let terms = Terms {
            product_id: &p.id,
            amount: p.amount_max_fen + 1,
            months: p.months_min,
            industry: None,
            purpose: None,
        };
        let err = check_application(&c, &terms, &villager(Some(1052))).unwrap_err();
        assert_eq!(err.code(), "not_eligible");
        assert!(
            err.reasons()
                .iter()
                .any(|r| r.code == ReasonCode::AmountAboveMaximum),
            "{err}"
        );
        assert!(err.message_zh().starts_with("不符合该产品的申请条件"));
    }

    #[test]
    fn a_grade_product_needs_points_on_record() {
        let c = catalog();
        let p = c
            .products()
            .iter()
            .find(|p| p.eligibility.min_grade.is_some())
            .unwrap();
        let terms = Terms {
            product_id: &p.id,
            amount: p.amount_min_fen,
            months: p.months_min,
            industry: p.industries.first().map(String::as_str),
            purpose: None,
        };
        let town = p
            .eligibility
            .towns
            .first()
            .cloned()
            .or(Some("chongwen".into()));
        let none = ApplicantRecord {
            points: None,
            town: town.clone(),
            age: None,
        };
        let err = check_application(&c, &terms, &none).unwrap_err();
        assert!(
            err.reasons()
                .iter()
                .any(|r| r.code == ReasonCode::GradeRequired),
            "{err}"
        );
        let top = ApplicantRecord {
            points: Some(5000),
            town,
            age: None,
        };
        assert_eq!(check_application(&c, &terms, &top), Ok(()));
    }

    #[test]
    fn an_unknown_product_or_industry_is_named() {
        let c = catalog();
        let terms = Terms {
            product_id: "no-such",
            amount: 100,
            months: 12,
            industry: None,
            purpose: None,
        };
        assert_eq!(
            check_application(&c, &terms, &villager(None))
                .unwrap_err()
                .code(),
            "unknown_product"
        );
        let p = &c.products()[0];
        let terms = Terms {
            product_id: &p.id,
            amount: p.amount_min_fen,
            months: p.months_min,
            industry: Some("spaceships"),
            purpose: None,
        };
        let err = check_application(&c, &terms, &villager(Some(900))).unwrap_err();
        assert_eq!(err.code(), "unknown_value");
        assert!(err.message_en().contains("spaceships"));
    }
}
