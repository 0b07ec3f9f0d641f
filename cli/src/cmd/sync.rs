//! `huoshui sync`, and what every sending command says after it tried to send.
//!
//! Owns printing the facade's sync report (sent, received, pending, what the platform refused
//! in its own words) and deciding the truthful outcome of a queued action: "the platform has
//! it" only when the facade marks the application confirmed; otherwise "kept on this machine"
//! (exit code 3) or the platform's refusal. Must never say "submitted" or "sent" for anything
//! that is only in the outbox.

use super::Context;
use super::device::Device;
use crate::error::{CliError, Exit};
use crate::output;
use huoshui_core::app::views::{
    ApplicationView, AttentionView, SyncMark, SyncReportView, SyncState, SyncStatusView,
};
use serde::Serialize;

/// The words for an action kept in the outbox because the platform cannot be reached.
pub const KEPT_ZH: &str = "已保存在本机待发送，联网后运行 huoshui sync 发送";
pub const KEPT_EN: &str = "kept on this machine; run huoshui sync when online";

/// 同步: send what waits on this device and fetch what changed on the platform.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {}

/// The stable code of the banner's state.
pub fn state_code(state: SyncState) -> &'static str {
    match state {
        SyncState::Idle => "idle",
        SyncState::Syncing => "syncing",
        SyncState::Offline => "offline",
        SyncState::SignInAgain => "sign_in_again",
        SyncState::NeedsAttention => "needs_attention",
    }
}

/// The stable code of an application's sync mark.
pub fn mark_code(mark: SyncMark) -> &'static str {
    match mark {
        SyncMark::Draft => "draft",
        SyncMark::Confirmed => "confirmed",
        SyncMark::Waiting => "waiting",
        SyncMark::NeedsAttention => "needs_attention",
    }
}

