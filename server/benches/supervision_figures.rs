//! Benchmark (issue 12, DESIGN §7): the supervision figures with 1,000,000 applications in the
//! database — budget ≤ 100 ms — and the whole dashboard over HTTP on loopback at that size.
//!
//! Data (made once, kept in `target/bench-data/supervision-1m/`; `HUOSHUI_BENCH_REBUILD=1`
//! makes it again): 276,000 villagers and 1,000,000 applications over the last 365 days, across
//! every product and town of the Guanxian catalog, each run through the real lifecycle
//! (`Application::open` / `execute`: submitted, assigned, then first contact after a varied
//! wait, or an escalation at +10 minutes, review, approval, acceptance, disbursement,
//! rejection or withdrawal), its events inserted with plain SQL in transactions of 50,000
//! applications so the counters' triggers run exactly as on the platform, and its row in
//! `applications`. To stay within the machine's disk, the events of each batch are deleted once
//! its counters are committed (the figures never read `events`), except those of the 40 open
//! escalations the page lists.
//!
//! Run: `cargo bench -p huoshui-server --bench supervision_figures`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use huoshui_core::domain::lifecycle::{
    Actor, Application, ApplicationId, ApprovedOffer, Command, ContactOutcome, Event,
    NewApplication, SlaPolicy,
};
use huoshui_server::directory::Directory;
use huoshui_server::supervision::figures::{self, Scope};
use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const APPLICATIONS: u64 = 1_000_000;
const VILLAGERS: u64 = 276_000;
const BATCH: u64 = 50_000;
const OPEN_ESCALATIONS: u64 = 40;

fn now() -> Timestamp {
    "2026-11-28T04:00:00Z".parse().unwrap()
}

/// A small deterministic generator (xorshift64*), so every build of the data is the same.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data/supervision-1m")
}

fn insert_events(conn: &Connection, id: &ApplicationId, events: &[Event]) {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO events (application_id, seq, at, body) VALUES (?1, ?2, ?3, ?4)",
        )
        .unwrap();
    for e in events {
        stmt.execute(params![
            id.as_str(),
            e.seq as i64,
            e.at.as_millisecond(),
            serde_json::to_string(e).unwrap()
        ])
        .unwrap();
    }
}

fn insert_projection(conn: &Connection, app: &Application) {
    let open =
        !app.state.is_final() && app.state != huoshui_core::domain::lifecycle::State::Disbursed;
    let state = serde_json::to_value(app.state).unwrap();
    conn.prepare_cached(
        "INSERT INTO applications (id, villager_id, product_id, bank_id, town, manager_id, state, open,
             submitted_at, contacted_at, escalated_at, last_seq, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )
    .unwrap()
    .execute(params![
        app.id.as_str(),
        app.villager_id,
        app.product_id,
        app.bank_id,
        app.town,
        app.manager_id,
        state.as_str().unwrap(),
        open,
        app.submitted_at.map(|t| t.as_millisecond()),
        app.first_contact_at.map(|t| t.as_millisecond()),
        app.escalated_at.map(|t| t.as_millisecond()),
        app.last_seq as i64,
        app.updated_at.as_millisecond(),
    ])
    .unwrap();
}

/// An application and the events recorded so far.
struct Life {
    app: Application,
    events: Vec<Event>,
}

impl Life {
    /// Executes `cmd` at `at` if that is not after `now`; false when it was not recorded.
    fn run(&mut self, actor: &Actor, cmd: Command, at: Timestamp) -> bool {
        if at > now() {
            return false;
        }
        match self.app.execute(actor, cmd, at) {
            Ok(e) => {
                self.events.push(e);
                true
            }
            Err(_) => false,
        }
    }
}

/// One application through the lifecycle, as far as `now` allows.
fn one_application(
    rng: &mut Rng,
    dir: &Directory,
    n: u64,
    open_escalation: bool,
) -> (Application, Vec<Event>) {
    let products = dir.catalog.products();
    let p = &products[rng.below(products.len() as u64) as usize];
    let town = &dir.towns[rng.below(dir.towns.len() as u64) as usize].id;
    let villager = format!("g{:06}", rng.below(VILLAGERS));
    let amount = (p.amount_min_fen * (1 + rng.below(10) as i64)).min(p.amount_max_fen);
    let age_ms = if open_escalation {
        20 * 60_000 + rng.below(3_600_000)
    } else {
        rng.below(365 * 86_400_000)
    };
    let submitted = now() - SignedDuration::from_millis(age_ms as i64);
    let id = ApplicationId::from_uuid(uuid::Uuid::from_u128(u128::from(n) + 1));
    let v = Actor::villager(&villager);
    let (app, created) = Application::open(
        id,
        &v,
        NewApplication {
            product_id: p.id.clone(),
            amount,
            months: p.months_min,
            town: town.clone(),
        },
        submitted,
    )
    .unwrap();
    let mut life = Life {
        app,
        events: vec![created],
    };
    life.run(&v, Command::Submit, submitted);
    let manager_id = format!("m-{}-{}", p.bank, 1 + rng.below(2));
    let m = Actor::manager(&manager_id);
    life.run(
        &Actor::system(),
        Command::Assign {
            manager_id,
            bank_id: p.bank.clone(),
        },
        submitted,
    );
    if let Some(t) = first_contact(rng, &mut life, &m, submitted, open_escalation) {
        after_contact(rng, &mut life, &v, &m, p.months_min, amount, t);
    }
    (life.app, life.events)
}

