//! The supervision figures (issue 12) over the real server: what the counters say equals a
//! recount of every application from its own events (read back through the API), for the
//! county and for one bank; and a database from before the counters existed gets the same
//! figures from its events when it is migrated.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use huoshui_server::supervision::figures::{self, Figures, Scope, Wait};
use huoshui_server::supervision::schema::bucket_of;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const BANKS: [&str; 5] = ["runchang", "abc", "psbc", "ccb", "cunzhen"];

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

/// A varied month on the platform: submissions by several villagers to every bank over
/// several days, first contacts after different waits, approvals, disbursements, escalations
/// (one acknowledged). Answers nothing: the truth is read back from the API afterwards.
async fn a_month_on_the_platform(p: &Platform) {
    let villagers = ["v001", "v002", "v009", "v010"];
    let mut sessions = Vec::new();
    for v in villagers {
        sessions.push(p.login(v).await);
    }
    let admin = p.login("admin").await;
    let mut managers = BTreeMap::new();
    for b in BANKS {
        for m in 1..=2 {
            let id = format!("m-{b}-{m}");
            managers.insert(id.clone(), p.login(&id).await);
        }
    }
    let waits = [20, 95, 240, 300, 301, 420, 3_700, 30];
    let mut n = 0usize;
    for day in 0..4i64 {
        for (bi, bank) in BANKS.iter().enumerate() {
            let product = p.product_of_bank(bank).await;
            let v = &sessions[(day as usize + bi) % sessions.len()];
            let key = uuid::Uuid::new_v4().to_string();
            let amount = product.1 * (1 + (n as i64 % 3));
            let a = v
                .submit(
                    &key,
                    json!({"product_id": product.0, "amount_fen": amount, "months": product.2}),
                )
                .await;
            if a.status != StatusCode::CREATED {
                continue;
            }
            let id = a.body["id"].as_str().unwrap().to_owned();
            let m = &managers[a.body["manager_id"].as_str().unwrap()];
            n += 1;
            match n % 5 {
                // Never called: escalates at +10 minutes; every other one is acknowledged.
                0 => {
                    p.clock.advance(secs(11 * 60));
                    p.running.sweep_sla().await.unwrap();
                    if n.is_multiple_of(2) {
                        let r = admin
                            .post(
                                &format!("/v1/admin/applications/{id}/acknowledge"),
                                json!({}),
                            )
                            .await;
                        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                    }
                }
                k => {
                    p.clock.advance(secs(waits[n % waits.len()]));
                    let r = m
                        .post(
                            &format!("/v1/applications/{id}/contact"),
                            json!({"outcome": "reached"}),
                        )
                        .await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                    if k >= 2 {
                        let r = m
                            .post(&format!("/v1/applications/{id}/start-review"), json!({}))
                            .await;
                        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                        let approved = amount - (amount / 10) * (k as i64 % 2);
                        let r = m
                            .post(
                                &format!("/v1/applications/{id}/approve"),
                                json!({"amount_fen": approved, "months": product.2, "annual_rate_ppm": 38_500}),
                            )
                            .await;
                        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                        if k >= 3 {
                            let r = v
                                .post(&format!("/v1/applications/{id}/accept"), json!({}))
                                .await;
                            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                            p.clock.advance(secs(3_600));
                            let r = m
                                .post(
                                    &format!("/v1/applications/{id}/disburse"),
                                    json!({"amount_fen": approved}),
                                )
                                .await;
                            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                        }
                    }
                }
            }
            p.clock.advance(secs(600));
        }
        p.clock.advance(secs(86_400));
    }
    assert!(n >= 12, "enough applications were made ({n})");
}

/// The figures as the page reads them.
async fn read_figures(p: &Platform, scope: Scope) -> Figures {
    let dir = p.running.state.dir.clone();
    let now = p.clock.now_ts();
    p.running
        .state
        .db
        .read(move |conn| figures::compute(conn, &dir, &scope, now, 5))
        .await
        .unwrap()
}

trait Now {
    fn now_ts(&self) -> Timestamp;
}
impl Now for std::sync::Arc<huoshui_server::clock::ManualClock> {
    fn now_ts(&self) -> Timestamp {
        use huoshui_server::clock::Clock;
        self.now()
    }
}

