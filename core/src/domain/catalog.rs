//! The county's loan catalog: products, banks, towns, industries, purposes, the dated LPR,
//! the virtue-points grade table and the contact SLA, all as data.
//!
//! Owns the catalog's types, its JSON form, its validation (every error names the entry and
//! the field) and its content hash (the ETag). The county's own file ships embedded
//! (`core/data/guanxian.json`) as the first-run default; a newer one comes from the platform.
//! Must never do I/O, and never hard-code a county's products or numbers in code.

use crate::domain::credit::GradeTable;
use crate::domain::documents::DocumentKind;
use crate::domain::money::{Fen, RatePpm};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The embedded Guanxian catalog (first-run default).
pub const EMBEDDED_JSON: &str = include_str!("../../data/guanxian.json");

/// The largest amount any product may lend: 100 million yuan (keeps every sum far from overflow).
pub const MAX_PRODUCT_AMOUNT_FEN: Fen = 10_000_000_000;
/// The longest term any product may have: 30 years.
pub const MAX_PRODUCT_MONTHS: u32 = 360;
/// The highest contract rate a product may state: 36 % a year.
pub const MAX_PRODUCT_RATE_PPM: RatePpm = 360_000;

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

/// A badge shown on an offer card. Some come from the data, most follow from the terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    /// 贴息
    InterestSubsidy,
    /// 担保费补贴
    FeeSubsidy,
    /// 政府担保
    GovernmentGuarantee,
    /// 免担保 (credit loan, no collateral)
    NoCollateral,
    /// 随借随还
    Revolving,
    /// 宽限期
    GracePeriod,
    /// 美德积分
    VirtuePoints,
    /// 极速审批 (typically approved within a day)
    FastApproval,
    /// 线上办理
    Online,
    /// 全省首创
    FirstInProvince,
}

impl Badge {
    pub const ALL: [Badge; 10] = [
        Badge::InterestSubsidy,
        Badge::FeeSubsidy,
        Badge::GovernmentGuarantee,
        Badge::NoCollateral,
        Badge::Revolving,
        Badge::GracePeriod,
        Badge::VirtuePoints,
        Badge::FastApproval,
        Badge::Online,
        Badge::FirstInProvince,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Badge::InterestSubsidy => "interest_subsidy",
            Badge::FeeSubsidy => "fee_subsidy",
            Badge::GovernmentGuarantee => "government_guarantee",
            Badge::NoCollateral => "no_collateral",
            Badge::Revolving => "revolving",
            Badge::GracePeriod => "grace_period",
            Badge::VirtuePoints => "virtue_points",
            Badge::FastApproval => "fast_approval",
            Badge::Online => "online",
            Badge::FirstInProvince => "first_in_province",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Badge::InterestSubsidy => "贴息",
            Badge::FeeSubsidy => "担保费补贴",
            Badge::GovernmentGuarantee => "政府担保",
            Badge::NoCollateral => "免担保",
            Badge::Revolving => "随借随还",
            Badge::GracePeriod => "宽限期",
            Badge::VirtuePoints => "美德积分",
            Badge::FastApproval => "极速审批",
            Badge::Online => "线上办理",
            Badge::FirstInProvince => "全省首创",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Badge::InterestSubsidy => "Interest subsidy",
            Badge::FeeSubsidy => "Guarantee-fee subsidy",
            Badge::GovernmentGuarantee => "Government guarantee",
            Badge::NoCollateral => "No collateral",
            Badge::Revolving => "Borrow and repay any time",
            Badge::GracePeriod => "Grace period",
            Badge::VirtuePoints => "Virtue points",
            Badge::FastApproval => "Fast approval",
            Badge::Online => "Apply online",
            Badge::FirstInProvince => "First in the province",
        }
    }

    /// Parses a code (hyphens allowed) or the Chinese name.
    pub fn parse(text: &str) -> Option<Badge> {
        let t = text.trim();
        let code = t.to_ascii_lowercase().replace('-', "_");
        Badge::ALL
            .into_iter()
            .find(|b| b.code() == code || b.name_zh() == t)
    }
}

/// A set of badges, small and `Copy` (a bit per badge); serialized as the list of badge
/// codes in the order of [`Badge::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BadgeSet(u16);

impl BadgeSet {
    fn bit(b: Badge) -> u16 {
        let i = Badge::ALL.iter().position(|x| *x == b).unwrap_or(0);
        1u16 << i
    }