/// The escalation (5 %, or always for an open one) or a first contact after a varied wait;
/// the time of the contact when it was recorded.
fn first_contact(
    rng: &mut Rng,
    life: &mut Life,
    m: &Actor,
    submitted: Timestamp,
    open_escalation: bool,
) -> Option<Timestamp> {
    let policy = SlaPolicy::new(5, 10);
    let roll = rng.below(100);
    let mut t;
    if roll < 5 || open_escalation {
        t = submitted + SignedDuration::from_mins(10);
        life.run(
            &Actor::system(),
            Command::Escalate {
                to: "admin".into(),
                policy,
            },
            t,
        );
        if open_escalation {
            return None;
        }
        t += SignedDuration::from_mins(2 + rng.below(30) as i64);
        life.run(
            &Actor::administrator("admin"),
            Command::AcknowledgeEscalation { note: None },
            t,
        );
        t += SignedDuration::from_mins(rng.below(60) as i64);
    } else {
        // Most first contacts come within minutes; a tail waits up to an hour.
        let wait_s = if rng.below(10) < 8 {
            15 + rng.below(420)
        } else {
            300 + rng.below(3_300)
        };
        t = submitted + SignedDuration::from_secs(wait_s as i64);
    }
    if !life.run(
        m,
        Command::LogContact {
            note: None,
            outcome: ContactOutcome::Reached,
        },
        t,
    ) {
        return None;
    }
    Some(t)
}

/// Withdrawal, review, rejection, approval, acceptance and disbursement, as far as `now`
/// allows.
fn after_contact(
    rng: &mut Rng,
    life: &mut Life,
    v: &Actor,
    m: &Actor,
    months: u32,
    amount: i64,
    mut t: Timestamp,
) {
    t += SignedDuration::from_hours(1 + rng.below(48) as i64);
    let next = rng.below(100);
    if next < 3 {
        life.run(v, Command::Withdraw { reason: None }, t);
        return;
    }
    if next >= 75 || !life.run(m, Command::StartReview, t) {
        return;
    }
    t += SignedDuration::from_hours(2 + rng.below(72) as i64);
    if next < 15 {
        life.run(
            m,
            Command::Reject {
                reason: "资料不全".into(),
            },
            t,
        );
        return;
    }
    let approved = amount - amount / 10 * rng.below(3) as i64;
    let offer = ApprovedOffer {
        amount: approved,
        months,
        annual_rate_ppm: 38_500,
    };
    if !life.run(m, Command::Approve { offer }, t) || next >= 60 {
        return;
    }
    t += SignedDuration::from_hours(1 + rng.below(24) as i64);
    if !life.run(v, Command::AcceptOffer, t) {
        return;
    }
    t += SignedDuration::from_hours(1 + rng.below(48) as i64);
    life.run(m, Command::Disburse { amount: approved }, t);
}