/// Every application with its events, read back through the administrator's API.
async fn every_application(p: &Platform) -> Vec<Value> {
    let admin = p.login("admin").await;
    let list = admin.get("/v1/applications?limit=500").await;
    let mut out = Vec::new();
    for a in list.body["applications"].as_array().unwrap() {
        let d = admin
            .get(&format!("/v1/applications/{}", a["id"].as_str().unwrap()))
            .await;
        out.push(d.body);
    }
    out
}

fn at(e: &Value) -> Timestamp {
    e["at"].as_str().unwrap().parse().unwrap()
}

fn china_date(t: Timestamp) -> jiff::civil::Date {
    jiff::tz::TimeZone::fixed(jiff::tz::offset(8))
        .to_datetime(t)
        .date()
}

#[derive(Default, Debug, PartialEq, Eq, Clone, Copy)]
struct Count {
    applied: i64,
    applied_fen: i64,
    approved: i64,
    approved_fen: i64,
    disbursed: i64,
    disbursed_fen: i64,
    escalated: i64,
}

/// The recount: per bank (all time), per day (China date), the waits per bank.
struct Recount {
    bank: BTreeMap<String, Count>,
    town: BTreeMap<String, Count>,
    product: BTreeMap<String, Count>,
    day: BTreeMap<jiff::civil::Date, Count>,
    waits: BTreeMap<String, Vec<i64>>,
    villagers: BTreeSet<String>,
}

fn recount(apps: &[Value]) -> Recount {
    let mut r = Recount {
        bank: BTreeMap::new(),
        town: BTreeMap::new(),
        product: BTreeMap::new(),
        day: BTreeMap::new(),
        waits: BTreeMap::new(),
        villagers: BTreeSet::new(),
    };
    for a in apps {
        let bank = a["bank_id"].as_str().unwrap().to_owned();
        let town = a["town"].as_str().unwrap().to_owned();
        let product = a["product_id"].as_str().unwrap().to_owned();
        let events = a["events"].as_array().unwrap();
        let submitted = events
            .iter()
            .find(|e| e["kind"]["type"] == "submitted")
            .map(at);
        let mut bump = |t: Timestamp, f: &dyn Fn(&mut Count)| {
            f(r.bank.entry(bank.clone()).or_default());
            f(r.town.entry(town.clone()).or_default());
            f(r.product.entry(product.clone()).or_default());
            f(r.day.entry(china_date(t)).or_default());
        };
        for e in events {
            let k = &e["kind"];
            match k["type"].as_str().unwrap() {
                "submitted" => {
                    let amount = a["amount_fen"].as_i64().unwrap();
                    bump(at(e), &|c| {
                        c.applied += 1;
                        c.applied_fen += amount;
                    });
                }
                "approved" => {
                    let amount = k["offer"]["amount"].as_i64().unwrap();
                    bump(at(e), &|c| {
                        c.approved += 1;
                        c.approved_fen += amount;
                    });
                }
                "disbursed" => {
                    let amount = k["amount"].as_i64().unwrap();
                    bump(at(e), &|c| {
                        c.disbursed += 1;
                        c.disbursed_fen += amount;
                    });
                }
                "escalated" => bump(at(e), &|c| c.escalated += 1),
                "contacted" => {
                    let wait = (at(e) - submitted.unwrap()).as_millis() as i64;
                    r.waits.entry(bank.clone()).or_default().push(wait);
                }
                _ => {}
            }
        }
        r.villagers
            .insert(a["villager_id"].as_str().unwrap().to_owned());
    }
    r
}

fn count_of(a: &figures::Amounts) -> Count {
    Count {
        applied: a.applied,
        applied_fen: a.applied_fen,
        approved: a.approved,
        approved_fen: a.approved_fen,
        disbursed: a.disbursed,
        disbursed_fen: a.disbursed_fen,
        escalated: a.escalated,
    }
}

