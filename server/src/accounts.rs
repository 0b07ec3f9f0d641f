//! Accounts: villagers, account managers (each of one bank, serving some towns) and county
//! administrators, plus the demo accounts a fresh platform is seeded with.
//! Owns the `users` and `manager_towns` tables, with each villager's virtue points on record.
//! Must never store a phone number in plain text: only its keyed MAC (for lookup), a masked form
//! (for display) and the full number sealed under the server key (released by
//! [`crate::contacts`] alone).

use crate::db::Db;
use crate::directory::Directory;
use crate::error::ApiError;
use crate::keys::{ServerKeys, mask_phone};
use crate::sql::{OptionalExtension, Tx};
use huoshui_core::domain::lifecycle::{Actor, Role};
use huoshui_core::wire::UserView;
use serde::Serialize;

/// A signed-in person as the platform keeps them (shown as [`UserView`]).
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub role: Role,
    pub name: String,
    /// Masked, e.g. `138****0001`.
    pub phone: String,
    /// The villager's town.
    pub town: Option<String>,
    /// The manager's bank.
    pub bank_id: Option<String>,
    /// The towns a manager serves.
    pub towns: Vec<String>,
    /// A villager's virtue points on the county's record.
    pub points: Option<u32>,
}

impl User {
    /// What the API shows of this user: a villager's points with the grade they reach in the
    /// county's table.
    pub fn view(&self, dir: &Directory) -> UserView {
        let grade = self.points.and_then(|p| dir.grade_for_points(p));
        UserView {
            id: self.id.clone(),
            role: self.role,
            name: self.name.clone(),
            phone: self.phone.clone(),
            town: self.town.clone(),
            bank_id: self.bank_id.clone(),
            towns: self.towns.clone(),
            points: self.points,
            grade,
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            role: self.role,
            id: self.id.clone(),
        }
    }
}

pub fn role_code(role: Role) -> &'static str {
    match role {
        Role::Villager => "villager",
        Role::Manager => "manager",
        Role::Administrator => "administrator",
        Role::System => "system",
    }
}

pub(crate) fn role_from(code: &str) -> Role {
    match code {
        "villager" => Role::Villager,
        "manager" => Role::Manager,
        "administrator" => Role::Administrator,
        _ => Role::System,
    }
}

/// Loads a user by id (through the storage seam, [`crate::repo::Accounts`]).
pub fn load(conn: &Tx<'_>, id: &str) -> Result<Option<User>, ApiError> {
    crate::repo::Accounts::user(&mut { conn }, id)
}

/// The user id behind a phone MAC.
pub fn find_by_phone_mac(conn: &Tx<'_>, mac: &str) -> Result<Option<String>, ApiError> {
    crate::repo::Accounts::user_by_phone_mac(&mut { conn }, mac)
}

/// The administrator escalations go to (the first by id).
pub fn first_administrator(conn: &Tx<'_>) -> Result<Option<String>, ApiError> {
    Ok(conn
        .prepare_cached("SELECT id FROM users WHERE role = 'administrator' ORDER BY id LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// Every administrator id (they all watch escalations).
pub fn administrators(conn: &Tx<'_>) -> Result<Vec<String>, ApiError> {
    let mut stmt =
        conn.prepare_cached("SELECT id FROM users WHERE role = 'administrator' ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?);
    }
    Ok(out)
}

/// One demo account as printed at start.
#[derive(Debug, Clone, Serialize)]
pub struct DemoAccount {
    pub id: String,
    pub role: Role,
    pub name: String,
    /// The full demo phone number (demo data only; printed to the terminal, never logged).
    pub phone: String,
    pub town: Option<String>,
    pub bank_id: Option<String>,
    pub towns: Vec<String>,
    /// A villager's virtue points (demo data spread across the grades; some have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
}

/// The demo villagers' virtue points, v001 first: every grade of the county's table, some
/// below the lowest grade and some with none. v001 is the cherry grower of DESIGN §1 (1,052
/// points, AAA).
const DEMO_POINTS: [Option<u32>; 12] = [
    Some(1052),
    Some(860),
    Some(650),
    Some(420),
    Some(230),
    Some(120),
    None,
    Some(990),
    Some(1200),
    Some(700),
    None,
    Some(310),
];

const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
const GIVEN: [&str; 8] = [
    "建国", "秀英", "志强", "桂兰", "德胜", "玉梅", "长江", "春花",
];

/// The demo accounts for a catalog: three villagers in each of the first four towns, two
/// managers per bank (the first serves every town, the second only the first three, so routing
/// has a choice there and none in the fourth), and one county administrator.
pub fn demo_accounts(dir: &Directory) -> Vec<DemoAccount> {
    let mut out = Vec::new();
    let mut n = 0usize;
    for town in dir.towns.iter().take(4) {
        for _ in 0..3 {
            n += 1;
            let name = format!(
                "{}{}",
                SURNAMES.get(n % SURNAMES.len()).copied().unwrap_or("王"),
                GIVEN
                    .get((n / SURNAMES.len() + n) % GIVEN.len())
                    .copied()
                    .unwrap_or("建国")
            );
            out.push(DemoAccount {
                id: format!("v{n:03}"),
                role: Role::Villager,
                name,
                phone: format!("138{n:08}"),
                town: Some(town.id.clone()),
                bank_id: None,
                towns: Vec::new(),
                points: DEMO_POINTS.get(n - 1).copied().flatten(),
            });
        }
    }
    let all_towns: Vec<String> = dir.towns.iter().map(|t| t.id.clone()).collect();
    let seat: Vec<String> = all_towns.iter().take(3).cloned().collect();
    for (b, bank) in dir.banks.iter().enumerate() {
        for m in 1..=2usize {
            out.push(DemoAccount {
                id: format!("m-{}-{m}", bank.id),
                role: Role::Manager,
                name: format!("{}客户经理{m}", bank.name_zh),
                phone: format!("139{:06}{m:02}", b + 1),
                town: None,
                bank_id: Some(bank.id.clone()),
                towns: if m == 1 {
                    all_towns.clone()
                } else {
                    seat.clone()
                },
                points: None,
            });
        }
    }
    out.push(DemoAccount {
        id: "admin".to_owned(),
        role: Role::Administrator,
        name: "冠县金融服务中心管理员".to_owned(),
        phone: "13700000001".to_owned(),
        town: None,
        bank_id: None,
        towns: Vec::new(),
        points: None,
    });
    out
}

/// Inserts the demo accounts that are not there yet (idempotent across restarts), and fills in
/// what a database from an older version lacks (points, the sealed phone).
pub async fn seed(
    db: &Db,
    keys: std::sync::Arc<ServerKeys>,
    accounts: Vec<DemoAccount>,
) -> Result<usize, ApiError> {
    db.write(move |conn| {
        let mut added = 0usize;
        for a in &accounts {
            let row = crate::repo::UserRow {
                id: a.id.clone(),
                role: a.role,
                phone_mac: keys.phone_mac(&a.phone),
                phone_masked: mask_phone(&a.phone),
                name: a.name.clone(),
                town: a.town.clone(),
                bank_id: a.bank_id.clone(),
                points: a.points,
                phone_sealed: keys.seal_phone(&a.id, &a.phone)?,
                towns: a.towns.clone(),
            };
            added += usize::from(crate::repo::Accounts::seed_user(&mut { conn }, &row)?);
        }
        Ok(added)
    })
    .await
}