/// Builds the database once (or again with HUOSHUI_BENCH_REBUILD=1).
fn ensure_data(dir: &Directory) -> PathBuf {
    let folder = data_dir();
    let db = folder.join("platform.sqlite3");
    let marker = folder.join("complete");
    if marker.exists() && std::env::var("HUOSHUI_BENCH_REBUILD").is_err() {
        return folder;
    }
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    let started = Instant::now();
    let mut conn = Connection::open(&db).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "OFF").unwrap();
    huoshui_server::db::migrate(&mut conn).unwrap();
    {
        let tx = conn.transaction().unwrap();
        let mut rng = Rng(0x5eed_0001);
        for n in 0..VILLAGERS {
            let town = &dir.towns[rng.below(dir.towns.len() as u64) as usize].id;
            tx.execute(
                "INSERT INTO users (id, role, phone_mac, phone_masked, name, town) VALUES (?1, 'villager', ?2, '138****0000', '村民', ?3)",
                params![format!("g{n:06}"), format!("bench-{n}"), town],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let mut rng = Rng(0x5eed_0002);
    let mut n = 0;
    while n < APPLICATIONS - OPEN_ESCALATIONS {
        let tx = conn.transaction().unwrap();
        let end = (n + BATCH).min(APPLICATIONS - OPEN_ESCALATIONS);
        while n < end {
            let (app, events) = one_application(&mut rng, dir, n, false);
            insert_events(&tx, &app.id, &events);
            insert_projection(&tx, &app);
            n += 1;
        }
        tx.commit().unwrap();
        conn.execute_batch("DELETE FROM events").unwrap();
        eprintln!(
            "  {n} applications ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    let tx = conn.transaction().unwrap();
    while n < APPLICATIONS {
        let (app, events) = one_application(&mut rng, dir, n, true);
        insert_events(&tx, &app.id, &events);
        insert_projection(&tx, &app);
        n += 1;
    }
    tx.commit().unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")
        .unwrap();
    let count: i64 = conn
        .query_row("SELECT COUNT(*) FROM applications", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count as u64, APPLICATIONS);
    std::fs::write(&marker, b"ok").unwrap();
    eprintln!(
        "built {} applications in {:.0} s",
        count,
        started.elapsed().as_secs_f64()
    );
    folder
}

fn bench(c: &mut Criterion) {
    let dir = Directory::embedded().unwrap();
    let folder = ensure_data(&dir);
    let conn = Connection::open(folder.join("platform.sqlite3")).unwrap();
    let tx = huoshui_server::sql::Tx::sqlite(&conn);
    let applications: i64 = tx
        .query_row("SELECT COUNT(*) FROM applications", [], |r| r.get(0))
        .unwrap();
    assert_eq!(applications as u64, APPLICATIONS);

    // What is timed must be right: the figures add up to the million.
    let f = figures::compute(&tx, &dir, &Scope::County, now(), 5).unwrap();
    assert_eq!(f.totals.applied as u64, APPLICATIONS);
    assert!(f.totals.disbursed > 100_000 && f.contact.iter().all(|c| c.median.is_some()));
    assert!(
        f.open_escalations as u64 >= OPEN_ESCALATIONS,
        "the open escalations are there"
    );
    eprintln!(
        "county: {} applied, {} approved, {} disbursed; {} villagers enrolled, {} active; median first contact (runchang) {:?}",
        f.totals.applied,
        f.totals.approved,
        f.totals.disbursed,
        f.villagers.map_or(0, |v| v.enrolled),
        f.villagers.map_or(0, |v| v.active),
        f.contact[0].median
    );

    let mut g = c.benchmark_group("supervision_figures_1m");
    g.sample_size(30).measurement_time(Duration::from_secs(8));
    g.bench_function("county", |b| {
        b.iter(|| figures::compute(&tx, &dir, &Scope::County, now(), 5).unwrap())
    });
    g.bench_function("one_bank", |b| {
        b.iter(|| figures::compute(&tx, &dir, &Scope::Bank("runchang".into()), now(), 5).unwrap())
    });
    g.finish();

    // The whole dashboard and the charts fragment over HTTP on loopback, at the same size.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (running, cookie) = rt.block_on(async {
        let mut config = huoshui_server::Config::new(folder.clone(), dir.clone());
        config.clock = std::sync::Arc::new(huoshui_server::clock::ManualClock::new(now()));
        config.sla_poll = None;
        let running = huoshui_server::start(config).await.unwrap();
        let admin = running
            .state
            .db
            .read(|conn| huoshui_server::accounts::load(conn, "admin"))
            .await
            .unwrap()
            .unwrap();
        let (cookie, _) = huoshui_server::supervision::session::open(&running.state, &admin)
            .await
            .unwrap();
        (running, cookie)
    });
    huoshui_core::sync::install_tls_provider();
    let http = reqwest::Client::new();
    let base = format!("http://{}", running.addr);
    let get = |path: &str| {
        let req = http
            .get(format!("{base}{path}"))
            .header("cookie", format!("huoshui_admin={cookie}"));
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::OK);
            r.bytes().await.unwrap().len()
        }
    };
    let size = rt.block_on(get("/admin/"));
    eprintln!("dashboard page: {size} bytes");
    let mut g = c.benchmark_group("supervision_page_1m_http");
    g.sample_size(30).measurement_time(Duration::from_secs(8));
    g.bench_function("dashboard", |b| b.iter(|| rt.block_on(get("/admin/"))));
    g.bench_function("charts_fragment", |b| {
        b.iter(|| rt.block_on(get("/admin/figures?part=charts")))
    });
    g.finish();
    rt.block_on(running.stop());
}

criterion_group!(benches, bench);
criterion_main!(benches);
