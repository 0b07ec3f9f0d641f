//! The catalog file's types, exactly as written in the JSON: county, SLA, LPR, banks, towns,
//! industries, purposes and products. Must never hold logic beyond naming its own values.

use super::{Badge, BadgeSet};
use crate::domain::credit::GradeTable;
use crate::domain::documents::DocumentKind;
use crate::domain::money::{Fen, RatePpm};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The county the data describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct County {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

/// The contact promise: a first call within `first_contact_minutes`, the county alerted at
/// `escalation_minutes` without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    pub first_contact_minutes: u32,
    pub escalation_minutes: u32,
    /// A task the manager has not opened this many minutes after submission is texted to
    /// them (the platform's escalation ladder; county rule: 2).
    #[serde(default = "default_unopened_sms_minutes")]
    pub unopened_sms_minutes: u32,
    #[serde(default)]
    pub illustrative: bool,
}

fn default_unopened_sms_minutes() -> u32 {
    2
}

/// The loan prime rate (贷款市场报价利率) in force from `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LprEntry {
    pub since: Date,
    pub one_year_ppm: RatePpm,
    pub five_year_ppm: RatePpm,
    #[serde(default)]
    pub illustrative: bool,
}

/// Which LPR a floating rate follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LprTenor {
    /// 1 年期 LPR
    OneYear,
    /// 5 年期以上 LPR
    FiveYear,
}

/// A bank (or other lender) of the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bank {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub illustrative: bool,
}

/// What kind of township unit a town is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TownKind {
    /// 街道
    Street,
    /// 镇
    Town,
    /// 乡
    Township,
}

/// A town or street of the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Town {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: TownKind,
    #[serde(default)]
    pub illustrative: bool,
}

/// An industry (产业) or a loan purpose (用途): a code with names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub illustrative: bool,
}

/// How a product's annual rate is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum RateRule {
    /// A fixed annual rate.
    Fixed { annual_ppm: RatePpm },
    /// The LPR in force on the request date plus a spread (basis points, may be negative).
    Lpr { tenor: LprTenor, spread_bp: i32 },
}

/// The day count for daily interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCountRule {
    /// Actual/360, the Chinese banks' usual basis.
    #[default]
    Act360,
    /// Actual/365.
    Act365,
}

/// How the loan is paid back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepaymentMethod {
    /// 等额本息
    EqualInstallment,
    /// 等额本金
    EqualPrincipal,
    /// 先息后本
    InterestFirst,
    /// 到期一次还本付息
    Bullet,
    /// 宽限期后分期: `grace_months` interest only, then `then`.
    GraceThenAmortize,
    /// 随借随还: a revolving line with daily interest on what is drawn.
    Revolving,
}

/// How a grace-period loan amortizes after the grace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmortizationRule {
    EqualInstallment,
    EqualPrincipal,
}

/// How often a payment falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrequencyRule {
    Monthly,
    Quarterly,
    Yearly,
    AtMaturity,
}

impl FrequencyRule {
    /// Months between payments (`None` for at maturity).
    pub fn months(self) -> Option<u32> {
        match self {
            FrequencyRule::Monthly => Some(1),
            FrequencyRule::Quarterly => Some(3),
            FrequencyRule::Yearly => Some(12),
            FrequencyRule::AtMaturity => None,
        }
    }
}

/// The repayment terms of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repayment {
    pub method: RepaymentMethod,
    pub frequency: FrequencyRule,
    /// Interest-only months at the start (grace_then_amortize only).
    #[serde(default)]
    pub grace_months: u32,
    /// The amortization after the grace (grace_then_amortize only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<AmortizationRule>,
}

/// What secures the loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collateral {
    /// 信用: nothing but the borrower's credit.
    Credit,
    /// 保证/担保: a guarantor.
    Guarantee,
    /// 质押: pledged goods or receivables.
    Pledge,
    /// 抵押: mortgaged property.
    Mortgage,
}

impl Collateral {
    pub const ALL: [Collateral; 4] = [
        Collateral::Credit,
        Collateral::Guarantee,
        Collateral::Pledge,
        Collateral::Mortgage,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Collateral::Credit => "credit",
            Collateral::Guarantee => "guarantee",
            Collateral::Pledge => "pledge",
            Collateral::Mortgage => "mortgage",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Collateral::Credit => "信用",
            Collateral::Guarantee => "保证担保",
            Collateral::Pledge => "质押",
            Collateral::Mortgage => "抵押",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Collateral::Credit => "Unsecured (credit)",
            Collateral::Guarantee => "Guarantee",
            Collateral::Pledge => "Pledge",
            Collateral::Mortgage => "Mortgage",
        }
    }

    /// Parses a code or the Chinese name.
    pub fn parse(text: &str) -> Option<Collateral> {
        let t = text.trim().to_ascii_lowercase();
        Collateral::ALL
            .into_iter()
            .find(|c| c.code() == t || c.name_zh() == text.trim())
    }
}

