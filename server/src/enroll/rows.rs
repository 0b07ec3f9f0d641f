//! Reading and checking the rows of an enrollment file (no database): each row becomes a
//! [`Person`] or a [`Refused`] with its line and reason. Owns the columns of each kind and the
//! lookups of towns and banks by id or Chinese name.
//! Must never put a phone number into a refusal.

use super::Refused;
use crate::auth::check_phone;
use crate::directory::Directory;
use huoshui_core::domain::lifecycle::Role;
use std::collections::HashSet;

/// Which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Villagers,
    Managers,
    Admins,
}

impl Kind {
    /// `villagers`, `managers` or `admins`.
    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "villagers" => Some(Kind::Villagers),
            "managers" => Some(Kind::Managers),
            "admins" => Some(Kind::Admins),
            _ => None,
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Villagers => &["phone", "name", "town", "points"],
            Kind::Managers => &["phone", "name", "bank", "towns"],
            Kind::Admins => &["phone", "name"],
        }
    }
}

/// One person to enroll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub role: Role,
    pub phone: String,
    pub name: String,
    pub town: Option<String>,
    pub points: Option<u32>,
    pub bank_id: Option<String>,
    pub towns: Vec<String>,
}

fn refuse(line: u64, zh: &str, en: &str) -> Refused {
    Refused {
        line,
        zh: format!("第 {line} 行：{zh}"),
        en: format!("line {line}: {en}"),
    }
}

fn town_id(dir: &Directory, text: &str) -> Option<String> {
    dir.towns
        .iter()
        .find(|t| t.id == text || t.name_zh == text)
        .map(|t| t.id.clone())
}

fn bank_id(dir: &Directory, text: &str) -> Option<String> {
    dir.banks
        .iter()
        .find(|b| b.id == text || b.name_zh == text)
        .map(|b| b.id.clone())
}

fn field(record: &csv::StringRecord, i: usize) -> &str {
    record.get(i).map(str::trim).unwrap_or("")
}

/// Checks one record of `kind`.
fn person(
    dir: &Directory,
    kind: Kind,
    line: u64,
    rec: &csv::StringRecord,
) -> Result<Person, Refused> {
    let phone = field(rec, 0).to_owned();
    if check_phone(&phone).is_err() {
        return Err(refuse(
            line,
            "手机号应为 11 位数字，以 1 开头",
            "the phone must be 11 digits starting with 1",
        ));
    }
    let name = field(rec, 1).to_owned();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(refuse(
            line,
            "姓名为空或超过 40 个字",
            "the name is empty or longer than 40 characters",
        ));
    }
    let mut p = Person {
        role: Role::Administrator,
        phone,
        name,
        town: None,
        points: None,
        bank_id: None,
        towns: Vec::new(),
    };
    match kind {
        Kind::Admins => {}
        Kind::Villagers => {
            p.role = Role::Villager;
            let town = field(rec, 2);
            p.town = Some(town_id(dir, town).ok_or_else(|| {
                refuse(
                    line,
                    &format!("没有这个乡镇：{town}"),
                    &format!("no such town: {town}"),
                )
            })?);
            let points = field(rec, 3);
            if !points.is_empty() {
                p.points = Some(
                    points
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n <= 100_000)
                        .ok_or_else(|| {
                            refuse(
                                line,
                                "德治积分应为 0 到 100000 的整数",
                                "the virtue points must be a whole number from 0 to 100000",
                            )
                        })?,
                );
            }
        }
        Kind::Managers => {
            p.role = Role::Manager;
            let bank = field(rec, 2);
            p.bank_id = Some(bank_id(dir, bank).ok_or_else(|| {
                refuse(
                    line,
                    &format!("没有这家银行：{bank}"),
                    &format!("no such bank: {bank}"),
                )
            })?);
            let towns = field(rec, 3);
            p.towns = if towns == "*" {
                dir.towns.iter().map(|t| t.id.clone()).collect()
            } else {
                let mut ids = Vec::new();
                for t in towns
                    .split([';', '；'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                {
                    ids.push(town_id(dir, t).ok_or_else(|| {
                        refuse(
                            line,
                            &format!("没有这个乡镇：{t}"),
                            &format!("no such town: {t}"),
                        )
                    })?);
                }
                ids
            };
            if p.towns.is_empty() {
                return Err(refuse(
                    line,
                    "客户经理至少服务一个乡镇",
                    "a manager serves at least one town",
                ));
            }
        }
    }
    Ok(p)
}

/// Reads `text` as a file of `kind`: the people and the refused rows (a missing or wrong
/// header refuses line 1; a phone twice in the file refuses its second row).
pub fn parse(dir: &Directory, kind: Kind, text: &str) -> (Vec<(u64, Person)>, Vec<Refused>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut refused = Vec::new();
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_ascii_lowercase()).collect(),
        Err(_) => Vec::new(),
    };
    let want = kind.columns();
    if header != want {
        let cols = want.join(",");
        refused.push(refuse(
            1,
            &format!("表头应为 {cols}"),
            &format!("the header row must be {cols}"),
        ));
        return (Vec::new(), refused);
    }
    let mut people = Vec::new();
    let mut seen = HashSet::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                refused.push(refuse(
                    line,
                    "这一行无法读取（不是 UTF-8 的 CSV）",
                    "this row cannot be read (not UTF-8 CSV)",
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != want.len() {
            let n = want.len();
            refused.push(refuse(
                line,
                &format!("应有 {n} 列"),
                &format!("expected {n} columns"),
            ));
            continue;
        }
        match person(dir, kind, line, &record) {
            Ok(p) if !seen.insert(p.phone.clone()) => {
                refused.push(refuse(
                    line,
                    "这个手机号在文件中重复出现",
                    "this phone appears twice in the file",
                ));
            }
            Ok(p) => people.push((line, p)),
            Err(r) => refused.push(r),
        }
    }
    (people, refused)
}
