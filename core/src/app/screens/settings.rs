//! Screens both apps share: settings (who I am, sign out, the damaged-store notice, about)
//! and the sync banner over every screen.
//!
//! Owns their wording and when the banner shows. The session, the sync state and the moved-aside
//! database come from the facade; nothing here changes them.

use super::{LineView, Nav, line};
use crate::app::views::{SyncState, SyncStatusView};
use crate::app::{AppCore, AppError};
use crate::domain::lifecycle::Role;

/// The settings screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SettingsScreen {
    pub signed_in: bool,
    /// `张三 · 村民`
    pub who_zh: String,
    /// Masked phone, town or bank, points and grade.
    pub me: Vec<LineView>,
    /// Shown when a damaged database was moved aside on open (what happened, what to do).
    pub damaged_store_zh: Option<String>,
    pub damaged_store_en: Option<String>,
    pub about: Vec<LineView>,
    /// The sign-in button leads here when nobody is signed in; signing out leads here too.
    pub sign_in: Nav,
}

/// The sync banner over every screen.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SyncBanner {
    pub status: SyncStatusView,
    /// Offline, sign in again, or something refused: not while a sync runs or a command is on
    /// its way (the page must not jump under the user's finger after each action).
    pub visible: bool,
    /// The words to show (`未联网，3 项待发送` … with the last sync).
    pub text_zh: String,
    pub text_en: String,
    /// Show "retry" (something was refused or gave up).
    pub can_retry: bool,
    /// Show "sign in again".
    pub sign_in_again: bool,
    /// The banner asks for attention (red), rather than informs (neutral).
    pub urgent: bool,
}

/// The banner for a sync status.
pub fn sync_banner_for(status: SyncStatusView) -> SyncBanner {
    // Only the states that last show: the banner pushes the page down, and the sync after each
    // action (queued, then syncing, then idle, within a second when online) would move the
    // buttons under a finger that is already on its way (a tap lost on the manager's task
    // screen, issue 11). What waits while online stays marked on its own application, unless
    // an attempt to send it has failed: then it is being retried, which lasts, and shows.
    let visible = matches!(
        status.state,
        SyncState::Offline | SyncState::SignInAgain | SyncState::NeedsAttention
    ) || status.wedged > 0
        || status.retrying > 0;
    let can_retry = status.state == SyncState::NeedsAttention || status.wedged > 0;
    let sign_in_again = status.state == SyncState::SignInAgain;
    let mut text_zh = status.message_zh.clone();
    let mut text_en = status.message_en.clone();
    if status.state == SyncState::Offline
        && let Some(last) = &status.last_synced_zh
    {
        text_zh.push_str(&format!("（上次同步 {last}）"));
        text_en.push_str(&format!(" (last synced {last})"));
    }
    SyncBanner {
        visible,
        can_retry,
        sign_in_again,
        urgent: can_retry || sign_in_again,
        text_zh,
        text_en,
        status,
    }
}

impl AppCore {
    /// The settings screen.
    pub fn settings_screen(&self) -> Result<SettingsScreen, AppError> {
        let session = self.session()?;
        let mut me = Vec::new();
        let who_zh = match &session {
            Some(s) => {
                me.push(line("手机号", "Phone", s.phone.clone()));
                if let Some(t) = &s.town_zh {
                    me.push(line("乡镇", "Town", t.clone()));
                }
                if let Some(b) = &s.bank_zh {
                    me.push(line("银行", "Bank", b.clone()));
                }
                if !s.towns_zh.is_empty() {
                    me.push(line("服务乡镇", "Towns served", s.towns_zh.join("、")));
                }
                if let Some(p) = s.points {
                    let grade = s.grade.map(|g| format!(" · {}级", g.code()));
                    me.push(line(
                        "美德积分",
                        "Virtue points",
                        format!("{p}分{}", grade.unwrap_or_default()),
                    ));
                }
                let role = match s.role {
                    Role::Villager => "村民",
                    Role::Manager => "客户经理",
                    Role::Administrator => "县管理员",
                    Role::System => "系统",
                };
                format!("{} · {role}", s.name)
            }
            None => "未登录".to_owned(),
        };
        let aside = self.moved_aside().map(|p| p.display().to_string());
        let catalog = self.catalog();
        Ok(SettingsScreen {
            signed_in: session.is_some(),
            who_zh,
            me,
            damaged_store_zh: aside.as_ref().map(|p| {
                format!(
                    "本机数据曾经损坏，已另存到 {p}。已提交到平台的申请不受影响，登录后会重新同步；\
                     没有提交的草稿和照片需要重新填写。"
                )
            }),
            damaged_store_en: aside.map(|p| {
                format!(
                    "The data on this phone was damaged and kept aside at {p}. Applications the \
                     platform has are safe and sync again after sign-in; unsent drafts and photos \
                     must be made again."
                )
            }),
            about: vec![
                line("应用", "App", "活水 · 县域农村金融服务平台"),
                line("版本", "Version", env!("CARGO_PKG_VERSION")),
                line("产品目录", "Catalog", catalog.version().to_owned()),
                line("服务县", "County", catalog.data().county.name_zh.clone()),
            ],
            sign_in: Nav::SignIn,
        })
    }

    /// The sync banner now.
    pub fn sync_banner(&self) -> Result<SyncBanner, AppError> {
        Ok(sync_banner_for(self.sync_status()?))
    }
}