    /// Adds a badge.
    pub fn insert(&mut self, b: Badge) {
        self.0 |= BadgeSet::bit(b);
    }

    /// Whether the set holds `b`.
    pub fn contains(&self, b: &Badge) -> bool {
        self.0 & BadgeSet::bit(*b) != 0
    }

    /// The badges in display order.
    pub fn iter(self) -> impl Iterator<Item = Badge> {
        Badge::ALL.into_iter().filter(move |b| self.contains(b))
    }

    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// The Chinese names joined with `、`.
    pub fn names_zh(self) -> String {
        self.iter()
            .map(Badge::name_zh)
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The English names joined with `, `.
    pub fn names_en(self) -> String {
        self.iter()
            .map(Badge::name_en)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl FromIterator<Badge> for BadgeSet {
    fn from_iter<I: IntoIterator<Item = Badge>>(iter: I) -> Self {
        let mut s = BadgeSet::default();
        for b in iter {
            s.insert(b);
        }
        s
    }
}

impl Serialize for BadgeSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for BadgeSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Badge>::deserialize(d)?.into_iter().collect())
    }
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

/// What part of the catalog an error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Catalog,
    Product,
    Bank,
    Town,
    Industry,
    Purpose,
    Lpr,
    GradeTable,
    Sla,
}

impl Entry {
    fn zh(self) -> &'static str {
        match self {
            Entry::Catalog => "目录",
            Entry::Product => "产品",
            Entry::Bank => "银行",
            Entry::Town => "乡镇",
            Entry::Industry => "产业",
            Entry::Purpose => "用途",
            Entry::Lpr => "LPR",
            Entry::GradeTable => "信用等级表",
            Entry::Sla => "联系时限",
        }
    }
    fn en(self) -> &'static str {
        match self {
            Entry::Catalog => "catalog",
            Entry::Product => "product",
            Entry::Bank => "bank",
            Entry::Town => "town",
            Entry::Industry => "industry",
            Entry::Purpose => "purpose",
            Entry::Lpr => "LPR entry",
            Entry::GradeTable => "grade table",
            Entry::Sla => "SLA",
        }
    }
}

/// A catalog that cannot be used, saying where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Not JSON at all, or the wrong shape outside any product.
    #[error(
        "目录文件无法读取（第 {line} 行第 {column} 列，字段 {path}）：{message}，请检查文件格式 / catalog file cannot be read (line {line}, column {column}, field {path}): {message}; check the file format"
    )]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// One entry has a bad field.
    #[error("{}", invalid_text(*.entry, .id, .field, .zh, .en))]
    Invalid {
        entry: Entry,
        id: String,
        field: String,
        zh: String,
        en: String,
    },
}

fn invalid_text(entry: Entry, id: &str, field: &str, zh: &str, en: &str) -> String {
    format!(
        "{} {id} 的字段 {field} 无效：{zh} / {} {id} field {field}: {en}",
        entry.zh(),
        entry.en()
    )
}

impl CatalogError {
    fn invalid(
        entry: Entry,
        id: &str,
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        CatalogError::Invalid {
            entry,
            id: id.to_owned(),
            field: field.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The product id the error is about, if it is about one.
    pub fn product_id(&self) -> Option<&str> {
        match self {
            CatalogError::Invalid {
                entry: Entry::Product,
                id,
                ..
            } => Some(id),
            _ => None,
        }
    }

    /// The field the error is about.
    pub fn field(&self) -> &str {
        match self {
            CatalogError::Invalid { field, .. } => field,
            CatalogError::Syntax { path, .. } => path,
        }
    }
}

/// The search keys of one product, made once at load.
#[derive(Debug, Clone, Default)]
struct SearchKeys {
    /// Full pinyin without tones or spaces, e.g. `sulidai`.
    full: String,
    /// Initials, e.g. `sld`.
    initials: String,
    /// Lowercase English name and id.
    latin: String,
}

/// A validated catalog with its content hash and search index.
#[derive(Debug, Clone)]
pub struct Catalog {
    data: CatalogData,
    hash: String,
    search: Vec<SearchKeys>,
    badges: Vec<BadgeSet>,
}

impl Serialize for Catalog {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.data.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Catalog {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let data = CatalogData::deserialize(d)?;
        Catalog::from_data(data).map_err(serde::de::Error::custom)
    }
}

impl PartialEq for Catalog {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
    }
}

impl Catalog {
    /// The catalog embedded in the app (Guanxian), validated.
    pub fn embedded() -> Result<Catalog, CatalogError> {
        Catalog::from_json(EMBEDDED_JSON)
    }