/// The exact nearest-rank quantile of `waits`.
fn exact(waits: &[i64], num: usize, den: usize) -> i64 {
    let mut w = waits.to_vec();
    w.sort();
    let rank = (w.len() * num).div_ceil(den).max(1);
    w[rank - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_equal_a_recount_of_every_application_from_its_events() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    a_month_on_the_platform(&p).await;
    let f = read_figures(&p, Scope::County).await;
    let apps = every_application(&p).await;
    let r = recount(&apps);

    for line in &f.by_bank {
        assert_eq!(
            count_of(&line.amounts),
            r.bank.get(&line.key).copied().unwrap_or_default(),
            "bank {}",
            line.key
        );
    }
    for line in &f.by_town {
        assert_eq!(
            count_of(&line.amounts),
            r.town.get(&line.key).copied().unwrap_or_default(),
            "town {}",
            line.key
        );
    }
    for line in &f.by_product {
        assert_eq!(
            count_of(&line.amounts),
            r.product.get(&line.key).copied().unwrap_or_default(),
            "product {}",
            line.key
        );
    }
    assert_eq!(f.totals.applied as usize, apps.len());
    assert_eq!(f.by_day.len(), 30);
    assert_eq!(f.by_day.last().unwrap().date, china_date(p.clock.now_ts()));
    for d in &f.by_day {
        assert_eq!(
            count_of(&d.amounts),
            r.day.get(&d.date).copied().unwrap_or_default(),
            "day {}",
            d.date
        );
    }
    assert!(r.day.len() >= 4, "the month spans several China days");

    let mut checked = 0;
    for c in &f.contact {
        let waits = r.waits.get(&c.bank_id).cloned().unwrap_or_default();
        assert_eq!(c.contacted as usize, waits.len(), "bank {}", c.bank_id);
        let within = waits.iter().filter(|w| **w <= 5 * 60_000).count() as i64;
        assert_eq!(c.within_deadline, within, "bank {}", c.bank_id);
        if waits.is_empty() {
            assert_eq!(c.median, None);
            assert_eq!(c.within_permille, None);
            continue;
        }
        assert_eq!(c.within_permille, Some(within * 1000 / waits.len() as i64));
        for (q, (num, den)) in [(c.median, (1, 2)), (c.p90, (9, 10))] {
            let exact = exact(&waits, num, den);
            let Some(Wait::AtMostMs(bound)) = q else {
                panic!("a wait under a day: {q:?}")
            };
            assert_eq!(
                bucket_of(exact),
                bucket_of(bound),
                "bank {}: {exact} ms read as {bound} ms",
                c.bank_id
            );
            assert!(bound >= exact && bound - exact < 60_000);
        }
        checked += 1;
    }
    assert!(checked >= 3, "waits were checked for several banks");
    let escalated: i64 = r.bank.values().map(|c| c.escalated).sum();
    assert!(escalated >= 2, "the month had escalations ({escalated})");

    let v = f.villagers.unwrap();
    assert_eq!(v.enrolled, 12, "the twelve demo villagers");
    assert_eq!(v.active as usize, r.villagers.len());
    let acknowledged = apps
        .iter()
        .filter(|a| {
            a["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"]["type"] == "escalation_acknowledged")
        })
        .count() as i64;
    assert!(acknowledged >= 1);
    assert_eq!(f.open_escalations, escalated - acknowledged);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managers_figures_hold_their_own_bank_only() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    a_month_on_the_platform(&p).await;
    let county = read_figures(&p, Scope::County).await;
    let f = read_figures(&p, Scope::Bank("abc".into())).await;
    assert_eq!(f.by_bank.len(), 1);
    assert_eq!(f.by_bank[0].key, "abc");
    assert_eq!(f.contact.len(), 1);
    assert!(
        f.villagers.is_none(),
        "county-wide villager counts are for administrators"
    );
    let abc = county.by_bank.iter().find(|l| l.key == "abc").unwrap();
    assert_eq!(f.totals, abc.amounts);
    assert!(f.totals.applied > 0 && f.totals.applied < county.totals.applied);
    assert!(f.by_product.iter().all(|l| l.key.starts_with("abc-")));
    let by_day: i64 = f.by_day.iter().map(|d| d.amounts.applied).sum();
    assert_eq!(
        by_day, f.totals.applied,
        "every application of the month is in the 30 days"
    );
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_the_counters_gets_them_from_its_events_when_migrated() {
    let tmp = tempdir();
    let p = Platform::start(tmp.path()).await;
    if p.running.state.db.backend() != huoshui_server::sql::Backend::Sqlite {
        // PostgreSQL has had the counters since its events table (`repo::pg_schema_v5`): no
        // database there is from before them.
        eprintln!("skipped: only a SQLite database can be from before the counters");
        p.stop().await;
        return;
    }
    a_month_on_the_platform(&p).await;
    let before = read_figures(&p, Scope::County).await;
    let clock = p.stop().await;

    // Take the database back to version 5: no counters, no triggers, no browser sessions.
    {
        let conn = rusqlite::Connection::open(tmp.path().join("platform.sqlite3")).unwrap();
        let triggers: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'supervision_%' AND tbl_name != 'supervision_bump'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(triggers.len() >= 8, "{triggers:?}");
        for t in triggers {
            conn.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
        }
        conn.execute_batch(
            "DROP VIEW supervision_bump; DROP TABLE supervision_daily; DROP TABLE supervision_totals;
             DROP TABLE supervision_contact; DROP TABLE supervision_villagers; DROP TABLE supervision_counters;
             DROP TABLE supervision_escalations; DROP TABLE admin_sessions; PRAGMA user_version = 5;",
        )
        .unwrap();
    }
    let p = Platform::start_with(tmp.path(), clock).await;
    let after = read_figures(&p, Scope::County).await;
    assert_eq!(
        format!("{:?}", after.by_bank),
        format!("{:?}", before.by_bank)
    );
    assert_eq!(
        format!("{:?}", after.by_town),
        format!("{:?}", before.by_town)
    );
    assert_eq!(
        format!("{:?}", after.by_product),
        format!("{:?}", before.by_product)
    );
    assert_eq!(
        format!("{:?}", after.by_day),
        format!("{:?}", before.by_day)
    );
    assert_eq!(
        format!("{:?}", after.contact),
        format!("{:?}", before.contact)
    );
    assert_eq!(after.villagers, before.villagers);
    assert_eq!(after.open_escalations, before.open_escalations);
    assert!(after.totals.applied >= 12);
    p.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_month_gives_the_same_figures_on_sqlite_and_on_postgresql() {
    if std::env::var("HUOSHUI_TEST_BACKEND").as_deref() != Ok("postgres") {
        eprintln!("skipped: compares the engines when HUOSHUI_TEST_BACKEND=postgres");
        return;
    }
    let mut seen = Vec::new();
    for on_postgres in [false, true] {
        let tmp = tempdir();
        let p = Platform::start_configured(tmp.path(), clock(), |c| {
            if !on_postgres {
                c.database = None;
            }
        })
        .await;
        let expected = if on_postgres {
            huoshui_server::sql::Backend::Postgres
        } else {
            huoshui_server::sql::Backend::Sqlite
        };
        assert_eq!(p.running.state.db.backend(), expected);
        a_month_on_the_platform(&p).await;
        let county = read_figures(&p, Scope::County).await;
        let bank = read_figures(&p, Scope::Bank("psbc".into())).await;
        assert!(county.totals.applied >= 12 && county.open_escalations > 0);
        seen.push(
            named_figures(&county, "county")
                .chain(named_figures(&bank, "psbc"))
                .collect::<Vec<_>>(),
        );
        p.stop().await;
    }
    assert_eq!(seen[0].len(), seen[1].len());
    for ((name, sqlite), (_, postgres)) in seen[0].iter().zip(&seen[1]) {
        assert_eq!(sqlite, postgres, "{name}: SQLite, then PostgreSQL");
    }
}

/// Each figure of `f` by name (`county.by_day`), as text, so a difference names the figure.
fn named_figures(f: &Figures, scope: &str) -> impl Iterator<Item = (String, String)> {
    [
        ("today", format!("{:?}", f.today)),
        ("totals", format!("{:?}", f.totals)),
        ("today_amounts", format!("{:?}", f.today_amounts)),
        ("by_bank", format!("{:?}", f.by_bank)),
        ("by_town", format!("{:?}", f.by_town)),
        ("by_product", format!("{:?}", f.by_product)),
        ("by_day", format!("{:?}", f.by_day)),
        ("contact", format!("{:?}", f.contact)),
        ("villagers", format!("{:?}", f.villagers)),
        ("open_escalations", format!("{:?}", f.open_escalations)),
    ]
    .into_iter()
    .map(move |(name, text)| (format!("{scope}.{name}"), text))
}
