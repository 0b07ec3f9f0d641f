//! CSV export of every table on the page (`GET /admin/export/{table}.csv`): UTF-8 with a byte
//! order mark (so spreadsheet programs read the Chinese names), one header row in Chinese,
//! amounts in exact fen and waits in whole seconds (the page rounds; the export does not).
//! Owns the column layout only; the numbers are [`super::figures`]'s.

use super::figures::{Amounts, Figures, Wait};
use crate::error::ApiError;

/// The tables that can be exported.
pub const TABLES: [&str; 6] = [
    "by-bank",
    "by-town",
    "by-product",
    "by-day",
    "contact",
    "villagers",
];

const AMOUNT_HEAD: [&str; 6] = [
    "申请件数",
    "申请金额(分)",
    "批准件数",
    "批准金额(分)",
    "放款件数",
    "放款金额(分)",
];

fn amount_cells(a: &Amounts) -> Vec<String> {
    [
        a.applied,
        a.applied_fen,
        a.approved,
        a.approved_fen,
        a.disbursed,
        a.disbursed_fen,
    ]
    .iter()
    .map(i64::to_string)
    .collect()
}

fn wait_seconds(w: Option<Wait>) -> String {
    match w {
        Some(Wait::AtMostMs(ms)) => (ms / 1000).to_string(),
        Some(Wait::OverADay) => ">86400".to_owned(),
        None => String::new(),
    }
}

fn csv_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(&format!("csv: {e}"))
}

/// The CSV of `table`, or `None` when there is no such table (or it is not in the scope).
pub fn table(f: &Figures, table: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    let lines = match table {
        "by-bank" => Some(("bank_id", "银行", &f.by_bank)),
        "by-town" => Some(("town_id", "乡镇（街道）", &f.by_town)),
        "by-product" => Some(("product_id", "产品", &f.by_product)),
        _ => None,
    };
    if let Some((key, name, lines)) = lines {
        let mut head = vec![key.to_owned(), name.to_owned()];
        head.extend(AMOUNT_HEAD.iter().map(|s| (*s).to_owned()));
        head.push("督办件数".to_owned());
        w.write_record(&head).map_err(csv_error)?;
        for l in lines {
            let mut row = vec![l.key.clone(), l.name_zh.clone()];
            row.extend(amount_cells(&l.amounts));
            row.push(l.amounts.escalated.to_string());
            w.write_record(&row).map_err(csv_error)?;
        }
    } else {
        match table {
            "by-day" => {
                let mut head = vec!["日期".to_owned()];
                head.extend(AMOUNT_HEAD.iter().map(|s| (*s).to_owned()));
                head.push("首次联系件数".to_owned());
                head.push("督办件数".to_owned());
                w.write_record(&head).map_err(csv_error)?;
                for d in &f.by_day {
                    let mut row = vec![d.date.to_string()];
                    row.extend(amount_cells(&d.amounts));
                    row.push(d.amounts.contacted.to_string());
                    row.push(d.amounts.escalated.to_string());
                    w.write_record(&row).map_err(csv_error)?;
                }
            }
            "contact" => {
                w.write_record([
                    "bank_id",
                    "银行",
                    "已联系件数",
                    "中位数(秒,分档上限)",
                    "90%分位(秒,分档上限)",
                    &format!("{}分钟内件数", f.first_contact_minutes),
                    &format!("{}分钟内占比(‰)", f.first_contact_minutes),
                    "督办件数",
                ])
                .map_err(csv_error)?;
                for c in &f.contact {
                    w.write_record([
                        c.bank_id.clone(),
                        c.name_zh.clone(),
                        c.contacted.to_string(),
                        wait_seconds(c.median),
                        wait_seconds(c.p90),
                        c.within_deadline.to_string(),
                        c.within_permille.map(|p| p.to_string()).unwrap_or_default(),
                        c.escalated.to_string(),
                    ])
                    .map_err(csv_error)?;
                }
            }
            "villagers" => {
                let Some(v) = f.villagers else {
                    return Ok(None);
                };
                w.write_record(["在册村民", "近30天提交过申请的村民"])
                    .map_err(csv_error)?;
                w.write_record([v.enrolled.to_string(), v.active.to_string()])
                    .map_err(csv_error)?;
            }
            _ => return Ok(None),
        }
    }
    w.into_inner().map(Some).map_err(csv_error)
}
