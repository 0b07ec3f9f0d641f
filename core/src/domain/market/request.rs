//! What the villager asks the market: amount, term, date, credit, filters, order and page
//! size, and the errors of a request the market cannot answer. Must never do I/O.

use crate::domain::catalog::{Badge, Catalog, Collateral};
use crate::domain::cost::{self, DrawingPattern};
use crate::domain::credit::{CreditError, CreditInput};
use crate::domain::money::Fen;
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

/// A request or a question the market cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketError {
    #[error(transparent)]
    Credit(#[from] CreditError),
    #[error("{} / {}", self.message_zh(), self.message_en())]
    UnknownProduct { id: String },
    #[error("{} / {}", self.message_zh(), self.message_en())]
    CompareCount { count: usize },
    #[error("{} / {}", self.message_zh(), self.message_en())]
    DuplicateProduct { id: String },
    #[error("{zh} / {en}")]
    InvalidRequest {
        field: &'static str,
        zh: String,
        en: String,
    },
}

impl MarketError {
    /// What went wrong and what to do, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            MarketError::Credit(e) => e.message_zh(),
            MarketError::UnknownProduct { id } => {
                format!("没有编号为「{id}」的贷款产品，请用 huoshui market 查看产品编号")
            }
            MarketError::CompareCount { count } => {
                format!("对比需要 2 到 4 个产品，收到 {count} 个")
            }
            MarketError::DuplicateProduct { id } => {
                format!("产品「{id}」在对比中出现了两次，请换一个")
            }
            MarketError::InvalidRequest { zh, .. } => zh.clone(),
        }
    }

    /// What went wrong and what to do, in English.
    pub fn message_en(&self) -> String {
        match self {
            MarketError::Credit(e) => e.message_en(),
            MarketError::UnknownProduct { id } => format!(
                "there is no loan product \"{id}\"; list the product ids with huoshui market"
            ),
            MarketError::CompareCount { count } => {
                format!("a comparison takes 2 to 4 products, got {count}")
            }
            MarketError::DuplicateProduct { id } => {
                format!("product \"{id}\" appears twice in the comparison; pick another")
            }
            MarketError::InvalidRequest { en, .. } => en.clone(),
        }
    }
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