/// Something the platform refused, in its words.
#[derive(Debug, Clone, Serialize)]
pub struct AttentionJson {
    pub application_id: Option<String>,
    pub action_zh: String,
    pub action_en: String,
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

impl From<AttentionView> for AttentionJson {
    fn from(a: AttentionView) -> AttentionJson {
        AttentionJson {
            application_id: a.application_id,
            action_zh: a.action_zh,
            action_en: a.action_en,
            code: a.code,
            message_zh: a.message_zh,
            message_en: a.message_en,
        }
    }
}

/// Where syncing stands (the banner).
#[derive(Debug, Clone, Serialize)]
pub struct StatusJson {
    /// `idle`, `syncing`, `offline`, `sign_in_again`, `needs_attention`.
    pub state: &'static str,
    pub pending: u32,
    pub wedged: u32,
    pub message_zh: String,
    pub message_en: String,
    pub last_synced_zh: Option<String>,
}

impl From<SyncStatusView> for StatusJson {
    fn from(s: SyncStatusView) -> StatusJson {
        StatusJson {
            state: state_code(s.state),
            pending: s.pending,
            wedged: s.wedged,
            message_zh: s.message_zh,
            message_en: s.message_en,
            last_synced_zh: s.last_synced_zh,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Serialize)]
pub struct ReportJson {
    /// Commands the platform acknowledged.
    pub sent: u32,
    /// Events that were new on this device.
    pub received: u32,
    /// Commands still waiting on this device.
    pub pending: u32,
    pub catalog_updated: bool,
    /// What the platform refused, in its words.
    pub attention: Vec<AttentionJson>,
    pub status: StatusJson,
}

impl From<SyncReportView> for ReportJson {
    fn from(r: SyncReportView) -> ReportJson {
        ReportJson {
            sent: r.sent,
            received: r.received,
            pending: r.pending,
            catalog_updated: r.catalog_updated,
            attention: r.wedged.into_iter().map(AttentionJson::from).collect(),
            status: r.status.into(),
        }
    }
}

fn print_attention(items: &[AttentionJson]) {
    if items.is_empty() {
        return;
    }
    println!("需要您处理 / needs your attention:");
    let mut table = output::table();
    table.set_header([
        "申请 application",
        "操作 action",
        "平台的话 the platform says",
    ]);
    for a in items {
        table.add_row([
            a.application_id.clone().unwrap_or_else(|| "—".into()),
            format!("{} / {}", a.action_zh, a.action_en),
            format!("{}\n{}", a.message_zh, a.message_en),
        ]);
    }
    println!("{table}");
}

pub fn run(ctx: &Context, _args: SyncArgs) -> Result<(), CliError> {
    let device = Device::open(ctx)?;
    device.need_server()?;
    let report: ReportJson = device.block_on(device.core.sync_now())?.into();
    let offline = report.status.state == "offline";
    let sign_in = report.status.state == "sign_in_again";
    let signed_out = device.core.session()?.is_none();
    if ctx.json {
        output::print_json(&report)?;
    } else {
        if signed_out && !sign_in && !offline {
            println!(
                "未登录：只检查了贷款目录；登录后才能发送和接收申请 / not signed in: only the catalog was checked; sign in to send and fetch applications"
            );
        }
        println!(
            "已发送 sent: {} · 已接收 received: {} · 待发送 pending: {}",
            report.sent, report.received, report.pending
        );
        if offline && report.pending > 0 {
            println!(
                "无法连接平台：{} 项{KEPT_ZH} / cannot reach the platform: {} item(s) {KEPT_EN}",
                report.pending, report.pending
            );
        } else if offline {
            println!(
                "无法连接平台，请检查网络后再试 / cannot reach the platform: check the network and try again"
            );
        } else {
            println!(
                "状态 status: {} / {}",
                report.status.message_zh, report.status.message_en
            );
        }
        print_attention(&report.attention);
    }
    if offline {
        return Err(CliError::said("offline", Exit::Offline));
    }
    if sign_in {
        return Err(CliError::said("sign_in", Exit::Failed));
    }
    Ok(())
}

/// What became of a queued action after the attempt to send it.
#[derive(Debug, Serialize)]
struct Delivered {
    /// `sent` (the platform has everything of this application), `queued` (kept on this
    /// machine), `needs_attention` (the platform refused: its words), `sign_in` (sign in again;
    /// kept on this machine).
    stage: &'static str,
    id: String,
    state: String,
    state_zh: String,
    sync_mark: &'static str,
    code: Option<String>,
    message_zh: String,
    message_en: String,
    report: Option<ReportJson>,
}

/// What became of the action: stage, exit code, refusal code and the words (zh, en).
type Outcome = (&'static str, Option<Exit>, Option<String>, String, String);

/// Decides the truthful outcome of a queued action from the application as the device now
/// has it and the report of the attempt to send (`None`: no platform address).
fn outcome(
    app: Option<&ApplicationView>,
    report: Option<&ReportJson>,
    mark: SyncMark,
    id: &str,
    done_zh: &str,
    done_en: &str,
) -> Outcome {
    let banner = report.map(|r| r.status.state);
    if app.is_none() {
        (
            "needs_attention",
            Some(Exit::Failed),
            Some("gone".to_owned()),
            "这项申请已不在本机（平台已改派或关闭），请运行 huoshui status 查看".to_owned(),
            "this application is no longer on this device (reassigned or closed on the platform): see huoshui status".to_owned(),
        )
    } else if report.is_none() {
        (
            "queued",
            Some(Exit::Offline),
            None,
            format!("没有设置平台地址（--server 或 HUOSHUI_SERVER）：{KEPT_ZH}"),
            format!("no platform address (--server or HUOSHUI_SERVER): {KEPT_EN}"),
        )
    } else {
        match mark {
            SyncMark::Confirmed => ("sent", None, None, done_zh.to_owned(), done_en.to_owned()),
            SyncMark::Draft => (
                "draft",
                Some(Exit::Failed),
                None,
                "这还是本机上的草稿，没有提交".to_owned(),
                "this is still a draft on this machine; it was not submitted".to_owned(),
            ),
            SyncMark::NeedsAttention => {
                let refused = report
                    .and_then(|r| {
                        r.attention
                            .iter()
                            .find(|a| a.application_id.as_deref() == Some(id))
                    })
                    .cloned();
                let (code, zh, en) = match (refused, app) {
                    (Some(r), _) => (r.code, r.message_zh, r.message_en),
                    (None, Some(a)) => (
                        "refused".to_owned(),
                        a.attention_zh.clone().unwrap_or_default(),
                        a.attention_en.clone().unwrap_or_default(),
                    ),
                    (None, None) => ("refused".to_owned(), String::new(), String::new()),
                };
                (
                    "needs_attention",
                    Some(Exit::Failed),
                    Some(code),
                    format!("平台没有接受：{zh}"),
                    format!("the platform did not accept it: {en}"),
                )
            }
            SyncMark::Waiting if banner == Some("sign_in_again") => (
                "sign_in",
                Some(Exit::Failed),
                Some("sign_in".to_owned()),
                "登录已过期：请重新登录后运行 huoshui sync；这项操作已保存在本机，不会丢失".to_owned(),
                "the sign-in has expired: sign in again, then run huoshui sync; this is kept on this machine".to_owned(),
            ),
            SyncMark::Waiting => (
                "queued",
                Some(Exit::Offline),
                None,
                KEPT_ZH.to_owned(),
                KEPT_EN.to_owned(),
            ),
        }
    }
}

/// Tries to send what was just queued for application `id`, then says truthfully what the
/// platform has. `done_zh`/`done_en` is what to say when it has everything.
pub fn deliver(
    device: &Device,
    ctx: &Context,
    id: &str,
    done_zh: &str,
    done_en: &str,
) -> Result<(), CliError> {
    let report: Option<ReportJson> = if device.has_server {
        Some(device.block_on(device.core.sync_now())?.into())
    } else {
        None
    };
    let app = device.core.applications()?.into_iter().find(|a| a.id == id);
    let (state, state_zh, mark) = match &app {
        Some(a) => (a.state.code().to_owned(), a.state_zh.clone(), a.sync_mark),
        None => (String::new(), String::new(), SyncMark::Waiting),
    };
    let (stage, exit, code, zh, en) =
        outcome(app.as_ref(), report.as_ref(), mark, id, done_zh, done_en);
    let out = Delivered {
        stage,
        id: id.to_owned(),
        state,
        state_zh,
        sync_mark: mark_code(mark),
        code,
        message_zh: zh,
        message_en: en,
        report,
    };
    if ctx.json {
        output::print_json_line(&out)?;
    } else {
        println!("{} / {}", out.message_zh, out.message_en);
        if out.stage == "sent" {
            println!("状态 state: {} {}", out.state_zh, out.state);
        }
        if let Some(r) = &out.report {
            let others: Vec<AttentionJson> = r
                .attention
                .iter()
                .filter(|a| a.application_id.as_deref() != Some(id))
                .cloned()
                .collect();
            print_attention(&others);
        }
    }
    match exit {
        None => Ok(()),
        Some(exit) => Err(CliError::said(
            match stage {
                "queued" => "offline",
                "sign_in" => "sign_in",
                _ => "refused",
            },
            exit,
        )),
    }
}
