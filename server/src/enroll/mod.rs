//! Enrollment from the county's own records: `huoshui admin import villagers|managers|admins
//! FILE.csv`. Owns reading those CSV files (UTF-8, a header row, the `csv` crate), checking
//! every row against the catalog (towns, banks) and writing the accounts.
//!
//! Columns (a header row names them, in this order):
//! - villagers: `phone,name,town,points` — the town by id (`chongwen`) or Chinese name; the
//!   virtue points on the county's record, empty for none. These points are what the market's
//!   grade and the platform's eligibility check read (`users.points`, see [`crate::accounts`]).
//! - managers: `phone,name,bank,towns` — the bank by id or Chinese name; the towns served,
//!   separated by `;` (ids or names), or `*` for every town.
//! - admins: `phone,name`.
//!
//! Re-importing is idempotent: a person is found by their phone (its keyed MAC) and updated in
//! place; their id is derived from that MAC (`v-…`, `m-…`, `a-…`), so it never changes. A
//! phone already enrolled in another role is refused. Nothing is half-imported: the whole
//! file is one transaction, and a file with any refused row imports nothing, unless
//! `skip_bad` is asked for (`--skip-bad`): then the good rows are imported and the refused
//! ones reported. Every refusal says its line and why, in Chinese and English.
//! Must never log or print a phone number (a refusal names the line, not the number).

mod rows;

use crate::accounts::role_code;
use crate::directory::Directory;
use crate::error::ApiError;
use crate::keys::{ServerKeys, mask_phone};
use crate::sql::{OptionalExtension, Tx, params};
use huoshui_core::domain::lifecycle::Role;
use serde::Serialize;
use std::sync::Arc;

pub use rows::{Kind, Person, parse};

/// A refused row: its line in the file and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub line: u64,
    pub zh: String,
    pub en: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Accounts created.
    pub added: usize,
    /// Accounts already enrolled, brought up to the file.
    pub updated: usize,
    /// Rows refused (with `skip_bad` they are left out; without it nothing was imported).
    pub refused: Vec<Refused>,
    /// Whether the file's rows were written.
    pub imported: bool,
}

/// The id a person is enrolled under: the role's letter and the start of the phone's MAC.
fn enrolled_id(role: Role, mac: &str) -> String {
    let prefix = match role {
        Role::Villager => "v",
        Role::Manager => "m",
        _ => "a",
    };
    format!("{prefix}-{}", mac.get(..16).unwrap_or(mac))
}

/// A row that passed the file's checks, with its phone's MAC and sealed number.
struct Ready {
    line: u64,
    person: Person,
    mac: String,
}

fn role_of(conn: &Tx<'_>, mac: &str) -> Result<Option<(String, String)>, ApiError> {
    Ok(conn
        .prepare_cached("SELECT id, role FROM users WHERE phone_mac = ?1")?
        .query_row(params![mac], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

fn write_person(
    conn: &Tx<'_>,
    keys: &ServerKeys,
    r: &Ready,
    existing: Option<String>,
) -> Result<bool, ApiError> {
    let p = &r.person;
    let added = existing.is_none();
    let id = existing.unwrap_or_else(|| enrolled_id(p.role, &r.mac));
    let sealed = keys.seal_phone(&id, &p.phone)?;
    conn.execute(
        "INSERT INTO users (id, role, phone_mac, phone_masked, name, town, bank_id, points, phone_sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET name = ?5, town = ?6, bank_id = ?7, points = ?8, phone_sealed = ?9",
        params![id, role_code(p.role), r.mac, mask_phone(&p.phone), p.name, p.town, p.bank_id, p.points, sealed],
    )?;
    if p.role == Role::Manager {
        conn.execute(
            "DELETE FROM manager_towns WHERE manager_id = ?1",
            params![id],
        )?;
        for t in &p.towns {
            conn.execute(
                "INSERT INTO manager_towns (manager_id, town) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![id, t],
            )?;
        }
    }
    Ok(added)
}

/// Imports `text` (a CSV file's content) as `kind` into the platform's database.
pub async fn import(
    db: &crate::db::Db,
    keys: Arc<ServerKeys>,
    dir: &Directory,
    kind: Kind,
    text: &str,
    skip_bad: bool,
) -> Result<Report, ApiError> {
    let (people, mut refused) = parse(dir, kind, text);
    let ready: Vec<Ready> = people
        .into_iter()
        .map(|(line, person)| Ready {
            line,
            mac: keys.phone_mac(&person.phone),
            person,
        })
        .collect();
    db.write(move |conn| {
        let mut plan = Vec::new();
        for r in ready {
            match role_of(conn, &r.mac)? {
                Some((_, role)) if role != role_code(r.person.role) => refused.push(Refused {
                    line: r.line,
                    zh: format!("第 {} 行：这个手机号已登记为其他角色（{role}）", r.line),
                    en: format!(
                        "line {}: this phone is already enrolled in another role ({role})",
                        r.line
                    ),
                }),
                found => plan.push((r, found.map(|(id, _)| id))),
            }
        }
        refused.sort_by_key(|r| r.line);
        let mut report = Report {
            refused,
            ..Report::default()
        };
        if !report.refused.is_empty() && !skip_bad {
            return Ok(report);
        }
        for (r, existing) in &plan {
            if write_person(conn, &keys, r, existing.clone())? {
                report.added += 1;
            } else {
                report.updated += 1;
            }
        }
        report.imported = true;
        Ok(report)
    })
    .await
}
