//! `huoshui status [ID]` and `huoshui tasks`: what is on this device, from the app facade's
//! store (works offline; `huoshui sync` brings it up to date).
//!
//! Owns the tables and the JSON of the application list, one application's timeline and a
//! manager's inbox. Every word and number comes from the facade's view models; this module
//! decides nothing and must never show an action as done on the platform while the facade
//! marks it waiting.

use super::Context;
use super::device::{Device, code_of, resolve_application};
use super::sync::{StatusJson, mark_code};
use crate::error::CliError;
use crate::output;
use huoshui_core::app::views::{ApplicationView, TaskView, TimelineView};
use serde::Serialize;

/// 我的申请: my applications, or one application's timeline.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// An application id (or a unique part of it, 8+ characters): show its timeline.
    pub id: Option<String>,
}

/// 待办: an account manager's inbox.
#[derive(Debug, clap::Args)]
pub struct TasksArgs {}

/// One application as the shell prints it.
#[derive(Debug, Serialize)]
pub struct ApplicationJson {
    pub id: String,
    pub product_id: String,
    pub product_name_zh: String,
    pub amount_fen: i64,
    pub amount: String,
    pub months: u32,
    /// `draft`, `submitted`, `assigned`, `contacted` …
    pub state: String,
    pub state_zh: String,
    pub state_en: String,
    pub updated_zh: String,
    /// `confirmed` (the platform has everything done to it), `waiting` (something is kept
    /// on this device to be sent), `needs_attention` (the platform refused something).
    pub sync_mark: &'static str,
    pub sync_zh: String,
    pub sync_en: String,
    pub attention_zh: Option<String>,
    pub attention_en: Option<String>,
}

impl From<&ApplicationView> for ApplicationJson {
    fn from(a: &ApplicationView) -> ApplicationJson {
        ApplicationJson {
            id: a.id.clone(),
            product_id: a.product_id.clone(),
            product_name_zh: a.product_name_zh.clone(),
            amount_fen: a.amount.fen,
            amount: a.amount.full.clone(),
            months: a.months,
            state: a.state.code().to_owned(),
            state_zh: a.state_zh.clone(),
            state_en: a.state_en.clone(),
            updated_zh: a.updated_zh.clone(),
            sync_mark: mark_code(a.sync_mark),
            sync_zh: a.sync_zh.clone(),
            sync_en: a.sync_en.clone(),
            attention_zh: a.attention_zh.clone(),
            attention_en: a.attention_en.clone(),
        }
    }
}

impl ApplicationJson {
    /// The state as a person may read it: what the platform has, never "submitted" for what
    /// is only kept on this device.
    pub fn state_words(&self) -> String {
        match self.sync_mark {
            "waiting" if self.state == "submitted" => "已保存待发送 queued".to_owned(),
            "waiting" => format!("{} {} · 待发送 queued", self.state_zh, self.state),
            "needs_attention" => format!("平台未接受 not accepted · {}", self.state_zh),
            _ => format!("{} {}", self.state_zh, self.state),
        }
    }

    /// Whether the platform has it, in words.
    pub fn sync_words(&self) -> String {
        match self.sync_mark {
            _ if self.state == "draft" => "草稿，仅在本机\ndraft, on this device only".to_owned(),
            "confirmed" => "平台已收到 confirmed".to_owned(),
            // The terminal sends only when told: say how.
            "waiting" => "已保存在本机待发送\nkept here; run huoshui sync".to_owned(),
            _ => format!("{}\n{}", self.sync_zh, self.sync_en),
        }
    }
}

#[derive(Debug, Serialize)]
struct EntryJson {
    seq: u64,
    when_zh: String,
    when_en: String,
    title_zh: String,
    title_en: String,
    detail_zh: Option<String>,
    detail_en: Option<String>,
}

#[derive(Debug, Serialize)]
struct TimelineJson {
    application: ApplicationJson,
    next_zh: String,
    next_en: String,
    entries: Vec<EntryJson>,
}

impl From<TimelineView> for TimelineJson {
    fn from(t: TimelineView) -> TimelineJson {
        TimelineJson {
            application: (&t.application).into(),
            next_zh: t.next_zh,
            next_en: t.next_en,
            entries: t
                .entries
                .into_iter()
                .map(|e| EntryJson {
                    seq: e.seq,
                    when_zh: e.when_zh,
                    when_en: e.when_en,
                    title_zh: e.title_zh,
                    title_en: e.title_en,
                    detail_zh: e.detail_zh,
                    detail_en: e.detail_en,
                })
                .collect(),
        }
    }
}

fn sync_line(s: &StatusJson) {
    let when = s
        .last_synced_zh
        .as_ref()
        .map(|w| format!("（上次同步 last synced {w}）"))
        .unwrap_or_default();
    println!("同步 sync: {} / {}{when}", s.message_zh, s.message_en);
}

