//! Two to four offers side by side: the column heads and one aligned row per aspect, each
//! cell in Chinese and English with the number behind it, the best column marked where lower
//! or higher is plainly better. The rows are a table ([`ROWS`]): one line per aspect says its
//! key, labels, which way is better and how a cell is made. Must never do I/O.

use super::{MarketError, MarketRequest, Offer, describe_hours, describe_repayment, offer_for};
use crate::domain::catalog::{Catalog, Product};
use crate::domain::money::{Fen, RatePpm, format_percent, format_wan, format_yuan};
use serde::{Deserialize, Serialize};

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

/// Which way a row's value is better, if either is.
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

/// One row of the comparison: its stable key, its labels, which way is better, and how the
/// cell of one column (its product and its offer) is made.
struct RowSpec {
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    better: Better,
    cell: fn(&Catalog, &Product, &Offer) -> ComparisonCell,
}

/// The rows, in the order shown.
const ROWS: &[RowSpec] = &[
    RowSpec {
        key: "bank",
        zh: "银行",
        en: "Bank",
        better: Better::None,
        cell: |catalog, p, _| {
            let b = catalog.bank(&p.bank);
            text_cell(
                b.map(|b| b.name_zh.clone()).unwrap_or_default(),
                b.map(|b| b.name_en.clone()).unwrap_or_default(),
            )
        },
    },
    RowSpec {
        key: "eligible",
        zh: "能否申请",
        en: "Eligible",
        better: Better::None,
        cell: |_, _, o| eligible_cell(o),
    },
    RowSpec {
        key: "annual_rate",
        zh: "年利率",
        en: "Annual rate",
        better: Better::Lower,
        cell: |_, _, o| rate_cell(o.annual_rate_ppm),
    },
    RowSpec {
        key: "repayment",
        zh: "还款方式",
        en: "Repayment",
        better: Better::None,
        cell: |_, p, _| {
            let (zh, en) = describe_repayment(&p.repayment);
            text_cell(zh, en)
        },
    },
    RowSpec {
        key: "collateral",
        zh: "担保方式",
        en: "Collateral",
        better: Better::None,
        cell: |_, p, _| text_cell(p.collateral.name_zh(), p.collateral.name_en()),
    },
    RowSpec {
        key: "first_payment",
        zh: "首期还款",
        en: "First payment",
        better: Better::Lower,
        cell: |_, _, o| money_cell(o.cost.as_ref().map(|c| c.first_payment)),
    },
    RowSpec {
        key: "largest_payment",
        zh: "最高一期还款",
        en: "Largest payment",
        better: Better::Lower,
        cell: |_, _, o| money_cell(o.cost.as_ref().map(|c| c.largest_payment)),
    },
    RowSpec {
        key: "total_interest",
        zh: "总利息",
        en: "Total interest",
        better: Better::Lower,
        cell: |_, _, o| money_cell(o.cost.as_ref().map(|c| c.total_interest)),
    },
    RowSpec {
        key: "fees",
        zh: "费用（含担保费）",
        en: "Fees (incl. guarantee)",
        better: Better::Lower,
        cell: |_, _, o| money_cell(o.cost.as_ref().map(|c| c.fees)),
    },
    RowSpec {
        key: "contract_cost",
        zh: "合同成本",
        en: "Contract cost",
        better: Better::Lower,
        cell: |_, _, o| money_cell(o.cost.as_ref().map(|c| c.contract_cost)),
    },
    RowSpec {
        key: "subsidies",
        zh: "政府补贴（贴息+担保费补贴）",
        en: "Subsidies (interest + fee)",
        better: Better::Higher,
        cell: |_, _, o| {
            money_cell(
                o.cost
                    .as_ref()
                    .map(|c| c.interest_subsidy.saturating_add(c.fee_subsidy)),
            )
        },
    },
    RowSpec {
        key: "net_cost",
        zh: "按时还款的净成本",
        en: "Net cost if repaid on time",
        better: Better::Lower,
        cell: |_, _, o| money_cell(o.cost.as_ref().map(|c| c.net_cost)),
    },
    RowSpec {
        key: "apr",
        zh: "年化利率",
        en: "APR",
        better: Better::Lower,
        cell: |_, _, o| rate_cell(o.cost.as_ref().map(|c| c.apr.nominal_ppm)),
    },
    RowSpec {
        key: "apr_effective",
        zh: "实际年利率（复利）",
        en: "Effective annual rate",
        better: Better::Lower,
        cell: |_, _, o| rate_cell(o.cost.as_ref().map(|c| c.apr.effective_ppm)),
    },
    RowSpec {
        key: "max_amount",
        zh: "您最高可贷",
        en: "Most you can borrow",
        better: Better::Higher,
        cell: |_, _, o| ComparisonCell {
            zh: format_wan(o.max_amount),
            en: format_wan(o.max_amount),
            value: Some(o.max_amount),
        },
    },
    RowSpec {
        key: "approval",
        zh: "审批时间",
        en: "Approval time",
        better: Better::Lower,
        cell: |_, _, o| {
            let (zh, en) = describe_hours(o.approval_hours);
            ComparisonCell {
                zh,
                en,
                value: Some(i64::from(o.approval_hours)),
            }
        },
    },
    RowSpec {
        key: "badges",
        zh: "特色",
        en: "Features",
        better: Better::None,
        cell: |_, _, o| text_cell(o.badges.names_zh(), o.badges.names_en()),
    },
    RowSpec {
        key: "documents",
        zh: "所需材料",
        en: "Documents",
        better: Better::None,
        cell: |_, p, _| {
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
        },
    },
];

/// "可以申请", or "不符合：" and every reason.
fn eligible_cell(o: &Offer) -> ComparisonCell {
    if o.eligible {
        return ComparisonCell {
            zh: "可以申请".into(),
            en: "yes".into(),
            value: Some(1),
        };
    }
    let zh: Vec<&str> = o.reasons.iter().map(|r| r.zh.as_str()).collect();
    let en: Vec<&str> = o.reasons.iter().map(|r| r.en.as_str()).collect();
    ComparisonCell {
        zh: format!("不符合：{}", zh.join("；")),
        en: format!("no: {}", en.join("; ")),
        value: Some(0),
    }
}

/// The column with the best value among the eligible offers (ties: the leftmost).
fn best_column(better: Better, cells: &[ComparisonCell], offers: &[Offer]) -> Option<usize> {
    let candidates = cells
        .iter()
        .zip(offers)
        .enumerate()
        .filter(|(_, (_, o))| o.eligible)
        .filter_map(|(i, (c, _))| Some((i, c.value?)));
    match better {
        Better::None => None,
        Better::Lower => candidates.min_by_key(|&(i, v)| (v, i)).map(|x| x.0),
        Better::Higher => candidates
            .max_by_key(|&(i, v)| (v, std::cmp::Reverse(i)))
            .map(|x| x.0),
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
    let rows = ROWS
        .iter()
        .map(|spec| {
            let cells: Vec<ComparisonCell> = products
                .iter()
                .zip(&offers)
                .map(|(p, o)| (spec.cell)(catalog, p, o))
                .collect();
            ComparisonRow {
                key: spec.key.into(),
                label_zh: spec.zh.into(),
                label_en: spec.en.into(),
                best: best_column(spec.better, &cells, &offers),
                cells,
            }
        })
        .collect();
    Ok(Comparison {
        columns,
        rows,
        offers,
    })
}