/// Fees the borrower pays besides interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductFees {
    /// A fixed fee taken at disbursement.
    #[serde(default)]
    pub upfront_fee_fen: Fen,
    /// A fee taken at disbursement as a share of the amount (ppm).
    #[serde(default)]
    pub upfront_fee_ppm: RatePpm,
    /// The guarantor's fee per year as a share of the amount (ppm).
    #[serde(default)]
    pub guarantee_fee_ppm_per_year: RatePpm,
}

/// What the government pays back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSubsidies {
    /// 贴息: interest subsidy per year (ppm of the balance), capped at the interest paid.
    #[serde(default)]
    pub interest_subsidy_ppm_per_year: RatePpm,
    /// For how many months the interest subsidy runs (0 = the whole term).
    #[serde(default)]
    pub interest_subsidy_max_months: u32,
    /// Share of the guarantee fee refunded (ppm; 500_000 = half).
    #[serde(default)]
    pub guarantee_fee_subsidy_ppm: RatePpm,
}

/// Who may have the product.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityRules {
    /// The least credit grade (grade-table code); `None`: no grade needed.
    #[serde(default)]
    pub min_grade: Option<String>,
    /// Towns whose residents may apply; empty: the whole county.
    #[serde(default)]
    pub towns: Vec<String>,
    #[serde(default)]
    pub age_min: Option<u32>,
    #[serde(default)]
    pub age_max: Option<u32>,
    /// The borrower's age when the loan ends may not pass this.
    #[serde(default)]
    pub max_age_at_maturity: Option<u32>,
}

/// What a grade reaches on a product: an amount cap and a rate discount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeCap {
    pub grade: String,
    /// The most this grade can borrow (`None`: the product maximum).
    #[serde(default)]
    pub max_amount_fen: Option<Fen>,
    /// Basis points off the annual rate.
    #[serde(default)]
    pub rate_discount_bp: u32,
}

/// A loan product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: String,
    /// The lending bank's id.
    pub bank: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub summary_zh: String,
    #[serde(default)]
    pub summary_en: String,
    /// Industries served (industry ids); empty: any.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Purposes allowed (purpose ids); empty: any.
    #[serde(default)]
    pub purposes: Vec<String>,
    pub amount_min_fen: Fen,
    pub amount_max_fen: Fen,
    pub months_min: u32,
    pub months_max: u32,
    pub rate: RateRule,
    #[serde(default)]
    pub day_count: DayCountRule,
    pub repayment: Repayment,
    pub collateral: Collateral,
    /// Guaranteed by a government guarantor (见贷即保).
    #[serde(default)]
    pub government_guarantee: bool,
    /// The guarantor's name, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guarantor_zh: Option<String>,
    #[serde(default)]
    pub fees: ProductFees,
    #[serde(default)]
    pub subsidies: ProductSubsidies,
    /// A promise that the annualized cost never passes this rate (ppm), e.g. 冠之链's 4.5 %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apr_cap_ppm: Option<RatePpm>,
    #[serde(default)]
    pub eligibility: EligibilityRules,
    #[serde(default)]
    pub grade_caps: Vec<GradeCap>,
    /// The documents the bank needs.
    pub documents: Vec<DocumentKind>,
    /// Typical hours from a complete application to approval.
    pub approval_hours: u32,
    /// Badges from the data (the others follow from the terms).
    #[serde(default)]
    pub badges: Vec<Badge>,
    #[serde(default)]
    pub illustrative: bool,
}

impl Product {
    /// Every badge of the product: those that follow from its terms and those in the data.
    pub fn all_badges(&self) -> BadgeSet {
        let mut out = BadgeSet::default();
        if self.subsidies.interest_subsidy_ppm_per_year > 0 {
            out.insert(Badge::InterestSubsidy);
        }
        if self.subsidies.guarantee_fee_subsidy_ppm > 0 && self.fees.guarantee_fee_ppm_per_year > 0
        {
            out.insert(Badge::FeeSubsidy);
        }
        if self.government_guarantee {
            out.insert(Badge::GovernmentGuarantee);
        }
        if self.collateral == Collateral::Credit {
            out.insert(Badge::NoCollateral);
        }
        if self.repayment.method == RepaymentMethod::Revolving {
            out.insert(Badge::Revolving);
        }
        if self.repayment.method == RepaymentMethod::GraceThenAmortize
            && self.repayment.grace_months > 0
        {
            out.insert(Badge::GracePeriod);
        }
        if self.eligibility.min_grade.is_some() {
            out.insert(Badge::VirtuePoints);
        }
        if self.approval_hours <= 24 {
            out.insert(Badge::FastApproval);
        }
        for b in &self.badges {
            out.insert(*b);
        }
        out
    }
}

/// The catalog file as written: every field is data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogData {
    /// The file format (this code reads format 1).
    pub format: u32,
    /// The data version, e.g. `guanxian-2026.11.1`.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub county: County,
    pub sla: Sla,
    pub lpr: Vec<LprEntry>,
    pub grade_table: GradeTable,
    pub banks: Vec<Bank>,
    pub towns: Vec<Town>,
    pub industries: Vec<Named>,
    pub purposes: Vec<Named>,
    pub products: Vec<Product>,
}