pub fn status(ctx: &Context, args: StatusArgs) -> Result<(), CliError> {
    let device = Device::open(ctx)?;
    let sync: StatusJson = device.core.sync_status()?.into();
    if let Some(id) = args.id {
        let id = resolve_application(&device, &id)?;
        let t: TimelineJson = device.core.timeline(&id)?.into();
        if ctx.json {
            return output::print_json(&serde_json::json!({"timeline": t, "sync": sync}));
        }
        let a = &t.application;
        println!(
            "{} · {} · {} 个月 months · {}",
            a.product_name_zh,
            a.amount,
            a.months,
            a.state_words()
        );
        println!("申请编号 application id: {}", a.id);
        if a.sync_mark == "waiting" {
            println!(
                "最近的操作还没有发送到平台，已保存在本机待发送 / the latest steps are kept on this machine and are not on the platform yet"
            );
        }
        if let (Some(zh), Some(en)) = (&a.attention_zh, &a.attention_en) {
            println!("平台没有接受：{zh} / the platform did not accept it: {en}");
        }
        let mut table = output::table();
        table.set_header(["时间 when", "进度 step", "说明 detail"]);
        for e in &t.entries {
            let detail = match (&e.detail_zh, &e.detail_en) {
                (Some(zh), Some(en)) => format!("{zh}\n{en}"),
                (Some(zh), None) => zh.clone(),
                (None, Some(en)) => en.clone(),
                (None, None) => String::new(),
            };
            table.add_row([
                e.when_zh.clone(),
                format!("{}\n{}", e.title_zh, e.title_en),
                detail,
            ]);
        }
        println!("{table}");
        println!("下一步 next: {}\n{}", t.next_zh, t.next_en);
        sync_line(&sync);
        return Ok(());
    }
    let apps: Vec<ApplicationJson> = device
        .core
        .applications()?
        .iter()
        .map(ApplicationJson::from)
        .collect();
    if ctx.json {
        return output::print_json(&serde_json::json!({"applications": apps, "sync": sync}));
    }
    if apps.is_empty() {
        println!("这台设备上还没有申请 / no applications on this device yet");
    } else {
        let mut table = output::table();
        table.set_header([
            "申请编号 id",
            "产品 product",
            "金额 amount",
            "期限 months",
            "进度 state",
            "同步 sync",
            "更新 updated",
        ]);
        for a in &apps {
            table.add_row([
                a.id.clone(),
                a.product_name_zh.clone(),
                a.amount.clone(),
                a.months.to_string(),
                a.state_words(),
                a.sync_words(),
                a.updated_zh.clone(),
            ]);
        }
        println!("{table}");
    }
    sync_line(&sync);
    Ok(())
}

/// One task of the inbox as the shell prints it.
#[derive(Debug, Serialize)]
struct TaskJson {
    application_id: String,
    /// `call`, `review_documents`, `decide`, `disburse`.
    kind: String,
    title_zh: String,
    title_en: String,
    countdown_zh: String,
    countdown_en: String,
    seconds_left: i64,
    overdue: bool,
    escalated: bool,
    amount_fen: i64,
    amount: String,
    months: u32,
    product_name_zh: String,
    villager_name: Option<String>,
    villager_phone: Option<String>,
    call_uri: Option<String>,
}

impl From<TaskView> for TaskJson {
    fn from(t: TaskView) -> TaskJson {
        TaskJson {
            application_id: t.application_id,
            kind: code_of(&t.kind),
            title_zh: t.title_zh,
            title_en: t.title_en,
            countdown_zh: t.countdown_zh,
            countdown_en: t.countdown_en,
            seconds_left: t.seconds_left,
            overdue: t.overdue,
            escalated: t.escalated,
            amount_fen: t.amount.fen,
            amount: t.amount.full,
            months: t.months,
            product_name_zh: t.product_name_zh,
            villager_name: t.villager_name,
            villager_phone: t.villager_phone,
            call_uri: t.call_uri,
        }
    }
}

pub fn tasks(ctx: &Context, _args: TasksArgs) -> Result<(), CliError> {
    let device = Device::open(ctx)?;
    let sync: StatusJson = device.core.sync_status()?.into();
    let tasks: Vec<TaskJson> = device
        .core
        .manager_tasks()?
        .into_iter()
        .map(TaskJson::from)
        .collect();
    if ctx.json {
        return output::print_json(&serde_json::json!({"tasks": tasks, "sync": sync}));
    }
    if tasks.is_empty() {
        println!("没有待办 / no tasks");
    } else {
        let mut table = output::table();
        table.set_header([
            "申请编号 id",
            "待办 task",
            "倒计时 countdown",
            "村民 villager",
            "电话 phone",
            "产品 product",
            "金额 amount",
        ]);
        for t in &tasks {
            let countdown = if t.escalated {
                format!("{}（已上报 escalated）\n{}", t.countdown_zh, t.countdown_en)
            } else {
                format!("{}\n{}", t.countdown_zh, t.countdown_en)
            };
            table.add_row([
                t.application_id.clone(),
                format!("{}\n{}", t.title_zh, t.title_en),
                countdown,
                t.villager_name.clone().unwrap_or_else(|| "—".into()),
                t.villager_phone.clone().unwrap_or_else(|| "—".into()),
                t.product_name_zh.clone(),
                format!("{} · {} 个月", t.amount, t.months),
            ]);
        }
        println!("{table}");
    }
    sync_line(&sync);
    Ok(())
}
