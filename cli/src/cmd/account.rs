//! `huoshui account code | login | show | logout`: signing in to the county platform by phone
//! number and one-time code, through the app facade's session.
//!
//! Owns the arguments and what is printed. The session itself (the platform's profile and the
//! token, sealed in the store) is the core's; this module must never print or keep a token or
//! a full phone number of the signed-in user (the facade's view is already masked).

use super::Context;
use super::device::{Device, code_of};
use crate::error::CliError;
use crate::output;
use huoshui_core::app::views::SessionView;
use serde::Serialize;

/// 账户: sign in to the county platform.
#[derive(Debug, clap::Args)]
pub struct AccountArgs {
    #[command(subcommand)]
    pub command: AccountCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AccountCommand {
    /// 获取验证码: ask the platform to text a one-time code to the phone.
    Code {
        /// Mobile number (手机号), 11 digits.
        #[arg(long)]
        phone: String,
    },
    /// 登录: sign in with the phone number and the code.
    Login {
        /// Mobile number (手机号), 11 digits.
        #[arg(long)]
        phone: String,
        /// The 6-digit code from the text message (验证码).
        #[arg(long)]
        code: String,
    },
    /// 当前账户: who is signed in on this device (works offline).
    Show,
    /// 退出登录: sign out (what waits to be sent stays on this device).
    Logout,
}

pub fn run(ctx: &Context, args: AccountArgs) -> Result<(), CliError> {
    match args.command {
        AccountCommand::Code { phone } => code(ctx, &phone),
        AccountCommand::Login { phone, code } => login(ctx, &phone, &code),
        AccountCommand::Show => show(ctx),
        AccountCommand::Logout => logout(ctx),
    }
}

/// `138****0001`: enough to recognise one's own number on the screen.
fn mask(phone: &str) -> String {
    let p = phone.trim();
    match (p.get(..3), p.get(p.len().saturating_sub(4)..)) {
        (Some(head), Some(tail)) if p.len() == 11 => format!("{head}****{tail}"),
        _ => "***".to_owned(),
    }
}

fn code(ctx: &Context, phone: &str) -> Result<(), CliError> {
    let device = Device::open(ctx)?;
    device.need_server()?;
    device.block_on(device.core.request_code(phone))?;
    let masked = mask(phone);
    if ctx.json {
        return output::print_json(&serde_json::json!({"sent": true, "phone": masked}));
    }
    println!(
        "验证码已发送到 {masked}，请查看短信 / a code was sent to {masked}: see the text message"
    );
    println!("然后运行 / then run: huoshui account login --phone <手机号> --code <验证码>");
    Ok(())
}

/// The session as the shell prints it.
#[derive(Debug, Serialize)]
pub struct SessionJson {
    pub signed_in: bool,
    pub user_id: String,
    /// `villager`, `manager`, `administrator`.
    pub role: String,
    pub role_zh: String,
    pub name: String,
    /// Masked: `138****0001`.
    pub phone: String,
    pub town_id: Option<String>,
    pub town_zh: Option<String>,
    pub bank_id: Option<String>,
    pub bank_zh: Option<String>,
    pub towns_zh: Vec<String>,
    pub points: Option<u32>,
    pub grade: Option<String>,
    /// The platform no longer accepts this sign-in: sign in again (nothing queued is lost).
    pub needs_sign_in: bool,
}

fn role_zh(code: &str) -> &'static str {
    match code {
        "villager" => "村民",
        "manager" => "客户经理",
        "administrator" => "县级管理员",
        _ => "其他",
    }
}

impl From<SessionView> for SessionJson {
    fn from(s: SessionView) -> SessionJson {
        let role = code_of(&s.role);
        SessionJson {
            signed_in: true,
            user_id: s.user_id,
            role_zh: role_zh(&role).to_owned(),
            role,
            name: s.name,
            phone: s.phone,
            town_id: s.town_id,
            town_zh: s.town_zh,
            bank_id: s.bank_id,
            bank_zh: s.bank_zh,
            towns_zh: s.towns_zh,
            points: s.points,
            grade: s.grade.as_ref().map(code_of),
            needs_sign_in: s.needs_sign_in,
        }
    }
}

fn print_session(s: &SessionJson) {
    let mut table = output::table();
    table.set_header(["项目 field", "内容 value"]);
    table.add_row(["姓名 name".to_owned(), s.name.clone()]);
    table.add_row(["身份 role".to_owned(), format!("{} {}", s.role_zh, s.role)]);
    table.add_row(["手机 phone".to_owned(), s.phone.clone()]);
    table.add_row(["编号 user id".to_owned(), s.user_id.clone()]);
    if let Some(town) = s.town_zh.as_ref().or(s.town_id.as_ref()) {
        table.add_row(["乡镇 town".to_owned(), town.clone()]);
    }
    if let Some(bank) = s.bank_zh.as_ref().or(s.bank_id.as_ref()) {
        table.add_row(["银行 bank".to_owned(), bank.clone()]);
    }
    if !s.towns_zh.is_empty() {
        table.add_row(["服务乡镇 towns served".to_owned(), s.towns_zh.join("、")]);
    }
    if let Some(points) = s.points {
        let grade = s.grade.clone().unwrap_or_else(|| "—".into());
        table.add_row([
            "美德积分 virtue points".to_owned(),
            format!("{points}（信用等级 grade {grade}）"),
        ]);
    }
    println!("{table}");
    if s.needs_sign_in {
        println!(
            "登录已过期，请重新登录（未发送的内容不会丢失）/ the sign-in has expired: sign in again (nothing waiting to be sent is lost)"
        );
    }
}

fn login(ctx: &Context, phone: &str, code: &str) -> Result<(), CliError> {
    let device = Device::open(ctx)?;
    device.need_server()?;
    let session = device.block_on(device.core.login(phone, code))?;
    let s = SessionJson::from(session);
    if ctx.json {
        return output::print_json(&s);
    }
    println!("登录成功 / signed in");
    print_session(&s);
    Ok(())
}

/// `account show --json`: the session and what waits to be sent.
#[derive(Debug, Serialize)]
struct ShowJson {
    #[serde(flatten)]
    session: SessionJson,
    pending: u32,
}

fn show(ctx: &Context) -> Result<(), CliError> {
    let device = Device::open(ctx)?;
    let status = device.core.sync_status()?;
    match device.core.session()? {
        Some(session) => {
            let s = SessionJson::from(session);
            if ctx.json {
                return output::print_json(&ShowJson {
                    session: s,
                    pending: status.pending,
                });
            }
            print_session(&s);
        }
        None => {
            if ctx.json {
                return output::print_json(
                    &serde_json::json!({"signed_in": false, "pending": status.pending}),
                );
            }
            println!(
                "未登录：运行 huoshui account code --phone <手机号> / not signed in: run huoshui account code --phone <number>"
            );
        }
    }
    if status.pending > 0 && !ctx.json {
        println!(
            "{} 项已保存在本机待发送 / {} item(s) kept on this machine, waiting to be sent",
            status.pending, status.pending
        );
    }
    Ok(())
}

fn logout(ctx: &Context) -> Result<(), CliError> {
    let device = Device::open(ctx)?;
    let pending = device.core.sync_status()?.pending;
    device.block_on(device.core.logout())?;
    if ctx.json {
        return output::print_json(&serde_json::json!({"signed_in": false, "pending": pending}));
    }
    println!("已退出登录 / signed out");
    if pending > 0 {
        println!(
            "{pending} 项仍保存在本机，同一账户重新登录后会发送 / {pending} item(s) stay on this machine and are sent after the same account signs in again"
        );
    }
    Ok(())
}