    /// Parses and validates a catalog file.
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let data: CatalogData = match serde_path_to_error::deserialize(&mut de) {
            Ok(d) => d,
            Err(err) => return Err(syntax_error(text, &err)),
        };
        if let Err(e) = de.end() {
            return Err(CatalogError::Syntax {
                path: ".".into(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            });
        }
        Catalog::from_data(data)
    }

    /// Validates data already in memory.
    pub fn from_data(data: CatalogData) -> Result<Catalog, CatalogError> {
        validate(&data)?;
        let canonical = serde_json::to_vec(&data).map_err(|e| CatalogError::Syntax {
            path: ".".into(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })?;
        let digest = ring::digest::digest(&ring::digest::SHA256, &canonical);
        let hash = digest
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        let search = data.products.iter().map(search_keys).collect();
        let badges = data.products.iter().map(Product::all_badges).collect();
        Ok(Catalog {
            data,
            hash,
            search,
            badges,
        })
    }

    /// The catalog in its canonical JSON form (the bytes the hash is taken over).
    pub fn to_json(&self) -> Result<String, CatalogError> {
        serde_json::to_string(&self.data).map_err(|e| CatalogError::Syntax {
            path: ".".into(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })
    }

    /// SHA-256 (hex) of the canonical JSON: stable across formatting, changes with any value.
    /// Use it as the ETag.
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// The data version written in the file.
    pub fn version(&self) -> &str {
        &self.data.version
    }

    pub fn data(&self) -> &CatalogData {
        &self.data
    }

    pub fn products(&self) -> &[Product] {
        &self.data.products
    }

    /// The badges of product number `index` (made once at load).
    pub fn badges_at(&self, index: usize) -> BadgeSet {
        self.badges.get(index).copied().unwrap_or_default()
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        let id = id.trim();
        self.data.products.iter().find(|p| p.id == id)
    }

    pub fn bank(&self, id: &str) -> Option<&Bank> {
        self.data.banks.iter().find(|b| b.id == id)
    }

    pub fn town(&self, id: &str) -> Option<&Town> {
        self.data.towns.iter().find(|t| t.id == id)
    }

    /// Finds a town by id or by its Chinese name (with or without 镇/乡/街道).
    pub fn find_town(&self, text: &str) -> Option<&Town> {
        let t = text.trim();
        self.data.towns.iter().find(|x| {
            x.id == t.to_ascii_lowercase()
                || x.name_zh == t
                || (!t.is_empty()
                    && x.name_zh
                        .trim_end_matches(['镇', '乡'])
                        .trim_end_matches("街道")
                        == t)
        })
    }

    /// Finds an industry by id or Chinese name.
    pub fn find_industry(&self, text: &str) -> Option<&Named> {
        let t = text.trim();
        self.data
            .industries
            .iter()
            .find(|x| x.id == t.to_ascii_lowercase() || x.name_zh == t)
    }

    /// Finds a purpose by id or Chinese name.
    pub fn find_purpose(&self, text: &str) -> Option<&Named> {
        let t = text.trim();
        self.data
            .purposes
            .iter()
            .find(|x| x.id == t.to_ascii_lowercase() || x.name_zh == t)
    }

    /// Finds a bank by id or Chinese name (a unique part of it is enough).
    pub fn find_bank(&self, text: &str) -> Option<&Bank> {
        let t = text.trim();
        if let Some(b) = self
            .data
            .banks
            .iter()
            .find(|b| b.id == t.to_ascii_lowercase() || b.name_zh == t)
        {
            return Some(b);
        }
        let mut hits = self
            .data
            .banks
            .iter()
            .filter(|b| !t.is_empty() && b.name_zh.contains(t));
        match (hits.next(), hits.next()) {
            (Some(b), None) => Some(b),
            _ => None,
        }
    }

    pub fn bank_name_zh(&self, id: &str) -> &str {
        self.bank(id).map(|b| b.name_zh.as_str()).unwrap_or("")
    }

    pub fn town_name_zh<'a>(&'a self, id: &'a str) -> &'a str {
        self.town(id).map(|b| b.name_zh.as_str()).unwrap_or(id)
    }

    pub fn industry_name_zh<'a>(&'a self, id: &'a str) -> &'a str {
        self.data
            .industries
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.name_zh.as_str())
            .unwrap_or(id)
    }

    pub fn purpose_name_zh<'a>(&'a self, id: &'a str) -> &'a str {
        self.data
            .purposes
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.name_zh.as_str())
            .unwrap_or(id)
    }

    /// The LPR in force on `date`: the latest entry not after it.
    pub fn lpr_on(&self, date: Date) -> Option<&LprEntry> {
        self.data
            .lpr
            .iter()
            .filter(|e| e.since <= date)
            .max_by_key(|e| e.since)
    }

    /// The contract annual rate of `product` on `date` before any grade discount
    /// (`None` when a floating rate has no LPR in force yet).
    pub fn base_rate(&self, product: &Product, date: Date) -> Option<RatePpm> {
        match product.rate {
            RateRule::Fixed { annual_ppm } => Some(annual_ppm),
            RateRule::Lpr { tenor, spread_bp } => {
                let e = self.lpr_on(date)?;
                let lpr = match tenor {
                    LprTenor::OneYear => e.one_year_ppm,
                    LprTenor::FiveYear => e.five_year_ppm,
                };
                Some(lpr + i64::from(spread_bp) * 100)
            }
        }
    }

    /// Whether `query` finds product number `index`: by Chinese name, full pinyin
    /// (`sulidai`, `suli`), pinyin initials (`sld`), English name or id.
    pub fn matches_search(&self, index: usize, query: &str) -> bool {
        let (Some(p), Some(keys)) = (self.data.products.get(index), self.search.get(index)) else {
            return false;
        };
        let q: String = query
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\'' && *c != '-')
            .collect();
        if q.is_empty() {
            return true;
        }
        if p.name_zh.contains(q.as_str()) {
            return true;
        }
        let ql = q.to_lowercase();
        keys.full.contains(&ql) || keys.initials.contains(&ql) || keys.latin.contains(&ql)
    }
}

fn search_keys(p: &Product) -> SearchKeys {
    use pinyin::ToPinyin;
    let mut full = String::new();
    let mut initials = String::new();
    for (ch, py) in p.name_zh.chars().zip(p.name_zh.as_str().to_pinyin()) {
        match py {
            Some(py) => {
                full.push_str(py.plain());
                initials.push_str(py.first_letter());
            }
            None => {
                if ch.is_alphanumeric() {
                    for l in ch.to_lowercase() {
                        full.push(l);
                        initials.push(l);
                    }
                }
            }
        }
    }
    let latin: String = format!("{} {}", p.id, p.name_en)
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '\'')
        .collect();
    SearchKeys {
        full,
        initials,
        latin,
    }
}

/// Turns a serde error with its path into an error naming the product and the field.
fn syntax_error(text: &str, err: &serde_path_to_error::Error<serde_json::Error>) -> CatalogError {
    let path = err.path().to_string();
    let inner = err.inner();
    // products[3].rate.kind → the product's id and the field after it.
    if let Some(rest) = path.strip_prefix("products[")
        && let Some((index, field)) = rest.split_once(']')
        && let Ok(i) = index.parse::<usize>()
    {
        let id = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| {
                v.get("products")?
                    .get(i)?
                    .get("id")?
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format!("#{}", i + 1));
        let field = field.trim_start_matches('.');
        let field = if field.is_empty() { "." } else { field };
        let msg = strip_position(&inner.to_string());
        return CatalogError::invalid(
            Entry::Product,
            &id,
            field,
            format!("格式不对（{msg}）"),
            msg,
        );
    }
    CatalogError::Syntax {
        path,
        line: inner.line(),
        column: inner.column(),
        message: strip_position(&inner.to_string()),
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_owned(),
        None => msg.to_owned(),
    }
}

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

fn validate(d: &CatalogData) -> Result<(), CatalogError> {
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
    if d.lpr.is_empty() {
        return Err(CatalogError::invalid(
            Entry::Lpr,
            county,
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
    if let Err((field, zh, en)) = d.grade_table.check() {
        return Err(CatalogError::invalid(
            Entry::GradeTable,
            &d.grade_table.version,
            field,
            zh,
            en,
        ));
    }
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
    let banks = check_unique(Entry::Bank, d.banks.iter().map(|b| b.id.as_str()))?;
    let towns = check_unique(Entry::Town, d.towns.iter().map(|b| b.id.as_str()))?;
    let industries = check_unique(Entry::Industry, d.industries.iter().map(|b| b.id.as_str()))?;
    let purposes = check_unique(Entry::Purpose, d.purposes.iter().map(|b| b.id.as_str()))?;
    check_unique(Entry::Product, d.products.iter().map(|b| b.id.as_str()))?;
    if d.products.is_empty() {
        return Err(CatalogError::invalid(
            Entry::Catalog,
            county,
            "products",
            "没有任何产品",
            "no products",
        ));
    }
    for p in &d.products {
        validate_product(d, p, &banks, &towns, &industries, &purposes)?;
    }
    Ok(())
}

fn validate_product(
    d: &CatalogData,
    p: &Product,
    banks: &HashSet<&str>,
    towns: &HashSet<&str>,
    industries: &HashSet<&str>,
    purposes: &HashSet<&str>,
) -> Result<(), CatalogError> {
    let id = p.id.as_str();
    let bad = |field: &str, zh: String, en: String| {
        Err(CatalogError::invalid(Entry::Product, id, field, zh, en))
    };
    check_names(Entry::Product, id, &p.name_zh, &p.name_en)?;
    if !banks.contains(p.bank.as_str()) {
        return bad(
            "bank",
            format!("没有 {} 这家银行", p.bank),
            format!("unknown bank {}", p.bank),
        );
    }
    for (i, x) in p.industries.iter().enumerate() {
        if !industries.contains(x.as_str()) {
            return bad(
                &format!("industries[{i}]"),
                format!("没有 {x} 这个产业"),
                format!("unknown industry {x}"),
            );
        }
    }
    for (i, x) in p.purposes.iter().enumerate() {
        if !purposes.contains(x.as_str()) {
            return bad(
                &format!("purposes[{i}]"),
                format!("没有 {x} 这个用途"),
                format!("unknown purpose {x}"),
            );
        }
    }
    for (i, x) in p.eligibility.towns.iter().enumerate() {
        if !towns.contains(x.as_str()) {
            return bad(
                &format!("eligibility.towns[{i}]"),
                format!("没有 {x} 这个乡镇"),
                format!("unknown town {x}"),
            );
        }
    }
    if p.amount_min_fen <= 0 {
        return bad(
            "amount_min_fen",
            "须大于 0".into(),
            "must be above 0".into(),
        );
    }
    if p.amount_max_fen > MAX_PRODUCT_AMOUNT_FEN {
        return bad(
            "amount_max_fen",
            "超过 1 亿元上限".into(),
            "above the 100 million yuan limit".into(),
        );
    }
    if p.amount_max_fen < p.amount_min_fen {
        return bad(
            "amount_max_fen",
            "小于 amount_min_fen".into(),
            "below amount_min_fen".into(),
        );
    }
    if p.months_min == 0 {
        return bad(
            "months_min",
            "须至少 1 个月".into(),
            "must be at least 1 month".into(),
        );
    }
    if p.months_max > MAX_PRODUCT_MONTHS {
        return bad(
            "months_max",
            "超过 360 个月上限".into(),
            "above the 360-month limit".into(),
        );
    }
    if p.months_max < p.months_min {
        return bad(
            "months_max",
            "小于 months_min".into(),
            "below months_min".into(),
        );
    }
    match p.rate {
        RateRule::Fixed { annual_ppm } => {
            if !(0..=MAX_PRODUCT_RATE_PPM).contains(&annual_ppm) {
                return bad(
                    "rate.annual_ppm",
                    "利率不在 0–36% 之间".into(),
                    "rate not within 0–36 %".into(),
                );
            }
        }
        RateRule::Lpr { spread_bp, .. } => {
            if !(-300..=3000).contains(&spread_bp) {
                return bad(
                    "rate.spread_bp",
                    "加点不在 -300 到 3000 基点之间".into(),
                    "spread not within -300..3000 bp".into(),
                );
            }
        }
    }
    let r = &p.repayment;
    if r.method == RepaymentMethod::GraceThenAmortize {
        if r.grace_months == 0 {
            return bad(
                "repayment.grace_months",
                "宽限期产品须有宽限月数".into(),
                "a grace product needs grace months".into(),
            );
        }
        if r.then.is_none() {
            return bad(
                "repayment.then",
                "须写明宽限期后的还款方式".into(),
                "say how it amortizes after the grace".into(),
            );
        }
        if let Some(step) = r.frequency.months()
            && !r.grace_months.is_multiple_of(step)
        {
            return bad(
                "repayment.grace_months",
                format!("须为还款间隔 {step} 个月的整数倍"),
                format!("must be a whole number of {step}-month periods"),
            );
        }
        if r.frequency == FrequencyRule::AtMaturity {
            return bad(
                "repayment.frequency",
                "宽限期产品不能到期一次还款".into(),
                "a grace product cannot pay at maturity".into(),
            );
        }
        if p.months_min <= r.grace_months {
            return bad(
                "months_min",
                "须长于宽限期".into(),
                "must be longer than the grace".into(),
            );
        }
    } else if r.grace_months != 0 || r.then.is_some() {
        return bad(
            "repayment.grace_months",
            "只有宽限期产品才有宽限期".into(),
            "only grace products have a grace".into(),
        );
    }
    if r.method == RepaymentMethod::Bullet && r.frequency != FrequencyRule::AtMaturity {
        return bad(
            "repayment.frequency",
            "到期一次还本付息须为 at_maturity".into(),
            "a bullet loan pays at_maturity".into(),
        );
    }
    for (field, v) in [
        ("fees.upfront_fee_ppm", p.fees.upfront_fee_ppm),
        (
            "fees.guarantee_fee_ppm_per_year",
            p.fees.guarantee_fee_ppm_per_year,
        ),
        (
            "subsidies.interest_subsidy_ppm_per_year",
            p.subsidies.interest_subsidy_ppm_per_year,
        ),
    ] {
        if !(0..=100_000).contains(&v) {
            return bad(
                field,
                "须在 0–10% 之间".into(),
                "must be within 0–10 %".into(),
            );
        }
    }
    if !(0..=p.amount_min_fen).contains(&p.fees.upfront_fee_fen) {
        return bad(
            "fees.upfront_fee_fen",
            "不能为负，也不能超过最低贷款额".into(),
            "must be 0 or more and not above amount_min_fen".into(),
        );
    }
    if !(0..=1_000_000).contains(&p.subsidies.guarantee_fee_subsidy_ppm) {
        return bad(
            "subsidies.guarantee_fee_subsidy_ppm",
            "须在 0–100% 之间".into(),
            "must be within 0–100 %".into(),
        );
    }
    if p.subsidies.guarantee_fee_subsidy_ppm > 0 && p.fees.guarantee_fee_ppm_per_year == 0 {
        return bad(
            "subsidies.guarantee_fee_subsidy_ppm",
            "没有担保费却有担保费补贴".into(),
            "a guarantee-fee subsidy without a guarantee fee".into(),
        );
    }
    if let Some(cap) = p.apr_cap_ppm {
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
            return bad(
                "apr_cap_ppm",
                "合同利率高于承诺的年化上限".into(),
                "the contract rate is above the promised cap".into(),
            );
        }
    }
    if let Some(g) = &p.eligibility.min_grade
        && d.grade_table.find(g).is_none()
    {
        return bad(
            "eligibility.min_grade",
            format!("没有 {g} 这个信用等级"),
            format!("unknown grade {g}"),
        );
    }
    if let (Some(lo), Some(hi)) = (p.eligibility.age_min, p.eligibility.age_max)
        && hi < lo
    {
        return bad(
            "eligibility.age_max",
            "小于 age_min".into(),
            "below age_min".into(),
        );
    }
    for (i, c) in p.grade_caps.iter().enumerate() {
        if d.grade_table.find(&c.grade).is_none() {
            return bad(
                &format!("grade_caps[{i}].grade"),
                format!("没有 {} 这个信用等级", c.grade),
                format!("unknown grade {}", c.grade),
            );
        }
        if let Some(m) = c.max_amount_fen
            && (m < p.amount_min_fen || m > p.amount_max_fen)
        {
            return bad(
                &format!("grade_caps[{i}].max_amount_fen"),
                "须在产品额度范围内".into(),
                "must be within the product's amount range".into(),
            );
        }
        if c.rate_discount_bp > 1000 {
            return bad(
                &format!("grade_caps[{i}].rate_discount_bp"),
                "优惠超过 10%".into(),
                "discount above 10 %".into(),
            );
        }
    }
    if p.documents.is_empty() {
        return bad(
            "documents",
            "至少需要一项材料".into(),
            "needs at least one document".into(),
        );
    }
    if p.approval_hours == 0 {
        return bad(
            "approval_hours",
            "须大于 0".into(),
            "must be above 0".into(),
        );
    }
    Ok(())
}
